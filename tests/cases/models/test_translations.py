"""A case in several languages (cases/models/translations.py): what a reader is shown, and the rules."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from cases.models import CaseStudy, CaseTranslation, TranslationStatus
from cases.models.translations import NARRATIVE_SECTIONS, TRANSLATED_CASE_FIELDS, CaseText, text_digest
from cases.services import TranslationsRejected, case_translations_import
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db


def translate(case, language="th", status=TranslationStatus.PUBLISHED, **values):
    original = {name: getattr(case, name) for name in TRANSLATED_CASE_FIELDS}
    fields = {
        "title": "พร้อมเพย์",
        "summary": "ระบบชำระเงินแบบทันที",
        "overview": "ภาพรวมของโครงการ",
        "translated_by": "ทีมแปล",
        "reviewed_by": "ผู้ตรวจทาน",
        "status": status,
        "source_digest": text_digest(original),
    }
    return CaseTranslation.objects.create(case=case, language=language, **(fields | values))


def read(case, language):
    return CaseStudy.objects.published().with_text_in(language).get(pk=case.pk)


def test_a_reader_is_shown_the_published_translation_into_their_language():
    case = CaseStudyFactory()
    translate(case, "th")
    text = CaseText.of(read(case, "th"))
    assert text.is_translation
    assert text.title == "พร้อมเพย์"
    assert text.language == "th"
    assert text.original_language == "en"
    assert text.available == ("en", "th")
    assert text.translated_by == "ทีมแปล"
    assert not text.outdated


def test_without_a_translation_into_their_language_a_reader_is_shown_the_original():
    case = CaseStudyFactory()
    translate(case, "th")
    text = CaseText.of(read(case, "ja"))
    assert not text.is_translation
    assert text.title == case.title
    assert text.available == ("en", "th")


@pytest.mark.parametrize("status", [TranslationStatus.DRAFT, TranslationStatus.IN_REVIEW])
def test_an_unpublished_translation_is_never_shown_nor_counted(status):
    case = CaseStudyFactory()
    translate(case, "th", status=status)
    text = CaseText.of(read(case, "th"))
    assert text.title == case.title
    assert text.available == ("en",)


def test_the_shared_text_annotations_are_not_changed_by_the_queries_that_use_them():
    """with_text_in() annotates with expressions built once per language (text_annotations): every query
    resolves its own copy, so cases read in turn, in several languages, each get their own text."""
    first, second = CaseStudyFactory(), CaseStudyFactory()
    translate(first, "th", title="กรณีแรก")
    translate(second, "th", title="กรณีที่สอง")
    translate(second, "ja", title="二番目の事例")
    sql = str(CaseStudy.objects.with_text_in("th").query)
    for _round in range(2):
        assert CaseText.of(read(first, "th")).title == "กรณีแรก"
        assert CaseText.of(read(second, "th")).title == "กรณีที่สอง"
        assert CaseText.of(read(second, "ja")).title == "二番目の事例"
        assert CaseText.of(read(first, "ja")).title == first.title
        both = CaseStudy.objects.with_text_in("th").filter(pk__in=[first.pk, second.pk]).order_by("pk")
        assert [CaseText.of(case).title for case in both] == ["กรณีแรก", "กรณีที่สอง"]
    assert str(CaseStudy.objects.with_text_in("th").query) == sql


def test_the_original_can_be_asked_for():
    case = CaseStudyFactory()
    translate(case, "th")
    text = CaseText.of(read(case, "th"), original=True)
    assert text.title == case.title
    assert text.has_translation


def test_a_translation_is_marked_out_of_date_when_the_original_changes():
    case = CaseStudyFactory()
    translate(case, "th")
    case.overview = "A rewritten overview."
    case.save()
    assert CaseText.of(read(case, "th")).outdated
    # A change outside the text (the year) leaves it current.
    other = CaseStudyFactory()
    translate(other, "th")
    other.year_launched = 2001
    other.save()
    assert not CaseText.of(read(other, "th")).outdated


def test_a_translation_is_published_only_once_reviewed():
    case = CaseStudyFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        translate(case, "th", reviewed_by="")
    translate(case, "ja", reviewed_by="", status=TranslationStatus.DRAFT)  # a draft need not be


def test_one_translation_per_language():
    case = CaseStudyFactory()
    translate(case, "th")
    with pytest.raises(IntegrityError), transaction.atomic():
        translate(case, "th")


def test_a_translation_written_moves_its_case_page_on(client):
    """Its case's page is cached under the case's own stamp: a translation saved or deleted is seen."""
    case = CaseStudyFactory()
    client.get(f"/th/cases/{case.slug}/")
    translation = translate(case, "th")
    assert "พร้อมเพย์" in client.get(f"/th/cases/{case.slug}/").content.decode()
    translation.delete()
    assert "พร้อมเพย์" not in client.get(f"/th/cases/{case.slug}/").content.decode()


# --- Importing translations -----------------------------------------------------------------------------


def test_translations_import_all_or_nothing_and_idempotent():
    case = CaseStudyFactory()
    record = {
        "case": case.slug,
        "language": "ja",
        "title": "事例",
        "summary": "概要です。",
        "overview": "本文です。",
        "translated_by": "翻訳チーム",
        "reviewed_by": "レビュー担当",
        "status": "published",
    }
    with pytest.raises(TranslationsRejected) as rejected:
        case_translations_import(records=[record, {**record, "case": "no-such-case"}])
    assert (
        rejected.value.problems == [(2, "no such case: 'no-such-case'")] or rejected.value.problems[0][0] == 2
    )
    assert not CaseTranslation.objects.exists()
    assert case_translations_import(records=[record]) == {"created": 1, "updated": 0, "unchanged": 0}
    assert case_translations_import(records=[record]) == {"created": 0, "updated": 0, "unchanged": 1}
    assert case_translations_import(records=[{**record, "title": "新しい題"}])["updated"] == 1
    assert CaseTranslation.objects.get().title == "新しい題"


def test_translations_import_refuses_the_original_language_and_bad_values():
    case = CaseStudyFactory()
    base = {"case": case.slug, "title": "x", "summary": "y", "overview": "z", "translated_by": "t"}
    with pytest.raises(TranslationsRejected) as rejected:
        case_translations_import(
            records=[
                {**base, "language": "en"},
                {**base, "language": "klingon"},
                {**base, "language": "ja", "title": ""},
                {**base, "language": "th", "status": "published"},  # published, no reviewer
                {**base, "language": "ko", "summary": "pasted \x1b[31m in"},  # a control character
            ]
        )
    assert [row for row, _reason in rejected.value.problems] == [1, 2, 3, 4, 5]
    assert "control characters" in rejected.value.problems[4][1]
    assert not CaseTranslation.objects.exists()


def test_thesaurus_terms_may_be_separated_as_cjk_keyboards_type_them():
    from cases.models.thesaurus import split_terms

    assert split_terms("デジタル庁\uff0cデジタル・ガバメント\u3001電子政府\uff1be-government") == [
        "デジタル庁",
        "デジタル・ガバメント",
        "電子政府",
        "e-government",
    ]


# --- History and restore ------------------------------------------------------------------------------


def test_a_revision_keeps_the_translations_and_a_restore_brings_them_back(superuser):
    from cases.admin.revision_diff import describe_revisions
    from cases.curation.history import record_revision
    from cases.models import RevisionAction
    from cases.services import case_restore_revision

    case = CaseStudyFactory()
    translate(case, "th")
    first = record_revision(case=case, user=superuser, action=RevisionAction.CREATED)
    assert first.snapshot["translations"][0]["title"] == "พร้อมเพย์"

    translation = CaseTranslation.objects.get(case=case)
    translation.title = "ชื่อใหม่"
    translation.save()
    translate(case, "ja", title="新しい翻訳")
    second = record_revision(case=case, user=superuser, action=RevisionAction.CHANGED)
    assert "translations" in second.changes
    [(_revision, differences, _first)] = describe_revisions([second], superuser)
    assert "ชื่อใหม่" in " ".join(str(difference) for difference in differences)

    case_restore_revision(revision=first, user=superuser)
    assert list(CaseTranslation.objects.filter(case=case).values_list("language", "title")) == [
        ("th", "พร้อมเพย์")
    ]
    assert CaseText.of(read(case, "th")).title == "พร้อมเพย์"
    assert not CaseText.of(read(case, "th")).outdated


# --- The admin inline ---------------------------------------------------------------------------------


def test_the_admin_saves_a_translation_with_its_case_and_refuses_a_wrong_one(admin_client):
    from django.urls import reverse

    from tests.cases.admin.test_admin import form_data

    case = CaseStudyFactory(status="draft")
    url = reverse("admin:cases_casestudy_change", args=[case.pk])
    data = form_data(admin_client.get(url))
    new = {
        "language": "ja",
        "status": "draft",
        "translated_by": "翻訳チーム",
        "title": "事例",
        "summary": "要約",
    }
    new |= {"overview": "本文"}
    data |= {"translations-TOTAL_FORMS": "1"} | {f"translations-0-{k}": v for k, v in new.items()}

    # The case's own language, or text with a control character pasted in: refused, nothing saved.
    for wrong in ({"translations-0-language": "en"}, {"translations-0-summary": "bad \x07 bell"}):
        response = admin_client.post(url, data | wrong)
        assert response.status_code == 200
        assert not CaseTranslation.objects.exists()

    assert admin_client.post(url, data).status_code == 302
    translation = CaseTranslation.objects.get(case=case)
    assert translation.title == "事例"
    # Made from the original as it is now, pinned to the revision the save recorded.
    assert translation.source_revision == case.revisions.order_by("-created_at", "-id").first()
    assert not translation.is_outdated()


def test_an_import_rewrites_the_search_text_of_its_cases_together():
    """Each translation saved used to read its case's translations and text again for the search (a few
    queries per translation); an import reads them once for all its cases, at its end."""
    cases = CaseStudyFactory.create_batch(6)
    records = [
        {
            "case": case.slug,
            "language": "ja",
            "title": f"電子申請{number}",
            "summary": "オンラインで申請できる窓口",
            "overview": "本文です。",
            "translated_by": "翻訳チーム",
            "reviewed_by": "レビュー担当",
            "status": "published",
        }
        for number, case in enumerate(cases)
    ]
    with CaptureQueriesContext(connection) as queries:
        assert case_translations_import(records=records)["created"] == 6

    reads_of_their_translations = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith("SELECT") and '"cases_casetranslation"."case_id" IN' in query["sql"]
    ]
    assert len(reads_of_their_translations) == 1
    assert all("x0" in text for text in CaseStudy.objects.values_list("search_other_languages", flat=True))


def test_a_refused_import_leaves_the_search_text_as_it_was():
    case = CaseStudyFactory()
    good = {"case": case.slug, "language": "ja", "title": "事例", "summary": "概要", "translated_by": "t"}
    with pytest.raises(TranslationsRejected):
        case_translations_import(records=[good, {**good, "case": "no-such-case"}])

    assert CaseStudy.objects.get(pk=case.pk).search_other_languages == ""


def test_a_translation_declares_the_narrative_as_its_case_does():
    """One declaration (narrative_fields) for both: a section's label, type and whether it may be empty."""
    for name in (name for name, _label in NARRATIVE_SECTIONS):
        on_case = CaseStudy._meta.get_field(name).deconstruct()[1:]
        on_translation = CaseTranslation._meta.get_field(name).deconstruct()[1:]
        assert on_case == on_translation
    assert not CaseStudy._meta.get_field("overview").blank
    assert CaseTranslation._meta.get_field("lessons_learned").blank

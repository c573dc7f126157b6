"""Translations and the original language in the interchange format: exported with each case, imported
as the admin's inline saves them (docs/curation.md, "Translations"), in CSV, JSON and JSON Lines."""

import csv
import io
import json

import pytest
from django.core.management import call_command

from cases.admin.revision_diff import Names, describe_changes
from cases.curation.history import diff
from cases.interchange.formats import InterchangeError, read_cases, write_cases
from cases.interchange.importing import ImportRejected, import_case_file, import_case_records
from cases.models import CaseRevision, CaseStudy, CaseTranslation, RevisionAction, Status
from cases.models.translations import UNKNOWN_SOURCE, TranslationStatus
from cases.records import TRANSLATION_RECORD_KEYS, original_text_digest
from cases.search.engine import search_cases
from cases.services import case_restore_revision
from tests.cases.interchange.test_importing import economy_editor, record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def japanese(**overrides):
    values = {
        "language": "ja",
        "status": "published",
        "translated_by": "Tanaka Yui",
        "reviewed_by": "Sato Ken",
        "title": "移動診療所",
        "summary": "病院のない村に診療所が出向きます。",
        "overview": "診療所として整備したバスが、決まった時刻表で村を回ります。",
    }
    return {**values, **overrides}


def thai(**overrides):
    values = {
        "language": "th",
        "status": "draft",
        "translated_by": "Somchai Jaidee",
        "machine_translated": True,
        "title": "คลินิกเคลื่อนที่",
        "summary": "คลินิกเคลื่อนที่เข้าถึงหมู่บ้านที่ไม่มีโรงพยาบาล",
        "overview": "รถโดยสารที่ดัดแปลงเป็นคลินิกเดินทางไปยังหมู่บ้านห่างไกลตามตารางเวลา",
    }
    return {**values, **overrides}


def found(query) -> list[str]:
    return list(search_cases(CaseStudy.objects.published(), query).values_list("slug", flat=True))


def imported(*records, user=None):
    return import_case_records(list(records), user=user)


def rejection(*records, user=None) -> str:
    with pytest.raises(ImportRejected) as caught:
        import_case_records(list(records), user=user)
    return "; ".join(reason for _row, reason in caught.value.report.errors)


def exported(fmt="json") -> str:
    out = io.StringIO(newline="")
    write_cases(CaseStudy.objects.all(), out, fmt)
    return out.getvalue()


def translations(slug="mobile-clinics"):
    return {t.language: t for t in CaseTranslation.objects.filter(case__slug=slug)}


# --- Export --------------------------------------------------------------------------------------------


def test_export_writes_each_translation_after_the_case_with_its_state():
    imported(record(translations=[japanese(), thai()]))

    (exported_record,) = json.loads(exported())

    assert list(exported_record)[-2:] == ["original_language", "translations"]
    assert exported_record["original_language"] == "en"
    assert [list(t) for t in exported_record["translations"]] == [list(TRANSLATION_RECORD_KEYS)] * 2
    ja, th = exported_record["translations"]
    assert (ja["language"], ja["status"], ja["reviewed_by"]) == ("ja", "published", "Sato Ken")
    assert ja["made_from"] == original_text_digest(CaseStudy.objects.get())
    assert (th["language"], th["machine_translated"], th["what_is_innovative"]) == ("th", True, "")


def test_csv_export_holds_the_translations_as_json_in_their_cell():
    imported(record(translations=[japanese()]))

    (row,) = csv.DictReader(io.StringIO(exported("csv")))

    assert row["original_language"] == "en"
    assert json.loads(row["translations"])[0]["title"] == "移動診療所"


def test_a_translation_made_before_the_original_changed_is_exported_as_out_of_date():
    imported(record(translations=[japanese()]))
    CaseStudy.objects.filter(slug="mobile-clinics").update(title="Mobile clinics, second edition")

    (exported_record,) = json.loads(exported())

    assert exported_record["translations"][0]["made_from"] != original_text_digest(CaseStudy.objects.get())


def test_export_reads_the_translations_of_any_number_of_cases_in_a_fixed_number_of_queries(
    django_assert_max_num_queries,
):
    imported(*(record(f"case-{n}", translations=[japanese(), thai()]) for n in range(30)))
    with django_assert_max_num_queries(12):
        assert len(json.loads(exported())) == 30


# --- Import --------------------------------------------------------------------------------------------


def test_import_creates_translations_made_from_the_imported_original_and_pinned_to_its_revision():
    report = imported(record(translations=[japanese(), thai()]))

    assert report.created == 1
    case = CaseStudy.objects.get()
    revision = case.revisions.get()
    stored = translations()
    assert sorted(stored) == ["ja", "th"]
    for translation in stored.values():
        assert translation.source_digest == original_text_digest(case)
        assert translation.source_revision == revision
        assert not translation.is_outdated()
    assert stored["ja"].status == TranslationStatus.PUBLISHED
    assert stored["th"].machine_translated is True
    assert [t["language"] for t in revision.snapshot["translations"]] == ["ja", "th"]


def test_a_published_translation_is_searchable_and_a_draft_is_not():
    imported(record(status="published", translations=[japanese(), thai()]))

    text = CaseStudy.objects.get().search_other_languages
    assert text  # what the search index reads of the case's other languages
    assert found("移動診療所") == ["mobile-clinics"]
    assert found("คลินิกเคลื่อนที่") == []


def test_importing_the_same_translations_again_changes_nothing():
    imported(record(translations=[japanese(), thai()]))
    before = {t.language: (t.pk, t.updated_at, t.source_revision_id) for t in translations().values()}

    report = imported(record(translations=[thai(), japanese()]))  # the order in the file does not matter

    assert (report.unchanged, report.updated) == (1, 0)
    assert {t.language: (t.pk, t.updated_at, t.source_revision_id) for t in translations().values()} == before
    assert CaseRevision.objects.count() == 1


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_an_exported_file_imported_again_changes_nothing(fmt):
    imported(record(translations=[japanese(), thai(made_from=UNKNOWN_SOURCE)]))
    data = exported(fmt).encode()

    report = import_case_file(read_cases(data, fmt))

    assert (report.unchanged, report.updated, report.created) == (1, 0, 0)


def test_a_row_changing_the_original_leaves_its_unchanged_translations_out_of_date():
    """As an edit of the original in the admin does: a file edited in a spreadsheet, its translations
    cell left as exported, does not confirm the translations against the new text."""
    imported(record(translations=[japanese()]))
    (exported_record,) = json.loads(exported())

    exported_record["overview"] = "Buses fitted as clinics now also visit islands."
    report = imported(exported_record)

    assert report.updated == 1
    assert translations()["ja"].is_outdated()

    # The same file again (as a curator re-imports it) changes nothing, and confirms nothing.
    report = imported(exported_record)
    assert (report.unchanged, report.updated) == (1, 0)
    assert translations()["ja"].is_outdated()


def test_a_row_without_made_from_keeps_the_source_of_an_unchanged_translation():
    imported(record(translations=[japanese()]))
    CaseStudy.objects.filter(slug="mobile-clinics").update(summary="A new summary.")

    report = imported(record(summary="A new summary.", translations=[japanese()]))  # as hand-written

    assert report.unchanged == 1
    assert translations()["ja"].is_outdated()


def test_a_row_may_confirm_an_out_of_date_translation_or_mark_one_out_of_date():
    imported(record(translations=[japanese(), thai()]))
    CaseStudy.objects.filter(slug="mobile-clinics").update(summary="A new summary.")
    case = CaseStudy.objects.get()
    assert all(t.is_outdated(case) for t in translations().values())

    exported_record = json.loads(exported())[0]
    exported_record["translations"][0]["made_from"] = original_text_digest(case)  # ja: checked
    report = imported(exported_record)

    assert report.updated == 1
    stored = translations()
    assert not stored["ja"].is_outdated(case)
    assert stored["th"].is_outdated(case)
    assert stored["ja"].source_revision == case.revisions.order_by("-created_at", "-id").first()

    exported_record["translations"][0]["made_from"] = UNKNOWN_SOURCE  # and back
    imported(exported_record)
    assert translations()["ja"].is_outdated(case)


def test_a_new_translation_imported_as_out_of_date_stays_so_until_confirmed():
    imported(record(translations=[thai(made_from=UNKNOWN_SOURCE)]))

    translation = translations()["th"]
    assert translation.source_digest == UNKNOWN_SOURCE
    assert translation.is_outdated()


def test_a_translation_left_out_of_the_list_is_removed_and_no_key_keeps_them():
    imported(record(translations=[japanese(), thai()]))

    imported(record())  # no "translations" key
    assert sorted(translations()) == ["ja", "th"]

    report = imported(record(translations=[thai()]))
    assert report.updated == 1
    assert sorted(translations()) == ["th"]
    revision = CaseStudy.objects.get().revisions.order_by("-created_at", "-id").first()
    assert "translations" in revision.changes

    imported(record(translations=[]))
    assert translations() == {}


def test_a_changed_translation_keeps_its_row_and_the_state_the_file_gives():
    imported(record(translations=[japanese()]))
    before = translations()["ja"]
    CaseStudy.objects.filter(slug="mobile-clinics").update(title="Mobile clinics, second edition")
    exported_record = json.loads(exported())[0]
    second_edition = "\u79fb\u52d5\u8a3a\u7642\u6240\uff08\u7b2c2\u7248\uff09"  # 移動診療所 (第2版)

    exported_record["translations"][0]["title"] = second_edition  # made from the earlier original
    imported(exported_record)

    after = translations()["ja"]
    assert after.pk == before.pk
    assert after.title == second_edition
    assert after.is_outdated()

    exported_record["translations"][0]["title"] = "\u79fb\u52d5\u8a3a\u7642\u6240 2"
    exported_record["translations"][0]["made_from"] = ""  # changed, no source given: the original now
    imported(exported_record)
    assert not translations()["ja"].is_outdated()


def test_the_revision_history_names_the_translations_changed():
    imported(record(translations=[japanese()]))
    imported(record(translations=[japanese(title="移動クリニック"), thai()]))

    revision = CaseStudy.objects.get().revisions.order_by("-created_at", "-id").first()
    described = " ".join(
        str(change) for change in describe_changes(revision.changes, Names([revision.changes], None))
    )
    assert "移動クリニック" in described
    assert "th" in described or "ไทย" in described


def test_the_original_language_is_imported_and_exported():
    imported(record(original_language="th", translations=[japanese(), {**thai(), "language": "en"}]))

    case = CaseStudy.objects.get()
    assert case.original_language == "th"
    assert sorted(translations()) == ["en", "ja"]
    assert json.loads(exported())[0]["original_language"] == "th"


# --- Refused, with every problem named, and nothing written ----------------------------------------------


@pytest.mark.parametrize(
    ("translation", "expected"),
    [
        (japanese(language="xx"), 'translation 1: unknown language "xx"'),
        (japanese(language=None), "translation 1: unknown language null"),
        (japanese(language=["ja"]), 'translation 1: unknown language ["ja"]'),
        (japanese(language="en"), "translation 1: English (en) is the case's original language"),
        (japanese(status="published", reviewed_by=""), "names who reviewed it (reviewed_by)"),
        (japanese(status="live"), "translation 1 (ja): status: Value 'live' is not a valid choice."),
        (japanese(title=""), "translation 1 (ja): title: This field cannot be blank."),
        (japanese(overview=None), "translation 1 (ja): overview: This field cannot be blank."),
        (japanese(translated_by=""), "translated_by: This field cannot be blank."),
        (japanese(title="x" * 201), "title: Ensure this value has at most 200 characters"),
        (japanese(summary="pasted\x07bell"), "translation 1 (ja): summary:"),
        (japanese(machine_translated="maybe"), "translation 1: machine_translated must be true or false"),
        (japanese(made_from="abc"), "translation 1: made_from must be the digest an export wrote"),
        (japanese(made_from=True), "translation 1: made_from must be text"),
        (japanese(title=["a", "list"]), "translation 1: title must be text"),
        ({**japanese(), "titel": "x"}, "translation 1: unknown field 'titel' (did you mean 'title'?)"),
        ("ja", "translation 1: must be an object"),
    ],
)
def test_a_bad_translation_is_refused_with_a_clear_message(translation, expected):
    message = rejection(record(translations=[translation]))

    assert expected in message
    assert not CaseStudy.objects.exists()
    assert not CaseTranslation.objects.exists()


def test_two_translations_into_one_language_are_refused():
    message = rejection(record(translations=[japanese(), japanese(status="draft")]))

    assert "translation 2: repeats the 日本語 (ja) of translation 1" in message


def test_translations_must_be_a_list():
    assert "translations must be a list" in rejection(record(translations={"ja": japanese()}))


def test_a_bad_translation_in_one_row_writes_nothing_for_any_row():
    imported(record("kept", translations=[japanese()]))

    rejection(
        record("kept", translations=[japanese(title="変更")]),
        record("other", translations=[japanese(language="xx")]),
    )

    assert translations("kept")["ja"].title == "移動診療所"
    assert not CaseStudy.objects.filter(slug="other").exists()


def test_a_row_may_not_make_the_language_of_a_translation_the_original_one():
    imported(record(translations=[thai()]))

    message = rejection(record(original_language="th"))

    assert "has a translation into ไทย (th), the original language this row gives" in message
    imported(record(original_language="th", translations=[]))
    assert CaseStudy.objects.get().original_language == "th"


def test_an_unknown_original_language_is_refused():
    assert "original_language: Value 'klingon' is not a valid choice." in rejection(
        record(original_language="klingon")
    )


# --- Permissions: the workflow's, as for the case's own status --------------------------------------------


def test_an_editor_without_the_permission_to_publish_may_import_draft_translations():
    editor = economy_editor("TH")

    report = imported(
        record(status="draft", translations=[japanese(status="in_review"), thai()]), user=editor
    )

    assert report.created == 1
    assert sorted(translations()) == ["ja", "th"]


def test_an_editor_without_the_permission_to_publish_may_not_publish_a_translation():
    editor = economy_editor("TH")
    imported(record(status="draft", translations=[japanese(status="draft")]))

    with pytest.raises(ImportRejected) as caught:
        imported(record(status="draft", translations=[japanese(status="published")]), user=editor)

    assert caught.value.report.forbidden
    assert (
        "translation: changing the status from draft to published needs the permission to publish"
        in (caught.value.report.errors[0][1])
    )
    assert translations()["ja"].status == TranslationStatus.DRAFT


def test_an_editor_without_the_permission_to_publish_may_not_remove_a_published_translation():
    editor = economy_editor("TH")
    imported(record(status="draft", translations=[japanese()]))

    with pytest.raises(ImportRejected) as caught:
        imported(record(status="draft", translations=[]), user=editor)

    assert caught.value.report.forbidden
    assert sorted(translations()) == ["ja"]


# --- JSON Lines ------------------------------------------------------------------------------------------


def test_json_lines_reads_one_case_per_line_and_names_bad_lines_by_number():
    good = json.dumps(record("good"), ensure_ascii=False)
    data = f"{good}\n\n{{not json\n[1, 2]\n".encode()

    parsed = read_cases(data, "jsonl")

    assert parsed.row_label == "line"
    assert parsed.row_numbers == [1, 3, 4]
    assert parsed.errors[1] == [
        "not valid JSON: Expecting property name enclosed in double quotes (column 2)"
    ]
    with pytest.raises(ImportRejected) as caught:
        import_case_file(parsed)
    errors = dict(caught.value.report.errors)
    assert sorted(errors) == [3, 4]
    assert errors[4] == "not an object"
    assert not CaseStudy.objects.exists()


def test_json_lines_keeps_unicode_line_separators_inside_a_text():
    text = "First\u2028second\u2029third\x85fourth"
    data = (json.dumps(record(lessons_learned=text), ensure_ascii=False) + "\r\n").encode()

    import_case_file(read_cases(data, "jsonl"))

    assert CaseStudy.objects.get().lessons_learned == text
    assert exported("jsonl").count("\n") == 1


def test_export_and_import_commands_take_json_lines_by_its_extension(tmp_path):
    imported(record(translations=[japanese()]))
    path = tmp_path / "cases.jsonl"

    call_command("export_cases", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["translations"][0]["language"] == "ja"

    CaseStudy.objects.all().delete()
    out = io.StringIO()
    call_command("import_cases", str(path), stdout=out, stderr=io.StringIO())
    assert "1 created" in out.getvalue()
    assert sorted(translations()) == ["ja"]


# --- Revisions: a field the snapshot gained since is not a change ----------------------------------------


def test_a_key_an_older_snapshot_lacks_is_not_recorded_as_a_change():
    older = {"title": "A", "summary": "S"}
    newer = {"title": "A", "summary": "S", "original_language": "en", "translations": []}

    assert diff(older, newer) == {}
    assert diff({}, newer) == {key: [None, value] for key, value in newer.items()}
    assert diff(newer, older) == {"original_language": ["en", None], "translations": [[], None]}


def test_restoring_a_version_from_before_the_original_language_was_kept_leaves_it_as_it_is():
    superuser = UserFactory(is_superuser=True, is_staff=True)
    imported(record(original_language="th", status=Status.DRAFT))
    case = CaseStudy.objects.get()
    revision = case.revisions.get()
    snapshot = {k: v for k, v in revision.snapshot.items() if k not in ("original_language", "translations")}
    CaseRevision.objects.filter(pk=revision.pk).update(snapshot=snapshot)
    revision.refresh_from_db()

    case_restore_revision(revision=revision, user=superuser)

    case.refresh_from_db()
    assert case.original_language == "th"
    assert case.revisions.filter(action=RevisionAction.RESTORED).exists()


def test_an_empty_original_language_keeps_the_cases():
    imported(record(original_language="th"))

    imported(record(original_language=""))
    assert CaseStudy.objects.get().original_language == "th"
    imported(record("new-case", original_language=None))
    assert CaseStudy.objects.get(slug="new-case").original_language == "en"


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_a_number_too_long_to_read_is_a_clear_error_not_a_crash(fmt):
    huge = "9" * 5000
    if fmt == "json":
        data = f'[{{"slug": "a", "year_launched": {huge}}}]'.encode()
        with pytest.raises(InterchangeError, match="Not valid case records"):
            read_cases(data, fmt)
        return
    if fmt == "jsonl":
        parsed = read_cases(f'{{"slug": "a", "year_launched": {huge}}}\n'.encode(), fmt)
    else:
        header = ",".join(["slug", "title", "summary", "overview", "lead_organisation", "economy", "level"])
        header += ",sectors,stage,outcomes"
        parsed = read_cases(
            f'{header}\r\na,t,s,o,l,TH,national,health,implementation,"[{huge}]"\r\n'.encode(), fmt
        )
    assert "not readable" in " ".join(parsed.errors[0])

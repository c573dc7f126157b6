"""A case's translations on the public pages (issue 16): the case page, the cards, the feed; the pages read
no more queries for them, whatever the number of cases or translations."""

import pytest

from cases.models import CaseTranslation, TranslationStatus
from cases.models.translations import TRANSLATED_CASE_FIELDS, text_digest
from tests.conftest import MAX_QUERIES
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db


def translate(case, language, title, status=TranslationStatus.PUBLISHED, **values):
    original = text_digest({name: getattr(case, name) for name in TRANSLATED_CASE_FIELDS})
    fields = {
        "title": title,
        "summary": f"{title} (summary)",
        "overview": f"{title} (overview)",
        "translated_by": "team",
        "reviewed_by": "reviewer",
        "status": status,
        "source_digest": original,
    }
    return CaseTranslation.objects.create(case=case, language=language, **(fields | values))


def test_the_case_page_shows_the_translation_and_the_way_to_the_original(client):
    case = CaseStudyFactory()
    translate(case, "th", "โครงการนำร่อง", machine_translated=True)
    page = client.get(f"/th/cases/{case.slug}/").content.decode()
    assert "<h1>โครงการนำร่อง</h1>" in page
    assert 'href="?text=original"' in page
    assert "team" in page
    assert "reviewer" in page
    original = client.get(f"/th/cases/{case.slug}/", {"text": "original"}).content.decode()
    assert f'<h1 lang="en" dir="ltr">{case.title}</h1>' in original
    assert f'href="/th/cases/{case.slug}/"' in original  # back to the translation


def test_an_outdated_translation_warns_its_readers(client):
    case = CaseStudyFactory()
    translate(case, "ja", "遠隔医療")
    assert "language-note__warning" not in client.get(f"/ja/cases/{case.slug}/").content.decode()
    case.overview = "A new overview."
    case.save()
    assert "language-note__warning" in client.get(f"/ja/cases/{case.slug}/").content.decode()


def test_a_draft_translation_is_never_shown(client):
    case = CaseStudyFactory()
    translate(case, "th", "ร่างที่ยังไม่เผยแพร่", status=TranslationStatus.DRAFT, reviewed_by="")
    for path in (f"/th/cases/{case.slug}/", "/th/cases/", "/th/feeds/cases/", "/th/"):
        assert "ร่างที่ยังไม่เผยแพร่" not in client.get(path).content.decode(), path
    api = client.get(f"/api/v1/cases/{case.slug}/", {"lang": "all"}).json()
    assert api["translations"] == []
    assert api["available_languages"] == ["en"]


def test_cards_and_the_feed_are_in_the_readers_language(client):
    case = CaseStudyFactory()
    translate(case, "ko", "원격 의료 시범 사업")
    assert "원격 의료 시범 사업" in client.get("/ko/cases/").content.decode()
    assert "원격 의료 시범 사업" in client.get("/ko/").content.decode()
    feed = client.get("/ko/feeds/cases/").content.decode()
    assert 'xml:lang="ko"' in feed
    assert "<title>원격 의료 시범 사업</title>" in feed
    assert "원격 의료 시범 사업" not in client.get("/cases/").content.decode()


def test_translations_add_no_query_to_a_case_page_or_a_list(
    client, after_a_write, django_assert_max_num_queries
):
    cases = [CaseStudyFactory() for _ in range(3)]
    for case in cases:
        for language in ("th", "ja", "ko"):
            translate(case, language, f"{language} {case.slug}")
    after_a_write()
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(f"/th/cases/{cases[0].slug}/").status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get("/th/cases/").status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get("/api/v1/cases/", {"lang": "th"}).status_code == 200
    # Every translation of each case, for harvesters: one query more for the page, however many cases.
    after_a_write()
    with django_assert_max_num_queries(MAX_QUERIES) as few:
        assert client.get("/api/v1/cases/", {"lang": "all"}).status_code == 200
    for case in [CaseStudyFactory() for _ in range(5)]:
        translate(case, "vi", f"vi {case.slug}")
    after_a_write()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/api/v1/cases/", {"lang": "all"}).status_code == 200

"""The language of an answer: in a page's address (/ja/...), negotiated for the admin and the API
(cases/web/languages.py, cases/middleware.py AddressLocaleMiddleware), and the vocabularies' names in it."""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from cases.models import SDG, Economy, Sector, Theme
from cases.web.languages import address_in_language, address_without_language, language_from_address
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db

SHIPPED = [code for code, _name in settings.LANGUAGES]


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


@pytest.fixture
def health_in_japanese():
    """The health sector named in Japanese and Thai, as the reference translations or a curator would."""
    sector = Sector.objects.get(slug="health")
    sector.translations = {
        "ja": {"name": "保健医療", "description": "病院と公衆衛生。"},
        "th": {"name": "สาธารณสุข"},
    }
    sector.save()
    return sector


# --- Addresses ----------------------------------------------------------------------------------------


def test_the_interface_ships_english_and_the_apo_languages():
    assert SHIPPED[0] == "en"
    assert {"ja", "zh-hant", "ko", "id", "th", "vi"} <= set(SHIPPED)


@pytest.mark.parametrize(
    ("path", "language", "neutral"),
    [
        ("/ja/cases/x/", "ja", "/cases/x/"),
        ("/zh-hant/", "zh-hant", "/"),
        ("/cases/", None, "/cases/"),
        ("/en/cases/", None, "/en/cases/"),  # English has no prefix: /en/ is not a language
        ("/japan/", None, "/japan/"),
        ("/fr/cases/", None, "/fr/cases/"),
    ],
)
def test_the_language_of_an_address(path, language, neutral):
    assert language_from_address(path) == language
    assert address_without_language(path) == neutral


def test_the_same_page_in_another_language():
    assert address_in_language("/ja/cases/x/", "th") == "/th/cases/x/"
    assert address_in_language("/ja/cases/x/", "en") == "/cases/x/"
    assert address_in_language("/cases/", "ko") == "/ko/cases/"


@pytest.mark.parametrize("language", SHIPPED)
def test_every_page_answers_in_the_language_of_its_address(client, language):
    case = CaseStudyFactory()
    prefix = "" if language == "en" else f"/{language}"
    for path in ("/", "/cases/", f"/cases/{case.slug}/", "/economies/", "/themes/", "/stats/", "/submit/"):
        response = client.get(prefix + path)
        assert response.status_code == 200, path
        assert html_lang(response) == language
        assert response["Content-Language"] == language


def test_links_on_a_page_stay_in_its_language(client):
    case = CaseStudyFactory()
    page = client.get("/ja/cases/").content.decode()
    assert f'href="/ja/cases/{case.slug}/"' in page
    assert 'href="/ja/economies/"' in page
    assert 'href="/ja/submit/"' in page
    with translation.override("ja"):
        assert reverse("cases:casestudy_detail", kwargs={"slug": case.slug}) == f"/ja/cases/{case.slug}/"


def test_an_english_address_stays_english_whatever_the_browser_prefers(client):
    """One address, one language: what a reader shares, a cache stores and a search engine indexes."""
    response = client.get("/cases/", headers={"accept-language": "ja,en;q=0.5"})
    assert html_lang(response) == "en"
    assert "Accept-Language" not in response.get("Vary", "")


def test_a_language_the_site_does_not_ship_is_not_found(client):
    assert client.get("/fr/cases/").status_code == 404
    assert client.get("/en/cases/").status_code == 404


def test_machine_read_files_have_one_address(client):
    for path in ("/robots.txt", "/sitemap.xml", "/healthz/", "/.well-known/security.txt"):
        assert client.get(path).status_code == 200, path
        assert client.get(f"/ja{path}").status_code == 404, path


# --- The switcher and the alternates ------------------------------------------------------------------


def test_the_switcher_keeps_the_page_and_its_filters(client):
    response = client.get("/th/cases/?sector=health&q=clinic&page=1")
    page = response.content.decode()
    switcher = page[page.index('class="language-switcher"') : page.index("</details>")]
    for code in SHIPPED:
        prefix = "" if code == "en" else f"/{code}"
        link = f'href="{prefix}/cases/?sector=health&amp;q=clinic&amp;page=1"'
        assert link in switcher, code
        # Each language named in itself, marked with its own language for screen readers (WCAG 3.1.2).
        assert f'hreflang="{code}" lang="{code}"' in switcher
    assert 'lang="th" aria-current="true"' in switcher
    assert "ไทย" in switcher
    assert "日本語" in switcher
    assert "한국어" in switcher


def test_every_page_lists_its_language_versions_for_search_engines(client):
    case = CaseStudyFactory()
    page = client.get(f"/ko/cases/{case.slug}/").content.decode()
    alternates = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', page))
    assert set(alternates) == {*SHIPPED, "x-default"}
    assert alternates["en"] == alternates["x-default"] == f"http://testserver/cases/{case.slug}/"
    assert alternates["ja"] == f"http://testserver/ja/cases/{case.slug}/"
    # The canonical address of a language version is its own.
    assert f'<link rel="canonical" href="http://testserver/ko/cases/{case.slug}/">' in page


# --- The page cache -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/cases/", "/themes/"])
def test_a_cached_page_is_never_served_in_another_language(client, path, health_in_japanese):
    CaseStudyFactory()
    english = client.get(path)
    assert client.get(path)["X-Page-Cache"] == "hit"
    japanese = client.get(f"/ja{path}")
    assert japanese.get("X-Page-Cache") != "hit"
    assert html_lang(english) == "en"
    assert html_lang(japanese) == "ja"
    assert html_lang(client.get(f"/ja{path}")) == "ja"
    assert html_lang(client.get(path)) == "en"


def test_a_cached_case_page_is_never_served_in_another_language(client):
    case = CaseStudyFactory()
    client.get(f"/cases/{case.slug}/")
    assert client.get(f"/cases/{case.slug}/")["X-Page-Cache"] == "hit"
    assert html_lang(client.get(f"/vi/cases/{case.slug}/")) == "vi"
    assert html_lang(client.get(f"/vi/cases/{case.slug}/")) == "vi"


def test_pages_left_out_of_the_page_cache_are_left_out_in_every_language(client):
    """The submission form sets its own cookie, privacy has its own Cache-Control: never page-cached."""
    for path in ("/ja/submit/", "/ja/privacy/"):
        client.get(path)
        assert client.get(path).get("X-Page-Cache") != "hit", path


# --- The API ------------------------------------------------------------------------------------------


def test_the_api_answers_in_the_language_asked_for(client, health_in_japanese):
    CaseStudyFactory()
    response = client.get("/api/v1/sectors/health/?lang=ja")
    assert response.status_code == 200
    assert response["Content-Language"] == "ja"
    assert response.json()["name"] == "保健医療"
    assert response.json()["description"] == "病院と公衆衛生。"
    case = client.get("/api/v1/cases/?lang=ja").json()["results"][0]
    assert {"slug": "health", "name": "保健医療"} in case["sectors"]


def test_the_api_reads_accept_language_when_lang_is_absent(client, health_in_japanese):
    response = client.get("/api/v1/sectors/health/", headers={"accept-language": "th-TH,th;q=0.9,en;q=0.5"})
    assert response["Content-Language"] == "th"
    assert response.json()["name"] == "สาธารณสุข"
    assert "Accept-Language" in response["Vary"]
    # ?lang= wins over the header; a language with no translation of a term falls back to its English.
    response = client.get("/api/v1/sectors/health/?lang=ko", headers={"accept-language": "th"})
    assert response["Content-Language"] == "ko"
    assert response.json()["name"] == "Health"


def test_the_api_writes_language_codes_as_people_do(client, health_in_japanese):
    assert client.get("/api/v1/sectors/health/?lang=JA").json()["name"] == "保健医療"
    response = client.get("/api/v1/sectors/", headers={"accept-language": "zh-TW"})
    assert response["Content-Language"] == "zh-hant"


def test_an_unknown_language_is_refused_with_the_list_of_languages(client):
    response = client.get("/api/v1/sectors/?lang=klingon")
    assert response.status_code == 400
    problem = response.json()
    assert "lang" in problem["errors"]
    assert "zh-hant" in problem["errors"]["lang"][0]


def test_cached_api_answers_are_kept_apart_by_language(client, health_in_japanese):
    for _ in range(2):
        assert client.get("/api/v1/sectors/health/").json()["name"] == "Health"
        assert client.get("/api/v1/sectors/health/?lang=ja").json()["name"] == "保健医療"
        assert (
            client.get("/api/v1/sectors/health/", headers={"accept-language": "ja"}).json()["name"]
            == "保健医療"
        )


def test_statistics_labels_follow_the_language_whatever_language_computed_them(client, health_in_japanese):
    """The statistics are cached once for every language: their labels are put in per request."""
    CaseStudyFactory(stage="implementation")
    for _ in range(2):
        japanese = client.get("/api/v1/stats/?lang=ja").json()
        english = client.get("/api/v1/stats/").json()
        assert japanese["by_sector"][0]["label"] == "保健医療"
        assert english["by_sector"][0]["label"] == "Health"
        assert english["by_stage"][0]["label"] == "Implementation"
        assert japanese["by_year_sector"][0]["label"] == "保健医療"


# --- Vocabularies in the reader's language ------------------------------------------------------------


def test_pages_show_the_vocabularies_in_the_readers_language(client, health_in_japanese):
    case = CaseStudyFactory()
    for path in ("/ja/cases/", f"/ja/cases/{case.slug}/", "/ja/sectors/", "/ja/sectors/health/", "/ja/"):
        page = client.get(path).content.decode()
        assert "保健医療" in page, path
    english = client.get("/sectors/").content.decode()
    assert "保健医療" not in english
    assert "Health" in english


def test_a_term_without_a_translation_shows_its_english():
    theme = Theme.objects.first()
    theme.translations = {}
    with translation.override("ja"):
        assert theme.label == theme.name
    theme.translations = {"ja": {"name": ""}}
    with translation.override("ja"):
        assert theme.label == theme.name


def test_the_reference_translations_are_loaded_for_every_vocabulary():
    """The data migration (and load_demo) fill each term's translations from
    cases/fixtures/reference/translations/<code>.json."""
    from cases.interchange.reference_data import read_translations

    files = read_translations()
    assert set(files) == set(SHIPPED) - {"en"}
    economy = Economy.objects.get(iso2="JP")
    for language, sections in files.items():
        assert economy.translations[language]["name"] == sections["economies"]["japan"]["name"]
        assert (
            Sector.objects.get(slug="health").translations[language]["name"]
            == sections["sectors"]["health"]["name"]
        )
        assert SDG.objects.get(number=3).translations[language]["name"] == sections["sdgs"]["3"]["name"]
        assert economy.translations[language]["subregion_name"] == sections["subregions"]["Eastern Asia"]


def test_curators_edit_translations_beside_the_english(admin_client):
    theme = Theme.objects.get(slug="digital-government")
    url = reverse("admin:cases_theme_change", args=[theme.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="name__ja"' in page
    assert 'lang="ja"' in page
    form = {
        "name": theme.name,
        "slug": theme.slug,
        "description": theme.description,
        "position": theme.position,
    }
    form |= {"name__ja": " デジタル・ガバメント ", "description__th": "บริการภาครัฐบนช่องทางดิจิทัล"}
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    theme.refresh_from_db()
    assert theme.translations == {
        "ja": {"name": "デジタル・ガバメント"},
        "th": {"description": "บริการภาครัฐบนช่องทางดิจิทัล"},
    }
    with translation.override("ja"):
        assert theme.label == "デジタル・ガバメント"


@pytest.mark.parametrize(
    ("language", "grouped"),
    [
        ("en", "12,345"),
        ("id", "12.345"),
        ("vi", "12.345"),
        ("ja", "12,345"),
        ("th", "12,345"),
        ("zh-hant", "12,345"),
    ],
)
def test_counts_in_running_text_are_grouped_as_the_language_writes_them(language, grouped):
    from django.template.loader import render_to_string

    with translation.override(language):
        link = render_to_string("includes/chart_library_link.html", {"count": 12345, "library_query": ""})
        timeline = render_to_string(
            "includes/chart_timeline.html", {"undated_count": 12345, "count": 1, "library_query": ""}
        )

    assert grouped in link
    assert grouped in timeline
    assert "12345" not in link + timeline


def test_an_api_answer_in_another_language_has_another_etag(client, health_in_japanese):
    """The same address chosen by Accept-Language in two languages: a client (or a cache) holding the
    English answer's ETag gets the Japanese answer, not a 304."""
    english = client.get("/api/v1/sectors/", headers={"accept-language": "en"})
    japanese = client.get(
        "/api/v1/sectors/", headers={"accept-language": "ja", "if-none-match": english["ETag"]}
    )

    assert japanese.status_code == 200
    assert japanese["ETag"] != english["ETag"]
    assert japanese["Content-Language"] == "ja"

"""/about/ (cases/site/pages.py, templates/pages/about.html): what the Observatory is, who publishes it and
for whom, the curation policy, how to cite, the licence and where to write; in every language, linked from
every page's footer and from the home page, in the sitemap, and cached like the other fixed pages."""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from cases.interchange.dumps import LICENCE
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db

LANGUAGES = [code for code, _name in settings.LANGUAGES]
# The page's sections, by the id of their heading: the contents the issue asked for (issue 19).
SECTIONS = ["for-whom", "who-runs-it", "curation", "cite", "licence", "contact"]


def about_address(language: str) -> str:
    with translation.override(language):
        return reverse("cases:about")


def test_about_page_is_served_at_its_address(client):
    assert reverse("cases:about") == "/about/"
    response = client.get("/about/")
    assert response.status_code == 200
    assert '<h1 id="about-heading">About the Observatory</h1>' in response.content.decode()


@pytest.mark.parametrize("language", LANGUAGES)
def test_about_page_is_served_in_every_language_with_its_sections(client, language):
    address = about_address(language)
    assert address == ("/about/" if language == "en" else f"/{language}/about/")

    response = client.get(address)

    text = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{language}"' in text
    assert text.count("<h1") == 1
    for section in SECTIONS:
        assert f'<h2 id="{section}">' in text


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_about_page_headings_are_translated(client, language):
    english = client.get("/about/").content.decode()
    translated = client.get(about_address(language)).content.decode()

    def headings(text):
        return re.findall(r"<h[12][^>]*>([^<]+)</h[12]>", text)

    assert len(headings(translated)) == len(headings(english)) == 1 + len(SECTIONS)
    assert set(headings(translated)).isdisjoint(headings(english))


def test_about_page_names_the_apo_and_opsi(client):
    text = client.get("/about/").content.decode()
    assert "Asian Productivity Organization" in text
    assert "1961" in text
    assert "Observatory of Public Sector Innovation" in text
    assert "(OPSI) of the OECD" in text


def test_about_page_names_the_publisher_from_settings(client, settings):
    settings.OPEN_DATA_PUBLISHER = "Example Productivity Council"
    assert "published by Example Productivity Council" in client.get("/about/").content.decode()


def test_about_page_gives_the_contact_address_from_settings(client, settings):
    settings.CONTACT_EMAIL = "observatory@example.gov"
    assert 'href="mailto:observatory@example.gov"' in client.get("/about/").content.decode()


def test_about_page_states_the_licence_of_the_open_data(client):
    text = client.get("/about/").content.decode()
    assert f'<a href="{LICENCE["path"]}">{LICENCE["title"]}</a>' in text


def test_about_page_shows_how_to_cite_a_case_and_the_catalogue(client, settings):
    settings.OBSERVATORY_SITE_NAME = "The Example Observatory"
    text = client.get("/about/").content.decode()
    assert "Cite this case" in text
    assert "The Example Observatory" in text
    assert 'href="/data/#cite"' in text


def test_about_page_links_to_submission_open_data_privacy_and_accessibility(client):
    text = client.get("/about/").content.decode()
    for address in ("/submit/", "/data/", "/privacy/", "/accessibility/", "/api/docs/"):
        assert f'href="{address}' in text


def test_translated_about_page_links_within_its_language(client):
    text = client.get("/ja/about/").content.decode()
    assert 'href="/ja/submit/"' in text
    assert 'href="/ja/data/#cite"' in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_footer_links_to_about_in_its_language(client, language):
    with translation.override(language):
        home = reverse("cases:home")
    text = client.get(home).content.decode()
    assert f'href="{about_address(language)}"' in text


def test_home_page_says_what_the_observatory_is_and_links_to_about(client):
    text = client.get("/").content.decode()
    hero = text[text.index('class="hero"') : text.index("</section>")]
    assert "editorial team" in hero
    assert 'href="/about/"' in hero


def test_about_page_needs_no_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/about/").status_code == 200


def test_about_page_may_be_cached_by_browsers_and_proxies(client):
    cache_control = client.get("/about/")["Cache-Control"]
    assert "public" in cache_control
    assert "max-age=3600" in cache_control


def test_about_page_is_left_to_its_own_cache_headers_like_the_other_fixed_pages(client, settings):
    # Fixed text, never the catalogue: not stored under the catalogue version (cases/middleware.py), whose
    # reading would be its only query.
    settings.CATALOGUE_VERSION_TTL = 60
    client.get("/ja/about/")
    assert "X-Page-Cache" not in client.get("/ja/about/")


def test_about_page_sets_no_cookies(client):
    assert dict(client.get("/about/").cookies) == {}


def test_sitemap_lists_about_in_every_language(client):
    CaseStudyFactory()
    text = client.get("/sitemap.xml").content.decode()
    for language in LANGUAGES:
        assert f"<loc>http://testserver{about_address(language)}</loc>" in text

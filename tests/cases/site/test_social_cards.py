"""How a page looks when it is shared (base.html, cases/templatetags/page_meta.py): Open Graph and Twitter
card tags on every page, with the page's own title and description, a case's title and economy, and absolute
addresses built from the request's scheme and host, never from a host written into settings. And the
icons browsers and platforms ask for (static/img/, drawn by docs/img/draw_site_images.py)."""

import html
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template import Context, Template
from django.test import RequestFactory
from PIL import Image

from cases.models import Economy, Sector
from tests.factories import CaseStudyFactory, reference

pytestmark = pytest.mark.django_db

CARD = "/static/img/social-card.png"


def meta(text: str, key: str) -> str:
    """The content of <meta property|name="key">, unescaped; fails when the page has none or several."""
    found = re.findall(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)">', text)
    assert len(found) == 1, f"{key}: {found}"
    return html.unescape(found[0])


def test_home_page_has_a_large_social_card_with_absolute_addresses(client):
    text = client.get("/").content.decode()
    assert meta(text, "og:type") == "website"
    assert meta(text, "og:site_name") == "The Observatory"
    assert meta(text, "og:title") == "The Observatory"
    assert meta(text, "og:description").startswith("Who has already solved a problem like mine")
    assert meta(text, "og:url") == "http://testserver/"
    assert meta(text, "og:image") == f"http://testserver{CARD}"
    assert (meta(text, "og:image:width"), meta(text, "og:image:height")) == ("1200", "630")
    assert meta(text, "og:image:alt").startswith("The Observatory: public-sector innovation case studies")
    assert meta(text, "twitter:card") == "summary_large_image"


def test_case_shared_shows_its_title_and_its_economy(client):
    case = CaseStudyFactory(
        slug="text-message-flood-warnings",
        title="Flood warnings by text message",
        summary="Warnings reach every phone in the district.",
        economy=reference(Economy, iso2="TH"),
    )
    text = client.get(case.get_absolute_url()).content.decode()
    assert meta(text, "og:type") == "article"
    assert meta(text, "og:title") == "Flood warnings by text message"
    assert meta(text, "og:description") == "Thailand · Warnings reach every phone in the district."
    assert meta(text, "og:url") == "http://testserver/cases/text-message-flood-warnings/"
    assert meta(text, "og:image") == f"http://testserver{CARD}"
    assert meta(text, "twitter:card") == "summary_large_image"


def test_translated_case_page_shares_the_economy_in_the_page_language(client):
    CaseStudyFactory(slug="my-number-card", economy=reference(Economy, iso2="JP"))
    text = client.get("/ja/cases/my-number-card/").content.decode()
    assert meta(text, "og:description").startswith("日本 · ")
    assert meta(text, "og:url") == "http://testserver/ja/cases/my-number-card/"


def test_library_page_shares_its_own_title_and_address(client):
    CaseStudyFactory(sectors=[reference(Sector, slug="health")])
    text = client.get("/cases/?sector=health").content.decode()
    title = re.search(r"<title>(.*?) · ", text, re.S).group(1)
    assert meta(text, "og:title") == html.unescape(" ".join(title.split()))
    assert meta(text, "og:url") == "http://testserver/cases/?sector=health"
    assert meta(text, "og:image") == f"http://testserver{CARD}"
    assert meta(text, "twitter:card") == "summary_large_image"


def test_about_page_shares_its_title_and_description(client):
    text = client.get("/ja/about/").content.decode()
    assert meta(text, "og:title") == "オブザーバトリーについて"
    assert meta(text, "og:description").startswith("オブザーバトリーの概要")
    assert meta(text, "og:url") == "http://testserver/ja/about/"


def test_absolute_addresses_follow_the_request_host_and_scheme(client):
    response = client.get("/about/", headers={"host": "localhost"}, secure=True)
    text = response.content.decode()
    assert meta(text, "og:image") == f"https://localhost{CARD}"
    assert meta(text, "og:url") == "https://localhost/about/"
    assert "testserver" not in text


def test_a_page_cached_for_one_host_is_not_served_to_another(client, settings):
    settings.CATALOGUE_VERSION_TTL = 60
    client.get("/")
    assert client.get("/")["X-Page-Cache"] == "hit"
    text = client.get("/", headers={"host": "localhost"}).content.decode()
    assert meta(text, "og:image") == f"http://localhost{CARD}"


def test_a_page_for_an_address_that_never_resolved_has_no_card(client):
    text = client.get("/no-such-page/").content.decode()
    assert "og:image" not in text


def test_absolute_url_keeps_an_address_already_absolute():
    # A static storage on a CDN (django-storages) gives absolute addresses: kept as they are.
    request = RequestFactory().get("/")
    request.resolver_match = object()
    template = Template("{% load page_meta %}{% absolute_url location %}")
    rendered = template.render(Context({"request": request, "location": "https://cdn.example/card.png"}))
    assert rendered == "https://cdn.example/card.png"


# --- Icons ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "size"),
    [("social-card.png", (1200, 630)), ("apple-touch-icon.png", (180, 180)), ("favicon-32.png", (32, 32))],
)
def test_raster_images_have_the_sizes_platforms_expect(name, size):
    with Image.open(finders.find(f"img/{name}")) as image:
        assert image.format == "PNG"
        assert image.size == size


def test_favicon_ico_holds_the_usual_sizes():
    with Image.open(finders.find("img/favicon.ico")) as image:
        assert image.format == "ICO"
        assert {(16, 16), (32, 32), (48, 48)} <= image.info["sizes"]


def test_every_page_links_its_icons(client):
    text = client.get("/").content.decode()
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in text
    assert '<link rel="icon" href="/static/img/favicon-32.png" type="image/png" sizes="32x32">' in text
    assert '<link rel="apple-touch-icon" href="/static/img/apple-touch-icon.png">' in text


@pytest.mark.parametrize(
    "address",
    ["/static/img/favicon.ico", "/static/img/favicon-32.png", "/static/img/apple-touch-icon.png", CARD],
)
def test_icons_and_card_are_served(client, address):
    response = client.get(address)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    name = address.rsplit("/", 1)[1]
    assert body == Path(finders.find(f"img/{name}")).read_bytes()


def test_favicon_ico_at_the_root_redirects_to_the_static_file(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/img/favicon.ico"
    assert "public" in response["Cache-Control"]


def test_the_drawing_script_is_where_the_docs_say():
    assert (Path(settings.BASE_DIR) / "docs" / "img" / "draw_site_images.py").is_file()

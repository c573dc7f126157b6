"""Untrusted text stays text. Each XSS payload is put through every field a submitter or editor can fill
(case text and narrative, organisation, outcomes, resources, vocabulary names), and every face that shows
it is checked: the case page, the library with its search snippets and highlights, suggestions, the API
(raw text, correctly typed), CSV (no formula injection), the Atom feed (well-formed XML) and the admin.
"""

import csv
import io
import json
import time
import xml.etree.ElementTree as ET
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from django.urls import reverse

from cases.forms import make_started_token
from cases.interchange.exporting import FORMULA_TRIGGERS, neutralise
from cases.models import CaseStudy, Economy, Sector, Theme
from cases.services import api_key_create
from cases.web.rendering import render_markdown
from tests.factories import CaseStudyFactory, EconomyFactory, OutcomeFactory, ResourceFactory

pytestmark = pytest.mark.django_db

# Every value is followed by this word, so a search for it finds the case and highlights next to the payload.
PROBE = "probe"

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "' onmouseover='alert(1)' x='",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click]( javascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    "<body onload=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<div><p>unclosed <b>bold <i>italic <a href='",
    "&lt;script&gt;alert(1)&lt;/script&gt; &#60;script&#62; &#x3C;img src=x onerror=alert(1)&#x3E;",
    "</script><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "<style>body{display:none}</style>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "\u202egnp.exe",
    "zero\u200dwidth\u200bjoiner\ufeff",
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",
    "]]><![CDATA[<x>",
    "{{ 7|add:7 }} {% now 'Y' %}",
    '=HYPERLINK("http://evil.example/","click")',
    "+1+2",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]

# Scripts the site itself may have: files of our own, and JSON data blocks (JSON-LD, admin's json_script).
DATA_SCRIPT_TYPES = {"application/ld+json", "application/json"}
FORBIDDEN_TAGS = {"iframe", "object", "embed", "svg", "math", "base", "style", "frame", "frameset", "applet"}
# Django's admin draws its icons with inline <svg> of its own; their attributes are still checked.
ADMIN_FORBIDDEN_TAGS = FORBIDDEN_TAGS - {"svg"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"}
EXECUTABLE_SCHEMES = ("javascript:", "vbscript:", "data:")


def _normalised_url(value: str) -> str:
    """The address as a browser reads its scheme: leading and trailing controls and spaces dropped, tabs and
    line breaks removed anywhere (WHATWG URL parsing), case folded."""
    stripped = value.strip("".join(chr(code) for code in range(0x21)))
    return "".join(ch for ch in stripped if ch not in "\t\n\r").lower()


def executable_hrefs(html: str) -> list[str]:
    finder = ExecutableMarkupFinder()
    finder.feed(html)
    return [problem for problem in finder.problems if "href" in problem]


class ExecutableMarkupFinder(HTMLParser):
    """Collects everything in a page that could run script; `problems` should end up empty."""

    def __init__(self, *, forbidden_tags=FORBIDDEN_TAGS):
        super().__init__(convert_charrefs=True)
        self.forbidden_tags = forbidden_tags
        self.problems = []
        self.text = []
        self.h1 = None
        self._script = None  # the data of the JSON script being read
        self._in_h1 = False
        self._mark_depth = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if self._mark_depth:
            self.problems.append(f"<{tag}> inside a search highlight")
        if tag in self.forbidden_tags:
            self.problems.append(f"<{tag}>")
        if tag == "script":
            if attributes.get("type") in DATA_SCRIPT_TYPES:
                self._script = []
            elif not _same_origin_path(attributes.get("src") or ""):
                self.problems.append(f"script {attributes}")
        if tag == "img" and not (attributes.get("src") or "").startswith(("/static/", "/media/")):
            self.problems.append(f"img {attributes}")
        if tag == "meta" and "http-equiv" in attributes:
            self.problems.append(f"meta {attributes}")
        if tag == "mark":
            self._mark_depth += 1
        if tag == "h1":
            self._in_h1, self.h1 = True, ""
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}>")
            if name in URL_ATTRIBUTES and _normalised_url(value or "").startswith(EXECUTABLE_SCHEMES):
                self.problems.append(f"<{tag} {name}={value!r}>")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            content = "".join(self._script)
            try:
                json.loads(content)
            except ValueError:
                self.problems.append(f"a JSON script block that is not JSON: {content[:200]!r}")
            if "<" in content:
                self.problems.append("a raw '<' inside a JSON script block")
            self._script = None
        if tag == "mark":
            self._mark_depth -= 1
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)
            return
        self.text.append(data)
        if self._in_h1:
            self.h1 += data


def _same_origin_path(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//")


def assert_no_executable_markup(response, *, forbidden_tags=FORBIDDEN_TAGS) -> ExecutableMarkupFinder:
    assert response.status_code == 200, response.status_code
    finder = ExecutableMarkupFinder(forbidden_tags=forbidden_tags)
    finder.feed(response.content.decode())
    finder.close()
    assert not finder.problems, finder.problems
    assert finder._mark_depth == 0, "unbalanced <mark>"
    return finder


def probed(payload: str, limit: int) -> str:
    return f"{payload} {PROBE}"[-limit:] if len(payload) + 6 > limit else f"{payload} {PROBE}"


@pytest.fixture(params=PAYLOADS, ids=lambda payload: repr(payload)[:32])
def payload(request):
    return request.param


@pytest.fixture
def hostile_case(payload):
    """A published case whose every editable text carries the payload, and vocabularies named with it."""
    economy = EconomyFactory(name=probed(payload, 100), slug="xss-economy", iso2="QX", iso3="QXX")
    theme = Theme.objects.create(
        name=probed(payload, 100), slug="xss-theme", description=probed(payload, 500)
    )
    text = probed(payload, 300)
    case = CaseStudyFactory(
        slug="xss-case",
        # The probe word first: PostgreSQL's text parser may read markup-like text as tags and skip words.
        title=f"{PROBE} {payload}"[:200],
        summary=text,
        overview=text,
        what_is_innovative=text,
        collaborations=text,
        users_beneficiaries=text,
        results_impact=text,
        challenges_failures=text,
        conditions_for_success=text,
        replication=text,
        lessons_learned=text,
        lead_organisation=probed(payload, 200),
        source=text,
        licence=probed(payload, 100),
        economy=economy,
        themes=[theme],
        # A real URL can still carry the payload in its query: it must stay inside the attribute.
        website="https://example.org/?q=" + quote(payload, safe=""),
    )
    OutcomeFactory(
        case=case,
        indicator=probed(payload, 200),
        unit=payload[:60],
        value=Decimal("12.5"),
        source_url="https://example.org/source?x=" + quote(payload, safe=""),
    )
    ResourceFactory(case=case, title=probed(payload, 200), url="https://example.org/r?x=" + quote(payload))
    return case


@pytest.fixture
def submitted_by_the_public(client, payload, django_capture_on_commit_callbacks):
    """The same payload through the public form, as a stranger would send it."""
    text = probed(payload, 300)
    data = {
        "title": probed(payload, 200),
        "summary": text,
        "overview": text,
        "what_is_innovative": text,
        "lead_organisation": probed(payload, 200),
        "organisation_type": "government",
        "economy": str(Economy.objects.get(iso2="SG").pk),
        "level": "local",
        "sectors": [str(Sector.objects.get(slug="health").pk)],
        "stage": "implementation",
        "year_launched": "2021",
        "website": "https://example.org/",
        "submitter_name": probed(payload, 200),
        "submitter_email": "ana.reyes@example.org",
        "submitter_organisation": probed(payload, 200),
        "consent": "on",
        "reference_code": "",
        "started": make_started_token(time.time() - 60),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/submit/", data, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302, response.content.decode()[:2000]
    return CaseStudy.objects.get(status="submitted")


# --- The pages -------------------------------------------------------------------------------------


def test_case_page_shows_payload_as_text_only(client, hostile_case):
    finder = assert_no_executable_markup(client.get(hostile_case.get_absolute_url()))

    assert finder.h1 == hostile_case.title


def test_library_shows_payload_as_text_only(client, hostile_case):
    finder = assert_no_executable_markup(client.get("/cases/"))

    assert hostile_case.title in "".join(finder.text)


def test_search_snippets_and_highlights_show_payload_as_text_only(client, hostile_case):
    response = client.get("/cases/", {"q": PROBE})

    finder = assert_no_executable_markup(response)
    assert hostile_case.title in "".join(finder.text)


def test_search_highlights_sit_beside_escaped_text(client):
    CaseStudyFactory(title="Highlight probe", summary="<script>alert(1)</script> and the probe word")

    response = client.get("/cases/", {"q": PROBE})

    # Escaped (plain matching) or left out (PostgreSQL's headline may skip tag-like words), never a tag.
    assert_no_executable_markup(response)
    assert "<mark>probe</mark>" in response.text


def test_payload_typed_into_search_is_reflected_as_text_only(client, hostile_case, payload):
    assert_no_executable_markup(client.get("/cases/", {"q": payload}))


def test_compare_and_stats_pages_show_payload_as_text_only(client, hostile_case):
    other = CaseStudyFactory()

    assert_no_executable_markup(client.get(reverse("cases:compare"), {"cases": f"xss-case,{other.slug}"}))
    assert_no_executable_markup(client.get(reverse("cases:stats")))


def test_economy_and_theme_pages_show_payload_as_text_only(client, hostile_case):
    assert_no_executable_markup(client.get(reverse("cases:economy_detail", kwargs={"slug": "xss-economy"})))
    assert_no_executable_markup(client.get(reverse("cases:theme_detail", kwargs={"slug": "xss-theme"})))
    assert_no_executable_markup(client.get(reverse("cases:theme_list")))
    assert_no_executable_markup(client.get(reverse("cases:home")))


# --- The API ---------------------------------------------------------------------------------------


def test_api_gives_the_raw_text_exactly_with_correct_types(client, hostile_case):
    response = client.get(f"/api/v1/cases/{hostile_case.slug}/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    for field in ["title", "summary", "overview", "lessons_learned", "lead_organisation", "website"]:
        assert data[field] == getattr(hostile_case, field), field
    assert data["economy"]["name"] == hostile_case.economy.name
    assert data["themes"][0]["name"] == hostile_case.themes.get().name
    outcome = data["outcomes"][0]
    assert outcome["indicator"] == hostile_case.outcomes.get().indicator
    assert outcome["unit"] == hostile_case.outcomes.get().unit
    assert isinstance(outcome["value"], int | float)
    assert outcome["value"] == 12.5
    assert isinstance(data["year_launched"], int)
    assert data["resources"][0]["title"] == hostile_case.resources.get().title


def test_suggestions_give_the_raw_title_exactly(client, hostile_case):
    response = client.get("/api/v1/suggest/", {"q": PROBE})

    assert response.status_code == 200
    labels = [suggestion["label"] for suggestion in response.json()["cases"]]
    assert hostile_case.title in labels


def test_payload_typed_into_suggestions_is_echoed_as_json_text(client, hostile_case, payload):
    response = client.get("/api/v1/suggest/", {"q": payload[:100]})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["q"] == " ".join(payload[:100].split())


# --- CSV and the feed ------------------------------------------------------------------------------


def test_csv_export_neutralises_formulas(client, hostile_case):
    response = client.get("/api/v1/cases/export.csv")

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header, *records = rows
    record = dict(
        zip(header, next(row for row in records if row[header.index("slug")] == "xss-case"), strict=True)
    )
    for column, cell in record.items():
        assert not cell.startswith(FORMULA_TRIGGERS), (column, cell)
    assert record["title"] == neutralise(hostile_case.title)
    assert record["economy_name"] == neutralise(hostile_case.economy.name)
    assert record["themes"] == "xss-theme"


@pytest.mark.parametrize("trigger", FORMULA_TRIGGERS)
def test_every_formula_trigger_gets_a_leading_apostrophe(trigger):
    assert neutralise(f"{trigger}cmd|' /C calc'!A0") == f"'{trigger}cmd|' /C calc'!A0"


def test_text_that_is_not_a_formula_is_left_alone():
    assert neutralise("Ministry of Examples") == "Ministry of Examples"
    assert neutralise(" =not at the start") == " =not at the start"


def test_feed_is_well_formed_xml_with_the_raw_text(client, hostile_case):
    response = client.get("/feeds/cases/")

    assert response.status_code == 200
    root = ET.fromstring(response.content)
    atom = "{http://www.w3.org/2005/Atom}"
    titles = [entry.findtext(f"{atom}title") for entry in root.iter(f"{atom}entry")]
    # XML 1.0 turns a carriage return into a line feed when it is read back.
    assert hostile_case.title.replace("\r", "\n") in titles


# --- Curation --------------------------------------------------------------------------------------


def test_admin_lists_and_forms_show_payload_as_text_only(admin_client, hostile_case):
    for url in [
        reverse("admin:cases_casestudy_changelist"),
        reverse("admin:cases_casestudy_changelist") + "?q=" + PROBE,
        reverse("admin:cases_casestudy_change", args=[hostile_case.pk]),
        reverse("admin:cases_theme_changelist"),
        reverse("admin:cases_economy_changelist"),
    ]:
        assert_no_executable_markup(admin_client.get(url), forbidden_tags=ADMIN_FORBIDDEN_TAGS)


def test_public_submission_stays_text_in_the_moderation_views(admin_client, submitted_by_the_public):
    case = submitted_by_the_public
    for url in [
        reverse("admin:cases_moderationqueue_changelist"),
        reverse("admin:cases_casestudy_change", args=[case.pk]),
    ]:
        assert_no_executable_markup(admin_client.get(url), forbidden_tags=ADMIN_FORBIDDEN_TAGS)
    # The staff preview of the unpublished case page.
    assert_no_executable_markup(admin_client.get(case.get_absolute_url()))


# --- Null bytes and control characters -------------------------------------------------------------


def test_null_byte_in_a_submission_is_refused_with_a_message(client):
    response = client.post(
        "/submit/", {"title": "Nul\x00byte", "overview": "x\x00"}, REMOTE_ADDR="203.0.113.10"
    )

    assert response.status_code == 400
    assert "Null characters are not allowed" in response.text


def test_null_byte_stays_text_where_the_database_allows_it(client, on_postgresql):
    if on_postgresql:
        # PostgreSQL text cannot hold NUL at all: the API refuses it with a message, as the form does.
        _key, plaintext = api_key_create(owner="Nul partner", scope_read=False, scope_submit=True)
        response = client.post(
            "/api/v1/submissions/",
            {"title": "Nul\x00<script>alert(1)</script>", "summary": "x"},
            content_type="application/json",
            headers={"authorization": f"Api-Key {plaintext}"},
        )
        assert response.status_code == 400
        assert "title" in response.json()["errors"]
        return
    case = CaseStudyFactory(
        title="Nul\x00<script>alert(1)</script>", overview="x\x00<img src=x onerror=alert(1)>"
    )
    assert_no_executable_markup(client.get(case.get_absolute_url()))
    assert client.get(f"/api/v1/cases/{case.slug}/").json()["title"] == case.title


def test_highlight_marker_characters_in_text_do_not_become_highlights(client):
    # cases/search/engine.py marks matches with \x02 and \x03 before escaping; text may not smuggle them in.
    CaseStudyFactory(title="Marker probe", summary="Before \x02fake highlight\x03 and probe after")

    response = client.get("/cases/", {"q": PROBE})

    finder = assert_no_executable_markup(response)
    assert "fake highlight" in "".join(finder.text)
    assert "<mark>fake highlight</mark>" not in response.text


def test_control_characters_do_not_break_the_feed(client):
    CaseStudyFactory(title="Bell\x07 and escape\x1b[31m red", summary="Form feed\x0c here")

    response = client.get("/feeds/cases/")

    assert response.status_code == 200
    ET.fromstring(response.content)


# --- The Markdown renderer itself ------------------------------------------------------------------


def test_markdown_keeps_its_allowed_formatting():
    html = render_markdown("# Heading\n\nSome **bold**, *emphasis* and `code`.\n\n- one\n- two\n\n> quoted")

    assert "<h3>Heading</h3>" in html
    assert "<strong>bold</strong>" in html
    assert "<em>emphasis</em>" in html
    assert "<code>code</code>" in html
    assert "<ul>" in html
    assert "<li>one</li>" in html
    assert "<blockquote>" in html


def test_markdown_links_get_nofollow_noopener():
    html = render_markdown('[OECD](https://oecd-opsi.org/ "OPSI") and <mailto:team@example.org>')

    assert '<a href="https://oecd-opsi.org/" title="OPSI" rel="nofollow noopener">OECD</a>' in html
    assert 'href="mailto:team@example.org"' in html


@pytest.mark.parametrize(
    "source",
    [
        "[x](javascript:alert(1))",
        "[x](data:text/html,hi)",
        "[x](vbscript:msgbox)",
        "[x](java\tscript:alert(1))",
        "[x](java&#9;script:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](%20javascript:alert(1))",
        "[x][ref]\n\n[ref]: javascript:alert(1)",
        "<javascript:alert(1)>",
    ],
)
def test_markdown_links_never_lead_to_script(source):
    html = render_markdown(source)

    assert not executable_hrefs(html), html


def test_markdown_shows_raw_html_as_text():
    html = render_markdown('<b onclick="x()">bold</b> <img src=x onerror=alert(1)>')

    assert "&lt;b onclick" in html
    assert "<img" not in html
    assert "<b" not in html


def test_markdown_drops_images():
    assert "<img" not in render_markdown("![alt](https://example.org/i.png)")


def test_single_line_breaks_are_kept():
    assert render_markdown("line one\nline two") == "<p>line one<br>\nline two</p>"

"""Accessibility across the whole site, in headless Chromium against the live server.

Every page type (and every error page a visitor can reach) passes axe-core's WCAG 2.2 A and AA rules with
no violation of any impact; a keyboard-only visitor gets from the home page to a filtered library, a case
and its citation with a visible focus indicator on every element they land on; and no page makes a
request to any host but the portal's own.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.db import OperationalError, connection

from cases.interchange.reference_data import load_reference_data
from cases.models import Economy, Sector, SubmitterContact, Theme
from cases.site.submission import SUBMISSION_WINDOW_SECONDS, SUBMISSIONS_PER_WINDOW
from cases.web.rate_limits import count_request
from tests.factories import CaseLinkFactory, CaseStudyFactory, OutcomeFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def catalogue(transactional_db):
    # Live-server tests flush the database after each test, reference data included: load it again.
    load_reference_data()
    digital = Theme.objects.get(slug="digital-government")
    health, education = Sector.objects.get(slug="health"), Sector.objects.get(slug="education")
    sg, jp = Economy.objects.get(iso2="SG"), Economy.objects.get(iso2="JP")
    cases = [
        CaseStudyFactory(
            title=f"Telemedicine pilot {n}",
            slug=f"telemedicine-pilot-{n}",
            economy=sg if n % 2 else jp,
            sectors=[health if n % 3 else education],
            themes=[digital],
            year_launched=2014 + n % 5,
        )
        for n in range(8)
    ]
    OutcomeFactory(case=cases[0], indicator="Consultations", value=1200, unit="visits")
    CaseLinkFactory(from_case=cases[1], to_case=cases[0], relation="adapted_from")
    SubmitterContact.objects.create(
        case=CaseStudyFactory(status="submitted", slug="proposed"),
        name="Ana Reyes",
        email="ana@example.org",
        reference="OBS-ACCESS22",
    )
    return cases


# Every page type a visitor can open by address. /stats/ and /compare/ are their own engineer's work;
# they are listed here because "every page type" includes them.
PAGE_TYPES = [
    "/",
    "/cases/",
    "/cases/?economy=SG&sector=health&sort=year",
    "/cases/?q=telemedicine",
    "/cases/?q=zzzxxqq",
    "/cases/telemedicine-pilot-0/",
    "/cases/telemedicine-pilot-1/",
    "/economies/",
    "/economies/singapore/",
    "/themes/",
    "/themes/digital-government/",
    "/sectors/",
    "/sectors/health/",
    "/stats/",
    "/stats/?economy=SG",
    "/compare/?cases=telemedicine-pilot-0,telemedicine-pilot-1",
    "/submit/",
    "/submit/thanks/OBS-ACCESS22/",
    "/api/docs/",
    "/privacy/",
    "/accessibility/",
    "/data/",
]


@pytest.mark.parametrize("path", PAGE_TYPES)
def test_page_type_passes_axe_with_no_violations(page, catalogue, check_accessibility, path):
    response = page.goto(path)
    assert response.status == 200
    page.wait_for_load_state("networkidle")  # pages drawn by scripts (charts, API docs) are complete
    check_accessibility(page)
    assert page.js_errors == []


@pytest.mark.parametrize("path", ["/data/", "/ja/data/", "/th/data/"])
def test_open_data_page_with_a_release_passes_axe(page, catalogue, check_accessibility, path):
    from cases.interchange.dumps import write_dump

    write_dump()  # the test settings' open-data storage is in memory, shared with the live server's thread
    response = page.goto(path)
    assert response.status == 200
    assert page.locator("table.data-table").count() > 5  # the files, then a codebook table per file
    check_accessibility(page)


def test_not_found_page_passes_axe(page, catalogue, check_accessibility):
    assert page.goto("/no-such-page/").status == 404
    check_accessibility(page)


@pytest.mark.parametrize(
    ("address", "status"),
    [
        # Control characters in two parameters: our 400, listing each (cases/web/validation.py).
        ("/cases/?q=flood%00warnings&economy=%1B", 400),
        # More query parameters than any form has (DATA_UPLOAD_MAX_NUMBER_FIELDS), within the length limit.
        ("/cases/?" + "&".join(["f=1"] * 1001), 400),
        # An address longer than any link of ours: our 414.
        ("/cases/?q=" + "x" * 5000, 414),
    ],
)
def test_bad_request_pages_pass_axe(page, catalogue, check_accessibility, address, status):
    assert page.goto(address).status == status
    check_accessibility(page)


def test_submission_error_state_passes_axe(page, catalogue, check_accessibility):
    page.goto("/submit/")
    with page.expect_navigation():
        page.locator("form.submission button[type=submit], main form button[type=submit]").last.click()
    assert page.locator(".error-summary").is_visible()
    check_accessibility(page)


def test_submission_rate_limit_page_passes_axe(page, catalogue, check_accessibility):
    page.goto("/submit/")
    # The live server runs in this process: its cache is this cache. Use up this address's submissions.
    for _ in range(SUBMISSIONS_PER_WINDOW):
        count_request("submission-rate:127.0.0.1", SUBMISSIONS_PER_WINDOW, SUBMISSION_WINDOW_SECONDS)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("main form button[type=submit]").last.click()
    assert posted.value.status == 429
    check_accessibility(page)


def test_expired_form_page_passes_axe(page, catalogue, check_accessibility):
    page.goto("/submit/")
    page.context.clear_cookies()  # the CSRF cookie is gone, as after a very long wait
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("main form button[type=submit]").last.click()
    assert posted.value.status == 403
    check_accessibility(page)


@pytest.fixture
def database_down(catalogue):
    """The live server loses its database: PostgreSQL is pointed at a closed port (the live server closes
    its connections after every request, so the next one fails to connect); SQLite refuses every query."""
    if connection.vendor != "postgresql":

        def refuse(execute, sql, params, many, context):
            raise OperationalError("database is locked")

        # The live server shares this in-memory SQLite connection, and so its wrappers.
        connection.execute_wrappers.insert(0, refuse)
        yield
        connection.execute_wrappers.remove(refuse)
        return
    settings_dict = connection.settings_dict  # the same dictionary in every thread
    saved_port = settings_dict["PORT"]
    settings_dict["PORT"] = "1"
    try:
        yield
    finally:
        settings_dict["PORT"] = saved_port
        connection.close()


def test_service_unavailable_page_passes_axe(page, database_down, check_accessibility):
    response = page.goto("/cases/")
    assert response.status == 503
    assert response.headers["retry-after"]
    check_accessibility(page)


# --- A keyboard-only journey, with the focus visible at every step --------------------------------

FOCUS_IS_VISIBLE = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const style = getComputedStyle(element);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  return {visible: outline || shadow, element: element.outerHTML.slice(0, 120)};
}"""


def tab_visibly_to(page, selector: str, *, max_presses: int = 250):
    """Press Tab until `selector` has focus, checking that every element focused on the way shows it."""
    for _ in range(max_presses):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_IS_VISIBLE)
        if focus is not None:
            assert focus["visible"], f"No visible focus indicator on {focus['element']} ({page.url})"
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Could not reach {selector} with the Tab key on {page.url}")


def test_keyboard_journey_from_home_to_a_filtered_library_to_a_citation(page, catalogue):
    page.goto("/")
    # Home -> the library, through the main navigation.
    tab_visibly_to(page, ".site-nav a[href='/cases/']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/cases/$"))
    # Filter by economy: open the facet, tick Singapore, apply.
    tab_visibly_to(page, "details.facet summary")
    page.keyboard.press("Enter")
    tab_visibly_to(page, "input[name=economy][value=SG]")
    page.keyboard.press("Space")
    tab_visibly_to(page, ".facet-panel button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"economy=SG"))
    assert "4 case studies" in page.locator("#result-count").inner_text()
    # Open the first case.
    tab_visibly_to(page, ".result-list .case-card__title a")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/cases/telemedicine-pilot-\d+/$"))
    # The citation: a focusable block, so a keyboard user can select and copy it.
    tab_visibly_to(page, "pre.citation")
    assert "Telemedicine pilot" in page.evaluate("document.activeElement.textContent")


# --- No third-party requests ----------------------------------------------------------------------

THIRD_PARTY_CHECKED_PAGES = [
    "/",
    "/cases/?q=telemedicine",
    "/cases/telemedicine-pilot-0/",
    "/economies/singapore/",
    "/stats/",
    "/compare/?cases=telemedicine-pilot-0,telemedicine-pilot-1",
    "/submit/",
    "/api/docs/",
    "/privacy/",
    "/no-such-page/",
]


def test_pages_request_nothing_from_any_other_host(page, catalogue, live_server):
    own_host = urlsplit(live_server.url).netloc
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    for path in THIRD_PARTY_CHECKED_PAGES:
        page.goto(path)
        page.wait_for_load_state("networkidle")
    # data: URLs (inline images in stylesheets) never leave the browser; everything else must be ours.
    foreign = [url for url in requested if not url.startswith("data:") and urlsplit(url).netloc != own_host]
    assert foreign == []
    assert len(requested) > len(THIRD_PARTY_CHECKED_PAGES)  # the pages' own styles and scripts were seen

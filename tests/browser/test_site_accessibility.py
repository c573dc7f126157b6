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
from playwright.sync_api import expect

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
    # With a source: the link's visually hidden words once escaped the table's scrolling box and widened the
    # page at 320 px.
    OutcomeFactory(
        case=cases[0],
        indicator="Consultations",
        value=1200,
        unit="visits",
        source_url="https://example.org/reports/telemedicine-pilot/consultations-by-island-and-month",
    )
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
    "/about/",
    "/ja/about/",
    "/data/",
    "/compare/",
    "/admin/login/",
]


# axe's best practices too, on every page type and state (issue 19): here at 1280 px, at 320 px below.
@pytest.mark.parametrize("path", PAGE_TYPES)
def test_page_type_passes_axe_with_no_violations(page, catalogue, check_accessibility, path):
    response = page.goto(path)
    assert response.status == 200
    page.wait_for_load_state("networkidle")  # pages drawn by scripts (charts, API docs) are complete
    check_accessibility(page, best_practice=True)
    assert page.js_errors == []


def check_at_320_px(page, check_accessibility):
    """The page as it is, at 320 px: nothing scrolls sideways (WCAG 1.4.10), and axe finds nothing."""
    page.set_viewport_size({"width": 320, "height": 640})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{page.url} scrolls sideways at 320 px ({width} px wide)"
    check_accessibility(page, best_practice=True)


@pytest.mark.parametrize("path", ["/data/", "/ja/data/", "/th/data/"])
def test_open_data_page_with_a_release_passes_axe(page, catalogue, check_accessibility, path):
    from cases.interchange.dumps import write_dump

    write_dump()  # the test settings' open-data storage is in memory, shared with the live server's thread
    response = page.goto(path)
    assert response.status == 200
    assert page.locator("table.data-table").count() > 5  # the files, then a codebook table per file
    check_accessibility(page, best_practice=True)


def test_not_found_page_passes_axe(page, catalogue, check_accessibility):
    assert page.goto("/no-such-page/").status == 404
    check_accessibility(page, best_practice=True)
    check_at_320_px(page, check_accessibility)


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
    check_accessibility(page, best_practice=True)
    check_at_320_px(page, check_accessibility)


def test_submission_error_state_passes_axe(page, catalogue, check_accessibility):
    page.goto("/submit/")
    with page.expect_navigation():
        page.locator("form.submission button[type=submit], main form button[type=submit]").last.click()
    assert page.locator(".error-summary").is_visible()
    check_accessibility(page, best_practice=True)
    check_at_320_px(page, check_accessibility)


def test_submission_rate_limit_page_passes_axe(page, catalogue, check_accessibility):
    page.goto("/submit/")
    # The live server runs in this process: its cache is this cache. Use up this address's submissions.
    for _ in range(SUBMISSIONS_PER_WINDOW):
        count_request("submission-rate:127.0.0.1", SUBMISSIONS_PER_WINDOW, SUBMISSION_WINDOW_SECONDS)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("main form button[type=submit]").last.click()
    assert posted.value.status == 429
    page.wait_for_load_state()  # the answer's page, not the form it replaces
    check_accessibility(page, best_practice=True)
    check_at_320_px(page, check_accessibility)


def test_expired_form_page_passes_axe(page, catalogue, check_accessibility):
    page.goto("/submit/")
    page.context.clear_cookies()  # the CSRF cookie is gone, as after a very long wait
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("main form button[type=submit]").last.click()
    assert posted.value.status == 403
    page.wait_for_load_state()  # the answer's page, not the form it replaces
    check_accessibility(page, best_practice=True)
    check_at_320_px(page, check_accessibility)


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
    check_accessibility(page, best_practice=True)
    check_at_320_px(page, check_accessibility)


def test_admin_login_with_a_wrong_password_passes_axe(page, catalogue, check_accessibility):
    page.goto("/admin/login/")
    page.locator("#id_username").fill("nobody")
    page.locator("#id_password").fill("not the password")
    with page.expect_navigation():
        page.locator("#login-form [type=submit]").click()
    assert page.locator(".errornote").is_visible()
    assert page.locator("h1").count() == 1
    check_accessibility(page, best_practice=True)
    check_at_320_px(page, check_accessibility)


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
    # Filter by economy (its group is open, with its top values): tick Singapore, apply.
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
    "/about/",
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


# --- Focus not obscured by the compare tray (WCAG 2.4.11) -------------------------------------------

# The focused element's box overlaps the sticky compare tray (when the focus is not inside the tray itself).
FOCUS_UNDER_TRAY = """() => {
  const element = document.activeElement;
  const tray = document.querySelector('.compare-tray');
  if (!element || element === document.body || !tray || tray.hidden || tray.contains(element)) return null;
  const box = element.getBoundingClientRect();
  const bar = tray.getBoundingClientRect();
  const overlaps = box.bottom > bar.top + 0.5 && box.top < bar.bottom - 0.5
    && box.right > bar.left + 0.5 && box.left < bar.right - 0.5;
  return overlaps ? element.outerHTML.slice(0, 120) : null;
}"""


def focus_under_the_tray(page, *, max_presses: int = 400):
    """Press Tab from the top of the page until the focus comes round again; return the number of tab stops
    and those whose element was (partly) under the compare tray when it had the focus."""
    first = None
    hidden = []
    for stops in range(max_presses):
        page.keyboard.press("Tab")
        here = page.evaluate("document.activeElement && document.activeElement.outerHTML.slice(0, 200)")
        if stops and (here == first or page.evaluate("document.activeElement === document.body")):
            return stops, hidden
        first = first or here
        covered = page.evaluate(FOCUS_UNDER_TRAY)
        if covered:
            hidden.append(covered)
    raise AssertionError(f"The focus never came round again on {page.url}")


@pytest.mark.parametrize("width", [1280, 320])
@pytest.mark.parametrize("path", ["/cases/", "/cases/telemedicine-pilot-0/", "/themes/digital-government/"])
def test_no_tab_stop_is_hidden_under_the_compare_tray(page, catalogue, path, width):
    page.set_viewport_size({"width": width, "height": 900 if width > 320 else 640})
    page.goto("/cases/")
    page.locator("[data-compare-slug]").first.click()
    page.goto(path)  # the list is kept in this browser: the tray is there from the start
    assert page.locator(".compare-tray").is_visible()
    stops, hidden = focus_under_the_tray(page)
    assert stops > 10
    assert hidden == [], f"{len(hidden)} of {stops} tab stops on {path} at {width} px are under the tray"


def test_the_tray_keeps_the_focus_clear_as_it_grows(page, catalogue):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/cases/")
    for button in page.locator("[data-compare-slug]").all()[:4]:
        button.click()
    tray = page.locator(".compare-tray").bounding_box()["height"]
    padding = page.evaluate("parseFloat(getComputedStyle(document.documentElement).scrollPaddingBottom)")
    assert padding >= tray
    page.reload()  # the tray is there from the start, and the focus at the top
    _, hidden = focus_under_the_tray(page)
    assert hidden == []


# --- The skip link (WCAG 2.4.1) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/stats/", "/stats/?economy=SG", "/cases/", "/", "/economies/singapore/", "/compare/"]
)
def test_skip_link_moves_the_focus_to_the_main_content_without_reloading(page, catalogue, path):
    page.goto(path)
    page.wait_for_load_state("networkidle")
    page.evaluate("window.__sameDocument = true")
    loads = []
    page.on("load", lambda _: loads.append(page.url))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.matches('.skip-link')")
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)  # time enough for a reload to start
    page.wait_for_load_state("networkidle")
    assert loads == []
    assert page.evaluate("window.__sameDocument") is True
    assert page.evaluate("document.activeElement.id") == "main"


def test_back_after_the_skip_link_and_a_filter_still_shows_the_earlier_selection(page, catalogue):
    page.goto("/stats/")
    page.wait_for_load_state("networkidle")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # /stats/#main
    with page.expect_response(lambda r: "/api/v1/stats/" in r.url):
        page.locator("#stats-form select[name=economy]").select_option("SG")
    page.wait_for_url(re.compile(r"economy=SG"))
    # Back to the unfiltered selection: a genuine change of the page's filters, shown afresh.
    with page.expect_navigation():
        page.go_back()
    assert "economy=SG" not in page.url
    assert page.locator("#stats-form select[name=economy]").input_value() == ""


# --- Reflow at 320 px (WCAG 1.4.10) -----------------------------------------------------------------

REFLOW_PAGES = [
    "/",
    "/cases/",
    "/cases/?economy=SG&economy=JP&sector=health",
    "/cases/telemedicine-pilot-0/",
    "/cases/telemedicine-pilot-1/",
    "/economies/",
    "/economies/singapore/",
    "/themes/",
    "/themes/digital-government/",
    "/sectors/",
    "/sectors/health/",
    "/stats/",
    "/compare/?cases=telemedicine-pilot-0,telemedicine-pilot-1",
    "/submit/",
    "/submit/thanks/OBS-ACCESS22/",
    "/privacy/",
    "/accessibility/",
    "/about/",
    "/data/",
    "/no-such-page/",
    # Every page type (issue 19), those above and these:
    "/cases/?q=telemedicine",
    "/cases/?q=zzzxxqq",
    "/stats/?economy=SG",
    "/compare/",
    "/api/docs/",
    "/ja/about/",
    "/admin/login/",
]


@pytest.mark.parametrize("path", REFLOW_PAGES)
def test_page_type_does_not_scroll_sideways_at_320_px(page, catalogue, check_accessibility, path):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(path)
    page.wait_for_load_state("networkidle")
    # Tables and other wide regions scroll inside themselves, which does not widen the page.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{path} scrolls sideways at 320 px ({width} px wide)"
    check_accessibility(page, best_practice=True)  # and axe at this width too


def test_open_data_page_with_a_release_does_not_scroll_sideways_at_320_px(page, catalogue):
    from cases.interchange.dumps import write_dump

    write_dump()
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/data/")
    assert page.locator("table.data-table").count() > 5
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"/data/ scrolls sideways at 320 px ({width} px wide)"


# --- Chart tooltips (WCAG 1.4.13) -------------------------------------------------------------------

# The first bar of a chart's first dataset, in page coordinates.
FIRST_BAR = """canvas => {
  const chart = Chart.getChart(canvas);
  const bar = chart.getDatasetMeta(0).data[0];
  const {x, y, base, width, height} = bar.getProps(['x', 'y', 'base', 'width', 'height'], true);
  const box = canvas.getBoundingClientRect();
  const horizontal = chart.options.indexAxis === 'y';
  const left = horizontal ? Math.min(x, base) : x - width / 2;
  const right = horizontal ? Math.max(x, base) : x + width / 2;
  const top = horizontal ? y - height / 2 : Math.min(y, base);
  const bottom = horizontal ? y + height / 2 : Math.max(y, base);
  return {left: box.left + left, right: box.left + right, top: box.top + top, bottom: box.top + bottom};
}"""


def hover_first_bar(page, chart_selector):
    canvas = page.locator(f"{chart_selector} canvas")
    canvas.scroll_into_view_if_needed()
    bar = page.evaluate(FIRST_BAR, canvas.element_handle())
    page.mouse.move((bar["left"] + bar["right"]) / 2, (bar["top"] + bar["bottom"]) / 2)
    return bar


@pytest.mark.parametrize(
    ("path", "chart"),
    [
        ("/stats/", "#chart-economy"),
        ("/stats/", "#chart-year"),
        # A profile with so few cases lists them by year, with no chart (issue 19): its tooltips are the
        # comparisons'. The sectors' bar chart on /stats/ stands in for its year chart.
        ("/stats/", "#chart-sector"),
        ("/economies/singapore/", "section[data-chart-kind=comparison]"),
    ],
)
def test_chart_tooltip_is_dismissed_with_escape(page, catalogue, path, chart):
    page.goto(path)
    page.wait_for_load_state("networkidle")
    section = page.locator(chart).first
    hover_first_bar(page, f"#{section.get_attribute('id')}")
    tooltip = section.locator(".chart__tooltip")
    expect(tooltip).to_be_visible()
    page.evaluate("window.__focused = document.activeElement")
    page.keyboard.press("Escape")
    expect(tooltip).to_be_hidden()
    assert page.evaluate("document.activeElement === window.__focused")  # the focus did not move
    # The pointer has not moved: the tooltip stays hidden until it points at another bar.
    page.wait_for_timeout(300)
    expect(tooltip).to_be_hidden()


def test_chart_tooltip_does_not_cover_its_bar_and_stays_while_pointed_at(page, catalogue):
    page.goto("/stats/")
    page.wait_for_load_state("networkidle")
    for chart in ("#chart-economy", "#chart-year"):
        bar = hover_first_bar(page, chart)
        tooltip = page.locator(f"{chart} .chart__tooltip")
        expect(tooltip).to_be_visible()
        box = tooltip.bounding_box()
        overlaps = (
            box["x"] < bar["right"]
            and box["x"] + box["width"] > bar["left"]
            and box["y"] < bar["bottom"]
            and box["y"] + box["height"] > bar["top"]
        )
        assert not overlaps, f"The tooltip of {chart} covers its bar"
        # The pointer moves onto the tooltip, through the space between: it stays.
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=8)
        page.wait_for_timeout(400)
        expect(tooltip).to_be_visible()
        # ...and goes once the pointer leaves the chart and the tooltip.
        page.mouse.move(2, 2)
        expect(tooltip).to_be_hidden()


# Every chart drawn on the page (a canvas with a Chart.js chart), by its section's id and kind.
DRAWN_CHARTS = """() => [...document.querySelectorAll('section[data-chart-kind]')]
  .filter((section) => { const canvas = section.querySelector('canvas');
    return canvas && Chart.getChart(canvas) && canvas.checkVisibility(); })
  .map((section) => [section.id, section.dataset.chartKind])"""

# The middle of the largest bar (or point) of a chart, in page coordinates: a first bar may be an empty year.
LARGEST_MARK = """canvas => {
  const chart = Chart.getChart(canvas);
  const box = canvas.getBoundingClientRect();
  let best = null;
  chart.data.datasets.forEach((_, index) => {
    if (!chart.isDatasetVisible(index)) return;
    for (const mark of chart.getDatasetMeta(index).data) {
      const {x, y, base, width, height} = mark.getProps(['x', 'y', 'base', 'width', 'height'], true);
      const horizontal = chart.options.indexAxis === 'y';
      const size = base === undefined ? 1 : Math.abs(base - (horizontal ? x : y));
      const centre = base === undefined ? {x, y}
        : horizontal ? {x: (x + base) / 2, y} : {x, y: (y + base) / 2};
      if (!best || size > best.size) best = {size, x: box.left + centre.x, y: box.top + centre.y};
    }
  });
  return best;
}"""


@pytest.mark.parametrize("path", ["/stats/", "/economies/singapore/", "/economies/japan/"])
def test_every_chart_tooltip_on_the_page_is_dismissed_with_escape(page, catalogue, path):
    """Esc on every tooltip type (issue 19): each chart drawn on the page, whatever its kind."""
    page.goto(path)
    page.wait_for_load_state("networkidle")
    charts = page.evaluate(DRAWN_CHARTS)
    assert charts, f"no chart drawn on {path}"
    for chart_id, kind in charts:
        canvas = page.locator(f"#{chart_id} canvas")
        canvas.scroll_into_view_if_needed()
        mark = page.evaluate(LARGEST_MARK, canvas.element_handle())
        page.mouse.move(mark["x"], mark["y"])
        tooltip = page.locator(f"#{chart_id} .chart__tooltip")
        expect(tooltip, f"{chart_id} ({kind}) shows no tooltip").to_be_visible()
        page.keyboard.press("Escape")
        expect(tooltip, f"Escape leaves the tooltip of {chart_id} ({kind})").to_be_hidden()
        page.mouse.move(2, 2)
    kinds = {kind for _, kind in charts}
    assert kinds >= ({"bar", "timeline"} if path == "/stats/" else {"comparison"})


def test_search_suggestions_are_dismissed_with_escape(page, catalogue):
    page.goto("/cases/")
    field = page.locator("#id_q")
    field.fill("telemed")
    suggestions = page.locator(".suggestions:has([role=listbox])")
    expect(suggestions).to_be_visible()
    expect(field).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Escape")
    expect(suggestions).to_be_hidden()
    expect(field).to_have_attribute("aria-expanded", "false")
    assert page.evaluate("document.activeElement.id") == "id_q"  # the focus stays


# --- The filter panel's headings -------------------------------------------------------------------

# Pairs of text pieces inside a filter group's heading (or the filters' button) that the markup separates
# with a space but that are drawn touching: a flex container drops a space at the edge of its items, which
# showed as "Economy(2 selected)".
SPACES_DROPPED = """() => {
  const dropped = [];
  for (const summary of document.querySelectorAll('#facet-panel summary, #filters > summary')) {
    const pieces = [];
    const walker = document.createTreeWalker(summary, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      if (node.parentElement.closest('.visually-hidden')) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const boxes = [...range.getClientRects()].filter((box) => box.width > 0);
      if (boxes.length) pieces.push({text: node.textContent, first: boxes[0], last: boxes.at(-1)});
    }
    for (let i = 1; i < pieces.length; i++) {
      const [before, after] = [pieces[i - 1], pieces[i]];
      const spaced = /\\s$/.test(before.text) || /^\\s/.test(after.text);
      const sameLine = Math.abs(before.last.top - after.first.top) < 2;
      const touching = after.first.left - before.last.right < 2;
      if (spaced && sameLine && touching) dropped.push(summary.textContent.trim());
    }
  }
  return dropped;
}"""


@pytest.mark.parametrize("language", ["", "/ja", "/th", "/vi"])
def test_filter_headings_keep_the_space_between_their_words(page, catalogue, language):
    page.goto(f"{language}/cases/?economy=SG&economy=JP&sector=health")
    assert page.locator("#facet-panel summary").count() > 3
    assert page.evaluate(SPACES_DROPPED) == []

"""Every page type in a real browser: renders, passes axe-core's WCAG 2.2 AA rules, works by keyboard."""

import re

import pytest
from playwright.sync_api import expect

from cases.interchange.reference_data import load_reference_data
from cases.models import Economy, Sector, Theme
from tests.browser.conftest import tab_to
from tests.factories import CaseLinkFactory, CaseStudyFactory, OutcomeFactory


@pytest.fixture
def catalogue(transactional_db):
    # Live-server tests flush the database after each test, reference data included: load it again.
    load_reference_data()
    digital = Theme.objects.get(slug="digital-government")
    health = Sector.objects.get(slug="health")
    education = Sector.objects.get(slug="education")
    sg, jp = Economy.objects.get(iso2="SG"), Economy.objects.get(iso2="JP")
    cases = []
    for n in range(12):
        cases.append(
            CaseStudyFactory(
                title=f"Telemedicine pilot {n}",
                slug=f"telemedicine-pilot-{n}",
                economy=sg if n % 2 else jp,
                sectors=[health if n % 3 else education],
                themes=[digital],
                what_is_innovative="Remote consultations by video.",
                results_impact="Fewer trips.",
            )
        )
    OutcomeFactory(case=cases[0], indicator="Consultations", value=1200, unit="visits")
    CaseLinkFactory(from_case=cases[1], to_case=cases[0], relation="adapted_from")
    return cases


PAGE_TYPES = [
    "/",
    "/cases/",
    "/cases/?q=telemedicine",
    "/cases/?q=zzzxxqq",
    "/cases/?economy=ZZ",
    "/cases/telemedicine-pilot-0/",
    "/economies/",
    "/economies/singapore/",
    "/themes/",
    "/themes/digital-government/",
    "/sectors/",
    "/sectors/health/",
    "/no-such-page/",
]


@pytest.mark.parametrize("path", PAGE_TYPES)
def test_page_type_has_no_accessibility_violations(page, catalogue, check_accessibility, path):
    page.goto(path)
    assert page.locator("h1").first.is_visible()
    check_accessibility(page)
    assert page.js_errors == []


@pytest.mark.parametrize("path", ["/", "/cases/?q=telemedicine", "/cases/telemedicine-pilot-0/"])
def test_page_type_is_usable_at_320_pixels(page, catalogue, check_accessibility, path):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(path)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{path} scrolls sideways at 320 px ({width} px wide)"
    check_accessibility(page)


def test_filters_work_with_the_keyboard_only(page, catalogue):
    page.goto("/cases/")
    # The Economy group is open with its top values: tick Singapore, then apply, all by keyboard.
    tab_to(page, "input[name=economy][value=SG]")
    page.keyboard.press("Space")
    tab_to(page, ".facet-panel button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"economy=SG"))
    assert "6 case studies" in page.locator("#result-count").inner_text()
    # The group's summary line says what is ticked in it.
    expect(page.locator("details.facet[data-facet=economy] > summary")).to_have_text("Economy: Singapore")
    # The active filter shows as a chip that removes it.
    tab_to(page, "a.chip:not(.chip--clear)")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/cases/\?$|/cases/\?(?!.*economy)"))
    assert "12 case studies" in page.locator("#result-count").inner_text()


def test_search_by_keyboard_shows_highlighted_results(page, catalogue):
    page.goto("/")
    tab_to(page, "input[name=q]")
    page.keyboard.type("telemedicine")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=telemedicine"))
    assert page.locator(".result-list mark").count() > 0 or page.locator(".result-list").count() == 1


def test_case_page_shows_sections_outcomes_and_citation(page, catalogue):
    page.goto("/cases/telemedicine-pilot-0/")
    assert page.locator("h2", has_text="What makes it innovative").is_visible()
    assert page.locator("table.data-table").is_visible()
    assert "@misc{" in page.locator("pre.citation").nth(1).inner_text()
    assert page.locator("#diffusion").is_visible()


def test_ticking_a_filter_updates_counts_live_from_the_public_api(page, catalogue):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto("/cases/")
    with page.expect_response(lambda r: "/api/v1/cases/facet-counts/" in r.url):
        page.locator("input[name=economy][value=SG]").check()
    # An expect() polls from Playwright's side; wait_for_function with a string evals in the page,
    # which the site's Content-Security-Policy (no 'unsafe-eval') rightly refuses when it has to poll.
    expect(page.locator("#result-count")).to_contain_text("6 case studies match")
    assert any("/api/v1/cases/facet-counts/?economy=SG" in url for url in requests)


def test_search_suggestions_come_from_the_public_api_and_work_by_keyboard(page, catalogue):
    page.goto("/cases/")
    page.locator("#id_q").focus()
    with page.expect_response(lambda r: "/api/v1/suggest/" in r.url):
        page.keyboard.type("telem")
    option = page.locator("[role=option]").first
    option.wait_for()
    assert page.locator("#id_q").get_attribute("aria-expanded") == "true"
    page.keyboard.press("ArrowDown")
    assert option.get_attribute("aria-selected") == "true"
    page.keyboard.press("Enter")
    page.wait_for_url("**/cases/telemedicine-pilot-*/")


def test_pages_make_no_third_party_requests(page, catalogue, live_server):
    hosts = set()
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    for path in ["/", "/cases/?q=telemedicine", "/cases/telemedicine-pilot-0/"]:
        page.goto(path)
    assert hosts == {live_server.url.split("/")[2]}


# --- Narrow screens: results first, the filters behind a button (issue 19) -----------------------------


def test_at_390_pixels_the_first_result_comes_before_the_filters(page, catalogue, check_accessibility):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/cases/?economy=SG")
    toggle = page.locator("#filters > summary")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_text("Filters (1 selected)")
    expect(page.locator("#facet-panel")).to_be_hidden()
    # The first result's title is on the first screen, under the button (it was ~1,100 px down).
    first_result = page.locator(".result-list > li").first.bounding_box()
    title = page.locator(".result-list .case-card__title").first.bounding_box()
    assert title["y"] + title["height"] < 844, f"the first result starts {first_result['y']} px down"
    assert toggle.bounding_box()["y"] < first_result["y"]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    check_accessibility(page)


def test_at_390_pixels_the_first_result_starts_within_480_pixels_under_the_search(
    page, catalogue, check_accessibility
):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/cases/")
    search, sort = page.locator("#id_q"), page.locator("#id_sort")
    first_result = page.locator(".result-list > li").first.bounding_box()
    # It started about 710 px down, under the heading, the search and the sort rows; about 436 px once they
    # were arranged, 465 px since the main navigation gained Methods and Toolkits (issue 18): in the first
    # screen of a phone (844 px) either way.
    assert first_result["y"] <= 480, f"the first result starts {first_result['y']} px down"
    # Nothing is hidden to get there: the search box, its button, the filters, the count and sort come first.
    for control in (search, page.locator(".search-bar button"), page.locator("#filters > summary"), sort):
        expect(control).to_be_visible()
        assert control.bounding_box()["y"] < first_result["y"]
    # The filter button and the result count share a row.
    toggle, count = (
        page.locator("#filters > summary").bounding_box(),
        page.locator("#result-count").bounding_box(),
    )
    assert count["x"] >= toggle["x"] + toggle["width"]
    assert count["y"] < toggle["y"] + toggle["height"]
    # The search box is still named for screen readers; on screen, the "Search" button beside it names it.
    assert page.evaluate("document.getElementById('id_q').labels[0].textContent") == "Search case studies"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    check_accessibility(page)
    # Opened, the filters take the whole width and the count moves under them.
    page.locator("#filters > summary").click()
    panel = page.locator("#facet-panel").bounding_box()
    assert panel["width"] > 300
    assert page.locator("#result-count").bounding_box()["y"] > panel["y"] + panel["height"]


def test_on_a_wide_screen_the_library_keeps_its_search_label_and_layout(page, catalogue):
    page.goto("/cases/")
    expect(page.locator(".search-bar__label")).to_be_visible()
    count, sort = page.locator("#result-count").bounding_box(), page.locator("#id_sort").bounding_box()
    panel = page.locator("#facet-panel").bounding_box()
    assert count["x"] >= panel["x"] + panel["width"]  # the count heads the results column, beside the filters
    assert abs(count["y"] - sort["y"]) < sort["height"]  # with the sort on the same row


def test_on_a_narrow_screen_the_filters_open_and_apply_by_keyboard(page, catalogue, check_accessibility):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/cases/")
    tab_to(page, "#filters > summary")
    page.keyboard.press("Enter")
    expect(page.locator("#facet-panel")).to_be_visible()
    assert page.evaluate("document.getElementById('filters').open")
    check_accessibility(page)
    tab_to(page, "input[name=economy][value=SG]")
    page.keyboard.press("Space")
    tab_to(page, ".facet-panel button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"economy=SG"))
    assert "6 case studies" in page.locator("#result-count").inner_text()


def test_escape_in_the_open_filters_folds_them_and_returns_focus_to_their_button(page, catalogue):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/cases/")
    page.locator("#filters > summary").click()
    page.locator("input[name=economy][value=SG]").focus()
    page.keyboard.press("Escape")
    expect(page.locator("#facet-panel")).to_be_hidden()
    assert page.evaluate("document.activeElement.matches('#filters > summary')")
    assert page.js_errors == []


def test_the_filter_button_works_without_javascript(browser, live_server, catalogue):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto("/cases/")
        expect(page.locator("#facet-panel")).to_be_hidden()
        page.locator("#filters > summary").click()
        expect(page.locator("#facet-panel")).to_be_visible()
        page.locator("input[name=economy][value=SG]").check()
        page.locator(".facet-panel button[type=submit]").click()
        page.wait_for_url(re.compile(r"economy=SG"))
    finally:
        context.close()


def test_on_a_wide_screen_the_filters_stand_beside_the_results_without_a_button(
    page, catalogue, check_accessibility
):
    page.goto("/cases/")
    expect(page.locator("#filters > summary")).to_be_hidden()
    expect(page.locator("input[name=economy][value=SG]")).to_be_visible()
    panel, results = page.locator("#facet-panel").bounding_box(), page.locator("#results").bounding_box()
    assert panel["x"] + panel["width"] <= results["x"]
    check_accessibility(page)


def test_the_reader_chooses_how_many_cases_a_page_and_pages_keep_it(page, catalogue):
    page.goto("/cases/")
    page.locator("#id_page_size").select_option("50")
    page.locator(".results-bar__tools button[type=submit]").click()
    page.wait_for_url(re.compile(r"page_size=50"))
    expect(page.locator("#id_page_size")).to_have_value("50")
    assert page.locator(".result-list > li").count() == 12

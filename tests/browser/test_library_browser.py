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
    # Open the Economy facet and tick Singapore, then apply, all by keyboard.
    tab_to(page, "details.facet summary")
    page.keyboard.press("Enter")
    tab_to(page, "input[name=economy][value=SG]")
    page.keyboard.press("Space")
    tab_to(page, ".facet-panel button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"economy=SG"))
    assert "6 case studies" in page.locator("#result-count").inner_text()
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
    page.locator("details.facet summary", has_text="Economy").click()
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

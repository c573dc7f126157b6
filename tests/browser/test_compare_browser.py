"""/compare/ in headless Chromium (issue 19): the case titles stay in sight while a long comparison scrolls,
at 1280 and at 320 pixels, and long sections fold away, row by row with JavaScript and cell by cell without;
axe clean."""

import pytest

from cases.interchange.reference_data import load_reference_data
from cases.models import Economy, Sector
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.browser

LONG = " ".join(["The agency redesigned the service with the people who use it, step by step."] * 12)
COMPARE = "/compare/?cases=long-0,long-1,long-2"

# Where an element is drawn, and whether it is the one seen at its own centre (not under something else).
SEEN = """element => {
  const box = element.getBoundingClientRect();
  const x = Math.max(0, Math.min(box.left + box.width / 2, innerWidth - 24));
  const y = Math.min(box.top + Math.min(box.height / 2, 12), innerHeight - 1);
  const top = document.elementFromPoint(x, y);
  return {top: box.top, left: box.left, bottom: box.bottom, seen: !!top && element.contains(top)};
}"""


@pytest.fixture
def catalogue(transactional_db):
    # Live-server tests flush the database after each test, reference data included: load it again.
    load_reference_data()
    health = Sector.objects.get(slug="health")
    economy = Economy.objects.get(iso2="SG")
    return [
        CaseStudyFactory(
            title=f"A long case study of a one-stop service number {n}",
            slug=f"long-{n}",
            economy=economy,
            sectors=[health],
            overview=LONG,
            what_is_innovative=LONG,
            results_impact=LONG,
            lessons_learned="Short.",
        )
        for n in range(3)
    ]


def first_title(page):
    return page.locator(".compare-table thead th").first


def test_case_titles_stay_in_sight_at_the_end_of_a_long_comparison(page, catalogue, check_accessibility):
    page.goto(COMPARE)
    last_name = page.locator(".compare-table tbody th").last
    last_name.scroll_into_view_if_needed()
    # Scrolled well past where the table starts: the titles are still drawn at the top, over the sections.
    assert page.evaluate("scrollY") > 1000
    assert page.evaluate(SEEN, last_name.element_handle())["seen"]
    title = page.evaluate(SEEN, first_title(page).element_handle())
    assert title["seen"]
    assert title["top"] == 0
    check_accessibility(page)
    assert page.js_errors == []


def test_at_320_pixels_the_table_scrolls_in_its_own_box_under_its_titles(
    page, catalogue, check_accessibility
):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(COMPARE)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    box = page.locator(".compare-wrap")
    # The box is never taller than the window: brought into view, all of it is seen, and it scrolls inside.
    box.evaluate("box => box.scrollIntoView({block: 'start'})")
    assert box.evaluate("box => box.getBoundingClientRect().bottom <= innerHeight")
    box.evaluate("box => { box.scrollTop = box.scrollHeight; }")
    last_name = page.locator(".compare-table tbody th").last
    assert page.evaluate(SEEN, last_name.element_handle())["seen"]
    title = page.evaluate(SEEN, first_title(page).element_handle())
    assert title["seen"]
    assert title["top"] == pytest.approx(box.evaluate("box => box.getBoundingClientRect().top"), abs=2)
    check_accessibility(page)
    assert page.js_errors == []


def test_section_names_stay_in_sight_when_the_table_scrolls_sideways_at_320_pixels(page, catalogue):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(COMPARE)
    name = page.locator(".compare-table tbody th", has_text="Sectors")
    name.scroll_into_view_if_needed()
    page.locator(".compare-wrap").evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    assert page.locator(".compare-wrap").evaluate("box => box.scrollLeft") > 0
    seen = page.evaluate(SEEN, name.element_handle())
    assert seen["seen"]
    assert seen["left"] == pytest.approx(page.locator(".compare-wrap").bounding_box()["x"], abs=2)


def test_the_titles_are_real_column_headers(page, catalogue):
    page.goto(COMPARE)
    headers = page.get_by_role("columnheader")
    assert headers.count() == 3
    assert headers.first.get_by_role("link").first.inner_text() == catalogue[0].title
    assert page.get_by_role("rowheader", name="Overview").count() == 1


def test_a_long_section_folds_away_for_every_case_at_once(page, catalogue, check_accessibility):
    page.goto(COMPARE)
    row = page.locator(".compare-table tbody tr", has=page.get_by_role("rowheader", name="Overview"))
    sections = row.locator("details.compare-section")
    assert sections.count() == 3
    toggle = row.get_by_role("group").first.locator("summary")
    assert toggle.inner_text().startswith("Hide this section")
    toggle.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => [...document.querySelectorAll('details.compare-section')].filter(d => !d.open).length === 3"
    )
    assert toggle.inner_text().startswith("Show this section")
    assert not row.get_by_text("step by step").first.is_visible()
    # The other long sections are left as they were; a short one never folds.
    assert page.locator("details.compare-section[open]").count() == 6
    lessons = page.locator(
        ".compare-table tbody tr", has=page.get_by_role("rowheader", name="Lessons learned")
    )
    assert lessons.locator("details").count() == 0
    check_accessibility(page)


def test_a_folded_section_is_printed_whole_and_folded_again_afterwards(page, catalogue):
    page.goto(COMPARE)
    row = page.locator(".compare-table tbody tr", has=page.get_by_role("rowheader", name="Overview"))
    row.get_by_role("group").first.locator("summary").click()
    folded = "() => document.querySelectorAll('details.compare-section:not([open])').length === 3"
    page.wait_for_function(folded)
    # What the browser fires around printing (Ctrl+P, or "Save as PDF").
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    assert page.locator("details.compare-section:not([open])").count() == 0
    page.evaluate("() => window.dispatchEvent(new Event('afterprint'))")
    assert row.locator("details.compare-section:not([open])").count() == 3
    assert page.locator("details.compare-section[open]").count() == 6


def test_without_javascript_each_long_section_folds_on_its_own(browser, live_server, catalogue):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto(COMPARE)
    sections = page.locator("details.compare-section")
    assert sections.count() == 9
    sections.first.locator("summary").click()
    assert sections.first.get_attribute("open") is None
    assert page.locator("details.compare-section[open]").count() == 8
    context.close()


# The focused element's box overlaps the sticky header row (when the focus is not in the header row itself).
FOCUS_UNDER_HEADER = """() => {
  const element = document.activeElement;
  const head = document.querySelector('.compare-table thead');
  if (!element || element === document.body || !head || head.contains(element)) return null;
  if (!element.closest('.compare-table')) return null;
  const box = element.getBoundingClientRect();
  const header = head.getBoundingClientRect();
  const overlaps = box.top < header.bottom - 0.5 && box.bottom > header.top + 0.5;
  return overlaps ? element.outerHTML.slice(0, 120) : null;
}"""


@pytest.mark.parametrize("width", [1280, 320])
def test_no_tab_stop_in_the_table_is_hidden_under_its_titles(page, catalogue, width):
    page.set_viewport_size({"width": width, "height": 900 if width > 320 else 640})
    page.goto(COMPARE)
    page.keyboard.press("End")
    page.locator("footer a").last.focus()
    hidden, visited = [], 0
    # Backwards from the end of the page, as a keyboard user going back up the comparison.
    for _ in range(60):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.closest('.compare-table') !== null"):
            visited += 1
            covered = page.evaluate(FOCUS_UNDER_HEADER)
            if covered:
                hidden.append(covered)
        if page.evaluate("!!document.activeElement.closest('.compare-table thead')"):
            break
    assert visited > 5
    assert hidden == []

"""A keyboard walk through every tab stop (issue 19; WCAG 2.2 2.4.7 Focus Visible, 2.4.11 Focus Not Obscured),
on the pages with sticky parts (the library and a case with the compare tray, a comparison with its sticky
titles, the statistics) and those the audit named (the API docs, the admin's login), at 1280 and 320 px.

From the top of the page, Tab until the focus comes round again; at each stop the focused element
- shows a focus indicator of the site's kind: an outline of 2 px or more, or a box shadow. The browser's
  own thin ring (outline-style "auto") is not counted: on the API docs' Authorize button it only darkened
  the button's border, which the audit could not see;
- is drawn: no 0 px-wide button (the API docs' copy buttons were, and took the focus all the same);
- is in the viewport and not under anything: document.elementFromPoint at the centre of the element (of one
  of its line boxes, for a link that wraps) is the element or inside it.
"""

import pytest
from django.core.management import call_command

from cases.interchange.reference_data import load_reference_data
from cases.models import NARRATIVE_FIELDS, CaseStudy, Economy, Sector, Theme
from tests.factories import CaseStudyFactory, OutcomeFactory

pytestmark = pytest.mark.browser

LONG = "A paragraph that goes on for a while, so that the comparison is long enough to scroll. " * 12


@pytest.fixture
def catalogue(transactional_db):
    # Live-server tests flush the database after each test, reference data included: load it again.
    load_reference_data()
    digital = Theme.objects.get(slug="digital-government")
    health = Sector.objects.get(slug="health")
    sg, jp = Economy.objects.get(iso2="SG"), Economy.objects.get(iso2="JP")
    cases = [
        CaseStudyFactory(
            title=f"A one-stop telemedicine service for remote islands and their clinics, number {n}",
            slug=f"telemedicine-{n}",
            economy=sg if n % 2 else jp,
            sectors=[health],
            themes=[digital],
            year_launched=2014 + n % 5,
            overview=LONG,
            results_impact=LONG,
        )
        for n in range(8)
    ]
    OutcomeFactory(
        case=cases[0],
        indicator="Remote consultations held by the island clinics",
        value=1200,
        unit="visits",
        source_url="https://example.org/reports/island-clinics/annual-report-on-remote-consultations",
    )
    return cases


# The focused element, and what is wrong with how it is seen (nothing: an empty list), once two frames have
# been drawn: as a person sees it, after the page's own scripts have answered the focus.
FOCUS_PROBLEMS = """async () => {
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const problems = [];
  const style = getComputedStyle(element);
  const outline = !['none', 'auto'].includes(style.outlineStyle) && parseFloat(style.outlineWidth) >= 2;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  if (!outline && !shadow) problems.push(`no focus indicator (${style.outlineStyle} ${style.outlineWidth})`);
  const box = element.getBoundingClientRect();
  if (box.width < 1 || box.height < 1) problems.push(`drawn ${box.width} x ${box.height} px`);
  const lines = [...element.getClientRects()].filter((r) => r.width >= 1 && r.height >= 1
    && r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth);
  if (!lines.length) {
    problems.push(`outside the viewport (${Math.round(box.left)}, ${Math.round(box.top)})`);
  } else {
    const seen = lines.map((r) => document.elementFromPoint(
      Math.min(Math.max((r.left + r.right) / 2, 0), innerWidth - 1),
      Math.min(Math.max((r.top + r.bottom) / 2, 0), innerHeight - 1)));
    if (!seen.some((top) => top && (top === element || element.contains(top)))) {
      problems.push('under ' + (seen[0] ? seen[0].outerHTML.slice(0, 80) : 'nothing'));
    }
  }
  return {element: element.outerHTML.slice(0, 120), problems};
}"""


def walk(page, *, key: str = "Tab", max_presses: int = 600):
    """Press `key` until the focus comes round again; return the number of tab stops and the problems seen."""
    first = None
    problems = []
    for stops in range(max_presses):
        page.keyboard.press(key)
        focus = page.evaluate(FOCUS_PROBLEMS)
        if focus is None or (stops and focus["element"] == first):
            return stops, problems
        first = first or focus["element"]
        if focus["problems"]:
            problems.append(f"{focus['element']}: {', '.join(focus['problems'])}")
    raise AssertionError(f"The focus never came round again on {page.url}")


def open_at(page, path: str, width: int, *, with_tray: bool = False):
    page.set_viewport_size({"width": width, "height": 900 if width > 320 else 640})
    if with_tray:
        page.goto("/cases/")
        page.locator("[data-compare-slug]").first.click()  # the list is kept in this browser: the tray stays
    response = page.goto(path)
    assert response.status == 200
    page.wait_for_load_state("networkidle")  # what scripts draw (charts, the API docs) is there
    if with_tray:
        assert page.locator(".compare-tray").is_visible()


COMPARE = "/compare/?cases=telemedicine-0,telemedicine-1,telemedicine-2"

WALKED = [
    ("/cases/", True),
    ("/cases/telemedicine-0/", True),
    ("/themes/digital-government/", True),
    (COMPARE, False),
    ("/stats/", False),
    ("/", False),
    ("/submit/", False),
    ("/api/docs/", False),
    ("/admin/login/", False),
]


@pytest.mark.parametrize("width", [1280, 320])
@pytest.mark.parametrize(("path", "with_tray"), WALKED, ids=[path for path, _ in WALKED])
def test_every_tab_stop_is_seen_with_its_focus_indicator(page, catalogue, path, with_tray, width):
    open_at(page, path, width, with_tray=with_tray)

    stops, problems = walk(page)

    assert stops > 1
    assert problems == [], f"{len(problems)} of {stops} tab stops on {path} at {width} px:\n" + "\n".join(
        problems
    )


@pytest.mark.parametrize("width", [1280, 320])
def test_shift_tab_through_the_library_keeps_each_stop_clear_of_the_tray(page, catalogue, width):
    open_at(page, "/cases/", width, with_tray=True)

    stops, problems = walk(page, key="Shift+Tab")

    assert stops > 10
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("width", [1280, 320])
def test_shift_tab_through_a_comparison_keeps_each_stop_in_view(page, catalogue, width):
    open_at(page, COMPARE, width)

    stops, problems = walk(page, key="Shift+Tab")

    assert stops > 5
    assert problems == [], "\n".join(problems)


@pytest.fixture
def demo_catalogue(transactional_db):
    """The demo catalogue, whose longest cases make a comparison many screens long."""
    load_reference_data()
    call_command("load_demo", verbosity=0)
    longest = sorted(
        CaseStudy.objects.published(),
        key=lambda case: -sum(len(getattr(case, name) or "") for name in NARRATIVE_FIELDS),
    )
    return [case.slug for case in longest[:3]]


def test_shift_tab_back_into_a_long_comparison_s_titles_at_320_px_brings_them_into_view(page, demo_catalogue):
    """The titles stick to the top of the comparison's own scrolling box at 320 px: reached backwards from
    the footer, a title's link was scrolled into the box's view while the box's top stayed above the
    window (found on the demo catalogue, whose sections are long)."""
    open_at(page, "/compare/?cases=" + ",".join(demo_catalogue), 320)

    stops, problems = walk(page, key="Shift+Tab")

    assert stops > 5
    assert problems == [], "\n".join(problems)


def test_the_api_docs_copy_buttons_are_drawn_while_they_have_the_focus(page, catalogue):
    open_at(page, "/api/docs/", 1280)
    button = page.locator(".opblock-summary .copy-to-clipboard button").first

    button.focus()

    box = button.bounding_box()
    assert box["width"] >= 20
    assert box["height"] >= 20


def test_the_api_docs_have_one_main_landmark(page, catalogue):
    open_at(page, "/api/docs/", 1280)

    assert page.locator("main, [role=main]").count() == 1
    assert page.locator("#operations").evaluate("e => e.tagName") == "MAIN"

"""The curator's admin in headless Chromium at 1280 px: the case list, a case's change form, its history and
the "request changes" page fit the window (nothing scrolls sideways) and pass axe-core's WCAG 2.2 A/AA rules;
a long title is cut to two lines in the list and shown whole to a keyboard user who reaches it."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client

from cases.curation.workflow import case_transition
from cases.interchange.reference_data import load_reference_data
from cases.models import Economy, Sector, Theme
from tests.browser.conftest import tab_to
from tests.factories import CaseStudyFactory, OutcomeFactory, UserFactory

pytestmark = pytest.mark.browser

LONG_TITLE = (
    "Integrated one-stop digital service for small and medium-sized enterprises applying for permits, "
    "licences, grants and export support across national, regional and local government agencies"
)


@pytest.fixture
def catalogue(transactional_db):
    # Live-server tests flush the database after each test, reference data included: load it again.
    load_reference_data()
    curator = UserFactory(username="curator", is_staff=True, is_superuser=True)
    sectors = list(Sector.objects.all()[:4])
    themes = list(Theme.objects.all()[:3])
    economies = list(Economy.objects.filter(is_apo_member=True)[:5])
    cases = [
        CaseStudyFactory(
            title=f"{LONG_TITLE} ({n})" if n % 3 == 0 else f"Telemedicine pilot {n}",
            slug=f"case-{n}",
            economy=economies[n % len(economies)],
            sectors=sectors[: 1 + n % 4],
            themes=themes,
            status=["draft", "in_review", "published", "submitted"][n % 4],
            year_launched=2010 + n % 12,
        )
        for n in range(40)
    ]
    case = cases[1]
    OutcomeFactory(
        case=case, indicator="Businesses served by the one-stop service", value=Decimal("1000000000")
    )
    OutcomeFactory(
        case=case, indicator="Average days to a permit", value=Decimal("12.5"), baseline=Decimal("45")
    )
    case_transition(case=case, user=curator, name="request_changes", note="Please add the evaluation report.")
    return {"curator": curator, "case": case}


def log_in(page, live_server, user):
    """Open a session for `user` (as the test client does) and hand its cookie to the browser."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": f"{live_server.url}/"}]
    )


def assert_fits(page):
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} is {width[0]} px wide in a {width[1]} px window"


# Boxes that scroll sideways inside the page (Django wraps its tables in one): the page fits, but not what
# is in them.
SCROLLED_BOXES = """() => [...document.querySelectorAll('body *')].filter(el => {
  const overflow = getComputedStyle(el).overflowX;
  return (overflow === 'auto' || overflow === 'scroll') && el.scrollWidth > el.clientWidth + 1
    && el.offsetParent !== null;
}).map(el => el.id || el.className || el.tagName)"""


def assert_nothing_scrolls_sideways(page):
    assert_fits(page)
    assert page.evaluate(SCROLLED_BOXES) == [], f"{page.url} has boxes that scroll sideways"


def admin_pages(case):
    return [
        "/admin/cases/casestudy/",
        f"/admin/cases/casestudy/{case.pk}/change/",
        f"/admin/cases/casestudy/{case.pk}/history/",
        f"/admin/cases/casestudy/{case.pk}/transition/request_changes/",
        "/admin/cases/moderationqueue/",
        "/admin/",
    ]


def test_admin_pages_fit_1280_px_and_pass_axe(page, live_server, catalogue, check_accessibility):
    log_in(page, live_server, catalogue["curator"])
    case = case_transition(case=catalogue["case"], user=catalogue["curator"], name="send_for_review")
    for path in admin_pages(case):
        response = page.goto(path)
        assert response.status == 200, path
        assert_nothing_scrolls_sideways(page)
        check_accessibility(page)
    assert page.js_errors == []


def test_a_long_title_is_cut_in_the_list_and_shown_whole_on_focus(page, live_server, catalogue):
    log_in(page, live_server, catalogue["curator"])
    page.goto("/admin/cases/casestudy/?o=1")  # by title: the long ones first
    link = page.locator("th.field-title_column a").first
    assert LONG_TITLE in link.inner_text()
    line_height = float(link.evaluate("a => parseFloat(getComputedStyle(a).lineHeight)"))
    assert link.bounding_box()["height"] <= 2.5 * line_height  # two lines, not six
    assert link.locator(".case-title").get_attribute("title").startswith(LONG_TITLE)  # the tooltip
    tab_to(page, "th.field-title_column a")
    assert page.locator("th.field-title_column a").first.bounding_box()["height"] > 2.5 * line_height


# For each word of an element's text (a hyphen ends a word: "one-stop" may break after it): on how many
# lines it lies; more than one is a word broken inside.
WORD_LINES = """el => {
  const counts = [];
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const match of node.data.matchAll(/[^\\s-]+/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      counts.push([match[0], tops.size]);
    }
  }
  return counts;
}"""


@pytest.mark.parametrize("width", [1280, 360])
def test_outcomes_read_as_numbers_on_the_case_page(page, live_server, catalogue, width):
    case = case_transition(case=catalogue["case"], user=catalogue["curator"], name="send_for_review")
    case = case_transition(case=case, user=catalogue["curator"], name="publish")
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(case.get_absolute_url())
    table = page.locator("#outcomes table")
    text = table.inner_text()
    assert "1,000,000,000" in text
    assert "12.5" in text
    assert "1E+9" not in text
    assert ".0000" not in text
    assert_fits(page)
    for header in table.locator("th").all():
        broken = [word for word, lines in header.evaluate(WORD_LINES) if lines > 1]
        assert broken == [], f"headers broken inside a word at {width} px: {broken}"

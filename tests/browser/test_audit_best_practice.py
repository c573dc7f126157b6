"""The audit's best-practice findings (issue 19) that axe-core does not see for itself, in headless Chromium:
the library's filters are not a complementary landmark inside the search form; one region, not two, is named
"Measured outcomes"; each citation is a named group; the admin's login has its h1; and following a link of
an error summary shows the field's label, hint and message with the focus on the field.
"""

import pytest
from playwright.sync_api import expect

from cases.interchange.reference_data import load_reference_data
from cases.models import Economy, Sector
from tests.factories import CaseStudyFactory, OutcomeFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def case(transactional_db):
    # Live-server tests flush the database after each test, reference data included: load it again.
    load_reference_data()
    case = CaseStudyFactory(
        title="Telemedicine pilot",
        slug="telemedicine-pilot",
        economy=Economy.objects.get(iso2="SG"),
        sectors=[Sector.objects.get(slug="health")],
    )
    OutcomeFactory(case=case, indicator="Consultations", value=1200, unit="visits")
    return case


def test_the_library_filters_are_not_a_complementary_landmark_inside_another(page, case):
    page.goto("/cases/")

    assert page.locator("main :is(aside, [role=complementary])").count() == 0
    expect(page.get_by_role("search").get_by_role("group", name="Filters", exact=True)).to_have_count(1)


def test_one_region_is_named_measured_outcomes_and_it_holds_the_table(page, case):
    page.goto(case.get_absolute_url())

    regions = page.get_by_role("region", name="Measured outcomes")
    expect(regions).to_have_count(1)
    expect(regions.locator("table")).to_have_count(1)


def test_each_citation_is_a_group_named_by_its_heading(page, case):
    page.goto(case.get_absolute_url())
    headings = page.locator("#cite h3").all_inner_texts()

    assert len(headings) > 1
    for heading in headings:
        citation = page.get_by_role("group", name=heading, exact=True)
        expect(citation).to_have_count(1)
        assert citation.evaluate("e => e.matches('pre.citation')")


@pytest.mark.parametrize("totp", [False, True], ids=["password", "password-and-code"])
def test_the_admin_login_has_one_h1(page, case, settings, totp):
    settings.STAFF_REQUIRE_TOTP = totp

    page.goto("/admin/login/")

    expect(page.locator("h1")).to_have_count(1)
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.locator("input[name=otp_token]")).to_have_count(1 if totp else 0)


# Where the parts of the field's box are drawn, and whether the field has the focus.
FIELD_IN_VIEW = """id => {
  const field = document.getElementById(id);
  const parts = [...field.closest('.field').querySelectorAll('label, legend, .hint, .error-message')];
  const inView = (element) => {
    const box = element.getBoundingClientRect();
    return box.top >= -1 && box.bottom <= innerHeight + 1;  // within a pixel: drawn at fractions of one
  };
  return {
    focused: document.activeElement === field,
    field: inView(field),
    hidden: parts.filter((part) => !inView(part)).map((part) => part.outerHTML.slice(0, 80)),
  };
}"""


@pytest.mark.parametrize("width", [1280, 320])
def test_an_error_summary_link_shows_the_fields_label_hint_and_message(page, case, width):
    page.set_viewport_size({"width": width, "height": 700 if width > 320 else 640})
    page.goto("/submit/")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()
    links = page.locator(".error-summary a[href^='#']")
    assert links.count() > 5
    for link in links.all():
        page.evaluate("window.scrollTo(0, 0)")
        anchor = link.get_attribute("href")[1:]
        link.click()
        seen = page.evaluate(FIELD_IN_VIEW, anchor)
        assert seen["focused"], anchor
        assert seen["field"], anchor
        assert seen["hidden"] == [], f"{anchor} at {width} px"

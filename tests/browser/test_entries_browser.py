"""The pages of methods, toolkits and organisations (issue 18) in headless Chromium: every new page type
passes axe-core's WCAG 2.2 A and AA rules and its best practices at 1280 and at 320 px (where nothing
scrolls sideways), and their filters are reached and applied by keyboard alone."""

import re

import pytest
from django.utils import timezone

from cases.interchange.reference_data import load_reference_data
from cases.models import (
    CaseMethod,
    CaseOrganisation,
    CaseToolkit,
    Economy,
    EntryStatus,
    Method,
    MethodPurpose,
    Organisation,
    Toolkit,
    ToolkitLanguage,
    ToolkitPurpose,
)
from tests.browser.conftest import tab_to
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def catalogue(transactional_db):
    # Live-server tests flush the database after each test, reference data included: load it again.
    load_reference_data()
    now = timezone.now()
    methods = []
    for n, (name, discipline, purpose) in enumerate(
        [
            ("Design thinking", "design", "understand"),
            ("Regulatory sandbox", "policy-regulation", "test"),
            ("Participatory budgeting", "participation", "engage-citizens"),
        ]
    ):
        method = Method.objects.create(
            name=name,
            slug=name.lower().replace(" ", "-"),
            summary=f"{name}, in one sentence.",
            description=f"**{name}** is described here, with a [source](https://example.org/{n}).",
            discipline=discipline,
            typical_duration="weeks",
            participants="A team of four to eight, with ten to thirty residents",
            complexity="medium",
            steps="1. Understand the problem\n2. Try ideas\n3. Learn",
            strengths="- Puts users first",
            pitfalls="- Can stay shallow",
            sources="- [OPSI](https://oecd-opsi.org/)",
            status=EntryStatus.PUBLISHED,
            published_at=now,
        )
        MethodPurpose.objects.create(method=method, purpose=purpose)
        methods.append(method)
    toolkit = Toolkit.objects.create(
        title="Development Impact and You",
        slug="diy-toolkit",
        summary="Practical tools to trigger and support social innovation.",
        description="A toolkit of **thirty** tools.",
        discipline="design",
        kind="toolkit",
        publisher="Nesta",
        year=2014,
        licence="CC BY-NC-SA 4.0",
        reuse_terms="Free to adapt for non-commercial use, with attribution",
        url="https://diytoolkit.org/tools/a-long-address-that-must-wrap-at-320-pixels-without-scrolling",
        status=EntryStatus.PUBLISHED,
        published_at=now,
    )
    ToolkitPurpose.objects.create(toolkit=toolkit, purpose="generate-ideas")
    ToolkitLanguage.objects.create(toolkit=toolkit, language="en")
    toolkit.methods.set(methods[:2])
    organisation = Organisation.objects.create(
        name="Government Technology Agency",
        slug="govtech",
        economy=Economy.objects.get(iso2="SG"),
        level="national",
        website="https://www.tech.gov.sg/",
    )
    for n in range(4):
        case = CaseStudyFactory(title=f"Tell us once {n}", slug=f"tell-us-once-{n}")
        CaseMethod.objects.create(case=case, method=methods[n % 3], note="Workshops with residents")
        CaseToolkit.objects.create(case=case, toolkit=toolkit, note="Its templates")
        CaseOrganisation.objects.create(case=case, organisation=organisation, role="lead")
    return {"methods": methods, "toolkit": toolkit, "organisation": organisation}


PAGE_TYPES = [
    "/methods/",
    "/methods/?purpose=understand",
    "/methods/design-thinking/",
    "/toolkits/",
    "/toolkits/diy-toolkit/",
    "/organisations/",
    "/organisations/govtech/",
    "/methods/?purpose=nope",  # the 400 page
    "/ja/methods/design-thinking/",
    "/cases/tell-us-once-0/",  # the case page with "How they did it"
]


@pytest.mark.parametrize("path", PAGE_TYPES)
def test_page_type_passes_axe_at_1280_and_320_pixels(page, catalogue, check_accessibility, path):
    page.goto(path)
    assert page.locator("h1").first.is_visible()
    check_accessibility(page, best_practice=True)
    page.set_viewport_size({"width": 320, "height": 640})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{path} scrolls sideways at 320 px ({width} px wide)"
    check_accessibility(page, best_practice=True)
    assert page.js_errors == []


def test_the_methods_filters_work_with_the_keyboard_only(page, catalogue):
    page.goto("/methods/")
    tab_to(page, "input[name=purpose][value=test]")
    page.keyboard.press("Space")
    tab_to(page, ".facet-panel button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"purpose=test"))
    assert page.locator("#result-count").inner_text() == "1 method"
    assert page.locator(".entry-card__title").all_inner_texts() == ["Regulatory sandbox"]
    # The active filter is a chip that removes it.
    tab_to(page, "a.chip:not(.chip--clear)")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/methods/\?(?!.*purpose)"))
    assert page.locator("#result-count").inner_text() == "3 methods"


def test_on_a_narrow_screen_the_toolkit_filters_open_and_apply_by_keyboard(page, catalogue):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/toolkits/")
    tab_to(page, "#filters > summary")
    page.keyboard.press("Enter")
    assert page.evaluate("document.getElementById('filters').open")
    tab_to(page, "input[name=method][value=regulatory-sandbox]")
    page.keyboard.press("Space")
    tab_to(page, ".facet-panel button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"method=regulatory-sandbox"))
    assert page.locator("#result-count").inner_text() == "1 toolkit"


def test_a_method_pages_case_filters_work_with_the_keyboard_only(page, catalogue):
    page.goto("/methods/design-thinking/")
    assert page.locator("#result-count").inner_text() == "2 case studies"
    tab_to(page, "input[name=sector][value=health]")
    page.keyboard.press("Space")
    tab_to(page, ".facet-panel button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/methods/design-thinking/\?.*sector=health"))
    assert page.locator("#result-count").inner_text() == "2 case studies"
    assert page.locator("h1").inner_text() == "Design thinking"

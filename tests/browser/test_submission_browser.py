"""The public submission form in a real browser: by keyboard only, with axe-core on each of its states."""

import re

import pytest

from cases.interchange.reference_data import load_reference_data
from cases.models import Status, SubmitterContact
from tests.browser.conftest import tab_to


@pytest.fixture
def catalogue(transactional_db, settings):
    # Live-server tests flush the database after each test, reference data included: load it again.
    load_reference_data()
    # A keyboard-driven browser may well fill the form faster than the 3 s a person needs at the least.
    settings.SUBMISSION_MIN_SECONDS = 0


def type_into(page, selector: str, text: str):
    tab_to(page, selector)
    page.keyboard.type(text)


def send(page):
    tab_to(page, "form.submission-form button[type=submit]")
    page.keyboard.press("Enter")


def test_submission_form_has_no_accessibility_violations(page, catalogue, check_accessibility):
    page.goto("/submit/")
    assert page.locator("h1").inner_text() == "Propose a case study"
    check_accessibility(page)
    assert page.js_errors == []


def test_empty_submission_shows_the_error_summary_with_no_violations(page, catalogue, check_accessibility):
    page.goto("/submit/")
    send(page)
    summary = page.locator(".error-summary[role=alert]")
    summary.wait_for()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert summary.locator("a[href='#id_title']").inner_text() == "Enter the name of the innovation"
    assert page.locator("#id_title").get_attribute("aria-invalid") == "true"
    assert page.locator("#id_title_error").is_visible()
    check_accessibility(page)
    assert SubmitterContact.objects.count() == 0


def test_error_summary_link_leads_to_the_field(page, catalogue):
    page.goto("/submit/")
    send(page)
    page.locator(".error-summary").wait_for()
    tab_to(page, ".error-summary a[href='#id_summary']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"#id_summary$"))
    assert page.locator("#id_summary").is_visible()


def test_form_is_filled_and_sent_with_the_keyboard_only(page, catalogue, check_accessibility):
    page.goto("/submit/")
    type_into(page, "#id_title", "Flood warnings by text message")
    type_into(page, "#id_summary", "Residents get a text message before the river rises.")
    type_into(page, "#id_overview", "River sensors trigger a text message to every registered household.")
    type_into(page, "#id_results_impact", "No lives lost in the 2023 floods.")
    type_into(page, "#id_lead_organisation", "City of Example")
    type_into(page, "#id_economy", "Singapore")  # a closed select picks the option typed
    tab_to(page, "#id_level")
    page.keyboard.type("Local")
    tab_to(page, "#id_sectors_0")
    page.keyboard.press("Space")
    tab_to(page, "#id_stage")
    page.keyboard.type("Implementation")
    type_into(page, "#id_year_launched", "2021")
    type_into(page, "#id_submitter_name", "Ana Reyes")
    type_into(page, "#id_submitter_email", "ana.reyes@example.org")
    tab_to(page, "#id_consent")
    page.keyboard.press("Space")
    send(page)

    page.wait_for_url(re.compile(r"/submit/thanks/OBS-[A-Z0-9]{8}/$"))
    contact = SubmitterContact.objects.select_related("case").get()
    assert contact.reference in page.locator(".confirmation-panel").inner_text()
    assert contact.case.status == Status.SUBMITTED
    assert contact.case.economy.iso2 == "SG"
    assert contact.case.level == "local"
    assert contact.case.stage == "implementation"
    assert contact.case.sectors.count() == 1
    check_accessibility(page)
    assert page.js_errors == []


def test_submission_form_is_usable_at_320_pixels(page, catalogue, check_accessibility):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/submit/")
    send(page)
    page.locator(".error-summary").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"the form scrolls sideways at 320 px ({width} px wide)"
    check_accessibility(page)

"""Following a library selection by e-mail in a real browser (issue 19): by keyboard from the library page,
then the confirmation and unsubscribe pages from the e-mails' links, axe-core on every page on the way."""

import re

import pytest

from cases.interchange.reference_data import load_reference_data
from cases.models import AlertSubscription
from tests.browser.conftest import tab_to
from tests.factories import CaseStudyFactory


@pytest.fixture
def catalogue(transactional_db, settings):
    # Live-server tests flush the database after each test, reference data included: load it again.
    load_reference_data()
    # A keyboard-driven browser may fill the form faster than the 3 s a person needs at the least.
    settings.SUBMISSION_MIN_SECONDS = 0
    CaseStudyFactory(title="Tell us once for births and deaths")


def path_of(message, part: str) -> str:
    (url,) = [url for url in re.findall(r"https?://\S+", message.body) if part in url]
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_a_selection_is_followed_confirmed_and_unsubscribed(page, catalogue, check_accessibility, mailoutbox):
    page.goto("/cases/?sector=health")
    assert page.locator("#alert-follow h2").inner_text() == "Follow this selection by e-mail"
    check_accessibility(page)
    tab_to(page, "#alert-email")
    page.keyboard.type("official@example.gov")
    tab_to(page, "#alert-frequency-weekly")
    page.keyboard.press("ArrowDown")  # radio buttons move with the arrow keys
    assert page.locator("#alert-frequency-daily").is_checked()
    tab_to(page, ".alert-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/alerts/sent/$"))
    assert page.locator("h1").inner_text() == "Check your e-mail"
    check_accessibility(page)

    (confirmation,) = mailoutbox
    page.goto(path_of(confirmation, "/confirm/"))
    check_accessibility(page)
    tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/manage/"))
    assert "confirmed" in page.locator("[role=status]").inner_text()
    check_accessibility(page)
    subscription = AlertSubscription.objects.get()
    assert subscription.is_confirmed
    assert subscription.frequency == "daily"

    page.goto(path_of(confirmation, "/unsubscribe/"))
    check_accessibility(page)
    tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")
    page.locator("h1", has_text="You have unsubscribed").wait_for()
    check_accessibility(page)
    assert not AlertSubscription.objects.exists()
    assert page.js_errors == []


def test_the_follow_page_with_errors_has_no_violations(page, catalogue, check_accessibility):
    page.goto("/alerts/?sector=health")
    check_accessibility(page)
    tab_to(page, ".alert-form button[type=submit]")
    page.keyboard.press("Enter")
    page.locator(".error-summary").wait_for()
    assert page.locator("#alert-email").get_attribute("aria-invalid") == "true"
    check_accessibility(page)

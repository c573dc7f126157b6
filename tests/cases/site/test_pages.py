"""The privacy notice and the accessibility statement. The retention the privacy notice promises is kept by
`manage.py purge_submitter_contacts` (tests/cases/management/test_purge_submitter_contacts.py)."""

import pytest
from django.urls import reverse

from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db


# --- Privacy notice -------------------------------------------------------------------------------


def test_privacy_notice_is_served_at_its_address(client):
    assert reverse("cases:privacy") == "/privacy/"
    response = client.get("/privacy/")
    assert response.status_code == 200
    assert "<h1" in response.content.decode()
    assert "Privacy notice" in response.content.decode()


def test_privacy_notice_says_what_the_submission_form_stores(client):
    text = client.get("/privacy/").content.decode()
    for stored in ("name", "e-mail address", "organisation", "reference number"):
        assert stored in text


def test_privacy_notice_states_the_retention_setting(client, settings):
    settings.SUBMITTER_CONTACT_RETENTION_DAYS = 180
    assert "deleted 180 days after we received them" in client.get("/privacy/").content.decode()


def test_privacy_notice_gives_the_contact_address(client, settings):
    settings.CONTACT_EMAIL = "privacy@example.gov"
    assert 'href="mailto:privacy@example.gov"' in client.get("/privacy/").content.decode()


def test_privacy_notice_names_the_cookies_and_no_analytics(client):
    text = client.get("/privacy/").content.decode()
    assert "no analytics" in text.lower()
    assert "security token" in text
    assert "session cookie" in text


@pytest.mark.parametrize("path", ["/", "/cases/", "/cases/public-case/", "/privacy/", "/accessibility/"])
def test_reading_pages_sets_no_cookies(client, path):
    # The privacy notice says so: only the submission form (CSRF) and admin sign-in set cookies.
    CaseStudyFactory(slug="public-case")
    response = client.get(path)
    assert response.status_code == 200
    assert dict(response.cookies) == {}


def test_submission_form_sets_only_the_csrf_cookie(client, settings):
    response = client.get("/submit/")
    assert set(response.cookies) == {settings.CSRF_COOKIE_NAME}


# --- Accessibility statement ----------------------------------------------------------------------


def test_accessibility_statement_is_served_at_its_address(client):
    assert reverse("cases:accessibility") == "/accessibility/"
    response = client.get("/accessibility/")
    assert response.status_code == 200
    assert "Accessibility statement" in response.content.decode()


def test_accessibility_statement_names_the_standard_tests_limitations_and_contact(client, settings):
    settings.CONTACT_EMAIL = "access@example.gov"
    text = client.get("/accessibility/").content.decode()
    assert "WCAG" in text
    assert "2.2" in text
    assert "level AA" in text
    assert "axe-core" in text
    assert "keyboard" in text
    assert 'id="limitations"' in text
    assert 'href="mailto:access@example.gov"' in text


@pytest.mark.parametrize("path", ["/privacy/", "/accessibility/"])
def test_fixed_pages_need_no_database(client, django_assert_num_queries, path):
    # Readable even while the database is down (tests/cases/test_faults.py covers what else happens then).
    with django_assert_num_queries(0):
        assert client.get(path).status_code == 200


def test_footer_links_to_privacy_and_accessibility(client):
    text = client.get("/").content.decode()
    assert 'href="/privacy/"' in text
    assert 'href="/accessibility/"' in text

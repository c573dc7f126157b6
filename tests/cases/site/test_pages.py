"""The privacy notice, the accessibility statement, and the retention the privacy notice promises."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseStudy, Status, SubmitterContact
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


# --- Retention: purge_submitter_contacts ---------------------------------------------------------


def contact_for(case, *, age_days: int, reference: str) -> SubmitterContact:
    contact = SubmitterContact.objects.create(
        case=case, name="Ana Reyes", email="ana@example.org", reference=reference
    )
    # created_at is set by the database on insert; move it into the past as time would.
    SubmitterContact.objects.filter(pk=contact.pk).update(
        created_at=timezone.now() - timedelta(days=age_days)
    )
    return contact


def purge(*args) -> str:
    out = StringIO()
    call_command("purge_submitter_contacts", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("status", [Status.PUBLISHED, Status.ARCHIVED])
def test_purge_deletes_old_contacts_of_decided_cases(settings, status):
    settings.SUBMITTER_CONTACT_RETENTION_DAYS = 365
    case = CaseStudyFactory(status=status)
    contact_for(case, age_days=366, reference="OBS-OLD")
    assert "Deleted 1 " in purge()
    assert not SubmitterContact.objects.exists()
    assert CaseStudy.objects.filter(pk=case.pk).exists()  # the case itself stays


def test_purge_keeps_contacts_younger_than_the_retention(settings):
    settings.SUBMITTER_CONTACT_RETENTION_DAYS = 365
    contact_for(CaseStudyFactory(status=Status.PUBLISHED), age_days=364, reference="OBS-NEW")
    purge()
    assert SubmitterContact.objects.filter(reference="OBS-NEW").exists()


@pytest.mark.parametrize(
    "status", [Status.SUBMITTED, Status.DRAFT, Status.IN_REVIEW, Status.CHANGES_REQUESTED]
)
def test_purge_keeps_old_contacts_of_cases_still_being_decided(settings, status):
    settings.SUBMITTER_CONTACT_RETENTION_DAYS = 365
    contact_for(CaseStudyFactory(status=status), age_days=1000, reference="OBS-PENDING")
    purge()
    assert SubmitterContact.objects.filter(reference="OBS-PENDING").exists()


def test_purge_reads_the_retention_from_the_setting(settings):
    settings.SUBMITTER_CONTACT_RETENTION_DAYS = 30
    contact_for(CaseStudyFactory(status=Status.PUBLISHED), age_days=31, reference="OBS-31")
    contact_for(CaseStudyFactory(status=Status.PUBLISHED), age_days=29, reference="OBS-29")
    purge()
    assert list(SubmitterContact.objects.values_list("reference", flat=True)) == ["OBS-29"]


def test_purge_days_option_overrides_the_setting(settings):
    settings.SUBMITTER_CONTACT_RETENTION_DAYS = 365
    contact_for(CaseStudyFactory(status=Status.ARCHIVED), age_days=10, reference="OBS-10")
    purge("--days", "7")
    assert not SubmitterContact.objects.exists()


def test_purge_dry_run_deletes_nothing():
    contact_for(CaseStudyFactory(status=Status.PUBLISHED), age_days=5000, reference="OBS-DRY")
    assert "1 submitter contact record(s) would be deleted" in purge("--dry-run")
    assert SubmitterContact.objects.filter(reference="OBS-DRY").exists()


def test_purge_twice_deletes_nothing_more():
    contact_for(CaseStudyFactory(status=Status.PUBLISHED), age_days=5000, reference="OBS-TWICE")
    purge()
    assert "Deleted 0 " in purge()


def test_purge_refuses_a_negative_retention():
    with pytest.raises(CommandError, match="zero or more"):
        purge("--days", "-1")

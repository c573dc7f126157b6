"""`manage.py purge_submitter_contacts`: the retention the privacy notice promises. Who proposed a case is
forgotten once the case is decided (published or archived) and the retention has passed."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from cases.models import CaseStudy, Status, SubmitterContact
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db


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

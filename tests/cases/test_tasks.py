"""Background work after writes (cases/tasks.py): here, the related lists of the cases a transaction wrote,
refreshed once it commits."""

import pytest
from django.db import transaction

from cases import tasks
from cases.models import SDG, RelatedCase, Theme
from tests.factories import CaseStudyFactory, OutcomeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def theme():
    return Theme.objects.get(slug="digital-government")


@pytest.fixture
def refreshed(monkeypatch):
    """The case ids each run of the refresh task was given."""
    calls = []
    monkeypatch.setattr(tasks, "refresh_after_write", lambda ids: calls.append(sorted(ids)) or {})
    return calls


def test_a_committed_write_computes_the_written_cases_list(theme, django_capture_on_commit_callbacks):
    other = CaseStudyFactory(themes=[theme])
    with django_capture_on_commit_callbacks(execute=True):
        case = CaseStudyFactory(themes=[theme])
    assert list(RelatedCase.objects.filter(case=case).values_list("related", flat=True)) == [other.pk]


def test_every_case_a_transaction_wrote_is_refreshed_once_after_it_commits(
    theme, refreshed, django_capture_on_commit_callbacks
):
    other = CaseStudyFactory()
    with django_capture_on_commit_callbacks(execute=True):
        case = CaseStudyFactory(themes=[theme])  # the row, then its sectors and themes
        case.title = "Renamed"
        case.save()
        theme.cases.add(other)  # from the theme's side
        assert refreshed == []  # nothing before the commit
    assert refreshed == [sorted([case.pk, other.pk])]


def test_writes_that_score_nothing_refresh_nothing(refreshed, django_capture_on_commit_callbacks):
    case = CaseStudyFactory()
    with django_capture_on_commit_callbacks(execute=True):
        case.sdgs.set([SDG.objects.get(number=3)])
        OutcomeFactory(case=case)
    assert refreshed == []


def test_a_write_rolled_back_is_not_refreshed(refreshed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                CaseStudyFactory()
                raise RuntimeError
        except RuntimeError:
            pass
        kept = CaseStudyFactory()
    assert refreshed == [[kept.pk]]

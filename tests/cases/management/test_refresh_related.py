"""`manage.py refresh_related`: every published case's related cases, or only the stale and missing."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from cases.management.commands import refresh_related
from cases.models import RelatedCase, RelatedCaseList, Theme
from cases.search.related import mark_stale
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db


def refresh(*args, **options) -> str:
    out = StringIO()
    call_command("refresh_related", *args, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def cases():
    theme = Theme.objects.get(slug="digital-government")
    return [CaseStudyFactory(themes=[theme]) for _ in range(5)]


def test_computes_every_published_cases_list_with_progress_and_a_summary(cases, monkeypatch):
    CaseStudyFactory(status="draft")
    monkeypatch.setattr(refresh_related, "PROGRESS_EVERY", 2)  # a line every batch of 2

    out = refresh(batch_size=2)

    assert out.splitlines()[0] == "Refreshing the related cases of 5 published cases, 2 per batch"
    assert [line.split(" lists")[0].strip() for line in out.splitlines()[1:-1]] == ["2/5", "4/5", "5/5"]
    assert out.splitlines()[-1].startswith("Related cases refreshed: 5 lists, 20 related cases in ")
    assert out.splitlines()[-1].endswith(" lists/s).")
    assert RelatedCaseList.objects.count() == 5
    assert RelatedCase.objects.count() == 5 * 4


def test_stale_refreshes_only_the_missing_and_the_marked(cases):
    refresh()
    newcomer = CaseStudyFactory()
    mark_stale([cases[0].pk])

    out = refresh("--stale")

    assert out.splitlines()[0] == "Refreshing the related cases of 2 stale or missing lists, 500 per batch"
    assert "Related cases refreshed: 2 lists, " in out.splitlines()[-1]
    assert RelatedCaseList.objects.filter(stale=True).count() == 0
    assert RelatedCaseList.objects.filter(case=newcomer).exists()


def test_stale_with_nothing_stale_does_nothing(cases):
    refresh()

    assert refresh("--stale").splitlines()[-1].startswith("Related cases refreshed: 0 lists, 0 related cases")


def test_a_full_refresh_replaces_the_lists(cases):
    refresh()
    cases[0].themes.clear()
    cases[0].sectors.clear()

    refresh()

    assert not RelatedCase.objects.filter(case=cases[0]).exists()
    assert not RelatedCase.objects.filter(related=cases[0]).exists()


def test_refuses_a_batch_size_below_one():
    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        refresh(batch_size=0)

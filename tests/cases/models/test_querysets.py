"""One definition of "published" (cases/models/querysets.py, `published_q`), and the reads built on it.

What every route of the URLconf answers with unpublished cases about: tests/cases/test_read_paths.py."""

import re
from pathlib import Path

import pytest

from cases.models import SDG, CaseStudy, Economy, InnovationFacet, Sector, Status, Theme
from cases.models.querysets import published_q
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db

CASES_PACKAGE = Path(__file__).resolve().parents[3] / "cases"
# A filter that spells out the published status by hand instead of calling published_q() or .published():
# `status="published"` or `status=Status.PUBLISHED` in filter()/exclude()/Q(), or `..._status=` either way.
HAND_WRITTEN_PUBLISHED_FILTER = re.compile(
    r"(?:\b(?:filter|exclude|Q)\(\s*(?:[^()]*,\s*)?status\s*=|__status\s*=)\s*(?:Status\.PUBLISHED|[\"']published[\"'])"
)


def test_no_read_path_spells_out_the_published_status_itself():
    offenders = [
        f"{path.relative_to(CASES_PACKAGE.parent)}:{number}: {line.strip()}"
        for path in sorted(CASES_PACKAGE.rglob("*.py"))
        if "migrations" not in path.parts and path.name != "querysets.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if HAND_WRITTEN_PUBLISHED_FILTER.search(line)
    ]
    assert offenders == []


def test_the_pattern_finds_the_spellings_it_is_for():
    for line in [
        'CaseStudy.objects.filter(status="published")',
        "CaseStudy.objects.filter(pk=1, status=Status.PUBLISHED)",
        'Count("cases", filter=Q(cases__status="published"))',
        "FormerSlug.objects.filter(slug=slug, case__status=Status.PUBLISHED)",
    ]:
        assert HAND_WRITTEN_PUBLISHED_FILTER.search(line), line
    assert not HAND_WRITTEN_PUBLISHED_FILTER.search("CaseStudy(status=Status.PUBLISHED)")  # a write


def test_published_q_follows_a_relation():
    published = CaseStudyFactory(status=Status.PUBLISHED)
    CaseStudyFactory(status=Status.DRAFT, economy=published.economy)

    assert list(CaseStudy.objects.filter(published_q())) == [published]
    assert list(Economy.objects.filter(published_q("primary_cases")).distinct()) == [published.economy]


@pytest.mark.parametrize(
    ("model", "relation"),
    [(Sector, "sectors"), (Theme, "themes"), (InnovationFacet, "facets"), (SDG, "sdgs"), (Economy, None)],
)
def test_every_vocabulary_counts_only_published_cases(model, relation):
    term = model.objects.order_by("pk").first()
    for status in (Status.PUBLISHED, Status.PUBLISHED, *[s for s in Status if s != Status.PUBLISHED]):
        case = CaseStudyFactory(status=status, **({"economy": term} if relation is None else {}))
        if relation is not None:
            getattr(case, relation).add(term)

    counted = model.objects.with_published_counts().get(pk=term.pk)

    assert counted.case_count == 2

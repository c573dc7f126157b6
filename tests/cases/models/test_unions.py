"""Rows of several models in one query (cases/models/unions.py), and `with_children()`: a case's outcomes
and resources in one query, filling exactly what prefetch_related fills (issue 15)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import CaseStudy, Outcome, Resource
from cases.models.unions import attach_children, union_rows
from tests.factories import CaseStudyFactory, OutcomeFactory, ResourceFactory

pytestmark = pytest.mark.django_db


def children_of(case) -> dict[str, list[tuple]]:
    """Each relation's rows as (every field's value), in order, as the case holds them."""
    return {
        relation: [
            tuple(getattr(row, field.attname) for field in row._meta.concrete_fields)
            for row in getattr(case, relation).all()
        ]
        for relation in ("outcomes", "resources")
    }


@pytest.fixture
def cases_with_children():
    """Cases with outcomes and resources of every kind of value (decimals, dates, nulls, files), in an order
    by position that differs from their ids; and one case with none."""
    cases = [CaseStudyFactory(title=f"Parent {n}") for n in range(3)]
    for number, case in enumerate(cases[:2]):
        for position in (2, 0, 1):
            OutcomeFactory(
                case=case,
                indicator=f"Indicator {position}",
                value=Decimal("1234.5678") + position,
                baseline=None if position else Decimal("-3.25"),
                date=datetime.date(2024, 1 + position, 28) if position else None,
                position=position,
            )
            ResourceFactory(
                case=case,
                title=f"Resource {position}",
                kind="image" if position == 1 else "link",
                file=f"resources/{number}-{position}.png" if position == 1 else "",
                alt_text="A map of the service" if position == 1 else "",
                width=640 if position == 1 else None,
                position=position,
            )
    return cases


def test_with_children_reads_outcomes_and_resources_in_one_query_as_a_prefetch_gives_them(
    cases_with_children,
):
    ids = [case.pk for case in cases_with_children]
    prefetched = CaseStudy.objects.filter(pk__in=ids).order_by("pk").prefetch_related("outcomes", "resources")
    expected = [children_of(case) for case in prefetched]
    with CaptureQueriesContext(connection) as queries:
        cases = list(CaseStudy.objects.filter(pk__in=ids).order_by("pk").with_children())
        found = [children_of(case) for case in cases]
        # An outcome's case is the case itself, without a query.
        assert all(outcome.case is cases[0] for outcome in cases[0].outcomes.all())
    assert found == expected
    assert [row[2] for row in found[0]["outcomes"]] == ["Indicator 0", "Indicator 1", "Indicator 2"]
    assert found[2] == {"outcomes": [], "resources": []}
    assert len(queries) == 2  # the cases, then their outcomes and resources together


def test_with_children_keeps_the_values_types(cases_with_children):
    case = CaseStudy.objects.with_children().get(pk=cases_with_children[0].pk)
    first, second, _third = case.outcomes.all()
    assert (first.value, first.baseline, first.date) == (Decimal("1234.5678"), Decimal("-3.25"), None)
    assert (second.date, second.baseline) == (datetime.date(2024, 2, 28), None)
    image = case.resources.all()[1]
    assert (image.file.name, image.width, image.height) == ("resources/0-1.png", 640, None)


def test_with_children_reads_one_query_per_chunk_whatever_the_number_of_cases(cases_with_children):
    for n in range(20):
        OutcomeFactory(case=CaseStudyFactory(title=f"More {n}"))
    with CaptureQueriesContext(connection) as queries:
        cases = list(CaseStudy.objects.with_children().iterator(chunk_size=10))
        total = sum(len(case.outcomes.all()) + len(case.resources.all()) for case in cases)
    assert total == Outcome.objects.count() + Resource.objects.count()
    chunks = -(-len(cases) // 10)
    assert len(queries) == 1 + chunks  # the cases (one query, read in chunks), then one per chunk


def test_a_new_outcome_or_resource_after_the_read_is_not_in_the_cache_but_a_fresh_read_has_it(
    cases_with_children,
):
    case = CaseStudy.objects.with_children().get(pk=cases_with_children[2].pk)
    case.outcomes.create(indicator="Later", value=1)  # the manager's add forgets the cached rows
    assert [outcome.indicator for outcome in case.outcomes.all()] == ["Later"]


def test_union_rows_reads_each_model_in_its_querysets_order():
    case = CaseStudyFactory()
    for position in (3, 1, 2):
        OutcomeFactory(case=case, indicator=f"O{position}", position=position)
        ResourceFactory(case=case, title=f"R{position}", position=position)
    rows = union_rows(
        [Outcome.objects.filter(case=case).order_by("-position"), Resource.objects.filter(case=case)]
    )
    indicator = [field.attname for field in Outcome._meta.concrete_fields].index("indicator")
    title = [field.attname for field in Resource._meta.concrete_fields].index("title")
    assert [row[indicator] for row in rows["cases.Outcome"]] == ["O3", "O2", "O1"]
    assert [row[title] for row in rows["cases.Resource"]] == ["R1", "R2", "R3"]


def test_union_rows_takes_one_queryset_per_model():
    with pytest.raises(ValueError, match="one queryset per model"):
        union_rows([Outcome.objects.all(), Outcome.objects.all()])


def test_with_children_refuses_what_is_not_a_child_relation():
    with pytest.raises(ValueError, match="sectors"):
        CaseStudy.objects.with_children("sectors")


def test_attach_children_works_as_a_prefetch_queryset_would(cases_with_children):
    """On cases fetched some other way (a Prefetch's queryset, a list), attach_children fills the same
    caches."""
    cases = list(CaseStudy.objects.filter(pk__in=[case.pk for case in cases_with_children]).order_by("pk"))
    attach_children(cases, ("outcomes",))
    with CaptureQueriesContext(connection) as queries:
        assert [len(case.outcomes.all()) for case in cases] == [3, 3, 0]
    assert len(queries) == 0

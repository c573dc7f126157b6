"""Queries compiled once and run again with other ids (cases/models/prepared.py, issue 15): every page gets
its own cases' rows, with their types, as the queryset itself would give them."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import prefetch_related_objects

from cases.models import CaseLink, CaseStudy, Economy, Outcome
from cases.models.prepared import PREPARED_IDS, _compiled, prepared_rows
from cases.models.unions import attach_children
from tests.factories import CaseLinkFactory, CaseStudyFactory, EconomyFactory, OutcomeFactory, ResourceFactory

pytestmark = pytest.mark.django_db


def outcome_rows(ids, using):
    return (
        Outcome.objects.using(using)
        .filter(case__in=ids)
        .order_by("case", "position")
        .values_list("case", "indicator", "value", "date")
    )


def compiled_shapes(name, count):
    return [key for key in getattr(_compiled, "by_shape", {}) if key[0] == name and key[-1] == count]


@pytest.fixture
def cases():
    made = [CaseStudyFactory(title=f"Parent {n}") for n in range(PREPARED_IDS + 2)]
    for n, case in enumerate(made):
        OutcomeFactory(
            case=case,
            indicator=f"Indicator of {n}",
            value=Decimal("1234.5678") + n,
            date=datetime.date(2024, 1 + n % 12, 28),
        )
    return made


@pytest.mark.parametrize("count", [1, 3, PREPARED_IDS, PREPARED_IDS + 1])
def test_each_call_reads_its_own_ids_rows_as_the_queryset_gives_them(cases, count):
    pages = [cases[:count], cases[1 : 1 + count], cases[-count:]]
    for page in pages:
        ids = [case.pk for case in page]
        assert prepared_rows("outcomes", outcome_rows, ids, "default") == list(outcome_rows(ids, "default"))
    found = prepared_rows("outcomes", outcome_rows, [cases[-1].pk], "default")
    assert found == [(cases[-1].pk, f"Indicator of {len(cases) - 1}", Decimal("1234.5678") + len(cases) - 1,
                      datetime.date(2024, 1 + (len(cases) - 1) % 12, 28))]  # fmt: skip
    # Compiled once for this number of ids (more than PREPARED_IDS: compiled each time, kept never).
    assert len(compiled_shapes("outcomes", count)) == (count <= PREPARED_IDS)


def test_a_query_that_does_not_take_the_ids_as_parameters_is_refused(cases):
    def ignoring_the_ids(ids, using):
        return Outcome.objects.using(using).filter(case=cases[0]).values_list("indicator")

    with pytest.raises(ValueError, match="Not every id"):
        prepared_rows("ignoring", ignoring_the_ids, [cases[1].pk, cases[2].pk], "default")


def economy_rows(ids, using):
    return Economy.objects.using(using).filter(pk__in=ids).values_list("pk", "name")


@pytest.mark.django_db(transaction=True)  # the other thread's connection sees only what is committed
def test_each_thread_compiles_its_own_and_reads_its_own_rows():
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"] in ("", ":memory:"):
        pytest.skip("SQLite in memory: another thread has a database of its own (the PostgreSQL run checks)")
    # Economies of its own: a transactional test runs after others have emptied the tables.
    first, second = EconomyFactory(name="Threaded first"), EconomyFactory(name="Threaded second")
    assert prepared_rows("economies", economy_rows, [first.pk], "default") == [(first.pk, "Threaded first")]
    found = {}

    def read():
        try:
            found["rows"] = prepared_rows("economies", economy_rows, [second.pk], "default")
            found["shapes"] = compiled_shapes("economies", 1)
        finally:
            connection.close()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    assert found["rows"] == [(second.pk, "Threaded second")]
    assert len(found["shapes"]) == 1  # compiled in that thread too, not borrowed from this one


def test_children_and_links_of_successive_pages_are_each_pages_own():
    """The two reads a case page makes through prepared queries: outcomes and resources (unions.py) and
    links in both directions (case_links.py)."""
    cases = [CaseStudyFactory(title=f"Page {n}") for n in range(4)]
    for n, case in enumerate(cases):
        OutcomeFactory(case=case, indicator=f"Outcome of {n}")
        ResourceFactory(case=case, title=f"Resource of {n}")
        CaseLinkFactory(
            from_case=case, to_case=CaseStudyFactory(title=f"Linked from {n}"), relation="replicated_in"
        )
    unpublished = CaseStudyFactory(title="Not published", status="draft")
    CaseLink.objects.create(from_case=cases[0], to_case=unpublished, relation="related_to")
    for n, case in enumerate(cases):
        (loaded,) = CaseStudy.objects.filter(pk=case.pk).for_detail()
        assert [outcome.indicator for outcome in loaded.outcomes.all()] == [f"Outcome of {n}"]
        assert [resource.title for resource in loaded.resources.all()] == [f"Resource of {n}"]
        assert [(link.relation, link.case.title) for link in loaded.links] == [
            ("replicated_in", f"Linked from {n}")
        ]
        other = loaded.links[0].case
        assert other.economy.name  # read with the link, as select_related() gives it
        assert "overview" not in other.__dict__  # the narrative deferred, as before
    # Seen from the other end, through the same compiled query for one case.
    (linked,) = CaseStudy.objects.filter(title="Linked from 2").for_detail()
    assert [(link.relation, link.case.title) for link in linked.links] == [("adapted_from", "Page 2")]
    listed = list(CaseStudy.objects.filter(pk__in=[case.pk for case in cases]).order_by("pk").for_detail())
    assert [[link.case.title for link in case.links] for case in listed] == [
        [f"Linked from {n}"] for n in range(4)
    ]
    attach_children(listed, ["outcomes"])
    assert [[outcome.indicator for outcome in case.outcomes.all()] for case in listed] == [
        [f"Outcome of {n}"] for n in range(4)
    ]


def test_an_unsaved_case_has_no_links_alone_or_among_saved_ones():
    saved = CaseStudyFactory(title="Saved")
    CaseLinkFactory(from_case=saved, to_case=CaseStudyFactory(title="Its link"), relation="replicated_in")
    assert CaseStudy(title="Not saved yet").links == []
    unsaved = CaseStudy(title="Not saved either")
    prefetch_related_objects([saved, unsaved], "links")
    assert [link.case.title for link in saved.links] == ["Its link"]
    assert unsaved.links == []

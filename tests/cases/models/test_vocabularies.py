"""The vocabulary snapshot and `CaseStudyQuerySet.with_vocabularies()` (cases/models/vocabularies.py): every
link of every fetched case in one query, filling exactly what prefetch_related fills (issue 15)."""

import pytest
from django.db import connection
from django.db.models import Prefetch
from django.test.utils import CaptureQueriesContext

from cases.caching import vocabulary_snapshot
from cases.models import SDG, CaseStudy, Economy, InnovationFacet, Sector, Theme, ThesaurusEntry
from cases.models.vocabularies import (
    VOCABULARY_RELATIONS,
    VocabularySnapshot,
    attach_vocabularies,
    vocabulary_models,
)
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db


def terms_of(case) -> dict[str, list[tuple]]:
    """Each relation's terms as (pk, every field's value), in order, as the case holds them."""
    return {
        relation: [
            tuple(getattr(term, field.attname) for field in term._meta.concrete_fields)
            for term in getattr(case, relation).all()
        ]
        for relation in VOCABULARY_RELATIONS
    }


@pytest.fixture
def described_cases():
    """Cases with terms in every vocabulary, several per relation, some whose order by name differs from
    their vocabulary's order (sectors and themes by position first), and one case with no terms at all."""
    economies = list(Economy.objects.exclude(iso2="SG").order_by("-name")[:3])
    sectors = list(Sector.objects.order_by("-name")[:3])
    themes = list(Theme.objects.order_by("-name")[:3])
    facets = list(InnovationFacet.objects.all()[:2])
    sdgs = list(SDG.objects.order_by("-number")[:3])
    sectors[0].position = 0  # first by position, last by name
    sectors[0].save()
    cases = [
        CaseStudyFactory(
            title=f"Described {n}",
            other_economies=economies[: n % 4],
            sectors=sectors[: 1 + n % 3],
            themes=themes[: n % 4],
            facets=facets[: n % 3],
            sdgs=sdgs[: n % 4],
        )
        for n in range(6)
    ]
    bare = CaseStudyFactory(title="Described by nothing", sectors=[sectors[1]])
    bare.sectors.clear()
    return [*cases, bare]


def prefetched(queryset):
    return list(queryset.prefetch_related(*VOCABULARY_RELATIONS))


def test_every_relation_of_every_case_is_read_with_the_cases_in_one_query(described_cases):
    vocabulary_snapshot()  # cached, as it is after any request
    with CaptureQueriesContext(connection) as queries:
        cases = list(CaseStudy.objects.order_by("pk").with_vocabularies())
        [terms_of(case) for case in cases]
    assert len(queries.captured_queries) == 1  # the cases, their links' term ids as columns
    assert not any(name.startswith("vocabulary_ids_") for case in cases for name in vars(case))


def test_a_union_of_querysets_reads_the_links_in_one_more_query(described_cases):
    """A union takes no columns: the links come in one UNION ALL over the link tables."""
    vocabulary_snapshot()
    expected = {case.pk: terms_of(case) for case in prefetched(CaseStudy.objects.all())}
    first = described_cases[0]
    union = (
        CaseStudy.objects.filter(pk=first.pk)
        .order_by()
        .union(CaseStudy.objects.exclude(pk=first.pk).order_by())
    )
    with CaptureQueriesContext(connection) as queries:
        cases = list(union.with_vocabularies())
        loaded = {case.pk: terms_of(case) for case in cases}
    assert loaded == expected
    assert len(queries.captured_queries) == 2
    assert "UNION ALL" in queries.captured_queries[1]["sql"]


def test_the_terms_are_those_prefetch_related_gives_in_the_same_order(described_cases):
    expected = {case.pk: terms_of(case) for case in prefetched(CaseStudy.objects.all())}
    loaded = {case.pk: terms_of(case) for case in CaseStudy.objects.with_vocabularies()}
    assert loaded == expected
    assert any(len(terms["sectors"]) == 3 for terms in loaded.values())


def test_the_same_caches_are_filled_as_by_prefetch_related(described_cases):
    (case,) = CaseStudy.objects.filter(pk=described_cases[2].pk).with_vocabularies()
    (reference,) = prefetched(CaseStudy.objects.filter(pk=described_cases[2].pk))
    assert case._prefetched_objects_cache.keys() == reference._prefetched_objects_cache.keys()
    with CaptureQueriesContext(connection) as queries:
        assert case.sectors.count() == reference.sectors.count()
        assert bool(case.themes.all()) == bool(reference.themes.all())
        assert [term.pk for term in case.sdgs.all()] == [term.pk for term in reference.sdgs.all()]
        assert case.sectors.all()[0]._state.db == reference.sectors.all()[0]._state.db
        assert not case.sectors.all()[0]._state.adding
    assert queries.captured_queries == []


def test_a_case_without_terms_reads_empty_lists_without_a_query(described_cases):
    (bare,) = CaseStudy.objects.filter(title="Described by nothing").with_vocabularies()
    with CaptureQueriesContext(connection) as queries:
        assert all(list(getattr(bare, relation).all()) == [] for relation in VOCABULARY_RELATIONS)
    assert queries.captured_queries == []


def test_each_term_is_a_new_instance_so_no_case_or_request_shares_one(described_cases):
    (first,) = CaseStudy.objects.filter(pk=described_cases[3].pk).with_vocabularies()
    (second,) = CaseStudy.objects.filter(pk=described_cases[3].pk).with_vocabularies()
    first.sectors.all()[0].name = "Changed in memory only"
    assert second.sectors.all()[0].name != "Changed in memory only"


@pytest.mark.parametrize(
    "fetch",
    [
        lambda qs: list(qs.iterator(chunk_size=2)),
        lambda qs: list(qs.in_bulk().values()),
        lambda qs: list(qs[1:4]),
        lambda qs: [qs.get(title="Described 4")],
        lambda qs: [qs.order_by("pk").first()],
    ],
    ids=["iterator", "in_bulk", "slice", "get", "first"],
)
def test_every_way_of_fetching_loads_the_terms(described_cases, fetch):
    expected = {case.pk: terms_of(case) for case in prefetched(CaseStudy.objects.all())}
    cases = fetch(CaseStudy.objects.order_by("pk").with_vocabularies())
    with CaptureQueriesContext(connection) as queries:
        assert {case.pk: terms_of(case) for case in cases} == {case.pk: expected[case.pk] for case in cases}
    assert queries.captured_queries == []


def test_an_iterator_reads_the_links_with_the_cases(described_cases):
    vocabulary_snapshot()
    expected = {case.pk: terms_of(case) for case in prefetched(CaseStudy.objects.all())}
    with CaptureQueriesContext(connection) as queries:
        cases = list(CaseStudy.objects.with_vocabularies().iterator(chunk_size=3))  # 7 cases: 3 chunks
        loaded = {case.pk: terms_of(case) for case in cases}
    assert loaded == expected
    assert len(queries.captured_queries) == 1


def test_cases_prefetched_from_a_term_load_their_terms_too(described_cases):
    sector = described_cases[0].sectors.get()
    (term,) = Sector.objects.filter(pk=sector.pk).prefetch_related(
        Prefetch("cases", queryset=CaseStudy.objects.with_vocabularies("themes"))
    )
    with CaptureQueriesContext(connection) as queries:
        assert {case.pk: list(case.themes.all()) for case in term.cases.all()}
    assert queries.captured_queries == []


def test_values_load_nothing(described_cases):
    with CaptureQueriesContext(connection) as queries:
        rows = list(CaseStudy.objects.with_vocabularies().values("pk"))
    assert len(rows) == len(described_cases)
    assert len(queries.captured_queries) == 1


def test_only_the_relations_named_are_loaded_and_chained_calls_add_up():
    queryset = CaseStudy.objects.with_vocabularies("sdgs").with_vocabularies("sectors")
    assert queryset._vocabulary_relations == ("sectors", "sdgs")
    assert CaseStudy.objects.with_vocabularies()._vocabulary_relations == VOCABULARY_RELATIONS
    with pytest.raises(ValueError, match="outcomes"):
        CaseStudy.objects.with_vocabularies("outcomes")


def test_the_number_of_queries_does_not_grow_with_the_cases(described_cases):
    vocabulary_snapshot()
    with CaptureQueriesContext(connection) as few:
        [terms_of(case) for case in CaseStudy.objects.with_vocabularies()[:2]]
    for n in range(20):
        CaseStudyFactory(title=f"More {n}", themes=[Theme.objects.first()], sdgs=[SDG.objects.first()])
    vocabulary_snapshot()  # the writes made this process read the versions again: read them now
    with CaptureQueriesContext(connection) as many:
        cases = list(CaseStudy.objects.with_vocabularies())
        [terms_of(case) for case in cases]
    assert len(cases) == len(described_cases) + 20
    # Only the reads of cases and their links count: the process reads the catalogue's versions again
    # whenever their time to live has passed, which on a loaded machine can fall inside either block.
    assert len(case_reads(many)) == len(case_reads(few)) == 1


def case_reads(queries) -> list[dict]:
    return [query for query in queries.captured_queries if "cases_cataloguestate" not in query["sql"]]


def test_a_term_added_after_the_snapshot_was_read_is_still_shown(described_cases):
    stale = VocabularySnapshot.load(CaseStudy)
    new = Theme.objects.create(name="Added since", slug="added-since", position=99)
    case = described_cases[0]
    case.themes.add(new)
    (loaded,) = CaseStudy.objects.filter(pk=case.pk)
    attach_vocabularies([loaded], ("themes",), snapshot=stale)
    assert "Added since" in [theme.name for theme in loaded.themes.all()]


# --- The snapshot ----------------------------------------------------------------------------------


def test_the_snapshot_is_read_in_one_query_with_every_row_of_every_vocabulary():
    with CaptureQueriesContext(connection) as queries:
        snapshot = VocabularySnapshot.load(CaseStudy)
    assert len(queries.captured_queries) == 1
    for model in vocabulary_models(CaseStudy):
        rows = list(model.objects.values_list(*snapshot.columns[model._meta.label]))
        assert list(snapshot.rows[model._meta.label].values()) == rows, model  # each in its Meta order
    assert ThesaurusEntry in vocabulary_models(CaseStudy)


def test_the_snapshot_orders_names_as_the_database_does():
    """Names the database and Python sort differently (case, accents) come in the database's order."""
    for n, name in enumerate(["alpha", "Beta", "Émile", "zeta", "Zulu"]):
        Theme.objects.create(name=f"{name} test", slug=f"order-{n}", position=50)
    snapshot = VocabularySnapshot.load(CaseStudy)
    assert [name for (name,) in snapshot.values(Theme, "name")] == list(
        Theme.objects.values_list("name", flat=True)
    )


def test_the_snapshot_holds_only_terms_never_a_case():
    snapshot = VocabularySnapshot.load(CaseStudy)
    assert CaseStudy._meta.label not in snapshot.rows
    assert set(snapshot.rows) == {model._meta.label for model in vocabulary_models(CaseStudy)}


def test_find_matches_values_as_a_url_gives_them():
    snapshot = VocabularySnapshot.load(CaseStudy)
    assert [sdg.number for sdg in snapshot.find(SDG, "number", ["3", "17"])] == [3, 17]
    assert snapshot.find(Sector, "slug", ["Health"]) == []  # slugs compare exactly, as in the database
    assert [economy.iso2 for economy in snapshot.find(Economy, "iso2", ["SG"])] == ["SG"]

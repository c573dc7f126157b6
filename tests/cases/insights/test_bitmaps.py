"""The catalogue's bitmaps (cases/insights/bitmaps.py) and their refresh after writes (cases/tasks.py):
they hold
only published cases, count exactly what SQL counts, are rebuilt once per committed transaction, are
shared through the cache, and never outlive the catalogue version they were read at."""

import logging

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.http import QueryDict
from django.tasks.signals import task_finished
from django.test.utils import CaptureQueriesContext

from cases.api.filters import CaseStudyApiFilterSet
from cases.caching import catalogue_version
from cases.filters import CaseStudyFilterSet
from cases.insights.bitmaps import CASE_COLUMNS, TERM_RELATIONS, CatalogueBitmaps
from cases.insights.facet_counts import selection_facets
from cases.insights.statistics import case_statistics
from cases.models import CaseStudy, Sector, Status
from cases.search.engine import full_text_index_preferred, search_cases
from cases.tasks import CasesAfterCommit, catalogue_committed, refresh_statistics
from tests.cases.site.test_stats_pages import catalogue, hidden_cases  # noqa: F401 (fixtures)
from tests.factories import CaseStudyFactory, OutcomeFactory

pytestmark = pytest.mark.django_db


def filterset_for(query, queryset=None):
    filterset = CaseStudyFilterSet(
        QueryDict(query), queryset=CaseStudy.objects.published() if queryset is None else queryset
    )
    assert filterset.is_valid(), filterset.errors
    return filterset


@pytest.fixture
def refreshes():
    """The refresh tasks that ran, in order (their results)."""
    finished = []

    def record(sender, task_result, **kwargs):
        if task_result.task.name == refresh_statistics.name:
            finished.append(task_result)

    task_finished.connect(record)
    yield finished
    task_finished.disconnect(record)


def test_bitmaps_hold_published_cases_only(catalogue, hidden_cases):  # noqa: F811
    bitmaps = CatalogueBitmaps.current()
    published = set(CaseStudy.objects.published().values_list("pk", flat=True))
    assert set(bitmaps.published) == published
    assert len(published) == 24
    hidden = {case.pk for case in hidden_cases}
    for parameter, values in bitmaps.by_value.items():
        for value, cases in values.items():
            assert set(cases) <= published, (parameter, value)
            assert not set(cases) & hidden, (parameter, value)
    assert not set(bitmaps.with_outcomes) & hidden
    assert set(bitmaps.with_outcomes) == set(
        CaseStudy.objects.published().filter(outcomes__isnull=False).values_list("pk", flat=True)
    )


def test_every_value_counts_what_sql_counts(catalogue, hidden_cases):  # noqa: F811
    bitmaps = CatalogueBitmaps.current()
    published = CaseStudy.objects.published()
    for parameter, column in CASE_COLUMNS.items():
        for value, cases in bitmaps.by_value[parameter].items():
            assert len(cases) == published.filter(**{column: value}).count(), (parameter, value)
    for parameter, (relation, _model, _value) in TERM_RELATIONS.items():
        assert bitmaps.by_value[parameter], parameter
        for pk, cases in bitmaps.by_value[parameter].items():
            assert len(cases) == published.filter(**{f"{relation}__pk": pk}).count(), (parameter, pk)


@pytest.mark.parametrize(
    "query",
    [
        "sector=health",
        "sector=health&sector=education",
        "sector=health&theme=service-design",
        "economy=SG&economy=TH&facet=adaptive",
        "region=035",
        "region=030&sdg=3",
        "level=local&stage=implementation&stage=evaluation",
        "year_from=2012&year_to=2015",
        "year_to=2011&sector=transport-infrastructure",
        "sector=health&sort=title",
    ],
)
def test_facets_and_years_select_in_memory_exactly_what_sql_selects(catalogue, hidden_cases, query):  # noqa: F811
    """Issue 15: the bitmaps intersect facets and years themselves, without asking the database."""
    filterset = filterset_for(query)
    bitmaps = CatalogueBitmaps.current()
    expected = set(
        filterset.filter_queryset_without(CaseStudy.objects.published(), exclude=()).values_list(
            "pk", flat=True
        )
    )
    with CaptureQueriesContext(connection) as queries:
        selected = bitmaps.select(filterset)
    assert set(selected) == expected
    assert queries.captured_queries == []


def test_a_parameter_only_sql_knows_is_left_to_sql():
    CaseStudyFactory(title="Recent")
    filterset = CaseStudyApiFilterSet(
        QueryDict("updated_since=2000-01-01T00:00:00Z&sector=health"), queryset=CaseStudy.objects.published()
    )
    assert filterset.is_valid()
    bitmaps = CatalogueBitmaps.current()
    assert bitmaps.selected_by_values(filterset, ["updated_since", "sector"]) is None
    assert len(bitmaps.select(filterset)) == 1


def test_a_word_only_in_unpublished_cases_counts_nothing_and_agrees_with_the_library(
    client,
    catalogue,  # noqa: F811
    hidden_cases,  # noqa: F811
):
    # "Hidden telemedicine" cases are unpublished; "hidden" is in no published case. The selection reads
    # word matches among *all* cases (published-ness comes from the bitmaps), so this proves both that
    # unpublished matches are dropped and that the typo-tolerance decision is still the library's.
    library = client.get("/cases/?q=hidden").context["result_count"]
    stats = client.get("/api/v1/stats/?q=hidden").json()
    facets = client.get("/api/v1/cases/facet-counts/?q=hidden").json()
    assert stats["count"] == library == facets["count"]
    assert sum(row["count"] for row in stats["by_economy"]) == library
    assert "MN" not in facets["facets"]["economy"]  # the hidden cases' economy


def test_a_word_selection_keeps_a_narrower_queryset(catalogue):  # noqa: F811
    """Leaving published-ness to the bitmaps is only done for the published catalogue itself."""
    singapore = CaseStudy.objects.published().filter(economy__iso2="SG")
    bitmaps = CatalogueBitmaps.current()
    selection = bitmaps.select(filterset_for("q=telemedicine", queryset=singapore))
    expected = set(search_cases(singapore, "telemedicine").values_list("pk", flat=True))
    assert expected
    assert set(selection) == expected
    assert len(bitmaps.select(filterset_for("q=telemedicine"))) > len(expected)


def test_no_parameters_over_a_narrower_queryset_is_not_the_whole_catalogue(catalogue):  # noqa: F811
    singapore = CaseStudy.objects.published().filter(economy__iso2="SG")
    selection = CatalogueBitmaps.current().select(filterset_for("sort=title", queryset=singapore))
    assert set(selection) == set(singapore.values_list("pk", flat=True))
    assert 0 < len(selection) < 24


def test_full_text_index_is_preferred_on_postgresql_only_and_the_setting_is_restored(on_postgresql):
    def seqscan():
        with connection.cursor() as cursor:
            cursor.execute("SHOW enable_seqscan")
            return cursor.fetchone()[0]

    with full_text_index_preferred():
        if on_postgresql:
            assert seqscan() == "off"
    if on_postgresql:
        assert seqscan() == "on"
        # Restored even when the query inside fails (outside a transaction: reset at once).
        with pytest.raises(ZeroDivisionError), full_text_index_preferred():
            raise ZeroDivisionError
        assert seqscan() == "on"
    else:
        # SQLite has no planner settings: the block is a no-op there, and word search is plain matching.
        with CaptureQueriesContext(connection) as queries, full_text_index_preferred():
            pass
        assert queries.captured_queries == []


def test_refresh_runs_once_per_committed_transaction_and_includes_the_write(
    refreshes, django_capture_on_commit_callbacks
):
    # No write before the block: the test's own transaction holds no callback yet.
    before = CatalogueBitmaps.current()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        case = CaseStudyFactory(slug="fresh-case", sectors=[Sector.objects.get(slug="health")])
        OutcomeFactory(case=case)
        OutcomeFactory(case=case)
        CaseStudyFactory(slug="another-case")
        case.themes.clear()
    # Many writes (two cases, their sectors, two outcomes, themes): one callback, one refresh (the related
    # cases' refresh registers one per write, the first taking them all: cases/tasks.py related_written).
    names = [
        callback.__name__
        for callback in callbacks
        if not isinstance(getattr(callback, "__self__", None), CasesAfterCommit)
    ]
    assert names == ["refresh_statistics_after_commit"]
    assert len(refreshes) == 1
    assert refreshes[0].status == "SUCCESSFUL"
    version = catalogue_version()
    assert version != before.version
    assert refreshes[0].return_value == {"version": version, "published_cases": 2}
    stored = cache.get(CatalogueBitmaps.content_key(cache.get(CatalogueBitmaps.cache_key(version))))
    assert stored is not None
    assert case.pk in stored.published
    assert case.pk in stored.with_outcomes
    assert case.pk not in before.published


def test_readers_after_a_refresh_do_not_rebuild(client, catalogue, refreshes):  # noqa: F811
    catalogue_committed()
    assert len(refreshes) == 1
    CatalogueBitmaps._memo = None  # another process: reads the bitmaps from the shared cache
    with CaptureQueriesContext(connection) as queries:
        everything = client.get("/api/v1/stats/").json()
        health = client.get("/api/v1/stats/?sector=health").json()
    assert everything["count"] == 24
    assert health["count"] == CaseStudy.objects.published().filter(sectors__slug="health").count()
    sql = [query["sql"] for query in queries.captured_queries]
    assert not [statement for statement in sql if "cases_casestudy_themes" in statement]  # no build
    # Neither the unfiltered selection nor one by a facet asks the database for its cases: the facets are
    # intersected on the bitmaps.
    assert not [statement for statement in sql if "cases_casestudy_sectors" in statement]


def test_bitmaps_never_outlive_their_catalogue_version(catalogue):  # noqa: F811
    first = CatalogueBitmaps.current()
    assert CatalogueBitmaps.current() is first  # the same version: this process's copy
    case = catalogue[0]
    case.status = Status.ARCHIVED
    case.save()  # the signal bumps the version
    second = CatalogueBitmaps.current()
    assert second.version != first.version
    assert case.pk in first.published
    assert case.pk not in second.published
    assert case_statistics(filterset_for(""))["count"] == 23
    assert selection_facets(filterset_for(""))["count"] == 23


def test_a_failed_refresh_does_not_fail_the_write(catalogue, refreshes, monkeypatch, caplog):  # noqa: F811
    def broken(cls, version):
        raise RuntimeError("the database went away mid-refresh")

    monkeypatch.setattr(CatalogueBitmaps, "build", classmethod(broken))
    with caplog.at_level(logging.ERROR, logger="django.tasks"):
        catalogue_committed()
    assert refreshes[0].status == "FAILED"
    assert "the database went away mid-refresh" in caplog.text
    monkeypatch.undo()
    # The next reader builds what the refresh could not.
    assert CatalogueBitmaps.current().version == catalogue_version()


def test_the_cases_a_search_finds_by_tag_are_those_sql_finds(catalogue, hidden_cases):  # noqa: F811
    """Every vocabulary term a query can name (the search's lexicon: economies, regions, sectors, themes,
    facets, SDGs, levels, stages), from memory as from SQL, published cases only."""
    from cases.search.query import Lexicon, tagged_condition

    bitmaps = CatalogueBitmaps.current()
    tags = {tag for named in Lexicon.current().tags.values() for tag in named}
    assert {parameter for parameter, _value in tags} >= {"economy", "region", "sector", "theme", "sdg"}
    hidden = {case.pk for case in hidden_cases}
    found_any = False
    for tag in tags:
        expected = set(
            CaseStudy.objects.published().filter(tagged_condition({tag})).values_list("pk", flat=True)
        )
        assert set(bitmaps.tagged({tag})) == expected, tag
        assert not hidden & set(bitmaps.tagged({tag}))
        found_any = found_any or bool(expected)
    assert found_any


def test_a_write_that_changes_nothing_counted_keeps_each_process_copy_of_the_bitmaps(catalogue, refreshes):  # noqa: F811
    """The shared cache holds a version's digest and the bitmaps under it: a process holding bitmaps with
    the new version's digest renames its copy instead of reading them again; a write that changes what is
    counted gives a new digest, and every process reads the new bitmaps."""
    catalogue_committed()
    first = CatalogueBitmaps.current()
    case = catalogue[0]
    case.overview = case.overview + " A sentence more."
    case.save()  # a narrative: nothing the bitmaps count
    catalogue_committed()  # the refresh task builds the new version's bitmaps, here in this process
    CatalogueBitmaps._memo = first  # a reader process, holding the previous version's copy
    renamed = CatalogueBitmaps.current()
    assert renamed.version == catalogue_version() != first.version
    assert renamed.digest == first.digest
    assert renamed.published is first.published  # this process's copy, not read again
    CatalogueBitmaps._memo = None  # another process: reads them from the shared cache, under the new version
    shared = CatalogueBitmaps.current()
    assert shared.version == renamed.version
    assert shared.published == first.published
    case.status = Status.ARCHIVED
    case.save()  # what is counted changes
    catalogue_committed()
    after = CatalogueBitmaps.current()
    assert after.digest != first.digest
    assert case.pk in first.published
    assert case.pk not in after.published
    assert case_statistics(filterset_for(""))["count"] == len(first.published) - 1

"""Whole pages for anonymous readers come from the cache until the catalogue changes; nobody else's do.

The catalogue version lives in the database (cases.models.CatalogueState) and moves with every write, in
the write's own transaction; each process reads it at most once per CATALOGUE_VERSION_TTL. Processes other
than this one are in tests/cases/test_consistency.py (real servers); here, "another process's write" is the
UPDATE of the version row it would commit, made without this process knowing.
"""

import datetime

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import caching
from cases.api.filters import CaseStudyApiFilterSet
from cases.api.pagination import PageNumberPagination
from cases.caching import (
    SelectionPaginator,
    cached,
    catalogue_version,
    filterset_selection,
    vocabulary_snapshot,
)
from cases.curation.workflow import case_transition
from cases.filters import CaseStudyFilterSet
from cases.interchange.importing import import_case_records
from cases.models import (
    SDG,
    CaseStudy,
    CatalogueState,
    Economy,
    ModerationQueue,
    Sector,
    Status,
    ThesaurusEntry,
)
from cases.search.related import refresh_related
from cases.tasks import catalogue_written
from tests.cases.interchange.test_importing import record
from tests.cases.site.test_submission import valid_data
from tests.cases.test_faults import UNREACHABLE_REDIS
from tests.factories import CaseLinkFactory, CaseStudyFactory, OutcomeFactory, UserFactory

pytestmark = pytest.mark.django_db


def queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    return response, len(captured.captured_queries)


@pytest.mark.parametrize("url", ["/", "/cases/", "/cases/?sector=health", "/economies/", "/themes/"])
def test_a_page_read_again_is_served_from_the_cache_without_the_database(client, settings, url):
    # Within the version's TTL not even the version is read; a long one keeps a slow machine from crossing it.
    settings.CATALOGUE_VERSION_TTL = 60
    CaseStudyFactory(title="Cached once")
    first, first_queries = queries_for(client, url)

    again, again_queries = queries_for(client, url)

    assert first.status_code == again.status_code == 200
    assert first_queries > 0
    assert again_queries == 0
    assert again["X-Page-Cache"] == "hit"
    assert again.content == first.content
    assert "Content-Security-Policy" in again  # the security headers are still added on the way out


def test_a_write_to_the_catalogue_makes_the_next_reader_see_it(client):
    case = CaseStudyFactory(title="Before the edit")
    client.get(case.get_absolute_url())

    case.title = "After the edit"
    case.save()

    response = client.get(case.get_absolute_url())
    assert "After the edit" in response.text
    assert "X-Page-Cache" not in response


def test_an_unpublished_case_disappears_at_once_from_a_cached_library(client, superuser):
    case = CaseStudyFactory(title="Soon withdrawn")
    assert "Soon withdrawn" in client.get("/cases/").text

    case_transition(case=case, name="unpublish", user=superuser)

    assert "Soon withdrawn" not in client.get("/cases/").text
    assert client.get(case.get_absolute_url()).status_code == 404


def test_staff_pages_are_never_stored_or_served_from_the_cache(client):
    draft = CaseStudyFactory(title="Staff-only draft", status="draft")
    staff = UserFactory(username="curator", is_staff=True, is_superuser=True)
    client.force_login(staff)
    client.get(draft.get_absolute_url())
    client.get("/cases/")
    response = client.get("/cases/")
    # Rendered again (it may need no query at all: the selection and the terms come from caches).
    assert "X-Page-Cache" not in response

    client.logout()
    assert client.get(draft.get_absolute_url()).status_code == 404


# The API keeps its own cache of answers, behind its rate limits: tests/cases/api/test_conditional.py.
@pytest.mark.parametrize("url", ["/submit/", "/healthz/"])
def test_forms_and_health_are_not_page_cached(client, url):
    CaseStudyFactory()  # a row the API reads again (its total and page of ids may come from caches)
    client.get(url)
    response, queries = queries_for(client, url)
    assert "X-Page-Cache" not in response
    assert queries > 0 or url == "/submit/"


def test_a_not_found_page_is_not_cached(client):
    client.get("/cases/no-such-case/")
    response = client.get("/cases/no-such-case/")
    assert response.status_code == 404
    assert "X-Page-Cache" not in response


def stored_version() -> int:
    return CatalogueState.objects.get().version


def another_process_writes():
    """What another process's write commits, as far as this one can tell: a newer version in the database."""
    CatalogueState.objects.update(version=F("version") + 1, listing_version=F("listing_version") + 1)


def test_a_write_by_another_process_is_seen_once_the_version_ttl_has_passed(client, settings):
    settings.CATALOGUE_VERSION_TTL = 60
    CaseStudyFactory(title="Read by many processes")
    client.get("/cases/")
    another_process_writes()
    assert client.get("/cases/")["X-Page-Cache"] == "hit"  # within the TTL: the version known

    settings.CATALOGUE_VERSION_TTL = 0  # the TTL has passed
    response = client.get("/cases/")

    assert "X-Page-Cache" not in response


def test_a_version_read_is_trusted_for_the_ttl_then_read_again(settings):
    settings.CATALOGUE_VERSION_TTL = 60
    first = catalogue_version()
    with CaptureQueriesContext(connection) as queries:
        assert catalogue_version() == first
    assert queries.captured_queries == []
    another_process_writes()
    settings.CATALOGUE_VERSION_TTL = 0
    with CaptureQueriesContext(connection) as queries:
        assert catalogue_version() == first + 1
    assert len(queries.captured_queries) == 1


def in_a_transaction_that_fails(write):
    """Run write() in a transaction that then fails (and rolls back); the RuntimeError carries its result."""
    with transaction.atomic():
        result = write()
        raise RuntimeError(result)


def test_the_version_moves_in_the_same_transaction_as_the_write(superuser):
    case = CaseStudyFactory()
    before = stored_version()
    with transaction.atomic():
        case_transition(case=case, name="archive", user=superuser)
        assert stored_version() > before  # not after the commit: with it


def test_a_write_rolled_back_leaves_the_version_as_it_was(superuser):
    case = CaseStudyFactory()
    before = stored_version()
    with pytest.raises(RuntimeError):
        in_a_transaction_that_fails(lambda: case_transition(case=case, name="archive", user=superuser))
    assert stored_version() == before
    assert CaseStudy.objects.get(pk=case.pk).status == Status.PUBLISHED


def test_a_case_unpublished_while_redis_is_unreachable_still_changes_the_version(settings, superuser):
    case = CaseStudyFactory()
    before = stored_version()
    settings.CACHES = UNREACHABLE_REDIS

    case_transition(case=case, name="unpublish", user=superuser)

    assert stored_version() > before


def test_versions_are_never_reused_after_a_rollback(superuser):
    case = CaseStudyFactory()
    case.title = "Never committed"
    with pytest.raises(RuntimeError) as failure:
        in_a_transaction_that_fails(lambda: (case.save(), stored_version())[1])
    rolled_back = failure.value.args[0]
    case.title = "Committed"
    case.save()
    assert stored_version() != rolled_back


def test_reads_inside_an_uncommitted_write_are_neither_served_from_nor_stored_in_the_cache():
    computed = []

    def compute():
        computed.append(1)
        return len(computed)

    assert cached("probe", "key", compute) == 1
    with transaction.atomic():
        CaseStudyFactory(title="Not committed yet")
        assert cached("probe", "key", compute) == 2  # its own view, not the cached one
        assert cached("probe", "key", compute) == 3  # and nothing stored for the others
    assert cached("probe", "key", compute) == 4  # committed: a new version, computed once
    assert cached("probe", "key", compute) == 4


def test_a_moderation_queue_save_that_publishes_changes_the_version():
    # The queue is a proxy of CaseStudy: its saves are sent by the proxy class.
    submitted = ModerationQueue.objects.get(pk=CaseStudyFactory(status=Status.SUBMITTED).pk)
    before = stored_version()
    submitted.status, submitted.published_at = Status.PUBLISHED, timezone.now()
    submitted.save()
    assert stored_version() > before


# --- Only what the public sees moves the version ------------------------------------------------------


@pytest.mark.parametrize("status", [Status.DRAFT, Status.SUBMITTED, Status.IN_REVIEW, Status.ARCHIVED])
def test_writing_a_case_nobody_outside_admin_sees_leaves_the_version(status):
    """A draft saved or a submission received neither empties every cached page for everyone nor tells a
    reader watching the cache that someone is at work."""
    case = CaseStudyFactory(status=status)
    before = stored_version()

    case.title = "Still unpublished"
    case.save()
    OutcomeFactory(case=case)
    case.sectors.add(Sector.objects.first())
    case.delete()

    assert stored_version() == before


def test_a_public_submission_leaves_the_version(client):
    before = stored_version()
    assert client.post("/submit/", valid_data(), REMOTE_ADDR="203.0.113.60").status_code == 302
    assert stored_version() == before


@pytest.mark.parametrize(
    "write",
    [
        lambda case: setattr(case, "title", "Renamed") or case.save(),
        lambda case: OutcomeFactory(case=case),
        lambda case: case.sectors.add(Sector.objects.exclude(cases=case).first()),
        lambda case: Sector.objects.exclude(cases=case).first().cases.add(case),
        lambda case: case.outcomes.all().delete(),
        lambda case: case.delete(),
    ],
    ids=[
        "edit",
        "outcome-added",
        "sector-added",
        "sector-added-from-the-sector",
        "outcomes-deleted",
        "deleted",
    ],
)
def test_writing_a_published_case_or_what_hangs_off_it_moves_the_version(write):
    case = CaseStudyFactory(status=Status.PUBLISHED)
    OutcomeFactory(case=case)
    before = stored_version()

    write(case)

    assert stored_version() > before


def test_a_case_leaving_publication_moves_the_version_even_from_an_object_saved_twice():
    case = CaseStudyFactory(status=Status.DRAFT)
    case.status, case.published_at = Status.PUBLISHED, timezone.now()
    case.save()
    before = stored_version()

    case.status = Status.ARCHIVED  # the same object: it was published as stored, not as first loaded
    case.save()

    assert stored_version() > before


def test_unpublishing_through_an_object_loaded_before_it_was_published_moves_the_version():
    stale = CaseStudyFactory(status=Status.DRAFT)
    fresh = CaseStudy.objects.get(pk=stale.pk)
    fresh.status, fresh.published_at = Status.PUBLISHED, timezone.now()
    fresh.save()
    before = stored_version()

    stale.title = "Saved from an old copy"  # the old copy still says draft; the database says published
    stale.save()

    assert stored_version() > before


def test_unpublishing_through_an_object_with_its_status_deferred_moves_the_version():
    case = CaseStudyFactory(status=Status.PUBLISHED)
    partial = CaseStudy.objects.only("id", "title").get(pk=case.pk)
    before = stored_version()

    partial.status = Status.DRAFT
    partial.save()

    assert stored_version() > before


def test_an_outcome_moved_from_a_published_case_to_a_draft_moves_the_version():
    outcome = OutcomeFactory(case=CaseStudyFactory(status=Status.PUBLISHED))
    outcome = type(outcome).objects.get(pk=outcome.pk)
    before = stored_version()

    outcome.case = CaseStudyFactory(status=Status.DRAFT)
    outcome.save()

    assert stored_version() > before


def test_renaming_an_sdg_changes_the_version():
    before = stored_version()
    goal = SDG.objects.get(number=3)
    goal.name = "Health for all"
    goal.save()
    assert stored_version() > before


def test_an_import_that_changes_only_outcomes_changes_the_version():
    import_case_records([record()])
    before = stored_version()
    changed = record()
    changed["outcomes"][0]["value"] = 13000

    import_case_records([changed])

    assert stored_version() > before


def test_the_sitemap_drops_an_archived_case_at_once(client, superuser):
    case = CaseStudyFactory(slug="soon-archived")
    first = client.get("/sitemap.xml")
    assert "/cases/soon-archived/" in first.text
    assert "max-age" not in first.get("Cache-Control", "")  # no HTTP cache downstream keeps it an hour

    case_transition(case=case, name="archive", user=superuser)

    assert "/cases/soon-archived/" not in client.get("/sitemap.xml").text


# --- One paginator for the library and the API (cases.caching.SelectionPaginator) -----------------

LIBRARY = "/cases/"
API_LIST = "/api/v1/cases/"


def total_counts(captured) -> list[str]:
    """The queries counting a whole selection (Paginator.count), among those captured."""
    return [query["sql"] for query in captured.captured_queries if 'COUNT(*) AS "__count"' in query["sql"]]


def page_id_reads(captured) -> list[str]:
    """The queries reading the ids of a page of results: ordered and sliced (the facet counts' and
    statistics' reads of a selection's ids, on SQLite, are neither)."""
    prefix = 'SELECT "cases_casestudy"."id" AS "pk" FROM'
    return [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].startswith(prefix) and " ORDER BY " in query["sql"] and " LIMIT " in query["sql"]
    ]


def shown_total(response) -> int:
    return (
        response.json()["count"]
        if response["Content-Type"].startswith("application/json")
        else (response.context["result_count"])
    )


@pytest.fixture
def flood_cases():
    """25 published cases in Thailand matching "flood", and one elsewhere that does not count."""
    thailand = Economy.objects.get(iso2="TH")
    cases = [CaseStudyFactory(title=f"Flood warning {n}", economy=thailand) for n in range(25)]
    CaseStudyFactory(title="Flood warning in Singapore")
    return cases


@pytest.mark.parametrize(
    ("first", "second"), [(LIBRARY, API_LIST), (API_LIST, LIBRARY)], ids=["library", "api"]
)
def test_the_library_and_the_api_share_the_cached_total_and_pages_of_a_selection(
    client, flood_cases, first, second
):
    # The parameters in another order, as another face's links may write them: the same selection.
    with CaptureQueriesContext(connection) as first_queries:
        first_response = client.get(first, {"economy": "TH", "q": "flood"})
    with CaptureQueriesContext(connection) as second_queries:
        second_response = client.get(second, {"q": "flood", "economy": "TH"})

    assert first_response.status_code == second_response.status_code == 200
    assert shown_total(first_response) == shown_total(second_response) == 25
    # A search's total is the facet counts' (the bitmaps intersected with the words' matches): no COUNT.
    assert total_counts(first_queries) == []
    assert len(page_id_reads(first_queries)) == 1
    assert total_counts(second_queries) == []
    assert page_id_reads(second_queries) == []  # and its first page: same order, same page size


def test_the_next_page_reads_its_own_ids_but_not_the_total_again(client, flood_cases):
    client.get(LIBRARY, {"economy": "TH", "q": "flood"})

    with CaptureQueriesContext(connection) as queries:
        response = client.get(API_LIST, {"economy": "TH", "q": "flood", "page": "2"})

    assert len(response.json()["results"]) == 5
    assert total_counts(queries) == []
    assert len(page_id_reads(queries)) == 1


def newest_first(cases):
    return [case.slug for case in sorted(cases, key=lambda case: (case.published_at, case.pk), reverse=True)]


def slugs_of(response) -> list[str]:
    if response["Content-Type"].startswith("application/json"):
        return [case["slug"] for case in response.json()["results"]]
    return [case.slug for case in response.context["cases"]]


def test_different_selections_orders_and_page_sizes_never_share_ids(client):
    thailand = Economy.objects.get(iso2="TH")
    thai = [CaseStudyFactory(title=f"Thai case {chr(65 + n)}", economy=thailand) for n in range(12)]
    singaporean = [CaseStudyFactory(title=f"Singapore case {chr(65 + n)}") for n in range(12)]
    every = thai + singaporean
    by_title = sorted(every, key=lambda case: (case.title, case.pk))
    # Each answer follows one that, were ids shared wrongly, would have left its own ids in the cache.
    expected = [
        (LIBRARY, {}, newest_first(every)[:20]),
        (API_LIST, {"page_size": "5"}, newest_first(every)[:5]),
        (API_LIST, {}, newest_first(every)[:20]),
        (API_LIST, {"page_size": "20", "page": "2"}, newest_first(every)[20:]),
        (API_LIST, {"page_size": "5", "page": "2"}, newest_first(every)[5:10]),
        (LIBRARY, {"sort": "title"}, [case.slug for case in by_title][:20]),
        (API_LIST, {"ordering": "title"}, [case.slug for case in by_title][:20]),
        (API_LIST, {"ordering": "-title"}, [case.slug for case in reversed(by_title)][:20]),
        (API_LIST, {"sort": "oldest"}, list(reversed(newest_first(every)))[:20]),
        (LIBRARY, {"economy": "TH"}, newest_first(thai)),
        (API_LIST, {"economy": "SG"}, newest_first(singaporean)),
        (LIBRARY, {"economy": "SG", "sort": "oldest"}, list(reversed(newest_first(singaporean)))),
    ]

    answers = [(url, query, slugs_of(client.get(url, query))) for url, query, _slugs in expected]

    assert answers == expected


def test_a_selection_given_a_parameter_only_the_api_has_is_a_selection_of_its_own(client):
    earlier = CaseStudyFactory(title="Changed long ago")
    CaseStudy.objects.filter(pk=earlier.pk).update(updated_at=timezone.now() - datetime.timedelta(days=30))
    recent = CaseStudyFactory(title="Changed today")
    client.get(LIBRARY)
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()

    response = client.get(API_LIST, {"updated_since": since})

    assert response.json()["count"] == 1
    assert slugs_of(response) == [recent.slug]


def test_the_api_filtersets_extra_parameters_count_in_its_selection_only_when_given():
    library = CaseStudyFilterSet({"economy": ["TH"]}, queryset=CaseStudy.objects.published())
    api = CaseStudyApiFilterSet({"economy": ["TH"]}, queryset=CaseStudy.objects.published())
    api_since = CaseStudyApiFilterSet(
        {"economy": ["TH"], "updated_since": "2025-01-01T00:00:00Z"}, queryset=CaseStudy.objects.published()
    )
    api_ordered = CaseStudyApiFilterSet(
        {"economy": ["TH"], "ordering": "title"}, queryset=CaseStudy.objects.published()
    )
    assert all(filterset.is_valid() for filterset in (library, api, api_since, api_ordered))

    selections = [filterset_selection(f) for f in (library, api, api_since, api_ordered)]

    assert selections[0] == selections[1]
    assert selections[2] != selections[0]
    assert selections[3] != selections[0]
    assert selections[2] != selections[3]


def test_a_paginator_never_shares_ids_between_orders_or_page_sizes_of_one_selection():
    """Even when the caller's selection forgot the order (or the page size), the pages stay apart."""
    cases = [CaseStudyFactory(title=f"Case {chr(65 + n)}") for n in range(6)]
    published = CaseStudy.objects.published()
    selection = ("a selection that does not say its order",)

    def first_page(queryset, per_page):
        return [case.pk for case in SelectionPaginator(queryset, per_page, selection=selection).page(1)]

    by_title = first_page(published.order_by("title", "id"), 3)
    by_title_reversed = first_page(published.order_by("-title", "-id"), 3)
    by_title_longer = first_page(published.order_by("title", "id"), 4)

    assert by_title == [case.pk for case in cases[:3]]
    assert by_title_reversed == [case.pk for case in reversed(cases[3:])]
    assert by_title_longer == [case.pk for case in cases[:4]]


def test_a_paginator_without_a_selection_caches_nothing():
    CaseStudyFactory()
    paginator = SelectionPaginator(CaseStudy.objects.published().order_by("id"), 20)
    assert paginator.count == 1

    CaseStudyFactory()

    assert SelectionPaginator(CaseStudy.objects.published().order_by("id"), 20).count == 2


def test_the_api_caches_no_page_of_a_queryset_its_filterset_did_not_give(rf):
    """A view that narrows the FilterSet's queryset further pages rows its parameters do not describe."""

    class View:
        filterset = CaseStudyApiFilterSet({}, queryset=CaseStudy.objects.published())

    narrowed = View.filterset.qs.filter(year_launched=2018)

    assert PageNumberPagination.selection(View.filterset.qs, View()) == filterset_selection(View.filterset)
    assert PageNumberPagination.selection(narrowed, View()) is None
    assert PageNumberPagination.selection(View.filterset.qs, object()) is None


# A request with an invalid parameter (answered 400) must not cache what it shows, nothing, as the total
# or pages of the selection of its valid parameters.
@pytest.fixture
def two_cases():
    return [CaseStudyFactory(title="Flood warning"), CaseStudyFactory(title="Heat warning")]


def test_an_invalid_library_query_does_not_empty_the_whole_catalogue_for_the_api(client, two_cases):
    assert client.get(LIBRARY, {"year_from": "abc"}).status_code == 400

    api = client.get(API_LIST).json()
    assert api["count"] == 2
    assert len(api["results"]) == 2


def test_an_invalid_library_query_does_not_empty_the_library_page(client, two_cases):
    assert client.get(LIBRARY, {"sdg": "99"}).status_code == 400

    library = client.get(LIBRARY)  # then stored by the page cache, for every anonymous reader
    assert library.context["result_count"] == 2
    assert len(library.context["cases"]) == 2


def test_an_invalid_parameter_beside_valid_ones_does_not_empty_their_selection(client, two_cases):
    assert client.get(LIBRARY, {"q": "flood", "year_to": "later"}).status_code == 400

    assert client.get(API_LIST, {"q": "flood"}).json()["count"] == 1
    assert client.get(LIBRARY, {"q": "flood"}).context["result_count"] == 1


def test_a_page_reads_its_rows_by_id_from_the_rows_it_is_given(django_assert_max_num_queries):
    """Once a page's ids are chosen (by the selection, or the search's ranked reader), the rows are read
    from `rows` by id, without the selection's conditions (a search's would test every row's document
    again): here a reader that chooses ids the object list's own filter would not."""
    cases = [CaseStudyFactory(title=f"Case {n}") for n in range(3)]
    ids = [cases[2].pk, cases[0].pk]
    paginator = SelectionPaginator(
        CaseStudy.objects.published().filter(title="nothing matches this").order_by("id"),
        20,
        selection=("rows", "test"),
        counter=lambda: 2,
        ids_reader=lambda offset, limit: ids[offset : offset + limit],
        rows=CaseStudy.objects.published().for_cards(),
    )
    page = paginator.page(1)
    assert [case.pk for case in page.object_list] == ids
    # The cards' rows come without their narrative sections (for_cards).
    assert "overview" in page.object_list[0].get_deferred_fields()


# --- The vocabulary snapshot: its own version, moved only by writes to the vocabularies (issue 15) -------


def stored_vocabulary_version() -> int:
    return CatalogueState.objects.get().vocabulary_version


def another_process_renames_health(name: str):
    """What another process's rename of a sector commits: the row, and both versions moved."""
    Sector.objects.filter(slug="health").update(name=name)
    CatalogueState.objects.update(
        version=F("version") + 1,
        vocabulary_version=F("vocabulary_version") + 1,
        case_pages_version=F("case_pages_version") + 1,
    )


def snapshot_reads(queries) -> list[str]:
    """The reads of the vocabulary snapshot: one UNION ALL over every vocabulary (cases/models/unions.py)."""
    return [
        query["sql"]
        for query in queries.captured_queries
        if "union_model" in query["sql"] and '"cases_sdg"' in query["sql"]
    ]


def test_a_write_to_a_case_leaves_the_vocabulary_version_and_the_cached_snapshot(settings):
    case = CaseStudyFactory(title="Written often")
    vocabulary_snapshot()
    before, catalogue_before = stored_vocabulary_version(), stored_version()

    case.title = "Written again"
    case.save()
    caching._snapshot = None  # another process: it finds the snapshot in the shared cache
    with CaptureQueriesContext(connection) as queries:
        snapshot = vocabulary_snapshot()

    assert stored_version() != catalogue_before
    assert stored_vocabulary_version() == before
    assert snapshot.version == before
    assert snapshot_reads(queries) == []


@pytest.mark.parametrize(
    "write",
    [
        lambda: Sector.objects.get(slug="health").save(),
        lambda: Economy.objects.get(iso2="SG").save(),
        lambda: SDG.objects.get(number=3).save(),
        lambda: ThesaurusEntry.objects.create(terms="tide\ntidal"),
    ],
    ids=["sector", "economy", "sdg", "thesaurus"],
)
def test_a_write_to_a_vocabulary_moves_both_versions(write):
    before, catalogue_before = stored_vocabulary_version(), stored_version()
    write()
    assert stored_vocabulary_version() != before
    assert stored_version() != catalogue_before


def test_a_term_renamed_in_this_process_is_seen_by_its_next_reader(client):
    case = CaseStudyFactory(title="Clinic booking")  # in the sector Health
    assert "Health" in client.get("/cases/").text

    sector = Sector.objects.get(slug="health")
    sector.name = "Medical care"
    sector.save()

    for url in ("/cases/", case.get_absolute_url(), "/", "/api/v1/cases/"):
        assert "Medical care" in client.get(url).text, url


def test_a_term_renamed_by_another_process_is_seen_once_the_version_ttl_has_passed(client, settings):
    settings.CATALOGUE_VERSION_TTL = 60
    case = CaseStudyFactory(title="Clinic booking")
    client.get(case.get_absolute_url())
    client.get("/api/v1/cases/")
    another_process_renames_health("Medical care")
    assert "Medical care" not in client.get(case.get_absolute_url()).text  # within the TTL: as it was

    settings.CATALOGUE_VERSION_TTL = 0  # the TTL has passed
    assert "Medical care" in client.get(case.get_absolute_url()).text
    assert "Medical care" in client.get("/api/v1/cases/").text
    assert "Medical care" in client.get("/cases/?sector=health").text  # the card and the filter chip


def test_two_processes_each_read_the_renamed_term_from_the_shared_cache_once_one_has_read_it(settings):
    """The first process to ask after a rename reads the snapshot and stores it; the others take it from
    the shared cache (here: this process's memory emptied, as another process's would be)."""
    settings.CATALOGUE_VERSION_TTL = 0
    vocabulary_snapshot()
    another_process_renames_health("Medical care")

    with CaptureQueriesContext(connection) as first:
        renamed = vocabulary_snapshot()
    caching._snapshot = None
    with CaptureQueriesContext(connection) as second:
        again = vocabulary_snapshot()

    assert ("Medical care",) in renamed.values(Sector, "name")
    assert again.values(Sector, "name") == renamed.values(Sector, "name")
    assert len(snapshot_reads(first)) == 1
    assert snapshot_reads(second) == []


def test_a_snapshot_read_inside_an_uncommitted_vocabulary_write_is_its_own_and_not_shared():
    before = vocabulary_snapshot()

    def rename_and_read():
        sector = Sector.objects.get(slug="health")
        sector.name = "Never committed"
        sector.save()
        return vocabulary_snapshot().values(Sector, "name")

    with pytest.raises(RuntimeError) as failure:
        in_a_transaction_that_fails(rename_and_read)
    assert ("Never committed",) in failure.value.args[0]  # its own writes, inside
    after = vocabulary_snapshot()
    assert ("Never committed",) not in after.values(Sector, "name")
    assert after.version == before.version


def test_a_case_written_in_a_transaction_keeps_the_cached_snapshot():
    cached_snapshot = vocabulary_snapshot()
    with transaction.atomic():
        CaseStudyFactory(title="Written in a transaction")
        with CaptureQueriesContext(connection) as queries:
            assert vocabulary_snapshot() is cached_snapshot
    assert snapshot_reads(queries) == []


def test_when_the_catalogue_last_changed_is_read_by_the_task_after_a_write_not_by_readers(
    after_a_write, django_assert_num_queries
):
    case = CaseStudyFactory()
    after_a_write()
    caching.shared_catalogue_version()  # a reader's process reads the version (once a second)
    with django_assert_num_queries(0):
        before = caching.catalogue_last_modified()
    assert before == CaseStudy.objects.get(pk=case.pk).updated_at
    case.title = "Retitled"
    case.save()  # moves the version: the time is read afresh
    assert caching.catalogue_last_modified() > before
    CaseStudyFactory(status="draft")  # a draft moves the version, never the time
    assert caching.catalogue_last_modified() == CaseStudy.objects.get(pk=case.pk).updated_at


# --- Case pages: cached under their case's stamp, not the catalogue version (issue 15) ------------------


def is_hit(client, url) -> bool:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get("X-Page-Cache") == "hit"


def case_faces(case) -> list[str]:
    """The case's page and its API record, both cached under its stamp."""
    return [case.get_absolute_url(), f"/api/v1/cases/{case.slug}/"]


def read_twice(client, case) -> None:
    for url in case_faces(case):
        client.get(url)
        assert is_hit(client, url)


def test_a_write_to_another_case_leaves_a_case_page_cached(client):
    case, other = CaseStudyFactory(title="Left alone"), CaseStudyFactory(title="Edited")
    read_twice(client, case)
    client.get("/cases/")

    other.title = "Edited again"
    other.save()

    assert all(is_hit(client, url) for url in case_faces(case))
    assert not is_hit(client, "/cases/")  # lists and counts still follow the catalogue version


def test_a_write_by_another_process_to_the_case_is_seen_once_the_ttl_has_passed(client, settings):
    settings.CATALOGUE_VERSION_TTL = 60
    case = CaseStudyFactory(title="Before")
    read_twice(client, case)

    # What another process's edit commits: the row and its revision (the catalogue version unseen here).
    CaseStudy.objects.filter(pk=case.pk).update(title="After", public_revision=F("public_revision") + 1)
    assert is_hit(client, case.get_absolute_url())  # within the TTL: the stamp known

    settings.CATALOGUE_VERSION_TTL = 0
    response = client.get(case.get_absolute_url())
    assert "X-Page-Cache" not in response
    assert "After" in response.text
    assert client.get(f"/api/v1/cases/{case.slug}/").json()["title"] == "After"


def edit_title(case):
    case.title = "A new title"
    case.save()


def add_outcome(case):
    OutcomeFactory(case=case, indicator="Waiting time")


def edit_outcome(case):
    outcome = case.outcomes.get()
    outcome.indicator = "Renamed indicator"
    outcome.save()


def delete_outcome(case):
    case.outcomes.get().delete()


def add_sector(case):
    case.sectors.add(Sector.objects.get(slug="education"))


def add_sector_from_its_side(case):
    Sector.objects.get(slug="education").cases.add(case)


def clear_a_sector_from_its_side(case):
    Sector.objects.get(slug="health").cases.clear()


def rename_its_sector(case):
    Sector.objects.filter(slug="health").update(name="Health and care")
    health = Sector.objects.get(slug="health")
    health.save()


@pytest.mark.parametrize(
    "write",
    [
        edit_title,
        add_outcome,
        edit_outcome,
        delete_outcome,
        add_sector,
        add_sector_from_its_side,
        clear_a_sector_from_its_side,
        rename_its_sector,
    ],
)
def test_a_write_to_the_case_or_what_its_page_names_makes_its_page_fresh(client, write):
    case = CaseStudyFactory(sectors=[Sector.objects.get(slug="health")])
    OutcomeFactory(case=case, indicator="Visits")
    read_twice(client, case)

    write(case)

    for url in case_faces(case):
        assert not is_hit(client, url), url


def test_a_bulk_write_that_names_no_case_makes_every_case_page_fresh(client):
    case = CaseStudyFactory()
    read_twice(client, case)

    with transaction.atomic():
        catalogue_written()

    assert not any(is_hit(client, url) for url in case_faces(case))


def test_a_linked_case_renamed_or_withdrawn_is_seen_on_the_pages_of_both_ends(client, superuser):
    case, source, follower = CaseStudyFactory(), CaseStudyFactory(title="The source"), CaseStudyFactory()
    CaseLinkFactory(from_case=case, to_case=source, relation="adapted_from")
    CaseLinkFactory(from_case=follower, to_case=case, relation="adapted_from")
    read_twice(client, case)

    source.title = "The source, renamed"
    source.save()
    assert "The source, renamed" in client.get(case.get_absolute_url()).text
    read_twice(client, case)

    follower.title = "The follower, renamed"
    follower.save()
    assert "The follower, renamed" in client.get(case.get_absolute_url()).text
    read_twice(client, case)

    case_transition(case=source, name="unpublish", user=superuser)
    assert "The source, renamed" not in client.get(case.get_absolute_url()).text
    assert "The source, renamed" not in client.get(f"/api/v1/cases/{case.slug}/").text


def test_a_link_made_to_the_case_from_another_is_seen_on_its_page(client):
    case, other = CaseStudyFactory(), CaseStudyFactory(title="Replicated it")
    read_twice(client, case)

    CaseLinkFactory(from_case=other, to_case=case, relation="adapted_from")

    assert "Replicated it" in client.get(case.get_absolute_url()).text


def test_a_related_case_renamed_withdrawn_or_the_list_refreshed_is_seen_on_the_page(
    client, superuser, settings
):
    settings.CATALOGUE_VERSION_TTL = 0  # a list is refreshed by a task, maybe in another process
    health = Sector.objects.get(slug="health")
    case = CaseStudyFactory(sectors=[health])
    related = CaseStudyFactory(title="A related case", sectors=[health])
    refresh_related([case.pk])
    assert "A related case" in client.get(case.get_absolute_url()).text
    assert is_hit(client, case.get_absolute_url())

    related.title = "A related case, renamed"
    related.save()
    assert "A related case, renamed" in client.get(case.get_absolute_url()).text

    newcomer = CaseStudyFactory(title="A newcomer", sectors=[health])
    assert is_hit(client, case.get_absolute_url())  # its list not refreshed yet: the same page
    refresh_related([case.pk])
    assert "A newcomer" in client.get(case.get_absolute_url()).text

    case_transition(case=newcomer, name="unpublish", user=superuser)
    assert "A newcomer" not in client.get(case.get_absolute_url()).text


def test_a_case_unpublished_is_gone_from_its_own_cached_page_at_once(client, superuser):
    case = CaseStudyFactory()
    read_twice(client, case)

    case_transition(case=case, name="unpublish", user=superuser)

    for url in case_faces(case):
        assert client.get(url).status_code == 404


def test_a_save_of_an_object_holding_an_old_revision_never_brings_it_back():
    case = CaseStudyFactory()
    loaded_earlier = CaseStudy.objects.get(pk=case.pk)
    seen = {CaseStudy.objects.get(pk=case.pk).public_revision}

    for obj in (case, loaded_earlier, case, loaded_earlier):
        obj.summary = f"Saved from {id(obj)}"
        obj.save()
        revision = CaseStudy.objects.get(pk=case.pk).public_revision
        assert revision not in seen
        seen.add(revision)


def test_a_draft_written_moves_no_case_page(client):
    case = CaseStudyFactory()
    revision = CaseStudy.objects.get(pk=case.pk).public_revision
    read_twice(client, case)

    draft = CaseStudyFactory(status="draft")
    CaseLinkFactory(from_case=draft, to_case=case, relation="adapted_from")
    OutcomeFactory(case=draft)

    assert CaseStudy.objects.get(pk=case.pk).public_revision == revision
    assert all(is_hit(client, url) for url in case_faces(case))


def test_a_case_page_read_inside_an_uncommitted_write_is_its_own(client):
    case = CaseStudyFactory(title="Committed")
    read_twice(client, case)
    with transaction.atomic():
        edit_title(case)
        inside = client.get(case.get_absolute_url())
        assert "A new title" in inside.text
        assert "X-Page-Cache" not in inside
        transaction.set_rollback(True)

    assert "Committed" in client.get(case.get_absolute_url()).text


def test_the_stamp_read_through_the_compiled_statement_is_the_querysets():
    health = Sector.objects.get(slug="health")
    case = CaseStudyFactory(sectors=[health])
    CaseStudyFactory(sectors=[health])
    CaseLinkFactory(from_case=case, to_case=CaseStudyFactory(), relation="adapted_from")
    CaseLinkFactory(from_case=CaseStudyFactory(), to_case=case, relation="adapted_from")
    refresh_related([case.pk])

    stamp = caching._read_stamp(case.slug)

    assert stamp == sorted(caching._case_stamp_rows(case.slug))
    assert {part for part, _id, _revision in stamp} == {0, 1, 2, 3}
    assert caching._read_stamp("no-such-case") == []

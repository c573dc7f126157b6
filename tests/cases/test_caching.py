"""Whole pages for anonymous readers come from the cache until the catalogue changes; nobody else's do.

The catalogue version lives in the database (cases.models.CatalogueState) and moves with every write, in
the write's own transaction; each process reads it at most once per CATALOGUE_VERSION_TTL. Processes other
than this one are in tests/cases/test_consistency.py (real servers); here, "another process's write" is the
UPDATE of the version row it would commit, made without this process knowing.
"""

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.caching import cached, catalogue_version
from cases.curation.workflow import case_transition
from cases.interchange.importing import import_case_records
from cases.models import SDG, CaseStudy, CatalogueState, ModerationQueue, Sector, Status
from tests.cases.interchange.test_importing import record
from tests.cases.site.test_submission import valid_data
from tests.cases.test_faults import UNREACHABLE_REDIS
from tests.factories import CaseStudyFactory, OutcomeFactory, UserFactory

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
    _response, queries = queries_for(client, "/cases/")
    assert queries > 0

    client.logout()
    assert client.get(draft.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("url", ["/submit/", "/api/v1/cases/", "/healthz/"])
def test_forms_the_api_and_health_are_not_page_cached(client, url):
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
    CatalogueState.objects.update(version=F("version") + 1)


def test_a_write_by_another_process_is_seen_once_the_version_ttl_has_passed(client, settings):
    settings.CATALOGUE_VERSION_TTL = 60
    case = CaseStudyFactory(title="Read by many processes")
    client.get(case.get_absolute_url())
    another_process_writes()
    assert client.get(case.get_absolute_url())["X-Page-Cache"] == "hit"  # within the TTL: the version known

    settings.CATALOGUE_VERSION_TTL = 0  # the TTL has passed
    response = client.get(case.get_absolute_url())

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

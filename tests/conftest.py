import pytest
from django.db import connection

from tests.factories import UserFactory


@pytest.fixture
def on_postgresql(db):
    """True when the suite runs on PostgreSQL (CI); tests use it to assert each engine's behaviour."""
    return connection.vendor == "postgresql"


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (pages and throttles cache across requests)."""
    from django.core.cache import cache

    from cases.caching import forget_catalogue_version

    cache.clear()
    forget_catalogue_version()  # the version read during the last test may be one its rollback undid
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _empty_open_data_storage():
    """Each test starts with no open-data release: the test settings keep releases in memory, in one
    storage object for the whole process, which a test's dump would otherwise leave to the next."""
    from django.core.files.storage import storages

    storage = storages["opendata"]

    def empty(folder: str) -> None:
        folders, files = storage.listdir(folder)
        for name in files:
            storage.delete(f"{folder}/{name}" if folder else name)
        for name in folders:
            empty(f"{folder}/{name}" if folder else name)

    empty("")


@pytest.fixture(autouse=True)
def _language_of_each_test():
    """Each test starts in English: a request to /th/... activates Thai for the thread that served it (the
    middleware, like Django's, leaves it active for a streamed answer), and a later test in that thread
    would otherwise run in Thai."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


# Issue 15: every page and API call reads at most this many queries on the computed request.
MAX_QUERIES = 6


@pytest.fixture
def after_a_write(db):
    """A function putting the catalogue in the state the first request after a write meets (issue 15's
    "computed" request): the catalogue version just moved, so every cache keyed by it misses (pages,
    totals, pages of ids, facet counts, statistics); what the task run after a writer's commit builds is
    built (the bitmaps, the word list, the postings; the vocabulary snapshot, which a write to a case leaves
    cached); and this process reads the version again, as one whose time to live has passed."""
    from cases.caching import forget_catalogue_version
    from cases.tasks import catalogue_committed

    def prepare():
        catalogue_committed()
        forget_catalogue_version()

    return prepare

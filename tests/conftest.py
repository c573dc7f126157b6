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

"""Rate limits are counted atomically: a burst of concurrent requests gets exactly the limit through.

Real gunicorn servers (tests/live_servers.py: production settings, several workers and threads) take 60
requests fired at once by 60 threads against a limit of 20, with Redis (database 11, flushed here) and
with the local-memory cache (one worker: local memory is per process). The counter itself is also
hammered directly from threads, on both caches.
"""

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from django.core.cache import caches

from cases.api.throttling import count_request
from cases.interchange.reference_data import load_reference_data
from cases.services import api_key_create
from tests.live_servers import database_url, fetch, gunicorn_server, requires_postgresql

# Redis databases 11-14 are this module's own (the test settings give xdist workers 1, 2...). Each test
# flushes its database before and after use, and xdist may run two of these tests at the same time: each
# server test has a database of its own, or one test's flush would reset the other's counts mid-burst.
REDIS_URL = "redis://127.0.0.1:6379/14"  # the counter tests in this process (their keys differ)
SERVER_TEST_REDIS = {
    "test_anonymous_limit_holds_exactly_under_concurrent_requests_to_several_workers": 11,
    "test_export_limit_holds_exactly_under_concurrent_requests": 12,
    "test_a_keys_own_limit_holds_exactly_under_concurrent_requests": 13,
}
# The key each counter test counts under in database 14: the only keys its set-up and tear-down delete.
COUNTER_KEYS = {
    "test_concurrent_counts_in_redis_let_exactly_the_limit_through": "throttle_test_redis",
    "test_a_refused_client_is_let_in_once_the_wait_it_was_told_is_over": "throttle_test_wait",
    "test_refused_requests_are_not_counted": "throttle_test_refused",
}
LIMIT = 20
CONCURRENT = 60


def redis_available() -> bool:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False
    return True


# Skipped without Redis on a developer's machine only: in CI (where .ci/run starts Redis) these run, and
# fail if Redis is missing.
requires_redis = pytest.mark.skipif(
    not redis_available() and not os.environ.get("CI"), reason="needs Redis at 127.0.0.1:6379"
)


@pytest.fixture
def flushed_redis(request):
    """A server test's own Redis database, flushed; for the counter tests, the shared database 14 with
    its own key (COUNTER_KEYS) deleted. Flushing database 14 would reset another counter test's
    counts in the middle of its burst when xdist runs two of them at once (CI once let 22 of 20 in)."""
    database = SERVER_TEST_REDIS.get(request.node.originalname)
    if database is None:
        client = redis.Redis.from_url(REDIS_URL)

        def clear():
            for key in client.scan_iter(match=f"*{COUNTER_KEYS[request.node.originalname]}*"):
                client.delete(key)

        clear()
        yield REDIS_URL
        clear()
        return
    url = f"redis://127.0.0.1:6379/{database}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()


@pytest.fixture
def redis_cache(settings, flushed_redis):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": flushed_redis}
    }
    return caches["default"]


def all_at_once(call, count: int = CONCURRENT) -> list:
    """`call()` from `count` threads released together; the results in thread order."""
    start = threading.Barrier(count)

    def run():
        start.wait()
        return call()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return [future.result() for future in [pool.submit(run) for _ in range(count)]]


# --- The counter itself -----------------------------------------------------------------------------


def test_concurrent_counts_in_local_memory_let_exactly_the_limit_through():
    results = all_at_once(lambda: count_request("throttle_test_local", LIMIT, 60))

    assert sum(allowed for allowed, _wait in results) == LIMIT


@requires_redis
def test_concurrent_counts_in_redis_let_exactly_the_limit_through(redis_cache):
    results = all_at_once(lambda: count_request("throttle_test_redis", LIMIT, 60))

    assert sum(allowed for allowed, _wait in results) == LIMIT


@pytest.mark.parametrize("backend", ["local", pytest.param("redis", marks=requires_redis)])
def test_a_refused_client_is_let_in_once_the_wait_it_was_told_is_over(request, backend):
    if backend == "redis":
        request.getfixturevalue("redis_cache")
    assert [count_request("throttle_test_wait", 2, 1)[0] for _ in range(2)] == [True, True]

    allowed, wait = count_request("throttle_test_wait", 2, 1)
    assert not allowed
    assert 0 < wait <= 1

    time.sleep(wait + 0.05)
    assert count_request("throttle_test_wait", 2, 1)[0] is True


@pytest.mark.parametrize("backend", ["local", pytest.param("redis", marks=requires_redis)])
def test_refused_requests_are_not_counted(request, backend):
    if backend == "redis":
        request.getfixturevalue("redis_cache")
    results = [count_request("throttle_test_refused", 1, 1)[0] for _ in range(5)]
    assert results == [True, False, False, False, False]

    time.sleep(1.05)
    assert count_request("throttle_test_refused", 1, 1)[0] is True


# --- Real servers, concurrent clients ---------------------------------------------------------------


def statuses_and_waits(url: str, **headers) -> tuple[list[int], list[int]]:
    answers = all_at_once(lambda: fetch(url, **headers))
    statuses = [status for status, _headers, _body, _seconds in answers]
    waits = [int(headers["Retry-After"]) for status, headers, _body, _seconds in answers if status == 429]
    return statuses, waits


def assert_exactly_the_limit_passed(statuses, waits, limit, window=60):
    assert statuses.count(200) == limit, sorted(statuses)
    assert statuses.count(429) == CONCURRENT - limit, sorted(statuses)
    # Retry-After: until the first counted request leaves the window (whole seconds, rounded up).
    assert all(window - 15 <= wait <= window for wait in waits), waits


@requires_postgresql
@requires_redis
def test_anonymous_limit_holds_exactly_under_concurrent_requests_to_several_workers(
    transactional_db, flushed_redis
):
    load_reference_data()
    env = {"DATABASE_URL": database_url(), "REDIS_URL": flushed_redis, "API_ANON_RATE": f"{LIMIT}/minute"}
    with gunicorn_server(env=env, workers=2, threads=8) as base_url:
        statuses, waits = statuses_and_waits(base_url + "/api/v1/sdgs/")

    assert_exactly_the_limit_passed(statuses, waits, LIMIT)


@requires_postgresql
@requires_redis
def test_export_limit_holds_exactly_under_concurrent_requests(transactional_db, flushed_redis):
    load_reference_data()
    env = {"DATABASE_URL": database_url(), "REDIS_URL": flushed_redis, "API_EXPORT_RATE": "5/minute"}
    with gunicorn_server(env=env, workers=2, threads=8) as base_url:
        statuses, waits = statuses_and_waits(base_url + "/api/v1/cases/export.csv")

    assert_exactly_the_limit_passed(statuses, waits, 5)


@requires_postgresql
@requires_redis
def test_a_keys_own_limit_holds_exactly_under_concurrent_requests(transactional_db, flushed_redis):
    load_reference_data()
    _key, plaintext = api_key_create(owner="Concurrent partner", rate=LIMIT)
    env = {"DATABASE_URL": database_url(), "REDIS_URL": flushed_redis}
    with gunicorn_server(env=env, workers=2, threads=8) as base_url:
        statuses, waits = statuses_and_waits(base_url + "/api/v1/sdgs/", Authorization=f"Api-Key {plaintext}")

    assert_exactly_the_limit_passed(statuses, waits, LIMIT)


@requires_postgresql
def test_with_local_memory_one_process_counts_exactly_too(transactional_db):
    load_reference_data()
    env = {"DATABASE_URL": database_url(), "API_ANON_RATE": f"{LIMIT}/minute"}
    with gunicorn_server(env=env, workers=1, threads=16) as base_url:
        statuses, waits = statuses_and_waits(base_url + "/api/v1/sdgs/")

    assert_exactly_the_limit_passed(statuses, waits, LIMIT)

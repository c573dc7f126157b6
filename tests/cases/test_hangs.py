"""A dependency that hangs (accepts, then never answers) costs a request seconds, never a stuck worker.

Real processes throughout: gunicorn with the production settings and two workers (tests/live_servers.py),
PostgreSQL and Redis each behind a forwarder of its own process (tests/forwarders.py). The workers are
warmed first, so each holds an open connection to both: the case the old settings failed (a reused
connection waited until gunicorn killed the worker). Pausing a forwarder (SIGSTOP) is a hung server: the
kernel still acknowledges every byte, so only the application's own bounds can end the wait. Killing it
is a crashed one. Timeouts are short here (environment of the server) to keep the tests quick; the
defaults and the times measured with them are in docs/security.md ("Faults").
"""

import concurrent.futures
import io
import logging
import statistics
import time

import pytest
import redis
from django.db import OperationalError, connection

from cases.interchange.reference_data import load_reference_data
from observatory.cache import CacheUnavailable, CircuitBreakerRedisCache
from tests.factories import CaseStudyFactory
from tests.forwarders import Forwarder
from tests.live_servers import database_url, fetch, gunicorn_server, requires_postgresql

REDIS = ("127.0.0.1", 6379)
REDIS_DATABASE = 9  # this module's own: cache.clear() in other tests' workers never touches it
# The in-process breaker tests' own: the server tests flush REDIS_DATABASE, maybe in another worker.
BREAKER_REDIS_DATABASE = 8
ANSWER_WITHIN_SECONDS = 5  # the promise (docs/security.md)
# The server's bounds in these tests: statement 1 s, round trip 2 s, connection 2 s (libpq's minimum),
# Redis socket 1 s, circuit breaker 3 s.
SERVER_ENV = {
    "DATABASE_STATEMENT_TIMEOUT": "1",
    "DATABASE_READ_TIMEOUT": "2",
    "DATABASE_CONNECT_TIMEOUT": "2",
    "CACHE_CIRCUIT_BREAKER_SECONDS": "3",
}
REDIS_SOCKET_TIMEOUT = 1
PAGES = ["/", "/cases/", "/cases/flood-warnings/", "/economies/", "/themes/"]
API = ["/api/v1/cases/", "/api/v1/cases/flood-warnings/", "/api/v1/economies/"]
WORKERS = 2

pytestmark = [pytest.mark.django_db(transaction=True)]

logger = logging.getLogger(__name__)


def flush_test_redis():
    redis.Redis(host=REDIS[0], port=REDIS[1], db=REDIS_DATABASE).flushdb()


@pytest.fixture
def stack(transactional_db):
    """gunicorn (2 workers) -> forwarders -> the test database and Redis database 9, with a published case;
    yields (base_url, postgresql forwarder, redis forwarder) once every worker holds open connections."""
    load_reference_data()
    CaseStudyFactory(title="Flood warnings", slug="flood-warnings")
    flush_test_redis()
    settings = connection.settings_dict
    with (
        Forwarder((settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432))) as postgresql,
        Forwarder(REDIS) as cache,
    ):
        env = {
            **SERVER_ENV,
            "DATABASE_URL": database_url(host="127.0.0.1", port=postgresql.port),
            "REDIS_URL": f"redis://127.0.0.1:{cache.port}/{REDIS_DATABASE}",
        }
        with gunicorn_server(env=env, workers=WORKERS) as base_url:
            warm_every_worker(base_url, postgresql, cache)
            yield base_url, postgresql, cache
            postgresql.resume()
            cache.resume()
    flush_test_redis()


def warm_every_worker(base_url, postgresql, cache):
    """Requests, several at a time, until each worker has opened its database and Redis connections."""
    deadline = time.monotonic() + 20
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        while postgresql.connections_accepted() < WORKERS or cache.connections_accepted() < WORKERS:
            assert time.monotonic() < deadline, "the workers did not all connect"
            statuses = list(pool.map(lambda path: fetch(base_url + path)[0], API * 2))
            assert set(statuses) == {200}


def fetch_all(base_url, paths, *, at_once=WORKERS):
    """(status, seconds) of each path, `at_once` requests at a time (one per worker)."""
    with concurrent.futures.ThreadPoolExecutor(at_once) as pool:
        return list(pool.map(lambda path: fetch(base_url + path, timeout=60)[::3], paths))


def report(name, answers):
    seconds = [answer[1] for answer in answers]
    logger.warning(
        "%s: n=%d p50=%.2f s max=%.2f s statuses=%s",
        name,
        len(seconds),
        statistics.median(seconds),
        max(seconds),
        sorted({answer[0] for answer in answers}),
    )


# --- PostgreSQL hangs or dies -----------------------------------------------------------------------


@requires_postgresql
def test_warm_workers_answer_503_within_five_seconds_while_the_database_hangs_then_recover(stack):
    base_url, postgresql, _cache = stack
    flush_test_redis()  # no page from the page cache: every request needs the database
    postgresql.pause()
    answers = fetch_all(base_url, PAGES + API)
    report("database paused", answers)
    assert [status for status, _seconds in answers] == [503] * len(answers)
    assert max(seconds for _status, seconds in answers) < ANSWER_WITHIN_SECONDS
    postgresql.resume()
    # A database that timed out is not asked again for the connect timeout (2 s here): one wait per
    # request, not one per query. After that, every request is served again, by the same workers.
    time.sleep(float(SERVER_ENV["DATABASE_CONNECT_TIMEOUT"]))
    answers = fetch_all(base_url, PAGES + API)
    assert [status for status, _seconds in answers] == [200] * len(answers)


@requires_postgresql
def test_warm_workers_answer_503_at_once_when_the_database_dies_and_recover(stack):
    base_url, postgresql, _cache = stack
    flush_test_redis()
    postgresql.kill()
    answers = fetch_all(base_url, PAGES + API)
    report("database killed", answers)
    assert [status for status, _seconds in answers] == [503] * len(answers)
    assert max(seconds for _status, seconds in answers) < ANSWER_WITHIN_SECONDS
    postgresql.start()  # the same port again
    assert [status for status, _seconds in fetch_all(base_url, PAGES + API)] == [200] * 8


# --- Redis hangs or dies ----------------------------------------------------------------------------


@requires_postgresql
def test_a_hung_redis_costs_each_worker_one_timeout_then_nothing_until_it_wakes_up(stack):
    base_url, _postgresql, cache = stack
    cache.pause()
    started = time.monotonic()
    answers = fetch_all(base_url, (PAGES + API) * 2, at_once=1)  # one at a time: no request queues
    cool_downs = 1 + int((time.monotonic() - started) // float(SERVER_ENV["CACHE_CIRCUIT_BREAKER_SECONDS"]))
    report("redis paused", answers)
    assert [status for status, _seconds in answers] == [200] * len(answers)
    # Each worker's first request meets the timeout and opens its breaker; the others skip Redis until
    # the cool-down ends and one request probes again.
    slow = [seconds for _status, seconds in answers if seconds >= 0.5 * REDIS_SOCKET_TIMEOUT]
    assert len(slow) <= WORKERS * cool_downs
    assert max(slow, default=0) < REDIS_SOCKET_TIMEOUT + 1.5
    cache.resume()
    time.sleep(float(SERVER_ENV["CACHE_CIRCUIT_BREAKER_SECONDS"]))
    fetch_all(base_url, ["/themes/"] * 4)  # the probes close the breakers; the page is cached again
    status, headers, _body, _seconds = fetch(base_url + "/themes/")
    assert (status, headers.get("X-Page-Cache")) == (200, "hit")


@requires_postgresql
def test_a_dead_redis_costs_nothing(stack):
    base_url, _postgresql, cache = stack
    cache.kill()
    answers = fetch_all(base_url, (PAGES + API) * 2)
    report("redis killed", answers)
    assert [status for status, _seconds in answers] == [200] * len(answers)
    assert max(seconds for _status, seconds in answers) < 0.5 * REDIS_SOCKET_TIMEOUT


# --- The bounds themselves, in this process ---------------------------------------------------------


def bounded_connection(**options):
    """A second connection to the test database, through this project's backend, with these OPTIONS."""
    from observatory.postgresql.base import DatabaseWrapper

    settings = {**connection.settings_dict, "ENGINE": "observatory.postgresql"}
    settings["OPTIONS"] = {**settings["OPTIONS"], **options}
    return DatabaseWrapper(settings)  # a connection object of its own, under the default alias


@requires_postgresql
def test_a_slow_statement_is_cancelled_by_the_server_and_the_connection_stays_usable(transactional_db):
    database = bounded_connection(options="-c statement_timeout=500", read_timeout=3)
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError, match="statement timeout"), database.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(2)")
        assert time.monotonic() - started < 1.5
        assert database.is_usable()
    finally:
        database.close()


@requires_postgresql
def test_a_silent_server_ends_a_round_trip_after_the_read_timeout(transactional_db):
    settings = connection.settings_dict
    with Forwarder((settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432))) as forwarder:
        database = bounded_connection(read_timeout=1)
        database.settings_dict.update(HOST="127.0.0.1", PORT=str(forwarder.port))
        try:
            with database.cursor() as cursor:
                cursor.execute("SELECT 1")
            forwarder.pause()
            started = time.monotonic()
            with (
                pytest.raises(OperationalError, match="no answer from the database within 1 s"),
                database.cursor() as cursor,
            ):
                cursor.execute("SELECT 1")
            assert time.monotonic() - started < 1.5
            assert not database.is_usable()  # closed, so the next request connects afresh
        finally:
            forwarder.resume()
            database.close()


@requires_postgresql
def test_the_health_check_of_a_reused_connection_gives_up_after_a_second(transactional_db):
    settings = connection.settings_dict
    with Forwarder((settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432))) as forwarder:
        database = bounded_connection(read_timeout=30)
        database.settings_dict.update(HOST="127.0.0.1", PORT=str(forwarder.port))
        try:
            database.ensure_connection()
            forwarder.pause()
            started = time.monotonic()
            assert not database.is_usable()
            assert time.monotonic() - started < 1.5
        finally:
            forwarder.resume()
            database.close()


@requires_postgresql
def test_streamed_reads_and_long_running_work_get_the_bulk_timeout(transactional_db):
    from observatory.postgresql.base import long_running

    database = bounded_connection(options="-c statement_timeout=100", read_timeout=0.2, bulk_timeout=5)
    try:
        with long_running(using=database), database.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(0.4)")  # longer than both the statement and read timeouts
        with database.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone() == ("100ms",)  # restored after the block
        # A server-side cursor (QuerySet.iterator(), the exports): in autocommit PostgreSQL runs the whole
        # query when the cursor is declared, outside statement_timeout, so only the client's bound applies.
        with database.chunked_cursor() as cursor:
            cursor.execute("SELECT pg_sleep(0.2) FROM generate_series(1, 2)")
            assert len(cursor.fetchmany(10)) == 2
    finally:
        database.close()


@requires_postgresql
def test_bulk_management_commands_run_under_the_bulk_timeout(transactional_db):
    """long_running() without arguments works on the default database (not on the `connection` proxy,
    which is no DatabaseWrapper), and a bulk command's statements run under the bulk timeout."""
    from django.core.management import call_command
    from django.db import connection

    from observatory.postgresql.base import long_running

    bulk_seconds = connection.settings_dict["OPTIONS"]["bulk_timeout"]
    with long_running(), connection.cursor() as cursor:
        cursor.execute("SELECT setting FROM pg_settings WHERE name = 'statement_timeout'")  # in ms
        (inside,) = cursor.fetchone()
    assert int(inside) == bulk_seconds * 1000

    client_bounds = []

    def record_bound(execute, sql, params, many, context):
        client_bounds.append(connection.connection.read_timeout)
        return execute(sql, params, many, context)

    for command in (["export_cases", "-"], ["refresh_search"]):
        client_bounds.clear()
        with connection.execute_wrapper(record_bound):
            call_command(*command, stdout=io.StringIO())
        assert client_bounds, command
        assert set(client_bounds) == {bulk_seconds}, command


# --- The circuit breaker, in this process (any database) ---------------------------------------------


def test_the_breaker_opens_on_the_first_timeout_and_logs_opening_and_closing_once(caplog):
    with Forwarder(REDIS) as forwarder:
        location = f"redis://127.0.0.1:{forwarder.port}/{BREAKER_REDIS_DATABASE}"
        options = {"socket_connect_timeout": 1, "socket_timeout": 1, "circuit_breaker_seconds": 1}
        cache = CircuitBreakerRedisCache(location, {"OPTIONS": options})
        cache.set("hangs:probe", 1)
        forwarder.pause()
        started = time.monotonic()
        for _ in range(5):
            with pytest.raises((redis.TimeoutError, redis.ConnectionError)):
                cache.get("hangs:probe")
        assert time.monotonic() - started < 1.5  # one timeout, then four immediate refusals
        with pytest.raises(CacheUnavailable):
            cache.get("hangs:probe")
        forwarder.resume()
        time.sleep(1.1)
        assert cache.get("hangs:probe") == 1  # the probe after the cool-down closes the breaker
        assert cache.get("hangs:probe") == 1
    messages = [record.getMessage() for record in caplog.records if record.name == "observatory.cache"]
    assert len(messages) == 2
    assert "circuit breaker open" in messages[0]
    assert "circuit breaker closed" in messages[1]


def test_an_error_redis_answers_does_not_open_the_breaker():
    location = f"redis://127.0.0.1:6379/{BREAKER_REDIS_DATABASE}"
    cache = CircuitBreakerRedisCache(location, {"OPTIONS": {"circuit_breaker_seconds": 30}})
    with pytest.raises(ValueError, match="not found"):
        cache.incr("hangs:no-such-key")
    assert not cache.breaker.is_open

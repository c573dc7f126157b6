"""Faults: the database or Redis goes away, and the site stays calm, honest and whole.

On PostgreSQL the app talks to the real server through a TCP forwarder process started by the test
(tests/forwarders.py); killing the forwarder is a real network outage (open connections are cut, new ones
refused) and starting it again on the same port is the database coming back. The shared PostgreSQL
server itself is never stopped.
SQLite is embedded and has no network to lose: there the outage is the error SQLite gives when it cannot
use its file ("database is locked"), raised at the database layer for every query while it lasts.
"""

import socket
import time
import urllib.error
import urllib.request

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import OperationalError, close_old_connections, connection

from cases.curation.workflow import case_transition
from cases.interchange.reference_data import load_reference_data
from cases.models import CaseRevision, CaseStudy, Status, SubmitterContact
from tests.cases.site.test_submission import valid_data
from tests.factories import CaseStudyFactory, UserFactory
from tests.forwarders import Forwarder

# The promise: an answer within five seconds, even when the database hangs instead of refusing.
ANSWER_WITHIN_SECONDS = 5
PAGES = ["/", "/cases/", "/cases/flood-warnings/", "/economies/", "/themes/", "/sectors/"]
UNAVAILABLE_TEXT = "briefly unavailable"


class ForwarderOutage:
    """PostgreSQL reached through a forwarder process (tests/forwarders.py): begin() kills it, an outage
    (open connections cut, new ones refused); end() starts it again on the same port, the recovery."""

    def __init__(self, forwarder):
        self.forwarder = forwarder

    def begin(self):
        self.forwarder.kill()

    def end(self):
        self.forwarder.start()


class SqliteOutage:
    """SQLite refusing every query, as it does when it cannot use its database file."""

    def begin(self):
        # First in the list: connection.execute_wrapper() blocks pop the last one when they end.
        connection.execute_wrappers.insert(0, self._refuse)

    def end(self):
        connection.execute_wrappers.remove(self._refuse)

    @staticmethod
    def _refuse(execute, sql, params, many, context):
        raise OperationalError("database is locked")


@pytest.fixture
def outage(transactional_db):
    """Control over the database's availability. The app's own transactions must be the outermost here,
    as in production, so these tests commit for real (transactional_db) instead of running in one
    rolled-back transaction."""
    load_reference_data()
    if connection.vendor != "postgresql":
        sqlite_outage = SqliteOutage()
        yield sqlite_outage
        if sqlite_outage._refuse in connection.execute_wrappers:
            sqlite_outage.end()
        return
    settings_dict = connection.settings_dict
    original = {"HOST": settings_dict["HOST"], "PORT": settings_dict["PORT"]}
    forwarder = Forwarder((original["HOST"] or "127.0.0.1", int(original["PORT"] or 5432)))
    forwarder.start()
    connection.close()
    settings_dict.update(HOST="127.0.0.1", PORT=str(forwarder.port))
    try:
        yield ForwarderOutage(forwarder)
    finally:
        forwarder.close()
        connection.close()
        settings_dict.update(original)


@pytest.fixture
def published_case(outage):
    return CaseStudyFactory(title="Flood warnings", slug="flood-warnings")


def request(client, path, **extra):
    """GET as the WSGI server would run it. Django's handler closes broken or stale database connections
    when a request starts and ends (close_old_connections); the test client leaves that out, so do it."""
    close_old_connections()
    started = time.monotonic()
    try:
        response = client.get(path, **extra)
    finally:
        close_old_connections()
    response.elapsed_seconds = time.monotonic() - started
    return response


def assert_calm_unavailable_page(response):
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response["Content-Type"].startswith("text/html")
    assert UNAVAILABLE_TEXT in response.content.decode()
    assert response.elapsed_seconds < ANSWER_WITHIN_SECONDS


# --- The database goes away -----------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_page_answers_503_with_retry_after_while_the_database_is_down(client, outage, published_case, path):
    assert request(client, path).status_code == 200
    cache.clear()  # a page read before the outage is still served from the page cache (test below)
    outage.begin()
    assert_calm_unavailable_page(request(client, path))


def test_a_page_read_before_the_outage_is_still_served_from_the_cache(client, outage, published_case):
    """Anonymous readers' pages are cached until the catalogue changes (cases/caching.py): during an
    outage those already read keep answering, and only the others get the calm 503."""
    assert request(client, "/cases/flood-warnings/").status_code == 200
    outage.begin()
    cached_page = request(client, "/cases/flood-warnings/")
    assert cached_page.status_code == 200
    assert cached_page["X-Page-Cache"] == "hit"
    assert "Flood warnings" in cached_page.content.decode()
    assert_calm_unavailable_page(request(client, "/economies/"))


def test_api_answers_problem_details_503_while_the_database_is_down(client, outage, published_case):
    outage.begin()
    response = request(client, "/api/v1/cases/")
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 503
    assert response.elapsed_seconds < ANSWER_WITHIN_SECONDS


def test_json_client_of_a_page_gets_json_while_the_database_is_down(client, outage, published_case):
    outage.begin()
    response = request(client, "/cases/", HTTP_ACCEPT="application/json")
    assert response.status_code == 503
    assert response.json()["status"] == 503
    assert "Accept" in response["Vary"]


def test_unavailable_page_is_never_cached(client, outage, published_case):
    outage.begin()
    response = request(client, "/cases/")
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_reports_the_outage_and_the_recovery(client, outage):
    assert request(client, "/healthz/").json() == {"status": "ok", "database": "ok"}
    outage.begin()
    response = request(client, "/healthz/")
    assert response.status_code == 503
    assert response["Retry-After"]
    assert response.json()["database"] == "unreachable"
    outage.end()
    assert request(client, "/healthz/").status_code == 200


def test_service_resumes_by_itself_when_the_database_returns(client, outage, published_case):
    assert request(client, "/cases/flood-warnings/").status_code == 200
    cache.clear()  # no page served from the cache: every request needs the database
    outage.begin()
    assert request(client, "/cases/flood-warnings/").status_code == 503
    assert request(client, "/api/v1/cases/").status_code == 503
    outage.end()
    # Same process, same settings, no restart.
    page = request(client, "/cases/flood-warnings/")
    assert page.status_code == 200
    assert "Flood warnings" in page.content.decode()
    assert request(client, "/api/v1/cases/").json()["count"] == 1


def fetch(url: str, **headers):
    """GET over real HTTP; returns (status, headers, body, seconds) for errors as for successes."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
            return response.status, response.headers, response.read().decode(), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode(), time.monotonic() - started


def test_real_server_goes_down_and_comes_back_with_the_database(outage, published_case, live_server):
    """The whole stack as deployed: a WSGI server in its own threads, Django's own connection handling."""
    case_url = f"{live_server.url}/cases/flood-warnings/"
    assert fetch(case_url)[0] == 200
    cache.clear()  # no page served from the cache: every request needs the database
    outage.begin()
    status, headers, body, seconds = fetch(case_url)
    assert (status, UNAVAILABLE_TEXT in body) == (503, True)
    assert int(headers["Retry-After"]) > 0
    assert seconds < ANSWER_WITHIN_SECONDS
    status, headers, body, _seconds = fetch(f"{live_server.url}/api/v1/cases/")
    assert status == 503
    assert headers["Content-Type"] == "application/problem+json"
    assert fetch(f"{live_server.url}/healthz/")[0] == 503
    outage.end()
    assert fetch(case_url)[0] == 200
    assert fetch(f"{live_server.url}/healthz/")[0] == 200


class ReadsUserMiddleware:
    """A middleware that needs the user before any view runs (session and user looked up in the database)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.user.is_authenticated  # noqa: B018 - evaluating the lazy user is the point
        return self.get_response(request)


def test_database_failure_in_a_middleware_before_the_view_is_a_503(client, settings, outage):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.cases.test_faults.ReadsUserMiddleware"]
    client.force_login(UserFactory(is_staff=True))
    client.raise_request_exception = False  # the exception is handled: look at the response
    outage.begin()
    response = request(client, "/")
    assert response.status_code == 503
    assert UNAVAILABLE_TEXT in response.content.decode()


def test_hung_database_server_still_gets_an_answer_within_five_seconds(client, outage, on_postgresql):
    if not on_postgresql:
        # An embedded database has no server to hang: a failure is immediate.
        outage.begin()
        assert request(client, "/cases/").elapsed_seconds < 1
        return
    # A server that accepts the connection and then says nothing: only connect_timeout ends the wait.
    silent_server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    silent_server.bind(("127.0.0.1", 0))
    silent_server.listen(16)
    settings_dict = connection.settings_dict
    saved_port = settings_dict["PORT"]
    connection.close()
    settings_dict["PORT"] = str(silent_server.getsockname()[1])
    try:
        response = request(client, "/cases/")
    finally:
        connection.close()
        settings_dict["PORT"] = saved_port
        silent_server.close()
    assert_calm_unavailable_page(response)


# --- Nothing half-written -------------------------------------------------------------------------


def cut_database_after_first(outage, statement_start: str):
    """An execute wrapper that lets the first statement starting with `statement_start` through, then
    takes the database away before the next one: an interruption in the middle of a transaction."""
    state = {"cut": False}

    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not state["cut"] and sql.lstrip().upper().startswith(statement_start):
            state["cut"] = True
            outage.begin()
        return result

    return wrapper


def test_submission_interrupted_after_its_first_insert_leaves_no_record(client, outage):
    wrapper = cut_database_after_first(outage, "INSERT")
    with connection.execute_wrapper(wrapper):
        close_old_connections()
        response = client.post("/submit/", valid_data(), REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 503
    outage.end()
    close_old_connections()
    assert not CaseStudy.objects.exists()
    assert not SubmitterContact.objects.exists()
    assert not CaseRevision.objects.exists()


def test_workflow_step_interrupted_after_its_update_leaves_the_case_unchanged(outage):
    curator = get_user_model().objects.create_superuser("curator", "curator@example.org", "x")
    case = CaseStudyFactory(status=Status.DRAFT)
    revisions_before = CaseRevision.objects.filter(case=case).count()
    wrapper = cut_database_after_first(outage, "UPDATE")
    with connection.execute_wrapper(wrapper), pytest.raises(OperationalError):
        case_transition(case=case, user=curator, name="archive")
    outage.end()
    close_old_connections()
    case.refresh_from_db()
    assert case.status == Status.DRAFT
    assert CaseRevision.objects.filter(case=case).count() == revisions_before


# --- Redis goes away ------------------------------------------------------------------------------

UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1: connections are refused
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


@pytest.fixture
def redis_down(settings, db):
    settings.CACHES = UNREACHABLE_REDIS
    with pytest.raises(Exception, match=r"(?i)connect"):
        cache.get("anything")  # the cache really is unreachable


@pytest.mark.parametrize("path", [*PAGES, "/api/v1/cases/", "/api/v1/cases/flood-warnings/", "/submit/"])
def test_site_serves_uncached_while_redis_is_down(client, redis_down, path):
    CaseStudyFactory(title="Flood warnings", slug="flood-warnings")
    started = time.monotonic()
    response = client.get(path)
    assert response.status_code == 200
    assert time.monotonic() - started < ANSWER_WITHIN_SECONDS


def test_submission_is_accepted_while_redis_is_down(client, redis_down):
    response = client.post("/submit/", valid_data(), REMOTE_ADDR="203.0.113.10")
    assert response.status_code == 302
    assert SubmitterContact.objects.count() == 1

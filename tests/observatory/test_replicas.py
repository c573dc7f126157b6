"""Read replicas (observatory/replicas.py): anonymous reads from a streaming replica, everything else and
every read the replica cannot be trusted with from the primary.

The live tests run a real gunicorn against a real PostgreSQL primary and its streaming replica made by
`pg_basebackup` (tests/observatory/replication.py, started once for the module). Which server answered is
told by the data itself: with the replica's replay paused, an economy added on the primary exists there
only, so its API record answers 200 from the primary and 404 from the replica.

Read replicas are a PostgreSQL feature (streaming replication): on SQLite only the tests that need no
replica run, among them the one showing the router is not even installed without replicas.
"""

import http.client
import itertools
import os
import re
import subprocess
import sys
import time
import urllib.parse
from http.cookies import SimpleCookie
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from observatory import replicas
from observatory.postgresql.base import HEALTH_CHECK_TIMEOUT
from observatory.settings import base
from tests.live_servers import ROOT, gunicorn_server
from tests.observatory.replication import ReplicatedPostgres, postgresql_bin

ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
requires_replication = pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="read replicas are a PostgreSQL feature (streaming replication); this run is on SQLite",
)

DATABASE = "observatory"
# The server's settings: short bounds, so that each state is reached in a second or two.
MAX_LAG = 3
CHECK_SECONDS = 0.2
RETRY_SECONDS = 1
STICKY_SECONDS = 5
CONNECT_TIMEOUT = 1
STAFF = ("curator", "a-long-enough-test-password")
CATALOGUE_VERSION_TTL = 1  # the server's (settings/base.py)


# --- Without replicas (every database) --------------------------------------------------------------------


@pytest.mark.skipif(bool(os.environ.get("DATABASE_REPLICA_URLS")), reason="this run configures replicas")
def test_without_replicas_no_router_no_middleware_and_no_replica_database():
    """What SQLite runs, and PostgreSQL without DATABASE_REPLICA_URLS: nothing of the replicas is active,
    which is why the live tests below are skipped on SQLite rather than run another way."""
    assert settings.DATABASE_ROUTERS == []
    assert "observatory.replicas.ReplicaRoutingMiddleware" not in settings.MIDDLEWARE
    assert list(settings.DATABASES) == ["default"]


def test_replica_urls_become_databases_tuned_like_the_primary():
    primary = base.database_from_url("postgres://app@primary.example.org/observatory")

    databases = base.replica_databases(
        [
            "postgres://app@replica-a.example.org/observatory",
            "postgres://app@replica-b.example.org/observatory",
        ],
        primary,
    )

    assert list(databases) == ["replica_1", "replica_2"]
    replica = databases["replica_2"]
    assert replica["HOST"] == "replica-b.example.org"
    assert replica["ENGINE"] == primary["ENGINE"] == "observatory.postgresql"
    assert replica["OPTIONS"]["connect_timeout"] == primary["OPTIONS"]["connect_timeout"]
    assert replica["OPTIONS"]["read_timeout"] == primary["OPTIONS"]["read_timeout"]
    assert replica["TEST"] == {"MIRROR": "default"}  # no test database is created on a read-only server


def test_a_replica_of_an_sqlite_database_is_refused():
    with pytest.raises(ImproperlyConfigured, match="PostgreSQL"):
        base.replica_databases(
            ["postgres://app@replica.example.org/observatory"], base.database_from_url("sqlite:///x.db")
        )


def test_the_consistency_point_is_the_latest_sample_the_replica_has_replayed():
    samples = [(10.0, 100), (11.0, 200), (12.0, 300)]

    assert replicas.consistency_point(samples, 250) == 11.0
    assert replicas.consistency_point(samples, 300) == 12.0
    assert replicas.consistency_point(samples, 99) is None


@override_settings(DATABASE_REPLICA_STICKY_SECONDS=15)
def test_a_sticky_cookie_further_ahead_than_the_window_is_not_believed():
    factory = RequestFactory()
    now = time.time()

    current = factory.get("/", HTTP_COOKIE=f"{replicas.STICKY_COOKIE}={now + 10:.0f}")
    forged = factory.get("/", HTTP_COOKIE=f"{replicas.STICKY_COOKIE}={now + 3600:.0f}")
    expired = factory.get("/", HTTP_COOKIE=f"{replicas.STICKY_COOKIE}={now - 1:.0f}")

    assert replicas.sticky_until(current)
    assert not replicas.sticky_until(forged)
    assert not replicas.sticky_until(expired)


@override_settings(DATABASE_REPLICA_STICKY_SECONDS=15)
@pytest.mark.parametrize(
    ("method", "path", "cookie", "eligible"),
    [
        ("GET", "/cases/", "", True),
        ("HEAD", "/ja/cases/", "", True),
        ("POST", "/submit/", "", False),
        ("GET", "/admin/", "", False),
        ("GET", "/ja/healthz/", "", False),
        ("GET", "/cases/", f"{settings.SESSION_COOKIE_NAME}=abc", False),
    ],
    ids=["anonymous-read", "language-prefix", "write", "admin", "health-check", "staff-session"],
)
def test_which_requests_may_read_from_a_replica(method, path, cookie, eligible):
    request = RequestFactory().generic(method, path, HTTP_COOKIE=cookie)

    assert replicas.replica_eligible(request) is eligible


@override_settings(DATABASE_REPLICA_STICKY_SECONDS=15)
def test_an_answer_to_a_write_sets_the_sticky_cookie_for_the_window():
    middleware = replicas.ReplicaRoutingMiddleware(lambda request: HttpResponse(status=302))

    response = middleware(RequestFactory().post("/submit/"))

    cookie = response.cookies[replicas.STICKY_COOKIE]
    assert cookie["max-age"] == 15
    assert cookie["httponly"]
    assert float(cookie.value) == pytest.approx(time.time() + 15, abs=2)


@override_settings(DATABASE_REPLICA_STICKY_SECONDS=15)
def test_a_request_whose_replica_failed_is_answered_again_from_the_primary():
    routings = []

    def view(request):
        routing = replicas._routing.get()
        routings.append((routing.eligible, routing.alias))
        if len(routings) == 1:
            routing.replica_failed = True  # as _observe marks it when the replica's connection breaks
            return HttpResponse(status=503)
        return HttpResponse(status=200)

    response = replicas.ReplicaRoutingMiddleware(view)(RequestFactory().get("/cases/"))

    assert response.status_code == 200
    assert routings[1] == (False, "default")
    assert replicas.STICKY_COOKIE not in response.cookies  # nothing was written


@pytest.mark.django_db
def test_the_reads_of_state_cached_in_memory_are_recognised():
    """The version and the case stamps (cases/caching.py) are what a process keeps in memory: their reads
    must be seen for what they are, whatever database runs."""
    from cases.caching import _case_stamp_rows
    from cases.models import CatalogueState

    stamp_sql = str(_case_stamp_rows("a-slug").query)
    state_sql = str(CatalogueState.objects.filter(id=1).values_list("version").query)
    other_sql = "SELECT 1 FROM cases_casestudy"

    assert replicas.is_state_read(stamp_sql)
    assert replicas.is_state_read(state_sql)
    assert not replicas.is_state_read(other_sql)


# --- A real replica (PostgreSQL) --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pair():
    if postgresql_bin() is None:
        message = "no PostgreSQL server binaries (pg_basebackup) on this machine"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with ReplicatedPostgres() as pair:
        pair.create_database(DATABASE)
        environment = {
            **{name: value for name, value in os.environ.items() if name not in {"REDIS_URL"}},
            "DATABASE_URL": pair.url(DATABASE),
            "DJANGO_SETTINGS_MODULE": "observatory.settings.test",
        }
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=environment, check=True, timeout=120)
        with pair.primary(DATABASE) as connection:
            connection.execute(
                "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, "
                "is_staff, is_active, date_joined) VALUES (%s, true, %s, '', '', '', true, true, now())",
                [PBKDF2PasswordHasher().encode(STAFF[1], "saltsaltsalt", iterations=1000), STAFF[0]],
            )
        pair.wait_for_replay()
        yield pair


@pytest.fixture(scope="module")
def server(pair):
    env = {
        "DATABASE_URL": pair.url(DATABASE),
        "DATABASE_REPLICA_URLS": pair.replica_url(DATABASE),
        "DATABASE_REPLICA_MAX_LAG": MAX_LAG,
        "DATABASE_REPLICA_CHECK_SECONDS": CHECK_SECONDS,
        "DATABASE_REPLICA_RETRY_SECONDS": RETRY_SECONDS,
        "DATABASE_REPLICA_STICKY_SECONDS": STICKY_SECONDS,
        "DATABASE_CONNECT_TIMEOUT": CONNECT_TIMEOUT,
    }
    with gunicorn_server(env=env, workers=1, threads=2) as base_url:
        yield base_url


@pytest.fixture(autouse=True)
def _replica_replaying_after_each_test(request):
    """Each live test leaves the replica running and caught up, whatever it did to it."""
    yield
    if "server" not in request.fixturenames:
        return
    pair = request.getfixturevalue("pair")
    if not (pair.replica_dir / "postmaster.pid").exists():
        pair.start_replica()
    pair.resume_replay()
    pair.wait_for_replay()


def call(base_url: str, method: str, path: str, *, cookies: dict | None = None, form: dict | None = None):
    """One request, no redirect followed: (status, cookies set, body, seconds)."""
    host, port = urllib.parse.urlsplit(base_url).netloc.split(":")
    headers = {}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    started = time.monotonic()
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read().decode()
        jar = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.load(header)
        return SimpleNamespace(
            status=response.status,
            cookies={name: morsel.value for name, morsel in jar.items()},
            body=content,
            seconds=time.monotonic() - started,
        )
    finally:
        connection.close()


_probes = itertools.count()


def economy_on_the_primary_only(pair, base_url: str) -> str:
    """Pause the replica's replay, then add an economy on the primary (moving the catalogue's versions, as
        every write does): the path of its API record, 200 from the primary and 404 from the replica.

    Ask the replica first: an answer read from the primary is cached under the version the process knew, so a
    reader asking afterwards may be served it (newer than the replica, never older).

        First a read, and a check's interval: the server's latest sample of the primary's position is then one
        the replica has replayed, so its lag starts small (a server idle for long knows none)."""
    assert call(base_url, "GET", "/api/v1/economies/").status == 200
    time.sleep(CHECK_SECONDS * 2)
    assert call(base_url, "GET", "/api/v1/economies/").status == 200
    pair.pause_replay()
    number = next(_probes)
    code = f"X{chr(65 + number % 26)}"  # no economy of the catalogue's has an X code
    with pair.primary(DATABASE) as connection:
        connection.execute(
            "INSERT INTO cases_economy (updated_at, name, slug, iso2, iso3, region_code, region_name, "
            "subregion_code, subregion_name, is_apo_member, profile, translations) "
            "VALUES (now(), %s, %s, %s, %s, '142', 'Asia', '035', 'South-eastern Asia', false, '', '{}')",
            [f"Probe {number}", f"probe-{number}", code, f"{code}X"],
        )
        connection.execute(
            "UPDATE cases_cataloguestate SET version = version + 1, vocabulary_version = vocabulary_version "
            "+ 1, case_pages_version = case_pages_version + 1"
        )
    return f"/api/v1/economies/{code.lower()}/"


def uncached_paths(pair) -> list[str]:
    """Five reads the server has nothing of in its caches, so that each touches a database: the catalogue
    version moved (on the primary, replayed by the replica), and the time to live of the version the server
    keeps in memory passed."""
    with pair.primary(DATABASE) as connection:
        connection.execute("UPDATE cases_cataloguestate SET version = version + 1")
    pair.wait_for_replay()
    time.sleep(1.1)
    return [f"/api/v1/economies/?page_size={size}" for size in range(10, 15)]


def staff_login(base_url: str) -> dict:
    """Log in to the admin (a write: a session, the last login): the cookies it sets."""
    page = call(base_url, "GET", "/admin/login/")
    cookies = dict(page.cookies)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1)
    form = {"username": STAFF[0], "password": STAFF[1], "csrfmiddlewaretoken": token, "next": "/admin/"}
    answer = call(base_url, "POST", "/admin/login/?next=/admin/", cookies=cookies, form=form)
    assert answer.status == 302, answer.body[:2000]
    return {**cookies, **answer.cookies}


@requires_replication
def test_an_anonymous_read_is_answered_from_the_replica(pair, server):
    path = economy_on_the_primary_only(pair, server)

    assert call(server, "GET", path).status == 404  # the replica has not replayed it

    pair.resume_replay()
    pair.wait_for_replay()
    assert call(server, "GET", path).status == 200


@requires_replication
def test_a_staff_session_reads_from_the_primary(pair, server):
    path = economy_on_the_primary_only(pair, server)
    session = {name: value for name, value in staff_login(server).items() if name.endswith("sessionid")}
    assert session  # prod.py's name for it: __Host-sessionid

    assert call(server, "GET", path).status == 404  # anonymous: the replica
    assert call(server, "GET", path, cookies=session).status == 200


@requires_replication
def test_a_write_goes_to_the_primary_and_the_writer_then_reads_from_it(pair, server):
    path = economy_on_the_primary_only(pair, server)

    cookies = staff_login(server)
    sticky = {replicas.STICKY_COOKIE: cookies[replicas.STICKY_COOKIE]}  # without the session: a reader

    with pair.primary(DATABASE) as connection:
        (sessions,) = connection.execute("SELECT count(*) FROM django_session").fetchone()
    assert sessions >= 1
    assert call(server, "GET", path).status == 404  # anonymous: the replica
    assert call(server, "GET", path, cookies=sticky).status == 200


@requires_replication
def test_a_version_read_from_the_primary_never_keys_an_answer_read_from_the_replica(pair, server):
    """The cache-key rule (docs/deployment.md, "Replicas and the caches"): a staff request makes the process
    read the new catalogue version from the primary; an anonymous request after it, reading from the lagging
    replica, must not store the replica's older answer under that new version, or every reader would get
    it once the replica has caught up."""
    path = economy_on_the_primary_only(pair, server)
    session = {name: value for name, value in staff_login(server).items() if name.endswith("sessionid")}
    time.sleep(CATALOGUE_VERSION_TTL + 0.1)  # the version the server keeps in memory has expired

    assert call(server, "GET", "/api/v1/economies/?page_size=99", cookies=session).status == 200  # primary
    anonymous = call(server, "GET", "/api/v1/economies/?page_size=100")
    assert anonymous.status == 200
    assert path.split("/")[-2].upper() not in anonymous.body  # the replica's answer

    pair.resume_replay()
    pair.wait_for_replay()
    time.sleep(CATALOGUE_VERSION_TTL + 0.1)

    assert path.split("/")[-2].upper() in call(server, "GET", "/api/v1/economies/?page_size=100").body


@requires_replication
def test_a_replica_lagging_beyond_the_bound_is_not_read(pair, server):
    path = economy_on_the_primary_only(pair, server)
    assert call(server, "GET", path).status == 404

    time.sleep(MAX_LAG + 3 * CHECK_SECONDS)

    assert call(server, "GET", path).status == 200


@requires_replication
def test_a_killed_replica_costs_readers_nothing_but_its_first_connection_attempt(pair, server):
    assert call(server, "GET", "/api/v1/economies/jp/").status == 200  # a warm connection to the replica

    paths = uncached_paths(pair)
    pair.kill_replica()
    answers = [call(server, "GET", path) for path in paths]

    assert [answer.status for answer in answers] == [200] * 5
    assert answers[0].seconds < CONNECT_TIMEOUT + 1.5
    assert max(answer.seconds for answer in answers[1:]) < 0.5


@requires_replication
def test_a_hung_replica_costs_one_request_a_timeout_and_the_next_ones_nothing(pair, server):
    assert call(server, "GET", "/api/v1/economies/jp/").status == 200  # a warm connection to the replica

    paths = uncached_paths(pair)
    pair.hang_replica()
    try:
        answers = [call(server, "GET", path) for path in paths]
    finally:
        pair.unhang_replica()

    assert [answer.status for answer in answers] == [200] * 5
    # Django's health check of the warm connection (a second), then a new connection's timeout.
    assert answers[0].seconds < HEALTH_CHECK_TIMEOUT + CONNECT_TIMEOUT + 1
    assert max(answer.seconds for answer in answers[1:]) < 0.5


@requires_replication
def test_reads_come_back_to_a_restarted_replica(pair, server):
    pair.kill_replica()
    assert call(server, "GET", "/api/v1/economies/").status == 200  # from the primary
    pair.start_replica()
    pair.wait_for_replay()
    time.sleep(RETRY_SECONDS + CHECK_SECONDS)

    path = economy_on_the_primary_only(pair, server)

    assert call(server, "GET", path).status == 404

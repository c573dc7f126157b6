"""Real gunicorn servers for tests that need whole processes (faults, consistency across workers).

    from tests.live_servers import database_url, gunicorn_server

    def test_something(transactional_db):
        with gunicorn_server(env={"DATABASE_URL": database_url(), "REDIS_URL": "redis://..."}) as base_url:
            urllib.request.urlopen(base_url + "/cases/")

The server runs the production settings (tests/live_server_settings.py: `observatory.settings.prod` with
static files served from the finders) in its own process group, with `workers` gunicorn workers of
`threads` threads each, on a free port of 127.0.0.1. It talks to the database the test names: pass
`database_url()` (the test database pytest-django created, so the test must use `transactional_db` and
commit what the server should see). Only PostgreSQL can be shared with another process this way (the
test database on SQLite lives in the test process's memory): skip such tests elsewhere
(`requires_postgresql`).

The environment is the production one a real start needs (SECRET_KEY, ALLOWED_HOSTS, plain HTTP, no TOTP,
an anonymous API rate limit high enough for tests), then `env` on top; a value of None removes a variable.
REDIS_URL is not inherited from the test run: a server has Redis only when `env` gives it one.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
START_SECONDS = 30

requires_postgresql = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="a server process can share the test database only on PostgreSQL",
)


def skip_without_redis(url: str) -> None:
    """Skip a test that needs Redis when it cannot be reached on a developer's machine; in CI (CI=true,
    where .ci/run starts Redis) that is a failure, never a quiet skip."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        message = f"no Redis at {url}: {error}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(*, host: str | None = None, port: int | None = None, alias_connection=connection) -> str:
    """DATABASE_URL of the database this test process uses (the test database), optionally reached at
    another host and port (a forwarder in front of the same server)."""
    settings = alias_connection.settings_dict
    user = quote(settings["USER"] or "", safe="")
    password = quote(settings["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = host or settings["HOST"] or "127.0.0.1"
    port = port or int(settings["PORT"] or 5432)
    return f"postgres://{credentials}{host}:{port}/{quote(settings['NAME'], safe='')}"


def server_environment(env: dict[str, str | None] | None = None) -> dict[str, str]:
    """The environment of a production start, with `env` on top (None removes a variable)."""
    environment = {
        name: value
        for name, value in os.environ.items()
        # Not inherited: what the test process was given is not what the server should use.
        if name not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "PYTEST_XDIST_WORKER"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="tests.live_server_settings",
        SECRET_KEY="live-server-tests-only-" + "k" * 40,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        STAFF_REQUIRE_TOTP="false",
        API_ANON_RATE="100000/minute",
        LOG_LEVEL="WARNING",
    )
    for name, value in (env or {}).items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = str(value)
    return environment


class ServerDidNotStart(RuntimeError):
    pass


@contextlib.contextmanager
def gunicorn_server(
    *,
    env: dict[str, str | None] | None = None,
    workers: int = 2,
    threads: int = 1,
    timeout: int = 30,
) -> Iterator[str]:
    """Start gunicorn, wait until it answers (any HTTP status: the database may be meant to be down);
    yield its base URL (`http://127.0.0.1:PORT`); stop it, workers and all, however the test ends.

    `timeout` is gunicorn's worker timeout: a worker silent that long is killed and replaced (the last
    resort the fault tests must never need). The server's output goes to a temporary file, shown in the
    error when it does not start."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [
        str(GUNICORN),
        "observatory.wsgi",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--worker-class=gthread",
        f"--threads={threads}",
        f"--timeout={timeout}",
        "--graceful-timeout=2",
        "--log-level=warning",
    ]
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=server_environment(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped whole, never by name
        )
        try:
            _wait_until_answering(base_url, process, log)
            yield base_url
        except BaseException:
            log.seek(0)
            sys.stderr.write(f"--- gunicorn's output ---\n{log.read()[-8000:]}\n")  # shown with the failure
            raise
        finally:
            _stop(process)


def _wait_until_answering(base_url: str, process: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            with urllib.request.urlopen(base_url + "/robots.txt", timeout=5):
                return
        except urllib.error.HTTPError:
            return  # an answer, even an error, means the server is up
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            raise ServerDidNotStart(f"gunicorn did not answer on {base_url}:\n{log.read()[-4000:]}")
        time.sleep(0.2)


def _stop(process: subprocess.Popen) -> None:
    """SIGINT is gunicorn's quick shutdown; a worker stuck on a hung dependency gets SIGKILL after 5 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # workers left behind by a master that already exited
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def fetch(url: str, *, timeout: float = 30, **headers) -> tuple[int, dict, str, float]:
    """GET over real HTTP: (status, headers, body, seconds), for an error status as for a success."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, headers=headers), timeout=timeout
        ) as response:
            return (
                response.status,
                dict(response.headers),
                response.read().decode(),
                time.monotonic() - started,
            )
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode(), time.monotonic() - started

"""What the HTTP benchmarks share: a production-like gunicorn on loopback, and wrk to load it.

The server runs `observatory.settings.prod` (DEBUG off, manifest static files collected first, WhiteNoise)
against the given PostgreSQL database and Redis, over plain HTTP on 127.0.0.1 (SECURE_SSL_REDIRECT off: no
TLS proxy in front here). Every client is the same loopback address, so the API's anonymous rate limit is
raised for the run (API_ANON_RATE): otherwise the benchmark would measure 429s.

wrk (Debian's package `wrk`) is the load generator: C, one thread per core, far cheaper per request than
the server it measures. A Lua script rotates through a list of paths and prints, when done, a JSON line with
the latency percentiles (wrk's --latency table has no p95) and the count of non-2xx/3xx answers.
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

LUA_TEMPLATE = """
local paths = %(paths)s
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1], %(headers)s)
end
done = function(summary, latency, requests)
  -- summary.errors.status counts the answers that were not 2xx or 3xx.
  io.write(string.format(
    '{"requests": %%d, "duration_us": %%d, "non_2xx_3xx": %%d, "socket_errors": %%d, '
      .. '"p50": %%d, "p95": %%d, "p99": %%d, "max": %%d}\\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid Lua string for the ASCII paths used here


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(database_url: str, redis_url: str) -> dict:
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="observatory.settings.prod",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECRET_KEY="bench-only-" + "k" * 50,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        API_ANON_RATE="1000000/minute",
    )


@contextlib.contextmanager
def gunicorn(database_url: str, redis_url: str, *, workers: int = 2, threads: int = 4, wrk: bool = True):
    """Collect static files, start gunicorn, wait until it answers; yield its base URL; stop it. `wrk`:
    the caller loads it with wrk (checked to be installed first)."""
    if wrk and not shutil.which("wrk"):
        sys.exit("The HTTP benchmarks need wrk: apt-get install -y wrk")
    env = server_environment(database_url, redis_url)
    print("Collecting static files for the production settings ...", flush=True)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [
        str(VENV_BIN / "gunicorn"),
        # The production configuration (request limits); the options below only choose port and workers.
        "--config=python:observatory.settings.gunicorn",
        "observatory.wsgi",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--worker-class=gthread",
        f"--threads={threads}",
        "--log-level=warning",
    ]
    print(f"Starting gunicorn ({workers} workers x {threads} threads) on {base} ...", flush=True)
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz/", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit("gunicorn did not start: see its output above")
            time.sleep(0.3)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def run_wrk(
    base: str, paths: list[str], *, seconds: int, connections: int, threads: int = 2, headers=None
) -> dict:
    """Load `base` with `paths` in turn; returns requests, rps, p50/p95/p99/max (ms) and error counts."""
    lua_headers = (
        "{" + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in (headers or {}).items()) + "}"
    )
    script = LUA_TEMPLATE % {
        "paths": "{" + ", ".join(lua_string(path) for path in paths) + "}",
        "headers": lua_headers if headers else "nil",
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        output = subprocess.run(
            [
                "wrk",
                f"--threads={min(threads, connections)}",
                f"--connections={connections}",
                f"--duration={seconds}s",
                "--timeout=10s",
                f"--script={handle.name}",
                base + paths[0],
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(handle.name)
    figures = json.loads(next(line for line in output.splitlines() if line.startswith("{")))
    seconds_taken = figures["duration_us"] / 1e6
    return {
        "non_2xx_3xx": figures["non_2xx_3xx"],
        "socket_errors": figures["socket_errors"],
        "requests": figures["requests"],
        "rps": figures["requests"] / seconds_taken,
        "p50": figures["p50"] / 1000,
        "p95": figures["p95"] / 1000,
        "p99": figures["p99"] / 1000,
        "max": figures["max"] / 1000,
        "errors": figures["non_2xx_3xx"] + figures["socket_errors"],
    }


def sample_paths(database_url: str) -> dict[str, list[str]]:
    """Real slugs, words and filter values from the benchmark database, for realistic rotating paths."""

    def query(sql: str) -> list[str]:
        output = subprocess.run(
            ["psql", database_url, "-tAc", sql], capture_output=True, text=True, check=True
        )
        return [line for line in output.stdout.splitlines() if line]

    return {
        "slugs": query(
            "SELECT slug FROM cases_casestudy WHERE status = 'published' ORDER BY md5(slug) LIMIT 300"
        ),
        "economies": query("SELECT iso2 FROM cases_economy ORDER BY iso2"),
        "sectors": query("SELECT slug FROM cases_sector ORDER BY slug"),
        # What people search for: words that pick out a slice of the catalogue (in 0.5-10% of a 2% sample of
        # the cases), not the words in nearly every case ("government"), which bench/pages.py measures apart.
        "words": query(
            "SELECT word FROM ts_stat('SELECT document FROM cases_casesearch TABLESAMPLE SYSTEM (2) "
            "REPEATABLE (7)') WHERE length(word) > 4 AND word ~ '^[a-z]+$' "
            "AND ndoc BETWEEN 10 AND 200 ORDER BY word LIMIT 40"
        ),
    }

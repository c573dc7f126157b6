"""What the HTTP benchmarks share: a production-like gunicorn on loopback, and wrk to load it.

The server runs `observatory.settings.prod` (DEBUG off, manifest static files collected first, WhiteNoise)
against the given PostgreSQL database and Redis, over plain HTTP on 127.0.0.1 (SECURE_SSL_REDIRECT off: no
TLS proxy in front here). Every client is the same loopback address, so the API's anonymous rate limit is
raised for the run (API_ANON_RATE): otherwise the benchmark would measure 429s.

wrk (Debian's package `wrk`) is the load generator: C, far cheaper per request than the server it
measures, one thread per connection. A Lua script rotates through a list of paths, times every request
itself (wrk 4.1's own percentiles are corrected for coordinated omission, which gives impossible p95s when
cache hits mix with slow misses) and prints, when done, a JSON line with the percentiles of those times and
the count of answers that were not 2xx/3xx.
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
-- Each wrk thread has one connection and its own Lua state: request() and response() alternate, so the
-- time between them is that request's, measured with the monotonic clock (LuaJIT's ffi). wrk's own
-- percentiles are corrected for coordinated omission, which gives impossible p95s when cache hits mix with
-- slow misses; these are the percentiles of what was measured.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } observatory_timespec;
int clock_gettime(int clock_id, observatory_timespec *tp);
]]
local clock = ffi.new("observatory_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, clock)  -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

local threads = {}
local paths = {}
local counter = 0
local started = nil
times = {}
bad = 0

setup = function(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

init = function(args)
  for line in io.lines(%(paths_file)s) do
    table.insert(paths, line)
  end
  counter = (id or 0) * 7919
end

request = function()
  counter = counter + 1
  started = now_ms()
  return wrk.format("GET", paths[(counter %% #paths) + 1], %(headers)s)
end

response = function(status, headers, body)
  if started then
    times[#times + 1] = now_ms() - started
    started = nil
  end
  if status < 200 or status >= 400 then
    bad = bad + 1
  end
end

done = function(summary, latency, requests)
  local all = {}
  local status_errors = 0
  for _, thread in ipairs(threads) do
    for _, t in ipairs(thread:get("times")) do
      all[#all + 1] = t
    end
    status_errors = status_errors + thread:get("bad")
  end
  table.sort(all)
  local function at(fraction)
    if #all == 0 then return 0 end
    return all[math.min(#all, math.floor(fraction * (#all - 1) + 0.5) + 1)]
  end
  io.write(string.format(
    '{"requests": %%d, "timed": %%d, "duration_us": %%d, "non_2xx_3xx": %%d, "socket_errors": %%d, '
      .. '"p50": %%.3f, "p95": %%.3f, "p99": %%.3f, "max": %%.3f}\\n',
    summary.requests, #all, summary.duration, status_errors,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    at(0.50), at(0.95), at(0.99), at(1.0)))
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


def run_wrk(base: str, paths: list[str], *, seconds: int, connections: int, headers=None) -> dict:
    """Load `base` with `paths` in turn, one wrk thread per connection (each starting at its own place in
    the list); returns requests, rps, p50/p95/p99/max (ms, of the per-request times the script measured)
    and error counts."""
    lua_headers = (
        "{" + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in (headers or {}).items()) + "}"
    )
    with tempfile.TemporaryDirectory() as folder:
        paths_file = Path(folder) / "paths.txt"
        paths_file.write_text("\n".join(paths) + "\n")
        script = Path(folder) / "script.lua"
        script.write_text(
            LUA_TEMPLATE
            % {"paths_file": lua_string(str(paths_file)), "headers": lua_headers if headers else "nil"}
        )
        output = subprocess.run(
            [
                "wrk",
                f"--threads={connections}",
                f"--connections={connections}",
                f"--duration={seconds}s",
                "--timeout=10s",
                f"--script={script}",
                base + paths[0],
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    figures = json.loads(next(line for line in output.splitlines() if line.startswith("{")))
    seconds_taken = figures["duration_us"] / 1e6
    return {
        "non_2xx_3xx": figures["non_2xx_3xx"],
        "socket_errors": figures["socket_errors"],
        "requests": figures["requests"],
        "rps": figures["requests"] / seconds_taken,
        "p50": figures["p50"],
        "p95": figures["p95"],
        "p99": figures["p99"],
        "max": figures["max"],
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

"""Throughput against the number of app processes, with a curator writing: observatory/ensemble.py's
processes on one address (SO_REUSEPORT), the task worker, Redis shared, and optionally PgBouncer.

    .venv/bin/python bench/scale.py [--processes 1,2,3] [--seconds 20] [--clients 16] [--pgbouncer]

For each count of app processes (each one gunicorn worker of 8 threads: one Python interpreter, so one
core at most), wrk loads the address with `--clients` connections for `--seconds` over the Zipf mix of
bench/load.py (case pages, library pages, search, the API, statistics), after a warm-up of the 500 most
asked-for addresses, while this process changes one published case every `--write-every` seconds as a
curator does (its tasks queued for the ensemble's worker). After the run, it measures how long the last
write took to be seen: the written case's API record asked for repeatedly through the address (each
request a new connection, spread by the kernel over the processes) until every answer of a row of ten has
it. Prints a line per count and a table; exits non-zero on any error.

The database (default `observatory_ensemble`) gets the demo catalogue the first time (migrate, load_demo):
any catalogue works, `--database-url` names another (e.g. the 100,000 cases of bench/generate.py).
"""

import argparse
import json
import math
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server import run_wrk

ROOT = Path(__file__).resolve().parent.parent

SEQUENCE_LENGTH = 50_000


def prepare(database_url: str) -> None:
    """The demo catalogue in the database, once."""
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    server = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "observatory.settings.dev"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True
    )
    with psycopg.connect(database_url) as connection:
        (cases,) = connection.execute("SELECT count(*) FROM cases_casestudy").fetchone()
    if not cases:
        print("Loading the demo catalogue ...", flush=True)
        subprocess.run([sys.executable, "manage.py", "load_demo"], cwd=ROOT, env=env, check=True)


def within_catalogue(pool: list[str], cases: int, page_size: int = 20) -> list[str]:
    """The addresses of bench/load.py's mix (made for 100,000 cases) that a catalogue of `cases` has: no
    page past the last (a 404), no page but the first of a filtered selection."""
    last_page = max(1, math.ceil(cases / page_size))

    def exists(path: str) -> bool:
        query = parse_qs(urlsplit(path).query)
        page = int(query.pop("page", ["1"])[0])
        return page == 1 or (not query and page <= last_page)

    return [path for path in pool if exists(path)]


def seen_after(base: str, slug: str, marker: str, *, timeout: float = 30) -> float:
    """Seconds until ten answers in a row for the case's API record hold `marker`."""
    started = time.monotonic()
    in_a_row = 0
    while in_a_row < 10:
        if time.monotonic() - started > timeout:
            return float("inf")
        with urllib.request.urlopen(f"{base}/api/v1/cases/{slug}/", timeout=10) as response:
            record = json.loads(response.read())
        in_a_row = in_a_row + 1 if marker in (record.get("lessons_learned") or "") else 0
    return time.monotonic() - started


class Curator(threading.Thread):
    """Every `every` seconds, one published case's lessons changed through cases.services.case_update."""

    def __init__(self, every: float):
        super().__init__(daemon=True)
        self.every, self.writes, self.failures = every, 0, 0
        self.stopping = threading.Event()
        self.last = None  # (slug, marker) of the last write

    def run(self):
        from django.contrib.auth import get_user_model
        from django.db import close_old_connections

        from cases.models import CaseStudy
        from cases.services import case_update

        curator, _ = get_user_model().objects.get_or_create(
            username="bench-curator", defaults={"is_staff": True, "is_superuser": True}
        )
        while not self.stopping.wait(self.every):
            try:
                case = CaseStudy.objects.published().order_by("-pk").first()
                marker = f"[bench write {time.time():.3f}]"
                base = (case.lessons_learned or "").split(" [bench write")[0]
                case.lessons_learned = f"{base} {marker}"
                case_update(case=case, user=curator, changed=["lessons_learned"], message="Benchmark edit")
                self.writes += 1
                self.last = (case.slug, marker)
            except Exception as error:  # reported with the figures; the load goes on
                self.failures += 1
                print(f"  curator write failed: {error}", flush=True)
            finally:
                close_old_connections()


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--processes", default="1,2,3", help="counts of app processes, comma-separated")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--write-every", type=float, default=5.0)
    parser.add_argument("--pgbouncer", action="store_true")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/observatory_ensemble")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    args = parser.parse_args()
    counts = [int(count) for count in args.processes.split(",")]

    prepare(args.database_url)
    os.environ.update(
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        DJANGO_SETTINGS_MODULE="observatory.settings.dev",
        TASKS_BACKEND="django_tasks_db.DatabaseBackend",  # the writes' tasks run in the ensemble's worker
    )
    import django

    django.setup()
    import redis
    from load import address_pool, warm_up, zipf_sequence

    from cases.models import CaseStudy
    from observatory.ensemble import Ensemble

    pool = within_catalogue(address_pool(), CaseStudy.objects.published().count())
    paths = zipf_sequence(pool, SEQUENCE_LENGTH)
    print(f"{len(pool):,} distinct addresses", flush=True)
    env = {
        "SECRET_KEY": "bench-only-" + "k" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "API_ANON_RATE": "1000000/minute",
        "LOG_LEVEL": "WARNING",
    }
    print("Collecting static files for the production settings ...", flush=True)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT,
        env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": "observatory.settings.prod"},
        check=True,
    )
    results = []
    for count in counts:
        redis.Redis.from_url(args.redis_url).flushdb()
        with Ensemble(
            database_url=args.database_url,
            redis_url=args.redis_url,
            processes=count,
            workers=1,
            threads=8,
            pgbouncer=args.pgbouncer,
            env=env,
        ) as ensemble:
            warm_up(ensemble.base_url, pool[:500])
            curator = Curator(args.write_every)
            curator.start()
            figures = run_wrk(ensemble.base_url, paths, seconds=args.seconds, connections=args.clients)
            curator.stopping.set()
            curator.join(timeout=30)
            seen = seen_after(ensemble.base_url, *curator.last) if curator.last else float("nan")
        figures |= {"processes": count, "writes": curator.writes, "failed": curator.failures, "seen": seen}
        results.append(figures)
        print(
            f"  {count} app process(es): {figures['rps']:.0f} req/s, p50 {figures['p50']:.0f} ms, "
            f"p95 {figures['p95']:.0f} ms, {figures['errors']} errors, {curator.writes} writes, "
            f"last write seen everywhere {seen:.2f} s after it",
            flush=True,
        )
    print(
        f"\n{'processes':>9} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'errors':>6} {'writes':>6} "
        f"{'seen s':>6}"
    )
    for row in results:
        print(
            f"{row['processes']:9} {row['rps']:7.0f} {row['p50']:7.1f} {row['p95']:7.1f} {row['errors']:6} "
            f"{row['writes']:6} {row['seen']:6.2f}"
        )
    errors = sum(row["errors"] + row["failed"] for row in results)
    through = " through PgBouncer" if args.pgbouncer else ""
    print(
        f"Scale: {len(results)} runs of {args.seconds} s, {args.clients} clients{through}: "
        + ", ".join(f"{row['processes']} -> {row['rps']:.0f} req/s" for row in results)
        + f"; {errors} errors."
    )
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()

"""Benchmark the case library's pages at scale: p50/p95 server time and SQL time per request.

    .venv/bin/python bench/pages.py [--cases 100000] [--requests 60] [--only 'case page']
        [--database-url postgres://...]

Fills a PostgreSQL database (default `observatory_bench`, created and migrated if missing) with generated
cases up to --cases, then requests each scenario in-process through Django's test client (server time: the
whole Django request, without network) while timing every SQL statement, and prints one line a scenario.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class SqlTimer:
    """Adds up the time of every SQL statement while installed with connection.execute_wrapper()."""

    def __init__(self):
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def prepare_database(url: str, cases: int) -> None:
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="observatory.settings.dev")
    name = url.rsplit("/", 1)[-1]
    server = url.rsplit("/", 1)[0]
    exists = subprocess.run(
        ["psql", f"{server}/postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not exists:
        print(f"Creating database {name}", flush=True)
        subprocess.run(["psql", f"{server}/postgres", "-qc", f'CREATE DATABASE "{name}"'], check=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    count = int(
        subprocess.run(
            ["psql", url, "-tAc", "SELECT count(*) FROM cases_casestudy WHERE status = 'published'"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    if count < cases:
        print(f"Generating {cases - count} cases ({count} there already)", flush=True)
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "generate_cases",
                "--count",
                str(cases - count),
                "--seed",
                str(count + 1),
            ],
            cwd=ROOT,
            env=env,
            check=True,
        )
        subprocess.run(["psql", url, "-qc", "VACUUM ANALYZE"], check=True)
    else:
        print(f"{count} published cases already there", flush=True)
    prewarm(url)


def prewarm(url: str) -> None:
    """Read every table and index of the database into the operating system's page cache
    (PostgreSQL's pg_prewarm, mode `read`), so a run measures the catalogue held in memory.

    Some machines' kernels reclaim cold memory proactively (`kdamond`): between two runs the database's
    pages left memory, and the same code measured 44 and 81 requests a second within two hours
    (docs/benchmarks.md, "Load test"). A deployment serving readers all day keeps them in memory."""
    started = time.perf_counter()
    warmed = subprocess.run(
        [
            "psql",
            url,
            "-tAc",
            "CREATE EXTENSION IF NOT EXISTS pg_prewarm; "
            "SELECT coalesce(sum(pg_prewarm(c.oid, 'read')), 0) * current_setting('block_size')::bigint "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'i', 't', 'm') "
            "AND n.nspname NOT IN ('pg_catalog', 'information_schema')",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[-1]
    print(
        f"Read {int(warmed) / 2**20:,.0f} MB of tables and indexes into memory in "
        f"{time.perf_counter() - started:.1f} s (pg_prewarm)",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=60, help="timed requests per scenario")
    parser.add_argument(
        "--only", default="", help="run only the scenarios whose name contains this (e.g. 'case page')"
    )
    parser.add_argument(
        "--cold",
        choices=["tasks", "cache"],
        default="tasks",
        help="before each cold request: empty the cache and run the refresh tasks of a write (default), or "
        "only empty the cache and bump the catalogue version (enough for a page that reads neither the "
        "statistics' bitmaps nor the search's postings, such as the case page, and minutes faster: the "
        "tasks rebuild every posting once the cache is emptied)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/observatory_bench"),
    )
    args = parser.parse_args()

    prepare_database(args.database_url, args.cases)

    os.environ.update(
        DATABASE_URL=args.database_url,
        DJANGO_SETTINGS_MODULE="observatory.settings.dev",
        DEBUG="false",
        SECRET_KEY="bench-" + "x" * 40,
        ALLOWED_HOSTS="testserver",
    )
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from cases.models import CaseStudy

    with connection.cursor() as cursor:
        # A word in a handful of cases: the rare-word search.
        cursor.execute(
            "SELECT word FROM ts_stat('SELECT document FROM cases_casesearch TABLESAMPLE SYSTEM (5)') "
            "WHERE ndoc BETWEEN 1 AND 3 AND length(word) > 5 ORDER BY word LIMIT 1"
        )
        rare_word = cursor.fetchone()[0]
    slugs = list(CaseStudy.objects.published().order_by("?").values_list("slug", flat=True)[:200])
    rng = random.Random(7)
    scenarios = {
        "library, unfiltered": lambda: "/cases/",
        "library, two facets": lambda: "/cases/?sector=health&economy=SG",
        "library, common word": lambda: "/cases/?q=digital",
        f"library, rare word ({rare_word})": lambda: f"/cases/?q={rare_word}",
        "case page": lambda: f"/cases/{rng.choice(slugs)}/",
    }

    timer = SqlTimer()

    from django.core.cache import cache

    from cases.caching import catalogue_changed
    from cases.tasks import catalogue_committed

    client = Client()
    print(f"{'scenario':50} {'p50 ms':>8} {'p95 ms':>8} {'SQL p50':>8} {'SQL p95':>8}  (n={args.requests})")
    results = {}
    # "cold": the cache is emptied before every request, then refilled with what the refresh task of a
    # write puts there (the catalogue's bitmaps, cases/tasks.py): the first visitor after a change;
    # "warm": the same selection was asked for before (cached facet counts, totals, result ids, related).
    runs = [
        (f"{name}, {state}", make_url, state)
        for name, make_url in scenarios.items()
        for state in ("cold", "warm")
        if args.only in name
    ]
    for name, make_url, state in runs:
        for _ in range(5):  # warm-up: connection, PostgreSQL buffers
            client.get(make_url())
        totals, sqls = [], []
        with connection.execute_wrapper(timer):
            for _ in range(args.requests):
                url = make_url()
                if state == "cold":
                    cache.clear()
                    catalogue_committed() if args.cold == "tasks" else catalogue_changed()
                timer.seconds = 0.0
                start = time.perf_counter()
                response = client.get(url)
                totals.append((time.perf_counter() - start) * 1000)
                sqls.append(timer.seconds * 1000)
                assert response.status_code == 200, (url, response.status_code)
        results[name] = (
            percentile(totals, 0.5),
            percentile(totals, 0.95),
            percentile(sqls, 0.5),
            percentile(sqls, 0.95),
        )
        print(
            f"{name:50} {results[name][0]:8.1f} {results[name][1]:8.1f} {results[name][2]:8.1f} "
            f"{results[name][3]:8.1f}",
            flush=True,
        )
    worst = max(results.values(), key=lambda row: row[1])
    print(
        f"Benchmarked {len(runs)} page scenarios x {args.requests} requests on "
        f"{CaseStudy.objects.published().count()} published cases; worst p95 {worst[1]:.1f} ms; "
        f"median of p50s {statistics.median(r[0] for r in results.values()):.1f} ms."
    )


if __name__ == "__main__":
    main()

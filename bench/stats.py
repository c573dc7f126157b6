"""Benchmark the statistics at scale: p50/p95 of GET /api/v1/stats/ and of the /stats/ page, cold and warm.

    .venv/bin/python bench/stats.py [--requests 40] [--database-url postgres://...] [--redis-url redis://...]

Runs in-process through Django's test client (server time: the whole Django request, without network)
against an existing PostgreSQL database, by default `observatory_bench` (fill it first with
`bench/generate.py --count 100000` or `bench/pages.py`; this script never writes to it). For each selection
it prints p50/p95 of the whole request and of its SQL in three states, then a one-line summary:

- "new": the first request for the selection after a catalogue change, once the change's own task has
  refreshed the statistics' bitmaps (cases/tasks.py; what readers meet after any write);
- "unrefreshed": the same, but this request builds the bitmaps itself (a reader who arrives while the
  refresh task is still running, or with the task backend's worker down);
- "repeat": the same selection asked for again (served from the cache).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pages import SqlTimer, percentile  # noqa: E402

SELECTIONS = {
    "everything": "",
    "one sector": "sector=health",
    "health in South-eastern Asia since 2015": "sector=health&region=035&year_from=2015",
    "two economies": "economy=SG&economy=JP",
    "theme and stage": "theme=digital-government&stage=implementation",
    "a word in 1% of cases": "q=telemedicine",
    "a word in 92% of cases": "q=digital",
}


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=40, help="timed requests per scenario")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/observatory_bench"),
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
        help="the shared cache, as in production",
    )
    parser.add_argument(
        "--faces", default="api,page", help="comma-separated: api (/api/v1/stats/), page (/stats/)"
    )
    args = parser.parse_args()

    os.environ.update(
        DATABASE_URL=args.database_url,
        DJANGO_SETTINGS_MODULE="observatory.settings.dev",
        DEBUG="false",
        SECRET_KEY="bench-" + "x" * 40,
        ALLOWED_HOSTS="testserver",
        REDIS_URL=args.redis_url,
    )
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from cases.caching import catalogue_changed
    from cases.models import CaseStudy
    from cases.tasks import catalogue_committed

    # Partners' API limits would throttle a benchmark's hundreds of requests from one address.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    published = CaseStudy.objects.published().count()
    print(f"{published} published cases in {connection.settings_dict['NAME']}", flush=True)

    timer = SqlTimer()

    faces = {"api": "/api/v1/stats/", "page": "/stats/"}
    client = Client()
    print(f"{'scenario':60} {'p50 ms':>8} {'p95 ms':>8} {'SQL p50':>8} {'SQL p95':>8}  (n={args.requests})")
    results = {}
    for face in args.faces.split(","):
        for name, query in SELECTIONS.items():
            url = f"{faces[face]}?{query}" if query else faces[face]
            for state in ("new", "unrefreshed", "repeat"):
                for _ in range(3):  # warm-up: connection, PostgreSQL buffers
                    client.get(url)
                totals, sqls = [], []
                with connection.execute_wrapper(timer):
                    for _ in range(args.requests):
                        if state == "new":
                            catalogue_committed()  # bumps the version and refreshes the bitmaps
                        elif state == "unrefreshed":
                            catalogue_changed()  # bumps the version only
                        timer.seconds = 0.0
                        start = time.perf_counter()
                        response = client.get(
                            url, HTTP_ACCEPT="application/json" if face == "api" else "text/html"
                        )
                        totals.append((time.perf_counter() - start) * 1000)
                        sqls.append(timer.seconds * 1000)
                        assert response.status_code == 200, (url, response.status_code)
                label = f"{faces[face]} {name}, {state}"
                results[label] = (
                    percentile(totals, 0.5),
                    percentile(totals, 0.95),
                    percentile(sqls, 0.5),
                    percentile(sqls, 0.95),
                )
                row = results[label]
                print(f"{label:60} {row[0]:8.1f} {row[1]:8.1f} {row[2]:8.1f} {row[3]:8.1f}", flush=True)

    def worst(state):
        return max(r[1] for n, r in results.items() if n.endswith(state))

    print(
        f"Benchmarked {len(results)} stats scenarios x {args.requests} requests on {published} published "
        f"cases; worst p95: new selection {worst('new'):.1f} ms, unrefreshed {worst('unrefreshed'):.1f} ms, "
        f"repeat {worst('repeat'):.1f} ms; median of p50s "
        f"{statistics.median(r[0] for r in results.values()):.1f} ms."
    )


if __name__ == "__main__":
    main()

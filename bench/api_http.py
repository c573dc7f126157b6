"""The partner API served for real: p50/p95/p99 and requests per second under gunicorn and PostgreSQL.

    .venv/bin/python bench/api_http.py [--cases 100000] [--seconds 10] [--connections 4]

Fills the benchmark database as bench/pages.py does (default `observatory_bench`, 100,000 cases), starts a
production-like gunicorn on loopback (bench/server.py) with Redis as the cache, and loads each scenario with
wrk for --seconds, rotating through many distinct URLs (pages, filters, words, slugs) so that the cache
helps only as much as it would with real traffic. The static file served by the same server is the floor:
what the server, WSGI and the network stack cost before Django does any work of ours.
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pages import prepare_database
from server import gunicorn, run_wrk, sample_paths


def scenarios(sample: dict[str, list[str]]) -> dict[str, list[str]]:
    economies, sectors, words, slugs = (
        sample["economies"],
        sample["sectors"],
        sample["words"],
        sample["slugs"],
    )
    filtered = [
        f"/api/v1/cases/?economy={economy}&sector={sector}" for economy in economies for sector in sectors
    ]
    return {
        "static file (floor)": ["/static/img/favicon.svg"],
        "API case list, plain": [f"/api/v1/cases/?page={page}" for page in range(1, 301)],
        "API case list, filtered": filtered,
        "API case list, searched": [f"/api/v1/cases/?q={word}" for word in words],
        "API case detail": [f"/api/v1/cases/{slug}/" for slug in slugs],
        "API facet counts": ["/api/v1/cases/facet-counts/"]
        + [f"/api/v1/cases/facet-counts/?sector={sector}" for sector in sectors]
        + [f"/api/v1/cases/facet-counts/?economy={economy}" for economy in economies],
        "API stats": ["/api/v1/stats/"] + [f"/api/v1/stats/?economy={economy}" for economy in economies],
        "library page (HTML), filtered": [
            f"/cases/?economy={e}&sector={s}" for e in economies for s in sectors
        ],
    }


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10, help="load time per scenario")
    parser.add_argument("--connections", type=int, default=4, help="concurrent connections")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/observatory_bench"),
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"))
    args = parser.parse_args()

    prepare_database(args.database_url, args.cases)
    plan = scenarios(sample_paths(args.database_url))
    results = {}
    with gunicorn(args.database_url, args.redis_url) as base:
        print(
            f"{'scenario':34} {'URLs':>5} {'requests':>9} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
            f"{'p99 ms':>7} {'errors':>6}  ({args.connections} connections, {args.seconds} s each)",
            flush=True,
        )
        for name, paths in plan.items():
            run_wrk(base, paths, seconds=2, connections=args.connections)  # warm-up: connections, buffers
            figures = run_wrk(base, paths, seconds=args.seconds, connections=args.connections)
            results[name] = figures
            print(
                f"{name:34} {len(paths):5} {figures['requests']:9} {figures['rps']:7.0f} "
                f"{figures['p50']:7.1f} {figures['p95']:7.1f} {figures['p99']:7.1f} {figures['errors']:6}",
                flush=True,
            )
    errors = sum(figures["errors"] for figures in results.values())
    worst = max((name for name in results if name != "static file (floor)"), key=lambda n: results[n]["p95"])
    print(
        f"Benchmarked {len(results)} scenarios over HTTP with {args.connections} connections for "
        f"{args.seconds} s each: {sum(f['requests'] for f in results.values())} requests, {errors} errors; "
        f"worst p95 {results[worst]['p95']:.1f} ms ({worst})."
    )
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()

"""Load test: 50 concurrent clients for 60 seconds on a mix of pages and API calls, zero errors wanted.

    .venv/bin/python bench/load.py [--cases 100000] [--clients 50] [--seconds 60]

Against gunicorn and PostgreSQL with 100,000 cases (the benchmark database of bench/pages.py) and Redis,
on loopback only, bounded in time. The mix, by share of requests: the library (unfiltered, filtered, paged)
30%, search 20%, case pages 25%, the partner API (lists, details, facet counts, stats, suggestions) 25%.
Prints p50/p95/p99, requests per second and the number of errors (any answer not 2xx/3xx, any socket
error); exits non-zero if there was an error.
"""

import argparse
import os
import random
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pages import prepare_database
from server import gunicorn, run_wrk, sample_paths

MIX = {"library": 30, "search": 20, "case": 25, "api": 25}


def mixed_paths(sample: dict[str, list[str]], total: int = 2000, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    economies, sectors, words, slugs = (
        sample["economies"],
        sample["sectors"],
        sample["words"],
        sample["slugs"],
    )
    makers = {
        "library": lambda: rng.choice(
            [
                "/cases/",
                f"/cases/?page={rng.randint(1, 50)}",
                f"/cases/?economy={rng.choice(economies)}",
                f"/cases/?sector={rng.choice(sectors)}&economy={rng.choice(economies)}",
                f"/cases/?sector={rng.choice(sectors)}&year_from=2015&sort=newest",
            ]
        ),
        "search": lambda: (
            f"/cases/?q={rng.choice(words)}"
            + rng.choice(["", f"&economy={rng.choice(economies)}", f"&sector={rng.choice(sectors)}"])
        ),
        "case": lambda: f"/cases/{rng.choice(slugs)}/",
        "api": lambda: rng.choice(
            [
                f"/api/v1/cases/?page={rng.randint(1, 100)}",
                f"/api/v1/cases/?q={rng.choice(words)}",
                f"/api/v1/cases/{rng.choice(slugs)}/",
                f"/api/v1/cases/facet-counts/?sector={rng.choice(sectors)}",
                f"/api/v1/stats/?economy={rng.choice(economies)}",
                f"/api/v1/suggest/?q={rng.choice(words)[:3]}",
            ]
        ),
    }
    kinds = [kind for kind, share in MIX.items() for _ in range(share)]
    return [makers[rng.choice(kinds)]() for _ in range(total)]


def warm_up(base: str, paths: list[str], workers: int = 4) -> None:
    """Request every distinct URL once, a few at a time, so the measured minute sees a warm cache."""
    unique = sorted(set(paths))
    start = time.perf_counter()

    def fetch(path):
        try:
            with urllib.request.urlopen(base + path, timeout=60) as response:
                response.read()
        except OSError as error:
            print(f"  warm-up: {path}: {error}", flush=True)

    with ThreadPoolExecutor(workers) as pool:
        for done, _ in enumerate(pool.map(fetch, unique), start=1):
            if done % 200 == 0 or done == len(unique):
                elapsed = time.perf_counter() - start
                print(f"  warm-up: {done}/{len(unique)} URLs, {elapsed:.0f} s", flush=True)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/observatory_bench"),
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"))
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="skip the warm-up pass: every URL is then computed for the first time under load",
    )
    args = parser.parse_args()

    prepare_database(args.database_url, args.cases)
    paths = mixed_paths(sample_paths(args.database_url))
    with gunicorn(args.database_url, args.redis_url, workers=args.workers, threads=args.threads) as base:
        if not args.cold:
            print("Warming the cache: every URL of the mix once, 4 at a time ...", flush=True)
            warm_up(base, paths)
        print(
            f"Loading {base} with {args.clients} clients for {args.seconds} s over {len(set(paths))} URLs ..."
        )
        figures = run_wrk(base, paths, seconds=args.seconds, connections=args.clients, threads=2)
    print(
        f"{'requests':>9} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} "
        f"{'errors':>6}\n"
        f"{figures['requests']:9} {figures['rps']:7.0f} {figures['p50']:7.1f} {figures['p95']:7.1f} "
        f"{figures['p99']:7.1f} {figures['max']:7.1f} {figures['errors']:6}"
    )
    print(
        f"errors: {figures['non_2xx_3xx']} answers not 2xx/3xx, "
        f"{figures['socket_errors']} socket errors or timeouts"
    )
    print(
        f"Load test: {figures['requests']} requests from {args.clients} clients in {args.seconds} s "
        f"({figures['rps']:.0f}/s), p95 {figures['p95']:.0f} ms, {figures['errors']} errors."
    )
    sys.exit(1 if figures["errors"] else 0)


if __name__ == "__main__":
    main()

"""Load test: 50 concurrent clients for 60 seconds on a realistic mix, with a curator writing meanwhile.

    .venv/bin/python bench/load.py [--cases 100000] [--clients 50] [--seconds 60] [--write-every 10]

Against gunicorn and PostgreSQL with 100,000 cases (the benchmark database of bench/pages.py) and Redis,
on loopback only, bounded in time. The addresses: more than 10,000 distinct ones of every kind (case pages
and their API details, the library unfiltered, paged, by facet and searched, profile pages, statistics,
the home page, the API's lists, facet counts, statistics and suggestions; bench/computed.py's rows and
more), asked for with Zipf-distributed popularity (the k-th most popular address k times less often than
the first), in an order drawn once from that distribution. Every --write-every seconds this process
changes one published case as a curator's edit does (cases.services.case_update: its signals move the
catalogue version, and its refresh tasks run here after the commit): a writer in a third process,
invalidating what it must. Prints p50/p95/p99 of the per-request times the wrk script measured, requests
per second and the number of errors (any answer not 2xx/3xx, any socket error, any failed write); exits
non-zero if there was one.
"""

import argparse
import itertools
import os
import random
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pages import prepare_database
from server import gunicorn, run_wrk

# Requests drawn for wrk to go through (each client starts at its own place in the list).
SEQUENCE_LENGTH = 200_000


def address_pool(seed: int = 11) -> list[str]:
    """More than 10,000 distinct addresses of every kind, most popular first (a shuffled order)."""
    from computed import ROWS, addresses

    from cases.models import Economy, Sector, Theme

    # The rows of one language's translations (computed.py --language) need a translated catalogue: the mix
    # is of the catalogue's own language.
    rows = addresses([row for row in ROWS if row not in {"translated", "native"}], seed=seed)
    sectors = list(Sector.objects.values_list("slug", flat=True))
    themes = list(Theme.objects.values_list("slug", flat=True))
    economies = list(Economy.objects.having_published_cases().values_list("iso2", flat=True))
    words = [path.split("q=", 1)[1] for path in rows["rare"] + rows["some"]]
    more = (
        [f"/cases/?economy={iso2}&page={page}" for iso2 in economies for page in range(1, 21)]
        + [f"/cases/?theme={theme}&sort=newest" for theme in themes]
        + [f"/api/v1/cases/?sector={sector}&page={page}" for sector in sectors for page in range(1, 51)]
        + [f"/api/v1/cases/?q={word}" for word in words]
        + [
            f"/api/v1/cases/facet-counts/?sector={sector}&economy={iso2}"
            for sector in sectors
            for iso2 in economies
        ]
        + [f"/api/v1/stats/?economy={iso2}" for iso2 in economies]
        + [f"/api/v1/suggest/?q={word[:4]}" for word in words]
    )
    pool = sorted(set(itertools.chain(*rows.values(), more)))
    random.Random(seed).shuffle(pool)
    return pool


def zipf_sequence(pool: list[str], length: int, seed: int = 11) -> list[str]:
    """`length` requests over `pool`, the k-th address weighted 1/k."""
    weights = [1 / rank for rank in range(1, len(pool) + 1)]
    return random.Random(seed).choices(pool, weights=weights, k=length)


class CuratorWriter(threading.Thread):
    """Every `every` seconds, one published case's lessons change as a curator's edit changes them
    (services.case_update: a revision, the signals moving the version, the write's refresh tasks after its
    commit)."""

    def __init__(self, every: float):
        super().__init__(daemon=True)
        self.every, self.writes, self.failures = every, 0, 0
        self.stopping = threading.Event()

    def run(self):
        from django.contrib.auth import get_user_model
        from django.db import close_old_connections

        from cases.models import CaseStudy
        from cases.services import case_update

        curator, created = get_user_model().objects.get_or_create(
            username="bench-curator", defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            curator.set_unusable_password()
            curator.save()
        while not self.stopping.wait(self.every):
            try:
                case = CaseStudy.objects.published().order_by("-pk").first()
                text = case.lessons_learned or ""
                case.lessons_learned = text.rstrip() if text.endswith(" ") else text + " "
                case_update(case=case, user=curator, changed=["lessons_learned"], message="Benchmark edit")
                self.writes += 1
            except Exception as error:  # reported with the figures; the load goes on
                self.failures += 1
                print(f"  curator write failed: {error}", flush=True)
            finally:
                close_old_connections()


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
        "--write-every", type=float, default=10.0, help="seconds between curator writes (0: none)"
    )
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
    os.environ.update(
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        DJANGO_SETTINGS_MODULE="observatory.settings.dev",
    )
    import django

    django.setup()
    # What a write's refresh tasks keep up to date in a running deployment (cases/tasks.py: the bitmaps, the
    # word list, the postings of common words), built before the run: on an empty cache the first curator
    # write would otherwise build every posting list (a minute at 100,000 cases) inside the measured minute.
    from cases.search.engine import analyze_search_documents
    from cases.tasks import catalogue_committed
    from observatory.postgresql.base import long_running

    started = time.perf_counter()
    with long_running():
        analyze_search_documents()
        catalogue_committed()
    print(f"Refreshed the bitmaps, the word list and the postings in {time.perf_counter() - started:.1f} s")
    pool = address_pool()
    paths = zipf_sequence(pool, SEQUENCE_LENGTH)
    print(
        f"{len(pool):,} distinct addresses; the most asked-for 1% get "
        f"{share_of_top(paths, pool):.0%} of the requests"
    )
    with gunicorn(args.database_url, args.redis_url, workers=args.workers, threads=args.threads) as base:
        if not args.cold:
            print("Warming the cache: the 2,000 most asked-for addresses once, 4 at a time ...", flush=True)
            warm_up(base, pool[:2000])
        writer = CuratorWriter(args.write_every) if args.write_every > 0 else None
        if writer:
            writer.start()
        print(
            f"Loading {base} with {args.clients} clients for {args.seconds} s"
            + (f", a curator write every {args.write_every:g} s ..." if writer else " ...")
        )
        figures = run_wrk(base, paths, seconds=args.seconds, connections=args.clients)
        if writer:
            writer.stopping.set()
            writer.join(timeout=30)
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
    writes = f", {writer.writes} curator writes ({writer.failures} failed)" if writer else ""
    print(
        f"Load test: {figures['requests']} requests from {args.clients} clients in {args.seconds} s "
        f"({figures['rps']:.0f}/s) over {len(pool):,} addresses{writes}, p95 {figures['p95']:.0f} ms, "
        f"{figures['errors']} errors."
    )
    sys.exit(1 if figures["errors"] or (writer and writer.failures) else 0)


def share_of_top(paths: list[str], pool: list[str]) -> float:
    top = set(pool[: max(1, len(pool) // 100)])
    return sum(path in top for path in paths) / len(paths)


if __name__ == "__main__":
    main()

"""Every kind of page and API call as readers meet it: computed (the first request after a write) and
repeated, over HTTP, at one and at eight connections.

    .venv/bin/python bench/computed.py [--database observatory_bench] [--requests 40] [--seconds 20]
                                       [--rows case,library,...] [--connections 1,8] [--redis-url URL]
                                       [--language ja]

Measures an existing PostgreSQL database (default `observatory_bench`, filled by bench/generate.py) at
whatever size it has, through a production-like gunicorn on loopback (bench/server.py: prod settings,
2 workers x 4 threads, Redis as the cache). The rows are those of docs/benchmarks.md's table "every page
computed": a case page, the library (unfiltered, a page past the first, a facet, a rare word, a word in
about 5% of the cases), a profile page, the statistics, the home page, the API's list and a case's detail.
Each row rotates through many addresses of its kind (slugs, pages, facet values, words) taken from the
database. With --language, the pages are asked for in that language (/ja/cases/...) and the API with
?lang=; two more rows need published translations into it (bench/translations.py): `translated`, the
pages of cases translated into it, and `native`, the library searched for words of those translations
(three-character runs of Thai, Chinese or Japanese text).

- **computed, 1 connection**: before every request the catalogue changes as a curator's write changes it:
  the catalogue version moves (cases.caching.catalogue_changed, in a transaction) and the write's own
  refresh runs (the statistics' bitmaps for the new version, as cases/tasks.py does after a commit). The
  script then waits until the server's processes have seen the new version (the server trusts a version
  for CATALOGUE_VERSION_TTL, 0.1 s here; the wait is not timed), so each request computes everything
  keyed by the version.
- **repeated, 1 connection**: the same addresses again, each asked for once before (untimed) and with no
  write since: what the caches give.
- **computed, 8 connections**: one write, then 8 clients (threads, each its own keep-alive connection)
  request addresses none of them asked for since, for --seconds or until the addresses run out (a row with
  few addresses, like the home page, measures little here): the throughput of a catalogue whose pages are
  mostly asked for the first time since the last write.

Every request's time is measured by the client from sending to the last byte and kept; the percentiles are
of those times (no correction for coordinated omission, which wrk 4.1 applies and which gives impossible
p95s when cache hits and misses mix). An answer that is not 200 is counted as an error and reported.
Prints a line per row and mode as it goes, then the table and a one-line summary.
"""

import argparse
import http.client
import itertools
import os
import random
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pages import percentile, prewarm  # noqa: E402
from server import gunicorn  # noqa: E402

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
ROWS = [
    "case",
    "library",
    "paged",
    "facet",
    "rare",
    "some",
    "profile",
    "stats",
    "home",
    "api-list",
    "api-detail",
    "translated",
    "native",
]
# The aims (ms, p95 of computed requests at one connection), to print beside the figures.
AIMS = {
    "case": 25,
    "library": 50,
    "paged": 50,
    "facet": 50,
    "rare": 100,
    "some": 100,
    "profile": 50,
    "stats": 100,
    "home": 50,
    "api-list": 25,
    "api-detail": 25,
    "translated": 25,
    "native": 100,
}
# Rows that need published translations into --language (bench/translations.py).
TRANSLATION_ROWS = ("translated", "native")
# Written without spaces between words: searched by runs of characters, not words (docs/search.md).
SPACELESS = {"ja", "zh-hant", "zh-hans", "th"}
VERSION_TTL = 0.1


def native_words(language: str, rng: random.Random, count: int = 200) -> list[str]:
    """Words of the published translations into `language`, as a reader of it would type them: runs of
    three characters of a spaceless script, or whole words of four letters or more."""
    from cases.models import CaseTranslation, TranslationStatus
    from cases.models.search_document import SPACELESS_RUN

    titles = CaseTranslation.objects.filter(
        language=language, status=TranslationStatus.PUBLISHED
    ).values_list("title", flat=True)
    found = set()
    for title in titles[:5000]:
        text = title.rsplit(" ", 1)[0] if title.rsplit(" ", 1)[-1].isdigit() else title
        if language in SPACELESS:
            runs = [run for run in SPACELESS_RUN.findall(text) if len(run) >= 3]
            if runs:
                run = rng.choice(runs)
                start = rng.randrange(len(run) - 2)
                found.add(run[start : start + 3])
        else:
            found.update(word for word in text.split() if len(word) >= 4 and word.isalpha())
    words = sorted(found)
    rng.shuffle(words)
    return words[:count]


def addresses(rows: list[str], seed: int = 7, language: str = "en") -> dict[str, list[str]]:
    """For each row, the addresses it rotates through, shuffled: real slugs, words and facet values; the
    pages in `language` (under its prefix) and the API's answers in it (?lang=)."""
    from urllib.parse import quote

    from django.db.models import Exists, OuterRef

    from cases.models import (
        CaseStudy,
        CaseTranslation,
        Economy,
        RelatedCase,
        SearchWord,
        Sector,
        Theme,
        TranslationStatus,
    )

    rng = random.Random(seed)
    published = CaseStudy.objects.published()
    total = published.count()
    # Case pages of cases with their related lists, as every page has in a running deployment: a catalogue
    # generated with --skip-related (the million) has lists for only some, and a page without one renders
    # no related cards, which would flatter the figure.
    with_list = published.filter(Exists(RelatedCase.objects.filter(case=OuterRef("pk"))))
    slugs = list(with_list.order_by("?").values_list("slug", flat=True)[:3000])
    if len(slugs) < 3000:
        slugs += list(published.order_by("?").values_list("slug", flat=True)[: 3000 - len(slugs)])
    listed = with_list.count()
    print(f"Case pages: {len(slugs):,} addresses, of cases with a related list: {listed:,} of {total:,}")
    sectors = list(Sector.objects.values_list("slug", flat=True))
    economies = list(Economy.objects.having_published_cases().values_list("slug", "iso2"))
    themes = list(Theme.objects.values_list("slug", flat=True))
    words = SearchWord.objects.filter(word__regex=r"^[a-z]{5,}$")
    rare = list(
        words.filter(documents__range=(5, max(6, total // 1000))).values_list("word", flat=True)[:500]
    )
    some = list(
        words.filter(documents__range=(total * 3 // 100, total * 7 // 100)).values_list("word", flat=True)[
            :200
        ]
    )
    pages = max(2, min(1000, total // 20))
    made = {
        "case": [f"/cases/{slug}/" for slug in slugs],
        "library": ["/cases/"] + [f"/cases/?sort={sort}" for sort in ("newest", "oldest", "title")],
        "paged": [f"/cases/?page={page}" for page in range(2, pages + 1)],
        "facet": [f"/cases/?sector={sector}" for sector in sectors]
        + [f"/cases/?sector={sector}&economy={iso2}" for sector in sectors for _slug, iso2 in economies],
        "rare": [f"/cases/?q={word}" for word in rare],
        "some": [f"/cases/?q={word}" for word in some],
        "profile": [f"/sectors/{slug}/" for slug in sectors]
        + [f"/themes/{slug}/" for slug in themes]
        + [f"/economies/{slug}/" for slug, _iso2 in economies],
        "stats": ["/stats/"] + [f"/stats/?sector={sector}" for sector in sectors],
        "home": ["/"],
        "api-list": [f"/api/v1/cases/?page={page}" for page in range(2, pages + 1)],
        "api-detail": [f"/api/v1/cases/{slug}/" for slug in slugs],
        "translated": [
            f"/cases/{slug}/"
            for slug in CaseTranslation.objects.filter(
                language=language, status=TranslationStatus.PUBLISHED, case__in=published
            ).values_list("case__slug", flat=True)[:3000]
        ],
        "native": [f"/cases/?q={quote(word)}" for word in native_words(language, rng)],
    }
    prefix = "" if language == "en" else f"/{language}"
    for row in rows:
        if not made[row]:
            raise SystemExit(
                f"No addresses for the row {row} in {language}: run bench/translations.py first."
            )
        made[row] = [
            f"{path}{'&' if '?' in path else '?'}lang={language}"
            if path.startswith("/api/")
            else prefix + path
            for path in made[row]
        ]
        rng.shuffle(made[row])
    return {row: made[row] for row in rows}


class Writer:
    """A curator's write as readers see it: the version moves, and the write's refresh runs as the task after
    each commit runs it (cases/tasks.py refresh_statistics: the bitmaps of the new version, the vocabulary
    snapshot, when the catalogue last changed)."""

    def __init__(self):
        self.writes = 0

    def write(self):
        from django.db import transaction

        from cases.caching import catalogue_changed
        from cases.tasks import refresh_statistics

        with transaction.atomic():
            catalogue_changed()
        refresh_statistics.call()
        self.writes += 1
        time.sleep(VERSION_TTL * 1.5)  # until the server's processes read the new version


class Client:
    """One keep-alive HTTP connection; get() returns (status, milliseconds to the last byte)."""

    def __init__(self, base: str):
        address = urlsplit(base)
        self.connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)

    def get(self, path: str) -> tuple[int, float]:
        started = time.perf_counter()
        self.connection.request("GET", path, headers={"Accept-Encoding": "gzip"})
        response = self.connection.getresponse()
        response.read()
        return response.status, (time.perf_counter() - started) * 1000


def one_connection(base: str, paths: list[str], requests: int, writer: Writer | None) -> dict:
    """`requests` requests over `paths` in turn; with a writer, each the first after a write, without one
    each asked for once before (untimed), so that what is timed is what the caches give."""
    client = Client(base)
    if writer is None:
        for path in paths[:requests]:
            client.get(path)
    times, errors = [], 0
    for path in itertools.islice(itertools.cycle(paths), requests):
        if writer:
            writer.write()
        status, milliseconds = client.get(path)
        times.append(milliseconds)
        errors += status != 200
    return {"p50": percentile(times, 0.5), "p95": percentile(times, 0.95), "n": len(times), "errors": errors}


def eight_connections(
    base: str, paths: list[str], seconds: float, writer: Writer, connections: int = 8
) -> dict:
    writer.write()
    queue = iter(paths)
    lock = threading.Lock()
    times, errors = [], [0]
    deadline = time.perf_counter() + seconds

    def work():
        client = Client(base)
        while time.perf_counter() < deadline:
            with lock:
                path = next(queue, None)
            if path is None:
                return
            status, milliseconds = client.get(path)
            with lock:
                times.append(milliseconds)
                errors[0] += status != 200

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if not times:
        return {"p50": 0.0, "p95": 0.0, "n": 0, "errors": errors[0], "rps": 0.0}
    return {
        "p50": percentile(times, 0.5),
        "p95": percentile(times, 0.95),
        "n": len(times),
        "errors": errors[0],
        "rps": len(times) / elapsed,
    }


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default="observatory_bench", help="PostgreSQL database to measure")
    parser.add_argument("--requests", type=int, default=40, help="timed requests per row at one connection")
    parser.add_argument("--seconds", type=float, default=20, help="longest run per row at eight connections")
    parser.add_argument(
        "--rows",
        default=",".join(row for row in ROWS if row not in TRANSLATION_ROWS),
        help=f"comma-separated, of: {', '.join(ROWS)} (default: all but {', '.join(TRANSLATION_ROWS)})",
    )
    parser.add_argument("--connections", default="1,8", help="1, 8 or both (default 1,8)")
    parser.add_argument(
        "--language",
        default="en",
        help="the pages' and API's language (default en); the rows translated and native need translations "
        "into it (bench/translations.py)",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
        help="the cache the server and this script share (flushed first)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    args = parser.parse_args()
    rows = [row.strip() for row in args.rows.split(",") if row.strip()]
    if unknown := set(rows) - set(ROWS):
        parser.error(f"unknown rows: {', '.join(sorted(unknown))}")
    modes = {part.strip() for part in args.connections.split(",")}

    server = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_SERVER).rstrip("/")
    database_url = f"{server}/{args.database}"
    os.environ.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="observatory.settings.dev",
        REDIS_URL=args.redis_url,
        CATALOGUE_VERSION_TTL=str(VERSION_TTL),
    )
    import django

    django.setup()
    import redis

    from cases.models import CaseStudy

    redis.Redis.from_url(args.redis_url).flushdb()
    prewarm(database_url)
    published = CaseStudy.objects.published().count()
    plan = addresses(rows, language=args.language)
    print(
        f"{published:,} published cases in {args.database}, in {args.language}; rows: {', '.join(rows)}",
        flush=True,
    )
    for row in rows:
        print(f"  {row:10} {len(plan[row]):5} addresses, e.g. {plan[row][0]}", flush=True)
    if {"rare", "some", "native"} & set(rows):
        # The search's postings of common words are an index a write's refresh tasks keep up to date
        # (cases/tasks.py), as bench/search.py builds them first: without them every search of a word whose
        # stem is common ("trained" is 'train', in 97% of the cases) would be measured unindexed.
        from cases.search.engine import analyze_search_documents, refresh_postings
        from observatory.postgresql.base import long_running

        started = time.perf_counter()
        with long_running():
            analyze_search_documents()
            done = refresh_postings()
        print(
            f"Postings of common words: {done['lexemes']} words, {done['built']} built in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )

    writer = Writer()
    results = {}
    with gunicorn(
        database_url, args.redis_url, workers=args.workers, threads=args.threads, wrk=False
    ) as base:
        # The server's first requests warm what every process loads once (templates, the lexicon).
        warm = Client(base)
        for path in ["/", "/cases/", "/api/v1/cases/", "/stats/"]:
            warm.get(path)
        for row in rows:
            paths = plan[row]
            result = results.setdefault(row, {})
            if "1" in modes:
                result["computed"] = one_connection(base, paths, args.requests, writer)
                result["repeated"] = one_connection(base, paths[: args.requests], args.requests, None)
                for mode in ("computed", "repeated"):
                    figures = result[mode]
                    print(
                        f"  {row:10} {mode:8} 1 connection   p50 {figures['p50']:7.1f} ms  "
                        f"p95 {figures['p95']:7.1f} ms  n={figures['n']}  errors {figures['errors']}",
                        flush=True,
                    )
            if "8" in modes:
                figures = result["eight"] = eight_connections(base, paths, args.seconds, writer)
                print(
                    f"  {row:10} computed 8 connections p50 {figures['p50']:7.1f} ms  "
                    f"p95 {figures['p95']:7.1f} ms  {figures['rps']:6.1f} req/s  n={figures['n']}  "
                    f"errors {figures['errors']}",
                    flush=True,
                )

    print()
    print(
        f"Every page computed and repeated over HTTP, {published:,} cases, in {args.language} "
        "(ms; req/s at 8 connections)"
    )
    print(
        f"{'row':11}{'computed p50':>13}{'p95':>8}{'aim':>6}{'repeated p50':>14}{'p95':>8}"
        f"{'8 conn. p50':>13}{'p95':>8}{'req/s':>8}{'errors':>8}"
    )
    over, errors = [], 0
    for row in rows:
        result = results[row]
        computed, repeated, eight = result.get("computed"), result.get("repeated"), result.get("eight")
        errors += sum(figures["errors"] for figures in (computed, repeated, eight) if figures)

        def cell(figures, key, width):
            return f"{figures[key]:{width}.1f}" if figures else f"{'-':>{width}}"

        print(
            f"{row:11}{cell(computed, 'p50', 13)}{cell(computed, 'p95', 8)}{AIMS[row]:6}"
            f"{cell(repeated, 'p50', 14)}{cell(repeated, 'p95', 8)}"
            f"{cell(eight, 'p50', 13)}{cell(eight, 'p95', 8)}{cell(eight, 'rps', 8)}"
            f"{sum(f['errors'] for f in (computed, repeated, eight) if f):8}"
        )
        if computed and computed["p95"] > AIMS[row]:
            over.append(row)
    print(
        f"{len(rows)} rows, {writer.writes} writes, {errors} errors; computed p95 over the aim: "
        f"{', '.join(over) if over else 'none'}"
    )


if __name__ == "__main__":
    main()

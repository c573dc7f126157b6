"""Search as readers meet it, computed (nothing cached): p50/p95 and SQL per request, in-process and HTTP.

    .venv/bin/python bench/search.py [--database observatory_bench] [--requests 30] [--no-http]
                                     [--scenarios common,half,some,rare,two,phrase,typo,start]
                                     [--write-between]

Measures an existing PostgreSQL database (default `observatory_bench`, filled with `bench/generate.py`;
this script writes to it only with --write-between) at whatever size it has. It picks the words from the
catalogue itself: one ts_stat over the search documents of a sample of at most 20,000 published cases
gives each word's document frequency, and the script prints the words it chose with their frequencies:

- common: a word in about 92% of cases; half: about 50%; some: about 5%; rare: under 0.1%;
- two: the common and the half word together; phrase: a quoted two-word phrase found in about 10% of cases;
- typo: the common word misspelt (one letter dropped), which finds nothing exactly;
- start: a word cut short, as a reader still typing leaves it: the common word (else the half word) cut
  to about half its letters, which finds nothing exactly and stands for the known words it begins.

For each scenario it requests three faces: the library page `/cases/?q=` (results, total, facet counts,
snippets), the API page `/api/v1/cases/?q=`, and the type-ahead suggestions `/api/v1/suggest/?q=` for
what a reader has typed so far (the scenario's words, the last one cut to its first four letters).

"Computed" means nothing about the search is in the cache: before every timed request, every cache entry
but the catalogue's bitmaps and the search's posting lists of common words is deleted from Redis (those
are indexes a write's own refresh tasks keep for readers, cases/tasks.py: the script brings the postings
up to date first, and says how long building them took; bench/pages.py's "cold" is the same state). With
--write-between, one case is also changed before every request and the postings are not refreshed for
it: each request is the first after a write, and applies the changed row itself. So the total, the
page's ids, the facet counts and the whole page are computed for each request. Every request also carries
a distinct, harmless `bench=<n>` parameter (ignored by the pages and the API), so no two addresses are
the same either.

In-process: Django's test client (server time through every middleware, without network), with Redis as
the cache, counting SQL statements and their time (django.test.utils.CaptureQueriesContext). Over HTTP:
a production-like gunicorn (bench/server.py: `observatory.settings.prod`, 2 workers x 4 threads) on
loopback, one connection kept alive, one request at a time (client-side time to the last byte). It prints
a line per scenario and face as it goes, then the table (in-process p50/p95 and SQL time p50, SQL
statements per request as median/max; HTTP p50/p95) and a one-line summary against the aim (pages
p95 < 100 ms up to 100,000 cases, < 300 ms up to 1,000,000; suggestions p95 < 30 ms).
"""

import argparse
import gc
import http.client
import itertools
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pages import percentile  # noqa: E402

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
SCENARIOS = ["common", "half", "some", "rare", "two", "phrase", "typo", "start"]
FACES = {
    "library": "/cases/?q={q}",
    "api": "/api/v1/cases/?q={q}",
    "suggest": "/api/v1/suggest/?q={prefix}",
}
SAMPLE_CASES = 20_000
TARGETS = {"common": 0.92, "half": 0.50, "some": 0.05}


# --- Choosing the words -----------------------------------------------------------------------------


def vocabulary_words() -> set[str]:
    """Every plain word of the generator's word lists (cases/interchange/data/generation_words.json)."""
    data = json.loads((ROOT / "cases/interchange/data/generation_words.json").read_text())
    words = set()

    def walk(value):
        if isinstance(value, str):
            words.update(re.findall(r"(?<![{\w])[a-z]{4,}(?![}\w])", re.sub(r"\{\w+\}", " ", value.lower())))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk({key: value for key, value in data.items() if key != "_comment"})
    return words


def vocabulary_phrases() -> list[str]:
    """Two-word phrases of the generator's sentences and approaches, as candidates for the phrase search."""
    data = json.loads((ROOT / "cases/interchange/data/generation_words.json").read_text())
    texts = [approach[2] for approach in data["approaches"]] + data["generic_predicates"]
    phrases = []
    for text in texts:
        words = re.findall(r"[a-z]+", re.sub(r"\{\w+\}", " ", text.lower()))
        phrases += [f"{a} {b}" for a, b in itertools.pairwise(words) if len(a) > 3 and len(b) > 3]
    return sorted(set(phrases))


def published_matches(cursor, word: str) -> int:
    """How many published cases the site's query for `word` matches, counted through the GIN index: for
    a word it has no statistics of, the planner would rather read every case's search document (seconds at
    1,000,000 cases), or filter the status index's rows by it, than read the index (milliseconds)."""
    cursor.execute("SET enable_seqscan = off")
    try:
        cursor.execute(
            "SELECT count(*) FROM cases_casesearch "
            "WHERE published AND document @@ to_tsquery('english', quote_literal(%s))",
            [word],
        )
        return cursor.fetchone()[0]
    finally:
        cursor.execute("RESET enable_seqscan")


def choose_words(cursor, published: int) -> dict:
    """{scenario: (q, how it was chosen)} from one ts_stat over a sample of the published cases."""
    percent = min(100.0, 100.0 * SAMPLE_CASES / max(published, 1))
    sample = (
        f"SELECT document FROM cases_casesearch TABLESAMPLE SYSTEM ({percent:.4f}) REPEATABLE (7) "
        "WHERE published"
    )
    cursor.execute(f"SELECT count(*) FROM ({sample}) AS sample")
    sampled = cursor.fetchone()[0]
    print(f"Document frequencies: ts_stat over {sampled:,} of {published:,} published cases ...", flush=True)
    started = time.perf_counter()
    cursor.execute("SELECT word, ndoc FROM ts_stat(%s)", [sample])
    ndoc = dict(cursor.fetchall())
    print(f"  {len(ndoc):,} distinct lexemes in {time.perf_counter() - started:.1f} s", flush=True)
    lexemes = sorted(ndoc)

    def prefixed_by(stem: str) -> int:
        """How many lexemes of the sample start with `stem` (the site's prefix match reaches all of them)."""
        from bisect import bisect_left

        start = bisect_left(lexemes, stem)
        end = start
        while end < len(lexemes) and lexemes[end].startswith(stem):
            end += 1
        return end - start

    # Words as readers would type them: the generator's vocabulary and the words of the sampled cases'
    # titles and summaries (programme names are made up there), each with the lexeme it is stemmed to.
    cursor.execute(
        f"SELECT string_agg(lower(title || ' ' || summary), ' ') FROM cases_casestudy "
        f"TABLESAMPLE SYSTEM ({percent:.4f}) REPEATABLE (7) WHERE status = 'published'"
    )
    seen = set(re.findall(r"(?<![\w-])[a-z]{4,}(?![\w-])", cursor.fetchone()[0] or ""))
    candidates = sorted(vocabulary_words() | seen)
    cursor.execute(
        "SELECT word, array_to_string(tsvector_to_array(to_tsvector('english', word)), ' ') "
        "FROM unnest(%s::text[]) AS word",
        [candidates],
    )
    stem_of = {word: stem for word, stem in cursor.fetchall() if stem and " " not in stem}

    def matched_in_sample(word: str) -> float:
        """The share of the sample the site's query for `word` matches (a whole word)."""
        cursor.execute(
            f"SELECT count(*) FROM ({sample}) AS sample "
            "WHERE document @@ to_tsquery('english', quote_literal(%s))",
            [word],
        )
        return cursor.fetchone()[0] / sampled

    chosen = {}
    for scenario, target in TARGETS.items():
        # The words whose own lexeme is closest to the target, one surface word per lexeme (the shortest);
        # then the one whose search, as the site runs it, matches the share of cases closest to the target.
        nearest = {}
        for word, stem in sorted(stem_of.items(), key=lambda item: (len(item[0]), item[0])):
            if stem in ndoc and len(word) >= 5 and stem not in nearest:
                nearest[stem] = word
        closest = sorted(nearest, key=lambda stem: abs(ndoc[stem] / sampled - target))[:6]
        shares = {nearest[stem]: matched_in_sample(nearest[stem]) for stem in closest}
        word = min(shares, key=lambda w: (abs(shares[w] - target), len(w), w))
        chosen[scenario] = (word, f"matches {100 * shares[word]:.1f}% of the sample")

    # Rare: in the sample at most a few times, then counted exactly in the whole catalogue (the GIN index
    # makes that cheap for a rare word); under 0.1% of the cases, preferably at least 10 of them.
    limit = max(1, int(0.0005 * sampled))
    rare = sorted(
        (word for word, stem in stem_of.items() if ndoc.get(stem, 0) <= limit and prefixed_by(stem) == 1),
        key=lambda word: (-ndoc.get(stem_of[word], 0), word),
    )
    fallback = None
    for word in rare[:40]:
        count = published_matches(cursor, word)
        if 0 < count < 0.001 * published:
            fallback = fallback or (word, count)
            if count >= min(10, 0.0005 * published):
                fallback = (word, count)
                break
    if fallback:
        chosen["rare"] = (fallback[0], f"in {fallback[1]:,} cases ({100 * fallback[1] / published:.3f}%)")

    common, half = chosen["common"][0], chosen["half"][0]
    chosen["two"] = (f"{common} {half}", "the common and the half word")

    phrases = vocabulary_phrases()
    frequencies = {}
    for phrase in phrases:
        cursor.execute(
            f"SELECT count(*) FROM ({sample}) AS sample WHERE document @@ phraseto_tsquery('english', %s)",
            [phrase],
        )
        frequencies[phrase] = cursor.fetchone()[0] / sampled
    phrase = min((p for p in phrases if frequencies[p] > 0), key=lambda p: abs(frequencies[p] - 0.10))
    chosen["phrase"] = (f'"{phrase}"', f"as a phrase in {100 * frequencies[phrase]:.1f}% of the sample")

    for position in [len(common) // 2 + 1, len(common) // 2, len(common) // 2 - 1, 1, len(common) - 2]:
        typo = common[:position] + common[position + 1 :]
        if typo in candidates:
            continue  # a word of its own, not a typo
        if not published_matches(cursor, typo):
            chosen["typo"] = (typo, f"{common} misspelt: no exact match")
            break
    for word in (common, half):
        start = word[: max(4, len(word) // 2 + 1)]
        if start != word and start not in candidates and not published_matches(cursor, start):
            chosen["start"] = (start, f"{word} cut short: no exact match")
            break
    return chosen


def typed_prefix(q: str) -> str:
    """What a reader has typed on the way to `q`: its words, the last one cut to four letters."""
    words = re.findall(r"\w+", q)
    return " ".join([*words[:-1], words[-1][:4]])


# --- Measuring ---------------------------------------------------------------------------------------


# What a write's own refresh tasks leave in the cache for readers (cases/tasks.py): the catalogue's bitmaps
# and the search's posting lists of common words. Nothing else survives a computed request's clearing.
KEPT = (b":bitmaps:", b":posting:", b":posting-lexemes:")


class Computed:
    """Deletes every cache entry but the indexes a write's tasks keep: what nothing about a search may come
    from. With `write_between`, also changes one case's narrative before each request, through SQL (as a
    curator's edit would, without the refresh that follows it), so that the request is the first after a
    write the postings have not caught up with: the reader applies the changed row itself."""

    def __init__(self, redis_url: str, *, write_between: bool = False):
        import redis

        self.client = redis.Redis.from_url(redis_url)
        self.write_between = write_between
        self.writes = 0

    def clear(self):
        doomed = [key for key in self.client.scan_iter(count=1000) if not any(part in key for part in KEPT)]
        if doomed:
            self.client.delete(*doomed)
        if self.write_between:
            import psycopg

            self.writes += 1
            with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as connection:
                # The newest published case: its lessons end with one space more or less each time.
                connection.execute(
                    "UPDATE cases_casestudy SET lessons_learned = CASE WHEN lessons_learned LIKE '%% ' "
                    "THEN rtrim(lessons_learned) ELSE lessons_learned || ' ' END "
                    "WHERE id = (SELECT max(id) FROM cases_casestudy WHERE status = 'published')"
                )


def summarise(milliseconds: list[float]) -> tuple[float, float]:
    return percentile(milliseconds, 0.5), percentile(milliseconds, 0.95)


class GarbageCollections:
    """Within the block, the milliseconds Python spent collecting garbage (`milliseconds`, read after it):
    a request slower than its neighbours with the same SQL time is told apart from a collection."""

    def __init__(self):
        self.milliseconds = 0.0
        self._started = None

    def _callback(self, phase, _info):
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started is not None:
            self.milliseconds += (time.perf_counter() - self._started) * 1000
            self._started = None

    def __enter__(self):
        self.milliseconds = 0.0
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc):
        gc.callbacks.remove(self._callback)


def measure_in_process(plan, requests: int, computed: Computed, results: dict) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from observatory.heap import collect_between_requests

    # As the server's entry points do (observatory/wsgi.py), the heap frozen after the first face's two
    # untimed requests. Each request's garbage is collected when it has finished, which over HTTP comes
    # after its last byte and here is inside its time.
    collect_between_requests(warm_up_requests=2)
    client = Client()
    collecting = GarbageCollections()
    serial = 0
    for scenario, face, url in plan:
        totals, sqls, counts, collected = [], [], [], []
        for attempt in range(2 + requests):  # two untimed: connection, PostgreSQL buffers
            serial += 1
            computed.clear()
            with CaptureQueriesContext(connection) as queries, collecting:
                started = time.perf_counter()
                response = client.get(f"{url}&bench={serial}")
                elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                # A request over the statement limit answers 503: recorded as such, the rest measured.
                print(f"  in-process  {scenario:7} {face:8} answered {response.status_code}", flush=True)
                results[scenario, face]["failed"] = response.status_code
                break
            if face == "api" and attempt == 0:
                results[scenario, face]["matches"] = response.json()["count"]
            if attempt >= 2:
                totals.append(elapsed)
                sqls.append(sum(float(query["time"]) for query in queries.captured_queries) * 1000)
                counts.append(len(queries.captured_queries))
                collected.append(collecting.milliseconds)
        row = results[scenario, face]
        if row.get("failed"):
            continue
        row["p50"], row["p95"] = summarise(totals)
        row["sql_p50"] = percentile(sqls, 0.5)
        row["queries"] = (int(statistics.median(counts)), max(counts))
        slowest = max(range(len(totals)), key=totals.__getitem__)
        print(
            f"  in-process  {scenario:7} {face:8} p50 {row['p50']:8.1f} ms  p95 {row['p95']:8.1f} ms  "
            f"SQL p50 {row['sql_p50']:8.1f} ms  {row['queries'][0]} queries; slowest "
            f"{totals[slowest]:.0f} ms (SQL {sqls[slowest]:.0f}, GC {collected[slowest]:.0f})",
            flush=True,
        )


def measure_http(plan, requests: int, computed: Computed, results: dict, base: str) -> None:
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=600)
    serial = 0

    def get(url):
        for retry in (False, True):
            try:
                connection.request("GET", url)
                response = connection.getresponse()
                response.read()
                return response.status
            except (http.client.RemoteDisconnected, ConnectionError):
                connection.close()  # the server closed the idle connection: open another
                if retry:
                    raise
        return None

    for scenario, face, url in plan:
        totals = []
        for attempt in range(2 + requests):
            serial += 1
            computed.clear()
            started = time.perf_counter()
            status = get(f"{url}&bench={serial}")
            elapsed = (time.perf_counter() - started) * 1000
            if status != 200:
                print(f"  HTTP        {scenario:7} {face:8} answered {status}", flush=True)
                results[scenario, face]["failed"] = status
                break
            if attempt >= 2:
                totals.append(elapsed)
        row = results[scenario, face]
        if row.get("failed"):
            continue
        row["http_p50"], row["http_p95"] = summarise(totals)
        print(
            f"  HTTP        {scenario:7} {face:8} p50 {row['http_p50']:8.1f} ms  "
            f"p95 {row['http_p95']:8.1f} ms",
            flush=True,
        )
    connection.close()


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default="observatory_bench", help="PostgreSQL database to measure")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per scenario and face")
    parser.add_argument(
        "--http", action=argparse.BooleanOptionalAction, default=True, help="also measure over HTTP"
    )
    parser.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help=f"comma-separated, of: {', '.join(SCENARIOS)}"
    )
    parser.add_argument(
        "--write-between",
        action="store_true",
        help="change one case before every request (the first request after a write; writes to the database)",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
        help="the cache, as in production (every entry but the bitmaps is deleted before each request)",
    )
    args = parser.parse_args()
    wanted = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    if unknown := set(wanted) - set(SCENARIOS):
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")

    server = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_SERVER).rstrip("/")
    database_url = f"{server}/{args.database}"
    os.environ.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="observatory.settings.dev",
        DEBUG="false",
        SECRET_KEY="bench-" + "x" * 40,
        ALLOWED_HOSTS="testserver",
        REDIS_URL=args.redis_url,
        API_ANON_RATE="1000000/minute",
        # A search for a very common word at 1,000,000 cases may take longer than gunicorn's default 30 s.
        GUNICORN_CMD_ARGS="--timeout=600",
    )
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from cases.insights.bitmaps import CatalogueBitmaps
    from cases.models import CaseStudy
    from cases.search.engine import analyze_search_documents, refresh_postings
    from observatory.postgresql.base import long_running

    # Partners' API limits would throttle a benchmark's hundreds of requests from one address.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    with long_running():  # set-up, not what is measured: a cold million may take longer than a request may
        published = CaseStudy.objects.published().count()
        print(f"{published:,} published cases in {args.database}", flush=True)
        with connection.cursor() as cursor:
            chosen = choose_words(cursor, published)
    for scenario in SCENARIOS:
        if scenario in chosen:
            q, why = chosen[scenario]
            print(f"  {scenario:7} q={q!s:32} {why}", flush=True)
    missing = [scenario for scenario in wanted if scenario not in chosen]
    if missing:
        print(f"  no word found for: {', '.join(missing)} (left out)", flush=True)
    scenarios = [scenario for scenario in wanted if scenario in chosen]

    plan = []
    for scenario in scenarios:
        q = chosen[scenario][0]
        for face, template in FACES.items():
            plan.append(
                (scenario, face, template.format(q=quote(q), prefix=quote(typed_prefix(q.strip('"')))))
            )
    results = {(scenario, face): {"matches": None} for scenario, face, _url in plan}

    computed = Computed(args.redis_url)
    computed.clear()
    CatalogueBitmaps.current()  # as a write's refresh tasks leave them (cases/tasks.py)
    started = time.perf_counter()
    with long_running():
        analyze_search_documents()  # which words are common: the statistics a bulk load may not have yet
        done = refresh_postings()
    print(
        f"Postings of common words: {done['lexemes']} words, {done['built']} built in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    computed.write_between = args.write_between
    print(f"In-process, {args.requests} computed requests per scenario and face:", flush=True)
    measure_in_process(plan, args.requests, computed, results)
    connection.close()  # nothing held open on the database while the server runs

    if args.http:
        from server import gunicorn

        with gunicorn(database_url, args.redis_url, wrk=False) as base:
            print(f"Over HTTP (one connection), {args.requests} computed requests per scenario and face:")
            measure_http(plan, args.requests, computed, results, base)

    aim_pages = 100 if published <= 100_000 else 300
    aim_suggest = 30
    print()
    print(
        f"{'scenario':8} {'q':34} {'face':8} {'matches':>9} {'p50 ms':>8} {'p95 ms':>8} {'SQL p50':>8} "
        f"{'queries':>8} {'HTTP p50':>9} {'HTTP p95':>9}  (n={args.requests}, {published:,} cases)"
    )

    def figure(row, name):
        if row.get(name) is None:
            return f"({row['failed']})" if row.get("failed") else "-"
        return f"{row[name]:.1f}"

    for scenario, face, _url in plan:
        row = results[scenario, face]
        shown = typed_prefix(chosen[scenario][0].strip('"')) if face == "suggest" else chosen[scenario][0]
        matches = results[scenario, "api"]["matches"] if face != "suggest" else None
        print(
            f"{scenario:8} {shown:34} {face:8} {'' if matches is None else f'{matches:,}':>9} "
            f"{figure(row, 'p50'):>8} {figure(row, 'p95'):>8} {figure(row, 'sql_p50'):>8} "
            f"{'{}/{}'.format(*row['queries']) if row.get('queries') else '-':>8} "
            f"{figure(row, 'http_p50'):>9} {figure(row, 'http_p95'):>9}"
        )

    def worst(faces, key):
        rows = [(results[s, f].get(key) or 0, s, f) for s, f, _u in plan if f in faces]
        return max(rows) if rows else (0, "", "")

    pages_worst = max(worst(("library", "api"), "p95"), worst(("library", "api"), "http_p95"))
    suggest_worst = max(worst(("suggest",), "p95"), worst(("suggest",), "http_p95"))
    over = sum(
        1
        for s, f, _u in plan
        for key in ("p95", "http_p95")
        if results[s, f].get(key) is not None
        and results[s, f][key] >= (aim_suggest if f == "suggest" else aim_pages)
    )
    failed = sum(1 for s, f, _u in plan if results[s, f].get("failed"))
    print(
        f"Search at {published:,} cases, {len(scenarios)} scenarios x {len(FACES)} faces x {args.requests} "
        f"computed requests: worst page p95 {pages_worst[0]:.0f} ms ({pages_worst[1]}, {pages_worst[2]}; "
        f"aim {aim_pages}), worst suggestions p95 {suggest_worst[0]:.0f} ms ({suggest_worst[1]}; aim "
        f"{aim_suggest}); {over} figures over the aim"
        + (f", {failed} faces answered an error (shown in brackets)." if failed else ".")
    )


if __name__ == "__main__":
    main()

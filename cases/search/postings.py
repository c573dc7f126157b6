"""Posting lists of the words found in many cases, as bitmaps (PostgreSQL): which published cases have such
a word, without reading each of them again.

Why: the total and the facet counts of a search need the set of matching cases. For a word in most cases,
reading that set through the full-text index still visits every matching row of cases_casesearch: 30 ms
at 100,000 cases for a word in 91% of them, ten times that at 1,000,000 (docs/benchmarks.md). A search
engine keeps a posting list per word for this; so does this module, for the words common enough to need
one (in at least SEARCH_POSTING_MIN_CASES cases, as PostgreSQL's own statistics of the documents estimate),
as a Roaring bitmap of case ids in the shared cache.

Kept exact: every row of cases_casesearch records the transaction that last wrote it (`changed_xid`, set by
its trigger, migration 0018). A posting records the horizon it is complete up to (the oldest transaction
still running when it was read: every change by an older transaction is in it). Whoever reads a posting
first reads the rows changed since its horizon (an index scan, a handful of rows after a write) and
applies them, so a posting is never older than the statement that reads it (a translation written is such
a change too: it rewrites the case's other-language columns, and the trigger its row, whose ranking vector
holds the translations' titles and summaries). Rows deleted (a case deleted outright) are not seen that way:
a posting may keep their ids, so callers intersect with the published cases they hold (the catalogue's
bitmaps), as cases.search.engine.matching_case_ids requires.

Pairs of adjacent words have postings too: a lexeme "first second" (with a space, which no word's lexeme
holds) of the index of word pairs (migration 0021), common as its own statistics say, so that a quoted
phrase of two common words is counted without reading its cases (0.1 s at 1,000,000 cases otherwise). A
pair's top list ranks the phrase (its two words side by side, `pair_query`) among the cases whose document
has the pair, as the library ranks a search of that quoted phrase.

Built off the request path: after every committed write the `refresh_search_postings` task (cases/tasks.py)
builds the postings of the common words that have none and brings the others up to date. A reader never
builds one: a word without a posting is read through the full-text index as before, and so is every query
with a phrase, a prefix or a rare word, or after a write too large to apply in a request (MAX_CHANGES).
"""

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from pyroaring import BitMap, FrozenBitMap

from cases.caching import _safe, shared_catalogue_version
from cases.search.request_memo import once_per_request

logger = logging.getLogger(__name__)

CONFIG = "english"
# A reader applies at most this many changed rows to the postings it reads; more (a large import) and it
# reads the full-text index instead, until the task has caught up.
MAX_CHANGES = 2_000
# Postings are kept exact by the changes applied to them, not by expiring: a week in the cache (each write's
# refresh stores them again), rebuilt from the index once a day by the refresh as a safety net.
KEEP_SECONDS = 7 * 24 * 3600
REBUILD_SECONDS = 24 * 3600
# A posting no change altered is stored again (with a later horizon) once this many rows changed since it.
REREAD_ROWS = 200
# Part of the cache key: change it whenever Posting changes.
FORMAT = 3


@dataclass(frozen=True)
class Posting:
    lexeme: str
    horizon: int  # every change written by a transaction older than this is in `cases`
    cases: FrozenBitMap  # the published cases whose document has the lexeme
    built_at: float
    # The best-ranked published cases whose ranking vector has the lexeme, best first, as (rank,
    # published_at, case id): the library's order for a search of this one word. It holds exactly every such
    # case ranked at or above its last (`complete`: every such case at all), which applying changes keeps
    # true: a changed case is put in its place when it ranks at or above the last, taken out otherwise.
    top: tuple = ()
    complete: bool = False


# Once this many rows changed since every posting was last brought up to date, the refresh brings them all
# up to date; until then readers apply the changes to the postings they read (MAX_CHANGES is far above).
COMPACT_ROWS = 200
# The changed rows are read for at most this many lexemes at a time (PostgreSQL's limits on a statement).
LEXEMES_PER_READ = 200
# How many of the best-ranked cases a posting keeps for its word: pages of 20 up to the 10th, and pages of
# 100 up to the 2nd, are read from it.
TOP = 200


def min_cases() -> int:
    return settings.SEARCH_POSTING_MIN_CASES


def database_key() -> str:
    """Which database the postings describe: two catalogues sharing one cache (a staging copy, a benchmark)
    must not read each other's."""
    settings_dict = connection.settings_dict
    where = f"{settings_dict.get('HOST')}:{settings_dict.get('PORT')}/{settings_dict.get('NAME')}"
    return hashlib.sha256(where.encode()).hexdigest()[:12]


def cache_key(lexeme: str) -> str:
    return f"posting:{FORMAT}:{database_key()}:{hashlib.sha256(lexeme.encode()).hexdigest()[:32]}"


def missing_key() -> str:
    """Set by a reader that found a posting the index lists gone from the cache (evicted, flushed): the
    next refresh then checks them all."""
    return f"posting-missing:{FORMAT}:{database_key()}"


def index_key() -> str:
    """The key of the set of lexemes that have postings, as the last refresh left it."""
    return f"posting-lexemes:{FORMAT}:{database_key()}"


def quoted(lexeme: str) -> str:
    """The lexeme as a tsquery of itself: quoted, its quotes doubled and backslashes escaped."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def ranked_query(lexeme: str) -> str:
    """The tsquery (as text) a posting's top list is ranked by: the word itself, or for a pair its two words
    side by side, as phraseto_tsquery reads the quoted phrase the pair stands for."""
    if is_pair(lexeme):
        first, second = lexeme.split(" ", 1)
        return f"{quoted(first)} <-> {quoted(second)}"
    return quoted(lexeme)


def rankable_query(lexeme: str) -> str:
    """What a case's ranking vector must match to rank above 0 for `lexeme`: the word, or both words of a
    pair (ts_rank ranks a phrase by the distances between its words, 0 without two of them)."""
    if is_pair(lexeme):
        first, second = lexeme.split(" ", 1)
        return f"{quoted(first)} & {quoted(second)}"
    return quoted(lexeme)


def is_pair(lexeme: str) -> bool:
    """Whether `lexeme` is a pair of adjacent words (migration 0021), not a word."""
    return " " in lexeme


def common_lexemes() -> frozenset:
    """The lexemes PostgreSQL's statistics estimate to be in at least min_cases() cases (their most common
    elements, from the last ANALYZE of cases_casesearch): words of the documents, and pairs of adjacent
    words of the index of pairs (an expression index has statistics of its own)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT lexeme FROM pg_stats s, pg_class c, "
            "unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS e(lexeme, share) "
            "WHERE ((s.tablename = 'cases_casesearch' AND s.attname = 'document') "
            "OR (s.tablename = 'casesearch_word_pairs' AND s.attname = 'observatory_word_pairs')) "
            "AND s.schemaname = current_schema() AND c.oid = 'cases_casesearch'::regclass "
            "AND lexeme IS NOT NULL AND share * greatest(c.reltuples, 0) >= %s",
            [min_cases()],
        )
        return frozenset(row[0] for row in cursor.fetchall())


@dataclass(frozen=True)
class PostingIndex:
    """What the last refresh left: when each lexeme's posting was built, and a horizon every posting has
    applied the changes before (the last time they were all brought up to date)."""

    built: dict  # lexeme -> time.time() of its build
    horizon: int


def _posting_index() -> PostingIndex | None:
    index = _safe(lambda: cache.get(index_key()))
    return index if isinstance(index, PostingIndex) else None


def lexemes_with_postings() -> frozenset:
    """The lexemes the last refresh gave postings to (from the cache: no SQL, so a catalogue too small
    for postings pays nothing for them)."""
    index = _posting_index()
    return frozenset(index.built) if index else frozenset()


# What the parser makes of a text never changes (the text search configuration is fixed by migrations): a
# process keeps the lexemes of the texts it has seen, so a search asked for before costs no query for them.
_LEXEMES_KEPT = 4096
_lexemes_seen: dict[tuple, list] = {}
_UNSEEN = object()


def _remembered(kind: str, phrases, read) -> list:
    """read(phrases) -> one result per text, kept per database and text (at most _LEXEMES_KEPT)."""
    phrases = list(phrases)
    database = database_key()
    # Read into a dict of this call's own: another thread may empty the shared one meanwhile.
    known = {text: _lexemes_seen.get((kind, database, text), _UNSEEN) for text in dict.fromkeys(phrases)}
    missing = [text for text, result in known.items() if result is _UNSEEN]
    if missing:
        if len(_lexemes_seen) + len(missing) > _LEXEMES_KEPT:
            _lexemes_seen.clear()
        for text, result in zip(missing, read(missing), strict=True):
            known[text] = _lexemes_seen[(kind, database, text)] = result
    return [known[text] for text in phrases]


def remember_lexemes(lexemes: dict[str, list[str]]) -> None:
    """Keep {text: its lexemes} read by another query (the close words of a typo: cases/search/postgresql.py)
    as lexemes_of would have read them."""
    _remembered("lexemes", list(lexemes), lambda texts: [lexemes[text] for text in texts])


def lexemes_of(phrases) -> list[list[str]]:
    """The lexemes PostgreSQL's parser gives each text of `phrases` (as the documents were made)."""
    return _remembered("lexemes", phrases, _read_lexemes) if phrases else []


def _read_lexemes(phrases) -> list[list[str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tsvector_to_array(to_tsvector(%s::regconfig, observatory_unaccent(text))) "
            "FROM unnest(%s::text[]) WITH ORDINALITY AS t(text, n) ORDER BY n",
            [CONFIG, list(phrases)],
        )
        return [list(row[0]) for row in cursor.fetchall()]


def pairs_of(phrases) -> list[str | None]:
    """For each text of `phrases`, the one pair of adjacent words it is (as the documents' pairs are made),
    or None when it is not two words side by side."""
    return _remembered("pairs", phrases, _read_pairs) if phrases else []


def _read_pairs(phrases) -> list[str | None]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN observatory_phrase_is_pair(words) "
            "THEN (tsvector_to_array(observatory_word_pairs(words)))[1] END "
            "FROM unnest(%s::text[]) WITH ORDINALITY AS t(text, n), "
            "to_tsvector(%s::regconfig, observatory_unaccent(text)) AS words ORDER BY n",
            [list(phrases), CONFIG],
        )
        return [row[0] for row in cursor.fetchall()]


def lexemes_and_pairs(words, phrases) -> tuple[list[list[str]], list[str | None]]:
    """lexemes_of(words) and pairs_of(phrases), what neither has seen read in one statement."""
    database = database_key()
    seen = _lexemes_seen
    unseen_words = [text for text in dict.fromkeys(words) if ("lexemes", database, text) not in seen]
    unseen_phrases = [text for text in dict.fromkeys(phrases) if ("pairs", database, text) not in seen]
    if unseen_words and unseen_phrases:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 0, n, tsvector_to_array(to_tsvector(%s::regconfig, observatory_unaccent(text))), "
                "NULL FROM unnest(%s::text[]) WITH ORDINALITY AS t(text, n) "
                "UNION ALL SELECT 1, n, NULL, CASE WHEN observatory_phrase_is_pair(words) "
                "THEN (tsvector_to_array(observatory_word_pairs(words)))[1] END "
                "FROM unnest(%s::text[]) WITH ORDINALITY AS t(text, n), "
                "to_tsvector(%s::regconfig, observatory_unaccent(text)) AS words",
                [CONFIG, unseen_words, unseen_phrases, CONFIG],
            )
            read = sorted(cursor.fetchall(), key=lambda row: (row[0], row[1]))
        lexemes = {unseen_words[n - 1]: list(found) for kind, n, found, _pair in read if kind == 0}
        pairs = {unseen_phrases[n - 1]: pair for kind, n, _found, pair in read if kind == 1}
        _remembered("lexemes", list(lexemes), lambda texts: [lexemes[text] for text in texts])
        _remembered("pairs", list(pairs), lambda texts: [pairs[text] for text in texts])
    return lexemes_of(words), pairs_of(phrases)


def _horizon(cursor) -> int:
    cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
    return cursor.fetchone()[0]


def library_key(rank: float, published_at, case_id: int) -> tuple:
    """The library's order (rank, newest, id, each descending) as a key to sort by, descending; PostgreSQL
    puts a missing date first when descending."""
    return (rank, published_at is None, published_at or datetime.min.replace(tzinfo=UTC), case_id)


def build(lexeme: str, rank_sql) -> Posting:
    """Read the posting of `lexeme` through the full-text index (for the task, never for a reader).
    `rank_sql(vector, query)` is the search's rank, as SQL."""
    as_query = quoted(lexeme)
    rank = rank_sql("ranking", "%s::tsquery")
    vector = "observatory_word_pairs(document)" if is_pair(lexeme) else "document"
    with connection.cursor() as cursor:
        horizon = _horizon(cursor)  # taken first: whatever commits meanwhile is re-read by the next delta
        cursor.execute(
            "SELECT coalesce(array_agg(case_id), '{}') FROM cases_casesearch "  # noqa: S608 - our own SQL
            f"WHERE published AND {vector} @@ %s::tsquery",
            [as_query],
        )
        ids = cursor.fetchone()[0]
        ranked = ranked_query(lexeme)
        # A word's ranking vector is the start of its document; a pair's words may stand apart in it.
        has_pair, pair = (f"AND {vector} @@ %s::tsquery ", [as_query]) if is_pair(lexeme) else ("", [])
        cursor.execute(
            f"SELECT {rank}, published_at, case_id FROM cases_casesearch "  # noqa: S608 - our own SQL
            f"WHERE published AND ranking @@ %s::tsquery {has_pair}ORDER BY 1 DESC, 2 DESC, 3 DESC LIMIT %s",
            [ranked, ranked, rankable_query(lexeme), *pair, TOP + 1],
        )
        top = [tuple(row) for row in cursor.fetchall()]
    return Posting(lexeme, horizon, FrozenBitMap(ids), time.time(), tuple(top[:TOP]), len(top) <= TOP)


def _top_with(posting: Posting, rows) -> tuple[tuple, bool]:
    """The posting's top list with the changed `rows` ((case id, its key or None when it no longer ranks)
    applied, keeping the invariant (Posting.top)."""
    top = {row[2]: row for row in posting.top}
    complete = posting.complete
    last = library_key(*posting.top[-1]) if posting.top else None
    for case_id, key in rows:
        top.pop(case_id, None)
        if key is not None and (complete or (last is not None and library_key(*key) >= last)):
            top[case_id] = key
    ordered = sorted(top.values(), key=lambda row: library_key(*row), reverse=True)
    if len(ordered) > TOP:
        ordered, complete = ordered[:TOP], False
    return tuple(ordered), complete


def _brought_up_to_date(
    postings: dict[str, Posting], rank_sql, *, limit: int | None, every: bool = False
) -> dict[str, Posting] | None:
    """`postings` with every row changed since their horizons applied; None when more rows than `limit`
    changed. A posting that no changed row alters is kept as it was (the same object, not to be stored
    again) until REREAD_ROWS rows changed since its horizon, which readers would otherwise re-read; with
    `every`, each moves to the new horizon."""
    if not postings:
        return {}
    lexemes = list(postings)
    since = min(posting.horizon for posting in postings.values())
    rank = rank_sql("ranking", "%s::tsquery")
    with connection.cursor() as cursor:
        # The horizon and the rows changed since, in one statement (one snapshot): a row with NULLs when none
        # changed.
        changed_rows = (
            "SELECT case_id, changed_xid::text::bigint AS xid, published_at FROM cases_casesearch "
            "WHERE changed_xid >= %s::text::xid8"
        )
        params = [str(since)]
        if limit is not None:
            changed_rows += " LIMIT %s"
            params.append(limit + 1)
        sql = (
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint, changed.case_id, changed.xid, "  # noqa: S608 - placeholders
            f"changed.published_at FROM (SELECT 1) AS one LEFT JOIN LATERAL ({changed_rows}) AS changed "
            "ON true"
        )
        cursor.execute(sql, params)
        read = cursor.fetchall()
        horizon = read[0][0]
        changed = [
            [case_id, xid, published_at, [False] * len(lexemes), [None] * len(lexemes)]
            for _horizon_again, case_id, xid, published_at in read
            if case_id is not None
        ]
        if limit is not None and len(changed) > limit:
            return None
        by_id = {row[0]: row for row in changed}
        # The pairs of each changed row's document, made once per row (not once per pair and row).
        pair_indexes = [index for index, lexeme in enumerate(lexemes) if is_pair(lexeme)]
        if pair_indexes and changed:
            cursor.execute(
                "SELECT case_id, tsvector_to_array(observatory_word_pairs(document)) FROM cases_casesearch "
                "WHERE published AND case_id = ANY(%s)",
                [list(by_id)],
            )
            for case_id, pairs in cursor.fetchall():
                pairs = set(pairs)
                for index in pair_indexes:
                    by_id[case_id][3][index] = lexemes[index] in pairs
            # The phrase's rank of each changed row whose ranking vector has both words (ranked only where
            # the document has the pair, below).
            pairs = [lexemes[index] for index in pair_indexes]
            for start in range(0, len(pairs), LEXEMES_PER_READ):
                part = pairs[start : start + LEXEMES_PER_READ]
                ranks = ", ".join(
                    f"CASE WHEN published AND ranking @@ %s::tsquery THEN {rank} END" for _ in part
                )
                params = [
                    each for lexeme in part for each in [rankable_query(lexeme), *[ranked_query(lexeme)] * 2]
                ]
                cursor.execute(
                    f"SELECT case_id, ARRAY[{ranks}]::float8[] FROM cases_casesearch "  # noqa: S608 - placeholders
                    "WHERE case_id = ANY(%s)",
                    [*params, list(by_id)],
                )
                for case_id, ranked in cursor.fetchall():
                    row = by_id[case_id]
                    for index, its_rank in zip(
                        pair_indexes[start : start + LEXEMES_PER_READ], ranked, strict=True
                    ):
                        row[4][index] = its_rank if row[3][index] else None
        words = [lexeme for lexeme in lexemes if not is_pair(lexeme)]
        position = {lexeme: index for index, lexeme in enumerate(lexemes)}
        # Then, for each word, whether each changed row's document has it and its rank when its ranking
        # vector has it, as two arrays, a slice of lexemes at a time (PostgreSQL's limits on a statement).
        # Placeholders only: the lexemes are bound parameters. A row gone since (deleted) has neither.
        for start in range(0, len(words) if changed else 0, LEXEMES_PER_READ):
            part = words[start : start + LEXEMES_PER_READ]
            matches = ", ".join("published AND document @@ %s::tsquery" for _ in part)
            ranks = ", ".join(f"CASE WHEN published AND ranking @@ %s::tsquery THEN {rank} END" for _ in part)
            params = [quoted(lexeme) for lexeme in part]
            params += [each for lexeme in part for each in [quoted(lexeme)] * 3]  # 3 placeholders each
            cursor.execute(
                f"SELECT case_id, ARRAY[{matches}], ARRAY[{ranks}]::float8[] "  # noqa: S608 - placeholders
                "FROM cases_casesearch WHERE case_id = ANY(%s)",
                [*params, list(by_id)],
            )
            for case_id, matched, ranked in cursor.fetchall():
                row = by_id[case_id]
                for lexeme, has_it, its_rank in zip(part, matched, ranked, strict=True):
                    row[3][position[lexeme]] = has_it
                    row[4][position[lexeme]] = its_rank
    updated = {}
    for index, lexeme in enumerate(lexemes):
        posting = postings[lexeme]
        rows = [row for row in changed if row[1] >= posting.horizon]
        cases = BitMap(posting.cases)
        top_rows = []
        for row in rows:
            case_id, published_at = row[0], row[2]
            matches_lexeme, rank = row[3][index], row[4][index]
            if matches_lexeme:
                cases.add(case_id)
            else:
                cases.discard(case_id)
            top_rows.append((case_id, None if rank is None else (rank, published_at, case_id)))
        top, complete = _top_with(posting, top_rows)
        if cases == posting.cases and top == posting.top and len(rows) < REREAD_ROWS and not every:
            updated[lexeme] = posting
        else:
            updated[lexeme] = Posting(lexeme, horizon, FrozenBitMap(cases), posting.built_at, top, complete)
    return updated


def current_postings(lexemes, rank_sql) -> dict[str, Posting] | None:
    """The postings of `lexemes`, up to date as of now (or as of this request's first read of them), or None
    when one has none or too much changed since (the caller reads the full-text index instead). One cache
    read and one indexed read of the rows changed since; what changed is written back for the next
    reader."""
    lexemes = list(dict.fromkeys(lexemes))
    # Within one request a search asks for the same postings twice: for its matches (the total, the facet
    # counts) and for its page. They are read and brought up to date once.
    return once_per_request(
        ("postings", database_key(), tuple(lexemes)), lambda: _current_postings(lexemes, rank_sql)
    )


def _current_postings(lexemes, rank_sql) -> dict[str, Posting] | None:
    keys = {cache_key(lexeme): lexeme for lexeme in lexemes}
    stored = _safe(lambda: cache.get_many(list(keys))) or {}
    postings = {keys[key]: posting for key, posting in stored.items() if isinstance(posting, Posting)}
    if len(postings) < len(lexemes):
        _safe(lambda: cache.set(missing_key(), 1, KEEP_SECONDS))
        return None
    updated = _brought_up_to_date(postings, rank_sql, limit=MAX_CHANGES)
    if updated is None:
        return None
    changed = {cache_key(lexeme): p for lexeme, p in updated.items() if p is not postings[lexeme]}
    # Not from inside a transaction with uncommitted catalogue writes: its own rows are in `updated` (right
    # for it), and must not reach other readers before they commit, or at all after a rollback.
    if changed and shared_catalogue_version() is not None:
        _safe(lambda: cache.set_many(changed, KEEP_SECONDS))
    return updated


def _changed_since(horizon: int, enough: int) -> int:
    """How many rows changed since `horizon`, counting up to `enough` (through the index)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM cases_casesearch WHERE changed_xid >= %s::text::xid8 "
            "LIMIT %s) AS changed",
            [str(horizon), enough],
        )
        return cursor.fetchone()[0]


def refresh(rank_sql, *, rebuild: bool = False, progress=None) -> dict[str, int]:
    """Give every common lexeme a posting: build the missing and the old ones (every one with `rebuild`);
    once COMPACT_ROWS rows changed since they were all last brought up to date, bring them all up to date
    (readers apply fewer changes themselves, without loading every posting after every write). Returns
    what it did. For the task after every committed write; `progress(done, to_build, lexeme)` is told of
    each posting built."""
    if not getattr(settings, "SEARCH_POSTINGS", True):
        return {"built": 0, "updated": 0, "lexemes": 0}
    lock = f"posting-refresh-lock:{database_key()}"
    if not _safe(lambda: cache.add(lock, 1, 15 * 60)):
        return {"built": 0, "updated": 0, "lexemes": 0, "busy": 1}
    try:
        lexemes = sorted(common_lexemes())
        index = _posting_index() or PostingIndex({}, 0)
        now = time.time()
        kept = [
            lexeme for lexeme in lexemes if not rebuild and now - index.built.get(lexeme, 0) < REBUILD_SECONDS
        ]
        built_at = {lexeme: index.built[lexeme] for lexeme in kept}
        horizons = [index.horizon] if kept else []
        updated = 0
        missing = bool(_safe(lambda: cache.get(missing_key())))
        if kept and (missing or _changed_since(index.horizon, COMPACT_ROWS) >= COMPACT_ROWS):
            _safe(lambda: cache.delete(missing_key()))
            keys = {cache_key(lexeme): lexeme for lexeme in kept}
            stored = _safe(lambda: cache.get_many(list(keys))) or {}
            loaded = {keys[key]: posting for key, posting in stored.items() if isinstance(posting, Posting)}
            brought = _brought_up_to_date(loaded, rank_sql, limit=None, every=True) or {}
            _safe(lambda: cache.set_many({cache_key(w): p for w, p in brought.items()}, KEEP_SECONDS))
            updated = len(brought)
            horizons = [posting.horizon for posting in brought.values()]
            built_at = {lexeme: built_at[lexeme] for lexeme in brought}  # one gone from the cache: built
        to_build = [lexeme for lexeme in lexemes if lexeme not in built_at]
        for done, lexeme in enumerate(to_build, 1):
            posting = build(lexeme, rank_sql)
            _safe(lambda posting=posting: cache.set(cache_key(posting.lexeme), posting, KEEP_SECONDS))
            built_at[lexeme] = posting.built_at
            horizons.append(posting.horizon)
            if progress:
                progress(done, len(to_build), lexeme)
        if lexemes:
            index = PostingIndex(built_at, min(horizons))
            _safe(lambda: cache.set(index_key(), index, KEEP_SECONDS))
        else:
            _safe(lambda: cache.delete(index_key()))
        return {"built": len(to_build), "updated": updated, "lexemes": len(lexemes)}
    finally:
        _safe(lambda: cache.delete(lock))

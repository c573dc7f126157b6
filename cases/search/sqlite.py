"""Search on SQLite, the embedded default: FTS5 full-text search with bm25 ranking.

The index (created by migration 0015 with `create_index`, kept by triggers):

- `cases_casestudy_fts`: an FTS5 table with one column per text field of the search document (title,
  summary, organisation, each narrative section), tokenised `porter unicode61 remove_diacritics 2`: words
  stemmed as PostgreSQL's english configuration stems them, case and accents folded ("Türkiye" =
  "turkiye"). It is an *external content* table over cases_casestudy itself: the index holds only the
  words, and snippets read the text as stored, so nothing is kept twice. The columns are separate (not
  "summary" and "narrative" joined) because an external content table reads its text by column name.
- `cases_casestudy_fts_words`: the same over title, summary and organisation, not stemmed: a word typed
  as the start of a word ("governme") is matched against the words as written, which a stemmed index
  cannot do (it holds "govern"). Type-ahead reads it, and so does a last word read as a prefix, through
  its word list (`cases_casestudy_fts_words_vocabulary`, an fts5vocab table).
- Both hold only the published cases. bm25 weighs each word by the rows of its table (the number that
  have it, their average length) and a rank is divided by the best score in the table, so a draft in them
  would move the order and the scores of published results, the text likeness of related cases ("Similar
  wording") and the words a prefix is read as: unpublished text seen from outside. The unpublished cases
  are in `cases_casestudy_fts_unpublished` (as `cases_casestudy_fts`), which only a selection that may
  hold them reads (`match` of a queryset without published_q(): export_cases --status draft --query q=...);
  they match there but rank by their tags only. Type-ahead and excerpts read the published tables only.
  All three read their text from cases_casestudy: a view of the published cases as the content table would
  keep FTS5's own checks exact, but SQLite then refuses the rename by which Django alters the case table
  ("error in view ...: no such table").
- Triggers on cases_casestudy (after insert, after an update of the status or a text field, after delete)
  keep the three right whatever writes the row: the ORM, bulk_create, raw SQL, the sqlite3 shell. Each
  write goes to the published tables or to the unpublished one by the row's status, so publishing a case
  moves it into the public index and unpublishing moves it out. They fold the few letters unicode61 leaves
  alone but Python's folding (cases/search/query.py) does not: FOLDS. So the index is not exactly the text
  as FTS5 would read it: never run the FTS5 'rebuild' command (it would index the text unfolded, and of
  every case; `create_index` rebuilds), and 'integrity-check' with a rank of 1 reports those letters and
  every case of the other index as differences (a rank of 0 checks each index in itself).
  Django alters a table on SQLite by rebuilding it, which drops its triggers: `ensure_index`, run after
  every migrate, puts them back and rebuilds the index; as it does when the tables or triggers are not
  what this module writes (a database indexed when the index held every case is rebuilt so), and marks
  every related list stale (their text likeness was scored on the index replaced).

A word inside a run of Chinese, Japanese, Korean or Thai text is found through the case's other languages'
columns (search_document.LANGUAGE_FIELDS): its runs written as tokens of character pairs, which a typed word's
pairs match as a phrase (query.py), as on PostgreSQL. Their titles, summaries and narratives are three
columns of the index, weighted as the English title, summary and narrative (WEIGHTS, and the title's own
rank: Bm25Rank), so a case whose Thai title says a word ranks as if its English title said it.

Query text never reaches the FTS5 query syntax: every word is an FTS5 string ("..." with quotes doubled),
and the expression around the strings (OR, AND, *, a column filter) is written here. Each concept of a
query is matched by one `pk IN (SELECT rowid ... MATCH ...)` (or its tags); the rank is bm25 over all the
concepts, computed once per query in a materialised subquery (a correlated bm25 per row recomputes the
statistics of every phrase for every row: 4.2 s for a word in 8,700 of 10,000 cases, against 0.04 s).

The functions the engine calls are described in cases/search/backends.py.
"""

import difflib
import json
import unicodedata
from collections import Counter
from dataclasses import replace

from django.db import connections
from django.db.models import (
    Case,
    CharField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.db.models.sql.where import AND, WhereNode

from cases.models import CaseStudy, RelatedCaseList, SearchWord, Status
from cases.models.search_document import (
    LANGUAGE_FIELDS,
    NARRATIVE_FIELDS,
    OTHER_NARRATIVE_FIELDS,
    OTHER_SUMMARY_FIELDS,
    OTHER_TITLE_FIELDS,
    SUMMARY_FIELDS,
    TITLE_FIELDS,
)
from cases.search.markers import HIGHLIGHT_START, HIGHLIGHT_STOP
from cases.search.query import WORD, phrase_key, tagged_condition, words_of
from cases.search.request_memo import once_per_request, remember

TABLE = "cases_casestudy_fts"
WORDS_TABLE = "cases_casestudy_fts_words"
WORDS_VOCABULARY = "cases_casestudy_fts_words_vocabulary"
UNPUBLISHED_TABLE = "cases_casestudy_fts_unpublished"
SOURCE_TABLE = "cases_casestudy"
STATUS_COLUMN = "status"
PUBLISHED = Status.PUBLISHED.value
COLUMNS = [*TITLE_FIELDS, *SUMMARY_FIELDS, *NARRATIVE_FIELDS, *LANGUAGE_FIELDS]
WORDS_COLUMNS = [*TITLE_FIELDS, *SUMMARY_FIELDS]
# (table, its columns, whether it holds the published cases or the others). Only the published cases are in
# the tables the public reads: bm25 weighs a word by the rows of its own table (how many say it, how long
# they are), so a draft in them would move the order and scores of published results.
INDEXES = ((TABLE, COLUMNS, True), (WORDS_TABLE, WORDS_COLUMNS, True), (UNPUBLISHED_TABLE, COLUMNS, False))
TOKENIZER = "porter unicode61 remove_diacritics 2"
WORDS_TOKENIZER = "unicode61 remove_diacritics 2"
# Letters unicode61 does not fold and Python's fold() does (cases/search/query.py), as (letter, folded):
# written into the index folded, and folded the same way in queries. The Turkish dotless i (U+0131) is the
# one that matters (typed "kirsehir" finds the town written with it; the dotted capital I, U+0130,
# unicode61 folds itself), then the German sharp s, the ligatures of text copied from PDF files, and units
# and formulas (m², CO₂). Short on purpose: each is one nested replace() per column in the triggers
# (SQLite's parser allows about 30). Changing FOLDS, the tokenizers or the columns changes the triggers:
# `ensure_index` (run after every migrate) sees the difference and rebuilds the index.
FOLDS = (
    ("\u0131", "i"),  # dotless i
    ("\u00df", "ss"),  # sharp s
    ("\u1e9e", "ss"),  # capital sharp s
    ("\ufb00", "ff"),
    ("\ufb01", "fi"),
    ("\ufb02", "fl"),
    ("\ufb03", "ffi"),
    ("\ufb04", "ffl"),
    ("\u00b2", "2"),  # superscript two
    ("\u00b3", "3"),  # superscript three
    ("\u2082", "2"),  # subscript two
)
# bm25 weight of a match in each column: title 1.0 over summary and organisation 0.5 over the narrative
# 0.2, as PostgreSQL weighs A, B and C (cases/search/postgresql.py), in English and in the other languages.
# Small weights on purpose: bm25 saturates with the weighted count of matches (k1 = 1.2), and with weights
# of 10, 5 and 2 one word in the title scores 1.96, in the summary 1.77 and three times in the narrative
# 1.83, so the narrative outranks the summary; with 1.0, 0.5 and 0.2 they score 1.0, 0.65 and 0.73, and
# once in the narrative 0.31.
WEIGHTS = {
    **dict.fromkeys(TITLE_FIELDS, 1.0),
    **dict.fromkeys(SUMMARY_FIELDS, 0.5),
    **dict.fromkeys(NARRATIVE_FIELDS, 0.2),
    **dict.fromkeys(OTHER_TITLE_FIELDS, 1.0),
    **dict.fromkeys(OTHER_SUMMARY_FIELDS, 0.5),
    **dict.fromkeys(OTHER_NARRATIVE_FIELDS, 0.2),
}
# The columns whose match is the title's (TITLE_RANK): the title in every language.
RANKED_AS_TITLE = frozenset([*TITLE_FIELDS, *OTHER_TITLE_FIELDS])
# The rank of a text match is divided by the best of the query (Bm25Rank: 1.0 for the best case; a bm25
# score depends on how rare the words are, 1e-06 for a word in most cases and 6 for a rare one). A case
# tagged with a vocabulary term the query names gets this much more (shared between the concepts of the
# query): about what one mention in the summary scores beside a best case that has the word in its title
# (0.65 / (1.2 + 1.0)), so a tagged case ranks with the cases that say it, below those that lead with it.
TAG_RANK = 0.3
# The rank of the title alone is added with this factor, so that a case whose title says it comes before
# one that repeats it in a long narrative (bm25 saturates: ten mentions in the narrative outweigh one in
# the title). As PostgreSQL's TITLE_RANK.
TITLE_RANK = 1.0
# A match of a synonym from the thesaurus counts this much of a match of the words typed (as PostgreSQL's).
SYNONYM_RANK = 0.5
# PostgreSQL's english stop words (tsearch_data/english.stop): on PostgreSQL a word among them matches
# every case (it is not indexed), so here too a concept of stop words only is left out, and a phrase
# neither starts nor ends with one.
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her
    hers herself it its itself they them their theirs themselves what which who whom this that these those
    am is are was were be been being have has had having do does did doing a an the and but if or because
    as until while of at by for with about against between into through during before after above below to
    from up down in out on off over under again further then once here there when where why how all any
    both each few more most other some such no nor not only own same so than too very s t can will just don
    should now""".split()  # noqa: SIM905 - the list as PostgreSQL writes it
)
# Excerpts: at most this many fragments of this many words, from the summary and the narrative.
EXCERPT_FRAGMENTS = 2
EXCERPT_WORDS = 14
EXCERPT_COLUMNS = [*SUMMARY_FIELDS[:1], *NARRATIVE_FIELDS]
# Where FTS5 cut a fragment short: a control character case text cannot hold (cases.web.validation).
CUT = "\x1e"
# A last word read as a prefix matches up to this many of the known words it begins (the most frequent
# first), anywhere in a case, as PostgreSQL's backend does (cases/search/postgresql.py, completed()): so a
# word whose stem is shorter than what was typed is found, and a stem shorter than the start widens nothing.
PREFIX_EXPANSIONS = 30
# "Did you mean": the engine corrects at most two edits away, so only words within two letters of the
# typed word's length can be close; of those, the ones at least this similar (difflib's ratio).
CLOSE_WORD_LENGTH_DIFFERENCE = 2
CLOSE_WORD_RATIO = 0.75


# --- The index ---------------------------------------------------------------------------------------


def _folded_sql(expression: str) -> str:
    for letter, folded in FOLDS:
        expression = f"replace({expression}, '{letter}', '{folded}')"
    return expression


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _write_sql(table: str, columns, row: str, *, published: bool, delete: bool = False) -> str:
    """An INSERT of `row`'s (new. or old.) folded text into `table`, or of the FTS5 delete command, when the
    row is published (`published`) or when it is not."""
    names = ", ".join(_quoted(column) for column in columns)
    values = ", ".join(_folded_sql(f"coalesce({row}.{_quoted(column)}, '')") for column in columns)
    status = f"{row}.{_quoted(STATUS_COLUMN)}"
    when = f"{status} = '{PUBLISHED}'" if published else f"{status} IS NOT '{PUBLISHED}'"
    if delete:
        return (
            f"INSERT INTO {table}({table}, rowid, {names}) SELECT 'delete', {row}.id, {values} WHERE {when};"
        )
    return f"INSERT INTO {table}(rowid, {names}) SELECT {row}.id, {values} WHERE {when};"


def _indexes(columns) -> tuple:
    """INDEXES with `columns` in place of COLUMNS (those of them the case table has yet: migration 0015
    builds the index before later migrations add columns; ensure_index rebuilds it once they exist)."""
    return tuple(
        (table, columns if indexed is COLUMNS else indexed, published)
        for table, indexed, published in INDEXES
    )


def _trigger_statements(columns=COLUMNS) -> dict[str, str]:
    def writes(row, *, delete=False):
        return " ".join(
            _write_sql(table, indexed, row, published=published, delete=delete)
            for table, indexed, published in _indexes(columns)
        )

    insert, delete = writes("new"), writes("old", delete=True)
    # The status too: a case that is published or unpublished moves from one index to the other.
    watched_columns = ["id", STATUS_COLUMN, *columns]
    watched = ", ".join(_quoted(column) for column in watched_columns)
    changed = " OR ".join(f"old.{_quoted(column)} IS NOT new.{_quoted(column)}" for column in watched_columns)
    return {
        f"{TABLE}_after_insert": (
            f"CREATE TRIGGER {TABLE}_after_insert AFTER INSERT ON {SOURCE_TABLE} BEGIN {insert} END"
        ),
        f"{TABLE}_after_update": (
            f"CREATE TRIGGER {TABLE}_after_update AFTER UPDATE OF {watched} ON {SOURCE_TABLE} "
            f"WHEN {changed} BEGIN {delete} {insert} END"
        ),
        f"{TABLE}_after_delete": (
            f"CREATE TRIGGER {TABLE}_after_delete AFTER DELETE ON {SOURCE_TABLE} BEGIN {delete} END"
        ),
    }


def _table_statements(columns=COLUMNS) -> dict[str, str]:
    def fts5(table, columns, tokenizer):
        names = ", ".join(_quoted(column) for column in columns)
        return (
            f"CREATE VIRTUAL TABLE {table} USING fts5({names}, content='{SOURCE_TABLE}', "
            f"content_rowid='id', tokenize='{tokenizer}')"
        )

    return {
        TABLE: fts5(TABLE, columns, TOKENIZER),
        WORDS_TABLE: fts5(WORDS_TABLE, WORDS_COLUMNS, WORDS_TOKENIZER),
        WORDS_VOCABULARY: f"CREATE VIRTUAL TABLE {WORDS_VOCABULARY} USING fts5vocab({WORDS_TABLE}, 'row')",
        UNPUBLISHED_TABLE: fts5(UNPUBLISHED_TABLE, columns, TOKENIZER),
    }


def _fill(cursor, columns=COLUMNS) -> None:
    """Index every case from scratch, each in its index (the FTS5 'rebuild' command would read the text
    unfolded, and of every case)."""
    for table, indexed, published in _indexes(columns):
        names = ", ".join(_quoted(column) for column in indexed)
        values = ", ".join(_folded_sql(f"coalesce({_quoted(column)}, '')") for column in indexed)
        when = f"{_quoted(STATUS_COLUMN)} {'=' if published else 'IS NOT'} '{PUBLISHED}'"
        cursor.execute(f"INSERT INTO {table}({table}) VALUES ('delete-all')")
        cursor.execute(
            f"INSERT INTO {table}(rowid, {names}) SELECT id, {values} FROM {SOURCE_TABLE} WHERE {when}"
        )
        cursor.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")


def _stored_schema(cursor) -> dict[str, str]:
    names = [*_table_statements(), *_trigger_statements()]
    placeholders = ", ".join(["%s"] * len(names))
    cursor.execute(f"SELECT name, sql FROM sqlite_master WHERE name IN ({placeholders})", names)
    return dict(cursor.fetchall())


def drop_index(connection) -> None:
    """Remove the index and its triggers (migration 0015 backwards)."""
    with connection.cursor() as cursor:
        for name in _trigger_statements():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        for name in reversed(list(_table_statements())):
            cursor.execute(f"DROP TABLE IF EXISTS {name}")


def create_index(connection, *, without=()) -> None:
    """Create the index and its triggers and fill it from the cases there are (migration 0015, and
    ensure_index), on the columns of COLUMNS the case table has, but `without` (columns a migration is
    about to drop: SQLite refuses to drop a column a trigger reads)."""
    drop_index(connection)
    with connection.cursor() as cursor:
        present = {
            column.name for column in connection.introspection.get_table_description(cursor, SOURCE_TABLE)
        }
        columns = [column for column in COLUMNS if column in present and column not in without]
        for statement in [*_table_statements(columns).values(), *_trigger_statements(columns).values()]:
            cursor.execute(statement)
        _fill(cursor, columns)


def ensure_index(connection) -> bool:
    """Recreate the index when it exists but is not what this module writes, and say whether it did.

    Django rebuilds a table to alter it on SQLite (a new table, the rows copied, the old one dropped), and
    dropping cases_casestudy drops its triggers: after that the index would silently fall behind. Run
    after every migrate (cases/apps.py); also catches a change of FOLDS, tokenizers or columns. Does
    nothing before migration 0015 or after it is reversed (no index table)."""
    if connection.vendor != "sqlite":
        return False
    wanted = {**_table_statements(), **_trigger_statements()}
    with connection.cursor() as cursor:
        stored = _stored_schema(cursor)
    if TABLE not in stored or all(_same(stored.get(name), sql) for name, sql in wanted.items()):
        return False
    create_index(connection)
    _mark_related_lists_stale(connection)
    return True


def _mark_related_lists_stale(connection) -> None:
    """The related lists' text likeness was scored on the index just replaced (which may have held what it
    should not): every list is refreshed by the next `refresh_related --stale` (docs/caching.md)."""
    table = RelatedCaseList._meta.db_table
    if table in connection.introspection.table_names():
        stale = _quoted(RelatedCaseList._meta.get_field("stale").column)
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {_quoted(table)} SET {stale} = 1 WHERE NOT {stale}")


def _same(stored: str | None, wanted: str) -> bool:
    return stored is not None and " ".join(stored.split()) == " ".join(wanted.split())


def keep_index_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate receiver: `ensure_index` on the database just migrated."""
    ensure_index(connections[using])


# --- Queries -----------------------------------------------------------------------------------------


def _string(text: str) -> str:
    """`text` as an FTS5 string: whatever it holds is words to match, never query syntax."""
    return '"' + text.replace('"', '""') + '"'


def _folded_like_index(text: str) -> str:
    for letter, folded in FOLDS:
        text = text.replace(letter, folded)
    return text


def _typed_forms(query) -> dict[str, str]:
    """{folded word: the word as typed}. FTS5 folds a word as typed exactly as it folded the text, while
    Python's fold() also removes marks that belong to a letter in other scripts (Japanese voiced kana,
    Thai vowels) and splits Korean syllables: so a typed word is matched as typed. A Thai word is one word
    for Python only once its marks are removed: it is found as the run of text it was typed in."""
    text = unicodedata.normalize("NFC", query.text)
    forms: dict[str, str] = {}
    for typed in [*WORD.findall(text), *text.split()]:
        folded = words_of(typed)
        if len(folded) == 1:
            forms.setdefault(folded[0], typed)
    return forms


def _tokens(words, forms) -> list[str]:
    """The words of a phrase as FTS5 should read them; stop words at either end dropped, as PostgreSQL's
    phrase search drops them."""
    words = list(words)
    while words and all(part in STOP_WORDS for part in phrase_key([words[0]])):
        words.pop(0)
    while words and all(part in STOP_WORDS for part in phrase_key([words[-1]])):
        words.pop()
    return [_folded_like_index(forms.get(word, word)) for word in words]


def _prefix_expansions(word: str, using: str) -> list[str]:
    """Known words (of titles, summaries and organisations) that start with `word` (folded), most frequent
    first; read once per request (matching, ranking and snippets each ask)."""
    return once_per_request(("prefix", using, word), lambda: _read_prefix_expansions(word, using))


def _prefix_expansions_sql(word: str) -> tuple[str, list]:
    sql = (
        f"SELECT term FROM {WORDS_VOCABULARY} WHERE term >= %s AND term < %s AND term <> %s "
        f"ORDER BY doc DESC, term LIMIT {PREFIX_EXPANSIONS}"
    )
    return sql, [word, word + "\U0010ffff", word]


def _read_prefix_expansions(word: str, using: str) -> list[str]:
    with connections[using].cursor() as cursor:
        cursor.execute(*_prefix_expansions_sql(word))
        return [row[0] for row in cursor.fetchall()]


def begins_known_words(start: str) -> bool:
    """Whether a known word (of titles, summaries and organisations) begins with `start` (as typed)."""
    return bool(_prefix_expansions(_folded_like_index(start), CaseStudy.objects.db))


class _Expressions:
    """The FTS5 expressions of the concepts of one query (each concept's read once)."""

    def __init__(self, query, using: str):
        self.forms = _typed_forms(query)
        self.using = using
        self.known: dict = {}

    def concept(self, concept) -> str | None:
        """Any of the concept's alternatives, each a phrase; None when it has only stop words (it then
        matches every case, as on PostgreSQL)."""
        if concept not in self.known:
            self.known[concept] = self._concept(concept)
        return self.known[concept]

    def _concept(self, concept) -> str | None:
        alternatives = []
        for index, phrase in enumerate(concept.alternatives):
            tokens = _tokens(phrase.words, self.forms)
            if not tokens:
                continue
            if index == 0 and concept.prefix:
                # The known words it begins; only when it begins none, the start itself, which FTS5's porter
                # tokenizer stems: "kilos*" would be "kilo*", the start of "kilometre" too.
                start = _folded_like_index(phrase.words[0])
                if ("prefix", start) not in self.known:
                    self.known["prefix", start] = _prefix_expansions(start, self.using)
                alternatives += [_string(word) for word in self.known["prefix", start]]
                if not self.known["prefix", start]:
                    alternatives.append(_string(tokens[0]) + "*")
            else:
                alternatives.append(_string(" ".join(tokens)))
        return "(" + " OR ".join(alternatives) + ")" if alternatives else None

    def any_of(self, concepts) -> str:
        """Any of `concepts` (for ranking and excerpts)."""
        expressions = [self.concept(concept) for concept in concepts]
        return " OR ".join(expression for expression in expressions if expression)


def _matching(expression: str, table: str = TABLE) -> RawSQL:
    return RawSQL(f"SELECT rowid FROM {table} WHERE {table} MATCH %s", [expression])


class Bm25Rank(Func):
    """How well a case matches an FTS5 expression: its bm25 score plus TITLE_RANK times its bm25 score for
    its titles alone (RANKED_AS_TITLE: in English and in its other languages), divided by the best such
    score of any case (so 1.0 for the best; 0 when the case does not match).

    With `as_typed` (the expression of the words as typed, without their synonyms), the score for it is
    added and the score for `expression` counts SYNONYM_RANK, as on PostgreSQL. A bm25 score sums over the
    phrases of the expression, so a case scores no more for `as_typed` than for `expression`: both are
    divided by the same best score, and a weak match of the words typed stays weak.

    The scores are computed once, in materialised subqueries that SQLite indexes on the case id: a
    correlated bm25 would recompute every phrase's statistics for every row (4.2 s against 0.04 s for a
    word in 8,700 of 10,000 cases)."""

    output_field = FloatField()

    def __init__(self, expression: str, as_typed: str | None = None):
        self.expressions = [expression] if as_typed is None else [expression, as_typed]
        super().__init__(F("pk"))

    def as_sql(self, compiler, connection, **extra_context):
        pk_sql, pk_params = compiler.compile(self.get_source_expressions()[0])
        weights = ", ".join(repr(WEIGHTS[column]) for column in COLUMNS)
        title_weights = ", ".join("1.0" if column in RANKED_AS_TITLE else "0.0" for column in COLUMNS)
        scores = (
            f"AS MATERIALIZED (SELECT rowid AS case_id, -bm25({TABLE}, {weights}) + {TITLE_RANK!r} * "
            f"-bm25({TABLE}, {title_weights}) AS score FROM {TABLE} WHERE {TABLE} MATCH %s)"
        )
        best = "(SELECT nullif(max(score), 0) FROM fts_scores)"
        if len(self.expressions) == 1:
            sql = (
                f"COALESCE((WITH fts_scores {scores} SELECT fts_scores.score / {best} "
                f"FROM fts_scores WHERE fts_scores.case_id = {pk_sql}), 0.0)"
            )
        else:
            sql = (
                f"COALESCE((WITH fts_scores {scores}, typed_scores {scores} "
                f"SELECT ({SYNONYM_RANK!r} * fts_scores.score + coalesce((SELECT typed_scores.score FROM "
                f"typed_scores WHERE typed_scores.case_id = fts_scores.case_id), 0)) / {best} "
                f"FROM fts_scores WHERE fts_scores.case_id = {pk_sql}), 0.0)"
            )
        return sql, [*self.expressions, *pk_params]


def matching_ids(query, *, tagged_cases=None) -> list[int]:
    """The published cases matching `query` (FTS5 joins the tags itself: `tagged_cases` is not needed)."""
    return list(match(CaseStudy.objects.published(), query).values_list("pk", flat=True))


def any_match(query) -> bool:
    """Whether any published case matches `query`."""
    return match(CaseStudy.objects.published(), query).exists()


def ranked_ids(query, offset: int, limit: int, *, tagged_cases=None, matches=None) -> list[int]:
    """The ids of the published cases matching `query`, in the library's order, from `offset`."""
    ranked = match(CaseStudy.objects.published(), query).order_by("-search_rank", "-published_at", "-id")
    return list(ranked.values_list("pk", flat=True)[offset : offset + limit])


def _only_published(queryset) -> bool:
    """Whether every case of `queryset` is published: its conditions include published_q() (in the AND of
    its WHERE clause, on the case table itself). False when that cannot be read from them."""
    status = CaseStudy._meta.get_field(STATUS_COLUMN)
    alias = queryset.query.base_table

    def holds(node) -> bool:
        if isinstance(node, WhereNode):
            return (
                not node.negated
                and (node.connector == AND or len(node.children) == 1)
                and any(holds(child) for child in node.children)
            )
        return (
            isinstance(node, Exact)
            and getattr(node.lhs, "target", None) is status
            and getattr(node.lhs, "alias", None) == alias
            and node.rhs == PUBLISHED
        )

    return alias is not None and holds(queryset.query.where)


def match(queryset, query, *, matches=None):
    """`queryset`'s cases matching `query`, ranked by bm25 over the published cases. Unpublished cases (a
    staff selection: export_cases --status draft) are matched in their own table when `queryset` may hold
    any; they rank by their tags only. (`matches` is not needed: FTS5 answers from its index.)"""
    expressions = _Expressions(query, queryset.db)
    unpublished = not _only_published(queryset)
    matched, tagged_conditions = 0, []
    for concept in query.concepts:
        expression = expressions.concept(concept)
        tagged = tagged_condition(concept.tags) if concept.tags else None
        if expression is not None:
            condition = Q(pk__in=_matching(expression))
            if unpublished:
                condition |= Q(pk__in=_matching(expression, UNPUBLISHED_TABLE))
            queryset = queryset.filter(condition | tagged if tagged is not None else condition)
            matched += 1
        if tagged is not None:
            tagged_conditions.append(tagged)
    rank = Value(0.0, output_field=FloatField())
    if matched:
        as_typed = None
        if any(len(concept.alternatives) > 1 for concept in query.concepts):
            # The words as typed count again: a case that says what the reader typed comes before one
            # that only has a synonym.
            typed = [replace(concept, alternatives=concept.alternatives[:1]) for concept in query.concepts]
            as_typed = expressions.any_of(typed) or None
        rank = Bm25Rank(expressions.any_of(query.concepts), as_typed)
    bonus = TAG_RANK / max(1, matched)
    for tagged in tagged_conditions:
        rank = rank + Case(When(tagged, then=Value(bonus)), default=Value(0.0), output_field=FloatField())
    return queryset.annotate(search_rank=rank)


def _excerpt_columns() -> tuple[str, list]:
    """The snippet of each excerpted column and whether its text holds one of our marks (such a text is not
    excerpted: its mark would become a <mark>), as SQL over the index's table, and its parameters."""
    selected, params = [], []
    for column in EXCERPT_COLUMNS:
        selected.append(
            f"snippet({TABLE}, {COLUMNS.index(column)}, %s, %s, %s, {EXCERPT_WORDS}), "
            f"{TABLE}.{_quoted(column)} GLOB %s"
        )
        params += [HIGHLIGHT_START, HIGHLIGHT_STOP, CUT, f"*[{HIGHLIGHT_START}{HIGHLIGHT_STOP}{CUT}]*"]
    return ", ".join(selected), params


def _best_excerpt(values) -> str | None:
    """The excerpt of a case from its columns' (snippet, has marks) values: its best fragments in the order
    of the text, or None when no column has a match."""
    fragments = [
        (-text.count(HIGHLIGHT_START), position, text)
        for position, (text, has_markers) in enumerate(zip(values[::2], values[1::2], strict=True))
        if text and not has_markers and HIGHLIGHT_START in text
    ]
    best = sorted(sorted(fragments)[:EXCERPT_FRAGMENTS], key=lambda fragment: fragment[1])
    return _joined([text for _, _, text in best]) if best else None


def highlighted_excerpts(case_ids, query) -> dict:
    using = CaseStudy.objects.db
    if not case_ids or not query:
        return {}
    expression = _Expressions(query, using).any_of(query.concepts)
    if not expression:
        return {}
    selected, params = _excerpt_columns()
    placeholders = ", ".join(["%s"] * len(case_ids))
    sql = f"SELECT rowid, {selected} FROM {TABLE} WHERE {TABLE} MATCH %s AND rowid IN ({placeholders})"
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [*params, expression, *case_ids])
        rows = cursor.fetchall()
    excerpts = {pk: _best_excerpt(values) for pk, *values in rows}
    return {pk: excerpt for pk, excerpt in excerpts.items() if excerpt}


class _ExcerptField(TextField):
    """The columns' snippets of one case, read as a JSON array, turned into its excerpt as the row is read."""

    def from_db_value(self, value, expression, connection):
        return _best_excerpt(json.loads(value)) if value else None


def with_excerpts(queryset, query):
    """The excerpts read with the rows of a page of results, in the same query (issue 15): FTS5's snippet()
    of the case's own row of the index, one lookup by rowid per case of the page."""
    expression = _Expressions(query, queryset.db).any_of(query.concepts)
    if not expression:
        return queryset
    selected, params = _excerpt_columns()
    cases_table = queryset.model._meta.db_table
    excerpt = RawSQL(
        f"SELECT json_array({selected}) FROM {TABLE} "
        f"WHERE {TABLE} MATCH %s AND {TABLE}.rowid = {cases_table}.id",
        [*params, expression],
        output_field=_ExcerptField(),
    )
    return queryset.annotate(search_excerpt=excerpt)


def _joined(fragments) -> str:
    """Fragments as one excerpt: " … " between them, "…" where the text was cut."""
    text = " … ".join(fragment.strip(CUT + " ") for fragment in fragments)
    if fragments[0].startswith(CUT):
        text = "…" + text
    if fragments[-1].endswith(CUT):
        text += "…"
    return text


def title_matches(queryset, query):
    """Each typed word the start of a word of the title as written (not stemmed), or the word itself as the
    porter tokenizer stems it ("communities" finds "Community gardens"), as on PostgreSQL."""
    forms = _typed_forms(query)
    words = [part for word in query.typed_words for part in word.split("-") if part]
    if not words:
        return queryset.none()
    title = TITLE_FIELDS[0]
    for word in words:
        token = _string(_folded_like_index(forms.get(word, word)))
        queryset = queryset.filter(
            pk__in=RawSQL(
                f"SELECT rowid FROM {WORDS_TABLE} WHERE {WORDS_TABLE} MATCH %s "
                f"UNION SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s",
                [f"{{{title}}} : {token}*", f"{{{title}}} : {token}"],
            )
        )
    return queryset


def similar_titles(candidates, title):
    # One title contains the other, ignoring case (equal titles contain each other). The wrapper gives an
    # outer reference the type Lower() needs to know.
    queued_title = Lower(ExpressionWrapper(title, output_field=CharField()))
    return candidates.alias(queued_title=queued_title).filter(
        Q(title__icontains=title) | Q(queued_title__contains=Lower(F("title")))
    )


def among(queryset, ids):
    """`queryset` narrowed to the cases of `ids`."""
    return queryset.filter(pk__in=list(ids))


def text_likeness(words):
    """bm25 of any of `words` (each a folded word), 0 to 1 (the best case 1)."""
    words = [word for word in words if word not in STOP_WORDS]
    if not words:
        return None
    return Bm25Rank(" OR ".join(_string(_folded_like_index(word)) for word in words))


def word_counts():
    """The folded words of the published cases' titles, summaries and organisations, each with the number
    of cases it is in: words as written, hyphenated ones whole and in parts ("covid-19", "covid", "19"), as
    PostgreSQL's simple configuration counts them. Folded with cases/search/query.py's own words_of(), so
    the word list holds the words as queries read them; each distinct run of text is folded once (a word
    never spans a space): 0.4 s for 10,000 cases instead of 1.8 s."""
    counts: Counter = Counter()
    words_in: dict[str, frozenset] = {}
    rows = CaseStudy.objects.published().values_list(*TITLE_FIELDS, *SUMMARY_FIELDS)
    for texts in rows.iterator(chunk_size=2000):
        words = set()
        for chunk in " ".join(text or "" for text in texts).split():
            if chunk not in words_in:
                found = words_of(chunk)
                parts = [part for word in found if "-" in word for part in word.split("-") if part]
                words_in[chunk] = frozenset([*found, *parts])
            words |= words_in[chunk]
        counts.update(words)
    return list(counts.items())


def close_words(words, limit: int = 3) -> dict[str, list[tuple[str, int]]]:
    """For each of `words`, in one read of the word list: the word itself with its number of cases when
    the list has it, then up to `limit` other known words of about its length close to it in spelling,
    the most similar first (then the most frequent)."""
    words = list(dict.fromkeys(words))
    if not words:
        return {}
    shortest = min(len(word) for word in words) - CLOSE_WORD_LENGTH_DIFFERENCE
    longest = max(len(word) for word in words) + CLOSE_WORD_LENGTH_DIFFERENCE
    # The known words the last word begins, read in the same statement: when it is still being typed, the
    # search reads it as those words next (begins_known_words(), _Expressions), without asking again.
    start = _folded_like_index(words[-1])
    begun_sql, begun_params = _prefix_expansions_sql(start)
    using = CaseStudy.objects.db
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT word, documents, 0 FROM {SearchWord._meta.db_table} "
            f"WHERE length(word) BETWEEN %s AND %s UNION ALL SELECT term, 0, 1 FROM ({begun_sql})",
            [shortest, longest, *begun_params],
        )
        rows = cursor.fetchall()
    remember(("prefix", using, start), [word for word, _documents, begun in rows if begun])
    known = [(word, documents) for word, documents, begun in rows if not begun]
    matchers = {}
    for word in words:
        matchers[word] = difflib.SequenceMatcher(autojunk=False)
        matchers[word].set_seq2(word)
    itself, scored = {}, {word: [] for word in words}
    for candidate, documents in known:
        for word, matcher in matchers.items():
            if candidate == word:
                itself[word] = [(candidate, documents)]
                continue
            if abs(len(candidate) - len(word)) > CLOSE_WORD_LENGTH_DIFFERENCE:
                continue
            matcher.set_seq1(candidate)
            if (
                matcher.real_quick_ratio() >= CLOSE_WORD_RATIO
                and matcher.quick_ratio() >= CLOSE_WORD_RATIO
                and (ratio := matcher.ratio()) >= CLOSE_WORD_RATIO
            ):
                scored[word].append((-ratio, -documents, candidate))
    return {
        word: itself.get(word, [])
        + [(candidate, -documents) for _ratio, documents, candidate in sorted(scored[word])[:limit]]
        for word in words
    }


def refresh_postings(*, rebuild: bool = False, progress=None) -> dict[str, int]:
    """FTS5 keeps its own index: nothing to refresh."""
    return {"built": 0, "updated": 0, "lexemes": 0}


def analyze() -> None:
    """FTS5 needs no statistics."""

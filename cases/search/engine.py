"""Search: PostgreSQL full-text search with ranking, prefixes, snippets and typo tolerance;
plain matching on other databases (SQLite, the embedded default). Callers never know which ran.

The search document is a stored generated column (`CaseStudy.search_vector`, its expression in
cases/models/search_document.py), so the database keeps it right whatever writes the row. Callers search
through `search_cases(queryset, q)`: the models know nothing of this module (imports flow one way).
"""

import difflib
import re
from contextlib import contextmanager

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import DatabaseError, connection
from django.db.models import Case, F, FloatField, Func, IntegerField, Q, TextField, Value, When
from django.db.models.functions import Coalesce, Concat, Lower, Replace
from django.utils.html import escape
from django.utils.safestring import mark_safe

from cases.models.search_document import NARRATIVE_FIELDS

MAX_QUERY_LENGTH = 200
MAX_WORDS = 16
# Below this trigram word similarity a title is not offered as a typo match (pg_trgm default is 0.6).
TYPO_SIMILARITY = 0.45
# Weights of title (A), summary (B) and narrative (C) matches: a title match outranks a body match.
RANK_WEIGHTS = [0.05, 0.2, 0.5, 1.0]  # D, C, B, A as PostgreSQL orders them

WORD_PATTERN = re.compile(r"\w+", re.UNICODE)


def search_words(query: str) -> list[str]:
    """The words of a query, at most MAX_WORDS of them."""
    return WORD_PATTERN.findall(query.lower())[:MAX_WORDS]


def uses_full_text_search() -> bool:
    return connection.vendor == "postgresql"


class Unaccent(Func):
    function = "observatory_unaccent"


# What may follow a quoted lexeme: a prefix mark and weights (`:*`, `:A`, `:*AB`), or nothing.
LEXEME_SUFFIX = re.compile(r"(:\*?[A-D]*)?")


class RawTsQueryText(Func):
    """The text of a raw tsquery joining `words` with `operator`, each word unaccented as the documents are
    (observatory_unaccent) and then quoted as a lexeme, followed by its `suffix` (":*" for a prefix, a weight
    letter...).

    Quoting comes after unaccenting because unaccent maps some word characters to tsquery syntax: the
    modifier apostrophe (U+02BC) becomes "'", the triangular colon (U+02D0) ":", the parenthesized digit one
    (U+2474) "(1)"; spliced in bare, they broke the query (a 500 for /cases/?q=%CA%BC). Inside quotes a quote
    is doubled and a backslash escaped; a word that unaccents to nothing becomes a blank lexeme, which
    PostgreSQL ignores.
    """

    output_field = TextField()

    def __init__(self, words: list[str], suffixes: list[str], *, operator: str = "&"):
        if not words or len(words) != len(suffixes) or operator not in ("&", "|"):
            raise ValueError("one suffix per word, at least one word, and & or | between them")
        if not all(LEXEME_SUFFIX.fullmatch(suffix) for suffix in suffixes):
            raise ValueError(f"not a lexeme suffix: {suffixes!r}")  # they are written into the SQL
        # Suffixes and the operator are written by this module, never taken from a request.
        self.suffixes = suffixes
        self.operator = operator
        super().__init__(*[Value(word) for word in words])

    def as_sql(self, compiler, connection, **extra_context):
        parts, params = [], []
        for expression, suffix in zip(self.get_source_expressions(), self.suffixes, strict=True):
            sql, expression_params = compiler.compile(expression)
            unaccented = f"observatory_unaccent({sql})"
            escaped = (
                f"replace(replace({unaccented}, chr(92), chr(92) || chr(92)), chr(39), chr(39) || chr(39))"
            )
            parts.append(f"chr(39) || coalesce(nullif({escaped}, ''), ' ') || chr(39) || '{suffix}'")
            params.extend(expression_params)
        return f" || ' {self.operator} ' || ".join(parts), params


def words_query(words: list[str], *, prefix: str = "last", weight: str = "", operator: str = "&"):
    """A tsquery for `words` (the output of search_words): all of them (or any, with operator="|"); as
    prefixes: the "last" word only (results follow the typing), "all" or "none"; only in the parts of the
    document of `weight` ("A": titles) if given. The one way search builds a raw tsquery: nothing a reader
    types can break its syntax."""
    suffixes = [f":*{weight}" if prefix == "all" else weight and f":{weight}"] * len(words)
    if prefix == "last":
        suffixes[-1] = f":*{weight}"
    return SearchQuery(
        RawTsQueryText(words, suffixes, operator=operator), search_type="raw", config="english"
    )


def _prefix_query(words: list[str]) -> SearchQuery:
    """Every word must match; the last one as a prefix, so results follow the typing."""
    return words_query(words)


def search_cases(queryset, query: str, *, fuzzy: bool | None = None):
    """Filter and annotate `queryset` for `query`; annotates `search_rank` (higher is better).

    `fuzzy` picks the typo-tolerant title match instead of the exact full-text match; by default it is used
    only when the exact search finds nothing in `queryset`.
    """
    words = search_words(query)
    if not words:
        # Nothing searchable (only punctuation, say): every case matches, equally.
        return queryset.annotate(search_rank=Value(0.0, output_field=FloatField()))
    if not uses_full_text_search():
        return _plain_search(queryset, words)
    ts_query = _prefix_query(words)
    matched = queryset.filter(search_vector=ts_query).annotate(
        search_rank=SearchRank(F("search_vector"), ts_query, weights=RANK_WEIGHTS)
    )
    if fuzzy is None:
        fuzzy = not matched.exists()
    if not fuzzy:
        return matched
    # Nothing matched exactly: look for titles that are close in spelling (typos, transliterations).
    phrase = " ".join(words)
    return queryset.annotate(
        search_rank=Func(Value(phrase), Unaccent(Lower("title")), function="word_similarity")
    ).filter(search_rank__gte=TYPO_SIMILARITY)


@contextmanager
def full_text_index_preferred():
    """Within this block, PostgreSQL finds the cases matching words through the full-text (GIN) index,
    even for a word that most cases contain. For queries that only need *which* cases match (statistics,
    facet counts), not how well.

    The planner does not count the cost of reading each case's search document out of TOAST storage, so
    for a common word it takes reading every document as cheaper than the index: measured for "digital",
    in 92% of 100,000 generated cases, 1.1 s that way against 0.2 s through the index.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET enable_seqscan")
        except DatabaseError:
            pass  # the transaction failed: rolling it back undoes the SET too


def needs_fuzzy_search(queryset, query: str) -> bool:
    """True when the exact full-text search finds nothing in `queryset` and typo matching should take over."""
    words = search_words(query)
    if not words or not uses_full_text_search():
        return False
    return not queryset.filter(search_vector=_prefix_query(words)).exists()


def _plain_search(queryset, words):
    for word in words:
        queryset = queryset.filter(search_vector__contains=word)
    title_hits = Q()
    for word in words:
        title_hits &= Q(title__icontains=word)
    return queryset.annotate(
        search_rank=Case(When(title_hits, then=Value(2)), default=Value(1), output_field=IntegerField())
    )


# --- Snippets and hints ---------------------------------------------------------------------------

HIGHLIGHT_START = "\x02"
HIGHLIGHT_STOP = "\x03"


def add_snippets(cases, query: str) -> None:
    """Set `case.snippet` (safe HTML, matches in <mark>) on each case of one page of results."""
    words = search_words(query)
    if not words:
        return
    if uses_full_text_search() and cases:
        _postgres_snippets(cases, words)
    else:
        for case in cases:
            case.snippet = highlight_plain(case.summary, words)


def _postgres_snippets(cases, words):
    from cases.models import CaseStudy

    parts = []
    for name in ["summary", *NARRATIVE_FIELDS]:
        parts += [Coalesce(name, Value(""), output_field=TextField()), Value(" ")]
    document = Concat(*parts, output_field=TextField())
    # Our markers cannot come from the text itself: a stored \x02 would otherwise turn into a <mark>.
    for marker in (HIGHLIGHT_START, HIGHLIGHT_STOP):
        document = Replace(document, Value(marker), Value(""), output_field=TextField())
    headline = SearchHeadline(
        document,
        _prefix_query(words),
        config="english",
        start_sel=HIGHLIGHT_START,
        stop_sel=HIGHLIGHT_STOP,
        max_fragments=2,
        max_words=28,
        min_words=12,
        fragment_delimiter=" … ",
    )
    snippets = dict(
        CaseStudy.objects.filter(pk__in=[case.pk for case in cases])
        .annotate(snippet=headline)
        .values_list("pk", "snippet")
    )
    for case in cases:
        case.snippet = _marked(snippets.get(case.pk) or without_markers(case.summary))


def without_markers(text: str) -> str:
    return text.replace(HIGHLIGHT_START, "").replace(HIGHLIGHT_STOP, "")


def _marked(text: str) -> str:
    safe = escape(text).replace(HIGHLIGHT_START, "<mark>").replace(HIGHLIGHT_STOP, "</mark>")
    return mark_safe(safe)  # noqa: S308 - escaped above, only our own <mark> added


def highlight_plain(text: str, words: list[str]) -> str:
    """Escape `text` and wrap the words of the query in <mark> (used where the database cannot)."""
    text = without_markers(text)
    if not words:
        return escape(text)
    pattern = re.compile(
        "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True)), re.IGNORECASE
    )
    marked = pattern.sub(lambda match: f"{HIGHLIGHT_START}{match.group(0)}{HIGHLIGHT_STOP}", text)
    return _marked(marked)


def did_you_mean(queryset, query: str) -> str | None:
    """A corrected query when some words are not in the catalogue's titles but close ones are."""
    words = search_words(query)
    if not words or not uses_full_text_search():
        return None
    phrase = " ".join(words)
    titles = list(
        queryset.annotate(
            similarity=Func(Value(phrase), Unaccent(Lower("title")), function="word_similarity")
        )
        .filter(similarity__gte=0.3)
        .order_by("-similarity")
        .values_list("title", flat=True)[:5]
    )
    vocabulary = {word for title in titles for word in search_words(title)}
    corrected = []
    for word in words:
        if word in vocabulary:
            corrected.append(word)
            continue
        close = difflib.get_close_matches(word, vocabulary, n=1, cutoff=0.7)
        corrected.append(close[0] if close else word)
    suggestion = " ".join(corrected)
    return suggestion if suggestion != phrase else None

"""Search: the one module every face asks. Matching, ranking, excerpts, type-ahead, "did you mean", duplicate
titles and likeness, the same on every database; cases/search/backends.py picks the implementation.

How a query is understood (words, phrases, synonyms from the curators' thesaurus, vocabulary terms it
names) is cases/search/query.py. What happens when a search finds nothing, in order:

1. the exact search (every concept, in the text or as a tag);
2. the last word as the start of the known words it begins, when it has 4 letters or more and begins any
   ("telemed", "mini" for "ministry");
3. the query with its unknown words corrected from the catalogue's word list ("goverment" ->
   "government"): the reader is told which query the results are for;
4. the last word as the start of a word anywhere in the text, when it begins no known word.

The decision is taken once on the whole selection (cases/filters.py), so the results, the total and every
facet count agree. The models know nothing of this module (imports flow one way).
"""

import difflib
import hashlib
import re
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import FloatField, Value
from django.utils.html import escape
from django.utils.safestring import mark_safe

from cases.caching import _in_transaction, _safe, vocabulary_version
from cases.models import CaseStudy, SearchWord
from cases.models.search_document import SPACELESS_RUN, SUMMARY_FIELDS, TITLE_FIELDS
from cases.search.backends import backend, is_full_text_database
from cases.search.markers import HIGHLIGHT_START, HIGHLIGHT_STOP, without_markers
from cases.search.query import MAX_QUERY_LENGTH, Lexicon, ParsedQuery, parse, phrase_key, words_of

__all__ = ["MAX_QUERY_LENGTH", "ParsedQuery", "parse"]

# A search with fewer results than this may be offered a correction that finds more.
GOOD_RESULT_COUNT = 3
# A word is corrected only into a known word at most this many edits away (letters added, removed,
# changed or swapped), and one edit for words of up to 5 letters.
MAX_EDITS = 2


def as_query(query) -> ParsedQuery:
    return query if isinstance(query, ParsedQuery) else parse(query)


def search_cases(queryset, query, *, matches=None):
    """`queryset` narrowed to the cases matching `query` (text or ParsedQuery), annotated `search_rank`.
    `matches`, when the caller has them, are the ids of the published cases matching `query`
    (matching_case_ids): the search need not match the words again."""
    query = as_query(query)
    if not query:
        # Nothing searchable (only punctuation, say): every case matches, equally.
        return queryset.annotate(search_rank=Value(0.0, output_field=FloatField()))
    return backend().match(queryset, query, matches=matches)


def matching_case_ids(query, *, tagged_cases=None):
    """The ids of the published cases matching `query` (text or ParsedQuery), in no order: intersect them
    with the published cases you hold (a word's posting may still have a case deleted outright).
    `tagged_cases(tags)`, when given, gives the published cases tagged with any of a concept's tags (the
    catalogue's bitmaps have them in memory); otherwise the database is asked."""
    query = as_query(query)
    if not query:
        raise ValueError("an empty query matches every case: ask the catalogue, not the search")
    return backend().matching_ids(query, tagged_cases=tagged_cases)


def ranked_case_ids(query, offset: int, limit: int, *, tagged_cases=None, matches=None) -> list[int]:
    """A page of ids of the published cases matching `query`, in the library's order (search_rank, then
    newest first, then id): the same order `search_cases(...).order_by(...)` gives, read more cheaply.
    `tagged_cases` as for matching_case_ids; `matches`, the ids of the published cases matching `query`
    (matching_case_ids, intersected with the published cases) when the caller has them: the search need
    not match the words again."""
    return backend().ranked_ids(as_query(query), offset, limit, tagged_cases=tagged_cases, matches=matches)


@dataclass(frozen=True)
class Understood:
    """The query a search runs, and when it is not what was typed, what was typed."""

    query: ParsedQuery
    typed: str = ""
    corrected: bool = False  # the typed words were corrected (not only read as a prefix)
    # Set when understand() looked the typed words' correction up (a query of the word list) and it found
    # no case of the selection, or there was none: "did you mean" has nothing to offer there.
    correction_finds_nothing: bool = False

    @property
    def text(self) -> str:
        return self.query.text


def understand(whole_selection, text: str, *, whole_catalogue: bool = False, finds_any=None) -> Understood:
    """What to search for when `text` is typed over `whole_selection` (steps 1-3 in the module docstring).
    `whole_catalogue`: the selection is every published case, which the search's own index can answer
    without the case table. `finds_any(query)`, when given, tells whether a query finds a case of the
    selection (the catalogue's bitmaps do, from the matches they need anyway: cases/filters.py)."""

    if finds_any is None:

        def finds_any(query) -> bool:
            if whole_catalogue:
                return backend().any_match(query)
            return search_cases(whole_selection, query).exists()

    query = parse(text)
    if not query or finds_any(query):
        return Understood(query)
    # A word that begins known words is still being typed: read as their start before it is corrected ("mini"
    # begins "ministry", and is no misspelt "minh"). A misspelt word begins none ("goverment"): corrected,
    # and only then read as a start.
    corrected_text = correction(query)  # (PostgreSQL reads the known words the last word begins with it)
    as_prefix = query.last_word_as_prefix()
    tried_as_prefix = as_prefix is not None and backend().begins_known_words(as_prefix.typed_words[-1])
    if tried_as_prefix and finds_any(as_prefix):
        return Understood(as_prefix)
    if corrected_text:
        corrected = parse(corrected_text)
        if finds_any(corrected):
            return Understood(corrected, typed=query.text, corrected=True)
    if as_prefix is not None and not tried_as_prefix and finds_any(as_prefix):
        return Understood(as_prefix)
    return Understood(query, correction_finds_nothing=True)


# --- "Did you mean" ----------------------------------------------------------------------------------


def edits(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours."""
    previous2, previous = None, list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            cost = 0 if char_a == char_b else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if previous2 is not None and i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                value = min(value, previous2[j - 2] + 1)
            current.append(value)
        previous2, previous = previous, current
    return previous[-1]


# A word of the catalogue is still corrected when a close word is in this many times more cases: a typo
# that made it into one case ("telemedecine") is not the spelling readers mean.
MUCH_MORE_COMMON = 3


def correction(query) -> str | None:
    """The query with each word the catalogue does not know replaced by the closest word it knows, or None
    when every word is known or no close word is. Drawn from the word list of the published cases
    (SearchWord) and the names the thesaurus and vocabularies know."""
    query = as_query(query)
    typed = [word for concept in query.concepts for word in concept.typed.words]
    if not typed:
        return None
    lexicon_words = {part for key in Lexicon.current().word_keys() for part in key}

    def checked(word) -> bool:
        return word not in lexicon_words and len(word) >= 3 and word.isalpha()

    # Each word's own number of cases and its close words', in one query.
    neighbours = backend().close_words([word for word in typed if checked(word)], limit=8)
    documents = {word: n for word in typed for known, n in neighbours.get(word, ()) if known == word}
    corrected, changed = [], False
    for word in typed:
        if not checked(word):
            corrected.append(word)
            continue
        allowed = 1 if len(word) <= 5 else MAX_EDITS
        close = [(candidate, n) for candidate, n in neighbours[word] if candidate != word]
        candidates = [candidate for candidate, _n in close]
        candidates += difflib.get_close_matches(word, lexicon_words, n=3, cutoff=0.75)
        # (A thesaurus or vocabulary word not among the close ones counts as in no case: it replaces a
        # known word only if much more common, and a common close word is among them.)
        candidate_documents = dict(close)
        close = sorted(
            {
                candidate
                for candidate in candidates
                if candidate != word
                and edits(word, candidate) <= allowed
                and (
                    word not in documents
                    or candidate_documents.get(candidate, 0) >= MUCH_MORE_COMMON * max(documents[word], 1)
                )
            },
            key=lambda candidate: (edits(word, candidate), candidates.index(candidate)),
        )
        if close:
            corrected.append(close[0])
            changed = True
        else:
            corrected.append(word)
    return " ".join(corrected) if changed else None


def did_you_mean(queryset, query, *, found: int | None = None, count=None) -> str | None:
    """A corrected query to offer when `query` finds few cases in `queryset` (fewer than GOOD_RESULT_COUNT)
    and the correction finds more; else None. `query` may be what understand() made of the words over the
    same selection, which knows when the correction finds nothing there. `count(query)`, when given, counts
    a query's matches in `queryset` (the catalogue's bitmaps do, from matches they have read already)."""
    if isinstance(query, Understood):
        if query.correction_finds_nothing:
            return None
        query = query.query
    query = as_query(query)
    if not query:
        return None
    if count is None:

        def count(query) -> int:
            return search_cases(queryset, query).count()

    if found is None:
        found = count(query)
    if found >= GOOD_RESULT_COUNT:
        return None
    corrected = correction(query)
    if not corrected or corrected == query.text.casefold():
        return None
    return corrected if count(parse(corrected)) > found else None


# Rows written or deleted per statement when the word list changes.
WORD_BATCH = 5000
# How long the digest of what the word list was last counted from is kept (a day: the daily refresh).
WORD_SOURCES_KEPT = 24 * 3600


def word_sources_digest() -> str:
    """A digest of everything the word list is counted from: the published cases' titles, summaries and
    organisations (read as they are, about a tenth of the time counting their words takes), and the
    vocabulary version (the thesaurus and the vocabularies' names add words)."""
    sha = hashlib.sha256(str(vocabulary_version()).encode())
    columns = TITLE_FIELDS + SUMMARY_FIELDS
    rows = CaseStudy.objects.published().order_by("pk").values_list("pk", *columns)
    for row in rows.iterator(chunk_size=10_000):
        sha.update(repr(row).encode())
    return sha.hexdigest()


def refresh_word_list() -> int:
    """Bring the word list (SearchWord) up to date with the published cases; returns how many words it
    has. Nothing is counted when what the words come from has not changed since the last refresh (a
    narrative edit, a case's outcomes: most writes); otherwise only the difference is written (a few
    counts, after a write to one case), where deleting and inserting every row again cost seconds at
    100,000 cases (the ORM's delete loads every row first, to send the delete signals the catalogue
    listens to)."""
    digest = word_sources_digest()
    digest_key = f"search-words-sources:{connection.settings_dict['NAME']}"
    if _safe(lambda: cache.get(digest_key)) == digest:
        return SearchWord.objects.count()
    counts = dict(backend().word_counts())
    lexicon = Lexicon.build()
    for key in lexicon.word_keys():
        for word in key:
            counts.setdefault(word, 0)
    wanted = {word: n for word, n in counts.items() if 0 < len(word) <= 100}
    with transaction.atomic():
        stored = dict(SearchWord.objects.values_list("word", "documents"))
        gone = sorted(word for word in stored if word not in wanted)
        for start in range(0, len(gone), WORD_BATCH):
            # A plain DELETE, as for the related lists (cases/search/related.py): no row loaded for signals.
            batch = gone[start : start + WORD_BATCH]
            placeholders = ", ".join(["%s"] * len(batch))
            statement = f"DELETE FROM {SearchWord._meta.db_table} WHERE word IN ({placeholders})"  # noqa: S608
            with connection.cursor() as cursor:
                cursor.execute(statement, batch)  # the words as parameters
        # New words and changed counts in one statement per batch; a refresh running beside this one (two
        # writes' tasks) writes the same rows, and the last one wins.
        SearchWord.objects.bulk_create(
            [SearchWord(word=word, documents=n) for word, n in wanted.items() if stored.get(word) != n],
            batch_size=WORD_BATCH,
            update_conflicts=True,
            unique_fields=["word"],
            update_fields=["documents"],
        )
    if not _in_transaction(connection):  # committed: what the next refresh may compare with
        _safe(lambda: cache.set(digest_key, digest, WORD_SOURCES_KEPT))
    return len(wanted)


def refresh_postings(*, rebuild: bool = False, progress=None) -> dict[str, int]:
    """Bring the search's posting lists of common words up to date (after every committed write); with
    `rebuild`, read every one again from the index."""
    return backend().refresh_postings(rebuild=rebuild, progress=progress)


def analyze_search_documents() -> None:
    """Update the database's statistics of the search documents (after a bulk load)."""
    backend().analyze()


# --- Excerpts ---------------------------------------------------------------------------------------


def with_excerpts(queryset, query):
    """`queryset` whose cases carry their excerpt for `query`, read with the rows where the database can
    (one query less for a page of results); add_snippets() uses it, or reads the excerpts itself."""
    query = as_query(query)
    return backend().with_excerpts(queryset, query) if query else queryset


def add_snippets(cases, query) -> None:
    """Set `case.snippet` (safe HTML, matched words in <mark>) on each case of one page of results."""
    query = as_query(query)
    if not query or not cases:
        return
    unread = [case.pk for case in cases if not hasattr(case, "search_excerpt")]
    excerpts = backend().highlighted_excerpts(unread, query) if unread else {}
    for case in cases:
        shown = case.shown_text
        case.snippet_language = shown["language"]
        if shown["language"] != case.original_language:
            # The card shows a translation: its summary, with what was typed marked in it.
            # The runs as typed too: folding writes some letters otherwise (Thai sara am, half-width kana).
            typed_runs = SPACELESS_RUN.findall(query.text)
            case.snippet = highlight_words(shown["summary"], [*query.all_words, *typed_runs])
            continue
        excerpt = getattr(case, "search_excerpt", None) or excerpts.get(case.pk)
        case.snippet = marked_html(excerpt) if excerpt else highlight_words(case.summary, query.all_words)


def marked_html(text: str) -> str:
    """Escape `text` and turn the highlight markers into <mark> elements."""
    safe = escape(text).replace(HIGHLIGHT_START, "<mark>").replace(HIGHLIGHT_STOP, "</mark>")
    return mark_safe(safe)  # noqa: S308 - escaped above, only our own <mark> added


def highlight_words(text: str, words) -> str:
    """Escape `text` and mark the whole words among `words` (accents and case ignored) in <mark>."""
    text = without_markers(text or "")
    wanted = {part for word in words for part in phrase_key([word])}
    if not wanted:
        return escape(text)
    # A word of Thai, Chinese, Japanese or Korean is marked wherever it is, inside a longer run too (in one
    # pass, the longest first, so that a word inside another is not marked twice).
    spaceless = sorted({word for word in words if SPACELESS_RUN.search(word)}, key=len, reverse=True)
    if spaceless:
        anywhere = re.compile("|".join(re.escape(word) for word in spaceless))
        text = anywhere.sub(lambda match: f"{HIGHLIGHT_START}{match.group(0)}{HIGHLIGHT_STOP}", text)
        wanted -= {part for word in spaceless for part in phrase_key([word])}
    marked = re.sub(
        r"\w+",
        lambda match: (
            f"{HIGHLIGHT_START}{match.group(0)}{HIGHLIGHT_STOP}"
            if words_of(match.group(0)) and words_of(match.group(0))[0] in wanted
            else match.group(0)
        ),
        text,
    )
    return marked_html(marked)


# --- Type-ahead, duplicates, likeness -----------------------------------------------------------------


def title_suggestions(queryset, text: str):
    """The cases of `queryset` whose title has every word typed, the last as the start of a word."""
    return backend().title_matches(queryset, parse(text, Lexicon()))


def similar_titles(candidates, title):
    """The candidates whose title resembles `title` (a value or an outer reference): possible duplicates."""
    return backend().similar_titles(candidates, title)


def text_likeness(words):
    """An expression scoring how many of `words` a case has, or None where the database cannot say."""
    return backend().text_likeness(words)


def among(queryset, ids):
    """`queryset` narrowed to the cases of `ids` (a few hundred), as cheaply as the database takes them."""
    return backend().among(queryset, ids)


@contextmanager
def full_text_index_preferred():
    """Within this block, PostgreSQL finds the cases matching words through the full-text (GIN) index,
    even for a word that most cases contain. For queries that only need *which* cases match (statistics,
    facet counts), not how well.

    The planner does not count the cost of reading each case's search document out of TOAST storage, so
    for a common word it takes reading every document as cheaper than the index: measured for "digital",
    in 92% of 100,000 generated cases, 1.1 s that way against 0.2 s through the index.
    """
    if not is_full_text_database():
        yield
        return
    # SET LOCAL, in a transaction of its own: the setting ends with the block whatever happens in it, and
    # stays on the one server session the block runs on (behind a pooler in transaction mode, a plain SET
    # would change the planning of whichever client is handed that session next).
    # Inside a caller's transaction the block is a savepoint, which SET LOCAL outlives: the setting before
    # is put back at the end (an error rolls the savepoint back, and the setting with it).
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true)"
            )
            before, _ = cursor.fetchone()
        yield
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [before])

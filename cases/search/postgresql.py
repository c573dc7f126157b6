"""Search on PostgreSQL: full-text search over the stored, weighted search document, with a GIN index.

The documents are the narrow table cases_casesearch's (cases/models/search_document.py): `document`, the
english configuration's tsvector of the accent-folded text (titles weighted A, summaries and organisations
B, narratives C, each in English and in the case's other languages: search_document.LANGUAGE_FIELDS), which
matching reads; `ranking`, the titles and summaries alone (the start of `document`), which ranking reads,
so a translation's title ranks as the English title does. Each
concept of a query becomes a tsquery: its alternatives as phrases (`phraseto_tsquery`, so a hyphenated term
matches as written and a quoted phrase in order), joined by OR; the concepts joined by AND. The query text
is always a bound parameter handed to PostgreSQL's own parser: nothing a reader types is spliced into SQL
or into tsquery syntax. The functions are described in cases/search/backends.py.
"""

import itertools
import re
from collections.abc import Collection
from dataclasses import dataclass, replace

from django.contrib.postgres.aggregates import ArrayAgg
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQueryField,
    SearchVectorField,
    TrigramSimilarity,
)
from django.db import connection
from django.db.models import BooleanField, Case, F, FloatField, Func, Q, TextField, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Concat, Replace
from pyroaring import BitMap

from cases.models import CaseSearchIndex, CaseStudy, CaseTitleWord, SearchWord
from cases.models.search_document import LONG_DOCUMENT, NARRATIVE_FIELDS, SUMMARY_FIELDS, TITLE_FIELDS
from cases.search import postings
from cases.search.markers import HIGHLIGHT_START, HIGHLIGHT_STOP
from cases.search.query import Concept, Phrase, fold, phrase_key, tagged_condition
from cases.search.request_memo import once_per_request, remember

CONFIG = "english"
# A token of a run of spaceless script, as the document holds it (search_document.spaceless_tokens).
SPACELESS_TOKEN = re.compile(r"x0[0-9a-f]+")
# The case's search documents, through its row of cases_casesearch.
DOCUMENT = "search_index__document"
RANKING = "search_index__ranking"
# Weights of title (A), summary and organisation (B) and narrative (C) matches, as PostgreSQL orders them.
RANK_WEIGHTS = "{0.05, 0.2, 0.5, 1.0}"
# The rank of the title alone is added with this factor (Rank).
TITLE_RANK = 1.0
# A match of a synonym from the thesaurus counts this much of a match of the words typed.
SYNONYM_RANK = 0.5
# Rank normalisation 1: divided by 1 + the logarithm of the document's length, so a long narrative that
# repeats a word does not outrank a case that is about it in its title or summary.
RANK_NORMALISATION = 1
# Added to the rank of a case for each concept it is tagged with (a theme, sector... the query names):
# about a summary match, so a tagged case ranks with the cases that say it, below those that lead with it.
TAG_RANK = 0.05
# ts_rank gives 1e-20, not 0, to a document without the query's words when the query is a phrase or an AND
# (and divides it by the length): ranks below this are no match of the ranking vector at all.
RANK_FLOOR = 1e-9
# Ranks computed in float4 may differ from their exact value by about 1e-7 of it: a bound on ranks is
# passed only by this margin.
RANK_MARGIN = 1e-4
# A phrase of at most this many different words is ranked from the cases with two of them (_rankable_query).
MOST_RANKED_PHRASE_WORDS = 6
# Type-ahead looks at most at this many matching cases (any of them) to offer its few titles.
SUGGESTION_CANDIDATES = 200
# pg_trgm similarity of two titles, 0 to 1, from which a queued case may repeat another (the moderation
# queue). Tuned on the demo catalogue (70 cases): two different cases of one economy reach at most 0.29
# ("333: Bangladesh's national helpline ..." / "Service Innovation Fund ... in Bangladesh"), while a short
# resubmission of a long title scores 0.38 to 0.61 ("Dasan Call Centre 120 in Seoul" 0.39, "SingPass:
# digital identity for Singapore citizens" 0.38, "e-Nabiz personal health record of Turkiye" 0.61). 0.35
# catches those and stays clear of the different cases.
DUPLICATE_TITLE_SIMILARITY = 0.35
# A correction must be at least this similar (trigram) to the word typed to be considered.
CLOSE_WORD_SIMILARITY = 0.35


def _phrase_sql(words) -> tuple[str, list]:
    """The phrase as written, and when it has a hyphen also as its parts: PostgreSQL reads "e-government" as
    e-govern, e, govern and "COVID-19" as covid, -19 (a signed number), so the term written with a hyphen
    needs the first and the term written with a space ("COVID 19") the second."""
    single = f"phraseto_tsquery('{CONFIG}'::regconfig, observatory_unaccent(%s))"
    text = " ".join(words)
    if _spaceless(words):
        # A run's character pairs (search_document.spaceless_tokens) in order, or in any order in a
        # document too long for PostgreSQL to keep their positions (search_document.LONG_DOCUMENT).
        anywhere_sql, anywhere_params = _anywhere_in_long_sql(words)
        return f"({single} || {anywhere_sql})", [text, *anywhere_params]
    parts = " ".join(phrase_key(words))
    if parts == text:
        return single, [text]
    return f"({single} || {single})", [text, parts]


def _spaceless(words) -> bool:
    """Whether `words` are the character pairs of a run of spaceless script, several of them."""
    return len(words) > 1 and all(SPACELESS_TOKEN.fullmatch(word) for word in words)


def _anywhere_in_long_sql(words) -> tuple[str, list]:
    """A tsquery of a run's character pairs in any order, in a document marked too long for PostgreSQL to
    keep their positions (search_document.LONG_DOCUMENT). No phrase: the index answers it alone."""
    long_document = f"to_tsquery('simple'::regconfig, '{LONG_DOCUMENT}')"
    return f"({long_document} && plainto_tsquery('simple'::regconfig, %s))", [" ".join(words)]


def _start_sql(word: str) -> tuple[str, list]:
    """The start of a word as typed, unstemmed (the simple configuration): a search's word cut short matches
    the lexemes that begin with what was typed ('telemed':* finds 'telemedicin'). Stemmed first, as to_tsquery
    does, 'hels' became 'hel':*, which 'help' and 'held' begin: not what was typed, and in 91% of the cases at
    1,000,000, past the statement timeout. The word quoted as one lexeme (a quote doubled, a backslash
    escaped): a word that unaccents to tsquery syntax (U+02BC becomes ') cannot break out of its quotes."""
    unaccented = "lower(observatory_unaccent(%s))"
    escaped = f"replace(replace({unaccented}, chr(92), chr(92) || chr(92)), chr(39), chr(39) || chr(39))"
    quoted = f"chr(39) || coalesce(nullif({escaped}, ''), ' ') || chr(39)"
    return f"to_tsquery('simple'::regconfig, {quoted} || ':*')", [word]


def _concept_sql(concept) -> tuple[str, list]:
    """The tsquery of one concept: any of its alternatives."""
    parts, params = [], []
    for index, phrase in enumerate(concept.alternatives):
        if index == 0 and concept.prefix:
            sql, phrase_params = _start_sql(phrase.words[0])
        else:
            sql, phrase_params = _phrase_sql(phrase.words)
        parts.append(sql)
        params += phrase_params
    return "(" + " || ".join(parts) + ")", params


class Unaccent(Func):
    function = "observatory_unaccent"
    output_field = TextField()


class TsQuery(Func):
    """A tsquery written by this module (`sql` with `params` bound)."""

    output_field = SearchQueryField()

    def __init__(self, sql: str, params):
        self.sql, self.params = sql, list(params)
        super().__init__()

    def as_sql(self, compiler, connection, **extra_context):
        return self.sql, self.params


class ConceptsQuery(Func):
    """A tsquery of `concepts`: each concept's alternatives joined by OR, the concepts by `operator`
    ("&&": a case must have every concept; "||": any, for ranking and excerpts)."""

    output_field = SearchQueryField()

    def __init__(self, concepts, *, operator: str = "&&"):
        if operator not in ("&&", "||") or not concepts:
            raise ValueError("at least one concept, joined by && or ||")
        self.concepts = tuple(concepts)
        self.operator = operator
        super().__init__()

    def as_sql(self, compiler, connection, **extra_context):
        parts, params = [], []
        for concept in self.concepts:
            sql, concept_params = _concept_sql(concept)
            parts.append(sql)
            params += concept_params
        return "(" + f" {self.operator} ".join(parts) + ")", params


class TextMatch(Func):
    """Whether the search document matches a tsquery. A tsquery of stop words only ("the") has no lexemes:
    it is left out (true) rather than matching nothing. PostgreSQL folds the constant test away, so the GIN
    index still serves the match."""

    output_field = BooleanField()
    template = "(numnode(%(query)s) = 0 OR %(document)s @@ %(query)s)"

    def __init__(self, document, query):
        super().__init__(document, query)

    def as_sql(self, compiler, connection, **extra_context):
        document, query = self.get_source_expressions()
        document_sql, document_params = compiler.compile(document)
        query_sql, query_params = compiler.compile(query)
        sql = f"(numnode({query_sql}) = 0 OR {document_sql} @@ {query_sql})"
        return sql, [*query_params, *document_params, *query_params]


class ConceptMatch(Func):
    """Whether the search document says `concept`, its phrases through the index of the documents' pairs of
    adjacent words (migration 0021) where the phrase's words stand side by side: a phrase of two words is
    its one pair, no document read; a longer one is read only in the cases that have all its pairs. A
    phrase with a gap (a stop word inside: "head of state") is read as TextMatch reads it, and so are the
    concept's single words and hyphenated terms. Each of these choices is a test of constants, which
    PostgreSQL folds away as it plans, so the indexes still serve what remains."""

    output_field = BooleanField()

    def __init__(self, document, concept, *, part: str | None = None):
        # `part`: only the phrases read through their pairs ("pairs"), or only the rest ("document").
        self.concept = concept
        self.part = part
        super().__init__(document)

    def as_sql(self, compiler, connection, **extra_context):
        document_sql, document_params = compiler.compile(self.get_source_expressions()[0])
        words = f"to_tsvector('{CONFIG}'::regconfig, observatory_unaccent(%s))"
        concept_sql, concept_params = _concept_sql(self.concept)
        parts, params = [], []
        others = []
        for index, phrase in enumerate(self.concept.alternatives):
            if not _by_word_pairs(self.concept, index):
                others.append(
                    replace(self.concept, alternatives=(phrase,), prefix=index == 0 and self.concept.prefix)
                )
                continue
            if self.part == "document":
                continue
            text = [" ".join(phrase.words)]
            if _spaceless(phrase.words):
                # Its pairs are where the document keeps positions; in a long one, the run's pairs anywhere.
                query_sql, query_params = (
                    f"phraseto_tsquery('{CONFIG}'::regconfig, observatory_unaccent(%s))",
                    text,
                )
                long_sql, long_params = _anywhere_in_long_sql(phrase.words)
                anywhere_sql, anywhere_params = (
                    f" OR {document_sql} @@ {long_sql}",
                    [*document_params, *long_params],
                )
            else:
                query_sql, query_params = _phrase_sql(phrase.words)
                anywhere_sql, anywhere_params = "", []
            parts.append(
                f"((observatory_phrase_is_pair({words}) OR {document_sql} @@ {query_sql})"
                f" AND (observatory_phrase_pairs({words}) IS NULL"
                f" OR observatory_word_pairs({document_sql}) @@ observatory_phrase_pairs({words}))"
                f"{anywhere_sql})"
            )
            params += [
                *text,
                *document_params,
                *query_params,
                *text,
                *document_params,
                *text,
                *anywhere_params,
            ]
        # The document's own match first: a row its index (a phrase) found is checked again as the statement
        # reads it (a recheck), against the whole condition, and OR stops at the first true part. Made the
        # other way round, each of those rows had its word pairs made (observatory_word_pairs, its whole
        # document read): 6 s for "digital services" and its synonyms at 100,000 cases, against ms.
        if self.part == "pairs":
            return "(" + " OR ".join(parts) + ")", params
        if others:
            others_sql, others_params = ConceptsQuery(others, operator="||").as_sql(compiler, connection)
            parts.insert(0, f"{document_sql} @@ {others_sql}")
            params = [*document_params, *others_params, *params]
        parts.insert(0, f"numnode({concept_sql}) = 0")
        params = [*concept_params, *params]
        return "(" + " OR ".join(parts) + ")", params


def _by_word_pairs(concept, index: int) -> bool:
    """Whether alternative `index` of `concept` is a phrase the pairs of adjacent words can find: several
    words, none hyphenated (a hyphenated term is also read as its parts, _phrase_sql), not a prefix."""
    words = concept.alternatives[index].words
    return len(words) > 1 and phrase_key(words) == tuple(words) and not (index == 0 and concept.prefix)


def _text_match(document, concept):
    """The condition that the search document says `concept`."""
    if any(_by_word_pairs(concept, index) for index in range(len(concept.alternatives))):
        return ConceptMatch(document, concept)
    return TextMatch(document, ConceptsQuery([concept]))


class Matches(Func):
    """`document @@ query`, nothing around it, so that the document's index serves it even when the query
    is only known as the statement runs (a subquery's result). An empty query matches nothing."""

    output_field = BooleanField()
    template = "%(expressions)s"
    arg_joiner = " @@ "


class SharesLexemes(Func):
    """Whether the tsvector shares a lexeme with `words` (as the english configuration reads them): the same
    as matching them joined by OR, written so that the planner knows it is cheap (`@@` is priced as reading
    a stored document, migration 0017, which made it read a few rows in parallel workers)."""

    output_field = BooleanField()

    def __init__(self, vector, words: str):
        self.words = words
        super().__init__(vector)

    def as_sql(self, compiler, connection, **extra_context):
        vector_sql, vector_params = compiler.compile(self.get_source_expressions()[0])
        return (
            f"tsvector_to_array({vector_sql}) && "
            f"tsvector_to_array(to_tsvector('{CONFIG}'::regconfig, observatory_unaccent(%s)))",
            [*vector_params, self.words],
        )


class Rank(Func):
    """How well a case matches a tsquery, read from its small ranking vector (titles and summaries, in English
    and in the case's other languages: a Thai title ranks as the English title does): the weighted rank, plus
    the rank of the titles alone (TITLE_RANK), so that a case whose title says it comes first. A case that
    says it only in its narrative ranks 0 and follows, newest first: ranking never reads the whole document,
    which at 100,000 cases cost a second for a common word (docs/benchmarks.md)."""

    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra_context):
        document, query = self.get_source_expressions()
        document_sql, document_params = compiler.compile(document)
        query_sql, query_params = compiler.compile(query)
        return rank_sql(document_sql, query_sql), [
            *document_params,
            *query_params,
            *document_params,
            *query_params,
        ]


def rank_sql(vector: str, query: str) -> str:
    """The rank as SQL, `vector` and `query` each read twice (Rank; the postings' top lists)."""
    return (
        f"(ts_rank('{RANK_WEIGHTS}'::float4[], {vector}, {query}, {RANK_NORMALISATION}) "
        f"+ {TITLE_RANK} * ts_rank('{{0, 0, 0, 1}}'::float4[], {vector}, {query}, 0))"
    )


def _matched(rows, query, *, prefix: str, tagged, tag_bonus=None, known_to_match=False):
    """`rows` narrowed to every concept of `query` and annotated `search_rank`. `prefix` leads from the
    rows to the case's search row ("search_index__" from a case, "" from cases_casesearch); `tagged(tags)`
    is the condition for a concept's vocabulary tags on those rows, `tag_bonus(tags)` the same condition as
    the rank reads it (by default the same). One rank for both, so a page read from either comes in the
    same order. With `known_to_match`, `rows` are only annotated: the caller knows they match."""
    tag_bonus = tag_bonus or tagged
    ranking, document = F(f"{prefix}ranking"), F(f"{prefix}document")
    rank = Rank(ranking, ConceptsQuery(query.concepts, operator="||"))
    if any(len(concept.alternatives) > 1 and not concept.completions for concept in query.concepts):
        # The words as typed count again: a case that says what the reader typed comes before one that
        # only has a synonym.
        as_typed = [
            concept if concept.completions else replace(concept, alternatives=concept.alternatives[:1])
            for concept in query.concepts
        ]
        rank = Rank(ranking, ConceptsQuery(as_typed, operator="||")) + rank * SYNONYM_RANK
    for concept in query.concepts:
        condition = _text_match(document, concept)
        if concept.tags:
            rank = rank + Case(
                When(tag_bonus(concept.tags), then=Value(TAG_RANK)),
                default=Value(0.0),
                output_field=FloatField(),
            )
            condition = condition | tagged(concept.tags)
        if not known_to_match:
            rows = rows.filter(condition)
    return rows.annotate(search_rank=rank)


class AnyOf(Func):
    """`column = ANY(ids)`, the ids bound as one array: PostgreSQL combines it with the full-text index's
    matches (a BitmapOr), where `IN (subquery)` made it read every search document (1.5 s at 100,000
    cases for "climate", which names a sector)."""

    output_field = BooleanField()
    # The condition, `{column}` the column and %s the ids as one array parameter.
    condition = "{column} = ANY(%s::integer[])"

    def __init__(self, column: str, ids):
        # Kept as given (often a bitmap of 100,000 ids or more) and listed only when the query runs: a
        # queryset is built for every library page and seldom run, and its sorted list of Python ints was 3-5
        # ms of every request, and garbage for the collector.
        self.ids = ids if isinstance(ids, Collection) else list(ids)
        super().__init__(F(column))

    def as_sql(self, compiler, connection, **extra_context):
        column_sql, column_params = compiler.compile(self.get_source_expressions()[0])
        return self.condition.format(column=column_sql), [*column_params, sorted(self.ids)]


class InArray(AnyOf):
    """`column IN (SELECT unnest(ids))`: where a condition is read for every row of many (a rank), a hashed
    subplan looks each row up once, where ANY(ids) scans the array for each."""

    condition = "{column} IN (SELECT unnest(%s::integer[]))"


class InArrayFilter(AnyOf):
    """`(column IN (SELECT unnest(ids))) IS TRUE`: a hashed lookup per row, as a filter the planner keeps
    (a plain IN it turns into a join of every id, ANY it prices as scanning the array for each row)."""

    condition = "({column} IN (SELECT unnest(%s::integer[]))) IS TRUE"


def _tagged_ids(tags, published_only: bool = False) -> list[int]:
    cases = CaseStudy.objects.published() if published_only else CaseStudy.objects.all()
    tagged = cases.filter(tagged_condition(tags)).order_by()
    return tagged.aggregate(ids=ArrayAgg("pk", default=[]))["ids"]


def _tagged_search_rows(tags, tagged_cases=None):
    return AnyOf("case_id", tagged_cases(tags) if tagged_cases else _tagged_ids(tags))


# A word cut short (the last word of a query, still being typed) stands for up to this many of the known
# words it begins, the most frequent first, one for each lexeme (completed()).
PREFIX_COMPLETIONS = 30


def completed(query):
    """`query` with each concept read as a prefix standing for the known words its word begins (the word list
    of the published cases' titles and summaries, SearchWord), as SQLite's backend reads it: "kilos" for
    "kilosangi", "governme" for "government" (whose lexeme, "govern", the start itself does not begin).
    Only when it begins no known word is the start matched as the beginning of a lexeme anywhere in the text
    (_start_sql, narratives too): a common word would have been known, so that reads few entries of the
    index, where a start that begins a common lexeme reads every case that has it (at 1,000,000 cases, past
    the statement timeout); the known words are matched through their postings when they are common. None
    of the alternatives is "as typed" (Concept.completions): they rank alike. Every function of this module
    taking a query reads it completed (idempotent), so matching, counting, ranking and excerpts agree."""
    if not any(concept.prefix and not concept.completions for concept in query.concepts):
        return query
    return replace(
        query,
        concepts=tuple(
            _completed(concept) if concept.prefix and not concept.completions else concept
            for concept in query.concepts
        ),
    )


def _completed(concept: Concept) -> Concept:
    typed = concept.alternatives[0].words[0]
    start = fold(typed)
    words = [word for word in _completions(start) if word != start]
    as_typed = not words
    alternatives = (
        *((concept.alternatives[0],) if as_typed else ()),
        *(Phrase((word,)) for word in words),
        *concept.alternatives[1:],
    )
    return replace(concept, alternatives=alternatives, prefix=as_typed, completions=True)


def begins_known_words(start: str) -> bool:
    """Whether a known word (of titles and summaries) begins with `start` (as typed); no query after the
    corrections of the same words were looked up (close_words())."""
    return bool(_completions(fold(start)))


def _completions(start: str) -> list[str]:
    """The known words that begin with `start` (folded), at most PREFIX_COMPLETIONS, the most frequent first,
    one for each set of lexemes (their lexemes remembered: matching them through postings asks no more).
    Read once per request, usually along with the corrections (close_words())."""
    return once_per_request(_completions_key(start), lambda: _read_completions(start))


def _completions_key(start: str) -> tuple:
    return ("completions", postings.database_key(), start)


def _completion_rows(start: str):
    return (
        SearchWord.objects.filter(word__startswith=start)
        .annotate(lexemes=Lexemes(F("word")))
        .order_by("-documents", "word")
    )


def _read_completions(start: str) -> list[str]:
    rows = _completion_rows(start).values_list("word", "lexemes")[: PREFIX_COMPLETIONS * 2]
    return _distinct_completions(rows)


def _distinct_completions(rows) -> list[str]:
    """The first PREFIX_COMPLETIONS words of `rows` ((word, its lexemes), the most frequent first) that match
    a case no earlier word matches: "governments" adds nothing to "government" (one lexeme), nor
    "public-sector" to "public" (a hyphenated word's document has the lexemes of its parts too), which read
    as a phrase would have every match checked on its row (0.4 s at 100,000 cases for "publ")."""
    rows = [(word, frozenset(lexemes)) for word, lexemes in rows]
    alone = {next(iter(lexemes)) for _word, lexemes in rows if len(lexemes) == 1}
    words, seen = [], set()
    for word, lexemes in rows:
        if not lexemes or lexemes in seen or (len(lexemes) > 1 and lexemes & alone):
            continue
        seen.add(lexemes)
        words.append(word)
        if len(words) == PREFIX_COMPLETIONS:
            break
    postings.remember_lexemes({word: list(lexemes) for word, lexemes in rows})
    return words


def match(queryset, query, *, matches=None):
    query = completed(query)
    if matches is not None:
        # The cases the words match are known (the library's bitmaps): look each row up among them (a
        # hashed lookup) rather than read its document again, which for a phrase read through its pairs
        # made the pairs of every row's whole document (2.8 s for "open data" among the health sector's
        # cases at 100,000).
        queryset = queryset.filter(InArrayFilter("pk", matches))
        return _matched(
            queryset, query, prefix="search_index__", tagged=tagged_condition, known_to_match=True
        )
    return _matched(queryset, query, prefix="search_index__", tagged=tagged_condition)


def any_match(query) -> bool:
    """Whether any published case matches `query`, from cases_casesearch (the wide case table only for the
    tags a concept names)."""
    query = completed(query)
    said = CaseSearchIndex.objects.filter(published=True)
    rows = said
    for concept in query.concepts:
        condition = _text_match(F("document"), concept)
        said = said.filter(condition)
        if concept.tags:
            condition = condition | Q(case__in=CaseStudy.objects.filter(tagged_condition(concept.tags)))
        rows = rows.filter(condition)
    # Cases that say every concept first, through the index alone (one row is enough); the tags only when
    # none does (an OR with the tags made PostgreSQL read far more: 210 ms at 1,000,000 cases).
    return said.exists() or (rows.exists() if any(c.tags for c in query.concepts) else False)


def _posting_plan(query) -> list[list[str | None]] | None:
    """For each concept of `query`, for each of its alternatives: the lexeme whose posting gives its text
    matches, when it is one word, or a phrase of two words side by side (its pair, migration 0021), common
    enough to have a posting; else None (read through the index). None when no word has postings at all."""
    common = postings.lexemes_with_postings()
    if not common:
        return None
    alternatives = [(c, i) for c in query.concepts for i in range(len(c.alternatives))]
    # A run of spaceless script has no posting: a long document lacks the pairs of its end (_phrase_sql).
    posted = [
        (c, i)
        for c, i in alternatives
        if not (i == 0 and c.prefix) and not _spaceless(c.alternatives[i].words)
    ]
    phrases = [c.alternatives[i].text for c, i in posted if _by_word_pairs(c, i)]
    words = [c.alternatives[i].text for c, i in posted if not _by_word_pairs(c, i)]
    words_lexemes, phrases_pairs = postings.lexemes_and_pairs(words, phrases)
    pairs, lexemes = iter(phrases_pairs), iter(words_lexemes)
    plan = []
    for concept in query.concepts:
        found = []
        for index in range(len(concept.alternatives)):
            if (index == 0 and concept.prefix) or _spaceless(concept.alternatives[index].words):
                found.append(None)
                continue
            each = ([next(pairs)] if _by_word_pairs(concept, index) else next(lexemes)) or []
            found.append(each[0] if len(each) == 1 and each[0] in common else None)
        plan.append(found)
    return plan


def _posting_lexemes(query) -> list[list[str]] | None:
    """For each concept of `query`, the lexemes whose postings give its text matches (one per alternative),
    when every alternative has one (_posting_plan); else None."""
    plan = _posting_plan(query)
    if plan is None or any(lexeme is None for lexemes in plan for lexeme in lexemes):
        return None
    return plan


def _without_postings(concept, lexemes) -> Concept | None:
    """`concept` narrowed to its alternatives without a posting (`lexemes`, its row of _posting_plan: None
    for those), its tags left out; None when every alternative has one."""
    rest = [phrase for phrase, lexeme in zip(concept.alternatives, lexemes, strict=True) if lexeme is None]
    if not rest:
        return None
    prefix = concept.prefix and rest[0] is concept.alternatives[0]
    return replace(concept, alternatives=tuple(rest), prefix=prefix, tags=frozenset())


def _matching_ids_from_postings(query, tagged_cases=None) -> BitMap | None:
    """The matches from the postings of the alternatives that have one, and the index for the others (rare
    words, a word cut short, phrases): a word cut short stands for the known words it begins, of which the
    common ones are read from their postings (cases in 92% of 1,000,000 through the index: seconds). None
    when a concept has no alternative with a posting: the index then reads the concepts together, each
    narrowing the others (a common phrase, which every match of its own would have checked on its row)."""
    plan = _posting_plan(query)
    if plan is None or any(all(lexeme is None for lexeme in lexemes) for lexemes in plan):
        return None
    current = postings.current_postings(
        (lexeme for lexemes in plan for lexeme in lexemes if lexeme is not None), rank_sql
    )
    if current is None:
        return None
    matches = None
    for concept, lexemes in zip(query.concepts, plan, strict=True):
        cases = BitMap()
        for lexeme in lexemes:
            if lexeme is not None:
                cases |= current[lexeme].cases
        unposted = _without_postings(concept, lexemes)
        if unposted is not None:
            cases |= BitMap(_text_matching_ids([unposted]))
        if concept.tags:
            cases |= BitMap(tagged_cases(concept.tags) if tagged_cases else _tagged_ids(concept.tags, True))
        matches = cases if matches is None else matches & cases
    return matches


def matching_ids(query, *, tagged_cases=None):
    """The published cases matching `query`: for words common enough, from their postings
    (cases/search/postings.py; they may still hold cases deleted outright since); otherwise from
    cases_casesearch alone. The tagged cases of a concept that names a vocabulary term come from
    `tagged_cases(tags)` when given, else from the case table."""
    query = completed(query)
    from_postings = _matching_ids_from_postings(query, tagged_cases)
    if from_postings is not None:
        return from_postings
    if tagged_cases is not None and any(concept.tags for concept in query.concepts):
        # The tagged cases come from the bitmaps, so only what the documents say is read, for each concept
        # that names a term: an OR with ANY(their ids) probed the primary key once per tagged case (21 ms
        # instead of 5 at 100,000 cases for "thailand", which names an economy of 5,821 cases).
        untagged = [concept for concept in query.concepts if not concept.tags]
        matches = BitMap(_text_matching_ids(untagged)) if untagged else None
        for concept in query.concepts:
            if concept.tags:
                cases = BitMap(_text_matching_ids([concept])) | BitMap(tagged_cases(concept.tags))
                matches = cases if matches is None else matches & cases
        return matches
    if not any(concept.tags for concept in query.concepts):
        return _text_matching_ids(query.concepts)
    rows = CaseSearchIndex.objects.filter(published=True)
    for concept in query.concepts:
        condition = _text_match(F("document"), concept)
        if concept.tags:
            condition = condition | _tagged_search_rows(concept.tags, tagged_cases)
        rows = rows.filter(condition)
    return rows.order_by().aggregate(ids=ArrayAgg("case_id", default=[]))["ids"]


def _read_by_parts(concept) -> bool:
    """Whether `concept` is read as several branches (_text_matching_ids): it has several alternatives, one
    of them a phrase read through its pairs."""
    alternatives = range(len(concept.alternatives))
    return len(concept.alternatives) > 1 and any(_by_word_pairs(concept, index) for index in alternatives)


def _parts(concept) -> list:
    """The conditions, one per branch, whose union is `concept`'s match: each phrase read through its pairs
    alone, then the rest (the other alternatives, read from the document)."""
    parts = [
        ConceptMatch(F("document"), replace(concept, alternatives=(phrase,), prefix=False))
        for index, phrase in enumerate(concept.alternatives)
        if _by_word_pairs(concept, index)
    ]
    return [*parts, ConceptMatch(F("document"), concept, part="document")]


def _text_matching_ids(concepts) -> list[int]:
    """The published cases whose search document says every one of `concepts` (their tags aside).

    A concept with several alternatives, one of them a phrase read through its pairs, is read as branches
    of one UNION ALL (each phrase alone, then the rest), intersected here. In one condition, a row that
    one alternative needs checked on the row (a phrase of three words, a hyphenated synonym) has the whole
    condition checked, and the pairs of its whole document made, for every row any alternative found: at
    100,000 cases, 2.4 s for "open data" (with "open government data"), 4.7 s for "digital services"
    (with "e-services"); about 0.1 s in branches."""
    if any(_read_by_parts(concept) for concept in concepts):
        rows = CaseSearchIndex.objects.filter(published=True).order_by()
        branches = []
        for number, concept in enumerate(concepts):
            conditions = _parts(concept) if _read_by_parts(concept) else [_text_match(F("document"), concept)]
            branches += [
                rows.filter(condition).annotate(concept=Value(number)).values_list("case_id", "concept")
                for condition in conditions
            ]
        by_concept = [BitMap() for _concept in concepts]
        for case_id, number in branches[0].union(*branches[1:], all=True):
            by_concept[number].add(case_id)
        return list(BitMap.intersection(*by_concept))
    rows = CaseSearchIndex.objects.filter(published=True)
    for concept in concepts:
        rows = rows.filter(_text_match(F("document"), concept))
    return rows.order_by().aggregate(ids=ArrayAgg("case_id", default=[]))["ids"]


def _any_lexeme_sql(words) -> tuple[str, list]:
    """A tsquery of every lexeme of `words`, joined by OR: what a ranking vector must share with a phrase
    for the phrase to rank it above 0 (ts_rank counts each lexeme of the query it finds). Each lexeme is
    quoted as in _start_sql, so nothing typed becomes tsquery syntax."""
    lexeme = "replace(replace(lexeme, chr(92), chr(92) || chr(92)), chr(39), chr(39) || chr(39))"
    return (
        f"(SELECT coalesce(string_agg(chr(39) || {lexeme} || chr(39), ' | '), '')::tsquery "  # noqa: S608 - constants
        f"FROM unnest(tsvector_to_array(to_tsvector('{CONFIG}'::regconfig, observatory_unaccent(%s)))) "
        "AS lexeme)",
        [" ".join(words)],
    )


def _rankable_query(query) -> TsQuery:
    """A tsquery that every case the rank puts above 0 matches in its ranking vector: any lexeme of any
    alternative of any concept (the prefix as a prefix). A search for one phrase alone is ranked as an AND
    (ts_rank ranks a phrase query by the distances between its words, and above 0 only when it finds at
    least two of them), so there a case must have two of its words: at 1,000,000 cases, far fewer than the
    cases with one of them."""
    if len(query.concepts) == 1 and _by_word_pairs(query.concepts[0], 0):
        (concept,) = query.concepts
        if len(concept.alternatives) == 1:
            (lexemes,) = postings.lexemes_of([" ".join(concept.alternatives[0].words)])
            if 2 <= len(lexemes) <= MOST_RANKED_PHRASE_WORDS:
                two = [
                    f"({postings.quoted(a)} & {postings.quoted(b)})"
                    for a, b in itertools.combinations(lexemes, 2)
                ]
                return TsQuery("%s::tsquery", [" | ".join(two)])
    parts, params = [], []
    for concept in query.concepts:
        for index, phrase in enumerate(concept.alternatives):
            if index == 0 and concept.prefix:
                sql, phrase_params = _start_sql(phrase.words[0])
            else:
                sql, phrase_params = _any_lexeme_sql(phrase.words)
            parts.append(sql)
            params += phrase_params
    return TsQuery("(" + " || ".join(parts) + ")", params)


# Up to this many matches (when the caller knows how many), the page is ranked among all of them at once:
# a first step among the candidates alone would save little and, on a last page or with few candidates,
# cost a second query.
RANK_ALL_UP_TO = 1000
# When every match must be ranked (none in the first step ranks above 0: a word found only in narratives, in
# English or in translations, which the ranking vector lacks), up to this many are read through the primary
# key; more, and every row of the table is read, each looked up among the matches. At 100,000 cases, 2,457
# matches (a Thai word in every Thai translation): 22.8 ms by the table, 4,584 buffers read.
RANK_BY_PRIMARY_KEY_UP_TO = 20_000


def ranked_ids(query, offset: int, limit: int, *, tagged_cases=None, matches=None) -> list[int]:
    """The ids of the published cases matching `query` from `offset`, at most `limit`, in the library's
    order (rank, then newest), read from cases_casesearch alone: for a word in most cases, ranking them
    this way skips reading the wide case table for each match (0.18 s at 100,000 cases otherwise).

    In two steps. A case ranks above 0 only if its ranking vector (titles and summaries, translations' too)
    has a word of the query or it is tagged with a term the query names; every other match ranks 0 and
    follows, newest first. So the page is first sought among those candidates alone, which the ranking
    vector's own index finds (at 100,000 cases, 4,655 of the 91,250 cases that say "contracts" say it in their
    title or summary): when the page is full and its last case ranks above 0 (RANK_FLOOR), no other match can
    come before it.
    Otherwise (a page past the candidates) every match is ranked; and at once when there are at most
    RANK_ALL_UP_TO `matches`.

    `matches`, the ids of the published cases that match when the caller knows them (the library's
    bitmaps do), stand for the match itself: a row is looked up among them (a hashed lookup) instead of
    having its document read again (a phrase read through its pairs made each candidate's pairs from its
    whole document: over 3 s for "digital services" at 100,000 cases)."""
    query = completed(query)
    from_posting = _ranked_ids_from_posting(query, offset, limit, tagged_cases=tagged_cases)
    if from_posting is not None:
        return from_posting
    from_top_lists = _ranked_ids_from_top_lists(query, offset, limit)
    if from_top_lists is not None:
        return from_top_lists
    with_every_word = _ranked_ids_with_every_word(query, offset, limit)
    if with_every_word is not None:
        return with_every_word
    # Each concept's tagged cases, read once: where an index finds them as ANY(ids), where each row is
    # looked up (the rank) as a hashed IN.
    tagged_rows = {c.tags: _tagged_search_rows(c.tags, tagged_cases) for c in query.concepts if c.tags}
    tag_bonus = {tags: InArray("case_id", condition.ids) for tags, condition in tagged_rows.items()}
    order = ("-search_rank", "-published_at", "-case_id")
    rankable = Q(Matches(F("ranking"), _rankable_query(query)))
    for tags in tagged_rows:
        rankable = rankable | tagged_rows[tags]
    # One concept of single words: a candidate has one of them in its ranking vector, which is the start
    # of its document, or is tagged, so it matches; no document need be read to know it.
    known_to_match = len(query.concepts) == 1 and _single_words(query.concepts[0])
    searched = CaseSearchIndex.objects.filter(published=True)
    few = matches is not None and len(matches) <= RANK_ALL_UP_TO
    if few:
        # Few matches: they are the rows, read through the primary key (ANY(ids)); as a filter (a hashed
        # IN) nothing else would lead to them, and every row would be read (255 ms at 1,000,000 cases).
        searched = searched.filter(AnyOf("case_id", matches))
        known_to_match = True
    elif matches is not None:
        # Many: a hashed lookup among them for each candidate an index finds.
        searched = searched.filter(InArrayFilter("case_id", list(matches)))
        known_to_match = True
    if few:
        first = []
    elif known_to_match and tagged_rows and not query.concepts[0].prefix:
        # Its tagged cases without a word of it in their ranking vector all rank TAG_RANK exactly (ts_rank
        # of absent words is 0), so only the newest of them can be on the page: read those through the
        # index of the newest (migration 0019), and rank the cases that say it.
        (tags,) = tagged_rows
        says_it = Q(Matches(F("ranking"), _rankable_query(query)))
        ranked = _matched(
            searched.filter(says_it),
            query,
            prefix="",
            tagged=tagged_rows.__getitem__,
            tag_bonus=tag_bonus.__getitem__,
            known_to_match=True,
        )
        words = " ".join(phrase.words[0] for phrase in query.concepts[0].alternatives)
        tagged = InArrayFilter("case_id", tagged_rows[tags].ids)
        newest_tagged = CaseSearchIndex.objects.filter(tagged, published=True).exclude(
            SharesLexemes(F("ranking"), words)
        )
        first = [
            *ranked.order_by(*order).values_list("case_id", "search_rank", "published_at")[: offset + limit],
            *(
                (case_id, TAG_RANK, published_at)
                for case_id, published_at in newest_tagged.order_by("-published_at", "-case_id").values_list(
                    "case_id", "published_at"
                )[: offset + limit]
            ),
        ]
        first.sort(key=_library_order, reverse=True)
        first = [(case_id, rank) for case_id, rank, _published_at in first[: offset + limit]]
    else:
        candidates = _matched(
            searched.filter(rankable),
            query,
            prefix="",
            tagged=tagged_rows.__getitem__,
            tag_bonus=tag_bonus.__getitem__,
            known_to_match=known_to_match,
        )
        first = list(candidates.order_by(*order).values_list("case_id", "search_rank")[: offset + limit])
    if first and len(first) == offset + limit and first[-1][1] > RANK_FLOOR:
        return [case_id for case_id, _rank in first[offset:]]
    if matches is not None and not few and len(matches) <= RANK_BY_PRIMARY_KEY_UP_TO:
        # Every match ranked: read through the primary key rather than looked up in every row of the table.
        searched = CaseSearchIndex.objects.filter(AnyOf("case_id", matches), published=True)
    rows = _matched(
        searched,
        query,
        prefix="",
        tagged=tagged_rows.__getitem__,
        tag_bonus=tag_bonus.__getitem__,
        known_to_match=matches is not None,
    )
    return list(rows.order_by(*order).values_list("case_id", flat=True)[offset : offset + limit])


def _library_order(row):
    case_id, rank, published_at = row
    return postings.library_key(rank, published_at, case_id)


def _ranked_ids_from_posting(query, offset: int, limit: int, *, tagged_cases=None) -> list[int] | None:
    """The page from the top list of the word's posting (cases/search/postings.py), for a search of one
    common word, or one quoted phrase of two words whose pair is common, with no synonym and no prefix,
    whose rank is the word's (the phrase's) alone, or that plus TAG_RANK
    for the cases tagged with a term it names (their ids from `tagged_cases`, the catalogue's bitmaps);
    None otherwise or when the page lies past what the list holds for certain.

    With a term: the top list holds every case that comes at or before its last in the library's order (rank
    for the word, newest, id), so a case outside it comes after that last, with TAG_RANK added to both when
    it is tagged; a tagged case whose title and summary lack the word ranks TAG_RANK exactly. When the
    page's last case, its rank read from the list with the bonus added, comes before both, no case outside
    the list can come before it (the sums are the same float sums PostgreSQL makes). Ranking the cases that
    say the word instead read 46,000 ranking vectors for "climate" at 1,000,000 cases (0.8 s), whose ranks
    in titles lie within 0.02 of each other: the term's bonus, not the word, decides the first pages."""
    if len(query.concepts) != 1 or len(query.concepts[0].alternatives) != 1:
        return None
    (concept,) = query.concepts
    if not (_single_words(concept) or _by_word_pairs(concept, 0)) or (concept.tags and tagged_cases is None):
        return None
    plan = _posting_lexemes(query)
    if plan is None:
        return None
    (lexeme,) = plan[0]
    current = postings.current_postings([lexeme], rank_sql)
    if current is None:
        return None
    posting = current[lexeme]
    wanted = offset + limit
    if limit <= 0:
        return None
    if wanted > len(posting.top):
        return _ranked_ids_past_a_whole_top_list(posting, offset, limit) if not concept.tags else None
    if concept.tags:
        tagged = BitMap(tagged_cases(concept.tags))
        ranked = sorted(
            (
                (rank + TAG_RANK if case_id in tagged else rank, published_at, case_id)
                for rank, published_at, case_id in posting.top
            ),
            key=lambda row: postings.library_key(*row),
            reverse=True,
        )
        # Outside the list every case comes after its last in the library's order: a tagged one after the
        # last with the bonus added (a page often ends exactly there, the titles' ranks being few and much
        # repeated), and a tagged one that does not say the word ranks TAG_RANK.
        rank, published_at, case_id = posting.top[-1]
        after_the_list = postings.library_key(rank + TAG_RANK, published_at, case_id)
        last = ranked[wanted - 1]
        if last[0] <= TAG_RANK + RANK_FLOOR or (
            not posting.complete and postings.library_key(*last) < after_the_list
        ):
            return None
    elif posting.top[wanted - 1][0] <= RANK_FLOOR:
        return None
    else:
        ranked = posting.top
    ids = [case_id for _rank, _published_at, case_id in ranked[:wanted]]
    # A case deleted outright leaves no changed row behind: the list would still hold it.
    if CaseSearchIndex.objects.filter(case_id__in=ids, published=True).count() != len(ids):
        return None
    return ids[offset:]


def _ranked_ids_from_top_lists(query, offset: int, limit: int) -> list[int] | None:
    """The page for a word cut short that stands for several known words, some of them common
    (Concept.completions): among the best-ranked cases of each common word (its posting's top list), the
    cases whose ranking vector has a rare one or the start as typed (few, through the ranking vector's
    index), and those whose ranking vector has two of the common words (which may rank above any one). None
    when a case outside them might rank on the page.

    Why it is exact: the rank of an OR of n lexemes is the mean of each one's own rank
    (_ranked_ids_with_every_word says why). Any other case has at most one of the words in its ranking
    vector, a common one, and lies outside its top list, which holds every case ranked at or above its last:
    it ranks below that last over n. When the page's last ranks above the largest such bound (by a margin
    for float rounding), no such case can come before it. At 1,000,000 cases, ranking every case whose title
    or summary has "govern" or another word "gove" begins took seconds."""
    if len(query.concepts) != 1 or limit <= 0:
        return None
    (concept,) = query.concepts
    if not concept.completions or concept.tags or len(concept.alternatives) < 2 or not _single_words(concept):
        return None
    plan = _posting_plan(query)
    if plan is None:
        return None
    (lexemes,) = plan
    common = [lexeme for lexeme in lexemes if lexeme is not None]
    if not common:
        return None
    words = [phrase.text for phrase in concept.alternatives[1 if concept.prefix else 0 :]]
    words_lexemes = postings.lexemes_of(words)
    if any(len(each) != 1 for each in words_lexemes):
        return None  # a word of several lexemes: the query's number of items (n) is not one per word
    items = len({each[0] for each in words_lexemes}) + (1 if concept.prefix else 0)
    current = postings.current_postings(common, rank_sql)
    if current is None or any(not current[lexeme].top and not current[lexeme].complete for lexeme in common):
        return None
    lasts = [current[lexeme].top[-1][0] for lexeme in common if not current[lexeme].complete]
    bound = max(lasts, default=0.0) / items
    candidates = Q(AnyOf("case_id", {row[2] for lexeme in common for row in current[lexeme].top}))
    rare = _without_postings(concept, lexemes)
    if rare is not None:
        candidates |= Q(Matches(F("ranking"), ConceptsQuery([rare], operator="||")))
    if len(set(common)) > 1:
        pairs = itertools.combinations(sorted(set(common)), 2)
        two = " | ".join(f"({postings.quoted(a)} & {postings.quoted(b)})" for a, b in pairs)
        candidates |= Q(Matches(F("ranking"), TsQuery("%s::tsquery", [two])))
    ranked = _matched(
        CaseSearchIndex.objects.filter(candidates, published=True),
        query,
        prefix="",
        tagged=tagged_condition,
        known_to_match=True,  # the ranking vector is the start of the document: it has one of the words
    )
    order = ("-search_rank", "-published_at", "-case_id")
    first = list(ranked.order_by(*order).values_list("case_id", "search_rank")[: offset + limit])
    if len(first) < offset + limit or first[-1][1] <= bound * (1 + RANK_MARGIN) + RANK_FLOOR:
        return None
    return [case_id for case_id, _rank in first[offset:]]


def _ranked_ids_past_a_whole_top_list(posting, offset: int, limit: int) -> list[int] | None:
    """The page of a one-word search whose posting's top list holds every case with the word in its title or
    summary (`complete`), for a page that reaches past them: the rest of its matches rank 0 and follow,
    newest first, read through the index of the newest (migration 0019), which stops after the page. At
    100,000 cases, "serve" is in 57,033 narratives and no title or summary: ranking them all took 0.14 s."""
    if not posting.complete or (posting.top and posting.top[-1][0] <= RANK_FLOOR):
        return None
    top = [case_id for _rank, _published_at, case_id in posting.top]
    # A case deleted outright leaves no changed row behind: the list would still hold it.
    if top and CaseSearchIndex.objects.filter(case_id__in=top, published=True).count() != len(top):
        return None
    start, stop = max(0, offset - len(top)), offset + limit - len(top)
    rest = _newest_of(posting.cases - BitMap(top), stop)
    if rest is None:
        rest = (
            CaseSearchIndex.objects.filter(InArrayFilter("case_id", posting.cases), published=True)
            .exclude(case_id__in=top)
            .order_by("-published_at", "-case_id")
            .values_list("case_id", flat=True)[:stop]
        )
    return [*top[offset : offset + limit], *list(rest)[start:stop]]


# The newest published cases read when looking for the newest of a set of matches (_newest_of): this many
# first, then at most this many more (two queries at most).
NEWEST_CHUNKS = (1000, 9000)


def _newest_of(cases, count: int) -> list[int] | None:
    """The `count` newest published cases of `cases` (a bitmap), walking the index of the newest (migration
    0019) and looking each up in the bitmap; None when they lie deeper than the chunks read. Binding the ids
    as an array for PostgreSQL to look up instead cost 50 ms for 57,000 of them."""
    found, after = [], None
    with connection.cursor() as cursor:
        for size in NEWEST_CHUNKS:
            where = "published" + (" AND (published_at, case_id) < (%s, %s)" if after else "")
            cursor.execute(
                f"SELECT published_at, case_id FROM {CaseSearchIndex._meta.db_table} WHERE {where} "  # noqa: S608
                "ORDER BY published_at DESC, case_id DESC LIMIT %s",
                [*(after or ()), size],
            )
            rows = cursor.fetchall()
            found += [case_id for _published_at, case_id in rows if case_id in cases]
            if len(found) >= count or len(rows) < size:
                return found[:count]
            after = rows[-1]
    return None


def _ranked_ids_with_every_word(query, offset: int, limit: int) -> list[int] | None:
    """The page among the cases whose ranking vector has every word, for a search of several common words
    (each a concept of one word, no synonym, no tag, no prefix); None when a case without one of them might
    rank on the page. At 100,000 cases, 29,753 cases have "mapped" or "tackle" in their title or summary
    and would all be ranked; 160 have both.

    Why it is exact: ts_rank of an OR of words is the mean of each word's own rank (PostgreSQL's
    calc_rank_or sums each word's score and divides by their number; the length normalisation and the
    title's rank are the same factor for every word). So a case whose ranking vector lacks one of n words
    ranks at most the sum of the other words' best ranks over n, each word's best being the first of its
    posting's top list (cases/search/postings.py): when the page's last case ranks above that (by a margin
    for float rounding), no such case can come before it."""
    concepts = query.concepts
    if len(concepts) < 2 or any(c.tags or c.prefix or len(c.alternatives) != 1 for c in concepts):
        return None
    if not all(_single_words(concept) for concept in concepts):
        return None
    plan = _posting_lexemes(query)
    if plan is None:
        return None
    lexemes = [lexemes[0] for lexemes in plan]
    if len(set(lexemes)) != len(lexemes):  # one word twice ("maps mapping") counts once in the rank
        return None
    current = postings.current_postings(lexemes, rank_sql)
    if current is None or any(not current[lexeme].top and not current[lexeme].complete for lexeme in lexemes):
        return None
    best = [current[lexeme].top[0][0] if current[lexeme].top else 0.0 for lexeme in lexemes]
    bound = (sum(best) - min(best)) / len(best)
    every_word = TsQuery("%s::tsquery", [" & ".join(postings.quoted(lexeme) for lexeme in lexemes)])
    ranked = _matched(
        CaseSearchIndex.objects.filter(Matches(F("ranking"), every_word), published=True),
        query,
        prefix="",
        tagged=tagged_condition,
        known_to_match=True,  # the ranking vector is the start of the document: it has every word
    )
    order = ("-search_rank", "-published_at", "-case_id")
    first = list(ranked.order_by(*order).values_list("case_id", "search_rank")[: offset + limit])
    if limit <= 0 or len(first) < offset + limit or first[-1][1] <= bound * (1 + RANK_MARGIN) + RANK_FLOOR:
        return None
    return [case_id for case_id, _rank in first[offset:]]


def _single_words(concept) -> bool:
    """Every alternative of `concept` is one word (no phrase, no hyphenated term): matching it is having
    one of its lexemes."""
    return all(len(phrase.words) == 1 and "-" not in phrase.words[0] for phrase in concept.alternatives)


def highlighted_excerpts(case_ids, query) -> dict:
    query = completed(query) if query else query
    if not case_ids or not query:
        return {}
    excerpts = CaseStudy.objects.filter(pk__in=case_ids).annotate(excerpt=_excerpt(query))
    return dict(excerpts.values_list("pk", "excerpt"))


def with_excerpts(queryset, query):
    """The excerpts read with the rows of a page of results, in the same query (issue 15)."""
    query = completed(query)
    return queryset.annotate(search_excerpt=_excerpt(query))


def _excerpt(query):
    """ts_headline of the case's summary and narrative around the matches of `query`."""
    parts = []
    for name in [*SUMMARY_FIELDS[:1], *NARRATIVE_FIELDS]:
        parts += [Coalesce(name, Value(""), output_field=TextField()), Value(" ")]
    document = Concat(*parts, output_field=TextField())
    # Our markers cannot come from the text itself: a stored \x02 would otherwise turn into a <mark>.
    for marker in (HIGHLIGHT_START, HIGHLIGHT_STOP):
        document = Replace(document, Value(marker), Value(""), output_field=TextField())
    headline = SearchHeadline(
        document,
        ConceptsQuery(query.concepts, operator="||"),
        config=CONFIG,
        start_sel=HIGHLIGHT_START,
        stop_sel=HIGHLIGHT_STOP,
        max_fragments=2,
        max_words=28,
        min_words=12,
        fragment_delimiter=" … ",
    )
    return headline


class TitleWords(Func):
    """The words of the case's title, as the expression index of migration 0020 has them."""

    output_field = SearchVectorField()

    def __init__(self):
        super().__init__(F("title"))

    def as_sql(self, compiler, connection, **extra_context):
        title_sql, title_params = compiler.compile(self.get_source_expressions()[0])
        return (
            f"to_tsvector('{CONFIG}'::regconfig, observatory_unaccent(COALESCE({title_sql}, '')))",
            title_params,
        )


def title_matches(queryset, query):
    """Each word the start of a word of the title as typed, or the word itself as the english configuration
    stems it ("communities" finds "Community gardens"); never the start of its stem, which is not what was
    typed ("hels" would be 'hel':*, and find "Helping hands"). Through the table of title words (migration
    0022), or the index of the titles' words (migration 0020) for a word the english configuration reads as
    several."""
    words = [part for word in query.typed_words for part in word.split("-") if part]
    if not words:
        return queryset.none()
    stems = postings.lexemes_of(words)
    # A stop word has no lexeme and asks nothing of the title, as in the documents.
    if any(len(lexemes) > 1 for lexemes in stems):
        asked = [word for word, lexemes in zip(words, stems, strict=True) if lexemes]
        return queryset.filter(pk__in=_titles_matching_everywhere(asked))
    pairs = zip(words, stems, strict=True)
    starts = list(dict.fromkeys(_TitleStart.of(word, lexemes[0]) for word, lexemes in pairs if lexemes))
    if not starts:
        return queryset.none()
    return queryset.filter(pk__in=_titles_with_starts(starts))


@dataclass(frozen=True)
class _TitleStart:
    """A word typed for type-ahead: the start of a title's lexemes, or `stem` itself where the word's stem
    does not begin with what was typed."""

    start: str
    stem: str | None

    @classmethod
    def of(cls, word: str, stem: str) -> "_TitleStart":
        return cls(word, None if stem.startswith(word) else stem)


def _titles_matching_everywhere(words):
    """At most SUGGESTION_CANDIDATES published cases whose title has each of `words` as the start of a word
    or as the word stemmed, through the GIN index of the titles' words: every match is gathered first."""
    parts, params = [], []
    for word in words:
        start_sql, start_params = _start_sql(word)
        parts.append(f"({start_sql} || plainto_tsquery('{CONFIG}'::regconfig, observatory_unaccent(%s)))")
        params += [*start_params, word]
    # At most SUGGESTION_CANDIDATES candidates: sorting every published title that matches to find five
    # (the plan PostgreSQL chose otherwise) took 0.25 s at 100,000 cases for a common start of a word.
    return (
        CaseStudy.objects.published()
        .order_by()
        .filter(Matches(TitleWords(), TsQuery("(" + " && ".join(parts) + ")", params)))
        .values("pk")[:SUGGESTION_CANDIDATES]
    )


def _like_start(lexeme: str) -> str:
    return lexeme.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _titles_with_starts(starts):
    """The ids of at most SUGGESTION_CANDIDATES published cases whose title has a word starting with each of
    `starts` (or its stem): a join of the table of title words with itself on the case. PostgreSQL knows
    from its statistics how many titles each start has, and reads the rarest start's titles, checking the
    others through the index on (case, word) of migration 0025 (0.003 ms a title), or when every start is
    common hashes the candidates of two ranges; where the GIN index of the titles' words reads and
    intersects every match's entries of every start first (46-62 ms at 1,000,000 cases for two common
    starts). One start is a range of the index that stops after the candidates it needs (and, for a stem
    the start does not begin, the stem's own entries, read apart: an OR of the two would gather every
    match of the range first)."""
    table = CaseTitleWord._meta.db_table
    if len(starts) == 1:
        (start,) = starts
        sql = f"SELECT case_id FROM {table} WHERE word LIKE %s"  # noqa: S608 - constants
        params = [_like_start(start.start)]
        if start.stem is not None:
            sql = f"({sql} LIMIT %s) UNION ALL (SELECT case_id FROM {table} WHERE word = %s)"  # noqa: S608
            params += [SUGGESTION_CANDIDATES, start.stem]
        return RawSQL(f"SELECT case_id FROM ({sql}) AS starting LIMIT %s", [*params, SUGGESTION_CANDIDATES])  # noqa: S608, S611
    joins = "".join(
        f" JOIN {table} start_{index} ON start_{index}.case_id = start_0.case_id"
        for index in range(1, len(starts))
    )
    conditions, params = [], []
    for index, start in enumerate(starts):
        if start.stem is None:
            conditions.append(f"start_{index}.word LIKE %s")
            params.append(_like_start(start.start))
        else:
            conditions.append(f"(start_{index}.word LIKE %s OR start_{index}.word = %s)")
            params += [_like_start(start.start), start.stem]
    sql = f"SELECT start_0.case_id FROM {table} start_0{joins} WHERE {' AND '.join(conditions)} LIMIT %s"  # noqa: S608
    return RawSQL(sql, [*params, SUGGESTION_CANDIDATES])  # noqa: S611


def similar_titles(candidates, title):
    return candidates.annotate(title_similarity=TrigramSimilarity("title", title)).filter(
        title_similarity__gte=DUPLICATE_TITLE_SIMILARITY
    )


def among(queryset, ids):
    """`queryset` narrowed to the cases of `ids`, bound as one array: for the 200 candidates of a case's
    related cases, building and sending `IN (%s, ...)` took about a quarter of the time of ranking them."""
    return queryset.filter(AnyOf("id", ids))


def text_likeness(words):
    if not words:
        return None
    concepts = [Concept(typed=Phrase((word,)), alternatives=(Phrase((word,)),)) for word in words]
    return Rank(F(RANKING), ConceptsQuery(concepts, operator="||"))


def word_counts():
    """ts_stat over the published cases' titles, summaries and organisations, words as written (the simple
    configuration: lower case, accents folded, no stemming)."""
    text = Concat(
        *[
            part
            for name in TITLE_FIELDS + SUMMARY_FIELDS
            for part in (Coalesce(name, Value(""), output_field=TextField()), Value(" "))
        ],
        output_field=TextField(),
    )
    documents = (
        CaseStudy.objects.published()
        .order_by()
        .annotate(
            document=Func(
                Value("simple"),
                Func(text, function="observatory_unaccent", output_field=TextField()),
                function="to_tsvector",
                output_field=TextField(),
            )
        )
        .values("document")
    )
    documents_sql, documents_params = documents.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT word, ndoc FROM ts_stat(%s) WHERE length(word) <= 100",
            [connection.ops.compose_sql(documents_sql, documents_params)],
        )
        return cursor.fetchall()


class Lexemes(Func):
    """The lexemes of a text, as the documents' were made (postings.lexemes_of)."""

    template = f"tsvector_to_array(to_tsvector('{CONFIG}'::regconfig, observatory_unaccent(%(expressions)s)))"
    output_field = ArrayField(TextField())


def close_words(words, limit: int = 3) -> dict[str, list[tuple[str, int]]]:
    """For each of `words`, in one query (a UNION ALL of one branch per word): the word itself with its
    number of cases when the word list has it, then up to `limit` other words of the list close to it in
    spelling (trigram similarity), the most similar first, then the most frequent."""
    words = list(dict.fromkeys(words))
    if not words:
        return {}
    branches = [
        SearchWord.objects.annotate(
            typed=Value(word, output_field=TextField()),
            similarity=TrigramSimilarity("word", word),
            same=Case(When(word=word, then=Value(True)), default=Value(False), output_field=BooleanField()),
            # Each word's lexemes too: a correction searches for one of these words next (no query then).
            lexemes=Lexemes(F("word")),
        )
        .filter(Q(similarity__gte=CLOSE_WORD_SIMILARITY) | Q(word=word))
        .order_by("-same", "-similarity", "-documents", "word")
        .values_list("typed", "word", "documents", "similarity", "lexemes")[: limit + 1]
        for word in words
    ]
    # The known words the last word begins, in the same query: when it was cut short, the search reads it
    # as those words next (completed()), without asking again.
    start = fold(words[-1])
    begun = (
        _completion_rows(start)
        .annotate(typed=Value(None, output_field=TextField()))
        .annotate(similarity=Value(0.0, output_field=FloatField()))
        .values_list("typed", "word", "documents", "similarity", "lexemes")
    )
    branches.append(begun[: PREFIX_COMPLETIONS * 2])
    rows = branches[0].union(*branches[1:], all=True)
    found = {word: [] for word in words}
    lexemes, begun_rows = {}, []
    for typed, word, documents, similarity, its_lexemes in rows:
        lexemes[word] = list(its_lexemes)
        if typed is None:
            begun_rows.append((documents, word, its_lexemes))
        else:
            found[typed].append((word != typed, -similarity, -documents, word))
    postings.remember_lexemes(lexemes)
    begun_rows.sort(key=lambda row: (-row[0], row[1]))
    remember(_completions_key(start), _distinct_completions((word, its) for _n, word, its in begun_rows))
    # Back in each branch's order (a UNION ALL keeps none): the word itself, then `limit` others at most.
    close = {}
    for typed, rows in found.items():
        rows.sort()
        itself = [(word, -documents) for other, _s, documents, word in rows if not other]
        others = [(word, -documents) for other, _s, documents, word in rows if other]
        close[typed] = itself + others[:limit]
    return close


def refresh_postings(*, rebuild: bool = False, progress=None) -> dict[str, int]:
    return postings.refresh(rank_sql, rebuild=rebuild, progress=progress)


# The tables the search reads through GIN and its own indexes.
SEARCH_TABLES = "cases_casesearch, cases_casetitleword, cases_casestudy"


def analyze() -> None:
    """Bring the planner's statistics of the search's tables up to date (which words are common) and,
    outside a transaction, empty the GIN indexes' pending lists (VACUUM): after a bulk load every search
    reads through thousands of entries not yet merged into the index (at 100,000 cases, 21,417 in the
    index of title words made a type-ahead's index read 29 ms instead of 13)."""
    with connection.cursor() as cursor:
        if connection.in_atomic_block:  # VACUUM cannot run in a transaction
            cursor.execute(f"ANALYZE {SEARCH_TABLES}")
        else:
            cursor.execute(f"VACUUM (ANALYZE) {SEARCH_TABLES}")

"""The search documents the database keeps for each case, whatever writes the row.

On PostgreSQL, `CaseSearchIndex` (table cases_casesearch), one narrow row per case kept by a trigger on the
case table (migration 0016; the trigger as it is now: migration 0034): whether the case is published, its
search document (the english configuration's tsvector of the accent-folded text: the titles weighted A, the
summaries and organisations B, the narratives C, each in English and in the case's other languages; GIN
index) and a small ranking vector of the titles and summaries alone (the start of the document; GIN
index). Apart from the wide case table, reading which cases match a word and ranking them never reads the
cases' own pages: at 100,000 cases counting a word in 92% of them went from 0.8 s to 30 ms
(docs/benchmarks.md).

On SQLite the FTS5 table cases_casestudy_fts plays that part (migration 0015, cases/search/sqlite.py) and
cases_casesearch stays empty.

`CaseSearchDocument` was the expression of the former generated column (migration 0001 names it by this
path); `document_sql` and `ranking_sql` give the same expressions for the trigger.
"""

import re
import unicodedata

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Func
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

TITLE_FIELDS = ["title"]
SUMMARY_FIELDS = ["summary", "lead_organisation"]
NARRATIVE_FIELDS = [
    "overview",
    "what_is_innovative",
    "collaborations",
    "users_beneficiaries",
    "results_impact",
    "challenges_failures",
    "conditions_for_success",
    "replication",
    "lessons_learned",
]


# The case's text in its other languages (its original when not English, and its published translations),
# read nowhere but the search (issue 16), in three columns of the case kept by
# cases.services.case_language_search_refresh, each weighted as its English counterpart: the titles (A,
# as the title), the summaries and organisations (B) and the narratives (C). So a case whose Thai title says
# a word ranks as a case whose English title says it, above those that mention it in a narrative (migration
# 0034; before it, one column searched with the narrative).
OTHER_TITLE_FIELDS = ["search_other_titles"]
OTHER_SUMMARY_FIELDS = ["search_other_summaries"]
OTHER_NARRATIVE_FIELDS = ["search_other_languages"]
LANGUAGE_FIELDS = [*OTHER_TITLE_FIELDS, *OTHER_SUMMARY_FIELDS, *OTHER_NARRATIVE_FIELDS]


# Scripts written without spaces between words (Thai, Lao, Khmer, Myanmar, Chinese, Japanese kana), and
# Korean, whose words carry their particles: a word inside a run is found through overlapping pairs of
# characters (bigrams), as Lucene's CJK analyzer does. Each pair is written as one ASCII token, "x0" and its
# UTF-8 bytes in hexadecimal: every parser and stemmer leaves it whole (PostgreSQL reads it as a word of
# letters and digits, which the english configuration does not stem; FTS5's unicode61 as one token), so
# the database's own phrase search finds the pairs of a typed word, in order, on either database.
SPACELESS_RUN = re.compile(
    "["
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1780-\u17ff"  # Khmer
    "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"  # Hangul
    "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"  # Hiragana, Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # Han
    "]+"
)


def spaceless_tokens(run: str) -> list[str]:
    """The tokens of a run of spaceless text: each overlapping pair of characters (one character alone)."""
    pairs = [run[i : i + 2] for i in range(len(run) - 1)] or [run]
    return ["x0" + pair.encode().hex() for pair in pairs]


# PostgreSQL keeps a word's position in a document up to 16,383 and gives every later word that position,
# so that a phrase past it (a run's character pairs, which must follow each other) is never found. A
# document whose words may reach it carries LONG_DOCUMENT, and the search also finds a run's pairs in such a
# document in any order (cases/search/postgresql.py, _phrase_sql): fewer exact, never missed.
MOST_POSITIONS = 16_383
LONG_DOCUMENT = "x0long"
POSITION_MARGIN = 2000
_WORD = re.compile(r"\w+")


def _tokenised(texts) -> str:
    parts = []
    for text in texts:
        text = unicodedata.normalize("NFKC", text or "").casefold()
        parts.append(SPACELESS_RUN.sub(lambda run: " " + " ".join(spaceless_tokens(run.group())) + " ", text))
    return "\n".join(part for part in parts if part.strip())


def _may_pass_last_position(words_before: int, text: str) -> bool:
    # A margin: PostgreSQL's parser gives some words more positions than \w+ counts (e-government: 3).
    return words_before + len(_WORD.findall(text)) >= MOST_POSITIONS - POSITION_MARGIN


def language_search_text(texts, *, words_before: int = 0) -> str:
    """`texts` as the search reads them: every run of spaceless script replaced by its tokens, other text
    (Indonesian, Vietnamese, Turkish, Mongolian...) as written, which the database folds and reads as it
    reads English. `words_before`: the words the case's document holds besides this text (its own text);
    when the two may pass MOST_POSITIONS, the text ends with LONG_DOCUMENT."""
    text = _tokenised(texts)
    if text and _may_pass_last_position(words_before, text):
        text += f"\n{LONG_DOCUMENT}"
    return text


def other_languages_search_texts(original: dict, original_language: str, translated: list[dict]) -> dict:
    """What the search reads of a case's text in languages other than English, as {column: text} for the
    columns of LANGUAGE_FIELDS: its `original` text ({field: text}, TRANSLATED_CASE_FIELDS) when that is not
    English, then the text of each of its published translations (`translated`, one {field: text} each), the
    titles in OTHER_TITLE_FIELDS, the summaries and organisations in OTHER_SUMMARY_FIELDS, the narratives in
    OTHER_NARRATIVE_FIELDS. The narratives end with LONG_DOCUMENT when the case's document (its own text and
    all of these) may pass PostgreSQL's last position."""
    sources = [*([original] if original_language != "en" else []), *translated]
    texts = {}
    for column, fields in (
        (OTHER_TITLE_FIELDS[0], TITLE_FIELDS),
        (OTHER_SUMMARY_FIELDS[0], SUMMARY_FIELDS),
        (OTHER_NARRATIVE_FIELDS[0], NARRATIVE_FIELDS),
    ):
        texts[column] = _tokenised(source.get(name) for source in sources for name in fields)
    every = "\n".join(text for text in texts.values() if text)
    if every and _may_pass_last_position(word_count(original.values()), every):
        narratives = OTHER_NARRATIVE_FIELDS[0]
        texts[narratives] = "\n".join(filter(None, [texts[narratives], LONG_DOCUMENT]))
    return texts


def word_count(texts) -> int:
    """About how many positions `texts` take in a search document (each word one)."""
    return sum(len(_WORD.findall(text or "")) for text in texts)


@deconstructible(path="cases.models.search_document.CaseSearchDocument")
class CaseSearchDocument(Func):
    """The expression of the former generated column `CaseStudy.search_vector` (migrations 0001-0015)."""

    output_field = SearchVectorField()

    def __init__(self):
        super().__init__(*[F(name) for name in TITLE_FIELDS + SUMMARY_FIELDS + NARRATIVE_FIELDS])

    def _columns(self, compiler, connection):
        return [compiler.compile(expression)[0] for expression in self.get_source_expressions()]

    def as_postgresql(self, compiler, connection, **extra):
        columns = dict(
            zip(
                TITLE_FIELDS + SUMMARY_FIELDS + NARRATIVE_FIELDS,
                self._columns(compiler, connection),
                strict=True,
            )
        )

        def weighted(names, weight):
            text = " || ' ' || ".join(f"coalesce({columns[name]}, '')" for name in names)
            return f"setweight(to_tsvector('english'::regconfig, observatory_unaccent({text})), '{weight}')"

        sql = " || ".join(
            [weighted(TITLE_FIELDS, "A"), weighted(SUMMARY_FIELDS, "B"), weighted(NARRATIVE_FIELDS, "C")]
        )
        return f"({sql})", []

    def as_sql(self, compiler, connection, **extra):
        text = " || ' ' || ".join(f"coalesce({column}, '')" for column in self._columns(compiler, connection))
        return f"lower({text})", []


def _weighted(columns: list[str], weight: str) -> str:
    text = " || ' ' || ".join(f"coalesce({column}, '')" for column in columns)
    return f"setweight(to_tsvector('english'::regconfig, observatory_unaccent({text})), '{weight}')"


def document_sql(row: str, *, titles=(), summaries=(), narratives=()) -> str:
    """The search document of the case row `row` ("NEW", a table name): PostgreSQL SQL. `titles`,
    `summaries` and `narratives`: the columns of the case's other languages read after its own title (A),
    summary and organisation (B) and narrative (C). The migrations before 0031 read none; 0031 read
    search_other_languages as narrative; 0034 on, each of LANGUAGE_FIELDS with its weight."""
    columns = lambda names: [f"{row}.{name}" for name in names]  # noqa: E731
    return " || ".join(
        [
            _weighted(columns([*TITLE_FIELDS, *titles]), "A"),
            _weighted(columns([*SUMMARY_FIELDS, *summaries]), "B"),
            _weighted(columns([*NARRATIVE_FIELDS, *narratives]), "C"),
        ]
    )


def ranking_sql(row: str, *, titles=(), summaries=()) -> str:
    """The small ranking vector of the case row `row`: its titles (A) and its summaries and organisations (B),
    with the other languages' columns `titles` and `summaries` (as document_sql): the start of its
    document, lexemes and positions alike, so a case whose ranking vector matches a word matches it."""
    columns = lambda names: [f"{row}.{name}" for name in names]  # noqa: E731
    return " || ".join(
        [
            _weighted(columns([*TITLE_FIELDS, *titles]), "A"),
            _weighted(columns([*SUMMARY_FIELDS, *summaries]), "B"),
        ]
    )


class CaseSearchIndex(models.Model):
    """A case's search documents (PostgreSQL; see the module docstring). Written only by the database's
    trigger: nothing in Python writes or can forget it."""

    case = models.OneToOneField(
        "cases.CaseStudy",
        primary_key=True,
        # The database deletes the row with its case (ON DELETE CASCADE, migration 0016: Django cannot mix
        # a database-level on_delete with the case's own Python-level ones); Django never does.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="search_index",
        db_column="case_id",
    )
    published = models.BooleanField()
    published_at = models.DateTimeField(null=True)  # the library's order after the rank
    document = SearchVectorField()
    ranking = SearchVectorField()  # the titles and summaries, in every language the search reads

    class Meta:
        db_table = "cases_casesearch"
        verbose_name = _("search index entry")
        verbose_name_plural = _("search index entries")

    def __str__(self):
        return str(self.case_id)


class CaseTitleWord(models.Model):
    """A word of a published case's title, as the english configuration reads it (PostgreSQL; written only
    by the database's trigger, migration 0022). Type-ahead finds the titles with a word starting with what
    was typed through a range of this table's index, reading no more rows than it offers: the GIN index of
    the titles' words (migration 0020) gathers every match first, 70-96 ms at 1,000,000 cases for the start
    of a word in 10% of the titles. On SQLite the table stays empty (FTS5 has its own)."""

    pk = models.CompositePrimaryKey("word", "case")
    word = models.TextField()
    case = models.ForeignKey(
        "cases.CaseStudy",
        # The database deletes the rows with their case (ON DELETE CASCADE, migration 0022), as for
        # CaseSearchIndex; Django never does.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        # Indexed with the word instead (case, word: migration 0025), which type-ahead checks a title's
        # other words through and the cascade uses.
        db_index=False,
        related_name="+",
        db_column="case_id",
    )

    class Meta:
        db_table = "cases_casetitleword"
        verbose_name = _("title word")
        verbose_name_plural = _("title words")

    def __str__(self):
        return self.word

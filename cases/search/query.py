"""What a reader typed, understood the same way on every database: words, phrases, synonyms, vocabulary terms.

A query is read into *concepts*, all of which a case must match (AND). A concept is a word, a quoted
phrase, or the longest run of words that the thesaurus or a vocabulary knows ("artificial intelligence",
"one-stop shop", "Viet Nam"). Each concept has *alternatives*: what was typed and its synonyms from the
thesaurus, any of which may match (OR); and *tags*: the vocabulary terms it names (a theme, sector,
innovation facet, SDG, economy or region), whose cases it matches too, ranked below text matches.

Words are compared accents folded and case ignored ("Türkiye" = "turkiye"). Hyphenated terms and numbers
are kept whole ("covid-19", "e-procurement", "g2b"), and match as written: the database backends search
them as a phrase of their parts. Nothing here knows which database runs (cases/search/engine.py does).
"""

import re
import time
import unicodedata
from dataclasses import dataclass, field, replace

from django.db.models import Q

from cases.caching import CACHE_SECONDS, shared_vocabulary_version, vocabulary_snapshot
from cases.models import CaseStudy, ThesaurusEntry
from cases.models.facets import CHOICE, FACETS, FACETS_BY_PARAMETER, TERMS
from cases.models.search_document import SPACELESS_RUN, spaceless_tokens

MAX_QUERY_LENGTH = 200
MAX_CONCEPTS = 12
# The longest run of words a thesaurus term or vocabulary name may have to be recognised in a query.
MAX_PHRASE_WORDS = 6
# A last word is matched as a prefix (still being typed) only from this many letters: shorter words and
# acronyms ("AI", "tax") are complete words, not the start of "air" or "taxi".
PREFIX_MIN_LETTERS = 4

HYPHENS = "-\u2010\u2011\u2012\u2013"
# Combining marks belong to their word (Thai and Devanagari vowel signs are marks, not letters).
MARKS = re.escape(
    "".join(chr(code) for code in range(0x300, 0x10000) if unicodedata.category(chr(code)) in ("Mn", "Mc"))
)
WORD = re.compile(rf"[\w{MARKS}]+(?:[{HYPHENS}][\w{MARKS}]+)*", re.UNICODE)
QUOTED = re.compile(r'"([^"]*)"?|\u201c([^\u201d]*)\u201d?')
# Words that name nothing on their own: never a vocabulary tag by themselves.
CONNECTIVES = frozenset({"and", "of", "the", "for", "in", "on", "to", "a", "an", "or", "with", "by"})
# English stop words (PostgreSQL's english list): a typed phrase of only these is not read through the
# thesaurus or the vocabularies ("who did it" is no search for the World Health Organization); the
# databases ignore it.
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her
    hers herself it its itself they them their theirs themselves what which who whom this that these
    those am is are was were be been being have has had having do does did doing a an the and but if or
    because as until while of at by for with about against between into through during before after
    above below to from up down in out on off over under again further then once here there when where
    why how all any both each few more most other some such no nor not only own same so than too very s
    t can will just don should now""".split()  # noqa: SIM905 - a list of words reads best as words
)
# At most this many alternatives of a concept are searched (the typed words and their synonyms): an
# entry written before its limit (MAX_TERMS) or past admin cannot make every search slow.
MAX_ALTERNATIVES = 12


# Letters whose marks are accents to fold: Latin, Greek and Cyrillic (as PostgreSQL's unaccent and SQLite's
# remove_diacritics do). Elsewhere a mark is part of the letter: the voicing of Japanese kana (ガ is not
# カ), and a Hangul syllable must not come apart into its jamo.
ACCENTED_SCRIPTS_END = 0x0530
LATIN_EXTENDED_ADDITIONAL = range(0x1E00, 0x1F00)


def _folded_character(character: str) -> str:
    if ord(character) < ACCENTED_SCRIPTS_END or ord(character) in LATIN_EXTENDED_ADDITIONAL:
        decomposed = unicodedata.normalize("NFKD", character)
        return "".join(mark for mark in decomposed if not unicodedata.combining(mark))
    return unicodedata.normalize("NFKC", character)


def fold(text: str) -> str:
    """Lower case with accents removed from Latin, Greek and Cyrillic letters: "Türkiye" -> "turkiye",
    "MERNİS" -> "mernis"; other scripts as they are ("디지털", "デジタル")."""
    folded = "".join(_folded_character(character) for character in unicodedata.normalize("NFC", text))
    return folded.casefold().replace("\u0131", "i")  # the Turkish dotless i has no mark to remove


def words_of(text: str) -> list[str]:
    """The folded words of `text`, hyphenated terms kept whole with a plain hyphen."""
    return [re.sub(rf"[{HYPHENS}]", "-", word) for word in WORD.findall(fold(text)) if word.strip("_")]


def phrase_key(words) -> tuple[str, ...]:
    """How phrases are compared: hyphens as spaces ("e-government" = "e government")."""
    return tuple(part for word in words for part in word.split("-") if part)


@dataclass(frozen=True)
class Phrase:
    """Words that must appear together, in this order (one word is a phrase of one)."""

    words: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True)
class Concept:
    typed: Phrase
    alternatives: tuple[Phrase, ...]  # the typed phrase first, then its synonyms
    tags: frozenset = frozenset()  # {(facet parameter, value as in URLs)}
    quoted: bool = False
    prefix: bool = False  # the last word of `typed` is matched as the start of a word
    # The alternatives are the known words that the word typed (cut short) starts, and none of them is "the
    # word as typed" ranked above the others (cases/search/postgresql.py, completed()).
    completions: bool = False

    @property
    def asks_nothing(self) -> bool:
        """Stop words only, with no synonym or vocabulary term (_concept())."""
        return self.alternatives == (self.typed,) and all(
            word in STOP_WORDS for word in phrase_key(self.typed.words)
        )

    @property
    def is_single_word(self) -> bool:
        return len(self.typed.words) == 1 and "-" not in self.typed.words[0]


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    concepts: tuple[Concept, ...]

    def __bool__(self):
        return bool(self.concepts)

    @property
    def typed_words(self) -> list[str]:
        return [word for concept in self.concepts for word in concept.typed.words]

    @property
    def all_words(self) -> list[str]:
        """Every word that can match: typed and synonyms, each once (for highlighting)."""
        seen = []
        for concept in self.concepts:
            for phrase in concept.alternatives:
                for word in phrase.words:
                    if word not in seen:
                        seen.append(word)
        return seen

    def last_word_as_prefix(self) -> "ParsedQuery | None":
        """The same query with its last word matched as a prefix, when that can help (a single unquoted word
        of PREFIX_MIN_LETTERS letters or more); else None."""
        if not self.concepts:
            return None
        last = self.concepts[-1]
        if last.quoted or not last.is_single_word or len(last.typed.words[0]) < PREFIX_MIN_LETTERS:
            return None
        return replace(self, concepts=(*self.concepts[:-1], replace(last, prefix=True)))


# --- What the catalogue knows about words: the thesaurus and the vocabularies -----------------------


@dataclass
class Lexicon:
    """Known phrases (by phrase_key) -> their synonyms and the vocabulary terms they name."""

    version: int | None = None
    built_at: float = 0.0
    synonyms: dict[tuple, set[Phrase]] = field(default_factory=dict)
    tags: dict[tuple, set[tuple[str, str]]] = field(default_factory=dict)
    # Keys known only as a term's name in another language of the interface: read as tags, but not words
    # of the catalogue's word list, which corrects and completes what is typed in the catalogue's English.
    translated_only: set[tuple] = field(default_factory=set)

    _memo = None

    @classmethod
    def current(cls) -> "Lexicon":
        """Kept per vocabulary version in this process (thesaurus entries, vocabularies and economies bump
        it; a write to a case does not), built from the vocabulary snapshot (cases.caching): no query."""
        version = shared_vocabulary_version()
        memo = cls._memo
        fresh = memo is not None and time.time() - memo.built_at < CACHE_SECONDS
        if version is not None and fresh and memo.version == version:
            return memo
        lexicon = cls.build()
        lexicon.version = version
        if version is not None:
            cls._memo = lexicon
        return lexicon

    @classmethod
    def build(cls) -> "Lexicon":
        lexicon = cls(built_at=time.time())
        snapshot = vocabulary_snapshot()
        for (terms,) in snapshot.values(ThesaurusEntry, "terms"):
            phrases = {
                Phrase(tuple(words))
                for term in ThesaurusEntry(terms=terms).term_list
                if (words := words_of(term))
            }
            for phrase in phrases:
                lexicon.synonyms.setdefault(phrase_key(phrase.words), set()).update(phrases)
        # The names of the values of every facet held in rows (the facet table, cases/models/facets.py: the
        # vocabularies, the economies and their regions): (parameter, name, value as in URLs).
        names = [
            (facet.parameter, name, value)
            for facet in FACETS
            if facet.kind != CHOICE
            for value, name in snapshot.values(facet.model, facet.value_field, facet.label_field)
        ]
        english_keys = set()
        for parameter, name, _value in names:
            if name:
                whole = FACETS_BY_PARAMETER[parameter].whole_names
                english_keys |= {phrase_key(words_of(name))} if whole else name_parts(name)
        # And their names in every other language of the interface ("保健医療" names the health sector).
        names += [
            (facet.parameter, fields.get(facet.label_field), value)
            for facet in FACETS
            if facet.kind != CHOICE and "translations" in snapshot.columns[facet.model._meta.label]
            for value, translations in snapshot.values(facet.model, facet.value_field, "translations")
            for fields in (translations or {}).values()
        ]
        for parameter, name, value in names:
            if not name:
                continue
            whole = FACETS_BY_PARAMETER[parameter].whole_names
            keys = {phrase_key(words_of(name))} if whole else name_parts(name)
            for key in keys:
                lexicon.tags.setdefault(key, set()).add((parameter, str(value)))
        lexicon.translated_only = set(lexicon.tags) - english_keys - set(lexicon.synonyms)
        return lexicon

    def word_keys(self) -> list[tuple]:
        """The phrase keys whose words belong to the catalogue's word list: the thesaurus's, and the
        vocabulary names in English."""
        return [*self.synonyms, *(key for key in self.tags if key not in self.translated_only)]

    def knows(self, key: tuple) -> bool:
        return key in self.synonyms or key in self.tags


def name_parts(name: str) -> set[tuple]:
    """The phrase keys a vocabulary name is recognised by: the whole name, and each part of a list name
    ("Data and AI": "data", "ai"; "Public order, safety, justice and human rights": "public order",
    "safety", ...), never a lone connective."""
    keys = {phrase_key(words_of(name))}
    for part in re.split(r",|/|\band\b|&", fold(name)):
        key = phrase_key(words_of(part))
        if key and not (len(key) == 1 and key[0] in CONNECTIVES):
            keys.add(key)
    return {key for key in keys if key}


# --- Reading a query -------------------------------------------------------------------------------


def parse(text: str, lexicon: Lexicon | None = None) -> ParsedQuery:
    """Read `text` into concepts (see the module docstring). At most MAX_CONCEPTS concepts are kept."""
    text = " ".join((text or "").split())[:MAX_QUERY_LENGTH]
    lexicon = lexicon if lexicon is not None else Lexicon.current()
    concepts: list[Concept] = []
    position = 0
    for match in QUOTED.finditer(text):
        concepts += _concepts_of(text[position : match.start()], lexicon)
        quoted = words_of(match.group(1) if match.group(1) is not None else match.group(2) or "")
        if quoted:
            concepts.append(_concept(tuple(quoted), lexicon, quoted=True))
        position = match.end()
    concepts += _concepts_of(text[position:], lexicon)
    # A concept of stop words only asks nothing of a case on either database (PostgreSQL's english
    # configuration has no lexeme for it, FTS5's expression leaves it out): dropped here, so that a query
    # of nothing else ("under", "between") is the empty query, every case matching equally, read in the
    # library's own order, rather than a search that ranked every case of the catalogue (277 ms at
    # 100,000 cases).
    concepts = [concept for concept in concepts if not concept.asks_nothing]
    return ParsedQuery(text=text, concepts=tuple(concepts[:MAX_CONCEPTS]))


def _concepts_of(text: str, lexicon: Lexicon) -> list[Concept]:
    """Unquoted words: at each word, the longest run the lexicon knows, else the word alone."""
    words = words_of(text)
    concepts, start = [], 0
    while start < len(words):
        for end in range(min(len(words), start + MAX_PHRASE_WORDS), start, -1):
            run = tuple(words[start:end])
            if end - start == 1 or lexicon.knows(phrase_key(run)):
                concepts.append(_concept(run, lexicon))
                start = end
                break
    return concepts


def _spaceless_phrase(words) -> Phrase | None:
    """The words as the character-pair tokens of their runs of spaceless script, in order; None when they
    hold none. Text around a run (digits, Latin letters) is left to the typed words."""
    tokens = [
        token for word in words for run in SPACELESS_RUN.findall(word) for token in spaceless_tokens(run)
    ]
    return Phrase(tuple(tokens)) if tokens else None


def _concept(words: tuple[str, ...], lexicon: Lexicon, *, quoted: bool = False) -> Concept:
    typed = Phrase(words)
    key = phrase_key(words)
    if all(word in STOP_WORDS for word in key):
        return Concept(typed=typed, alternatives=(typed,), quoted=quoted)
    synonyms = sorted(lexicon.synonyms.get(key, ()), key=lambda phrase: phrase.words)
    # A synonym written differently only in its hyphens stays: "covid 19" also looks for "COVID-19".
    alternatives = (typed, *[phrase for phrase in synonyms if phrase != typed])[:MAX_ALTERNATIVES]
    spaceless = _spaceless_phrase(words)
    if spaceless is not None:
        # Thai, Chinese, Japanese, Korean: also the pairs of characters the text in other languages is
        # indexed by (search_document.language_search_text), which find the word inside a longer run.
        alternatives = (*alternatives[: MAX_ALTERNATIVES - 1], spaceless)
    tags = set()
    for phrase in alternatives:
        tags |= lexicon.tags.get(phrase_key(phrase.words), set())
    return Concept(typed=typed, alternatives=alternatives, tags=frozenset(tags), quoted=quoted)


def tagged_condition(tags) -> Q:
    """The cases tagged with any of `tags` ({(facet parameter, value)}), as a condition on CaseStudy."""
    by_parameter: dict[str, list[str]] = {}
    for parameter, value in tags:
        by_parameter.setdefault(parameter, []).append(value)
    condition = Q()
    for parameter, values in sorted(by_parameter.items()):
        facet = FACETS_BY_PARAMETER[parameter]
        if facet.kind == TERMS:
            relation = CaseStudy._meta.get_field(facet.relation)
            links = relation.remote_field.through.objects.filter(
                **{f"{relation.m2m_reverse_field_name()}__{facet.value_field}__in": sorted(values)}
            )
            condition |= Q(pk__in=links.values(relation.m2m_field_name()))
        else:
            condition |= Q(**{f"{facet.lookup}__in": sorted(values)})
    return condition

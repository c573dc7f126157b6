"""Phrases through the index of adjacent word pairs (migration 0021, PostgreSQL only): a phrase matches
exactly the cases PostgreSQL's own phrase operator finds, and a phrase of two words reads no document."""

import itertools
import re

import pytest
from django.db import connection
from django.db.models import F

from cases.models import CaseSearchIndex, CaseStudy
from cases.search.postgresql import ConceptMatch, _text_match
from cases.search.query import parse
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db

EDGE_PHRASES = [
    "head of state",  # a stop word inside: a gap, read as before
    "the digital government",  # a stop word before: still two words side by side
    "data data",  # one word twice
    "digital public service",  # three words: two pairs, then the document
    "o'brien's office",
    "the of and",  # stop words only: no words, matches as TextMatch does (everything)
    "government digital",  # the words of a case, in the other order
    "leads summary",  # the last word of the title, the first of the summary: not side by side
]


@pytest.fixture
def documents(on_postgresql):
    if not on_postgresql:
        pytest.skip("the word pairs index is PostgreSQL's; FTS5 reads phrases from its own index")
    return [
        CaseStudyFactory(title="Digital government leads", overview="Summary of data data sharing."),
        CaseStudyFactory(title="Head of state portal", overview="The government, digital and open."),
        CaseStudyFactory(title="Digital public service", overview="O'Brien's office of head state."),
        CaseStudyFactory(title="Public digital services", overview="A digital public and government."),
        CaseStudyFactory(title="Draft digital government", overview="Hidden.", status="draft"),
    ]


def by_phrase_operator(phrase: str) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT case_id FROM cases_casesearch WHERE numnode(phraseto_tsquery('english', "
            "observatory_unaccent(%s))) = 0 OR document @@ phraseto_tsquery('english', "
            "observatory_unaccent(%s))",
            [phrase, phrase],
        )
        return {row[0] for row in cursor.fetchall()}


def by_word_pairs(phrase: str):
    concepts = parse(f'"{phrase}"').concepts
    if not concepts:
        # Stop words only: the query asks nothing and every case matches, as the phrase operator says.
        return None, set(CaseSearchIndex.objects.values_list("case_id", flat=True))
    (concept,) = concepts
    condition = _text_match(F("document"), concept)
    return condition, set(CaseSearchIndex.objects.filter(condition).values_list("case_id", flat=True))


def adjacent_phrases() -> set[str]:
    """Every pair and triple of adjacent words of every stored case's text, and of their words reversed."""
    phrases = set()
    for title, overview in CaseStudy.objects.values_list("title", "overview"):
        words = re.findall(r"[\w']+", f"{title} {overview}")
        phrases |= {" ".join(pair) for pair in itertools.pairwise(words)}
        phrases |= {" ".join(reversed(pair)) for pair in itertools.pairwise(words)}
        phrases |= {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}
    return phrases


def test_a_phrase_matches_where_the_phrase_operator_does(documents):
    phrases = adjacent_phrases() | set(EDGE_PHRASES)
    assert len(phrases) > 50
    for phrase in sorted(phrases):
        _condition, found = by_word_pairs(phrase)
        assert found == by_phrase_operator(phrase), phrase
    # The phrases tried went through the pairs, not around them.
    assert isinstance(by_word_pairs("digital government")[0], ConceptMatch)
    assert by_word_pairs("digital government")[1] == {documents[0].pk, documents[4].pk}
    assert by_word_pairs("head of state")[1] == {documents[1].pk}


def plan(phrase: str) -> str:
    (concept,) = parse(f'"{phrase}"').concepts
    rows = CaseSearchIndex.objects.filter(_text_match(F("document"), concept)).values("case_id")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = rows.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_phrase_of_two_words_is_found_in_the_index_alone(documents):
    two = plan("harbour pilots")
    assert "casesearch_word_pairs" in two
    # The choice between the pair and the document was made as PostgreSQL planned: no document is read.
    assert "<->" not in two
    assert "document @@" not in two
    # Three words: the pairs only narrow the candidates (the planner may use them or not); the order of the
    # words is still checked in the document.
    three = plan("harbour pilots teach")
    assert "<->" in three
    gap = plan("head of state")
    assert "casesearch_word_pairs" not in gap
    assert "<2>" in gap

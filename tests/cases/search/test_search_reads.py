"""How a search reads the database (issue 15): the matching cases, once known, stand for the match in the
ranking and in a filtered page (same results, same order); a phrase with synonyms is matched in branches
(the same cases as one condition); lexemes and pairs are read in one statement. (A request reads each
posting once: tests/cases/search/test_postings.py, whose catalogue has no thesaurus.)"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import CaseStudy, Sector
from cases.search import engine, postings
from cases.search.query import parse
from tests.factories import reference

pytestmark = pytest.mark.django_db

# Plain words, a common word, phrases whose thesaurus synonyms are phrases of two and three words and a
# hyphenated term, a quoted phrase, a vocabulary name, a typo-free acronym.
QUERIES = [
    "telemedicine",
    "digital",
    "digital services",
    "open data",
    '"open data"',
    "e-government",
    "one-stop shop",
    "health",
    "AI",
    "flood",
]


def published_matches(query) -> set[int]:
    published = set(CaseStudy.objects.published().values_list("pk", flat=True))
    return set(engine.matching_case_ids(query)) & published


@pytest.mark.parametrize("text", QUERIES)
def test_the_matches_stand_for_the_match_in_the_ranking_with_the_same_page(demo, text):
    query = parse(text)
    matches = published_matches(query)
    assert matches, text
    for offset, limit in [(0, 20), (0, 5), (5, 5), (len(matches) - 2, 5)]:
        offset = max(offset, 0)
        assert engine.ranked_case_ids(query, offset, limit, matches=matches) == engine.ranked_case_ids(
            query, offset, limit
        ), (text, offset)


@pytest.mark.parametrize("text", QUERIES)
def test_the_matches_stand_for_the_match_in_a_filtered_search(demo, text):
    query = parse(text)
    health = CaseStudy.objects.published().filter(sectors=reference(Sector, slug="health"))
    order = ("-search_rank", "-published_at", "-pk")
    searched = list(engine.search_cases(health, query).order_by(*order).values_list("pk", "search_rank"))
    looked_up = engine.search_cases(health, query, matches=published_matches(query))
    assert list(looked_up.order_by(*order).values_list("pk", "search_rank")) == searched


@pytest.mark.parametrize("text", QUERIES)
def test_a_phrase_with_synonyms_matches_the_same_cases_in_branches(demo, text):
    """On PostgreSQL a phrase with synonyms is matched in branches of one UNION ALL; the cases are those
    the one condition a filtered search reads finds (on SQLite both are FTS5's)."""
    query = parse(text)
    said = engine.search_cases(CaseStudy.objects.published(), query).values_list("pk", flat=True)
    assert published_matches(query) == set(said)


def test_the_lexemes_of_words_and_the_pairs_of_phrases_come_in_one_statement(on_postgresql):
    if not on_postgresql:
        pytest.skip("lexemes and pairs are PostgreSQL's parser's; FTS5 tokenises on its own")
    words, phrases = ["telehealth", "e-health", "Türkiye"], ["digital health", "head of state", "open data"]
    postings._lexemes_seen.clear()
    expected = (postings._read_lexemes(words), postings._read_pairs(phrases))
    postings._lexemes_seen.clear()
    with CaptureQueriesContext(connection) as queries:
        assert postings.lexemes_and_pairs(words, phrases) == expected
        assert postings.lexemes_and_pairs(words[:1], phrases[:1]) == ([expected[0][0]], [expected[1][0]])
        assert postings.pairs_of(["head of state"]) == [None]  # not a pair, and remembered as such
    assert len(queries) == 1
    assert expected[1][0] == "digit health"
    assert expected[1][1] is None  # a stop word between: not a pair

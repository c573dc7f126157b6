"""The table of published titles' words (migration 0022, PostgreSQL only): kept by the database whatever
writes a case, and type-ahead through it offers the titles the index of title words finds."""

import pytest

from cases.models import CaseStudy, CaseTitleWord
from cases.search.postgresql import Matches, TitleWords, TsQuery, _start_sql, title_matches
from cases.search.query import parse
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def titles(on_postgresql):
    if not on_postgresql:
        pytest.skip("the table of title words serves PostgreSQL's type-ahead; SQLite's FTS5 has its own")
    return [
        CaseStudyFactory(title="Tackling floods in river towns"),
        CaseStudyFactory(title="Flood warnings by text message"),
        CaseStudyFactory(title="Tackle box for school lunches"),
        CaseStudyFactory(title="Café culture and the night-time economy"),
        CaseStudyFactory(title="Draft: tackling litter", status="draft"),
    ]


def words_of(case) -> set[str]:
    return set(CaseTitleWord.objects.filter(case=case).values_list("word", flat=True))


def test_the_database_keeps_the_words_of_published_titles(titles):
    tackling, flood, _tackle, cafe, draft = titles
    assert words_of(tackling) == {"tackl", "flood", "river", "town"}
    assert words_of(cafe) >= {"cafe", "cultur"}  # accents folded, as the documents are
    assert words_of(draft) == set()
    draft.status, draft.published_at = "published", tackling.published_at
    draft.save()
    assert words_of(draft) == {"draft", "tackl", "litter"}
    tackling.title = "Flood defences"
    tackling.save()
    assert words_of(tackling) == {"flood", "defenc"}
    CaseStudy.objects.filter(pk=flood.pk).update(status="draft")  # raw writes too: the trigger sees them
    assert words_of(flood) == set()
    tackling_pk = tackling.pk
    tackling.delete()
    assert not CaseTitleWord.objects.filter(case_id=tackling_pk).exists()


def _typed_start_sql(word):
    """A word typed for type-ahead as a tsquery: the start of a lexeme as typed, or the word stemmed."""
    sql, params = _start_sql(word)
    return f"({sql} || plainto_tsquery('english', observatory_unaccent(%s)))", [*params, word]


def through_the_title_index(text) -> set[int]:
    """What the GIN index of title words finds for one start of a word (migration 0020)."""
    sql, params = _typed_start_sql(text)
    return set(
        CaseStudy.objects.published()
        .filter(Matches(TitleWords(), TsQuery(sql, params)))
        .values_list("pk", flat=True)
    )


@pytest.mark.parametrize(
    "typed", ["tack", "tackling", "tackles", "flo", "floods", "caf", "cafe", "town", "towns", "the", "zz"]
)
def test_one_start_of_a_word_finds_what_the_title_index_finds(titles, typed):
    found = set(title_matches(CaseStudy.objects.published(), parse(typed)).values_list("pk", flat=True))
    assert found == through_the_title_index(typed)
    if typed in ("tack", "flo"):
        assert len(found) == 2


def through_the_title_index_for_every(words) -> set[int]:
    """What the GIN index of title words finds for several starts of words, all of them in the title."""
    parts = [_typed_start_sql(word) for word in words]
    sql = "(" + " && ".join(part for part, _params in parts) + ")"
    params = [param for _part, part_params in parts for param in part_params]
    return set(
        CaseStudy.objects.published()
        .filter(Matches(TitleWords(), TsQuery(sql, params)))
        .values_list("pk", flat=True)
    )


@pytest.mark.parametrize(
    "typed",
    [
        "tackling flo",
        "flood tack",
        "floods tackles",
        "river tack",
        "tack the",
        "the tack",
        "night-time eco",
        "tack zz",
        "50%_ tack",
    ],
)
def test_several_starts_of_words_find_what_the_title_index_finds(titles, typed):
    found = set(title_matches(CaseStudy.objects.published(), parse(typed)).values_list("pk", flat=True))
    words = [part for word in parse(typed).typed_words for part in word.split("-") if part]
    # A stop word asks nothing of the title, as in the documents.
    assert found == through_the_title_index_for_every([word for word in words if word != "the"])
    if typed in ("tackling flo", "flood tack", "river tack"):
        assert found == {titles[0].pk}  # and never the draft, which says both


def test_several_starts_seldom_in_one_title_are_found_among_many_titles_with_each(titles):
    # Many titles start a word with "tack" and many with "lunch", one with both: found, whichever the
    # database reads first.
    for n in range(30):
        CaseStudyFactory(title=f"Tackle number {n}")
        CaseStudyFactory(title=f"Lunches served {n}")
    lunch = titles[2]
    for typed in ("tackle lunch", "lunch tack", "school lunch tackl"):
        matches = title_matches(CaseStudy.objects.published(), parse(typed))
        assert set(matches.values_list("pk", flat=True)) == {lunch.pk}

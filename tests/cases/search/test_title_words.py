"""The table of published titles' words (migration 0022, PostgreSQL only): kept by the database whatever
writes a case, and type-ahead through it offers the titles the index of title words finds."""

import pytest

from cases.models import CaseStudy, CaseTitleWord
from cases.search.postgresql import Matches, TitleWords, TsQuery, _prefix_sql, title_matches
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


def through_the_title_index(text) -> set[int]:
    """What the GIN index of title words finds for one start of a word (migration 0020)."""
    sql, params = _prefix_sql(text)
    return set(
        CaseStudy.objects.published()
        .filter(Matches(TitleWords(), TsQuery(sql, params)))
        .values_list("pk", flat=True)
    )


@pytest.mark.parametrize("typed", ["tack", "tackling", "flo", "floods", "caf", "cafe", "town", "the", "zz"])
def test_one_start_of_a_word_finds_what_the_title_index_finds(titles, typed):
    found = set(title_matches(CaseStudy.objects.published(), parse(typed)).values_list("pk", flat=True))
    assert found == through_the_title_index(typed)
    if typed in ("tack", "flo"):
        assert len(found) == 2

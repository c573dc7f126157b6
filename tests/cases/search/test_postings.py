"""The posting lists of common words (cases/search/postings.py, PostgreSQL only): the matches they give are
the full-text index's, before and after writes nobody refreshed them for; unpublished cases are never
counted; a reader never shares state from an uncommitted transaction; and whatever they cannot answer
(phrases, prefixes, rare words, a write too large) goes through the index as before."""

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cases.filters import CaseStudyFilterSet
from cases.models import CaseStudy, Sector
from cases.search import engine, postings
from cases.search.query import parse
from tests.factories import CaseStudyFactory, reference

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_postings(on_postgresql, settings):
    """A small catalogue whose common words have postings: every word in 2 cases or more is common."""
    if not on_postgresql:
        pytest.skip("postings serve PostgreSQL's full-text search; SQLite's FTS5 index has its own")
    settings.SEARCH_POSTING_MIN_CASES = 2
    education = reference(Sector, slug="education")
    cases = {
        "harbour": [CaseStudyFactory(title=f"Harbour logistics {n}", sectors=[education]) for n in range(4)],
        "ferry": [
            CaseStudyFactory(title=f"Ferry timetable {n}", overview="Harbour pilots teach education visits.")
            for n in range(3)
        ],
        "other": [CaseStudyFactory(title=f"Rural clinics {n}", overview="Telemedicine.") for n in range(3)],
        "draft": [CaseStudyFactory(title=f"Harbour draft {n}", status="draft") for n in range(2)],
    }

    def refresh():
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE cases_casesearch")
        return engine.refresh_postings()

    refresh()
    yield cases, refresh
    cache.delete(postings.index_key())


def changed(case, **fields):
    """`case` with `fields` changed and saved (a curator's edit, through the ORM's signals)."""
    for name, value in fields.items():
        setattr(case, name, value)
    case.save()
    return case


def from_index(query) -> set[int]:
    """What the full-text index says, without postings."""
    return set(
        CaseStudy.objects.published()
        .filter(pk__in=engine.search_cases(CaseStudy.objects.published(), query).values("pk"))
        .values_list("pk", flat=True)
    )


def from_postings(query):
    from cases.search.postgresql import _matching_ids_from_postings

    matches = _matching_ids_from_postings(parse(query))
    return None if matches is None else set(matches)


def test_common_words_get_postings_that_match_the_index(with_postings):
    cases, _refresh = with_postings
    assert {"harbour", "ferri", "telemedicin"} <= postings.lexemes_with_postings()
    harbour = {case.pk for case in cases["harbour"] + cases["ferry"]}
    assert from_postings("harbour") == from_index("harbour") == harbour
    assert from_postings("harbour ferry") == from_index("harbour ferry") == {c.pk for c in cases["ferry"]}
    # Drafts have the word; they are in no posting.
    assert not {case.pk for case in cases["draft"]} & from_postings("harbour")


def test_writes_nobody_refreshed_for_are_applied_by_the_reader(with_postings):
    cases, _refresh = with_postings
    published_draft = changed(
        cases["draft"][0], status="published", published_at=cases["harbour"][0].published_at
    )
    withdrawn = changed(cases["harbour"][1], status="draft")
    reworded = changed(cases["ferry"][0], overview="Island pilots.")
    added = CaseStudyFactory(title="Harbour cranes")
    expected = from_index("harbour")
    assert {published_draft.pk, added.pk} <= expected
    assert not {withdrawn.pk, reworded.pk} & expected
    assert from_postings("harbour") == expected


def test_common_pairs_of_words_get_postings_that_match_the_index(with_postings):
    """A quoted phrase of two common words side by side is counted from the posting of its pair (migration
    0021), kept exact under writes nobody refreshed it for, like a word's."""
    cases, _refresh = with_postings
    assert {"harbour logist", "harbour pilot"} <= postings.lexemes_with_postings()
    logistics = {case.pk for case in cases["harbour"]}
    assert from_postings('"harbour logistics"') == from_index('"harbour logistics"') == logistics
    assert (
        from_postings('"harbour pilots"') == from_index('"harbour pilots"') == {c.pk for c in cases["ferry"]}
    )
    # Both words, not side by side: no pair, so no posting answers (the index does).
    assert from_postings('"logistics harbour"') is None
    assert from_postings('"harbour pilots teach"') is None  # three words: read through the index
    # Writes nobody refreshed for: a draft published, a case withdrawn, one reworded, one added.
    published_draft = changed(
        cases["draft"][0],
        title="Harbour logistics draft",
        status="published",
        published_at=cases["harbour"][0].published_at,
    )
    changed(cases["harbour"][1], status="draft")
    changed(cases["harbour"][2], title="Logistics of the harbour")
    added = CaseStudyFactory(title="Ferry", overview="New harbour logistics hub.")
    expected = from_index('"harbour logistics"')
    assert expected == {cases["harbour"][0].pk, cases["harbour"][3].pk, published_draft.pk, added.pk}
    assert from_postings('"harbour logistics"') == expected


def test_a_reader_inside_an_uncommitted_write_keeps_its_view_to_itself(with_postings):
    """What a reader applies inside a transaction that has written is right for it, and is not stored where
    other processes would read it before it commits (or at all, after a rollback)."""
    cases, _refresh = with_postings
    stored = cache.get(postings.cache_key("harbour"))
    withdrawn = cases["harbour"][0]
    seen = {}

    def write_and_read_then_roll_back():
        with transaction.atomic():
            withdrawn.status = "draft"
            withdrawn.save()
            seen["inside"] = from_postings("harbour")
            seen["stored"] = cache.get(postings.cache_key("harbour")).cases
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        write_and_read_then_roll_back()
    assert withdrawn.pk not in seen["inside"]
    assert seen["stored"] == stored.cases
    assert withdrawn.pk in from_postings("harbour")


def test_the_refresh_leaves_a_few_changes_to_readers_and_applies_many_itself(with_postings, monkeypatch):
    """After a write, the refresh loads no posting while readers have little to apply (COMPACT_ROWS);
    past that, it brings every posting up to date, the changed rows read a few lexemes at a time."""
    monkeypatch.setattr(postings, "LEXEMES_PER_READ", 2)
    cases, refresh = with_postings
    stored = cache.get(postings.cache_key("harbour"))
    reworded = changed(cases["ferry"][2], overview="Island pilots.")
    assert refresh()["updated"] == 0
    assert cache.get(postings.cache_key("harbour")).cases == stored.cases
    assert reworded.pk not in from_postings("harbour")  # the reader applied it
    monkeypatch.setattr(postings, "COMPACT_ROWS", 1)
    withdrawn = changed(cases["harbour"][0], status="draft")
    assert refresh()["updated"] > 4
    posting = cache.get(postings.cache_key("harbour"))
    assert withdrawn.pk not in posting.cases
    assert set(posting.cases) == from_index("harbour")
    assert len(postings.lexemes_with_postings()) > 4
    for lexeme, word in [("ferri", "ferry"), ("timet", "timetable"), ("telemedicin", "telemedicine")]:
        assert set(cache.get(postings.cache_key(lexeme)).cases) == from_index(word), word


def test_deleted_cases_are_never_counted(with_postings, client):
    cases, _refresh = with_postings
    deleted = cases["harbour"][0]
    deleted_pk = deleted.pk
    deleted.delete()
    response = client.get("/api/v1/cases/", {"q": "harbour", "page_size": 100})
    assert response.status_code == 200
    assert deleted_pk not in from_index("harbour")
    assert response.json()["count"] == len(from_index("harbour")) == 6


def test_library_and_api_counts_are_the_same_with_and_without_postings(with_postings, client, settings):
    """Words, a synonym-free pair, a word naming a sector (its tagged cases too), a facet with words."""
    cases, _refresh = with_postings
    queries = [
        {"q": "harbour"},
        {"q": "harbour ferry"},
        {"q": "education"},
        {"q": "harbour", "economy": "SG"},
        {"q": "telemedicine"},
    ]
    with_them = [client.get("/api/v1/cases/", query).json()["count"] for query in queries]
    facets_with = client.get("/api/v1/cases/facet-counts/", {"q": "harbour"}).json()
    # The sector's name went through the postings, its tagged cases added (4 tagged, 3 that say it).
    assert from_postings("education") == {case.pk for case in cases["harbour"] + cases["ferry"]}
    cache.delete(postings.index_key())
    cache.clear()
    without = [client.get("/api/v1/cases/", query).json()["count"] for query in queries]
    assert with_them == without
    assert client.get("/api/v1/cases/facet-counts/", {"q": "harbour"}).json() == facets_with
    assert with_them[0] == 7


@pytest.mark.parametrize(
    "query",
    ['"harbour pilots teach"', '"logistics harbour"', "harb", "harbour cranes", "telemedicine-harbour"],
)
def test_what_postings_cannot_answer_goes_through_the_index(with_postings, query):
    """A quoted phrase of three words or of words never side by side, a word still being typed (prefix), a
    word with no posting, a hyphenated term: no postings, and the library still finds what the index
    finds."""
    assert from_postings(query) is None
    filterset = CaseStudyFilterSet({"q": query}, queryset=CaseStudy.objects.published())
    assert filterset.is_valid()
    if filterset.understood_search().query == parse(query):
        assert set(engine.matching_case_ids(query)) == from_index(query)


def test_a_write_too_large_for_a_reader_is_left_to_the_refresh(with_postings, monkeypatch):
    cases, refresh = with_postings
    monkeypatch.setattr(postings, "MAX_CHANGES", 2)
    monkeypatch.setattr(postings, "COMPACT_ROWS", 2)
    for case in cases["harbour"]:
        case.title = case.title.replace("Harbour", "Port")
        case.save()
    assert from_postings("harbour") is None
    assert set(engine.matching_case_ids("harbour")) == from_index("harbour") == {c.pk for c in cases["ferry"]}
    refresh()  # the task has no such limit
    assert set(cache.get(postings.cache_key("harbour")).cases) == from_index("harbour")


def test_nothing_is_kept_for_a_catalogue_too_small_to_need_postings(on_postgresql, settings):
    if not on_postgresql:
        pytest.skip("PostgreSQL only")
    settings.SEARCH_POSTING_MIN_CASES = 5000
    CaseStudyFactory(title="Harbour logistics")
    assert engine.refresh_postings()["lexemes"] == 0
    assert postings.lexemes_with_postings() == frozenset()
    assert from_postings("harbour") is None


def test_the_command_rebuilds_the_word_list_and_every_posting(with_postings):
    from io import StringIO

    from django.core.management import call_command

    stale = postings.Posting("harbour", 0, postings.FrozenBitMap([999_999]), 0.0)
    cache.set(postings.cache_key("harbour"), stale)
    out = StringIO()
    call_command("refresh_search", "--rebuild", stdout=out)
    assert "Search refreshed:" in out.getvalue().splitlines()[-1]
    assert set(cache.get(postings.cache_key("harbour")).cases) == from_index("harbour")


def test_the_command_runs_on_either_database(db):
    from io import StringIO

    from django.core.management import call_command

    CaseStudyFactory(title="Harbour logistics")
    out = StringIO()
    call_command("refresh_search", stdout=out)
    assert out.getvalue().splitlines()[-1].startswith("Search refreshed:")


def test_two_catalogues_sharing_a_cache_never_read_each_others_postings(with_postings, settings):
    from django.db import connection

    key = postings.cache_key("harbour")
    assert cache.get(key) is not None
    original = dict(connection.settings_dict)
    try:
        connection.settings_dict["NAME"] = "another_catalogue"
        assert postings.cache_key("harbour") != key
        assert postings.lexemes_with_postings() == frozenset()
    finally:
        connection.settings_dict.update(original)


def expected_order(query) -> list[int]:
    ordering = CaseStudyFilterSet.ordering("relevance", has_words=True)
    return list(
        engine.search_cases(CaseStudy.objects.published(), query)
        .order_by(*ordering)
        .values_list("pk", flat=True)
    )


def assert_every_page_in_order(query):
    expected = expected_order(query)
    for offset in range(len(expected) + 1):
        for limit in (1, 2, 3, 5):
            assert engine.ranked_case_ids(query, offset, limit) == expected[offset : offset + limit], (
                offset,
                limit,
            )
    return expected


@pytest.mark.parametrize("top", [200, 3])
def test_a_common_words_pages_come_from_its_top_list_in_the_librarys_order(with_postings, monkeypatch, top):
    """The page of a one-word search is read from the word's top list (no SQL ranking) and is the filtered
    queryset's order on every page, before and after writes nobody refreshed for: a case moving up into the
    list, one dropping out of it, one withdrawn, one added. With a list shorter than the cases (3), pages
    past it come from SQL."""
    from cases.search.postgresql import _ranked_ids_from_posting

    monkeypatch.setattr(postings, "TOP", top)
    cases, _refresh = with_postings
    engine.refresh_postings(rebuild=True)
    assert_every_page_in_order("harbour")
    assert _ranked_ids_from_posting(parse("harbour"), 0, 2) is not None

    changed(cases["ferry"][1], title="Harbour ferry timetable")  # now says it in its title: up into the list
    changed(cases["harbour"][0], title="Port logistics")  # no longer in its title or summary: out of the list
    withdrawn = changed(cases["harbour"][1], status="draft")
    CaseStudyFactory(title="Harbour harbour cranes", summary="The harbour's new cranes.")
    cases["harbour"][2].delete()  # leaves no changed row: the list must not show it
    expected = assert_every_page_in_order("harbour")
    assert withdrawn.pk not in expected
    assert _ranked_ids_from_posting(parse("harbour"), 0, 1) == expected[:1]


@pytest.mark.parametrize("word", ["pilots", "harbour"])
def test_pages_past_a_whole_top_list_are_the_other_matches_newest_first(with_postings, monkeypatch, word):
    """A word whose top list holds every case with it in its title or summary ("pilots": none, only
    narratives say it; "harbour": four titles, three narratives): the pages past the list are its other
    matches, newest first, read by walking the newest cases (in chunks of 2 here), before and after writes
    nobody refreshed for; when they lie deeper than the chunks, through the ids."""
    from cases.search import postgresql

    cases, _refresh = with_postings
    engine.refresh_postings(rebuild=True)
    monkeypatch.setattr(postgresql, "NEWEST_CHUNKS", (2, 3))
    expected = assert_every_page_in_order(word)
    posting = postings.current_postings([postings.lexemes_of([word])[0][0]], postgresql.rank_sql)
    (posting,) = posting.values()
    assert posting.complete
    assert (
        postgresql._ranked_ids_past_a_whole_top_list(posting, len(posting.top), 2)
        == (expected[len(posting.top) : len(posting.top) + 2])
    )
    changed(cases["ferry"][2], overview="Pilots and harbour pilots.")  # reworded, still says it
    withdrawn = changed(cases["ferry"][0], status="draft")
    CaseStudyFactory(title="Night ferry", overview="Harbour pilots on call.")  # the newest
    expected = assert_every_page_in_order(word)
    assert withdrawn.pk not in expected
    monkeypatch.setattr(postgresql, "NEWEST_CHUNKS", (1,))  # too few to reach the page: through the ids
    assert_every_page_in_order(word)


def test_a_common_phrase_reads_its_pages_from_its_pairs_top_list_in_the_librarys_order(with_postings):
    """A quoted phrase of two words whose pair is common: its pages come from the pair's top list (the
    phrase's rank among the cases that have it), in the filtered queryset's order on every page, before and
    after writes nobody refreshed for: a case whose title has both words apart but whose document never has
    them side by side (no match at all), one with the phrase only in its narrative and both words in its
    title (ranked), one withdrawn."""
    from cases.search.postgresql import _ranked_ids_from_posting

    cases, _refresh = with_postings
    phrase = '"harbour logistics"'
    engine.refresh_postings(rebuild=True)
    assert cache.get(postings.cache_key("harbour logist")).top
    assert_every_page_in_order(phrase)
    assert _ranked_ids_from_posting(parse(phrase), 0, 2) == expected_order(phrase)[:2]

    apart = CaseStudyFactory(title="Logistics of a harbour", summary="Harbour cranes and their logistics.")
    narrative = changed(
        cases["ferry"][0], title="Logistics for the harbour ferry", overview="Harbour logistics by sea."
    )
    withdrawn = changed(cases["harbour"][1], status="draft")
    expected = assert_every_page_in_order(phrase)
    assert apart.pk not in expected
    assert withdrawn.pk not in expected
    assert narrative.pk in expected
    assert _ranked_ids_from_posting(parse(phrase), 0, 3) == expected[:3]


def test_a_word_naming_a_term_reads_its_pages_from_the_top_list_with_the_terms_bonus(with_postings):
    """A common word that names a vocabulary term ("education", a sector the harbour cases are tagged with
    and the ferry cases only say): its pages come from the word's top list with the tag bonus added, in the
    filtered queryset's order, and every page the list cannot vouch for comes from SQL; before and after a
    tagged case is withdrawn and another starts saying the word."""
    from cases.insights.bitmaps import CatalogueBitmaps
    from cases.search.postgresql import _ranked_ids_from_posting

    cases, _refresh = with_postings
    titled = CaseStudyFactory(title="Education for harbour pilots", summary="Education afloat.")
    says_and_tagged = changed(cases["harbour"][3], summary="Harbour education for crane drivers.")
    engine.refresh_postings(rebuild=True)
    query = parse("education")
    assert query.concepts[0].tags, "the word names the sector"

    def assert_pages_in_order():
        tagged = CatalogueBitmaps.current().tagged
        expected = expected_order(query)
        for offset in range(len(expected) + 1):
            for limit in (1, 2, 5):
                page = engine.ranked_case_ids(query, offset, limit, tagged_cases=tagged)
                assert page == expected[offset : offset + limit], (offset, limit)
        return expected, tagged

    expected, tagged = assert_pages_in_order()
    # The first page, from the list alone: the cases that say it in their title or summary (one of them
    # tagged); then the other tagged cases, which the list cannot vouch for.
    assert _ranked_ids_from_posting(query, 0, 2, tagged_cases=tagged) == expected[:2]
    assert set(expected[:2]) == {titled.pk, says_and_tagged.pk}
    assert set(expected[2:5]) == {case.pk for case in cases["harbour"][:3]}
    assert _ranked_ids_from_posting(query, 2, 1, tagged_cases=tagged) is None
    # Without the tagged cases at hand it is not read this way.
    assert _ranked_ids_from_posting(query, 0, 2) is None

    withdrawn = changed(cases["harbour"][0], status="draft")
    changed(cases["ferry"][0], summary="Education on the water for school classes.")
    expected, _tagged = assert_pages_in_order()
    assert withdrawn.pk not in expected


@pytest.mark.parametrize(
    "query", ["harbour logistics", "logistics harbour", "harbour ferry", "harbour pilots"]
)
def test_several_common_words_are_ranked_among_the_cases_with_all_of_them_in_the_librarys_order(
    with_postings, query
):
    """A search of several common words is ranked first among the cases whose title or summary has every
    one of them (a case lacking one ranks at most the others' best over their number): every page in the
    filtered queryset's order, before and after writes nobody refreshed for; pages past those cases, or
    where a case with one word could rank higher, come from the whole ranking."""

    cases, _refresh = with_postings
    CaseStudyFactory(title="Ferry harbour", summary="Harbour ferry crossings.")
    CaseStudyFactory(title="Logistics, logistics", summary="Logistics of logistics.")  # one word, often
    engine.refresh_postings(rebuild=True)
    assert_every_page_in_order(query)
    changed(cases["ferry"][1], title="Harbour ferry pilots")  # now has the words in its title
    withdrawn = changed(cases["harbour"][1], status="draft")
    expected = assert_every_page_in_order(query)
    assert withdrawn.pk not in expected


@pytest.mark.parametrize("top", [200, 3])
def test_a_word_cut_short_is_counted_and_ranked_through_the_postings_of_the_words_it_begins(
    with_postings, monkeypatch, top
):
    """A word cut short stands for the known words it begins: the common ones ("harbour", "harbinger") are
    counted from their postings and a rare one ("harborside") through the index, and every page comes in the
    library's order, from their top lists while no other case can rank on it, before and after writes nobody
    refreshed for. With lists shorter than the cases (3), later pages come from SQL."""
    from cases.search.postgresql import _matching_ids_from_postings, _ranked_ids_from_top_lists, completed

    monkeypatch.setattr(postings, "TOP", top)
    cases, refresh = with_postings
    harbinger = [CaseStudyFactory(title=f"Harbinger alerts {n}", summary="A harbinger.") for n in range(3)]
    both = CaseStudyFactory(title="Harbour harbinger", summary="The harbinger of harbour storms.")
    rare = CaseStudyFactory(title="Harborside clinic")
    engine.refresh_word_list()
    refresh()
    engine.refresh_postings(rebuild=True)
    query = completed(parse("harb").last_word_as_prefix())
    (concept,) = query.concepts
    assert {"harbour", "harbinger", "harborside"} <= {phrase.text for phrase in concept.alternatives}
    assert not concept.prefix  # it begins known words: the start itself is not matched
    assert {"harbour", "harbing"} <= postings.lexemes_with_postings()
    published = cases["harbour"] + cases["ferry"] + harbinger + [both, rare]
    assert set(_matching_ids_from_postings(query)) == from_index(query) == {case.pk for case in published}
    assert_every_page_in_order(query)
    if top == 200:
        assert _ranked_ids_from_top_lists(query, 0, 2) == expected_order(query)[:2]

    changed(cases["ferry"][1], title="Harbinger ferry")  # now says a common word in its title
    withdrawn = changed(harbinger[0], status="draft")
    CaseStudyFactory(title="Harbinger harbinger", summary="Harbour harbinger.")
    expected = assert_every_page_in_order(query)
    assert withdrawn.pk not in expected
    assert set(_matching_ids_from_postings(query)) == from_index(query) == set(expected)


def test_a_word_cut_short_that_begins_no_known_word_is_matched_as_the_start_of_any(with_postings):
    """Only a start no word of the titles and summaries begins is matched as the start of a word anywhere
    (narratives too), unstemmed: "pilo" finds the ferries whose narrative says "pilots"."""
    from cases.search.postgresql import completed

    cases, _refresh = with_postings
    engine.refresh_word_list()
    query = completed(parse("pilo").last_word_as_prefix())
    assert query.concepts[0].prefix
    assert [phrase.text for phrase in query.concepts[0].alternatives] == ["pilo"]
    assert set(engine.matching_case_ids(query)) == {case.pk for case in cases["ferry"]}


def test_a_search_of_two_common_words_reads_its_first_page_from_the_cases_with_both(with_postings):
    from cases.search.postgresql import _ranked_ids_with_every_word

    cases, _refresh = with_postings
    engine.refresh_postings(rebuild=True)
    page = _ranked_ids_with_every_word(parse("harbour logistics"), 0, 2)
    assert page == expected_order("harbour logistics")[:2]
    assert set(page) <= {case.pk for case in cases["harbour"]}
    # Past the four cases with both words: the whole ranking answers.
    assert _ranked_ids_with_every_word(parse("harbour logistics"), 3, 2) is None
    # A word without a posting, a synonym, a tag or a prefix: not this way.
    assert _ranked_ids_with_every_word(parse("harbour cranes"), 0, 1) is None
    assert _ranked_ids_with_every_word(parse("harbour educ"), 0, 1) is None


def test_a_posting_gone_from_the_cache_is_built_again_after_a_reader_missed_it(with_postings):
    _cases, refresh = with_postings
    cache.delete(postings.cache_key("harbour"))
    assert from_postings("harbour") is None  # the index still lists it: the reader notes it is gone
    assert refresh()["built"] == 1  # that one only; the others were checked, not rebuilt
    assert set(cache.get(postings.cache_key("harbour")).cases) == from_index("harbour")
    assert from_postings("harbour") == from_index("harbour")


def test_a_search_reads_each_posting_once_per_request(with_postings, client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/cases/?q=harbour")
    assert response.status_code == 200
    assert "Harbour logistics 0" in response.text
    changes = [query for query in queries.captured_queries if "pg_snapshot_xmin" in query["sql"]]
    assert len(changes) == 1  # its matches and its page from the same postings


def test_a_process_reads_the_lexemes_of_a_word_once(with_postings, client):
    postings._lexemes_seen.clear()
    client.get("/cases/?q=logistics")
    with CaptureQueriesContext(connection) as queries:
        client.get("/cases/?q=logistics&page=1&sort=relevance")
    assert not [query for query in queries.captured_queries if "tsvector_to_array" in query["sql"]]
    assert postings.lexemes_of(["logistics", "harbours"]) == [["logist"], ["harbour"]]


def test_a_word_cut_short_stands_for_each_known_word_once(on_postgresql):
    """One word per lexeme ("communities" adds nothing to "community"), and no hyphenated word whose part is
    already one of them ("public-sector" to "public"): its document has the part's lexeme too, and as a
    phrase it would have every match checked on its row."""
    if not on_postgresql:
        pytest.skip("the word list's lexemes are PostgreSQL's; SQLite's vocabulary holds no hyphenated words")
    from cases.search.postgresql import completed

    CaseStudyFactory(title="Public-sector pay reform", summary="Public-sector pay in the public service.")
    CaseStudyFactory(title="Public libraries", summary="Publishing community maps for communities.")
    engine.refresh_word_list()
    (concept,) = completed(parse("publ").last_word_as_prefix()).concepts
    assert [phrase.text for phrase in concept.alternatives] == ["public", "publishing"]
    (concept,) = completed(parse("commun").last_word_as_prefix()).concepts
    assert len(concept.alternatives) == 1  # community or communities, not both


def test_a_translation_written_moves_its_case_in_a_words_top_list_as_a_case_write_does(with_postings):
    """A translation's title ranks as the case's title (issue 16): its write rewrites the case's search row
    (case_language_search_refresh, the trigger), which readers apply to the word's top list as any changed
    row, before anyone refreshed the postings; unpublished again, the case drops back among the narratives."""
    from cases.models import CaseTranslation, TranslationStatus
    from cases.search.postgresql import _ranked_ids_from_posting

    cases, _refresh = with_postings
    engine.refresh_postings(rebuild=True)
    ferry, *other_ferries = cases["ferry"]  # say "harbour" in their narratives only
    narratives = lambda order: [order.index(case.pk) for case in other_ferries]  # noqa: E731
    assert expected_order("harbour").index(ferry.pk) > max(narratives(expected_order("harbour")))

    translation = CaseTranslation.objects.create(
        case=ferry,
        language="id",
        title="Harbour feri",  # the word as the translation writes it, in its title
        summary="Jadwal feri",
        lead_organisation="",
        overview="",
        translated_by="team",
        reviewed_by="reviewer",
        status=TranslationStatus.PUBLISHED,
    )
    expected = assert_every_page_in_order("harbour")
    assert expected.index(ferry.pk) < min(narratives(expected))  # ranked with the titles now
    assert ferry.pk in _ranked_ids_from_posting(parse("harbour"), 0, len(cases["harbour"]) + 1)

    translation.status = TranslationStatus.DRAFT
    translation.save()
    expected = assert_every_page_in_order("harbour")
    assert expected.index(ferry.pk) > max(narratives(expected))  # the oldest narrative again

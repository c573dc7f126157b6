"""Search: the same behaviour on PostgreSQL and on SQLite (each runs this file in CI): ranking, words
matched as written, prefixes only while typing, corrections, the thesaurus, vocabulary terms, excerpts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.filters import CaseStudyFilterSet
from cases.models import CaseStudy, SearchWord, Theme, ThesaurusEntry
from cases.search.engine import (
    add_snippets,
    backend,
    correction,
    did_you_mean,
    edits,
    refresh_word_list,
    search_cases,
    title_suggestions,
)
from cases.search.query import Lexicon, fold, parse, words_of
from tests.factories import CaseStudyFactory, reference

pytestmark = pytest.mark.django_db


def search(words):
    return list(search_cases(CaseStudy.objects.published(), words).order_by("-search_rank", "id"))


def library(words, **parameters):
    """What the library shows for `words`: through the one FilterSet, with its fallbacks."""
    filterset = CaseStudyFilterSet({"q": words, **parameters}, queryset=CaseStudy.objects.published())
    assert filterset.is_valid(), filterset.errors
    return list(filterset.qs), filterset.understood_search()


def test_title_match_outranks_body_match():
    body = CaseStudyFactory(title="Community programme", overview="A scheme about telemedicine in villages.")
    title = CaseStudyFactory(title="Telemedicine for islands", overview="Remote consultations.")
    found = search("telemedicine")
    assert found[:2] == [title, body]


def test_summary_match_outranks_narrative_match():
    narrative = CaseStudyFactory(
        title="Alpha", summary="Nothing here.", lessons_learned="Procurement matters."
    )
    summary = CaseStudyFactory(title="Beta", summary="Open procurement reform.", overview="Text.")
    assert search("procurement") == [summary, narrative]


def test_all_words_must_match():
    both = CaseStudyFactory(title="Digital identity card")
    CaseStudyFactory(title="Digital payments")
    assert search("digital identity") == [both]


def test_stemming_finds_other_forms_of_a_word():
    case = CaseStudyFactory(title="Vaccinating nurses", summary="Nurses vaccinated the villages.")
    assert search("vaccinate") == [case]
    assert search("village") == [case]


def test_a_complete_short_word_or_acronym_is_never_a_prefix():
    ai = CaseStudyFactory(title="AI assistant for clerks")
    CaseStudyFactory(title="Free-to-air television", summary="Aimed at remote islands.")
    assert search("AI") == [ai]
    assert library("AI")[0] == [ai]


def test_cities_does_not_find_citizens():
    cities = CaseStudyFactory(title="Cities share traffic data")
    CaseStudyFactory(title="Citizens report potholes")
    assert search("cities") == [cities]
    assert library("city")[0] == [cities]


def test_the_last_word_is_a_prefix_only_when_nothing_matches_it_whole():
    case = CaseStudyFactory(title="Telemedicine for islands")
    assert search("telemed") == []  # as typed: no such word
    found, understood = library("telemed")
    assert found == [case]
    assert understood.query.concepts[-1].prefix
    assert not understood.corrected
    assert library("tel")[0] == []  # three letters: too short to be read as the start of a word


def test_a_word_cut_short_begins_the_words_it_finds_as_typed_not_as_stemmed():
    """ "kilos" is the start of "Kilosangi", not of "kilometre", which its stem "kilo" begins (on PostgreSQL a
    start stemmed that way, "hels" as "hel", once matched "help" in 91% of the cases at 1,000,000, past the
    statement timeout); "governme" finds "government" where a narrative alone says it, though the stem of
    "government", "govern", does not begin with "governme"."""
    kilosangi = CaseStudyFactory(title="Kilosangi ward clinics", summary="Clinics for every ward.")
    CaseStudyFactory(title="Kilometre markers on rural roads", summary="Markers every kilometre.")
    in_title = CaseStudyFactory(title="Government payments", summary="Paying benefits.")
    in_narrative = CaseStudyFactory(title="Village water", summary="Pumps.", overview="The government paid.")
    refresh_word_list()
    found, understood = library("kilos")
    assert found == [kilosangi]
    assert understood.query.concepts[-1].prefix
    assert library("kilosang")[0] == [kilosangi]
    assert set(library("governme")[0]) == {in_title, in_narrative}
    assert library("governme")[0][0] == in_title  # its title says it


def test_a_word_that_begins_known_words_is_read_as_their_start_before_it_is_corrected():
    """ "mini" is one edit from "minh" but begins "ministry": a reader still typing, not a misspelling; a
    misspelt word begins no known word and is corrected ("ministy")."""
    office = {"lead_organisation": "City office"}
    ministries = [CaseStudyFactory(title=f"Ministry of finance reform {n}", **office) for n in range(3)]
    minh = CaseStudyFactory(title="Ho Chi Minh city permits", summary="Permits issued by the city.", **office)
    refresh_word_list()
    found, understood = library("mini")
    assert set(found) == set(ministries)
    assert understood.query.concepts[-1].prefix
    assert not understood.corrected
    assert library("minh")[0] == [minh]
    found, understood = library("ministy")
    assert set(found) == set(ministries)
    assert understood.corrected


@pytest.mark.parametrize("typed", ["COVID-19", "covid-19", "COVID 19", "Covid\u201119"])
def test_hyphenated_terms_and_numbers_match_as_written(typed):
    covid = CaseStudyFactory(title="COVID-19 vaccination drive")
    CaseStudyFactory(title="Budget for 19 provinces", summary="Covid never mentioned here? No: a covid fund.")
    assert search(typed) == [covid]


def test_e_government_matches_as_written_not_every_e():
    egov = CaseStudyFactory(title="E-government portal", summary="Services online.")
    CaseStudyFactory(title="Energy efficiency scheme", summary="Every engine explained.")
    assert search("e-government") == [egov]


def test_a_quoted_phrase_matches_the_words_together_in_order():
    together = CaseStudyFactory(title="Rural bank branches")
    apart = CaseStudyFactory(title="A bank for rural areas")
    assert search('"rural bank"') == [together]
    assert set(search("rural bank")) == {together, apart}


def test_accents_and_case_do_not_matter():
    case = CaseStudyFactory(title="Türkiye e-Devlet gateway", summary="MERNİS population register.")
    assert search("turkiye") == [case]
    assert search("TURKİYE") == [case]
    assert search("mernis") == [case]
    assert fold("MERNİS Türkiye") == "mernis turkiye"


# --- The thesaurus and the vocabularies --------------------------------------------------------------


def test_the_thesaurus_joins_acronyms_and_synonyms_both_ways():
    spelled = CaseStudyFactory(title="Artificial intelligence for tax audits")
    acronym = CaseStudyFactory(title="AI triage in hospitals")
    assert set(search("AI")) == {spelled, acronym}
    assert set(search("artificial intelligence")) == {spelled, acronym}


def test_a_curators_new_thesaurus_entry_takes_effect_at_once():
    case = CaseStudyFactory(title="Kiosks for pensioners")
    assert search("self-service terminal") == []
    entry = ThesaurusEntry(terms="kiosk, self-service terminal")
    entry.full_clean()
    entry.save()
    assert search("self-service terminal") == [case]


def test_a_thesaurus_entry_needs_two_real_terms():
    from django.core.exceptions import ValidationError

    for terms in ("only one", "a, A", ",,,", "-, --"):
        with pytest.raises(ValidationError):
            ThesaurusEntry(terms=terms).full_clean()
    entry = ThesaurusEntry(terms=" one-stop shop ,single window\n\nsingle  window ")
    entry.full_clean()
    assert entry.terms == "one-stop shop\nsingle window"


def test_a_query_naming_a_theme_finds_its_cases_below_the_text_matches():
    theme = reference(Theme, slug="crisis-response")
    said = CaseStudyFactory(title="Crisis response teams on call")
    tagged = CaseStudyFactory(title="Emergency cash transfers", themes=[theme])
    CaseStudyFactory(title="Unrelated bus routes")
    assert search("crisis response") == [said, tagged]


def test_a_vocabulary_name_is_matched_accents_folded_and_by_its_parts():
    theme = reference(Theme, slug="data-and-ai")
    tagged = CaseStudyFactory(title="Statistics office modernised", themes=[theme])
    assert tagged in search("AI")
    assert tagged in search("artificial intelligence")  # through the thesaurus to the theme's part "AI"
    assert not parse("and").concepts  # a connective names no theme: a stop word, it asks nothing


# --- Corrections and "did you mean" --------------------------------------------------------------------


def test_a_typo_shows_the_results_of_the_correction_and_says_so():
    case = CaseStudyFactory(title="Telemedicine network for rural clinics")
    refresh_word_list()
    found, understood = library("telemedecine network")
    assert found == [case]
    assert understood.corrected
    assert understood.text == "telemedicine network"


def test_did_you_mean_draws_on_the_word_list_not_only_titles():
    CaseStudyFactory(title="Clinics online", summary="Remote consultations for islanders.")
    refresh_word_list()
    assert correction(parse("consultatons")) == "consultations"
    assert did_you_mean(CaseStudy.objects.published(), "consultatons") == "consultations"


def test_did_you_mean_is_offered_only_when_it_finds_more():
    for number in range(3):
        CaseStudyFactory(title=f"Telemedicine pilot {number}")
    CaseStudyFactory(title="Telemedecine misspelt in one title")
    refresh_word_list()
    # Three results already: a good answer, no correction offered.
    assert did_you_mean(CaseStudy.objects.published(), "telemedicine") is None
    # One result for the misspelling; the correction finds three.
    assert did_you_mean(CaseStudy.objects.published(), "telemedecine") == "telemedicine"


def test_the_words_of_a_query_and_their_close_words_come_in_one_query(django_assert_num_queries):
    SearchWord.objects.bulk_create(
        [
            SearchWord(word="telemedicine", documents=12),
            SearchWord(word="telemedecine", documents=1),
            SearchWord(word="consultations", documents=4),
            SearchWord(word="unrelated", documents=40),
        ]
    )
    with django_assert_num_queries(1):
        close = backend().close_words(["telemedecine", "consultatons", "zzzzzz"], limit=3)
    # The word itself first when the list has it, with its number of cases; then the close ones.
    assert close["telemedecine"][0] == ("telemedecine", 1)
    assert ("telemedicine", 12) in close["telemedecine"][1:]
    assert close["consultatons"][0] == ("consultations", 4)
    assert close["zzzzzz"] == []
    assert backend().close_words([], limit=3) == {}


def test_a_typo_of_two_words_is_corrected_with_one_query_for_the_word_list(django_assert_max_num_queries):
    CaseStudyFactory(title="Telemedicine network for rural clinics")
    refresh_word_list()
    Lexicon.current()  # as a running process holds it
    with django_assert_max_num_queries(1):
        assert correction(parse("telemedecine nework")) == "telemedicine network"


def test_the_word_list_holds_only_words_of_published_cases():
    CaseStudyFactory(title="Published pilot", summary="Ordinary words.")
    CaseStudyFactory(title="Zanzibarian secret draft", status="draft")
    CaseStudyFactory(title="Quixotical archived plan", status="archived")
    refresh_word_list()
    words = set(SearchWord.objects.values_list("word", flat=True))
    assert "pilot" in words
    assert not words & {"zanzibarian", "quixotical", "secret", "archived"}
    assert did_you_mean(CaseStudy.objects.published(), "zanzibarien") is None
    assert library("zanzibarien")[0] == []


def test_edit_distance_counts_swaps_as_one():
    assert edits("goverment", "government") == 1
    assert edits("teh", "the") == 1
    assert edits("kitten", "sitting") == 3


def test_words_keep_hyphenated_terms_whole():
    assert words_of("COVID-19 e-procurement G2B, the one\u2011stop shop") == [
        "covid-19",
        "e-procurement",
        "g2b",
        "the",
        "one-stop",
        "shop",
    ]


def test_a_concept_of_stop_words_only_is_left_out_of_the_query():
    assert not parse("under", Lexicon())
    assert not parse('between the "under"', Lexicon())
    assert [concept.typed.words for concept in parse("services under pressure", Lexicon()).concepts] == [
        ("services",),
        ("pressure",),
    ]
    # Inside a phrase a stop word stays: "head of state" is not "head state".
    assert [concept.typed.words for concept in parse('"head of state"', Lexicon()).concepts] == [
        ("head", "of", "state")
    ]


# --- Type-ahead --------------------------------------------------------------------------------------


def test_type_ahead_matches_the_start_of_every_title_word():
    identity = CaseStudyFactory(title="National digital identity")
    CaseStudyFactory(title="Digital payments")
    CaseStudyFactory(title="Draft identity scheme", status="draft")
    assert list(title_suggestions(CaseStudy.objects.published(), "dig ide")) == [identity]
    assert set(title_suggestions(CaseStudy.objects.published(), "ident")) == {identity}


def test_type_ahead_takes_what_was_typed_never_the_start_of_its_stem():
    # Stemmed first, "hels" is 'hel':*, which "helping" and "held" begin: type-ahead offered titles without
    # a word starting with what was typed. A whole word still finds its other forms through its stem.
    helsinki = CaseStudyFactory(title="Helsinki open budget")
    helping = CaseStudyFactory(title="Helping hands for carers")
    gardens = CaseStudyFactory(title="Community gardens in Osaka")
    published = CaseStudy.objects.published()
    assert list(title_suggestions(published, "hels")) == [helsinki]
    assert list(title_suggestions(published, "help")) == [helping]
    assert list(title_suggestions(published, "communities")) == [gardens]
    assert list(title_suggestions(published, "communit")) == [gardens]
    assert list(title_suggestions(published, "helping commun")) == []
    assert list(title_suggestions(published, "communities gard")) == [gardens]


# --- Visibility, excerpts ------------------------------------------------------------------------------


def test_search_never_finds_unpublished_cases():
    CaseStudyFactory(title="Secret telemedicine draft", status="draft")
    CaseStudyFactory(title="Archived telemedicine pilot", status="archived")
    refresh_word_list()
    assert search("telemedicine") == []
    assert library("telemedecine")[0] == []


def test_snippets_highlight_whole_words_and_escape_html():
    case = CaseStudyFactory(
        title="Clinic app", summary="Booking <script>alert(1)</script> telemedicine visits every evening."
    )
    cases = search("telemedicine")
    add_snippets(cases, "telemedicine")
    assert "<mark>telemedicine</mark>" in cases[0].snippet.lower()
    assert "<script>" not in cases[0].snippet
    assert cases[0] == case


def test_snippets_of_a_hyphenated_word_do_not_mark_every_letter():
    CaseStudyFactory(title="E-government portal", summary="The e-government portal serves every resident.")
    cases = search("e-government")
    add_snippets(cases, "e-government")
    snippet = str(cases[0].snippet)
    assert "<mark>" in snippet
    assert "<mark>e</mark>very" not in snippet
    assert "r<mark>e</mark>sident" not in snippet


def test_query_of_only_punctuation_matches_everything_unfiltered():
    case = CaseStudyFactory()
    assert search("!!! ???") == [case]
    assert search("   ") == [case]


# --- Words no query can choke on ---------------------------------------------------------------------

# Word characters that unaccenting turns into tsquery syntax (an apostrophe, a colon, parentheses): the
# modifier apostrophe and its kin, the triangular colon, the parenthesized numbers.
SYNTAX_AFTER_UNACCENT = [
    "\u02bc",
    "\u02bb",
    "\u02b9",
    "\u02bd",
    "\u02c8",
    "\u02d0",
    "\u0149",
    "\u2474",
    "\u2487",
]


@pytest.mark.parametrize("character", SYNTAX_AFTER_UNACCENT)
@pytest.mark.parametrize(
    "path",
    [
        "/cases/?q=",
        "/cases/?q=rock%20",
        "/api/v1/cases/?q=",
        "/api/v1/suggest/?q=",
        "/stats/?q=",
        "/feeds/cases/?q=",
    ],
)
def test_a_word_that_unaccents_to_query_syntax_is_searched_not_a_server_error(client, path, character):
    CaseStudyFactory(title="Rock and roll in public service", slug="rock")
    response = client.get(path + character)
    assert response.status_code == 200


def test_every_word_character_that_unaccents_to_something_else_still_makes_a_valid_query(on_postgresql):
    """The whole class, not the examples: every word character of Unicode whose unaccented form is not a word
    (found by asking the database) still gives a query PostgreSQL accepts, as the only word and after
    another."""
    if not on_postgresql:
        pytest.skip("PostgreSQL's unaccent: SQLite's tokenizer is tested in test_sqlite_backend.py")
    import re

    from django.db import connection

    word_characters = [chr(code) for code in range(0x80, 0x30000) if re.fullmatch(r"\w", chr(code))]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c FROM unnest(%s::text[]) AS c WHERE observatory_unaccent(lower(c)) !~ '^[[:alnum:]_]+$'",
            [word_characters],
        )
        changed = [row[0] for row in cursor.fetchall()]
    assert len(changed) >= len(SYNTAX_AFTER_UNACCENT)
    CaseStudyFactory(title="Rock and roll")
    for character in changed:
        for query in (character, f"rock {character}", f"{character} rock"):
            list(search_cases(CaseStudy.objects.published(), query).values_list("pk", flat=True))


# --- The cheap page read gives the filtered queryset's order ------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["telemedicine", "AI", "digital health", '"rural clinics"', '"digital health pilot"', "Health"],
)
def test_ranked_ids_come_in_the_order_of_the_filtered_queryset(query):
    from cases.models import Sector
    from cases.search.engine import ranked_case_ids

    health = reference(Sector, slug="health")
    CaseStudyFactory(title="Telemedicine for rural clinics", summary="Digital health at a distance.")
    CaseStudyFactory(
        title="AI triage", summary="Telemedicine with artificial intelligence.", sectors=[health]
    )
    for number in range(6):  # ties: the same words, so the order after the rank decides
        CaseStudyFactory(title=f"Digital health pilot {number}", overview="Telemedicine in rural clinics.")
    # One word of the phrase in its title, the phrase in its narrative: it matches, ranked below the cases
    # with both words in their title or summary.
    CaseStudyFactory(title="Clinics on wheels", summary="Mobile care.", overview="Rural clinics for farms.")
    CaseStudyFactory(title="Draft telemedicine", status="draft")
    refresh_word_list()
    ordering = CaseStudyFilterSet.ordering("relevance", has_words=True)
    expected = list(
        search_cases(CaseStudy.objects.published(), query).order_by(*ordering).values_list("pk", flat=True)
    )
    assert expected
    assert ranked_case_ids(query, 0, 50) == expected
    # Every page, short and long: read among the cases ranked above 0 alone where the page lies among them,
    # past them (cases that say it only in their narrative, newest first) or across the boundary.
    for offset in range(len(expected) + 1):
        for limit in (1, 2, 3, 7):
            assert ranked_case_ids(query, offset, limit) == expected[offset : offset + limit], (offset, limit)


@pytest.mark.parametrize("query", ["education", "Singapore"])
def test_ranked_ids_of_a_vocabulary_term_come_in_the_order_of_the_filtered_queryset(query):
    """A word that names a term: the cases that say it ranked, then its tagged cases newest first (read
    from the newest, not ranked one by one), in the same order as the filtered queryset, on every page."""
    from datetime import timedelta

    from django.utils import timezone

    from cases.models import Economy, Sector
    from cases.search.engine import ranked_case_ids

    education = reference(Sector, slug="education")
    india = Economy.objects.get(iso2="IN")
    now = timezone.now()
    CaseStudyFactory(title="Education by radio", summary="Singapore schools.", economy=india)
    CaseStudyFactory(title="Radio lessons", summary="Distance education.", sectors=[education])
    for number in range(7):  # tagged only, published at different times (and two at the same time)
        CaseStudyFactory(
            title=f"Tagged pilot {number}",
            sectors=[education],
            published_at=now - timedelta(days=number // 2),
        )
    CaseStudyFactory(title="Narrative only", overview="About education in Singapore.", economy=india)
    CaseStudyFactory(title="Draft education", status="draft", sectors=[education])
    refresh_word_list()
    ordering = CaseStudyFilterSet.ordering("relevance", has_words=True)
    expected = list(
        search_cases(CaseStudy.objects.published(), query).order_by(*ordering).values_list("pk", flat=True)
    )
    assert len(expected) >= 8
    for offset in range(len(expected) + 1):
        for limit in (1, 2, 5):
            assert ranked_case_ids(query, offset, limit) == expected[offset : offset + limit], (offset, limit)


def test_the_cheap_page_read_is_only_for_a_search_of_the_whole_catalogue():
    CaseStudyFactory(title="Telemedicine for islands")

    def reader(queryset, **parameters):
        filterset = CaseStudyFilterSet({"q": "telemedicine", **parameters}, queryset=queryset)
        assert filterset.is_valid(), filterset.errors
        return filterset.ranked_page_reader()

    published = CaseStudy.objects.published()
    assert reader(published.for_listing()) is not None
    assert reader(published.filter(economy__iso2="SG")) is None
    assert reader(published, economy=["SG"]) is None
    assert reader(published, sort="title") is None


@pytest.mark.parametrize("query", ["singapore", "education", "education singapore", "radio singapore", "zzz"])
def test_matches_with_tags_from_the_bitmaps_are_those_sql_finds(query):
    """A concept naming a term: its text matches read from the documents and its tagged cases from the
    catalogue's bitmaps give the same cases as one SQL query over both, published only."""
    from cases.insights.bitmaps import CatalogueBitmaps
    from cases.models import Economy, Sector
    from cases.search import engine
    from cases.search.query import parse

    education = reference(Sector, slug="education")
    singapore = Economy.objects.get(iso2="SG")
    CaseStudyFactory(title="Education by radio", summary="Singapore schools.")
    CaseStudyFactory(title="Radio lessons", sectors=[education], economy=singapore)
    CaseStudyFactory(title="Tagged only", sectors=[education])
    CaseStudyFactory(title="Singapore tagged", economy=singapore)
    CaseStudyFactory(
        title="Draft education in Singapore", status="draft", sectors=[education], economy=singapore
    )
    refresh_word_list()
    parsed = parse(query)
    from_sql = set(engine.backend().matching_ids(parsed))
    from_bitmaps = set(engine.backend().matching_ids(parsed, tagged_cases=CatalogueBitmaps.current().tagged))
    assert from_bitmaps == from_sql
    assert from_sql == set(search_cases(CaseStudy.objects.published(), query).values_list("pk", flat=True))
    if query != "zzz":
        assert from_sql


def test_the_word_list_refresh_writes_only_what_changed():
    """After a write to one case the word list changes by a few rows, if any: the refresh deletes the words
    no longer used, adds the new ones and updates the counts that moved, and leaves the rest alone."""
    renamed = CaseStudyFactory(title="Quokka permits", summary="Permits.")
    CaseStudyFactory(title="Wombat permits", summary="Permits.")
    refresh_word_list()
    words = dict(SearchWord.objects.values_list("word", "documents"))
    assert words["quokka"] == 1
    assert words["permits"] == 2

    renamed.title = "Numbat licences"
    renamed.save()
    refresh_word_list()

    after = dict(SearchWord.objects.values_list("word", "documents"))
    assert "quokka" not in after
    assert after["numbat"] == after["licences"] == 1
    assert after["permits"] == 2  # the summaries still say it twice
    assert after["wombat"] == 1
    assert {word: n for word, n in after.items() if word not in ("numbat", "licences")} == {
        word: n for word, n in words.items() if word != "quokka"
    }


def test_a_word_list_refresh_that_changes_nothing_writes_nothing():
    CaseStudyFactory(title="Quokka permits", summary="Permits.")
    refresh_word_list()
    with CaptureQueriesContext(connection) as captured:
        refresh_word_list()
    writes = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "DELETE", "UPDATE"))
    ]
    assert writes == []


def test_a_write_that_changes_no_title_summary_or_organisation_counts_no_words():
    case = CaseStudyFactory(title="Quokka permits", summary="Permits.")
    refresh_word_list()
    SearchWord.objects.create(word="planted", documents=9)  # a row no count would keep

    case.overview = "A narrative edit, which the word list is not counted from."
    case.save()
    refresh_word_list()
    assert SearchWord.objects.filter(word="planted").exists()  # not counted again

    case.title = "Numbat permits"
    case.save()
    refresh_word_list()
    assert not SearchWord.objects.filter(word="planted").exists()
    assert SearchWord.objects.get(word="numbat").documents == 1


def test_a_count_inside_a_transaction_is_not_remembered():
    """A refresh inside a transaction that may still roll back does not store the digest it counted."""
    from django.db import transaction

    CaseStudyFactory(title="Quokka permits", summary="Permits.")
    with transaction.atomic():
        refresh_word_list()
    SearchWord.objects.create(word="planted", documents=9)
    refresh_word_list()
    assert not SearchWord.objects.filter(word="planted").exists()  # counted again

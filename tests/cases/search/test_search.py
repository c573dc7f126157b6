"""Search: ranking, prefixes, typos and accents on PostgreSQL; the documented plain fallback elsewhere."""

import pytest

from cases.models import CaseStudy
from cases.search.engine import add_snippets, did_you_mean, search_cases
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db


def search(words):
    return list(search_cases(CaseStudy.objects.published(), words).order_by("-search_rank", "id"))


def test_title_match_outranks_body_match():
    body = CaseStudyFactory(title="Community programme", overview="A scheme about telemedicine in villages.")
    title = CaseStudyFactory(title="Telemedicine for islands", overview="Remote consultations.")
    found = search("telemedicine")
    assert found[:2] == [title, body]


def test_summary_match_outranks_narrative_match(on_postgresql):
    narrative = CaseStudyFactory(
        title="Alpha", summary="Nothing here.", lessons_learned="Procurement matters."
    )
    summary = CaseStudyFactory(title="Beta", summary="Open procurement reform.", overview="Text.")
    found = search("procurement")
    assert set(found) == {narrative, summary}
    if on_postgresql:
        assert found[0] == summary  # weights B over C


def test_all_words_must_match():
    both = CaseStudyFactory(title="Digital identity card")
    CaseStudyFactory(title="Digital payments")
    assert search("digital identity") == [both]


def test_prefix_of_the_last_word_matches_as_one_types():
    case = CaseStudyFactory(title="Telemedicine for islands")
    assert search("telemed") == [case]


def test_search_ignores_case():
    case = CaseStudyFactory(title="Flood Warnings By SMS")
    assert search("FLOOD warnings") == [case]


def test_accents_do_not_matter_on_postgresql(on_postgresql):
    case = CaseStudyFactory(title="Türkiye e-Devlet gateway")
    found = search("turkiye")
    if on_postgresql:
        assert found == [case]
    else:
        # SQLite's plain matching does not fold accents: documented fallback behaviour.
        assert found == []


def test_typo_falls_back_to_similar_titles_on_postgresql(on_postgresql):
    case = CaseStudyFactory(title="Telemedicine network for rural clinics")
    found = search("telemedecine")
    if on_postgresql:
        assert found == [case]
    else:
        assert found == []


def test_did_you_mean_suggests_the_spelling_in_the_catalogue(on_postgresql):
    CaseStudyFactory(title="Telemedicine network for rural clinics")
    suggestion = did_you_mean(CaseStudy.objects.published(), "telemedecine")
    assert suggestion == ("telemedicine" if on_postgresql else None)


def test_search_never_finds_unpublished_cases():
    CaseStudyFactory(title="Secret telemedicine draft", status="draft")
    CaseStudyFactory(title="Archived telemedicine pilot", status="archived")
    assert search("telemedicine") == []
    assert search("telemedecine") == []


def test_snippets_highlight_the_words_and_escape_html():
    case = CaseStudyFactory(
        title="Clinic app", summary="Booking <script>alert(1)</script> telemedicine visits."
    )
    cases = search("telemedicine")
    add_snippets(cases, "telemedicine")
    assert "<mark>telemedicine</mark>" in cases[0].snippet.lower()
    assert "<script>" not in cases[0].snippet
    assert cases[0] == case


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
        # Plain matching: nothing to parse.
        assert search_cases(CaseStudy.objects.published(), "\u02bc").count() == 0
        return
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

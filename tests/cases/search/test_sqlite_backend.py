"""The SQLite search backend (cases/search/sqlite.py): the FTS5 index, its triggers, matching, ranking,
excerpts, type-ahead and the word list."""

import pytest
from django.db import connection
from django.utils import timezone

from cases.models import CaseStudy, RelatedCaseList, SearchWord, Sector, Status, Theme, ThesaurusEntry
from cases.search import sqlite
from cases.search.engine import add_snippets, correction, refresh_word_list, search_cases, title_suggestions
from cases.search.markers import HIGHLIGHT_START, HIGHLIGHT_STOP
from cases.search.query import Lexicon, parse
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sqlite_only(on_postgresql):
    if on_postgresql:
        pytest.skip(
            "the FTS5 backend runs on SQLite only; PostgreSQL has its own (tests/cases/search/test_search.py)"
        )


def query(text, *, prefix=False):
    """`text` read without the thesaurus or vocabularies: the words alone."""
    parsed = parse(text, Lexicon())
    return parsed.last_word_as_prefix() if prefix else parsed


def found(text, *, queryset=None, prefix=False):
    queryset = CaseStudy.objects.published() if queryset is None else queryset
    matched = sqlite.match(queryset, query(text, prefix=prefix))
    return list(matched.order_by("-search_rank", "id"))


def indexed_ids(text):
    """The ids the index itself finds for an FTS5 expression (not through the cases table)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid FROM {sqlite.TABLE} WHERE {sqlite.TABLE} MATCH %s ORDER BY rowid", [text]
        )
        return [row[0] for row in cursor.fetchall()]


def integrity_check():
    """FTS5 compares its index with the text of cases_casestudy, as it tokenises it now: raises if they differ
    (valid when every case is published, for text without the letters of sqlite.FOLDS, which the index holds
    folded)."""
    with connection.cursor() as cursor:
        for table in (sqlite.TABLE, sqlite.WORDS_TABLE):
            cursor.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")


# --- The index follows the cases, whatever writes them ---------------------------------------------------


def test_created_case_is_indexed():
    case = CaseStudyFactory(title="Telemedicine for islands")
    assert indexed_ids('"telemedicine"') == [case.pk]
    integrity_check()


def test_updated_title_replaces_the_old_words_in_the_index():
    case = CaseStudyFactory(title="Telemedicine for islands")
    case.title = "Flood warnings by SMS"
    case.save()
    assert indexed_ids('"telemedicine"') == []
    assert indexed_ids('"flood"') == [case.pk]
    integrity_check()


def test_queryset_update_of_the_narrative_is_indexed():
    case = CaseStudyFactory()
    CaseStudy.objects.filter(pk=case.pk).update(lessons_learned="Procurement reform takes patience.")
    assert indexed_ids('"procurement"') == [case.pk]
    integrity_check()


def test_update_of_another_field_leaves_the_index_alone():
    case = CaseStudyFactory(title="Telemedicine for islands")
    CaseStudy.objects.filter(pk=case.pk).update(is_featured=True, year_launched=2020)
    assert indexed_ids('"telemedicine"') == [case.pk]
    integrity_check()


def test_deleted_case_leaves_the_index():
    case = CaseStudyFactory(title="Telemedicine for islands")
    pk = case.pk
    case.delete()
    assert indexed_ids('"telemedicine"') == []
    assert pk not in indexed_ids('"case"')
    integrity_check()


def test_bulk_created_cases_are_indexed():
    template = CaseStudyFactory.build(title="Bulk one")
    rows = [
        CaseStudy(**{**_fields(template), "title": f"Geothermal pilot {n}", "slug": f"geothermal-{n}"})
        for n in range(3)
    ]
    CaseStudy.objects.bulk_create(rows)
    assert len(indexed_ids('"geothermal"')) == 3
    integrity_check()


def _fields(case):
    return {
        field.attname: getattr(case, field.attname)
        for field in CaseStudy._meta.concrete_fields
        if not field.primary_key and not field.generated
    }


def test_raw_sql_writes_are_indexed():
    case = CaseStudyFactory(title="Telemedicine for islands", sectors=[])
    columns = ", ".join(f'"{name}"' for name in _fields(case) if name not in ("title", "slug"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO cases_casestudy (title, slug, {columns}) "
            f"SELECT 'Kelp farming', 'kelp', {columns} FROM cases_casestudy WHERE id = %s",
            [case.pk],
        )
        kelp = CaseStudy.objects.get(slug="kelp").pk
        assert indexed_ids('"kelp"') == [kelp]
        cursor.execute("UPDATE cases_casestudy SET summary = %s WHERE id = %s", ["Seaweed farming.", case.pk])
        assert indexed_ids('"seaweed"') == [case.pk]
        cursor.execute("UPDATE cases_casestudy SET id = %s WHERE id = %s", [case.pk + 1000, case.pk])
        assert indexed_ids('"seaweed"') == [case.pk + 1000]
        cursor.execute("DELETE FROM cases_casestudy WHERE id IN (%s, %s)", [case.pk + 1000, kelp])
    assert indexed_ids('"seaweed"') == indexed_ids('"kelp"') == []
    integrity_check()


def test_index_is_filled_from_the_cases_already_there():
    case = CaseStudyFactory(title="Telemedicine for islands")
    sqlite.drop_index(connection)
    CaseStudyFactory(title="Telemedicine for mountains")  # no index, no trigger: nothing to keep
    sqlite.create_index(connection)
    assert len(indexed_ids('"telemedicine"')) == 2
    assert case.pk in indexed_ids('"islands"')
    integrity_check()


def test_lost_triggers_are_put_back_and_the_index_rebuilt():
    """As after a migration that rebuilds cases_casestudy on SQLite: the old table and triggers dropped."""
    CaseStudyFactory(title="Telemedicine for islands")
    with connection.cursor() as cursor:
        for name in sqlite._trigger_statements():
            cursor.execute(f"DROP TRIGGER {name}")
    missed = CaseStudyFactory(title="Telemedicine for mountains")
    assert missed.pk not in indexed_ids('"telemedicine"')
    assert sqlite.ensure_index(connection) is True
    assert missed.pk in indexed_ids('"telemedicine"')
    assert sqlite.ensure_index(connection) is False  # as it should be now: nothing to do
    updated = CaseStudyFactory(title="Seaweed")
    updated.title = "Kelp"
    updated.save()
    assert indexed_ids('"kelp"') == [updated.pk]


def test_ensure_index_does_nothing_without_the_index():
    sqlite.drop_index(connection)
    assert sqlite.ensure_index(connection) is False
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name LIKE 'cases_casestudy_fts%%'")
        assert cursor.fetchone()[0] == 0


# --- Only published cases are in the index the public reads ----------------------------------------------


def indexed_rows(table):
    """The ids of the cases `table` holds, read from the index itself (its _docsize shadow table: a full
    scan of an external content table would read cases_casestudy instead)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table}_docsize ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def where_indexed(case):
    """The index tables that hold `case`."""
    tables = (sqlite.TABLE, sqlite.WORDS_TABLE, sqlite.UNPUBLISHED_TABLE)
    return [table for table in tables if case.pk in indexed_rows(table)]


def consistency_check():
    """Each index is consistent in itself (FTS5's integrity check without comparing with cases_casestudy,
    whose every row is in one index only)."""
    with connection.cursor() as cursor:
        for table in (sqlite.TABLE, sqlite.WORDS_TABLE, sqlite.UNPUBLISHED_TABLE):
            cursor.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 0)")


PUBLIC = [sqlite.TABLE, sqlite.WORDS_TABLE]


@pytest.mark.parametrize("status", [s for s in Status if s != Status.PUBLISHED])
def test_unpublished_case_is_only_in_the_unpublished_index(status):
    case = CaseStudyFactory(title="Kelp farming", status=status)
    assert where_indexed(case) == [sqlite.UNPUBLISHED_TABLE]
    assert indexed_ids('"kelp"') == []
    consistency_check()


def test_publishing_a_draft_moves_it_to_the_public_index_and_unpublishing_back():
    case = CaseStudyFactory(title="Kelp farming", status=Status.DRAFT)
    case.status, case.published_at = Status.PUBLISHED, timezone.now()
    case.save()
    assert where_indexed(case) == PUBLIC
    assert indexed_ids('"kelp"') == [case.pk]
    CaseStudy.objects.filter(pk=case.pk).update(status=Status.ARCHIVED)
    assert where_indexed(case) == [sqlite.UNPUBLISHED_TABLE]
    assert indexed_ids('"kelp"') == []
    CaseStudy.objects.filter(pk=case.pk).update(status=Status.PUBLISHED)
    assert where_indexed(case) == PUBLIC
    consistency_check()
    integrity_check()  # every case published: the public index is exactly the cases' text


def test_text_change_of_a_draft_stays_out_of_the_public_index():
    published = CaseStudyFactory(title="Seaweed farming")
    draft = CaseStudyFactory(title="Seaweed drying", status=Status.DRAFT)
    draft.title = "Kelp drying"
    draft.save()
    assert indexed_rows(sqlite.TABLE) == indexed_rows(sqlite.WORDS_TABLE) == [published.pk]
    assert indexed_rows(sqlite.UNPUBLISHED_TABLE) == [draft.pk]
    assert indexed_ids('"kelp"') == []
    consistency_check()


def test_deleted_unpublished_case_leaves_its_index():
    draft = CaseStudyFactory(title="Kelp farming", status=Status.DRAFT)
    draft.delete()
    assert indexed_rows(sqlite.UNPUBLISHED_TABLE) == []
    consistency_check()


def test_filled_index_holds_only_published_cases():
    published = CaseStudyFactory(title="Kelp farming")
    draft = CaseStudyFactory(title="Kelp drying", status=Status.IN_REVIEW)
    sqlite.create_index(connection)
    assert indexed_rows(sqlite.TABLE) == indexed_rows(sqlite.WORDS_TABLE) == [published.pk]
    assert indexed_rows(sqlite.UNPUBLISHED_TABLE) == [draft.pk]
    consistency_check()


def test_an_index_of_every_case_is_rebuilt_after_migrate():
    """A database indexed before the public index held only published cases (no unpublished table, the
    drafts in the public one): ensure_index, run after every migrate, rebuilds it."""
    draft = CaseStudyFactory(title="Kelp drying", status=Status.DRAFT)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {sqlite.UNPUBLISHED_TABLE}")
        cursor.execute(
            f"INSERT INTO {sqlite.TABLE}(rowid, title) VALUES (%s, 'kelp drying')",
            [draft.pk],
        )
    assert indexed_ids('"kelp"') == [draft.pk]
    assert sqlite.ensure_index(connection) is True
    assert indexed_ids('"kelp"') == []
    assert where_indexed(draft) == [sqlite.UNPUBLISHED_TABLE]


def test_rebuilt_index_marks_every_related_list_stale():
    """Their "Similar wording" was scored on the index replaced."""
    case = CaseStudyFactory(title="Kelp farming")
    RelatedCaseList.objects.create(case=case, computed_at=timezone.now())
    assert sqlite.ensure_index(connection) is False
    assert RelatedCaseList.objects.get().stale is False
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {sqlite.TABLE}_after_delete")
    assert sqlite.ensure_index(connection) is True
    assert RelatedCaseList.objects.get().stale is True


def ranking(text):
    """(id, rank) of the published cases `text` finds, best first, as the library and the API read them."""
    parsed = query(text)
    ranked = [(case.pk, case.search_rank) for case in found(text)]
    assert [pk for pk, _rank in ranked] == sqlite.ranked_ids(parsed, 0, 100)
    return ranked


def add_drafts_saying(*words):
    """Unpublished cases of every status, saying `words` over and over, and long."""
    said = " ".join(words)
    for n, status in enumerate(s for s in Status if s != Status.PUBLISHED):
        CaseStudyFactory(
            title=f"{said} {said}",
            summary=f"{said} " * (5 + n),
            overview=f"{said} and more words about it " * 40,
            status=status,
        )


def test_unpublished_cases_do_not_move_the_order_or_scores_of_published_results():
    CaseStudyFactory(title="Flood warnings by SMS", summary="Alerts for river villages.")
    CaseStudyFactory(title="River data portal", summary="Flood maps and flood risk for planners.")
    CaseStudyFactory(title="Coastal planning", summary="Storms.", overview="A flood of requests came in.")
    CaseStudyFactory(title="Village radio", summary="River news, weekly.")
    before = {text: ranking(text) for text in ("flood", "flood river", "river village")}
    assert all(len(ranked) >= 2 for ranked in before.values())

    add_drafts_saying("flood", "river", "villages")

    assert {text: ranking(text) for text in before} == before


def test_unpublished_cases_do_not_move_text_likeness():
    """The "Similar wording" score of related cases (cases/search/related.py)."""
    CaseStudyFactory(title="Seaweed kelp farming", summary="Seaweed and kelp.")
    CaseStudyFactory(title="Kelp", summary="Nothing.")
    CaseStudyFactory(title="Seaweed markets", summary="Prices of dried seaweed.")

    def likeness():
        scored = CaseStudy.objects.published().annotate(likeness=sqlite.text_likeness(["seaweed", "kelp"]))
        return dict(scored.values_list("pk", "likeness"))

    before = likeness()
    add_drafts_saying("seaweed", "kelp")
    assert likeness() == before


def test_word_only_in_an_unpublished_case_is_never_offered():
    CaseStudyFactory(title="Telephone clinics", summary="Doctors on call.")
    CaseStudyFactory(title="Telemetry of rivers", summary="Sensors.", status=Status.DRAFT)
    CaseStudyFactory(title="Telemedicine network", summary="Rural care.", status=Status.IN_REVIEW)
    refresh_word_list()
    # The known words a last word typed as a prefix is read as (type-ahead, and the library's fallback).
    assert sqlite._prefix_expansions("tele", "default") == ["telephone"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT term FROM {sqlite.WORDS_VOCABULARY}")
        assert {"telemetry", "telemedicine", "rural", "sensors"}.isdisjoint(row[0] for row in cursor)
    assert list(title_suggestions(CaseStudy.objects.published(), "telem")) == []
    # "Did you mean" draws on the published cases' words only.
    assert correction("telemetri") is None
    assert correction("telephon") == "telephone"


def test_staff_selection_still_finds_unpublished_cases_by_their_words():
    """A selection of every status (export_cases --status ... --query q=...) matches the unpublished cases
    in their own table; the published ones rank as they do for the public."""
    published = CaseStudyFactory(title="Kelp farming", summary="Seaweed.")
    other = CaseStudyFactory(title="Seaweed drying", summary="Kelp, dried.")
    draft = CaseStudyFactory(title="Kelp drying", status=Status.DRAFT)
    archived = CaseStudyFactory(title="Dried kelp", status=Status.ARCHIVED)
    drafts = CaseStudy.objects.filter(status=Status.DRAFT)
    assert found("kelp", queryset=drafts) == [draft]
    everything = {case.pk: case.search_rank for case in found("kelp", queryset=CaseStudy.objects.all())}
    assert set(everything) == {published.pk, other.pk, draft.pk, archived.pk}
    public = {case.pk: case.search_rank for case in found("kelp")}
    assert {pk: everything[pk] for pk in public} == public
    assert everything[draft.pk] == everything[archived.pk] == 0
    assert [case.pk for case in found("kelp")] == [published.pk, other.pk]


# --- Matching ----------------------------------------------------------------------------------------


def test_accents_are_folded():
    case = CaseStudyFactory(title="Türkiye e-Devlet gateway")
    assert found("turkiye") == [case]
    assert found("TÜRKİYE") == [case]


KIRSEHIR = "K\u0131r\u015fehir"  # with the Turkish dotless i


def test_turkish_dotless_and_dotted_i_fold_to_i():
    case = CaseStudyFactory(title=f"{KIRSEHIR} and İstanbul health records", summary="Kirsehir pilot.")
    assert found("kirsehir") == [case]
    assert found(KIRSEHIR) == [case]
    assert found("istanbul") == [case]
    assert found("İSTANBUL") == [case]


@pytest.mark.parametrize(
    ("text", "typed"),
    [("Straße lighting", "strasse"), ("CO₂ reporting", "co2"), ("Oﬃce of the ﬁnance ministry", "finance")],
)
def test_letters_unicode61_leaves_alone_are_folded_as_python_folds_them(text, typed):
    case = CaseStudyFactory(title=text)
    assert found(typed) == [case]
    assert found(text.split()[0]) == [case]


def test_words_are_stemmed():
    case = CaseStudyFactory(title="Pandemic response", summary="Governments coordinated vaccination.")
    assert found("pandemics") == [case]
    assert found("government") == [case]
    assert found("vaccinating") == [case]


@pytest.mark.parametrize(
    "typed", ["covid-19", "COVID\u201119", "Covid\u201319"]
)  # non-breaking hyphen, en dash
def test_hyphenated_term_matches_as_written(typed):
    hyphen = CaseStudyFactory(title="COVID-19 contact tracing")
    space = CaseStudyFactory(title="Covid 19 relief payments")
    CaseStudyFactory(title="Covid recovery", summary="Published in 19 languages.")
    expected = {hyphen, space}
    assert set(found(typed)) == expected


def test_e_government_matches_the_phrase_not_every_e():
    case = CaseStudyFactory(title="E-government portal")
    CaseStudyFactory(title="Plan E for local government")
    assert found("e-government") == [case]


def test_quoted_phrase_needs_its_words_together_in_order():
    together = CaseStudyFactory(title="Open data portal")
    CaseStudyFactory(title="Data made open to all")
    assert found('"open data"') == [together]


def test_every_concept_must_match():
    both = CaseStudyFactory(title="Digital identity card")
    CaseStudyFactory(title="Digital payments")
    assert found("digital identity") == [both]


def test_short_word_or_acronym_is_never_a_prefix():
    ai = CaseStudyFactory(title="AI for tax returns")
    CaseStudyFactory(title="Free-to-air broadcasting aimed at farmers")
    assert found("AI") == [ai]
    assert query("AI", prefix=True) is None  # too short to be read as the start of a word


def test_prefix_only_when_asked():
    case = CaseStudyFactory(title="Telemedicine for islands")
    assert found("telemed") == []
    assert found("telemed", prefix=True) == [case]


def test_prefix_longer_than_the_stem_still_finds_the_word():
    """The stemmed index holds "govern" for "government": "governme" as typed is found through the words as
    written, in the title or summary, and in the narrative too through the words it starts."""
    title = CaseStudyFactory(title="Government cloud")
    narrative = CaseStudyFactory(title="Cloud", overview="Run by the government of the province.")
    assert set(found("governme", prefix=True)) == {title, narrative}


def test_prefix_is_folded_like_the_text():
    summary = CaseStudyFactory(title="Cloud", summary=f"Records of {KIRSEHIR} province.")
    narrative = CaseStudyFactory(title="Cloud", overview="Run across Türkiye.")
    assert found("Türki", prefix=True) == [narrative]
    assert found("kirse", prefix=True) == [summary]


def test_stop_words_alone_match_every_case_as_on_postgresql():
    first, second = CaseStudyFactory(title="Seaweed"), CaseStudyFactory(title="Kelp")
    assert set(found("the")) == {first, second}
    assert found("the kelp") == [second]


def test_unpublished_cases_never_match():
    CaseStudyFactory(title="Telemedicine draft", status=Status.DRAFT)
    CaseStudyFactory(title="Telemedicine archive", status=Status.ARCHIVED)
    CaseStudyFactory(title="Telemedicine submission", status=Status.SUBMITTED)
    assert found("telemedicine") == []
    assert found("telemedicine", prefix=True) == []
    assert found("telemed", prefix=True) == []
    assert list(sqlite.title_matches(CaseStudy.objects.published(), query("telemed"))) == []


def test_scripts_without_accents_to_fold_are_matched_as_typed():
    """Python's fold() splits Korean syllables and drops the marks of Japanese voiced kana and Thai vowels;
    FTS5 folds what was typed as it folded the text."""
    korean = CaseStudyFactory(title="서울 디지털 시민 시장실")
    japanese = CaseStudyFactory(title="デジタル・ガバメント")
    thai = CaseStudyFactory(title="ระบบข้อมูลภาครัฐ", summary="ข้อมูล")
    assert found("서울") == [korean]
    assert found("ガバメント") == [japanese]
    assert found("デジタル") == [japanese]
    assert found("ข้อมูล") == [thai]


# --- Nothing typed breaks the query -------------------------------------------------------------------

HOSTILE = [
    '"',
    '""',
    '"unclosed phrase',
    "a\"b'c",
    "AND",
    "OR NOT",
    "flood AND NOT warning",
    "NEAR(flood warning, 2)",
    "flood*",
    "*",
    "^flood",
    "title:flood",
    "{title summary}: flood",
    "- flood",
    "(flood OR",
    "flood)",
    "rank:1",
    "cases_casestudy_fts:flood",
    "\x00\x01\x02\x03\x1e",
    "flood\x02warning\x03",
    "!!! ??? ---",
    "   ",
    "\u02bc\u02bb\u0149\u2474",
    "x" * 200,
    "flood " * 40,
    "ระบบข้อมูลภาครัฐ",
    "デジタル・ガバメント",
    "电子政务服务平台",
    "'; DROP TABLE cases_casestudy; --",
    "%_\\",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_never_breaks_the_search(text):
    case = CaseStudyFactory(title="Flood warning NEAR the title", summary="AND OR NOT rank")
    for prefix in (False, True):
        parsed = query(text, prefix=prefix) or query(text)
        matched = search_cases(CaseStudy.objects.published(), parsed)
        cases = list(matched.order_by("-search_rank")[:20])
        assert matched.count() == len(cases)
        add_snippets(cases, parsed)
        list(sqlite.title_matches(CaseStudy.objects.published(), parsed))
    assert CaseStudy.objects.filter(pk=case.pk).exists()


def test_query_syntax_words_are_searched_as_words():
    syntax = CaseStudyFactory(title="Flood warning", summary="Near the river, and not far.")
    barrier = CaseStudyFactory(title="Flood barrier")
    assert found("flood NEAR") == [syntax]
    assert found("warning:flood") == [syntax]  # a column filter in FTS5, two words here
    # "not" is a stop word, as on PostgreSQL: left out, never an operator excluding what follows.
    assert found("flood NOT barrier") == [barrier]


# --- Ranking ---------------------------------------------------------------------------------------


def test_title_match_outranks_summary_match_outranks_narrative_match():
    narrative = CaseStudyFactory(title="Alpha", summary="Nothing.", lessons_learned="Procurement matters.")
    summary = CaseStudyFactory(title="Beta", summary="Open procurement reform.")
    title = CaseStudyFactory(title="Procurement gateway", summary="Nothing.")
    assert found("procurement") == [title, summary, narrative]


def test_title_match_outranks_a_narrative_that_repeats_the_word():
    repeated = CaseStudyFactory(
        title="Alpha", summary="Nothing.", overview="Procurement. " * 5, lessons_learned="Procurement. " * 5
    )
    title = CaseStudyFactory(title="Procurement gateway", summary="Nothing.")
    assert found("procurement") == [title, repeated]


def test_words_as_typed_outrank_their_synonyms():
    ThesaurusEntry.objects.create(terms="telehealth\ntelemedicine")
    synonym = CaseStudyFactory(title="Rural clinics", summary="Telemedicine visits for villages.")
    typed = CaseStudyFactory(title="Island clinics", summary="Telehealth visits for islands.")
    lexicon = Lexicon.build()
    for text, first, second in (("telehealth", typed, synonym), ("telemedicine", synonym, typed)):
        matched = sqlite.match(CaseStudy.objects.published(), parse(text, lexicon))
        assert list(matched.order_by("-search_rank", "id")) == [first, second]


def test_rank_is_highest_for_the_best_match_and_a_float():
    CaseStudyFactory(title="Procurement gateway")
    CaseStudyFactory(title="Beta", summary="Open procurement reform.")
    ranks = [case.search_rank for case in found("procurement")]
    assert ranks[0] == pytest.approx(1.0)
    assert all(isinstance(rank, float) for rank in ranks)
    assert 0 < ranks[1] < ranks[0]


def test_tagged_case_is_found_and_ranks_below_a_title_match():
    theme = Theme.objects.order_by("pk").first()
    name = theme.name
    said = CaseStudyFactory(title=f"{name} in the tax office")
    tagged = CaseStudyFactory(title="Something else entirely", themes=[theme])
    CaseStudyFactory(title="Unrelated")
    results = sqlite.match(CaseStudy.objects.published(), parse(name, Lexicon.build()))
    ordered = list(results.order_by("-search_rank", "id"))
    assert ordered == [said, tagged]


def test_rank_stays_a_normal_queryset():
    sector = Sector.objects.get(slug="health")
    for n in range(5):
        CaseStudyFactory(title=f"Procurement case {n}")
    CaseStudyFactory(title="Procurement elsewhere", sectors=[Sector.objects.exclude(pk=sector.pk).first()])
    matched = sqlite.match(CaseStudy.objects.published(), query("procurement"))
    assert matched.count() == 6
    assert matched.filter(sectors=sector).count() == 5
    assert len(matched.order_by("-search_rank")[1:3]) == 2
    nested = CaseStudy.objects.filter(pk__in=matched.values("pk"))
    assert nested.count() == 6


# --- Excerpts ------------------------------------------------------------------------------------------


def excerpts(case, text):
    return sqlite.highlighted_excerpts([case.pk], query(text)).get(case.pk)


def marked(excerpt):
    return [part.split(HIGHLIGHT_STOP)[0] for part in excerpt.split(HIGHLIGHT_START)[1:]]


def test_excerpt_marks_whole_words_only():
    case = CaseStudyFactory(
        title="Portal",
        summary="The e-government portal serves every agency.",
        overview="Each office, every employee: e-government everywhere.",
    )
    excerpt = excerpts(case, "e-government")
    assert marked(excerpt) == ["e-government", "e-government"]


def test_excerpt_marks_stemmed_and_folded_words_as_written():
    case = CaseStudyFactory(title="Portal", summary="Governments of Türkiye shared records.")
    assert marked(excerpts(case, "government turkiye")) == ["Governments", "Türkiye"]


def test_excerpt_has_at_most_two_fragments_of_the_best_sections():
    words = " ".join(f"word{n}" for n in range(60))
    case = CaseStudyFactory(
        title="Portal",
        summary="A summary.",
        overview=f"{words} seaweed {words}",
        results_impact=f"{words} seaweed, kelp and seaweed {words}",
        lessons_learned=f"seaweed {words}",
    )
    excerpt = excerpts(case, "seaweed")
    assert excerpt.count(" … ") == 1
    assert len(excerpt.split()) <= 2 * sqlite.EXCERPT_WORDS + 3
    # The results (two matches), then the first of the sections with one, in the order of the case.
    assert excerpt.count(HIGHLIGHT_START) == 3
    assert excerpt.index("word59") < excerpt.index("kelp")


def test_text_holding_a_marker_is_not_excerpted():
    case = CaseStudyFactory(title="Portal", summary="Seaweed")
    CaseStudy.objects.filter(pk=case.pk).update(summary=f"{HIGHLIGHT_START}seaweed{HIGHLIGHT_STOP} farming")
    assert excerpts(case, "seaweed") is None


def test_title_only_match_has_no_excerpt():
    case = CaseStudyFactory(title="Seaweed", summary="Farming on the coast.")
    assert excerpts(case, "seaweed") is None


# --- Type-ahead, word list, close words, likeness ------------------------------------------------------


def test_title_matches_each_word_as_the_start_of_a_title_word():
    case = CaseStudyFactory(title="Government telemedicine network", summary="Rural clinics.")
    CaseStudyFactory(title="Clinic network", summary="Government telemedicine.")
    published = CaseStudy.objects.published()
    assert list(sqlite.title_matches(published, query("governme tele"))) == [case]
    assert list(sqlite.title_matches(published, query("rural"))) == []


def test_word_counts_count_only_published_cases_words_as_written():
    CaseStudyFactory(
        title="Türkiye COVID-19 governments", summary="Telemedicine.", lead_organisation="Ministry"
    )
    CaseStudyFactory(title="Governments online", summary="Portal.", lead_organisation="Ministry")
    CaseStudyFactory(title="Secret draft", status=Status.DRAFT, summary="Telemedicine.")
    counts = dict(sqlite.word_counts())
    assert counts["governments"] == 2
    assert counts["telemedicine"] == 1
    assert counts["turkiye"] == 1
    assert counts["covid-19"] == counts["covid"] == counts["19"] == 1
    assert counts["ministry"] == 2
    assert "secret" not in counts
    assert "overview" not in counts  # the narrative is not counted


def test_close_words_are_the_most_similar_first():
    SearchWord.objects.bulk_create(
        [
            SearchWord(word="government", documents=10),
            SearchWord(word="governments", documents=3),
            SearchWord(word="movement", documents=50),
            SearchWord(word="go", documents=99),
        ]
    )
    close = sqlite.close_words(["goverment", "zzzzzz"], limit=2)
    assert [word for word, _documents in close["goverment"]] == ["government", "governments"]
    assert close["zzzzzz"] == []


def test_text_likeness_scores_cases_with_more_of_the_words_higher():
    most = CaseStudyFactory(title="Seaweed kelp farming", summary="Seaweed and kelp.")
    some = CaseStudyFactory(title="Kelp", summary="Nothing.")
    none = CaseStudyFactory(title="Unrelated")
    likeness = sqlite.text_likeness(["seaweed", "kelp"])
    scored = dict(CaseStudy.objects.annotate(likeness=likeness).values_list("pk", "likeness"))
    assert scored[most.pk] == max(scored.values())
    assert 0 < scored[some.pk] < 1
    assert scored[none.pk] == 0
    assert sqlite.text_likeness([]) is None

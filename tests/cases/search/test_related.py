"""Related cases computed off the request path (cases/search/related.py): the same ranking the case page
computed while the reader waited, stored with why; refreshed after writes, stale lists found and drained.
Issue 18: the published methods two cases share count too, and each row says why in a sentence or two."""

import itertools
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Case, F, FloatField, IntegerField, Value, When
from django.utils import timezone, translation

from cases.interchange.generation import CaseGenerator, ReferenceData, insert_batch
from cases.models import (
    CaseMethod,
    CaseStudy,
    Economy,
    EntryStatus,
    InnovationFacet,
    Method,
    RelatedCase,
    RelatedCaseList,
    Sector,
    Theme,
)
from cases.models.related import KEPT, SHOWN
from cases.search import related
from cases.search.engine import text_likeness
from cases.search.query import words_of
from cases.search.related import (
    compute_related,
    mark_stale,
    refresh_after_write,
    refresh_related,
    stale_case_ids,
    terms_of,
)
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db


def ranking_before_issue_15(case, *, limit):
    """The related cases as the case page computed them in the reader's request before issue 15 (the code
    of cases/search/related.py's related_case_ids then, verbatim but for the last tie-break on the id, which
    makes the order of two candidates equal in score and publication time definite)."""
    weights = {"themes": 3, "sectors": 2, "facets": 1}
    parts, params = [], []
    for relation, weight in weights.items():
        field = CaseStudy._meta.get_field(relation)
        through = field.remote_field.through
        own = through._meta.get_field(field.m2m_field_name()).column
        other = through._meta.get_field(field.m2m_reverse_field_name()).column
        ids = list(getattr(case, relation).values_list("pk", flat=True))
        if not ids:
            continue
        placeholders = ", ".join(["%s"] * len(ids))
        parts.append(
            f"SELECT {own} AS case_id, {int(weight)} AS weight FROM {through._meta.db_table} "
            f"WHERE {other} IN ({placeholders})"
        )
        params += ids
    if not parts:
        return []
    sql = (
        f"SELECT case_id, SUM(weight) AS score FROM ({' UNION ALL '.join(parts)}) AS shared "
        f"WHERE case_id <> %s GROUP BY case_id ORDER BY score DESC, case_id DESC LIMIT 200"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, case.pk])
        scores = dict(cursor.fetchall())
    if not scores:
        return []
    candidates = (
        CaseStudy.objects.published()
        .filter(pk__in=list(scores))
        .annotate(
            vocabulary_score=Case(
                *[When(pk=pk, then=Value(score)) for pk, score in scores.items()],
                default=Value(0),
                output_field=IntegerField(),
            )
            + Case(
                When(economy_id=case.economy_id, then=Value(1)), default=Value(0), output_field=IntegerField()
            )
        )
    )
    words = [word for word in words_of(f"{case.title} {case.summary}") if len(word) > 3 and word.isalpha()][
        :12
    ]
    likeness = text_likeness(words)
    relevance = F("vocabulary_score") if likeness is None else F("vocabulary_score") + likeness * 10
    candidates = candidates.annotate(relevance=relevance * Value(1.0, output_field=FloatField()))
    ordered = candidates.order_by("-relevance", "-published_at", "-pk")
    return list(ordered.values_list("pk", flat=True)[:limit])


def stored(case) -> list[int]:
    return list(RelatedCase.objects.filter(case=case).order_by("rank").values_list("related", flat=True))


def shown(case) -> list[int]:
    return [row.related_id for row in RelatedCase.objects.shown_on(case)]


@pytest.fixture
def terms():
    return {
        "digital": Theme.objects.get(slug="digital-government"),
        "open": Theme.objects.get(slug="open-government"),
        "health": Sector.objects.get(slug="health"),
        "adaptive": InnovationFacet.objects.get(slug="adaptive"),
    }


@pytest.fixture
def catalogue():
    """A small generated catalogue (realistic titles, summaries and vocabularies, as generate_cases makes
    them), a few of its cases taken out of publication, and every list computed."""
    generator = CaseGenerator(15, ReferenceData.load(), today=timezone.now().date())
    insert_batch([generator.case(number) for number in range(1, 81)])
    hidden = list(CaseStudy.objects.order_by("pk").values_list("pk", flat=True)[::9])
    CaseStudy.objects.filter(pk__in=hidden).update(status="archived")
    refresh_related(CaseStudy.objects.values_list("pk", flat=True))
    return CaseStudy.objects.published()


def test_every_stored_list_is_the_ranking_the_page_computed_before(catalogue):
    """Each published case's list, the first SHOWN (what the page shows) and all KEPT, is what the page's
    own computation gave before issue 15."""
    for case in catalogue:
        assert stored(case) == ranking_before_issue_15(case, limit=KEPT), case.slug
        assert shown(case) == ranking_before_issue_15(case, limit=SHOWN), case.slug


def test_the_lists_are_full_and_say_why(catalogue):
    rows = RelatedCase.objects.filter(case__in=catalogue)
    assert rows.count() == KEPT * catalogue.count()
    assert rows.exclude(shared_themes=[]).exists()
    assert rows.filter(same_economy=True).exists()
    assert any(row.text_alike for row in rows)


@pytest.mark.parametrize("candidates", [200, 7, 1])
def test_candidates_found_in_memory_are_those_the_sql_finds(catalogue, monkeypatch, candidates):
    """Two ways to the same candidates: an aggregate query per case (a few cases after a write), bitmaps in
    memory (a refresh of many). With fewer candidates than cases sharing terms, the choice among cases of
    equal score (the newest ids) is exercised too."""
    monkeypatch.setattr(related, "CANDIDATES", candidates)
    ids = list(CaseStudy.objects.values_list("pk", flat=True))  # any status: as the SQL counts them
    terms = terms_of(ids)
    in_sql, in_memory = related._Candidates(), related._CandidatesInMemory()
    for pk in ids:
        assert list(in_memory.of(pk, terms[pk]).items()) == list(in_sql.of(pk, terms[pk]).items()), pk


def test_a_refresh_in_memory_stores_the_same_lists(catalogue):
    ids = list(catalogue.values_list("pk", flat=True))
    refresh_related(ids, in_memory=False)
    in_sql = {pk: stored(pk) for pk in ids}
    refresh_related(ids, in_memory=True)
    assert {pk: stored(pk) for pk in ids} == in_sql


def test_a_row_says_which_terms_are_shared_and_scores_them(terms):
    singapore, malaysia = Economy.objects.get(iso2="SG"), Economy.objects.get(iso2="MY")
    case = CaseStudyFactory(
        title="Alpha", economy=singapore, themes=[terms["digital"], terms["open"]], facets=[terms["adaptive"]]
    )
    close = CaseStudyFactory(title="Beta", economy=singapore, themes=[terms["digital"]])
    far = CaseStudyFactory(title="Gamma", economy=malaysia, facets=[terms["adaptive"]])

    rows = compute_related([case.pk])[case.pk]

    assert [row.related_id for row in rows] == [close.pk, far.pk]
    first, second = rows
    assert (first.rank, first.shared_themes, first.shared_sectors) == (
        1,
        [terms["digital"].pk],
        [terms["health"].pk],
    )
    assert (first.shared_facets, first.same_economy) == ([], True)
    assert first.score == pytest.approx(3 + 2 + 1 + first.text_score)
    assert (second.shared_themes, second.shared_sectors, second.shared_facets) == (
        [],
        [terms["health"].pk],
        [terms["adaptive"].pk],
    )
    assert not second.same_economy
    assert second.score == pytest.approx(2 + 1 + second.text_score)


def test_reasons_name_the_shared_terms_from_the_vocabularies(terms):
    case = CaseStudyFactory(themes=[terms["digital"], terms["open"]])
    other = CaseStudyFactory(themes=[terms["open"]])
    refresh_related([case.pk])
    row = RelatedCase.objects.get(case=case, related=other)

    # What names shared terms first; then the likeness of the texts, however much it added (the factory's
    # titles and summaries are alike); then the weak reasons.
    assert row.reason_kinds == ["sectors_themes", "text", "economy"]
    assert row.text_score > 5
    assert row.reasons() == [
        "Same sector and theme: Health, Open government",
        "Similar in what it set out to do",
    ]
    assert row.reasons(limit=3)[2] == "Same economy: Singapore"


def test_a_list_holds_neither_the_case_itself_nor_unpublished_cases(terms):
    case = CaseStudyFactory(themes=[terms["digital"]])
    draft = CaseStudyFactory(themes=[terms["digital"]], status="draft")
    archived = CaseStudyFactory(themes=[terms["digital"]], status="archived")
    published = CaseStudyFactory(themes=[terms["digital"]])

    refresh_related([case.pk, draft.pk])

    assert stored(case) == [published.pk]
    assert stored(draft) == [published.pk, case.pk]  # a draft's list is ready for its preview
    assert archived.pk not in stored(case) + stored(draft)


def test_a_case_sharing_nothing_has_an_empty_list_marked_computed():
    case = CaseStudyFactory(sectors=[])

    refresh_related([case.pk])

    assert stored(case) == []
    assert RelatedCaseList.objects.get(case=case).stale is False
    assert case.pk not in stale_case_ids()


def test_cases_with_the_same_terms_share_one_candidate_query(terms, django_assert_max_num_queries):
    cases = [CaseStudyFactory(themes=[terms["digital"]]) for _ in range(6)]
    # Terms of the cases and of their related cases (2), candidates once (1), a ranking per case (6), the
    # cases (1), and the store: delete, insert rows, upsert the lists (3), with their savepoint (2 at most).
    with django_assert_max_num_queries(15):
        refresh_related([case.pk for case in cases])
    for case in cases:
        assert stored(case) == ranking_before_issue_15(case, limit=KEPT)


def test_stale_lists_are_the_missing_the_marked_and_the_older_than_their_case(terms):
    missing, marked, edited, current = (CaseStudyFactory(themes=[terms["digital"]]) for _ in range(4))
    draft = CaseStudyFactory(status="draft")
    refresh_related([marked.pk, edited.pk, current.pk])
    mark_stale([marked.pk])
    CaseStudy.objects.filter(pk=edited.pk).update(updated_at=timezone.now())  # a write around the task

    assert set(stale_case_ids()) == {missing.pk, marked.pk, edited.pk}  # published cases only
    assert draft.pk not in stale_case_ids()


def test_a_write_refreshes_its_case_and_marks_its_neighbours(terms):
    first, second, third = (CaseStudyFactory(themes=[terms["digital"]]) for _ in range(3))
    refresh_related([first.pk, second.pk, third.pk])
    newcomer = CaseStudyFactory(themes=[terms["digital"]])

    done = refresh_after_write([newcomer.pk])

    assert done["written"] == 1
    assert set(stored(newcomer)) == {first.pk, second.pk, third.pk}
    # The cases on its list are the likeliest to take it in: marked stale, refreshed by the command.
    assert set(stale_case_ids()) == {first.pk, second.pk, third.pk}
    call_command("refresh_related", stale=True, stdout=StringIO())
    assert newcomer.pk in stored(first)


def test_a_draft_written_gets_its_list_and_moves_nobody_elses(terms):
    cases = [CaseStudyFactory(themes=[terms["digital"]]) for _ in range(3)]
    refresh_related([case.pk for case in cases])
    draft = CaseStudyFactory(themes=[terms["digital"]], status="draft")

    done = refresh_after_write([draft.pk])

    assert (done["written"], done["marked_stale"]) == (1, 0)
    assert set(stored(draft)) == {case.pk for case in cases}


def test_a_case_leaving_publication_marks_the_lists_it_is_on(terms):
    leaving, *others = (CaseStudyFactory(themes=[terms["digital"]]) for _ in range(3))
    refresh_related([leaving.pk, *(other.pk for other in others)])
    CaseStudy.objects.filter(pk=leaving.pk).update(status="archived", updated_at=timezone.now())

    refresh_after_write([leaving.pk])

    assert set(stale_case_ids()) == {other.pk for other in others}
    call_command("refresh_related", stale=True, stdout=StringIO())
    assert all(leaving.pk not in stored(other) for other in others)


def test_a_large_write_recomputes_a_bounded_number_of_lists_and_leaves_the_rest_stale(terms):
    cases = [CaseStudyFactory(themes=[terms["digital"]]) for _ in range(4)]

    done = refresh_after_write([case.pk for case in cases], written_limit=1)

    assert (done["written"], done["left_stale"]) == (1, 3)
    assert len(stale_case_ids()) == 3


def test_a_deleted_case_leaves_every_list(terms):
    case, gone = CaseStudyFactory(themes=[terms["digital"]]), CaseStudyFactory(themes=[terms["digital"]])
    refresh_related([case.pk, gone.pk])

    gone.delete()

    assert stored(case) == []
    assert not RelatedCase.objects.filter(case_id=gone.pk).exists()


def test_an_unpublished_case_leaves_every_shown_list_at_once_without_a_refresh(terms):
    case = CaseStudyFactory(themes=[terms["digital"]])
    others = [CaseStudyFactory(themes=[terms["digital"]]) for _ in range(SHOWN + 1)]
    refresh_related([case.pk])
    leaving = others[-1]  # the newest ranks first among equals
    assert shown(case)[0] == leaving.pk

    CaseStudy.objects.filter(pk=leaving.pk).update(status="draft")  # no task, no refresh

    assert leaving.pk not in shown(case)
    assert len(shown(case)) == SHOWN  # the list keeps more than it shows


# --- Methods (issue 18) ---------------------------------------------------------------------------

_method_numbers = itertools.count(1)


def make_method(name=None, *, status=EntryStatus.PUBLISHED):
    n = next(_method_numbers)
    return Method.objects.create(
        name=name or f"Method {n}",
        slug=f"related-method-{n}",
        summary="What it is, in one sentence.",
        description="What it is, at length.",
        discipline="design",
        status=status,
        published_at=timezone.now() if status == EntryStatus.PUBLISHED else None,
    )


def uses(case, method, role="primary"):
    CaseMethod.objects.create(case=case, method=method, role=role)


def test_a_shared_method_raises_a_case_above_one_sharing_a_theme(terms):
    sandbox = make_method("Regulatory sandbox")
    case = CaseStudyFactory(themes=[terms["digital"]])
    uses(case, sandbox)
    same_theme = CaseStudyFactory(themes=[terms["digital"]])
    same_method = CaseStudyFactory(title=same_theme.title, summary=same_theme.summary)  # the text: no help
    uses(same_method, sandbox)

    rows = compute_related([case.pk])[case.pk]

    assert [row.related_id for row in rows] == [same_method.pk, same_theme.pk]
    # The main method of both: a theme's 3, and 1 for each case whose main method it is.
    assert rows[0].score - rows[0].text_score == pytest.approx(5 + 2 + 1)
    assert rows[0].shared_methods == [sandbox.pk]
    assert rows[0].reason_kinds == ["methods", "sectors_themes", "text", "economy"]


def test_a_method_only_also_used_counts_less_than_a_main_one(terms):
    sandbox, lab = make_method(), make_method()
    case = CaseStudyFactory()
    uses(case, sandbox)
    uses(case, lab, role="also")
    main_of_both, main_of_one, also_of_both = (CaseStudyFactory() for _ in range(3))
    uses(main_of_both, sandbox)
    uses(main_of_one, sandbox, role="also")
    uses(also_of_both, lab, role="also")

    rows = compute_related([case.pk])[case.pk]

    assert [row.related_id for row in rows] == [main_of_both.pk, main_of_one.pk, also_of_both.pk]
    assert [round(row.score - row.text_score) for row in rows] == [5 + 3, 4 + 3, 3 + 3]  # + sector, economy


def test_the_shared_methods_are_kept_strongest_first(terms):
    first, second, third = make_method(), make_method(), make_method()
    case, other = CaseStudyFactory(), CaseStudyFactory()
    uses(case, first, role="also")
    uses(case, second, role="also")
    uses(case, third)
    uses(other, first, role="also")
    uses(other, second)
    uses(other, third)

    (row,) = compute_related([case.pk])[case.pk]

    assert row.shared_methods == [third.pk, second.pk, first.pk]


def test_the_reason_names_the_shared_method_in_the_readers_language(terms):
    sandbox = make_method("Regulatory sandbox")
    case, other = CaseStudyFactory(themes=[terms["digital"]]), CaseStudyFactory(themes=[terms["digital"]])
    uses(case, sandbox)
    uses(other, sandbox)
    refresh_related([case.pk])

    (row,) = RelatedCase.objects.shown_on(case)

    # The method (5: the main one of both) before the sector and the theme (2 + 3), as strong: the order of
    # the kinds breaks the tie.
    assert row.reasons() == [
        "Same method: Regulatory sandbox",
        "Same sector and theme: Health, Digital government",
    ]
    assert row.reasons(limit=5) == [
        "Same method: Regulatory sandbox",
        "Same sector and theme: Health, Digital government",
        "Similar in what it set out to do",
        "Same economy: Singapore",
    ]
    # Terms are named in the reader's language where they have a translation (the vocabulary snapshot's).
    health = Sector.objects.get(slug="health")
    health.translations = {"ja": {"name": "保健"}}
    health.save()  # moves the vocabulary version: the snapshot is read again
    with translation.override("ja"):
        assert "保健" in " ".join(row.reasons(limit=5))


def test_a_draft_method_is_never_named_and_does_not_count(terms):
    draft = make_method("Unannounced method", status=EntryStatus.DRAFT)
    case = CaseStudyFactory(themes=[terms["digital"]])
    uses(case, draft)
    with_draft = CaseStudyFactory()
    uses(with_draft, draft)
    same_theme = CaseStudyFactory(themes=[terms["digital"]])

    refresh_related([case.pk])

    assert stored(case) == [same_theme.pk, with_draft.pk]
    row = RelatedCase.objects.get(case=case, related=with_draft)
    assert (row.shared_methods, row.score - row.text_score) == ([], pytest.approx(2 + 1))
    assert not any(
        "Unannounced" in reason
        for row in RelatedCase.objects.shown_on(case)
        for reason in row.reasons(limit=9)
    )
    assert terms_of([case.pk])[case.pk]["methods"] == frozenset()


def test_a_method_unpublished_since_the_list_was_computed_is_never_named(terms):
    sandbox, lab = make_method("Regulatory sandbox"), make_method("Living lab")
    case, other = CaseStudyFactory(), CaseStudyFactory()
    for method in (sandbox, lab):
        uses(case, method)
        uses(other, method)
    refresh_related([case.pk])
    Method.objects.filter(pk=sandbox.pk).update(status=EntryStatus.ARCHIVED)  # no refresh

    (shown_row,) = RelatedCase.objects.shown_on(case)
    read_otherwise = RelatedCase.objects.get(case=case)

    assert shown_row.shared_methods == read_otherwise.shared_methods == [sandbox.pk, lab.pk]
    assert shown_row.reasons()[0] == read_otherwise.reasons()[0] == "Same method: Living lab"

    Method.objects.filter(pk=lab.pk).update(status=EntryStatus.DRAFT)
    (shown_row,) = RelatedCase.objects.shown_on(case)
    # No method left to name: the next reasons take its place.
    assert shown_row.reasons() == ["Same sector: Health", "Similar in what it set out to do"]


def test_a_method_a_case_no_longer_uses_is_not_named_before_its_list_is_refreshed(terms):
    sandbox = make_method("Regulatory sandbox")
    case, other = CaseStudyFactory(), CaseStudyFactory()
    uses(case, sandbox)
    uses(other, sandbox)
    refresh_related([case.pk])
    CaseMethod.objects.filter(case=other).delete()  # its task never runs here: the list stays as it was
    assert stored(case) == [other.pk]

    (row,) = RelatedCase.objects.shown_on(case)

    assert "Regulatory sandbox" not in " ".join(row.reasons(limit=9))


def test_a_reason_names_the_strongest_three_at_most(terms):
    themes = [
        terms["digital"],
        terms["open"],
        Theme.objects.exclude(pk__in=[terms["digital"].pk, terms["open"].pk]).first(),
    ]
    case, other = CaseStudyFactory(themes=themes), CaseStudyFactory(themes=themes)
    for n in range(4):
        method = make_method(f"Method named {n}")
        uses(case, method)
        uses(other, method)
    refresh_related([case.pk])

    (row,) = RelatedCase.objects.shown_on(case)

    # Four methods, the main one of both (5 points each), before three themes and a sector (3 each, 2).
    named_methods, vocabulary = row.reasons()
    # Three themes (3 points each) before the sector (2): the sector is left out.
    assert vocabulary.startswith("Same themes: ")
    assert "Health" not in vocabulary
    assert vocabulary.count(",") == 2
    assert named_methods == "Same methods: Method named 0, Method named 1, Method named 2"


def test_reasons_of_rows_stored_before_they_were_ordered_follow_the_weights(terms):
    case = CaseStudyFactory(themes=[terms["digital"]])
    CaseStudyFactory(themes=[terms["digital"]])
    refresh_related([case.pk])
    RelatedCase.objects.filter(case=case).update(reason_kinds=[])  # as migration 0040 left them

    (row,) = RelatedCase.objects.shown_on(case)

    assert row.reasons() == [
        "Same sector and theme: Health, Digital government",
        "Similar in what it set out to do",
    ]


@pytest.mark.parametrize("count", [2, KEPT])
def test_reading_the_list_with_its_reasons_is_one_query_however_long(
    terms, count, django_assert_max_num_queries
):
    methods = [make_method(f"Shared method {n}") for n in range(3)]
    case = CaseStudyFactory(themes=[terms["digital"]], facets=[terms["adaptive"]])
    for method in methods:
        uses(case, method)
    for n in range(count):
        other = CaseStudyFactory(themes=[terms["digital"]], facets=[terms["adaptive"]])
        for method in methods[: 1 + n % 3]:
            uses(other, method, role="also" if n % 2 else "primary")
    refresh_related([case.pk])
    RelatedCase.objects.shown_on(case, limit=KEPT)[0].reasons()  # the vocabulary snapshot, read once

    # The rows, their related cases and economies, the terms their cards show and the methods published now
    # that the two cases share: one query, whatever the number of rows.
    with django_assert_max_num_queries(1):
        reasons = [row.reasons(limit=9) for row in RelatedCase.objects.shown_on(case, limit=KEPT)]

    assert len(reasons) == count
    assert all(any(sentence.startswith("Same method") for sentence in sentences) for sentences in reasons)


def test_a_write_to_a_cases_methods_refreshes_its_list(terms, django_capture_on_commit_callbacks):
    sandbox = make_method("Regulatory sandbox")
    case, other, unrelated = CaseStudyFactory(sectors=[]), CaseStudyFactory(sectors=[]), CaseStudyFactory()
    uses(other, sandbox)
    refresh_related([case.pk, other.pk])
    assert stored(case) == []

    with django_capture_on_commit_callbacks(execute=True):
        link = CaseMethod.objects.create(case=case, method=sandbox)
    assert stored(case) == [other.pk]

    with django_capture_on_commit_callbacks(execute=True):
        link.delete()
    assert stored(case) == []

    # A row moved to another case: both lists follow.
    link = CaseMethod.objects.create(case=case, method=sandbox)
    refresh_related([case.pk])
    with django_capture_on_commit_callbacks(execute=True):
        link.case = unrelated
        link.save()
    assert stored(case) == []
    assert other.pk in stored(unrelated)


@pytest.fixture
def catalogue_with_methods(catalogue):
    """The generated catalogue, its cases using some of a few methods (main or also used; one method a
    draft, one archived), linked in bulk: the candidates are compared directly, not through a refresh."""
    methods = [make_method() for _ in range(5)]
    methods += [make_method(status=EntryStatus.DRAFT), make_method(status=EntryStatus.ARCHIVED)]
    links = []
    for number, pk in enumerate(CaseStudy.objects.order_by("pk").values_list("pk", flat=True)):
        for offset, method in enumerate(methods):
            if (number * 7 + offset * 3) % 5 < 2:
                role = "primary" if (number + offset) % 3 == 0 else "also"
                links.append(CaseMethod(case_id=pk, method=method, role=role))
    CaseMethod.objects.bulk_create(links)
    return catalogue


@pytest.mark.parametrize("candidates", [200, 7, 1])
def test_with_methods_candidates_found_in_memory_are_those_the_sql_finds(
    catalogue_with_methods, monkeypatch, candidates
):
    monkeypatch.setattr(related, "CANDIDATES", candidates)
    ids = list(CaseStudy.objects.values_list("pk", flat=True))
    terms = terms_of(ids)
    assert any(terms[pk]["main_methods"] for pk in ids)
    assert any(terms[pk]["methods"] - terms[pk]["main_methods"] for pk in ids)
    in_sql, in_memory = related._Candidates(), related._CandidatesInMemory()
    for pk in ids:
        assert list(in_memory.of(pk, terms[pk]).items()) == list(in_sql.of(pk, terms[pk]).items()), pk


def test_with_methods_a_refresh_in_memory_stores_the_same_rows(catalogue_with_methods):
    ids = list(catalogue_with_methods.values_list("pk", flat=True))
    fields = ("case", "rank", "related", "shared_methods", "reason_kinds", "shared_themes", "same_economy")

    def rows():
        return list(RelatedCase.objects.filter(case__in=ids).order_by("case", "rank").values_list(*fields))

    refresh_related(ids, in_memory=False)
    in_sql = rows()
    refresh_related(ids, in_memory=True)
    assert rows() == in_sql
    assert any(row[3] for row in in_sql)  # methods shared, and said
    unpublished = set(Method.objects.exclude(status=EntryStatus.PUBLISHED).values_list("pk", flat=True))
    assert not any(set(row[3]) & unpublished for row in in_sql)

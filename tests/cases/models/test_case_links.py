"""`case.links` (cases/models/case_links.py): a case's links to published cases in both directions, seen from
the case, in one query for one case or for a whole list."""

import itertools

import pytest

from cases.models import CaseStudy, LinkedCase
from tests.factories import CaseLinkFactory, CaseStudyFactory

pytestmark = pytest.mark.django_db


def seen(case) -> list[tuple[str, str]]:
    return [(link.relation, link.case.title) for link in case.links]


def test_links_are_seen_from_the_case_in_both_directions():
    case = CaseStudyFactory(title="Origin")
    CaseLinkFactory(
        from_case=case, to_case=CaseStudyFactory(title="Source"), relation="adapted_from", note="n"
    )
    CaseLinkFactory(from_case=CaseStudyFactory(title="Copy"), to_case=case, relation="adapted_from")
    CaseLinkFactory(
        from_case=CaseStudyFactory(title="Origin's origin"), to_case=case, relation="replicated_in"
    )
    CaseLinkFactory(from_case=CaseStudyFactory(title="Neighbour"), to_case=case, relation="related_to")

    assert seen(CaseStudy.objects.get(pk=case.pk)) == [
        ("adapted_from", "Source"),
        ("replicated_in", "Copy"),
        ("adapted_from", "Origin's origin"),
        ("related_to", "Neighbour"),
    ]
    assert CaseStudy.objects.get(pk=case.pk).links[0].note == "n"


@pytest.mark.parametrize("status", ["draft", "submitted", "in_review", "changes_requested", "archived"])
def test_links_to_unpublished_cases_are_never_seen(status):
    case = CaseStudyFactory(title="Origin")
    hidden = CaseStudyFactory(title="Hidden", status=status)
    CaseLinkFactory(from_case=case, to_case=hidden, relation="adapted_from")
    CaseLinkFactory(from_case=hidden, to_case=case, relation="related_to")

    assert seen(CaseStudy.objects.get(pk=case.pk)) == []


def test_an_unpublished_case_at_one_end_never_shows_on_the_other_when_both_are_read_together():
    published = CaseStudyFactory(title="Published")
    draft = CaseStudyFactory(title="Draft", status="draft")
    CaseLinkFactory(from_case=draft, to_case=published, relation="adapted_from")

    by_id = CaseStudy.objects.prefetch_related("links").in_bulk([published.pk, draft.pk])

    assert seen(by_id[published.pk]) == []  # the draft is not public
    assert seen(by_id[draft.pk]) == [("adapted_from", "Published")]  # (a staff preview of the draft)


def test_two_links_saying_the_same_thing_are_seen_once():
    case, other = CaseStudyFactory(), CaseStudyFactory(title="Other")
    CaseLinkFactory(from_case=case, to_case=other, relation="adapted_from")
    CaseLinkFactory(from_case=other, to_case=case, relation="replicated_in")

    assert seen(CaseStudy.objects.get(pk=case.pk)) == [("adapted_from", "Other")]


def test_one_case_reads_its_links_and_their_economies_in_one_query(django_assert_num_queries):
    case = CaseStudyFactory()
    for _ in range(3):
        CaseLinkFactory(from_case=case, to_case=CaseStudyFactory())
        CaseLinkFactory(from_case=CaseStudyFactory(), to_case=case)
    case = CaseStudy.objects.get(pk=case.pk)

    with django_assert_num_queries(1):
        names = [link.case.economy.name for link in case.links] + [link.case.title for link in case.links]

    assert len(names) == 12


def test_a_list_of_cases_reads_all_their_links_in_one_query(django_assert_num_queries):
    cases = [CaseStudyFactory() for _ in range(4)]
    for first, second in itertools.pairwise(cases):
        CaseLinkFactory(from_case=first, to_case=second, relation="replicated_in")

    with django_assert_num_queries(2):  # the cases, then every link of them
        found = list(CaseStudy.objects.filter(pk__in=[case.pk for case in cases]).prefetch_related("links"))
        links = {case.pk: [(link.relation, link.case.pk) for link in case.links] for case in found}

    first, second, third, fourth = (case.pk for case in cases)
    assert links == {
        first: [("replicated_in", second)],
        second: [("adapted_from", first), ("replicated_in", third)],
        third: [("adapted_from", second), ("replicated_in", fourth)],
        fourth: [("adapted_from", third)],
    }


def test_for_detail_reads_the_links_with_the_case():
    case = CaseStudyFactory()
    CaseLinkFactory(from_case=case, to_case=CaseStudyFactory(title="Other"))

    found = CaseStudy.objects.for_detail().get(pk=case.pk)

    assert found.links == [LinkedCase("adapted_from", found.links[0].case, "")]
    assert found.links[0].case.title == "Other"

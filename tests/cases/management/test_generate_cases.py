"""`manage.py generate_cases`: synthetic published cases for load tests and benchmarks."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from cases.interchange.generation import NARRATIVE_FIELDS
from cases.models import CaseStudy, Economy, Outcome, RelatedCase, RelatedCaseList, Status
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db


def generate(**options) -> str:
    out = StringIO()
    call_command("generate_cases", stdout=out, **options)
    return out.getvalue()


def generated_titles(seed: int) -> list[str]:
    cases = CaseStudy.objects.filter(slug__startswith=f"gen-{seed}-")
    return [title for _, title in sorted(cases.values_list("id", "title"))]


def test_makes_exactly_the_number_of_cases_asked_for():
    generate(count=25, seed=1, batch_size=10)

    assert CaseStudy.objects.count() == 25


def test_generated_cases_are_all_published_with_a_publication_date():
    generate(count=25, seed=1)

    assert CaseStudy.objects.published().count() == 25
    assert not CaseStudy.objects.exclude(status=Status.PUBLISHED).exists()
    assert not CaseStudy.objects.filter(published_at__isnull=True).exists()


@pytest.mark.parametrize(
    ("relation", "fewest", "most"),
    [("sectors", 1, 3), ("themes", 0, 4), ("facets", 0, 2), ("sdgs", 0, 4)],
)
def test_each_case_links_to_a_number_of_terms_within_the_limits(relation, fewest, most):
    generate(count=60, seed=2)

    counts = set(CaseStudy.objects.annotate(terms=Count(relation)).values_list("terms", flat=True))

    assert min(counts) == fewest
    assert max(counts) == most


def test_every_narrative_section_is_filled_with_several_sentences():
    generate(count=20, seed=3)

    for case in CaseStudy.objects.all():
        for name in NARRATIVE_FIELDS:
            assert getattr(case, name).count(". ") >= 1, (case.slug, name)


def test_cases_are_spread_over_several_apo_economies():
    generate(count=60, seed=4)

    economies = Economy.objects.filter(primary_cases__isnull=False).distinct()

    assert economies.count() >= 10
    assert not economies.filter(is_apo_member=False).exists()


def test_some_cases_have_outcomes():
    generate(count=30, seed=5)

    assert Outcome.objects.filter(case__slug__startswith="gen-5-").count() >= 10


def test_generated_cases_pass_model_validation():
    generate(count=30, seed=6)

    for case in CaseStudy.objects.all():
        case.full_clean()


def test_same_seed_gives_the_same_titles():
    generate(count=15, seed=7)
    first = generated_titles(7)
    CaseStudy.objects.all().delete()

    generate(count=15, seed=7)

    assert generated_titles(7) == first


def test_different_seeds_give_different_cases_side_by_side():
    generate(count=15, seed=8)
    generate(count=15, seed=9)

    assert CaseStudy.objects.count() == 30
    assert generated_titles(8) != generated_titles(9)


def test_rerun_with_the_same_seed_skips_the_existing_cases_and_says_so():
    generate(count=10, seed=10)

    output = generate(count=10, seed=10)

    assert CaseStudy.objects.count() == 10
    assert "Generated 0 cases" in output
    assert "skipped 10 that already existed (seed 10)" in output


def test_rerun_with_a_larger_count_adds_only_the_missing_cases():
    generate(count=10, seed=11)
    first = generated_titles(11)

    generate(count=14, seed=11)

    assert CaseStudy.objects.count() == 14
    assert generated_titles(11)[:10] == first


def test_a_case_already_holding_a_generated_slug_is_left_alone():
    curated = CaseStudyFactory(slug="gen-12-2", title="A curated case")

    generate(count=3, seed=12)

    curated.refresh_from_db()
    assert curated.title == "A curated case"
    assert CaseStudy.objects.count() == 3


def test_reports_progress_for_every_batch_and_a_summary():
    output = generate(count=25, seed=13, batch_size=10)

    assert "10/25" in output
    assert "20/25" in output
    assert "25/25" in output
    assert "Generated 25 cases in " in output
    assert " cases/s)" in output


def test_inserts_in_bulk_so_queries_do_not_grow_with_the_count(django_assert_max_num_queries):
    # About 20 for the cases, and a dozen for the search's word list rebuilt once they are committed (the
    # thesaurus, the vocabularies, the words): none grows with the count. (Their related cases take a query
    # per case, for its text likeness: tests/cases/management/test_refresh_related.py.) One more for the
    # statistics' bitmaps of the cases' methods (issue 18).
    with django_assert_max_num_queries(36):
        generate(count=80, seed=14, skip_related=True)


@pytest.mark.parametrize("count", [0, -3])
def test_a_count_below_one_is_refused(count):
    with pytest.raises(CommandError, match="--count must be at least 1"):
        generate(count=count, seed=1)


def test_a_negative_seed_is_refused():
    with pytest.raises(CommandError, match="--seed must be 0 or more"):
        generate(count=1, seed=-1)


def test_a_batch_size_below_one_is_refused():
    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        generate(count=1, seed=1, batch_size=0)


def test_generated_cases_have_their_related_cases():
    output = generate(count=30, seed=4)

    assert RelatedCaseList.objects.count() == 30
    assert RelatedCase.objects.count() == int(output.split("30 lists, ")[1].split(" related cases")[0])
    assert RelatedCase.objects.count() > 30 * 4


def test_related_cases_can_be_left_for_later():
    generate(count=10, seed=4, skip_related=True)

    assert not RelatedCaseList.objects.exists()

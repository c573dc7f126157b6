"""The one FilterSet: each filter alone and combined, OR within a parameter, AND across parameters."""

import pytest
from django.http import QueryDict

from cases.caching import vocabulary_snapshot
from cases.filters import CaseStudyFilterSet
from cases.insights.facet_counts import facet_counts as counts_for_filterset
from cases.models import SDG, CaseStudy, Economy, InnovationFacet, Sector, Theme
from cases.web.validation import parse_whole_number
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db


def facet_counts(query):
    filterset = CaseStudyFilterSet(query, queryset=CaseStudy.objects.published())
    assert filterset.is_valid(), filterset.errors
    return counts_for_filterset(filterset)


def slugs(query: str) -> set[str]:
    filterset = CaseStudyFilterSet(QueryDict(query), queryset=CaseStudy.objects.published())
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs.values_list("slug", flat=True))


@pytest.fixture
def catalogue():
    sg, my, jp = (Economy.objects.get(iso2=code) for code in ("SG", "MY", "JP"))
    health, education = Sector.objects.get(slug="health"), Sector.objects.get(slug="education")
    digital, design = Theme.objects.get(slug="digital-government"), Theme.objects.get(slug="service-design")
    adaptive = InnovationFacet.objects.get(slug="adaptive")
    return {
        "sg-health": CaseStudyFactory(
            slug="sg-health",
            economy=sg,
            sectors=[health],
            themes=[digital],
            sdgs=[SDG.objects.get(number=3)],
            level="national",
            stage="evaluation",
            year_launched=2010,
        ),
        "sg-education": CaseStudyFactory(
            slug="sg-education",
            economy=sg,
            sectors=[education],
            themes=[design],
            level="local",
            stage="implementation",
            year_launched=2015,
        ),
        "my-both": CaseStudyFactory(
            slug="my-both",
            economy=my,
            sectors=[health, education],
            themes=[digital, design],
            facets=[adaptive],
            level="regional",
            stage="implementation",
            year_launched=2020,
        ),
        "jp-health": CaseStudyFactory(
            slug="jp-health",
            economy=jp,
            sectors=[health],
            level="local",
            stage="diffusing_lessons",
            year_launched=2022,
        ),
        "sg-draft": CaseStudyFactory(slug="sg-draft", economy=sg, sectors=[health], status="draft"),
        "sg-archived": CaseStudyFactory(slug="sg-archived", economy=sg, sectors=[health], status="archived"),
    }


def test_no_parameters_gives_every_published_case(catalogue):
    assert slugs("") == {"sg-health", "sg-education", "my-both", "jp-health"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("economy=SG", {"sg-health", "sg-education"}),
        ("region=035", {"sg-health", "sg-education", "my-both"}),
        ("sector=health", {"sg-health", "my-both", "jp-health"}),
        ("theme=service-design", {"sg-education", "my-both"}),
        ("facet=adaptive", {"my-both"}),
        ("sdg=3", {"sg-health"}),
        ("level=local", {"sg-education", "jp-health"}),
        ("stage=implementation", {"sg-education", "my-both"}),
        ("year_from=2015", {"sg-education", "my-both", "jp-health"}),
        ("year_to=2015", {"sg-health", "sg-education"}),
        ("year_from=2012&year_to=2021", {"sg-education", "my-both"}),
    ],
)
def test_each_filter_alone(catalogue, query, expected):
    assert slugs(query) == expected


def test_repeated_parameter_is_or(catalogue):
    assert slugs("economy=SG&economy=JP") == {"sg-health", "sg-education", "jp-health"}


def test_parameters_combine_with_and(catalogue):
    assert slugs("economy=SG&sector=health") == {"sg-health"}
    assert slugs("sector=health&theme=service-design&level=regional") == {"my-both"}


def test_case_in_two_requested_sectors_appears_once(catalogue):
    filterset = CaseStudyFilterSet(
        QueryDict("sector=health&sector=education"), queryset=CaseStudy.objects.published()
    )
    found = list(filterset.qs.values_list("slug", flat=True))
    assert sorted(found) == sorted(set(found))
    assert "my-both" in found


def test_unpublished_cases_never_match_any_filter(catalogue):
    assert not slugs("economy=SG&sector=health") & {"sg-draft", "sg-archived"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("economy=ZZ", "economy"),
        ("sector=no-such-sector", "sector"),
        ("sdg=18", "sdg"),
        ("level=galactic", "level"),
        ("year_from=abc", "year_from"),
        ("year_to=1800", "year_to"),
        ("sort=random", "sort"),
        ("q=" + "x" * 10_000, "q"),
        ("q=nul%00byte", "q"),
    ],
)
def test_bad_values_are_reported_per_parameter(catalogue, query, field):
    filterset = CaseStudyFilterSet(QueryDict(query), queryset=CaseStudy.objects.published())
    assert not filterset.is_valid()
    assert field in filterset.errors


@pytest.mark.parametrize(
    ("sort", "first"),
    [("newest", "jp-health"), ("oldest", "sg-health"), ("title", None), ("year", "jp-health")],
)
def test_sort_orders(catalogue, sort, first):
    filterset = CaseStudyFilterSet(QueryDict(f"sort={sort}"), queryset=CaseStudy.objects.published())
    ordered = list(filterset.qs.values_list("slug", "title"))
    if first:
        assert ordered[0][0] == first
    else:
        assert [title for _slug, title in ordered] == sorted(title for _slug, title in ordered)


def test_facet_counts_respect_other_facets_but_not_their_own(catalogue):
    counts = facet_counts(QueryDict("economy=SG&sector=health"))
    # Economy counts ignore the economy selection but keep sector=health.
    assert counts["economy"] == {"SG": 1, "MY": 1, "JP": 1}
    # Sector counts ignore the sector selection but keep economy=SG.
    assert counts["sector"] == {"health": 1, "education": 1}


def test_facet_count_matches_the_result_count_it_promises(catalogue):
    base = "sector=health"
    counts = facet_counts(QueryDict(base))
    for economy, promised in counts["economy"].items():
        assert len(slugs(f"{base}&economy={economy}")) == promised
    for theme, promised in counts["theme"].items():
        assert len(slugs(f"{base}&theme={theme}")) == promised


def test_facet_counts_never_count_unpublished_cases(catalogue):
    counts = facet_counts(QueryDict(""))
    assert counts["economy"]["SG"] == 2
    assert counts["sector"]["health"] == 3


@pytest.mark.parametrize("value", ["-40602175666751864832", "10937569627", "0", "18", "1.5", "abc"])
def test_out_of_range_sdg_is_a_validation_error_not_a_database_error(value):
    filterset = CaseStudyFilterSet(QueryDict(f"sdg={value}"), queryset=CaseStudy.objects.published())
    assert not filterset.is_valid()
    assert "sdg" in filterset.errors


# --- Numbers: ASCII digits only (cases/web/validation.py) ---------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "sdg=\u00b2",
        "sdg=\u2460",
        "sdg=\u0663",
        "sdg=\uff13",
        "sdg=+3",
        "sdg=%203",
        "year_from=\uff12020",
        "year_from=\u0662\u0660\u0662\u0660",
        "year_to=2_020",
        "year_to=%2B2020",
        "year_from=%202020",
    ],
)
def test_numbers_not_in_ascii_digits_are_invalid_not_read_nor_a_crash(catalogue, query):
    filterset = CaseStudyFilterSet(QueryDict(query), queryset=CaseStudy.objects.published())

    assert not filterset.is_valid()
    assert query.split("=")[0] in filterset.errors


def test_numbers_in_ascii_digits_still_filter(catalogue):
    assert slugs("sdg=3&year_from=1900&year_to=2100") == slugs("sdg=3")


@pytest.mark.parametrize(("text", "expected"), [("0", 0), ("17", 17), ("007", 7), ("2025", 2025)])
def test_parse_whole_number_reads_ascii_digits(text, expected):
    assert parse_whole_number(text) == expected


# Signs, spaces, separators and other scripts' digits (superscript, circled, Arabic-Indic, fullwidth).
NOT_WHOLE_NUMBERS = ["", " 3", "3 ", "+3", "-3", "3_0", "1.0", "1e3", "3\n"]
NOT_WHOLE_NUMBERS += ["\u00b2", "\u2460", "\u0663", "\uff13"]


@pytest.mark.parametrize("text", [*NOT_WHOLE_NUMBERS, "9" * 31])
def test_parse_whole_number_refuses_everything_else(text):
    with pytest.raises(ValueError, match="Not a whole number"):
        parse_whole_number(text)


def test_parse_whole_number_applies_its_bounds():
    assert parse_whole_number("17", minimum=1, maximum=17) == 17
    with pytest.raises(ValueError, match="outside"):
        parse_whole_number("18", minimum=1, maximum=17)
    with pytest.raises(ValueError, match="outside"):
        parse_whole_number("0", minimum=1)


# --- Terms checked against the vocabulary snapshot (issue 15) --------------------------------------------


def test_naming_terms_asks_the_database_nothing_once_the_snapshot_is_cached(django_assert_num_queries):
    vocabulary_snapshot()
    filterset = CaseStudyFilterSet(
        QueryDict(
            "sector=health&sector=education&economy=SG&sdg=3&facet=adaptive&region=035&theme=open-government"
        ),
        queryset=CaseStudy.objects.published(),
    )
    with django_assert_num_queries(0):
        assert filterset.is_valid(), filterset.errors
    data = filterset.form.cleaned_data
    assert sorted(sector.slug for sector in data["sector"]) == ["education", "health"]
    assert [economy.iso2 for economy in data["economy"]] == ["SG"]
    assert [sdg.number for sdg in data["sdg"]] == [3]


@pytest.mark.parametrize("query", ["sector=no-such-sector", "economy=sg", "sdg=18", "sdg=03", "region=999"])
def test_a_value_naming_no_term_is_refused(query):
    filterset = CaseStudyFilterSet(QueryDict(query), queryset=CaseStudy.objects.published())
    assert not filterset.is_valid()
    assert set(filterset.errors) == {query.split("=")[0]}


def test_a_term_added_is_a_valid_value_at_once():
    Theme.objects.create(name="Brand new theme", slug="brand-new-theme", position=40)
    assert slugs("theme=brand-new-theme") == set()

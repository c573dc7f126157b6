"""/stats/, the economy profiles' charts and /compare/: counts equal the library's, nothing unpublished is
counted or shown, bad input gets a clear message, and the number of queries does not grow with the data."""

import json
import re
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.utils import translation

from cases.filters import CaseStudyFilterSet
from cases.insights.bitmaps import CatalogueBitmaps
from cases.insights.statistics import ISO_NUMERIC, selection_statistics, with_empty_years
from cases.models import SDG, CaseStudy, Economy, InnovationFacet, Sector, Stage, Status, Theme
from tests.factories import CaseStudyFactory, OutcomeFactory

pytestmark = pytest.mark.django_db

API_KEYS = [
    "count",
    "with_outcomes",
    "outcome_share",
    "by_economy",
    "by_region",
    "by_sector",
    "by_theme",
    "by_facet",
    "by_sdg",
    "by_level",
    "by_stage",
    "by_year",
]


@pytest.fixture
def catalogue():
    """Published cases across economies, sectors, themes, facets, SDGs, stages and years."""
    health, education, transport = (
        Sector.objects.get(slug=s) for s in ("health", "education", "transport-infrastructure")
    )
    digital, design = Theme.objects.get(slug="digital-government"), Theme.objects.get(slug="service-design")
    adaptive = InnovationFacet.objects.get(slug="adaptive")
    economies = [Economy.objects.get(iso2=code) for code in ("SG", "TH", "VN", "JP", "KR", "IN")]
    stages = list(Stage)
    cases = []
    for n in range(24):
        case = CaseStudyFactory(
            title=f"Telemedicine round {n}" if n % 4 == 0 else f"Public service {n}",
            slug=f"published-{n}",
            economy=economies[n % len(economies)],
            sectors=[[health], [education], [health, transport], [transport]][n % 4],
            themes=[digital] if n % 3 else [digital, design],
            facets=[adaptive] if n % 5 == 0 else [],
            sdgs=[SDG.objects.get(number=3)] if n % 2 else [SDG.objects.get(number=9)],
            stage=stages[n % len(stages)],
            level=["national", "local", "regional"][n % 3],
            year_launched=None if n == 23 else 2010 + n % 12,
        )
        if n % 3 == 0:
            OutcomeFactory(case=case)
        cases.append(case)
    return cases


@pytest.fixture
def hidden_cases(catalogue):
    """Cases that match every filter but are not published: they must never be counted or shown."""
    hidden = []
    for n, status in enumerate(
        [Status.DRAFT, Status.IN_REVIEW, Status.ARCHIVED, Status.SUBMITTED, Status.CHANGES_REQUESTED]
    ):
        hidden.append(
            CaseStudyFactory(
                title=f"Hidden telemedicine {n}",
                slug=f"hidden-case-{n}",
                status=status,
                published_at=None if status != Status.ARCHIVED else catalogue[0].published_at,
                economy=Economy.objects.get(iso2="MN"),  # an economy with no published case
                sectors=[
                    Sector.objects.get(slug="health"),
                    Sector.objects.get(slug="environment-climate-agriculture"),
                ],
                themes=[Theme.objects.get(slug="digital-government")],
                year_launched=2030 - 5,
            )
        )
        OutcomeFactory(case=hidden[-1])
    return hidden


def library_count(client, query: str) -> int:
    response = client.get(f"/cases/?{query}")
    assert response.status_code == 200
    return response.context["result_count"]


def filterset_count(query: str) -> int:
    filterset = CaseStudyFilterSet(QueryDict(query), queryset=CaseStudy.objects.published())
    assert filterset.is_valid(), filterset.errors
    return filterset.qs.count()


FILTER_COMBINATIONS = [
    "",
    "sector=health",
    "sector=health&region=035&year_from=2015",  # "health cases in South-eastern Asia since 2015"
    "economy=SG&economy=JP",
    "theme=service-design&stage=implementation",
    "sdg=3&level=national",
    "facet=adaptive&sector=transport-infrastructure",
    "year_to=2014",
    "q=telemedicine",
    "economy=MN",  # only unpublished cases there
]


# --- /stats/ ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", FILTER_COMBINATIONS)
def test_stats_page_counts_equal_the_library_counts(client, catalogue, hidden_cases, query):
    statistics = client.get(f"/stats/?{query}").context["statistics"]
    assert statistics["count"] == library_count(client, query) == filterset_count(query)
    # Every case has one primary economy and one stage: those charts add up to the whole selection.
    assert sum(row["count"] for row in statistics["by_economy"]) == statistics["count"]
    assert sum(row["count"] for row in statistics["by_stage"]) == statistics["count"]


@pytest.mark.parametrize("query", ["", "sector=health&region=035&year_from=2015", "theme=digital-government"])
def test_each_chart_row_equals_the_library_count_of_its_link(client, catalogue, hidden_cases, query):
    context = client.get(f"/stats/?{query}").context
    rows = [*context["economy_rows"], *context["timeline_rows"]]
    for chart in context["charts"]:
        rows += chart["rows"]
    linked = [row for row in rows if row["query"] is not None]
    assert len(linked) > 10
    for row in linked:
        assert library_count(client, row["query"]) == row["count"], row


def test_a_row_the_library_cannot_express_gets_no_link(client, catalogue):
    # Under sector=health the transport row counts cases in health AND transport; sector=transport in the
    # library would give every transport case (OR within a parameter), a different number.
    context = client.get("/stats/?sector=health").context
    sectors = {
        row["value"]: row for row in next(c for c in context["charts"] if c["key"] == "sector")["rows"]
    }
    assert sectors["transport-infrastructure"]["query"] is None
    assert sectors["health"]["query"] == "sector=health"
    html = client.get("/stats/?sector=health").content.decode()
    assert '<th scope="row">Transport and infrastructure</th>' in html


def test_stats_page_shows_the_same_figures_as_the_api(client, catalogue, hidden_cases):
    query = "sector=health&sector=transport-infrastructure&year_from=2012"
    page = client.get(f"/stats/?{query}").context["statistics"]
    api = client.get(f"/api/v1/stats/?{query}").json()
    assert {key: page[key] for key in API_KEYS} == {key: api[key] for key in API_KEYS}


def test_timeline_by_sector_equals_the_library_count_for_each_year_and_sector(client, catalogue):
    parts = client.get("/stats/").context["statistics"]["by_year_sector"]
    assert len(parts) > 12
    for part in parts:
        query = urlencode({"year_from": part["year"], "year_to": part["year"], "sector": part["value"]})
        assert library_count(client, query) == part["count"], part


def test_timeline_by_sector_leaves_out_cases_without_a_year(catalogue):
    bitmaps = CatalogueBitmaps.current()
    undated = bitmaps.cases_of(CaseStudy.objects.published().filter(year_launched__isnull=True))
    assert len(undated) > 0
    statistics = selection_statistics(bitmaps, undated)
    assert statistics["count"] == len(undated)
    assert statistics["by_year"] == []
    assert statistics["by_year_sector"] == []


# Thailand's published cases in the catalogue were launched in 2011 and 2017 only.
THAI_YEARS = [("2011", 2), ("2012", 0), ("2013", 0), ("2014", 0), ("2015", 0), ("2016", 0), ("2017", 2)]


def test_timeline_shows_years_without_cases_as_zero(client, catalogue):
    rows = client.get("/stats/?economy=TH").context["timeline_rows"]
    assert [(row["value"], row["count"]) for row in rows] == THAI_YEARS


def test_a_timeline_year_without_cases_has_no_link_and_a_zero_in_its_table(client, catalogue):
    response = client.get("/stats/?economy=TH")
    (empty,) = [row for row in response.context["timeline_rows"] if row["value"] == "2012"]
    assert (empty["query"], empty["parts"]) == (None, [])
    html = response.content.decode()
    assert (
        '<tr data-value="2012" data-label="2012" data-count="0" data-parts="[]"><th scope="row">2012</th>'
        in html
    )


def test_the_api_lists_only_years_with_cases_as_documented(client, catalogue):
    by_year = client.get("/api/v1/stats/?economy=TH").json()["by_year"]
    assert [(bucket["value"], bucket["count"]) for bucket in by_year] == [("2011", 2), ("2017", 2)]


def test_economy_profile_timeline_shows_years_without_cases_as_zero(client, catalogue):
    rows = client.get("/economies/thailand/").context["timeline_rows"]
    assert [(row["value"], row["count"]) for row in rows] == THAI_YEARS
    assert [row["value"] for row in rows if row["query"] is None] == ["2012", "2013", "2014", "2015", "2016"]


def test_empty_years_are_labelled_in_the_readers_era():
    with translation.override("th"):
        filled = with_empty_years(
            [{"value": "2011", "label": "2554", "count": 1}, {"value": "2013", "label": "2556", "count": 3}]
        )
    assert filled[1] == {"value": "2012", "label": "2555", "count": 0}


def test_no_years_stay_no_years():
    assert with_empty_years([]) == []


def test_stats_page_renders_every_chart_as_a_table_without_javascript(client, catalogue):
    html = client.get("/stats/").content.decode()
    charts = ("economy", "year", "sector", "theme", "facet", "stage", "sdg", "method")
    for chart in charts:
        assert f'id="chart-{chart}-caption"' in html
    # Tables are open until the script has drawn the charts; charts are hidden until then.
    assert html.count('<details class="chart__data" open>') == len(charts)
    assert '<tr data-value="health" data-label="Health" data-count="12">' in html
    assert 'data-label="3. Good health and well-being"' in html
    assert "<script>" not in html
    assert " style=" not in html


def test_stats_page_headline_figures(client, catalogue):
    html = client.get("/stats/?sector=health").content.decode()
    # 12 health cases (even n): from SG, VN and KR; 4 of them (n % 6 == 0) have an outcome.
    assert '<strong data-figure="count">12</strong>' in html
    assert '<strong data-figure="economies">3</strong>' in html
    assert '<strong data-figure="sectors">2</strong>' in html
    assert '<strong data-figure="outcome_percent">33%</strong>' in html


def test_every_chart_links_to_the_same_cases_in_the_library(client, catalogue):
    html = client.get("/stats/?sector=health&region=035&year_from=2015&page=3&sort=title").content.decode()
    count = filterset_count("sector=health&region=035&year_from=2015")
    links = re.findall(r'<a data-library-link href="([^"]+)">([^<]+)</a>', html)
    assert len(links) == 8  # the map, the timeline, five facets' charts and the methods'
    for href, text in links:
        assert href == "/cases/?region=035&amp;sector=health&amp;year_from=2015"
        assert text == f"See these {count} cases in the library"


def test_stats_page_keeps_filters_it_has_no_field_for(client, catalogue):
    html = client.get("/stats/?theme=service-design&economy=SG&economy=JP").content.decode()
    assert '<input type="hidden" name="theme" value="service-design">' in html
    assert '<input type="hidden" name="economy" value="JP">' in html
    assert '<option value="SG" selected>' in html


def test_unpublished_cases_are_never_counted_on_the_stats_page(client, catalogue, hidden_cases):
    statistics = client.get("/stats/").context["statistics"]
    assert statistics["count"] == 24
    assert statistics["with_outcomes"] == 8
    assert "MN" not in {row["value"] for row in statistics["by_economy"]}
    assert "environment-climate-agriculture" not in {row["value"] for row in statistics["by_sector"]}
    assert "2025" not in {row["value"] for row in statistics["by_year"]}
    assert "2025" not in {row["year"] for row in statistics["by_year_sector"]}
    html = client.get("/stats/").content.decode()
    assert "Hidden telemedicine" not in html
    assert "hidden-case" not in html


def test_stats_page_with_a_bad_filter_is_a_400_with_a_message(client, catalogue):
    response = client.get("/stats/?year_from=nineteen&sdg=99")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Some filters could not be used" in html
    assert "year_from" in html
    assert "sdg" in html


def test_stats_page_of_no_cases_says_so(client, catalogue):
    response = client.get("/stats/?economy=MN")
    assert response.status_code == 200
    assert response.context["statistics"]["count"] == 0
    assert "No cases to show." in response.content.decode()


def test_stats_page_queries_do_not_grow_with_the_catalogue(client, catalogue, django_assert_max_num_queries):
    with django_assert_max_num_queries(24):
        client.get("/stats/?sector=health&year_from=2011")
    for n in range(30):
        CaseStudyFactory(slug=f"more-{n}", economy=Economy.objects.get(iso2=["MY", "PH", "ID"][n % 3]))
    with django_assert_max_num_queries(24):
        client.get("/stats/?sector=health&year_from=2011")


def test_stats_page_is_in_the_navigation(client, catalogue):
    assert 'href="/stats/" aria-current="page"' in client.get("/stats/").content.decode()


def test_the_map_names_member_economies_as_the_catalogue_does(client):
    names = json.loads(client.get("/stats/").context["map"]["names_json"])
    assert names[ISO_NUMERIC["VN"]] == "Viet Nam"  # not the atlas's "Vietnam"
    assert json.loads(client.get("/ja/stats/").context["map"]["names_json"])[ISO_NUMERIC["VN"]] == "ベトナム"


def test_every_apo_economy_can_be_placed_on_the_map(client):
    assert all(iso2 in ISO_NUMERIC for iso2 in Economy.objects.values_list("iso2", flat=True))
    assert (ISO_NUMERIC["SG"], ISO_NUMERIC["TW"], ISO_NUMERIC["FJ"], ISO_NUMERIC["TR"]) == (
        "702",
        "158",
        "242",
        "792",
    )
    html = client.get("/stats/").content.decode()
    codes = json.loads(re.search(r'data-economy-codes="([^"]+)"', html).group(1).replace("&quot;", '"'))
    assert codes["JP"] == "392"


# --- Economy profiles ------------------------------------------------------------------------------


def test_economy_profile_compares_with_all_apo_economies(client, catalogue, hidden_cases):
    context = client.get("/economies/singapore/").context
    sectors = {row["value"]: row for row in context["profile_charts"][0]["rows"]}
    # Singapore has cases 0, 6, 12, 18: sectors health (n%4 in 0,2) -> 0,6,12,18 all (0,2,0,2) -> 4 of 4.
    assert sectors["health"]["count"] == 4
    assert sectors["health"]["share"] == 100.0
    # All 24 published cases are from APO members; 12 include health. Hidden ones do not count.
    assert (sectors["health"]["apo_count"], sectors["health"]["apo_share"]) == (12, 50.0)
    assert "environment-climate-agriculture" not in sectors
    assert context["apo_total"] == 24


def test_economy_profile_counts_equal_the_library_counts(client, catalogue, hidden_cases):
    context = client.get("/economies/thailand/").context
    for chart in context["profile_charts"]:
        for row in chart["rows"]:
            query = urlencode({"economy": "TH", chart["parameter"]: row["value"]})
            assert library_count(client, query) == row["count"], row
    for row in context["timeline_rows"]:
        if row["query"] is not None:  # a year without cases has no link
            assert library_count(client, row["query"]) == row["count"], row


def test_economy_profile_shows_its_charts_tables_and_map(client, catalogue):
    html = client.get("/economies/japan/").content.decode()
    assert 'data-highlight="JP"' in html
    assert 'id="chart-sector-caption"' in html
    assert 'id="chart-year"' in html
    assert 'id="chart-stage-caption"' in html
    assert 'id="chart-theme-caption"' in html


def test_economy_profile_of_an_economy_with_only_unpublished_cases(client, hidden_cases):
    response = client.get("/economies/mongolia/")
    assert response.status_code == 200
    assert response.context["timeline_rows"] == []
    assert "Hidden telemedicine" not in response.content.decode()


def test_economy_profile_queries_do_not_grow(client, catalogue, django_assert_max_num_queries):
    with django_assert_max_num_queries(30):
        client.get("/economies/singapore/")
    for n in range(20):
        CaseStudyFactory(slug=f"sg-more-{n}", year_launched=2000 + n)
    with django_assert_max_num_queries(30):
        client.get("/economies/singapore/")


# --- /compare/ -------------------------------------------------------------------------------------


def compare(client, slugs: str):
    return client.get("/compare/", {"cases": slugs})


def test_compare_shows_cases_side_by_side(client, catalogue):
    response = compare(client, "published-0,published-1")
    assert response.status_code == 200
    assert [case.slug for case in response.context["cases"]] == ["published-0", "published-1"]
    html = response.content.decode()
    assert "Telemedicine round 0" in html
    assert "Public service 1" in html
    for section in ("Summary", "Economy", "Sectors", "Stage", "Years", "Overview", "Measured outcomes"):
        assert f'<th scope="row">{section}</th>' in html
    assert response.context["messages"] == []


def test_compare_keeps_the_order_asked_for(client, catalogue):
    response = compare(client, "published-3, published-1 ,published-2")
    assert [case.slug for case in response.context["cases"]] == ["published-3", "published-1", "published-2"]


def test_compare_names_an_unknown_case_not_found(client, catalogue):
    response = compare(client, "published-0,no-such-case")
    assert response.status_code == 200
    assert [case.slug for case in response.context["cases"]] == ["published-0"]
    assert "No published case study “no-such-case” was found." in response.content.decode()


@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_REVIEW, Status.ARCHIVED, Status.SUBMITTED])
def test_compare_treats_an_unpublished_case_exactly_like_an_unknown_one(client, catalogue, status):
    CaseStudyFactory(slug="secret-case", title="Secret plan", status=status, published_at=None)
    unpublished = compare(client, "published-0,secret-case")
    unknown = compare(client, "published-0,never-existed")
    assert unpublished.status_code == unknown.status_code == 200
    assert [str(m).replace("secret-case", "X") for m in unpublished.context["messages"]] == [
        str(m).replace("never-existed", "X") for m in unknown.context["messages"]
    ]
    assert "Secret plan" not in unpublished.content.decode()


def test_compare_of_only_missing_cases_is_a_404_with_a_message(client, hidden_cases):
    response = compare(client, "hidden-case-0,nothing-here")
    assert response.status_code == 404
    html = response.content.decode()
    assert "No published case study “hidden-case-0” was found." in html
    assert "Hidden telemedicine" not in html


def test_compare_shows_a_repeated_case_once_and_says_so(client, catalogue):
    response = compare(client, "published-0,published-1,published-0,published-0")
    assert response.status_code == 200
    assert [case.slug for case in response.context["cases"]] == ["published-0", "published-1"]
    assert "“published-0” was listed more than once; it is shown once." in response.content.decode()


def test_compare_of_more_than_four_cases_is_a_400_offering_the_first_four(client, catalogue):
    response = compare(client, ",".join(f"published-{n}" for n in range(6)))
    assert response.status_code == 400
    html = response.content.decode()
    assert "At most 4 cases can be compared; you asked for 6." in html
    assert 'href="/compare/?cases=published-0,published-1,published-2,published-3"' in html
    assert response.context["cases"] == []


def test_compare_counts_distinct_cases_against_the_limit(client, catalogue):
    response = compare(client, "published-0,published-1,published-2,published-3,published-0")
    assert response.status_code == 200
    assert len(response.context["cases"]) == 4


def test_compare_with_an_absurdly_long_list_is_a_400(client, catalogue):
    response = compare(client, ",".join(["x" * 50] * 40))
    assert response.status_code == 400
    assert "too long" in response.content.decode()


def test_compare_without_cases_explains_how_to_choose(client, catalogue):
    response = client.get("/compare/")
    assert response.status_code == 200
    assert "Choose cases to compare" in response.content.decode()


def test_compare_escapes_what_it_echoes(client, catalogue):
    html = compare(client, "<script>alert(1)</script>").content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_compare_links_to_itself_without_each_case(client, catalogue):
    html = compare(client, "published-0,published-1,published-2").content.decode()
    assert 'href="/compare/?cases=published-1,published-2">Remove' in html
    assert 'href="/compare/?cases=published-0,published-1">Remove' in html


def test_compare_queries_do_not_grow_with_the_cases(client, catalogue, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        compare(client, "published-0")
    with django_assert_max_num_queries(14):
        compare(client, "published-0,published-1,published-2,published-3")


def test_case_cards_and_pages_offer_a_compare_control(client, catalogue):
    library = client.get("/cases/").content.decode()
    assert 'data-compare-slug="published-23"' in library
    page = client.get("/cases/published-0/").content.decode()
    assert 'data-compare-slug="published-0"' in page
    assert 'src="/static/js/compare.js"' in page


def test_ties_are_ordered_as_the_api_orders_them(client):
    # "IR Iran" and "India" tie: the database's collation orders their names, which Python's string order
    # would not (uppercase "R" sorts before "n"); the page must list them as the API does.
    for n, code in enumerate(["IR", "IN", "IR", "IN", "TR"]):
        CaseStudyFactory(slug=f"tie-{n}", economy=Economy.objects.get(iso2=code))
    page = client.get("/stats/").context["statistics"]
    api = client.get("/api/v1/stats/").json()
    assert page["by_economy"] == api["by_economy"]
    assert page["by_region"] == api["by_region"]

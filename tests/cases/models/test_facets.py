"""The facet table (cases/models/facets.py) is the one list of facets: the FilterSet's filters, the
catalogue's bitmaps, the facet counts (and their API documentation), the library's facet panel, the
search's recognition of vocabulary names, the statistics page and its script, and the vocabularies' links
to the library all follow it, so adding a facet is adding a row."""

import json
import re
from pathlib import Path

import pytest
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from cases.api.serializers import (
    EconomySerializer,
    FacetCountsByParameterSerializer,
    InnovationFacetSerializer,
    SDGSerializer,
    SectorSerializer,
    StatsSerializer,
    ThemeSerializer,
)
from cases.filters import CaseStudyFilterSet, facet_filter
from cases.insights.bitmaps import CASE_COLUMNS, TERM_RELATIONS, CatalogueBitmaps
from cases.insights.facet_counts import facet_counts
from cases.models import CaseStudy, OrganisationType
from cases.models.facets import (
    CHOICE,
    FACET_PARAMETERS,
    FACETS,
    FACETS_BY_PARAMETER,
    FOREIGN_KEY,
    RELATED_COLUMN,
    TERMS,
    Facet,
)
from cases.search import query as search_query
from cases.search.query import Lexicon, phrase_key, words_of
from cases.site.stats import CHARTS, MANY_VALUED
from cases.site.views import build_facet_panel, facet_options
from tests.factories import CaseStudyFactory, EconomyFactory

pytestmark = pytest.mark.django_db

# The library's other parameters: a case's methods, toolkits, organisations (issue 18), years, words, order.
NOT_FACETS = ["method", "toolkit", "organisation", "year_from", "year_to", "q", "sort"]


def filterset(query=""):
    filterset = CaseStudyFilterSet(QueryDict(query), queryset=CaseStudy.objects.published())
    assert filterset.is_valid(), filterset.errors
    return filterset


def test_the_table_names_each_parameter_once_in_panel_order():
    assert FACET_PARAMETERS == ["economy", "region", "sector", "theme", "facet", "sdg", "level", "stage"]
    assert len(FACETS_BY_PARAMETER) == len(FACETS)


def test_filterset_has_one_filter_per_facet_then_the_other_parameters():
    assert list(CaseStudyFilterSet.base_filters) == [*FACET_PARAMETERS, *NOT_FACETS]
    assert CaseStudyFilterSet.FACET_PARAMETERS == FACET_PARAMETERS


@pytest.mark.parametrize("facet", FACETS, ids=lambda facet: facet.parameter)
def test_each_facet_filter_reads_the_tables_row(facet):
    declared = CaseStudyFilterSet.base_filters[facet.parameter]
    assert declared.field_name == facet.lookup
    assert declared.label == facet.label
    assert declared.extra["help_text"] == facet.help_text
    if facet.kind in (TERMS, FOREIGN_KEY):
        assert declared.extra["to_field_name"] == facet.value_field
        assert declared.queryset.model is facet.model


def test_bitmaps_have_a_value_index_for_every_facet_not_counted_through_another():
    counted_through = {facet.parameter for facet in FACETS if facet.counted_through}
    assert set(TERM_RELATIONS) == {facet.parameter for facet in FACETS if facet.kind == TERMS}
    assert set(CASE_COLUMNS) - {"year"} == {facet.parameter for facet in FACETS if facet.column}
    assert set(TERM_RELATIONS) | set(CASE_COLUMNS) | counted_through >= set(FACET_PARAMETERS)
    CaseStudyFactory()
    bitmaps = CatalogueBitmaps.current()
    for facet in FACETS:
        assert isinstance(bitmaps.counts_by_value(facet.parameter, bitmaps.published), dict)


def test_facet_counts_give_every_facet_in_table_order():
    CaseStudyFactory(level="local")
    counts = facet_counts(filterset())
    assert list(counts) == FACET_PARAMETERS
    assert counts["economy"] == {"SG": 1}
    assert counts["region"] == {"035": 1}
    assert counts["sector"] == {"health": 1}
    assert counts["level"] == {"local": 1}


def test_facet_counts_api_and_its_documentation_follow_the_table(client):
    CaseStudyFactory()
    body = client.get("/api/v1/cases/facet-counts/").json()
    assert list(body["facets"]) == FACET_PARAMETERS
    fields = FacetCountsByParameterSerializer().fields
    assert list(fields) == FACET_PARAMETERS
    assert [fields[name].help_text for name in FACET_PARAMETERS] == [facet.counts_help for facet in FACETS]
    schema = json.loads(
        client.get("/api/schema/", headers={"accept": "application/vnd.oai.openapi+json"}).content
    )
    documented = schema["components"]["schemas"]["FacetCountsByParameter"]["properties"]
    assert list(documented) == FACET_PARAMETERS


def test_facet_panel_shows_the_table_in_order_with_its_titles():
    CaseStudyFactory()
    query = QueryDict("")
    panel = build_facet_panel(query, facet_counts(filterset()))
    assert [part["parameter"] for part in panel] == FACET_PARAMETERS
    assert [part["title"] for part in panel] == [facet.title for facet in FACETS]
    assert [parameter for parameter, _options in facet_options()] == FACET_PARAMETERS


def test_panel_options_carry_the_facets_value_field():
    options = dict(facet_options())
    assert ("SG", "Singapore") in options["economy"]
    assert ("health", "Health") in [(value, str(label)) for value, label in options["sector"]]
    assert ("3", "3. Good health and well-being") in options["sdg"]
    assert ("national", "National / federal") in [(value, str(label)) for value, label in options["level"]]


@pytest.mark.parametrize(
    ("serializer", "parameter"),
    [
        (EconomySerializer, "economy"),
        (SectorSerializer, "sector"),
        (ThemeSerializer, "theme"),
        (InnovationFacetSerializer, "facet"),
        (SDGSerializer, "sdg"),
    ],
)
def test_vocabulary_representations_link_to_the_library_by_the_tables_parameter(serializer, parameter):
    assert serializer().parameter == parameter
    assert serializer().lookup == FACETS_BY_PARAMETER[parameter].value_field


def test_a_new_row_makes_a_working_filter():
    """Adding a facet is adding a row: the filter it makes filters (here over the organisation type)."""
    row = Facet(
        parameter="organisation",
        label=_("Organisation type"),
        title=_("Organisation type"),
        kind=CHOICE,
        relation="organisation_type",
        choices=OrganisationType,
        help_text=_("Repeatable."),
        counts_help="Organisation type code -> cases.",
    )
    assert row.column == "organisation_type"
    CaseStudyFactory(slug="ngo", organisation_type=OrganisationType.NGO)
    CaseStudyFactory(slug="gov", organisation_type=OrganisationType.GOVERNMENT)
    filtered = facet_filter(row).filter(CaseStudy.objects.published(), ["ngo"])
    assert list(filtered.values_list("slug", flat=True)) == ["ngo"]


def test_kinds_are_the_four_the_faces_know():
    assert {facet.kind for facet in FACETS} == {TERMS, FOREIGN_KEY, RELATED_COLUMN, CHOICE}


def test_statistics_give_a_bucket_list_per_facet_in_table_order(client):
    CaseStudyFactory()
    body = client.get("/api/v1/stats/").json()
    by_facet = [f"by_{parameter}" for parameter in FACET_PARAMETERS]
    assert list(body) == [
        "count",
        "with_outcomes",
        "outcome_share",
        *by_facet,
        "by_year",
        "by_year_sector",
        "by_method",
        "by_economy_method",
    ]
    assert list(StatsSerializer().fields) == list(body)
    assert body["by_sdg"] == []
    assert body["by_sector"][0]["value"] == "health"


# --- Every list of facets a face keeps is the table's ---------------------------------------------------


def test_the_search_recognises_the_names_of_every_facet_held_in_rows():
    tagged = {parameter for named in Lexicon.build().tags.values() for parameter, _value in named}
    assert tagged == {facet.parameter for facet in FACETS if facet.kind != CHOICE}


def test_a_new_row_is_recognised_in_searches(monkeypatch):
    """A search names a new facet's values by their names, as it does a sector's."""
    row = Facet(
        parameter="partner",
        label=_("Partner economy"),
        title=_("Partner economy"),
        kind=TERMS,
        relation="other_economies",
        value_field="iso3",
        help_text=_("Repeatable."),
        counts_help="ISO alpha-3 code -> cases.",
    )
    monkeypatch.setattr(search_query, "FACETS", (*FACETS, row))
    monkeypatch.setattr(search_query, "FACETS_BY_PARAMETER", {**FACETS_BY_PARAMETER, "partner": row})
    assert ("partner", "JPN") in Lexicon.build().tags[phrase_key(words_of("Japan"))]


def test_a_region_is_recognised_by_its_whole_name_only():
    EconomyFactory(
        iso2="NZ", name="New Zealand", region_code="009", subregion_code="053",
        subregion_name="Australia and New Zealand",
    )  # fmt: skip
    tags = Lexicon.build().tags
    assert [facet.parameter for facet in FACETS if facet.whole_names] == ["region"]
    assert ("region", "053") in tags[phrase_key(words_of("Australia and New Zealand"))]
    assert ("region", "053") not in tags[phrase_key(words_of("New Zealand"))]  # the economy's name
    assert ("economy", "NZ") in tags[phrase_key(words_of("New Zealand"))]


def test_bitmaps_read_the_terms_of_every_vocabulary_in_its_curated_order():
    CaseStudyFactory()
    bitmaps = CatalogueBitmaps.current()
    # And the methods (issue 18), counted by the statistics though no facet of the panel.
    vocabularies = {facet.parameter for facet in FACETS if facet.kind in (TERMS, FOREIGN_KEY)}
    assert set(bitmaps.terms) == vocabularies | {"method"}
    for facet in FACETS:
        if facet.kind == TERMS:
            positions = dict(facet.model.objects.values_list("pk", facet.position_field))
            assert {pk: term.position for pk, term in bitmaps.terms[facet.parameter].items()} == positions
    assert sorted(term.position for term in bitmaps.terms["sdg"].values()) == list(range(1, 18))


def test_stats_page_draws_a_chart_per_facet_with_a_chart_title():
    assert [facet.parameter for facet in CHARTS] == ["sector", "theme", "facet", "sdg", "stage"]
    assert list(MANY_VALUED) == [*(facet.parameter for facet in FACETS if facet.kind == TERMS), "method"]


def test_stats_page_hands_its_script_what_the_table_says(client):
    CaseStudyFactory(sdgs=[])
    response = client.get("/stats/")
    charts = response.context["charts"]
    # The facets' charts, then the chart of cases by method (issue 18).
    assert [chart["parameter"] for chart in charts] == [*(facet.parameter for facet in CHARTS), "method"]
    assert [chart["title"] for chart in charts][:-1] == [facet.chart_title for facet in CHARTS]
    html = response.content.decode()
    assert f'data-many-valued="{" ".join(MANY_VALUED)}"' in html
    numbered = re.findall(r'data-parameter="(\w+)" data-numbered-labels', html)
    assert numbered == [facet.parameter for facet in CHARTS if facet.numbered_labels]


def test_the_stats_script_names_no_facet():
    """The script takes the facets from the page (above), so a new facet needs no change there."""
    script = (Path(__file__).resolve().parents[3] / "static" / "js" / "stats.js").read_text()
    for facet in FACETS:
        assert f'"{facet.parameter}"' not in script, facet.parameter


def test_panel_options_are_written_whole_escaped_with_their_state_and_count(client):
    """Each option of the panel (cases.site.views.facet_option_html): its checkbox named and valued by the
    facet's parameter and value, ticked when selected, its label escaped, its count as the page formats
    numbers, and the count's hook for the script that refreshes counts."""
    from cases.site.views import facet_option_html

    html = facet_option_html("economy", "SG", "Singapore <&>", 12345, True)
    assert html == (
        '<div class="checkbox"><input type="checkbox" name="economy" value="SG" id="f-economy-sg" checked>'
        '<label for="f-economy-sg">Singapore &lt;&amp;&gt; <span class="count" data-facet-count="economy:SG">'
        "(12345)</span></label></div>"
    )
    assert " checked" not in facet_option_html("economy", "SG", "Singapore", 1, False)
    CaseStudyFactory(title="Harbour pilots")
    page = client.get("/cases/", {"economy": "SG"}).content.decode()
    assert 'name="economy" value="SG" id="f-economy-sg" checked>' in page
    assert '<label for="f-sector-health">Health <span class="count" data-facet-count="sector:health">' in page

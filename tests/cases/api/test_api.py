"""The partner API's read endpoints: representations, the one FilterSet, privacy, errors, query counts."""

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from cases.api.filters import CaseStudyApiFilterSet
from cases.models import NARRATIVE_FIELDS, SDG, CaseStudy, Economy, FormerSlug, InnovationFacet, Sector, Theme
from tests.conftest import MAX_QUERIES
from tests.factories import CaseLinkFactory, CaseStudyFactory, OutcomeFactory, ResourceFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"
UNPUBLISHED_STATUSES = ["draft", "submitted", "in_review", "changes_requested", "archived"]


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [case["slug"] for case in response.json()["results"]]


def filterset_slugs(query: str) -> list[str]:
    filterset = CaseStudyApiFilterSet(QueryDict(query), queryset=CaseStudy.objects.published())
    assert filterset.is_valid(), filterset.errors
    return list(filterset.qs.values_list("slug", flat=True)[:100])


@pytest.fixture
def catalogue():
    sg, my, jp = (Economy.objects.get(iso2=code) for code in ("SG", "MY", "JP"))
    health, education = Sector.objects.get(slug="health"), Sector.objects.get(slug="education")
    digital, design = Theme.objects.get(slug="digital-government"), Theme.objects.get(slug="service-design")
    adaptive = InnovationFacet.objects.get(slug="adaptive")
    return {
        "sg-health": CaseStudyFactory(
            slug="sg-health",
            title="Telemedicine for island clinics",
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
            title="School timetables by design",
            economy=sg,
            sectors=[education],
            themes=[design],
            level="local",
            stage="implementation",
            year_launched=2015,
        ),
        "my-both": CaseStudyFactory(
            slug="my-both",
            title="Adaptive clinics and classrooms",
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
            title="Village health records",
            economy=jp,
            sectors=[health],
            level="local",
            stage="diffusing_lessons",
            year_launched=2022,
        ),
    }


@pytest.fixture
def hidden_cases():
    """One case in every unpublished state, each findable by every filter a published one would match."""
    return [
        CaseStudyFactory(
            title=f"Hidden {status} telemedicine",
            slug=f"hidden-{status}",
            status=status,
            themes=[Theme.objects.get(slug="digital-government")],
            sdgs=[SDG.objects.get(number=3)],
            facets=[InnovationFacet.objects.get(slug="adaptive")],
            year_launched=2019,
        )
        for status in UNPUBLISHED_STATUSES
    ]


def assert_no_hidden(text: str):
    for status in UNPUBLISHED_STATUSES:
        assert f"hidden-{status}" not in text
        assert f"Hidden {status}" not in text


# --- Cases: list and detail -----------------------------------------------------------------------


def test_case_list_gives_published_cases_newest_first(client, catalogue):
    assert slugs(client.get(f"{API}/cases/")) == ["jp-health", "my-both", "sg-education", "sg-health"]


def test_case_list_item_has_vocabulary_codes_and_names_and_absolute_urls(client, catalogue):
    item = next(case for case in client.get(f"{API}/cases/").json()["results"] if case["slug"] == "sg-health")
    assert item["economy"] == {"iso2": "SG", "iso3": "SGP", "name": "Singapore", "slug": "singapore"}
    assert item["level"] == {"code": "national", "name": "National / federal"}
    assert item["stage"] == {"code": "evaluation", "name": "Evaluation"}
    assert item["sectors"] == [{"slug": "health", "name": Sector.objects.get(slug="health").name}]
    assert item["sdgs"] == [{"number": 3, "name": SDG.objects.get(number=3).name}]
    assert item["url"] == "http://testserver/cases/sg-health/"
    assert item["api_url"] == "http://testserver/api/v1/cases/sg-health/"


def test_case_list_is_paged_with_a_count(client, catalogue):
    body = client.get(f"{API}/cases/?page_size=3").json()
    assert body["count"] == 4
    assert len(body["results"]) == 3
    assert body["next"] == "http://testserver/api/v1/cases/?page=2&page_size=3"


def test_case_list_default_page_size_is_twenty(client):
    for n in range(21):
        CaseStudyFactory(slug=f"many-{n}")
    assert len(client.get(f"{API}/cases/").json()["results"]) == 20


def test_case_detail_carries_the_narrative_vocabularies_outcomes_and_resources(client):
    case = CaseStudyFactory(
        slug="detailed",
        what_is_innovative="Because of X.",
        lessons_learned="Start small.",
        organisation_type="ngo",
        other_economies=[Economy.objects.get(iso2="MY")],
        year_ended=2021,
        website="https://example.org/programme",
        source="OPSI",
        external_id="opsi-123",
    )
    OutcomeFactory(case=case, indicator="Clinics connected", value=42, unit="clinics", baseline=3)
    ResourceFactory(case=case, title="Programme site", url="https://example.org/site")
    body = client.get(f"{API}/cases/detailed/").json()
    assert body["what_is_innovative"] == "Because of X."
    assert body["lessons_learned"] == "Start small."
    assert body["organisation_type"] == {"code": "ngo", "name": "NGO"}
    assert body["other_economies"][0]["iso2"] == "MY"
    assert (body["year_ended"], body["website"], body["source"], body["external_id"]) == (
        2021,
        "https://example.org/programme",
        "OPSI",
        "opsi-123",
    )
    assert body["outcomes"] == [
        {
            "indicator": "Clinics connected",
            "value": 42.0,
            "unit": "clinics",
            "baseline": 3.0,
            "date": None,
            "source_url": "",
        }
    ]
    assert body["resources"] == [
        {
            "kind": {"code": "link", "name": "Link"},
            "title": "Programme site",
            "url": "https://example.org/site",
            "alt_text": "",
        }
    ]
    assert body["url"] == "http://testserver/cases/detailed/"


def test_case_detail_gives_uploaded_files_absolute_urls(client):
    from django.core.files.base import ContentFile

    case = CaseStudyFactory(slug="with-file")
    resource = ResourceFactory.build(case=case, kind="file", url="", title="Report")
    resource.file.save("report.pdf", ContentFile(b"%PDF-1.4"), save=True)
    url = client.get(f"{API}/cases/with-file/").json()["resources"][0]["url"]
    assert url.startswith("http://testserver/media/cases/")
    assert url.endswith(".pdf")


def test_case_detail_never_shows_private_or_editorial_fields(client, superuser):
    CaseStudyFactory(slug="private", created_by=superuser, updated_by=superuser, published_by=superuser)
    body = client.get(f"{API}/cases/private/").json()
    for field in ("status", "created_by", "updated_by", "published_by", "search_index", "submitter_email"):
        assert field not in body
    assert superuser.username not in client.get(f"{API}/cases/private/").content.decode()


def test_case_detail_links_only_to_published_cases_in_both_directions(client):
    case = CaseStudyFactory(slug="origin")
    CaseLinkFactory(from_case=CaseStudyFactory(slug="published-copy"), to_case=case, relation="adapted_from")
    CaseLinkFactory(
        from_case=CaseStudyFactory(slug="draft-copy", status="draft"), to_case=case, relation="adapted_from"
    )
    CaseLinkFactory(from_case=case, to_case=CaseStudyFactory(slug="sibling"), relation="related_to")
    CaseLinkFactory(
        from_case=case,
        to_case=CaseStudyFactory(slug="archived-sibling", status="archived"),
        relation="related_to",
    )
    links = client.get(f"{API}/cases/origin/").json()["links"]
    seen = {(link["relation"]["code"], link["case"]["slug"]) for link in links}
    # A case adapted from this one is, seen from here, a replication of it.
    assert seen == {("replicated_in", "published-copy"), ("related_to", "sibling")}


@pytest.mark.parametrize("status", UNPUBLISHED_STATUSES)
def test_unpublished_case_detail_is_not_found(client, status):
    CaseStudyFactory(slug="not-public", status=status)
    response = client.get(f"{API}/cases/not-public/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_case_detail_former_slug_redirects_to_the_current_one(client):
    case = CaseStudyFactory(slug="new-name")
    FormerSlug.objects.create(slug="old-name", case=case)
    response = client.get(f"{API}/cases/old-name/")
    assert response.status_code == 301
    assert response["Location"] == "http://testserver/api/v1/cases/new-name/"


def test_case_detail_ignores_the_list_parameters(client, catalogue):
    assert client.get(f"{API}/cases/sg-health/?economy=JP").status_code == 200


def test_unknown_api_address_is_a_problem_details_404(client):
    response = client.get(f"{API}/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["type"] == "urn:observatory:problem:not-found"


def test_a_format_other_than_json_is_not_acceptable(client, catalogue):
    response = client.get(f"{API}/cases/", headers={"accept": "text/html"})
    assert response.status_code == 406
    assert response.json()["type"] == "urn:observatory:problem:not-acceptable"


def test_writes_are_refused_with_method_not_allowed(client, catalogue):
    response = client.post(f"{API}/cases/", {"title": "Mine"})
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert "GET" in response["Allow"]
    assert CaseStudy.objects.filter(title="Mine").count() == 0


# --- The same filters as the pages ----------------------------------------------------------------

QUERIES = [
    "",
    "economy=SG",
    "economy=SG&economy=JP",
    "region=035",
    "sector=health",
    "sector=health&sector=education",
    "theme=service-design",
    "facet=adaptive",
    "sdg=3",
    "level=local",
    "level=local&level=regional",
    "stage=implementation",
    "year_from=2015",
    "year_to=2015",
    "year_from=2011&year_to=2021",
    "q=clinics",
    "q=clinic&sort=title",
    "sort=oldest",
    "sort=title",
    "sort=year",
    "sort=newest",
    "economy=SG&sector=health",
    "theme=digital-government&level=national&stage=evaluation",
    "ordering=title",
    "ordering=-year",
    "ordering=updated",
    "ordering=-published",
]


@pytest.mark.parametrize("query", QUERIES)
def test_api_gives_the_same_cases_in_the_same_order_as_the_filterset(client, catalogue, query):
    assert slugs(client.get(f"{API}/cases/?{query}&page_size=100")) == filterset_slugs(query)


@pytest.mark.parametrize(
    "query", ["", "economy=SG", "sector=health&level=local", "q=clinics", "sort=title", "year_from=2015"]
)
def test_api_gives_the_same_cases_as_the_html_library(client, catalogue, query):
    page = client.get(f"/cases/?{query}")
    assert page.status_code == 200
    html_slugs = [case.slug for case in page.context["cases"]]
    assert html_slugs
    assert slugs(client.get(f"{API}/cases/?{query}")) == html_slugs


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("economy=SG", {"sg-health", "sg-education"}),
        ("region=035", {"sg-health", "sg-education", "my-both"}),
        ("sector=education", {"sg-education", "my-both"}),
        ("theme=digital-government", {"sg-health", "my-both"}),
        ("facet=adaptive", {"my-both"}),
        ("sdg=3", {"sg-health"}),
        ("level=local", {"sg-education", "jp-health"}),
        ("stage=implementation", {"sg-education", "my-both"}),
        ("year_from=2020", {"my-both", "jp-health"}),
        ("year_to=2010", {"sg-health"}),
        ("q=telemedicine", {"sg-health"}),
        ("economy=SG&sector=education", {"sg-education"}),
    ],
)
def test_each_filter_selects_the_expected_cases(client, catalogue, query, expected):
    assert set(slugs(client.get(f"{API}/cases/?{query}"))) == expected


def test_updated_since_keeps_cases_changed_at_or_after_the_moment(client, catalogue):
    CaseStudy.objects.filter(slug="sg-health").update(updated_at="2020-01-01T00:00:00Z")
    CaseStudy.objects.exclude(slug="sg-health").update(updated_at="2024-06-01T12:00:00Z")
    assert set(slugs(client.get(f"{API}/cases/?updated_since=2024-06-01T12:00:00Z"))) == {
        "sg-education",
        "my-both",
        "jp-health",
    }
    assert set(slugs(client.get(f"{API}/cases/?updated_since=2019-12-31T23:00:00-02:00"))) == {
        "sg-education",
        "my-both",
        "jp-health",
    }
    assert len(slugs(client.get(f"{API}/cases/?updated_since=2019-12-31"))) == 4


def test_ordering_overrides_sort(client, catalogue):
    assert slugs(client.get(f"{API}/cases/?sort=title&ordering=-title")) == [
        "jp-health",
        "sg-health",
        "sg-education",
        "my-both",
    ]


# --- Bad parameters: 400 with problem details, never 500 ------------------------------------------

BAD_PARAMETERS = [
    ("year_from=abc", "year_from"),
    ("year_to=1800", "year_to"),
    ("economy=ZZ", "economy"),
    ("region=999", "region"),
    ("sector=no-such-sector", "sector"),
    ("theme=no-such-theme", "theme"),
    ("facet=no-such-facet", "facet"),
    ("sdg=18", "sdg"),
    ("sdg=abc", "sdg"),
    ("level=galactic", "level"),
    ("stage=dreaming", "stage"),
    ("sort=random", "sort"),
    ("ordering=-random", "ordering"),
    ("updated_since=yesterday", "updated_since"),
    ("updated_since=9999-12-31T23:59:59-23:59", "updated_since"),
    ("q=" + "x" * 1_000, "q"),
    ("q=%00", "q"),
    ("economy=S%00", "economy"),
    ("page=abc", "page"),
    ("page=0", "page"),
    ("page_size=0", "page_size"),
    ("page_size=101", "page_size"),
    ("page_size=5&page_size=10", "page_size"),
    ("year_from=2000&year_from=2010", "year_from"),
    ("q=one&q=two", "q"),
]


@pytest.mark.parametrize(("query", "field"), BAD_PARAMETERS)
def test_bad_parameter_is_a_400_naming_the_field(client, catalogue, query, field):
    response = client.get(f"{API}/cases/?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "urn:observatory:problem:invalid-parameters"
    assert body["status"] == 400
    assert body["title"]
    assert list(body["errors"]) == [field]
    assert body["errors"][field][0]
    assert field in body["detail"]


@pytest.mark.parametrize(
    "url",
    [
        f"{API}/cases/harvest/?economy=ZZ",
        f"{API}/cases/export.csv?year_from=abc",
        f"{API}/cases/export.jsonl?sdg=99",
        f"{API}/cases/facet-counts/?economy=ZZ",
        f"{API}/stats/?year_to=abc",
        f"{API}/suggest/?q=" + "x" * 1_000,
        f"{API}/suggest/",
        f"{API}/cases/changes/",
        f"{API}/cases/changes/?since=abc",
        f"{API}/cases/harvest/?cursor=abc",
    ],
)
def test_every_endpoint_answers_bad_parameters_with_problem_details(client, catalogue, url):
    response = client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"]


def test_page_past_the_end_is_a_404(client, catalogue):
    response = client.get(f"{API}/cases/?page=99")
    assert response.status_code == 404
    assert response.json()["status"] == 404


# --- Vocabularies ---------------------------------------------------------------------------------


def test_economies_list_every_economy_with_published_case_counts(client, catalogue, hidden_cases):
    economies = {economy["iso2"]: economy for economy in client.get(f"{API}/economies/").json()}
    assert len(economies) == Economy.objects.count()
    assert economies["SG"]["case_count"] == 2  # the hidden ones (all SG) are not counted
    assert economies["SG"]["cases_url"] == "http://testserver/api/v1/cases/?economy=SG"
    assert economies["SG"]["url"] == "http://testserver/economies/singapore/"


def test_economy_detail_is_found_by_iso2_in_either_case(client, catalogue):
    assert client.get(f"{API}/economies/sg/").json()["name"] == "Singapore"
    assert client.get(f"{API}/economies/SG/").json()["case_count"] == 2
    assert client.get(f"{API}/economies/ZZ/").status_code == 404


@pytest.mark.parametrize(
    ("path", "key", "value", "count"),
    [
        ("sectors", "slug", "health", 3),
        ("themes", "slug", "digital-government", 2),
        ("innovation-facets", "slug", "adaptive", 1),
        ("sdgs", "number", 3, 1),
    ],
)
def test_vocabulary_lists_and_details_carry_published_case_counts(
    client, catalogue, hidden_cases, path, key, value, count
):
    terms = {term[key]: term for term in client.get(f"{API}/{path}/").json()}
    assert terms[value]["case_count"] == count
    detail = client.get(f"{API}/{path}/{value}/")
    assert detail.status_code == 200
    assert detail.json()["case_count"] == count
    assert client.get(f"{API}/{path}/no-such-term-99/").status_code == 404


# --- What the pages use ---------------------------------------------------------------------------


def test_facet_counts_give_the_total_and_counts_under_the_other_filters(client, catalogue):
    body = client.get(f"{API}/cases/facet-counts/?economy=SG&sector=health").json()
    assert body["count"] == 1
    assert body["facets"]["economy"] == {"SG": 1, "MY": 1, "JP": 1}  # every economy, with sector=health
    assert body["facets"]["sector"] == {"health": 1, "education": 1}  # every sector, within SG


def test_suggest_offers_case_titles_economies_and_themes_by_word_prefix(client, catalogue):
    body = client.get(f"{API}/suggest/?q=clin").json()
    assert [case["value"] for case in body["cases"]] == ["my-both", "sg-health"]
    assert body["cases"][0]["url"] == "http://testserver/cases/my-both/"
    body = client.get(f"{API}/suggest/?q=sing").json()
    assert [(economy["label"], economy["value"]) for economy in body["economies"]] == [("Singapore", "SG")]
    assert body["economies"][0]["url"] == "http://testserver/economies/singapore/"
    body = client.get(f"{API}/suggest/?q=Digital").json()
    assert [theme["value"] for theme in body["themes"]] == ["digital-government"]


def test_suggest_offers_at_most_eight_of_each(client):
    for n in range(12):
        CaseStudyFactory(title=f"Parking permits round {n}")
    assert len(client.get(f"{API}/suggest/?q=park").json()["cases"]) == 8


def test_suggest_blank_query_suggests_nothing(client, catalogue):
    assert client.get(f"{API}/suggest/?q=%20").json() == {"q": "", "cases": [], "economies": [], "themes": []}


def test_suggest_leaves_out_economies_and_themes_without_published_cases(client, catalogue):
    assert client.get(f"{API}/suggest/?q=Thai").json()["economies"] == []
    assert client.get(f"{API}/suggest/?q=smart").json()["themes"] == []


def test_stats_aggregate_the_filtered_cases(client, catalogue):
    OutcomeFactory(case=catalogue["sg-health"])
    body = client.get(f"{API}/stats/?sector=health").json()
    assert (body["count"], body["with_outcomes"], body["outcome_share"]) == (3, 1, 0.3333)
    assert {row["value"]: row["count"] for row in body["by_economy"]} == {"SG": 1, "MY": 1, "JP": 1}
    assert {row["value"]: row["count"] for row in body["by_region"]} == {"035": 2, "030": 1}
    assert {row["value"]: row["count"] for row in body["by_sector"]} == {"health": 3, "education": 1}
    assert {row["value"]: row["count"] for row in body["by_theme"]} == {
        "digital-government": 2,
        "service-design": 1,
    }
    assert body["by_facet"] == [{"value": "adaptive", "label": "Adaptive", "count": 1}]
    assert body["by_sdg"] == [{"value": "3", "label": SDG.objects.get(number=3).name, "count": 1}]
    assert {row["value"]: row["count"] for row in body["by_level"]} == {
        "national": 1,
        "regional": 1,
        "local": 1,
    }
    assert {row["value"] for row in body["by_stage"]} == {"evaluation", "implementation", "diffusing_lessons"}
    assert [row["value"] for row in body["by_year"]] == ["2010", "2020", "2022"]


def test_stats_of_nothing_are_zero(client, catalogue):
    body = client.get(f"{API}/stats/?economy=TH").json()
    assert (body["count"], body["with_outcomes"], body["outcome_share"], body["by_year"]) == (0, 0, 0.0, [])


# --- Unpublished cases are never visible ----------------------------------------------------------

ENDPOINTS = [
    "/cases/?page_size=100",
    "/cases/?q=telemedicine",
    "/cases/?theme=digital-government&sdg=3",
    "/cases/harvest/",
    "/cases/export.csv",
    "/cases/export.jsonl",
    "/cases/export.csv?q=hidden",
    "/cases/changes/?since=2000-01-01T00:00:00Z",
    "/suggest/?q=hidden",
    "/suggest/?q=telemedicine",
]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_unpublished_cases_are_absent(client, catalogue, hidden_cases, url):
    response = client.get(API + url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert_no_hidden(body.decode())


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/cases/facet-counts/", 4),
        ("/cases/facet-counts/?theme=digital-government", 2),
        ("/stats/", 4),
        ("/stats/?facet=adaptive", 1),
    ],
)
def test_unpublished_cases_are_not_counted(client, catalogue, hidden_cases, url, expected):
    assert client.get(API + url).json()["count"] == expected


def test_unpublished_cases_are_absent_from_facet_counts_and_stats_buckets(client, catalogue, hidden_cases):
    facets = client.get(f"{API}/cases/facet-counts/").json()["facets"]
    assert facets["sdg"] == {"3": 1}
    assert facets["facet"] == {"adaptive": 1}
    stats = client.get(f"{API}/stats/").json()
    assert [row["value"] for row in stats["by_year"]] == ["2010", "2015", "2020", "2022"]  # not 2019


# --- Query counts do not grow with the page ---------------------------------------------------------

LIST_ENDPOINTS = [
    "/cases/?page_size=100",
    "/cases/?q=case&page_size=100",
    "/cases/?theme=digital-government&page_size=100",
    "/cases/harvest/?page_size=100",
    "/cases/changes/?since=2000-01-01T00:00:00Z",
    "/cases/facet-counts/",
    "/stats/",
    "/suggest/?q=case",
    "/economies/",
    "/sectors/",
    "/themes/",
    "/innovation-facets/",
    "/sdgs/",
]


def rich_case(n):
    case = CaseStudyFactory(
        title=f"Case number {n}",
        themes=[Theme.objects.get(slug="digital-government")],
        facets=[InnovationFacet.objects.get(slug="adaptive")],
        sdgs=[SDG.objects.get(number=3)],
        other_economies=[Economy.objects.get(iso2="MY")],
    )
    OutcomeFactory(case=case)
    ResourceFactory(case=case)
    CaseLinkFactory(from_case=case, to_case=CaseStudyFactory(title=f"Linked {n}"))
    return case


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(API + url)
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)
    return len(captured)


@pytest.mark.parametrize("url", LIST_ENDPOINTS)
def test_list_query_count_does_not_grow_with_the_page(client, django_assert_max_num_queries, url):
    for n in range(5):
        rich_case(n)
    few = queries_for(client, url)
    for n in range(5, 40):
        rich_case(n)
    with django_assert_max_num_queries(few):
        queries_for(client, url)


@pytest.mark.parametrize("url", ["/cases/export.csv", "/cases/export.jsonl"])
def test_export_query_count_does_not_grow_within_a_chunk(client, django_assert_max_num_queries, url):
    for n in range(5):
        rich_case(n)
    few = queries_for(client, url)
    for n in range(5, 40):
        rich_case(n)
    with django_assert_max_num_queries(few):
        queries_for(client, url)


def test_case_detail_query_count_is_fixed(client, after_a_write, django_assert_max_num_queries):
    case = rich_case(0)
    after_a_write()
    # Last-Modified, the case, its outcomes and resources (one query), links both ways (one query), its
    # terms (one query), the version.
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(f"{API}/cases/{case.slug}/").status_code == 200


# Issue 15: at most MAX_QUERIES on the first request after a write, whatever the page size or the number
# of cases.
COMPUTED_LISTS = [
    "/cases/",
    "/cases/?q=case",
    "/cases/?q=numbr",  # a typo: corrected
    "/cases/?q=numbe",  # a word cut short: read as a prefix
    "/cases/?theme=digital-government&facet=adaptive&sdg=3&economy=SG",
    "/cases/?ordering=-title",
    "/cases/?sort=title&page=2",
    "/cases/facet-counts/?theme=digital-government",
    "/stats/?facet=adaptive",
]


@pytest.mark.parametrize("url", COMPUTED_LISTS)
def test_a_list_after_a_write_reads_a_few_queries_whatever_its_page_size(
    client, after_a_write, django_assert_max_num_queries, url
):
    def get(page_size):
        separator = "&" if "?" in url else "?"
        response = client.get(f"{API}{url}{separator}page_size={page_size}")
        assert response.status_code == 200
        return response.json()

    for n in range(3):
        rich_case(n)
    after_a_write()
    with django_assert_max_num_queries(MAX_QUERIES) as few:
        get(5)
    for n in range(3, 60):
        rich_case(n)
    after_a_write()
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = get(50)
    if "results" in body and "page=2" not in url:
        assert len(body["results"]) == 50


def test_a_list_reads_no_narrative_section(client, after_a_write):
    """A list shows none of a case's long sections, which are most of its row (out of TOAST storage)."""
    for n in range(3):
        rich_case(n)
    after_a_write()
    with CaptureQueriesContext(connection) as captured:
        body = client.get(f"{API}/cases/").json()
    assert body["results"]
    rows = [sql for sql in (query["sql"] for query in captured.captured_queries) if '"summary"' in sql]
    assert rows
    for narrative in NARRATIVE_FIELDS:
        assert not any(f'"cases_casestudy"."{narrative}"' in sql for sql in rows)


def test_a_list_shows_every_vocabulary_of_its_cases_as_the_detail_does(client):
    case = rich_case(0)
    (listed,) = [row for row in client.get(f"{API}/cases/").json()["results"] if row["slug"] == case.slug]
    detail = client.get(f"{API}/cases/{case.slug}/").json()
    for name in ("sectors", "themes", "facets", "sdgs"):
        assert listed[name] == detail[name]
        assert listed[name]
    assert detail["other_economies"] == [
        {"iso2": "MY", "iso3": "MYS", "name": "Malaysia", "slug": "malaysia"}
    ]


def test_case_detail_query_count_does_not_grow_with_links_outcomes_or_resources(
    client, django_assert_max_num_queries
):
    case = rich_case(0)
    few = queries_for(client, f"/cases/{case.slug}/")
    for n in range(1, 15):
        OutcomeFactory(case=case)
        ResourceFactory(case=case)
        CaseLinkFactory(from_case=case, to_case=CaseStudyFactory(title=f"Copy {n}"), relation="replicated_in")
        CaseLinkFactory(
            from_case=CaseStudyFactory(title=f"Source {n}"), to_case=case, relation="replicated_in"
        )
    with django_assert_max_num_queries(few):
        links = client.get(f"{API}/cases/{case.slug}/").json()["links"]
    assert len(links) == 1 + 14 + 14


def test_a_repeated_list_request_reuses_the_cached_total_and_page(client):
    """Counting and ranking the matches is the costly part of a search page: it is done once per selection
    and catalogue version; a write to the catalogue starts afresh."""
    for n in range(3):
        CaseStudyFactory(title=f"Irrigation scheme {n}")
    url = "/api/v1/cases/?q=irrigation&page_size=2"
    first = client.get(url).json()

    with CaptureQueriesContext(connection) as repeated:
        again = client.get(url).json()
    assert again == first
    assert not any("COUNT(" in query["sql"] for query in repeated.captured_queries)

    CaseStudyFactory(title="Irrigation scheme 4")
    assert client.get(url).json()["count"] == 4

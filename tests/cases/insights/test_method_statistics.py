"""Cases by method and methods by economy (issue 18): the statistics of /stats/, the API's and the economy
profiles', counted on the catalogue's bitmaps. Only published cases and published methods count."""

import pytest
from django.utils import timezone

from cases.filters import CaseStudyFilterSet
from cases.insights.bitmaps import CatalogueBitmaps
from cases.models import CaseMethod, CaseStudy, Economy, EntryStatus, Method, Status
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db


def method(slug, *, status=EntryStatus.PUBLISHED):
    return Method.objects.create(
        name=slug.replace("-", " ").capitalize(),
        slug=slug,
        summary="One sentence.",
        description="What it is.",
        discipline="design",
        status=status,
        published_at=timezone.now() if status == EntryStatus.PUBLISHED else None,
    )


def uses(case, *methods):
    for position, used in enumerate(methods):
        CaseMethod.objects.create(case=case, method=used, position=position)


@pytest.fixture
def catalogue():
    sandbox, hackathon, hidden = (
        method("regulatory-sandbox"),
        method("hackathon"),
        method("draft", status="draft"),
    )
    singapore, japan = Economy.objects.get(iso2="SG"), Economy.objects.get(iso2="JP")
    uses(CaseStudyFactory(economy=singapore), sandbox, hidden)
    uses(CaseStudyFactory(economy=singapore), sandbox, hackathon)
    uses(CaseStudyFactory(economy=japan), hackathon)
    uses(CaseStudyFactory(economy=japan, status=Status.DRAFT, published_at=None), sandbox, hackathon)
    return sandbox, hackathon


def test_the_api_counts_published_cases_by_published_method(client, catalogue):
    body = client.get("/api/v1/stats/").json()

    assert [(b["value"], b["count"]) for b in body["by_method"]] == [
        ("hackathon", 2),
        ("regulatory-sandbox", 2),
    ]
    assert [(b["economy"], b["value"], b["count"]) for b in body["by_economy_method"]] == [
        ("JP", "hackathon", 1),
        ("SG", "regulatory-sandbox", 2),
        ("SG", "hackathon", 1),
    ]
    assert "draft" not in str(body)


def test_the_method_parameter_selects_the_same_cases_from_the_bitmaps_as_in_sql(catalogue):
    sandbox, _hackathon = catalogue
    filterset = CaseStudyFilterSet({"method": [sandbox.slug]}, queryset=CaseStudy.objects.published())
    assert filterset.is_valid()

    from_bitmaps = set(CatalogueBitmaps.current().select(filterset))

    assert from_bitmaps == set(filterset.qs.values_list("pk", flat=True))
    assert len(from_bitmaps) == 2


def test_the_stats_page_charts_cases_by_method_and_links_each_to_the_library(client, catalogue):
    response = client.get("/stats/", {"economy": "SG"})

    chart = next(chart for chart in response.context["charts"] if chart["key"] == "method")
    assert [(row["value"], row["count"]) for row in chart["rows"]] == [
        ("regulatory-sandbox", 2),
        ("hackathon", 1),
    ]
    assert "method=regulatory-sandbox" in chart["rows"][0]["query"]
    assert "Cases by method" in response.text


def test_an_economy_profile_compares_its_methods_with_every_apo_economy(client, catalogue):
    response = client.get("/economies/singapore/")

    chart = next(chart for chart in response.context["profile_charts"] if chart["key"] == "method")
    rows = {row["value"]: (row["count"], row["apo_count"]) for row in chart["rows"]}
    assert rows["regulatory-sandbox"][0] == 2
    assert "draft" not in rows


def test_unpublishing_a_method_takes_it_out_of_the_statistics(client, catalogue):
    sandbox, _hackathon = catalogue
    Method.objects.filter(pk=sandbox.pk).update(status=EntryStatus.DRAFT)
    from cases.tasks import catalogue_written

    catalogue_written()  # an UPDATE sends no signal: bump as its callers do

    body = client.get("/api/v1/stats/").json()
    assert [b["value"] for b in body["by_method"]] == ["hackathon"]

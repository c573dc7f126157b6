"""Search is one filter among the others: the library page, the API, the exports, the feed, the statistics
and the facet counts see the same matches (in the same order where they have one), on the demo catalogue.
Every example query the site shows finds cases; nothing unpublished is found, suggested or counted."""

import csv
import io
import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.conf import settings

from cases.models import CaseStudy
from tests.cases.search.relevance import library_search
from tests.cases.search.test_relevance import demo_statuses

pytestmark = pytest.mark.django_db

# A plain word, an acronym through the thesaurus, a hyphenated term, a typo corrected, a vocabulary name,
# a word and a facet together.
QUERIES = [
    {"q": "payments"},
    {"q": "AI"},
    {"q": "COVID-19"},
    {"q": "telemedecine"},
    {"q": "Smart cities"},
    {"q": "digital", "economy": "IN"},
]


def page_slugs(client, parameters) -> list[str]:
    response = client.get("/cases/", parameters)
    assert response.status_code == 200
    return [case.slug for case in response.context["cases"]]


def api_slugs(client, parameters) -> tuple[list[str], int]:
    response = client.get("/api/v1/cases/", {**parameters, "page_size": 100})
    assert response.status_code == 200
    body = response.json()
    return [row["slug"] for row in body["results"]], body["count"]


@pytest.mark.parametrize("parameters", QUERIES, ids=[str(query) for query in QUERIES])
def test_every_face_sees_the_same_matches(demo, client, parameters):
    ranked, total = api_slugs(client, parameters)
    assert ranked, f"the demo has cases for {parameters}"
    # The library page shows the first page of the same ranking, and the same total.
    assert page_slugs(client, parameters) == ranked[:20]
    assert client.get("/cases/", parameters).context["result_count"] == total
    # Exports: the same cases (they are in the library's order unless told otherwise).
    exported = client.get("/api/v1/cases/export.csv", parameters)
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig"))))
    assert {row["slug"] for row in rows} == set(ranked)
    lines = client.get("/api/v1/cases/export.jsonl", parameters)
    assert {json.loads(line)["slug"] for line in b"".join(lines.streaming_content).splitlines()} == set(
        ranked
    )
    # Statistics and facet counts count the same cases.
    assert client.get("/api/v1/stats/", parameters).json()["count"] == total
    assert client.get("/api/v1/cases/facet-counts/", parameters).json()["count"] == total
    # The feed lists the same cases, newest first.
    feed = ElementTree.fromstring(client.get("/feeds/cases/", parameters).content)
    links = [item.findtext("link") for item in feed.iter("item")]
    assert len(links) == min(total, len(links))
    assert all(any(link.rstrip("/").endswith("/" + slug) for slug in ranked) for link in links)


# Nothing searchable: punctuation, stop words (no lexeme on PostgreSQL, left out of FTS5's expression).
ASKS_NOTHING = ["!!!", "under", "between the", '"under"', "¿?"]


@pytest.mark.parametrize("words", ASKS_NOTHING)
@pytest.mark.parametrize("facet", [{}, {"economy": "IN"}], ids=["whole catalogue", "one economy"])
def test_words_that_ask_nothing_are_the_library_without_them(demo, client, words, facet):
    # Every face answers (on PostgreSQL the catalogue's bitmaps asked the search for the matches of an
    # empty query: a 500), with what the same selection without the words gives: every case, the
    # library's own order, nothing unpublished.
    without, total = api_slugs(client, facet)
    assert total
    assert total <= CaseStudy.objects.published().count()
    assert api_slugs(client, {**facet, "q": words}) == (without, total)
    page = client.get("/cases/", {**facet, "q": words})
    assert page.status_code == 200
    assert page.context["result_count"] == total
    assert [case.slug for case in page.context["cases"]] == without[:20]
    exported = client.get("/api/v1/cases/export.csv", {**facet, "q": words})
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig"))))
    assert {row["slug"] for row in rows} == set(without)
    assert client.get("/api/v1/stats/", {**facet, "q": words}).json()["count"] == total
    assert client.get("/api/v1/cases/facet-counts/", {**facet, "q": words}).json() == (
        client.get("/api/v1/cases/facet-counts/", facet).json()
    )
    feed = client.get("/feeds/cases/", {**facet, "q": words})
    assert feed.status_code == 200
    assert feed.content.count(b"<item>") == client.get("/feeds/cases/", facet).content.count(b"<item>")


def test_the_understood_query_is_shared_by_every_face(demo, client):
    """A typo corrected for the library is corrected for the API and the counts alike."""
    ranked, _total = api_slugs(client, {"q": "telemedecine"})
    assert ranked == api_slugs(client, {"q": "telemedicine"})[0]
    page = client.get("/cases/", {"q": "telemedecine"})
    assert page.context["corrected_query"] == "telemedicine"
    assert "Showing results for" in page.content.decode()


def site_example_queries() -> list[str]:
    """The example searches the site's pages suggest (the hints under the search boxes)."""
    examples = []
    for template in ("cases/home.html", "cases/casestudy_list.html"):
        text = (Path(settings.BASE_DIR) / "templates" / template).read_text(encoding="utf-8")
        for hint in re.findall(r'class="hint"[^>]*>(.*?)</p>', text):
            examples += re.findall(r"\u201c([^\u201d]+)\u201d", hint)
    return examples


def test_every_example_query_on_the_site_finds_cases(demo):
    examples = site_example_queries()
    assert len(examples) >= 4
    for example in examples:
        assert library_search(example), f"the example “{example}” finds nothing"


def test_no_face_finds_suggests_or_counts_an_unpublished_case(demo, client):
    unpublished = {slug for slug, status in demo_statuses().items() if status != "published"}
    titles = dict(CaseStudy.objects.filter(slug__in=unpublished).values_list("slug", "title"))
    assert titles
    for slug, title in titles.items():
        words = " ".join(title.split(":")[0].split()[:3])
        ranked, total = api_slugs(client, {"q": words})
        assert slug not in ranked
        assert slug not in page_slugs(client, {"q": words})
        suggestions = client.get("/api/v1/suggest/", {"q": words}).json()
        assert slug not in [row["value"] for row in suggestions["cases"]]
        counted = client.get("/api/v1/cases/facet-counts/", {"q": words}).json()["count"]
        assert counted == total
        page = client.get("/cases/", {"q": words})
        assert title not in page.content.decode()

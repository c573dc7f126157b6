"""The open-data page and files (cases/site/opendata.py): what a person and a harvester get, and nothing
they should not."""

import gzip
import json
import re
from datetime import timedelta

import pytest

from cases.interchange.dumps import write_dump
from cases.models import Status
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def release():
    CaseStudyFactory(title="Mobile clinics on schedule", slug="mobile-clinics", status=Status.PUBLISHED)
    CaseStudyFactory(title="Secret draft", slug="secret-draft", status=Status.DRAFT)
    return write_dump()


def test_the_page_says_when_no_release_exists_yet(client):
    response = client.get("/data/")

    assert response.status_code == 200
    assert "No open-data release has been written yet." in response.text
    assert "application/ld+json" not in response.text


def test_the_page_lists_the_files_with_sizes_and_checksums_and_marks_up_the_dataset(client, release):
    response = client.get("/data/")

    assert response.status_code == 200
    by_name = {each.name: each for each in release.files}
    assert 'href="/data/latest/datapackage.json"' in response.text
    for name in ("cases.csv.gz", "cases.jsonl.gz", "economies.csv", "case_links.csv"):
        assert f'href="/data/{release.day.isoformat()}/{name}"' in response.text
    assert by_name["cases.csv.gz"].sha256 in response.text
    (markup,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', response.text, re.S)
    dataset = json.loads(markup)
    assert dataset["@type"] == "Dataset"
    assert dataset["license"] == "https://creativecommons.org/licenses/by/4.0/"
    downloads = {each["contentUrl"].rsplit("/", 1)[1] for each in dataset["distribution"]}
    assert {"cases.csv.gz", "cases.jsonl.gz", "sectors.csv"} <= downloads
    assert "secret-draft" not in response.text


def test_the_page_speaks_the_readers_language(client, release):
    response = client.get("/ja/data/")

    assert response.status_code == 200
    assert '<html lang="ja"' in response.text
    assert '<h1 id="open-data-heading">Open data</h1>' not in response.text


def test_a_file_is_served_whole_with_its_type_and_caching(client, release):
    csv_file = client.get("/data/latest/cases.csv.gz")
    yesterday = write_dump(day=release.day - timedelta(days=1)).day
    dated = client.get(f"/data/{yesterday.isoformat()}/SHA256SUMS")

    assert csv_file.status_code == 200
    assert csv_file["Content-Type"] == "application/gzip"
    assert "attachment" in csv_file["Content-Disposition"]
    text = gzip.decompress(b"".join(csv_file.streaming_content)).decode()
    assert "mobile-clinics" in text
    assert "secret-draft" not in text
    assert csv_file["Cache-Control"] == "public, max-age=600"  # today's may be written again (a take-down)
    assert dated.status_code == 200
    assert "immutable" in dated["Cache-Control"]
    assert b"cases.csv.gz" in b"".join(dated.streaming_content)


def test_the_parquet_file_is_served_and_catalogued_with_its_type(client, release):
    from rdflib import Graph, Namespace, URIRef

    dcat = Namespace("http://www.w3.org/ns/dcat#")
    dct = Namespace("http://purl.org/dc/terms/")

    served = client.get("/data/latest/cases.parquet")
    page = client.get("/data/")
    graph = Graph().parse(data=client.get("/catalog.jsonld").content, format="json-ld")

    assert served.status_code == 200
    assert served["Content-Type"] == "application/vnd.apache.parquet"
    assert b"".join(served.streaming_content).startswith(b"PAR1")
    assert f'href="/data/{release.day.isoformat()}/cases.parquet"' in page.text
    assert "Published case studies (Parquet)" in page.text
    (distribution,) = [
        each for each in graph.subjects(dcat.downloadURL, None) if str(each).endswith("/cases.parquet")
    ]
    assert graph.value(distribution, dcat.mediaType) == URIRef(
        "https://www.iana.org/assignments/media-types/application/vnd.apache.parquet"
    )
    assert graph.value(distribution, dct["format"]) == URIRef(
        "http://publications.europa.eu/resource/authority/file-type/PARQUET"
    )
    assert graph.value(distribution, dcat.compressFormat) is None  # compressed inside, not a gzip file


@pytest.mark.parametrize(
    "address",
    [
        "/data/latest/settings.py",
        "/data/latest/..%2F..%2Fsecret.txt",
        "/data/1999-01-01/cases.csv.gz",
        "/data/yesterday/cases.csv.gz",
        "/data/latest/cases.csv.gz.bak",
        "/data/latest/",
    ],
)
def test_nothing_but_a_dumps_own_files_can_be_reached(client, release, address):
    assert client.get(address).status_code == 404


def test_files_are_read_only(client, release):
    assert client.post("/data/latest/cases.csv.gz").status_code == 405


def test_the_dcat_catalogue_holds_what_dcat_ap_requires(client, release):
    from rdflib import RDF, Graph, Literal, Namespace, URIRef

    dcat = Namespace("http://www.w3.org/ns/dcat#")
    dct = Namespace("http://purl.org/dc/terms/")
    foaf = Namespace("http://xmlns.com/foaf/0.1/")
    spdx = Namespace("http://spdx.org/rdf/terms#")

    response = client.get("/catalog.jsonld")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    graph = Graph().parse(data=response.content, format="json-ld")
    (catalog,) = graph.subjects(RDF.type, dcat.Catalog)
    (dataset,) = graph.subjects(RDF.type, dcat.Dataset)
    (service,) = graph.subjects(RDF.type, dcat.DataService)
    for subject in (catalog, dataset):  # mandatory in DCAT-AP 3
        assert graph.value(subject, dct.title)
        assert graph.value(subject, dct.description)
    publisher = graph.value(catalog, dct.publisher)
    assert graph.value(publisher, foaf.name) == Literal("Asian Productivity Organization")
    assert graph.value(catalog, dcat.dataset) == dataset
    assert graph.value(catalog, dcat.service) == service
    # Each file of the release, with where to get it and how to check it.
    by_name = {
        each.name: each for each in release.files if each.name not in ("datapackage.json", "SHA256SUMS")
    }
    distributions = list(graph.objects(dataset, dcat.distribution))
    assert len(distributions) == len(by_name)
    for distribution in distributions:
        url = str(graph.value(distribution, dcat.downloadURL))
        written = by_name[url.rsplit("/", 1)[1]]
        assert graph.value(distribution, dcat.accessURL)
        assert graph.value(distribution, dcat.mediaType)
        assert graph.value(distribution, dct.license) == URIRef(
            "https://creativecommons.org/licenses/by/4.0/"
        )
        assert int(graph.value(distribution, dcat.byteSize)) == written.bytes
        checksum = graph.value(distribution, spdx.checksum)
        assert str(graph.value(checksum, spdx.checksumValue)) == written.sha256
        assert str(graph.value(distribution, dct.modified)) == release.day.isoformat()
    # The API, as the service that serves the dataset, described by its OpenAPI schema.
    assert str(graph.value(service, dcat.endpointDescription)).endswith("/api/schema/")
    assert graph.value(service, dcat.servesDataset) == dataset
    spatial = {str(place).rsplit("/", 1)[1] for place in graph.objects(dataset, dct.spatial)}
    assert {"JPN", "SGP", "THA"} <= spatial
    assert "secret-draft" not in response.text


def test_the_dcat_catalogue_in_turtle_is_the_same_graph(client, release):
    from rdflib import Graph
    from rdflib.compare import isomorphic

    response = client.get("/catalog.ttl")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/turtle; charset=utf-8"
    assert "@prefix dcat: <http://www.w3.org/ns/dcat#>" in response.text
    turtle = Graph().parse(data=response.content, format="turtle")
    assert isomorphic(turtle, Graph().parse(data=client.get("/catalog.jsonld").content, format="json-ld"))
    assert len(turtle) > 50
    assert "secret-draft" not in response.text


def test_the_dcat_catalogue_without_a_release_still_describes_the_dataset_and_api(client):
    from rdflib import RDF, Graph, Namespace

    dcat = Namespace("http://www.w3.org/ns/dcat#")
    graph = Graph().parse(data=client.get("/catalog.jsonld").content, format="json-ld")

    (dataset,) = graph.subjects(RDF.type, dcat.Dataset)
    assert list(graph.objects(dataset, dcat.distribution)) == []
    assert list(graph.subjects(RDF.type, dcat.DataService))


def test_a_file_is_not_sent_again_to_a_client_that_has_it(client, release):
    first = client.get("/data/latest/cases.csv.gz")
    digest = next(each.sha256 for each in release.files if each.name == "cases.csv.gz")

    again = client.get("/data/latest/cases.csv.gz", headers={"If-None-Match": first["ETag"]})

    assert first["ETag"] == f'"{digest}"'
    assert again.status_code == 304


def test_a_half_written_release_is_not_served(client, release):
    from django.core.files.storage import storages

    storages["opendata"].delete(f"{release.day.isoformat()}/datapackage.json")  # as a writer stopped midway

    assert client.get("/data/latest/cases.csv.gz").status_code == 404
    assert client.get(f"/data/{release.day.isoformat()}/cases.csv.gz").status_code == 404
    assert "No open-data release has been written yet." in client.get("/data/").text


def test_settings_text_cannot_break_out_of_the_dataset_markup(client, settings):
    settings.OPEN_DATA_TITLE = "Cases </script><script>alert(1)</script> <!--"
    write_dump()

    response = client.get("/data/")

    (markup,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', response.text, re.S)
    assert "<" not in markup
    assert json.loads(markup)["name"] == settings.OPEN_DATA_TITLE

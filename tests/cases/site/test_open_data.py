"""The open-data page and files (cases/site/opendata.py): what a person and a harvester get, and nothing
they should not."""

import gzip
import json
import re

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
    for name in ("cases.csv.gz", "cases.jsonl.gz", "economies.csv", "case_links.csv", "datapackage.json"):
        assert f'href="/data/latest/{name}"' in response.text
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
    dated = client.get(f"/data/{release.day.isoformat()}/SHA256SUMS")

    assert csv_file.status_code == 200
    assert csv_file["Content-Type"] == "application/gzip"
    assert "attachment" in csv_file["Content-Disposition"]
    text = gzip.decompress(b"".join(csv_file.streaming_content)).decode()
    assert "mobile-clinics" in text
    assert "secret-draft" not in text
    assert csv_file["Cache-Control"] == "public, max-age=3600"
    assert dated.status_code == 200
    assert "immutable" in dated["Cache-Control"]
    assert b"cases.csv.gz" in b"".join(dated.streaming_content)


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

"""The API's cached answers (cases/api/conditional.py): a read asked for again is answered from the cache
after authentication, throttling and the conditional check; a write makes every stored answer unreachable;
nothing but a successful, public, modest read is stored."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cases.api import conditional
from cases.curation.workflow import case_transition
from cases.models import FormerSlug
from tests.cases.test_caching import another_process_writes
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"
READS = [
    "/cases/",
    "/cases/?sector=health&page_size=5",
    "/cases/cached-case/",
    "/cases/harvest/",
    "/cases/facet-counts/?economy=SG",
    "/stats/",
    "/suggest/?q=cach",
    "/economies/",
    "/sdgs/",
    "/cases/changes/?since=2000-01-01T00:00:00Z",
]


def queries_for(client, url, **kwargs):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **kwargs)
    return response, len(captured.captured_queries)


@pytest.mark.parametrize("url", READS)
def test_a_read_asked_again_is_answered_from_the_cache_with_its_validators(client, settings, url):
    settings.CATALOGUE_VERSION_TTL = 60  # the version known for the whole test
    CaseStudyFactory(slug="cached-case", title="Cached answers")
    first, first_queries = queries_for(client, API + url)

    again, again_queries = queries_for(client, API + url)

    assert first.status_code == again.status_code == 200
    assert "X-Page-Cache" not in first
    assert again["X-Page-Cache"] == "hit"
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"] == "application/json"
    assert again["ETag"] == first["ETag"]
    assert again["Last-Modified"] == first["Last-Modified"]
    assert again["Cache-Control"] == "public, no-cache"
    assert "Accept" in again["Vary"]
    assert first_queries > 0
    assert again_queries == 0  # a case's record under its stamp, known for the TTL as the version is
    # The client's copy is current: still a 304, before the cache is even read.
    unchanged = client.get(API + url, headers={"if-none-match": first["ETag"]})
    assert unchanged.status_code == 304
    assert unchanged.content == b""


def test_a_case_withdrawn_leaves_every_cached_answer_at_once(client, superuser):
    case = CaseStudyFactory(slug="soon-withdrawn", title="Soon withdrawn")
    for url in ["/cases/", "/cases/soon-withdrawn/", "/suggest/?q=soon", "/stats/"]:
        client.get(API + url)
        assert client.get(API + url)["X-Page-Cache"] == "hit"

    case_transition(case=case, name="unpublish", user=superuser)

    assert "Soon withdrawn" not in client.get(f"{API}/cases/").text
    assert client.get(f"{API}/cases/soon-withdrawn/").status_code == 404
    assert "Soon withdrawn" not in client.get(f"{API}/suggest/?q=soon").text
    assert client.get(f"{API}/stats/").json()["count"] == 0


def test_an_edit_is_seen_by_the_next_reader(client):
    case = CaseStudyFactory(slug="edited", title="Before the edit")
    client.get(f"{API}/cases/edited/")

    case.title = "After the edit"
    case.save()

    response = client.get(f"{API}/cases/edited/")
    assert response.json()["title"] == "After the edit"
    assert "X-Page-Cache" not in response


def test_a_write_by_another_process_is_seen_once_the_version_ttl_has_passed(client, settings):
    settings.CATALOGUE_VERSION_TTL = 60
    CaseStudyFactory(slug="other-process")
    client.get(f"{API}/cases/")
    another_process_writes()
    assert client.get(f"{API}/cases/")["X-Page-Cache"] == "hit"  # the version known

    settings.CATALOGUE_VERSION_TTL = 0
    assert "X-Page-Cache" not in client.get(f"{API}/cases/")


def test_rate_limits_count_answers_from_the_cache(client, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "3/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    CaseStudyFactory(slug="limited")
    statuses = [client.get(f"{API}/cases/limited/") for _ in range(4)]

    assert [response.status_code for response in statuses] == [200, 200, 200, 429]
    assert statuses[2]["X-Page-Cache"] == "hit"
    assert "Retry-After" in statuses[3]


@pytest.mark.parametrize(
    "url",
    [
        "/cases/?sector=no-such-sector",
        "/cases/?page=999",
        "/cases/no-such-case/",
        "/suggest/",
        "/stats/?year_from=last-year",
    ],
)
def test_refusals_are_never_stored(client, url):
    CaseStudyFactory()
    first = client.get(API + url)
    again = client.get(API + url)
    assert 400 <= first.status_code < 500
    assert again.status_code == first.status_code
    assert "X-Page-Cache" not in again
    assert again["Content-Type"] == "application/problem+json"


def test_a_former_slugs_redirect_is_not_stored(client):
    FormerSlug.objects.create(slug="old-name", case=CaseStudyFactory(slug="new-name"))
    for _ in range(2):
        response = client.get(f"{API}/cases/old-name/")
        assert response.status_code == 301
        assert response["Location"].endswith("/api/v1/cases/new-name/")
        assert "X-Page-Cache" not in response


def test_each_host_gets_links_built_with_its_own_name(client, settings):
    settings.ALLOWED_HOSTS = ["observatory.example", "mirror.example"]
    CaseStudyFactory(slug="hosted")
    client.get(f"{API}/cases/", HTTP_HOST="observatory.example")

    mirrored = client.get(f"{API}/cases/", HTTP_HOST="mirror.example")

    assert "X-Page-Cache" not in mirrored
    assert "http://mirror.example/" in mirrored.text
    assert "observatory.example" not in mirrored.text


def test_a_partner_with_a_key_and_an_anonymous_reader_share_the_answer(client, settings):
    from cases.services import api_key_create

    settings.CATALOGUE_VERSION_TTL = 60
    CaseStudyFactory(slug="shared")
    _key, plaintext = api_key_create(owner="Partner")
    anonymous = client.get(f"{API}/cases/shared/")

    partner = client.get(f"{API}/cases/shared/", headers={"authorization": f"Api-Key {plaintext}"})

    assert partner["X-Page-Cache"] == "hit"
    assert partner.content == anonymous.content


def test_a_large_answer_is_computed_each_time(client, monkeypatch):
    monkeypatch.setattr(conditional, "MAX_CACHED_BYTES", 100)
    CaseStudyFactory(slug="large")
    client.get(f"{API}/cases/large/")
    assert "X-Page-Cache" not in client.get(f"{API}/cases/large/")


def test_reads_inside_an_uncommitted_write_neither_use_nor_fill_the_cache(client):
    case = CaseStudyFactory(slug="in-a-transaction", title="Committed title")
    client.get(f"{API}/cases/in-a-transaction/")
    with transaction.atomic():
        case.title = "Uncommitted title"
        case.save()
        inside = client.get(f"{API}/cases/in-a-transaction/")
        assert inside.json()["title"] == "Uncommitted title"
        assert "X-Page-Cache" not in inside
        transaction.set_rollback(True)

    after = client.get(f"{API}/cases/in-a-transaction/")
    assert after.json()["title"] == "Committed title"

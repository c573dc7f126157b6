"""Whole pages for anonymous readers come from the cache until the catalogue changes; nobody else's do."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.workflow import case_transition
from tests.factories import CaseStudyFactory, UserFactory

pytestmark = pytest.mark.django_db


def queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    return response, len(captured.captured_queries)


@pytest.mark.parametrize("url", ["/", "/cases/", "/cases/?sector=health", "/economies/", "/themes/"])
def test_a_page_read_again_is_served_from_the_cache_without_the_database(client, url):
    CaseStudyFactory(title="Cached once")
    first, first_queries = queries_for(client, url)

    again, again_queries = queries_for(client, url)

    assert first.status_code == again.status_code == 200
    assert first_queries > 0
    assert again_queries == 0
    assert again["X-Page-Cache"] == "hit"
    assert again.content == first.content
    assert "Content-Security-Policy" in again  # the security headers are still added on the way out


def test_a_write_to_the_catalogue_makes_the_next_reader_see_it(client):
    case = CaseStudyFactory(title="Before the edit")
    client.get(case.get_absolute_url())

    case.title = "After the edit"
    case.save()

    response = client.get(case.get_absolute_url())
    assert "After the edit" in response.text
    assert "X-Page-Cache" not in response


def test_an_unpublished_case_disappears_at_once_from_a_cached_library(client, superuser):
    case = CaseStudyFactory(title="Soon withdrawn")
    assert "Soon withdrawn" in client.get("/cases/").text

    case_transition(case=case, name="unpublish", user=superuser)

    assert "Soon withdrawn" not in client.get("/cases/").text
    assert client.get(case.get_absolute_url()).status_code == 404


def test_staff_pages_are_never_stored_or_served_from_the_cache(client):
    draft = CaseStudyFactory(title="Staff-only draft", status="draft")
    staff = UserFactory(username="curator", is_staff=True, is_superuser=True)
    client.force_login(staff)
    client.get(draft.get_absolute_url())
    client.get("/cases/")
    _response, queries = queries_for(client, "/cases/")
    assert queries > 0

    client.logout()
    assert client.get(draft.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("url", ["/submit/", "/api/v1/cases/", "/healthz/"])
def test_forms_the_api_and_health_are_not_page_cached(client, url):
    client.get(url)
    response, queries = queries_for(client, url)
    assert "X-Page-Cache" not in response
    assert queries > 0 or url == "/submit/"


def test_a_not_found_page_is_not_cached(client):
    client.get("/cases/no-such-case/")
    response = client.get("/cases/no-such-case/")
    assert response.status_code == 404
    assert "X-Page-Cache" not in response

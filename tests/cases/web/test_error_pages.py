"""Our own error pages: a helpful, accessible HTML page for people and problem details for programs,
chosen by the address (/api/...) or by the Accept header, for 400, 403 (including a failed CSRF check),
404, 413, 429, 500 and 503."""

import json
from html.parser import HTMLParser

import pytest
from django.core.exceptions import BadRequest, PermissionDenied
from django.test import Client, RequestFactory
from django.urls import path

from cases.caching import catalogue_version
from cases.web.errors import (
    FALLBACK_SERVER_ERROR_PAGE,
    _context_free_page,
    download_limit_response,
    prefers_html,
    service_unavailable_response,
    too_many_requests_response,
    wants_json,
)
from observatory.urls import handler400, handler403, handler404, handler500  # noqa: F401 - this URLconf's
from observatory.urls import urlpatterns as project_urlpatterns

pytestmark = pytest.mark.django_db

JSON = "application/json"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def _raise_permission_denied(request):
    raise PermissionDenied


def _raise_bad_request(request):
    raise BadRequest("A malformed request.")


def _raise_server_error(request):
    raise RuntimeError("Something broke.")


# This module is the URLconf of its own tests (see the `urls` fixture): the project's addresses and
# handlers, plus a few that fail on purpose.
urlpatterns = [
    path("boom/400/", _raise_bad_request),
    path("boom/403/", _raise_permission_denied),
    path("boom/500/", _raise_server_error),
    path("api/boom/403/", _raise_permission_denied),
    path("api/boom/500/", _raise_server_error),
    *project_urlpatterns,
]


@pytest.fixture(autouse=True)
def urls(settings):
    settings.ROOT_URLCONF = __name__


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


class PageOutline(HTMLParser):
    """The parts of an error page a visitor relies on: title, headings, links, the main landmark."""

    def __init__(self):
        super().__init__()
        self.title = ""
        self.h1 = []
        self.links = []
        self.has_main = False
        self.lang = None
        self._in = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag == "main":
            self.has_main = True
        if tag == "a":
            self.links.append(attrs.get("href"))
        if tag in {"title", "h1"}:
            self._in = tag
            if tag == "h1":
                self.h1.append("")

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in == "h1":
            self.h1[-1] += data


def assert_our_page(response, status_code: int, title: str, heading: str, help_text: str):
    assert response.status_code == status_code
    assert response["Content-Type"].startswith("text/html")
    outline = PageOutline()
    outline.feed(response.content.decode())
    assert title in outline.title
    assert "The Observatory" in outline.title or "Public-sector innovation" in outline.title
    assert outline.h1 == [heading]
    assert outline.lang == "en"
    assert outline.has_main
    assert "/" in outline.links  # a way home
    assert help_text in response.text
    assert "What you can do" in response.text


def assert_problem(response, status_code: int, code: str):
    assert response.status_code == status_code
    assert response["Content-Type"] == "application/problem+json"
    problem = json.loads(response.content)
    assert problem["status"] == status_code
    assert problem["type"] == f"urn:observatory:problem:{code}"
    assert problem["title"]
    assert problem["detail"]
    return problem


# --- 404 -------------------------------------------------------------------------------------------


def test_unknown_page_gets_our_404_page(client):
    response = client.get("/no-such-page/", headers={"accept": BROWSER_ACCEPT})

    assert_our_page(response, 404, "Page not found", "Page not found", "check it is spelt correctly")
    assert 'role="search"' in response.text


def test_unknown_case_gets_our_404_page(client):
    response = client.get("/cases/no-such-case/")

    assert_our_page(response, 404, "Page not found", "Page not found", "moved or been withdrawn")


def test_unknown_page_asked_for_as_json_gets_problem_details(client):
    response = client.get("/no-such-page/", headers={"accept": JSON})

    assert_problem(response, 404, "not-found")
    assert "Accept" in response["Vary"]


def test_unknown_api_address_gets_problem_details_whatever_accept_says(client):
    response = client.get("/api/v1/no-such-endpoint/", headers={"accept": BROWSER_ACCEPT})

    assert_problem(response, 404, "not-found")


def test_unknown_api_case_gets_problem_details(client):
    assert_problem(client.get("/api/v1/cases/no-such-case/"), 404, "not-found")


# --- 400 and 413 -----------------------------------------------------------------------------------


def test_bad_request_gets_our_400_page(client):
    response = client.get("/boom/400/")

    assert_our_page(
        response, 400, "Bad request", "We could not understand that request", "Check it and try again"
    )


def test_bad_request_asked_for_as_json_gets_problem_details(client):
    assert_problem(client.get("/boom/400/", headers={"accept": JSON}), 400, "bad-request")


def test_disallowed_host_gets_our_400_page(client):
    response = client.get("/", headers={"host": "evil.example"})

    assert_our_page(
        response, 400, "Bad request", "We could not understand that request", "Check it and try again"
    )


def test_too_many_query_parameters_get_a_400(client):
    # More fields than DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000), in an address under the length limit.
    response = client.get("/cases/", QUERY_STRING="x&" * 1500)

    assert_our_page(
        response, 400, "Bad request", "We could not understand that request", "more fields or files"
    )


def test_a_body_over_the_limit_gets_413_with_our_page(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = client.post("/submit/", {"title": "a" * 2000})

    assert_our_page(
        response, 413, "Request too large", "That request is too large", "larger than this site accepts"
    )


# --- 403 -------------------------------------------------------------------------------------------


def test_permission_denied_gets_our_403_page(client):
    response = client.get("/boom/403/")

    assert_our_page(response, 403, "Not allowed", "Not allowed", "contact the Observatory team")


def test_permission_denied_in_the_api_area_gets_problem_details(client):
    assert_problem(client.get("/api/boom/403/"), 403, "permission-denied")


def test_permission_denied_asked_for_as_json_gets_problem_details(client):
    assert_problem(client.get("/boom/403/", headers={"accept": JSON}), 403, "permission-denied")


def test_failed_csrf_check_gets_our_403_page():
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)

    response = client.post("/submit/", {"title": "No token"})

    assert_our_page(response, 403, "Form expired", "Form expired", "reload the page and send it again")


def test_failed_csrf_check_asked_for_as_json_gets_problem_details():
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)

    response = client.post("/submit/", {"title": "No token"}, headers={"accept": JSON})

    assert_problem(response, 403, "csrf-failed")


# --- 429 -------------------------------------------------------------------------------------------


def test_api_throttle_answers_429_with_retry_after(client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "1/minute"}}

    assert client.get("/api/v1/sdgs/").status_code == 200
    response = client.get("/api/v1/sdgs/")

    assert_problem(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60


def test_too_many_requests_page_says_how_long_to_wait():
    request = RequestFactory().get("/submit/", headers={"accept": BROWSER_ACCEPT})

    response = too_many_requests_response(request, retry_after=90)

    assert response["Retry-After"] == "90"
    assert_our_page(response, 429, "Too many requests", "Too many requests", "wait 90 seconds")


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (BROWSER_ACCEPT, True),
        ("text/html", True),
        ("*/*", False),
        ("", False),
        ("application/json", False),
        ("text/csv", False),
        ("text/csv,text/html;q=0.5", False),
    ],
)
def test_only_a_client_naming_html_first_prefers_a_page(accept, expected):
    headers = {"accept": accept} if accept else {}
    assert prefers_html(RequestFactory().get("/api/v1/cases/export.csv", headers=headers)) is expected


def test_the_download_limit_page_is_html_even_under_the_api():
    request = RequestFactory().get("/api/v1/cases/export.csv", headers={"accept": BROWSER_ACCEPT})

    response = download_limit_response(
        request, retry_after=42, limit="At most 10 downloads a minute.", back_url="/cases/?sector=health"
    )

    assert response["Retry-After"] == "42"
    assert_our_page(
        response, 429, "Too many downloads", "Too many downloads", "You can download again in 42 seconds."
    )
    assert "At most 10 downloads a minute." in response.text
    assert 'href="/cases/?sector=health"' in response.text


def test_too_many_requests_as_json_has_retry_after():
    request = RequestFactory().get("/api/v1/cases/")

    response = too_many_requests_response(request, retry_after=30)

    assert_problem(response, 429, "throttled")
    assert response["Retry-After"] == "30"


# --- 500 -------------------------------------------------------------------------------------------


def test_server_error_gets_our_500_page_without_touching_the_database(
    client, settings, django_assert_num_queries
):
    # The page cache looks up the catalogue version (cases/caching.py) before any view runs: a running
    # process knows it already, and reads it again only once per CATALOGUE_VERSION_TTL.
    settings.CATALOGUE_VERSION_TTL = 60
    catalogue_version()
    with django_assert_num_queries(0):
        response = client.get("/boom/500/")

    assert_our_page(
        response,
        500,
        "Something went wrong",
        "Sorry, something went wrong on our side",
        "The problem has been logged",
    )
    assert "no-store" in response["Cache-Control"]
    assert "Something broke" not in response.text  # no internals shown


def test_server_error_in_the_api_area_gets_problem_details(client):
    problem = assert_problem(client.get("/api/boom/500/"), 500, "server-error")

    assert "Something broke" not in problem["detail"]


def test_server_error_asked_for_as_json_gets_problem_details(client):
    assert_problem(client.get("/boom/500/", headers={"accept": JSON}), 500, "server-error")


def test_an_error_page_that_cannot_render_falls_back_to_a_fixed_page():
    page = _context_free_page("no-such-template.html", {}, FALLBACK_SERVER_ERROR_PAGE)

    assert page == FALLBACK_SERVER_ERROR_PAGE
    assert 'href="/"' in page


# --- 503 -------------------------------------------------------------------------------------------


def test_service_unavailable_page_needs_no_database(django_db_blocker):
    request = RequestFactory().get("/cases/", headers={"accept": BROWSER_ACCEPT})

    with django_db_blocker.block():
        response = service_unavailable_response(request, retry_after=15)

    assert_our_page(
        response,
        503,
        "Temporarily unavailable",
        "The Observatory is briefly unavailable",
        "try again in 15 seconds",
    )
    assert response["Retry-After"] == "15"
    assert "no-store" in response["Cache-Control"]


def test_service_unavailable_in_the_api_area_is_problem_details_with_retry_after(django_db_blocker):
    request = RequestFactory().get("/api/v1/cases/")

    with django_db_blocker.block():
        response = service_unavailable_response(request, retry_after=5)

    assert_problem(response, 503, "service-unavailable")
    assert response["Retry-After"] == "5"


def test_service_unavailable_asked_for_as_json_is_problem_details():
    request = RequestFactory().get("/cases/", headers={"accept": JSON})

    assert_problem(service_unavailable_response(request, retry_after=5), 503, "service-unavailable")


# --- Choosing the format ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "accept", "expected"),
    [
        ("/cases/", BROWSER_ACCEPT, False),
        ("/cases/", "", False),
        ("/cases/", "*/*", False),
        ("/cases/", JSON, True),
        ("/cases/", "application/problem+json", True),
        ("/cases/", "application/json, text/html;q=0.5", True),
        ("/cases/", "text/html, application/json;q=0.5", False),
        ("/cases/", ";;;garbage,,,", False),
        ("/api/v1/cases/", BROWSER_ACCEPT, True),
        ("/api/v1/cases/", "", True),
    ],
)
def test_json_is_chosen_by_address_or_accept_header(address, accept, expected):
    headers = {"accept": accept} if accept else {}

    assert wants_json(RequestFactory().get(address, headers=headers)) is expected

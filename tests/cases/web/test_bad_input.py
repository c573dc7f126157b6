"""Bad input never reaches a 500: every address of the URL contract, found by walking the URL resolver (so
a new address is covered the day it is added), is called with malformed, oversized, out-of-range,
wrong-type, duplicated and Unicode-edge parameters, paths and bodies. Each answer must be a normal page or
a 4xx with a message; a 500 is observed as a status (raise_request_exception=False), never hidden.
"""

from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from cases.api.filters import CaseStudyApiFilterSet, ChangesFilterSet
from cases.forms import HONEYPOT_FIELD, CaseSubmissionForm
from cases.interchange.dumps import write_dump
from cases.models import (
    SDG,
    AlertSubscription,
    CaseMethod,
    CaseOrganisation,
    CaseStudy,
    CaseToolkit,
    Economy,
    EntryStatus,
    InnovationFacet,
    Method,
    Organisation,
    Sector,
    Theme,
    Toolkit,
)
from cases.services import api_key_create, case_submit
from cases.web.validation import MAX_REQUEST_TARGET
from tests.cases.site.test_submission import valid_data
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db

# Curation has its own tests (login, permissions); everything else here is public.
SKIPPED_NAMESPACES = {"admin"}
MEGABYTE = 1024 * 1024

# Raw query strings, sent byte for byte (invalid UTF-8 included).
BAD_QUERY_STRINGS = [
    "page=0",
    "page=-1",
    "page=99999999999999999999999999",
    "page=abc",
    "page=1.5",
    "page=1&page=2",
    "page=%00",
    "page_size=0",
    "page_size=-5",
    "page_size=100000000",
    "page_size=abc",
    "q=%00",
    "q=%ff%fe",
    "%ff%fe=%ff%fe",
    "q=%ED%A0%80",  # an encoded lone surrogate: not UTF-8 at all
    "q=" + "a" * MEGABYTE,
    "q=" + quote("word " * 2000),
    "q=" + quote("<script>alert(1)</script>"),
    "q=" + quote("\u202egnp.exe \u200d\u200b"),
    "q=" + quote("\uff1cscript\uff1e"),
    "q=" + quote("\U0001f600" * 500),
    "q=" + quote("!:*&|()'\"\\"),
    "q=" + quote("a:* & !b | (c"),
    "q=a&q=b",
    "q[]=x",
    "economy=ZZ",
    "economy=sg",
    "economy=%00",
    "economy[]=SG",
    "economy=" + "X" * 10000,
    "economy=SG&economy=SG&economy=ZZ",
    "region=999",
    "region=abc",
    "sector=..%2F..%2Fetc%2Fpasswd",
    "sector=nope&sector=%00",
    "theme=" + "a" * 5000,
    "facet=%ff",
    "sdg=0",
    "sdg=18",
    "sdg=-1",
    "sdg=abc",
    "sdg=1e5",
    "sdg=99999999999999999999999999",
    "level=bogus",
    "stage=%00",
    "year_from=-1",
    "year_from=abc",
    "year_from=99999999999999999999",
    "year_to=1e10",
    "year_from=2020&year_to=1990",
    "year_from=2020&year_from=1990",
    "sort=bogus",
    "sort=%00",
    "sort=title&sort=newest",
    "ordering=bogus",
    "ordering=-search_vector",
    "ordering=created_by__password",
    "updated_since=not-a-date",
    "updated_since=9999-99-99",
    "updated_since=2020-01-01T00:00:00%2B99:00",
    "updated_since=-1",
    "cursor=garbage",
    "cursor=" + "A" * 5000,
    "format=xml",
    "format=api",
    "callback=alert",
    "&&&==&=&",
    "%",
    "%%%",
    "a=%",
    "x" + "=1&x" * 500,
    "k=v;" * 100,
]

ODD_PATH_VALUES = [
    "a" * 5000,
    "..%2F..%2Fetc%2Fpasswd",
    "....//....//etc",
    "%00",
    "%ff%fe",
    "%ED%A0%80",
    "%E2%80%AEtxt",
    "-",
    "0",
    "99999999999999999999",
    quote("ñandú"),
    quote("\uff1cscript\uff1e"),
]


@pytest.fixture
def published_world():
    case = CaseStudyFactory(
        slug="flood-warnings",
        themes=[Theme.objects.order_by("pk").first()],
        facets=[InnovationFacet.objects.order_by("pk").first()],
        sdgs=[SDG.objects.get(number=3)],
    )
    submitter = case_submit(
        data={
            "title": "A proposed case",
            "summary": "Proposed by a member of the public.",
            "overview": "Waiting for review.",
            "lead_organisation": "Somewhere",
            "economy": Economy.objects.get(iso2="SG"),
            "level": "local",
            "stage": "implementation",
            "sectors": [Sector.objects.get(slug="health")],
        },
        contact={"name": "Ana", "email": "ana@example.org", "organisation": ""},
    )
    write_dump()  # today's open-data release, so that its files are real addresses too
    alert = AlertSubscription.objects.create(email="ana@example.org", query="sector=health")
    # Issue 18: a published method and toolkit and a public organisation, named by the published case.
    method = Method.objects.create(
        name="Design thinking",
        slug="design-thinking",
        summary="A way to understand users.",
        description="Described.",
        discipline="design",
        status=EntryStatus.PUBLISHED,
        published_at=timezone.now(),
    )
    toolkit = Toolkit.objects.create(
        title="A playbook",
        slug="a-playbook",
        summary="A guide.",
        description="Described.",
        discipline="design",
        kind="guide",
        publisher="Nesta",
        url="https://example.org/playbook",
        status=EntryStatus.PUBLISHED,
        published_at=timezone.now(),
    )
    toolkit.methods.set([method])
    organisation = Organisation.objects.create(name="Ministry of Examples", slug="ministry-of-examples")
    CaseMethod.objects.create(case=case, method=method)
    CaseToolkit.objects.create(case=case, toolkit=toolkit)
    CaseOrganisation.objects.create(case=case, organisation=organisation, role="lead")
    return {
        "case": case,
        "reference": submitter.reference,
        "alert": alert,
        "method": method,
        "toolkit": toolkit,
        "organisation": organisation,
    }


def _routes(resolver=None, namespace=""):
    """(namespaced url name, names of its parameters) for every named route of the project."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _routes(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            pattern = entry.pattern
            names = set(getattr(pattern, "converters", {})) | set(pattern.regex.groupindex)
            yield f"{namespace}{entry.name}", tuple(sorted(names))


def _real_value(url_name: str, parameter: str, world) -> str:
    case = world["case"]
    if parameter == "format":
        return "json"
    if parameter == "reference":
        return world["reference"]
    if parameter == "pk":  # an e-mail alert's pages (cases/site/alerts.py)
        return str(world["alert"].pk)
    if parameter == "token":
        return world["alert"].token("confirm" if "confirm" in url_name else "manage")
    if parameter == "iso2":
        return case.economy.iso2
    if parameter == "number":
        return "3"
    if parameter == "folder":
        return "latest"
    if parameter == "name":
        return "cases.csv.gz"
    if parameter == "slug":
        for word, value in (
            # Before "case": "cases:method_detail" holds that word too.
            ("method", world["method"].slug),
            ("toolkit", world["toolkit"].slug),
            ("organisation", world["organisation"].slug),
            ("economy", case.economy.slug),
            ("theme", case.themes.get().slug),
            ("sector", case.sectors.get().slug),
            ("facet", case.facets.get().slug),
            ("case", case.slug),
        ):
            if word in url_name:
                return value
    raise AssertionError(f"No test value for <{parameter}> of {url_name}: add one to _real_value.")


@pytest.fixture
def contract_urls(published_world):
    """Every public address, its parameters filled with real, published values."""
    urls = {}
    for url_name, parameters in _routes():
        kwargs = {name: _real_value(url_name, name, published_world) for name in parameters}
        # The router names a route and its ".json" suffix twice over: one entry each.
        urls[(url_name, parameters)] = (reverse(url_name, kwargs=kwargs), parameters)
    return urls


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


def _failures(responses):
    """One line per server error, naming the address and the exception behind it."""
    return "\n".join(
        f"{status} {method} {url}: {cause}" for method, url, status, cause in responses if status >= 500
    )


def _outcome(method, url, response):
    exc_info = getattr(response, "exc_info", None)
    cause = f"{exc_info[0].__name__}: {str(exc_info[1])[:200]}" if exc_info else ""
    return (method, url, response.status_code, cause)


def test_the_walk_covers_the_whole_url_contract(contract_urls):
    paths = {path for path, _parameters in contract_urls.values()}
    expected = {
        "/",
        "/cases/",
        "/cases/flood-warnings/",
        "/economies/",
        "/themes/",
        "/sectors/",
        "/submit/",
        "/feeds/cases/",
        "/methods/",
        "/methods/design-thinking/",
        "/toolkits/",
        "/toolkits/a-playbook/",
        "/organisations/",
        "/organisations/ministry-of-examples/",
        "/feeds/methods/",
        "/feeds/toolkits/",
        "/sitemap.xml",
        "/robots.txt",
        "/.well-known/security.txt",
        "/healthz/",
        "/api/v1/cases/",
        "/api/v1/cases/flood-warnings/",
        "/api/v1/cases/facet-counts/",
        "/api/v1/cases/export.csv",
        # Issue 18's API (cases/api/entries.py).
        "/api/v1/methods/",
        "/api/v1/methods/design-thinking/",
        "/api/v1/methods/facet-counts/",
        "/api/v1/methods/harvest/",
        "/api/v1/methods/export.csv",
        "/api/v1/methods/export.jsonl",
        "/api/v1/toolkits/",
        "/api/v1/toolkits/a-playbook/",
        "/api/v1/toolkits/facet-counts/",
        "/api/v1/toolkits/harvest/",
        "/api/v1/toolkits/export.csv",
        "/api/v1/toolkits/export.jsonl",
        "/api/v1/organisations/",
        "/api/v1/organisations/ministry-of-examples/",
        "/api/v1/organisations/facet-counts/",
        "/api/v1/economies/SG/",
        "/api/v1/sdgs/3/",
        "/api/v1/suggest/",
        "/api/v1/stats/",
        "/api/v1/submissions/",
        "/api/schema/",
        "/api/docs/",
    }
    assert expected <= paths


def test_every_real_address_answers_without_error(client, contract_urls):
    responses = [_outcome("GET", path, client.get(path)) for path, _ in contract_urls.values()]
    # The submissions endpoint refuses a GET without a partner key (401); the changes feed and suggestions
    # answer 400 naming the parameter they cannot do without.
    required = {"/api/v1/cases/changes/": "since", "/api/v1/suggest/": "q"}
    for path, parameter in required.items():
        assert parameter in client.get(path).json()["errors"], path
    refused = [r for r in responses if r[2] >= 400 and "submissions" not in r[1] and r[1] not in required]
    assert not refused, responses


@pytest.mark.parametrize("query_string", BAD_QUERY_STRINGS, ids=lambda qs: qs[:40])
def test_bad_query_parameters_never_cause_a_server_error(client, contract_urls, query_string):
    responses = []
    for path, _parameters in contract_urls.values():
        response = client.get(path, QUERY_STRING=query_string)
        responses.append(_outcome("GET", f"{path}?{query_string[:80]}", response))
    assert not _failures(responses), _failures(responses)


def test_bad_query_parameters_get_a_message_not_an_empty_page(client):
    response = client.get("/cases/", QUERY_STRING="sdg=abc&economy=ZZ")

    assert response.status_code == 400
    assert "sdg" in response.text.lower() or "goal" in response.text.lower()


@pytest.mark.parametrize("odd_value", ODD_PATH_VALUES, ids=lambda value: value[:20])
def test_odd_path_parameters_never_cause_a_server_error(client, contract_urls, published_world, odd_value):
    responses = []
    for (url_name, _), (path, parameters) in contract_urls.items():
        for parameter in parameters:
            if parameter == "format":
                continue
            real = _real_value(url_name, parameter, published_world)
            odd_path = path.replace(f"/{real}", f"/{odd_value}", 1)
            responses.append(_outcome("GET", odd_path[:120], client.get(odd_path)))
    assert responses
    assert not _failures(responses), _failures(responses)


def test_unknown_addresses_are_404_with_our_page(client):
    for path in ["/nowhere/", "/cases/a/b/c/", "/cases/%25zz/", "/" + "a" * 4000 + "/"]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Page not found" in response.text


@pytest.mark.parametrize(
    "path", ["/%ff/", "/cases/%00/", "/cases/%ED%A0%80/", "/cases/a%1Bb/", "/api/v1/%00/", "/%2500/"]
)
def test_an_address_with_control_characters_or_bytes_not_utf8_is_our_400(client, path):
    response = client.get(path)

    assert response.status_code == 400
    text = response.text
    assert "control characters or bytes that are not UTF-8" in text
    assert "\x00" not in text


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
def test_other_methods_on_every_address_never_cause_a_server_error(client, contract_urls, method):
    responses = []
    for path, _parameters in contract_urls.values():
        send = getattr(client, method)
        response = send(path, data="{not json", content_type="application/json")
        responses.append(_outcome(method.upper(), path, response))
    assert not _failures(responses), _failures(responses)


# --- Bodies ----------------------------------------------------------------------------------------

BAD_BODIES = [
    ("application/json", b"{not json"),
    ("application/json", b""),
    ("application/json", b"[]"),
    ("application/json", b"[1, 2, 3]"),
    ("application/json", b'"just a string"'),
    ("application/json", b"null"),
    ("application/json", b"12"),
    ("application/json", b"\xff\xfe\x00\x00"),
    ("application/json", b'{"title": "\\u0000 nul", "summary": 5, "sectors": "health"}'),
    ("application/json", b'{"title": {"nested": [1, {"deeper": null}]}, "year_launched": "MMXX"}'),
    ("application/json", b"[" * 10000 + b"]" * 10000),
    ("application/json", b'{"sectors": [' + b'"x",' * 5000 + b'"y"]}'),
    ("application/json", b'{"year_launched": 1e400, "consent": "maybe"}'),
    ("text/plain", b"hello"),
    ("application/xml", b"<case><title>x</title></case>"),
    ("application/x-www-form-urlencoded", b"title=%ff%fe&summary=%00&year_launched=-1"),
    ("application/x-www-form-urlencoded", b"title=a&title=b&sectors[]=x&economy=ZZ&economy=SG"),
    ("application/x-www-form-urlencoded", b"x=1&" * 2000),
    ("multipart/form-data", b"--nope\r\n\r\n"),
    ("multipart/form-data; boundary=xyz", b"--xyz\r\nContent-Disposition: form-data\r\n\r\nbroken"),
    ("application/json; charset=klingon", b"{}"),
    ("application/json; charset=utf-16", b"{}"),
    ("garbage/\x00;;;", b"{}"),
]


@pytest.fixture
def submit_key():
    _key, plaintext = api_key_create(owner="Bad input partner", scope_read=True, scope_submit=True)
    return plaintext


@pytest.mark.parametrize(("content_type", "body"), BAD_BODIES, ids=lambda value: str(value)[:30])
@pytest.mark.parametrize("path", ["/submit/", "/api/v1/submissions/"])
def test_bad_bodies_get_a_client_error(client, submit_key, path, content_type, body):
    response = client.generic(
        "POST", path, body, content_type=content_type, headers={"authorization": f"Api-Key {submit_key}"}
    )

    assert 400 <= response.status_code < 500, _outcome("POST", path, response)


@pytest.mark.parametrize("path", ["/submit/", "/api/v1/submissions/", "/cases/"])
def test_a_body_over_the_upload_limit_is_refused_with_413(client, submit_key, path):
    huge = b"title=" + b"a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    response = client.generic(
        "POST",
        path,
        huge,
        content_type="application/x-www-form-urlencoded",
        headers={"authorization": f"Api-Key {submit_key}"},
    )

    # The page does not take POST at all (405); the API takes only JSON (415): both refuse before reading.
    expected = {"/submit/": {413}, "/api/v1/submissions/": {413, 415}, "/cases/": {405, 413}}[path]
    assert response.status_code in expected


def test_a_huge_json_body_to_the_api_is_refused_as_problem_details(client, submit_key):
    huge = b'{"title": "' + b"a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + b'"}'

    response = client.generic(
        "POST",
        "/api/v1/submissions/",
        huge,
        content_type="application/json",
        headers={"authorization": f"Api-Key {submit_key}"},
    )

    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 413


def test_a_huge_form_post_gets_our_page_saying_it_is_too_large(client):
    huge = b"title=" + b"a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    response = client.generic("POST", "/submit/", huge, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 413
    assert "That request is too large" in response.text
    assert 'href="/"' in response.text


def test_a_1mb_form_field_under_the_limit_is_a_form_error_not_a_crash(client):
    response = client.post("/submit/", {"title": "a" * MEGABYTE, "summary": "\x00"})

    assert response.status_code in {400, 413}


# --- Digits int() reads differently, control characters and bytes that are not UTF-8, in every parameter ---

# Superscript, circled, Arabic-Indic and fullwidth digits: str.isdigit() takes the first two and int() does
# not; int() reads the others (and "3_0", "+3", " 3 ") as numbers. A number must be ASCII digits.
ODD_DIGITS = ["²", "①", "٣", "\uff13", "3_0"]
# Percent-encoded as a client sends them: NUL, other C0 controls, DEL, an encoded lone surrogate, an
# overlong NUL, a byte that is never UTF-8.
CONTROL_OR_NOT_UTF8 = ["%00", "a%00b", "%01", "%1B%5B31m", "%7F", "%ED%A0%80", "%C0%80", "%FF"]
# Numeric parameters and where each is read: every one of them refuses the odd digits with a 400 naming it.
NUMERIC_PARAMETERS = [
    ("/cases/", "sdg"),
    ("/cases/", "page_size"),
    ("/cases/", "year_from"),
    ("/cases/", "year_to"),
    ("/stats/", "sdg"),
    ("/stats/", "year_from"),
    ("/api/v1/cases/", "sdg"),
    ("/api/v1/cases/", "year_to"),
    ("/api/v1/cases/", "page"),
    ("/api/v1/cases/", "page_size"),
    ("/api/v1/cases/harvest/", "page_size"),
    ("/api/v1/cases/harvest/", "sdg"),
    ("/api/v1/cases/facet-counts/", "sdg"),
    ("/api/v1/stats/", "year_from"),
    ("/api/v1/cases/export.csv", "sdg"),
    ("/api/v1/cases/export.jsonl", "year_from"),
]


def _parameter_names():
    """Every parameter an address reads: the FilterSets' own (a filter added there is walked the day it is
    added), pagination's, and those a view reads itself (compare's `cases`, DRF's `format`)."""
    declared = {*CaseStudyApiFilterSet.base_filters, *ChangesFilterSet.base_filters}
    return sorted(declared | {"page", "page_size", "cursor", "cases", "format", "lang"})


@pytest.fixture
def walk_paths(contract_urls):
    """Every address once (the router's ".json" twins read their parameters as their originals do)."""
    return sorted({path for path, parameters in contract_urls.values() if "format" not in parameters})


@pytest.mark.parametrize("digits", ODD_DIGITS)
def test_digits_int_reads_differently_in_any_parameter_never_cause_a_server_error(client, walk_paths, digits):
    responses = []
    for path in walk_paths:
        for name in _parameter_names():
            response = client.get(path, {name: digits})
            responses.append(_outcome("GET", f"{path}?{name}={digits}", response))
    assert not _failures(responses), _failures(responses)


@pytest.mark.parametrize("digits", ["²", "①", "٣", "\uff13", "+3", " 3", "3_0"])
@pytest.mark.parametrize(("path", "name"), NUMERIC_PARAMETERS, ids=lambda value: str(value)[:30])
def test_a_number_not_in_ascii_digits_is_refused_naming_the_parameter(
    client, published_world, path, name, digits
):
    response = client.get(path, {name: digits})

    assert response.status_code == 400
    if path.startswith("/api/"):
        assert list(response.json()["errors"]) == [name]
    else:
        assert "Some filters could not be used" in response.text
        assert name in response.text


def test_a_changes_page_size_not_in_ascii_digits_is_refused(client):
    response = client.get("/api/v1/cases/changes/", {"since": "2020-01-01T00:00:00Z", "page_size": "٣"})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["page_size"]


@pytest.mark.parametrize("moment", ["٢٠٢٠-01-01T00:00:00Z", "2020-01-0\uff11T00:00:00Z"])
def test_a_moment_not_in_ascii_digits_is_refused(client, moment):
    response = client.get("/api/v1/cases/", {"updated_since": moment})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["updated_since"]


@pytest.mark.parametrize("page", ["²", "٣", "\uff13", "+3", " 3"])
def test_a_library_page_number_not_in_ascii_digits_shows_the_first_page(client, published_world, page):
    response = client.get("/cases/", {"page": page})

    assert response.status_code == 200
    assert "/cases/flood-warnings/" in response.text


@pytest.mark.parametrize("value", CONTROL_OR_NOT_UTF8)
def test_control_characters_or_bytes_not_utf8_in_any_parameter_are_our_400(client, walk_paths, value):
    for path in walk_paths:
        for query in [f"{name}={value}" for name in _parameter_names()] + [f"x{value}y=1"]:
            response = client.get(path, QUERY_STRING=query)
            assert response.status_code == 400, _outcome("GET", f"{path}?{query}", response)
            if path.startswith("/api/"):
                assert response["Content-Type"] == "application/problem+json"
                assert response.json()["type"] == "urn:observatory:problem:invalid-parameters"
            else:
                assert "Some filters could not be used" in response.text, f"{path}?{query}"


def test_a_nul_in_the_compare_address_is_a_400_naming_the_parameter(client):
    response = client.get("/compare/", QUERY_STRING="cases=%00")

    assert response.status_code == 400
    assert "<code>cases</code>: Null characters are not allowed." in response.text


def test_the_api_refuses_a_nul_as_before_naming_the_parameter(client):
    response = client.get("/api/v1/cases/", QUERY_STRING="economy=S%00")

    assert response.status_code == 400
    assert response.json()["errors"] == {"economy": ["Null characters are not allowed."]}
    assert response.json()["detail"] == "economy: Null characters are not allowed."


def test_a_json_client_of_a_page_gets_problem_details(client):
    response = client.get("/compare/", QUERY_STRING="cases=%ED%A0%80", headers={"accept": "application/json"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert list(response.json()["errors"]) == ["cases"]


def test_a_control_character_in_a_parameter_name_is_shown_escaped(client):
    response = client.get("/cases/", QUERY_STRING="q%01=x", headers={"accept": "application/json"})

    assert response.json()["errors"] == {"q\\x01": ["Control characters are not allowed."]}


def test_tabs_and_line_ends_in_a_value_are_text_not_control_characters(client, published_world):
    response = client.get("/cases/", QUERY_STRING="q=flood%09warnings%0D%0A")

    assert response.status_code == 200


def test_the_refusal_carries_every_security_header(client):
    response = client.get("/compare/", QUERY_STRING="cases=%00")

    assert response["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"


# --- Over-long addresses: our own 414 -----------------------------------------------------------------


def test_an_address_over_the_limit_is_our_414_with_every_header(client):
    response = client.get("/cases/", QUERY_STRING="q=" + "a" * MAX_REQUEST_TARGET)

    assert response.status_code == 414
    assert "That address is too long" in response.text
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_an_address_at_the_limit_is_answered(client, published_world):
    query = "q=flood&x=" + "a" * (MAX_REQUEST_TARGET - len("/cases/?q=flood&x="))

    assert client.get("/cases/", QUERY_STRING=query).status_code == 200


def test_an_api_address_over_the_limit_is_problem_details(client):
    response = client.get("/api/v1/cases/", QUERY_STRING="q=" + "a" * MAX_REQUEST_TARGET)

    assert response.status_code == 414
    assert response.json()["type"] == "urn:observatory:problem:uri-too-long"


# --- The submission form: a NUL or control character in any field is a form error -------------------

SUBMISSION_FIELDS = list(CaseSubmissionForm.base_fields)


@pytest.mark.parametrize("character", ["\x00", "\x1b"], ids=["NUL", "ESC"])
@pytest.mark.parametrize("field", SUBMISSION_FIELDS)
def test_a_control_character_in_any_submission_field_is_refused_with_nothing_saved(client, field, character):
    data = valid_data()
    value = data.get(field) or "x"
    data[field] = [item + character for item in value] if isinstance(value, list) else f"{value}{character}"

    response = client.post("/submit/", data, REMOTE_ADDR=f"203.0.113.{SUBMISSION_FIELDS.index(field)}")

    if field == "consent":  # a box ticked with any value at all: the value itself is never kept
        assert response.status_code == 302
        return
    assert response.status_code == 400
    assert not CaseStudy.objects.filter(title__startswith="Flood warnings").exists()
    errors = response.context["form"].errors
    assert field in errors or (field in {HONEYPOT_FIELD, "started"} and errors["__all__"])

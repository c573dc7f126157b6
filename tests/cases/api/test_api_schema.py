"""The published contract: the OpenAPI document, the docs page, and schemathesis-generated requests
against every operation (no server errors; every response as documented: status, content type, body)."""

import os
import re
import tempfile
from pathlib import Path

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis import GenerationMode

from cases.models import (
    SDG,
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
from cases.services import api_key_create
from tests.factories import CaseLinkFactory, CaseStudyFactory, OutcomeFactory, ResourceFactory

pytestmark = pytest.mark.django_db

# Hypothesis keeps caches in ./.hypothesis by default: keep them out of the work tree.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "observatory-hypothesis")

OPENAPI_JSON = {"accept": "application/vnd.oai.openapi+json"}
# Every operation of the API; a test below proves the document has exactly these.
OPERATIONS = [
    "/api/v1/cases/",
    "/api/v1/cases/{slug}/",
    "/api/v1/cases/changes/",
    "/api/v1/cases/export.csv",
    "/api/v1/cases/export.jsonl",
    "/api/v1/cases/facet-counts/",
    "/api/v1/cases/harvest/",
    "/api/v1/economies/",
    "/api/v1/economies/{iso2}/",
    "/api/v1/innovation-facets/",
    "/api/v1/innovation-facets/{slug}/",
    # Issue 18 (their generated requests: tests/cases/api/test_entries_api.py).
    "/api/v1/methods/",
    "/api/v1/methods/{slug}/",
    "/api/v1/methods/export.csv",
    "/api/v1/methods/export.jsonl",
    "/api/v1/methods/facet-counts/",
    "/api/v1/methods/harvest/",
    "/api/v1/organisations/",
    "/api/v1/organisations/{slug}/",
    "/api/v1/organisations/facet-counts/",
    "/api/v1/toolkits/",
    "/api/v1/toolkits/{slug}/",
    "/api/v1/toolkits/export.csv",
    "/api/v1/toolkits/export.jsonl",
    "/api/v1/toolkits/facet-counts/",
    "/api/v1/toolkits/harvest/",
    "/api/v1/sdgs/",
    "/api/v1/sdgs/{number}/",
    "/api/v1/sectors/",
    "/api/v1/sectors/{slug}/",
    "/api/v1/stats/",
    "/api/v1/suggest/",
    "/api/v1/themes/",
    "/api/v1/themes/{slug}/",
]
WITH_QUERY_PARAMETERS = [
    "/api/v1/cases/",
    "/api/v1/cases/changes/",
    "/api/v1/cases/export.csv",
    "/api/v1/cases/export.jsonl",
    "/api/v1/cases/facet-counts/",
    "/api/v1/cases/harvest/",
    "/api/v1/stats/",
    "/api/v1/suggest/",
]
# Valid requests per operation, and invalid ones per operation with parameters: a few hundred in all.
VALID_EXAMPLES = 15
INVALID_EXAMPLES = 10


@pytest.fixture
def sample_catalogue():
    cases = [
        CaseStudyFactory(
            title=f"Sample case {n}",
            slug=f"sample-{n}",
            themes=[Theme.objects.get(slug="digital-government")],
            facets=[InnovationFacet.objects.get(slug="adaptive")],
            sdgs=[SDG.objects.get(number=n % 17 + 1)],
            economy=Economy.objects.get(iso2=("SG", "JP", "MY")[n % 3]),
        )
        for n in range(6)
    ]
    OutcomeFactory(case=cases[0])
    ResourceFactory(case=cases[0])
    CaseLinkFactory(from_case=cases[1], to_case=cases[0])
    CaseStudyFactory(slug="sample-draft", status="draft")
    # Issue 18: a published method and toolkit and a public organisation, which the cases' `method`,
    # `toolkit` and `organisation` parameters may name.
    method = Method.objects.create(
        slug="sample-method",
        name="Sample method",
        summary="S.",
        description="D.",
        discipline="design",
        status=EntryStatus.PUBLISHED,
        published_at=timezone.now(),
    )
    toolkit = Toolkit.objects.create(
        slug="sample-toolkit",
        title="Sample toolkit",
        summary="S.",
        description="D.",
        discipline="design",
        kind="guide",
        publisher="OPSI",
        url="https://example.org/toolkit",
        status=EntryStatus.PUBLISHED,
        published_at=timezone.now(),
    )
    organisation = Organisation.objects.create(slug="sample-organisation", name="Sample organisation")
    CaseMethod.objects.create(case=cases[0], method=method)
    CaseToolkit.objects.create(case=cases[0], toolkit=toolkit)
    CaseOrganisation.objects.create(case=cases[0], organisation=organisation)
    return cases


@pytest.fixture
def wsgi_application():
    """The project's real WSGI application, on the test's database connection.

    As Django's own test client does, keep the request signals from closing the connection that holds the
    test's transaction (a real request closes it as "obsolete", autocommit being off inside the test).
    """
    from observatory.wsgi import application

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield application
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# The vocabularies the document states as every value there may be (issue 17: a slug of a curated
# vocabulary, any ISO 3166 code, any UN M49 sub-region), by component -> where the catalogue holds their
# terms. The server refuses a term it does not hold (a 400, as it should), which no schema can state; so the
# requests are drawn from the terms this catalogue holds, as a partner's client reads them from the
# vocabulary lists. The SDGs, levels and stages are all held: their enums stay as they are.
HELD_TERMS = {
    "EconomyEnum": (Economy, "iso2"),
    "RegionEnum": (Economy, "subregion_code"),
    "SectorSlug": (Sector, "slug"),
    "ThemeSlug": (Theme, "slug"),
    "InnovationFacetSlug": (InnovationFacet, "slug"),
    # Issue 18's entries: sample_catalogue holds only published and public ones.
    "MethodSlug": (Method, "slug"),
    "ToolkitSlug": (Toolkit, "slug"),
    "OrganisationSlug": (Organisation, "slug"),
}


@pytest.fixture
def api_schema(sample_catalogue, wsgi_application):
    # schemathesis.pytest.from_fixture would be the usual way in, but its lazy loader sets a pytest
    # internal (Node._nodeid) that pytest 9.2 no longer has; as_strategy() with @given needs no plugin.
    # Read through the WSGI application, not Django's test client: its requests connect again the signal
    # handlers wsgi_application disconnects, and the next request would close the test's connection.
    document = schemathesis.openapi.from_wsgi(
        "/api/schema/", wsgi_application, headers=OPENAPI_JSON
    ).raw_schema
    for component, (model, field) in HELD_TERMS.items():
        held = sorted(set(model.objects.values_list(field, flat=True)))
        document["components"]["schemas"][component]["enum"] = held
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = wsgi_application
    loaded.location = "/api/schema/"
    return loaded


def run_generated_requests(operation, mode, examples, headers=None):
    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=examples,
        # The same requests every run, so CI is repeatable; SCHEMATHESIS_EXPLORE=1 draws new ones each run.
        derandomize=not os.environ.get("SCHEMATHESIS_EXPLORE"),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def check(case):
        cache.clear()  # the rate limit is tested elsewhere
        # Every check, positive_data_acceptance and negative_data_rejection included: the document states
        # exactly what the server takes (the cursor's form, non-blank text, consent true, ...).
        case.call_and_validate(headers=headers)

    check()


def test_the_document_lists_every_operation(api_schema):
    documented = sorted(
        result.ok().path for result in api_schema.get_all_operations() if result.ok().method.upper() == "GET"
    )
    assert documented == sorted(OPERATIONS)


# The entries' operations have their own generated requests, over a catalogue holding entries.
CASE_OPERATIONS = [
    path
    for path in OPERATIONS
    if not path.startswith(("/api/v1/methods/", "/api/v1/toolkits/", "/api/v1/organisations/"))
]


@pytest.mark.parametrize("path", CASE_OPERATIONS)
def test_valid_generated_requests_get_documented_answers(api_schema, path):
    run_generated_requests(api_schema[path]["GET"], GenerationMode.POSITIVE, VALID_EXAMPLES)


@pytest.mark.parametrize("path", WITH_QUERY_PARAMETERS)
def test_invalid_generated_requests_get_documented_client_errors(api_schema, path):
    run_generated_requests(api_schema[path]["GET"], GenerationMode.NEGATIVE, INVALID_EXAMPLES)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_generated_submissions_get_documented_answers(api_schema, mode):
    _key, plaintext = api_key_create(owner="Schemathesis", scope_submit=True, rate=10_000)
    run_generated_requests(
        api_schema["/api/v1/submissions/"]["POST"],
        mode,
        VALID_EXAMPLES,
        headers={"Authorization": f"Api-Key {plaintext}"},
    )
    # Whatever was accepted waits for a curator.
    assert set(CaseStudy.objects.exclude(slug__startswith="sample-").values_list("status", flat=True)) <= {
        "submitted"
    }


# --- The document itself --------------------------------------------------------------------------


def schema_json(client):
    response = client.get("/api/schema/", headers=OPENAPI_JSON)
    assert response.status_code == 200
    return response.json()


def query_parameters(document, path):
    """The operation's parameters by name, each shared one (components/parameters) as defined there."""
    shared = document["components"].get("parameters", {})
    parameters = [
        shared[parameter["$ref"].rsplit("/", 1)[1]] if "$ref" in parameter else parameter
        for parameter in document["paths"][path]["get"]["parameters"]
    ]
    return {parameter["name"]: parameter for parameter in parameters}


def component(document, schema):
    return document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]


def test_schema_gives_each_filter_its_type_and_allowed_values(client):
    document = schema_json(client)
    parameters = query_parameters(document, "/api/v1/cases/")
    # Each vocabulary as one component (issue 17; tests/cases/api/test_generated_client.py): the fixed ones
    # enums of their standard's values, the curated ones slugs.
    assert "SG" in component(document, parameters["economy"]["schema"]["items"])["enum"]
    sdg = component(document, parameters["sdg"]["schema"]["items"])
    assert (sdg["type"], sdg["enum"]) == ("integer", list(range(1, 18)))
    sector = component(document, parameters["sector"]["schema"]["items"])
    assert "enum" not in sector
    assert re.search(sector["pattern"], "health")
    assert "035" in component(document, parameters["region"]["schema"]["items"])["enum"]
    assert parameters["q"]["schema"] == {
        "type": "string",
        "maxLength": 200,
        "pattern": "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$",
    }
    assert parameters["year_from"]["schema"] == {"type": "integer", "minimum": 1900, "maximum": 2100}
    assert parameters["updated_since"]["schema"] == {"type": "string", "format": "date-time"}
    assert parameters["page_size"]["schema"]["maximum"] == 100
    assert parameters["page"]["schema"]["maximum"] == 10**30 - 1  # the most digits any number may have
    assert "-updated" in component(document, parameters["ordering"]["schema"])["enum"]


def test_the_yaml_document_reads_the_same_in_yaml_1_2(client):
    """PyYAML writes YAML 1.1, where the region code 039 is a plain string; ruamel.yaml (as
    openapi-python-client) reads YAML 1.2, where it is the number 39 unless quoted."""
    from ruamel.yaml import YAML

    text = client.get("/api/schema/").content.decode()
    assert "- '039'" in text
    assert YAML(typ="safe").load(text) == schema_json(client)


def test_a_filter_added_to_the_filterset_appears_on_every_face_of_the_schema(client):
    document = schema_json(client)
    library = {
        "economy",
        "region",
        "sector",
        "theme",
        "facet",
        "sdg",
        "level",
        "stage",
        "year_from",
        "year_to",
        "q",
        "sort",
    }
    for path in [
        "/api/v1/cases/",
        "/api/v1/cases/harvest/",
        "/api/v1/cases/export.csv",
        "/api/v1/cases/export.jsonl",
        "/api/v1/cases/facet-counts/",
        "/api/v1/stats/",
    ]:
        assert library <= set(query_parameters(document, path)), path


def test_schema_documents_errors_as_problem_details(client):
    responses = schema_json(client)["paths"]["/api/v1/cases/"]["get"]["responses"]
    for code in ("400", "404", "406", "429"):
        assert responses[code]["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
    assert "Retry-After" in responses["429"]["headers"]
    assert "304" in responses


def test_docs_page_is_served_by_the_project_without_a_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "https://" not in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "/api/schema/" in script.content.decode()


def test_docs_page_has_nothing_inline_and_a_strict_policy(client):
    response = client.get("/api/docs/")
    policy = response["Content-Security-Policy"]
    html = response.content.decode()
    assert "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # every script is a file of ours
    assert "style-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


def test_schema_declares_what_the_submission_form_enforces(client):
    document = schema_json(client)
    request = document["components"]["schemas"]["SubmissionRequest"]
    properties = request["properties"]

    assert request["additionalProperties"] is False
    for name in ("title", "summary", "overview", "lead_organisation", "submitter_name"):
        assert re.search(properties[name]["pattern"], "   ") is None, name  # blank is missing
        assert re.search(properties[name]["pattern"], "A name") is not None, name
    assert re.search(properties["title"]["pattern"], "bell \x07 inside") is None
    assert properties["title"]["maxLength"] == 200
    assert properties["sectors"]["minItems"] == 1
    assert document["components"]["schemas"]["ConsentEnum"] == {"type": "boolean", "enum": [True]}
    assert properties["year_launched"]["minimum"] == 1900
    assert re.search(properties["website"]["pattern"], "ftp://example.org") is None
    assert re.search(properties["website"]["pattern"], "") is not None  # optional


def test_schema_declares_the_cursor_form_and_every_possible_refusal(client):
    document = schema_json(client)
    for path in ("/api/v1/cases/harvest/", "/api/v1/cases/changes/"):
        cursor = query_parameters(document, path)["cursor"]
        assert cursor["schema"]["pattern"] == "^([0-9]{1,17}-[0-9]{1,18})?$", path
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            # Any address may be refused for its characters (400) or its length (414), whatever it is.
            assert {"400", "414"} <= set(operation["responses"]), (method, path)

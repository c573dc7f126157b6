"""The partner API's methods, toolkits and organisations (issue 18): the cases' conventions (filters, pages,
facet counts, harvest, exports, problem details, ETags, ?lang=), only published methods and toolkits and
public organisations ever, a case's methods, toolkits and organisations, and the OpenAPI document."""

import csv
import io
import json

import pytest
import schemathesis
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode

from cases.models import (
    CaseMethod,
    CaseOrganisation,
    CaseToolkit,
    Discipline,
    Economy,
    EntryStatus,
    LinkState,
    Method,
    MethodPurpose,
    Organisation,
    Toolkit,
    ToolkitLanguage,
    ToolkitPurpose,
)
from tests.cases.api.test_api_schema import HELD_TERMS, OPENAPI_JSON, wsgi_application  # noqa: F401
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"
HIDDEN_STATUSES = [EntryStatus.DRAFT, EntryStatus.IN_REVIEW, EntryStatus.ARCHIVED]


def make_method(slug, *, status=EntryStatus.PUBLISHED, purposes=(), **fields):
    values = {
        "name": slug.replace("-", " ").capitalize(),
        "summary": f"The {slug} method in one sentence.",
        "description": f"What {slug} is.",
        "discipline": Discipline.DESIGN,
        "status": status,
        "published_at": timezone.now() if status == EntryStatus.PUBLISHED else None,
    } | fields
    method = Method.objects.create(slug=slug, **values)
    MethodPurpose.objects.bulk_create(MethodPurpose(method=method, purpose=purpose) for purpose in purposes)
    return method


def make_toolkit(slug, *, status=EntryStatus.PUBLISHED, methods=(), languages=(), purposes=(), **fields):
    values = {
        "title": slug.replace("-", " ").capitalize(),
        "summary": f"The {slug} toolkit in one sentence.",
        "description": f"What {slug} holds.",
        "discipline": Discipline.DESIGN,
        "kind": "guide",
        "publisher": "OECD OPSI",
        "year": 2020,
        "url": f"https://example.org/{slug}",
        "status": status,
        "published_at": timezone.now() if status == EntryStatus.PUBLISHED else None,
    } | fields
    toolkit = Toolkit.objects.create(slug=slug, **values)
    toolkit.methods.set(methods)
    ToolkitLanguage.objects.bulk_create(ToolkitLanguage(toolkit=toolkit, language=code) for code in languages)
    ToolkitPurpose.objects.bulk_create(
        ToolkitPurpose(toolkit=toolkit, purpose=purpose) for purpose in purposes
    )
    return toolkit


def make_organisation(slug, *, iso2="SG", **fields):
    values = {"name": slug.replace("-", " ").title(), "economy": Economy.objects.get(iso2=iso2)} | fields
    return Organisation.objects.create(slug=slug, **values)


def link(case, *, methods=(), toolkits=(), organisations=()):
    for position, (method, role, note) in enumerate(methods):
        CaseMethod.objects.create(case=case, method=method, role=role, note=note, position=position)
    for position, toolkit in enumerate(toolkits):
        CaseToolkit.objects.create(case=case, toolkit=toolkit, note="Its canvases", position=position)
    for position, (organisation, role) in enumerate(organisations):
        CaseOrganisation.objects.create(case=case, organisation=organisation, role=role, position=position)


@pytest.fixture
def world():
    """Published and hidden methods, toolkits and organisations, linked to a published and a draft case."""
    design = make_method(
        "design-thinking",
        purposes=["understand", "generate-ideas"],
        typical_duration="weeks",
        complexity="medium",
        participants="A team of five",
    )
    sandbox = make_method("regulatory-sandbox", discipline=Discipline.POLICY, purposes=["test"])
    hidden_methods = [make_method(f"hidden-method-{status}", status=status) for status in HIDDEN_STATUSES]
    kit = make_toolkit(
        "design-kit",
        methods=[design, *hidden_methods],
        languages=["en", "ja"],
        purposes=["test"],
        link_state=LinkState.OK,
        link_checked_at=timezone.now(),
    )
    unchecked = make_toolkit(
        "sandbox-guide", kind="framework", methods=[sandbox], year=2015, licence="CC BY 4.0"
    )
    hidden_toolkits = [make_toolkit(f"hidden-toolkit-{status}", status=status) for status in HIDDEN_STATUSES]
    lead = make_organisation("govtech-singapore")
    partner = make_organisation("tokyo-city", iso2="JP", kind="government", level="local")
    hidden_organisation = make_organisation("only-in-drafts")
    case = CaseStudyFactory(slug="published-case", title="Published case")
    link(
        case,
        methods=[(design, "primary", "Five weeks of interviews"), (hidden_methods[0], "also", "")],
        toolkits=[kit, hidden_toolkits[0]],
        organisations=[(lead, "lead"), (partner, "partner")],
    )
    second = CaseStudyFactory(slug="second-case", title="Second case")
    link(second, methods=[(sandbox, "primary", "")], organisations=[(lead, "lead")])
    draft = CaseStudyFactory(slug="draft-case", title="Draft case", status="draft")
    link(
        draft,
        methods=[(design, "primary", ""), (sandbox, "also", "")],
        toolkits=[kit, unchecked],
        organisations=[(hidden_organisation, "lead")],
    )
    return {
        "design": design,
        "sandbox": sandbox,
        "kit": kit,
        "unchecked": unchecked,
        "lead": lead,
        "partner": partner,
        "case": case,
        "hidden": [*(m.slug for m in hidden_methods), *(t.slug for t in hidden_toolkits), "only-in-drafts"],
    }


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def slugs(response) -> list[str]:
    return [row["slug"] for row in results(response)]


def assert_problem(response, parameter):
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert parameter in response.json()["errors"], response.json()


def streamed(response) -> str:
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


# --- Lists and records --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("methods/", ["design-thinking", "regulatory-sandbox"]),
        ("toolkits/", ["design-kit", "sandbox-guide"]),
        ("organisations/", ["govtech-singapore", "tokyo-city"]),
    ],
)
def test_lists_hold_only_published_methods_toolkits_and_public_organisations(client, world, path, expected):
    response = client.get(f"{API}/{path}")
    assert slugs(response) == expected
    assert response.json()["count"] == len(expected)
    assert not any(hidden in response.content.decode() for hidden in world["hidden"])


@pytest.mark.parametrize("kind", ["methods", "toolkits", "organisations"])
def test_a_hidden_entry_is_a_404_exactly_like_an_unknown_one(client, world, kind):
    unknown = client.get(f"{API}/{kind}/no-such-entry/")
    assert unknown.status_code == 404
    for slug in world["hidden"]:
        hidden = client.get(f"{API}/{kind}/{slug}/")
        assert hidden.status_code == 404
        assert hidden.json() == unknown.json()


def test_a_method_record_has_its_public_fields_and_only_published_links(client, world):
    record = client.get(f"{API}/methods/design-thinking/").json()

    assert record["name"] == "Design thinking"
    assert record["discipline"] == {"code": "design", "name": "Design"}
    assert [purpose["code"] for purpose in record["purposes"]] == ["understand", "generate-ideas"]
    assert record["typical_duration"] == {"code": "weeks", "name": "Weeks"}
    assert record["complexity"]["code"] == "medium"
    assert record["participants"] == "A team of five"
    assert [toolkit["slug"] for toolkit in record["toolkits"]] == ["design-kit"]
    assert record["toolkits"][0]["api_url"].endswith("/api/v1/toolkits/design-kit/")
    assert record["case_count"] == 1  # the draft case that uses it does not count
    assert record["url"].endswith("/methods/design-thinking/")
    assert record["api_url"].endswith("/api/v1/methods/design-thinking/")
    assert record["cases_url"].endswith("/api/v1/cases/?method=design-thinking")
    assert {"status", "created_by", "updated_by"}.isdisjoint(record)


def test_a_method_without_duration_or_complexity_says_null(client, world):
    record = client.get(f"{API}/methods/regulatory-sandbox/").json()
    assert (record["typical_duration"], record["complexity"]) == (None, None)
    assert record["case_count"] == 1


def test_a_toolkit_record_says_whether_its_link_worked_and_never_shows_hidden_methods(client, world):
    record = client.get(f"{API}/toolkits/design-kit/").json()

    assert record["link"] == "https://example.org/design-kit"
    assert record["link_working"] is True
    assert record["link_checked_at"]
    assert "link_state" not in record
    assert "link_error" not in record
    assert [language["code"] for language in record["languages"]] == ["en", "ja"]
    assert [method["slug"] for method in record["methods"]] == ["design-thinking"]
    assert record["kind"] == {"code": "guide", "name": "Guide or handbook"}
    assert record["case_count"] == 1
    unchecked = client.get(f"{API}/toolkits/sandbox-guide/").json()
    assert (unchecked["link_working"], unchecked["link_checked_at"]) == (None, None)
    assert unchecked["case_count"] == 0  # only a draft case drew on it


def test_a_broken_link_is_reported_as_not_working_without_its_error(client, world):
    Toolkit.objects.filter(slug="design-kit").update(link_state=LinkState.BROKEN, link_error="HTTP 404 Gone")
    record = client.get(f"{API}/toolkits/design-kit/").json()
    assert record["link_working"] is False
    assert "404 Gone" not in json.dumps(record)


def test_an_organisation_record(client, world):
    record = client.get(f"{API}/organisations/tokyo-city/").json()
    assert record["economy"]["iso2"] == "JP"
    assert record["level"] == {"code": "local", "name": "Local"}
    assert record["kind"]["code"] == "government"
    assert record["case_count"] == 1
    assert client.get(f"{API}/organisations/govtech-singapore/").json()["case_count"] == 2


# --- A case's methods, toolkits and organisations -------------------------------------------------------


def test_a_case_names_its_published_methods_and_toolkits_and_its_organisations(client, world):
    record = client.get(f"{API}/cases/published-case/").json()

    assert [(m["slug"], m["role"]["code"], m["note"]) for m in record["methods"]] == [
        ("design-thinking", "primary", "Five weeks of interviews")
    ]
    assert record["methods"][0]["api_url"].endswith("/api/v1/methods/design-thinking/")
    assert [(t["slug"], t["title"]) for t in record["toolkits"]] == [("design-kit", "Design kit")]
    assert [(o["slug"], o["role"]["code"]) for o in record["organisations"]] == [
        ("govtech-singapore", "lead"),
        ("tokyo-city", "partner"),
    ]
    listed = {row["slug"]: row for row in results(client.get(f"{API}/cases/"))}
    for name in ("methods", "toolkits", "organisations"):
        assert listed["published-case"][name] == record[name]


@pytest.mark.parametrize("path", ["cases/", "cases/harvest/", "cases/published-case/"])
def test_no_case_face_names_a_hidden_method_or_toolkit(client, world, path):
    content = client.get(f"{API}/{path}").content.decode()
    assert not any(hidden in content for hidden in world["hidden"])


def test_the_case_export_names_the_published_methods_only(client, world):
    lines = [json.loads(line) for line in streamed(client.get(f"{API}/cases/export.jsonl")).splitlines()]
    by_slug = {line["slug"]: line for line in lines}
    assert [m["slug"] for m in by_slug["published-case"]["methods"]] == ["design-thinking"]
    assert [m["slug"] for m in by_slug["second-case"]["methods"]] == ["regulatory-sandbox"]


def test_the_changes_feed_gives_each_case_with_its_methods(client, world):
    body = client.get(f"{API}/cases/changes/?since=2000-01-01T00:00:00Z").json()
    cases = {entry["slug"]: entry["case"] for entry in body["results"]}
    assert [m["slug"] for m in cases["published-case"]["methods"]] == ["design-thinking"]


# --- Filters, orders, pages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("methods/?purpose=understand", ["design-thinking"]),
        ("methods/?purpose=understand&purpose=test", ["design-thinking", "regulatory-sandbox"]),
        ("methods/?discipline=policy-regulation", ["regulatory-sandbox"]),
        ("methods/?duration=weeks", ["design-thinking"]),
        ("methods/?complexity=medium", ["design-thinking"]),
        ("methods/?q=sandbox", ["regulatory-sandbox"]),
        ("methods/?ordering=-name", ["regulatory-sandbox", "design-thinking"]),
        ("methods/?updated_since=2999-01-01T00:00:00Z", []),
        ("methods/?updated_since=2000-01-01T00:00:00Z", ["design-thinking", "regulatory-sandbox"]),
        ("toolkits/?method=design-thinking", ["design-kit"]),
        ("toolkits/?language=ja", ["design-kit"]),
        ("toolkits/?kind=framework", ["sandbox-guide"]),
        ("toolkits/?year_to=2016", ["sandbox-guide"]),
        ("toolkits/?ordering=year", ["sandbox-guide", "design-kit"]),
        ("toolkits/?sort=year", ["design-kit", "sandbox-guide"]),
        ("toolkits/?sort=relevance", ["design-kit", "sandbox-guide"]),  # without words: the default
        ("methods/?sort=relevance&q=thinking", ["design-thinking"]),
        ("organisations/?economy=JP", ["tokyo-city"]),
        ("organisations/?level=local", ["tokyo-city"]),
        ("organisations/?ordering=-cases", ["govtech-singapore", "tokyo-city"]),
        ("cases/?method=design-thinking", ["published-case"]),
        ("cases/?organisation=tokyo-city", ["published-case"]),
    ],
)
def test_each_parameter_selects_the_expected_entries(client, world, query, expected):
    assert slugs(client.get(f"{API}/{query}")) == expected


def test_lists_are_page_numbered_as_the_cases(client, world):
    first = client.get(f"{API}/methods/?page_size=1").json()
    assert (first["count"], len(first["results"])) == (2, 1)
    assert "page=2" in first["next"]
    assert client.get(first["next"]).json()["results"][0]["slug"] == "regulatory-sandbox"
    past_the_end = client.get(f"{API}/methods/?page=3&page_size=1")
    assert past_the_end.status_code == 404
    assert past_the_end["Content-Type"].startswith("application/problem+json")


BAD_PARAMETERS = [
    ("methods/", "purpose=bogus", "purpose"),
    ("methods/", "discipline=%00", "discipline"),
    ("methods/", "updated_since=not-a-date", "updated_since"),
    ("methods/", "ordering=-search_rank", "ordering"),
    ("methods/", "sort=title", "sort"),
    ("methods/", "page=abc", "page"),
    ("methods/", "page_size=0", "page_size"),
    ("methods/", "q=a&q=b", "q"),
    ("methods/facet-counts/", "complexity=extreme", "complexity"),
    ("methods/harvest/", "cursor=garbage", "cursor"),
    ("methods/export.csv", "duration=forever", "duration"),
    ("toolkits/", "method=hidden-method-draft", "method"),
    ("toolkits/", "language=xx", "language"),
    ("toolkits/", "year_from=abc", "year_from"),
    ("toolkits/export.jsonl", "kind=bogus", "kind"),
    ("toolkits/harvest/", "page_size=100000", "page_size"),
    ("organisations/", "economy=ZZ", "economy"),
    ("organisations/", "kind=bogus", "kind"),
    ("organisations/facet-counts/", "level=bogus", "level"),
    ("cases/", "method=hidden-method-draft", "method"),
    ("cases/", "organisation=only-in-drafts", "organisation"),
]


@pytest.mark.parametrize(("path", "query", "parameter"), BAD_PARAMETERS)
def test_a_bad_parameter_is_a_problem_naming_it(client, world, path, query, parameter):
    assert_problem(client.get(f"{API}/{path}?{query}"), parameter)


# --- Facet counts ----------------------------------------------------------------------------------------


def test_method_facet_counts_count_published_methods_under_the_other_parameters(client, world):
    body = client.get(f"{API}/methods/facet-counts/?discipline=design").json()

    assert body["count"] == 1
    disciplines = {row["value"]: row for row in body["facets"]["discipline"]}
    # OR within a parameter: the disciplines' counts leave the discipline selected aside; no hidden method.
    assert {value: row["count"] for value, row in disciplines.items()} == {
        "design": 1,
        "policy-regulation": 1,
    }
    assert disciplines["design"]["selected"] is True
    assert {row["value"]: row["count"] for row in body["facets"]["purpose"]} == {
        "understand": 1,
        "generate-ideas": 1,
    }


def test_toolkit_facet_counts_name_only_published_methods(client, world):
    body = client.get(f"{API}/toolkits/facet-counts/").json()
    assert body["count"] == 2
    assert {row["value"] for row in body["facets"]["method"]} == {"design-thinking", "regulatory-sandbox"}
    assert {row["value"]: row["count"] for row in body["facets"]["language"]} == {"en": 1, "ja": 1}


def test_organisation_facet_counts(client, world):
    body = client.get(f"{API}/organisations/facet-counts/").json()
    assert body["count"] == 2
    assert {row["value"]: row["count"] for row in body["facets"]["level"]} == {"local": 1}


# --- Harvest and exports -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "expected"), [("methods", 2), ("toolkits", 2)])
def test_a_harvest_delivers_every_published_entry_once(client, world, kind, expected):
    harvested, url = [], f"{API}/{kind}/harvest/?page_size=1"
    while url:
        body = client.get(url).json()
        harvested += [row["slug"] for row in body["results"]]
        url = body["next"]
    assert len(harvested) == len(set(harvested)) == expected
    assert not set(harvested) & set(world["hidden"])
    assert "description" in client.get(f"{API}/{kind}/harvest/").json()["results"][0]


def test_the_method_csv_export_holds_published_methods_made_safe_for_spreadsheets(client, world):
    make_method("formula", name="=HYPERLINK(1)")
    response = client.get(f"{API}/methods/export.csv")
    rows = list(csv.DictReader(io.StringIO(streamed(response))))

    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="methods-' in response["Content-Disposition"]
    assert [row["slug"] for row in rows] == ["formula", "design-thinking", "regulatory-sandbox"]  # by name
    assert rows[0]["name"] == "'=HYPERLINK(1)"
    design = rows[1]
    assert design["purposes"] == "understand;generate-ideas"
    assert design["discipline"] == "design"
    assert design["toolkits"] == "design-kit"


def test_the_toolkit_exports_hold_published_toolkits_filtered_as_the_list(client, world):
    lines = streamed(client.get(f"{API}/toolkits/export.jsonl?language=ja")).splitlines()
    assert [json.loads(line)["slug"] for line in lines] == ["design-kit"]
    assert json.loads(lines[0])["methods"][0]["slug"] == "design-thinking"
    rows = list(csv.DictReader(io.StringIO(streamed(client.get(f"{API}/toolkits/export.csv")))))
    assert [row["slug"] for row in rows] == ["design-kit", "sandbox-guide"]
    assert rows[0]["languages"] == "en;ja"
    assert rows[0]["link_working"] == "true"
    assert not any(hidden in json.dumps(rows) for hidden in world["hidden"])


# --- Languages and conditional requests ---------------------------------------------------------------------


def test_lang_gives_the_labels_of_choices_in_that_language(client, world):
    response = client.get(f"{API}/methods/design-thinking/?lang=ja")
    with translation.override("ja"):
        expected = str(Discipline.DESIGN.label)
    assert response.json()["discipline"]["name"] == expected
    assert response["Content-Language"] == "ja"
    assert response.json()["name"] == "Design thinking"  # the entry's own text is English


def test_lists_answer_conditional_requests(client, world):
    for path in ("methods/", "toolkits/design-kit/", "organisations/", "methods/facet-counts/"):
        first = client.get(f"{API}/{path}")
        assert first.status_code == 200
        again = client.get(f"{API}/{path}", headers={"if-none-match": first["ETag"]})
        assert again.status_code == 304, path


def test_archiving_a_method_changes_the_etag_of_its_list(client, world):
    first = client.get(f"{API}/methods/")
    assert "regulatory-sandbox" in slugs(first)
    sandbox = Method.objects.get(slug="regulatory-sandbox")
    sandbox.status = EntryStatus.ARCHIVED
    sandbox.save()
    again = client.get(f"{API}/methods/", headers={"if-none-match": first["ETag"]})
    assert again.status_code == 200
    assert slugs(again) == ["design-thinking"]


# --- Query counts --------------------------------------------------------------------------------


def grow(n_from, n_to):
    """Published methods, toolkits, organisations and cases linking them, numbered n_from..n_to-1."""
    for n in range(n_from, n_to):
        method = make_method(f"method-{n}", purposes=["test", "scale"])
        make_method(f"draft-{n}", status=EntryStatus.DRAFT)
        toolkit = make_toolkit(f"toolkit-{n}", methods=[method], languages=["en", "th"], purposes=["test"])
        organisation = make_organisation(f"organisation-{n}")
        case = CaseStudyFactory(title=f"Case {n}")
        link(
            case,
            methods=[(method, "primary", "")],
            toolkits=[toolkit],
            organisations=[(organisation, "lead")],
        )


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(API + url)
        assert response.status_code == 200, response.content
        if response.streaming:
            b"".join(response.streaming_content)
    return len(captured)


COUNTED = [
    "/methods/",
    "/methods/?q=method&purpose=test",
    "/methods/harvest/",
    "/methods/facet-counts/",
    "/methods/export.jsonl",
    "/methods/export.csv",
    "/toolkits/",
    "/toolkits/?method=method-1",
    "/toolkits/harvest/",
    "/toolkits/export.csv",
    "/toolkits/export.jsonl",
    "/organisations/",
    "/organisations/?sort=cases",
    "/cases/",
    "/cases/harvest/",
    "/cases/export.jsonl",
]


@pytest.mark.parametrize("url", COUNTED)
def test_query_count_is_the_same_for_2_rows_as_for_20(client, django_assert_max_num_queries, url):
    grow(0, 2)
    cache.clear()
    few = queries_for(client, url)
    grow(2, 20)
    cache.clear()
    with django_assert_max_num_queries(few):
        queries_for(client, url)


@pytest.mark.parametrize(
    "url", ["/methods/method-1/", "/toolkits/toolkit-1/", "/organisations/organisation-1/"]
)
def test_a_record_reads_a_fixed_number_of_queries(client, django_assert_max_num_queries, url):
    grow(0, 2)
    cache.clear()
    few = queries_for(client, url)
    for n in range(2, 12):  # more links to the same entry
        make_toolkit(f"more-{n}", methods=[Method.objects.get(slug="method-1")], languages=["ja"])
        case = CaseStudyFactory(title=f"More {n}")
        link(case, organisations=[(Organisation.objects.get(slug="organisation-1"), "partner")])
    cache.clear()
    with django_assert_max_num_queries(few):
        queries_for(client, url)


# --- The OpenAPI document ------------------------------------------------------------------------

OPERATIONS = [
    "/api/v1/methods/",
    "/api/v1/methods/{slug}/",
    "/api/v1/methods/facet-counts/",
    "/api/v1/methods/harvest/",
    "/api/v1/methods/export.csv",
    "/api/v1/methods/export.jsonl",
    "/api/v1/toolkits/",
    "/api/v1/toolkits/{slug}/",
    "/api/v1/toolkits/facet-counts/",
    "/api/v1/toolkits/harvest/",
    "/api/v1/toolkits/export.csv",
    "/api/v1/toolkits/export.jsonl",
    "/api/v1/organisations/",
    "/api/v1/organisations/{slug}/",
    "/api/v1/organisations/facet-counts/",
]
WITH_QUERY_PARAMETERS = [path for path in OPERATIONS if "{slug}" not in path]


def schema_json(client):
    response = client.get("/api/schema/", headers=OPENAPI_JSON)
    assert response.status_code == 200
    return response.json()


def parameters_of(document, path) -> dict:
    shared = document["components"]["parameters"]
    found = {}
    for parameter in document["paths"][path]["get"]["parameters"]:
        parameter = shared[parameter["$ref"].rsplit("/", 1)[1]] if "$ref" in parameter else parameter
        found[parameter["name"]] = parameter
    return found


def test_the_document_has_every_entry_operation_with_its_parameters_described(client):
    document = schema_json(client)
    assert set(OPERATIONS) <= set(document["paths"])
    expected = {
        "/api/v1/methods/": {"q", "purpose", "discipline", "duration", "complexity", "sort", "ordering"},
        "/api/v1/toolkits/": {
            "q",
            "kind",
            "purpose",
            "discipline",
            "language",
            "method",
            "year_from",
            "year_to",
        },
        "/api/v1/organisations/": {"q", "economy", "kind", "level", "sort", "ordering"},
    }
    for path, names in expected.items():
        parameters = parameters_of(document, path)
        assert names | {"updated_since", "page", "page_size", "lang"} <= set(parameters), path
        assert all(parameter.get("description") for parameter in parameters.values()), path
    assert {"cursor", "page_size", "updated_since"} <= set(
        parameters_of(document, "/api/v1/methods/harvest/")
    )


def test_the_entries_share_one_named_enum_per_fixed_list_and_slug_components(client):
    document = schema_json(client)
    schemas = document["components"]["schemas"]
    methods = parameters_of(document, "/api/v1/methods/")
    assert methods["discipline"]["schema"]["items"] == {"$ref": "#/components/schemas/DisciplineEnum"}
    assert schemas["Discipline"]["properties"]["code"]["allOf"] == [
        {"$ref": "#/components/schemas/DisciplineEnum"}
    ]
    organisations = parameters_of(document, "/api/v1/organisations/")
    assert organisations["kind"]["schema"]["items"] == {"$ref": "#/components/schemas/OrganisationTypeEnum"}
    assert organisations["level"]["schema"]["items"] == {"$ref": "#/components/schemas/LevelEnum"}
    assert parameters_of(document, "/api/v1/cases/")["method"]["schema"]["items"] == {
        "$ref": "#/components/schemas/MethodSlug"
    }
    assert methods["sort"]["schema"] == {"$ref": "#/components/schemas/MethodSortEnum"}
    case = schemas["CaseDetail"]["properties"]
    assert {"methods", "toolkits", "organisations"} <= set(case)


@pytest.fixture
def entries_api_schema(world, wsgi_application):  # noqa: F811 — the fixture imported above
    """The document, with the terms and entries this catalogue holds as the values of their components (as
    tests/cases/api/test_api_schema.py does for the vocabularies: an unknown one is a 400, as it should)."""
    document = schemathesis.openapi.from_wsgi(
        "/api/schema/", wsgi_application, headers=OPENAPI_JSON
    ).raw_schema
    held = {
        **HELD_TERMS,
        "MethodSlug": (Method.objects.published(), "slug"),
        "ToolkitSlug": (Toolkit.objects.published(), "slug"),
        "OrganisationSlug": (Organisation.objects.public(), "slug"),
    }
    for component, (rows, field) in held.items():
        rows = rows.objects.all() if isinstance(rows, type) else rows
        document["components"]["schemas"][component]["enum"] = sorted(set(rows.values_list(field, flat=True)))
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = wsgi_application
    loaded.location = "/api/schema/"
    return loaded


def run_generated_requests(operation, mode, examples):
    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def check(case):
        cache.clear()  # the rate limit is tested elsewhere
        case.call_and_validate()

    check()


@pytest.mark.parametrize("path", OPERATIONS)
def test_valid_generated_requests_get_documented_answers(entries_api_schema, path):
    run_generated_requests(entries_api_schema[path]["GET"], GenerationMode.POSITIVE, 10)


@pytest.mark.parametrize("path", WITH_QUERY_PARAMETERS)
def test_invalid_generated_requests_get_documented_client_errors(entries_api_schema, path):
    run_generated_requests(entries_api_schema[path]["GET"], GenerationMode.NEGATIVE, 8)

"""A client generated from the OpenAPI document, as a partner makes one (issue 17): openapi-python-client run
on the document, offline, its package imported, and the demo catalogue read through it from a live server.

And the document's shape that makes such a client usable for good: each query parameter one shared
definition; the curated vocabularies (sectors, themes, innovation facets) slug strings, so that a curator's
new term changes neither the document nor the client; each fixed vocabulary (economy, region, SDG, level,
stage) one named enum, the same class in every operation and response of the client.
"""

import importlib
import inspect
import json
import pkgutil
import re
import subprocess
import sys
from collections import Counter
from io import StringIO
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.test import Client

from cases.api.schema import ISO_3166_ALPHA_2, SLUG_PATTERN, UN_M49_SUBREGIONS
from cases.models import CaseStudy, Economy, InnovationFacet, Level, Sector, Stage, Status, Theme
from cases.services import api_key_create

pytestmark = pytest.mark.django_db

OPENAPI_JSON = {"accept": "application/vnd.oai.openapi+json"}
GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "observatory_client"
# The generator's own options: no post hooks (it would run ruff over the code it wrote: slow, and no part of
# what is tested), the package's name fixed.
GENERATOR_CONFIG = {
    "post_hooks": [],
    "project_name_override": "observatory-client",
    "package_name_override": PACKAGE,
}

CURATED = {"sector": "SectorSlug", "theme": "ThemeSlug", "facet": "InnovationFacetSlug"}
FIXED = {
    "economy": "EconomyEnum",
    "region": "RegionEnum",
    "sdg": "SdgEnum",
    "level": "LevelEnum",
    "stage": "StageEnum",
}
# Every operation reading through the library's FilterSet: each takes `theme`.
LIBRARY_OPERATIONS = [
    "cases_list",
    "cases_harvest",
    "cases_export_csv",
    "cases_export_jsonl",
    "cases_facet_counts",
    "stats",
]


def schema_document(client) -> dict:
    response = client.get("/api/schema/", headers=OPENAPI_JSON)
    assert response.status_code == 200
    return response.json()


def operations(document):
    for path_item in document["paths"].values():
        yield from path_item.values()


def resolved(document, parameter: dict) -> dict:
    if "$ref" in parameter:
        return document["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
    return parameter


def enums(node):
    """Every enum anywhere in a part of the document."""
    if isinstance(node, dict):
        if "enum" in node:
            yield node["enum"]
        for value in node.values():
            yield from enums(value)
    elif isinstance(node, list):
        for value in node:
            yield from enums(value)


@pytest.fixture(scope="module")
def document(django_db_setup, django_db_blocker):
    """The document, as a partner downloads it."""
    with django_db_blocker.unblock():
        return schema_document(Client())


@pytest.fixture(scope="module")
def generated(document, tmp_path_factory):
    """The client package openapi-python-client makes of the document (the generator's messages, and the
    package, imported): once for the module."""
    folder = tmp_path_factory.mktemp("generated-client")
    source = folder / "observatory-api.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    config = folder / "config.json"  # YAML is a superset of JSON: the generator reads either
    config.write_text(json.dumps(GENERATOR_CONFIG), encoding="utf-8")
    run = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            f"--path={source}",
            f"--config={config}",
            f"--output-path={folder / PACKAGE}",
            "--meta=none",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    sys.path.insert(0, str(folder))
    package = importlib.import_module(PACKAGE)
    yield package, run.stdout + run.stderr
    sys.path.remove(str(folder))
    for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


def endpoint(name: str):
    """The generated module of one operation (by its operationId), e.g. cases_list."""
    package = importlib.import_module(f"{PACKAGE}.api")
    for module in pkgutil.walk_packages(package.__path__, f"{PACKAGE}.api."):
        if not module.ispkg and module.name.rsplit(".", 1)[1] == name:  # api/stats/stats.py
            return importlib.import_module(module.name)
    raise LookupError(name)


def generated_models():
    return importlib.import_module(f"{PACKAGE}.models")


# --- The document ---------------------------------------------------------------------------------


def test_the_theme_parameter_is_one_definition_every_operation_refers_to(document):
    referring = [
        operation["operationId"]
        for operation in operations(document)
        for parameter in operation.get("parameters", [])
        if parameter == {"$ref": "#/components/parameters/theme"}
    ]
    inline = [
        operation["operationId"]
        for operation in operations(document)
        for parameter in operation.get("parameters", [])
        if parameter.get("name") == "theme"
    ]

    assert sorted(referring) == sorted(LIBRARY_OPERATIONS)
    assert inline == []
    assert document["components"]["parameters"]["theme"]["schema"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/ThemeSlug"},
    }


def test_every_query_parameter_is_a_shared_definition(document):
    for operation in operations(document):
        for parameter in operation.get("parameters", []):
            if "$ref" not in parameter:
                assert parameter["in"] == "path", (operation["operationId"], parameter)


def test_curated_vocabularies_are_slug_strings_linking_their_list(document):
    schemas = document["components"]["schemas"]
    lists = {"sector": "/api/v1/sectors/", "theme": "/api/v1/themes/", "facet": "/api/v1/innovation-facets/"}
    for parameter, component in CURATED.items():
        schema = schemas[component]
        assert "enum" not in schema, component
        assert schema["type"] == "string"
        assert schema["pattern"] == SLUG_PATTERN
        assert re.search(schema["pattern"], schema["example"])
        assert lists[parameter] in schema["description"]


def test_no_enum_anywhere_holds_a_curated_term(document):
    curated_terms = {
        *Sector.objects.values_list("slug", flat=True),
        *Theme.objects.values_list("slug", flat=True),
        *InnovationFacet.objects.values_list("slug", flat=True),
    }

    assert curated_terms
    assert [values for values in enums(document) if curated_terms & set(map(str, values))] == []


def test_responses_and_request_bodies_name_terms_by_the_same_components(document):
    schemas = document["components"]["schemas"]

    def ref(schema):
        return (schema.get("$ref") or schema["allOf"][0]["$ref"]).rsplit("/", 1)[1]

    assert ref(schemas["ThemeRef"]["properties"]["slug"]) == "ThemeSlug"
    assert ref(schemas["Theme"]["properties"]["slug"]) == "ThemeSlug"
    assert ref(schemas["SectorRef"]["properties"]["slug"]) == "SectorSlug"
    assert ref(schemas["FacetRef"]["properties"]["slug"]) == "InnovationFacetSlug"
    assert ref(schemas["EconomyRef"]["properties"]["iso2"]) == "EconomyEnum"
    assert ref(schemas["Economy"]["properties"]["subregion_code"]) == "RegionEnum"
    assert ref(schemas["SDGRef"]["properties"]["number"]) == "SdgEnum"
    assert ref(schemas["Level"]["properties"]["code"]) == "LevelEnum"
    body = schemas["SubmissionRequest"]["properties"]
    assert ref(body["economy"]) == "EconomyEnum"
    assert ref(body["sectors"]["items"]) == "SectorSlug"
    assert ref(body["themes"]["items"]) == "ThemeSlug"


def test_fixed_vocabularies_are_one_named_enum_each(document):
    schemas = document["components"]["schemas"]
    parameters = document["components"]["parameters"]
    for parameter, component in FIXED.items():
        assert parameters[parameter]["schema"]["items"] == {"$ref": f"#/components/schemas/{component}"}
    assert schemas["EconomyEnum"]["enum"] == sorted(ISO_3166_ALPHA_2)
    assert len(schemas["EconomyEnum"]["enum"]) == 249
    assert schemas["RegionEnum"]["enum"] == list(UN_M49_SUBREGIONS)
    assert schemas["SdgEnum"]["enum"] == list(range(1, 18))
    assert schemas["LevelEnum"]["enum"] == list(Level.values)
    assert schemas["StageEnum"]["enum"] == list(Stage.values)
    # One each: no other component, and no inline enum, holds the same values.
    for component in FIXED.values():
        values = schemas[component]["enum"]
        assert [list(found) for found in enums(document)].count(values) == 1, component


def test_a_new_term_of_any_vocabulary_leaves_the_document_unchanged(client):
    before = schema_document(client)
    Theme.objects.create(name="Four-day week", slug="four-day-week")
    Sector.objects.create(name="Space", slug="space", cofog_division=4)
    InnovationFacet.objects.create(name="Playful", slug="playful")
    Economy.objects.create(
        name="France",
        slug="france",
        iso2="FR",
        iso3="FRA",
        region_code="150",
        region_name="Europe",
        subregion_code="155",
        subregion_name="Western Europe",
    )

    assert schema_document(client) == before


def test_the_json_lines_export_is_documented_under_a_media_type_generators_know(document):
    content = document["paths"]["/api/v1/cases/export.jsonl"]["get"]["responses"]["200"]["content"]

    assert list(content) == ["application/jsonl", "application/octet-stream"]
    assert content["application/octet-stream"]["schema"] == {"type": "string", "format": "binary"}


def test_the_json_lines_export_is_served_as_application_jsonl_unless_the_download_type_is_asked_for(client):
    def content_type(**headers):
        response = client.get("/api/v1/cases/export.jsonl", headers=headers)
        response.close()  # a streamed answer: closed here, not by the collector during a later test
        return response["Content-Type"], response.get("Vary", "")

    jsonl = "application/jsonl; charset=utf-8"
    assert content_type()[0] == jsonl
    assert content_type(accept="application/jsonl")[0] == jsonl
    download_type, vary = content_type(accept="application/octet-stream")
    assert download_type == "application/octet-stream"
    assert "Accept" in vary


# --- The generated client -------------------------------------------------------------------------


def test_the_generator_reads_the_whole_document(generated):
    _package, messages = generated

    assert "Warning" not in messages, messages
    assert "Unable to" not in messages, messages


def test_the_client_has_one_class_per_fixed_vocabulary_and_plain_strings_for_curated_ones(generated):
    from observatory_client.types import Unset

    models = generated_models()
    for operation in LIBRARY_OPERATIONS:
        parameters = inspect.signature(endpoint(operation).sync_detailed).parameters
        for parameter in CURATED:
            assert parameters[parameter].annotation == list[str] | Unset, (operation, parameter)
        for parameter, component in FIXED.items():
            assert parameters[parameter].annotation == list[getattr(models, component)] | Unset
    # One class for each parameter: none made per operation (CasesListThemeItem, StatsEconomyItem...).
    classes = [name for name, value in vars(models).items() if inspect.isclass(value)]
    assert [name for name in classes if name.endswith("Item")] == []
    assert not any(name.endswith(("SectorsEnum", "ThemesEnum", "FacetsEnum")) for name in classes)
    holding_economies = [
        name
        for name in classes
        if set(getattr(getattr(models, name), "_value2member_map_", ())) >= {"SG", "JP"}
    ]
    assert holding_economies == ["EconomyEnum"]
    assert set(models.EconomyEnum._value2member_map_) == set(ISO_3166_ALPHA_2)


@pytest.fixture
def demo_catalogue(transactional_db):
    """The demo catalogue, committed for the live server to read (it has drafts, submissions, cases in
    review and archived ones beside the published), and a partner key."""
    call_command("load_demo", stdout=StringIO())
    _key, plaintext = api_key_create(owner="Generated client", rate=100_000)
    assert CaseStudy.objects.exclude(status=Status.PUBLISHED).exists()
    return plaintext


def published():
    return CaseStudy.objects.published()


def counts_by(cases, field: str) -> dict[str, int]:
    rows = (
        cases.exclude(**{f"{field}__isnull": True}).values(field).annotate(cases=Count("id", distinct=True))
    )
    return {str(row[field]): row["cases"] for row in rows}


def lists_the_cases_of_a_theme_in_an_economy(api, models):
    (theme, iso2), _cases = Counter(published().values_list("themes__slug", "economy__iso2")).most_common(1)[
        0
    ]

    page = endpoint("cases_list").sync(
        client=api, theme=[theme], economy=[models.EconomyEnum(iso2)], page_size=100
    )

    expected = published().filter(themes__slug=theme, economy__iso2=iso2)
    assert page.count == expected.count() > 1
    assert {case.slug for case in page.results} == set(expected.values_list("slug", flat=True))
    assert all(case.economy.iso2 == models.EconomyEnum(iso2) for case in page.results)


def reads_a_case(api, models):
    case = published().order_by("slug").first()

    detail = endpoint("cases_retrieve").sync(client=api, slug=case.slug)

    assert isinstance(detail, models.CaseDetail)
    assert (detail.slug, detail.title) == (case.slug, case.title)
    assert detail.economy.iso2 == models.EconomyEnum(case.economy.iso2)
    assert [term.slug for term in detail.themes] == list(case.themes.values_list("slug", flat=True))
    assert [term.number for term in detail.sdgs] == [
        models.SdgEnum(number) for number in case.sdgs.values_list("number", flat=True)
    ]
    assert detail.level.code == models.LevelEnum(case.level)


def harvests_every_published_case_and_nothing_else(api, models):
    harvest = endpoint("cases_harvest")
    slugs, cursor, pages = [], "", 0
    while cursor is not None:
        page = harvest.sync(client=api, cursor=cursor, page_size=10)
        assert isinstance(page, models.PaginatedCaseDetailList)
        slugs += [case.slug for case in page.results]
        cursor = parse_qs(urlsplit(page.next_).query)["cursor"][0] if page.next_ else None
        pages += 1

    assert pages > 2
    assert len(slugs) == len(set(slugs))
    assert sorted(slugs) == sorted(published().values_list("slug", flat=True))
    unpublished = set(CaseStudy.objects.exclude(status=Status.PUBLISHED).values_list("slug", flat=True))
    assert unpublished
    assert unpublished.isdisjoint(slugs)


def counts_each_value_under_a_selection(api, models):
    counts = endpoint("cases_facet_counts").sync(client=api, economy=[models.EconomyEnum.JP])

    in_japan = published().filter(economy__iso2="JP")
    assert counts.count == in_japan.count() > 0
    assert counts.facets.theme.additional_properties == counts_by(in_japan, "themes__slug")
    # OR within a parameter: the economies' counts leave the economy selected aside.
    assert counts.facets.economy.additional_properties == counts_by(published(), "economy__iso2")


def gets_the_statistics(api, models):
    stats = endpoint("stats").sync(client=api)

    assert isinstance(stats, models.Stats)
    assert stats.count == published().count()
    assert {bucket.value: bucket.count for bucket in stats.by_theme} == counts_by(published(), "themes__slug")
    assert {bucket.value: bucket.count for bucket in stats.by_economy} == counts_by(
        published(), "economy__iso2"
    )


def downloads_the_json_lines_export(api, models):
    export = endpoint("cases_export_jsonl").sync(client=api)

    lines = export.payload.read().decode().splitlines()
    records = [models.CaseDetail.from_dict(json.loads(line)) for line in lines]
    assert sorted(record.slug for record in records) == sorted(published().values_list("slug", flat=True))


def test_a_generated_client_reads_the_demo_catalogue_as_the_database_holds_it(
    generated, live_server, demo_catalogue
):
    """A partner's session, step by step, each step's answer checked against the database. One test, not
    one per step: each test with the live server commits the demo afresh (5 to 8 seconds)."""
    package, _messages = generated
    models = generated_models()
    with package.AuthenticatedClient(
        base_url=live_server.url, token=demo_catalogue, prefix="Api-Key", raise_on_unexpected_status=True
    ) as api:
        lists_the_cases_of_a_theme_in_an_economy(api, models)
        reads_a_case(api, models)
        harvests_every_published_case_and_nothing_else(api, models)
        counts_each_value_under_a_selection(api, models)
        gets_the_statistics(api, models)
        downloads_the_json_lines_export(api, models)

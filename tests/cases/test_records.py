"""The case record (cases/records.py) is the one description of a case's fields: the API's
representations, the CSV export, the interchange format (export and import) and the revision snapshot
all take their fields from it, so adding a field is adding it there."""

import csv
import io
import json
from dataclasses import replace

import pytest
from rest_framework.serializers import ListSerializer

from cases import records
from cases.admin.revision_diff import VOCABULARY_KEYS
from cases.api.serializers import (
    REF_FIELDS,
    REF_SERIALIZERS,
    CaseDetailSerializer,
    CaseListSerializer,
    OutcomeSerializer,
    vocabulary_fields,
)
from cases.api.views import CaseStudyViewSet
from cases.curation.history import snapshot
from cases.interchange.formats import InterchangeError, read_cases, write_cases
from cases.models import CaseStudy, Economy, Theme
from cases.models import facets as facet_table
from cases.models.facets import FACETS, FACETS_BY_MODEL
from cases.records import FIELDS, Field, names
from tests.factories import CaseLinkFactory, CaseStudyFactory, OutcomeFactory, ResourceFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"


def shown_by(face):
    return {field.name for field in FIELDS if face in field.faces}


@pytest.fixture
def full_case():
    """A published case with something in every field and everything that hangs off it."""
    case = CaseStudyFactory(
        slug="full",
        external_id="ext-1",
        website="https://example.org/",
        licence="CC BY 4.0",
        source="The ministry",
        year_ended=2022,
        is_featured=True,
        other_economies=[Economy.objects.get(iso2="JP")],
        themes=[Theme.objects.get(slug="digital-government")],
    )
    OutcomeFactory(case=case)
    ResourceFactory(case=case)
    CaseLinkFactory(from_case=case, to_case=CaseStudyFactory(slug="other"))
    return case


# --- The description itself --------------------------------------------------------------------------


def test_field_names_are_unique():
    assert len({field.name for field in FIELDS}) == len(FIELDS)


@pytest.mark.parametrize("face", records.FACES)
def test_each_face_shows_every_field_that_names_it_once(face):
    shown = names(face)
    assert len(shown) == len(set(shown))
    assert set(shown) == shown_by(face)


def test_a_case_in_a_list_shows_a_subset_of_its_detail():
    assert shown_by(records.API_LIST) <= shown_by(records.API)


def test_every_field_other_than_a_computed_one_is_a_field_of_the_case():
    # Computed, or (links) gathered from both directions of the case link table, or (languages) from the
    # case's translations.
    computed = {records.ID, records.PAGE_URL, records.API_URL, records.ECONOMY_NAME, records.LINKS}
    computed |= {records.SHOWN_LANGUAGE, records.LANGUAGES}
    model_fields = {field.name for field in CaseStudy._meta.get_fields()}
    for field in FIELDS:
        if field.kind not in computed:
            assert field.name in model_fields, field.name


def test_the_derived_lists_follow_the_flags():
    assert [field.name for field in FIELDS if field.editable] == records.SCALAR_FIELDS
    assert records.REQUIRED_KEYS == [
        "slug",
        "title",
        "summary",
        "overview",
        "lead_organisation",
        "economy",
        "level",
        "stage",
        "sectors",
    ]
    assert records.MANY_TO_MANY == ["other_economies", "sectors", "themes", "facets", "sdgs"]
    assert set(records.REQUIRED_KEYS) <= set(records.RECORD_KEYS)
    assert set(records.SCALAR_FIELDS) <= set(records.RECORD_KEYS) & set(records.SNAPSHOT_KEYS)


# --- Every face takes its fields from the record ---------------------------------------------------


def test_api_serializers_list_the_records_api_fields():
    assert list(CaseListSerializer.Meta.fields) == records.API_LIST_FIELDS
    assert list(CaseDetailSerializer.Meta.fields) == records.API_FIELDS
    assert set(CaseDetailSerializer().fields) == shown_by(records.API)


def test_api_detail_and_list_give_the_records_api_fields_in_order(client, full_case):
    detail = client.get(f"{API}/cases/full/").json()
    assert list(detail) == records.API_FIELDS
    listed = client.get(f"{API}/cases/").json()["results"]
    assert all(list(item) == records.API_LIST_FIELDS for item in listed)


def test_jsonl_export_gives_the_records_api_fields(client, full_case):
    response = client.get(f"{API}/cases/export.jsonl")
    lines = b"".join(response.streaming_content).decode().splitlines()
    # And each case's published translations, for harvesters (docs/api.md, "Languages").
    assert all(list(json.loads(line)) == [*records.API_FIELDS, "translations"] for line in lines)


def test_csv_export_header_is_the_records_csv_columns(client, full_case):
    response = client.get(f"{API}/cases/export.csv")
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == records.CSV_COLUMNS
    assert all(len(row) == len(records.CSV_COLUMNS) for row in rows[1:])


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_interchange_export_writes_the_record_keys(full_case, fmt):
    out = io.StringIO(newline="")
    write_cases(CaseStudy.objects.filter(slug="full"), out, fmt)
    if fmt == "csv":
        assert next(csv.reader(io.StringIO(out.getvalue()))) == records.RECORD_KEYS
    else:
        assert list(json.loads(out.getvalue())[0]) == records.RECORD_KEYS


def test_to_record_is_what_the_export_writes(full_case):
    out = io.StringIO(newline="")
    write_cases(CaseStudy.objects.filter(slug="full"), out, "json")
    exported = json.loads(out.getvalue())[0]
    assert json.loads(json.dumps(records.to_record(full_case))) == exported
    assert exported["outcomes"][0]["indicator"] == "People served"
    assert exported["links"] == [{"relation": "adapted_from", "target": "other", "note": ""}]
    assert exported["other_economies"] == ["JP"]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_importer_reads_back_every_record_key_it_writes(full_case, fmt):
    out = io.StringIO(newline="")
    write_cases(CaseStudy.objects.filter(slug="full"), out, fmt)
    parsed = read_cases(out.getvalue().encode(), fmt)
    assert parsed.errors == {}
    assert set(parsed.records[0]) == set(records.RECORD_KEYS)


def test_importer_refuses_a_column_the_record_does_not_have():
    header = ",".join([*records.RECORD_KEYS, "nickname"])
    with pytest.raises(InterchangeError, match="unknown column 'nickname'"):
        read_cases(header.encode() + b"\n", "csv")


def test_importer_refuses_a_json_key_the_record_does_not_have():
    parsed = read_cases(json.dumps([{"slug": "x", "nickname": "y"}]).encode(), "json")
    assert parsed.errors == {0: ["unknown field 'nickname'"]}


def test_from_record_reads_every_editable_field():
    samples = {
        records.TEXT: "text",
        records.CHOICE: "national",
        records.YEAR: "2019",
        records.DATE: "2024-12-31",
        records.FLAG: True,
    }
    record = {name: samples[records.BY_NAME[name].kind] for name in records.SCALAR_FIELDS}
    values, problems = records.from_record(record)
    assert problems == []
    assert set(values) == set(records.SCALAR_FIELDS)
    assert values["year_launched"] == 2019
    assert values["last_verified"].isoformat() == "2024-12-31"


def test_from_record_reports_texts_then_years_then_dates_then_flags():
    _values, problems = records.from_record(
        {"is_featured": "maybe", "last_verified": "nope", "year_ended": "x", "level": {}, "title": 5.5}
    )
    assert problems == [
        "title must be text, not 5.5",
        "level must be text, not {}",
        "year_ended 'x' is not a year",
        "last_verified 'nope' is not a date like 2024-12-31",
        "is_featured must be true or false, not 'maybe'",
    ]


def test_snapshot_keeps_the_records_snapshot_keys_in_order(full_case):
    data = snapshot(full_case)
    assert list(data) == records.SNAPSHOT_KEYS
    assert data["links"] == [["adapted_from", CaseStudy.objects.get(slug="other").pk]]
    assert data["other_economies"] == ["JP"]


# --- Adding a field touches one place ----------------------------------------------------------------


NEW = Field("nickname", records.TEXT, frozenset(records.FACES), editable=True, label="nickname")


def test_a_new_field_comes_after_the_known_ones_in_every_face_it_names():
    fields = (*FIELDS, NEW)
    for face in records.FACES:
        assert names(face, fields) == [*names(face), "nickname"]
    only_csv = (*FIELDS, Field("nickname", records.TEXT, frozenset({records.CSV})))
    assert names(records.CSV, only_csv)[-1] == "nickname"
    assert "nickname" not in names(records.INTERCHANGE, only_csv)


def test_a_layout_naming_a_field_its_face_does_not_show_is_refused():
    layouts = {**records.LAYOUTS, records.CSV: (*records.LAYOUTS[records.CSV], "status")}
    with pytest.raises(ValueError, match="status"):
        names(records.CSV, layouts=layouts)


@pytest.fixture
def nickname(monkeypatch):
    """The description with one more field, as a developer would add it: one row in FIELDS."""
    fields = (*FIELDS, NEW)
    monkeypatch.setattr(records, "FIELDS", fields)
    monkeypatch.setattr(records, "BY_NAME", {field.name: field for field in fields})
    monkeypatch.setattr(records, "SCALAR_FIELDS", [field.name for field in fields if field.editable])
    monkeypatch.setattr(records, "RECORD_KEYS", names(records.INTERCHANGE, fields))
    monkeypatch.setattr(records, "SNAPSHOT_KEYS", names(records.SNAPSHOT, fields))
    monkeypatch.setattr(records, "CSV_COLUMNS", names(records.CSV, fields))
    return NEW


def test_a_new_field_is_written_read_and_snapshotted(nickname, full_case):
    full_case.nickname = "Fully"
    assert records.to_record(full_case)["nickname"] == "Fully"
    assert records.to_snapshot(full_case)["nickname"] == "Fully"
    row = records.to_csv_values(full_case, records.Related([full_case.pk]), records.CaseUrls("https://x"))
    assert row[-1] == "Fully"
    values, problems = records.from_record({"nickname": 7})
    assert (values, problems) == ({"nickname": "7"}, [])


def test_every_field_has_a_name_for_people():
    assert all(field.verbose_name for field in FIELDS)


def test_a_records_vocabularies_name_terms_as_the_facet_table_does():
    """A case's sectors are "health" in its record as in the library's URL (cases/models/facets.py)."""
    for facet in FACETS:
        if facet.kind == facet_table.TERMS:
            assert records.TERM_FIELDS[facet.relation].value_field == facet.value_field
        if facet.kind in (facet_table.TERMS, facet_table.FOREIGN_KEY):  # the primary economy too
            assert records.VOCABULARY_FIELDS[facet.relation].value_field == facet.value_field


# --- Adding a vocabulary field touches one place ------------------------------------------------------


def vocabularies(face):
    """The names of the vocabulary fields `face` shows, in its order."""
    return [name for name in names(face) if records.BY_NAME[name].kind in records.VOCABULARY_KINDS]


@pytest.mark.parametrize(
    ("serializer", "face"), [(CaseListSerializer, records.API_LIST), (CaseDetailSerializer, records.API)]
)
def test_the_api_shows_each_vocabulary_field_as_references_to_its_terms(serializer, face):
    """{"slug": "health", "name": "Health"}: the value the facet table names a term by, and its label."""
    fields = serializer().fields
    assert [field.name for field in records.vocabulary_fields(face)] == vocabularies(face)
    for field in records.vocabulary_fields(face):
        declared = fields[field.name]
        assert isinstance(declared, ListSerializer) == (field.kind == records.TERMS)
        reference = declared.child if field.kind == records.TERMS else declared
        assert type(reference) is REF_SERIALIZERS[field.model]
        facet = FACETS_BY_MODEL[field.model]
        assert list(reference.fields) == REF_FIELDS.get(field.model, [facet.value_field, facet.label_field])


def test_a_vocabulary_field_a_face_gains_comes_out_as_references(monkeypatch):
    """Showing a case's other economies in lists would be a change to the record's row alone."""
    gained = replace(records.BY_NAME["other_economies"], faces=frozenset({*records.FACES}))
    fields = tuple(gained if field.name == gained.name else field for field in FIELDS)
    monkeypatch.setattr(records, "FIELDS", fields)
    monkeypatch.setattr(records, "BY_NAME", {field.name: field for field in fields})
    declared = vocabulary_fields(records.API_LIST)._declared_fields
    assert list(declared) == vocabularies(records.API_LIST)
    assert isinstance(declared["other_economies"], ListSerializer)
    assert type(declared["other_economies"].child) is REF_SERIALIZERS[Economy]


def test_the_revision_history_names_the_terms_of_every_vocabulary_of_the_snapshot():
    assert {
        name: (records.BY_NAME[name].model, records.BY_NAME[name].value_field)
        for name in vocabularies(records.SNAPSHOT)
    } == VOCABULARY_KEYS
    assert VOCABULARY_KEYS["other_economies"] == (Economy, "iso2")
    assert VOCABULARY_KEYS["sdgs"][1] == "number"


def test_the_terms_of_a_cell_come_in_their_vocabularys_own_order():
    """The exports name a case's terms in the vocabulary snapshot's order, which is each model's own."""
    for field in FIELDS:
        if field.kind == records.TERMS:
            assert field.cell_order == tuple(field.model._meta.ordering), field.name


def test_case_reads_load_every_vocabulary_they_show():
    terms = {field.name for field in FIELDS if field.kind == records.TERMS}
    assert set(CaseStudy.objects.for_detail()._vocabulary_relations) == terms
    listed = CaseStudyViewSet(action="list").get_queryset()._vocabulary_relations
    assert set(listed) >= {name for name in vocabularies(records.API_LIST) if name in terms}


# --- Outcomes are described once ---------------------------------------------------------------------


def test_every_face_gives_an_outcomes_values_in_the_records_order(client, full_case):
    assert list(records.to_record(full_case)["outcomes"][0]) == records.OUTCOME_KEYS
    assert list(records.to_snapshot(full_case)["outcomes"][0]) == records.OUTCOME_KEYS
    assert list(OutcomeSerializer().fields) == records.OUTCOME_KEYS
    assert list(client.get(f"{API}/cases/full/").json()["outcomes"][0]) == records.OUTCOME_KEYS
    assert records.OUTCOME_NUMBERS == ["value", "baseline"]

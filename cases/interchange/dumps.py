"""Open data (issue 17): the published catalogue written as dated, immutable files, with a Frictionless
Data Package that describes them and checksums that prove them (docs/open-data.md).

One dump is a folder `<YYYY-MM-DD>/` of the open-data storage (STORAGES["opendata"]: a folder on disk by
default, a key prefix in an S3 bucket with OPEN_DATA_STORAGE_BACKEND=s3), served as `latest/` too while it
is the newest complete one (nothing is copied):

- `cases.csv.gz`: one row per published case, the columns of the library's CSV export (cases/records.py,
  the CSV face: its codebook is the same); `cases.jsonl.gz`: the same records as JSON objects, several
  values as arrays; `cases.parquet`: the same records as typed Parquet columns (integers, dates, times,
  text), several values as lists of text, one row group per chunk of cases;
- one CSV per vocabulary (economies, sectors, themes, facets, SDGs) and per link table (a case's
  sectors, themes, facets, SDGs, other economies, outcomes, and its links to other published cases);
- `datapackage.json` (Data Package v2: each table's schema with types, primary and foreign keys, and each
  file's bytes and SHA-256) and `SHA256SUMS`.

Only published cases, and of them only what their public pages show: no draft, no unpublished
translation, no link to an unpublished case. The case text is the original's (its `language` column).
Written in constant memory: cases are read in chunks (a server-side cursor) and compressed as they come.
TABLES says what each file holds; the data page and its codebook read it too.
"""

import csv
import gzip
import hashlib
import io
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from itertools import batched
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.db import connection, transaction
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override
from rest_framework.utils.encoders import JSONEncoder

from cases import records
from cases.interchange.exporting import CHUNK_SIZE, csv_record, neutralise
from cases.models import (
    SDG,
    CaseLink,
    CaseMethod,
    CaseOrganisation,
    CaseStudy,
    CaseToolkit,
    Complexity,
    Discipline,
    Duration,
    Economy,
    InnovationFacet,
    Level,
    LinkRelation,
    Method,
    MethodPurpose,
    MethodRole,
    Organisation,
    OrganisationRole,
    OrganisationType,
    Outcome,
    Purpose,
    Sector,
    Stage,
    Theme,
    Toolkit,
    ToolkitKind,
    ToolkitLanguage,
    ToolkitPurpose,
)
from cases.models.translations import CONTENT_LANGUAGES
from observatory.postgresql.base import long_running

STORAGE = "opendata"
LATEST = "latest"  # in addresses: the newest complete dump (latest_day)
DATAPACKAGE = "datapackage.json"
CHECKSUMS = "SHA256SUMS"
DATASET_NAME = "apo-public-sector-innovation-cases"
LICENCE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 International",
}

# Table Schema types of the case record's kinds (cases/records.py).
_TYPES = {
    records.ID: {"type": "integer"},
    records.TEXT: {"type": "string"},
    records.CHOICE: {"type": "string"},
    records.YEAR: {"type": "integer"},
    records.DATE: {"type": "date"},
    records.FLAG: {"type": "boolean"},
    records.MOMENT: {"type": "datetime", "format": "any"},
    records.ECONOMY: {"type": "string"},
    records.ECONOMY_NAME: {"type": "string"},
    records.TERMS: {"type": "list", "delimiter": records.CSV_SEPARATOR, "itemType": "string"},
    records.PAGE_URL: {"type": "string", "format": "uri"},
    records.API_URL: {"type": "string", "format": "uri"},
    records.SHOWN_LANGUAGE: {"type": "string"},
}
_CHOICES = {
    "organisation_type": OrganisationType,
    "level": Level,
    "stage": Stage,
    "original_language": None,  # the content languages (CONTENT_LANGUAGES)
}


@dataclass(frozen=True)
class Table:
    """One file of a dump: its name, what it holds, its columns (Table Schema fields) and keys, and where
    its rows come from."""

    name: str
    title: str
    fields: list[dict]
    rows: Callable[[], Iterator[list]] | None = None  # None: the cases, written by _write_cases
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: list[dict] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return [each["name"] for each in self.fields]

    def schema(self) -> dict:
        schema = {"fields": [_plain(each) for each in self.fields]}
        if self.primary_key:
            schema["primaryKey"] = self.primary_key
        if self.foreign_keys:
            schema["foreignKeys"] = self.foreign_keys
        return schema


def _plain(column: dict) -> dict:
    """A column as JSON holds it: its translatable texts as text (in the language active)."""
    return {key: str(value) if key in ("title", "description") else value for key, value in column.items()}


def _case_fields() -> list[dict]:
    fields = []
    for name in records.CSV_COLUMNS:
        record_field = records.BY_NAME[name]
        described = {"name": name, **_TYPES[record_field.kind]}
        described["title"] = record_field.label or CaseStudy._meta.get_field(name).verbose_name
        if record_field.help_text:
            described["description"] = record_field.help_text
        choices = _CHOICES.get(name, False)
        if choices is None:
            described["constraints"] = {"enum": list(CONTENT_LANGUAGES)}
        elif choices:
            described["constraints"] = {"enum": list(choices.values)}
        if record_field.required:
            described.setdefault("constraints", {})["required"] = True
        fields.append(described)
    return fields


# Arrow types of the Table Schema types the cases use (_TYPES above), for cases.parquet.
def _arrow_type(column: dict):
    import pyarrow as pa

    return {
        "integer": pa.int64(),
        "string": pa.string(),
        "date": pa.date32(),
        "boolean": pa.bool_(),
        "datetime": pa.timestamp("us", tz="UTC"),
        "list": pa.list_(pa.string()),
    }[column["type"]]


def _arrow_schema(table: Table):
    """The Parquet schema of a table: its columns, typed, nullable unless the table requires them."""
    import pyarrow as pa

    return pa.schema(
        pa.field(each["name"], _arrow_type(each), nullable=not each.get("constraints", {}).get("required"))
        for each in table.fields
    )


def _published():
    return CaseStudy.objects.published()


def _published_ids():
    return _published().values("pk")


def _term_rows(relation: str, value: str) -> Callable[[], Iterator[list]]:
    through = getattr(CaseStudy, relation).through
    case_column = "casestudy_id"
    term = getattr(CaseStudy, relation).field.related_model._meta.model_name

    def rows():
        links = (
            through.objects.filter(**{f"{case_column}__in": _published_ids()})
            .order_by(case_column, f"{term}__{value}")
            .values_list(case_column, f"{term}__{value}")
        )
        yield from links.iterator(chunk_size=5000)

    return rows


def _vocabulary_rows(model, columns: list[str], order: str) -> Callable[[], Iterator[list]]:
    def rows():
        yield from model.objects.order_by(order).values_list(*columns).iterator()

    return rows


def _outcome_rows():
    outcomes = (
        Outcome.objects.filter(case__in=_published_ids())
        .order_by("case_id", "position", "id")
        .values_list("case_id", "position", "indicator", "value", "unit", "baseline", "date", "source_url")
    )
    decimal = records.decimal_text
    for case_id, position, indicator, value, unit, baseline, day, url in outcomes.iterator(chunk_size=5000):
        yield [case_id, position, indicator, decimal(value), unit, decimal(baseline), day, url]


def _link_rows():
    links = (
        CaseLink.objects.filter(from_case__in=_published_ids(), to_case__in=_published_ids())
        .order_by("from_case_id", "relation", "to_case_id")
        .values_list("from_case_id", "relation", "to_case_id", "note")
    )
    yield from links.iterator(chunk_size=5000)


# Methods, toolkits and organisations (issue 18): published methods and toolkits, organisations named by a
# published case, and the links of published cases to them (never to a draft method or toolkit).
def _published_methods():
    return Method.objects.published()


def _published_toolkits():
    return Toolkit.objects.published()


def _public_organisations():
    return Organisation.objects.public()


def _entry_rows(entries: Callable, columns: list[str], order: str) -> Callable[[], Iterator[list]]:
    def rows():
        yield from entries().order_by(order).values_list(*columns).iterator(chunk_size=5000)

    return rows


def _value_rows(model, owner: str, value: str, owners: Callable) -> Callable[[], Iterator[list]]:
    """(owner slug, value) rows of a list kept in rows (purposes, languages), for published owners."""

    def rows():
        values = (
            model.objects.filter(**{f"{owner}__in": owners()})
            .order_by(f"{owner}__slug", value)
            .values_list(f"{owner}__slug", value)
        )
        yield from values.iterator(chunk_size=5000)

    return rows


def _toolkit_method_rows():
    through = Toolkit.methods.through
    links = (
        through.objects.filter(toolkit__in=_published_toolkits(), method__in=_published_methods())
        .order_by("toolkit__slug", "method__slug")
        .values_list("toolkit__slug", "method__slug")
    )
    yield from links.iterator(chunk_size=5000)


def _case_entry_rows(model, entry: str, entries: Callable, columns: list[str]) -> Callable:
    def rows():
        links = (
            model.objects.filter(case__in=_published_ids(), **{f"{entry}__in": entries()})
            .order_by("case_id", "position", "id")
            .values_list("case_id", f"{entry}__slug", *columns)
        )
        yield from links.iterator(chunk_size=5000)

    return rows


def _ref(column: str, resource: str, key: str = "slug") -> dict:
    return {"fields": [column], "reference": {"resource": resource, "fields": [key]}}


def _case_key(name="case_id") -> dict:
    return {"name": name, "type": "integer", "constraints": {"required": True}}


def _to_cases(column="case_id") -> dict:
    return {"fields": [column], "reference": {"resource": "cases", "fields": ["id"]}}


def _term_table(relation: str, column: str, vocabulary: str, key: str, title, kind: str = "string") -> Table:
    return Table(
        name=f"case_{relation}",
        title=title,
        fields=[_case_key(), {"name": column, "type": kind, "constraints": {"required": True}}],
        rows=_term_rows(relation, key),
        primary_key=["case_id", column],
        foreign_keys=[
            _to_cases(),
            {"fields": [column], "reference": {"resource": vocabulary, "fields": [key]}},
        ],
    )


def tables() -> list[Table]:
    """Every table of a dump, the cases first."""
    text = {"type": "string"}
    return [
        Table("cases", _("Published case studies"), _case_fields(), primary_key=["id"],
              foreign_keys=[{"fields": ["economy"], "reference": {"resource": "economies",
                                                                  "fields": ["iso2"]}}]),
        Table("economies", _("Economies"), [
            {"name": "iso2", **text, "title": _("ISO 3166-1 alpha-2 code")},
            {"name": "iso3", **text, "title": _("ISO 3166-1 alpha-3 code")},
            {"name": "slug", **text},
            {"name": "name", **text},
            {"name": "region_code", **text, "title": _("UN M49 region code")},
            {"name": "region_name", **text, "title": _("UN M49 region")},
            {"name": "subregion_code", **text, "title": _("UN M49 sub-region code")},
            {"name": "subregion_name", **text, "title": _("UN M49 sub-region")},
            {"name": "is_apo_member", "type": "boolean", "title": _("Member of the APO")},
            {"name": "apo_joined_year", "type": "integer", "title": _("Year it joined the APO")},
        ], _vocabulary_rows(Economy, ["iso2", "iso3", "slug", "name", "region_code", "region_name",
                                      "subregion_code", "subregion_name", "is_apo_member", "apo_joined_year"],
                            "iso2"), primary_key=["iso2"]),
        Table("sectors", _("Sectors of government (with their COFOG division)"), [
            {"name": "slug", **text}, {"name": "name", **text}, {"name": "description", **text},
            {"name": "cofog_division", "type": "integer", "title": _("UN COFOG division")},
        ], _vocabulary_rows(Sector, ["slug", "name", "description", "cofog_division"], "slug"),
            primary_key=["slug"]),
        Table("themes", _("Innovation themes"), [
            {"name": "slug", **text}, {"name": "name", **text}, {"name": "description", **text},
        ], _vocabulary_rows(Theme, ["slug", "name", "description"], "slug"), primary_key=["slug"]),
        Table("facets", _("Innovation facets"), [
            {"name": "slug", **text}, {"name": "name", **text}, {"name": "description", **text},
        ], _vocabulary_rows(InnovationFacet, ["slug", "name", "description"], "slug"), primary_key=["slug"]),
        Table("sdgs", _("The 17 Sustainable Development Goals"), [
            {"name": "number", "type": "integer"}, {"name": "name", **text},
        ], _vocabulary_rows(SDG, ["number", "name"], "number"), primary_key=["number"]),
        _term_table("sectors", "sector", "sectors", "slug", _("The sectors of each case")),
        _term_table("themes", "theme", "themes", "slug", _("The themes of each case")),
        _term_table("facets", "facet", "facets", "slug", _("The innovation facets of each case")),
        _term_table("sdgs", "sdg", "sdgs", "number", _("The goals each case serves"), kind="integer"),
        _term_table("other_economies", "economy", "economies", "iso2", _("The other economies of each case")),
        Table("outcomes", _("Measured outcomes of each case"), [
            _case_key(), {"name": "position", "type": "integer"}, {"name": "indicator", **text},
            {"name": "value", "type": "number"}, {"name": "unit", **text},
            {"name": "baseline", "type": "number"},
            {"name": "date", "type": "date"}, {"name": "source_url", **text, "format": "uri"},
        ], _outcome_rows, foreign_keys=[_to_cases()]),
        Table("case_links", _("Typed links between published cases"), [
            _case_key(),
            {"name": "relation", **text, "constraints": {"enum": list(LinkRelation.values)}},
            _case_key("other_case_id"), {"name": "note", **text},
        ], _link_rows, primary_key=["case_id", "relation", "other_case_id"],
            foreign_keys=[_to_cases(), _to_cases("other_case_id")]),
        Table("methods", _("Published methods of public-sector innovation"), [
            {"name": "slug", **text, "constraints": {"required": True}}, {"name": "name", **text},
            {"name": "summary", **text}, {"name": "description", **text, "description": _("Markdown.")},
            {"name": "discipline", **text, "constraints": {"enum": list(Discipline.values)}},
            {"name": "typical_duration", **text, "constraints": {"enum": ["", *Duration.values]}},
            {"name": "participants", **text},
            {"name": "complexity", **text, "constraints": {"enum": ["", *Complexity.values]}},
            {"name": "steps", **text}, {"name": "strengths", **text}, {"name": "pitfalls", **text},
            {"name": "sources", **text}, {"name": "published_at", "type": "datetime"},
            {"name": "updated_at", "type": "datetime"},
        ], _entry_rows(_published_methods, ["slug", "name", "summary", "description", "discipline",
                                            "typical_duration", "participants", "complexity", "steps",
                                            "strengths", "pitfalls", "sources", "published_at", "updated_at"],
                       "slug"), primary_key=["slug"]),
        Table("method_purposes", _("What each method is good for"), [
            {"name": "method", **text, "constraints": {"required": True}},
            {"name": "purpose", **text, "constraints": {"enum": list(Purpose.values)}},
        ], _value_rows(MethodPurpose, "method", "purpose", _published_methods),
            primary_key=["method", "purpose"],
            foreign_keys=[_ref("method", "methods")]),
        Table("toolkits", _("Published toolkits: guides, handbooks, templates and courses"), [
            {"name": "slug", **text, "constraints": {"required": True}}, {"name": "title", **text},
            {"name": "summary", **text}, {"name": "description", **text, "description": _("Markdown.")},
            {"name": "kind", **text, "constraints": {"enum": list(ToolkitKind.values)}},
            {"name": "publisher", **text}, {"name": "year", "type": "integer"},
            {"name": "discipline", **text, "constraints": {"enum": list(Discipline.values)}},
            {"name": "licence", **text}, {"name": "reuse_terms", **text},
            {"name": "url", **text, "format": "uri"}, {"name": "published_at", "type": "datetime"},
            {"name": "updated_at", "type": "datetime"},
        ], _entry_rows(_published_toolkits, ["slug", "title", "summary", "description", "kind", "publisher",
                                             "year", "discipline", "licence", "reuse_terms", "url",
                                             "published_at", "updated_at"], "slug"), primary_key=["slug"]),
        Table("toolkit_purposes", _("What each toolkit is good for"), [
            {"name": "toolkit", **text, "constraints": {"required": True}},
            {"name": "purpose", **text, "constraints": {"enum": list(Purpose.values)}},
        ], _value_rows(ToolkitPurpose, "toolkit", "purpose", _published_toolkits),
            primary_key=["toolkit", "purpose"],
            foreign_keys=[_ref("toolkit", "toolkits")]),
        Table("toolkit_languages", _("The languages each toolkit is published in"), [
            {"name": "toolkit", **text, "constraints": {"required": True}},
            {"name": "language", **text, "constraints": {"enum": list(CONTENT_LANGUAGES)}},
        ], _value_rows(ToolkitLanguage, "toolkit", "language", _published_toolkits),
            primary_key=["toolkit", "language"],
            foreign_keys=[_ref("toolkit", "toolkits")]),
        Table("toolkit_methods", _("The methods each toolkit supports"), [
            {"name": "toolkit", **text, "constraints": {"required": True}},
            {"name": "method", **text, "constraints": {"required": True}},
        ], _toolkit_method_rows, primary_key=["toolkit", "method"],
            foreign_keys=[_ref("toolkit", "toolkits"),
                          _ref("method", "methods")]),
        Table("organisations", _("Organisations named by published cases"), [
            {"name": "slug", **text, "constraints": {"required": True}}, {"name": "name", **text},
            {"name": "kind", **text, "constraints": {"enum": list(OrganisationType.values)}},
            {"name": "economy", **text},
            {"name": "level", **text, "constraints": {"enum": ["", *Level.values]}},
            {"name": "website", **text},
        ], _entry_rows(_public_organisations, ["slug", "name", "kind", "economy__iso2", "level", "website"],
                       "slug"), primary_key=["slug"],
            foreign_keys=[_ref("economy", "economies", "iso2")]),
        Table("case_methods", _("The methods each case used"), [
            _case_key(), {"name": "method", **text, "constraints": {"required": True}},
            {"name": "role", **text, "constraints": {"enum": list(MethodRole.values)}},
            {"name": "note", **text},
        ], _case_entry_rows(CaseMethod, "method", _published_methods, ["role", "note"]),
            primary_key=["case_id", "method"],
            foreign_keys=[_to_cases(), _ref("method", "methods")]),
        Table("case_toolkits", _("The toolkits each case drew on"), [
            _case_key(), {"name": "toolkit", **text, "constraints": {"required": True}},
            {"name": "note", **text},
        ], _case_entry_rows(CaseToolkit, "toolkit", _published_toolkits, ["note"]),
            primary_key=["case_id", "toolkit"],
            foreign_keys=[_to_cases(), _ref("toolkit", "toolkits")]),
        Table("case_organisations", _("The lead and partner organisations of each case"), [
            _case_key(), {"name": "organisation", **text, "constraints": {"required": True}},
            {"name": "role", **text, "constraints": {"enum": list(OrganisationRole.values)}},
        ], _case_entry_rows(CaseOrganisation, "organisation", _public_organisations, ["role"]),
            primary_key=["case_id", "organisation"],
            foreign_keys=[_to_cases(), _ref("organisation", "organisations")]),
    ]  # fmt: skip


CASE_FILES = ["cases.csv.gz", "cases.jsonl.gz", "cases.parquet"]
PARQUET_MEDIA_TYPE = "application/vnd.apache.parquet"


def file_names() -> list[str]:
    """The names of every file a dump writes, in the order of its package (then the two of its own)."""
    tabular = [*CASE_FILES, *(f"{table.name}.csv" for table in tables()[1:])]
    return [*tabular, DATAPACKAGE, CHECKSUMS]


# --- Writing ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrittenFile:
    name: str
    path: Path
    bytes: int
    sha256: str
    rows: int


@dataclass(frozen=True)
class Dump:
    day: date
    files: list[WrittenFile]
    cases: int
    skipped: bool = False  # a dump of that day existed: nothing was written


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _finished(path: Path, name: str, rows: int) -> WrittenFile:
    return WrittenFile(name, path, path.stat().st_size, _digest(path), rows)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _write_table(folder: Path, table: Table) -> WrittenFile:
    path = folder / f"{table.name}.csv"
    rows = 0
    # Text a spreadsheet would run as a formula gets an apostrophe, as in cases.csv.gz; numbers never do.
    text = [each["type"] == "string" for each in table.fields]
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(table.columns)
        for row in table.rows():
            writer.writerow(
                [neutralise(v) if is_text else _cell(v) for v, is_text in zip(row, text, strict=True)]
            )
            rows += 1
    return _finished(path, path.name, rows)


def _write_cases(folder: Path, progress=None) -> list[WrittenFile]:
    """cases.csv.gz (the rows of the library's CSV export), cases.jsonl.gz and cases.parquet, in one pass
    over the cases."""
    # Imported here, not at the top: every web process imports this module (the data page reads tables()),
    # and only the writer needs pyarrow's sizeable libraries.
    import pyarrow as pa
    import pyarrow.parquet as pq

    cases = _published().order_by("pk")
    total = cases.count()
    csv_path, jsonl_path, parquet_path = (folder / name for name in CASE_FILES)
    urls = records.CaseUrls(settings.SITE_URL)
    terms = [name for name in records.CSV_COLUMNS if records.BY_NAME[name].kind == records.TERMS]
    parquet_schema = _arrow_schema(tables()[0])
    done = 0
    # mtime=0: the same catalogue gives the same bytes, so the same checksum.
    with (
        csv_path.open("wb") as csv_raw,
        gzip.GzipFile(fileobj=csv_raw, mode="wb", mtime=0) as csv_packed,
        io.TextIOWrapper(csv_packed, encoding="utf-8", newline="") as csv_text,
        jsonl_path.open("wb") as jsonl_raw,
        gzip.GzipFile(fileobj=jsonl_raw, mode="wb", mtime=0) as jsonl_packed,
        # Its bytes depend only on the rows and pyarrow's version (its `created_by`): no time is written.
        # Text as it is, not neutralised as in the CSV: no spreadsheet opens a Parquet file.
        pq.ParquetWriter(parquet_path, parquet_schema, compression="zstd") as parquet,
    ):
        writer = csv.writer(csv_text)
        writer.writerow(records.CSV_COLUMNS)
        for chunk in batched(cases.select_related("economy").iterator(chunk_size=CHUNK_SIZE), CHUNK_SIZE):
            related = records.Related([case.pk for case in chunk])
            columns = {name: [] for name in records.CSV_COLUMNS}
            for case in chunk:
                writer.writerow(csv_record(case, related, urls))
                values = dict(
                    zip(records.CSV_COLUMNS, records.to_csv_values(case, related, urls), strict=True)
                )
                for name in terms:
                    values[name] = list(related.terms[name].get(case.pk, ()))
                jsonl_packed.write((json.dumps(values, cls=JSONEncoder, ensure_ascii=False) + "\n").encode())
                for name, value in values.items():
                    # A list's items as text, as the schema says (itemType) and the CSV writes them.
                    columns[name].append([str(each) for each in value] if name in terms else value)
            # One row group per chunk: only a chunk's rows are ever held, whatever the catalogue's size.
            parquet.write_table(pa.table(columns, schema=parquet_schema), row_group_size=CHUNK_SIZE)
            done += len(chunk)
            if progress:
                progress(done, total)
    return [_finished(path, path.name, total) for path in (csv_path, jsonl_path, parquet_path)]


def datapackage(day: date, files: dict[str, WrittenFile]) -> dict:
    """The Data Package (v2) describing a dump's files."""
    resources = []
    for table in tables():
        names = CASE_FILES if table.name == "cases" else [f"{table.name}.csv"]
        for name in names:
            written = files[name]
            if name.endswith(".parquet"):
                resources.append(_parquet_resource(table, name, written))
                continue
            jsonl = name.endswith(".jsonl.gz")
            resource = {
                "name": f"{table.name}-jsonl" if jsonl else table.name,
                "type": "table",
                "path": name,
                "title": str(table.title) + (" (JSON Lines)" if jsonl else ""),
                "format": "jsonl" if jsonl else "csv",
                "mediatype": "application/jsonl" if jsonl else "text/csv",
                "encoding": "utf-8",
                "bytes": written.bytes,
                "hash": f"sha256:{written.sha256}",
                "schema": table.schema()
                if not jsonl
                else {"fields": [_plain(each) for each in _jsonl_fields(table)]},
            }
            if name.endswith(".gz"):
                resource["compression"] = "gz"
            resources.append(resource)
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": DATASET_NAME,
        "title": settings.OPEN_DATA_TITLE,
        "description": settings.OPEN_DATA_DESCRIPTION,
        # No `created`: the version (the day) says when, and the same catalogue on the same day gives the
        # same package, byte for byte, so SHA256SUMS is the same too.
        "version": day.isoformat(),
        "homepage": f"{settings.SITE_URL}/data/",
        "licenses": [LICENCE],
        "contributors": [{"title": settings.OPEN_DATA_PUBLISHER, "roles": ["publisher"]}],
        "keywords": ["public sector innovation", "case studies", "government", "Asia-Pacific"],
        "resources": resources,
    }


def _parquet_resource(table: Table, name: str, written: WrittenFile) -> dict:
    """The Parquet file's resource: binary, so no encoding; its several values are lists, as in JSON Lines."""
    return {
        "name": f"{table.name}-parquet",
        "type": "table",
        "path": name,
        "title": f"{table.title} (Parquet)",
        "format": "parquet",
        "mediatype": PARQUET_MEDIA_TYPE,
        "bytes": written.bytes,
        "hash": f"sha256:{written.sha256}",
        "schema": {"fields": [_plain(each) for each in _jsonl_fields(table)]},
    }


def _jsonl_fields(table: Table) -> list[dict]:
    """The cases' fields in JSON Lines: several values are arrays there, not cells with a delimiter."""
    fields = []
    for each in table.fields:
        if each["type"] == "list":
            each = {key: value for key, value in each.items() if key not in ("delimiter", "itemType")}
            each["type"] = "array"
        fields.append(each)
    return fields


class DumpRefused(ValueError):
    """A dump that cannot be written as asked (a day still to come)."""


# The advisory lock a writer of dumps holds (PostgreSQL): the command, the task and the admin's button never
# write at the same time.
WRITER_LOCK = 0x0B5_D0A7A


def write_dump(*, day: date | None = None, force: bool = False, progress=None, say=None) -> Dump:
    """Write the dump of `day` (today by default); skipped when that day's exists, unless `force` (after a
    take-down: the day's dump is replaced whole), and when another writer is at work. `progress(done,
    total)` follows the cases; `say(text)` each file written.

    A dump is complete once its datapackage.json is stored, which is written last (and, when replacing,
    removed first): a reader never takes a half-written folder for a dump, and `latest` is the newest
    complete one (latest_day). Every table is read in one transaction (REPEATABLE READ on PostgreSQL), so
    the files agree with each other however the catalogue changes meanwhile."""
    today = timezone.localdate()
    day = day or today
    if day > today:
        raise DumpRefused(f"{day} is still to come: a dump holds the catalogue as it is, on its day at most.")
    storage = storages[STORAGE]
    folder_name = day.isoformat()
    if storage.exists(f"{folder_name}/{DATAPACKAGE}") and not force:
        return Dump(day, [], 0, skipped=True)
    with tempfile.TemporaryDirectory(prefix="observatory-dump-") as work, _one_writer() as alone:
        if not alone:
            return Dump(day, [], 0, skipped=True)
        folder = Path(work)
        snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
        with transaction.atomic(), override(settings.LANGUAGE_CODE):  # labels in the catalogue's language
            if snapshot:  # (inside a caller's transaction, that transaction's view is the snapshot)
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            files = _write_cases(folder, progress)
            cases_csv = files[0]
            if say:
                say(f"cases: {cases_csv.rows:,} rows")
            for table in tables()[1:]:
                written = _write_table(folder, table)
                files.append(written)
                if say:
                    say(f"{table.name}: {written.rows:,} rows")
            by_name = {each.name: each for each in files}
            package = folder / DATAPACKAGE
            package.write_text(json.dumps(datapackage(day, by_name), indent=2, ensure_ascii=False) + "\n")
            files.append(_finished(package, DATAPACKAGE, 0))
        sums = folder / CHECKSUMS
        sums.write_text("".join(f"{each.sha256}  {each.name}\n" for each in files))
        files.append(_finished(sums, CHECKSUMS, 0))
        marker = f"{folder_name}/{DATAPACKAGE}"
        if storage.exists(marker):
            storage.delete(marker)  # incomplete from here until the new one is stored
        for each in sorted(files, key=lambda each: each.name == DATAPACKAGE):
            name = f"{folder_name}/{each.name}"
            if storage.exists(name):
                storage.delete(name)
            with each.path.open("rb") as stream:
                stored = storage.save(name, File(stream, name=each.name))
            if stored != name:
                raise RuntimeError(f"The open-data storage kept {name} as {stored}: another writer?")
    return Dump(day, files, cases_csv.rows)


@contextmanager
def _one_writer():
    """Whether this writer is the only one (PostgreSQL's advisory lock; elsewhere, always)."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [WRITER_LOCK])
        (alone,) = cursor.fetchone()
    try:
        yield alone
    finally:
        if alone:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [WRITER_LOCK])


def latest_day() -> date | None:
    """The day of the newest complete dump: what /data/latest/ serves."""
    days = dump_days()
    return days[0] if days else None


# --- Keeping ------------------------------------------------------------------------------------------


def dump_days() -> list[date]:
    """The days of the complete dumps kept, newest first."""
    storage = storages[STORAGE]
    # Not `exists("")`: object storage has no folders, only key prefixes, so there the root never "exists"
    # (and an empty key is refused), whereas listing a prefix that holds nothing just lists nothing.
    try:
        folders, _files = storage.listdir("")
    except FileNotFoundError:  # on disk: no dump written yet, so not even the folder
        return []
    days = []
    for folder in folders:
        try:
            day = date.fromisoformat(folder)
        except ValueError:
            continue
        if storage.exists(f"{folder}/{DATAPACKAGE}"):
            days.append(day)
    return sorted(days, reverse=True)


def days_to_keep(days: list[date], *, daily: int, monthly: int) -> set[date]:
    """The rule of docs/open-data.md: the `daily` newest dumps, and the newest of each of the `monthly`
    newest months that have one."""
    ordered = sorted(days, reverse=True)
    keep = set(ordered[:daily])
    months = []
    for day in ordered:
        month = (day.year, day.month)
        if month not in months:
            months.append(month)
            if len(months) <= monthly:
                keep.add(day)
    return keep


def prune_dumps() -> list[date]:
    """Delete the dumps the rule does not keep; returns their days."""
    storage = storages[STORAGE]
    days = dump_days()
    keep = days_to_keep(days, daily=settings.OPEN_DATA_KEEP_DAILY, monthly=settings.OPEN_DATA_KEEP_MONTHLY)
    removed = []
    for day in days:
        if day in keep:
            continue
        _folders, names = storage.listdir(day.isoformat())
        for name in sorted(names, key=lambda name: name != DATAPACKAGE):  # no longer complete, first
            storage.delete(f"{day.isoformat()}/{name}")
        removed.append(day)
    return removed


@task
def write_open_data(force: bool = False) -> dict:
    """The daily dump (docs/open-data.md), as a task for the worker: today's dump (written again when
    `force`: a curator's request from the admin), then the keeping rule."""
    with long_running():
        dump = write_dump(force=force)
        removed = prune_dumps()
    return {"day": dump.day.isoformat(), "cases": dump.cases, "skipped": dump.skipped, "pruned": len(removed)}

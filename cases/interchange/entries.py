"""Methods, toolkits and the methods each case used, read from JSON files and checked before anything is
written (issue 18: the demo's cases/fixtures/demo/methods.json, toolkits.json and case-methods.json).

Reading is all this module does: it turns the files into records whose every value has been checked against
the models' own fields and choices, and whose references (a toolkit's methods, a case's methods and
toolkits) all resolve. A bad value is an EntryRecordError naming the file, the record's slug and the field,
so a curator can find it at once. Writing, with history, is the services' (cases.services.entry_save and
case_methods_set), called by the management command once every file has been read without a problem.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug

from cases.models import CaseMethod, Method, MethodRole, Purpose, Toolkit
from cases.models.translations import CONTENT_LANGUAGES

# The keys a record may have besides its model's columns: lists kept in rows of their own.
METHOD_LISTS = ("purposes",)
TOOLKIT_LISTS = ("purposes", "languages", "methods")
# Columns a file never sets: the workflow's dates and people, and the link check's findings.
NOT_FROM_FILES = {
    "created_at",
    "updated_at",
    "published_at",
    "created_by",
    "updated_by",
    "published_by",
    "link_state",
    "link_checked_at",
    "link_error",
}


class EntryRecordError(Exception):
    """One bad value in one record of one file: says where, so it can be fixed there."""

    def __init__(self, file: str, slug: str, field_name: str, problem: str):
        self.file, self.slug, self.field, self.problem = file, slug, field_name, problem
        super().__init__(f"{file}, record “{slug}”, field “{field_name}”: {problem}")


@dataclass
class EntryRecord:
    """A method or a toolkit as a file describes it: its columns, and its lists of values."""

    slug: str
    columns: dict
    purposes: list[str]
    languages: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)  # a toolkit's methods, by slug


@dataclass
class CaseMethodsRecord:
    case: str
    methods: list[dict]  # {"method": slug, "role": ..., "note": ...}, in order
    toolkits: list[dict]  # {"toolkit": slug, "note": ...}, in order


def editable_columns(model) -> dict:
    """The columns of `model` a file sets, by name."""
    return {
        column.name: column
        for column in model._meta.concrete_fields
        if not column.primary_key and not column.is_relation and column.name not in NOT_FROM_FILES
    }


def _load_list(path: Path) -> list:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EntryRecordError(path.name, "-", "-", "the file is missing") from None
    except json.JSONDecodeError as error:
        raise EntryRecordError(path.name, "-", "-", f"not valid JSON ({error})") from None
    if not isinstance(data, list):
        raise EntryRecordError(path.name, "-", "-", "the file must hold a JSON array of records")
    return data


def _string_list(file: str, slug: str, name: str, value, allowed=None) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise EntryRecordError(file, slug, name, "must be a list of strings")
    if len(set(value)) != len(value):
        raise EntryRecordError(file, slug, name, "names a value twice")
    if allowed is not None:
        unknown = [item for item in value if item not in allowed]
        if unknown:
            raise EntryRecordError(
                file, slug, name, f"unknown value(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}"
            )
    return list(value)


def _record_slug(file: str, position: int, record) -> str:
    if not isinstance(record, dict):
        raise EntryRecordError(file, f"item {position}", "-", "each record must be a JSON object")
    slug = record.get("slug")
    if not isinstance(slug, str) or not slug:
        raise EntryRecordError(file, f"item {position}", "slug", "missing")
    try:
        validate_slug(slug)
    except ValidationError:
        raise EntryRecordError(file, slug, "slug", "use only lowercase letters, digits and hyphens") from None
    return slug


def _checked_columns(file: str, slug: str, model, record: dict, lists: tuple[str, ...]) -> dict:
    """The record's columns, converted and validated by the model's own fields (lengths, choices, URLs,
    the year's range), without touching the database."""
    columns = editable_columns(model)
    unknown = sorted(set(record) - set(columns) - set(lists))
    if unknown:
        raise EntryRecordError(file, slug, unknown[0], "not a field of this record")
    values = {}
    for name, column in columns.items():
        if name not in record:
            if not column.blank:
                raise EntryRecordError(file, slug, name, "missing")
            continue
        value = record[name]
        if value is None and not column.null:
            raise EntryRecordError(file, slug, name, "may not be null")
        try:
            values[name] = column.clean(value, None)
        except ValidationError as error:
            raise EntryRecordError(file, slug, name, " ".join(error.messages)) from None
    return values


def _read_entries(path: Path, model, lists: tuple[str, ...]) -> list[dict]:
    file = path.name
    read, seen = [], set()
    for position, record in enumerate(_load_list(path), start=1):
        slug = _record_slug(file, position, record)
        if slug in seen:
            raise EntryRecordError(file, slug, "slug", "used by another record of this file")
        seen.add(slug)
        columns = _checked_columns(file, slug, model, record, lists)
        purposes = _string_list(file, slug, "purposes", record.get("purposes", []), Purpose.values)
        if not purposes:
            raise EntryRecordError(file, slug, "purposes", "name at least one")
        read.append({"slug": slug, "columns": columns, "purposes": purposes, "record": record})
    return read


def read_methods(path: Path) -> list[EntryRecord]:
    """The methods of a file (cases/fixtures/demo/README.md describes its keys), checked."""
    return [
        EntryRecord(slug=item["slug"], columns=item["columns"], purposes=item["purposes"])
        for item in _read_entries(path, Method, METHOD_LISTS)
    ]


def read_toolkits(path: Path, method_slugs: set[str]) -> list[EntryRecord]:
    """The toolkits of a file, checked: their languages are content languages, their addresses https, and
    the methods they support are among `method_slugs`."""
    file, toolkits = path.name, []
    for item in _read_entries(path, Toolkit, TOOLKIT_LISTS):
        slug, record, columns = item["slug"], item["record"], item["columns"]
        if not columns["url"].startswith("https://"):
            raise EntryRecordError(file, slug, "url", "must be an https:// address")
        if not columns["publisher"].strip():
            raise EntryRecordError(file, slug, "publisher", "missing")
        if columns.get("year") is None:
            raise EntryRecordError(file, slug, "year", "missing")
        languages = _string_list(
            file, slug, "languages", record.get("languages", []), list(CONTENT_LANGUAGES)
        )
        if not languages:
            raise EntryRecordError(file, slug, "languages", "name at least one")
        methods = _string_list(file, slug, "methods", record.get("methods", []), sorted(method_slugs))
        toolkits.append(
            EntryRecord(
                slug=slug, columns=columns, purposes=item["purposes"], languages=languages, methods=methods
            )
        )
    return toolkits


def read_case_methods(
    path: Path, *, case_slugs: set[str], method_slugs: set[str], toolkit_slugs: set[str]
) -> list[CaseMethodsRecord]:
    """The methods and toolkits each case used, checked: every case among `case_slugs` appears once, with
    at least one method; every method and toolkit named exists; roles and notes fit the links' columns."""
    file, read = path.name, {}
    note_length = CaseMethod._meta.get_field("note").max_length
    for position, record in enumerate(_load_list(path), start=1):
        if not isinstance(record, dict) or not isinstance(record.get("case"), str):
            raise EntryRecordError(file, f"item {position}", "case", "missing")
        case = record["case"]
        if case not in case_slugs:
            raise EntryRecordError(file, case, "case", "no demo case has this slug")
        if case in read:
            raise EntryRecordError(file, case, "case", "listed twice")
        unknown = sorted(set(record) - {"case", "methods", "toolkits"})
        if unknown:
            raise EntryRecordError(file, case, unknown[0], "not a field of this record")
        methods = record.get("methods")
        if not isinstance(methods, list) or not methods:
            raise EntryRecordError(file, case, "methods", "name at least one method the case used")
        links = []
        for link in methods:
            slug = link.get("method") if isinstance(link, dict) else None
            if slug not in method_slugs:
                raise EntryRecordError(file, case, "methods", f"unknown method “{slug}”")
            role = link.get("role", MethodRole.PRIMARY)
            if role not in MethodRole.values:
                raise EntryRecordError(file, case, "methods", f"role of “{slug}” must be primary or also")
            note = link.get("note", "")
            if not isinstance(note, str) or len(note) > note_length:
                raise EntryRecordError(
                    file, case, "methods", f"note on “{slug}” is over {note_length} characters"
                )
            links.append({"method": slug, "role": role, "note": note})
        if len({link["method"] for link in links}) != len(links):
            raise EntryRecordError(file, case, "methods", "names a method twice")
        toolkits = []
        for link in record.get("toolkits") or []:
            slug = link.get("toolkit") if isinstance(link, dict) else None
            if slug not in toolkit_slugs:
                raise EntryRecordError(file, case, "toolkits", f"unknown toolkit “{slug}”")
            note = link.get("note", "")
            if not isinstance(note, str) or len(note) > note_length:
                raise EntryRecordError(
                    file, case, "toolkits", f"note on “{slug}” is over {note_length} characters"
                )
            toolkits.append({"toolkit": slug, "note": note})
        if len({link["toolkit"] for link in toolkits}) != len(toolkits):
            raise EntryRecordError(file, case, "toolkits", "names a toolkit twice")
        read[case] = CaseMethodsRecord(case=case, methods=links, toolkits=toolkits)
    missing = sorted(case_slugs - set(read))
    if missing:
        raise EntryRecordError(file, missing[0], "case", "this demo case names no method")
    return list(read.values())


@dataclass
class DemoEntries:
    methods: list[EntryRecord]
    toolkits: list[EntryRecord]
    case_methods: list[CaseMethodsRecord]


def read_demo_entries(folder: Path, *, case_slugs: set[str]) -> DemoEntries:
    """methods.json, toolkits.json and case-methods.json of `folder`, read and checked together, so that a
    problem in any of them is found before anything is written."""
    methods = read_methods(folder / "methods.json")
    method_slugs = {method.slug for method in methods}
    toolkits = read_toolkits(folder / "toolkits.json", method_slugs)
    case_methods = read_case_methods(
        folder / "case-methods.json",
        case_slugs=case_slugs,
        method_slugs=method_slugs,
        toolkit_slugs={toolkit.slug for toolkit in toolkits},
    )
    return DemoEntries(methods=methods, toolkits=toolkits, case_methods=case_methods)

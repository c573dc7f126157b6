"""The API's bulk exports.

Cases: CSV rows of the case record (cases/interchange/exporting.py) and JSON Lines holding the API's own case
representation, one case per line. Methods and toolkits (issue 18): JSON Lines holding their API records,
and CSV rows flattened from the same records (so the two never disagree), one entry per line or row.

Each reads the database a chunk at a time, with a fixed number of queries per chunk for what hangs off the
rows (a case's methods, toolkits and organisations; an entry's purposes, languages and links)."""

import csv
import json
from collections.abc import Iterator
from itertools import batched

from rest_framework.utils.encoders import JSONEncoder

from cases.api.entry_serializers import MethodDetailSerializer, ToolkitDetailSerializer, load_entry_lists
from cases.api.serializers import CaseDetailSerializer, case_entry_annotations, load_case_entries
from cases.interchange import exporting


def _json_line(record: dict) -> str:
    return json.dumps(record, cls=JSONEncoder, ensure_ascii=False) + "\n"


def _pieces(lines: Iterator[str]) -> Iterator[str]:
    """The lines joined into pieces of the streamed body, as exporting's own exports write them."""
    batch = []
    for line in lines:
        batch.append(line)
        if len(batch) >= exporting.ROWS_PER_WRITE:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def jsonl_lines(queryset, *, base_url: str, chunk_size: int = exporting.CHUNK_SIZE) -> Iterator[str]:
    """One JSON object per line per case of `queryset`, in its order: what GET /api/v1/cases/<slug>/
    gives for it, with addresses under `base_url`."""
    serializer = CaseDetailSerializer(context={"base_url": base_url})
    # For harvesters, each case with every published translation of its text (as ?lang=all gives).
    # And its methods, toolkits and organisations, as columns of the same query.
    cases = exporting.jsonl_queryset(
        queryset.with_published_translations().annotate(**case_entry_annotations())
    )

    def lines():
        for chunk in cases.in_chunks(chunk_size):
            load_case_entries(chunk)
            for case in chunk:
                yield _json_line(serializer.to_representation(case))

    return _pieces(lines())


# format -> (content type, the lines of a queryset under a base URL)
EXPORT_FORMATS = {
    "csv": (exporting.CSV_CONTENT_TYPE, exporting.csv_lines),
    "jsonl": (exporting.JSONL_CONTENT_TYPE, jsonl_lines),
}


# --- Methods and toolkits ---------------------------------------------------------------------------

# A CSV row's columns: the detail record's fields, the long Markdown texts last (a spreadsheet reader sees
# the short ones first).
METHOD_CSV_COLUMNS = [
    "id",
    "slug",
    "name",
    "summary",
    "url",
    "api_url",
    "discipline",
    "purposes",
    "typical_duration",
    "complexity",
    "participants",
    "toolkits",
    "case_count",
    "published_at",
    "updated_at",
    "description",
    "steps",
    "strengths",
    "pitfalls",
    "sources",
]
TOOLKIT_CSV_COLUMNS = [
    "id",
    "slug",
    "title",
    "summary",
    "url",
    "api_url",
    "kind",
    "publisher",
    "year",
    "discipline",
    "purposes",
    "languages",
    "licence",
    "reuse_terms",
    "link",
    "link_checked_at",
    "link_working",
    "methods",
    "case_count",
    "published_at",
    "updated_at",
    "description",
]
ENTRY_EXPORTS = {
    "method": (MethodDetailSerializer, METHOD_CSV_COLUMNS),
    "toolkit": (ToolkitDetailSerializer, TOOLKIT_CSV_COLUMNS),
}


def _cell(value) -> str:
    """A record's value as one CSV cell: a choice by its code, a list of choices or entries by their codes
    or slugs separated as the case export separates them, true/false, and nothing for null."""
    if isinstance(value, dict):
        value = value.get("code", value.get("slug"))
    elif isinstance(value, list):
        value = exporting.SEPARATOR.join(str(item.get("code", item.get("slug"))) for item in value)
    elif isinstance(value, bool):
        value = "true" if value else "false"
    return exporting.neutralise(value)


class _Echo:
    """A file-like object whose write() hands back the line csv.writer made (Django's streaming recipe)."""

    def write(self, value):
        return value


def _entry_records(kind: str, queryset, *, base_url: str, chunk_size: int) -> Iterator[dict]:
    serializer_class, _columns = ENTRY_EXPORTS[kind]
    serializer = serializer_class(context={"base_url": base_url})
    for chunk in batched(queryset.iterator(chunk_size=chunk_size), chunk_size):
        load_entry_lists(chunk)  # the chunk's purposes, languages and links: one query
        for entry in chunk:
            yield serializer.to_representation(entry)


def entry_jsonl_lines(
    kind: str, queryset, *, base_url: str, chunk_size: int = exporting.CHUNK_SIZE
) -> Iterator[str]:
    """One JSON object per line per method or toolkit (`kind`) of `queryset`: what its API record gives."""
    return _pieces(
        _json_line(record)
        for record in _entry_records(kind, queryset, base_url=base_url, chunk_size=chunk_size)
    )


def entry_csv_lines(
    kind: str, queryset, *, base_url: str, chunk_size: int = exporting.CHUNK_SIZE
) -> Iterator[str]:
    """The header, then one CSV line per method or toolkit (`kind`) of `queryset`, flattened from its API
    record; cells a spreadsheet would run as a formula begin with an apostrophe."""
    columns = ENTRY_EXPORTS[kind][1]

    def lines():
        writer = csv.writer(_Echo())
        yield writer.writerow(columns)
        for record in _entry_records(kind, queryset, base_url=base_url, chunk_size=chunk_size):
            yield writer.writerow([_cell(record[name]) for name in columns])

    return _pieces(lines())


# format -> (content type, the lines of a kind of entries' queryset under a base URL)
ENTRY_EXPORT_FORMATS = {
    "csv": (exporting.CSV_CONTENT_TYPE, entry_csv_lines),
    "jsonl": (exporting.JSONL_CONTENT_TYPE, entry_jsonl_lines),
}

"""Exports of cases as CSV or JSON Lines, row by row, in constant memory.

Give it any queryset of cases (already filtered to published ones, e.g. a CaseStudyFilterSet's `qs`) and
a base URL for absolute links; it reads the database in chunks (`CaseStudyQuerySet.in_chunks()`: a
server-side cursor on PostgreSQL, or the ids first behind a pooler in transaction mode; plus a fixed number
of queries per chunk for what hangs off the cases) and yields text, so a web response
(StreamingHttpResponse) or a management command can write millions of rows holding one chunk at a time.

- CSV: one row per case, flat columns (CSV_COLUMNS); several values in one cell are separated by ";".
  Cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage return)
  get a leading apostrophe.
- JSON Lines: one JSON object per line, the same object the API gives for GET /api/v1/cases/<slug>/ (the
  API hands its representation in: cases/api/exports.py).
"""

import csv
import json
from collections.abc import Iterator

from rest_framework.utils.encoders import JSONEncoder

from cases import records

CHUNK_SIZE = 500  # rows read from the database at a time (and prefetched together)
ROWS_PER_WRITE = 100  # rows joined into one piece of the streamed body

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
JSONL_CONTENT_TYPE = "application/jsonl; charset=utf-8"

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
SEPARATOR = records.CSV_SEPARATOR

# The columns, in order: the case record's CSV face (cases/records.py).
CSV_COLUMNS = records.CSV_COLUMNS


def neutralise(value) -> str:
    """A cell's text, with a leading apostrophe when a spreadsheet would otherwise run it as a formula."""
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def csv_record(case, related: records.Related, urls: records.CaseUrls) -> list[str]:
    """The case's CSV row: its record's CSV values, each made safe for a spreadsheet."""
    return [neutralise(value) for value in records.to_csv_values(case, related, urls)]


def jsonl_queryset(queryset):
    return queryset.for_detail()


class _Line:
    """A file-like object whose write() hands back the line csv.writer made (Django's streaming recipe)."""

    def write(self, value):
        return value


def _chunked(lines: Iterator[str]) -> Iterator[str]:
    batch = []
    for line in lines:
        batch.append(line)
        if len(batch) >= ROWS_PER_WRITE:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def csv_lines(queryset, *, base_url: str, chunk_size: int = CHUNK_SIZE) -> Iterator[str]:
    """The header, then one CSV line per case of `queryset`, in its order."""
    writer = csv.writer(_Line())
    urls = records.CaseUrls(base_url)

    def lines():
        yield writer.writerow(CSV_COLUMNS)
        for chunk in queryset.select_related("economy").in_chunks(chunk_size):
            related = records.Related([case.pk for case in chunk])
            for case in chunk:
                yield writer.writerow(csv_record(case, related, urls))

    return _chunked(lines())


def jsonl_lines(queryset, *, represent, chunk_size: int = CHUNK_SIZE) -> Iterator[str]:
    """One JSON object per line per case of `queryset` (as for_detail() reads it), in its order:
    `represent(case)`, which the API gives as its own case representation (cases/api/exports.py)."""

    def lines():
        for chunk in jsonl_queryset(queryset).in_chunks(chunk_size):
            for case in chunk:
                yield json.dumps(represent(case), cls=JSONEncoder, ensure_ascii=False) + "\n"

    return _chunked(lines())

"""Exports of cases as CSV or JSON Lines, row by row, in constant memory.

Give it any queryset of cases (already filtered to published ones, e.g. a CaseStudyFilterSet's `qs`) and
a base URL for absolute links; it reads the database in chunks (a server-side cursor on PostgreSQL,
`iterator(chunk_size=...)`, plus a fixed number of queries per chunk for what hangs off the cases) and
yields text, so a web response (StreamingHttpResponse) or a management command can write millions of rows
holding one chunk at a time.

- CSV: one row per case, flat columns (CSV_COLUMNS); several values in one cell are separated by ";".
  Cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage return)
  get a leading apostrophe.
- JSON Lines: one JSON object per line, the same object the API gives for GET /api/v1/cases/<slug>/.
"""

import csv
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import batched

from django.urls import reverse
from rest_framework.utils.encoders import JSONEncoder

from cases.models import NARRATIVE_FIELDS

CHUNK_SIZE = 500  # rows read from the database at a time (and prefetched together)
ROWS_PER_WRITE = 100  # rows joined into one piece of the streamed body

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
JSONL_CONTENT_TYPE = "application/jsonl; charset=utf-8"

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
SEPARATOR = ";"

CSV_COLUMNS = [
    "id",
    "slug",
    "title",
    "summary",
    "url",
    "api_url",
    "lead_organisation",
    "organisation_type",
    "economy",
    "economy_name",
    "other_economies",
    "level",
    "stage",
    "sectors",
    "themes",
    "facets",
    "sdgs",
    "year_launched",
    "year_ended",
    "website",
    "licence",
    "source",
    "last_verified",
    "published_at",
    "updated_at",
    *NARRATIVE_FIELDS,
]


def neutralise(value) -> str:
    """A cell's text, with a leading apostrophe when a spreadsheet would otherwise run it as a formula."""
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _joined(values: Iterable) -> str:
    return SEPARATOR.join(str(value) for value in values)


# CSV column -> (many-to-many field of the case, value shown, order within the cell)
MANY_VALUED_COLUMNS = {
    "other_economies": ("other_economies", "iso2", ("name",)),
    "sectors": ("sectors", "slug", ("position", "name")),
    "themes": ("themes", "slug", ("position", "name")),
    "facets": ("facets", "slug", ("position", "name")),
    "sdgs": ("sdgs", "number", ("number",)),
}


def _many_values(case_ids) -> dict[str, dict[int, list]]:
    """{column: {case id: [value, ...]}} for a chunk of cases: one plain query per column, no model objects
    (building prefetched model instances costs more than the rest of the export together)."""
    from cases.models import CaseStudy

    values = {}
    for column, (field_name, value_field, order) in MANY_VALUED_COLUMNS.items():
        relation = CaseStudy._meta.get_field(field_name)
        through = relation.remote_field.through
        own, target = relation.m2m_field_name(), relation.m2m_reverse_field_name()
        rows = (
            through.objects.filter(**{f"{own}__in": case_ids})
            .order_by(*(f"{target}__{name}" for name in order))
            .values_list(f"{own}_id", f"{target}__{value_field}")
        )
        by_case = defaultdict(list)
        for case_id, value in rows:
            by_case[case_id].append(value)
        values[column] = by_case
    return values


class _Urls:
    """A case's page and API addresses, reversed once and filled in per row."""

    PLACEHOLDER = "slug-placeholder"

    def __init__(self, base_url: str):
        from cases.api.serializers import absolute_url, api_path

        context = {"base_url": base_url}
        self.page = absolute_url(
            context, reverse("cases:casestudy_detail", kwargs={"slug": self.PLACEHOLDER})
        )
        self.api = absolute_url(context, api_path("case-detail", slug=self.PLACEHOLDER))

    def __call__(self, slug: str) -> tuple[str, str]:
        return self.page.replace(self.PLACEHOLDER, slug), self.api.replace(self.PLACEHOLDER, slug)


def csv_record(case, many: dict[str, dict[int, list]], urls: _Urls) -> list[str]:
    page_url, api_url = urls(case.slug)
    values = {
        "url": page_url,
        "api_url": api_url,
        "economy": case.economy.iso2,
        "economy_name": case.economy.name,
    }
    for column in MANY_VALUED_COLUMNS:
        values[column] = _joined(many[column].get(case.pk, ()))
    return [
        neutralise(values[column] if column in values else getattr(case, column)) for column in CSV_COLUMNS
    ]


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
    urls = _Urls(base_url)

    def lines():
        yield writer.writerow(CSV_COLUMNS)
        cases = queryset.select_related("economy").iterator(chunk_size=chunk_size)
        for chunk in batched(cases, chunk_size):
            many = _many_values([case.pk for case in chunk])
            for case in chunk:
                yield writer.writerow(csv_record(case, many, urls))

    return _chunked(lines())


def jsonl_lines(queryset, *, base_url: str, chunk_size: int = CHUNK_SIZE) -> Iterator[str]:
    """One JSON object per line per case of `queryset`, in its order: the API's case representation."""
    from cases.api.serializers import CaseDetailSerializer

    serializer = CaseDetailSerializer(context={"base_url": base_url})

    def lines():
        for case in jsonl_queryset(queryset).iterator(chunk_size=chunk_size):
            yield json.dumps(serializer.to_representation(case), cls=JSONEncoder, ensure_ascii=False) + "\n"

    return _chunked(lines())


EXPORT_FORMATS = {
    "csv": (CSV_CONTENT_TYPE, csv_lines),
    "jsonl": (JSONL_CONTENT_TYPE, jsonl_lines),
}

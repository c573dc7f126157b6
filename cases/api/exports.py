"""The API's bulk exports of cases: CSV rows of the case record (cases/interchange/exporting.py) and JSON
Lines holding the API's own case representation, one case per line."""

from collections.abc import Iterator

from cases.api.serializers import CaseDetailSerializer
from cases.interchange import exporting


def jsonl_lines(queryset, *, base_url: str, chunk_size: int = exporting.CHUNK_SIZE) -> Iterator[str]:
    """One JSON object per line per case of `queryset`, in its order: what GET /api/v1/cases/<slug>/
    gives for it, with addresses under `base_url`."""
    serializer = CaseDetailSerializer(context={"base_url": base_url})
    # For harvesters, each case with every published translation of its text (as ?lang=all gives).
    queryset = queryset.with_published_translations()
    return exporting.jsonl_lines(queryset, represent=serializer.to_representation, chunk_size=chunk_size)


# format -> (content type, the lines of a queryset under a base URL)
EXPORT_FORMATS = {
    "csv": (exporting.CSV_CONTENT_TYPE, exporting.csv_lines),
    "jsonl": (exporting.JSONL_CONTENT_TYPE, jsonl_lines),
}

"""The bulk interchange format: case records in CSV or JSON, read for `import_cases` and the admin import,
written by `export_cases`. docs/curation.md ("Bulk import and export") describes it for people.

- JSON: an array of case objects with the keys of cases.records.RECORD_KEYS (the demo fixtures' shape).
- JSON Lines: the same objects, one per line (what harvesters stream, and `jq -c` or pandas read).
- CSV: a header of those names, then one row per case. Several vocabulary terms in one cell are separated
  by ";" (as in the API's CSV export). Outcomes, resources, links and translations are JSON arrays in
  their cells (empty cell: none). A cell starting with a character a spreadsheet would run as a formula
  gets a leading apostrophe on export, which import takes off again, so that export then import gives back
  exactly the same text.

Exports are ordered by slug and written chunk by chunk, so the same catalogue always gives the same bytes.
"""

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import batched
from pathlib import PurePath

from cases import records
from cases.interchange.exporting import FORMULA_TRIGGERS
from cases.interchange.importing import close_match, unstorable_text_problems
from cases.records import MANY_TO_MANY, RECORD_KEYS, REQUIRED_KEYS

FORMATS = ("csv", "json", "jsonl")
SEPARATOR = records.CSV_SEPARATOR
# Outcomes, resources, links and translations: JSON arrays in their cells.
JSON_CELLS = [
    name
    for name in RECORD_KEYS
    if records.BY_NAME[name].kind
    in (records.OUTCOMES, records.RESOURCES, records.LINKS, records.TRANSLATIONS)
]
CHUNK_SIZE = 500
ESCAPE = "'"


class InterchangeError(ValueError):
    """The file as a whole cannot be read (not UTF-8, not JSON, a bad CSV header...); nothing is imported."""


@dataclass
class ParsedFile:
    """Records read from a file, each with the number that names it in reports."""

    records: list = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    row_label: str = "line"  # CSV: the line a row starts on; JSON: the item's position from 1
    errors: dict[int, list[str]] = field(default_factory=dict)  # by record position (from 0)


def format_for(name: str, explicit: str | None = None) -> str:
    """The format to read or write `name` in: `explicit` if given, else from the extension."""
    fmt = explicit or PurePath(name).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise InterchangeError(
            f"Cannot tell the format of {name!r}: name the file .csv, .json or .jsonl "
            "(or give --format csv|json|jsonl)."
        )
    return fmt


# --- Reading --------------------------------------------------------------------------------------


def read_cases(data: bytes, fmt: str) -> ParsedFile:
    """Parse a whole file; raises InterchangeError when it cannot be read at all."""
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark, as spreadsheets write, is allowed
    except UnicodeDecodeError as error:
        raise InterchangeError(
            f"The file is not UTF-8 text (byte 0x{data[error.start]:02x} at position {error.start}). "
            "Save it with the UTF-8 encoding (in a spreadsheet: “CSV UTF-8”)."
        ) from None
    if "\x00" in text:
        raise InterchangeError("The file holds NUL characters: it is not a text file.")
    if not text.strip():
        raise InterchangeError("The file is empty.")
    readers = {"json": _read_json, "jsonl": _read_json_lines, "csv": _read_csv}
    return readers[fmt](text)


def _unknown_keys(keys, kind="field") -> list[str]:
    return [
        f"unknown {kind} '{key}'{close_match(key, RECORD_KEYS)}" for key in keys if key not in RECORD_KEYS
    ]


def _read_json(text: str) -> ParsedFile:
    try:
        # Decimal keeps every digit of outcome values; a float would not.
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise InterchangeError(
            f"Not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})."
        ) from None
    except RecursionError:
        raise InterchangeError("Not valid case records: the JSON is nested far too deeply.") from None
    except ValueError as error:  # a number too long to read (Python's limit on integer digits)
        raise InterchangeError(f"Not valid case records: {error}.") from None
    if not isinstance(data, list):
        raise InterchangeError(
            f"The file must hold a JSON array of case objects ([{{...}}, ...]), not a {type(data).__name__}."
        )
    parsed = ParsedFile(records=data, row_numbers=list(range(1, len(data) + 1)), row_label="item")
    for position, item in enumerate(data):
        _check_object(parsed, position, item)
    return parsed


def _check_object(parsed: ParsedFile, position: int, item) -> None:
    """Note what is wrong with the JSON value read as record `position` before it is imported."""
    if unstorable := unstorable_text_problems(item):
        # Checked first, and the record set aside: no later message may repeat the text.
        parsed.records[position] = None
        parsed.errors[position] = unstorable
    elif isinstance(item, dict) and (unknown := _unknown_keys(item)):
        parsed.errors[position] = unknown


def _read_json_lines(text: str) -> ParsedFile:
    """One JSON object per line; blank lines are skipped. A line that is not JSON is that row's error (the
    others are still checked), so a long file is corrected in one pass."""
    parsed = ParsedFile(row_label="line")
    # Split at line feeds only: a record's text may hold U+2028 or U+0085 unescaped, which splitlines()
    # would take for line ends.
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        position = len(parsed.records)
        parsed.row_numbers.append(number)
        try:
            item = json.loads(line, parse_float=Decimal)
        except json.JSONDecodeError as error:
            parsed.records.append(None)
            parsed.errors[position] = [f"not valid JSON: {error.msg} (column {error.colno})"]
            continue
        except RecursionError:
            parsed.records.append(None)
            parsed.errors[position] = ["the JSON is nested far too deeply"]
            continue
        except ValueError as error:  # a number too long to read (Python's limit on integer digits)
            parsed.records.append(None)
            parsed.errors[position] = [f"not readable: {error}"]
            continue
        parsed.records.append(item)
        _check_object(parsed, position, item)
    if not parsed.records:
        raise InterchangeError("The file is empty.")
    return parsed


def _unescape(cell: str) -> str:
    if cell[:1] == ESCAPE and cell[1:2] and cell[1:2] in (*FORMULA_TRIGGERS, ESCAPE):
        return cell[1:]
    return cell


def _escape(text: str) -> str:
    """A leading apostrophe when a spreadsheet would run the cell as a formula, or when the text already
    starts with what _unescape would take off: export then import gives the same text back."""
    first, second = text[:1], text[1:2]
    if first in FORMULA_TRIGGERS or (first == ESCAPE and second in (*FORMULA_TRIGGERS, ESCAPE)):
        return ESCAPE + text
    return text


def _read_csv(text: str) -> ParsedFile:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except csv.Error as error:
        raise InterchangeError(f"line 1: not readable as CSV: {error}.") from None
    header = [name.strip() for name in header]
    problems = _unknown_keys((name for name in header if name), "column")
    if "" in header:
        problems.append("a column has no name")
    duplicates = sorted({name for name in header if name and header.count(name) > 1})
    if duplicates:
        problems.append(f"columns named twice: {', '.join(duplicates)}")
    missing = [name for name in REQUIRED_KEYS if name not in header]
    if missing:
        problems.append(f"required columns missing: {', '.join(missing)}")
    if problems:
        raise InterchangeError("line 1 (the header): " + "; ".join(problems) + ".")

    parsed = ParsedFile(row_label="line")
    line = reader.line_num
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise InterchangeError(f"line {start}: not readable as CSV: {error}.") from None
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are allowed
        position = len(parsed.records)
        parsed.row_numbers.append(start)
        if len(cells) != len(header):
            parsed.records.append(None)
            parsed.errors[position] = [f"has {len(cells)} cells where the header has {len(header)} columns"]
            continue
        record, errors = _csv_record(dict(zip(header, cells, strict=True)))
        if unstorable := unstorable_text_problems(record):
            # A NUL in the file is refused above; a JSON cell can still spell one, or a lone surrogate.
            record, errors = None, unstorable
        parsed.records.append(record)
        if errors:
            parsed.errors[position] = errors
    return parsed


TRUE_WORDS = {"true", "yes", "1"}
FALSE_WORDS = {"false", "no", "0", ""}


def _csv_record(cells: dict[str, str]) -> tuple[dict, list[str]]:
    """A row's cells as a record in the JSON shape, and what could not be read."""
    record, errors = {}, []
    for name, raw in cells.items():
        cell = _unescape(raw)
        if name in MANY_TO_MANY:
            record[name] = [term.strip() for term in cell.split(SEPARATOR) if term.strip()]
        elif name in JSON_CELLS:
            if not cell.strip():
                record[name] = []
                continue
            try:
                record[name] = json.loads(cell, parse_float=Decimal)
            except json.JSONDecodeError as error:
                errors.append(f"{name}: not a JSON array ({error.msg} at character {error.pos + 1})")
            except RecursionError:
                errors.append(f"{name}: the JSON is nested far too deeply")
            except ValueError as error:  # a number too long to read (Python's limit on integer digits)
                errors.append(f"{name}: not readable: {error}")
        elif records.BY_NAME[name].kind == records.FLAG:
            word = cell.strip().lower()
            if word in TRUE_WORDS | FALSE_WORDS:
                record[name] = word in TRUE_WORDS
            else:
                errors.append(f"{name} must be true or false, not {cell!r}")
        elif records.BY_NAME[name].kind in (records.YEAR, records.MOMENT, records.DATE):
            record[name] = cell.strip() or None
        else:
            record[name] = cell
    return record, errors


# --- Writing --------------------------------------------------------------------------------------


def case_records(queryset, *, chunk_size: int = CHUNK_SIZE) -> Iterator[dict]:
    """Each case of `queryset` as an interchange record (cases/records.py), ordered by slug, a fixed number
    of queries per chunk of cases."""
    cases = queryset.select_related("economy").order_by("slug")
    for chunk in batched(cases.iterator(chunk_size=chunk_size), chunk_size):
        related = records.Related([case.pk for case in chunk])
        for case in chunk:
            yield records.to_record(case, related)


def _csv_cell(name: str, value) -> str:
    if name in MANY_TO_MANY:
        text = SEPARATOR.join(str(item) for item in value)
    elif name in JSON_CELLS:
        text = json.dumps(value, ensure_ascii=False) if value else ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = "" if value is None else str(value)
    return _escape(text)


def write_cases(queryset, out, fmt: str, *, progress=None) -> int:
    """Write the cases of `queryset` to the text file `out` (opened with newline=""); returns how many."""
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(RECORD_KEYS)
        for record in case_records(queryset):
            writer.writerow([_csv_cell(name, record[name]) for name in RECORD_KEYS])
            count += 1
            if progress:
                progress(count)
        return count
    if fmt == "jsonl":
        for record in case_records(queryset):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
            if progress:
                progress(count)
        return count
    out.write("[")
    for record in case_records(queryset):
        out.write(",\n" if count else "\n")
        # The same bytes as json.dumps(all_records, indent=2), one record at a time. Indented at line feeds
        # only: the JSON's own (a line feed in a text is written \n), never at a U+2028 or U+0085 a text
        # holds as it is, where textwrap.indent (str.splitlines) would insert spaces into the text.
        out.write("  " + json.dumps(record, indent=2, ensure_ascii=False).replace("\n", "\n  "))
        count += 1
        if progress:
            progress(count)
    out.write("\n]\n" if count else "]\n")
    return count

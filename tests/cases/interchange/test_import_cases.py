"""Bulk import and export: the import_cases and export_cases commands, the interchange format, and the
admin import with its preview."""

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from cases.admin import imports as admin_import
from cases.curation.roles import CURATOR, ECONOMY_EDITOR
from cases.interchange.formats import case_records
from cases.models import (
    CaseLink,
    CaseRevision,
    CaseStudy,
    Economy,
    EditorProfile,
    Outcome,
    Resource,
    RevisionAction,
    Status,
)
from cases.records import TRANSLATION_COLUMNS
from tests.cases.interchange.test_translations_interchange import japanese
from tests.factories import CaseStudyFactory, UserFactory

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"


def record(slug="mobile-clinics", **overrides):
    """A complete, valid record of the interchange format."""
    values = {
        "slug": slug,
        "title": f"Mobile clinics ({slug})",
        "summary": "Clinics on wheels reach villages without a hospital.",
        "overview": "Buses fitted as clinics visit remote villages on a fixed timetable.",
        "lead_organisation": "Ministry of Health",
        "organisation_type": "government",
        "economy": "TH",
        "other_economies": ["LA"],
        "level": "national",
        "sectors": ["health"],
        "themes": ["service-design"],
        "facets": ["enhancement-oriented"],
        "sdgs": [3],
        "stage": "implementation",
        "year_launched": 2019,
        "outcomes": [
            {"indicator": "Check-ups", "value": "12500", "unit": "visits", "baseline": "4000.5"},
        ],
        "resources": [{"title": "Programme page", "url": "https://example.org/clinics"}],
        "links": [],
    }
    values.update(overrides)
    return values


def json_file(tmp_path, records, name="cases.json"):
    path = tmp_path / name
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def csv_text(records) -> str:
    """Records as an import CSV, written the plain way a spreadsheet would (no escaping)."""
    out = io.StringIO()
    columns = list(dict.fromkeys(key for item in records for key in item))
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for item in records:
        cells = []
        for column in columns:
            value = item.get(column)
            if column in ("outcomes", "resources", "links"):
                cells.append(json.dumps(value) if value else "")
            elif isinstance(value, list):
                cells.append(";".join(map(str, value)))
            else:
                cells.append("" if value is None else str(value))
        writer.writerow(cells)
    return out.getvalue()


def csv_file(tmp_path, records, name="cases.csv"):
    path = tmp_path / name
    path.write_text(csv_text(records), encoding="utf-8", newline="")
    return path


def run(command, *args):
    """(stdout, stderr) of a command that succeeds."""
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(command, *args):
    """(error message, stderr) of a command that fails."""
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(command, *map(str, args), stdout=io.StringIO(), stderr=err)
    return str(caught.value), err.getvalue()


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (CaseStudy, Outcome, Resource, CaseLink, CaseRevision)
    }


# --- import_cases: the good path --------------------------------------------------------------------


def test_json_import_creates_cases_as_drafts_by_default(tmp_path):
    stdout, _err = run("import_cases", json_file(tmp_path, [record("first"), record("second")]))

    assert "Imported 2 cases: 2 created, 0 updated, 0 unchanged" in stdout
    assert set(CaseStudy.objects.values_list("status", flat=True)) == {Status.DRAFT}
    assert CaseStudy.objects.get(slug="first").outcomes.get().value == 12500


def test_csv_import_creates_cases_with_every_relation(tmp_path):
    run(
        "import_cases",
        csv_file(
            tmp_path,
            [
                record(links=[]),
                record(
                    "copy",
                    links=[{"relation": "adapted_from", "target": "mobile-clinics", "note": "Same buses."}],
                ),
            ],
        ),
    )

    case = CaseStudy.objects.get(slug="mobile-clinics")
    assert [e.iso2 for e in case.other_economies.all()] == ["LA"]
    assert [t.slug for t in case.themes.all()] == ["service-design"]
    assert [s.number for s in case.sdgs.all()] == [3]
    assert case.outcomes.get().baseline == pytest.approx(4000.5)
    assert case.resources.get().url == "https://example.org/clinics"
    link = CaseLink.objects.get()
    assert (link.from_case.slug, link.relation, link.to_case.slug, link.note) == (
        "copy",
        "adapted_from",
        "mobile-clinics",
        "Same buses.",
    )


def test_vocabularies_match_by_code_or_slug_in_any_case(tmp_path):
    run(
        "import_cases",
        csv_file(
            tmp_path,
            [
                record(
                    economy="tha",
                    other_economies=["lao-pdr", "jp"],
                    sectors=["Health", "education"],
                    sdgs=["3", 4],
                )
            ],
        ),
    )

    case = CaseStudy.objects.get()
    assert case.economy.iso2 == "TH"
    assert {e.iso2 for e in case.other_economies.all()} == {"LA", "JP"}
    assert {s.slug for s in case.sectors.all()} == {"health", "education"}
    assert {s.number for s in case.sdgs.all()} == {3, 4}


def test_progress_is_reported_as_rows_are_written(tmp_path):
    stdout, _err = run(
        "import_cases", json_file(tmp_path, [record(f"case-{n}") for n in range(5)]), "--progress-every", 2
    )

    assert "  2/5 rows written" in stdout
    assert "  4/5 rows written" in stdout
    assert "  5/5 rows written" in stdout


def test_import_records_an_imported_revision_naming_the_user(tmp_path):
    curator = UserFactory(username="curator", is_staff=True)
    curator.groups.add(Group.objects.get(name=CURATOR))

    run("import_cases", json_file(tmp_path, [record()]), "--user", "curator")

    revision = CaseRevision.objects.get()
    assert (revision.action, revision.user, revision.case.created_by) == (
        RevisionAction.IMPORTED,
        curator,
        curator,
    )
    assert "cases.json" in revision.message


def test_command_refuses_a_user_who_may_not_add_cases(tmp_path):
    UserFactory(username="reader", is_staff=True)

    message, _err = run_failing("import_cases", json_file(tmp_path, [record()]), "--user", "reader")

    assert "reader may not import cases" in message


# --- Dry run ----------------------------------------------------------------------------------------


def test_dry_run_writes_nothing_and_says_so(tmp_path):
    CaseStudyFactory(slug="mobile-clinics", title="Before")
    before = counts()

    stdout, _err = run("import_cases", json_file(tmp_path, [record(), record("new-one")]), "--dry-run")

    assert "Imported 2 cases: 1 created, 1 updated, 0 unchanged (dry run: nothing written)" in stdout
    assert counts() == before
    assert CaseStudy.objects.get(slug="mobile-clinics").title == "Before"


# --- Every bad row, one report, nothing written --------------------------------------------------------


def test_every_bad_csv_row_is_reported_with_its_line_number(tmp_path):
    records = [
        record("good", overview="Two paragraphs.\n\nThe second one."),  # lines 2-4: a cell over three lines
        record("bad-sector", sectors=["health", "astrology"]),  # line 5
        record("fine"),  # line 6
        record("bad-economy", economy="ZZ", year_launched="twenty"),  # line 7
    ]

    message, stderr = run_failing("import_cases", csv_file(tmp_path, records))

    assert "cases.csv: 2 bad row(s); nothing was imported." in stderr
    assert "  line 5: unknown sector: astrology" in stderr
    assert "  line 7: unknown economy: ZZ; year_launched 'twenty' is not a year" in stderr
    assert "line 2" not in stderr
    assert message == "Import rejected: 2 bad row(s), nothing written."


def test_every_bad_json_item_is_reported_with_its_index(tmp_path):
    records = [record("first", sector=["health"]), record("second"), "not a case", record("fourth", title="")]

    _message, stderr = run_failing("import_cases", json_file(tmp_path, records))

    assert "  item 1: unknown field 'sector' (did you mean 'sectors'?)" in stderr
    assert "  item 3: not an object" in stderr
    assert "  item 4: 'title' is missing" in stderr
    assert "item 2" not in stderr


def test_one_bad_row_writes_nothing_at_all(tmp_path):
    CaseStudyFactory(slug="first", title="Before the import")
    before = counts()

    run_failing(
        "import_cases",
        json_file(tmp_path, [record("first"), record("second"), record("third", economy="ZZ")]),
    )

    assert counts() == before
    assert CaseStudy.objects.get(slug="first").title == "Before the import"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"themes": ["no-such-theme"]}, "unknown theme: no-such-theme"),
        ({"facets": ["sideways"]}, "unknown innovation facet: sideways"),
        ({"sdgs": [18]}, "unknown SDG: 18"),
        ({"other_economies": ["Atlantis"]}, "unknown economy: Atlantis"),
        ({"level": "galactic"}, "level: Value 'galactic' is not a valid choice."),
        ({"status": "live"}, "unknown status: live"),
        ({"outcomes": [{"indicator": "x", "value": "1.23456"}]}, "no more than 4 decimal places"),
        (
            {"links": [{"relation": "adapted_from", "target": "nowhere"}]},
            "link target 'nowhere' is not a known case",
        ),
        ({"published_at": "2999-01-01T00:00:00+00:00"}, "is in the future"),
    ],
)
def test_unknown_or_invalid_values_are_rejected_with_a_reason(tmp_path, overrides, reason):
    _message, stderr = run_failing("import_cases", json_file(tmp_path, [record(**overrides)]))

    assert reason in stderr
    assert CaseStudy.objects.count() == 0


def test_two_rows_with_one_external_id_are_rejected(tmp_path):
    _message, stderr = run_failing(
        "import_cases", json_file(tmp_path, [record("a", external_id="p-1"), record("b", external_id="p-1")])
    )

    assert "item 2: external_id 'p-1' also used by item 1" in stderr


def test_taking_another_cases_slug_is_rejected_not_a_crash(tmp_path):
    CaseStudyFactory(slug="taken")
    CaseStudyFactory(slug="renamed-by-partner", external_id="p-7")

    _message, stderr = run_failing("import_cases", json_file(tmp_path, [record("taken", external_id="p-7")]))

    assert "item 1: slug 'taken' belongs to another case already" in stderr


def test_slug_of_a_case_from_another_source_is_not_taken_over(tmp_path):
    CaseStudyFactory(slug="mobile-clinics", external_id="other-system-9")

    _message, stderr = run_failing("import_cases", json_file(tmp_path, [record(external_id="partner-1")]))

    assert "belongs to the case with external_id 'other-system-9', not 'partner-1'" in stderr
    assert CaseStudy.objects.get().external_id == "other-system-9"


# --- Files that cannot be read --------------------------------------------------------------------------


FULL_HEADER = b"slug,title,summary,overview,lead_organisation,economy,level,stage,sectors"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("cases.csv", b"\xff\xfeslug", "is not UTF-8 text (byte 0xff at position 0)"),
        ("cases.json", b'[{"slug": "a",}]', "Not valid JSON: Expecting property name"),
        ("cases.json", b'{"slug": "a"}', "must hold a JSON array of case objects"),
        (
            "cases.csv",
            FULL_HEADER + b'\r\n"unterminated,x\r\n',
            "line 2: not readable as CSV: unexpected end of data",
        ),
        ("cases.csv", b"slug,title,sector\r\n", "unknown column 'sector' (did you mean 'sectors'?)"),
        ("cases.csv", b"", "The file is empty."),
        ("cases.txt", b"slug", "name the file .csv, .json or .jsonl"),
    ],
)
def test_unreadable_file_gets_a_clear_error(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)

    message, _err = run_failing("import_cases", path)

    assert expected in message


def test_csv_row_with_too_many_cells_is_reported_by_line(tmp_path):
    text = csv_text([record()]) + "extra," + csv_text([record("second")]).splitlines()[1] + "\r\n"
    path = tmp_path / "cases.csv"
    path.write_text(text, encoding="utf-8", newline="")

    _message, stderr = run_failing("import_cases", path)

    columns = len(record())
    assert f"line 3: has {columns + 1} cells where the header has {columns} columns" in stderr


def test_missing_file_is_a_clear_error(tmp_path):
    message, _err = run_failing("import_cases", tmp_path / "absent.csv")

    assert message.startswith("Cannot read")


# --- Idempotent; matched by slug or external id -----------------------------------------------------


@pytest.mark.parametrize("writer", [json_file, csv_file], ids=["json", "csv"])
def test_importing_the_same_file_twice_changes_nothing(tmp_path, writer):
    records = [
        record("original", status="published", published_at="2024-05-01T10:00:00+00:00"),
        record("copy", external_id="p-2", links=[{"relation": "adapted_from", "target": "original"}]),
    ]
    path = writer(tmp_path, records)
    run("import_cases", path)
    updated_at = dict(CaseStudy.objects.values_list("slug", "updated_at"))
    before = counts()

    stdout, _err = run("import_cases", path)

    assert "Imported 2 cases: 0 created, 0 updated, 2 unchanged" in stdout
    assert dict(CaseStudy.objects.values_list("slug", "updated_at")) == updated_at
    assert counts() == before


def test_row_matched_by_slug_updates_that_case(tmp_path):
    case = CaseStudyFactory(slug="mobile-clinics", title="Old title")

    stdout, _err = run("import_cases", json_file(tmp_path, [record(title="New title")]))

    assert "0 created, 1 updated" in stdout
    assert CaseStudy.objects.get(pk=case.pk).title == "New title"


def test_row_matched_by_external_id_updates_that_case_and_keeps_the_old_address(tmp_path):
    case = CaseStudyFactory(slug="old-address", external_id="partner-42")

    run("import_cases", json_file(tmp_path, [record("new-address", external_id="partner-42")]))

    case.refresh_from_db()
    assert CaseStudy.objects.count() == 1
    assert case.slug == "new-address"
    assert list(case.former_slugs.values_list("slug", flat=True)) == ["old-address"]


def test_absent_column_leaves_the_field_as_it_was(tmp_path):
    CaseStudyFactory(slug="mobile-clinics", website="https://example.org/kept", status=Status.DRAFT)
    row = record()
    row.pop("themes")

    run("import_cases", csv_file(tmp_path, [row]))

    case = CaseStudy.objects.get()
    assert case.website == "https://example.org/kept"
    assert case.status == Status.DRAFT


# --- Status and the workflow --------------------------------------------------------------------------


def test_published_row_keeps_the_files_first_publication_date(tmp_path):
    run(
        "import_cases", json_file(tmp_path, [record(status="published", published_at="2024-05-01T10:00:00Z")])
    )

    case = CaseStudy.objects.get()
    assert case.status == Status.PUBLISHED
    assert case.published_at == datetime(2024, 5, 1, 10, tzinfo=UTC)


def test_published_row_without_a_date_is_published_now(tmp_path):
    run("import_cases", json_file(tmp_path, [record(status="published")]))

    assert CaseStudy.objects.published().get().published_at is not None


def test_existing_publication_date_is_never_moved(tmp_path):
    case = CaseStudyFactory(slug="mobile-clinics", status=Status.PUBLISHED)
    first = case.published_at

    run(
        "import_cases", json_file(tmp_path, [record(status="published", published_at="2020-01-01T00:00:00Z")])
    )

    case.refresh_from_db()
    assert case.published_at == first


def test_economy_editor_may_not_publish_through_an_import(tmp_path):
    editor = UserFactory(username="editor", is_staff=True)
    editor.groups.add(Group.objects.get(name=ECONOMY_EDITOR))
    EditorProfile.objects.create(user=editor).economies.set(Economy.objects.filter(iso2="TH"))

    _message, stderr = run_failing(
        "import_cases", json_file(tmp_path, [record(status="published")]), "--user", "editor"
    )

    assert "needs the permission to publish" in stderr
    assert not CaseStudy.objects.exists()


# --- export_cases and the round trip ------------------------------------------------------------------

TRICKY_TEXT = "=SUM(A1) is not a formula;\r\nsecond line, with “quotes” and a comma"


def rich_catalogue(tmp_path):
    """Cases using every part of the format, made through the importer."""
    run(
        "import_cases",
        json_file(
            tmp_path,
            [
                record(
                    "original",
                    status="published",
                    published_at="2024-05-01T10:00:00.123456+00:00",
                    external_id="p-1",
                    what_is_innovative=TRICKY_TEXT,
                    lessons_learned="'quoted' and -minus first",
                    year_ended=2023,
                    last_verified="2025-01-31",
                    is_featured=True,
                    website="https://example.org/x",
                    outcomes=[
                        {
                            "indicator": "Exact",
                            "value": "1234567890123456.1234",
                            "unit": "",
                            "baseline": None,
                            "date": "2024-12-31",
                            "source_url": "https://example.org/r",
                        },
                        {"indicator": "Small", "value": "0.0001", "baseline": "-5"},
                    ],
                    translations=[
                        japanese(),
                        {
                            "language": "th",
                            "status": "draft",
                            "translated_by": "Somchai",
                            "machine_translated": True,
                            "made_from": "unknown",
                            "title": "=คลินิกเคลื่อนที่",
                            "summary": "คลินิกเคลื่อนที่\u2028ถึงหมู่บ้าน",
                            "overview": "-รถโดยสาร;\r\nที่ดัดแปลงเป็นคลินิก",
                        },
                    ],
                ),
                record(
                    "copy",
                    status="archived",
                    economy="JP",
                    other_economies=[],
                    themes=[],
                    sdgs=[],
                    outcomes=[],
                    resources=[],
                    summary="''=already escaped looking",
                    original_language="th",
                    # Unicode's line and paragraph separators: kept as they are, never taken for line ends.
                    overview="One\u2028line separator and\u2029a paragraph separator.",
                    translations=[
                        {
                            "language": "en",
                            "status": "in_review",
                            "translated_by": "A. Translator",
                            "title": "Copy, in English",
                            "summary": "Its summary.",
                            "overview": "Its overview.",
                        }
                    ],
                    links=[
                        {"relation": "adapted_from", "target": "original", "note": "Adapted."},
                        {"relation": "related_to", "target": "original"},
                    ],
                ),
                record("draft-case", status="draft", sectors=["health", "education"]),
            ],
            name="seed.json",
        ),
    )


def case_state():
    """Every case field by field, with its vocabularies, outcomes, resources and links, keyed by slug."""
    state = {}
    for case in CaseStudy.objects.select_related("economy"):
        fields = {
            name: getattr(case, name)
            for name in [f.attname for f in CaseStudy._meta.concrete_fields]
            if name
            not in (
                "id",
                "created_at",
                "updated_at",
                "created_by_id",
                "updated_by_id",
                "published_by_id",
                "economy_id",
                "public_revision",  # the cache's, moved by every write (cases/caching.py)
            )
        }
        fields["economy"] = case.economy.iso2
        for relation, key in [
            ("other_economies", "iso2"),
            ("sectors", "slug"),
            ("themes", "slug"),
            ("facets", "slug"),
            ("sdgs", "number"),
        ]:
            fields[relation] = sorted(getattr(case, relation).values_list(key, flat=True))
        fields["outcomes"] = list(
            case.outcomes.values_list(
                "indicator", "value", "unit", "baseline", "date", "source_url", "position"
            )
        )
        fields["resources"] = list(case.resources.values_list("kind", "title", "url", "position"))
        fields["links"] = sorted(case.links_out.values_list("relation", "to_case__slug", "note"))
        fields["translations"] = [
            (translation.is_outdated(case), *(getattr(translation, key) for key in TRANSLATION_COLUMNS))
            for translation in case.translations.order_by("language")
        ]
        state[case.slug] = fields
    return state


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_export_then_import_into_an_empty_database_round_trips_exactly(tmp_path, fmt):
    rich_catalogue(tmp_path)
    before = case_state()
    assert [t[:2] for t in before["original"]["translations"]] == [(False, "ja"), (True, "th")]
    first, second = tmp_path / f"first.{fmt}", tmp_path / f"second.{fmt}"
    run("export_cases", first)

    CaseStudy.objects.all().delete()
    stdout, _err = run("import_cases", first)
    run("export_cases", second)

    assert "Imported 3 cases: 3 created, 0 updated, 0 unchanged" in stdout
    assert second.read_bytes() == first.read_bytes()
    assert case_state() == before


def test_export_cells_a_spreadsheet_would_run_are_neutralised(tmp_path):
    rich_catalogue(tmp_path)
    path = tmp_path / "out.csv"

    run("export_cases", path)

    rows = {row["slug"]: row for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))}
    assert rows["original"]["what_is_innovative"].startswith("'=SUM")
    assert rows["copy"]["summary"] == "'''=already escaped looking"
    assert rows["original"]["lessons_learned"] == "'quoted' and -minus first"


def test_export_json_is_the_records_in_slug_order(tmp_path, on_postgresql):
    rich_catalogue(tmp_path)
    path = tmp_path / "out.json"

    stdout, _err = run("export_cases", path)

    data = json.loads(path.read_text(encoding="utf-8"))
    assert [item["slug"] for item in data] == ["copy", "draft-case", "original"]
    # SQLite keeps decimals as floating point: 20 significant digits do not survive it.
    exact = "1234567890123456.1234" if on_postgresql else "1234567890123456"
    assert data[2]["outcomes"][0]["value"] == exact
    assert data[2]["published_at"] == "2024-05-01T10:00:00.123456+00:00"
    assert "Exported 3 cases to" in stdout


def test_export_by_status(tmp_path):
    rich_catalogue(tmp_path)
    path = tmp_path / "out.json"

    run("export_cases", path, "--status", "published")

    assert [item["slug"] for item in json.loads(path.read_text())] == ["original"]


def test_export_by_the_librarys_query_string(tmp_path):
    rich_catalogue(tmp_path)
    path = tmp_path / "out.json"

    run("export_cases", path, "--query", "sector=education&economy=TH")

    assert [item["slug"] for item in json.loads(path.read_text())] == ["draft-case"]


def test_export_by_words_finds_unpublished_cases(tmp_path):
    """On SQLite the public search index holds only published cases; the unpublished ones have their own."""
    CaseStudyFactory(title="Kelp farming", slug="kelp-published")
    CaseStudyFactory(title="Kelp drying", slug="kelp-draft", status=Status.DRAFT)
    CaseStudyFactory(title="Seaweed markets", slug="seaweed-draft", status=Status.DRAFT)
    path = tmp_path / "out.json"

    run("export_cases", path, "--status", "draft", "--query", "q=kelp")
    assert [item["slug"] for item in json.loads(path.read_text())] == ["kelp-draft"]

    run("export_cases", path, "--query", "q=kelp")
    assert sorted(item["slug"] for item in json.loads(path.read_text())) == ["kelp-draft", "kelp-published"]


def test_export_with_an_invalid_query_is_a_clear_error(tmp_path):
    message, _err = run_failing("export_cases", tmp_path / "out.json", "--query", "sdg=99")

    assert message.startswith("--query is not valid: sdg:")


def test_export_of_nothing_is_an_empty_list(tmp_path):
    path = tmp_path / "out.json"

    run("export_cases", path)

    assert path.read_text() == "[]\n"


def test_export_reads_a_fixed_number_of_queries_per_chunk(tmp_path, django_assert_max_num_queries):
    rich_catalogue(tmp_path)
    for n in range(10):
        CaseStudyFactory(slug=f"more-{n}")

    with django_assert_max_num_queries(12):
        records = list(case_records(CaseStudy.objects.all()))

    assert len(records) == 13


# --- The documented example files -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["cases-import-example.csv", "cases-import-example.json", "cases-import-example.jsonl"]
)
def test_documented_example_file_imports(name):
    stdout, _err = run("import_cases", EXAMPLES / name)

    assert "Imported 3 cases: 3 created, 0 updated, 0 unchanged" in stdout


def test_both_example_files_import_together_and_again_unchanged():
    run("import_cases", EXAMPLES / "cases-import-example.csv")
    run("import_cases", EXAMPLES / "cases-import-example.json")

    stdout, _err = run("import_cases", EXAMPLES / "cases-import-example.json")

    assert CaseStudy.objects.count() == 6
    assert "0 created, 0 updated, 3 unchanged" in stdout


def test_the_json_lines_example_holds_the_json_examples_cases_with_their_translations():
    run("import_cases", EXAMPLES / "cases-import-example.json")

    stdout, _err = run("import_cases", EXAMPLES / "cases-import-example.jsonl")

    assert "0 created, 0 updated, 3 unchanged" in stdout
    translation = CaseStudy.objects.get(slug="example-mobile-clinics").translations.get()
    assert (translation.language, translation.status) == ("th", "draft")


# --- The admin import ------------------------------------------------------------------------------


def staff(username, role=None, economies=()):
    user = UserFactory(username=username, is_staff=True)
    if role:
        user.groups.add(Group.objects.get(name=role))
    if economies:
        EditorProfile.objects.create(user=user).economies.set(Economy.objects.filter(iso2__in=economies))
    return user


IMPORT_URL = reverse("admin:cases_casestudy_import")
CONFIRM_URL = reverse("admin:cases_casestudy_import_confirm")


def _named(content, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content.encode("utf-8"))


@pytest.fixture
def curator_client(client):
    client.force_login(staff("curator", CURATOR))
    return client


def test_changelist_offers_import_to_a_curator(curator_client):
    response = curator_client.get(reverse("admin:cases_casestudy_changelist"))

    assert IMPORT_URL in response.content.decode()


def test_upload_form_is_shown(curator_client):
    response = curator_client.get(IMPORT_URL)

    assert response.status_code == 200
    assert 'type="file"' in response.content.decode()


def test_preview_lists_changes_without_writing(curator_client):
    CaseStudyFactory(
        slug="existing", title="Old title", economy=Economy.objects.get(iso2="TH"), status="draft"
    )
    before = counts()

    response = curator_client.post(
        IMPORT_URL,
        {"file": _named(csv_text([record("brand-new"), record("existing", status="draft")]), "cases.csv")},
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert "1 new, 1 updated, 0 unchanged" in text
    assert "brand-new" in text
    assert "title" in text
    assert "Confirm import" in text
    assert counts() == before


def test_preview_shows_every_error_with_its_line_and_no_confirm(curator_client):
    records = [record("one", economy="ZZ"), record("two"), record("three", sectors=["astrology"])]

    response = curator_client.post(IMPORT_URL, {"file": _named(csv_text(records), "cases.csv")})

    text = response.content.decode()
    assert response.status_code == 400
    assert "line 2: unknown economy: ZZ" in text
    assert "line 4: unknown sector: astrology" in text
    assert "Confirm import" not in text
    assert not CaseStudy.objects.exists()


def test_confirm_imports_the_previewed_file(curator_client):
    preview = curator_client.post(IMPORT_URL, {"file": _named(json.dumps([record()]), "cases.json")})

    response = curator_client.post(CONFIRM_URL, {"token": preview.context["token"]}, follow=True)

    assert CaseStudy.objects.get().slug == "mobile-clinics"
    assert (
        "Imported 1 case: 1 created, 0 updated, 0 unchanged (file cases.json)." in response.content.decode()
    )
    assert CaseRevision.objects.get().action == RevisionAction.IMPORTED


def test_the_admin_imports_json_lines_with_translations_through_its_preview(curator_client):
    translation = {
        "language": "ja",
        "status": "in_review",
        "translated_by": "Tanaka Yui",
        "title": "移動診療所",
        "summary": "病院のない村に診療所が出向きます。",
        "overview": "診療所として整備したバスが村を回ります。",
    }
    lines = "\n".join(json.dumps(item, ensure_ascii=False) for item in [record(translations=[translation])])
    preview = curator_client.post(IMPORT_URL, {"file": _named(lines + "\n", "cases.jsonl")})
    assert preview.status_code == 200
    assert "1 new, 0 updated, 0 unchanged" in preview.content.decode()
    assert not CaseStudy.objects.exists()

    curator_client.post(CONFIRM_URL, {"token": preview.context["token"]}, follow=True)

    assert CaseStudy.objects.get().translations.get().title == "移動診療所"


def test_the_admin_preview_names_a_bad_translation_by_its_line(curator_client):
    lines = json.dumps(record(translations=[{"language": "xx"}])) + "\n"

    response = curator_client.post(IMPORT_URL, {"file": _named(lines, "cases.jsonl")})

    assert response.status_code == 400
    assert "line 1: translation 1: unknown language" in response.content.decode()
    assert not CaseStudy.objects.exists()


def test_confirm_with_a_forged_token_writes_nothing(curator_client):
    response = curator_client.post(CONFIRM_URL, {"token": "forged"}, follow=True)

    assert "This preview has expired or is not valid" in response.content.decode()
    assert not CaseStudy.objects.exists()


def test_confirm_by_another_user_is_refused(client, curator_client):
    preview = curator_client.post(IMPORT_URL, {"file": _named(json.dumps([record()]), "cases.json")})
    client.force_login(staff("other-curator", CURATOR))

    response = client.post(CONFIRM_URL, {"token": preview.context["token"]}, follow=True)

    assert "This preview has expired or is not valid" in response.content.decode()
    assert not CaseStudy.objects.exists()


def test_oversize_file_is_refused_with_a_message(curator_client, monkeypatch):
    monkeypatch.setattr(admin_import, "MAX_UPLOAD_BYTES", 1024)

    response = curator_client.post(IMPORT_URL, {"file": _named("x" * 2048, "cases.csv")})

    assert response.status_code == 400
    assert "The file is 2 KB; the limit is 1 KB." in response.content.decode()
    assert not CaseStudy.objects.exists()


def test_file_of_another_kind_is_refused(curator_client):
    response = curator_client.post(IMPORT_URL, {"file": _named("slug", "cases.xlsx")})

    assert response.status_code == 400
    assert "ends in .csv, .json or .jsonl" in response.content.decode()


def test_unreadable_file_is_refused_on_the_form(curator_client):
    response = curator_client.post(IMPORT_URL, {"file": _named("[1,", "cases.json")})

    assert response.status_code == 400
    assert "Not valid JSON" in response.content.decode()


def test_user_without_add_and_change_permission_gets_403(client):
    viewer = staff("viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_casestudy"))
    client.force_login(viewer)

    assert client.get(IMPORT_URL).status_code == 403
    assert client.post(CONFIRM_URL, {"token": "x"}).status_code == 403
    assert IMPORT_URL not in client.get(reverse("admin:cases_casestudy_changelist")).content.decode()


def test_economy_editor_may_import_a_draft_of_their_own_economy(client):
    client.force_login(staff("editor", ECONOMY_EDITOR, ["TH"]))
    preview = client.post(IMPORT_URL, {"file": _named(json.dumps([record(status="draft")]), "cases.json")})

    client.post(CONFIRM_URL, {"token": preview.context["token"]})

    assert CaseStudy.objects.get().economy.iso2 == "TH"


def test_economy_editor_importing_another_economys_case_is_refused(client):
    CaseStudyFactory(slug="japanese-case", economy=Economy.objects.get(iso2="JP"), status="draft")
    client.force_login(staff("editor", ECONOMY_EDITOR, ["TH"]))
    records = [record("thai-case"), record("japanese-case", economy="TH")]

    response = client.post(IMPORT_URL, {"file": _named(json.dumps(records), "cases.json")})

    text = response.content.decode()
    assert response.status_code == 400
    # The same words as a clash with any case: nothing says the other case is Japan's (issue 12.4).
    assert "item 2: slug &#x27;japanese-case&#x27; belongs to another case already" in text
    assert "Japan" not in text
    assert "Confirm import" not in text
    assert CaseStudy.objects.get(slug="japanese-case").economy.iso2 == "JP"
    assert not CaseStudy.objects.filter(slug="thai-case").exists()


def test_confirmed_file_is_deleted_and_expired_previews_are_swept(curator_client):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    def pending():
        try:
            return set(default_storage.listdir(admin_import.PENDING_DIR)[1])
        except FileNotFoundError:
            return set()

    stale = default_storage.save(f"{admin_import.PENDING_DIR}/1000-stale.csv", ContentFile(b"old"))
    before = pending() - {stale.rsplit("/", 1)[1]}
    preview = curator_client.post(IMPORT_URL, {"file": _named(json.dumps([record()]), "cases.json")})
    kept = pending() - before
    assert not default_storage.exists(stale)
    assert len(kept) == 1

    curator_client.post(CONFIRM_URL, {"token": preview.context["token"]})

    assert not pending() & kept


def test_preview_lists_unchanged_cases_too(curator_client):
    curator_client.post(
        CONFIRM_URL,
        {
            "token": curator_client.post(
                IMPORT_URL, {"file": _named(json.dumps([record(status="draft")]), "cases.json")}
            ).context["token"]
        },
    )

    response = curator_client.post(
        IMPORT_URL, {"file": _named(json.dumps([record(status="draft")]), "cases.json")}
    )

    text = response.content.decode()
    assert "0 new, 0 updated, 1 unchanged" in text
    assert "1 case is already as the file says" in text


# --- Text no database can store: a NUL or a lone surrogate (issue 12, item 10) ------------------------

UNSTORABLE = pytest.mark.parametrize(
    "bad", ["Qwx\ud800", "Qwx\x00", "\udfff"], ids=["surrogate", "nul", "low"]
)


@UNSTORABLE
def test_admin_preview_refuses_unstorable_text_in_json(curator_client, bad):
    records = [record("fine"), record("bad", title=bad)]

    response = curator_client.post(IMPORT_URL, {"file": _named(json.dumps(records), "cases.json")})

    assert response.status_code == 400
    assert "item 2: title holds a character that cannot be stored" in response.content.decode()
    assert not CaseStudy.objects.exists()


@UNSTORABLE
def test_admin_preview_refuses_unstorable_text_in_a_csv_json_cell(curator_client, bad):
    text = csv_text([record(outcomes=[{"indicator": bad, "value": 1}])])

    response = curator_client.post(IMPORT_URL, {"file": _named(text, "cases.csv")})

    assert response.status_code == 400
    assert "outcomes[1].indicator holds a character that cannot be stored" in response.content.decode()
    assert not CaseStudy.objects.exists()


def test_admin_preview_refuses_unstorable_text_in_a_field_name(curator_client):
    response = curator_client.post(
        IMPORT_URL, {"file": _named(json.dumps([{**record(), "ti\ud800tle": "x"}]), "cases.json")}
    )

    assert response.status_code == 400
    assert "a field name holds a character that cannot be stored" in response.content.decode()


def test_admin_preview_refuses_json_nested_too_deeply(curator_client):
    response = curator_client.post(IMPORT_URL, {"file": _named("[" * 3000 + "]" * 3000, "cases.json")})

    assert response.status_code == 400
    assert "nested far too deeply" in response.content.decode()


@UNSTORABLE
def test_command_refuses_unstorable_text(tmp_path, bad):
    message, errors = run_failing("import_cases", json_file(tmp_path, [record(summary=bad)]))

    assert "1 bad row(s), nothing written" in message
    assert "item 1: summary holds a character that cannot be stored" in errors
    assert not CaseStudy.objects.exists()

"""The open-data dump (cases/interchange/dumps.py): its files, validated as a Frictionless Data Package with
the frictionless library, hold the published catalogue and nothing else."""

import csv
import gzip
import hashlib
import io
import json
import threading
from datetime import date, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from frictionless import Package

from cases import records
from cases.interchange import dumps
from cases.interchange.dumps import (
    CHECKSUMS,
    DATAPACKAGE,
    DumpRefused,
    days_to_keep,
    dump_days,
    latest_day,
    prune_dumps,
    write_dump,
    write_open_data,
)
from cases.interchange.exporting import neutralise
from cases.interchange.reference_data import load_reference_data
from cases.models import (
    CaseLink,
    CaseMethod,
    CaseOrganisation,
    CaseStudy,
    CaseToolkit,
    CaseTranslation,
    Method,
    Organisation,
    Outcome,
    Sector,
    Status,
    Toolkit,
    TranslationStatus,
)
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 12, 7)


@pytest.fixture
def folder(settings, tmp_path):
    """The open-data storage: a folder of this test's own."""
    settings.STORAGES = {
        **settings.STORAGES,
        "opendata": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    return tmp_path


@pytest.fixture
def catalogue():
    """Published cases beside a draft, one in review and one archived, with what hangs off each: the draft's
    and an unpublished translation's text must appear nowhere."""
    health = Sector.objects.get(slug="health")
    published = CaseStudyFactory(
        title="Mobile clinics on schedule", slug="mobile-clinics", status=Status.PUBLISHED
    )
    other = CaseStudyFactory(
        title="Open budget portal", slug="open-budget", status=Status.PUBLISHED, licence="CC0 1.0"
    )
    hidden = [
        CaseStudyFactory(title=f"Secret {status} case", slug=f"secret-{status}", status=status)
        for status in (Status.DRAFT, Status.IN_REVIEW, Status.ARCHIVED)
    ]
    published.sectors.add(health)
    hidden[0].sectors.add(health)
    Outcome.objects.create(case=published, indicator="=HYPERLINK(1)", value="-42.5", unit="villages")
    Outcome.objects.create(case=hidden[0], indicator="Secret outcome", value="1")
    CaseLink.objects.create(from_case=published, to_case=other, relation="related_to")
    CaseLink.objects.create(from_case=published, to_case=hidden[0], relation="related_to", note="Secret link")
    CaseTranslation.objects.create(
        case=published, language="ja", title="秘密の下書き翻訳", summary="下書き", overview="下書き",
        translated_by="t", status=TranslationStatus.DRAFT,
    )  # fmt: skip
    # Methods, toolkits and organisations (issue 18): a draft method and toolkit, and the organisation only a
    # draft names, are in no file; nor is a draft case's link to a published method.
    entry = {"summary": "One sentence.", "description": "What it is.", "discipline": "design"}
    now = timezone.now()
    sandbox = Method.objects.create(
        name="Regulatory sandbox", slug="regulatory-sandbox", status="published", published_at=now, **entry
    )
    secret_method = Method.objects.create(name="Secret method", slug="secret-method", **entry)
    sandbox.purpose_rows.create(purpose="test")
    secret_method.purpose_rows.create(purpose="understand")
    guide = Toolkit.objects.create(
        title="Sandbox guide",
        slug="sandbox-guide",
        kind="guide",
        publisher="MAS",
        url="https://example.org/guide",
        status="published",
        published_at=now,
        **entry,
    )
    secret_toolkit = Toolkit.objects.create(
        title="Secret toolkit",
        slug="secret-toolkit",
        kind="guide",
        publisher="Secret",
        url="https://example.org/secret",
        **entry,
    )
    guide.methods.add(sandbox, secret_method)
    guide.language_rows.create(language="en")
    CaseMethod.objects.create(case=published, method=sandbox, note="Tested the rules with six firms.")
    CaseMethod.objects.create(case=published, method=secret_method)
    CaseMethod.objects.create(case=hidden[0], method=sandbox, note="Secret note")
    CaseToolkit.objects.create(case=published, toolkit=guide)
    CaseToolkit.objects.create(case=published, toolkit=secret_toolkit)
    ministry = Organisation.objects.create(
        name="Ministry of Health", slug="ministry-of-health", economy=published.economy
    )
    secret_agency = Organisation.objects.create(name="Secret agency", slug="secret-agency")
    CaseOrganisation.objects.create(case=published, organisation=ministry)
    CaseOrganisation.objects.create(case=hidden[0], organisation=secret_agency)
    return published, other, hidden


def unpacked(path) -> str:
    if path.name.endswith(".parquet"):  # its values, as text to search
        return json.dumps(pq.read_table(path).to_pylist(), default=str, ensure_ascii=False)
    data = path.read_bytes()
    return gzip.decompress(data).decode() if path.name.endswith(".gz") else data.decode()


def validate(package_path):
    """The package validated by frictionless, but for the Parquet file: frictionless reads Parquet only with
    its `parquet` extra (fastparquet and pandas), which the tests do without. That file's bytes and checksum
    are checked below (test_the_parquet_file_is_in_the_package_and_the_checksums), its rows against the
    CSV's."""
    descriptor = json.loads(package_path.read_text())
    descriptor["resources"] = [each for each in descriptor["resources"] if each["format"] != "parquet"]
    return Package(descriptor, basepath=str(package_path.parent)).validate()


def test_the_dump_is_a_valid_data_package_of_the_published_catalogue(folder, catalogue):
    published, other, _hidden = catalogue

    dump = write_dump(day=DAY)

    report = validate(folder / DAY.isoformat() / DATAPACKAGE)
    assert report.valid, report.flatten(["type", "note"])
    assert dump.cases == 2
    rows = list(csv.DictReader(io.StringIO(unpacked(folder / DAY.isoformat() / "cases.csv.gz"))))
    assert [row["slug"] for row in rows] == [published.slug, other.slug]
    assert {row["slug"]: row["licence"] for row in rows}["open-budget"] == "CC0 1.0"  # its own terms, flagged
    lines = unpacked(folder / DAY.isoformat() / "cases.jsonl.gz").splitlines()
    first = json.loads(lines[0])
    assert first["slug"] == published.slug
    assert first["sectors"] == ["health"]
    (outcome,) = csv.DictReader(io.StringIO(unpacked(folder / DAY.isoformat() / "outcomes.csv")))
    assert outcome["indicator"] == "'=HYPERLINK(1)"  # text a spreadsheet would run, made inert
    assert outcome["value"] == "-42.5"  # a number stays a number
    links = list(csv.DictReader(io.StringIO(unpacked(folder / DAY.isoformat() / "case_links.csv"))))
    assert links == [
        {"case_id": str(published.pk), "relation": "related_to", "other_case_id": str(other.pk), "note": ""}
    ]


def read_table(folder, name) -> list[dict]:
    return list(csv.DictReader(io.StringIO(unpacked(folder / DAY.isoformat() / name))))


def test_the_dump_holds_the_published_methods_toolkits_and_organisations_and_the_cases_links_to_them(
    folder, catalogue
):
    published, _other, _hidden = catalogue

    write_dump(day=DAY)

    assert [row["slug"] for row in read_table(folder, "methods.csv")] == ["regulatory-sandbox"]
    assert read_table(folder, "method_purposes.csv") == [{"method": "regulatory-sandbox", "purpose": "test"}]
    assert [row["slug"] for row in read_table(folder, "toolkits.csv")] == ["sandbox-guide"]
    assert read_table(folder, "toolkit_methods.csv") == [
        {"toolkit": "sandbox-guide", "method": "regulatory-sandbox"}
    ]
    assert read_table(folder, "toolkit_languages.csv") == [{"toolkit": "sandbox-guide", "language": "en"}]
    assert read_table(folder, "case_methods.csv") == [
        {"case_id": str(published.pk), "method": "regulatory-sandbox", "role": "primary",
         "note": "Tested the rules with six firms."}
    ]  # fmt: skip
    assert read_table(folder, "case_toolkits.csv") == [
        {"case_id": str(published.pk), "toolkit": "sandbox-guide", "note": ""}
    ]
    assert [row["slug"] for row in read_table(folder, "organisations.csv")] == ["ministry-of-health"]
    assert read_table(folder, "case_organisations.csv") == [
        {"case_id": str(published.pk), "organisation": "ministry-of-health", "role": "lead"}
    ]


def test_nothing_unpublished_is_in_any_file(folder, catalogue):
    _published, _other, hidden = catalogue

    write_dump(day=DAY)

    for path in (folder / DAY.isoformat()).iterdir():
        text = unpacked(path)
        for case in hidden:
            assert case.slug not in text, path.name
            assert f"/cases/{case.pk}/" not in text, path.name
        assert "Secret" not in text, path.name
        assert "秘密" not in text, path.name
    ids = {
        row["case_id"]
        for name in ("case_sectors.csv", "outcomes.csv", "case_links.csv")
        for row in csv.DictReader(io.StringIO(unpacked(folder / DAY.isoformat() / name)))
    }
    assert not ids & {str(case.pk) for case in hidden}


def test_checksums_and_sizes_prove_each_file(folder, catalogue):
    write_dump(day=DAY)
    day = folder / DAY.isoformat()

    for line in (day / CHECKSUMS).read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((day / name).read_bytes()).hexdigest() == digest
    package = json.loads((day / DATAPACKAGE).read_text())
    for resource in package["resources"]:
        assert resource["bytes"] == (day / resource["path"]).stat().st_size
    # A file changed after the dump no longer matches what the package says of it.
    (day / "sectors.csv").write_text((day / "sectors.csv").read_text() + "\n")
    assert not validate(day / DATAPACKAGE).valid


def test_a_day_is_written_once_and_latest_is_the_newest(folder, catalogue):
    first = write_dump(day=DAY)
    again = write_dump(day=DAY)
    CaseStudy.objects.filter(slug="open-budget").update(status=Status.ARCHIVED)  # taken down the same day
    forced = write_dump(day=DAY, force=True)

    assert not first.skipped
    assert again.skipped
    assert forced.cases == 1
    assert "open-budget" not in unpacked(folder / DAY.isoformat() / "cases.csv.gz")
    assert validate(folder / DAY.isoformat() / DATAPACKAGE).valid
    assert latest_day() == DAY
    write_dump(day=date(2026, 12, 1))  # an earlier day, written later, is not the latest
    assert latest_day() == DAY


def test_a_day_still_to_come_is_refused(folder, catalogue):
    with pytest.raises(DumpRefused):
        write_dump(day=date.today() + timedelta(days=2))
    assert dump_days() == []


def test_a_folder_without_its_package_is_no_dump(folder, catalogue):
    """The package is stored last: a writer stopped half-way leaves a folder that is not listed, served or
    kept as the latest."""
    write_dump(day=DAY)
    (folder / DAY.isoformat() / DATAPACKAGE).unlink()

    assert dump_days() == []
    assert latest_day() is None
    assert write_dump(day=DAY).skipped is False  # and the next run writes it whole


@pytest.mark.skipif(connection.vendor != "postgresql", reason="REPEATABLE READ, and another connection")
@pytest.mark.django_db(transaction=True)
def test_the_files_agree_with_each_other_however_the_catalogue_changes_meanwhile(folder):
    """One transaction for every table: a case published while the dump is being written (here, once the
    cases' file is done) is in none of the files, where the link tables read after it would hold it."""
    load_reference_data()
    CaseStudyFactory(slug="before", status=Status.PUBLISHED).sectors.add(Sector.objects.get(slug="health"))

    def publish_another(done, total):
        def write():
            try:
                late = CaseStudyFactory(slug="during", status=Status.PUBLISHED)
                late.sectors.add(Sector.objects.get(slug="health"))
            finally:
                connection.close()  # this thread's own

        writer = threading.Thread(target=write)  # its own connection, committing at once
        writer.start()
        writer.join()

    write_dump(day=DAY, progress=publish_another)

    assert CaseStudy.objects.filter(slug="during").exists()
    report = validate(folder / DAY.isoformat() / DATAPACKAGE)
    assert report.valid, report.flatten(["type", "note"])
    sectors = list(csv.DictReader(io.StringIO(unpacked(folder / DAY.isoformat() / "case_sectors.csv"))))
    assert len(sectors) == 1


def test_the_same_catalogue_gives_the_same_bytes(folder, catalogue):
    names = ("cases.csv.gz", "cases.parquet", DATAPACKAGE, CHECKSUMS)
    write_dump(day=DAY)
    before = {name: (folder / DAY.isoformat() / name).read_bytes() for name in names}

    write_dump(day=DAY, force=True)

    assert {name: (folder / DAY.isoformat() / name).read_bytes() for name in names} == before


def test_the_parquet_file_holds_the_csv_rows_with_types(folder, catalogue):
    published, other, _hidden = catalogue

    write_dump(day=DAY)

    table = pq.read_table(folder / DAY.isoformat() / "cases.parquet")
    assert table.column_names == records.CSV_COLUMNS
    assert table.schema.field("id").type == pa.int64()
    assert table.schema.field("sectors").type == pa.list_(pa.string())
    types = {table.schema.field(each["name"]).type for each in dumps.tables()[0].fields}
    assert {pa.int64(), pa.date32(), pa.timestamp("us", tz="UTC")} <= types  # typed, not all text
    rows = table.to_pylist()
    assert [row["id"] for row in rows] == [published.pk, other.pk]  # published only
    assert rows[0]["sectors"] == ["health"]
    # The same values as the CSV's cells, once written as the CSV writes them.
    as_csv = [
        {
            name: neutralise(records.CSV_SEPARATOR.join(v) if isinstance(v, list) else v)
            for name, v in row.items()
        }
        for row in rows
    ]
    assert as_csv == list(csv.DictReader(io.StringIO(unpacked(folder / DAY.isoformat() / "cases.csv.gz"))))


def test_the_parquet_file_is_written_a_row_group_per_chunk(folder, monkeypatch):
    monkeypatch.setattr(dumps, "CHUNK_SIZE", 2)
    cases = [CaseStudyFactory(slug=f"case-{n}", status=Status.PUBLISHED) for n in range(5)]
    CaseStudyFactory(slug="a-draft", status=Status.DRAFT)

    write_dump(day=DAY)

    parquet = pq.ParquetFile(folder / DAY.isoformat() / "cases.parquet")
    sizes = [parquet.metadata.row_group(n).num_rows for n in range(parquet.num_row_groups)]
    assert sizes == [2, 2, 1]
    assert parquet.read().column("slug").to_pylist() == [case.slug for case in cases]


def test_the_parquet_file_is_in_the_package_and_the_checksums(folder, catalogue):
    write_dump(day=DAY)
    day = folder / DAY.isoformat()
    digest = hashlib.sha256((day / "cases.parquet").read_bytes()).hexdigest()

    (resource,) = [each for each in json.loads((day / DATAPACKAGE).read_text())["resources"]
                   if each["path"] == "cases.parquet"]  # fmt: skip
    assert resource["format"] == "parquet"
    assert resource["mediatype"] == "application/vnd.apache.parquet"
    assert resource["bytes"] == (day / "cases.parquet").stat().st_size
    assert resource["hash"] == f"sha256:{digest}"
    sectors = next(each for each in resource["schema"]["fields"] if each["name"] == "sectors")
    assert sectors["type"] == "array"  # a list in the file, as in JSON Lines
    assert f"{digest}  cases.parquet" in (day / CHECKSUMS).read_text().splitlines()


def test_the_keeping_rule_keeps_a_week_and_a_year_of_months():
    days = [date(2026, 12, 7 - n) for n in range(7)] + [
        date(2026, 11, 30),
        date(2026, 11, 2),
        date(2025, 11, 30),
    ]
    days += [date(2026, month, 15) for month in range(1, 11)] + [date(2025, 12, 31), date(2025, 12, 1)]

    kept = days_to_keep(days, daily=7, monthly=12)

    assert {date(2026, 12, 7 - n) for n in range(7)} <= kept  # the week
    assert date(2026, 11, 30) in kept  # November's newest
    assert date(2026, 11, 2) not in kept  # and only that
    assert date(2026, 1, 15) in kept  # the twelfth month with a dump
    assert date(2025, 12, 31) not in kept  # the thirteenth
    assert len(kept) == 7 + 11  # December's newest is one of the week


def test_pruning_deletes_whole_dumps_the_rule_drops(folder, catalogue, settings):
    settings.OPEN_DATA_KEEP_DAILY, settings.OPEN_DATA_KEEP_MONTHLY = 2, 1
    for day in (date(2026, 12, 1), date(2026, 12, 5), date(2026, 12, 7)):
        write_dump(day=day)

    assert prune_dumps() == [date(2026, 12, 1)]
    assert dump_days() == [date(2026, 12, 7), date(2026, 12, 5)]
    assert not (folder / "2026-12-01").exists() or not any((folder / "2026-12-01").iterdir())


def test_the_command_says_what_it_wrote_and_refuses_a_bad_day(folder, catalogue, capsys):
    call_command("write_open_data", "--day", "2026-12-07")
    said = capsys.readouterr().out
    assert "2/2 cases," in said
    assert "Wrote the dump of 2026-12-07: 2 cases in 27 files" in said

    with pytest.raises(Exception, match="YYYY-MM-DD"):
        call_command("write_open_data", "--day", "7 December")


def test_the_nightly_task_writes_todays_dump_and_prunes(folder, catalogue):

    result = write_open_data.enqueue()

    assert result.return_value["cases"] == 2
    assert result.return_value["skipped"] is False
    assert dump_days() == [date.fromisoformat(result.return_value["day"])]
    assert write_open_data.enqueue().return_value["skipped"] is True

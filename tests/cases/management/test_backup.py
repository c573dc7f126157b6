"""`manage.py backup` and `manage.py restore` (issue 17): a backup restored into a new, empty database and
an empty MEDIA_ROOT gives back the catalogue row for row and its uploads byte for byte; a damaged archive, a
database that is not empty and a backup from newer code are refused before anything is written.

The backup runs in this process, on the test database, whose data each test commits (transactional_db) so
that pg_dump sees it. The restore runs as an operator runs it: `manage.py restore` in a fresh process with
DATABASE_URL naming a database created for the test (dropped after it) and MEDIA_ROOT a temporary folder.
On SQLite the same tests run with the backup API and a database file.
"""

import contextlib
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from psycopg.types.string import TextLoader

from cases.interchange.reference_data import load_reference_data
from cases.management.commands.backup import libpq_arguments
from cases.models import CaseStudy, CaseTranslation, Economy, ResourceKind, Sector, Status, TranslationStatus
from tests.factories import CaseLinkFactory, CaseStudyFactory, EconomyFactory, OutcomeFactory, ResourceFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(settings.BASE_DIR)
REPORT = b"%PDF-1.4\n% a small report: bytes that must come back exactly\n" + bytes(range(256))


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploads on the local disk, in a folder of this test's (the test settings keep them in memory)."""
    root = tmp_path / "media-source"
    settings.MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return root


@pytest.fixture
def with_reference_data(transactional_db):
    """The vocabularies and economies, with their translations (about 5 s: only where they matter; a
    transactional test starts from empty tables, data migrations' rows included)."""
    load_reference_data()


@pytest.fixture
def catalogue(media_root):
    """Published and unpublished cases, a translation, an outcome, a link between cases, an uploaded file;
    with the reference data when the test asks for it first, else with one economy of its own."""
    economy = Economy.objects.filter(iso2="SG").first() or EconomyFactory(iso2="SG")
    published = CaseStudyFactory(
        title="Village water sensors",
        slug="village-water-sensors",
        economy=economy,
        sectors=Sector.objects.all(),
    )
    draft = CaseStudyFactory(
        title="A draft nobody has seen", slug="unseen-draft", status=Status.DRAFT, economy=economy, sectors=[]
    )
    CaseTranslation.objects.create(
        case=published,
        language="th",
        title="เซ็นเซอร์น้ำหมู่บ้าน",
        summary="เซ็นเซอร์วัดระดับน้ำในหมู่บ้าน",
        overview="ภาพรวมของกรณีศึกษา",
        translated_by="team",
        reviewed_by="reviewer",
        status=TranslationStatus.PUBLISHED,
    )
    OutcomeFactory(case=published)
    CaseLinkFactory(from_case=draft, to_case=published)
    resource = ResourceFactory(
        case=published,
        kind=ResourceKind.FILE,
        url="",
        title="Evaluation report",
        file=ContentFile(REPORT, "report.pdf"),
    )
    return {"published": published, "draft": draft, "resource": resource}


def make_backup(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    out = io.StringIO()
    call_command("backup", str(folder), stdout=out)
    (archive,) = folder.glob("*.tar")
    assert f"-> {archive}" in out.getvalue()
    return archive


@pytest.fixture
def backup(catalogue, tmp_path):
    return make_backup(tmp_path / "backups")


def postgresql_conninfo(dbname: str) -> dict:
    source = connection.settings_dict
    return {
        "host": source["HOST"] or "127.0.0.1",
        "port": source["PORT"] or 5432,
        "user": source["USER"] or None,
        "password": source["PASSWORD"] or None,
        "dbname": dbname,
    }


class Target:
    """A new, empty database for the restore: its DATABASE_URL and a way to read it."""

    def __init__(self, url: str, connect):
        self.url = url
        self.connect = connect

    def rows(self, sql: str) -> list[tuple]:
        with contextlib.closing(self.connect()) as database:
            cursor = database.cursor()
            cursor.execute(sql)
            return cursor.fetchall()

    def tables(self) -> list[str]:
        return [name for (name,) in self.rows(TABLES_SQL[connection.vendor])]


TABLES_SQL = {
    "postgresql": "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
}


def read_as_django_does(database):
    """JSON as its text, as Django's backend reads it (JSONField parses it itself), to compare rows."""
    database.adapters.register_loader("jsonb", TextLoader)
    return database


@pytest.fixture
def empty_database(tmp_path):
    """A new database with nothing in it; dropped after the test (PostgreSQL) or a file in tmp_path."""
    if connection.vendor == "sqlite":
        path = tmp_path / "restored.sqlite3"
        # Typed as Django's backend reads it (its converters are registered for the whole process).
        types = sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES
        yield Target(f"sqlite:///{path}", lambda: sqlite3.connect(path, detect_types=types))
        return
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    server = postgresql_conninfo("postgres")
    with psycopg.connect(**server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    source = connection.settings_dict
    credentials = f"{source['USER']}:{source['PASSWORD']}@" if source["PASSWORD"] else f"{source['USER']}@"
    url = f"postgres://{credentials}{server['host']}:{server['port']}/{name}"
    try:
        yield Target(url, lambda: read_as_django_does(psycopg.connect(**postgresql_conninfo(name))))
    finally:
        with psycopg.connect(**server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def restore(archive: Path, target: Target, media_root: Path) -> subprocess.CompletedProcess:
    """`manage.py restore` as an operator runs it: a new process, configured by its environment."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DATABASE_", "STORAGE_", "AWS_"))
        and name not in {"DJANGO_SETTINGS_MODULE", "PYTEST_XDIST_WORKER"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="observatory.settings.dev",
        DATABASE_URL=target.url,
        MEDIA_ROOT=str(media_root),
        REDIS_URL="",
    )
    return subprocess.run(
        [sys.executable, "manage.py", "restore", str(archive)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def source_rows(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def cases_tables() -> list[str]:
    """Every table of the cases app's models, link tables included."""
    models = apps.get_app_config("cases").get_models(include_auto_created=True)
    return sorted({model._meta.db_table for model in models if model._meta.managed and not model._meta.proxy})


def test_a_restore_gives_back_the_catalogue_and_its_uploads(
    with_reference_data, backup, catalogue, empty_database, tmp_path
):
    restored_media = tmp_path / "media-restored"
    result = restore(backup, empty_database, restored_media)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Restore: 2 cases, 1 uploads (1 written)" in result.stdout

    every_table = connection.introspection.table_names()
    assert sorted(every_table) == sorted(empty_database.tables())
    for table in every_table:
        sql = f"SELECT count(*) FROM {table}"
        assert empty_database.rows(sql) == source_rows(sql), table
    for table in cases_tables():
        sql = f"SELECT * FROM {table}"
        assert sorted(empty_database.rows(sql), key=repr) == sorted(source_rows(sql), key=repr), table
    slugs = dict(empty_database.rows("SELECT slug, status FROM cases_casestudy"))
    assert slugs == {"village-water-sensors": Status.PUBLISHED, "unseen-draft": Status.DRAFT}

    name = catalogue["resource"].file.name
    assert (restored_media / name).read_bytes() == REPORT


def test_the_manifest_lists_the_migrations_and_each_file_with_its_checksum(backup, catalogue):
    with tarfile.open(backup) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        files = {entry["name"]: entry for entry in manifest["files"]}
        upload = files[f"uploads/{catalogue['resource'].file.name}"]
        assert upload == {
            "name": upload["name"],
            "bytes": len(REPORT),
            "sha256": hashlib.sha256(REPORT).hexdigest(),
        }
        for name, entry in files.items():
            assert hashlib.sha256(tar.extractfile(name).read()).hexdigest() == entry["sha256"]
    applied = MigrationRecorder(connection).migration_qs.order_by("id").values_list("app", "name")
    latest = dict(applied)  # in the order applied: the last of each app wins
    assert manifest["migrations"] == dict(sorted(latest.items()))
    assert manifest["engine"] == connection.vendor
    assert manifest["counts"] == {"cases": 2, "published_cases": 1, "uploads": 1, "upload_bytes": len(REPORT)}
    assert backup.stat().st_mode & 0o077 == 0  # readable by its owner only


def test_a_corrupted_archive_is_refused_before_anything_is_written(backup, empty_database, tmp_path):
    with tarfile.open(backup) as tar:
        dump = next(member for member in tar.getmembers() if member.name.startswith("database."))
    with backup.open("r+b") as archive:  # one byte of the database changed
        archive.seek(dump.offset_data + dump.size // 2)
        byte = archive.read(1)
        archive.seek(-1, os.SEEK_CUR)
        archive.write(bytes([byte[0] ^ 0xFF]))
    restored_media = tmp_path / "media-restored"

    result = restore(backup, empty_database, restored_media)

    assert result.returncode != 0
    assert f"{dump.name} differs from the manifest's size and SHA-256" in result.stderr
    assert "Nothing was restored." in result.stderr
    assert empty_database.tables() == []
    assert not restored_media.exists()


def test_an_upload_that_would_replace_a_different_file_is_refused(
    backup, catalogue, empty_database, tmp_path
):
    restored_media = tmp_path / "media-restored"
    other = restored_media / catalogue["resource"].file.name
    other.parent.mkdir(parents=True)
    other.write_bytes(b"another file of the same name")

    result = restore(backup, empty_database, restored_media)

    assert result.returncode != 0
    assert "would replace a different file of the same name" in result.stderr
    assert empty_database.tables() == []
    assert other.read_bytes() == b"another file of the same name"


def test_a_database_that_has_tables_is_refused(backup):
    with pytest.raises(CommandError, match=r"is not empty .* restore into a new, empty database"):
        call_command("restore", str(backup), stdout=io.StringIO())
    assert CaseStudy.objects.count() == 2


def test_a_backup_made_by_newer_code_is_refused(catalogue, tmp_path):
    recorder = MigrationRecorder(connection)
    recorder.record_applied("cases", "9999_from_the_future")
    try:
        archive = make_backup(tmp_path / "backups")
    finally:
        recorder.record_unapplied("cases", "9999_from_the_future")

    with pytest.raises(CommandError, match=r"made by newer code.*cases\.9999_from_the_future"):
        call_command("restore", str(archive), stdout=io.StringIO())
    assert CaseStudy.objects.count() == 2


def test_a_backup_never_puts_the_password_on_the_command_line():
    arguments, environment = libpq_arguments(
        {
            "NAME": "observatory",
            "USER": "app",
            "PASSWORD": "s3cret",
            "HOST": "db",
            "PORT": 5432,
            "OPTIONS": {},
        }
    )
    assert arguments == ["--host=db", "--port=5432", "--username=app", "--dbname=observatory"]
    assert not any("s3cret" in argument for argument in arguments)
    assert environment["PGPASSWORD"] == "s3cret"

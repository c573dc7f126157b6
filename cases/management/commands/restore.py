"""Restore a backup made by `manage.py backup` into an empty database (docs/deployment.md, "Backups and
restores").

Nothing is written until everything has been checked: every file of the archive against the manifest's size
and SHA-256 (and the manifest against its own checksum), the database engine, the migrations (a backup made
by newer code, with migrations this code does not know, is refused: restore it with the code it was made
with, then upgrade), a target database without a single table, and no upload that would replace a different
file of the same name. Then the database (pg_restore in one transaction, or SQLite's backup API), then the
uploads, then the restored counts are compared with the manifest's.

Deliberately no --force: replacing a live database is a `dropdb`/`createdb` an operator types, not an
option one can add to the wrong command line.
"""

import hashlib
import json
import re
import sqlite3
import tarfile
import tempfile
import time
from pathlib import Path, PurePosixPath

from django.core.files import File
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from cases.management.commands.backup import (
    ARCHIVE_FORMAT,
    ARCHIVE_VERSION,
    CHUNK,
    MANIFEST,
    MANIFEST_CHECKSUM,
    POSTGRESQL_DUMP,
    PROGRESS_EVERY,
    SQLITE_COPY,
    UPLOADS,
    libpq_arguments,
    megabytes,
    postgresql_tool,
    run_tool,
)
from cases.models import CaseStudy
from observatory.postgresql.base import long_running

DATABASE_FILES = {"postgresql": POSTGRESQL_DUMP, "sqlite": SQLITE_COPY}
SHA256 = re.compile(r"[0-9a-f]{64}")


class Refused(CommandError):
    """The restore stopped before writing anything."""

    def __init__(self, reason: str):
        super().__init__(f"{reason} Nothing was restored.")


def corrupted(path: Path, problem: str) -> Refused:
    return Refused(f"{path} is not an intact backup: {problem}.")


def verified_manifest(path: Path) -> dict:
    """The manifest of the archive at `path`, once every byte of every file has been checked against it."""
    found: dict[str, tuple[int, str]] = {}
    kept: dict[str, bytes] = {}
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                if not member.isfile():
                    raise corrupted(path, f"{member.name!r} is not a plain file")
                if member.name in found:
                    raise corrupted(path, f"{member.name!r} is in it twice")
                digest, size = hashlib.sha256(), 0
                source = tar.extractfile(member)
                content = bytearray() if member.name in (MANIFEST, MANIFEST_CHECKSUM) else None
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    if content is not None:
                        content += chunk
                found[member.name] = (size, digest.hexdigest())
                if content is not None:
                    kept[member.name] = bytes(content)
    except FileNotFoundError:
        raise Refused(f"{path} does not exist.") from None
    except (OSError, EOFError, tarfile.TarError) as error:
        raise corrupted(path, f"it cannot be read as a tar file ({error})") from None
    if MANIFEST not in kept or MANIFEST_CHECKSUM not in kept:
        raise corrupted(path, "its manifest is missing (a truncated or damaged file, or not a backup)")
    expected = kept[MANIFEST_CHECKSUM].decode("ascii", "replace").split(" ")[0]
    if hashlib.sha256(kept[MANIFEST]).hexdigest() != expected:
        raise corrupted(path, "its manifest does not match its checksum")
    try:
        manifest = json.loads(kept[MANIFEST])
    except ValueError as error:
        raise corrupted(path, f"its manifest is not JSON ({error})") from None
    if manifest.get("format") != ARCHIVE_FORMAT:
        raise Refused(f"{path} is not a backup made by `manage.py backup`.")
    if manifest.get("version", 0) > ARCHIVE_VERSION:
        raise Refused(f"{path} was written in a newer backup format (version {manifest['version']}).")
    listed = {entry["name"]: entry for entry in manifest["files"]}
    extra = sorted(set(found) - set(listed) - {MANIFEST, MANIFEST_CHECKSUM})
    missing = sorted(set(listed) - set(found))
    if extra or missing:
        raise corrupted(path, f"files missing {missing[:5]}, files not in the manifest {extra[:5]}")
    for name, entry in listed.items():
        if not SHA256.fullmatch(str(entry.get("sha256"))) or found[name] != (entry["bytes"], entry["sha256"]):
            raise corrupted(path, f"{name} differs from the manifest's size and SHA-256")
        if name != DATABASE_FILES.get(manifest.get("engine")) and not safe_upload_name(name):
            raise corrupted(path, f"{name!r} is neither the database nor an upload")
    return manifest


def safe_upload_name(name: str) -> bool:
    """An upload's name under uploads/, relative and going nowhere else (no `..`, no absolute path)."""
    if not name.startswith(UPLOADS) or "\\" in name:
        return False
    parts = PurePosixPath(name[len(UPLOADS) :]).parts
    return bool(parts) and not any(part in ("", ".", "..") for part in parts) and not name.endswith("/")


def known_migrations() -> set[tuple[str, str]]:
    """Every migration this code has on disk, and those its squashed migrations replace."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update(tuple(replaced) for replaced in getattr(migration, "replaces", []) or [])
    return known


def tables_in(connection) -> list[str]:
    """The tables (and views, sequences) of the target database: a restore needs none."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT n.nspname || '.' || c.relname FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
                "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%' "
                "ORDER BY 1"
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY 1"
            )
        return [name for (name,) in cursor.fetchall()]


def stored_sha256(storage, name: str) -> str:
    digest = hashlib.sha256()
    with storage.open(name, "rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into the configured database, which must be empty "
        "(create it first), and the configured uploads storage. The archive is checked whole before "
        "anything is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", help="the .tar file `manage.py backup` wrote")

    # Bulk work outside a request: statements may take minutes, not a request's few seconds.
    @long_running()
    def handle(self, *args, backup, **options):
        started = time.monotonic()
        path = Path(backup).expanduser()
        connection = connections[DEFAULT_DB_ALIAS]
        self.stdout.write(f"Checking {path}")
        manifest = verified_manifest(path)
        application = manifest.get("application") or {}
        self.stdout.write(
            f"  {len(manifest['files']):,} files match their checksums; made {manifest['created']} from "
            f"{manifest['engine']} database {manifest['database']} "
            f"(version {application.get('version')}, commit {(application.get('commit') or '?')[:12]})"
        )
        self.check_engine(manifest, connection)
        self.check_migrations(manifest)
        database_name = connection.settings_dict["NAME"]
        tables = tables_in(connection)
        if tables:
            raise Refused(
                f"The database {database_name} is not empty ({len(tables)} tables, views or sequences, "
                f"e.g. {', '.join(tables[:3])}): restore into a new, empty database (docs/deployment.md)."
            )
        storage = storages["default"]
        uploads, present = self.planned_uploads(manifest, storage)
        self.stdout.write(
            f"  target: {connection.vendor} database {database_name}, empty; {len(uploads):,} uploads to "
            f"write, {present:,} already there"
        )

        with tempfile.TemporaryDirectory(prefix="observatory-restore-") as scratch:
            self.restore_database(path, manifest, connection, Path(scratch))
        self.stdout.write(f"  database restored, {time.monotonic() - started:.1f} s")
        written = self.restore_uploads(path, uploads, storage, started)
        self.check_counts(manifest)

        pending = self.pending_migrations(connection)
        if pending:
            self.stdout.write(
                self.style.WARNING(
                    f"  The code has {len(pending)} migration(s) newer than the backup "
                    f"({', '.join(pending[:3])}{', ...' if len(pending) > 3 else ''}): "
                    "run `manage.py migrate`."
                )
            )
        counts = manifest["counts"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Restore: {counts['cases']:,} cases, {counts['uploads']:,} uploads ({written:,} written), "
                f"{megabytes(path.stat().st_size)} in {time.monotonic() - started:.1f} s <- {path}"
            )
        )

    @staticmethod
    def check_engine(manifest: dict, connection) -> None:
        if manifest["engine"] != connection.vendor:
            raise Refused(
                f"This is a {manifest['engine']} backup and the configured database is {connection.vendor}: "
                "a backup restores into the engine it came from (to move the catalogue between engines, use "
                "export_cases and import_cases)."
            )

    @staticmethod
    def check_migrations(manifest: dict) -> None:
        known = known_migrations()
        unknown = [
            f"{app}.{name}" for app, name in manifest["migrations"].items() if (app, name) not in known
        ]
        if unknown:
            commit = (manifest.get("application") or {}).get("commit") or "unknown"
            raise Refused(
                f"The backup was made by newer code: it has migrations this code does not know "
                f"({', '.join(unknown)}). Restore it with the code it was made with (commit {commit}), or "
                "deploy newer code first."
            )

    def planned_uploads(self, manifest: dict, storage) -> tuple[list[dict], int]:
        """The uploads to write; refused if one would replace a different file of the same name."""
        uploads, present, conflicts = [], 0, []
        for entry in manifest["files"]:
            if not entry["name"].startswith(UPLOADS):
                continue
            name = entry["name"][len(UPLOADS) :]
            if not storage.exists(name):
                uploads.append(entry)
            elif stored_sha256(storage, name) == entry["sha256"]:
                present += 1  # the same file already there (restoring over the same MEDIA_ROOT)
            else:
                conflicts.append(name)
        if conflicts:
            raise Refused(
                f"{len(conflicts)} upload(s) would replace a different file of the same name in the storage "
                f"(e.g. {', '.join(conflicts[:3])}): restore into an empty MEDIA_ROOT or bucket."
            )
        return uploads, present

    def restore_database(self, path: Path, manifest: dict, connection, scratch: Path) -> None:
        member = DATABASE_FILES[manifest["engine"]]
        with tarfile.open(path, "r:*") as tar:
            tar.extract(member, scratch, filter="data")
        database_file = scratch / member
        self.stdout.write(f"  restoring the database ({megabytes(database_file.stat().st_size)})")
        if connection.vendor == "postgresql":
            arguments, environment = libpq_arguments(connection.settings_dict)
            # One transaction, stopping at the first error: a restore is complete or leaves the database
            # empty. Owners and grants are the target's (its user owns what it restores): the source's roles
            # need not exist on the new server.
            command = [
                postgresql_tool("pg_restore"),
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                *arguments,
                str(database_file),
            ]
            run_tool(command, environment, "pg_restore")
        else:
            connection.ensure_connection()
            source = sqlite3.connect(database_file)
            try:
                source.backup(connection.connection)
            finally:
                source.close()

    def restore_uploads(self, path: Path, uploads: list[dict], storage, started: float) -> int:
        wanted = {entry["name"]: entry for entry in uploads}
        written = size = 0

        def progress():
            elapsed = time.monotonic() - started
            self.stdout.write(f"  uploads: {written:,}/{len(uploads):,}, {megabytes(size)}, {elapsed:.1f} s")

        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                entry = wanted.get(member.name)
                if entry is None:
                    continue
                name = member.name[len(UPLOADS) :]
                saved = storage.save(name, File(tar.extractfile(member), name=name))
                if saved != name:  # a file of that name appeared meanwhile: the storage picked another
                    storage.delete(saved)
                    raise CommandError(f"{name} appeared in the storage during the restore; not replaced.")
                written += 1
                size += entry["bytes"]
                if written % PROGRESS_EVERY == 0:
                    progress()
        if written % PROGRESS_EVERY or not written:  # else the line above said it already
            progress()
        return written

    @staticmethod
    def check_counts(manifest: dict) -> None:
        counts = manifest["counts"]
        restored = {
            "cases": CaseStudy._base_manager.count(),
            "published_cases": CaseStudy.objects.published().count(),
        }
        for key, value in restored.items():
            if value != counts[key]:
                raise CommandError(f"The restored database has {value:,} {key}, the backup {counts[key]:,}.")

    @staticmethod
    def pending_migrations(connection) -> list[str]:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]

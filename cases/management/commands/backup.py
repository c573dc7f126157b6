"""Back up the catalogue: the database and the uploads, in one tar file with a manifest of checksums, which
`manage.py restore` checks before it touches anything (docs/deployment.md, "Backups and restores").

The archive holds `database.dump` (`pg_dump --format=custom`) or, on SQLite, `database.sqlite3` (a copy
made with SQLite's backup API, consistent while the site runs); `uploads/...`, every file of the "default"
storage (MEDIA_ROOT, or the S3 bucket) under its storage name; `manifest.json` (when, which database, the
latest applied migration of each app, the code's version and commit, counts, each file's size and SHA-256);
and `manifest.sha256`, the manifest's own checksum, so that no byte of the archive goes unchecked.

The database is dumped first and the uploads copied after: every file a dumped row names was uploaded
before the dump began, so it is in the archive (files are added, rarely deleted); a file uploaded during the
backup may come along unreferenced, which is harmless.
"""

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from django.conf import settings
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from cases.models import CaseStudy, Status
from observatory.postgresql.base import long_running

ARCHIVE_FORMAT = "observatory-backup"
ARCHIVE_VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_CHECKSUM = "manifest.sha256"
POSTGRESQL_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
UPLOADS = "uploads/"
PROGRESS_EVERY = 200  # uploads
CHUNK = 1024 * 1024

# Connection settings of Django's OPTIONS that libpq also reads from the environment: passed that way, so
# that nothing secret is on a command line (visible to every user of the machine in `ps`).
LIBPQ_ENVIRONMENT = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}


def postgresql_tool(name: str) -> str:
    """Path of pg_dump or pg_restore: on PATH, else the newest of Debian's versioned folders."""
    versioned = Path("/usr/lib/postgresql").glob(f"*/bin/{name}")
    newest = max(
        versioned, key=lambda path: [int(part) for part in re.findall(r"\d+", path.parts[-3])], default=None
    )
    found = shutil.which(name) or (str(newest) if newest else None)
    if not found:
        raise CommandError(f"{name} was not found: install the PostgreSQL client (postgresql-client).")
    return found


def libpq_arguments(settings_dict: dict) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore from a DATABASES entry, and the environment to run them
    with: the password and the other secrets go in the environment, never on the command line."""
    arguments = []
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER"), ("--dbname", "NAME")):
        if settings_dict.get(key):
            arguments.append(f"{flag}={settings_dict[key]}")
    environment = {**os.environ, "PGAPPNAME": "observatory-backup"}
    if settings_dict.get("PASSWORD"):
        environment["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    options = settings_dict.get("OPTIONS") or {}
    for option, variable in LIBPQ_ENVIRONMENT.items():
        if options.get(option) not in (None, ""):
            environment[variable] = str(options[option])
    # The site's session settings (`options`: statement and lock timeouts of a few seconds) are deliberately
    # not passed: they are for requests, and would cut a dump or a restore short.
    environment.pop("PGOPTIONS", None)
    return arguments, environment


def run_tool(command: list[str], environment: dict[str, str], what: str) -> None:
    """Run pg_dump or pg_restore; its complaint becomes the command's error."""
    result = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)  # noqa: S603 - our own arguments
    if result.returncode != 0:
        raise CommandError(f"{what} failed (exit {result.returncode}): {result.stderr.strip()[-2000:]}")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class HashingReader(io.RawIOBase):
    """A file read through once, its SHA-256 and length counted on the way (into the tar, out of it)."""

    def __init__(self, source):
        self.source = source
        self.digest = hashlib.sha256()
        self.bytes = 0

    def readable(self):
        return True

    def read(self, size=-1):
        chunk = self.source.read(size)
        self.digest.update(chunk)
        self.bytes += len(chunk)
        return chunk


def storage_files(storage, folder: str = ""):
    """Every file name in a storage, depth first, sorted (FileSystemStorage: MEDIA_ROOT; S3: the bucket)."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # nothing uploaded yet: MEDIA_ROOT does not exist
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for name in sorted(folders):
        yield from storage_files(storage, f"{folder}/{name}" if folder else name)


def catalogue_facts(cursor) -> dict:
    """The latest applied migration of each app and the number of cases, read with a DB-API cursor on the
    data that is being backed up (the dump's snapshot, or the SQLite copy)."""
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
    migrations = {}
    for app, name in cursor.fetchall():
        migrations[app] = name  # in the order applied: the last one wins
    table = CaseStudy._meta.db_table
    cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - the model's own table name
    (cases,) = cursor.fetchone()
    cursor.execute(f"SELECT count(*) FROM {table} WHERE status = '{Status.PUBLISHED}'")  # noqa: S608 - constants
    (published,) = cursor.fetchone()
    return {"migrations": dict(sorted(migrations.items())), "cases": cases, "published_cases": published}


def application_version() -> dict:
    """The code's version, and its git commit when it runs from a checkout (cheap: one `git rev-parse`)."""
    try:
        version = metadata.version("observatory")
    except metadata.PackageNotFoundError:
        version = None
    commit = None
    git = shutil.which("git")
    if git:
        try:
            result = subprocess.run(  # noqa: S603 - a fixed command
                [git, "rev-parse", "HEAD"],
                cwd=settings.BASE_DIR,
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            result = None
        if result is not None and result.returncode == 0:
            commit = result.stdout.strip()
    return {"version": version, "commit": commit}


def archive_path(target: str, database_name: str) -> Path:
    """The file to write: inside `target` when it is a folder, else `target` itself (never overwritten)."""
    path = Path(target).expanduser()
    if path.is_dir():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        # The database's name, made safe for a file name (an SQLite path or URI becomes its stem).
        name = re.sub(r"[^\w.-]+", "-", Path(database_name).stem).strip("-.") or "database"
        path = path / f"observatory-{name}-{stamp}.tar"
    if path.exists():
        raise CommandError(f"{path} exists already: a backup never overwrites a file.")
    if not path.parent.is_dir():
        raise CommandError(f"{path.parent} is not a folder: create it first.")
    return path


def megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


class Command(BaseCommand):
    help = (
        "Back up the database and the uploads into one tar file with a checksummed manifest: into FOLDER "
        "(a file named by the date) or to FILE.tar. `manage.py restore` reads it."
    )

    def add_arguments(self, parser):
        parser.add_argument("target", help="a folder to write the backup in, or the .tar file to write")

    # Bulk work outside a request: statements may take minutes, not a request's few seconds.
    @long_running()
    def handle(self, *args, target, **options):
        started = time.monotonic()
        connection = connections[DEFAULT_DB_ALIAS]
        if connection.vendor not in ("postgresql", "sqlite"):
            raise CommandError(f"Backups support PostgreSQL and SQLite, not {connection.vendor}.")
        if connection.in_atomic_block:
            raise CommandError("Run the backup outside a transaction: the dump only sees committed data.")
        database_name = str(connection.settings_dict["NAME"])
        path = archive_path(target, database_name)
        partial = path.with_name(path.name + ".partial")
        self.stdout.write(f"Backing up {connection.vendor} database {database_name} to {path}")
        try:
            with tempfile.TemporaryDirectory(dir=path.parent, prefix=".backup-") as scratch:
                manifest = self.write_archive(connection, Path(scratch), partial, started)
            os.replace(partial, path)  # complete or absent: never a half-written backup under the real name
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        counts = manifest["counts"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup: {counts['cases']:,} cases, {counts['uploads']:,} uploads, "
                f"{megabytes(path.stat().st_size)} in {time.monotonic() - started:.1f} s -> {path}"
            )
        )

    def write_archive(self, connection, scratch: Path, partial: Path, started: float) -> dict:
        if connection.vendor == "postgresql":
            database_file, facts, engine = self.dump_postgresql(connection, scratch)
        else:
            database_file, facts, engine = self.copy_sqlite(connection, scratch)
        self.stdout.write(
            f"  database: {facts['cases']:,} cases, {megabytes(database_file.stat().st_size)}, "
            f"{time.monotonic() - started:.1f} s"
        )
        files = []
        # Readable by the owner only: a backup holds accounts and submitters' contact details.
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with (
            os.fdopen(descriptor, "wb") as raw,
            tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar,
        ):
            with database_file.open("rb") as source:
                files.append(self.add(tar, database_file.name, source, database_file.stat().st_size))
            database_file.unlink()  # the scratch copy is not needed twice on disk
            uploads, upload_bytes = self.add_uploads(tar, files, started)
            manifest = {
                "format": ARCHIVE_FORMAT,
                "version": ARCHIVE_VERSION,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                **engine,
                "database": str(connection.settings_dict["NAME"]),
                "migrations": facts["migrations"],
                "application": application_version(),
                "storage": type(storages["default"]).__module__ + "." + type(storages["default"]).__name__,
                "counts": {
                    "cases": facts["cases"],
                    "published_cases": facts["published_cases"],
                    "uploads": uploads,
                    "upload_bytes": upload_bytes,
                },
                "files": files,
            }
            text = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
            self.add(tar, MANIFEST, io.BytesIO(text), len(text))
            checksum = f"{hashlib.sha256(text).hexdigest()}  {MANIFEST}\n".encode()
            self.add(tar, MANIFEST_CHECKSUM, io.BytesIO(checksum), len(checksum))
            raw.flush()
            os.fsync(raw.fileno())
        return manifest

    def dump_postgresql(self, connection, scratch: Path):
        """pg_dump of the database, and the manifest's facts read in the very snapshot it dumps."""
        pg_dump = postgresql_tool("pg_dump")
        dump = scratch / POSTGRESQL_DUMP
        arguments, environment = libpq_arguments(connection.settings_dict)
        bulk_timeout = connection.settings_dict["OPTIONS"].get("bulk_timeout")
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            # The transaction only holds the snapshot open while pg_dump runs, idle for as long as it takes:
            # the sessions' one-minute limit on idle transactions would end it under pg_dump's feet.
            cursor.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cursor.fetchone()
            facts = catalogue_facts(cursor)
            command = [
                pg_dump,
                "--format=custom",
                f"--file={dump}",
                f"--snapshot={snapshot}",
                *arguments,
            ]
            if bulk_timeout:
                # Waiting behind a migration's lock fails after the bulk timeout instead of for ever.
                command.append(f"--lock-wait-timeout={int(bulk_timeout)}s")
            self.stdout.write(
                f"  pg_dump of {connection.settings_dict['NAME']} (PostgreSQL {server_version})"
            )
            run_tool(command, environment, "pg_dump")
        version = subprocess.run(  # noqa: S603 - our own arguments
            [pg_dump, "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
        return dump, facts, {"engine": "postgresql", "server_version": server_version, "pg_dump": version}

    def copy_sqlite(self, connection, scratch: Path):
        """A consistent copy through SQLite's backup API (the site may keep writing meanwhile)."""
        copy = scratch / SQLITE_COPY
        connection.ensure_connection()
        target = sqlite3.connect(copy)
        try:
            connection.connection.backup(target)
            cursor = target.cursor()
            facts = catalogue_facts(cursor)
            cursor.close()
        finally:
            target.close()
        return copy, facts, {"engine": "sqlite", "server_version": sqlite3.sqlite_version}

    def add_uploads(self, tar, files: list, started: float) -> tuple[int, int]:
        storage = storages["default"]
        count = size = 0
        for name in storage_files(storage):
            with storage.open(name, "rb") as source:
                entry = self.add(tar, UPLOADS + name, source, storage.size(name))
            files.append(entry)
            count += 1
            size += entry["bytes"]
            if count % PROGRESS_EVERY == 0:
                self.stdout.write(
                    f"  uploads: {count:,} files, {megabytes(size)}, {time.monotonic() - started:.1f} s"
                )
        if count % PROGRESS_EVERY or not count:  # else the line above said it already
            self.stdout.write(
                f"  uploads: {count:,} files, {megabytes(size)}, {time.monotonic() - started:.1f} s"
            )
        return count, size

    @staticmethod
    def add(tar, name: str, source, size: int) -> dict:
        """Add a file to the archive, hashing it as it goes in: read once, however large."""
        info = tarfile.TarInfo(name)
        info.size = size
        info.mtime = int(time.time())
        info.mode = 0o600
        reader = HashingReader(source)
        try:
            tar.addfile(info, reader)
        except OSError as error:  # fewer bytes than the size said: the file changed while being copied
            raise CommandError(
                f"{name} changed while it was being backed up ({error}): run the backup again."
            ) from error
        return {"name": name, "bytes": reader.bytes, "sha256": reader.digest.hexdigest()}

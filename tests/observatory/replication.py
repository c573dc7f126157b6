"""A PostgreSQL primary and a real streaming replica of it, on free ports of this machine, in a temporary
directory: for the read replica tests (tests/observatory/test_replicas.py) and `make replica`.

    with ReplicatedPostgres() as pair:
        pair.create_database("observatory")
        pair.url("observatory")           # postgres://postgres@127.0.0.1:PRIMARY/observatory
        pair.replica_url("observatory")   # the same database, read from the replica
        pair.pause_replay() / pair.resume_replay()   # the replica stops applying the primary's changes
        pair.kill_replica()               # pg_ctl stop -m immediate: a crash, connections cut
        pair.hang_replica()               # SIGSTOP to its processes: a server that never answers
        pair.unhang_replica()             # SIGCONT
        pair.start_replica()              # back, catching up from the primary

Why a primary of its own rather than the machine's PostgreSQL: a replica is made by `pg_basebackup` over a
*replication* connection, which the machine's pg_hba.conf (Debian's, as CI has it) does not allow, and the
tests must not edit the system's configuration. `initdb`'s own pg_hba.conf allows replication from this
machine. The replica is made exactly as in production (`pg_basebackup -R`: standby.signal and
primary_conninfo), without a replication slot, so nothing is left pinning WAL if a run is killed; the
primary keeps 256 MB of WAL instead (`wal_keep_size`), plenty for a replica stopped for seconds.

PostgreSQL refuses to run as root: as root, every command runs as the `postgres` user (runuser). Run as a
script, it starts the pair, prints the settings to use, and stops and deletes it all on Ctrl-C:

    python -m tests.observatory.replication [DATABASE_NAME]
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

START_SECONDS = 30


def postgresql_bin() -> Path | None:
    """The directory of the newest PostgreSQL server binaries on this machine (Debian's layout first)."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name))
    for directory in reversed(candidates):
        if (directory / "pg_basebackup").exists() and (directory / "postgres").exists():
            return directory
    found = shutil.which("pg_basebackup")
    return Path(found).parent if found else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ReplicatedPostgres:
    def __init__(self, bindir: Path | None = None):
        self.bindir = bindir or postgresql_bin()
        if self.bindir is None:
            raise RuntimeError("No PostgreSQL server binaries (pg_basebackup, postgres) on this machine.")
        self.root: Path | None = None
        self.primary_port = 0
        self.replica_port = 0
        self.as_postgres = os.geteuid() == 0

    # --- Directories and commands ---

    @property
    def primary_dir(self) -> Path:
        return self.root / "primary"

    @property
    def replica_dir(self) -> Path:
        return self.root / "replica"

    def _run(self, *command: str | Path, timeout: float = 60) -> str:
        argv = [str(part) for part in command]
        if self.as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}\n{self.logs()}")
        return done.stdout

    def _pg_ctl(self, data: Path, *arguments: str) -> None:
        self._run(self.bindir / "pg_ctl", "-D", data, "-l", data.parent / f"{data.name}.log", *arguments)

    def logs(self) -> str:
        if self.root is None:
            return ""
        parts = []
        for name in ("primary", "replica"):
            log = self.root / f"{name}.log"
            if log.exists():
                parts.append(f"--- {name}.log ---\n{log.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)

    # --- Life cycle ---

    def start(self) -> "ReplicatedPostgres":
        self.root = Path(tempfile.mkdtemp(prefix="observatory-replication-"))
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        try:
            self._start_primary()
            self._make_replica()
            self.start_replica()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_primary(self) -> None:
        self.primary_port = free_port()
        self._run(
            self.bindir / "initdb", "-D", self.primary_dir, "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--no-sync", "--locale=C.UTF-8",
        )  # fmt: skip
        with (self.primary_dir / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.primary_port}\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.root}'\n"
                # A throwaway cluster: nothing to keep across a power cut.
                "fsync = off\n"
                "shared_buffers = 32MB\n"
                "max_connections = 60\n"
                "max_wal_senders = 4\n"
                "wal_keep_size = 256MB\n"
            )
        self._pg_ctl(self.primary_dir, "-w", "-t", str(START_SECONDS), "start")

    def _make_replica(self) -> None:
        self.replica_port = free_port()
        self._run(
            self.bindir / "pg_basebackup", "-h", "127.0.0.1", "-p", self.primary_port, "-U", "postgres",
            "-D", self.replica_dir, "-X", "stream", "-R", "-c", "fast", "--no-sync",
        )  # fmt: skip
        with (self.replica_dir / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {self.replica_port}\n")

    def start_replica(self) -> None:
        self._pg_ctl(self.replica_dir, "-w", "-t", str(START_SECONDS), "start")

    def kill_replica(self) -> None:
        """A crash: the server stops at once, every connection to it cut."""
        self._pg_ctl(self.replica_dir, "-m", "immediate", "stop")

    def replica_processes(self) -> list[int]:
        """The replica's postmaster and its children (found by parent id in /proc, never by name)."""
        postmaster = int((self.replica_dir / "postmaster.pid").read_text().split()[0])
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                # The fields after the command's name (which may hold spaces): state, then the parent's id.
                if int(stat.read_text().rpartition(")")[2].split()[1]) == postmaster:
                    children.append(int(stat.parent.name))
        return [postmaster, *children]

    def hang_replica(self) -> None:
        """SIGSTOP to every process of the replica: a hung server. The kernel still accepts connections
        (up to the listen backlog) and acknowledges data; nothing answers."""
        for pid in self.replica_processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)

    def unhang_replica(self) -> None:
        for pid in self.replica_processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def stop(self) -> None:
        """Stop both servers (whatever state they are in) and delete everything."""
        if self.root is None:
            return
        for data in (self.replica_dir, self.primary_dir):
            if (data / "postmaster.pid").exists():
                with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                    self._pg_ctl(data, "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def __enter__(self) -> "ReplicatedPostgres":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # --- Using them ---

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.primary_port}/{database}"

    def replica_url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.replica_port}/{database}"

    def primary(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.url(database), autocommit=True, connect_timeout=5)

    def replica(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.replica_url(database), autocommit=True, connect_timeout=5)

    def create_database(self, name: str) -> None:
        with self.primary() as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        self.wait_for_replay()

    def wait_for_replay(self, timeout: float = 10) -> None:
        """Until the replica has applied everything the primary has written so far."""
        with self.primary() as primary:
            (target,) = primary.execute("SELECT pg_current_wal_insert_lsn()").fetchone()
        deadline = time.monotonic() + timeout
        with self.replica() as replica:
            while True:
                (caught_up,) = replica.execute(
                    "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [str(target)]
                ).fetchone()
                if caught_up:
                    return
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the replica did not replay up to {target} in {timeout} s")
                time.sleep(0.05)

    def pause_replay(self) -> None:
        with self.replica() as replica:
            replica.execute("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        with self.replica() as replica:
            replica.execute("SELECT pg_wal_replay_resume()")


def main() -> None:
    database = sys.argv[1] if len(sys.argv) > 1 else "observatory"
    with ReplicatedPostgres() as pair:
        pair.create_database(database)
        print(
            f"Primary on port {pair.primary_port}, streaming replica on port {pair.replica_port} "
            f"(data in {pair.root}). Until Ctrl-C, in another shell:\n\n"
            f"  export DATABASE_URL={pair.url(database)}\n"
            f"  export DATABASE_REPLICA_URLS={pair.replica_url(database)}\n"
            "  .venv/bin/python manage.py migrate && .venv/bin/python manage.py load_demo\n"
            "  .venv/bin/python manage.py runserver\n",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            signal.signal(signal.SIGTERM, signal.default_int_handler)
            while True:
                time.sleep(3600)
    print("Stopped; data deleted.")


if __name__ == "__main__":
    main()

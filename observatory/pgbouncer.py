"""PgBouncer in transaction mode in front of PostgreSQL, started by the project (docs/deployment.md).

Many app processes, each with a connection per thread, would otherwise hold hundreds of PostgreSQL
sessions, most of them idle. PgBouncer lends a few server sessions to many clients, one transaction at a
time (`pool_mode = transaction`). The application must then keep no state in a session: settings/base.py
turns off what would (DATABASE_TRANSACTION_POOLING), and the server-side limits every connection needs
(statement and lock timeouts, JIT off) are set here, by PgBouncer, on each server session it opens
(`connect_query`), because PgBouncer refuses libpq's `options` from its clients.

    python -m observatory.pgbouncer --port 6432            # in the foreground, until Ctrl-C or SIGTERM
    make pgbouncer                                          # the same, with the defaults

Then DATABASE_URL=postgres://postgres@127.0.0.1:6432/<database> and DATABASE_TRANSACTION_POOLING=1 for
the app servers; management commands and the task worker keep DATABASE_URL pointing at PostgreSQL itself.
Authentication is left to PostgreSQL's own rules for 127.0.0.1 here (`auth_type = trust` on loopback):
a deployment across machines sets `auth_type = scram-sha-256` with an `auth_query`, as PgBouncer's manual
describes.

Debian's package (pgbouncer) provides the program: `make scale-deps` installs it.
"""

import argparse
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
START_SECONDS = 10
# A server setting's value as it may stand unquoted in a `SET name TO value` statement.
PLAIN_VALUE = re.compile(r"^[\w.-]+$")


class PgBouncerError(RuntimeError):
    """PgBouncer is missing or did not start."""


def connect_query(session_options: str) -> str:
    """libpq's `-c name=value ...` options as the statements PgBouncer runs on each new server session."""
    statements = []
    for option in re.findall(r"-c\s*(\S+)", session_options):
        name, _, value = option.partition("=")
        if not (re.fullmatch(r"\w+", name) and PLAIN_VALUE.match(value)):
            raise ValueError(f"A server setting PgBouncer cannot pass on as it is: {option!r}")
        statements.append(f"SET {name} TO {value}")
    return "; ".join(statements)


def configuration(
    *,
    folder: Path,
    port: int,
    upstream_host: str,
    upstream_port: int,
    pool_size: int,
    session_options: str,
    user: str = "postgres",
) -> str:
    """pgbouncer.ini: every database of the upstream server, pooled per transaction."""
    query = connect_query(session_options)
    connect = f" connect_query='{query}'" if query else ""
    return f"""\
[databases]
* = host={upstream_host} port={upstream_port}{connect}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder / "userlist.txt"}
admin_users = {user}
pool_mode = transaction
default_pool_size = {pool_size}
min_pool_size = 0
max_client_conn = 1000
; A client's transaction is short; a server session is handed to the next client as soon as it ends.
server_reset_query =
server_check_delay = 10
; A server that does not answer the login within this many seconds is given up (the app's own bound
; covers the rest: observatory/postgresql/base.py).
server_connect_timeout = 3
query_wait_timeout = 10
logfile = {folder / "pgbouncer.log"}
pidfile = {folder / "pgbouncer.pid"}
"""


class PgBouncer:
    """A PgBouncer process of its own folder and port, for tests, benchmarks and the ensemble."""

    def __init__(
        self,
        *,
        port: int = 0,
        upstream: tuple[str, int] = ("127.0.0.1", 5432),
        pool_size: int = 4,
        session_options: str | None = None,
        folder: Path | None = None,
    ):
        if session_options is None:
            from observatory.settings.base import database_session_options

            session_options = database_session_options()
        self.port = port or _free_port()
        self.upstream = upstream
        self.pool_size = pool_size
        self.session_options = session_options
        self._own_folder = folder is None
        self.folder = Path(folder or tempfile.mkdtemp(prefix="observatory-pgbouncer-"))
        self.process: subprocess.Popen | None = None

    def url(self, database: str, user: str = "postgres") -> str:
        return f"postgres://{user}@127.0.0.1:{self.port}/{database}"

    def start(self) -> "PgBouncer":
        if not os.path.exists(PGBOUNCER):
            raise PgBouncerError("PgBouncer is not installed: `make scale-deps` installs Debian's package.")
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "userlist.txt").write_text('"postgres" ""\n')
        ini = self.folder / "pgbouncer.ini"
        ini.write_text(
            configuration(
                folder=self.folder,
                port=self.port,
                upstream_host=self.upstream[0],
                upstream_port=self.upstream[1],
                pool_size=self.pool_size,
                session_options=self.session_options,
            )
        )
        command = [PGBOUNCER, str(ini)]
        if os.geteuid() == 0:  # PgBouncer refuses to run as root: as PostgreSQL's own user instead
            account = pwd.getpwnam("postgres")
            for path in [self.folder, *self.folder.iterdir()]:
                os.chown(path, account.pw_uid, account.pw_gid)
            command[1:1] = ["-u", "postgres"]
        # The program and its arguments are ours: no input of anyone else's reaches the command line.
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise PgBouncerError(f"PgBouncer exited at start: {self._log_tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise PgBouncerError(f"PgBouncer did not listen on port {self.port} in {START_SECONDS} s.")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # PgBouncer's "safe shutdown"
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _log_tail(self) -> str:
        stderr = self.process.stderr.read().decode(errors="replace") if self.process else ""
        log = self.folder / "pgbouncer.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        return (stderr + text).strip()[-2000:]

    def __enter__(self) -> "PgBouncer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="PgBouncer in transaction mode in front of PostgreSQL.")
    parser.add_argument("--port", type=int, default=6432)
    parser.add_argument("--upstream", default="127.0.0.1:5432", help="PostgreSQL's host:port")
    parser.add_argument("--pool-size", type=int, default=8, help="server sessions per database (default 8)")
    parser.add_argument("--folder", type=Path, default=Path("var/pgbouncer"))
    arguments = parser.parse_args(argv)
    from observatory.settings import base

    host, _, port = arguments.upstream.rpartition(":")
    bouncer = PgBouncer(
        port=arguments.port,
        upstream=(host, int(port)),
        pool_size=arguments.pool_size,
        session_options=base.database_session_options(),
        folder=arguments.folder.resolve(),
    )
    bouncer.start()
    print(f"PgBouncer (transaction mode) on 127.0.0.1:{bouncer.port} in front of {arguments.upstream}")
    print(f"App servers: DATABASE_URL={bouncer.url('<database>')} DATABASE_TRANSACTION_POOLING=1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        bouncer.process.wait()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        bouncer.stop()


if __name__ == "__main__":
    main()

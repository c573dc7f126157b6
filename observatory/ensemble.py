"""The whole deployment on one machine, without Compose: several app processes behind one address,
optionally PgBouncer in front of PostgreSQL, and the task worker, all sharing Redis and the database
(docs/deployment.md, "Several app processes").

    python -m observatory.ensemble --processes 3 --pgbouncer     # until Ctrl-C or SIGTERM
    make ensemble                                                # 2 processes, PgBouncer, 1 task worker

"Behind one address" without a proxy: each app process is a gunicorn master of its own binding the same
port with SO_REUSEPORT (`--reuse-port`), and the kernel spreads new connections over them. One process
killed, the others keep the address answering; as on several machines behind a load balancer, nothing is
shared between processes but PostgreSQL and Redis, so what one process writes the others must see through
them (the catalogue version in the database, the caches in Redis).

The app processes run the production settings with the database tasks backend: the writes' tasks are
queued in the database and run by the task worker (`manage.py run_worker`), which connects to PostgreSQL
itself (never through PgBouncer: its advisory locks are session state).
"""

import argparse
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
START_SECONDS = 30


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Ensemble:
    """App processes on one port, the task worker, and PgBouncer if asked; `start()` waits until the
    address answers, `stop()` ends them all, whatever state they are in."""

    def __init__(
        self,
        *,
        database_url: str,
        redis_url: str,
        processes: int = 2,
        workers: int = 1,
        threads: int = 8,
        task_workers: int = 1,
        pgbouncer: bool = False,
        pool_size: int = 8,
        port: int = 0,
        env: dict[str, str] | None = None,
    ):
        if not database_url.startswith(("postgres://", "postgresql://")):
            raise ValueError("The ensemble shares PostgreSQL between processes: DATABASE_URL must name it.")
        if not redis_url:
            raise ValueError("The ensemble shares its caches through Redis: set REDIS_URL.")
        self.database_url, self.redis_url = database_url, redis_url
        self.processes, self.workers, self.threads = processes, workers, threads
        self.task_workers, self.pool_size = task_workers, pool_size
        self.use_pgbouncer = pgbouncer
        self.port = port or _free_port()
        self.env = env or {}
        self.bouncer = None
        self.apps: list[subprocess.Popen] = []
        self.task_runners: list[subprocess.Popen] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self, **overrides) -> dict[str, str]:
        """The processes' environment: the production settings, the database tasks backend, `env`, then
        `overrides`. Pooling only where asked for (the app processes behind PgBouncer)."""
        inherited = {
            name: value for name, value in os.environ.items() if name != "DATABASE_TRANSACTION_POOLING"
        }
        return {
            **inherited,
            "DJANGO_SETTINGS_MODULE": "observatory.settings.prod",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            **self.env,
            **overrides,
        }

    def app_environment(self) -> dict[str, str]:
        if not self.bouncer:
            return self.environment()
        database = urlsplit(self.database_url)
        pooled = self.bouncer.url(database.path.lstrip("/"), user=database.username or "postgres")
        return self.environment(DATABASE_URL=pooled, DATABASE_TRANSACTION_POOLING="1")

    def start(self) -> "Ensemble":
        try:
            if self.use_pgbouncer:
                from observatory.pgbouncer import PgBouncer

                database = urlsplit(self.database_url)
                self.bouncer = PgBouncer(
                    upstream=(database.hostname or "127.0.0.1", database.port or 5432),
                    pool_size=self.pool_size,
                ).start()
            for _ in range(self.processes):
                self.apps.append(self._start_app())
            for number in range(self.task_workers):
                self.task_runners.append(
                    subprocess.Popen(  # noqa: S603 (our own command line)
                        [sys.executable, "manage.py", "run_worker", "--worker-id", f"ensemble-{number + 1}"],
                        cwd=ROOT,
                        env=self.environment(),
                        start_new_session=True,
                    )
                )
            self._wait_until_answering()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_app(self) -> subprocess.Popen:
        command = [
            str(BIN / "gunicorn"),
            "--config=python:observatory.settings.gunicorn",
            "observatory.wsgi",
            f"--bind=127.0.0.1:{self.port}",
            "--reuse-port",
            f"--workers={self.workers}",
            "--worker-class=gthread",
            f"--threads={self.threads}",
            "--log-level=warning",
        ]
        # Its own process group: stopped whole (master and workers), never by name.
        return subprocess.Popen(command, cwd=ROOT, env=self.app_environment(), start_new_session=True)  # noqa: S603

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while True:
            dead = [
                process.args[0] for process in [*self.apps, *self.task_runners] if process.poll() is not None
            ]
            if dead:
                raise RuntimeError(f"A process of the ensemble exited at start: {dead}")
            try:
                with urllib.request.urlopen(self.base_url + "/healthz/", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"The ensemble did not answer on {self.base_url} in {START_SECONDS} s.")
            time.sleep(0.2)

    def kill_app(self, index: int = 0) -> None:
        """One app process gone at once (SIGKILL to its master and workers): a crashed machine."""
        process = self.apps[index]
        _signal_group(process, signal.SIGKILL)
        process.wait(timeout=10)
        # Its workers hold the listening socket too: until the last is gone, the kernel still hands that
        # socket its share of new connections, which are then reset.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        raise RuntimeError("The killed app process's workers did not exit.")

    def stop(self) -> None:
        for process in [*self.apps, *self.task_runners]:
            _signal_group(process, signal.SIGTERM)
        for process in [*self.apps, *self.task_runners]:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(timeout=5)
        if self.bouncer:
            self.bouncer.stop()

    def __enter__(self) -> "Ensemble":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _signal_group(process: subprocess.Popen, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, number)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--processes", type=int, default=2, help="app processes on the one address")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per app process")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--task-workers", type=int, default=1)
    parser.add_argument("--pgbouncer", action="store_true", help="the app processes through PgBouncer")
    parser.add_argument("--port", type=int, default=8000)
    arguments = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")) or not redis_url:
        sys.exit("The ensemble shares PostgreSQL and Redis: set DATABASE_URL=postgres://... and REDIS_URL.")
    # Plain HTTP on loopback, one secret shared by every process (sessions signed by one are read by all).
    defaults = {
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
    }
    env = {name: value for name, value in defaults.items() if not os.environ.get(name)}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT,
        env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": "observatory.settings.prod"},
        check=True,
    )
    ensemble = Ensemble(
        env=env,
        database_url=database_url,
        redis_url=redis_url,
        processes=arguments.processes,
        workers=arguments.workers,
        threads=arguments.threads,
        task_workers=arguments.task_workers,
        pgbouncer=arguments.pgbouncer,
        port=arguments.port,
    )
    ensemble.start()
    through = " through PgBouncer" if ensemble.bouncer else ""
    print(
        f"Ensemble on {ensemble.base_url}: {arguments.processes} app processes x {arguments.workers} "
        f"workers x {arguments.threads} threads{through}, {arguments.task_workers} task worker(s). "
        "Ctrl-C stops it."
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while all(process.poll() is None for process in ensemble.apps):
            time.sleep(1)
        print("An app process exited: stopping the ensemble.")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        ensemble.stop()


if __name__ == "__main__":
    main()

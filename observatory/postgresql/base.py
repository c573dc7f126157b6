"""Django's PostgreSQL backend, with every round trip to the server bounded in time.

Why: a database that *hangs* (the server or something in front of it stopped, a network that drops packets
silently) must cost a request a few seconds and a calm 503 (cases/middleware.py), never a worker stuck until
gunicorn kills it. Three layers, each for what the others cannot see:

1. Server-side limits, sent as connection options (settings/base.py): `statement_timeout` and
   `lock_timeout` end a slow statement or a long lock wait with a clean error, and
   `idle_in_transaction_session_timeout` frees the locks of a transaction whose client went away. They
   cannot help when the server never sees the statement.
2. TCP keepalives and `tcp_user_timeout` (libpq parameters, settings/base.py) notice a peer that is gone:
   unacknowledged data or unanswered probes close the socket. They cannot help when the peer's kernel is
   alive and acknowledges every byte while the process behind it is stopped (a paused PostgreSQL or
   proxy): the socket is healthy and simply silent.
3. A client-side bound on each round trip (this module) covers the rest. Neither libpq nor psycopg 3 has a
   read timeout option. But every round trip of a psycopg connection (a statement, each fetch of a
   server-side cursor, commit, rollback, Django's health-check ping) is one call of `Connection.wait()`,
   which already takes a `timeout` (psycopg uses it for notifications and cancellation). A connection
   class whose `wait()` defaults that timeout bounds all of them in one place, in the thread that waits,
   with no timer thread or signal (SIGALRM reaches only the main thread; gunicorn's gthread workers serve
   requests elsewhere; a watchdog thread that shuts the socket down would need arming around every call).
   When the bound expires the connection is closed (its protocol state is unknown: a statement may be
   half-sent) and `DatabaseReadTimeout`, an OperationalError, is raised: Django wraps it, the 503
   middleware answers, and the next request opens a fresh connection (bounded by `connect_timeout`).

The bound is longer than `statement_timeout`, so a merely slow statement is cancelled by the server
first (the connection stays usable) and only a silent server meets the client's bound.

Streamed reads (`QuerySet.iterator()`, the exports) use a server-side cursor whose creation can take long
legitimately: in autocommit PostgreSQL materialises a `WITH HOLD` cursor's whole result when it is
declared. Those cursors get the longer `bulk_timeout` for each round trip, and so does code inside
`long_running()` (management commands doing bulk work).
"""

import contextlib
import time
import types

import psycopg
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.postgresql import base as postgresql
from django.db.backends.postgresql import schema as postgresql_schema
from psycopg import errors

try:
    from psycopg_pool import PoolTimeout as _PoolTimeout
except ImportError:  # the pool is optional (DATABASE_POOL)
    _PoolTimeout = errors.ConnectionTimeout

# OPTIONS of this backend that are not libpq parameters (removed before connecting).
READ_TIMEOUT_OPTION = "read_timeout"
BULK_TIMEOUT_OPTION = "bulk_timeout"
# Django's health check at the start of a request is a `SELECT 1`: answered in a millisecond by a live
# server, so a second is plenty, and it leaves the rest of the 5 s promise for a reconnection attempt.
HEALTH_CHECK_TIMEOUT = 1.0


class TransactionPoolingRefused(CommandError):
    """Work that keeps state in a database session, asked for through a pooler in transaction mode (a
    CommandError: management commands say it in one line)."""


class DatabaseReadTimeout(psycopg.OperationalError):
    """The database did not answer one round trip in time; the connection was closed."""


class DatabaseRecentlyUnreachable(psycopg.OperationalError):
    """The database timed out a moment ago in this process: not asked again until the pause ends."""


# {(host, port, database name): monotonic time until which it is not asked again}, for the whole process.
# A request whose first query timed out must not wait again for its next one (a page cache that falls back
# to the database, an error handler that looks something up): one timeout per request, not one per query.
# Only timeouts count: a refused connection fails at once anyway, and must not delay the recovery.
_unreachable_until: dict[tuple, float] = {}


def database_target(settings_dict: dict) -> tuple:
    return (settings_dict["HOST"], str(settings_dict["PORT"]), settings_dict["NAME"])


def mark_unreachable(settings_dict: dict, seconds: float) -> None:
    _unreachable_until[database_target(settings_dict)] = time.monotonic() + seconds


class BoundedConnection(psycopg.Connection):
    """A psycopg connection whose every wait for the server ends after `read_timeout` seconds."""

    # Set on a subclass per database (DatabaseWrapper.__init__).
    read_timeout: float | None = None
    settings_dict: dict = {}  # the database's settings (read when marking it unreachable)
    unreachable_pause: float = 0

    def wait(self, gen, interval=psycopg.connection._WAIT_INTERVAL, timeout=None):
        if timeout is not None or not self.read_timeout:
            return super().wait(gen, interval, timeout)  # psycopg's own bounded waits stay as they are
        try:
            return super().wait(gen, interval, self.read_timeout)
        except errors._WaitTimeout:
            # Half-way through the protocol: nothing more can be said on this connection.
            self.pgconn.finish()
            mark_unreachable(self.settings_dict, self.unreachable_pause)
            raise DatabaseReadTimeout(
                f"no answer from the database within {self.read_timeout:g} s; connection closed"
            ) from None

    @contextlib.contextmanager
    def bounded(self, seconds: float | None):
        """Round trips inside the block wait at most `seconds` (None or 0: as long as they take)."""
        saved = self.__dict__.get("read_timeout")
        self.read_timeout = seconds
        try:
            yield
        finally:
            if saved is None:
                self.__dict__.pop("read_timeout", None)  # back to the class's bound
            else:
                self.read_timeout = saved


class BulkServerSideCursor(postgresql.ServerSideCursor):
    """Django's server-side cursor (QuerySet.iterator()), each round trip allowed the bulk timeout."""

    bulk_timeout: float | None = None

    def _bulk(self):
        return self.connection.bounded(self.bulk_timeout)

    def execute(self, *args, **kwargs):
        with self._bulk():
            return super().execute(*args, **kwargs)

    def fetchone(self):
        with self._bulk():
            return super().fetchone()

    def fetchmany(self, *args, **kwargs):
        with self._bulk():
            return super().fetchmany(*args, **kwargs)

    def fetchall(self):
        with self._bulk():
            return super().fetchall()


class DatabaseSchemaEditor(postgresql_schema.DatabaseSchemaEditor):
    """Migrations rewrite whole tables: their statements get the bulk timeout, not a request's."""

    def __enter__(self):
        self._long_running = long_running(using=self.connection)
        self._long_running.__enter__()
        return super().__enter__()

    def __exit__(self, *exc_info):
        try:
            return super().__exit__(*exc_info)
        finally:
            self._long_running.__exit__(*exc_info)


class _Psycopg(types.ModuleType):
    """psycopg as Django's backend sees it (`DatabaseWrapper.Database`), except that `connect()` makes
    the bounded connection class of the database."""

    def __init__(self, connection_class):
        super().__init__("psycopg")
        self.connect = connection_class.connect

    def __getattr__(self, name):
        return getattr(psycopg, name)


class DatabaseWrapper(postgresql.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor

    def __init__(self, settings_dict, *args, **kwargs):
        super().__init__(settings_dict, *args, **kwargs)
        options = self.settings_dict["OPTIONS"]
        self.read_timeout = options.get(READ_TIMEOUT_OPTION)
        self.bulk_timeout = options.get(BULK_TIMEOUT_OPTION)
        # As long as a connection attempt may wait: asking again sooner would only wait again.
        self.unreachable_pause = float(options.get("connect_timeout") or 0)
        self.connection_class = type(
            "BoundedConnection",
            (BoundedConnection,),
            {
                "read_timeout": self.read_timeout,
                "settings_dict": self.settings_dict,
                "unreachable_pause": self.unreachable_pause,
            },
        )
        self.Database = _Psycopg(self.connection_class)
        pool = options.get("pool")
        if pool:
            # The pool makes its own connections, and checks them before handing one out.
            options["pool"] = {
                **({} if pool is True else pool),
                "connection_class": self.connection_class,
                "check": self._check_pooled_connection if self.settings_dict["CONN_HEALTH_CHECKS"] else None,
            }

    def get_connection_params(self):
        params = super().get_connection_params()
        params.pop(READ_TIMEOUT_OPTION, None)
        params.pop(BULK_TIMEOUT_OPTION, None)
        return params

    def get_new_connection(self, conn_params):
        if time.monotonic() < _unreachable_until.get(database_target(self.settings_dict), 0):
            raise DatabaseRecentlyUnreachable(
                f"the database did not answer a moment ago; not asked again for {self.unreachable_pause:g} s"
            )
        try:
            return super().get_new_connection(conn_params)
        except (errors.ConnectionTimeout, _PoolTimeout):
            mark_unreachable(self.settings_dict, self.unreachable_pause)
            raise

    def create_cursor(self, name=None):
        cursor = super().create_cursor(name)
        if name and isinstance(cursor, postgresql.ServerSideCursor):
            cursor.__class__ = BulkServerSideCursor  # same object, its round trips allowed longer
            cursor.bulk_timeout = self.bulk_timeout
        return cursor

    def is_usable(self):
        """Django's health check (CONN_HEALTH_CHECKS), with a short bound of its own."""
        if self.connection is None:
            return False
        with self.connection.bounded(HEALTH_CHECK_TIMEOUT):
            return super().is_usable()

    @contextlib.contextmanager
    def _nodb_cursor(self):
        """The connection to the `postgres` database Django opens to create or drop a database (the
        test database): those statements take as long as they take, like a migration's."""
        with super()._nodb_cursor() as cursor, cursor.connection.bounded(self.bulk_timeout):
            cursor.execute(
                "SELECT set_config('statement_timeout', %s, false)", [f"{self.bulk_timeout or 0}s"]
            )
            yield cursor

    @staticmethod
    def _check_pooled_connection(connection):
        from psycopg_pool import ConnectionPool

        with connection.bounded(HEALTH_CHECK_TIMEOUT):
            ConnectionPool.check_connection(connection)


@contextlib.contextmanager
def long_running(seconds: float | None = None, *, using=DEFAULT_DB_ALIAS):
    """Allow each statement inside the block `seconds` (default: the database's bulk timeout), on the
    server (statement_timeout) and in the client's bound: for bulk work outside requests (migrations,
    imports, generation). `using` is a database alias or connection. Nothing changes on another
    database engine."""
    if isinstance(using, str):
        # The alias, not `django.db.connection`: that is a proxy, never an instance of this wrapper.
        using = connections[using]
    if not isinstance(using, DatabaseWrapper):
        yield
        return
    if using.settings_dict.get("TRANSACTION_POOLING"):
        # Behind a pooler in transaction mode (DATABASE_TRANSACTION_POOLING), the timeout set here would
        # stay on whichever server session ran the statement, for the clients handed it next.
        raise TransactionPoolingRefused(
            "Bulk work needs a connection to PostgreSQL itself, not through PgBouncer: run management "
            "commands and the task worker with DATABASE_URL naming the database server and without "
            "DATABASE_TRANSACTION_POOLING (docs/deployment.md)."
        )
    seconds = using.bulk_timeout if seconds is None else seconds
    using.ensure_connection()
    with using.connection.bounded(seconds):
        with using.cursor() as cursor:
            cursor.execute("SELECT current_setting('statement_timeout')")
            (saved,) = cursor.fetchone()
            cursor.execute("SELECT set_config('statement_timeout', %s, false)", [f"{int(seconds * 1000)}ms"])
        try:
            yield
        finally:
            if using.is_usable():
                with using.cursor() as cursor:
                    cursor.execute("SELECT set_config('statement_timeout', %s, false)", [saved])

"""Read replicas: anonymous readers' requests read from a PostgreSQL streaming replica, everything else from
the primary (DATABASE_REPLICA_URLS, docs/deployment.md "Read replicas").

Who goes where. `ReplicaRoutingMiddleware` marks a request *replica-eligible* when it can only read and
nobody needs to see a write of their own in it: GET, HEAD or OPTIONS, outside the admin and the health
check, with no session cookie (sessions are for staff only) and no *sticky* cookie (set for
DATABASE_REPLICA_STICKY_SECONDS on every answer to a request that wrote, or came with an unsafe method, so a
reader sees their own write). `ReplicaRouter` sends reads in an eligible request to a replica, and every
other read, every write and every migration to the primary: in the task worker, management commands and
the shell no request is marked, so they never read from a replica.

When a replica may be used. Each process checks a replica at most every DATABASE_REPLICA_CHECK_SECONDS:
it reads the primary's WAL position (`pg_current_wal_insert_lsn()`, timed) and then the replica's replayed
position (`pg_last_wal_replay_lsn()`). The replica then holds everything committed on the primary before
the latest time at which the primary's position was at most the replica's: its *consistency point*. Now
minus that point bounds its lag, measured in time whether the primary is busy or idle (an idle primary's
position does not move, so a replica that replayed it is current). A replica whose lag exceeds
DATABASE_REPLICA_MAX_LAG, that is not in recovery (promoted: it has left the primary's history), or that
cannot be reached is not used; reads go to the primary. One that cannot be reached, or fails a statement
with a broken connection, is left alone for DATABASE_REPLICA_RETRY_SECONDS (and the database backend is
told, observatory/postgresql/base.py `mark_unreachable`, so no other path waits for it either); an eligible
request whose replica failed half-way is answered again, from the primary (it could only read).

Why a process never mixes what it read from two databases. cases/caching.py keeps in memory, for the whole
process, the catalogue version and the case stamps it last read, and keys the shared cache by them. Read
from the primary (by a staff or sticky request) and then used by an anonymous request reading a lagging
replica, they would key the replica's older content with the primary's newer version: a stale page, kept
until the next write. So each process reads from one replica at a time (reads never go back in time), and
`_observe` notes when a read of that state (the CatalogueState row, a case stamp) last ended on each
database. An eligible request starting after such a read elsewhere that the replica may not hold yet (it
ended after the replica's consistency point) first makes this process forget that state
(`forget_catalogue_version()`: it is read again, from the replica); one that meets such a read while it is
being served reads the rest of its answer from the primary, which is never older than any key. Raw SQL
through `django.db.connection` (search) bypasses routers: it reads the primary, newer than the key, never
older.
"""

import contextlib
import contextvars
import functools
import logging
import random
import re
import threading
import time
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections
from psycopg import errors as psycopg_errors

from observatory.postgresql.base import HEALTH_CHECK_TIMEOUT, BoundedConnection, mark_unreachable

logger = logging.getLogger(__name__)

REPLICA_ALIAS_PREFIX = "replica_"
# Set on the answer to a request that wrote: the reader's requests read from the primary until it expires.
STICKY_COOKIE = "observatory_primary"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Always the primary: curation, and the readiness check (which must say whether the primary answers).
PRIMARY_PATHS = ("/admin/", "/healthz/")
WRITE_STATEMENT = re.compile(r"\s*(INSERT|UPDATE|DELETE|MERGE|TRUNCATE|COPY|CREATE|ALTER|DROP)\b", re.I)
# The column cases.caching._case_stamp_rows names in every case stamp query (the other state it keeps in
# memory is the CatalogueState row); tests/observatory/test_replicas.py fails if it is renamed.
STAMP_MARK = '"stamp_part"'


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith(REPLICA_ALIAS_PREFIX)]


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


# --- The request being served -------------------------------------------------------------------------------


@dataclass
class RequestRouting:
    """Where one request's reads go: `alias` is chosen as it starts (`admit`) and kept, or turns to the
    primary for the rest of the request; never back."""

    eligible: bool
    alias: str | None = None
    connected: bool = False  # its replica's connection checked, at the request's first read of it
    # The end of the last state read elsewhere when the replica was chosen: a later one pins to the primary.
    reference: float = -1.0
    wrote: bool = False
    replica_failed: bool = False

    def pin_to_primary(self) -> str:
        self.alias = DEFAULT_DB_ALIAS
        return DEFAULT_DB_ALIAS


_routing: contextvars.ContextVar[RequestRouting | None] = contextvars.ContextVar(
    "replica_routing", default=None
)


# --- What this process knows of its replicas ----------------------------------------------------------------


@dataclass
class ReplicaHealth:
    down_until: float = 0.0  # time.monotonic() before which it is not tried
    consistent_at: float | None = None  # its consistency point (monotonic); None: unknown, or not a replica
    checked_at: float = -float("inf")


@dataclass
class ProcessState:
    """Shared by the threads of one process."""

    health: dict[str, ReplicaHealth] = field(default_factory=dict)
    # (time.monotonic() just before reading it, the primary's WAL insert position in bytes), oldest first.
    samples: list[tuple[float, int]] = field(default_factory=list)
    # {alias: time.monotonic() when the last read of remembered state (version, stamp) on it ended}
    state_read_at: dict[str, float] = field(default_factory=dict)
    current: str | None = None  # the replica this process reads from while it can
    check_lock: threading.Lock = field(default_factory=threading.Lock)

    def replica(self, alias: str) -> ReplicaHealth:
        return self.health.setdefault(alias, ReplicaHealth())


_process = ProcessState()


def consistency_point(samples: list[tuple[float, int]], replayed: int) -> float | None:
    """The latest sample time at which the primary's position was at most `replayed`: the replica holds
    every transaction committed before it. None when the replica is behind every sample."""
    point = None
    for sampled_at, position in samples:
        if position <= replayed:
            point = sampled_at
    return point


def mark_down(alias: str, reason: object) -> None:
    """Not tried again for DATABASE_REPLICA_RETRY_SECONDS, by this router or by the backend itself."""
    seconds = _setting("DATABASE_REPLICA_RETRY_SECONDS", 10)
    health = _process.replica(alias)
    if health.down_until < time.monotonic():
        logger.warning(
            "Read replica %s unavailable, reading from the primary for %g s: %s", alias, seconds, reason
        )
    health.down_until = time.monotonic() + seconds
    health.consistent_at = None
    mark_unreachable(connections[alias].settings_dict, seconds)


@contextlib.contextmanager
def _bounded(connection, seconds: float):
    raw = connection.connection
    if isinstance(raw, BoundedConnection):
        with raw.bounded(seconds):
            yield
    else:
        yield


def check_replica(alias: str) -> None:
    """Measure `alias`'s consistency point now: two one-row statements, each bounded to a second. A
    failure on the primary propagates (reads go there and meet it); one on the replica marks it down."""
    state = _process
    health = state.replica(alias)
    primary = connections[DEFAULT_DB_ALIAS]
    sampled_at = time.monotonic()
    primary.ensure_connection()
    with _bounded(primary, HEALTH_CHECK_TIMEOUT), primary.cursor() as cursor:
        cursor.execute("SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint")
        (position,) = cursor.fetchone()
    # Older samples only matter to a replica lagging within the bound.
    keep = 2 * _setting("DATABASE_REPLICA_MAX_LAG", 5) + 1
    state.samples = [sample for sample in state.samples if sampled_at - sample[0] <= keep]
    state.samples.append((sampled_at, position))
    replica = connections[alias]
    try:
        replica.ensure_connection()
        with _bounded(replica, HEALTH_CHECK_TIMEOUT), replica.cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery(), (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint")
            in_recovery, replayed = cursor.fetchone()
    except DatabaseError as error:
        mark_down(alias, error)
        return
    if not in_recovery:
        logger.error("Database %s is not a replica (not in recovery): not reading from it", alias)
        health.consistent_at = None
    else:
        health.consistent_at = None if replayed is None else consistency_point(list(state.samples), replayed)


def _usable(alias: str) -> bool:
    health = _process.replica(alias)
    now = time.monotonic()
    if health.down_until > now:
        return False
    # One thread checks when a check is due; the others decide on what the last one said.
    if now - health.checked_at >= _setting(
        "DATABASE_REPLICA_CHECK_SECONDS", 1
    ) and _process.check_lock.acquire(blocking=False):
        try:
            health.checked_at = now
            check_replica(alias)
        except DatabaseError as error:
            logger.warning("Could not measure the lag of %s: %s", alias, error)
            health.consistent_at = None
        finally:
            _process.check_lock.release()
    point = health.consistent_at
    if health.down_until > now or point is None:
        return False
    return time.monotonic() - point <= _setting("DATABASE_REPLICA_MAX_LAG", 5)


def _connected(alias: str) -> bool:
    """The replica's connection, opened (or health-checked) now: a dead replica costs this request one
    connection attempt, and the next ones nothing (they find it marked down)."""
    connection = connections[alias]
    _watch(connection)
    try:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except DatabaseError as error:
        mark_down(alias, error)
        return False
    return True


def choose_replica() -> str | None:
    """The replica an eligible request starting now may read from, by what this process knows of them
    (checking one when its check is due), or None: the primary."""
    aliases = replica_aliases()
    if not aliases:
        return None
    state = _process
    if state.current not in aliases:
        state.current = random.choice(aliases)  # spreads the processes over the replicas
    for alias in [state.current, *(alias for alias in aliases if alias != state.current)]:
        if _usable(alias):
            state.current = alias
            return alias
    return None


def _state_read_elsewhere(alias: str) -> float:
    """When the last read of remembered state on another database than `alias` ended."""
    return max((at for other, at in _process.state_read_at.items() if other != alias), default=-1.0)


def admit(routing: RequestRouting) -> str:
    """Choose an eligible request's database as it starts, before anything of the process's memory is used
    for it (a version kept in memory answers without any read, so this cannot wait for the first read)."""
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return routing.pin_to_primary()  # served inside a transaction (a test's): it must see its writes
    alias = choose_replica()
    if alias is None:
        return routing.pin_to_primary()
    elsewhere = _state_read_elsewhere(alias)
    point = _process.replica(alias).consistent_at
    if point is None or elsewhere >= point:
        # This process may remember a version or stamp newer than the replica: read them again, from it.
        from cases.caching import forget_catalogue_version

        forget_catalogue_version()
    routing.reference = elsewhere
    routing.alias = alias
    return alias


# --- Watching each connection's statements ------------------------------------------------------------------


@functools.cache
def _state_table() -> str:
    return f'"{apps.get_model("cases", "CatalogueState")._meta.db_table}"'


def is_state_read(sql: str) -> bool:
    """A read of what cases/caching.py remembers for the whole process: the catalogue state, a stamp."""
    return _state_table() in sql or STAMP_MARK in sql


def _watch(connection) -> None:
    """Put `_observe` around every statement of this connection (once per connection object)."""
    if not getattr(connection, "_replica_watch", False):
        connection.execute_wrappers.append(_observe)
        connection._replica_watch = True


def _observe(execute, sql, params, many, context):
    connection = context["connection"]
    routing = _routing.get()
    try:
        return execute(sql, params, many, context)
    except (OperationalError, InterfaceError) as error:
        if routing is not None and routing.alias == connection.alias != DEFAULT_DB_ALIAS:
            if not isinstance(error.__cause__, psycopg_errors.QueryCanceled):  # slow, not broken
                routing.replica_failed = True
            if connection.connection is None or connection.connection.closed:
                mark_down(connection.alias, error)
        raise
    finally:
        if is_state_read(sql):
            # Ended: what it read may now be in this process's memory (cases/caching.py).
            _process.state_read_at[connection.alias] = time.monotonic()
        elif routing is not None and connection.alias == DEFAULT_DB_ALIAS and WRITE_STATEMENT.match(sql):
            routing.wrote = True


# --- The router ---------------------------------------------------------------------------------------------


class ReplicaRouter:
    """Reads of replica-eligible requests to the process's replica; everything else to the primary."""

    def db_for_read(self, model, **hints):
        routing = _routing.get()
        if (
            routing is None
            or not routing.eligible
            or routing.wrote
            or routing.alias in (None, DEFAULT_DB_ALIAS)
        ):
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            # A transaction's reads must see its writes, in one snapshot: the primary's, from now on.
            return routing.pin_to_primary()
        if not routing.connected:
            if not _connected(routing.alias):
                return routing.pin_to_primary()
            routing.connected = True
        health = _process.replica(routing.alias)
        if health.down_until > time.monotonic() or _state_read_elsewhere(routing.alias) > routing.reference:
            # Down, or this process may now remember state newer than the replica: the primary is never older.
            return routing.pin_to_primary()
        return routing.alias

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replicas are copies of the primary: every row is the same row

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS  # a replica is read-only and follows the primary's schema


# --- The middleware -----------------------------------------------------------------------------------------


def sticky_until(request) -> float:
    """The time (epoch seconds) until which this reader's requests read from the primary; 0 for none. A
    value further ahead than the window allows is not believed."""
    try:
        until = float(request.COOKIES.get(STICKY_COOKIE, 0))
    except ValueError:
        return 0
    now = time.time()
    return until if now < until <= now + settings.DATABASE_REPLICA_STICKY_SECONDS + 1 else 0


def without_language_prefix(path: str) -> str:
    first, _slash, rest = path.lstrip("/").partition("/")
    codes = {code for code, _name in settings.LANGUAGES}
    return f"/{rest}" if first in codes else path


def replica_eligible(request) -> bool:
    return (
        request.method in SAFE_METHODS
        and not without_language_prefix(request.path_info).startswith(PRIMARY_PATHS)
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not sticky_until(request)
    )


class ReplicaRoutingMiddleware:
    """Marks each request replica-eligible or not (module docstring), answers again from the primary an
    eligible request whose replica failed while answering it, and sets the sticky cookie after a write.

    settings/base.py installs it when replicas are configured, just above the 503 middleware: it then sees
    the 503 a lost replica caused, and answers again instead. An eligible request can only read, so
    answering it twice changes nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        _watch(connections[DEFAULT_DB_ALIAS])
        routing = RequestRouting(eligible=replica_eligible(request))
        if routing.eligible:
            admit(routing)
        token = _routing.set(routing)
        try:
            response = self.get_response(request)
            if routing.replica_failed:
                logger.warning(
                    "Replica %s failed answering %s %s: answering again from the primary",
                    routing.alias,
                    request.method,
                    request.path,
                )
                from cases.middleware import OUTAGE_MARK

                request.__dict__.pop(OUTAGE_MARK, None)  # the first answer's 503, now moot
                routing.eligible = False
                routing.alias = DEFAULT_DB_ALIAS
                response = self.get_response(request)
        finally:
            _routing.reset(token)
        if routing.wrote or request.method not in SAFE_METHODS:
            seconds = settings.DATABASE_REPLICA_STICKY_SECONDS
            response.set_cookie(
                STICKY_COOKIE,
                f"{time.time() + seconds:.0f}",
                max_age=seconds,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response

"""Django's built-in Redis cache behind a circuit breaker: a hung Redis costs one timeout, not one per call.

A request makes many cache round trips (the catalogue version, the page cache, facet counts, bitmaps,
throttles). With Redis hung, each one waits its socket timeout (1 s), so a page took 10-25 s. Here the first
failure opens the breaker for the whole process (every thread, every request) for `circuit_breaker_seconds`:
meanwhile every call fails at once with `CacheUnavailable`, which every caller already treats as a miss or
lets the request through (cases/caching.py's `_safe`, the API's throttles, the submission limit). When the
cool-down ends one call is let through as a probe: success closes the breaker, failure opens it again for
another cool-down. Opening and closing are logged once each, not on every call.

The gate is the connection pool, not the cache's methods: every command to Redis takes a connection from
it, including those sent on the raw client (the API's rate limits run a Lua script there), so nothing
that uses this cache's Redis can bypass the breaker.

Only failures to reach Redis count (connection refused or reset, timeouts); an answer Redis gives, even an
error (a ValueError from incr() of a missing key), is passed on untouched and keeps the breaker closed.

Why not a package: pybreaker and circuitbreaker are generic breakers (decorators with their own failure
counting and listeners); the state here is one deadline behind a lock, and the part that needs care,
where to put the gate, would be ours either way. django-redis has IGNORE_EXCEPTIONS but no
breaker, and would replace Django's built-in backend.
"""

import functools
import logging
import threading
import time

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)

DEFAULT_BREAKER_SECONDS = 15
# Failing to reach Redis, as opposed to Redis answering with an error (redis-py raises its own
# ConnectionError and TimeoutError for socket failures).
UNREACHABLE_ERRORS = (redis.ConnectionError, redis.TimeoutError)


class CacheUnavailable(redis.ConnectionError):
    """The circuit breaker is open: Redis failed recently, so it is not asked until the cool-down ends.
    A redis.ConnectionError, so code that tolerates Redis being down tolerates this too."""


class CircuitBreaker:
    """Shared by every thread of the process: Django makes one cache object per thread."""

    def __init__(self, name: str, seconds: float):
        self.name = name
        self.seconds = seconds
        self._lock = threading.Lock()
        self._open_until: float | None = None  # None: closed

    @property
    def is_open(self) -> bool:
        return self._open_until is not None

    def allow(self) -> bool:
        """May this call go to Redis? After the cool-down, one caller (the probe) may; the others wait
        for its verdict (the breaker stays open another cool-down unless the probe succeeds)."""
        with self._lock:
            if self._open_until is None:
                return True
            now = time.monotonic()
            if now < self._open_until:
                return False
            self._open_until = now + self.seconds  # this caller probes; the rest keep skipping
            return True

    def succeeded(self) -> None:
        if self._open_until is None:  # the common case, without taking the lock
            return
        with self._lock:
            if self._open_until is None:
                return
            self._open_until = None
        logger.warning("Cache %s answers again: circuit breaker closed, cache in use", self.name)

    def failed(self, error: BaseException) -> None:
        with self._lock:
            was_closed = self._open_until is None
            self._open_until = time.monotonic() + self.seconds
        if was_closed:
            logger.error(
                "Cache %s unreachable (%s): circuit breaker open, cache skipped for %g s at a time until "
                "it answers",
                self.name,
                error,
                self.seconds,
            )


_breakers: dict[str, CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(location: str, seconds: float) -> CircuitBreaker:
    with _breakers_lock:
        if location not in _breakers:
            _breakers[location] = CircuitBreaker(_without_password(location), seconds)
        return _breakers[location]


def _without_password(location: str) -> str:
    scheme, separator, rest = location.partition("://")
    return f"{scheme}{separator}{rest.rpartition('@')[2]}" if separator else location


class GuardedConnectionMixin:
    """Reports to the breaker whether Redis answered; set on the connection class of the URL's scheme."""

    circuit_breaker: CircuitBreaker

    def _reporting(self, operation, *args, **kwargs):
        try:
            result = operation(*args, **kwargs)
        except UNREACHABLE_ERRORS as error:
            if not isinstance(error, CacheUnavailable):
                self.circuit_breaker.failed(error)
            raise
        return result

    def connect(self, *args, **kwargs):
        return self._reporting(super().connect, *args, **kwargs)

    def send_packed_command(self, *args, **kwargs):
        return self._reporting(super().send_packed_command, *args, **kwargs)

    def read_response(self, *args, **kwargs):
        response = self._reporting(super().read_response, *args, **kwargs)
        self.circuit_breaker.succeeded()
        return response


@functools.cache
def _guarded_connection_class(connection_class: type) -> type:
    return type(f"Guarded{connection_class.__name__}", (GuardedConnectionMixin, connection_class), {})


class CircuitBreakerConnectionPool(redis.ConnectionPool):
    """Every command, whoever sends it (the cache's methods, a pipeline, a Lua script run on the raw
    client as the API's rate limits do), takes a connection from this pool: one gate for all of them."""

    def __init__(self, connection_class=redis.Connection, *, circuit_breaker: CircuitBreaker, **kwargs):
        self.circuit_breaker = circuit_breaker
        super().__init__(connection_class=_guarded_connection_class(connection_class), **kwargs)

    def get_connection(self, *args, **kwargs):
        if not self.circuit_breaker.allow():
            raise CacheUnavailable(f"cache skipped: circuit breaker open for {self.circuit_breaker.name}")
        return super().get_connection(*args, **kwargs)

    def make_connection(self):
        connection = super().make_connection()
        connection.circuit_breaker = self.circuit_breaker
        return connection


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client makes a new redis.Redis for every cache call, and each builds its table of ~80 reply
    parsers: 28 of them for a library search, about 3 ms of the request. A redis.Redis holds no connection
    of its own (each command takes one from the pool and gives it back), so one per pool serves every
    thread."""

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        clients = self.__dict__.setdefault("_clients", {})
        if index not in clients:
            clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return clients[index]


class CircuitBreakerRedisCache(RedisCache):
    """Django's RedisCache on a connection pool guarded by the process's circuit breaker for its location.

    OPTIONS takes `circuit_breaker_seconds` (the cool-down) besides RedisCache's own options."""

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        seconds = float(options.pop("circuit_breaker_seconds", DEFAULT_BREAKER_SECONDS))
        self.breaker = breaker_for(server, seconds)
        options.update(pool_class=CircuitBreakerConnectionPool, circuit_breaker=self.breaker)
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = ReusedClientRedisCacheClient

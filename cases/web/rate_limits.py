"""Rate limits counted atomically: the API's throttles (cases/api/throttling.py) and the public submission
form (cases/site/submission.py) both count here, so a burst of concurrent requests gets exactly the limit
through, never more.

Every decision is one atomic step on a *sliding window* (the requests of the last `duration` seconds):

- Redis (the default cache when REDIS_URL is set, shared by every worker process): a sorted set per client
  holding its counted requests, trimmed, counted and added to by one Lua script, which Redis runs
  atomically; the time is Redis's own clock, so app servers with skewed clocks agree.
- Local memory (no REDIS_URL): the same window kept in the local-memory cache, read, decided and written
  under one lock. Local memory is per process: with N worker processes a client may get up to N times the
  limit. Production runs with Redis (README).

A refused request is not counted, so a client that keeps trying is let in again as soon as its oldest
counted request leaves the window, and the wait returned says exactly when that is. A counted request can
be given back (`release_request`): the submission form reserves a slot before it saves, and returns it
when the visitor only made an ordinary mistake. The caller decides what a cache outage means (the API and
the form both let the request through: the limits return with the cache).
"""

import math
import threading
import time
import uuid

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.utils.translation import ngettext_lazy

# A rate's period as DRF reads it (its first letter) -> seconds.
RATE_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# How a limit of downloads in each period is said to the people it limits (the library, the 429 page).
DOWNLOAD_LIMIT_SENTENCES = {
    1: ngettext_lazy(
        "At most %(count)s download a second from one connection.",
        "At most %(count)s downloads a second from one connection.",
        "count",
    ),
    60: ngettext_lazy(
        "At most %(count)s download a minute from one connection.",
        "At most %(count)s downloads a minute from one connection.",
        "count",
    ),
    3600: ngettext_lazy(
        "At most %(count)s download an hour from one connection.",
        "At most %(count)s downloads an hour from one connection.",
        "count",
    ),
    86400: ngettext_lazy(
        "At most %(count)s download a day from one connection.",
        "At most %(count)s downloads a day from one connection.",
        "count",
    ),
}

# KEYS[1]: the client's sorted set; ARGV: window (seconds), limit, a unique member for this request.
# Returns {1, 0} when counted and allowed, {0, "seconds until a slot frees"} when refused.
SLIDING_WINDOW_SCRIPT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
  return {1, '0'}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tostring(tonumber(oldest[2]) + window - now)}
"""

# One decision at a time in this process for the local-memory cache (which is itself per process).
_local_lock = threading.Lock()


def _redis_backend():
    backend = caches["default"]  # the backend itself: `cache` is only a proxy to it
    return backend if isinstance(backend, RedisCache) else None


def _redis_client(backend, redis_key):
    return backend._cache.get_client(redis_key, write=True)  # the connection Django's cache itself uses


def _count_locally(key: str, limit: int, duration: float, member: str) -> tuple[bool, float]:
    """The sliding window in the local-memory cache, read, decided and written under one lock."""
    now = time.time()
    with _local_lock:
        history = [(moment, who) for moment, who in cache.get(key, []) if moment > now - duration]
        if len(history) < limit:
            cache.set(key, [*history, (now, member)], math.ceil(duration))
            return True, 0.0
        return False, history[0][0] + duration - now


def count_request(key: str, limit: int, duration: float, *, member: str | None = None) -> tuple[bool, float]:
    """Count one request against `key`'s sliding window, atomically: (allowed, seconds to wait if not).
    A refused request is not counted. `member` names the counted request for `release_request`."""
    if limit <= 0:
        return False, float(duration)
    member = member or uuid.uuid4().hex
    backend = _redis_backend()
    if backend is None:
        return _count_locally(key, limit, duration, member)
    redis_key = backend.make_and_validate_key(key)
    script = _redis_client(backend, redis_key).register_script(SLIDING_WINDOW_SCRIPT)
    allowed, wait = script(keys=[redis_key], args=[duration, limit, member])
    return bool(allowed), float(wait)


def release_request(key: str, member: str, duration: float) -> None:
    """Give back the slot `count_request(key, limit, duration, member=member)` took (nothing if it took
    none)."""
    backend = _redis_backend()
    if backend is None:
        with _local_lock:
            history = cache.get(key, [])
            cache.set(key, [(moment, who) for moment, who in history if who != member], math.ceil(duration))
        return
    redis_key = backend.make_and_validate_key(key)
    _redis_client(backend, redis_key).zrem(redis_key, member)


def configured_rate(scope: str) -> tuple[int, int] | None:
    """The rate REST_FRAMEWORK's DEFAULT_THROTTLE_RATES gives `scope` ("10/minute"), read as DRF reads it, as
    (requests, seconds); None when the scope has no limit. Read on every call, as the throttles read it
    (cases/api/throttling.py), so a deployment's setting is what the pages state."""
    rate = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(scope)
    if not rate:
        return None
    count, period = rate.split("/")
    return int(count), RATE_PERIODS[period[0]]


def rate_sentence(count: int, seconds: int) -> str:
    """A limit of `count` downloads every `seconds` (one of RATE_PERIODS'), as a sentence for readers."""
    return DOWNLOAD_LIMIT_SENTENCES[seconds] % {"count": count}

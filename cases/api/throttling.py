"""Rate limits, counted atomically, so that a burst of concurrent requests gets exactly the limit through.

DRF's SimpleRateThrottle reads a client's request history from the cache, decides, then writes it back:
two requests arriving together both read the same history and both pass (138 of 240 concurrent requests
against a limit of 120). Here every decision is one atomic step on a *sliding window* (the requests of the
last `duration` seconds, the same meaning as DRF's), in one of two places:

- Redis (the default cache when REDIS_URL is set, shared by every worker process): a sorted set per client
  holding the times of its counted requests, trimmed, counted and added to by one Lua script, which Redis
  runs atomically; the time is Redis's own clock, so app servers with skewed clocks agree.
- Local memory (no REDIS_URL): the same window kept in the local-memory cache, read, decided and written
  under one lock. That is enough because local memory is per process: with N worker processes each one
  counts on its own, so a client may get up to N times the limit. Production runs with Redis (README).

A refused request is not counted (as with DRF), so a client that keeps trying is let in again as soon as
its oldest counted request leaves the window, and `Retry-After` says exactly when that is.

DRF's throttles read their rates once, at import; these read REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] on
every request, so a changed setting (a deployment's environment, a test's override) takes effect at once.
The client address is the project's one `client_ip` (cases/web/clients.py), as for the submission form and
the login lockout, instead of DRF's own `get_ident`: with NUM_PROXIES set to the number of proxies in front
of the app, a forged X-Forwarded-For cannot pick a fresh bucket.

A request with a partner key (`request.auth` an `ApiKey`) is counted against the key's own rate, in a
bucket of its own keyed by the key's id, and not against the anonymous rate of its address.
"""

import logging
import math

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, SimpleRateThrottle

from cases.models import ApiKey
from cases.web.clients import client_ip
from cases.web.rate_limits import count_request

logger = logging.getLogger(__name__)


class AtomicRateThrottle(SimpleRateThrottle):
    """SimpleRateThrottle with its get-then-set decision replaced by one atomic count (count_request).
    Listed last among a throttle's bases, so that DRF's own allow_request (ScopedRateThrottle's, which
    first finds the view's rate) runs before it."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        allowed, self._wait = count_request(self.key, self.num_requests, self.duration)
        return allowed

    def wait(self):
        # Whole seconds, rounded up: a client that waits exactly this long is let in.
        return max(1, math.ceil(self._wait))

    def get_ident(self, request):
        """The client's address as every rate limit and lockout reads it (cases.web.clients.client_ip)."""
        return client_ip(request)


class LiveRatesMixin:
    @property
    def THROTTLE_RATES(self):
        return api_settings.DEFAULT_THROTTLE_RATES


class CacheOutageTolerantMixin:
    """When the shared cache (Redis) cannot be reached, let the request through instead of answering 500:
    the API keeps serving while Redis is down (tests/cases/test_faults.py), and the limits return with it."""

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception as error:  # redis.ConnectionError, TimeoutError...: whatever the backend raises
            logger.warning("Rate limit not counted, cache unavailable: %s", error)
            return True


class AnonymousRateThrottle(CacheOutageTolerantMixin, LiveRatesMixin, AnonRateThrottle, AtomicRateThrottle):
    """Every anonymous client: the `anon` rate. A request with a partner key is not anonymous, even when
    the key names no user account."""

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey):
            return None
        return super().get_cache_key(request, view)


class EndpointRateThrottle(CacheOutageTolerantMixin, LiveRatesMixin, ScopedRateThrottle, AtomicRateThrottle):
    """Heavier endpoints (exports) name a `throttle_scope` with a lower rate of its own."""


class ApiKeyRateThrottle(CacheOutageTolerantMixin, AtomicRateThrottle):
    """A partner key's own rate (`ApiKey.rate` requests a minute), counted per key."""

    scope = "api_key"

    def __init__(self):
        # The rate belongs to the key, so it is known only once the request is authenticated.
        self.rate = None

    def allow_request(self, request, view):
        if not isinstance(request.auth, ApiKey):
            return True
        self.rate = f"{request.auth.rate}/min"
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}

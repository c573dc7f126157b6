"""Rate limits, counted in the shared cache (Redis in production) so that they hold across worker processes.

DRF's throttles read their rates once, at import; these read REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] on
every request, so a changed setting (a deployment's environment, a test's override) takes effect at once.
The client address comes from DRF's `get_ident`, which honours NUM_PROXIES: with NUM_PROXIES set to the
number of proxies in front of the app, a forged X-Forwarded-For cannot pick a fresh bucket.

A request with a partner key (`request.auth` an `ApiKey`) is counted against the key's own rate, in a
bucket of its own keyed by the key's id, and not against the anonymous rate of its address.
"""

import logging

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, SimpleRateThrottle

from .keys import ApiKey

logger = logging.getLogger(__name__)


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


class AnonymousRateThrottle(CacheOutageTolerantMixin, LiveRatesMixin, AnonRateThrottle):
    """Every anonymous client: the `anon` rate. A request with a partner key is not anonymous, even when
    the key names no user account."""

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey):
            return None
        return super().get_cache_key(request, view)


class EndpointRateThrottle(CacheOutageTolerantMixin, LiveRatesMixin, ScopedRateThrottle):
    """Heavier endpoints (exports) name a `throttle_scope` with a lower rate of its own."""


class ApiKeyRateThrottle(CacheOutageTolerantMixin, SimpleRateThrottle):
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

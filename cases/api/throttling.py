"""Rate limits, counted in the shared cache (Redis in production) so that they hold across worker processes.

DRF's throttles read their rates once, at import; these read REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] on
every request, so a changed setting (a deployment's environment, a test's override) takes effect at once.
The client address comes from DRF's `get_ident`, which honours NUM_PROXIES: with NUM_PROXIES set to the
number of proxies in front of the app, a forged X-Forwarded-For cannot pick a fresh bucket.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle


class LiveRatesMixin:
    @property
    def THROTTLE_RATES(self):
        return api_settings.DEFAULT_THROTTLE_RATES


class AnonymousRateThrottle(LiveRatesMixin, AnonRateThrottle):
    """Every anonymous client: the `anon` rate."""


class EndpointRateThrottle(LiveRatesMixin, ScopedRateThrottle):
    """Heavier endpoints (exports) name a `throttle_scope` with a lower rate of its own."""

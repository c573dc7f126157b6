"""Caching of expensive reads (facet counts, result counts, pages of results, related cases).

Every key carries the *catalogue version*, a number bumped whenever a case or anything hanging off it is
written, so a cached answer is never older than the catalogue it describes. The cache is Redis when
REDIS_URL is set (shared by every process) and local memory otherwise. If the cache cannot be reached the
site still answers, uncached: every call here treats a cache failure as a miss.
"""

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.cache import get_cache_key, learn_cache_key

logger = logging.getLogger(__name__)

VERSION_KEY = "catalogue:version"
# A safety net: even if some write forgot to bump the version, nothing stays cached longer than this.
CACHE_SECONDS = 600


def _safe(call, default=None):
    try:
        return call()
    except Exception as error:
        logger.warning("Cache unavailable, answering uncached: %s", error)
        return default


def catalogue_version() -> int:
    """The current catalogue version (a fresh one if the cache was emptied or is unreachable)."""
    version = _safe(lambda: cache.get(VERSION_KEY))
    if version is None:
        version = int(time.time() * 1000)
        _safe(lambda: cache.add(VERSION_KEY, version, timeout=None))
        version = _safe(lambda: cache.get(VERSION_KEY), version) or version
    return version


def catalogue_changed() -> None:
    """Make every cached read stale: call after any write to cases or what hangs off them."""

    def bump():
        try:
            cache.incr(VERSION_KEY)
        except ValueError:  # no version stored yet
            cache.set(VERSION_KEY, int(time.time() * 1000), timeout=None)

    _safe(bump)


def cached(name: str, parts, compute, *, timeout: int = CACHE_SECONDS):
    """compute(), cached under `name` and `parts` for the current catalogue version."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    key = f"{name}:{catalogue_version()}:{digest}"
    value = _safe(lambda: cache.get(key))
    if value is None:
        value = compute()
        _safe(lambda: cache.set(key, value, timeout))
    return value


# --- Whole pages for anonymous readers ------------------------------------------------------------

# Addresses whose answers depend on who asks, change state, or are cached by their own rules.
PAGE_CACHE_EXCLUDED = ("/admin/", "/api/", "/submit/", "/healthz/", "/static/", "/media/")


class CataloguePageCacheMiddleware:
    """Serve anonymous readers' public pages from the cache until the catalogue changes.

    Pages are the same for every visitor without a session (staff, who see previews and admin links, have
    one), so a rendered page is stored under the catalogue version, the full address and the headers the
    response varies on (Django's own cache-key functions, as its cache middleware uses), and served again
    without touching the database. A write bumps the version: the next reader gets a fresh page. Only a
    200 answer to GET or HEAD that sets no cookie and does not forbid caching (never_cache, private) is
    stored; the API is left to its own caching, behind its rate limits.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not self.cacheable_request(request):
            return self.get_response(request)
        prefix = f"page:{catalogue_version()}"
        key = _safe(lambda: get_cache_key(request, prefix, "GET", cache=cache))
        if key is not None:
            response = _safe(lambda: cache.get(key))
            if response is not None:
                response["X-Page-Cache"] = "hit"
                return response
        response = self.get_response(request)
        if self.cacheable_response(response):
            key = _safe(lambda: learn_cache_key(request, response, CACHE_SECONDS, prefix, cache=cache))
            if key is not None:
                _safe(lambda: cache.set(key, response, CACHE_SECONDS))
        return response

    @staticmethod
    def cacheable_request(request) -> bool:
        return (
            request.method in ("GET", "HEAD")
            and not request.path.startswith(PAGE_CACHE_EXCLUDED)
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
        )

    @staticmethod
    def cacheable_response(response) -> bool:
        cache_control = response.get("Cache-Control", "")
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not any(word in cache_control for word in ("private", "no-store", "no-cache"))
        )

"""Caching of expensive reads (facet counts, result counts, pages of results, related cases).

Every key carries the *catalogue version*, a number bumped whenever a case or anything hanging off it is
written, so a cached answer is never older than the catalogue it describes. The cache is Redis when
REDIS_URL is set (shared by every process) and local memory otherwise. If the cache cannot be reached the
site still answers, uncached: every call here treats a cache failure as a miss.
"""

import hashlib
import logging
import time

from django.core.cache import cache

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

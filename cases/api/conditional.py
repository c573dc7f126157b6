"""Conditional requests: `ETag` and `Last-Modified` on every read, `304 Not Modified` when they match.

The validators are catalogue-wide and cheap: the latest change to any published case, to any vocabulary
term, and to any withdrawal record (a case unpublished, archived or deleted: CaseWithdrawal), read in
one query (cases.caching.catalogue_last_modified) before the view does any work, cached under the
catalogue version and read after every write by the task that follows it (cases/tasks.py), so a
reader's request seldom makes it. Only what is public counts: editing a draft, or a case withdrawn
earlier, moves nothing (a Last-Modified that moved would tell the world someone is at work on it). Any
public change anywhere changes every ETag: coarse, but never stale, and a matching request costs at
most that one query. The ETag also covers the path and the query string, so each filtered list has its
own.

Answers are cached too (`ResponseCache`): a successful read is stored, rendered, under the catalogue
version (a case's record: under its case's stamp, as its page) and everything its bytes depend on (the
address and query string; the scheme and host its links are built with; the media type and language
negotiated), and the next request for it is answered from the cache after authentication, throttling and
the conditional check, so rate limits and 304s work as before and only the view's work is skipped. A write
that moves the version makes every stored answer unreachable, as for the page cache (docs/caching.md).
"""

import datetime
import hashlib

from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
from django.utils.translation import get_language

from cases.api.errors import CachedAnswer, NotModified
from cases.caching import CACHE_SECONDS, _safe, catalogue_last_modified, shared_catalogue_version

# Change this when the representation changes, so clients holding old ETags fetch the new one.
REPRESENTATION_VERSION = "1"
# Larger answers (a harvest page of 500 full records) are computed each time rather than stored: they are
# asked for once per harvest, and would crowd the cache.
MAX_CACHED_BYTES = 512 * 1024
# Headers the answer's own validators and caching rules set afresh on every response.
UNSTORED_HEADERS = {"etag", "last-modified", "cache-control"}


def validators(request, last_modified: datetime.datetime) -> tuple[str, int]:
    """(ETag, Last-Modified as a Unix time) for this request's representation."""
    query = request.META.get("QUERY_STRING", "")
    # The catalogue version too: a public change that moves no case's or term's time (a method or a toolkit
    # archived, a case's methods set, issue 18) moves the version, so no client keeps a stale copy.
    version = shared_catalogue_version()
    # The language too: an answer chosen by Accept-Language has the same address in every language.
    key = "|".join(
        (
            REPRESENTATION_VERSION,
            str(version),
            last_modified.isoformat(),
            request.path,
            query,
            str(get_language()),
        )
    )
    etag = 'W/"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'
    return etag, int(last_modified.timestamp())


class ResponseCache:
    """One request's place in the cache of rendered answers: `key` is None when nothing may be read from
    or stored in it (no version known, or this connection holds uncommitted catalogue writes)."""

    def __init__(self, request, scope: str | None = None):
        """`scope`: what the answer is cached under in place of the catalogue version (a case's record: its
        stamp, cases.caching.case_page_scope)."""
        version = shared_catalogue_version()
        self.key = None
        if version is not None:
            parts = (
                REPRESENTATION_VERSION,
                request.path,
                request.META.get("QUERY_STRING", ""),
                request.scheme,
                request.get_host(),
                request.accepted_media_type,
                get_language(),
            )
            digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
            self.key = f"api-response:{scope or version}:{digest}"

    def answer(self) -> HttpResponse | None:
        stored = _safe(lambda: cache.get(self.key)) if self.key else None
        if stored is None:
            return None
        content, headers = stored
        response = HttpResponse(content, headers=headers)
        response["X-Page-Cache"] = "hit"
        return response

    def store(self, response) -> None:
        """A post-render callback: keeps the rendered bytes and the view's headers of a successful read."""
        if (
            self.key
            and response.status_code == 200
            and not response.streaming
            and not getattr(response, "exception", False)
            and len(response.content) <= MAX_CACHED_BYTES
        ):
            headers = {
                name: value for name, value in response.items() if name.lower() not in UNSTORED_HEADERS
            }
            _safe(lambda: cache.set(self.key, (response.content, headers), CACHE_SECONDS))


class ConditionalMixin:
    """For DRF views: validators computed after authentication and throttling, before any work; a 304
    when the client's copy is current; the answer from the response cache when it holds one; the
    validators set on every successful GET, and its rendered answer stored."""

    conditional_methods = ("GET", "HEAD")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.etag = self.last_modified = self.response_cache = None
        if request.method not in self.conditional_methods:
            return
        self.etag, self.last_modified = validators(request, catalogue_last_modified())
        response = get_conditional_response(request, etag=self.etag, last_modified=self.last_modified)
        if response is not None and response.status_code == 304:
            self._set_validators(response)
            raise NotModified(response)
        self.response_cache = ResponseCache(request, self.response_cache_scope())
        cached_answer = self.response_cache.answer()
        if cached_answer is not None:
            self.response_cache = None  # nothing to store again
            raise CachedAnswer(cached_answer)

    def response_cache_scope(self) -> str | None:
        """What this view's answers are cached under in place of the catalogue version; None: the version."""
        return None

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(self, "etag", None) and 200 <= response.status_code < 300:
            self._set_validators(response)
        response_cache = getattr(self, "response_cache", None)
        if response_cache is not None and hasattr(response, "add_post_render_callback"):
            response.add_post_render_callback(response_cache.store)
        return response

    def _set_validators(self, response):
        response["ETag"] = quote_etag(self.etag)
        response["Last-Modified"] = http_date(self.last_modified)
        # Caches may keep a copy but must ask again (cheaply, with the validators) before reusing it.
        response["Cache-Control"] = "public, no-cache"

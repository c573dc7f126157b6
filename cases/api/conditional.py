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
"""

import datetime
import hashlib

from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag

from cases.api.errors import NotModified
from cases.caching import catalogue_last_modified

# Change this when the representation changes, so clients holding old ETags fetch the new one.
REPRESENTATION_VERSION = "1"


def validators(request, last_modified: datetime.datetime) -> tuple[str, int]:
    """(ETag, Last-Modified as a Unix time) for this request's representation."""
    query = request.META.get("QUERY_STRING", "")
    key = f"{REPRESENTATION_VERSION}|{last_modified.isoformat()}|{request.path}|{query}"
    etag = 'W/"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'
    return etag, int(last_modified.timestamp())


class ConditionalMixin:
    """For DRF views: validators computed after authentication and throttling, before any work; a 304
    when the client's copy is current; the validators set on every successful GET."""

    conditional_methods = ("GET", "HEAD")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.etag = self.last_modified = None
        if request.method not in self.conditional_methods:
            return
        self.etag, self.last_modified = validators(request, catalogue_last_modified())
        response = get_conditional_response(request, etag=self.etag, last_modified=self.last_modified)
        if response is not None and response.status_code == 304:
            self._set_validators(response)
            raise NotModified(response)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(self, "etag", None) and 200 <= response.status_code < 300:
            self._set_validators(response)
        return response

    def _set_validators(self, response):
        response["ETag"] = quote_etag(self.etag)
        response["Last-Modified"] = http_date(self.last_modified)
        # Caches may keep a copy but must ask again (cheaply, with the validators) before reusing it.
        response["Cache-Control"] = "public, no-cache"

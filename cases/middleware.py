"""Every middleware of the project, in the order settings.MIDDLEWARE runs them.

- `SecurityHeadersMiddleware`: the security headers Django has no setting for (Permissions-Policy,
  Cross-Origin-Resource-Policy). Django itself sends CSP (SECURE_CSP), HSTS, nosniff, Referrer-Policy and
  Cross-Origin-Opener-Policy; docs/security.md says which test proves what.
- `DatabaseUnavailableMiddleware`: when the database cannot be reached, a calm 503 with Retry-After
  instead of a 500.
- `AddressLocaleMiddleware`: the language of the answer, from the address's prefix (/ja/...), or negotiated
  for the admin and the API (cases/web/languages.py).
- `RequestValidationMiddleware`: over-long, control-character and non-UTF-8 requests refused with our own
  414 or 400 before anything reads them (the checks: cases/web/validation.py).
- `CataloguePageCacheMiddleware`: anonymous readers' public pages from the cache until the catalogue
  changes (docs/caching.md).

The responses they answer with are built in cases/web/errors.py, like every other error of the site.
"""

import logging
import sys

from django.conf import settings
from django.core.cache import cache
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import get_cache_key, learn_cache_key, patch_vary_headers

from cases.caching import (
    CACHE_SECONDS,
    _safe,
    case_page_scope,
    shared_catalogue_version,
    shared_listing_version,
)
from cases.filters import LISTING_PARAMETERS
from cases.web.errors import (
    address_too_long_response,
    bad_address_response,
    bad_parameters_response,
    service_unavailable_response,
)
from cases.web.languages import (
    NEGOTIATED_PREFIXES,
    address_without_language,
    language_parameter_problems,
    request_language,
)
from cases.web.validation import (
    MAX_REQUEST_TARGET,
    path_problem,
    request_query_problems,
    request_target_length,
)

logger = logging.getLogger(__name__)


# --- Security headers ---------------------------------------------------------------------------------


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    """`{"camera": [], "fullscreen": ["self"]}` -> `camera=(), fullscreen=(self)`."""
    return ", ".join(f"{feature}=({' '.join(origins)})" for feature, origins in policy.items())


class SecurityHeadersMiddleware:
    """Permissions-Policy and Cross-Origin-Resource-Policy on every response, static files and errors
    included (it sits before WhiteNoise). A header a view has set itself is left alone."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.permissions_policy = permissions_policy_header(settings.PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        if self.permissions_policy:
            response.headers.setdefault("Permissions-Policy", self.permissions_policy)
        if settings.CROSS_ORIGIN_RESOURCE_POLICY:
            response.headers.setdefault("Cross-Origin-Resource-Policy", settings.CROSS_ORIGIN_RESOURCE_POLICY)
        return response


# --- The database unavailable: 503 --------------------------------------------------------------------

# PostgreSQL connects with a short timeout (DATABASE_CONNECT_TIMEOUT, settings/base.py), so an outage
# surfaces within seconds as an OperationalError or InterfaceError. DatabaseUnavailableMiddleware turns that
# into the project's 503 (an HTML page, or problem details for the API and JSON clients), wherever it is
# raised:
#
# - in a view or while rendering its template: `process_exception`;
# - in a middleware further down the stack (the session being saved, a middleware reading `request.user`):
#   Django converts that into a 500 response before it reaches us, so a receiver of
#   `got_request_exception` marks the request and `__call__` swaps the 500 for the 503.
#
# Nothing needs restarting when the database returns: Django closes a broken connection at the start and
# end of every request (`close_old_connections`), and the next query opens a new one. Writes run in
# `transaction.atomic()`, so a connection lost half-way leaves nothing half-written.

# Seconds a client is asked to wait: a restart or fail-over of the database takes about this long.
RETRY_AFTER_SECONDS = 30
DATABASE_OUTAGE_ERRORS = (OperationalError, InterfaceError)
OUTAGE_MARK = "_observatory_database_unavailable"


def is_database_outage(error: BaseException | None) -> bool:
    return isinstance(error, DATABASE_OUTAGE_ERRORS)


def mark_database_outage(sender, request=None, **kwargs):
    """got_request_exception receiver: remember that this request failed for want of the database."""
    error = sys.exc_info()[1]
    if request is not None and is_database_outage(error):
        setattr(request, OUTAGE_MARK, True)
        log_outage(request, error)


def log_outage(request, error: BaseException) -> None:
    logger.error("Database unavailable, answering 503 to %s %s: %s", request.method, request.path, error)


def database_unavailable_response(request):
    return service_unavailable_response(request, RETRY_AFTER_SECONDS)


class DatabaseUnavailableMiddleware:
    """Place it above every middleware that may touch the database (sessions, authentication, axes)."""

    def __init__(self, get_response):
        self.get_response = get_response
        got_request_exception.connect(
            mark_database_outage, weak=False, dispatch_uid="cases.middleware.mark_database_outage"
        )

    def __call__(self, request):
        try:
            response = self.get_response(request)
        except DATABASE_OUTAGE_ERRORS as error:  # only when nothing below converted it (DEBUG_PROPAGATE...)
            log_outage(request, error)
            return database_unavailable_response(request)
        if response.status_code == 500 and getattr(request, OUTAGE_MARK, False):
            return database_unavailable_response(request)
        return response

    def process_exception(self, request, exception):
        if not is_database_outage(exception):
            return None
        log_outage(request, exception)
        return database_unavailable_response(request)


# --- Language ------------------------------------------------------------------------------------------


class AddressLocaleMiddleware:
    """Activate the request's language (request_language) for everything below it.

    Replaces Django's LocaleMiddleware, which with unprefixed English answers every unprefixed address in
    English, the API included, and marks every page `Vary: Accept-Language` although its address alone
    decides its language (which would split the page cache by each browser's language list).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        if request.path_info.startswith(NEGOTIATED_PREFIXES):
            patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


# --- What no address on this site holds: 414, 400 -----------------------------------------------------


class RequestValidationMiddleware:
    """Refuses over-long, control-character and non-UTF-8 requests with our own 414 or 400.

    Place it below the middlewares that add security headers (so its answers carry them all) and above
    everything that reads parameters, caches pages or touches the database.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        # Its answers skip the middlewares below; of their headers, only X-Frame-Options is still owed.
        self.frame_options = XFrameOptionsMiddleware(get_response)

    def __call__(self, request):
        refusal = self.refusal(request)
        if refusal is not None:
            return self.frame_options.process_response(request, refusal)
        return self.get_response(request)

    def refusal(self, request):
        if request_target_length(request) > MAX_REQUEST_TARGET:
            return address_too_long_response(request)
        if path_problem(request):
            return bad_address_response(request)
        problems = request_query_problems(request) or language_parameter_problems(request)
        if problems:
            return bad_parameters_response(request, problems)
        return None


# --- Whole pages for anonymous readers ----------------------------------------------------------------

# Addresses whose answers depend on who asks, change state, or are cached by their own rules; and fixed
# text that never shows the catalogue (its own Cache-Control), for which not even the catalogue version is
# read: it answers without the database.
# The case page, cached under its case's stamp rather than the catalogue version.
CASE_PAGE = "cases:casestudy_detail"
# Pages that show no narrative section of any case: asked for without a search (with the library's own
# parameters and paging alone), they are cached under the listing version, which a write changing only
# narratives leaves (cases.caching): a curator's edit of one case's lessons leaves them all cached.
# tests/cases/test_listing_version.py renders each before and after such a write and compares.
LISTING_PAGES = frozenset(
    f"cases:{name}"
    for name in (
        "home",
        "casestudy_list",
        "economy_list",
        "economy_detail",
        "theme_list",
        "theme_detail",
        "sector_list",
        "sector_detail",
        "stats",
    )
)
LISTING_PAGE_PARAMETERS = LISTING_PARAMETERS | {"page", "page_size"}
PAGE_CACHE_EXCLUDED = (
    *("/admin/", "/api/", "/submit/", "/healthz/", "/static/", "/media/"),
    *("/privacy/", "/accessibility/", "/about/", "/robots.txt", "/.well-known/", "/favicon.ico"),
)


class CataloguePageCacheMiddleware:
    """Serve anonymous readers' public pages from the cache until the catalogue changes.

    Pages are the same for every visitor without a session (staff, who see previews and admin links, have
    one), so a rendered page is stored under the catalogue version, the full address and the headers the
    response varies on (Django's own cache-key functions, as its cache middleware uses), and served again
    without touching the database (within CATALOGUE_VERSION_TTL of reading the version). A write bumps the
    version: the next reader after the TTL, in any process, gets a fresh page. Only a
    200 answer to GET or HEAD that sets no cookie and does not forbid caching (never_cache, private) is
    stored; the API is left to its own caching, behind its rate limits.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not self.cacheable_request(request):
            return self.get_response(request)
        prefix = self.key_prefix(request)
        if prefix is None:
            return self.get_response(request)
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
    def key_prefix(request) -> str | None:
        """A published case's page: under its own stamp (cases.caching.case_page_scope), so a write to
        another case leaves it cached. A listing page (LISTING_PAGES) without a search: under the listing
        version. Every other page: under the catalogue version. None: not cached."""
        version = shared_catalogue_version()
        if version is None:
            return None
        try:
            match = resolve(request.path_info)
        except Resolver404:
            match = None
        if match is not None and match.view_name == CASE_PAGE:
            scope = case_page_scope(match.kwargs["slug"])
            if scope is not None:
                return scope
        if match is not None and match.view_name in LISTING_PAGES:
            given = {name for name, values in request.GET.lists() if any(values)}
            listing = shared_listing_version() if given <= LISTING_PAGE_PARAMETERS else None
            if listing is not None:
                return f"listing-page:{listing}"
        return f"page:{version}"

    @staticmethod
    def cacheable_request(request) -> bool:
        return (
            request.method in ("GET", "HEAD")
            and not address_without_language(request.path).startswith(PAGE_CACHE_EXCLUDED)
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

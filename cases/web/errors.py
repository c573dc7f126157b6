"""The project's own error responses: a helpful, accessible page for people, problem details (RFC 9457:
`type`, `title`, `status`, `detail` and, for bad parameters, `errors`) for programs.

Every face answers its errors from here: the pages, the API (whose DRF exception handler,
cases/api/errors.py, builds its problem details with `problem_response`), the middleware and the admin
login. So it sits below them all, in cases/web, and imports nothing from the catalogue.

JSON is chosen for any address under /api/, and elsewhere when the client's Accept header prefers JSON
over HTML; everything else gets HTML. observatory/urls.py points handler400/403/404/500 here and
CSRF_FAILURE_VIEW at `csrf_failure`; the other `*_response` builders are for code that answers an error
itself: the request validation (414, 400: `address_too_long_response`, `bad_address_response`,
`bad_parameters_response`), rate limits (429), the database-down middleware (503, cases/middleware.py)
and the admin login's lockout (`login_lockout_response`, AXES_LOCKOUT_CALLABLE).

The 500 and 503 pages are rendered without the request's context: nothing there may touch the database,
the session or the user, which may be exactly what is failing. If even that fails, a fixed page is sent.
"""

import json
import logging
import math

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse
from django.shortcuts import render
from django.template import loader
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework.utils.encoders import JSONEncoder

from cases.web.validation import MAX_REQUEST_TARGET

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:observatory:problem:"

API_PATH_PREFIX = "/api/"
HTML_TYPE = "text/html"
JSON_TYPES = ("application/json", "application/problem+json")
DOWNLOAD_TYPES = ("text/csv", "application/jsonl")

# Sent when even the 500 template cannot be rendered (a broken template, settings or URLconf).
FALLBACK_SERVER_ERROR_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Something went wrong · The Observatory</title></head>
<body><main><h1>Sorry, something went wrong on our side</h1>
<p>The problem has been logged. Please try again in a few minutes.</p>
<p><a href="/">Go to the home page</a></p></main></body></html>
"""
FALLBACK_UNAVAILABLE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Temporarily unavailable · The Observatory</title></head>
<body><main><h1>The Observatory is briefly unavailable</h1>
<p>We are working on it. Please try again in a minute; nothing you sent has been half-saved.</p>
<p><a href="/">Go to the home page</a></p></main></body></html>
"""


def problem_response(*, status_code: int, code: str, title: str, detail: str, errors=None, headers=None):
    """An error as problem details: `code` becomes the `type` (urn:observatory:problem:<code>)."""
    body = {"type": PROBLEM_TYPE_PREFIX + code, "title": title, "status": status_code, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    response = HttpResponse(
        json.dumps(body, cls=JSONEncoder, ensure_ascii=False),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def wants_json(request) -> bool:
    """True for the API's addresses, and for clients that prefer JSON to HTML."""
    if request.path_info.startswith(API_PATH_PREFIX):
        return True
    try:
        preferred = request.get_preferred_type([HTML_TYPE, *JSON_TYPES])
    except ValueError:  # an Accept header too mangled to read: people are the likelier sender
        return False
    return preferred in JSON_TYPES


def prefers_html(request) -> bool:
    """True for a browser asking for a page: its Accept header names text/html and prefers it to JSON and to
    the API's downloads (CSV, JSON Lines). A program sending */*, or no Accept header, is not a browser."""
    if not any(kind.main_type == "text" and kind.sub_type == "html" for kind in request.accepted_types):
        return False
    try:
        preferred = request.get_preferred_type([HTML_TYPE, *JSON_TYPES, *DOWNLOAD_TYPES])
    except ValueError:
        return False
    return preferred == HTML_TYPE


def _negotiated(request, response):
    # The same address answers HTML or JSON by Accept: caches must keep them apart.
    patch_vary_headers(response, ["Accept"])
    return response


def error_response(
    request,
    *,
    status_code: int,
    code: str,
    title: str,
    detail: str,
    template_name: str | None = None,
    headers: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
):
    """An error as problem details or as our HTML page `template_name` (default: "<status>.html").

    `errors` ({parameter: [messages]}) are the problem's `errors` member, or a list on the page.
    """
    if wants_json(request):
        response = problem_response(
            status_code=status_code, code=code, title=title, detail=detail, errors=errors, headers=headers
        )
    else:
        context = {"status_code": status_code, "title": title, "detail": detail, "errors": errors}
        response = render(request, template_name or f"{status_code}.html", context, status=status_code)
        for name, value in (headers or {}).items():
            response[name] = value
    return _negotiated(request, response)


def bad_request(request, exception=None):
    """handler400: a malformed request, including a body over DATA_UPLOAD_MAX_MEMORY_SIZE (413)."""
    if isinstance(exception, RequestDataTooBig):
        return error_response(
            request,
            status_code=413,
            code="request-too-large",
            title=_("Request too large"),
            detail=_("What was sent is larger than this site accepts. Shorten it and try again."),
            template_name="400.html",
        )
    if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        detail = _("The form sent far more fields or files than any form on this site has.")
    else:
        detail = _("Part of the address, form or request body was not valid. Check it and try again.")
    return error_response(request, status_code=400, code="bad-request", title=_("Bad request"), detail=detail)


def permission_denied(request, exception=None):
    """handler403."""
    return error_response(
        request,
        status_code=403,
        code="permission-denied",
        title=_("Not allowed"),
        detail=_("You do not have permission to see or change this."),
    )


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a form sent without (or with a stale) security token."""
    # Django's `reason` is for the log, not for visitors (it can name the cookie or the referer).
    logger.warning("CSRF failure on %s: %s", request.path, reason)
    return error_response(
        request,
        status_code=403,
        code="csrf-failed",
        title=_("Form expired"),
        detail=_(
            "The form could not be accepted because its security check failed, usually because the page "
            "was open for a long time or cookies are blocked. Go back, reload the page and send it again."
        ),
    )


def page_not_found(request, exception=None):
    """handler404."""
    return error_response(
        request,
        status_code=404,
        code="not-found",
        title=_("Page not found"),
        detail=_(
            "There is nothing at this address. "
            "If you followed a link, the case may have moved or been withdrawn."
        ),
    )


def too_many_requests_response(request, retry_after: int):
    """429 with Retry-After (seconds), for code that limits how often a client may do something."""
    retry_after = max(int(retry_after), 1)
    return error_response(
        request,
        status_code=429,
        code="throttled",
        title=_("Too many requests"),
        detail=_("Too many requests in a short time. Please wait %(seconds)s seconds and try again.")
        % {"seconds": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


def download_limit_response(request, *, retry_after: int, limit: str | None, back_url: str | None = None):
    """429 as our page, always HTML, for a person whose browser followed a download link more often than the
    limit allows (issue 19: never the API's JSON): what the limit is and when to download again, with
    Retry-After. `limit`: the limit as a sentence (cases.web.rate_limits.rate_sentence); `back_url`: where
    the download was offered."""
    retry_after = max(int(retry_after), 1)
    wait = ngettext(
        "You can download again in %(seconds)s second.",
        "You can download again in %(seconds)s seconds.",
        retry_after,
    ) % {"seconds": retry_after}
    context = {
        "status_code": 429,
        "title": _("Too many downloads"),
        "detail": f"{limit} {wait}" if limit else wait,
        "download_limit": True,
        "back_url": back_url,
    }
    response = render(request, "429.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    add_never_cache_headers(response)
    return _negotiated(request, response)


def _context_free_page(template_name: str, context: dict, fallback: str) -> str:
    """Render without the request: no context processors, so no session, user or database."""
    try:
        return loader.render_to_string(template_name, context)
    except Exception:  # the error page must not fail in its turn
        logger.exception("Could not render %s; sending the fixed page instead.", template_name)
        return fallback


def server_error(request):
    """handler500: no database, no session, no request context."""
    title = _("Server error")
    detail = _("Something went wrong on our side. The problem has been logged; please try again later.")
    if wants_json(request):
        response = problem_response(status_code=500, code="server-error", title=title, detail=detail)
    else:
        page = _context_free_page(
            "500.html", {"status_code": 500, "title": title, "detail": detail}, FALLBACK_SERVER_ERROR_PAGE
        )
        response = HttpResponse(page, status=500, content_type="text/html; charset=utf-8")
    add_never_cache_headers(response)
    return _negotiated(request, response)


def service_unavailable_response(request, retry_after: int):
    """503 with Retry-After (seconds), HTML or JSON, touching neither the database nor the session."""
    retry_after = max(int(retry_after), 1)
    title = _("Service unavailable")
    detail = _(
        "The Observatory is briefly unavailable. Please try again in %(seconds)s seconds; nothing you sent "
        "has been half-saved."
    ) % {"seconds": retry_after}
    if wants_json(request):
        response = problem_response(status_code=503, code="service-unavailable", title=title, detail=detail)
    else:
        page = _context_free_page(
            "503.html",
            {"status_code": 503, "title": title, "detail": detail, "retry_after": retry_after},
            FALLBACK_UNAVAILABLE_PAGE,
        )
        response = HttpResponse(page, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    add_never_cache_headers(response)
    return _negotiated(request, response)


# --- What no address on this site holds (cases.middleware.RequestValidationMiddleware) --------------


def address_too_long_response(request):
    """414: a path and query string longer than MAX_REQUEST_TARGET."""
    return error_response(
        request,
        status_code=414,
        code="uri-too-long",
        title=_("Address too long"),
        detail=_(
            "This address is longer than the %(limit)s characters this site accepts. "
            "Choose fewer filters or shorter search words and try again."
        )
        % {"limit": f"{MAX_REQUEST_TARGET:,}"},
        template_name="400.html",
    )


def bad_address_response(request):
    """400: a path with control characters or bytes that are not UTF-8."""
    return error_response(
        request,
        status_code=400,
        code="bad-request",
        title=_("Bad request"),
        detail=_(
            "The address holds control characters or bytes that are not UTF-8 text, which no address on "
            "this site has. Check it and try again."
        ),
    )


def bad_parameters_response(request, problems: dict[str, list[str]]):
    """The API's usual answer to bad parameters (`invalid-parameters`, errors by name), for every address."""
    return error_response(
        request,
        status_code=400,
        code="invalid-parameters",
        title=_("Invalid request parameters"),
        detail=" ".join(f"{name}: {' '.join(messages)}" for name, messages in problems.items()),
        errors=problems,
    )


# --- The admin login's lockout (django-axes) ----------------------------------------------------------


def login_lockout_response(request, original_response=None, credentials=None):
    """The lockout page (AXES_LOCKOUT_CALLABLE): 429, says when to try again, with Retry-After."""
    cool_off = settings.AXES_COOLOFF_TIME
    now = timezone.now()
    # The database handler keeps the time of the latest failure; the lockout ends a cool-off after it.
    handler = AxesProxyHandler.get_implementation()
    attempts_list = (
        handler.get_user_attempts(request, credentials) if hasattr(handler, "get_user_attempts") else []
    )
    last_failure = max(
        (attempt.attempt_time for attempts in attempts_list for attempt in attempts.only("attempt_time")),
        default=now,
    )
    retry_at = max(last_failure + cool_off, now)
    seconds = max(1, math.ceil((retry_at - now).total_seconds()))
    response = render(
        request,
        "registration/lockout.html",
        {
            "retry_at": retry_at,
            "retry_minutes": max(1, math.ceil(seconds / 60)),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "lockout_minutes": int(cool_off.total_seconds() // 60),
        },
        status=429,
    )
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    return response

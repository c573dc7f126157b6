"""When the database cannot be reached, answer a calm 503 with Retry-After instead of a 500.

PostgreSQL connects with a short timeout (DATABASE_CONNECT_TIMEOUT, settings/base.py), so an outage
surfaces within seconds as an OperationalError or InterfaceError. This middleware turns that into the
project's 503 (cases/site/errors.py: an HTML page, or problem details for the API and JSON clients),
wherever it is raised:

- in a view or while rendering its template: `process_exception`;
- in a middleware further down the stack (the session being saved, a middleware reading `request.user`):
  Django converts that into a 500 response before it reaches us, so a receiver of `got_request_exception`
  marks the request and `__call__` swaps the 500 for the 503.

Nothing needs restarting when the database returns: Django closes a broken connection at the start and
end of every request (`close_old_connections`), and the next query opens a new one. Writes run in
`transaction.atomic()`, so a connection lost half-way leaves nothing half-written.
"""

import logging
import sys

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError

from cases.site.errors import service_unavailable_response

logger = logging.getLogger(__name__)

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

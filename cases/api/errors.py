"""Errors as problem details (RFC 9457): `type`, `title`, `status`, `detail` and, for bad parameters,
`errors` naming each field with its messages. Every API error goes through `problem_exception_handler`
(set in REST_FRAMEWORK), so no view formats an error by hand; the body is built by the project's one
`problem_response` (cases/web/errors.py), which the pages' error handlers answer programs with too."""

from http import HTTPStatus

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from rest_framework import exceptions, status

from cases.web.errors import problem_response


class Answered(Exception):
    """Raised before the view's work when the answer is already known: answered with the prepared response."""

    def __init__(self, response):
        super().__init__("Answered")
        self.response = response


class NotModified(Answered):
    """A conditional GET whose validators match: the prepared 304."""


class CachedAnswer(Answered):
    """A read answered from the response cache (cases/api/conditional.py)."""


def _messages(value) -> list[str]:
    if isinstance(value, list | tuple):
        return [message for item in value for message in _messages(item)]
    if isinstance(value, dict):
        return [message for item in value.values() for message in _messages(item)]
    return [force_str(value)]


def field_errors(detail) -> dict[str, list[str]]:
    """DRF's validation detail as {field: [message, ...]}; errors without a field under `non_field_errors`."""
    if isinstance(detail, dict):
        return {str(name): _messages(messages) for name, messages in detail.items()}
    return {"non_field_errors": _messages(detail)}


def _validation_detail(errors: dict[str, list[str]]) -> str:
    return " ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())


def problem_exception_handler(exc, context):
    """DRF's exception handler, answering every error as problem details."""
    if isinstance(exc, Answered):
        return exc.response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a real server error: Django logs it and answers 500

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    if isinstance(exc, exceptions.ValidationError):
        errors = field_errors(exc.detail)
        return problem_response(
            status_code=exc.status_code,
            code="invalid-parameters",
            title=_("Invalid request parameters"),
            detail=_validation_detail(errors),
            errors=errors,
            headers=headers,
        )
    code = exc.get_codes()
    code = code if isinstance(code, str) else exc.default_code
    return problem_response(
        status_code=exc.status_code,
        code=code.replace("_", "-"),
        title=_status_title(exc.status_code),
        detail=" ".join(_messages(exc.detail)),
        errors=getattr(exc, "errors", None),  # where in a body, when the error knows (cases/api/parsers.py)
        headers=headers,
    )


def _status_title(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return _("Error")


def not_found(request, *args, **kwargs):
    """Any address under /api/ that names no endpoint."""
    return problem_response(
        status_code=status.HTTP_404_NOT_FOUND,
        code="not-found",
        title=_status_title(404),
        detail=_("No API endpoint at this address. The endpoints are listed at /api/docs/."),
    )

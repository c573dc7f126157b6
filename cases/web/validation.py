"""What any request may carry, checked once for every page, API endpoint, feed and export.

- `RequestValidationMiddleware` refuses, before any view, cache or database sees them:
  - a request target (path and query string) longer than MAX_REQUEST_TARGET: our own 414;
  - a path with control characters or bytes that are not UTF-8 (an encoded lone surrogate, `%ED%A0%80`,
    included): our own 400;
  - a query parameter whose name or value holds control characters or is not UTF-8: our own 400 naming
    each parameter, as problem details (the API's usual `invalid-parameters` shape) or as our 400 page.
  Django would otherwise pass a NUL on to the database (PostgreSQL refuses it: a 500) and quietly turn
  bytes that are not UTF-8 into U+FFFD.
- `parse_whole_number` is the one way a number is read from a request: ASCII digits only. Python's
  `int()` also takes Arabic-Indic "٣", fullwidth digits, " 3 ", "+3" and "3_0"; `str.isdigit()` takes
  "²" and "①", which `int()` then refuses (a 500 where the two disagreed). `WholeNumberField` is the
  same rule as a form field.

Gunicorn refuses request lines over its own limit with a bare page of its own, before Django runs:
observatory/settings/gunicorn.py raises that limit well above MAX_REQUEST_TARGET, so the requests
refused here get our page and headers; docs/security.md says what caps the rest.
"""

import re
from urllib.parse import unquote_to_bytes

from django import forms
from django.core.exceptions import ValidationError
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.models import TEXT_CONTROL_CHARACTERS
from cases.site.errors import error_response

# The longest path and query string, in bytes as sent, answered with anything but a 414. Gunicorn's former
# limit on the whole request line (4094 bytes), so every address that worked before still works; the
# longest library address a person can build by ticking every filter is well under half of it.
MAX_REQUEST_TARGET = 4096

# Never in a parameter's name or a path: every C0 control character (tab and line ends included), DEL,
# and UTF-16 surrogates (which no UTF-8 text can hold; a server decoding leniently might let one through).
SURROGATES = r"\ud800-\udfff"
FORBIDDEN_IN_NAMES = re.compile(f"[\\x00-\\x1f\\x7f{SURROGATES}]")
# A value is text a person may have pasted: tabs and line ends pass, as in the case text itself
# (cases/models.py CONTROL_CHARACTERS); everything else of the above does not.
FORBIDDEN_IN_VALUES = re.compile(f"[{TEXT_CONTROL_CHARACTERS}{SURROGATES}]")
NUL = "\x00"
# A name shown back in a message is cut to this many characters.
SHOWN_NAME_LENGTH = 60


# --- Numbers -----------------------------------------------------------------------------------------

ASCII_DIGITS = re.compile(r"[0-9]+")
# More digits than any number this site reads; also keeps int() far from its 4,300-digit limit.
MAX_DIGITS = 30


def parse_whole_number(text, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """`text` as a whole number when it is ASCII digits only (no sign, space, underscore, decimal point or
    another script's digits) and within the bounds given; ValueError otherwise."""
    if not isinstance(text, str) or len(text) > MAX_DIGITS or not ASCII_DIGITS.fullmatch(text):
        raise ValueError(f"Not a whole number in ASCII digits: {text!r}")
    value = int(text)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{value} is outside {minimum}..{maximum}")
    return value


def whole_number_message(*, minimum: int | None = None, maximum: int | None = None) -> str:
    """What to type instead, in the words every numeric parameter's error uses."""
    if minimum is not None and maximum is not None:
        return gettext("Enter a whole number from %(min)s to %(max)s.") % {"min": minimum, "max": maximum}
    if minimum is not None:
        return gettext("Enter a whole number, %(min)s or more.") % {"min": minimum}
    return gettext("Enter a whole number, in the digits 0 to 9.")


class WholeNumberField(forms.IntegerField):
    """Django's IntegerField reading its input with `parse_whole_number`: "٣", fullwidth digits, "+3", " 3"
    and "3_0" are refused as invalid instead of being read as 3 or 30. Bounds stay IntegerField's
    validators."""

    default_error_messages = {"invalid": _("Enter a whole number, in the digits 0 to 9.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            return parse_whole_number(str(value))
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


# --- Characters and lengths --------------------------------------------------------------------------


def _wsgi_bytes(text: str) -> bytes:
    """The bytes a WSGI server put in an environ string (PEP 3333: each byte as one latin-1 character)."""
    try:
        return text.encode("iso-8859-1")
    except UnicodeEncodeError:  # not from a WSGI server (ASGI gives text already decoded): as it is
        return text.encode("utf-8", "surrogatepass")


def _decoded(raw: bytes) -> str | None:
    """`raw` as UTF-8 text, or None when it is not UTF-8 (encoded surrogates and overlong forms included)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def character_problem(text: str | None, *, forbidden=FORBIDDEN_IN_VALUES) -> str | None:
    """What is wrong with `text` (None: not UTF-8) in one sentence, or None when nothing is."""
    if text is None:
        return gettext("This is not valid UTF-8 text; check how the address was written.")
    if NUL in text:
        return gettext("Null characters are not allowed.")
    if forbidden.search(text):
        return gettext("Control characters are not allowed.")
    return None


def shown_name(raw: bytes) -> str:
    """A parameter's name as it can be shown back: control characters escaped, undecodable bytes as U+FFFD."""
    text = raw.decode("utf-8", "replace")
    return FORBIDDEN_IN_NAMES.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def query_problems(query_string: bytes) -> dict[str, list[str]]:
    """{parameter name: [messages]} for every parameter whose name or value is not acceptable text.

    Split and decoded as Django's QueryDict does (`&` between fields, `+` for a space, percent-escapes),
    but strictly: where QueryDict would put U+FFFD in place of bytes that are not UTF-8, this says so.
    """
    problems: dict[str, list[str]] = {}
    for field in query_string.split(b"&"):
        if not field:
            continue
        raw_name, _equals, raw_value = field.partition(b"=")
        name_bytes = unquote_to_bytes(raw_name.replace(b"+", b" "))
        name = _decoded(name_bytes)
        value = _decoded(unquote_to_bytes(raw_value.replace(b"+", b" ")))
        problem = character_problem(name, forbidden=FORBIDDEN_IN_NAMES) or character_problem(value)
        if problem is None:
            continue
        key = name if name is not None and not FORBIDDEN_IN_NAMES.search(name) else shown_name(name_bytes)
        key = key if len(key) <= SHOWN_NAME_LENGTH else key[:SHOWN_NAME_LENGTH] + "…"
        messages = problems.setdefault(key, [])
        if problem not in messages:
            messages.append(problem)
    return problems


def request_target_length(request) -> int:
    """The length in bytes of the path and query string as the client sent them."""
    raw = request.META.get("RAW_URI") or request.META.get("REQUEST_URI")  # gunicorn; uWSGI and others
    if raw:
        return len(raw)
    query = request.META.get("QUERY_STRING", "")
    return len(escape_uri_path(request.path)) + (1 + len(query) if query else 0)


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
        # Django has already decoded the path, percent-encoding again any bytes that were not UTF-8
        # (django.utils.encoding.repercent_broken_unicode): decoding once more finds them.
        path = _decoded(unquote_to_bytes(request.path_info))
        if character_problem(path, forbidden=FORBIDDEN_IN_NAMES):
            return bad_address_response(request)
        problems = query_problems(_wsgi_bytes(request.META.get("QUERY_STRING", "")))
        if problems:
            return bad_parameters_response(request, problems)
        return None


def address_too_long_response(request):
    return error_response(
        request,
        status_code=414,
        code="uri-too-long",
        title=gettext("Address too long"),
        detail=gettext(
            "This address is longer than the %(limit)s characters this site accepts. "
            "Choose fewer filters or shorter search words and try again."
        )
        % {"limit": f"{MAX_REQUEST_TARGET:,}"},
        template_name="400.html",
    )


def bad_address_response(request):
    return error_response(
        request,
        status_code=400,
        code="bad-request",
        title=gettext("Bad request"),
        detail=gettext(
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
        title=gettext("Invalid request parameters"),
        detail=" ".join(f"{name}: {' '.join(messages)}" for name, messages in problems.items()),
        errors=problems,
    )

"""What any request may carry, and how a number is read from one: the checks, without the answers.

- `request_target_length`, `path_problem` and `query_problems` find what no address on this site holds:
  a request target (path and query string) longer than MAX_REQUEST_TARGET; a path with control characters
  or bytes that are not UTF-8 (an encoded lone surrogate, `%ED%A0%80`, included); a query parameter whose
  name or value holds control characters or is not UTF-8. Django would otherwise pass a NUL on to the
  database (PostgreSQL refuses it: a 500) and quietly turn bytes that are not UTF-8 into U+FFFD.
  `cases.middleware.RequestValidationMiddleware` runs them before any view, cache or database sees the
  request, and answers with the project's own 414 or 400 (cases/web/errors.py).
- `parse_whole_number` is the one way a number is read from a request: ASCII digits only. Python's
  `int()` also takes Arabic-Indic "٣", fullwidth digits, " 3 ", "+3" and "3_0"; `str.isdigit()` takes
  "²" and "①", which `int()` then refuses (a 500 where the two disagreed). `WholeNumberField` is the
  same rule as a form field.

Gunicorn refuses request lines over its own limit with a bare page of its own, before Django runs:
observatory/settings/gunicorn.py raises that limit well above MAX_REQUEST_TARGET, so the requests
refused by the middleware get our page and headers; docs/security.md says what caps the rest.

Like everything under cases/web, this module knows nothing of the catalogue: it imports nothing from
`cases` outside cases/web (the import contract in pyproject.toml).
"""

import re
from urllib.parse import unquote_to_bytes

from django import forms
from django.core.exceptions import ValidationError
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# The longest path and query string, in bytes as sent, answered with anything but a 414. Gunicorn's former
# limit on the whole request line (4094 bytes), so every address that worked before still works; the
# longest library address a person can build by ticking every filter is well under half of it.
MAX_REQUEST_TARGET = 4096

# Control characters other than tab, line feed and carriage return: nothing a person types, and XML (the
# feed) cannot carry them. The one definition, as a regular-expression class body: the checks here, the
# case text's validator (cases/models) and the API's schema (cases/api/schema.py) build on it.
TEXT_CONTROL_CHARACTERS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"

# Never in a parameter's name or a path: every C0 control character (tab and line ends included), DEL,
# and UTF-16 surrogates (which no UTF-8 text can hold; a server decoding leniently might let one through).
SURROGATES = r"\ud800-\udfff"
FORBIDDEN_IN_NAMES = re.compile(f"[\\x00-\\x1f\\x7f{SURROGATES}]")
# A value is text a person may have pasted: tabs and line ends pass, as in the case text itself
# (cases.models.CONTROL_CHARACTERS); everything else of the above does not.
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


def path_problem(request) -> str | None:
    """What is wrong with the request's path (control characters, bytes that are not UTF-8), or None."""
    # Django has already decoded the path, percent-encoding again any bytes that were not UTF-8
    # (django.utils.encoding.repercent_broken_unicode): decoding once more finds them.
    return character_problem(_decoded(unquote_to_bytes(request.path_info)), forbidden=FORBIDDEN_IN_NAMES)


def request_query_problems(request) -> dict[str, list[str]]:
    """`query_problems` of the request's query string, as the client sent it."""
    return query_problems(_wsgi_bytes(request.META.get("QUERY_STRING", "")))

"""The API's one request-body parser (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]): strict JSON.

Everything a JSON body can carry that no part of the portal can store or compare is refused here, with a
400 problem detail that says what and where, before any view sees the data:

- text that is not UTF-8, or JSON that does not parse (with the line and column of the mistake);
- nesting deeper than MAX_JSON_DEPTH (Python's own parser would recurse until it crashed: a 500);
- an unpaired UTF-16 surrogate (`"\\ud800"` is valid JSON, but no UTF-8 text and no database column can
  hold it) and NUL characters (PostgreSQL text cannot hold them), in keys as in values, at any depth;
- NaN and Infinity, which JSON itself does not have;
- a body over DATA_UPLOAD_MAX_MEMORY_SIZE (413), the limit Django applies to forms.
"""

import json
import re

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers, status

# Deeper than any body the API takes (a submission is an object of strings and lists: depth 2).
MAX_JSON_DEPTH = 32

# A JSON string (skipped whole: brackets inside it do not count) or a bracket. An unterminated string runs
# to the end, so every character is looked at once, whatever the body (no quadratic rescanning).
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)
_NOT_ALLOWED = re.compile("[\x00\ud800-\udfff]")


class UnstorableText(exceptions.ParseError):
    """A NUL or an unpaired surrogate: a parse error that also names where, in `errors` (as a field's)."""

    def __init__(self, detail: str, location: str):
        super().__init__(detail)
        self.errors = {location: [detail]}


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body-too-large"


def nested_deeper_than(text: str, limit: int) -> bool:
    """Whether the arrays and objects of `text` nest more than `limit` deep; no recursion, and it stops
    reading at the first bracket too deep."""
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                return True
        elif token in "]}":
            depth -= 1
    return False


def _describe(character: str) -> str:
    if character == "\x00":
        return _("a NUL character (\\u0000)")
    return _("an unpaired UTF-16 surrogate (\\u%(code)04x)") % {"code": ord(character)}


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _location(path: list) -> str:
    return "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path).lstrip(".") or _(
        "the body"
    )


def refuse_unstorable_text(value, path=None) -> None:
    """ParseError naming the first key or string value holding a NUL or an unpaired surrogate."""
    path = path or []
    if isinstance(value, str):
        found = _NOT_ALLOWED.search(value)
        if found:
            raise UnstorableText(
                _("%(what)s is not allowed in JSON text: found in %(where)s.")
                % {"what": _sentence(_describe(found.group())), "where": _location(path)},
                _location(path),
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            found = _NOT_ALLOWED.search(key)
            if found:
                raise UnstorableText(
                    _("%(what)s is not allowed in a JSON key: found in the key %(key)s of %(where)s.")
                    % {
                        "what": _sentence(_describe(found.group())),
                        "key": json.dumps(key),
                        "where": _location(path),
                    },
                    _location([*path, json.dumps(key)]),  # escaped: the key itself cannot be sent back
                )
            refuse_unstorable_text(item, [*path, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            refuse_unstorable_text(item, [*path, index])


def _no_constants(name: str):
    raise ValueError(_("%(name)s is not a JSON number") % {"name": name})


class StrictJSONParser(parsers.JSONParser):
    """JSON only, and only what can be stored: see the module's docstring."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise BodyTooLarge(_("The body is larger than %(limit)s bytes.") % {"limit": limit})
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            message = _("The body is not valid %(encoding)s text.") % {"encoding": encoding}
            raise exceptions.ParseError(message) from None
        if nested_deeper_than(text, MAX_JSON_DEPTH):
            raise exceptions.ParseError(
                _("The JSON is nested too deeply: at most %(depth)s levels of arrays and objects.")
                % {"depth": MAX_JSON_DEPTH}
            )
        try:
            data = json.loads(text, parse_constant=_no_constants)
        except json.JSONDecodeError as error:
            raise exceptions.ParseError(
                _("The body is not valid JSON: %(problem)s at line %(line)s, column %(column)s.")
                % {"problem": error.msg, "line": error.lineno, "column": error.colno}
            ) from None
        except (ValueError, RecursionError) as error:  # a number of over 4,300 digits, NaN...
            raise exceptions.ParseError(
                _("The body is not valid JSON: %(problem)s.") % {"problem": error}
            ) from None
        refuse_unstorable_text(data)
        return data

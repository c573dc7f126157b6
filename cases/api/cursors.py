"""The harvest's and the changes feed's cursor: a position (`updated_at`, `id`) that the OpenAPI document can
describe exactly, so that every value of the documented form is a position and every other value is a 400.

A cursor is `<microseconds since 1970-01-01 UTC>-<id>`, both in ASCII digits (CURSOR_PATTERN): for
example `1735689600000000-42`. Clients copy it from a `next` link and never build one; a value of the
right form that no page gave is still a position, and simply starts there. Every such value is in range:
17 digits of microseconds end in the year 5138, 18 digits of id stay below 2^63.

Cursors of the earlier form (base64 of an ISO time and an id, cases.api.pagination.decode_cursor) are
still read, so a harvest under way when this form was introduced goes on where it was.
"""

import datetime
import re

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.utils.urls import remove_query_param, replace_query_param

from .pagination import KeysetPagination, decode_cursor, keyset_parameters

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
ONE_MICROSECOND = datetime.timedelta(microseconds=1)
CURSOR_FORM = r"[0-9]{1,17}-[0-9]{1,18}"
# Empty means "from the start", as if no cursor were given.
CURSOR_PATTERN = f"^({CURSOR_FORM})?$"
_CURSOR = re.compile(CURSOR_FORM)
_EARLIER_FORM = re.compile(r"[A-Za-z0-9_-]{8,200}")


def encode_cursor(moment: datetime.datetime, pk: int) -> str:
    return f"{(moment - EPOCH) // ONE_MICROSECOND}-{pk}"


def parse_cursor(value: str, *, name: str = "cursor") -> tuple[datetime.datetime, int] | None:
    """The position a cursor holds (None for an empty one); a 400 naming the parameter otherwise."""
    if value == "":
        return None
    if _CURSOR.fullmatch(value):
        micros, pk = value.split("-")
        return EPOCH + int(micros) * ONE_MICROSECOND, int(pk)
    if _EARLIER_FORM.fullmatch(value):
        return decode_cursor(value, name=name)
    raise exceptions.ValidationError(
        {name: [_("Invalid cursor: use the `next` link of the previous page, unchanged.")]}
    )


def next_link(request, position, cursor_query_param: str = "cursor") -> str:
    url = remove_query_param(request.build_absolute_uri(), cursor_query_param)
    return replace_query_param(url, cursor_query_param, encode_cursor(*position))


class CursorPagination(KeysetPagination):
    """Keyset pagination on (updated_at, id) with the cursor above."""

    def cursor(self, request):
        values = request.query_params.getlist(self.cursor_query_param)
        if len(values) > 1:
            raise exceptions.ValidationError({self.cursor_query_param: [_("Give this parameter once.")]})
        return parse_cursor(values[0], name=self.cursor_query_param) if values else None

    def get_next_link(self):
        if self.next_position is None:
            return None
        return next_link(self.request, self.next_position, self.cursor_query_param)

    def get_schema_operation_parameters(self, view):
        parameters = keyset_parameters(self)
        for parameter in parameters:
            if parameter["name"] == self.cursor_query_param:
                parameter["schema"]["pattern"] = CURSOR_PATTERN
                parameter["schema"]["maxLength"] = 36
                parameter["allowEmptyValue"] = True
                parameter["description"] += (
                    " Its form: microseconds since 1970 UTC, a hyphen, an id (`1735689600000000-42`); "
                    "empty means the first page."
                )
        return parameters

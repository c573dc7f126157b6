"""Harvesting: keyset pagination on (`updated_at`, `id`), ascending, moving on with a `cursor` that holds
the last position seen. A case changed during a harvest moves behind the cursor, so it is delivered again,
in its newer version, and no case is ever skipped; pages never overlap otherwise. Default 100 cases a page,
at most 500. The harvest and the changes feed use it (cases/api/views.py).

A cursor is `<microseconds since 1970-01-01 UTC>-<id>`, both in ASCII digits (CURSOR_PATTERN): for
example `1735689600000000-42`, a form the OpenAPI document describes exactly, so that every value of the
documented form is a position and every other value is a 400. Clients copy it from a `next` link and never
build one; a value of the right form that no page gave is still a position, and simply starts there. Every
such value is in range: 17 digits of microseconds end in the year 5138, 18 digits of id stay below 2^63.

Cursors of the earlier form (base64 of an ISO time, "|" and an id) are still read, so a harvest under way
when this form was introduced goes on where it was.
"""

import base64
import binascii
import datetime
import re

from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, pagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from cases.api.pagination import whole_number_parameter
from cases.web.validation import parse_whole_number

HARVEST_PAGE_SIZE = 100
MAX_HARVEST_PAGE_SIZE = 500
# Ids are 64-bit: a larger one in a cursor is not ours (and SQLite cannot even compare with it).
LARGEST_ID = 2**63 - 1

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
ONE_MICROSECOND = datetime.timedelta(microseconds=1)
CURSOR_FORM = r"[0-9]{1,17}-[0-9]{1,18}"
# Empty means "from the start", as if no cursor were given.
CURSOR_PATTERN = f"^({CURSOR_FORM})?$"
_CURSOR = re.compile(CURSOR_FORM)
_EARLIER_FORM = re.compile(r"[A-Za-z0-9_-]{8,200}")
INVALID_CURSOR = _("Invalid cursor: use the `next` link of the previous page, unchanged.")


def encode_cursor(moment: datetime.datetime, pk: int) -> str:
    return f"{(moment - EPOCH) // ONE_MICROSECOND}-{pk}"


def _decode_earlier_cursor(value: str) -> tuple[datetime.datetime, int]:
    """A cursor of the earlier form (base64 of "<ISO time>|<id>"); ValueError when it is not one."""
    try:
        padded = value + "=" * (-len(value) % 4)
        moment, pk = base64.urlsafe_b64decode(padded.encode("ascii")).decode().split("|")
        moment = datetime.datetime.fromisoformat(moment)
        if moment.tzinfo is None:
            raise ValueError(value)
        # In UTC, as every other moment the API reads: PostgreSQL refuses an offset beyond ±15:59, which
        # Python allows up to ±23:59:59.999999 (a 500 otherwise); near year 1 or 9999 this can overflow.
        moment = moment.astimezone(datetime.UTC)
    except (UnicodeError, binascii.Error, OverflowError) as error:
        raise ValueError(value) from error
    return moment, parse_whole_number(pk, maximum=LARGEST_ID)


def parse_cursor(value: str, *, name: str = "cursor") -> tuple[datetime.datetime, int] | None:
    """The position a cursor holds (None for an empty one); a 400 naming the parameter otherwise."""
    if value == "":
        return None
    if _CURSOR.fullmatch(value):
        micros, pk = value.split("-")
        return EPOCH + int(micros) * ONE_MICROSECOND, int(pk)
    if _EARLIER_FORM.fullmatch(value):
        try:
            return _decode_earlier_cursor(value)
        except ValueError:
            pass
    raise exceptions.ValidationError({name: [INVALID_CURSOR]})


def after_position(position, *, time_field: str = "updated_at", id_field: str = "id") -> Q:
    moment, pk = position
    return Q(**{f"{time_field}__gt": moment}) | Q(**{time_field: moment, f"{id_field}__gt": pk})


def next_link(request, position, cursor_query_param: str = "cursor") -> str:
    url = remove_query_param(request.build_absolute_uri(), cursor_query_param)
    return replace_query_param(url, cursor_query_param, encode_cursor(*position))


class CursorPagination(pagination.BasePagination):
    """Cursor pagination on (updated_at, id), ascending: the order of a complete, resumable harvest."""

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    page_size = HARVEST_PAGE_SIZE
    max_page_size = MAX_HARVEST_PAGE_SIZE
    ordering = ("updated_at", "id")

    def cursor(self, request):
        values = request.query_params.getlist(self.cursor_query_param)
        if len(values) > 1:
            raise exceptions.ValidationError({self.cursor_query_param: [_("Give this parameter once.")]})
        return parse_cursor(values[0], name=self.cursor_query_param) if values else None

    def get_page_size(self, request):
        return whole_number_parameter(
            request, self.page_size_query_param, default=self.page_size, maximum=self.max_page_size
        )

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self.get_page_size(request)
        position = self.cursor(request)
        queryset = queryset.order_by(*self.ordering)
        if position is not None:
            queryset = queryset.filter(after_position(position))
        rows = list(queryset[: size + 1])
        self.next_position = (rows[size - 1].updated_at, rows[size - 1].pk) if len(rows) > size else None
        return rows[:size]

    def get_next_link(self):
        if self.next_position is None:
            return None
        return next_link(self.request, self.next_position, self.cursor_query_param)

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        return keyset_page_schema(schema)

    def get_schema_operation_parameters(self, view):
        return keyset_parameters(self)


def keyset_page_schema(results_schema):
    return {
        "type": "object",
        "required": ["next", "results"],
        "properties": {
            "next": {
                "type": "string",
                "nullable": True,
                "format": "uri",
                "description": _("The next page, or null on the last page."),
            },
            "results": results_schema,
        },
    }


def keyset_parameters(paginator) -> list[dict]:
    return [
        {
            "name": paginator.cursor_query_param,
            "required": False,
            "in": "query",
            "allowEmptyValue": True,
            "description": _(
                # Translators: `next` is a field's name and 1735689600000000-42 an example value: keep both.
                "Where to go on from: copy it from the `next` link of the previous page. Its form: "
                "microseconds since 1970 UTC, a hyphen, an id (`1735689600000000-42`); empty means the "
                "first page."
            ),
            "schema": {"type": "string", "pattern": CURSOR_PATTERN, "maxLength": 36},
        },
        {
            "name": paginator.page_size_query_param,
            "required": False,
            "in": "query",
            "allowEmptyValue": True,
            # Made as the document is, in the request's language (the list pages' words, pagination.py).
            "description": gettext("Results per page: %(default)s by default, at most %(max)s.")
            % {"default": paginator.page_size, "max": paginator.max_page_size},
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": paginator.max_page_size,
                "default": paginator.page_size,
            },
        },
    ]

"""Two ways through a long list.

- `PageNumberPagination` (the default, set in REST_FRAMEWORK): `page` and `page_size`, for people and
  pages. Default 20 cases a page, at most 100. A malformed `page` or `page_size` is a 400; a page past
  the end is a 404.
- `KeysetPagination`, for harvesting: ordered by (`updated_at`, `id`), moving on with an opaque `cursor`
  that holds the last position seen. A case changed during a harvest moves behind the cursor, so it is
  delivered again, in its newer version, and no case is ever skipped; pages never overlap otherwise.
  Default 100 cases a page, at most 500.
"""

import base64
import binascii
import datetime

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, pagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from cases.caching import cached
from cases.request_validation import parse_whole_number, whole_number_message

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
HARVEST_PAGE_SIZE = 100
MAX_HARVEST_PAGE_SIZE = 500
# Ids are 64-bit: a larger one in a cursor is not ours (and SQLite cannot even compare with it).
LARGEST_ID = 2**63 - 1


def whole_number_parameter(request, name: str, *, default: int, minimum: int = 1, maximum: int | None = None):
    """The integer query parameter `name`, or `default` when absent; a 400 naming it when it is not one
    (in ASCII digits: cases/request_validation.py reads every number a request carries)."""
    if len(request.query_params.getlist(name)) > 1:
        raise exceptions.ValidationError({name: [_("Give this parameter once.")]})
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return parse_whole_number(raw, minimum=minimum, maximum=maximum)
    except ValueError:
        raise exceptions.ValidationError(
            {name: [whole_number_message(minimum=minimum, maximum=maximum)]}
        ) from None


class SelectionPaginator(Paginator):
    """Django's paginator, with the total and each page's ids cached per selection and catalogue version.

    The selection is the queryset's SQL (its filters, search and order, with their values), so two requests
    asking for the same cases share the cache whatever order their parameters came in. Counting and ranking
    many search matches is the costly part of a page; fetching its 20 rows by id is not. Any write to the
    catalogue changes its version (cases/signals.py), so nothing stale is served.
    """

    def __init__(self, object_list, per_page, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        try:
            self.selection = str(object_list.query)
        except EmptyResultSet:  # a queryset that can match nothing: nothing worth caching
            self.selection = None

    @cached_property
    def count(self):
        if self.selection is None:
            return 0
        return cached("api-count", self.selection, self.object_list.count)

    def page(self, number):
        page = super().page(number)
        if self.selection is None:
            return page
        ids = cached(
            "api-page",
            (self.selection, page.number, self.per_page),
            lambda: list(page.object_list.values_list("pk", flat=True)),
        )
        by_id = {case.pk: case for case in self.object_list.filter(pk__in=ids)}
        page.object_list = [by_id[pk] for pk in ids if pk in by_id]
        return page


class PageNumberPagination(pagination.PageNumberPagination):
    django_paginator_class = SelectionPaginator
    page_size = DEFAULT_PAGE_SIZE
    max_page_size = MAX_PAGE_SIZE
    page_size_query_param = "page_size"
    page_query_description = _("Page number, from 1.")
    page_size_query_description = _("Results per page: %(default)s by default, at most %(max)s.") % {
        "default": DEFAULT_PAGE_SIZE,
        "max": MAX_PAGE_SIZE,
    }

    def get_page_size(self, request):
        return whole_number_parameter(
            request, self.page_size_query_param, default=self.page_size, maximum=self.max_page_size
        )

    def get_page_number(self, request, paginator):
        return whole_number_parameter(request, self.page_query_param, default=1)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["allowEmptyValue"] = True  # empty means the default
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
                parameter["schema"]["default"] = self.page_size
        return parameters


# --- Keyset (cursor) pagination on (updated_at, id) ------------------------------------------------


def encode_cursor(moment: datetime.datetime, pk: int) -> str:
    raw = f"{moment.astimezone(datetime.UTC).isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str, *, name: str = "cursor") -> tuple[datetime.datetime, int]:
    """The position a cursor holds; a 400 naming the parameter when it was not made by this API."""
    try:
        padded = value + "=" * (-len(value) % 4)
        moment, pk = base64.urlsafe_b64decode(padded.encode("ascii")).decode().split("|")
        moment = datetime.datetime.fromisoformat(moment)
        pk = parse_whole_number(pk, maximum=LARGEST_ID)
        if moment.tzinfo is None:
            raise ValueError
    except (ValueError, UnicodeError, binascii.Error):
        raise exceptions.ValidationError(
            {name: [_("Invalid cursor: use the `next` link of the previous page, unchanged.")]}
        ) from None
    return moment, pk


def after_position(position, *, time_field: str = "updated_at", id_field: str = "id") -> Q:
    moment, pk = position
    return Q(**{f"{time_field}__gt": moment}) | Q(**{time_field: moment, f"{id_field}__gt": pk})


class KeysetPagination(pagination.BasePagination):
    """Cursor pagination on (updated_at, id), ascending: the order of a complete, resumable harvest."""

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    page_size = HARVEST_PAGE_SIZE
    max_page_size = MAX_HARVEST_PAGE_SIZE
    ordering = ("updated_at", "id")

    def cursor(self, request):
        if len(request.query_params.getlist(self.cursor_query_param)) > 1:
            raise exceptions.ValidationError({self.cursor_query_param: [_("Give this parameter once.")]})
        raw = request.query_params.get(self.cursor_query_param)
        return decode_cursor(raw, name=self.cursor_query_param) if raw else None

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


def next_link(request, position, cursor_query_param="cursor") -> str:
    url = remove_query_param(request.build_absolute_uri(), cursor_query_param)
    return replace_query_param(url, cursor_query_param, encode_cursor(*position))


def keyset_page_schema(results_schema):
    return {
        "type": "object",
        "required": ["next", "results"],
        "properties": {
            "next": {
                "type": "string",
                "nullable": True,
                "format": "uri",
                "description": "The next page, or null on the last page.",
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
            "description": "Where to go on from: copy it from the `next` link of the previous page.",
            "schema": {"type": "string"},
        },
        {
            "name": paginator.page_size_query_param,
            "required": False,
            "in": "query",
            "allowEmptyValue": True,
            "description": (
                f"Results per page: {paginator.page_size} by default, at most {paginator.max_page_size}."
            ),
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": paginator.max_page_size,
                "default": paginator.page_size,
            },
        },
    ]

"""Page-number pagination, the API's default (set in REST_FRAMEWORK): `page` and `page_size`, for people and
pages. Default 20 cases a page, at most 100. A malformed `page` or `page_size` is a 400; a page past the
end is a 404. Harvesting moves through the catalogue with a cursor instead (cases/api/cursors.py).
"""

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, pagination

from cases.caching import cached
from cases.web.validation import parse_whole_number, whole_number_message

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def whole_number_parameter(request, name: str, *, default: int, minimum: int = 1, maximum: int | None = None):
    """The integer query parameter `name`, or `default` when absent; a 400 naming it when it is not one
    (in ASCII digits: cases/web/validation.py reads every number a request carries)."""
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

"""Page-number pagination, the API's default (set in REST_FRAMEWORK): `page` and `page_size`, for people and
pages. Default 20 cases a page, at most 100. A malformed `page` or `page_size` is a 400; a page past the
end is a 404. Harvesting moves through the catalogue with a cursor instead (cases/api/cursors.py).

The total and each page's ids are cached by the one `SelectionPaginator` (cases/caching.py), keyed by the
view's FilterSet, so the API and the library page share them for the same selection.
"""

import functools

from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, pagination

from cases.caching import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, SelectionPaginator, filterset_selection
from cases.insights.facet_counts import selection_facets
from cases.web.validation import parse_whole_number, whole_number_message


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


class PageNumberPagination(pagination.PageNumberPagination):
    """Page numbers over the view's filtered queryset, cached per selection (caching.SelectionPaginator)."""

    django_paginator_class = SelectionPaginator
    page_size = DEFAULT_PAGE_SIZE
    max_page_size = MAX_PAGE_SIZE
    page_size_query_param = "page_size"
    page_query_description = _("Page number, from 1.")
    # Lazy, filled in when the document is made: `_(...) % {...}` would be made once, at import, in the
    # language active then.
    page_size_query_description = lazy(
        lambda: (
            gettext("Results per page: %(default)s by default, at most %(max)s.")
            % {"default": DEFAULT_PAGE_SIZE, "max": MAX_PAGE_SIZE}
        ),
        str,
    )()

    def paginate_queryset(self, queryset, request, view=None):
        selection = self.selection(queryset, view)
        filterset = getattr(view, "filterset", None)
        searched = selection is not None and bool(filterset.search_words)
        self.django_paginator_class = functools.partial(
            SelectionPaginator,
            selection=selection,
            listing=selection is not None and filterset.selects_by_listing_only(),
            # The total from the facet counts' bitmaps (the library page's too): no query for facets and
            # years, and counting a search's matches in SQL would read every one of them.
            counter=(lambda: selection_facets(filterset)["count"]) if selection is not None else None,
            ids_reader=filterset.ranked_page_reader() if searched else None,
            # The view's cases before its filters (published, with what the serializer reads).
            rows=view.get_queryset() if selection is not None else None,
        )
        return super().paginate_queryset(queryset, request, view)

    @staticmethod
    def selection(queryset, view) -> tuple | None:
        """The selection `queryset` is, when it is exactly what the view's FilterSet gave (ApiFilterBackend
        leaves the FilterSet on the view); None, so nothing cached, for a queryset narrowed or built
        otherwise, whose rows the FilterSet's parameters would not describe."""
        filterset = getattr(view, "filterset", None)
        if filterset is None or queryset is not filterset.qs:
            return None
        return filterset_selection(filterset)

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

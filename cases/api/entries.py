"""The partner API's methods, toolkits and organisations (issue 18), with the cases' conventions: the list
FilterSets of the pages (cases/filters.py) plus `updated_since` and `ordering` (cases/api/filters.py),
page-numbered lists (`page`, `page_size`), problem details naming each bad parameter, the same rate limits
and partner keys, ETag and Last-Modified with 304s, ?lang= for the names of choices. Methods and toolkits
also have facet counts, a cursor harvest and CSV and JSON Lines exports; organisations have facet counts.

Only published methods and toolkits, and public organisations (named by a published case), are ever read:
a draft's slug is a 404 exactly as an unknown one is, and a draft is in no list, count or export."""

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, pagination, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases.api import entry_serializers as entries
from cases.api.conditional import ConditionalMixin
from cases.api.cursors import CursorPagination
from cases.api.exports import ENTRY_EXPORT_FORMATS
from cases.api.filters import (
    MethodApiFilterSet,
    OrganisationApiFilterSet,
    ToolkitApiFilterSet,
    check_query,
)
from cases.api.pagination import PageNumberPagination
from cases.api.views import (
    DOWNLOAD_MEDIA_TYPE,
    CSVRenderer,
    FirstRendererNegotiation,
    JSONLinesDownloadRenderer,
    JSONLinesRenderer,
)


class EntryPagination(PageNumberPagination):
    """The cases' page numbers (`page`, `page_size`: 20 a page by default, at most 100; a malformed value is
    a 400, a page past the end a 404), over Django's own paginator: these lists hold hundreds of rows, and
    the cached totals and pages of the case library (cases.caching.SelectionPaginator) are keyed by the
    case library's selections."""

    django_paginator_class = Paginator

    def paginate_queryset(self, queryset, request, view=None):
        return pagination.PageNumberPagination.paginate_queryset(self, queryset, request, view)


def validated_entry_filterset(request, filterset_class, queryset):
    check_query(request.query_params, filterset_class=filterset_class)
    filterset = filterset_class(request.query_params, queryset=queryset, request=request)
    if not filterset.is_valid():
        raise translate_validation(filterset.errors)
    return filterset


# --- Facet counts -----------------------------------------------------------------------------------


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField(help_text=_("The value as the filter parameter takes it."))
    label = serializers.CharField(help_text=_("Its name, in the language asked for."))
    count = serializers.IntegerField(
        help_text=_("The entries matching every other parameter and this value.")
    )
    selected = serializers.BooleanField(help_text=_("Whether the request selects this value."))


def facet_counts_serializer(name: str, filterset_class) -> type[serializers.Serializer]:
    """{count, facets: {parameter: [{value, label, count, selected}]}} for the facets of `filterset_class`."""
    facets = type(
        f"{name}FacetsSerializer",
        (serializers.Serializer,),
        {
            "__module__": __name__,
            **{parameter: FacetValueSerializer(many=True) for parameter in filterset_class.FACETS},
        },
    )
    return type(
        f"{name}FacetCountsSerializer",
        (serializers.Serializer,),
        {
            "__module__": __name__,
            "count": serializers.IntegerField(help_text=_("The number matching every current parameter.")),
            "facets": facets(
                help_text=_(
                    "For each parameter, its values with the entries matching every *other* parameter and "
                    "that value, most first; values without entries are left out."
                )
            ),
        },
    )


MethodFacetCountsSerializer = facet_counts_serializer("Method", MethodApiFilterSet)
ToolkitFacetCountsSerializer = facet_counts_serializer("Toolkit", ToolkitApiFilterSet)
OrganisationFacetCountsSerializer = facet_counts_serializer("Organisation", OrganisationApiFilterSet)


# --- The viewsets -----------------------------------------------------------------------------------


class EntryViewSet(ConditionalMixin, viewsets.ReadOnlyModelViewSet):
    """A published kind of entry: its list (filtered, page-numbered), one entry by slug, its facet counts."""

    lookup_field = "slug"
    # A slug's characters only: anything else (a NUL byte, say) is a 404 before it reaches the database.
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    pagination_class = EntryPagination
    list_serializer = detail_serializer = None

    def public_entries(self):
        """Every entry of this kind anyone may see, with what its record reads."""
        raise NotImplementedError

    def get_queryset(self):
        return self.public_entries()

    def get_serializer_class(self):
        return self.list_serializer if self.action == "list" else self.detail_serializer

    def filter_queryset(self, queryset):
        if self.action == "retrieve":
            return queryset  # one entry by its slug: the list's parameters do not apply
        return super().filter_queryset(queryset)

    def facet_counts_response(self, request):
        filterset = validated_entry_filterset(request, self.filterset_class, self.public_entries())
        return Response({"count": filterset.qs.count(), "facets": filterset.facet_counts()})


class HarvestMixin:
    """A cursor harvest (cases/api/cursors.py): full records ordered by (`updated_at`, `id`)."""

    def harvest_response(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


HARVEST_DESCRIPTION = _(
    # Translators: the words in backticks are field and parameter names: keep them as they are.
    "For complete copies: full records ordered by (`updated_at`, `id`), moving on with the `next` link "
    "(an opaque cursor). An entry changed while you harvest is delivered again, newer, behind the cursor; "
    "none is skipped. 100 a page by default, at most 500. Takes the list's parameters and `updated_since`; "
    "`sort` and `ordering` are ignored."
)
LIST_DESCRIPTION = _(
    # Translators: `updated_since`, `ordering` and `page_size` are parameter names: keep them as they are.
    "The library page's parameters, with the same meaning, plus `updated_since` and `ordering`. "
    "Page-numbered: 20 a page by default, at most 100 (`page_size`)."
)
FACET_COUNTS_DESCRIPTION = _(
    "How many entries each value of each filter parameter would give under the other current parameters "
    "(OR within a parameter, AND across them), and how many match now. Takes the list's parameters."
)
NOT_FOUND = OpenApiResponse(description=_("No such published entry: unknown, or not published."))


@extend_schema_view(
    list=extend_schema(summary=_("List published methods"), description=LIST_DESCRIPTION),
    retrieve=extend_schema(
        summary=_("One published method"),
        description=_("Everything public about a method of public-sector innovation."),
        responses={200: entries.MethodDetailSerializer, 404: NOT_FOUND},
    ),
)
class MethodViewSet(HarvestMixin, EntryViewSet):
    filterset_class = MethodApiFilterSet
    list_serializer = entries.MethodListSerializer
    detail_serializer = entries.MethodDetailSerializer

    def public_entries(self):
        return entries.method_queryset()

    @extend_schema(
        operation_id="methods_facet_counts",
        summary=_("Counts for each filter value of the methods"),
        description=FACET_COUNTS_DESCRIPTION,
        responses=MethodFacetCountsSerializer,
    )
    @action(detail=False, url_path="facet-counts", pagination_class=None)
    def facet_counts(self, request, format=None):  # the router's format suffix passes `format`
        return self.facet_counts_response(request)

    @extend_schema(
        operation_id="methods_harvest",
        summary=_("Harvest every matching method"),
        description=HARVEST_DESCRIPTION,
        responses=entries.MethodDetailSerializer(many=True),
    )
    @action(detail=False, pagination_class=CursorPagination)
    def harvest(self, request, format=None):
        return self.harvest_response(request)


@extend_schema_view(
    list=extend_schema(summary=_("List published toolkits"), description=LIST_DESCRIPTION),
    retrieve=extend_schema(
        summary=_("One published toolkit"),
        description=_(
            # Translators: `link_checked_at` and `link_working` are field names: keep them as they are.
            "Everything public about a toolkit, as OPSI's Toolkit Navigator describes one. Its link is "
            "checked every week: `link_checked_at` and `link_working` say when, and whether it answered."
        ),
        responses={200: entries.ToolkitDetailSerializer, 404: NOT_FOUND},
    ),
)
class ToolkitViewSet(HarvestMixin, EntryViewSet):
    filterset_class = ToolkitApiFilterSet
    list_serializer = entries.ToolkitListSerializer
    detail_serializer = entries.ToolkitDetailSerializer

    def public_entries(self):
        return entries.toolkit_queryset()

    @extend_schema(
        operation_id="toolkits_facet_counts",
        summary=_("Counts for each filter value of the toolkits"),
        description=FACET_COUNTS_DESCRIPTION,
        responses=ToolkitFacetCountsSerializer,
    )
    @action(detail=False, url_path="facet-counts", pagination_class=None)
    def facet_counts(self, request, format=None):
        return self.facet_counts_response(request)

    @extend_schema(
        operation_id="toolkits_harvest",
        summary=_("Harvest every matching toolkit"),
        description=HARVEST_DESCRIPTION,
        responses=entries.ToolkitDetailSerializer(many=True),
    )
    @action(detail=False, pagination_class=CursorPagination)
    def harvest(self, request, format=None):
        return self.harvest_response(request)


@extend_schema_view(
    list=extend_schema(summary=_("List organisations"), description=LIST_DESCRIPTION),
    retrieve=extend_schema(
        summary=_("One organisation"),
        description=_("An organisation that led or partnered in published cases."),
        responses={200: entries.OrganisationSerializer, 404: NOT_FOUND},
    ),
)
class OrganisationViewSet(EntryViewSet):
    filterset_class = OrganisationApiFilterSet
    list_serializer = detail_serializer = entries.OrganisationSerializer

    def public_entries(self):
        return entries.organisation_queryset()

    @extend_schema(
        operation_id="organisations_facet_counts",
        summary=_("Counts for each filter value of the organisations"),
        description=FACET_COUNTS_DESCRIPTION,
        responses=OrganisationFacetCountsSerializer,
    )
    @action(detail=False, url_path="facet-counts", pagination_class=None)
    def facet_counts(self, request, format=None):
        return self.facet_counts_response(request)


# --- Exports ----------------------------------------------------------------------------------------


def _in_language(language: str, lines):
    """The lines of a streamed export, made in `language` (the names of choices): they are made as the
    server sends them, after the view has returned and the request's language may be gone."""
    with translation.override(language):
        yield from lines


class EntryExportView(ConditionalMixin, generics.GenericAPIView):
    """Every matching method or toolkit (not one page), streamed: as the cases' exports."""

    kind = ""
    export_format = "csv"
    schema_filters = True
    throttle_scope = "export"
    content_negotiation_class = FirstRendererNegotiation
    pagination_class = None

    def get_renderers(self):
        if self.export_format == "csv":
            return [CSVRenderer()]
        return [JSONLinesRenderer(), JSONLinesDownloadRenderer()]

    def get_queryset(self):
        return entries.method_queryset() if self.kind == "method" else entries.toolkit_queryset()

    def get(self, request):
        language = get_language()  # the request's (?lang=, Accept-Language)
        matching = self.filter_queryset(self.get_queryset())
        content_type, lines = ENTRY_EXPORT_FORMATS[self.export_format]
        if request.accepted_media_type == DOWNLOAD_MEDIA_TYPE:
            content_type = DOWNLOAD_MEDIA_TYPE
        response = StreamingHttpResponse(
            _in_language(language, lines(self.kind, matching, base_url=request.build_absolute_uri("/"))),
            content_type=content_type,
        )
        if len(self.get_renderers()) > 1:
            patch_vary_headers(response, ["Accept"])  # the same address, under either of its media types
        stamp = timezone.now().strftime("%Y%m%d")
        response["Content-Disposition"] = f'attachment; filename="{self.kind}s-{stamp}.{self.export_format}"'
        return response


CSV_DESCRIPTION = _(
    # Translators: `updated_since` and `ordering` are parameter names: keep them as they are. ';' is the
    # character that separates the values in a cell.
    "Every published entry matching the parameters (the list's, plus `updated_since` and `ordering`), "
    "streamed in one response, not paged. Lower rate limit than the other endpoints. One row per entry, "
    "flattened from its API record: choices by their codes, lists separated by ';'; cells that would start "
    "a spreadsheet formula begin with an apostrophe."
)
JSONL_DESCRIPTION = _(
    # Translators: `updated_since` and `ordering` are parameter names: keep them as they are.
    "Every published entry matching the parameters (the list's, plus `updated_since` and `ordering`), "
    "streamed in one response, not paged. Lower rate limit than the other endpoints. One JSON object per "
    "line: the entry's API record."
)


def _csv_responses():
    return {
        (200, "text/csv"): OpenApiResponse(
            OpenApiTypes.STR, description=_("A header row, then one row per entry.")
        )
    }


def _jsonl_responses():
    return {
        (200, JSONLinesRenderer.media_type): OpenApiResponse(
            OpenApiTypes.STR, description=_("One entry per line.")
        ),
        # The same bytes, under the media type client generators know for a download (docs/api.md).
        (200, DOWNLOAD_MEDIA_TYPE): OpenApiResponse(
            OpenApiTypes.BINARY, description=_("One entry per line.")
        ),
    }


class MethodCSVExportView(EntryExportView):
    kind, export_format, filterset_class = "method", "csv", MethodApiFilterSet

    @extend_schema(
        operation_id="methods_export_csv",
        summary=_("Export matching methods as CSV"),
        description=CSV_DESCRIPTION,
        responses=_csv_responses(),
    )
    def get(self, request):
        return super().get(request)


class MethodJSONLinesExportView(EntryExportView):
    kind, export_format, filterset_class = "method", "jsonl", MethodApiFilterSet

    @extend_schema(
        operation_id="methods_export_jsonl",
        summary=_("Export matching methods as JSON Lines"),
        description=JSONL_DESCRIPTION,
        responses=_jsonl_responses(),
    )
    def get(self, request):
        return super().get(request)


class ToolkitCSVExportView(EntryExportView):
    kind, export_format, filterset_class = "toolkit", "csv", ToolkitApiFilterSet

    @extend_schema(
        operation_id="toolkits_export_csv",
        summary=_("Export matching toolkits as CSV"),
        description=CSV_DESCRIPTION,
        responses=_csv_responses(),
    )
    def get(self, request):
        return super().get(request)


class ToolkitJSONLinesExportView(EntryExportView):
    kind, export_format, filterset_class = "toolkit", "jsonl", ToolkitApiFilterSet

    @extend_schema(
        operation_id="toolkits_export_jsonl",
        summary=_("Export matching toolkits as JSON Lines"),
        description=JSONL_DESCRIPTION,
        responses=_jsonl_responses(),
    )
    def get(self, request):
        return super().get(request)

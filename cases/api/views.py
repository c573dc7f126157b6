"""The partner API (/api/v1/): read-only, and every case read goes through CaseStudy.objects.published() and
the one FilterSet (CaseStudyApiFilterSet adds only `updated_since` and `ordering`)."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, IntegerField, Q, Value, When
from django.http import Http404, HttpResponsePermanentRedirect, QueryDict, StreamingHttpResponse
from django.urls import reverse as reverse_path
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.text import format_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, renderers, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.reverse import reverse

from cases.api import serializers as api
from cases.api.conditional import ConditionalMixin
from cases.api.cursors import CursorPagination, after_position, next_link
from cases.api.errors import Answered
from cases.api.exports import EXPORT_FORMATS
from cases.api.filters import CaseStudyApiFilterSet, ChangesFilterSet, check_query
from cases.api.schema import TEXT_PATTERN
from cases.caching import case_page_scope
from cases.filters import CaseStudyFilterSet
from cases.insights.facet_counts import selection_facets
from cases.insights.statistics import case_statistics
from cases.models import (
    SDG,
    CaseStudy,
    CaseWithdrawal,
    Economy,
    FormerSlug,
    InnovationFacet,
    Sector,
    Theme,
)
from cases.models.querysets import published_q
from cases.models.search_document import LANGUAGE_FIELDS
from cases.search.engine import title_suggestions
from cases.web.errors import download_limit_response, prefers_html
from cases.web.languages import wants_every_translation
from cases.web.rate_limits import configured_rate, rate_sentence

SUGGESTIONS_PER_GROUP = 8
MAX_SUGGEST_LENGTH = 100


# --- Cases ----------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary=_("List published cases"),
        description=_(
            # Translators: `updated_since`, `ordering` and `page_size` are parameter names: keep them as they
            # are.
            "The case library's parameters, with the same meaning, plus `updated_since` and "
            "`ordering`. Page-numbered: 20 cases a page by default, at most 100 (`page_size`)."
        ),
    ),
    retrieve=extend_schema(
        summary=_("One published case"),
        description=_("Everything public about a case. A former slug answers 301 with the current address."),
        responses={
            200: api.CaseDetailSerializer,
            # Translators: Location is an HTTP header's name: keep it in English.
            301: OpenApiResponse(description=_("The case has a new slug: Location gives its address.")),
        },
    ),
)
class CaseStudyViewSet(ConditionalMixin, viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    filterset_class = CaseStudyApiFilterSet
    serializer_class = api.CaseDetailSerializer

    def get_queryset(self):
        # for_listing() and for_detail() read the text in the request's language (a published translation,
        # or the original) in the same query.
        published = CaseStudy.objects.published()
        request = getattr(self, "request", None)  # a viewset made without one is asked for its queryset too
        every_translation = request is not None and wants_every_translation(request)
        if every_translation:
            published = published.with_published_translations()
        # The case's methods, toolkits and organisations, as columns of the same query (issue 18).
        published = published.annotate(**api.case_entry_annotations())
        if self.action == "list":
            # Every vocabulary a case in a list shows (the case record's): for_listing() loads them all, in
            # one query. With every translation, the original's whole text too (whether each is current).
            listing = published.for_listing()
            return listing.defer(None).defer(*LANGUAGE_FIELDS) if every_translation else listing
        return published.for_detail()

    def get_serializer_class(self):
        return api.CaseListSerializer if self.action == "list" else api.CaseDetailSerializer

    def response_cache_scope(self):
        # A case's record under its own stamp, as its page: a write to another case leaves it cached.
        return case_page_scope(self.kwargs["slug"]) if self.action == "retrieve" else None

    def filter_queryset(self, queryset):
        if self.action == "retrieve":
            return queryset  # one case by its slug: the list's parameters do not apply
        return super().filter_queryset(queryset)

    def retrieve(self, request, *args, **kwargs):
        try:
            return super().retrieve(request, *args, **kwargs)
        except Http404:
            former = FormerSlug.objects.filter(published_q("case"), slug=kwargs["slug"])
            current = former.values_list("case__slug", flat=True).first()
            if current is None:
                raise
            return HttpResponsePermanentRedirect(
                reverse("api:case-detail", kwargs={"slug": current}, request=request)
            )

    @extend_schema(
        operation_id="cases_harvest",
        summary=_("Harvest every matching case"),
        description=_(
            # Translators: the words in backticks are field and parameter names: keep them as they are.
            "For complete copies: full case records ordered by (`updated_at`, `id`), moving on "
            "with the `next` link (an opaque cursor). A case changed while you harvest is delivered again, "
            "newer, behind the cursor; none is skipped. 100 cases a page by default, at most 500. Takes the "
            "library's parameters and `updated_since`; `sort` and `ordering` are ignored."
        ),
        responses=api.CaseDetailSerializer(many=True),
    )
    @action(detail=False, pagination_class=CursorPagination)
    def harvest(self, request, format=None):  # the router's format suffix (harvest.json) passes `format`
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@dataclass
class Change:
    id: int
    slug: str
    action: str
    reason: str | None
    changed_at: datetime
    case: CaseStudy | None


def change_of_case(case) -> Change:
    return Change(case.pk, case.slug, "upsert", None, case.updated_at, case)


def change_of_withdrawal(withdrawal) -> Change:
    return Change(
        withdrawal.case_id, withdrawal.slug, "withdraw", withdrawal.reason, withdrawal.withdrawn_at, None
    )


class CaseChangesView(ConditionalMixin, generics.GenericAPIView):
    serializer_class = api.ChangeSerializer
    filterset_class = ChangesFilterSet
    pagination_class = CursorPagination
    queryset = CaseStudy.objects.none()  # for the schema; rows come from get()

    @extend_schema(
        operation_id="cases_changes",
        summary=_("Changes since a given time"),
        description=_(
            # Translators: the words in backticks are parameter names, field names and values (`upsert`,
            # `withdraw`): keep them as they are.
            "Every case published, edited or withdrawn (unpublished, archived, deleted) at or after "
            "`since`, oldest change first, ordered by (`changed_at`, `id`) and paged with the `next` link. "
            "Apply the entries in order: `upsert` stores the case, `withdraw` removes it. Both are "
            "idempotent, so starting a little before your last `changed_at` is safe. 100 entries a page by "
            "default, at most 500. Cases that were never published never appear."
        ),
        responses=api.ChangeSerializer(many=True),
    )
    def get(self, request):
        check_query(request.query_params, filterset_class=ChangesFilterSet)
        # Upserts: the cases published now. Withdrawals: the record each departure left (CaseWithdrawal),
        # with the last public slug and the moment it left, never the withdrawn case's row, whose later
        # renames and edits are nobody's business. Never-published drafts and submissions stay invisible.
        candidates = CaseStudy.objects.published()
        filterset = ChangesFilterSet(request.query_params, queryset=candidates, request=request)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        since = filterset.form.cleaned_data["since"]
        paginator = self.paginator
        size = paginator.get_page_size(request)
        position = paginator.cursor(request)

        cases = filterset.qs.order_by("updated_at", "id")
        if position is not None:
            cases = cases.filter(after_position(position))
        cases = cases.annotate(**api.case_entry_annotations())  # its methods, toolkits and organisations
        changes = [change_of_case(case) for case in cases.for_detail()[: size + 1]]
        withdrawn = CaseWithdrawal.objects.filter(withdrawn_at__gte=since).order_by("withdrawn_at", "case_id")
        if position is not None:
            withdrawn = withdrawn.filter(
                after_position(position, time_field="withdrawn_at", id_field="case_id")
            )
        changes += [change_of_withdrawal(row) for row in withdrawn[: size + 1]]
        changes.sort(key=lambda change: (change.changed_at, change.id))
        page = changes[:size]
        following = (page[-1].changed_at, page[-1].id) if len(changes) > size else None
        return Response(
            {
                "next": next_link(request, following) if following else None,
                "results": api.ChangeSerializer(page, many=True, context=self.get_serializer_context()).data,
            }
        )


class FirstRendererNegotiation(BaseContentNegotiation):
    """A download is what its address says (.csv, .jsonl), whatever the client's Accept header: of the
    names its format goes by (the view's renderers), the one the client prefers, else the first."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        preferred = request.get_preferred_type([renderer.media_type for renderer in renderers])
        chosen = next((renderer for renderer in renderers if renderer.media_type == preferred), renderers[0])
        return chosen, chosen.media_type


class CSVRenderer(renderers.BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class JSONLinesRenderer(CSVRenderer):
    media_type = "application/jsonl"
    format = "jsonl"


# The JSON Lines export under the one media type every HTTP client and API client generator knows for a
# download (openapi-python-client knows only JSON, text/* and this one: docs/api.md, "JSON Lines"): the
# same bytes, for a client that asks for it by name. `application/jsonl` stays the type served otherwise.
DOWNLOAD_MEDIA_TYPE = "application/octet-stream"


class JSONLinesDownloadRenderer(JSONLinesRenderer):
    media_type = DOWNLOAD_MEDIA_TYPE
    charset = None


def _in_language(language: str, lines):
    """The lines of a streamed export, made in `language` (names of terms, the text shown): they are made
    as the server sends them, after the view has returned and the request's language may be gone."""
    with translation.override(language):
        yield from lines


class CaseExportView(ConditionalMixin, generics.GenericAPIView):
    """Every matching case (not one page), streamed."""

    export_format = "csv"
    filterset_class = CaseStudyApiFilterSet
    schema_filters = True
    throttle_scope = "export"
    content_negotiation_class = FirstRendererNegotiation
    queryset = CaseStudy.objects.none()  # for the schema; rows come from get()

    def throttled(self, request, wait):
        """Over the limit: a person's browser, which followed the library's download link, gets our page
        saying what the limit is and when to try again (issue 19); programs get the problem details as for
        any other limit."""
        if prefers_html(request._request):
            rate = configured_rate(self.throttle_scope)
            raise Answered(
                download_limit_response(
                    request._request,
                    retry_after=wait or 1,
                    limit=rate_sentence(*rate) if rate else None,
                    back_url=self.library_url(request),
                )
            )
        super().throttled(request, wait)

    @staticmethod
    def library_url(request) -> str:
        """The library page of the same selection: where a person's download link was."""
        query = QueryDict(mutable=True)
        for name, values in request.query_params.lists():
            if name not in ("lang", "format"):
                query.setlist(name, values)
        encoded = query.urlencode()
        return reverse_path("cases:casestudy_list") + (f"?{encoded}" if encoded else "")

    def get_renderers(self):
        if self.export_format == "csv":
            return [CSVRenderer()]
        return [JSONLinesRenderer(), JSONLinesDownloadRenderer()]

    def get(self, request):
        language = get_language()  # the request's (?lang=, Accept-Language): docs/api.md, "Languages"
        matching = self.filter_queryset(CaseStudy.objects.published()).with_text_in(language)
        content_type, lines = EXPORT_FORMATS[self.export_format]
        if request.accepted_media_type == DOWNLOAD_MEDIA_TYPE:
            content_type = DOWNLOAD_MEDIA_TYPE
        response = StreamingHttpResponse(
            _in_language(language, lines(matching, base_url=request.build_absolute_uri("/"))),
            content_type=content_type,
        )
        if len(self.get_renderers()) > 1:
            patch_vary_headers(response, ["Accept"])  # the same address, under either of its media types
        stamp = timezone.now().strftime("%Y%m%d")
        response["Content-Disposition"] = f'attachment; filename="cases-{stamp}.{self.export_format}"'
        return response


class CaseCSVExportView(CaseExportView):
    export_format = "csv"

    @extend_schema(
        operation_id="cases_export_csv",
        summary=_("Export matching cases as CSV"),
        description=_(
            # Translators: `updated_since` and `ordering` are parameter names: keep them as they are. ';' is
            # the character that separates the values in a cell.
            "Every published case matching the parameters (the library's, plus `updated_since` and "
            "`ordering`), streamed in one response, not paged. Lower rate limit than the other endpoints. "
            "One row per case; several values in a cell are separated by ';'; cells that would start a "
            "spreadsheet formula begin with an apostrophe."
        ),
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description=_("A header row, then one row per case.")
            )
        },
    )
    def get(self, request):
        return super().get(request)


class CaseJSONLinesExportView(CaseExportView):
    export_format = "jsonl"

    @extend_schema(
        operation_id="cases_export_jsonl",
        summary=_("Export matching cases as JSON Lines"),
        description=_(
            # Translators: `updated_since` and `ordering` are parameter names, and GET cases/{slug}/ an
            # address: keep them as they are.
            "Every published case matching the parameters (the library's, plus `updated_since` and "
            "`ordering`), streamed in one response, not paged. Lower rate limit than the other endpoints. "
            "One JSON object per line: the representation of GET cases/{slug}/."
        ),
        responses={
            (200, JSONLinesRenderer.media_type): OpenApiResponse(
                OpenApiTypes.STR, description=_("One case per line.")
            ),
            # The same bytes, under the media type client generators know for a download (docs/api.md).
            (200, DOWNLOAD_MEDIA_TYPE): OpenApiResponse(
                OpenApiTypes.BINARY, description=_("One case per line.")
            ),
        },
    )
    def get(self, request):
        return super().get(request)


# --- What the pages use ---------------------------------------------------------------------------


def validated_filterset(request, filterset_class=CaseStudyFilterSet, queryset=None):
    check_query(request.query_params, filterset_class=filterset_class)
    queryset = CaseStudy.objects.published() if queryset is None else queryset
    filterset = filterset_class(request.query_params, queryset=queryset, request=request)
    if not filterset.is_valid():
        raise translate_validation(filterset.errors)
    return filterset


class FacetCountsView(ConditionalMixin, generics.GenericAPIView):
    filterset_class = CaseStudyFilterSet
    schema_filters = True
    serializer_class = api.FacetCountsSerializer
    queryset = CaseStudy.objects.none()  # for the schema

    @extend_schema(
        operation_id="cases_facet_counts",
        summary=_("Counts for each filter value"),
        description=_(
            "How many published cases each value of each filter parameter would give under the other "
            "current parameters (OR within a parameter, AND across them), and how many match now. Takes the "
            "library's parameters. The library page's live counts come from here."
        ),
        responses=api.FacetCountsSerializer,
    )
    def get(self, request):
        return Response(selection_facets(validated_filterset(request)))


class StatsView(ConditionalMixin, generics.GenericAPIView):
    filterset_class = CaseStudyFilterSet
    schema_filters = True
    serializer_class = api.StatsSerializer
    queryset = CaseStudy.objects.none()  # for the schema

    @extend_schema(
        operation_id="stats",
        summary=_("Aggregates for charts"),
        description=_(
            "Counts of the published cases matching the library's parameters by economy, region, sector, "
            "theme, innovation facet, SDG, level, stage and year launched, with the share that have a "
            "measured outcome, and by year and sector together for a stacked timeline. The statistics "
            "page's charts come from here."
        ),
        responses=api.StatsSerializer,
    )
    def get(self, request):
        # The same numbers, from the same code, as the statistics page's tables
        # (cases/insights/statistics.py).
        return Response(case_statistics(validated_filterset(request)))


class SuggestView(ConditionalMixin, generics.GenericAPIView):
    serializer_class = api.SuggestionsSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        operation_id="suggest",
        summary=_("Search suggestions"),
        description=format_lazy(
            _(
                # Translators: {limit} is a number (how many suggestions of each kind).
                "Published case titles, economies and themes matching what has been typed so far (a word "
                "prefix), at most {limit} of each. The search boxes' suggestions come from here."
            ),
            limit=SUGGESTIONS_PER_GROUP,
        ),
        parameters=[
            OpenApiParameter(
                "q",
                {"type": "string", "maxLength": MAX_SUGGEST_LENGTH, "pattern": TEXT_PATTERN},
                required=True,
                description=format_lazy(
                    # Translators: {limit} is a number of characters.
                    _("What has been typed, at most {limit} characters. Blank gives no suggestions."),
                    limit=MAX_SUGGEST_LENGTH,
                ),
            ),
        ],
        responses=api.SuggestionsSerializer,
    )
    def get(self, request):
        check_query(request.query_params, single=("q",))
        q = request.query_params.get("q")
        if q is None:
            raise exceptions.ValidationError({"q": [_("This parameter is required.")]})
        if len(q) > MAX_SUGGEST_LENGTH:
            raise exceptions.ValidationError(
                {"q": [_("Ensure this value has at most %(max)s characters.") % {"max": MAX_SUGGEST_LENGTH}]}
            )
        q = " ".join(q.split())
        data = {"q": q, "cases": [], "economies": [], "themes": []}
        if q:
            data.update(cases=self.cases(q), economies=self.economies(q), themes=self.themes(q))
        return Response(data)

    def absolute(self, path):
        return self.request.build_absolute_uri(path)

    def cases(self, q):
        # Every word typed in the title, the last as the start of a word (cases.search.engine).
        matches = title_suggestions(CaseStudy.objects.published(), q)
        first = Case(When(title__istartswith=q, then=Value(0)), default=Value(1), output_field=IntegerField())
        rows = matches.annotate(first=first).order_by("first", "title").values_list("slug", "title")
        return [
            {
                "label": title,
                "value": slug,
                "url": self.absolute(reverse("cases:casestudy_detail", kwargs={"slug": slug})),
                "api_url": reverse("api:case-detail", kwargs={"slug": slug}, request=self.request),
            }
            for slug, title in rows[:SUGGESTIONS_PER_GROUP]
        ]

    def economies(self, q):
        by_name = Q(name__istartswith=q) | Q(name__icontains=" " + q)
        if len(q) in (2, 3):
            by_name |= Q(iso2__iexact=q) | Q(iso3__iexact=q)
        rows = Economy.objects.having_published_cases().filter(by_name).order_by("name")
        return [
            {
                "label": economy.label,
                "value": economy.iso2,
                "url": self.absolute(economy.get_absolute_url()),
                "api_url": reverse("api:economy-detail", kwargs={"iso2": economy.iso2}, request=self.request),
            }
            for economy in rows[:SUGGESTIONS_PER_GROUP]
        ]

    def themes(self, q):
        rows = (
            Theme.objects.having_published_cases()
            .filter(Q(name__istartswith=q) | Q(name__icontains=" " + q))
            .order_by("position", "name")
        )
        return [
            {
                "label": theme.label,
                "value": theme.slug,
                "url": self.absolute(theme.get_absolute_url()),
                "api_url": reverse("api:theme-detail", kwargs={"slug": theme.slug}, request=self.request),
            }
            for theme in rows[:SUGGESTIONS_PER_GROUP]
        ]


# --- Vocabularies ---------------------------------------------------------------------------------


class VocabularyViewSet(ConditionalMixin, viewsets.ReadOnlyModelViewSet):
    """A short reference list: not paged (it is bounded and small), not filtered."""

    pagination_class = None
    filter_backends = []
    # A slug's characters only: anything else (a NUL byte, say) is a 404 before it reaches the database.
    lookup_value_regex = "[-a-zA-Z0-9_]+"


# VocabularyViewSet's docstring, which the document showed as the description of every vocabulary operation
# without one of its own: the same words, translatable.
VOCABULARY_DESCRIPTION = _("A short reference list: not paged (it is bounded and small), not filtered.")


@extend_schema_view(
    list=extend_schema(
        summary=_("Economies"), description=_("Every economy, with its published cases (as primary economy).")
    ),
    retrieve=extend_schema(
        summary=_("One economy, by ISO 3166 alpha-2 code"), description=VOCABULARY_DESCRIPTION
    ),
)
class EconomyViewSet(VocabularyViewSet):
    serializer_class = api.EconomySerializer
    lookup_field = "iso2"
    lookup_value_regex = "[A-Za-z]{2}"
    queryset = Economy.objects.with_published_counts().order_by("name")

    def get_object(self):
        self.kwargs[self.lookup_field] = self.kwargs[self.lookup_field].upper()
        return super().get_object()


@extend_schema_view(
    list=extend_schema(summary=_("Sectors"), description=VOCABULARY_DESCRIPTION),
    retrieve=extend_schema(summary=_("One sector"), description=VOCABULARY_DESCRIPTION),
)
class SectorViewSet(VocabularyViewSet):
    serializer_class = api.SectorSerializer
    lookup_field = "slug"
    queryset = Sector.objects.with_published_counts().order_by("position", "name")


@extend_schema_view(
    list=extend_schema(summary=_("Themes"), description=VOCABULARY_DESCRIPTION),
    retrieve=extend_schema(summary=_("One theme"), description=VOCABULARY_DESCRIPTION),
)
class ThemeViewSet(VocabularyViewSet):
    serializer_class = api.ThemeSerializer
    lookup_field = "slug"
    queryset = Theme.objects.with_published_counts().order_by("position", "name")


@extend_schema_view(
    list=extend_schema(summary=_("Innovation facets"), description=VOCABULARY_DESCRIPTION),
    retrieve=extend_schema(summary=_("One innovation facet"), description=VOCABULARY_DESCRIPTION),
)
class InnovationFacetViewSet(VocabularyViewSet):
    serializer_class = api.InnovationFacetSerializer
    lookup_field = "slug"
    queryset = InnovationFacet.objects.with_published_counts().order_by("position", "name")


@extend_schema_view(
    list=extend_schema(summary=_("Sustainable Development Goals"), description=VOCABULARY_DESCRIPTION),
    retrieve=extend_schema(summary=_("One SDG, by number"), description=VOCABULARY_DESCRIPTION),
)
class SDGViewSet(VocabularyViewSet):
    serializer_class = api.SDGSerializer
    lookup_field = "number"
    lookup_value_regex = "[0-9]{1,2}"
    queryset = SDG.objects.with_published_counts().order_by("number")

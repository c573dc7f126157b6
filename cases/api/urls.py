"""/api/: version 1 of the partner API, its OpenAPI document and its readable docs (served from the project,
no CDN). Fixed addresses under cases/ come before the router's cases/<slug>/."""

from django.conf import settings
from django.urls import include, path, re_path
from django.utils.csp import CSP
from django.utils.translation import get_language
from django.views.decorators.csp import csp_override
from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from cases.api import entries, submissions, views
from cases.api.errors import not_found
from cases.api.schema import quote_ambiguous

app_name = "api"

router = DefaultRouter()
router.register("cases", views.CaseStudyViewSet, basename="case")
router.register("economies", views.EconomyViewSet, basename="economy")
router.register("sectors", views.SectorViewSet, basename="sector")
router.register("themes", views.ThemeViewSet, basename="theme")
router.register("innovation-facets", views.InnovationFacetViewSet, basename="innovation-facet")
router.register("sdgs", views.SDGViewSet, basename="sdg")
# How cases were done (issue 18): with the cases' conventions (cases/api/entries.py).
router.register("methods", entries.MethodViewSet, basename="method")
router.register("toolkits", entries.ToolkitViewSet, basename="toolkit")
router.register("organisations", entries.OrganisationViewSet, basename="organisation")


class UnambiguousYamlRenderer(OpenApiYamlRenderer):
    """drf-spectacular's YAML, with every string that a YAML 1.2 reader would take for a number, a boolean
    or null quoted: PyYAML writes YAML 1.1, where the UN region code "039" is a plain string, but YAML 1.2
    readers (ruamel.yaml, so openapi-python-client) read it as the number 39 and lose the enum's type."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return super().render(quote_ambiguous(data), accepted_media_type, renderer_context)


class UnambiguousYamlRenderer2(UnambiguousYamlRenderer, OpenApiYamlRenderer2):
    pass


class SchemaView(SpectacularAPIView):
    """The OpenAPI document, saved under one plain file name in every language: drf-spectacular names it
    after the title, which is translated (a Content-Disposition of a non-ASCII name reads as garbage)."""

    renderer_classes = [
        UnambiguousYamlRenderer,
        UnambiguousYamlRenderer2,
        OpenApiJsonRenderer,
        OpenApiJsonRenderer2,
    ]

    @extend_schema(exclude=True)  # as drf-spectacular's own view: the document does not list itself
    def get(self, request, *args, **kwargs):
        # drf-spectacular switches to ?lang= as given; the language the middleware made of it (zh-TW and
        # zh-Hant are zh-hant) is the one the document is in.
        if "lang" in request.query_params:
            query = request._request.GET.copy()
            query["lang"] = get_language()
            request._request.GET = query
        return super().get(request, *args, **kwargs)

    def _get_filename(self, request, version):
        return f"observatory-api.{self.perform_content_negotiation(request, force=True)[0].format}"


# The readable docs (Swagger UI, from our own template with no inline style or script) show data: images.
docs_csp = {**settings.SECURE_CSP, "img-src": [CSP.SELF, "data:"]}


v1 = [
    path("cases/facet-counts/", views.FacetCountsView.as_view(), name="case-facet-counts"),
    path("cases/changes/", views.CaseChangesView.as_view(), name="case-changes"),
    path("cases/export.csv", views.CaseCSVExportView.as_view(), name="case-export-csv"),
    path("cases/export.jsonl", views.CaseJSONLinesExportView.as_view(), name="case-export-jsonl"),
    path("methods/export.csv", entries.MethodCSVExportView.as_view(), name="method-export-csv"),
    path("methods/export.jsonl", entries.MethodJSONLinesExportView.as_view(), name="method-export-jsonl"),
    path("toolkits/export.csv", entries.ToolkitCSVExportView.as_view(), name="toolkit-export-csv"),
    path("toolkits/export.jsonl", entries.ToolkitJSONLinesExportView.as_view(), name="toolkit-export-jsonl"),
    path("suggest/", views.SuggestView.as_view(), name="suggest"),
    path("stats/", views.StatsView.as_view(), name="stats"),
    path("submissions/", submissions.SubmissionView.as_view(), name="submissions"),
    path("", include(router.urls)),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SchemaView.as_view(), name="schema"),
    path(
        "docs/",
        csp_override(docs_csp)(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema", http_method_names=["get", "head"])
        ),
        name="docs",
    ),
    re_path(r"^.*$", not_found),
]

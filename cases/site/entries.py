"""The pages of methods, toolkits and organisations (issue 18): a list of each, browsed like the case library
(words, facets with counts, sort, pages, every state in the URL, complete without JavaScript), and a page for
each one.

Every list reads through its FilterSet (cases/filters.py: MethodFilterSet, ToolkitFilterSet,
OrganisationFilterSet) over the published methods and toolkits and the public organisations, and refuses
parameters it cannot use with the library's 400 page. A method's, a toolkit's or an organisation's page ends
with its cases: the case library itself (CaseStudyListView, its facet panel and its results), its selection
fixed to `method=<slug>`, `toolkit=<slug>` or `organisation=<slug>`. An unpublished method or toolkit, and an
organisation no published case names, answer the same 404 as a slug nothing has.
"""

from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import ListView

from cases.caching import vocabulary_snapshot
from cases.filters import MethodFilterSet, OrganisationFilterSet, ToolkitFilterSet
from cases.models import CaseMethod, CaseToolkit, Economy, Method, Organisation, Toolkit
from cases.models.querysets import published_q
from cases.site.views import (
    RESULTS_PER_PAGE,
    CaseStudyListView,
    facet_option_html,
    page_number,
    read_page_size,
    selection_summary,
)
from cases.web.formatting import format_year

# Parameters of the toolkits' list that are years, shown as two number fields rather than a facet group.
YEAR_PARAMETERS = ("year_from", "year_to")


def published_case_count(links, owner: str):
    """An entry's number of published cases, as a column of its own query (a subquery on the link table's
    index): a count per row, never a query per row."""
    counted = (
        links.filter(published_q("case"), **{owner: OuterRef("pk")})
        .order_by()
        .values(owner)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted[:1]), Value(0), output_field=IntegerField())


# --- The facet panel and the chips of a list --------------------------------------------------------


def _selected_labels(filterset, parameter: str) -> dict[str, str]:
    """value -> label of what the reader ticked in `parameter` (from the FilterSet's cleaned values: a
    method's slug and name, a choice's value and label)."""
    cleaned = filterset.form.cleaned_data.get(parameter) or []
    field = filterset.form.fields[parameter]
    choices = {} if hasattr(field, "queryset") else dict(field.choices)
    labels = {}
    for value in cleaned:
        slug = getattr(value, "slug", None)
        labels[str(slug or value)] = str(value) if slug else str(choices.get(value, value))
    return labels


def entry_facet_panel(filterset) -> list[dict]:
    """The filter panel of a list: each facet the FilterSet counts (facet_counts: counts that respect the
    other selected facets), its ticked values first, then the others by count; every group labelled by its
    parameter's name, its summary saying what is ticked in it, as the library's panel does."""
    panel = []
    for parameter, rows in filterset.facet_counts().items():
        selected = _selected_labels(filterset, parameter)
        counted = {row["value"]: row for row in rows}
        options = [
            {
                "value": value,
                "label": label,
                "count": counted.get(value, {}).get("count", 0),
                "selected": True,
            }
            for value, label in selected.items()
        ]
        options += [{**row, "selected": False} for row in rows if row["value"] not in selected]
        for option in options:
            option["html"] = facet_option_html(
                parameter, option["value"], option["label"], option["count"], option["selected"]
            )
        title = filterset.filters[parameter].label
        panel.append(
            {
                "parameter": parameter,
                "title": title,
                "summary": selection_summary(title, list(selected.values())),
                "options": options,
                "selected_count": len(selected),
            }
        )
    return panel


def entry_chips(filterset, panel) -> list[dict]:
    """Removable chips for what the list is filtered by: the query string without each one."""
    query = filterset.data
    chips = []

    def without(parameter, value=None):
        remaining = query.copy()
        if value is None:
            remaining.pop(parameter, None)
        else:
            remaining.setlist(parameter, [v for v in query.getlist(parameter) if v != value])
        remaining.pop("page", None)
        return remaining.urlencode()

    for facet in panel:
        for option in facet["options"]:
            if option["selected"]:
                chips.append(
                    {
                        "label": f"{facet['title']}: {option['label']}",
                        "remove_query": without(facet["parameter"], option["value"]),
                    }
                )
    for parameter, label in (("year_from", _("From")), ("year_to", _("Until")), ("q", _("Search"))):
        value = filterset.form.cleaned_data.get(parameter) if parameter in filterset.filters else None
        if value not in (None, ""):
            shown = format_year(value) if parameter != "q" else value
            chips.append({"label": f"{label}: {shown}", "remove_query": without(parameter)})
    return chips


# --- The lists ------------------------------------------------------------------------------------------


class EntryListView(ListView):
    """A list of methods, toolkits or organisations through its FilterSet: a bad parameter is a 400 with the
    library's readable message, an odd page number the nearest real page."""

    filterset_class = None
    paginate_by = RESULTS_PER_PAGE
    context_object_name = "entries"
    # The list's address (its name), its heading and what its search box is called.
    url_name = ""
    heading = ""
    search_label = ""
    search_hint = ""
    # The row of each entry (a template), and the Atom feed of the list, when it has one.
    row_template = ""
    feed_url_name = ""
    api_path = ""

    refused = False

    def base_queryset(self):
        """What a list may ever show: published methods and toolkits, public organisations."""
        raise NotImplementedError

    def for_rows(self, queryset):
        """What a row shows besides the entry's own columns, in a fixed number of queries."""
        return queryset

    def get(self, request, *args, **kwargs):
        self.page_size, page_size_errors = read_page_size(request.GET)
        self.filterset = self.filterset_class(request.GET, queryset=self.base_queryset(), request=request)
        if page_size_errors or not self.filterset.is_valid():
            self.refused = True
            self.object_list = self.base_queryset().none()
            errors = {**self.filterset.errors, **page_size_errors}
            return self.render_to_response(self.get_context_data(filter_errors=errors), status=400)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return self.for_rows(self.filterset.qs)

    def get_paginate_by(self, queryset):
        return self.page_size

    def paginate_queryset(self, queryset, page_size):
        # As the library: an out-of-range or malformed page number shows the nearest real page.
        paginator = Paginator(queryset, page_size)
        page = paginator.get_page(page_number(self.request.GET.get("page")))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        valid = not self.refused
        page = context.get("page_obj")
        context.update(
            filterset=self.filterset,
            heading=self.heading,
            search_label=self.search_label,
            search_hint=self.search_hint,
            row_template=self.row_template,
            list_url=reverse(f"cases:{self.url_name}"),
            feed_url=reverse(f"cases:{self.feed_url_name}") if self.feed_url_name else "",
            api_path=self.api_path,
            result_count=page.paginator.count if page is not None and valid else 0,
            page_size=self.page_size,
            sort_choices=list(self.filterset.filters["sort"].extra["choices"]),
            current_sort=self.current_sort() if valid else "",
        )
        if valid:
            facets = context["facets"] = entry_facet_panel(self.filterset)
            context["chips"] = entry_chips(self.filterset, facets)
            context["filter_count"] = sum(facet["selected_count"] for facet in facets) + sum(
                1 for name in YEAR_PARAMETERS if self.request.GET.get(name)
            )
            context["year_fields"] = all(name in self.filterset.filters for name in YEAR_PARAMETERS)
        return context

    def current_sort(self) -> str:
        sort = self.filterset.form.cleaned_data.get("sort")
        return sort or ("relevance" if self.filterset.search_text else self.filterset.DEFAULT_SORT)


class MethodListView(EntryListView):
    filterset_class = MethodFilterSet
    template_name = "entries/method_list.html"
    url_name = "method_list"
    heading = _("Methods")
    search_label = _("Search methods")
    search_hint = _("Plain words, e.g. “sandbox” or “citizens”.")
    row_template = "entries/method_row.html"
    feed_url_name = "feed_methods"
    api_path = "/api/v1/methods/"

    def base_queryset(self):
        return Method.objects.published()

    def for_rows(self, queryset):
        return queryset.prefetch_related("purpose_rows").annotate(
            case_count=published_case_count(CaseMethod.objects, "method")
        )


class ToolkitListView(EntryListView):
    filterset_class = ToolkitFilterSet
    template_name = "entries/toolkit_list.html"
    url_name = "toolkit_list"
    heading = _("Toolkits")
    search_label = _("Search toolkits")
    search_hint = _("Plain words, e.g. “service design” or a publisher's name.")
    row_template = "entries/toolkit_row.html"
    feed_url_name = "feed_toolkits"
    api_path = "/api/v1/toolkits/"

    def base_queryset(self):
        return Toolkit.objects.published()

    def for_rows(self, queryset):
        return queryset.prefetch_related("purpose_rows", "language_rows").annotate(
            case_count=published_case_count(CaseToolkit.objects, "toolkit")
        )


class OrganisationListView(EntryListView):
    filterset_class = OrganisationFilterSet
    template_name = "entries/organisation_list.html"
    url_name = "organisation_list"
    heading = _("Organisations")
    search_label = _("Search organisations")
    search_hint = _("A name or part of one, e.g. “ministry”.")
    row_template = "entries/organisation_row.html"
    api_path = "/api/v1/organisations/"

    def base_queryset(self):
        return Organisation.objects.public()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Each row's economy from the vocabulary snapshot (no query), named in the reader's language.
        snapshot = vocabulary_snapshot()
        for organisation in context.get("entries") or ():
            economy_id = organisation.economy_id
            organisation.economy_term = (
                snapshot.instance(Economy, economy_id)
                if economy_id and snapshot.knows(Economy, [economy_id])
                else None
            )
        return context


# --- An entry's page, ending with its cases ----------------------------------------------------------


class EntryCasesView(CaseStudyListView):
    """The page of a method, a toolkit or an organisation: the entry, then its cases as the case library
    shows them (the library's view, facet panel and results), the selection fixed to this entry.

    The library reads its selection from the request's query string, and its results' links (pages, sort,
    the CSV, feed and API addresses) are made from it with {% querystring %}: the entry's parameter is put
    into that query string, so every one of them keeps the selection to this entry's cases."""

    case_parameter = ""
    context_entry_name = ""

    def entry_queryset(self):
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        self.entry = self.entry_queryset().filter(slug=kwargs["slug"]).first()
        if self.entry is None:
            # The same answer for an unpublished entry as for a slug nothing has.
            raise Http404(_("No such page."))
        query = request.GET.copy()
        query.setlist(self.case_parameter, [self.entry.slug])
        request.GET = query
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["entry"] = context[self.context_entry_name] = self.entry
        context["case_parameter"] = self.case_parameter
        # (The library's chips name only its facets, years and words: none for the entry's own parameter.)
        context["library_query"] = f"{self.case_parameter}={self.entry.slug}"
        return context


class MethodDetailView(EntryCasesView):
    template_name = "entries/method_detail.html"
    case_parameter = "method"
    context_entry_name = "method"

    def entry_queryset(self):
        return Method.objects.published().prefetch_related(
            "purpose_rows",
            Prefetch("toolkits", queryset=Toolkit.objects.published(), to_attr="published_toolkits"),
        )


class ToolkitDetailView(EntryCasesView):
    template_name = "entries/toolkit_detail.html"
    case_parameter = "toolkit"
    context_entry_name = "toolkit"

    def entry_queryset(self):
        return Toolkit.objects.published().prefetch_related(
            "purpose_rows",
            "language_rows",
            Prefetch("methods", queryset=Method.objects.published(), to_attr="published_methods"),
        )


class OrganisationDetailView(EntryCasesView):
    template_name = "entries/organisation_detail.html"
    case_parameter = "organisation"
    context_entry_name = "organisation"

    def entry_queryset(self):
        return Organisation.objects.public()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        economy_id = self.entry.economy_id
        snapshot = vocabulary_snapshot()
        context["economy"] = (
            snapshot.instance(Economy, economy_id)
            if economy_id and snapshot.knows(Economy, [economy_id])
            else None
        )
        return context

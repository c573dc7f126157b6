"""Server-rendered pages. Each reads through CaseStudy.objects.published() and, for lists of cases, the one
CaseStudyFilterSet; they are complete without JavaScript."""

import functools
import json
from operator import itemgetter

from django.contrib import admin
from django.db.models import F, OuterRef, StringAgg, Subquery, TextField, Value
from django.db.models.functions import Cast, JSONObject
from django.http import Http404, HttpResponsePermanentRedirect, QueryDict
from django.utils.formats import localize
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView, ListView, TemplateView
from pyroaring import FrozenBitMap

from cases.caching import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    PAGE_SIZE_CHOICES,
    SelectionPaginator,
    filterset_selection,
    vocabulary_snapshot,
)
from cases.curation.workflow import can_edit_economy
from cases.filters import SORT_CHOICES, CaseStudyFilterSet
from cases.insights.bitmaps import CatalogueBitmaps
from cases.insights.facet_counts import facet_counts, selection_facets
from cases.insights.statistics import economy_profile_charts
from cases.models import (
    CaseMethod,
    CaseOrganisation,
    CaseStudy,
    CaseToolkit,
    Economy,
    EntryStatus,
    FormerSlug,
    LinkRelation,
    MethodRole,
    OrganisationRole,
    RelatedCase,
    Sector,
    Stage,
    Theme,
)
from cases.models.facets import (
    FACET_PARAMETERS,
    FACETS,
    FACETS_BY_MODEL,
    FACETS_BY_PARAMETER,
    FOREIGN_KEY,
    RELATED_COLUMN,
    TERMS,
)
from cases.models.querysets import published_q
from cases.models.translations import CaseText
from cases.search.engine import add_snippets, did_you_mean, with_excerpts
from cases.site.citation import citation_formats
from cases.site.titles import selection_title
from cases.web.formatting import format_year
from cases.web.rate_limits import configured_rate, rate_sentence
from cases.web.validation import parse_whole_number, whole_number_message

RESULTS_PER_PAGE = DEFAULT_PAGE_SIZE
# The filter groups shown open, with their most frequent values (issue 19): the ones officials start from.
OPEN_FACETS = ("economy", "sector", "theme")
# How many values an open group shows before "Show n more" (ticked values are always shown, first).
TOP_VALUES = 5
# The API's scope (REST_FRAMEWORK's throttle rates) whose limit the library states beside its CSV link.
EXPORT_RATE_SCOPE = "export"


def page_number(raw: str | None) -> int | None:
    """The page asked for, or None (the first page) when `raw` is not a whole number in ASCII digits."""
    try:
        return parse_whole_number(raw or "")
    except ValueError:
        return None


def read_page_size(query) -> tuple[int, dict[str, list[str]]]:
    """The `page_size` asked for (cases a page; the API's parameter, read by the same rule: a whole number
    from 1 to MAX_PAGE_SIZE, given once) and {"page_size": [messages]} when it is not one."""
    values = query.getlist("page_size")
    if len(values) > 1:
        return RESULTS_PER_PAGE, {"page_size": [_("Give this parameter once.")]}
    if not values or values[0] == "":
        return RESULTS_PER_PAGE, {}
    try:
        return parse_whole_number(values[0], minimum=1, maximum=MAX_PAGE_SIZE), {}
    except ValueError:
        return RESULTS_PER_PAGE, {"page_size": [whole_number_message(minimum=1, maximum=MAX_PAGE_SIZE)]}


class PublishedCasesMixin:
    """The one queryset pages start from: published cases only."""

    def published_cases(self):
        return CaseStudy.objects.published()


def terms_counted(parameter: str, bitmaps, selection, *, keep_empty: bool = False, by_count: bool = False):
    """The terms of the facet `parameter` (a vocabulary's or the economies) as model instances from the
    vocabulary snapshot, each with `case_count`: how many of `selection` (published case ids) it describes,
    counted on the catalogue's bitmaps, so without a query. In the vocabulary's own order, or by_count
    (most cases first, ties by name as the database orders names); terms with no case left out unless
    keep_empty."""
    model = FACETS_BY_PARAMETER[parameter].model
    counts = bitmaps.counts(parameter, selection)
    terms = []
    for term in vocabulary_snapshot().instances(model):
        term.case_count = counts.get(term.pk, 0)
        if term.case_count or keep_empty:
            terms.append(term)
    if by_count:
        ranks = bitmaps.terms[parameter]
        terms.sort(key=lambda term: (-term.case_count, ranks[term.pk].name_rank if term.pk in ranks else 0))
    return terms


class HomeView(PublishedCasesMixin, TemplateView):
    template_name = "cases/home.html"

    def get_context_data(self, **kwargs):
        published = self.published_cases()
        context = super().get_context_data(**kwargs)
        # Counted on the catalogue's bitmaps, the terms from the vocabulary snapshot: no query.
        bitmaps = CatalogueBitmaps.current()
        context["case_count"] = len(bitmaps.published)
        context["economies"] = terms_counted("economy", bitmaps, bitmaps.published)  # by name, their order
        context["sectors"] = terms_counted("sector", bitmaps, bitmaps.published, keep_empty=True)
        context["themes"] = terms_counted("theme", bitmaps, bitmaps.published)
        context["newest"] = published.for_cards().order_by("-published_at", "-id")[:6]
        context["featured"] = published.for_cards().filter(is_featured=True).order_by("-published_at")[:3]
        return context


class CaseStudyListView(PublishedCasesMixin, ListView):
    """The case library: filters, search, facet counts, sort, pagination; every state in the URL."""

    template_name = "cases/casestudy_list.html"
    paginate_by = RESULTS_PER_PAGE
    context_object_name = "cases"

    refused = False

    def get(self, request, *args, **kwargs):
        self.page_size, page_size_errors = read_page_size(request.GET)
        self.filterset = CaseStudyFilterSet(request.GET, queryset=self.published_cases(), request=request)
        if page_size_errors or not self.filterset.is_valid():
            self.refused = True
            self.object_list = self.published_cases().none()
            errors = {**self.filterset.errors, **page_size_errors}
            context = self.get_context_data(filter_errors=errors)
            return self.render_to_response(context, status=400)
        if self.filterset.search_words:
            # The facet counts first, before the words are understood: counted on the bitmaps, they decide
            # how the words are read (as typed, corrected, as a prefix) with the query finding their
            # matches, which the counts and the total need anyway, not one more.
            selection_facets(self.filterset)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return self.filterset.qs.for_cards()

    def get_paginate_by(self, queryset):
        return self.page_size

    def paginate_queryset(self, queryset, page_size):
        if self.refused:
            # Nothing to show, and nothing of the selection's cached total or pages either.
            return super().paginate_queryset(queryset, page_size)
        # The total and the page's ids are cached per selection, shared with the API (cases/caching.py).
        paginator = SelectionPaginator(
            queryset,
            page_size,
            selection=filterset_selection(self.filterset),
            listing=self.filterset.selects_by_listing_only(),
            # The total from the facet counts' bitmaps, which the page needs anyway (no query).
            counter=lambda: selection_facets(self.filterset)["count"],
            # A search's page in the library's order, read by the search module alone.
            ids_reader=self.filterset.ranked_page_reader(),
            rows=self.page_rows(),
        )
        # An out-of-range or malformed page shows the nearest real page rather than an error; a page
        # number is read as every number is (ASCII digits only), anything else being the first page.
        page = paginator.get_page(page_number(self.request.GET.get("page")))
        return paginator, page, page.object_list, page.has_other_pages()

    def page_rows(self):
        """Where a page's cases are read once their ids are known: with their excerpts for a search."""
        rows = self.published_cases().for_cards()
        if self.filterset.search_words:
            rows = with_excerpts(rows, self.filterset.understood_search().query)
        return rows

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        words = self.filterset.search_words if self.filterset.is_valid() else ""
        page = context.get("page_obj")
        understood = self.filterset.understood_search() if words else None
        if page is not None and words:
            add_snippets(page.object_list, understood.query)
        context["filterset"] = self.filterset
        context["words"] = words
        context["result_count"] = page.paginator.count if page is not None and not self.refused else 0
        context["page_size"] = self.page_size
        context["page_size_choices"] = sorted({*PAGE_SIZE_CHOICES, self.page_size})
        context["selection_title"] = selection_title(self.filterset) if not self.refused else None
        context["export_limit"] = export_limit_sentence()
        if self.filterset.is_valid():
            options = facet_options()
            facets = context["facets"] = build_facet_panel(
                self.request.GET, facet_counts(self.filterset), options
            )
            context["chips"] = active_filter_chips(self.filterset, options)
            context["filter_count"] = sum(facet["selected_count"] for facet in facets) + sum(
                1 for name in ("year_from", "year_to") if self.request.GET.get(name)
            )
            if understood is not None and understood.corrected:
                # Nothing matched what was typed: the results are for the corrected words; the page says so.
                context["corrected_query"] = understood.text
            elif words:
                # Counted within the other filters, as the results are: no correction that finds nothing here.
                others = self.filterset.filter_queryset_without(
                    self.published_cases(), exclude=(), search=False
                )
                suggestion = context["did_you_mean"] = did_you_mean(
                    others, understood, found=context["result_count"], count=self.filterset.search_counter()
                )
                if suggestion:
                    # The same selection with the suggested words (one sentence to translate, link inside).
                    query = self.request.GET.copy()
                    query["q"] = suggestion
                    query.pop("page", None)
                    context["did_you_mean_query"] = query.urlencode()
        context["sort_choices"] = SORT_CHOICES
        context["current_sort"] = self.request.GET.get("sort") or ("relevance" if words else "newest")
        return context


def export_limit_sentence() -> str | None:
    """How often the CSV download may be used (the API's export rate), in words; None without a limit."""
    rate = configured_rate(EXPORT_RATE_SCOPE)
    return rate_sentence(*rate) if rate else None


def facet_options():
    """Every value each facet can take, as (parameter, [(value, label)]) in panel order: the facet table's
    (cases/models/facets.py), the terms from the vocabulary snapshot (no query), each vocabulary in its
    own order (the economies' is by name), the regions by name."""
    snapshot = vocabulary_snapshot()
    options = []
    for facet in FACETS:
        if facet.kind == TERMS:
            values = [
                (str(value), f"{value}. {label}" if facet.numbered_labels else label)
                for value, label in snapshot.labels(facet.model, facet.value_field, facet.label_field)
            ]
        elif facet.kind == FOREIGN_KEY:
            values = snapshot.labels(facet.model, facet.value_field, facet.label_field)
        elif facet.kind == RELATED_COLUMN:
            values = sorted(
                set(snapshot.labels(facet.model, facet.value_field, facet.label_field)),
                key=lambda item: item[1],
            )
        else:
            values = list(facet.choices.choices)
        options.append((facet.parameter, values))
    return options


@functools.lru_cache(maxsize=4096)
def facet_input_id(parameter: str, value: str) -> str:
    """The id of an option's checkbox (slugify is the costly part of rendering a panel of ~130 options)."""
    return f"f-{parameter}-{slugify(value)}"


@functools.lru_cache(maxsize=4096)
def _facet_option_markup(parameter: str, value: str, label: str) -> tuple[str, str]:
    """An option's markup before its state ("checked") and between that and its count, made once per
    process and label (the label is as the reader's language gives it)."""
    input_id = facet_input_id(parameter, value)
    before = format_html(
        '<div class="checkbox"><input type="checkbox" name="{}" value="{}" id="{}"',
        parameter,
        value,
        input_id,
    )
    between = format_html(
        '><label for="{}">{} <span class="count" data-facet-count="{}:{}">(',
        input_id,
        label,
        parameter,
        value,
    )
    return before, between


def facet_option_html(parameter: str, value, label, count: int, selected: bool) -> str:
    """One option of the filter panel: its checkbox, label and count. Written here rather than in the
    template: a panel has about 130 options, and eight template variables each made the panel about half of
    the library page's rendering."""
    before, between = _facet_option_markup(parameter, str(value), str(label))
    checked = " checked" if selected else ""
    return mark_safe(f"{before}{checked}{between}{escape(localize(count))})</span></label></div>")  # noqa: S308


def selection_summary(title: str, labels: list[str]) -> str:
    """A filter group's summary line: its title and what is ticked in it ("Innovation stage:
    Implementation"), the first two named and the rest counted."""
    if not labels:
        return str(title)
    named = ", ".join(str(label) for label in labels[:2])
    if len(labels) > 2:
        more = len(labels) - 2
        named = ngettext("%(values)s and %(count)s more", "%(values)s and %(count)s more", more) % {
            "values": named,
            "count": more,
        }
    # Translators: a filter group's name, then the values ticked in it, e.g. "Innovation stage: Evaluation".
    return _("%(group)s: %(values)s") % {"group": title, "values": named}


def build_facet_panel(query, counts, every_option=None):
    """The filter panel: for each facet, its options with counts; ticked ones first, empty ones hidden.

    The groups in OPEN_FACETS are shown open with their TOP_VALUES most frequent values (after the ticked
    ones) and the rest, in the vocabulary's order, behind "Show n more" (`more_options`); the others are
    folded, their summary line saying what is ticked in them (`summary`).
    `every_option`: facet_options(), when the page has them already."""
    panel = []
    for parameter, options in every_option or facet_options():
        selected = set(query.getlist(parameter))
        values = []
        for value, label in options:
            count = counts.get(parameter, {}).get(str(value), 0)
            if count or value in selected:
                values.append(
                    {
                        "value": value,
                        "label": label,
                        "count": count,
                        "selected": value in selected,
                        "input_id": facet_input_id(parameter, value),
                        "html": facet_option_html(parameter, value, label, count, value in selected),
                    }
                )
        ticked = [value for value in values if value["selected"]]
        others = [value for value in values if not value["selected"]]
        more = []
        is_open = parameter in OPEN_FACETS
        if is_open:
            # The most frequent first (ties in the vocabulary's order: the sort is stable); the rest, in the
            # vocabulary's order, behind "Show n more" unless they are only one or two.
            top = sorted(others, key=lambda value: -value["count"])[: max(TOP_VALUES - len(ticked), 0)]
            rest = [value for value in others if value not in top]
            others, more = (top, rest) if len(rest) > 2 else (top + rest, [])
        title = FACETS_BY_PARAMETER[parameter].title
        panel.append(
            {
                "parameter": parameter,
                "title": title,
                "summary": selection_summary(title, [value["label"] for value in ticked]),
                "open": is_open,
                "options": ticked + others,
                "more_options": more,
                "selected_count": len(selected),
            }
        )
    return panel


def active_filter_chips(filterset, every_option=None):
    """Removable chips for the active filters: label and the query string without that one value.
    `every_option`: facet_options(), when the page has them already."""
    query = filterset.data
    labels = {parameter: dict(options) for parameter, options in every_option or facet_options()}
    chips = []
    for parameter in FACET_PARAMETERS:
        for value in query.getlist(parameter):
            remaining = query.copy()
            remaining.setlist(parameter, [v for v in query.getlist(parameter) if v != value])
            remaining.pop("page", None)
            chips.append(
                {
                    "label": f"{FACETS_BY_PARAMETER[parameter].title}: {labels[parameter].get(value, value)}",
                    "remove_query": remaining.urlencode(),
                }
            )
    for parameter, label in (("year_from", _("From")), ("year_to", _("Until")), ("q", _("Search"))):
        value = query.get(parameter)
        if value and parameter != "q":
            value = format_year(value)  # in the reader's era (a Thai reader's Buddhist Era)
        if value:
            remaining = query.copy()
            remaining.pop(parameter)
            remaining.pop("page", None)
            chips.append({"label": f"{label}: {value}", "remove_query": remaining.urlencode()})
    return chips


# "How they did it" on the case page (issue 18): a case's published methods and toolkits and its
# organisations, each list read as one column of the case's own query, a JSON object per row, the rows
# joined by newlines (JSON text holds no raw newline). A prefetch would be a query per list, and the case
# page reads everything in six (tests/cases/site/test_views.py); the rows are few and small. Sorted here:
# SQLite cannot order an aggregate.
ROW_SEPARATOR = "\n"


def _joined_rows(links, **fields):
    """A subquery of `links` (link rows of the outer case) as one text: each row's `fields` as JSON."""
    row = Cast(JSONObject(**{name: F(path) for name, path in fields.items()}), TextField())
    joined = links.filter(case=OuterRef("pk")).order_by().values("case")
    return Subquery(joined.annotate(rows=StringAgg(row, Value(ROW_SEPARATOR))).values("rows")[:1])


@functools.lru_cache(maxsize=1)
def how_annotations() -> dict:
    """The annotations of how_they_did_it(): built once per process, as text_annotations() are."""
    published = {"method__status": EntryStatus.PUBLISHED}
    return {
        "how_methods": _joined_rows(
            CaseMethod.objects.filter(**published),
            slug="method__slug",
            name="method__name",
            role="role",
            note="note",
            position="position",
            id="id",
        ),
        "how_toolkits": _joined_rows(
            CaseToolkit.objects.filter(toolkit__status=EntryStatus.PUBLISHED),
            slug="toolkit__slug",
            title="toolkit__title",
            publisher="toolkit__publisher",
            note="note",
            position="position",
            id="id",
        ),
        # Public whenever the case is: an organisation is public while a published case names it.
        "how_organisations": _joined_rows(
            CaseOrganisation.objects.all(),
            slug="organisation__slug",
            name="organisation__name",
            role="role",
            position="position",
            id="id",
        ),
    }


def _rows(text: str | None) -> list[dict]:
    return [json.loads(line) for line in (text or "").split(ROW_SEPARATOR) if line]


def how_they_did_it(case) -> dict:
    """The case's methods (main ones first, then in the curator's order), toolkits, lead organisation and
    partners, from the columns how_annotations() added to its query."""
    methods = sorted(
        _rows(getattr(case, "how_methods", None)),
        key=lambda row: (row["role"] != MethodRole.PRIMARY, row["position"], row["id"]),
    )
    toolkits = sorted(_rows(getattr(case, "how_toolkits", None)), key=itemgetter("position", "id"))
    organisations = sorted(_rows(getattr(case, "how_organisations", None)), key=itemgetter("position", "id"))
    return {
        "methods": methods,
        "toolkits": toolkits,
        "lead": next((row for row in organisations if row["role"] == OrganisationRole.LEAD), None),
        "partners": [row for row in organisations if row["role"] == OrganisationRole.PARTNER],
    }


class CaseStudyDetailView(PublishedCasesMixin, DetailView):
    template_name = "cases/casestudy_detail.html"
    context_object_name = "case"

    def get_queryset(self):
        cases = self.published_cases().for_detail().with_rendered_narrative(get_language())
        return cases.annotate(**how_annotations())

    def get(self, request, *args, **kwargs):
        try:
            self.object = self.get_object()
        except Http404:
            former = FormerSlug.objects.filter(published_q("case"), slug=kwargs["slug"]).select_related(
                "case"
            )
            former = former.first()
            if former is not None:
                return HttpResponsePermanentRedirect(former.case.get_absolute_url())
            self.object = self.staff_preview(kwargs["slug"])
            if self.object is None:
                raise
            response = self.render_to_response(self.get_context_data(object=self.object, preview=True))
            response["Cache-Control"] = "private, no-store"
            response["X-Robots-Tag"] = "noindex"
            return response
        return self.render_to_response(self.get_context_data(object=self.object))

    def staff_preview(self, slug):
        """An unpublished case, for staff who may curate it; None (so a 404) for everyone else."""
        user = self.request.user
        # The admin's own rule decides who counts as staff: active, staff and, when STAFF_REQUIRE_TOTP
        # is on, a session that passed the second factor.
        if not (admin.site.has_permission(self.request) and user.has_perm("cases.view_casestudy")):
            return None
        case = (
            CaseStudy.objects.for_detail()
            .with_rendered_narrative(get_language())
            .annotate(**how_annotations())
            .filter(slug=slug)
            .first()
        )
        if case is None or not can_edit_economy(user, case.economy_id):
            return None
        return case

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        case = self.object
        # Its links in both directions, each seen from this case, in one query (cases/models/case_links.py).
        links = case.links
        context["adapted_from"] = [link.case for link in links if link.relation == LinkRelation.ADAPTED_FROM]
        context["replicated_in"] = [
            link.case for link in links if link.relation == LinkRelation.REPLICATED_IN
        ]
        context["related_links"] = [link.case for link in links if link.relation == LinkRelation.RELATED_TO]
        # Precomputed (cases/search/related.py), read in one query with the related cases' rows (and the
        # terms their cards show), published only; each with why it is related, named from this case's
        # vocabularies (already read).
        context["related"] = [(row.related, row.reasons(case)) for row in RelatedCase.objects.shown_on(case)]
        # The reader's language when a published translation exists, else the original; ?text=original
        # asks for the original (the page says which it shows, and links to the other).
        text = context["text"] = CaseText.of(case, original=self.request.GET.get("text") == "original")
        # Text in another language than the page's is marked with its own (WCAG 3.1.2, language of parts).
        context["text_lang"] = text.language if text.language != get_language() else ""
        context["how"] = how_they_did_it(case)
        context["citations"] = citation_formats(case, self.request)
        context["canonical_url"] = self.request.build_absolute_uri(case.get_absolute_url())
        context["json_ld"] = schema_org_json(case, context["canonical_url"])
        return context


class EconomyListView(ListView):
    template_name = "cases/economy_list.html"
    context_object_name = "economies"

    def get_queryset(self):
        return Economy.objects.with_published_counts().order_by("subregion_name", "name")


class VocabularyDetailMixin(PublishedCasesMixin):
    """A profile page: the term, its published cases (newest first) and counts by the other vocabularies."""

    cases_shown = 12

    @property
    def library_parameter(self) -> str:
        """The library's parameter for this vocabulary: its row of the facet table."""
        return FACETS_BY_MODEL[self.model].parameter

    def get_object(self, queryset=None):
        """The term named by the address's slug, from the vocabulary snapshot (no query)."""
        slug = self.kwargs.get(self.slug_url_kwarg)
        found = vocabulary_snapshot().find(self.model, "slug", [slug]) if slug else []
        if not found:
            raise Http404(_("No %(verbose_name)s found") % {"verbose_name": self.model._meta.verbose_name})
        return found[0]

    def library_value(self):
        return getattr(self.object, FACETS_BY_MODEL[self.model].value_field)

    def term_filterset(self):
        """The FilterSet of the library link on the page: the term's published cases."""
        query = QueryDict(mutable=True)
        query[self.library_parameter] = self.library_value()
        return CaseStudyFilterSet(query, queryset=self.published_cases())

    def cases_of_term(self):
        """The term's published cases, through the same FilterSet as the library link on the page."""
        filterset = self.term_filterset()
        return (
            filterset.filter_queryset_without(self.published_cases(), exclude=())
            if filterset.is_valid()
            else self.published_cases().none()
        )

    def selection(self):
        """The term's published cases as a bitmap of ids (cases/insights/bitmaps.py: no query)."""
        filterset = self.term_filterset()
        if not filterset.is_valid():
            return FrozenBitMap()
        return CatalogueBitmaps.current().select(filterset)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The counts on the catalogue's bitmaps, the terms from the vocabulary snapshot: only the cards
        # shown are read from the database.
        bitmaps = CatalogueBitmaps.current()
        selection = self.selection()
        context["case_count"] = len(selection)
        context["cases"] = (
            self.cases_of_term().for_cards().order_by("-published_at", "-id")[: self.cases_shown]
        )
        context["library_query"] = f"{self.library_parameter}={self.library_value()}"
        context["library_parameter"] = self.library_parameter
        for parameter in ("sector", "theme", "economy"):
            context[f"{parameter}_counts"] = terms_counted(parameter, bitmaps, selection, by_count=True)
        stage_counts = bitmaps.counts("stage", selection)
        context["stage_counts"] = sorted(
            (
                (stage.label, stage.value, stage_counts[stage.value])
                for stage in Stage
                if stage in stage_counts
            ),
            key=lambda row: -row[2],
        )
        return context


class EconomyDetailView(VocabularyDetailMixin, DetailView):
    template_name = "cases/economy_detail.html"
    context_object_name = "economy"
    model = Economy
    # Below this many cases with a year launched, the profile lists them by year instead of charting them
    # (issue 19): the bars would be ones and twos whose shape says nothing, while nine titles or fewer take
    # less room than the chart and say which cases they are.
    year_list_below = 10

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The profile's charts: sectors, themes, stages and years beside the APO-wide figures, and the map.
        context.update(economy_profile_charts(self.object, self.selection()))
        dated = context["case_count"] - context["undated_count"]
        if 0 < dated < self.year_list_below:
            context["year_cases"] = self.cases_by_year()
        return context

    def cases_by_year(self):
        """The economy's published cases that have a year launched, by year and then title (in the reader's
        language when translated): one query, of the few columns a link needs."""
        cases = (
            self.cases_of_term()
            .filter(year_launched__isnull=False)
            .only("slug", "title", "summary", "original_language", "year_launched")
            .with_text_in(get_language())
        )
        return sorted(cases, key=lambda case: (case.year_launched, case.shown_text["title"].casefold()))


class ThemeListView(ListView):
    template_name = "cases/theme_list.html"
    context_object_name = "themes"

    def get_queryset(self):
        return Theme.objects.with_published_counts()


class ThemeDetailView(VocabularyDetailMixin, DetailView):
    template_name = "cases/theme_detail.html"
    context_object_name = "term"
    model = Theme


class SectorListView(ListView):
    template_name = "cases/sector_list.html"
    context_object_name = "sectors"

    def get_queryset(self):
        return Sector.objects.with_published_counts()


class SectorDetailView(VocabularyDetailMixin, DetailView):
    template_name = "cases/theme_detail.html"
    context_object_name = "term"
    model = Sector


def schema_org_json(case, url):
    """schema.org JSON-LD for a case page, safe to place inside a <script type="application/ld+json">."""
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": case.title,
        "description": case.summary,
        "url": url,
        "datePublished": case.published_at.isoformat() if case.published_at else None,
        "dateModified": case.updated_at.isoformat() if case.updated_at else None,
        "author": {
            "@type": "GovernmentOrganization" if case.organisation_type == "government" else "Organization",
            "name": case.lead_organisation,
        },
        "spatialCoverage": {"@type": "Country", "name": case.economy.label},
        "about": [sector.name for sector in case.sectors.all()] + [theme.name for theme in case.themes.all()],
        "license": case.licence,
    }
    text = json.dumps(data, ensure_ascii=False)
    # The same escapes as Django's json_script: no "</script>" can close the element early.
    return mark_safe(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))  # noqa: S308

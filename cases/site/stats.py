"""The catalogue at a glance (/stats/) and cases side by side (/compare/).

Both are complete without JavaScript: /stats/ renders every chart's data as a table from the same
aggregation the public API's stats/ endpoint serves (cases.insights.statistics), and static/js/stats.js
draws the charts from those tables, fetching /api/v1/stats/ again when the filters change. Which facets
have a chart, and how their rows are labelled and linked, is the facet table's (cases/models/facets.py):
the page hands the script what it needs of it in data attributes.
"""

import json

from django.http import QueryDict
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from cases.caching import vocabulary_snapshot
from cases.filters import CaseStudyFilterSet, subregion_choices
from cases.insights.statistics import case_statistics, economy_map_codes, with_empty_years
from cases.models import NARRATIVE_SECTIONS, CaseStudy, Economy, Sector
from cases.models.facets import FACETS, FACETS_BY_PARAMETER, TERMS
from cases.models.translations import CaseText

# Parameters the stats page's own form shows; the library's others ride along as hidden fields.
FORM_PARAMETERS = ("region", "economy", "sector", "year_from", "year_to")
# Parameters that choose cases (the library's, less the ones about a page of results).
SELECTION_PARAMETERS = (
    *CaseStudyFilterSet.FACET_PARAMETERS,
    "method",
    "toolkit",
    "organisation",
    "year_from",
    "year_to",
    "q",
)

MAX_COMPARED = 4
# A compare address longer than this is not a list of case slugs someone picked.
MAX_COMPARE_PARAMETER = 1000


def selection_query(query: QueryDict) -> QueryDict:
    """The query string's case-choosing parameters only (no page, no sort), in a stable order."""
    kept = QueryDict(mutable=True)
    for parameter in SELECTION_PARAMETERS:
        values = [value for value in query.getlist(parameter) if value != ""]
        if values:
            kept.setlist(parameter, values)
    return kept


# Parameters a case can have several values of (its vocabularies'); OR within each, so the library cannot
# say "health AND X".
MANY_VALUED = (*(facet.parameter for facet in FACETS if facet.kind == TERMS), "method")


def with_value(query: QueryDict, parameter: str, value: str) -> str | None:
    """The library query giving exactly a table row's cases, or None when no library address can.

    A row of a one-valued parameter (economy, stage, year...) replaces that parameter. A row of a many-valued
    one (sector...) adds it, unless the selection already filters on it by other values: under
    sector=health the "transport" row counts cases in health AND transport, which the library's OR within
    a parameter cannot express, so that row gets no link rather than a link to a different number.
    """
    narrowed = query.copy()
    selected = query.getlist(parameter)
    if parameter in MANY_VALUED and selected and value not in selected:
        return None
    if parameter == "year":
        narrowed["year_from"] = value
        narrowed["year_to"] = value
    else:
        narrowed.setlist(parameter, [value])
    return narrowed.urlencode()


# The facets with a bar chart of their own, in the table's order (the economies are the map).
CHARTS = [facet for facet in FACETS if facet.chart_title]


def chart_rows(buckets, parameter, query):
    rows = [dict(bucket, query=with_value(query, parameter, bucket["value"])) for bucket in buckets]
    if FACETS_BY_PARAMETER[parameter].numbered_labels:  # goals are known by their numbers: "3. Good health"
        for row in rows:
            row["label"] = f"{row['value']}. {row['label']}"
    return rows


def timeline_rows(statistics, query):
    """Years with their totals and, for the stacked chart, their counts by sector."""
    parts = {}
    for row in statistics.get("by_year_sector", []):
        parts.setdefault(row["year"], []).append(row)
    rows = []
    # Every year from the first to the last, those without cases as 0 (and without a link to an empty page).
    for bucket in with_empty_years(statistics["by_year"]):
        year_parts = parts.get(bucket["value"], [])
        rows.append(
            dict(
                bucket,
                query=with_value(query, "year", bucket["value"]) if bucket["count"] else None,
                parts=year_parts,
                parts_json=json.dumps([[part["value"], part["label"], part["count"]] for part in year_parts]),
            )
        )
    return rows


class StatsPageView(TemplateView):
    """/stats/: headline figures and charts for the library's selection (the same query parameters)."""

    template_name = "cases/stats.html"

    def get(self, request, *args, **kwargs):
        self.filterset = CaseStudyFilterSet(
            request.GET, queryset=CaseStudy.objects.published(), request=request
        )
        if not self.filterset.is_valid():
            context = self.get_context_data(filter_errors=self.filterset.errors)
            return self.render_to_response(context, status=400)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = selection_query(self.request.GET)
        context["library_query"] = query.urlencode()
        context["form"] = self.filter_form(query)
        context["many_valued"] = MANY_VALUED  # for the script: rows it cannot link to under a selection
        context["map"] = economy_map_codes()
        if "filter_errors" in kwargs:
            return context
        statistics = case_statistics(self.filterset)
        context["statistics"] = statistics
        context["outcome_percent"] = round(100 * statistics["outcome_share"])
        context["economy_rows"] = chart_rows(statistics["by_economy"], "economy", query)
        context["charts"] = [
            {
                "key": facet.parameter,
                "parameter": facet.parameter,
                "title": facet.chart_title,
                "column": facet.label,
                "numbered": facet.numbered_labels,
                "rows": chart_rows(statistics[f"by_{facet.parameter}"], facet.parameter, query),
            }
            for facet in CHARTS
        ]
        # Cases by method (issue 18): no facet of the panel, but a chart like theirs.
        context["charts"].append(
            {
                "key": "method",
                "parameter": "method",
                "title": _("Cases by method"),
                "column": _("Method"),
                "numbered": False,
                "rows": [
                    dict(bucket, query=with_value(query, "method", bucket["value"]))
                    for bucket in statistics["by_method"]
                ],
            }
        )

        context["timeline_rows"] = timeline_rows(statistics, query)
        context["undated_count"] = statistics["count"] - sum(row["count"] for row in statistics["by_year"])
        return context

    def filter_form(self, query):
        """The page's filter form: a select per facet it shows, the rest of the selection as hidden fields."""
        # From the vocabulary snapshot (no query): economies by name (their order), sectors in theirs.
        snapshot = vocabulary_snapshot()
        economies = snapshot.labels(Economy, "iso2", "name")
        hidden = [
            (parameter, value)
            for parameter in SELECTION_PARAMETERS
            if parameter not in FORM_PARAMETERS
            for value in query.getlist(parameter)
        ]
        # A form field shows one value; further values of the same parameter are kept, hidden.
        for parameter in FORM_PARAMETERS:
            hidden += [(parameter, value) for value in query.getlist(parameter)[1:]]
        return {
            "regions": subregion_choices(),
            "economies": economies,
            "sectors": snapshot.labels(Sector, "slug", "name"),
            "selected": {parameter: (query.getlist(parameter) or [""])[0] for parameter in FORM_PARAMETERS},
            "hidden": hidden,
        }


# --- Compare ----------------------------------------------------------------------------------------


def parse_compare_parameter(raw: str):
    """The slugs asked for, in order and without repeats, and the repeats (each named once)."""
    slugs, repeated = [], []
    for slug in (part.strip() for part in raw.split(",")):
        if not slug:
            continue
        if slug in slugs:
            if slug not in repeated:
                repeated.append(slug)
            continue
        slugs.append(slug)
    return slugs, repeated


class CompareView(TemplateView):
    """/compare/?cases=a,b,c: up to four published cases side by side, section by section.

    A slug that names no published case is "not found", whether it is unknown or unpublished, so the page
    never tells that an unpublished case exists. Asking for more than four cases is a 400 whose page says
    so and offers the first four.
    """

    template_name = "cases/compare.html"

    def get(self, request, *args, **kwargs):
        raw = request.GET.get("cases", "")
        if len(raw) > MAX_COMPARE_PARAMETER:
            context = self.get_context_data(too_long=True, cases=[], messages=[])
            return self.render_to_response(context, status=400)
        slugs, repeated = parse_compare_parameter(raw)
        messages = [
            _("“%(slug)s” was listed more than once; it is shown once.") % {"slug": slug} for slug in repeated
        ]
        status = 200
        first_four_query = ""
        if len(slugs) > MAX_COMPARED:
            status = 400
            first_four_query = ",".join(slugs[:MAX_COMPARED])
            messages.append(
                ngettext(
                    "At most %(max)d cases can be compared; you asked for %(count)d.",
                    "At most %(max)d cases can be compared; you asked for %(count)d.",
                    MAX_COMPARED,
                )
                % {"max": MAX_COMPARED, "count": len(slugs)}
            )
            slugs = []
        found = CaseStudy.objects.published().for_detail().in_bulk(slugs, field_name="slug") if slugs else {}
        missing = [slug for slug in slugs if slug not in found]
        messages += [_("No published case study “%(slug)s” was found.") % {"slug": slug} for slug in missing]
        cases = [found[slug] for slug in slugs if slug in found]
        if slugs and not cases:
            status = 404
        context = self.get_context_data(cases=cases, messages=messages, first_four_query=first_four_query)
        return self.render_to_response(context, status=status)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cases = context["cases"]
        slugs = [case.slug for case in cases]
        context["remove_queries"] = {
            case.slug: ",".join(slug for slug in slugs if slug != case.slug) for case in cases
        }
        # Each case's text in the reader's language when a published translation has it, else the original,
        # marked with its language where it is not the page's (WCAG 3.1.2).
        texts = [CaseText.of(case) for case in cases]
        langs = [text.language if text.language != get_language() else "" for text in texts]
        context["columns"] = [
            (case, context["remove_queries"][case.slug], text, lang)
            for case, text, lang in zip(cases, texts, langs, strict=True)
        ]
        # Each section's text, its language, its case's title and whether it is long: a long one can be folded
        # away (a <details> per cell, which compare.js folds row by row), so that a long comparison can be
        # read section by section (issue 19).
        context["narrative_rows"] = [
            (
                label,
                [
                    (
                        text.values[field],
                        lang,
                        text.values["title"],
                        len(text.values[field] or "") > LONG_SECTION,
                    )
                    for text, lang in zip(texts, langs, strict=True)
                ],
            )
            for field, label in NARRATIVE_SECTIONS
        ]
        return context


# A section longer than this (in characters, which spaceless scripts count as fairly as others) can be
# folded away on /compare/: about a screen at 320 px.
LONG_SECTION = 500

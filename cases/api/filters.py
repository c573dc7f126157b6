"""The API's view of the one FilterSet: the library's parameters unchanged, plus `updated_since` and
`ordering`, which only a harvesting client needs."""

import datetime

import django_filters as filters
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from rest_framework import exceptions

from cases.filters import CaseStudyFilterSet, MethodFilterSet, OrganisationFilterSet, ToolkitFilterSet
from cases.insights.facet_counts import selection_facets

# ordering value -> database ordering; the id makes every order total, so pages never overlap.
API_ORDERINGS = {
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
    "published": ("published_at", "id"),
    "-published": ("-published_at", "-id"),
    "title": ("title", "id"),
    "-title": ("-title", "-id"),
    "year": ("year_launched", "id"),
    "-year": ("-year_launched", "-id"),
}
ORDERING_CHOICES = [(value, value) for value in API_ORDERINGS]


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date and time, as UTC; a time without an offset is taken as UTC.

    Accepts RFC 3339's lower-case `t` and `z`, and refuses (rather than crashes on) a moment that only
    exists beyond year 9999 or before year 1 once converted to UTC. Digits are ASCII digits, as in every
    number a request carries (cases/web/validation.py): Django's parser would read "٢٠٢٥" as 2025.
    """

    default_error_messages = {
        "invalid": _("Enter an ISO 8601 date and time, e.g. 2025-01-31T12:00:00Z."),
    }

    def to_python(self, value):
        if isinstance(value, str):
            if not value.isascii():
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            value = value.strip().upper()
        try:
            moment = super().to_python(value)
        except OverflowError as error:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from error
        if moment is None:
            return None
        try:
            return moment.astimezone(datetime.UTC)
        except (OverflowError, ValueError) as error:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from error


class UtcIsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class CaseStudyApiFilterSet(CaseStudyFilterSet):
    """The library's FilterSet, unchanged, and two parameters for harvesting clients."""

    updated_since = UtcIsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        label=_("Updated since"),
        help_text=_("Only cases changed at or after this moment (ISO 8601; UTC when no offset is given)."),
    )
    ordering = filters.ChoiceFilter(
        choices=ORDERING_CHOICES,
        method="filter_ordering",
        empty_label=None,
        label=_("Ordering"),
        help_text=_(
            "Order of the results; a leading '-' reverses it. Overrides `sort`. "
            "updated: last change; published: first publication; title; year: year launched."
        ),
    )

    ORDERING_PARAMETERS = (*CaseStudyFilterSet.ORDERING_PARAMETERS, "ordering")

    class Meta(CaseStudyFilterSet.Meta):
        pass

    def filter_ordering(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        ordering = self.form.cleaned_data.get("ordering")
        return queryset.order_by(*API_ORDERINGS[ordering]) if ordering else queryset


class ChangesFilterSet(filters.FilterSet):
    """The changes feed's one parameter."""

    since = UtcIsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        required=True,
        label=_("Since"),
        help_text=_("Report changes at or after this moment (ISO 8601; UTC when no offset is given)."),
    )


def check_query(query_params, *, filterset_class=None, single=()) -> None:
    """A 400 for a single-valued parameter given more than once (which value was meant?).

    Control characters and text that is not UTF-8 never get this far: every address refuses them, the
    API's included, in cases/web/validation.py.
    """
    single = set(single)
    if filterset_class is not None:
        single |= {
            name
            for name, declared in filterset_class.base_filters.items()
            if not isinstance(declared, filters.MultipleChoiceFilter)
        }
    repeated = [name for name in sorted(single) if len(query_params.getlist(name)) > 1]
    errors = {name: [_("Give this parameter once.")] for name in repeated}
    if errors:
        raise exceptions.ValidationError(errors)


class ApiFilterBackend(DjangoFilterBackend):
    """django-filter's backend, refusing repeated single values before any value reaches the FilterSet, and
    leaving the FilterSet on the view as `view.filterset`: the page-number paginator keys its cached totals
    and pages by it (cases/api/pagination.py)."""

    def filter_queryset(self, request, queryset, view):
        check_query(request.query_params, filterset_class=self.get_filterset_class(view, queryset))
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid() and self.raise_exception:
            raise translate_validation(filterset.errors)
        view.filterset = filterset
        # (The lists of methods, toolkits and organisations count their facets themselves: no search_words.)
        if getattr(view, "action", None) == "list" and getattr(filterset, "search_words", ""):
            # The facet counts first, before the words are understood (the list's total comes from them):
            # counted on the bitmaps, they decide how the words are read (as typed, corrected, as a prefix)
            # with the query finding their matches, not one more (as the library page does).
            selection_facets(filterset)
        return filterset.qs


# --- Methods, toolkits and organisations (issue 18) ----------------------------------------------------
#
# Their lists' FilterSets (cases/filters.py), unchanged, with the same two parameters for harvesting clients
# as the cases': `updated_since` and `ordering` (each with the orders its entries have).

# ordering value -> database ordering, per kind of entry; the id makes every order total.
ENTRY_API_ORDERINGS = {
    "method": {
        "updated": ("updated_at", "id"),
        "-updated": ("-updated_at", "-id"),
        "published": ("published_at", "id"),
        "-published": ("-published_at", "-id"),
        "name": ("name", "id"),
        "-name": ("-name", "-id"),
    },
    "toolkit": {
        "updated": ("updated_at", "id"),
        "-updated": ("-updated_at", "-id"),
        "published": ("published_at", "id"),
        "-published": ("-published_at", "-id"),
        "title": ("title", "id"),
        "-title": ("-title", "-id"),
        "year": ("year", "id"),
        "-year": ("-year", "-id"),
    },
    "organisation": {
        "updated": ("updated_at", "id"),
        "-updated": ("-updated_at", "-id"),
        "name": ("name", "id"),
        "-name": ("-name", "-id"),
        "cases": ("published_cases", "id"),
        "-cases": ("-published_cases", "-id"),
    },
}


def _updated_since(help_text) -> UtcIsoDateTimeFilter:
    return UtcIsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label=_("Updated since"), help_text=help_text
    )


def _ordering(kind: str, help_text) -> filters.ChoiceFilter:
    return filters.ChoiceFilter(
        choices=[(value, value) for value in ENTRY_API_ORDERINGS[kind]],
        method="filter_ordering",
        empty_label=None,
        label=_("Ordering"),
        help_text=help_text,
    )


class EntryApiFilterMixin:
    """`ordering`, applied after the list's own order (`sort`), which it overrides."""

    API_ORDERINGS: dict[str, tuple[str, ...]] = {}

    def filter_ordering(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset

    def filter_queryset(self, queryset):
        if self.form.cleaned_data.get("sort") == "relevance" and not self.search_text:
            # Relevance without words is the default order, as for the cases: the lists' FilterSets would
            # order by a search rank no search made (a 500).
            self.form.cleaned_data["sort"] = ""
        queryset = super().filter_queryset(queryset)
        ordering = self.form.cleaned_data.get("ordering")
        return queryset.order_by(*self.API_ORDERINGS[ordering]) if ordering else queryset


class MethodApiFilterSet(EntryApiFilterMixin, MethodFilterSet):
    API_ORDERINGS = ENTRY_API_ORDERINGS["method"]

    updated_since = _updated_since(
        _("Only methods changed at or after this moment (ISO 8601; UTC when no offset is given).")
    )
    ordering = _ordering(
        "method",
        _(
            # Translators: `sort` is a parameter's name: keep it as it is.
            "Order of the results; a leading '-' reverses it. Overrides `sort`. "
            "updated: last change; published: first publication; name."
        ),
    )

    class Meta(MethodFilterSet.Meta):
        pass


class ToolkitApiFilterSet(EntryApiFilterMixin, ToolkitFilterSet):
    API_ORDERINGS = ENTRY_API_ORDERINGS["toolkit"]

    updated_since = _updated_since(
        _("Only toolkits changed at or after this moment (ISO 8601; UTC when no offset is given).")
    )
    ordering = _ordering(
        "toolkit",
        _(
            # Translators: `sort` is a parameter's name: keep it as it is.
            "Order of the results; a leading '-' reverses it. Overrides `sort`. "
            "updated: last change; published: first publication; title; year: year published."
        ),
    )

    class Meta(ToolkitFilterSet.Meta):
        pass


class OrganisationApiFilterSet(EntryApiFilterMixin, OrganisationFilterSet):
    API_ORDERINGS = ENTRY_API_ORDERINGS["organisation"]

    updated_since = _updated_since(
        _("Only organisations changed at or after this moment (ISO 8601; UTC when no offset is given).")
    )
    ordering = _ordering(
        "organisation",
        _(
            # Translators: `sort` is a parameter's name: keep it as it is.
            "Order of the results; a leading '-' reverses it. Overrides `sort`. "
            "updated: last change; name; cases: number of published cases."
        ),
    )

    class Meta(OrganisationFilterSet.Meta):
        pass

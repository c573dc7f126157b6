"""The one FilterSet: every face (pages, API, CSV, feeds, statistics) reads the catalogue through it.

OR within a parameter, AND across parameters. Nothing HTML-specific lives here.
"""

from functools import partial

import django_filters as filters
from django import forms
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django_filters import fields as django_filters_fields
from django_filters.rest_framework import FilterSet

from cases.caching import vocabulary_snapshot
from cases.models import (
    CaseMethod,
    CaseOrganisation,
    CaseStudy,
    CaseToolkit,
    Complexity,
    Discipline,
    Duration,
    Economy,
    Level,
    Method,
    MethodPurpose,
    Organisation,
    OrganisationType,
    Purpose,
    Toolkit,
    ToolkitKind,
    ToolkitLanguage,
    ToolkitPurpose,
)
from cases.models.facets import (
    FACETS,
    FACETS_BY_PARAMETER,
    FOREIGN_KEY,
    RELATED_COLUMN,
    TERMS,
    Facet,
)
from cases.models.translations import content_language_choices
from cases.search.engine import (
    MAX_QUERY_LENGTH,
    Understood,
    matching_case_ids,
    ranked_case_ids,
    search_cases,
    understand,
)
from cases.search.entries import search_entries
from cases.web.validation import WholeNumberField, parse_whole_number

SORT_ORDERINGS = {
    "relevance": None,  # by search rank when there are words, else as "newest"
    "newest": ("-published_at", "-id"),
    "oldest": ("published_at", "id"),
    "title": ("title", "id"),
    "year": ("-year_launched", "-id"),
}
SORT_CHOICES = [
    ("relevance", _("Relevance")),
    ("newest", _("Newest")),
    ("oldest", _("Oldest")),
    ("title", _("Title (A-Z)")),
    ("year", _("Year launched")),
]


def subregion_choices():
    """The sub-regions economies are in, as (UN M49 code, name): the region facet's values."""
    return related_column_choices(FACETS_BY_PARAMETER["region"])


def related_column_choices(facet: Facet):
    """The (value, label) pairs a RELATED_COLUMN facet can take, by value, from the related rows as the
    vocabulary snapshot holds them (no query)."""
    return sorted(set(vocabulary_snapshot().labels(facet.model, facet.value_field, facet.label_field)))


class TermsField(django_filters_fields.ModelMultipleChoiceField):
    """Values naming terms of a vocabulary (or economies), checked against the vocabulary snapshot
    (cases.caching) rather than the database, as the rest of the page reads its terms: no query per
    parameter. The cleaned value is the list of the terms named, as model instances, in their order."""

    def clean(self, value):
        if not self.required and not value:
            # Not Django's `queryset.none()`: each filter tests its value for truth, and testing an empty
            # queryset compiles a query (five vocabularies: 1.7 ms of every unfiltered page of cases).
            return []
        return super().clean(value)

    def _check_values(self, value):
        # Django's ModelMultipleChoiceField._check_values, with the snapshot instead of `self.queryset`.
        key = self.to_field_name or "pk"
        try:
            value = frozenset(value)
        except TypeError:
            raise forms.ValidationError(self.error_messages["invalid_list"], code="invalid_list") from None
        for item in value:
            self.validate_no_null_characters(item)
            try:
                self.queryset.filter(**{key: item})  # a value the column can hold (builds no query)
            except (ValueError, TypeError):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": item}
                ) from None
        model = self.queryset.model
        terms = vocabulary_snapshot().find(model, model._meta.get_field(key).attname, value)
        found = {str(getattr(term, key)) for term in terms}
        for item in value:
            if str(item) not in found:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": item}
                )
        return terms


class TermsFilter(filters.ModelMultipleChoiceFilter):
    """A repeatable parameter naming terms (by `to_field_name`), checked against the snapshot."""

    field_class = TermsField


class VocabularyFilter(TermsFilter):
    """A repeatable parameter over a many-to-many vocabulary: any of the values (OR).

    Filters with a subquery on the through table, so a case matching two values appears once, with no
    DISTINCT over the whole result.
    """

    def filter(self, qs, value):
        if not value:
            return qs
        relation = CaseStudy._meta.get_field(self.field_name)
        through = relation.remote_field.through
        matching = through.objects.filter(**{f"{relation.m2m_reverse_field_name()}__in": value})
        return qs.filter(pk__in=matching.values(relation.m2m_field_name()))


class WholeNumberTermField(TermsField):
    """Checks the values are whole numbers in the facet's range, in ASCII digits, before asking the
    database, so an out-of-range integer (which PostgreSQL would refuse to compare) or a "²" is a clear
    400, not a server error."""

    def __init__(self, *args, value_range, **kwargs):
        self.value_range = value_range
        super().__init__(*args, **kwargs)

    def _check_values(self, value):
        lowest, highest = self.value_range
        for item in value:
            try:
                parse_whole_number(str(item), minimum=lowest, maximum=highest)
            except ValueError:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": item}
                ) from None
        return super()._check_values(value)


class WholeNumberVocabularyFilter(VocabularyFilter):
    field_class = WholeNumberTermField


def facet_filter(facet: Facet) -> filters.Filter:
    """The filter of one row of the facet table (cases/models/facets.py)."""
    described = {"label": facet.label, "help_text": facet.help_text}
    if facet.kind == TERMS:
        numbered = {"value_range": facet.value_range} if facet.value_range else {}
        filter_class = WholeNumberVocabularyFilter if facet.value_range else VocabularyFilter
        return filter_class(
            field_name=facet.relation,
            to_field_name=facet.value_field,
            queryset=facet.model.objects.all(),
            **numbered,
            **described,
        )
    if facet.kind == FOREIGN_KEY:
        return TermsFilter(
            field_name=facet.lookup,
            to_field_name=facet.value_field,
            queryset=facet.model.objects.all(),
            distinct=False,
            **described,
        )
    if facet.kind == RELATED_COLUMN:
        return filters.MultipleChoiceFilter(
            field_name=facet.lookup,
            choices=partial(related_column_choices, facet),
            distinct=False,
            **described,
        )
    return filters.MultipleChoiceFilter(
        field_name=facet.lookup, choices=facet.choices.choices, distinct=False, **described
    )


# One filter per facet, in the table's order: the FilterSet below declares the parameters that are not
# facets (years, words, sort).
FacetFilterSet = type(
    "FacetFilterSet",
    (FilterSet,),
    {
        "__module__": __name__,
        "__doc__": "The facet table's filters (cases/models/facets.py).",
        **{facet.parameter: facet_filter(facet) for facet in FACETS},
    },
)


class YearFilter(filters.NumberFilter):
    field_class = WholeNumberField


class LinkedEntriesFilter(filters.ModelMultipleChoiceFilter):
    """A repeatable parameter of the library naming methods, toolkits or organisations by slug: the cases
    linked to any of them (OR), through the case's link rows (a subquery: no DISTINCT over the result). Only
    public entries are values: an unpublished method's slug is refused like one that does not exist, so
    the answer tells nothing of drafts."""

    def __init__(self, *args, link_model, link_field, owner="case", **kwargs):
        self.link_model, self.link_field, self.owner = link_model, link_field, owner
        super().__init__(*args, to_field_name="slug", **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        linked = self.link_model.objects.filter(**{f"{self.link_field}__in": value}).values(self.owner)
        return qs.filter(pk__in=linked)


class CaseStudyFilterSet(FacetFilterSet):
    method = LinkedEntriesFilter(
        queryset=Method.objects.published(),
        link_model=CaseMethod,
        link_field="method",
        label=_("Method"),
        help_text=_("Slug of a method the case used, e.g. design-thinking. Repeatable."),
    )
    toolkit = LinkedEntriesFilter(
        queryset=Toolkit.objects.published(),
        link_model=CaseToolkit,
        link_field="toolkit",
        label=_("Toolkit"),
        help_text=_("Slug of a toolkit the case drew on. Repeatable."),
    )
    organisation = LinkedEntriesFilter(
        queryset=Organisation.objects.public(),
        link_model=CaseOrganisation,
        link_field="organisation",
        label=_("Organisation"),
        help_text=_("Slug of the case's lead or partner organisation. Repeatable."),
    )

    year_from = YearFilter(
        field_name="year_launched",
        lookup_expr="gte",
        min_value=1900,
        max_value=2100,
        label=_("Launched from (year)"),
    )
    year_to = YearFilter(
        field_name="year_launched",
        lookup_expr="lte",
        min_value=1900,
        max_value=2100,
        label=_("Launched until (year)"),
    )
    q = filters.CharFilter(
        method="filter_search",
        max_length=MAX_QUERY_LENGTH,
        label=_("Search"),
        help_text=_("Words to search for in titles, summaries and the case narrative."),
    )
    sort = filters.ChoiceFilter(
        choices=SORT_CHOICES,
        method="filter_sort",
        empty_label=None,
        label=_("Sort by"),
        help_text=_("relevance (default with q), newest (default otherwise), oldest, title or year."),
    )

    class Meta:
        model = CaseStudy
        fields = []

    _understood: Understood | None = None
    _search_case_ids = None
    _tagged_cases = None
    # From the catalogue's bitmaps (use_catalogue_search): query -> its matches, and the other parameters'.
    _catalogue_matches = None
    _within = None

    # Vocabulary parameters whose values the facet counts report, in the order the panel shows them.
    FACET_PARAMETERS = [facet.parameter for facet in FACETS]
    # Parameters that order the cases without choosing any (the bitmaps leave them out of a selection).
    ORDERING_PARAMETERS = ("sort",)

    def filter_search(self, queryset, name, value):
        return queryset  # the words are applied last, in filter_queryset_without (after every other filter)

    def filter_sort(self, queryset, name, value):
        return queryset  # ordering is applied last, in filter_queryset

    def filter_queryset(self, queryset):
        """Every other filter, then the search (its fallback looks at what the filters left), then order."""
        queryset = self.filter_queryset_without(queryset, exclude=())
        return queryset.order_by(
            *self.ordering(self.form.cleaned_data.get("sort") or "", has_words=bool(self.search_words))
        )

    def filter_queryset_without(self, queryset, *, exclude, search: bool = True):
        """The matching cases ignoring the parameters in `exclude` (used for facet counts), unordered.

        How the words are understood (as typed, the last word as a prefix, or corrected) is decided once, on
        the full selection, so that every facet count agrees with the results shown.
        """
        queryset = self._apply_filters(queryset, exclude=exclude)
        if search and self.search_words:
            # With the catalogue's bitmaps, the matching cases are known already (kept per query): the
            # search looks each case up among them instead of matching the words again.
            matches = self.search_case_ids() if self._catalogue_matches is not None else None
            queryset = search_cases(queryset, self.understood_search().query, matches=matches)
        return queryset

    def search_case_ids(self, *, tagged_cases=None):
        """The published cases the words match, ignoring every other parameter (for the bitmaps, which give
        `tagged_cases(tags)`, the cases tagged with a vocabulary term the words name, from memory)."""
        if tagged_cases is not None:
            self._tagged_cases = tagged_cases  # the page's ranking asks for them too (ranked_page_reader)
        if self._search_case_ids is None:
            query = self.understood_search().query
            if self._catalogue_matches is not None:
                self._search_case_ids = self._catalogue_matches(query)
            else:
                self._search_case_ids = matching_case_ids(query, tagged_cases=tagged_cases)
        return self._search_case_ids

    def search_counter(self):
        """query -> how many cases of the whole selection it matches, from the catalogue's bitmaps (the
        matches of a query are read once per request), or None without them."""
        if self._catalogue_matches is None:
            return None
        return lambda query: self._catalogue_matches(query).intersection_cardinality(self._within)

    def use_catalogue_search(self, *, matches, within, tagged_cases) -> None:
        """What the catalogue's bitmaps know (cases/insights/bitmaps.py), handed in before the words are
        understood: `matches(query)`, the published cases a query matches in the whole catalogue (one
        query, kept per query), `within`, the cases every other parameter selects, and `tagged_cases` as for
        search_case_ids. Whether a way of reading the words finds anything is then answered by the query
        finding its matches, which the total and the facet counts need anyway, not by one more."""
        if self._understood is not None:
            return
        found = {}

        def kept_matches(query):
            if query not in found:
                found[query] = matches(query)
            return found[query]

        self._catalogue_matches = kept_matches
        self._within = within
        self._tagged_cases = tagged_cases

    def covers_whole_catalogue(self) -> bool:
        """Whether this FilterSet starts from every published case (its queryset has no other condition;
        select_related and the like do not count), as the library and the API do."""
        published = CaseStudy.objects.published()
        return self.queryset.model is CaseStudy and str(self.queryset.query.where) == str(
            published.query.where
        )

    def ranked_page_reader(self):
        """For a search of the whole catalogue in the default order (only `q`, and `sort` at relevance): a
        function (offset, limit) -> the ids of that part of the results, read by the search module more
        cheaply than ordering the filtered queryset (cases.search.engine.ranked_case_ids). None otherwise."""
        given = {name for name, _value in self.cache_parts()}
        if not self.search_words or not self.understood_search().query or given - {"q", "sort"}:
            return None
        if not self.covers_whole_catalogue():
            return None
        if (self.form.cleaned_data.get("sort") or "relevance") != "relevance":
            return None
        query = self.understood_search().query

        def read(offset, limit):
            # The matching cases, when the bitmaps have them already (the page's total and facet counts).
            return ranked_case_ids(
                query, offset, limit, tagged_cases=self._tagged_cases, matches=self._search_case_ids
            )

        return read

    def understood_search(self) -> Understood:
        """What the words are searched as (cases.search.engine.understand): decided once, over the whole
        selection (every parameter, over this FilterSet's own queryset)."""
        if self._understood is None:
            whole_selection = self._apply_filters(self.queryset, exclude=())
            others = {name for name, _value in self.cache_parts()} - {"q", "sort"}
            whole_catalogue = not others and self.covers_whole_catalogue()
            finds_any = None
            if self._catalogue_matches is not None:
                finds_any = lambda query: bool(self._catalogue_matches(query) & self._within)  # noqa: E731
            self._understood = understand(
                whole_selection, self.search_words, whole_catalogue=whole_catalogue, finds_any=finds_any
            )
        return self._understood

    def _apply_filters(self, queryset, *, exclude):
        for name, value in self.form.cleaned_data.items():
            if name not in ("q", "sort") and name not in exclude:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    @staticmethod
    def ordering(sort: str, *, has_words: bool):
        if sort in ("", "relevance"):
            return ("-search_rank", "-published_at", "-id") if has_words else SORT_ORDERINGS["newest"]
        return SORT_ORDERINGS[sort]

    def cache_parts(self) -> tuple:
        """What identifies this selection in a cache key: the valid parameters given, order-independent.

        A parameter not given (or given empty) is left out, so a subclass adding parameters (the API's
        `updated_since`, `ordering`) describes the same selection in the same parts when they are unused,
        and the faces share what is cached for it (cases.caching.SelectionPaginator)."""
        data = self.form.cleaned_data
        parts = []
        for name in sorted(data):
            value = data[name]
            if hasattr(value, "__iter__") and not isinstance(value, str):
                value = sorted(str(getattr(item, "pk", item)) for item in value)
            if value in (None, "", []):
                continue
            parts.append((name, str(value) if not isinstance(value, list) else value))
        if self.form.errors:
            # Invalid parameters are left out of cleaned_data: without this mark the selection would share
            # its key (and cached counts, pages or statistics) with the selection that does not have them.
            parts.append(("invalid", sorted(self.form.errors)))
        return tuple(parts)

    @property
    def search_words(self) -> str:
        return (self.form.cleaned_data.get("q") or "").strip() if self.is_bound and self.is_valid() else ""

    def selects_by_listing_only(self) -> bool:
        """Whether this selection, its order and its counts read nothing a narrative-only write changes
        (cases.caching.shared_listing_version): every parameter given is one of the library's own, and none
        is a search (which reads the narratives). The API's extra parameters (`updated_since`, `ordering`)
        read what every write moves, and an invalid one is never cached as a listing."""
        given = {name for name, _value in self.cache_parts()}
        return given <= LISTING_PARAMETERS


# The library's own parameters but its search: a selection made of these alone (or none) is cached under
# the listing version (CaseStudyFilterSet.selects_by_listing_only).
LISTING_PARAMETERS = frozenset(CaseStudyFilterSet.base_filters) - {"q"}


# --- Methods, toolkits and organisations (issue 18) ----------------------------------------------------


def _choice_labels(choices) -> dict:
    return dict(choices() if callable(choices) else choices)


class RowsFilter(filters.MultipleChoiceFilter):
    """A repeatable parameter over a list kept in rows of its own (a method's purposes, a toolkit's
    languages): the entries with any of the values (OR), by subquery."""

    def __init__(self, *args, rows, column, owner, **kwargs):
        self.rows, self.column, self.owner = rows, column, owner
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(pk__in=self.rows.objects.filter(**{f"{self.column}__in": value}).values(self.owner))


class EntryFilterSet(FilterSet):
    """What the lists of methods, toolkits and organisations share: words (`q`, cases/search/entries.py),
    repeatable facets (OR within one, AND across), an order, and facet counts that respect the other
    selected facets as the library's do. Pages and the API read these lists through these FilterSets."""

    SEARCH_FIELDS: tuple[str, ...] = ()
    SORTS: dict[str, tuple[str, ...]] = {}
    DEFAULT_SORT = ""
    # Facet parameter -> how its values are counted: ("rows", rows model, its column, owner field) for a
    # list kept in rows, ("column", column) for a column of the entry, ("foreign key", relation, the related
    # row's value field, its label field) for a related row, ("terms", link through model, its term field,
    # owner field, the term's value field, the term's label field) for linked entries.
    FACETS: dict[str, tuple] = {}

    q = filters.CharFilter(
        method="filter_search",
        max_length=MAX_QUERY_LENGTH,
        label=_("Search"),
        help_text=_("Words to search for; every word must be found."),
    )

    def filter_search(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset

    def filter_sort(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset

    def filter_queryset(self, queryset):
        queryset = self.annotated(self.filter_queryset_without(queryset, exclude=()))
        sort = self.form.cleaned_data.get("sort") or "relevance"
        if sort == "relevance" and not self.search_text:
            sort = self.DEFAULT_SORT  # no words to be relevant to: the list's own order
        if sort == "relevance":
            return queryset.order_by("-search_rank", *self.SORTS[self.DEFAULT_SORT])
        return queryset.order_by(*self.SORTS[sort])

    def annotated(self, queryset):
        """What the orders need besides the entry's own columns."""
        return queryset

    def filter_queryset_without(self, queryset, *, exclude):
        for name, value in self.form.cleaned_data.items():
            if name not in ("q", "sort", *exclude):
                queryset = self.filters[name].filter(queryset, value)
        if self.search_text:
            queryset = search_entries(queryset, self.search_text, fields=self.SEARCH_FIELDS)
        return queryset

    @property
    def search_text(self) -> str:
        return (self.form.cleaned_data.get("q") or "").strip() if self.is_bound and self.is_valid() else ""

    def facet_counts(self) -> dict[str, list[dict]]:
        """{parameter: [{"value", "label", "count", "selected"}]} for each facet, counting the entries the
        other parameters select (a value's count is what ticking it would add). One query per facet."""
        counts = {}
        data = self.form.cleaned_data if self.is_valid() else {}
        for parameter, how in self.FACETS.items():
            entries = (
                self.filter_queryset_without(self.queryset, exclude=(parameter,)).order_by().values("pk")
            )
            selected = {str(getattr(v, "slug", v)) for v in data.get(parameter) or ()}
            if how[0] == "column":
                column = how[1]
                found = dict(
                    self.queryset.model.objects.filter(pk__in=entries)
                    .exclude(**{column: ""})
                    .values_list(column)
                    .annotate(n=Count("pk"))
                    .order_by()
                )
                labels = _choice_labels(self.filters[parameter].extra["choices"])
                rows = [(value, labels.get(value, value), n) for value, n in found.items()]
            elif how[0] == "rows":
                _kind, rows_model, column, owner = how
                found = dict(
                    rows_model.objects.filter(**{f"{owner}__in": entries})
                    .values_list(column)
                    .annotate(n=Count(owner, distinct=True))
                    .order_by()
                )
                labels = _choice_labels(self.filters[parameter].extra["choices"])
                rows = [(value, labels.get(value, value), n) for value, n in found.items()]
            elif how[0] == "foreign key":
                _kind, relation, value_field, label_field = how
                rows = list(
                    self.queryset.model.objects.filter(pk__in=entries, **{f"{relation}__isnull": False})
                    .values_list(f"{relation}__{value_field}", f"{relation}__{label_field}")
                    .annotate(n=Count("pk"))
                    .order_by()
                )
            else:
                _kind, through, term, owner, value_field, label_field = how
                rows = list(
                    through.objects.filter(**{f"{owner}__in": entries})
                    .filter(**{f"{term}__in": self.filters[parameter].queryset})
                    .values_list(f"{term}__{value_field}", f"{term}__{label_field}")
                    .annotate(n=Count(owner, distinct=True))
                    .order_by()
                )
            counts[parameter] = sorted(
                (
                    {"value": str(value), "label": str(label), "count": n, "selected": str(value) in selected}
                    for value, label, n in rows
                ),
                key=lambda row: (-row["count"], row["label"]),
            )
        return counts

    def cache_parts(self) -> tuple:
        """What identifies this selection in a cache key (as CaseStudyFilterSet.cache_parts)."""
        return CaseStudyFilterSet.cache_parts(self)


def _entry_sort(choices) -> filters.ChoiceFilter:
    return filters.ChoiceFilter(
        choices=choices, method="filter_sort", empty_label=None, label=_("Sort by"), help_text=""
    )


class MethodFilterSet(EntryFilterSet):
    SEARCH_FIELDS = ("name", "summary", "description")
    SORTS = {"name": ("name", "id"), "newest": ("-published_at", "-id")}
    DEFAULT_SORT = "name"
    FACETS = {
        "purpose": ("rows", MethodPurpose, "purpose", "method"),
        "discipline": ("column", "discipline"),
        "duration": ("column", "typical_duration"),
        "complexity": ("column", "complexity"),
    }

    purpose = RowsFilter(
        choices=Purpose.choices,
        rows=MethodPurpose,
        column="purpose",
        owner="method",
        label=_("Good for"),
        help_text=_("What the method is good for, e.g. engage-citizens. Repeatable."),
    )
    discipline = filters.MultipleChoiceFilter(
        choices=Discipline.choices, label=_("Discipline"), help_text=_("Repeatable.")
    )
    duration = filters.MultipleChoiceFilter(
        field_name="typical_duration",
        choices=Duration.choices,
        label=_("Typical duration"),
        help_text=_("Repeatable."),
    )
    complexity = filters.MultipleChoiceFilter(
        choices=Complexity.choices, label=_("Complexity"), help_text=_("Repeatable.")
    )
    sort = _entry_sort([("relevance", _("Relevance")), ("name", _("Name (A-Z)")), ("newest", _("Newest"))])

    class Meta:
        model = Method
        fields = []


class ToolkitFilterSet(EntryFilterSet):
    SEARCH_FIELDS = ("title", "summary", "description", "publisher")
    SORTS = {"title": ("title", "id"), "newest": ("-published_at", "-id"), "year": ("-year", "title", "id")}
    DEFAULT_SORT = "title"
    FACETS = {
        "kind": ("column", "kind"),
        "purpose": ("rows", ToolkitPurpose, "purpose", "toolkit"),
        "discipline": ("column", "discipline"),
        "language": ("rows", ToolkitLanguage, "language", "toolkit"),
        "method": ("terms", Toolkit.methods.through, "method", "toolkit", "slug", "name"),
    }

    kind = filters.MultipleChoiceFilter(
        choices=ToolkitKind.choices, label=_("Type"), help_text=_("Type of toolkit, e.g. guide. Repeatable.")
    )
    purpose = RowsFilter(
        choices=Purpose.choices,
        rows=ToolkitPurpose,
        column="purpose",
        owner="toolkit",
        label=_("Good for"),
        help_text=_("What the toolkit is good for, e.g. test. Repeatable."),
    )
    discipline = filters.MultipleChoiceFilter(
        choices=Discipline.choices, label=_("Discipline"), help_text=_("Repeatable.")
    )
    language = RowsFilter(
        choices=content_language_choices,
        rows=ToolkitLanguage,
        column="language",
        owner="toolkit",
        label=_("Language"),
        help_text=_("A language it is available in, e.g. ja. Repeatable."),
    )
    method = LinkedEntriesFilter(
        queryset=Method.objects.published(),
        link_model=Toolkit.methods.through,
        link_field="method",
        owner="toolkit",
        label=_("Method"),
        help_text=_("Slug of a method it supports. Repeatable."),
    )
    year_from = YearFilter(
        field_name="year", lookup_expr="gte", min_value=1900, max_value=2100, label=_("Published from (year)")
    )
    year_to = YearFilter(
        field_name="year",
        lookup_expr="lte",
        min_value=1900,
        max_value=2100,
        label=_("Published until (year)"),
    )
    sort = _entry_sort(
        [
            ("relevance", _("Relevance")),
            ("title", _("Title (A-Z)")),
            ("newest", _("Newest")),
            ("year", _("Year")),
        ]
    )

    class Meta:
        model = Toolkit
        fields = []


class OrganisationFilterSet(EntryFilterSet):
    SEARCH_FIELDS = ("name",)
    SORTS = {"name": ("name", "id"), "cases": ("-published_cases", "name", "id")}
    DEFAULT_SORT = "name"
    FACETS = {
        "economy": ("foreign key", "economy", "iso2", "name"),
        "kind": ("column", "kind"),
        "level": ("column", "level"),
    }

    economy = TermsFilter(
        field_name="economy__iso2",
        to_field_name="iso2",
        queryset=Economy.objects.all(),
        distinct=False,
        label=_("Economy"),
        help_text=_("ISO 3166 alpha-2 code of the organisation's economy, e.g. SG. Repeatable."),
    )
    kind = filters.MultipleChoiceFilter(
        choices=OrganisationType.choices, label=_("Organisation type"), help_text=_("Repeatable.")
    )
    level = filters.MultipleChoiceFilter(
        choices=Level.choices, label=_("Level of government"), help_text=_("Repeatable.")
    )
    sort = _entry_sort([("relevance", _("Relevance")), ("name", _("Name (A-Z)")), ("cases", _("Most cases"))])

    class Meta:
        model = Organisation
        fields = []

    def annotated(self, queryset):
        return queryset.with_case_counts()

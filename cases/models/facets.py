"""The library's facets, as one table: what each filter parameter is called, what it is labelled, which
field of a case it reads, and which value it carries in URLs and the API.

Read by the FilterSet (cases/filters.py builds one filter per row), the catalogue's bitmaps and the facet
counts (cases/insights/), the library's facet panel (cases/site/views.py), the search's recognition of
vocabulary names (cases/search/query.py), the statistics page and its script (cases/site/stats.py), the
case record's vocabularies (cases/records.py: the value a term is named by) and the API (its vocabulary
references and its documentation of the facet counts, cases/api/serializers.py). Adding a facet is adding
a row here; the order of the rows is the order of the panel, of the facet counts and of the statistics
page's charts. tests/cases/models/test_facets.py checks every face against it.

This module sits at the bottom of the catalogue, beside the models: it imports nothing above them.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import CaseStudy, Level, Stage

# How a case holds a facet's values.
TERMS = "terms"  # a many-to-many vocabulary (sectors, themes, ...): any number of values
FOREIGN_KEY = "foreign key"  # one related row (the primary economy), named by one of its columns
RELATED_COLUMN = "related column"  # a column of the related row of another facet (the economy's region)
CHOICE = "choice"  # a column of the case with fixed choices (level of government, stage)


@dataclass(frozen=True)
class Facet:
    """One row of the table: a repeatable filter parameter whose values the library counts."""

    parameter: str  # the URL and API parameter
    label: str  # the filter's label (forms, the API's documentation)
    title: str  # the heading of its part of the library's facet panel and of its filter chips
    kind: str  # TERMS, FOREIGN_KEY, RELATED_COLUMN or CHOICE
    relation: str  # the field of CaseStudy: a many-to-many, a foreign key or a column
    help_text: str  # the filter's help (the API's documentation)
    counts_help: str  # what the facet counts give for it (the API's documentation)
    value_field: str = ""  # the column of the related model a value is in (slug, iso2, number...)
    label_field: str = "name"  # the column of the related model a value is labelled with
    choices: type[models.TextChoices] | None = None  # CHOICE: the values and their labels
    value_range: tuple[int, int] | None = None  # values that are whole numbers: the lowest and highest
    numbered_labels: bool = False  # the panel and charts label a value "<value>. <name>" (SDG numbers)
    counted_through: str = ""  # RELATED_COLUMN: the facet whose values it groups (region: economy)
    # TERMS: the vocabulary's column giving its curated order (SDGs are in the order of their numbers)
    position_field: str = "position"
    # A search recognises a value by its whole name only, not also by each part of a list name ("Data and
    # AI": "data", "ai"): a region's name is one name ("Australia and New Zealand").
    whole_names: bool = False
    chart_title: str = ""  # the title of its bar chart on /stats/; empty: no chart of its own

    @property
    def model(self) -> type[models.Model] | None:
        """The related model (a vocabulary or Economy); None for a choice."""
        if self.kind == CHOICE:
            return None
        field = CaseStudy._meta.get_field(self.relation)
        return field.related_model

    @property
    def lookup(self) -> str:
        """The queryset lookup the filter compares values with."""
        if self.kind in (FOREIGN_KEY, RELATED_COLUMN):
            return f"{self.relation}__{self.value_field}"
        return self.relation

    @property
    def column(self) -> str | None:
        """The case's own database column holding the value (or the related row's id), for grouping cases
        by value in one pass; None when the values are in a link table or counted through another facet."""
        if self.kind == CHOICE:
            return self.relation
        if self.kind == FOREIGN_KEY:
            return CaseStudy._meta.get_field(self.relation).attname
        return None


FACETS: tuple[Facet, ...] = (
    Facet(
        parameter="economy",
        label=_("Economy"),
        title=_("Economy"),
        kind=FOREIGN_KEY,
        relation="economy",
        value_field="iso2",
        help_text=_("ISO 3166 alpha-2 code of the primary economy, e.g. SG. Repeatable."),
        counts_help=_("ISO alpha-2 code -> cases."),
    ),
    Facet(
        parameter="region",
        label=_("Region"),
        title=_("Region"),
        kind=RELATED_COLUMN,
        relation="economy",
        value_field="subregion_code",
        label_field="subregion_name",
        counted_through="economy",
        whole_names=True,
        help_text=_("UN M49 sub-region code of the primary economy, e.g. 035. Repeatable."),
        counts_help=_("UN M49 sub-region code -> cases."),
    ),
    Facet(
        parameter="sector",
        label=_("Sector"),
        title=_("Sector"),
        kind=TERMS,
        relation="sectors",
        value_field="slug",
        chart_title=_("Cases by sector"),
        help_text=_("Sector slug, e.g. health. Repeatable."),
        counts_help=_("Sector slug -> cases."),
    ),
    Facet(
        parameter="theme",
        label=_("Theme"),
        title=_("Theme"),
        kind=TERMS,
        relation="themes",
        value_field="slug",
        chart_title=_("Cases by theme"),
        help_text=_("Theme slug, e.g. digital-government. Repeatable."),
        counts_help=_("Theme slug -> cases."),
    ),
    Facet(
        parameter="facet",
        label=_("Innovation facet"),
        title=_("Innovation facet"),
        kind=TERMS,
        relation="facets",
        value_field="slug",
        chart_title=_("Cases by innovation facet"),
        help_text=_("Innovation facet slug, e.g. anticipatory. Repeatable."),
        counts_help=_("Innovation facet slug -> cases."),
    ),
    Facet(
        parameter="sdg",
        label=_("SDG"),
        title=_("Sustainable Development Goal"),
        kind=TERMS,
        relation="sdgs",
        value_field="number",
        value_range=(1, 17),
        numbered_labels=True,
        position_field="number",
        chart_title=_("Cases by Sustainable Development Goal"),
        help_text=_("Sustainable Development Goal number, 1 to 17. Repeatable."),
        counts_help=_("SDG number -> cases."),
    ),
    Facet(
        parameter="level",
        label=_("Level of government"),
        title=_("Level of government"),
        kind=CHOICE,
        relation="level",
        choices=Level,
        help_text=_("Repeatable."),
        counts_help=_("Level of government code -> cases."),
    ),
    Facet(
        parameter="stage",
        label=_("Innovation stage"),
        title=_("Innovation stage"),
        kind=CHOICE,
        relation="stage",
        choices=Stage,
        chart_title=_("Cases by innovation stage"),
        help_text=_("Repeatable."),
        counts_help=_("Innovation stage code -> cases."),
    ),
)

FACETS_BY_PARAMETER = {facet.parameter: facet for facet in FACETS}
FACET_PARAMETERS = [facet.parameter for facet in FACETS]
# The vocabularies' facets by model: a term's page links to the library filtered by its parameter.
FACETS_BY_MODEL = {
    facet.model: facet for facet in FACETS if facet.kind in (TERMS, FOREIGN_KEY) and facet.model is not None
}

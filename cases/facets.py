"""Facet counts: for each value of each vocabulary parameter, how many cases the library would show if
that value were added, under the other current selections (OR within a facet, AND across facets)."""

from django.db.models import Count
from .filters import CaseStudyFilterSet
from .models import CaseStudy

# parameter -> how to group: a column of the case, or (m2m field name, value column on the vocabulary)
GROUPINGS = {
    "economy": "economy__iso2",
    "region": "economy__subregion_code",
    "level": "level",
    "stage": "stage",
    "sector": ("sectors", "slug"),
    "theme": ("themes", "slug"),
    "facet": ("facets", "slug"),
    "sdg": ("sdgs", "number"),
}


def facet_counts(filterset: CaseStudyFilterSet) -> dict[str, dict[str, int]]:
    """{parameter: {value: count}} for every facet parameter of a valid filterset, values as in URLs.

    Each facet is counted over the cases matching every *other* parameter, so a count is exactly the
    number of results that selecting that value would give (alone within its facet).
    """
    counts = {}
    for parameter, grouping in GROUPINGS.items():
        matching = filterset.filter_queryset_without(filterset.queryset, exclude={parameter}).order_by()
        if isinstance(grouping, str):
            rows = matching.values_list(grouping).annotate(n=Count("pk")).order_by()
        else:
            relation_name, value_column = grouping
            relation = CaseStudy._meta.get_field(relation_name)
            through = relation.remote_field.through
            target = relation.m2m_reverse_field_name()
            rows = (
                through.objects.filter(**{f"{relation.m2m_field_name()}__in": matching.values("pk")})
                .values_list(f"{target}__{value_column}")
                .annotate(n=Count("pk"))
                .order_by()
            )
        counts[parameter] = {str(value): n for value, n in rows}
    return counts

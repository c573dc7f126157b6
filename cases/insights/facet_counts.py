"""Facet counts: for each value of each vocabulary parameter, how many cases the library would show if
that value were added, under the other current selections (OR within a facet, AND across facets)."""

from cases.caching import cached
from cases.filters import CaseStudyFilterSet
from cases.insights.bitmaps import CatalogueBitmaps
from cases.models.facets import FACET_PARAMETERS


def facet_counts(filterset: CaseStudyFilterSet) -> dict[str, dict[str, int]]:
    """{parameter: {value: count}} for every facet of a valid filterset, in the facet table's order
    (cases/models/facets.py), values as in URLs."""
    return selection_facets(filterset)["facets"]


def selection_facets(filterset: CaseStudyFilterSet) -> dict:
    """{"count": the cases matching now, "facets": facet_counts}, cached per selection and catalogue version.

    Each facet is counted over the cases matching every *other* parameter, so a count is exactly the
    number of results that selecting that value would give (alone within its facet). Counting is done on
    the catalogue's bitmaps (cases/insights/bitmaps.py): the selection with every filter is read once, however
    costly its search, and each selected facet's wider selection (every other filter) once more.
    """
    return cached(
        "facet-counts",
        filterset.cache_parts(),
        lambda: _count_facets(filterset),
        listing=filterset.selects_by_listing_only(),
    )


def _count_facets(filterset):
    bitmaps = CatalogueBitmaps.current()
    matching = bitmaps.select(filterset)
    facets = {}
    for parameter in FACET_PARAMETERS:
        if filterset.form.cleaned_data.get(parameter):
            base = bitmaps.select(filterset, exclude={parameter})
        else:
            base = matching
        facets[parameter] = bitmaps.counts_by_value(parameter, base)
    return {"count": len(matching), "facets": facets}

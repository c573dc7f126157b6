"""Facet counts: for each value of each vocabulary parameter, how many cases the library would show if
that value were added, under the other current selections (OR within a facet, AND across facets)."""

from django.db import connection

from .caching import cached
from .filters import CaseStudyFilterSet
from .models import CaseStudy, Economy

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
    number of results that selecting that value would give (alone within its facet). Cached per
    catalogue version (cases/caching.py).
    """
    return cached("facet-counts", filterset.cache_parts(), lambda: _count_facets(filterset))


def _count_facets(filterset):
    """All facet counts in one SQL statement.

    The facets nobody has selected are all counted over the same set of cases (every filter applied), so
    that set is computed once, as a materialised CTE, however costly its search; each selected facet gets
    its own set (every *other* filter). On PostgreSQL and SQLite alike.
    """
    selected = {name for name in GROUPINGS if filterset.form.cleaned_data.get(name)}
    bases = {"base_all": set()} | {f"base_{name}": {name} for name in sorted(selected)}
    ctes, params = [], []
    for cte_name, exclude in bases.items():
        matching = filterset.filter_queryset_without(filterset.queryset, exclude=exclude).order_by()
        sql, cte_params = matching.values("pk", "economy_id", "level", "stage").query.sql_with_params()
        materialized = "MATERIALIZED " if connection.vendor == "postgresql" else ""
        ctes.append(f"{cte_name} (id, economy_id, level, stage) AS {materialized}({sql})")
        params += list(cte_params)

    economy_table = Economy._meta.db_table
    selects = []
    for parameter, grouping in GROUPINGS.items():
        base = f"base_{parameter}" if parameter in selected else "base_all"
        label = f"'{parameter}'"
        if grouping in ("level", "stage"):
            selects.append(
                f"SELECT {label}, {base}.{grouping}, COUNT(*) FROM {base} GROUP BY {base}.{grouping}"
            )
        elif grouping in ("economy__iso2", "economy__subregion_code"):
            column = grouping.split("__")[1]
            selects.append(
                f"SELECT {label}, e.{column}, COUNT(*) FROM {base} JOIN {economy_table} e "
                f"ON e.id = {base}.economy_id GROUP BY e.{column}"
            )
        else:
            relation_name, value_column = grouping
            relation = CaseStudy._meta.get_field(relation_name)
            through = relation.remote_field.through
            own = through._meta.get_field(relation.m2m_field_name()).column
            other = through._meta.get_field(relation.m2m_reverse_field_name()).column
            target_table = relation.related_model._meta.db_table
            selects.append(
                f"SELECT {label}, CAST(t.{value_column} AS TEXT), COUNT(*) FROM {base} "
                f"JOIN {through._meta.db_table} m ON m.{own} = {base}.id "
                f"JOIN {target_table} t ON t.id = m.{other} GROUP BY t.{value_column}"
            )
    # Table and column names come from the models' _meta, values are bound parameters: no user text.
    sql = f"WITH {', '.join(ctes)} " + " UNION ALL ".join(selects)
    counts = {parameter: {} for parameter in GROUPINGS}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for parameter, value, count in cursor.fetchall():
            counts[parameter][str(value)] = count
    return counts

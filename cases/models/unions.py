"""Rows of several models in one query: a UNION ALL whose columns are every model's fields side by side.

A page that shows a case with its outcomes and its resources, or every term of every vocabulary, would
read one table per query. The tables are small and the rows few, so the round trips cost more than the
reading: `union_rows` reads them all in one query. Each branch selects its own model's fields in its own
columns and NULL (cast to the field's type, so the database and Django convert every column as they would
for the model) in the other models' columns, with the model's label and each row's place in its own
queryset's order (ROW_NUMBER over that order: a UNION ALL keeps no order of its branches).

Used by the vocabulary snapshot (cases/models/vocabularies.py) and by `with_children()`
(cases/models/querysets.py: a case's outcomes and resources, for one case or a list).
"""

from collections import defaultdict
from itertools import batched

from django.db import connections, router
from django.db.models import F, OrderBy, Value, Window
from django.db.models.functions import Cast, RowNumber

from cases.models.prepared import prepared_rows


def ordering_of(queryset) -> list:
    """The queryset's order (its order_by(), else its model's Meta.ordering) as expressions, then the primary
    key, so never a tie."""
    model = queryset.model
    items = list(queryset.query.order_by) or list(model._meta.ordering)
    expressions = []
    for item in [*items, "pk"]:
        if not isinstance(item, str):
            expressions.append(item)
        elif item.startswith("-"):
            expressions.append(OrderBy(F(item[1:]), descending=True))
        else:
            expressions.append(OrderBy(F(item)))
    return expressions


def _column_type(model_field):
    """The field a NULL in `model_field`'s column is cast to: itself, or for a foreign key the field it
    points to (its column holds that field's values)."""
    return (model_field.target_field if model_field.is_relation else model_field).clone()


def union_rows(querysets) -> dict[str, list[tuple]]:
    """{model label: [values of its concrete fields (attnames, in order), ...] in its queryset's order} for
    every queryset of `querysets` (one per model, all on one database), read in one query. The querysets'
    filters apply; their select_related, deferred fields and annotations do not (whole rows are read)."""
    querysets = list(querysets)
    return _split_union([queryset.model for queryset in querysets], _union_query(querysets))


def _union_query(querysets):
    """The values_list() queryset of union_rows' one query: per row its model's label, its rank in its
    queryset's order, and a column per field of every model."""
    querysets = list(querysets)
    models = [queryset.model for queryset in querysets]
    if len(set(models)) != len(models):
        raise ValueError("union_rows takes one queryset per model.")
    slots = [(model, model_field) for model in models for model_field in model._meta.concrete_fields]
    branches = []
    for queryset in querysets:
        model = queryset.model
        columns = {
            "union_model": Value(model._meta.label),
            "union_rank": Window(RowNumber(), order_by=ordering_of(queryset)),
        }
        for number, (owner, model_field) in enumerate(slots):
            columns[f"union_{number}"] = (
                F(model_field.attname) if owner is model else Cast(Value(None), _column_type(model_field))
            )
        branches.append(queryset.order_by().annotate(**columns).values_list(*columns))
    return branches[0].union(*branches[1:], all=True).order_by() if len(branches) > 1 else branches[0]


def _split_union(models, rows) -> dict[str, list[tuple]]:
    """The rows of _union_query(querysets of `models`), sorted into union_rows' answer."""
    # Where each model's values start among a row's values (after its label and rank).
    widths = {model._meta.label: len(model._meta.concrete_fields) for model in models}
    offsets, start = {}, 0
    for label, width in widths.items():
        offsets[label] = start
        start += width
    ranked = defaultdict(list)
    for label, rank, *values in rows:
        offset = offsets[label]
        ranked[label].append((rank, tuple(values[offset : offset + widths[label]])))
    return {label: [values for _rank, values in sorted(ranked[label])] for label in widths}


def _children_rows(relations, ids, using) -> dict[str, list[tuple]]:
    """union_rows of the rows of `relations` (reverse many-to-one relations of one model) whose parent is
    one of `ids`: the query compiled once per number of parents (cases/models/prepared.py), as only the
    ids change from one case page to the next and building the UNION ALL cost more than running it."""

    def build(ids, using):
        return _union_query(
            rel.related_model._base_manager.using(using).filter(**{f"{rel.field.attname}__in": ids})
            for rel in relations
        )

    models = [rel.related_model for rel in relations]
    shape = "children:" + ",".join(model._meta.label for model in models)
    return _split_union(models, prepared_rows(shape, build, ids, using))


def attach_children(instances, relations) -> None:
    """Read the rows of `instances`' reverse many-to-one `relations` (a case's "outcomes" and "resources":
    rows that belong to it) in one query, each relation in its model's order, and fill exactly the caches
    prefetch_related(*relations) fills: `case.outcomes.all()` then reads no database, and each outcome's
    `case` is the instance itself. Instances all of one model; more queries only when the ids exceed the
    database's limit on parameters (SQLite's, in a large export chunk)."""
    instances = [instance for instance in instances if instance is not None]
    if not instances or not relations:
        return
    model = type(instances[0])._meta.concrete_model
    using = instances[0]._state.db or router.db_for_read(model)
    rels = {relation: model._meta.get_field(relation) for relation in relations}
    limit = connections[using].features.max_query_params
    per_query = max(1, limit // len(rels)) if limit else len(instances)
    children = {relation: defaultdict(list) for relation in rels}
    for batch in batched([instance.pk for instance in instances], per_query):
        rows = _children_rows(list(rels.values()), batch, using)
        for relation, rel in rels.items():
            child_model = rel.related_model
            attnames = [model_field.attname for model_field in child_model._meta.concrete_fields]
            for values in rows[child_model._meta.label]:
                child = child_model.from_db(using, attnames, values)
                children[relation][getattr(child, rel.field.attname)].append(child)
    for instance in instances:
        if not hasattr(instance, "_prefetched_objects_cache"):
            instance._prefetched_objects_cache = {}
        for relation, rel in rels.items():
            rows = children[relation].get(instance.pk, [])
            for child in rows:
                rel.field.set_cached_value(child, instance)
            # What prefetch_related stores (django.db.models.query.prefetch_one_level): the manager's own
            # queryset, its result already known.
            # (A reverse many-to-one manager keeps it under the relation's cache name.)
            cache_name = rel.cache_name
            instance._prefetched_objects_cache.pop(cache_name, None)
            queryset = getattr(instance, relation).get_queryset()
            queryset._result_cache = rows
            queryset._prefetch_done = True
            instance._prefetched_objects_cache[cache_name] = queryset

"""Queries compiled once and run again with other ids: for the few fixed-shape reads every case page makes.

A case page reads the case's outcomes and resources (a UNION ALL with a column per field of both models)
and its links (five tables joined); a page of cases the same for 20. Only the cases' ids change from one
page to the next, yet Django builds and compiles each query afresh every time, and that cost more than
running it: 1.5-3 ms a query against well under a millisecond in the database.

`prepared_rows(shape, build, ids, using)` builds `build(placeholder ids, using)` (a values_list() queryset)
once per thread, database and number of ids, compiles it, finds where the placeholder ids landed among its
parameters, and from then on runs the compiled SQL with the real ids in their places. Its rows pass through
the same compiler's converters as the queryset's own would (SQLite's dates and decimals), so the caller
gets exactly what `list(build(ids, using))` gives (tests/cases/models/test_prepared.py).

Only for queries whose parameters other than the ids are constants of the code (a status, a model's
label): a value that changes between calls must be one of the ids, or it would be compiled in for good.
"""

import threading

from django.db import connections

# Ids no row has, put where the real ids go, to find their places among the compiled parameters.
_PLACEHOLDER_BASE = -(2**62)
# Ids per query up to which the compiled query is kept (a case page has one, a page of cases 20-100); an
# export's chunks of thousands are compiled each time, as the cost is then the rows'.
PREPARED_IDS = 100

_compiled = threading.local()


class _Compiled:
    def __init__(self, queryset, count: int):
        self.compiler = queryset.query.get_compiler(using=queryset.db)
        self.sql, params = self.compiler.as_sql()
        self.params = list(params)
        self.slots = [
            (index, _PLACEHOLDER_BASE - value)
            for index, value in enumerate(self.params)
            if type(value) is int and _PLACEHOLDER_BASE - count < value <= _PLACEHOLDER_BASE
        ]
        if {which for _index, which in self.slots} != set(range(count)):
            raise ValueError("Not every id of the prepared query is one of its parameters.")

    def rows(self, ids, using: str) -> list[tuple]:
        params = list(self.params)
        for index, which in self.slots:
            params[index] = ids[which]
        with connections[using].cursor() as cursor:
            cursor.execute(self.sql, params)
            fetched = cursor.fetchall()
        return list(self.compiler.results_iter(results=[fetched], tuple_expected=True))


def prepared_rows(shape: str, build, ids, using: str) -> list[tuple]:
    """The rows of `build(ids, using)` (a values_list() queryset on `using`), from its SQL compiled once per
    thread, database and number of ids under the name `shape` (one name per `build`)."""
    ids = list(ids)
    if not ids or len(ids) > PREPARED_IDS:
        return list(build(ids, using))
    by_shape = getattr(_compiled, "by_shape", None)
    if by_shape is None:
        by_shape = _compiled.by_shape = {}
    key = (shape, using, connections[using].vendor, len(ids))
    compiled = by_shape.get(key)
    if compiled is None:
        placeholders = [_PLACEHOLDER_BASE - n for n in range(len(ids))]
        compiled = by_shape[key] = _Compiled(build(placeholders, using), len(ids))
    return compiled.rows(ids, using)


class ModelColumns:
    """The columns a values_list() reads for `model`'s rows reached through `path` (all its concrete fields
    but `leave_out`), then for each foreign key in `joined` its target's (every field), and the instances
    made back from them, linked as select_related() links them (the left-out fields deferred, as defer()
    leaves them)."""

    def __init__(self, model, path: str = "", *, leave_out=(), joined=()):
        self.model = model
        self.attnames = [
            field.attname for field in model._meta.concrete_fields if field.name not in leave_out
        ]
        self.joined = [
            (
                model._meta.get_field(name),
                [field.attname for field in model._meta.get_field(name).related_model._meta.concrete_fields],
            )
            for name in joined
        ]
        prefix = f"{path}__" if path else ""
        self.names = [prefix + name for name in self.attnames]
        for field, attnames in self.joined:
            self.names += [f"{prefix}{field.name}__{name}" for name in attnames]

    def instance(self, values, using: str, start: int = 0):
        """(the instance whose columns begin at `start` in `values`, where the next columns begin)."""
        end = start + len(self.attnames)
        instance = self.model.from_db(using, self.attnames, values[start:end])
        for field, attnames in self.joined:
            start, end = end, end + len(attnames)
            field.set_cached_value(instance, field.related_model.from_db(using, attnames, values[start:end]))
        return instance, end

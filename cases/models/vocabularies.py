"""The vocabularies' terms as one snapshot, and the links of many cases to them in one query (issue 15).

Every list of cases shows each case's terms (sectors, themes, innovation facets, SDGs, other economies).
Django's prefetch_related reads them with one query per vocabulary, joining each link table to its
vocabulary: five queries for a page of cases, every time. Yet the vocabularies are a few hundred rows that
change a few times a year. So:

- `VocabularySnapshot` holds every term of every vocabulary (and every economy, and the search's
  thesaurus), read in one query (a UNION ALL over their tables), each in its model's own order
  (Meta.ordering, as the database sorts it: the order a prefetch gives). cases.caching keeps it per process
  and in the shared cache under the vocabulary version, which only writes to these tables move
  (cases/signals.py): a write to a case leaves it in place.
- `vocabulary_columns` reads the links with the cases themselves: for each relation, the case's term ids
  as text in a column of the case query (a correlated subquery on the link table's index on the case), so
  a page of cases and all their terms cost one query, not two (a round trip and a plan fewer per page).
- `attach_vocabularies` takes those links (`links_from_columns`), or reads the links of a list of cases
  in one query (a UNION ALL over the link tables: relation, case id, term id), and fills, for each case
  and relation, exactly the cache a prefetch fills (`case._prefetched_objects_cache[relation]`, a
  queryset holding its terms in order), so `case.sectors.all()` in templates, serializers and exports
  reads no database.

The links are the fetched cases' own, whatever their status, as a prefetch's are: the caller's queryset
decides which cases are fetched (published ones, outside admin). The snapshot holds only terms, which are
public; it knows nothing of cases.

`CaseStudyQuerySet.with_vocabularies()` (querysets.py) is the way in. This module, like the rest of
cases/models, imports nothing above the models: the cached snapshot is handed in through
`use_snapshot_source` (cases/apps.py wires cases.caching.vocabulary_snapshot at start-up).
"""

import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from itertools import batched

from django.conf import settings
from django.db import connections, router
from django.db.models import F, Func, TextField, Value
from django.utils.translation import get_language

from cases.models.thesaurus import ThesaurusEntry
from cases.models.unions import union_rows

# CaseStudy's many-to-many vocabularies, in the order the case record lists them (cases/records.py).
VOCABULARY_RELATIONS = ("other_economies", "sectors", "themes", "facets", "sdgs")

# Where the current snapshot comes from: a function () -> VocabularySnapshot; None reads it afresh each time.
_snapshot_source = None


def use_snapshot_source(source) -> None:
    """Have `with_vocabularies()` take its terms from `source()` (the cached snapshot, cases/apps.py)."""
    global _snapshot_source
    _snapshot_source = source


def current_snapshot(case_model) -> "VocabularySnapshot":
    if _snapshot_source is None:  # before start-up has wired the cache in (a migration, a bare script)
        return VocabularySnapshot.load(case_model)
    return _snapshot_source()


def vocabulary_models(case_model) -> list:
    """The models the snapshot holds every row of: the vocabularies' terms, once each (economies are two
    relations' terms), and the search's thesaurus (its synonyms are a curated vocabulary too, read with the
    terms' names by cases/search/query.py)."""
    terms = (case_model._meta.get_field(name).related_model for name in VOCABULARY_RELATIONS)
    return [*dict.fromkeys(terms), ThesaurusEntry]


@dataclass
class VocabularySnapshot:
    """Every term of every vocabulary, each vocabulary in its model's order. Plain values (picklable for the
    shared cache); model instances are made from them on demand, a new one each time, as a query would."""

    # Part of the shared cache's key (cases.caching): change it whenever the fields below change.
    FORMAT = 1

    version: int | None  # the vocabulary version read with it (None: read inside an uncommitted write)
    built_at: float  # time.time() when read from the database
    # model label -> the attnames of its concrete fields, in the order of a row's values
    columns: dict[str, tuple[str, ...]]
    # model label -> {pk: row of values}, in the model's order
    rows: dict[str, dict[int, tuple]] = field(default_factory=dict)

    @classmethod
    def load(
        cls, case_model, *, version: int | None = None, using: str | None = None
    ) -> "VocabularySnapshot":
        """Read every vocabulary in one query (cases/models/unions.py: a UNION ALL of one branch per model),
        each in its model's order (Meta.ordering, as the database sorts names)."""
        started = time.time()
        models = vocabulary_models(case_model)
        read = union_rows(
            model._base_manager.using(using or router.db_for_read(model)).all() for model in models
        )
        columns = {
            model._meta.label: tuple(f.attname for f in model._meta.concrete_fields) for model in models
        }
        rows = {}
        for model in models:
            label = model._meta.label
            pk_index = columns[label].index(model._meta.pk.attname)
            rows[label] = {values[pk_index]: values for values in read[label]}
        return cls(version=version, built_at=started, columns=columns, rows=rows)

    @staticmethod
    def shape(case_model) -> str:
        """A digest of the tables' columns, for the shared cache's key: a snapshot stored by code that knew
        other columns (before a deployment's migration) is never read by this code."""
        columns = [
            (model._meta.label, [field.attname for field in model._meta.concrete_fields])
            for model in vocabulary_models(case_model)
        ]
        return hashlib.sha256(repr(columns).encode()).hexdigest()[:12]

    # --- Reading it -------------------------------------------------------------------------------

    def knows(self, model, pks) -> bool:
        rows = self.rows[model._meta.label]
        return all(pk in rows for pk in pks)

    @cached_property
    def ranks(self) -> dict[str, dict[int, int]]:
        """model label -> {pk: place in the model's order}."""
        return {label: {pk: rank for rank, pk in enumerate(rows)} for label, rows in self.rows.items()}

    def instance(self, model, pk, using: str | None = None):
        """A new instance of the term, as a query for it would give (every field loaded)."""
        label = model._meta.label
        return model.from_db(using or router.db_for_read(model), self.columns[label], self.rows[label][pk])

    def instances(self, model, using: str | None = None) -> list:
        """Every term of `model`, in its order."""
        return [self.instance(model, pk, using) for pk in self.rows[model._meta.label]]

    def values(self, model, *attnames) -> list[tuple]:
        """(value of each of `attnames`) for every term of `model`, in its order, as values_list() gives."""
        columns = self.columns[model._meta.label]
        positions = [columns.index(name) for name in attnames]
        return [tuple(row[i] for i in positions) for row in self.rows[model._meta.label].values()]

    def labels(self, model, value_field: str, label_field: str = "name", language: str | None = None):
        """(value, label) for every term of `model`, in its order, like values(model, value_field,
        label_field), with each label in `language` (the active one by default) where the term has a
        translation of it (TranslatedTerm), in English otherwise."""
        language = language or get_language() or settings.LANGUAGE_CODE
        columns = self.columns[model._meta.label]
        value_at, label_at = columns.index(value_field), columns.index(label_field)
        translations_at = columns.index("translations") if "translations" in columns else None
        pairs = []
        for row in self.rows[model._meta.label].values():
            label = row[label_at]
            if translations_at is not None and language != settings.LANGUAGE_CODE and row[translations_at]:
                label = (row[translations_at].get(language) or {}).get(label_field) or label
            pairs.append((row[value_at], label))
        return pairs

    def find(self, model, attname: str, values, using: str | None = None) -> list:
        """The terms of `model` whose `attname` is one of `values` (compared as text, as a URL gives them),
        in the model's order."""
        wanted = {str(value) for value in values}
        position = self.columns[model._meta.label].index(attname)
        return [
            self.instance(model, pk, using)
            for pk, row in self.rows[model._meta.label].items()
            if str(row[position]) in wanted
        ]


def vocabulary_links(case_model, case_ids, relations, *, using: str) -> list[tuple[str, int, int]]:
    """(relation, case id, term id) for every link of the cases in `case_ids` through `relations`: one
    UNION ALL query over the link tables (more only when the ids exceed the database's limit on
    parameters, as SQLite's may in a large export chunk)."""
    limit = connections[using].features.max_query_params
    per_query = max(1, limit // len(relations)) if limit else len(case_ids)
    links = []
    for ids in batched(case_ids, per_query):
        branches = []
        for relation in relations:
            m2m = case_model._meta.get_field(relation)
            through = m2m.remote_field.through
            own = through._meta.get_field(m2m.m2m_field_name()).attname
            target = through._meta.get_field(m2m.m2m_reverse_field_name()).attname
            branches.append(
                through._base_manager.using(using)
                .filter(**{f"{own}__in": ids})
                .order_by()
                .annotate(link_relation=Value(relation), link_case=F(own), link_term=F(target))
                .values_list("link_relation", "link_case", "link_term")
            )
        links += branches[0].union(*branches[1:], all=True).order_by() if len(branches) > 1 else branches[0]
    return links


class TermIds(Func):
    """The ids of the terms linked to a case through a many-to-many link table, as text ("3,17,4"; NULL for
    none): `(SELECT string_agg(term::text, ',') FROM links WHERE links.case = <case>)`, a correlated subquery
    through the link table's index on the case.

    Written as one expression rather than as an ORM Subquery of the link model: Django builds and compiles a
    Subquery as a query of its own each time (cloning, resolving, joining), which cost 2.1 ms a query for
    the five vocabularies, on every case page and every page of cases; this compiles the case's column and
    formats a string (tests/cases/models/test_vocabularies.py: the terms prefetch_related gives)."""

    output_field = TextField()
    template = "(SELECT %(aggregate)s FROM %(table)s WHERE %(own)s = %(expressions)s)"
    aggregate = "string_agg(CAST({term} AS text), ',')"

    def __init__(self, case, *, table: str, own: str, term: str):
        super().__init__(case)
        self.table, self.own, self.term = table, own, term

    def as_sql(self, compiler, connection, aggregate=None, **extra_context):
        quote = connection.ops.quote_name
        return super().as_sql(
            compiler,
            connection,
            table=quote(self.table),
            own=quote(self.own),
            aggregate=(aggregate or self.aggregate).format(term=quote(self.term)),
            **extra_context,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        # string_agg() came to SQLite only in 3.44.
        return self.as_sql(compiler, connection, aggregate="group_concat({term}, ',')", **extra_context)


def vocabulary_columns(case_model, relations, *, case_ref: str = "pk") -> dict:
    """{column name: expression} to annotate a query of cases with: for each relation, the ids of the
    case's terms as text ("3,17,4", or NULL for none), a correlated subquery through the link table's index
    on the case (`TermIds`). Read with the cases themselves, the links cost no query of their own;
    `links_from_columns` reads them back. `case_ref`: where the query finds the case's id (a relation's
    "related_id", say)."""
    columns = {}
    for relation in relations:
        m2m = case_model._meta.get_field(relation)
        through = m2m.remote_field.through._meta
        columns[_column_name(relation)] = TermIds(
            F(case_ref),
            table=through.db_table,
            own=through.get_field(m2m.m2m_field_name()).column,
            term=through.get_field(m2m.m2m_reverse_field_name()).column,
        )
    return columns


def _column_name(relation: str) -> str:
    return f"vocabulary_ids_{relation}"


def links_from_columns(rows, relations) -> list[tuple[str, int, int]]:
    """(relation, case id, term id) for every link the cases `rows` read with vocabulary_columns() carry;
    removes the columns from the rows."""
    links = []
    for row in rows:
        texts = [row.__dict__.pop(_column_name(relation), None) for relation in relations]
        links += links_from_texts(row.pk, relations, texts)
    return links


def links_from_texts(case_id: int, relations, texts) -> list[tuple[str, int, int]]:
    """(relation, case id, term id) for each term id in `texts`, one vocabulary_columns() value ("3,17,4" or
    None) per relation of `relations`."""
    return [
        (relation, case_id, int(term))
        for relation, ids in zip(relations, texts, strict=True)
        if ids
        for term in ids.split(",")
    ]


def linked_terms(case_model, case_ids, relations, *, using: str, snapshot=None, links=None):
    """({relation: {case id: [term pk, ...]}}, the snapshot naming them): the links of the cases in
    `case_ids` through `relations` (one query, unless `links` are given), each case's terms in the
    vocabulary's order. A term the snapshot (the current one by default) does not know yet, added since it
    was read within the vocabulary version's time to live, makes it read again, uncached, for these
    cases."""
    if links is None:
        links = vocabulary_links(case_model, list(case_ids), relations, using=using)
    snapshot = snapshot or current_snapshot(case_model)
    models = {relation: case_model._meta.get_field(relation).related_model for relation in relations}
    if not all(snapshot.knows(models[relation], [term]) for relation, _case, term in links):
        snapshot = VocabularySnapshot.load(case_model, using=using)
    by_relation = {relation: defaultdict(list) for relation in relations}
    for relation, case_id, term_id in links:
        by_relation[relation][case_id].append(term_id)
    for relation, by_case in by_relation.items():
        ranks = snapshot.ranks[models[relation]._meta.label]
        for terms in by_case.values():
            terms.sort(key=ranks.__getitem__)
    return by_relation, snapshot


def attach_vocabularies(cases, relations, snapshot=None, *, links=None) -> None:
    """Read the links of `cases` (model instances, all of one model) through `relations` in one query (or
    take them from `links`, read with the cases: links_from_columns) and fill each case's prefetch cache
    for each relation with its terms, in the vocabulary's order, from the snapshot (linked_terms)."""
    cases = [case for case in cases if case is not None]
    if not cases or not relations:
        return
    case_model = type(cases[0])._meta.concrete_model
    using = cases[0]._state.db or router.db_for_read(case_model)
    by_relation, snapshot = linked_terms(
        case_model, [case.pk for case in cases], relations, using=using, snapshot=snapshot, links=links
    )
    models = {relation: case_model._meta.get_field(relation).related_model for relation in relations}
    for case in cases:
        if not hasattr(case, "_prefetched_objects_cache"):
            case._prefetched_objects_cache = {}
        for relation in relations:
            model = models[relation]
            terms = by_relation[relation].get(case.pk, ())
            # What prefetch_related stores (django.db.models.query.prefetch_one_level): the manager's own
            # queryset, its result already known.
            manager = getattr(case, relation)
            case._prefetched_objects_cache.pop(manager.prefetch_cache_name, None)
            queryset = manager.get_queryset()
            queryset._result_cache = [snapshot.instance(model, pk, using) for pk in terms]
            queryset._prefetch_done = True
            case._prefetched_objects_cache[manager.prefetch_cache_name] = queryset

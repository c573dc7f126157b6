"""The published catalogue as compressed bitmaps of case ids: counting any selection by every value, fast.

Statistics and facet counts count the selected cases by economy, sector, theme, facet, SDG, level, stage
and year. In SQL each such count joins the selection to a table of up to hundreds of thousands of rows:
about a second for every new selection at 100,000 cases. Instead, once per catalogue version, one read
of the case table and of each vocabulary's link table records, for every value, the set of published
cases that have it, as a Roaring bitmap of case ids (pyroaring). Counting a selection by a value is then
the size of an intersection: microseconds, whatever the selection's size.

`CatalogueBitmaps.current()` gives the bitmaps of the current catalogue version: from this process's
memory, else from the shared cache (Redis), else built (one pass, about half a second at 100,000 cases)
and stored for every process. After every committed write a task builds them for the new version
(cases/tasks.py), so readers seldom wait for that. Like every cached read (cases/caching.py) they are
keyed by the catalogue version, so they are never older than the catalogue. Only published cases are
in them: nothing unpublished can be counted, whatever selection is intersected with them.
"""

import hashlib
import pickle
import time
from dataclasses import dataclass, field, replace

from django.db import connection
from pyroaring import BitMap, FrozenBitMap

from cases.caching import CACHE_SECONDS, _safe, catalogue_version, shared_catalogue_version
from cases.models import CaseMethod, CaseStudy, EntryStatus, Method, Outcome
from cases.models.facets import FACETS, FACETS_BY_PARAMETER, FOREIGN_KEY, RELATED_COLUMN, TERMS
from cases.search.engine import as_query, full_text_index_preferred, matching_case_ids

# From the facet table (cases/models/facets.py). parameter -> (the CaseStudy many-to-many field, the
# vocabulary, the value partners and URLs use)
TERM_RELATIONS = {
    facet.parameter: (facet.relation, facet.model, facet.value_field)
    for facet in FACETS
    if facet.kind == TERMS
}
# parameter -> the CaseStudy column the case's own value is in (the year is no facet, but statistics count it)
CASE_COLUMNS = {
    **{facet.parameter: facet.column for facet in FACETS if facet.column},
    "year": "year_launched",
}
# The facet counted through another's values (the region, through the economy), and that other facet: every
# case has one primary economy, and the economies are read once with their regions' columns.
REGION = next(facet for facet in FACETS if facet.kind == RELATED_COLUMN)
# The library's `method` parameter (no facet of the panel, but counted by the statistics).
METHOD = "method"
ECONOMY = FACETS_BY_PARAMETER[REGION.counted_through]


@dataclass(frozen=True)
class Term:
    """One value of a vocabulary, with what ordering and labelling its buckets needs."""

    pk: int
    value: str  # as in URLs and the API: a slug, an ISO code, an SDG number
    label: str
    name_rank: int  # the term's place by name in the database's collation (ties sort by name there)
    position: int = 0  # curated display order (vocabularies); 0 for economies


@dataclass
class CatalogueBitmaps:
    """Which published cases have each value, as bitmaps of case ids; see the module docstring."""

    version: int
    built_at: float  # time.time() when read from the database
    published: FrozenBitMap
    with_outcomes: FrozenBitMap
    # parameter -> {value key (the pk, the choice code or the year): cases}
    by_value: dict[str, dict] = field(default_factory=dict)
    # parameter -> {pk: Term} for economies and the many-to-many vocabularies
    terms: dict[str, dict[int, Term]] = field(default_factory=dict)
    # sub-region code -> (its rank by name in the database's order, name)
    regions: dict[str, tuple[int, str]] = field(default_factory=dict)
    # economy pk -> sub-region code
    economy_region: dict[int, str] = field(default_factory=dict)
    apo_economies: frozenset = frozenset()
    # A digest of everything above but the version and when they were built: two versions whose published
    # catalogue is counted alike (a write that changed a narrative, a title) have the same digest.
    digest: str = ""

    _memo = None  # the bitmaps this process used last
    # Part of the cache key: change it whenever the fields change, so that a deployment never reads
    # bitmaps pickled by the previous code.
    FORMAT = 4

    @classmethod
    def cache_key(cls, version: int) -> str:
        """The key of the digest of a version's bitmaps."""
        return f"bitmaps:{cls.FORMAT}:{version}"

    @classmethod
    def content_key(cls, digest: str) -> str:
        """The key of the bitmaps themselves, under their digest."""
        return f"bitmaps-content:{cls.FORMAT}:{digest}"

    @classmethod
    def current(cls) -> "CatalogueBitmaps":
        """The bitmaps of the current catalogue version. The shared cache holds, per version, only their
        digest, and the bitmaps themselves under it: a process that holds bitmaps with the new version's
        digest keeps them (renamed to the version) rather than reading 1.3 MB from Redis again (about 9 ms
        of a computed API page at 100,000 cases), which is what most writes leave (a narrative, a title:
        nothing counted). A write that changes what is counted gives a new digest, read once per process."""
        version = shared_catalogue_version()
        if version is None:  # inside a transaction with uncommitted catalogue writes: its own, unshared
            return cls.build(catalogue_version())
        memo = cls._memo
        # Kept no longer than any cached read (the safety net against a write that forgot to bump).
        if memo is not None and memo.version == version and memo._fresh():
            return memo
        from django.core.cache import cache

        digest = _safe(lambda: cache.get(cls.cache_key(version)))
        if digest and memo is not None and memo.digest == digest and memo._fresh():
            bitmaps = replace(memo, version=version)
        else:
            bitmaps = _safe(lambda: cache.get(cls.content_key(digest))) if digest else None
            if bitmaps is None or not bitmaps._fresh():
                bitmaps = cls.refresh(version)
            elif bitmaps.version != version:
                bitmaps = replace(bitmaps, version=version)
        cls._memo = bitmaps
        return bitmaps

    @classmethod
    def refresh(cls, version: int) -> "CatalogueBitmaps":
        """Build the bitmaps of `version` and store them for every process (cases/tasks.py, after every
        committed write; or the first reader that finds none)."""
        from django.core.cache import cache

        bitmaps = cls.build(version)
        _safe(lambda: cache.set(cls.content_key(bitmaps.digest), bitmaps, CACHE_SECONDS))
        _safe(lambda: cache.set(cls.cache_key(version), bitmaps.digest, CACHE_SECONDS))
        cls._memo = bitmaps
        return bitmaps

    def _fresh(self) -> bool:
        return time.time() - self.built_at < CACHE_SECONDS

    def _content_digest(self) -> str:
        content = replace(self, version=0, built_at=0.0, digest="")
        return hashlib.sha256(pickle.dumps(content, protocol=pickle.HIGHEST_PROTOCOL)).hexdigest()

    @classmethod
    def build(cls, version: int) -> "CatalogueBitmaps":
        """Read the published catalogue into bitmaps: one grouped query per table."""
        started = time.time()
        published_cases = CaseStudy.objects.published().order_by()
        by_value = {name: {} for name in (*CASE_COLUMNS, *TERM_RELATIONS)}
        # Each of the case's own columns: a pass over a covering index, one short row per value.
        for name, column in CASE_COLUMNS.items():
            for value, ids in ids_grouped_by(published_cases, [column], "pk"):
                by_value[name][value] = BitMap(ids)
        published = BitMap()
        for ids in by_value[ECONOMY.parameter].values():  # every case has a primary economy
            published |= ids
        # Many-to-many links of every case, published or not; narrowed to the published ones here.
        for name, (relation_name, _model, _value) in TERM_RELATIONS.items():
            relation = CaseStudy._meta.get_field(relation_name)
            links = relation.remote_field.through.objects.order_by()
            for term_id, ids in ids_grouped_by(
                links, [relation.m2m_reverse_field_name() + "_id"], relation.m2m_field_name() + "_id"
            ):
                by_value[name][term_id] = BitMap(ids) & published
        with_outcomes = BitMap(ids_of(Outcome.objects.all(), "case_id")) & published
        # The methods published cases used (issue 18), main or also, of published methods only: the library's
        # `method` parameter and the statistics' cases by method.
        used = CaseMethod.objects.filter(method__status=EntryStatus.PUBLISHED).order_by()
        by_value[METHOD] = {
            method_id: BitMap(ids) & published
            for method_id, ids in ids_grouped_by(used, ["method_id"], "case_id")
        }

        terms = {ECONOMY.parameter: {}}
        economy_region, apo_economies, region_names = {}, set(), {}
        for rank, (pk, value, label, code, region_name, is_member) in enumerate(
            ECONOMY.model.objects.order_by(ECONOMY.label_field, "pk").values_list(
                "pk",
                ECONOMY.value_field,
                ECONOMY.label_field,
                REGION.value_field,
                REGION.label_field,
                "is_apo_member",
            )
        ):
            terms[ECONOMY.parameter][pk] = Term(pk, str(value), label, rank)
            economy_region[pk] = code
            region_names[code] = region_name
            if is_member:
                apo_economies.add(pk)
        region_order = (
            ECONOMY.model.objects.order_by(REGION.label_field, REGION.value_field)
            .values_list(REGION.value_field, flat=True)
            .distinct()
        )
        regions = {
            code: (rank, region_names[code]) for rank, code in enumerate(region_order) if code in region_names
        }
        for facet in FACETS:
            if facet.kind != TERMS:
                continue
            terms[facet.parameter] = {
                pk: Term(pk, str(value), label, rank, position)
                for rank, (pk, value, label, position) in enumerate(
                    facet.model.objects.order_by(facet.label_field, "pk").values_list(
                        "pk", facet.value_field, facet.label_field, facet.position_field
                    )
                )
            }
        terms[METHOD] = {
            pk: Term(pk, slug, name, rank)
            for rank, (pk, slug, name) in enumerate(
                Method.objects.published().order_by("name", "pk").values_list("pk", "slug", "name")
            )
        }
        # The reads above are separate statements: a vocabulary written meanwhile may be in one and not the
        # other. Keep every value and sub-region consistent with the terms read (the version moves on anyway).
        for name in by_value.keys() & terms.keys():
            by_value[name] = {pk: ids for pk, ids in by_value[name].items() if pk in terms[name]}
        for code in region_names.keys() - regions.keys():
            regions[code] = (len(regions), region_names[code])
        bitmaps = cls(
            version=version,
            built_at=started,
            published=FrozenBitMap(published),
            with_outcomes=FrozenBitMap(with_outcomes),
            by_value={
                name: {value: FrozenBitMap(ids) for value, ids in values.items()}
                for name, values in by_value.items()
            },
            terms=terms,
            regions=regions,
            economy_region=economy_region,
            apo_economies=frozenset(apo_economies),
        )
        return replace(bitmaps, digest=bitmaps._content_digest())

    # --- Selections ---------------------------------------------------------------------------------

    def cases_of(self, queryset) -> FrozenBitMap:
        """The published cases among `queryset`'s (any queryset of cases, annotated or filtered)."""
        return FrozenBitMap(BitMap(ids_of(queryset)) & self.published)

    def select(self, filterset, *, exclude=()) -> FrozenBitMap:
        """The cases a valid CaseStudyFilterSet over published cases selects, ignoring the parameters in
        `exclude` (as facet counts do)."""
        queryset = filterset.queryset
        whole_catalogue = filterset.covers_whole_catalogue()
        data = filterset.form.cleaned_data
        ordering_only = (*filterset.ORDERING_PARAMETERS, *exclude)
        given = [name for name, value in data.items() if name not in ordering_only and is_given(value)]
        if whole_catalogue and not given:
            return self.published  # the library's unfiltered selection: no need to ask the database
        others = [name for name in given if name != "q"]
        # Facets and years over every published case: intersected here, without asking the database.
        selected = self.selected_by_values(filterset, others) if whole_catalogue else None
        if selected is not None and not exclude and filterset.search_words:
            # Before the words are understood: whether a reading of them finds anything is then told by the
            # one query finding its matches, which the counts below need anyway.
            filterset.use_catalogue_search(
                matches=self.search_matches, within=selected, tagged_cases=self.tagged
            )
        if not filterset.search_words or not filterset.understood_search().query:
            # No words, or nothing searchable in them (only punctuation): every case matches them.
            if selected is not None:
                return selected
            return self.cases_of(filterset.filter_queryset_without(queryset, exclude=exclude))
        if not whole_catalogue:
            with full_text_index_preferred():
                return self.cases_of(filterset.filter_queryset_without(queryset, exclude=exclude))
        # The words' matches come from the search module's own index (on PostgreSQL a narrow table, not
        # the wide case table), once per FilterSet; the other parameters from SQL without the words.
        searched = BitMap(filterset.search_case_ids(tagged_cases=self.tagged)) & self.published
        if not others:
            return FrozenBitMap(searched)
        if selected is None:
            selected = self.cases_of(
                filterset.filter_queryset_without(queryset, exclude=exclude, search=False)
            )
        return FrozenBitMap(searched & selected)

    def search_matches(self, query) -> FrozenBitMap:
        """The published cases matching a search query (cases.search.engine.matching_case_ids), with the
        tagged cases of the terms it names from memory. A query with nothing searchable in it (only
        punctuation, only stop words) matches every case."""
        if not as_query(query):
            return self.published
        return FrozenBitMap(BitMap(matching_case_ids(query, tagged_cases=self.tagged)) & self.published)

    def selected_by_values(self, filterset, names) -> FrozenBitMap | None:
        """The published cases that the parameters `names` of a valid FilterSet select, intersected from the
        bitmaps (AND across parameters, OR within one), as the FilterSet's own filters would select them in
        SQL: every facet (cases/models/facets.py) and the years. None when one of them is something else
        (the API's `updated_since`), which only the database can answer."""
        data = filterset.form.cleaned_data
        selected = BitMap(self.published)
        for name in names:
            value = data[name]
            facet = FACETS_BY_PARAMETER.get(name)
            if name in ("year_from", "year_to"):
                years = [
                    year
                    for year in self.by_value["year"]
                    if year is not None and (year >= value if name == "year_from" else year <= value)
                ]
                selected &= self.cases_with("year", years)
            elif name == METHOD:  # published methods, as the FilterSet's model instances
                selected &= self.cases_with(METHOD, [method.pk for method in value])
            elif facet is None:
                return None
            elif facet.kind == RELATED_COLUMN:  # a region: the cases of its economies
                codes = {str(code) for code in value}
                economies = [pk for pk, code in self.economy_region.items() if code in codes]
                selected &= self.cases_with(facet.counted_through, economies)
            elif facet.kind in (TERMS, FOREIGN_KEY):  # terms, as the FilterSet's model instances
                selected &= self.cases_with(name, [term.pk for term in value])
            else:  # a fixed choice, by its code
                selected &= self.cases_with(name, value)
        return FrozenBitMap(selected)

    def cases_with(self, parameter: str, keys) -> BitMap:
        """The published cases with any of the `keys` (pks, codes or years) of `parameter`."""
        cases = BitMap()
        for key in keys:
            cases |= self.by_value[parameter].get(key, FrozenBitMap())
        return cases

    def tagged(self, tags) -> BitMap:
        """The published cases tagged with any of `tags` ({(facet parameter, value as in URLs)}, as a search
        concept names them: cases.search.query.tagged_condition says the same in SQL)."""
        cases = BitMap()
        for parameter, value in tags:
            facet = FACETS_BY_PARAMETER[parameter]
            if facet.kind == RELATED_COLUMN:  # a region: the cases of its economies
                economies = [pk for pk, code in self.economy_region.items() if code == value]
                cases |= self.cases_with(facet.counted_through, economies)
            elif parameter in self.terms:
                terms = [pk for pk, term in self.terms[parameter].items() if term.value == str(value)]
                cases |= self.cases_with(parameter, terms)
            else:
                cases |= self.cases_with(parameter, [value])
        return cases

    def counts(self, parameter: str, selection) -> dict:
        """{value key: how many of `selection` have it}, leaving out zeros."""
        counts = {}
        for key, cases in self.by_value[parameter].items():
            n = selection.intersection_cardinality(cases)
            if n:
                counts[key] = n
        return counts

    def counts_by_value(self, parameter: str, selection) -> dict[str, int]:
        """{value as in URLs: how many of `selection` have it} for a library parameter: economy (ISO
        code), region (sub-region code), sector, theme, facet (slugs), sdg (number), level, stage."""
        if FACETS_BY_PARAMETER[parameter].kind == RELATED_COLUMN:  # the region: counted by economy
            totals = {}
            for pk, n in self.counts(FACETS_BY_PARAMETER[parameter].counted_through, selection).items():
                code = self.economy_region[pk]
                totals[code] = totals.get(code, 0) + n
            return totals
        counts = self.counts(parameter, selection)
        if parameter in self.terms:
            return {self.terms[parameter][pk].value: n for pk, n in counts.items()}
        return {str(key): n for key, n in counts.items()}


def is_given(value) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    if hasattr(value, "__len__"):
        return len(value) > 0
    return value is not None


def ids_of(queryset, column: str = "pk") -> list[int]:
    """The `column` values (ids) of `queryset`'s rows; on PostgreSQL as one array (faster than rows)."""
    queryset = queryset.order_by().values(column)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.aggregates import ArrayAgg

        return queryset.aggregate(ids=ArrayAgg(column, default=[]))["ids"]
    return [row[column] for row in queryset.iterator(chunk_size=10_000)]


def ids_grouped_by(queryset, columns: list[str], ids_column: str):
    """Rows of (*values of `columns`, [ids_column values]) for `queryset`, one per distinct `columns`.

    PostgreSQL gathers each group's ids into an array (one short row per group); elsewhere the rows are
    read one by one and gathered here. The result is the same.
    """
    if connection.vendor == "postgresql":
        from django.contrib.postgres.aggregates import ArrayAgg

        return queryset.values_list(*columns).annotate(ids=ArrayAgg(ids_column)).order_by()
    groups = {}
    for *values, pk in queryset.values_list(*columns, ids_column).iterator(chunk_size=10_000):
        groups.setdefault(tuple(values), []).append(pk)
    return [(*values, ids) for values, ids in groups.items()]


# --- Buckets as the API gives them -----------------------------------------------------------------


def choice_buckets(counts: dict, choices) -> list[dict]:
    return [
        {"value": code, "label": str(choices(code).label), "count": n}
        for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def term_buckets(bitmaps: CatalogueBitmaps, parameter: str, counts: dict, *, by_number=False) -> list[dict]:
    """Most cases first, ties by name (as the database orders names); SDGs by their number instead."""
    terms = bitmaps.terms[parameter]
    if by_number:
        ordered = sorted(counts.items(), key=lambda item: terms[item[0]].position)
    else:
        ordered = sorted(counts.items(), key=lambda item: (-item[1], terms[item[0]].name_rank))
    return [{"value": terms[pk].value, "label": terms[pk].label, "count": n} for pk, n in ordered]

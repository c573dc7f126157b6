"""Related cases: for each case, the published cases that share the most vocabulary and methods with it and
(where the search backend can score it) the most words of its title and summary; computed off the request
path and stored in RelatedCase (cases/models/related.py), which the case page reads in one query, with why
each case is there (the shared methods and terms, the strongest reason first).

Scoring every case in a large catalogue for each case is too slow, so the candidates are first narrowed to
the cases sharing the most themes, sectors, facets and published methods (an aggregate over the through
tables and CaseMethod), and only those are ranked by text likeness (the search engine's, on PostgreSQL and
SQLite alike). A refresh of a few cases aggregates in SQL (50-250 ms a case at 100,000 cases); a refresh of
many reads every term's cases once into bitmaps and finds each case's candidates in memory (about 1 ms a
case), the same candidates.

When lists are refreshed (docs/caching.md, "Related cases"):
- after every committed write to a case (its row, its themes, sectors or facets, or its methods' rows:
  cases/signals.py), the task cases.tasks.refresh_related_lists recomputes that case's list and marks stale
  the lists it is on and, if it is published, the lists of the cases on its own list (the likeliest to take
  it in now);
- `manage.py refresh_related --stale` (scheduled every few minutes) refreshes every stale list and every
  published case's missing one; `manage.py refresh_related` (daily) refreshes them all, the only way a
  newly published case reaches the lists of cases that are not on its own list. generate_cases and
  load_demo run `--stale`.
A case that leaves publication disappears from every list at once without any refresh: the page's read
keeps only cases published now (RelatedCase.objects.shown_on). So does a method from the reasons: the read
names only methods published now; a method's publication or unpublication changes the scores when the lists
are next computed (a write to one of its cases, or the daily refresh of them all).
"""

import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from pyroaring import BitMap

from cases.models import CaseMethod, CaseStudy, EntryStatus, Method, MethodRole, RelatedCase, RelatedCaseList
from cases.models.related import (
    KEPT,
    REASON_ECONOMY,
    REASON_FACETS,
    REASON_METHODS,
    REASON_TEXT,
    REASON_VOCABULARY,
    TEXT_ALIKE_SCORE,
)
from cases.search.engine import among, text_likeness
from cases.search.query import words_of

CANDIDATES = 200
# How much a shared term counts: themes say most about what a case is like.
WEIGHTS = {"themes": 3, "sectors": 2, "facets": 1}
# How much a published method both cases used counts (issue 18): as much as a shared theme, for a method
# says how a case was done as a theme says what it was about; and MAIN_METHOD_WEIGHT more for each of the two
# cases whose main method it is (both: 5, more than any one term), since a method merely also used says
# less. A method that is not published counts for nothing: the public cannot see it.
METHOD_WEIGHT = 3
MAIN_METHOD_WEIGHT = 1
# The sets of ids terms_of() gives each case: its terms of each vocabulary, its published methods and,
# among them, its main ones.
TERM_SETS = (*WEIGHTS, "methods", "main_methods")
# What the same primary economy adds, and how much a text likeness of 1 (the best) is worth.
ECONOMY_WEIGHT = 1
TEXT_WEIGHT = 10
# Cases computed and stored together (one transaction each).
BATCH_SIZE = 500
# The candidates of this many combinations of themes, sectors and facets are kept during one refresh.
REMEMBERED_COMBINATIONS = 5000
# The written cases whose lists a write's task recomputes: the default task backend runs it in the writer's
# request, and each list costs an aggregate over every link row of its terms (50-250 ms at 100,000 cases).
# A bulk import's cases beyond these, and every list marked stale, wait for `refresh_related --stale`.
WRITTEN_PER_WRITE = 20
# The kinds of reason a row gives, in the order they are told when they added as much to the score.
REASON_ORDER = (REASON_METHODS, REASON_VOCABULARY, REASON_TEXT, REASON_FACETS, REASON_ECONOMY)
# Reasons are told the strongest first within tiers: first what names something the reader can check (the
# methods, the sectors and themes), then the likeness of the texts (the search engine's judgement, however
# much it added), then the weak ones (a facet or the economy adds 1).
REASON_TIERS = {
    REASON_METHODS: 0,
    REASON_VOCABULARY: 0,
    REASON_TEXT: 1,
    REASON_FACETS: 2,
    REASON_ECONOMY: 2,
}
# Ids per query when reading the terms of many cases.
IDS_PER_QUERY = 1000
# From this many cases a refresh finds candidates in memory (_CandidatesInMemory: reading every term's
# cases once took 0.7-0.8 s at 100,000 cases, as long as 5 to 10 aggregates in SQL).
IN_MEMORY_FROM = 20


def _relation_columns(relation: str) -> tuple[str, str, str]:
    """(through table, its case column, its term column) of a many-to-many vocabulary of cases."""
    field = CaseStudy._meta.get_field(relation)
    through = field.remote_field.through
    own = through._meta.get_field(field.m2m_field_name()).column
    other = through._meta.get_field(field.m2m_reverse_field_name()).column
    return through._meta.db_table, own, other


def _method_links_sql() -> tuple[str, str, str, str, list]:
    """(FROM clause of the links of cases to published methods, as `l` joined to `m`, the link's case column,
    its method column, its role column, the clause's parameters)."""
    links, methods = CaseMethod._meta, Method._meta
    case, method, role = (links.get_field(name).column for name in ("case", "method", "role"))
    from_clause = (
        f"{links.db_table} l INNER JOIN {methods.db_table} m ON m.{methods.pk.column} = l.{method} "
        f"AND m.{methods.get_field('status').column} = %s"
    )
    return from_clause, f"l.{case}", f"l.{method}", f"l.{role}", [EntryStatus.PUBLISHED.value]


def terms_of(case_ids: Iterable[int]) -> dict[int, dict[str, frozenset[int]]]:
    """{case id: {"themes": ids, "sectors": ids, "facets": ids, "methods": ids, "main_methods": ids}} for
    `case_ids` (methods: the published ones it used; main_methods: those among them it names its main), in
    one query per IDS_PER_QUERY cases (every case given is in the answer, with empty sets if it has none)."""
    ids = sorted(set(case_ids))
    found = {pk: {name: set() for name in TERM_SETS} for pk in ids}
    links, case, method, role, link_params = _method_links_sql()
    for start in range(0, len(ids), IDS_PER_QUERY):
        chunk = ids[start : start + IDS_PER_QUERY]
        placeholders = ", ".join(["%s"] * len(chunk))
        parts, params = [], []
        for number, relation in enumerate(WEIGHTS):
            table, own, other = _relation_columns(relation)
            parts.append(f"SELECT {own}, {number}, {other} FROM {table} WHERE {own} IN ({placeholders})")
            params += chunk
        number = len(WEIGHTS)
        parts.append(f"SELECT {case}, {number}, {method} FROM {links} WHERE {case} IN ({placeholders})")
        params += [*link_params, *chunk]
        parts.append(
            f"SELECT {case}, {number + 1}, {method} FROM {links} "
            f"WHERE {role} = %s AND {case} IN ({placeholders})"
        )
        params += [*link_params, MethodRole.PRIMARY.value, *chunk]
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            for case_id, number, term_id in cursor.fetchall():
                found[case_id][TERM_SETS[number]].add(term_id)
    return {pk: {name: frozenset(terms) for name, terms in sets.items()} for pk, sets in found.items()}


def method_weight(own_main: bool, their_main: bool) -> int:
    """What a published method two cases both used adds to their vocabulary score."""
    return METHOD_WEIGHT + MAIN_METHOD_WEIGHT * (int(own_main) + int(their_main))


def _signature(terms: dict[str, frozenset[int]]) -> tuple:
    return tuple(tuple(sorted(terms[name])) for name in TERM_SETS)


def _candidate_scores(terms: dict[str, frozenset[int]], *, limit: int) -> list[tuple[int, int]]:
    """[(case id, vocabulary score)] for the `limit` cases sharing the most terms and published methods with
    `terms` (ties: the newest id first), whatever their status: the ranking keeps the published ones."""
    parts, params = [], []
    for relation, weight in WEIGHTS.items():
        ids = sorted(terms[relation])
        if not ids:
            continue
        table, own, other = _relation_columns(relation)
        placeholders = ", ".join(["%s"] * len(ids))
        parts.append(
            f"SELECT {own} AS case_id, {int(weight)} AS weight FROM {table} WHERE {other} IN ({placeholders})"
        )
        params += ids
    # The case's methods are published ones (terms_of): every link to them is a link to a published method.
    # Each link weighs by the method's role in the case (one branch for its main methods, one for the others)
    # and in the link's own case (its role column).
    links = CaseMethod._meta
    table, case, method, role = (
        links.db_table,
        *(links.get_field(name).column for name in ("case", "method", "role")),
    )
    main = terms["main_methods"]
    for own_main, ids in ((True, sorted(main)), (False, sorted(terms["methods"] - main))):
        if not ids:
            continue
        placeholders = ", ".join(["%s"] * len(ids))
        parts.append(
            f"SELECT {case} AS case_id, CASE WHEN {role} = %s THEN {method_weight(own_main, True)} "
            f"ELSE {method_weight(own_main, False)} END AS weight "
            f"FROM {table} WHERE {method} IN ({placeholders})"
        )
        params += [MethodRole.PRIMARY.value, *ids]
    if not parts:
        return []
    sql = (
        f"SELECT case_id, SUM(weight) AS score FROM ({' UNION ALL '.join(parts)}) AS shared "
        f"GROUP BY case_id ORDER BY score DESC, case_id DESC LIMIT {int(limit)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class _Candidates:
    """The candidates of each combination of terms, computed once and remembered for a while (a refresh of
    100,000 generated cases meets some combinations again and again)."""

    def __init__(self, size: int = REMEMBERED_COMBINATIONS):
        self.size = size
        self.remembered: OrderedDict = OrderedDict()

    def of(self, case_id: int, terms: dict[str, frozenset[int]]) -> dict[int, int]:
        """{case id: vocabulary score} of the CANDIDATES cases sharing the most terms with `case_id`
        (itself excluded)."""
        key = _signature(terms)
        scores = self.remembered.get(key)
        if scores is None:
            # One more than needed: a case is among its own candidates, and is then left out.
            scores = _candidate_scores(terms, limit=CANDIDATES + 1)
            self.remembered[key] = scores
            if len(self.remembered) > self.size:
                self.remembered.popitem(last=False)
        else:
            self.remembered.move_to_end(key)
        return dict([(pk, score) for pk, score in scores if pk != case_id][:CANDIDATES])


def _add(slices: list[BitMap], members: BitMap, bit: int) -> None:
    """Add 2**bit to the score of each case of `members` in the bit-sliced scores `slices` (slice i holds
    the cases whose score has bit i set): a binary addition with carry, a bitmap at a time."""
    carry = members
    while carry:
        while bit >= len(slices):
            slices.append(BitMap())
        slices[bit], carry = slices[bit] ^ carry, slices[bit] & carry
        bit += 1


class _CandidatesInMemory:
    """The same candidates as _Candidates, found in memory: every term's cases as a bitmap (read once, a
    query per vocabulary), each case's vocabulary scores summed bitmap by bitmap and the best taken bit by
    bit, from the highest. For a refresh of many cases: at 100,000 cases the aggregate took 50 to 90 ms a
    case in SQL (it reads every link row of the case's terms, about 47,000), this about 1 ms once the
    bitmaps are read (a second or two)."""

    def __init__(self):
        self.cases_of: dict[str, dict[int, BitMap]] = {}
        links, case, method, role, params = _method_links_sql()
        queries = {
            relation: (f"SELECT {other}, {own} FROM {table} ORDER BY {other}, {own}", [])
            for relation, (table, own, other) in ((name, _relation_columns(name)) for name in WEIGHTS)
        }
        # Each published method's cases, and those of them whose main method it is.
        queries["methods"] = (f"SELECT {method}, {case} FROM {links} ORDER BY {method}, {case}", params)
        queries["main_methods"] = (
            f"SELECT {method}, {case} FROM {links} WHERE {role} = %s ORDER BY {method}, {case}",
            [*params, MethodRole.PRIMARY.value],
        )
        with connection.cursor() as cursor:
            for name, (sql, sql_params) in queries.items():
                cursor.execute(sql, sql_params)
                cases_of = defaultdict(BitMap)
                for term, rows in groupby(cursor.fetchall(), key=itemgetter(0)):
                    cases_of[term] = BitMap(row[1] for row in rows)
                self.cases_of[name] = cases_of

    def of(self, case_id: int, terms: dict[str, frozenset[int]]) -> dict[int, int]:
        weighted = [
            (weight, self.cases_of[relation][term])
            for relation, weight in WEIGHTS.items()
            for term in sorted(terms[relation])
            if term in self.cases_of[relation]
        ]
        # A method adds its weight as used by the other case at all, and the difference a main method makes
        # to the cases whose main method it is: the weights the SQL's CASE gives each link.
        for method in sorted(terms["methods"]):
            own_main = method in terms["main_methods"]
            if method in self.cases_of["methods"]:
                weighted.append((method_weight(own_main, False), self.cases_of["methods"][method]))
            if method in self.cases_of["main_methods"]:
                extra = method_weight(own_main, True) - method_weight(own_main, False)
                weighted.append((extra, self.cases_of["main_methods"][method]))
        slices: list[BitMap] = []
        sharing = BitMap()
        for weight, members in weighted:
            sharing |= members
            for bit in range(weight.bit_length()):
                if weight >> bit & 1:
                    _add(slices, members, bit)
        sharing.discard(case_id)
        # The best CANDIDATES: `greater` holds cases certainly among them, `equal` the cases still tied on
        # the bits seen so far; at the end `equal` holds the cases of the lowest score taken, of which the
        # newest ids are taken, as the SQL's ORDER BY score DESC, case_id DESC does.
        greater, equal = BitMap(), sharing
        for bit in reversed(range(len(slices))):
            with_bit = equal & slices[bit]
            if len(greater) + len(with_bit) >= CANDIDATES:
                equal = with_bit
            else:
                greater |= with_bit
                equal = equal - with_bit
        wanted = CANDIDATES - len(greater)
        chosen = list(greater) + (list(equal[-wanted:]) if wanted > 0 else [])
        scores = [(sum(weight for weight, members in weighted if pk in members), pk) for pk in chosen]
        scores.sort(reverse=True)
        return {pk: score for score, pk in scores[:CANDIDATES]}


@dataclass(frozen=True)
class Ranked:
    related_id: int
    score: float
    vocabulary_score: int
    same_economy: bool


def case_words(case: CaseStudy) -> list[str]:
    """The words of `case`'s title and summary its likeness to others is scored by: the first 12 of four
    letters or more."""
    return [word for word in words_of(f"{case.title} {case.summary}") if len(word) > 3 and word.isalpha()][
        :12
    ]


def ranked_related(case: CaseStudy, scores: dict[int, int], *, limit: int) -> list[Ranked]:
    """The `limit` published cases among the candidates `scores` most like `case`: vocabulary score, plus
    ECONOMY_WEIGHT for the same primary economy, plus TEXT_WEIGHT times the likeness of their titles and
    summaries to `case`'s (the search engine's own scoring); ties go to the most recently published, then
    the newest. One query, for the likeness; the sum and the order are Python's, in the same floating-point
    operations the database made when the page computed them (a 200-branch CASE cost more to build and
    compile in the ORM than the database took to run the query)."""
    if not scores:
        return []
    candidates = among(CaseStudy.objects.published(), scores).order_by()
    likeness = text_likeness(case_words(case))
    if likeness is None:
        rows = [(*row, None) for row in candidates.values_list("pk", "economy_id", "published_at")]
    else:
        rows = candidates.annotate(likeness=likeness).values_list(
            "pk", "economy_id", "published_at", "likeness"
        )
    ranked = []
    for pk, economy_id, published_at, text in rows:
        same_economy = economy_id == case.economy_id
        vocabulary_score = scores[pk] + (ECONOMY_WEIGHT if same_economy else 0)
        relevance = float(vocabulary_score) if text is None else vocabulary_score + text * TEXT_WEIGHT
        ranked.append((relevance, published_at, pk, vocabulary_score, same_economy))
    ranked.sort(reverse=True)
    return [
        Ranked(pk, relevance, vocabulary, same) for relevance, _at, pk, vocabulary, same in ranked[:limit]
    ]


def compute_related(case_ids: Iterable[int], *, limit: int = KEPT) -> dict[int, list[RelatedCase]]:
    """{case id: its related cases as unsaved RelatedCase rows, best first} for the cases of `case_ids`
    that exist (any status: a draft's list is ready for its preview and its publication)."""
    cases = list(CaseStudy.objects.filter(pk__in=list(case_ids)).only("pk", "title", "summary", "economy_id"))
    return _compute(cases, limit=limit, candidates=_Candidates())


def _compute(cases: list[CaseStudy], *, limit: int, candidates) -> dict[int, list[RelatedCase]]:
    terms = terms_of(case.pk for case in cases)
    ranked = {
        case.pk: ranked_related(case, candidates.of(case.pk, terms[case.pk]), limit=limit) for case in cases
    }
    # The terms of every related case, to say which of the case's own they share.
    related_terms = terms_of({row.related_id for rows in ranked.values() for row in rows})
    return {
        case.pk: [
            _row(case.pk, rank, row, terms[case.pk], related_terms[row.related_id])
            for rank, row in enumerate(ranked[case.pk], start=1)
        ]
        for case in cases
    }


def _row(case_id: int, rank: int, row: Ranked, own: dict, theirs: dict) -> RelatedCase:
    """The stored row of `row`, with what the two cases share and the kinds of reason, the strongest first
    (by REASON_TIERS, then by what each added to the score; on a tie, in the order of REASON_ORDER)."""
    shared = {name: own[name] & theirs[name] for name in (*WEIGHTS, "methods")}
    methods = {
        pk: method_weight(pk in own["main_methods"], pk in theirs["main_methods"]) for pk in shared["methods"]
    }
    # What the text added: the score less the vocabulary's part (0 where there is no likeness).
    text_score = max(0.0, row.score - row.vocabulary_score)
    added = {
        REASON_METHODS: sum(methods.values()),
        REASON_VOCABULARY: sum(WEIGHTS[name] * len(shared[name]) for name in ("themes", "sectors")),
        # Alike only from TEXT_ALIKE_SCORE: any word in common adds a little.
        REASON_TEXT: text_score if text_score >= TEXT_ALIKE_SCORE else 0,
        REASON_FACETS: WEIGHTS["facets"] * len(shared["facets"]),
        REASON_ECONOMY: ECONOMY_WEIGHT if row.same_economy else 0,
    }
    kinds = [kind for kind in REASON_ORDER if added[kind] > 0]
    kinds.sort(key=lambda kind: (REASON_TIERS[kind], -added[kind]))
    return RelatedCase(
        case_id=case_id,
        related_id=row.related_id,
        rank=rank,
        score=row.score,
        shared_themes=sorted(shared["themes"]),
        shared_sectors=sorted(shared["sectors"]),
        shared_facets=sorted(shared["facets"]),
        # The strongest first: a main method of both, then of one; then by id, for a definite order.
        shared_methods=sorted(methods, key=lambda pk: (-methods[pk], pk)),
        same_economy=row.same_economy,
        text_score=text_score,
        reason_kinds=kinds,
    )


def _store(lists: dict[int, list[RelatedCase]], *, computed_at) -> int:
    """Replace the lists of the cases in `lists` by these rows, in one transaction. Returns the rows."""
    ids = list(lists)
    if not ids:
        return 0
    rows = [row for case_rows in lists.values() for row in case_rows]
    with transaction.atomic():
        # The lists' own rows first, in id order: writing them locks each case's list until the commit, so
        # two refreshes of one case (a write's task and the command) take turns instead of both inserting
        # its rows, and never lock two cases in opposite orders.
        RelatedCaseList.objects.bulk_create(
            [RelatedCaseList(case_id=pk, computed_at=computed_at, stale=False) for pk in sorted(ids)],
            update_conflicts=True,
            unique_fields=["case"],
            update_fields=["computed_at", "stale"],
        )
        # A plain DELETE: the catalogue's delete signals (cases/signals.py) listen to every model, so the
        # ORM's delete would load each row first to send them, for rows nobody listens to.
        placeholders = ", ".join(["%s"] * len(ids))
        case_column = RelatedCase._meta.get_field("case").column
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {RelatedCase._meta.db_table} WHERE {case_column} IN ({placeholders})", ids
            )
        RelatedCase.objects.bulk_create(rows)
    return len(rows)


@dataclass
class Refreshed:
    lists: int = 0
    rows: int = 0


def refresh_related(
    case_ids: Iterable[int],
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int, Refreshed], None] | None = None,
    in_memory: bool | None = None,
) -> Refreshed:
    """Recompute and store the related lists of the cases of `case_ids` that exist, `batch_size` at a time
    (each batch stored in one transaction, so a page reads a case's old list or its new one, never half).
    `progress(done, total, refreshed)` is called after each batch. Candidates are found in memory
    (`in_memory`) by default from IN_MEMORY_FROM cases; the lists are the same either way."""
    ids = sorted(set(case_ids))
    refreshed = Refreshed()
    if in_memory is None:
        in_memory = len(ids) >= IN_MEMORY_FROM
    candidates = _CandidatesInMemory() if in_memory else _Candidates()
    for start in range(0, len(ids), batch_size):
        # Taken before computing: a write that commits meanwhile leaves the list older than the case.
        computed_at = timezone.now()
        cases = list(
            CaseStudy.objects.filter(pk__in=ids[start : start + batch_size]).only(
                "pk", "title", "summary", "economy_id"
            )
        )
        lists = _compute(cases, limit=KEPT, candidates=candidates)
        refreshed.rows += _store(lists, computed_at=computed_at)
        refreshed.lists += len(lists)
        if progress is not None:
            progress(min(start + batch_size, len(ids)), len(ids), refreshed)
    return refreshed


def tidy_tables() -> None:
    """After a refresh of every list: the planner's statistics of the two tables, and on PostgreSQL, outside
    a transaction, the space of the rows it replaced (VACUUM: every row was, so half the table was dead)."""
    with connection.cursor() as cursor:
        for model in (RelatedCase, RelatedCaseList):
            table = model._meta.db_table
            if connection.vendor == "postgresql" and not connection.in_atomic_block:
                cursor.execute(f"VACUUM (ANALYZE) {table}")
            else:
                cursor.execute(f"ANALYZE {table}")


def stale_case_ids(*, limit: int | None = None) -> list[int]:
    """The published cases whose list should be refreshed: never computed, marked stale, or computed before
    the case's last change (a write that bypassed the task: a bulk load, QuerySet.update()). Marked stale
    ones first, oldest first; `limit` at most."""
    stale = (
        CaseStudy.objects.published()
        .filter(
            Q(related_list__isnull=True)
            | Q(related_list__stale=True)
            | Q(related_list__computed_at__lt=F("updated_at"))
        )
        .order_by(F("related_list__computed_at").asc(nulls_last=True), "pk")
        .values_list("pk", flat=True)
    )
    return list(stale if limit is None else stale[:limit])


def mark_stale(case_ids: Iterable[int]) -> int:
    """Mark the lists of `case_ids` stale (kept and shown until refreshed). Returns how many were."""
    ids = sorted(set(case_ids))
    if not ids:
        return 0
    with transaction.atomic():
        # Locked in id order, as a refresh locks them (_store): the two never wait for each other in a circle.
        lists = RelatedCaseList.objects.select_for_update().filter(case_id__in=ids, stale=False)
        locked = list(lists.order_by("case_id").values_list("case_id", flat=True))
        return RelatedCaseList.objects.filter(case_id__in=locked).update(stale=True)


def refresh_after_write(case_ids: Iterable[int], *, written_limit: int = WRITTEN_PER_WRITE) -> dict:
    """What follows a committed write to the cases `case_ids` (their row, themes, sectors, facets or methods):

    - their own lists are recomputed (at most `written_limit`; the others are marked stale);
    - the lists they are on are marked stale (the spare cases already stand in for one that left
      publication, and a changed case may rank differently);
    - for those published now, so are the lists of the cases on their own lists, before and after:
      relatedness is nearly symmetric, so those cases are the likeliest to take a newly published or
      changed case in (a draft, which no list shows, moves nobody's list).

    Lists marked stale are refreshed by `refresh_related --stale`, never here: each costs as much as a
    written case's, and the writer may be waiting. A deleted case's list, and its place on others', went
    with it (on delete cascade)."""
    started = time.perf_counter()
    ids = sorted(set(case_ids))
    now, later = set(ids[:written_limit]), set(ids[written_limit:])
    published = set(CaseStudy.objects.published().filter(pk__in=ids).values_list("pk", flat=True))

    def neighbours() -> set[int]:
        on_their_lists = RelatedCase.objects.filter(related__in=ids).values_list("case", flat=True)
        on_own_lists = RelatedCase.objects.filter(case__in=published).values_list("related", flat=True)
        return set(on_their_lists) | set(on_own_lists)

    around = neighbours()
    written = refresh_related(now)
    around |= neighbours()
    marked = mark_stale((around - now) | later)
    return {
        "written": written.lists,
        "left_stale": len(later),
        "marked_stale": marked,
        "seconds": round(time.perf_counter() - started, 3),
    }

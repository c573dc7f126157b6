"""Caching of expensive reads (facet counts, result counts, pages of results, whole pages). (Related cases are
not cached but precomputed in a table: cases/search/related.py.)

Every key carries the *catalogue version*: one number in the database (cases.models.CatalogueState),
bumped by an UPDATE inside the same transaction as every write to a case or anything hanging off it
(cases/signals.py; writers that bypass signals call cases.tasks.catalogue_written). The bump commits or
rolls back with the write, whichever process makes it (admin, `manage.py shell`, an import, a task) and
whether or not the cache can be reached at that moment.

Every process reads the version from the database at most once every CATALOGUE_VERSION_TTL seconds (one
by default) and keeps it in memory meanwhile: a primary-key SELECT a second per process. So a committed
change reaches every process within that time, whether they share Redis or each keeps its own local
memory (REDIS_URL unset). When the database cannot be read, the last version read is kept, so pages cached
before an outage are still served. If the cache cannot be reached the site still answers, uncached: every
call here treats a cache failure as a miss.

A connection holding catalogue writes it has not committed yet sees them in what it reads: such reads are
neither taken from nor stored in the cache (nobody else may be served what could still roll back).

The vocabularies' terms are cached under a version of their own, the *vocabulary version*, read in the
same query and with the same time to live as the catalogue version but moved only by writes to the
vocabularies and economies: `vocabulary_snapshot` (cases/models/vocabularies.py) outlives every write to a
case, and a renamed term is seen as soon as any change to the catalogue is.

What no narrative section can change (the library's pages without a search, the profiles, the statistics,
their counts and pages of ids) is cached under the *listing version*, read with the others and moved by
every write except one that changes only the narrative sections of published cases or of their
translations (cases/signals.py tells): a curator's edit of a case's lessons leaves every listing cached,
while a search, which reads the narratives, and everything else keyed by the catalogue version is computed
afresh.

A case's own page (and its API record) is cached under a narrower key (`case_page_scope`): the case's
*stamp* (its public revision, and those of the cases its page shows, read in one query at most once per
time to live in each process) and the *case pages version*, which only writes that cannot name their cases
move (a term, an economy, a bulk write). A write to one case then leaves every other case's cached page.

`cached` is the one way to cache a read under the version; `SelectionPaginator` pages a selection of cases
with its total and page ids cached that way, for the library page and the API alike. docs/caching.md lists
every cached read, its key, its lifetime and what a deployment must provide.
"""

import datetime
import hashlib
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import DatabaseError, connections, router
from django.db.models import Case, F, IntegerField, Max, Subquery, Value, When
from django.db.models.functions import Now
from django.utils.functional import cached_property

from cases.models import (
    SDG,
    CaseLink,
    CaseStudy,
    CaseWithdrawal,
    CatalogueState,
    Economy,
    InnovationFacet,
    RelatedCase,
    Sector,
    Theme,
)
from cases.models.querysets import published_q
from cases.models.vocabularies import VocabularySnapshot

logger = logging.getLogger(__name__)

# A safety net: even if some write forgot to bump the version, nothing stays cached longer than this.
CACHE_SECONDS = 600
# How long a process trusts the version it last read (settings.CATALOGUE_VERSION_TTL overrides it).
VERSION_TTL_SECONDS = 1.0
# Set on a database connection whose open transaction has bumped the version (its writes not yet committed).
UNCOMMITTED = "catalogue_changes_uncommitted"
# Set as well when that transaction has bumped the vocabulary version.
VOCABULARIES_UNCOMMITTED = "vocabulary_changes_uncommitted"

# ((version, vocabulary version, case pages version, listing version), time.monotonic() when read) in this
# process; shared by its threads.
_known = None
# The vocabulary snapshot this process used last.
_snapshot = None
# Case page scopes this process read last: {slug: (scope, time.monotonic() when read)}, the oldest first.
_scopes: dict = {}
SCOPES_KEPT = 10_000
# time.monotonic() when a read of the catalogue's state or of a stamp last failed: for a time to live the
# database is not asked for stamps again (a hung one would cost every case page a timeout).
_failed_at = -math.inf


def _safe(call, default=None):
    try:
        return call()
    except Exception as error:
        logger.warning("Cache unavailable, answering uncached: %s", error)
        return default


def _writer():
    return connections[router.db_for_write(CatalogueState)]


def _in_transaction(connection) -> bool:
    """Inside a transaction the application opened. The blocks Django's TestCase wraps each test in do not
    count: to the code under test they are the outside of every transaction (as for Django's `durable`)."""
    return any(not block._from_testcase for block in connection.atomic_blocks)


State = tuple[int, int, int, int]  # (catalogue, vocabulary, case pages and listing versions)


def _remember(state: State, *, read_at: float) -> State:
    global _known
    _known = (state, read_at)
    return state


def forget_catalogue_version() -> None:
    """Make this process read the version from the database next time (it keeps the last one known, for
    an outage), and the vocabulary snapshot from the shared cache (its copy in memory is only ever a
    copy of the one there)."""
    global _snapshot
    _snapshot = None
    _scopes.clear()
    if _known is not None:
        _remember(_known[0], read_at=-math.inf)


def _read_state() -> State:
    row = CatalogueState.objects.filter(id=CatalogueState.SINGLE_ROW).values_list(
        "version", "vocabulary_version", "case_pages_version", "listing_version"
    )
    # No row: a database whose tables were emptied (as between transactional tests), nothing written since.
    return next(iter(row), (0, 0, 0, 0))


def _catalogue_state() -> State:
    """(catalogue, vocabulary, case pages and listing versions), as this connection sees them: read
    from the database together at most once per CATALOGUE_VERSION_TTL in each process; during a database
    outage, the last ones read (DatabaseError if there are none)."""
    writer = _writer()
    if getattr(writer, UNCOMMITTED, False):
        if _in_transaction(writer):
            return _read_state()  # this transaction's own, uncommitted versions: never remembered
        # That transaction has ended, committed or rolled back.
        setattr(writer, UNCOMMITTED, False)
        setattr(writer, VOCABULARIES_UNCOMMITTED, False)
        forget_catalogue_version()
    known = _known
    now = time.monotonic()
    ttl = getattr(settings, "CATALOGUE_VERSION_TTL", VERSION_TTL_SECONDS)
    if known is not None and now - known[1] < ttl:
        return known[0]
    try:
        return _remember(_read_state(), read_at=now)
    except DatabaseError as error:
        global _failed_at
        _failed_at = now
        if known is None:
            raise
        logger.warning("Database unavailable, keeping catalogue version %s: %s", known[0][0], error)
        return _remember(known[0], read_at=now)  # asked again after the TTL, not on every call meanwhile


def catalogue_version() -> int:
    """The current catalogue version, as this connection sees it: read from the database at most once per
    CATALOGUE_VERSION_TTL in each process; during a database outage, the last one read (DatabaseError if
    there is none)."""
    return _catalogue_state()[0]


def vocabulary_version() -> int:
    """The current vocabulary version: read with the catalogue version (same query, same time to live)."""
    return _catalogue_state()[1]


def shared_catalogue_version() -> int | None:
    """The version to key shared cache entries by; None when nothing should be read from or stored in the
    cache: this connection holds uncommitted catalogue writes, or no version is known (database down)."""
    writer = _writer()
    if getattr(writer, UNCOMMITTED, False) and _in_transaction(writer):
        return None
    try:
        return catalogue_version()
    except DatabaseError:
        return None


def shared_listing_version() -> int | None:
    """The listing version to key shared cache entries by (what no narrative section can change); None
    when nothing should be read from or stored in the cache, as for shared_catalogue_version()."""
    if shared_catalogue_version() is None:
        return None
    try:
        return _catalogue_state()[3]
    except DatabaseError:
        return None


def case_page_scope(slug: str) -> str | None:
    """What the page of the published case `slug` (and its API record) is cached under, in place of the
    catalogue version: the case pages version and a digest of the case's *stamp*, read in one query: the
    public revision of the case and of every published case its page shows (its links, both ways, and its
    related cases, whose rows a refresh replaces). A write to the case, or to a case it shows, moves a
    revision; a link made or removed, a related list refreshed or a case shown leaving publication changes
    the rows. Like the catalogue version, each process reads a case's stamp at most once per
    CATALOGUE_VERSION_TTL, forgets them all when it writes, and keeps the last one read while the database
    cannot be read (not asking it again meanwhile). None when nothing may be cached (this connection holds
    uncommitted catalogue writes, or no stamp is known) or no published case has this slug (a former slug's
    redirect, a 404)."""
    global _failed_at
    if shared_catalogue_version() is None:
        return None
    now = time.monotonic()
    ttl = getattr(settings, "CATALOGUE_VERSION_TTL", VERSION_TTL_SECONDS)
    known = _scopes.get(slug)
    if known is not None and (now - known[1] < ttl or now - _failed_at < ttl):
        return known[0]
    if now - _failed_at < ttl:
        return None
    try:
        pages_version = _catalogue_state()[2]
        stamp = _read_stamp(slug)
    except DatabaseError as error:
        _failed_at = now
        logger.warning("Database unavailable, keeping the case page stamps known: %s", error)
        return known[0] if known is not None else None
    scope = None
    if stamp:
        digest = hashlib.sha256(repr(stamp).encode()).hexdigest()[:32]
        scope = f"case-page:{pages_version}:{digest}"
    _scopes.pop(slug, None)
    _scopes[slug] = (scope, now)
    while len(_scopes) > SCOPES_KEPT:
        try:
            _scopes.pop(next(iter(_scopes)), None)
        except (RuntimeError, StopIteration):  # another thread changed them meanwhile
            break
    return scope


# A slug no case has (a slug is letters, digits, - and _): compiled in place of the real one, once.
_SLUG_MARK = "\x00slug"
# The stamp query's SQL and parameters for each database alias, compiled once: building and compiling the
# UNION took longer than the database took to answer it (1.8 ms against 1.2 ms at 100,000 cases).
_stamp_statements: dict = {}


def _read_stamp(slug: str) -> list[tuple]:
    """The rows of _case_stamp_rows(slug), sorted, through a statement compiled once per database."""
    using = router.db_for_read(CaseStudy)
    statement = _stamp_statements.get(using)
    if statement is None:
        statement = _case_stamp_rows(_SLUG_MARK).using(using).query.sql_with_params()
        _stamp_statements[using] = statement
    sql, params = statement
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [slug if param == _SLUG_MARK else param for param in params])
        return sorted(tuple(row) for row in cursor.fetchall())


def _case_stamp_rows(slug: str):
    """(part, row id, public revision) of the published case `slug` and of what its page shows, one UNION
    query; no rows when it is not published."""

    def part(queryset, number: int, row: str, revision: str):
        kind = Value(number, output_field=IntegerField())
        return queryset.order_by().annotate(stamp_part=kind).values_list("stamp_part", row, revision)

    own = part(CaseStudy.objects.published().filter(slug=slug), 0, "id", "public_revision")
    related = RelatedCase.objects.filter(published_q("case"), published_q("related"), case__slug=slug)
    links = CaseLink.objects.filter(published_q("from_case"), published_q("to_case"))
    return own.union(
        part(related, 1, "id", "related__public_revision"),
        part(links.filter(from_case__slug=slug), 2, "id", "to_case__public_revision"),
        part(links.filter(to_case__slug=slug), 3, "id", "from_case__public_revision"),
        all=True,
    ).order_by()  # sorted by the caller; the model's default order names no column of the union


def shared_vocabulary_version() -> int | None:
    """The vocabulary version to key shared cache entries by; None when this connection holds uncommitted
    writes to the vocabularies (a write to cases only changes no term), or none is known (database down)."""
    writer = _writer()
    if getattr(writer, VOCABULARIES_UNCOMMITTED, False) and _in_transaction(writer):
        return None
    try:
        return vocabulary_version()
    except DatabaseError:
        return None


def _moved(field: str, clock: int) -> Case:
    """`field` moved on: to the clock, or one past its value if that is ahead (never a number used before)."""
    return Case(When(**{f"{field}__gte": clock}, then=F(field) + 1), default=Value(clock))


def catalogue_changed(*, vocabularies: bool = False, cases=None, narrative_only: bool = False) -> None:
    """Make every cached read stale, in the current transaction: call for any write to cases or what hangs
    off them (cases/signals.py does for every ORM write), with `vocabularies` for a write to a vocabulary's
    terms or an economy (which also makes the vocabulary snapshot stale). `cases`: the ids of the only
    cases whose own pages the write changes (their public revisions move, and every other case's cached
    page stays); None when it cannot tell, which makes every case page stale (the case pages version
    moves), as does a write to the vocabularies. `narrative_only`: the write changes nothing but the
    narrative sections of the `cases` named (or of their translations), which no listing shows: the
    listing version stays. Fails with the write if the database does."""
    writer = _writer()
    # Never a number used before: a version rolled back, or one a restored database once had, may still
    # key entries in a shared cache.
    clock = time.time_ns() // 1000
    state = CatalogueState.objects.using(writer.alias).filter(id=CatalogueState.SINGLE_ROW)
    bump = {"version": _moved("version", clock), "changed_at": Now()}
    if not (narrative_only and cases is not None and not vocabularies):
        bump["listing_version"] = _moved("listing_version", clock)
    if vocabularies:
        bump["vocabulary_version"] = _moved("vocabulary_version", clock)
    if vocabularies or cases is None:
        bump["case_pages_version"] = _moved("case_pages_version", clock)
    else:
        ids = {pk for pk in cases if pk is not None}
        if ids:
            CaseStudy._base_manager.using(writer.alias).filter(pk__in=ids).update(
                public_revision=_moved("public_revision", clock)
            )
    if not state.update(**bump):
        _state, created = CatalogueState.objects.using(writer.alias).get_or_create(
            id=CatalogueState.SINGLE_ROW,
            defaults={
                "version": clock,
                "vocabulary_version": clock,
                "case_pages_version": clock,
                "listing_version": clock,
            },
        )
        if not created:  # another writer put the row back meanwhile
            state.update(**bump)
    if _in_transaction(writer):
        setattr(writer, UNCOMMITTED, True)
        if vocabularies:
            setattr(writer, VOCABULARIES_UNCOMMITTED, True)
    else:
        forget_catalogue_version()  # committed already (autocommit): this process reads it at once


def _database() -> str:
    """Which database a cached entry describes: two catalogues sharing one cache (a staging copy, a
    benchmark, parallel test databases) never read each other's."""
    settings_dict = connections[router.db_for_read(CatalogueState)].settings_dict
    where = f"{settings_dict.get('HOST')}:{settings_dict.get('PORT')}/{settings_dict.get('NAME')}"
    return hashlib.sha256(where.encode()).hexdigest()[:12]


def vocabulary_snapshot() -> VocabularySnapshot:
    """Every term of every vocabulary (cases/models/vocabularies.py), for the current vocabulary version:
    from this process's memory, else from the shared cache, else read (one query) and stored for every
    process. Kept no longer than any cached read (CACHE_SECONDS, the safety net against a write that forgot
    to bump). Read afresh, and neither taken from nor stored in the cache, inside a transaction that has
    written to the vocabularies."""
    global _snapshot
    version = shared_vocabulary_version()
    if version is None:
        return VocabularySnapshot.load(CaseStudy)
    database = _database()
    memo = _snapshot
    if memo is not None and memo[0] == (database, version) and time.time() - memo[1].built_at < CACHE_SECONDS:
        return memo[1]
    shape = VocabularySnapshot.shape(CaseStudy)
    key = f"vocabularies:{VocabularySnapshot.FORMAT}:{shape}:{database}:{version}"
    snapshot = _safe(lambda: cache.get(key))
    if snapshot is None or time.time() - snapshot.built_at >= CACHE_SECONDS:
        snapshot = VocabularySnapshot.load(CaseStudy, version=version)
        _safe(lambda: cache.set(key, snapshot, CACHE_SECONDS))
    _snapshot = ((database, version), snapshot)
    return snapshot


def cached(name: str, parts, compute, *, timeout: int = CACHE_SECONDS, listing: bool = False):
    """compute(), cached under `name` and `parts` for the current catalogue version; with `listing`, for
    the current listing version: for a value no narrative section can change (a selection without a
    search: CaseStudyFilterSet.selects_by_listing_only)."""
    version = shared_listing_version() if listing else shared_catalogue_version()
    if version is None:
        return compute()
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    key = f"{name}:{'listing-' if listing else ''}{version}:{digest}"
    value = _safe(lambda: cache.get(key))
    if value is None:
        value = compute()
        _safe(lambda: cache.set(key, value, timeout))
    return value


# --- When the catalogue last changed -----------------------------------------------------------------

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def _latest(queryset, field: str):
    return Subquery(queryset.order_by(f"-{field}").values(field)[:1])


def _read_last_modified() -> datetime.datetime:
    latest = {
        "latest_cases": _latest(CaseStudy.objects.published(), "updated_at"),
        "latest_economies": _latest(Economy.objects.all(), "updated_at"),
        "latest_sectors": _latest(Sector.objects.all(), "updated_at"),
        "latest_themes": _latest(Theme.objects.all(), "updated_at"),
        "latest_facets": _latest(InnovationFacet.objects.all(), "updated_at"),
        "latest_withdrawals": _latest(CaseWithdrawal.objects.all(), "withdrawn_at"),
    }
    # The newest row of the smallest table carries every other table's latest change as a scalar subquery.
    row = SDG.objects.order_by("-updated_at").annotate(**latest).values("updated_at", *latest).first()
    if row is None:  # no SDGs at all (never after the reference data migration)
        row = CaseStudy.objects.published().aggregate(latest_cases=Max("updated_at"))
    moments = [moment for moment in row.values() if moment is not None]
    return max(moments, default=EPOCH)


def catalogue_last_modified() -> datetime.datetime:
    """When anything a public reader can see last changed (the latest change to a published case, a
    vocabulary term or a withdrawal record: the API's Last-Modified and ETag, cases/api/conditional.py), in
    one query, cached under the catalogue version, which every such change moves. The task run after each
    committed write reads it (cases/tasks.py), so readers find it cached."""
    return cached("last-modified", (), _read_last_modified)


# --- Pages of a selection ----------------------------------------------------------------------------


def filterset_selection(filterset) -> tuple:
    """What identifies the rows a FilterSet selects, as cache key parts: the model, the rows it starts from
    (the conditions of its queryset: the published cases) and its parameters (`cache_parts()`, which leaves
    out parameters not given). The library page (CaseStudyFilterSet) and the API (CaseStudyApiFilterSet,
    whose extra parameters count only when given) asking for the same cases get the same selection."""
    if not filterset.is_valid():
        # An invalid parameter is left out of cleaned_data: its request would take the key of the selection
        # without it, and cache what it shows (nothing, with its 400) as that selection's total and pages.
        return None
    base = filterset.queryset
    return (base.model._meta.label, str(base.query.where), filterset.cache_parts())


# Cases a page, wherever a selection is paged (the library page's `page_size`, the API's): the default, the
# most, and the sizes the library offers its readers.
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
PAGE_SIZE_CHOICES = (20, 50, 100)


class SelectionPaginator(Paginator):
    """Django's paginator, with the total and each page's ids cached per selection and catalogue version.

    `selection` says which rows `object_list` holds (`filterset_selection`); without one nothing is cached.
    The total is cached under the selection (key `selection-count`); the ids of a page under the selection,
    the order `object_list` asks the database for, the page size, the orphans and the page number (key
    `selection-page`). So every face asking for the same selection (the library page, the API) shares one
    total and, at the same order and page size, the same pages; two orders or page sizes never share ids.

    Counting and ranking many search matches is the costly part of a page; fetching a page's rows by id is
    not. The rows are fetched through `object_list` itself, so only what it may show comes back, with its
    `select_related` and prefetches. Any write to the catalogue changes its version (cases/signals.py), so
    nothing stale is served.
    """

    def __init__(
        self,
        object_list,
        per_page,
        *,
        selection: tuple | None = None,
        counter=None,
        ids_reader=None,
        rows=None,
        listing: bool = False,
        **kwargs,
    ):
        super().__init__(object_list, per_page, **kwargs)
        self.selection = selection
        # The selection and its order read nothing a narrative section holds (no search, no date of the
        # last change): its total and pages are cached under the listing version (`cached`).
        self.listing = listing
        # Where a page's rows are read once its ids are known: the same cases without the selection's
        # conditions, which chose the ids already (a search's would test every row's stored document
        # again: 60 ms for 20 rows at 1,000,000 cases). Only ever published cases. Default: object_list.
        self.rows = object_list if rows is None else rows
        # How to read a page's ids when ordering `object_list` would cost more: (offset, limit) -> ids in
        # `object_list`'s order (a search of the whole catalogue: cases.filters.ranked_page_reader).
        self.ids_reader = ids_reader
        # How to count the selection when asking `object_list` would cost more (a search: the facet counts'
        # bitmaps already know how many cases match). Used only with a selection.
        self.counter = counter or object_list.count

    @cached_property
    def count(self):
        if self.selection is None:
            return super().count
        return cached("selection-count", self.selection, self.counter, listing=self.listing)

    def order(self) -> tuple:
        """The order of `object_list` as the database is asked for it (model's default order: empty)."""
        query = self.object_list.query
        return (tuple(str(field) for field in query.order_by), query.standard_ordering)

    def page(self, number):
        page = super().page(number)
        if self.selection is None:
            return page
        if self.ids_reader is not None:
            offset = (page.number - 1) * self.per_page
            limit = page.end_index() - offset if page.end_index() else 0
            read_ids = lambda: list(self.ids_reader(offset, limit))  # noqa: E731
        else:
            read_ids = lambda: list(page.object_list.values_list("pk", flat=True))  # noqa: E731
        ids = cached(
            "selection-page",
            (self.selection, self.order(), self.per_page, self.orphans, page.number),
            read_ids,
            listing=self.listing,
        )
        by_id = self.rows.in_bulk(ids)
        page.object_list = [by_id[pk] for pk in ids if pk in by_id]
        return page

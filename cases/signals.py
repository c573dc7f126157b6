"""Cache invalidation only: any write that can change what anonymous readers see bumps the catalogue version.

Everything cached under the version is public (pages for anonymous readers, the library's and the API's
counts and pages, facet counts, statistics, related cases, the bitmaps), so a write that only touches cases
nobody outside admin sees (a draft saved, a public submission received, an outcome added to a case in
review) bumps nothing: it neither throws every cached page away (a submission would otherwise empty the
cache for everyone) nor tells a watching reader, by the cache going cold, that someone is at work. A write
to a published case, or to one that *was* published as loaded (it is leaving publication), or to a
vocabulary, always bumps; so does any write whose case cannot be told.

Writes themselves go through cases/services.py; signals are used here because *every* ORM write must
invalidate, including ones made by admin inlines, m2m changes and proxies of a watched model (the moderation
queue is CaseStudy under another name: its saves are sent by the proxy class). The bump is an UPDATE in the
writer's own transaction (cases/caching.py), so it commits or rolls back with the write.

bulk_create, QuerySet.update() and raw SQL send no signals: their callers bump the version themselves
(cases.tasks.catalogue_written in the same transaction, as the import does; or catalogue_committed after
their commit, as generate_cases does).
"""

from django.db.models.signals import m2m_changed, post_delete, post_init, post_save

from .models import (
    SDG,
    CaseLink,
    CaseStudy,
    Economy,
    FormerSlug,
    InnovationFacet,
    Outcome,
    Resource,
    Sector,
    Status,
    Theme,
)
from .tasks import catalogue_written

RELATIONS = ("other_economies", "sectors", "themes", "facets", "sdgs")
# Everything a public page, the API, an export or a statistic shows; a through model's rows may be written
# directly too (generation does).
WATCHED = frozenset(
    (CaseStudy, Outcome, CaseLink, Resource, FormerSlug, Economy, Sector, Theme, InnovationFacet, SDG)
) | frozenset(getattr(CaseStudy, relation).through for relation in RELATIONS)


# The fields that say whose a row is, as loaded from the database: a row moved from a published case to a
# draft changes the published one.
OWNER_FIELDS = {CaseStudy: ("status",), Outcome: ("case_id",), Resource: ("case_id",)}
OWNER_FIELDS |= {FormerSlug: ("case_id",), CaseLink: ("from_case_id",)}
OWNER_FIELDS |= {getattr(CaseStudy, relation).through: ("casestudy_id",) for relation in RELATIONS}
LOADED = "_catalogue_owner_as_loaded"


def _remember_owner(sender, instance, **kwargs):
    """post_init: keep the owner fields of a row as loaded (or as built, for a new one)."""
    fields = OWNER_FIELDS.get(sender._meta.concrete_model)
    if fields:
        instance.__dict__[LOADED] = {name: instance.__dict__.get(name) for name in fields}


def _any_published(case_ids) -> bool:
    ids = {pk for pk in case_ids if pk is not None}
    return bool(ids) and CaseStudy.objects.filter(pk__in=ids, status=Status.PUBLISHED).exists()


def affects_public(instance) -> bool:
    """Whether writing `instance` can change what an anonymous reader, a partner or a statistic sees."""
    model = instance._meta.concrete_model
    fields = OWNER_FIELDS.get(model)
    if fields is None:
        return True  # a vocabulary or an economy: shown on published cases and in every facet
    loaded = instance.__dict__.get(LOADED)
    (owner,) = fields
    if loaded is None or owner not in instance.__dict__:
        return True  # built without post_init, or the field deferred: cannot tell, so assume the worst
    if model is CaseStudy:
        return Status.PUBLISHED in (instance.status, loaded[owner])
    return _any_published({instance.__dict__[owner], loaded[owner]})


def _row_written(sender, instance, **kwargs):
    if sender._meta.concrete_model not in WATCHED:
        return
    if affects_public(instance):
        catalogue_written()
    # What is stored now is what the next save of this same object starts from.
    _remember_owner(sender, instance)


def _relation_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if not action.startswith("post_"):  # pre_add, pre_remove and pre_clear have not changed anything yet
        return
    # case.sectors.add(...) concerns that case; sector.casestudy_set.add(...) the cases named (a clear
    # names none: assume the worst).
    public = (pk_set is None or _any_published(pk_set)) if reverse else affects_public(instance)
    if public:
        catalogue_written()


# Every sender (a proxy model sends its own class), filtered by the concrete model above.
post_init.connect(_remember_owner, dispatch_uid="catalogue-owner")
post_save.connect(_row_written, dispatch_uid="catalogue-save")
post_delete.connect(_row_written, dispatch_uid="catalogue-delete")

for relation in RELATIONS:
    m2m_changed.connect(
        _relation_changed,
        sender=getattr(CaseStudy, relation).through,
        dispatch_uid=f"catalogue-{relation}",
    )

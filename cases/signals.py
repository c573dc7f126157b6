"""Cache invalidation only: any write to a case or what hangs off it bumps the catalogue version.

Writes themselves go through cases/services.py; signals are used here because *every* ORM write must
invalidate, including ones made by admin inlines, m2m changes and proxies of a watched model (the moderation
queue is CaseStudy under another name: its saves are sent by the proxy class). The bump is an UPDATE in the
writer's own transaction (cases/caching.py), so it commits or rolls back with the write.

bulk_create, QuerySet.update() and raw SQL send no signals: their callers bump the version themselves
(cases.tasks.catalogue_written in the same transaction, as the import does; or catalogue_committed after
their commit, as generate_cases does).
"""

from django.db.models.signals import m2m_changed, post_delete, post_save

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
    Theme,
)
from .tasks import catalogue_written

RELATIONS = ("other_economies", "sectors", "themes", "facets", "sdgs")
# Everything a public page, the API, an export or a statistic shows; a through model's rows may be written
# directly too (generation does).
WATCHED = frozenset(
    (CaseStudy, Outcome, CaseLink, Resource, FormerSlug, Economy, Sector, Theme, InnovationFacet, SDG)
) | frozenset(getattr(CaseStudy, relation).through for relation in RELATIONS)


def _row_written(sender, **kwargs):
    if sender._meta.concrete_model in WATCHED:
        catalogue_written()


def _relation_changed(sender, action, **kwargs):
    if action.startswith("post_"):  # pre_add, pre_remove and pre_clear have not changed anything yet
        catalogue_written()


# Every sender (a proxy model sends its own class), filtered by the concrete model above.
post_save.connect(_row_written, dispatch_uid="catalogue-save")
post_delete.connect(_row_written, dispatch_uid="catalogue-delete")

for relation in RELATIONS:
    m2m_changed.connect(
        _relation_changed,
        sender=getattr(CaseStudy, relation).through,
        dispatch_uid=f"catalogue-{relation}",
    )

"""Cache invalidation only: any write to a case or what hangs off it bumps the catalogue version.

Writes themselves go through cases/services.py; signals are used here because *every* ORM write must
invalidate, including ones made by admin inlines and m2m changes. bulk_create sends no signals, so
callers of it (generate_cases, importing) make the catalogue stale themselves.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save

from .caching import catalogue_changed
from .models import (
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
from .tasks import after_commit_refresh_catalogue

WATCHED = (CaseStudy, Outcome, CaseLink, Resource, FormerSlug, Economy, Sector, Theme, InnovationFacet)


def _changed(**kwargs):
    catalogue_changed()
    # Again once the transaction commits (a reader between the two bumps may have cached what it saw
    # before the commit under the first new version), then the statistics' bitmaps are rebuilt.
    after_commit_refresh_catalogue()


for model in WATCHED:
    post_save.connect(_changed, sender=model, dispatch_uid=f"catalogue-save-{model.__name__}")
    post_delete.connect(_changed, sender=model, dispatch_uid=f"catalogue-delete-{model.__name__}")

for relation in ("other_economies", "sectors", "themes", "facets", "sdgs"):
    m2m_changed.connect(
        _changed, sender=getattr(CaseStudy, relation).through, dispatch_uid=f"catalogue-{relation}"
    )

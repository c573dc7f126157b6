"""The moderation queue as a read: which cases wait for a reviewer, and in which order.

The `ModerationQueue` proxy's manager is built on it, so it lives with the models (the bottom layer, which
imports nothing above it); the admin and the acceptance checklist are in cases/curation/moderation.py, which
re-exports these names. Statuses are spelled as their stored values here: cases.models defines the Status
enum and imports this module, so it cannot be imported back (cases/curation/moderation.py makes the enum's
members, QUEUE_STATUSES, from these values).
"""

from django.db.models import (
    Case,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from cases.models.querysets import PUBLISHED_STATUS

# What a reviewer acts on: proposals from the public (submitted) and cases sent for review (in_review).
QUEUED_STATUS_VALUES = ("submitted", "in_review")
# A queued case may duplicate one already public or one still waiting in the queue.
DUPLICATE_CANDIDATE_STATUS_VALUES = (PUBLISHED_STATUS, *QUEUED_STATUS_VALUES)
# cases.models.RevisionAction.TRANSITION: a revision that changed the status.
TRANSITION_ACTION = "transition"


def moderation_queue(queryset: QuerySet) -> QuerySet:
    """The queued cases of `queryset`, submitted ones first, then the longest waiting first.

    Annotates `queue_position` (0 submitted, 1 in review) and `queued_since` (when the case last changed
    status, or was created). Possible duplicates are annotated by cases.curation.moderation, which asks
    the search module how alike two titles are.
    """
    revisions = queryset.model._meta.get_field("revisions").related_model
    last_status_change = (
        revisions.objects.filter(case=OuterRef("pk"), action=TRANSITION_ACTION)
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    queued = queryset.filter(status__in=QUEUED_STATUS_VALUES).annotate(
        queue_position=Case(
            When(status=QUEUED_STATUS_VALUES[0], then=Value(0)), default=Value(1), output_field=IntegerField()
        ),
        queued_since=Coalesce(Subquery(last_status_change), F("created_at")),
    )
    return queued.order_by("queue_position", "queued_since", "pk")

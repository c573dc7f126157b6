"""The moderation queue as a read: which cases wait for a reviewer, in which order, and which of them may
repeat a case the catalogue already has.

The `ModerationQueue` proxy's manager is built on it, so it lives with the models (the bottom layer, which
imports nothing above it); the admin and the acceptance checklist are in cases/curation/moderation.py, which
re-exports these names. Statuses are spelled as their stored values here: cases.models defines the Status
enum and imports this module, so it cannot be imported back (cases/curation/moderation.py makes the enum's
members, QUEUE_STATUSES, from these values).
"""

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connections
from django.db.models import (
    Case,
    CharField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    StringAgg,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Lower

from cases.models.querysets import PUBLISHED_STATUS

# What a reviewer acts on: proposals from the public (submitted) and cases sent for review (in_review).
QUEUED_STATUS_VALUES = ("submitted", "in_review")
# A queued case may duplicate one already public or one still waiting in the queue.
DUPLICATE_CANDIDATE_STATUS_VALUES = (PUBLISHED_STATUS, *QUEUED_STATUS_VALUES)
# cases.models.RevisionAction.TRANSITION: a revision that changed the status.
TRANSITION_ACTION = "transition"
# pg_trgm similarity of two titles, 0 to 1. Tuned on the demo catalogue (70 cases): two different cases of
# one economy reach at most 0.29 ("333: Bangladesh's national helpline ..." / "Service Innovation Fund ...
# in Bangladesh"), while a short resubmission of a long title scores 0.38 to 0.61 ("Dasan Call Centre 120
# in Seoul" 0.39, "SingPass: digital identity for Singapore citizens" 0.38, "e-Nabiz personal health
# record of Turkiye" 0.61). 0.35 catches those and stays clear of the different cases.
DUPLICATE_TITLE_SIMILARITY = 0.35


def _similar_title(candidates: QuerySet, title, *, on_postgresql: bool) -> QuerySet:
    """`candidates` whose title resembles `title` (an expression: OuterRef or Value).

    PostgreSQL: trigram similarity at least DUPLICATE_TITLE_SIMILARITY. Elsewhere (SQLite) a plain
    fallback: one title contains the other, ignoring case (equal titles contain each other).
    """
    if on_postgresql:
        return candidates.annotate(title_similarity=TrigramSimilarity("title", title)).filter(
            title_similarity__gte=DUPLICATE_TITLE_SIMILARITY
        )
    # The wrapper gives an outer reference the type Lower() needs to know.
    queued_title = Lower(ExpressionWrapper(title, output_field=CharField()))
    return candidates.alias(queued_title=queued_title).filter(
        Q(title__icontains=title) | Q(queued_title__contains=Lower(F("title")))
    )


def is_postgresql(queryset: QuerySet) -> bool:
    return connections[queryset.db].vendor == "postgresql"


def duplicate_candidates(cases: QuerySet, *, title, pk, economy_id, on_postgresql: bool) -> QuerySet:
    """The cases of `cases` (all case studies) that a case with this title, id and economy may repeat."""
    candidates = cases.filter(economy_id=economy_id, status__in=DUPLICATE_CANDIDATE_STATUS_VALUES).exclude(
        pk=pk
    )
    return _similar_title(candidates, title, on_postgresql=on_postgresql)


def _all_cases(queryset: QuerySet) -> QuerySet:
    # The plain manager of the concrete model: a queryset of the queue's proxy would add its own annotations.
    return queryset.model._meta.concrete_model._base_manager.all()


def with_possible_duplicates(queryset: QuerySet) -> QuerySet:
    """Annotate each case with `possible_duplicate_ids`: a comma-separated string of the ids of published or
    queued cases of the same economy with a similar title (None when there are none).

    One correlated subquery inside the page's own query: the number of queries does not grow with rows.
    """
    candidates = duplicate_candidates(
        _all_cases(queryset),
        title=OuterRef("title"),
        pk=OuterRef("pk"),
        economy_id=OuterRef("economy_id"),
        on_postgresql=is_postgresql(queryset),
    )
    ids = (
        candidates.order_by()
        .values("economy_id")
        .annotate(ids=StringAgg(Cast("pk", CharField()), Value(",")))  # no order_by: SQLite has none
        .values("ids")
    )
    return queryset.annotate(possible_duplicate_ids=Subquery(ids, output_field=CharField()))


def moderation_queue(queryset: QuerySet) -> QuerySet:
    """The queued cases of `queryset`, submitted ones first, then the longest waiting first.

    Annotates `queue_position` (0 submitted, 1 in review), `queued_since` (when the case last changed
    status, or was created) and `possible_duplicate_ids`.
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
    return with_possible_duplicates(queued).order_by("queue_position", "queued_since", "pk")

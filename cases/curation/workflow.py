"""The editorial workflow as code: the way a case's status changes a step at a time.

Plain functions, each checking the acting user's permission (and, for economy editors, the economy),
stamping who and when, recording a revision, in one transaction. Admin buttons and bulk actions, the
submission form and the API call these; none re-implements them. What follows a change of status is the
`case_status_saved` service's, in the same transaction: a case leaving publication (unpublish, archive) has
its withdrawal recorded, and a submitter is told of the publication by a task enqueued once the transaction
commits (cases/tasks.py). The one other way a status changes, an import stating it outright
(cases/services.py, case_import_many), asks the same permissions and calls the same service.

    submitted ─accept─▶ draft ─send_for_review─▶ in_review ─publish─▶ published
        │                 ▲                          │                    │
        └─request_changes─┼──────────────────────────┘ request_changes    └─unpublish─▶ draft
                          └── changes_requested ◀────┘
    any state but archived ─archive─▶ archived ─restore─▶ draft
"""

from dataclasses import dataclass
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.curation.history import record_revision

# The rules of who may do what live in cases/curation/permissions.py (below the services, which ask them
# too); re-exported here, where callers have always found them.
from cases.curation.permissions import (  # noqa: F401
    LOCKED_CASE_MESSAGE,
    LOCKED_STATUSES,
    can_edit_case,
    can_edit_economy,
    case_edit_refusal,
    check_case_access,
    check_case_edit,
    editable_cases,
    editable_economy_ids,
    has_every_economy,
    visible_cases,
)
from cases.models import CaseStudy, RevisionAction, Status
from cases.services import case_status_saved
from cases.tasks import send_changes_requested_notice


class TransitionRefused(ValidationError):
    """The transition is not allowed from the case's current status."""


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset
    target: str
    permission: str
    # What the revision's note says happened, in the past tense ("Published"); the user's note follows it.
    done: str = ""
    # The transition needs a note from the user (what the submitter must change).
    note_required: bool = False

    def revision_note(self, note: str = "") -> str:
        """The revision's note for this transition: "Published." or "Sent back for changes: <note>"."""
        note = note.strip()
        done = str(self.done or self.label)
        return f"{done}: {note}" if note else f"{done}."


TRANSITIONS = {
    t.name: t
    for t in [
        Transition(
            "accept",
            _("Accept submission as draft"),
            frozenset({Status.SUBMITTED}),
            Status.DRAFT,
            "cases.publish_casestudy",
            done=_("Accepted as a draft"),
        ),
        Transition(
            "send_for_review",
            _("Send for review"),
            frozenset({Status.DRAFT, Status.CHANGES_REQUESTED}),
            Status.IN_REVIEW,
            "cases.change_casestudy",
            done=_("Sent for review"),
        ),
        Transition(
            "request_changes",
            _("Request changes"),
            frozenset({Status.IN_REVIEW, Status.SUBMITTED}),
            Status.CHANGES_REQUESTED,
            "cases.publish_casestudy",
            done=_("Sent back for changes"),
            note_required=True,
        ),
        Transition(
            "publish",
            _("Publish"),
            frozenset({Status.IN_REVIEW}),
            Status.PUBLISHED,
            "cases.publish_casestudy",
            done=_("Published"),
        ),
        Transition(
            "unpublish",
            _("Unpublish"),
            frozenset({Status.PUBLISHED}),
            Status.DRAFT,
            "cases.publish_casestudy",
            done=_("Unpublished (back to draft)"),
        ),
        Transition(
            "archive",
            _("Archive"),
            frozenset(set(Status.values) - {Status.ARCHIVED}),
            Status.ARCHIVED,
            "cases.archive_casestudy",
            done=_("Archived"),
        ),
        Transition(
            "restore",
            _("Restore from archive"),
            frozenset({Status.ARCHIVED}),
            Status.DRAFT,
            "cases.archive_casestudy",
            done=_("Restored from the archive (back to draft)"),
        ),
    ]
}


def available_transitions(*, user, case: CaseStudy) -> list[Transition]:
    """The transitions `user` may apply to `case` now (for admin buttons)."""
    return [
        t
        for t in TRANSITIONS.values()
        if case.status in t.sources
        and user.has_perm(t.permission)
        and can_edit_economy(user, case.economy_id)
    ]


def case_transition(*, case: CaseStudy, user, name: str, note: str = "") -> CaseStudy:
    """Apply the transition `name` to `case` as `user`; raises PermissionDenied or TransitionRefused."""
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise TransitionRefused(_("Unknown action “%(name)s”.") % {"name": name})
    check_case_access(user=user, case=case, permission=transition.permission)
    with transaction.atomic():
        case = CaseStudy.objects.select_for_update().get(pk=case.pk)
        if case.status not in transition.sources:
            raise TransitionRefused(
                _("Cannot %(action)s a case that is %(status)s.")
                % {"action": str(transition.label).lower(), "status": case.get_status_display().lower()}
            )
        if transition.note_required and not note.strip():
            raise TransitionRefused(_("Say what needs to change: the note is required."))
        if name == "publish":
            case.full_clean()  # a published case must be complete and valid
        previous, public_slug = case.status, case.slug
        case.status = transition.target
        case.updated_by = user
        if transition.target == Status.PUBLISHED and case.published_at is None:
            # Publishing sets published_at once: a case republished later keeps its first date.
            case.published_at = timezone.now()
            case.published_by = user
        case.save()
        # Leaving publication is recorded for the changes feed, and a submitter told of the publication.
        case_status_saved(case=case, previous=previous, public_slug=public_slug)
        if transition.note_required and hasattr(case, "submitter"):
            # The note is addressed to the submitter: it reaches them, not only the case's history.
            transaction.on_commit(partial(send_changes_requested_notice.enqueue, case.pk, note))
        record_revision(
            case=case,
            user=user,
            action=RevisionAction.TRANSITION,
            message=transition.revision_note(note),
        )
    return case

"""The editorial workflow as code: the only way a case's status changes.

Plain functions, each checking the acting user's permission (and, for economy editors, the economy),
stamping who and when, recording a revision, in one transaction. Admin buttons and bulk actions, the
submission form and the API call these; none re-implements them.

    submitted ─accept─▶ draft ─send_for_review─▶ in_review ─publish─▶ published
        │                 ▲                          │                    │
        └─request_changes─┼──────────────────────────┘ request_changes    └─unpublish─▶ draft
                          └── changes_requested ◀────┘
    any state but archived ─archive─▶ archived ─restore─▶ draft
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .history import record_revision
from .models import CaseStudy, RevisionAction, Status


class TransitionRefused(ValidationError):
    """The transition is not allowed from the case's current status."""


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset
    target: str
    permission: str


TRANSITIONS = {
    t.name: t
    for t in [
        Transition(
            "accept",
            _("Accept submission as draft"),
            frozenset({Status.SUBMITTED}),
            Status.DRAFT,
            "cases.publish_casestudy",
        ),
        Transition(
            "send_for_review",
            _("Send for review"),
            frozenset({Status.DRAFT, Status.CHANGES_REQUESTED}),
            Status.IN_REVIEW,
            "cases.change_casestudy",
        ),
        Transition(
            "request_changes",
            _("Request changes"),
            frozenset({Status.IN_REVIEW, Status.SUBMITTED}),
            Status.CHANGES_REQUESTED,
            "cases.publish_casestudy",
        ),
        Transition(
            "publish",
            _("Publish"),
            frozenset({Status.IN_REVIEW}),
            Status.PUBLISHED,
            "cases.publish_casestudy",
        ),
        Transition(
            "unpublish",
            _("Unpublish"),
            frozenset({Status.PUBLISHED}),
            Status.DRAFT,
            "cases.publish_casestudy",
        ),
        Transition(
            "archive",
            _("Archive"),
            frozenset(set(Status.values) - {Status.ARCHIVED}),
            Status.ARCHIVED,
            "cases.archive_casestudy",
        ),
        Transition(
            "restore",
            _("Restore from archive"),
            frozenset({Status.ARCHIVED}),
            Status.DRAFT,
            "cases.archive_casestudy",
        ),
    ]
}


def can_edit_economy(user, economy_id) -> bool:
    """Curators and reviewers edit every economy; an economy editor only those assigned to them."""
    if user.is_superuser or user.has_perm("cases.edit_all_economies"):
        return True
    profile = getattr(user, "editor_profile", None)
    return profile is not None and profile.economies.filter(pk=economy_id).exists()


def check_case_access(*, user, case: CaseStudy, permission: str = "cases.change_casestudy") -> None:
    """Raise PermissionDenied unless `user` holds `permission` and may work on the case's economy."""
    if not user.is_authenticated or not user.has_perm(permission):
        raise PermissionDenied(_("You do not have permission to do that."))
    if not can_edit_economy(user, case.economy_id):
        raise PermissionDenied(_("This case belongs to an economy you do not look after."))


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
        if name == "request_changes" and not note.strip():
            raise TransitionRefused(_("Say what needs to change: the note is required."))
        if name == "publish":
            case.full_clean()  # a published case must be complete and valid
        previous = case.status
        case.status = transition.target
        case.updated_by = user
        if transition.target == Status.PUBLISHED and case.published_at is None:
            # Publishing sets published_at once: a case republished later keeps its first date.
            case.published_at = timezone.now()
            case.published_by = user
        case.save()
        if transition.target == Status.PUBLISHED and hasattr(case, "submitter"):
            transaction.on_commit(lambda: notify_submitter_of_publication(case))
        record_revision(
            case=case,
            user=user,
            action=RevisionAction.TRANSITION,
            message=f"{previous} → {case.status}" + (f": {note.strip()}" if note.strip() else ""),
        )
    return case


def notify_submitter_of_publication(case: CaseStudy) -> None:
    """Tell whoever proposed the case that it is now public (never fails the publication itself)."""
    import logging

    from django.core.mail import send_mail

    contact = case.submitter
    try:
        send_mail(
            subject=str(_("Your case study is now published: %(title)s") % {"title": case.title}),
            message=str(
                _("Thank you for proposing “%(title)s” (reference %(reference)s). It is now published.")
                % {"title": case.title, "reference": contact.reference}
            ),
            from_email=None,
            recipient_list=[contact.email],
        )
    except Exception:
        logging.getLogger(__name__).exception("Could not e-mail the submitter of %s", case.pk)


def case_publish(*, case, user):
    return case_transition(case=case, user=user, name="publish")


def case_archive(*, case, user, note=""):
    return case_transition(case=case, user=user, name="archive", note=note)

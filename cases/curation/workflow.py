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
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.curation.history import record_revision
from cases.models import CaseStudy, RevisionAction, Status
from cases.models.querysets import published_q


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


def has_every_economy(user) -> bool:
    """Curators, reviewers and superusers work on every economy."""
    return user.is_superuser or user.has_perm("cases.edit_all_economies")


def editable_economy_ids(user) -> list[int] | None:
    """None when `user` may work on every economy, else the ids of their economies (maybe none)."""
    if has_every_economy(user):
        return None
    profile = getattr(user, "editor_profile", None)
    return list(profile.economies.values_list("pk", flat=True)) if profile else []


def can_edit_economy(user, economy_id) -> bool:
    """Curators and reviewers edit every economy; an economy editor only those assigned to them."""
    if has_every_economy(user):
        return True
    profile = getattr(user, "editor_profile", None)
    return profile is not None and profile.economies.filter(pk=economy_id).exists()


def check_case_access(*, user, case: CaseStudy, permission: str = "cases.change_casestudy") -> None:
    """Raise PermissionDenied unless `user` holds `permission` and may work on the case's economy."""
    if not user.is_authenticated or not user.has_perm(permission):
        raise PermissionDenied(_("You do not have permission to do that."))
    if not can_edit_economy(user, case.economy_id):
        raise PermissionDenied(_("This case belongs to an economy you do not look after."))


# --- Who may change a case: the one rule that admin, import and restore all call -------------------

# A change to a published case is live at once, and an archived case comes back only through the
# workflow: changing either is publishing, so only who may publish does it directly.
LOCKED_STATUSES = frozenset({Status.PUBLISHED, Status.ARCHIVED})
LOCKED_CASE_MESSAGE = _(
    "This case is %(status)s, so economy editors cannot change it or what hangs off it (outcomes, "
    "resources, links, economies, classification): a change to a published case is live at once, and "
    "only curators and reviewers publish. To have it changed, ask a curator or reviewer: they can make "
    "the change, or unpublish the case (it goes back to draft) so that you can edit it and send it for "
    "review again."
)


def case_edit_refusal(user, case: CaseStudy) -> str:
    """Why `user` may not change `case` or anything belonging to it; "" when they may.

    The one rule: the permission to change cases; the case's economy among the user's (curators and
    reviewers: every economy); and a published or archived case only for who may publish.
    """
    if not user.is_authenticated or not user.has_perm("cases.change_casestudy"):
        return str(_("You do not have permission to change cases."))
    if not can_edit_economy(user, case.economy_id):
        return str(_("This case belongs to an economy you do not look after."))
    if case.status in LOCKED_STATUSES and not user.has_perm("cases.publish_casestudy"):
        return str(LOCKED_CASE_MESSAGE % {"status": case.get_status_display().lower()})
    return ""


def can_edit_case(user, case: CaseStudy) -> bool:
    """May `user` change `case` and what hangs off it (outcomes, resources, links, vocabularies)?"""
    return not case_edit_refusal(user, case)


def check_case_edit(*, user, case: CaseStudy) -> None:
    """Raise PermissionDenied, saying why, unless `user` may change `case` (see case_edit_refusal)."""
    refusal = case_edit_refusal(user, case)
    if refusal:
        raise PermissionDenied(refusal)


def editable_cases(user, queryset=None):
    """The cases of `queryset` (default: all) that `user` may change, by the rule of case_edit_refusal."""
    queryset = CaseStudy.objects.all() if queryset is None else queryset
    if not user.is_authenticated or not user.has_perm("cases.change_casestudy"):
        return queryset.none()
    economies = editable_economy_ids(user)
    if economies is not None:
        queryset = queryset.filter(economy_id__in=economies)
    if not user.has_perm("cases.publish_casestudy"):
        queryset = queryset.exclude(status__in=LOCKED_STATUSES)
    return queryset


def visible_cases(user, queryset=None):
    """The cases of `queryset` that `user` may see and point a link at: published ones and those of
    their economies. Anything else is answered exactly as a case that does not exist."""
    queryset = CaseStudy.objects.all() if queryset is None else queryset
    if user is None:  # the system (load_demo, import_cases without --user)
        return queryset
    economies = editable_economy_ids(user) if user.is_authenticated else []
    if economies is None:
        return queryset
    return queryset.filter(published_q() | Q(economy_id__in=economies))


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
            message=transition.revision_note(note),
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

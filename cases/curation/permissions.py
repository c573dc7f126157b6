"""Who may do what to a case: the one set of rules that the services, the workflow, the admin, the importer
and the pages ask.

Reads only: nothing here writes. cases/curation/workflow.py re-exports these names (they were defined
there first), so `from cases.curation.workflow import case_edit_refusal` keeps working.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import CaseStudy, Status
from cases.models.querysets import published_q


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


# --- Stating a status outright: an import ------------------------------------------------------------

# The statuses a case may be given without the permission to publish: an editor's own steps.
EDITOR_STATUSES = frozenset({Status.DRAFT, Status.IN_REVIEW})


def status_change_refusal(user, *, before: str | None, after: str) -> str:
    """Why `user` may not take a case from the status `before` (None: a new case) straight to `after`, as an
    import does (it states a status rather than walking the transitions of cases/curation/workflow.py);
    "" when they may. The workflow's permissions for the same move: publishing or unpublishing needs the
    permission to publish, archiving or restoring the permission to archive, and without the permission to
    publish a case goes only to draft or in review, and never from submitted (accepting is a reviewer's)."""
    if after == before:
        return ""
    may_publish = user.has_perm("cases.publish_casestudy")
    move = f"changing the status from {before or 'new'} to {after}"
    if Status.PUBLISHED in (after, before) and not may_publish:
        return f"{move} needs the permission to publish"
    if Status.ARCHIVED in (after, before) and not user.has_perm("cases.archive_casestudy"):
        return f"{move} needs the permission to archive"
    if not may_publish and (after not in EDITOR_STATUSES or before == Status.SUBMITTED):
        # Accepting a submission and requesting changes are a reviewer's steps of the workflow.
        return (
            f"{move} needs the permission to publish (without it, a row's status may be draft or in_review)"
        )
    return ""


def published_at_refusal(user, *, before, after) -> str:
    """Why `user` may not give a case the first publication date `after` (it has `before`); "" when they
    may: the date is the workflow's, set by who may publish."""
    if after and after != before and not user.has_perm("cases.publish_casestudy"):
        return "setting or changing published_at needs the permission to publish"
    return ""


def can_delete_cases(user) -> bool:
    """A real deletion is a curator's (the permission to delete cases, on every economy); everyone else
    archives, a reversible workflow step."""
    return user.is_authenticated and user.has_perm("cases.delete_casestudy") and has_every_economy(user)


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

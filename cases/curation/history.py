"""Revisions: every change to a case and what hangs off it, recorded with a field diff and a snapshot from
which an earlier version can be restored."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cases.models import (
    CaseLink,
    CaseRevision,
    CaseStudy,
    Economy,
    Outcome,
    Resource,
    ResourceKind,
    RevisionAction,
)
from cases.records import SNAPSHOT_COLUMNS, TERM_FIELDS, to_snapshot

# The snapshot's shape is the case record's (cases/records.py): its columns (the importer's editable
# fields, plus slug and status) and its vocabularies, by the value each term is named by.
SNAPSHOT_FIELDS = SNAPSHOT_COLUMNS
M2M = {name: (field.value_field, field.model) for name, field in TERM_FIELDS.items()}


def snapshot(case: CaseStudy) -> dict:
    """The whole case as plain JSON: fields, vocabularies, outcomes, links and link resources."""
    return to_snapshot(case)


def diff(before: dict, after: dict) -> dict:
    """{field: [before, after]} for every field whose value differs."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def record_revision(*, case, user, action, message="", previous=None) -> CaseRevision:
    """Record the case as it now is; the diff is against `previous` or the last recorded revision."""
    current = snapshot(case)
    if previous is None:
        last = case.revisions.order_by("-created_at", "-id").first()
        previous = last.snapshot if last else {}
    return CaseRevision.objects.create(
        case=case,
        user=user if getattr(user, "is_authenticated", False) else None,
        action=action,
        message=message[:500],
        changes=diff(previous, current),
        snapshot=current,
    )


def case_restore_revision(*, revision: CaseRevision, user) -> CaseStudy:
    """Put the case back as it was in `revision` (its status excepted: that only changes by workflow).

    A restore is an edit: the user must be allowed to change the case as it is now and as the restore
    leaves it (cases/curation/workflow.py, check_case_edit), so an economy editor cannot restore a
    published case,
    nor a version from when the case belonged to an economy they do not look after. Its links come back
    only to cases the user may see (visible_cases) or the case links to now; the others are left out, as
    links to cases deleted since are, and the restore's revision message says how many. Raises
    PermissionDenied, or ValidationError when the version cannot be put back (its slug is taken now).
    """
    from cases.curation.workflow import check_case_edit, visible_cases
    from cases.services import case_change_slug

    data = revision.snapshot
    with transaction.atomic():
        case = CaseStudy.objects.select_for_update().get(pk=revision.case_id)
        check_case_edit(user=user, case=case)
        economy = Economy.objects.filter(iso2=data.get("economy")).first()
        if economy is None:
            raise ValidationError(
                _("This version names an economy (%(code)s) the catalogue no longer has.")
                % {"code": data.get("economy")}
            )
        before = snapshot(case)
        old_slug = case.slug
        for name in SNAPSHOT_FIELDS:
            if name in ("status", "slug"):
                continue
            value = data.get(name)
            setattr(case, name, value)
        case.economy = economy
        try:
            check_case_edit(user=user, case=case)  # the result must be in the user's scope too
        except PermissionDenied:
            raise PermissionDenied(
                _(
                    "This version puts the case in %(economy)s, an economy you do not look after: ask a "
                    "curator to restore it."
                )
                % {"economy": economy.name}
            ) from None
        case.updated_by = user
        case.full_clean(exclude=["slug"])
        if data.get("slug") and data["slug"] != old_slug:
            # Keeps the current slug as a FormerSlug, so its address answers 301 (as an edit would).
            case_change_slug(case=case, new_slug=data["slug"])
        case.save()
        for relation, (key, model) in M2M.items():
            getattr(case, relation).set(model.objects.filter(**{f"{key}__in": data.get(relation, [])}))
        case.outcomes.all().delete()
        Outcome.objects.bulk_create(
            [
                Outcome(case=case, position=n, **{**o, "baseline": o["baseline"]})
                for n, o in enumerate(data.get("outcomes", []))
            ]
        )
        # A link comes back only to a case the user may see now (or one the case links to now): the
        # version may point at a case published then and another economy's draft since, whose title the
        # link would show them. What is left out is said in the revision's message.
        wanted = data.get("links", [])
        linked_now = set(CaseLink.objects.filter(from_case=case).values_list("to_case_id", flat=True))
        restorable = linked_now | set(
            visible_cases(user, CaseStudy.objects.filter(pk__in=[pk for _r, pk in wanted])).values_list(
                "pk", flat=True
            )
        )
        left_out = sum(1 for _relation, pk in wanted if pk not in restorable)
        CaseLink.objects.filter(from_case=case).delete()
        CaseLink.objects.bulk_create(
            [
                CaseLink(from_case=case, to_case_id=pk, relation=relation)
                for relation, pk in wanted
                if pk in restorable
            ]
        )
        case.resources.filter(kind=ResourceKind.LINK).delete()
        Resource.objects.bulk_create(
            [
                Resource(case=case, kind=ResourceKind.LINK, position=n, **r)
                for n, r in enumerate(data.get("resources", []))
            ]
        )
        record_revision(
            case=case,
            user=user,
            action=RevisionAction.RESTORED,
            message=f"Restored the version of {revision.created_at:%Y-%m-%d %H:%M}"
            + (
                ngettext(
                    "; %(count)d link to a case that no longer exists or that you may not see was left out",
                    "; %(count)d links to cases that no longer exist or that you may not see were left out",
                    left_out,
                )
                % {"count": left_out}
                if left_out
                else ""
            ),
            previous=before,
        )
    return case

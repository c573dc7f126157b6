"""Revisions: every change to a case and what hangs off it, recorded with a field diff and a snapshot from
which an earlier version can be restored (the restore is a write: cases/services.py, case_restore_revision).

Recording only, below the services that call it: this module imports nothing but the models."""

from cases.models import (
    CaseRevision,
    CaseStudy,
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
    """{field: [before, after]} for every field whose value differs. A key a stored snapshot lacks is a
    field the snapshot gained since it was taken, not a change: it is left out (unless `before` is empty,
    the case's first version)."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key) and (key in before or not before)
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

"""Revisions: every change to a case and what hangs off it, recorded with a field diff and a snapshot from
which an earlier version can be restored (the restore is a write: cases/services.py, case_restore_revision).

Recording only, below the services that call it: this module imports nothing but the models."""

from decimal import Decimal

from cases.models import (
    EDITABLE_CASE_FIELDS,
    SDG,
    CaseLink,
    CaseRevision,
    CaseStudy,
    Economy,
    InnovationFacet,
    ResourceKind,
    Sector,
    Theme,
)

# The importer's editable fields, plus the two it handles itself.
SNAPSHOT_FIELDS = ["slug", *EDITABLE_CASE_FIELDS, "status"]
M2M = {
    "other_economies": ("iso2", Economy),
    "sectors": ("slug", Sector),
    "themes": ("slug", Theme),
    "facets": ("slug", InnovationFacet),
    "sdgs": ("number", SDG),
}


def _plain(value):
    if isinstance(value, Decimal):
        return str(value.normalize())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def snapshot(case: CaseStudy) -> dict:
    """The whole case as plain JSON: fields, vocabularies, outcomes, links and link resources."""
    data = {name: _plain(getattr(case, name)) for name in SNAPSHOT_FIELDS}
    data["economy"] = case.economy.iso2
    for relation, (key, _model) in M2M.items():
        data[relation] = sorted(str(v) for v in getattr(case, relation).values_list(key, flat=True))
    data["outcomes"] = [
        {
            "indicator": o.indicator,
            "value": _plain(o.value),
            "unit": o.unit,
            "baseline": _plain(o.baseline),
            "date": _plain(o.date),
            "source_url": o.source_url,
        }
        for o in case.outcomes.order_by("position", "id")
    ]
    data["links"] = sorted(
        [link.relation, link.to_case_id] for link in CaseLink.objects.filter(from_case=case)
    )
    data["resources"] = [
        {"title": r.title, "url": r.url}
        for r in case.resources.filter(kind=ResourceKind.LINK).order_by("position", "id")
    ]
    return data


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

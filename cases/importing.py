"""Import case studies from records (dicts in the demo/export format): validated, atomic, idempotent.

One function serves `load_demo`, `import_cases` and the admin import: every record is checked first and
every problem reported with its row number; only when all rows are good is anything written, in one
transaction. A record is matched to an existing case by `external_id` when it has one, else by `slug`;
a case whose data is already the same is left untouched (so importing twice changes nothing).
"""

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .caching import catalogue_changed
from .models import (
    SDG,
    CaseLink,
    CaseStudy,
    Economy,
    InnovationFacet,
    LinkRelation,
    Outcome,
    Resource,
    ResourceKind,
    Sector,
    Status,
    Theme,
)

SCALAR_FIELDS = [
    "title",
    "summary",
    "overview",
    "what_is_innovative",
    "collaborations",
    "users_beneficiaries",
    "results_impact",
    "challenges_failures",
    "conditions_for_success",
    "replication",
    "lessons_learned",
    "lead_organisation",
    "organisation_type",
    "level",
    "stage",
    "year_launched",
    "year_ended",
    "website",
    "licence",
    "source",
    "last_verified",
    "external_id",
    "is_featured",
]
REQUIRED_KEYS = [
    "slug",
    "title",
    "summary",
    "overview",
    "lead_organisation",
    "economy",
    "level",
    "stage",
    "sectors",
]


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        verb = "would create" if self.dry_run else "created"
        return (
            f"{verb} {self.created}, {'would update' if self.dry_run else 'updated'} {self.updated}, "
            f"unchanged {self.unchanged}, rejected rows {len(self.errors)}"
        )


class ImportRejected(Exception):
    """Raised when any record is bad; nothing was written. `report.errors` lists (row, reason)."""

    def __init__(self, report: ImportReport):
        self.report = report
        super().__init__("; ".join(f"row {row}: {reason}" for row, reason in report.errors[:20]))


class _Vocabularies:
    """Looks vocabulary terms up by code or slug, loaded once per import."""

    def __init__(self):
        self.economies = {e.iso2: e for e in Economy.objects.all()}
        self.economies.update({e.iso3: e for e in self.economies.values()})
        self.economies.update({e.slug: e for e in list(self.economies.values())})
        self.sectors = {s.slug: s for s in Sector.objects.all()}
        self.themes = {t.slug: t for t in Theme.objects.all()}
        self.facets = {f.slug: f for f in InnovationFacet.objects.all()}
        self.sdgs = {s.number: s for s in SDG.objects.all()}

    def economy(self, code):
        key = str(code).strip()
        return self.economies.get(key.upper()) or self.economies.get(key.lower())


def read_records(path: Path) -> list[dict]:
    """Records from a JSON file (an array of objects). CSV is read by cases.exporting."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ValueError(f"{path}: expected a JSON array of objects.")
    return data


def _as_date(value, label):
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as error:
        raise ValueError(f"{label} {value!r} is not a date like 2024-12-31") from error


def _as_decimal(value, label, *, required=True):
    if value in (None, ""):
        if required:
            raise ValueError(f"{label} is missing")
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation as error:
        raise ValueError(f"{label} {value!r} is not a number") from error
    if not number.is_finite():
        raise ValueError(f"{label} {value!r} is not a finite number")
    return number


def _as_year(value, label):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{label} {value!r} is not a year") from error


@dataclass
class _Prepared:
    row: int
    record: dict
    values: dict
    economy: Economy
    other_economies: list
    sectors: list
    themes: list
    facets: list
    sdgs: list
    outcomes: list
    resources: list
    links: list
    status: str


def _prepare(row: int, record: dict, vocab: _Vocabularies) -> _Prepared:
    """Check one record and turn it into model values; raises ValueError with every problem found."""
    problems = [f"'{key}' is missing" for key in REQUIRED_KEYS if record.get(key) in (None, "", [])]
    if problems:
        raise ValueError("; ".join(problems))

    def lookup(table, keys, label):
        found, unknown = [], []
        for key in keys or []:
            (found if key in table else unknown).append(table.get(key, key))
        if unknown:
            problems.append(f"unknown {label}: {', '.join(map(str, unknown))}")
        return found

    economy = vocab.economy(record["economy"])
    if economy is None:
        problems.append(f"unknown economy: {record['economy']}")
    others = []
    for code in record.get("other_economies") or []:
        other = vocab.economy(code)
        if other is None:
            problems.append(f"unknown economy: {code}")
        elif other != economy:
            others.append(other)
    sectors = lookup(vocab.sectors, record.get("sectors"), "sector")
    themes = lookup(vocab.themes, record.get("themes"), "theme")
    facets = lookup(vocab.facets, record.get("facets"), "innovation facet")
    sdg_numbers = []
    for number in record.get("sdgs") or []:
        try:
            sdg_numbers.append(int(number))
        except (TypeError, ValueError):
            problems.append(f"SDG {number!r} is not a number from 1 to 17")
    sdgs = lookup(vocab.sdgs, sdg_numbers, "SDG")

    status = record.get("status") or Status.PUBLISHED
    if status not in Status.values:
        problems.append(f"unknown status: {status}")

    values = {name: record[name] for name in SCALAR_FIELDS if name in record and record[name] is not None}
    for text_field in ("website", "source", "external_id", "licence"):
        values.setdefault(text_field, "" if text_field != "licence" else "CC BY 4.0")
    try:
        values["year_launched"] = _as_year(record.get("year_launched"), "year_launched")
        values["year_ended"] = _as_year(record.get("year_ended"), "year_ended")
        values["last_verified"] = _as_date(record.get("last_verified"), "last_verified")
    except ValueError as error:
        problems.append(str(error))

    outcomes = []
    for number, item in enumerate(record.get("outcomes") or [], start=1):
        try:
            outcomes.append(
                (
                    str(item.get("indicator") or "").strip() or _missing(f"outcome {number}: indicator"),
                    _as_decimal(item.get("value"), f"outcome {number}: value"),
                    str(item.get("unit") or ""),
                    _as_decimal(item.get("baseline"), f"outcome {number}: baseline", required=False),
                    _as_date(item.get("date"), f"outcome {number}: date"),
                    str(item.get("source_url") or ""),
                )
            )
        except (ValueError, AttributeError) as error:
            problems.append(str(error))
    resources = []
    for number, item in enumerate(record.get("resources") or [], start=1):
        if not isinstance(item, dict) or not item.get("url") or not item.get("title"):
            problems.append(f"resource {number}: needs a title and a url")
        else:
            resources.append((str(item["title"]), str(item["url"])))
    links = []
    for number, item in enumerate(record.get("links") or [], start=1):
        relation = (item or {}).get("relation")
        target = (item or {}).get("target")
        if relation not in LinkRelation.values or not target:
            problems.append(
                f"link {number}: needs a relation ({', '.join(LinkRelation.values)}) and a target slug"
            )
        elif target == record["slug"]:
            problems.append(f"link {number}: a case cannot link to itself")
        else:
            links.append((relation, target))
    if problems:
        raise ValueError("; ".join(problems))
    return _Prepared(
        row,
        record,
        values,
        economy,
        others,
        sectors,
        themes,
        facets,
        sdgs,
        outcomes,
        resources,
        links,
        status,
    )


def _missing(label):
    raise ValueError(f"{label} is missing")


def _find_existing(prepared: _Prepared):
    external_id = prepared.values.get("external_id")
    if external_id:
        case = CaseStudy.objects.filter(external_id=external_id).first()
        if case:
            return case
    return CaseStudy.objects.filter(slug=prepared.record["slug"]).first()


def _apply(prepared: _Prepared, *, user) -> str:
    """Write one prepared record; returns 'created', 'updated' or 'unchanged'."""
    case = _find_existing(prepared)
    created = case is None
    if created:
        case = CaseStudy(slug=prepared.record["slug"], created_by=user)
    changed = created
    desired = dict(
        prepared.values, economy_id=prepared.economy.pk, status=prepared.status, slug=prepared.record["slug"]
    )
    for name, value in desired.items():
        if getattr(case, name) != value:
            setattr(case, name, value)
            changed = True
    if case.status == Status.PUBLISHED and case.published_at is None:
        case.published_at = timezone.now()
        case.published_by = user
        changed = True
    if changed:
        case.updated_by = user
        case.full_clean(exclude=["slug"] if not created else None, validate_unique=False)
        case.save()

    for name, wanted in [
        ("other_economies", prepared.other_economies),
        ("sectors", prepared.sectors),
        ("themes", prepared.themes),
        ("facets", prepared.facets),
        ("sdgs", prepared.sdgs),
    ]:
        manager = getattr(case, name)
        if created or {obj.pk for obj in manager.all()} != {obj.pk for obj in wanted}:
            manager.set(wanted)
            changed = True

    current_outcomes = [
        (o.indicator, o.value, o.unit, o.baseline, o.date, o.source_url) for o in case.outcomes.all()
    ]
    if _normalised(current_outcomes) != _normalised(prepared.outcomes):
        case.outcomes.all().delete()
        Outcome.objects.bulk_create(
            [
                Outcome(case=case, indicator=i, value=v, unit=u, baseline=b, date=d, source_url=s, position=n)
                for n, (i, v, u, b, d, s) in enumerate(prepared.outcomes)
            ]
        )
        changed = True
    current_resources = [(r.title, r.url) for r in case.resources.filter(kind=ResourceKind.LINK)]
    if current_resources != prepared.resources:
        case.resources.filter(kind=ResourceKind.LINK).delete()
        Resource.objects.bulk_create(
            [
                Resource(case=case, kind=ResourceKind.LINK, title=t, url=u, position=n)
                for n, (t, u) in enumerate(prepared.resources)
            ]
        )
        changed = True
    if changed and not created:
        CaseStudy.objects.filter(pk=case.pk).update(updated_at=timezone.now(), updated_by=user)
    prepared.case = case
    return "created" if created else ("updated" if changed else "unchanged")


def _normalised(rows):
    return [
        tuple(value.normalize() if isinstance(value, Decimal) else value for value in row) for row in rows
    ]


def _apply_links(prepared: _Prepared, slugs: dict) -> bool:
    case = prepared.case
    current = {(link.relation, link.to_case_id) for link in case.links_out.all()}
    wanted = {(relation, slugs[target].pk) for relation, target in prepared.links}
    if current == wanted:
        return False
    case.links_out.all().delete()
    CaseLink.objects.bulk_create(
        [CaseLink(from_case=case, to_case_id=pk, relation=r) for r, pk in sorted(wanted)]
    )
    return True


def import_case_records(records: list[dict], *, user=None, dry_run=False, progress=None) -> ImportReport:
    """Validate every record, then write all of them in one transaction, or none if any is bad.

    Raises ImportRejected (nothing written) when a record is bad. With dry_run the writes are rolled back
    and the report says what would have happened.
    """
    report = ImportReport(dry_run=dry_run)
    vocab = _Vocabularies()
    prepared_all = []
    seen_slugs = {}
    for row, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            report.errors.append((row, "not an object"))
            continue
        slug = record.get("slug")
        if slug in seen_slugs:
            report.errors.append((row, f"slug '{slug}' also used by row {seen_slugs[slug]}"))
            continue
        seen_slugs[slug] = row
        try:
            prepared_all.append(_prepare(row, record, vocab))
        except ValueError as error:
            report.errors.append((row, str(error)))
    file_slugs = {p.record["slug"] for p in prepared_all}
    known_targets = file_slugs | set(
        CaseStudy.objects.filter(slug__in={t for p in prepared_all for _, t in p.links}).values_list(
            "slug", flat=True
        )
    )
    for prepared in prepared_all:
        for _relation, target in prepared.links:
            if target not in known_targets:
                report.errors.append((prepared.row, f"link target '{target}' is not a known case"))
    if report.errors:
        report.errors.sort()
        raise ImportRejected(report)

    try:
        with transaction.atomic():
            for count, prepared in enumerate(prepared_all, start=1):
                try:
                    outcome = _apply(prepared, user=user)
                except ValidationError as error:
                    report.errors.append((prepared.row, _validation_message(error)))
                    continue
                prepared.outcome = outcome
                if progress:
                    progress(count, len(prepared_all))
            if report.errors:
                raise ImportRejected(report)
            slugs = {c.slug: c for c in CaseStudy.objects.filter(slug__in=known_targets)}
            for prepared in prepared_all:
                if _apply_links(prepared, slugs) and prepared.outcome == "unchanged":
                    prepared.outcome = "updated"
                    CaseStudy.objects.filter(pk=prepared.case.pk).update(
                        updated_at=timezone.now(), updated_by=user
                    )
                setattr(report, prepared.outcome, getattr(report, prepared.outcome) + 1)
            if dry_run:
                raise _DryRunRollback
            # bulk_create (outcomes, resources, links) sends no signals.
            transaction.on_commit(catalogue_changed)
    except _DryRunRollback:
        pass
    return report


class _DryRunRollback(Exception):
    pass


def _validation_message(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
    return " ".join(error.messages)

"""Import case studies from records (dicts in the interchange format): validated, atomic, idempotent.

One function serves `load_demo`, `import_cases` and the admin import: every record is checked first and
every problem reported with its row number (a CSV line or a JSON item); only when all rows are good is
anything written, in one transaction. A record is matched to an existing case by `external_id` when it
has one, else by `slug`; a case whose data is already the same is left untouched (so importing twice
changes nothing). The record format is described in docs/curation.md ("Bulk import and export") and
written by cases/interchange/formats.py.

A key absent from a record leaves that field of an existing case as it is (a new case gets the model's
default); a key present sets it, `null` or "" meaning empty.

Imports and the workflow: a file states each case's status, like a restore from a backup, so an import
does not walk the transitions of cases/curation/workflow.py one by one; but it asks for the same
permissions the
workflow would (publishing or unpublishing needs `publish_casestudy`, archiving or restoring
`archive_casestudy`) and the same economy scope, when it runs as a user. Without `publish_casestudy` a
row changes the status only to draft or in review (not from submitted: accepting is a reviewer's), and
never sets or changes `published_at` (nor so `published_by`): those are the workflow's. Publishing sets
`published_at` once: the file's `published_at` is used for a case that has none yet, else the time of the
import, and a case that already has one keeps it. Every created or updated case gets an "imported" revision.
"""

import copy
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from difflib import get_close_matches
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.curation.history import record_revision, snapshot
from cases.curation.permissions import can_edit_economy, case_edit_refusal, visible_cases
from cases.models import (
    SDG,
    CaseLink,
    CaseStudy,
    Economy,
    FormerSlug,
    InnovationFacet,
    LinkRelation,
    Outcome,
    Resource,
    ResourceKind,
    RevisionAction,
    Sector,
    Status,
    Theme,
)
from cases.records import (
    REQUIRED_KEYS,
    SCALAR_FIELDS,
    from_record,
)
from cases.records import read_date as _as_date
from cases.records import read_text as _as_text
from cases.services import case_change_slug, case_withdraw
from cases.tasks import after_commit_refresh_catalogue
from cases.web.validation import parse_whole_number


@dataclass
class RowResult:
    """What the import did (or, in a dry run, would do) with one row."""

    row: int
    slug: str
    title: str
    outcome: str  # "created", "updated" or "unchanged"
    changed: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    dry_run: bool = False
    row_label: str = "row"  # "line" for CSV files, "item" for JSON files
    forbidden: bool = False  # some row was refused for want of a permission
    rows: list[RowResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def summary(self) -> str:
        verb = "would create" if self.dry_run else "created"
        return (
            f"{verb} {self.created}, {'would update' if self.dry_run else 'updated'} {self.updated}, "
            f"unchanged {self.unchanged}, rejected rows {len(self.errors)}"
        )

    def headline(self) -> str:
        """The one-line summary the command and the admin show."""
        cases = "case" if self.total == 1 else "cases"
        text = (
            f"Imported {self.total} {cases}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )
        return text + (" (dry run: nothing written)" if self.dry_run else "")

    def error_lines(self) -> list[str]:
        """Every bad row as "line 4: unknown sector: astrology", in file order."""
        return [f"{self.row_label} {row}: {reason}" for row, reason in self.errors]


class ImportRejected(Exception):
    """Raised when any record is bad; nothing was written. `report.errors` lists (row, reason)."""

    def __init__(self, report: ImportReport):
        self.report = report
        super().__init__("; ".join(report.error_lines()[:20]))


class _Vocabularies:
    """Looks vocabulary terms up by code or slug (any letter case), loaded once per import."""

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
    """Records from a JSON file (an array of objects), as load_demo reads the demo catalogue."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ValueError(f"{path}: expected a JSON array of objects.")
    return data


def _as_datetime(value, label):
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as error:
        raise ValueError(
            f"{label} {value!r} is not a date and time like 2024-12-31T09:30:00+00:00"
        ) from error
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)  # the catalogue keeps UTC; a time without a zone is read as UTC
    if moment > timezone.now():
        raise ValueError(f"{label} {value!r} is in the future")
    return moment


def _as_decimal(value, label, *, required=True):
    if value in (None, ""):
        if required:
            raise ValueError(f"{label} is missing")
        return None
    if isinstance(value, bool):
        raise ValueError(f"{label} {value!r} is not a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as error:
        raise ValueError(f"{label} {value!r} is not a number") from error
    if not number.is_finite():
        raise ValueError(f"{label} {value!r} is not a finite number")
    return number


def _as_list(value, label):
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise ValueError(f"{label} must be a list, not {json.dumps(value, default=str)}")
    return value


@dataclass
class _Prepared:
    row: int
    record: dict
    case: CaseStudy  # the case as it will be saved (a copy of the existing one, or a new one)
    existing: CaseStudy | None
    changed: list  # names of the case's own fields that differ from the existing case
    many: dict  # many-to-many field name -> wanted objects (only the keys the record gives)
    outcomes: list | None
    resources: list | None
    links: list | None
    sets_published_at: bool = False
    outcome: str = ""
    before: dict | None = None
    edit_refusal: str = ""  # why the user may not change the existing case, if the row changes it


class _Context:
    """What every row's checks share: vocabularies, the existing cases the file matches, the user."""

    def __init__(self, records, *, user, default_status):
        self.vocab = _Vocabularies()
        self.user = user
        self.default_status = default_status
        dicts = [r for r in records if isinstance(r, dict)]
        external_ids = {str(r["external_id"]) for r in dicts if isinstance(r.get("external_id"), str | int)}
        external_ids.discard("")
        slugs = {r["slug"] for r in dicts if isinstance(r.get("slug"), str)}
        self.by_external_id = {
            c.external_id: c
            for c in CaseStudy.objects.select_related("economy").filter(external_id__in=external_ids)
        }
        self.by_slug = {c.slug: c for c in CaseStudy.objects.select_related("economy").filter(slug__in=slugs)}
        self._economy_scope = {}

    def match(self, slug, external_id):
        if external_id and external_id in self.by_external_id:
            return self.by_external_id[external_id]
        return self.by_slug.get(slug)

    def hidden_match_problem(self, existing, slug, external_id) -> str:
        """For a row matching a case of an economy the user does not look after: the words a clash with
        any other case gets (see _conflicts), naming neither the case nor its economy, so an import
        cannot be used to learn what another economy holds."""
        if existing is None or self.user is None or self.may_edit_economy(existing.economy_id):
            return ""
        if external_id and self.by_external_id.get(external_id) is existing:
            return f"external_id '{external_id}' belongs to another case already"
        return f"slug '{slug}' belongs to another case already"

    def may_edit_economy(self, economy_id) -> bool:
        if economy_id not in self._economy_scope:
            self._economy_scope[economy_id] = can_edit_economy(self.user, economy_id)
        return self._economy_scope[economy_id]

    def edit_refusal(self, existing) -> str:
        """Why the user may not change the existing case (cases/curation/workflow.py, the rule the admin and a
        restore follow): refused only if the row would change something, which is known once written."""
        if existing is None or self.user is None:
            return ""
        return case_edit_refusal(self.user, existing)

    def visible_slugs(self, slugs) -> set[str]:
        """Those of `slugs` that are cases the user may see and link to (all of them for the system)."""
        return set(visible_cases(self.user).filter(slug__in=slugs).values_list("slug", flat=True))

    def permission_problems(self, *, economy, existing, status, published_at) -> list[str]:
        """Why the importing user may not write this row (nothing when the system imports, user=None)."""
        user = self.user
        if user is None:
            return []
        problems = []
        needed = "cases.add_casestudy" if existing is None else "cases.change_casestudy"
        if not user.has_perm(needed):
            problems.append(
                "you do not have permission to " + ("add" if existing is None else "change") + " cases"
            )
        for case_economy in {economy} | ({existing.economy} if existing else set()):
            if not self.may_edit_economy(case_economy.pk):
                problems.append(
                    f"{case_economy.name} ({case_economy.iso2}) is not one of your economies: "
                    "you may import only cases of the economies you look after"
                )
        before = existing.status if existing else None
        may_publish = user.has_perm("cases.publish_casestudy")
        if status != before:
            if Status.PUBLISHED in (status, before) and not may_publish:
                problems.append(
                    f"changing the status from {before or 'new'} to {status} needs the permission to publish"
                )
            elif Status.ARCHIVED in (status, before) and not user.has_perm("cases.archive_casestudy"):
                problems.append(
                    f"changing the status from {before or 'new'} to {status} needs the permission to archive"
                )
            elif not may_publish and (status not in EDITOR_STATUSES or before == Status.SUBMITTED):
                # Accepting a submission and requesting changes are a reviewer's steps of the workflow.
                problems.append(
                    f"changing the status from {before or 'new'} to {status} needs the permission to "
                    "publish (without it, a row's status may be draft or in_review)"
                )
        if published_at and not may_publish and published_at != (existing.published_at if existing else None):
            problems.append("setting or changing published_at needs the permission to publish")
        return problems


# The statuses a row may give a case without the permission to publish: the editor's own steps.
EDITOR_STATUSES = frozenset({Status.DRAFT, Status.IN_REVIEW})


class _Forbidden(ValueError):
    """A row refused for want of a permission (the admin answers 403 for these)."""


def _prepare(row: int, record: dict, context: _Context) -> _Prepared:
    """Check one record and turn it into the case to save; raises ValueError with every problem found."""
    vocab = context.vocab
    problems = [f"'{key}' is missing" for key in REQUIRED_KEYS if record.get(key) in (None, "", [])]
    if problems:
        raise ValueError("; ".join(problems))

    def attempt(call, *args):
        try:
            return call(*args)
        except ValueError as error:
            problems.append(str(error))
            return None

    def lookup(table, keys, label, normalise=str.lower):
        found, unknown = [], []
        for key in attempt(_as_list, keys, label) or []:
            normalised = normalise(key) if isinstance(key, str) else key
            (found if normalised in table else unknown).append(table.get(normalised, key))
        if unknown:
            problems.append(f"unknown {label}: {', '.join(map(str, unknown))}")
        return found

    slug = record["slug"]
    if not isinstance(slug, str):
        raise ValueError(f"slug must be text, not {json.dumps(slug, default=str)}")
    try:
        validate_slug(slug)
        if len(slug) > CaseStudy._meta.get_field("slug").max_length:
            raise ValidationError("too long")
    except ValidationError:
        problems.append(
            f"slug '{slug}' is not a valid slug (lower-case letters, digits and hyphens, at most 220)"
        )

    economy = None
    if isinstance(record["economy"], str):
        economy = vocab.economy(record["economy"])
    if economy is None:
        problems.append(f"unknown economy: {record['economy']}")
    many = {}
    if "other_economies" in record:
        others = []
        for code in attempt(_as_list, record["other_economies"], "other_economies") or []:
            other = vocab.economy(code) if isinstance(code, str) else None
            if other is None:
                problems.append(f"unknown economy: {code}")
            elif other != economy and other not in others:
                others.append(other)
        many["other_economies"] = others
    many["sectors"] = lookup(vocab.sectors, record.get("sectors"), "sector")
    if "themes" in record:
        many["themes"] = lookup(vocab.themes, record["themes"], "theme")
    if "facets" in record:
        many["facets"] = lookup(vocab.facets, record["facets"], "innovation facet")
    if "sdgs" in record:
        numbers = []
        for number in attempt(_as_list, record["sdgs"], "sdgs") or []:
            # The one strict reading of a number (ASCII digits only): "²" passes isdigit() but not int(),
            # and int() reads Arabic-Indic or fullwidth digits as if they were ASCII.
            text = (
                str(number).strip()
                if isinstance(number, int | str) and not isinstance(number, bool)
                else None
            )
            try:
                numbers.append(parse_whole_number(text))
            except ValueError:
                problems.append(f"SDG {number!r} is not a number from 1 to 17")
        many["sdgs"] = lookup(vocab.sdgs, numbers, "SDG", normalise=int)

    values, unreadable = from_record(record)  # the case's own fields (cases/records.py)
    problems.extend(unreadable)
    published_at = attempt(_as_datetime, record.get("published_at"), "published_at")
    external_id = (values.get("external_id") or "").strip()
    if "external_id" in values:
        values["external_id"] = external_id

    status = record.get("status")
    if status not in (None, "") and status not in Status.values:
        problems.append(f"unknown status: {status} (one of {', '.join(Status.values)})")
        status = None

    outcomes = None
    if "outcomes" in record:
        outcomes = []
        for number, item in enumerate(attempt(_as_list, record["outcomes"], "outcomes") or [], start=1):
            label = f"outcome {number}"
            if not isinstance(item, dict):
                problems.append(f"{label}: must be an object with an indicator and a value")
                continue
            try:
                outcome = Outcome(
                    indicator=_as_text(item.get("indicator"), f"{label}: indicator").strip()
                    or _missing(f"{label}: indicator"),
                    value=_as_decimal(item.get("value"), f"{label}: value"),
                    unit=_as_text(item.get("unit"), f"{label}: unit"),
                    baseline=_as_decimal(item.get("baseline"), f"{label}: baseline", required=False),
                    date=_as_date(item.get("date"), f"{label}: date"),
                    source_url=_as_text(item.get("source_url"), f"{label}: source_url"),
                )
                outcome.full_clean(exclude=["case"], validate_constraints=False)
            except ValueError as error:
                problems.append(str(error))
                continue
            except ValidationError as error:
                problems.append(f"{label}: {_validation_message(error)}")
                continue
            outcomes.append(
                (
                    outcome.indicator,
                    outcome.value,
                    outcome.unit,
                    outcome.baseline,
                    outcome.date,
                    outcome.source_url,
                )
            )
    resources = None
    if "resources" in record:
        resources = []
        for number, item in enumerate(attempt(_as_list, record["resources"], "resources") or [], start=1):
            if not isinstance(item, dict) or not item.get("url") or not item.get("title"):
                problems.append(f"resource {number}: needs a title and a url")
                continue
            resource = Resource(kind=ResourceKind.LINK, title=str(item["title"]), url=str(item["url"]))
            try:
                resource.full_clean(exclude=["case"], validate_constraints=False)
            except ValidationError as error:
                problems.append(f"resource {number}: {_validation_message(error)}")
                continue
            resources.append((resource.title, resource.url))
    links = None
    if "links" in record:
        links, seen = [], {}
        for number, item in enumerate(attempt(_as_list, record["links"], "links") or [], start=1):
            item = item if isinstance(item, dict) else {}
            relation, target = item.get("relation"), item.get("target")
            note = item.get("note") or ""
            if relation not in LinkRelation.values or not isinstance(target, str) or not target:
                problems.append(
                    f"link {number}: needs a relation ({', '.join(LinkRelation.values)}) and a target slug"
                )
            elif target == slug:
                problems.append(f"link {number}: a case cannot link to itself")
            elif not isinstance(note, str) or len(note) > CaseLink._meta.get_field("note").max_length:
                problems.append(f"link {number}: the note must be text of at most 300 characters")
            elif (relation, target) in seen:
                problems.append(f"link {number}: repeats link {seen[relation, target]}")
            else:
                seen[relation, target] = number
                links.append((relation, target, note))
    existing = context.match(slug, external_id)
    hidden = context.hidden_match_problem(existing, slug, external_id)
    if hidden:
        problems.append(hidden)
        existing = None  # checked as the new case the row would have to be, and refused for the clash
    target_status = status or (existing.status if existing else context.default_status)
    if economy is not None:
        refusals = context.permission_problems(
            economy=economy, existing=existing, status=target_status, published_at=published_at
        )
        if refusals:
            raise _Forbidden("; ".join(refusals + problems))
    if problems:
        raise ValueError("; ".join(problems))

    case = copy.copy(existing) if existing else CaseStudy(slug=slug)
    case.slug = slug
    for name, value in values.items():
        setattr(case, name, value)
    case.economy = economy
    case.status = target_status
    sets_published_at = False
    if case.published_at is None and (published_at or target_status == Status.PUBLISHED):
        case.published_at = published_at  # None here means "now", filled in when written
        sets_published_at = True
    try:
        case.full_clean(
            exclude=["economy", "created_by", "updated_by", "published_by"],
            validate_unique=False,
            validate_constraints=False,  # checked by clean() and the choices; uniqueness by the caller
        )
    except ValidationError as error:
        raise ValueError(_validation_message(error)) from error
    changed = (
        [
            name
            for name in ["slug", *SCALAR_FIELDS, "economy", "status"]
            if getattr(case, name) != getattr(existing, name)
        ]
        if existing
        else []
    )
    if existing and sets_published_at:
        changed.append("published_at")
    return _Prepared(
        row,
        record,
        case,
        existing,
        changed,
        many,
        outcomes,
        resources,
        links,
        sets_published_at=sets_published_at,
        edit_refusal=context.edit_refusal(existing),
    )


def _missing(label):
    raise ValueError(f"{label} is missing")


def _conflicts(prepared_all: list[_Prepared], numbered) -> list[tuple[int, str]]:
    """Rows that would take another case's slug or external id, or that match the same case twice."""
    errors = []
    matched = {}
    slugs = {p.case.slug for p in prepared_all}
    external_ids = {p.case.external_id for p in prepared_all if p.case.external_id}
    holders = {
        # Another case's former slug is taken like its current one (its old address answers 301 to it),
        # and refused in the same words.
        **{
            ("slug", slug): case_id
            for slug, case_id in FormerSlug.objects.filter(slug__in=slugs).values_list("slug", "case_id")
        },
        **{("slug", c.slug): c.pk for c in CaseStudy.objects.filter(slug__in=slugs).only("pk", "slug")},
        **{
            ("external_id", c.external_id): c.pk
            for c in CaseStudy.objects.filter(external_id__in=external_ids).only("pk", "external_id")
        },
    }
    seen_external = {}
    for prepared in prepared_all:
        own_pk = prepared.existing.pk if prepared.existing else None
        if own_pk is not None:
            if own_pk in matched:
                errors.append((prepared.row, f"matches the same case as {numbered(matched[own_pk])}"))
            matched[own_pk] = prepared.row
        external_id = prepared.case.external_id
        if (
            prepared.existing
            and prepared.existing.external_id
            and external_id != prepared.existing.external_id
        ):
            # Matched by slug, but the case there came from elsewhere: most likely two different cases.
            errors.append(
                (
                    prepared.row,
                    f"slug '{prepared.case.slug}' belongs to the case with external_id "
                    f"'{prepared.existing.external_id}', not '{external_id}'",
                )
            )
        if external_id:
            if external_id in seen_external:
                errors.append(
                    (
                        prepared.row,
                        f"external_id '{external_id}' also used by {numbered(seen_external[external_id])}",
                    )
                )
            seen_external.setdefault(external_id, prepared.row)
        for name in ("slug", "external_id"):
            value = getattr(prepared.case, name)
            holder = holders.get((name, value))
            if value and holder is not None and holder != own_pk:
                errors.append((prepared.row, f"{name} '{value}' belongs to another case already"))
    return errors


def _apply(prepared: _Prepared, *, user, now) -> str:
    """Write one prepared record; returns 'created', 'updated' or 'unchanged'.

    What differs is found first (reads only), so that an unchanged case costs no snapshot and no write.
    """
    case, existing = prepared.case, prepared.existing
    created = existing is None
    many = {
        name: wanted
        for name, wanted in prepared.many.items()
        if created or {obj.pk for obj in getattr(case, name).all()} != {obj.pk for obj in wanted}
    }
    outcomes_differ = prepared.outcomes is not None and (
        created
        or _normalised(
            [(o.indicator, o.value, o.unit, o.baseline, o.date, o.source_url) for o in case.outcomes.all()]
        )
        != _normalised(prepared.outcomes)
    )
    resources_differ = prepared.resources is not None and (
        created
        or [(r.title, r.url) for r in case.resources.filter(kind=ResourceKind.LINK)] != prepared.resources
    )
    changed = list(prepared.changed)
    if not created:
        changed += [
            *many,
            *(["outcomes"] if outcomes_differ else []),
            *(["resources"] if resources_differ else []),
        ]
        if changed:
            prepared.before = snapshot(existing)
    if created:
        case.created_by = user
    if prepared.sets_published_at:
        case.published_at = case.published_at or now
        case.published_by = user
    if not created and existing.slug != case.slug:
        # Keeps the old slug as a FormerSlug, so the old address answers 301.
        case_change_slug(case=case, new_slug=case.slug)
    if created or prepared.changed:
        case.updated_by = user
        case.save()
        if not created and existing.status == Status.PUBLISHED and case.status != Status.PUBLISHED:
            # The row took the case out of publication: the changes feed tells partners, under the slug
            # it was public under (before a rename in the same row).
            case_withdraw(case=case, public_slug=existing.slug)
    elif changed:
        CaseStudy.objects.filter(pk=case.pk).update(updated_at=now, updated_by=user)

    for name, wanted in many.items():
        getattr(case, name).set(wanted)
    if outcomes_differ:
        case.outcomes.all().delete()
        Outcome.objects.bulk_create(
            [
                Outcome(case=case, indicator=i, value=v, unit=u, baseline=b, date=d, source_url=s, position=n)
                for n, (i, v, u, b, d, s) in enumerate(prepared.outcomes)
            ]
        )
    if resources_differ:
        case.resources.filter(kind=ResourceKind.LINK).delete()
        Resource.objects.bulk_create(
            [
                Resource(case=case, kind=ResourceKind.LINK, title=t, url=u, position=n)
                for n, (t, u) in enumerate(prepared.resources)
            ]
        )
    prepared.changed = changed
    return "created" if created else ("updated" if changed else "unchanged")


def _normalised(rows):
    return [
        tuple(value.normalize() if isinstance(value, Decimal) else value for value in row) for row in rows
    ]


def _apply_links(prepared: _Prepared, slugs: dict) -> bool:
    if prepared.links is None:
        return False
    case = prepared.case
    current = {(link.relation, link.to_case_id, link.note) for link in case.links_out.all()}
    wanted = {(relation, slugs[target].pk, note) for relation, target, note in prepared.links}
    if current == wanted:
        return False
    if prepared.existing is not None and prepared.before is None:
        prepared.before = snapshot(case)  # only the links change, and they have not yet
    case.links_out.all().delete()
    CaseLink.objects.bulk_create(
        [CaseLink(from_case=case, to_case_id=pk, relation=r, note=note) for r, pk, note in sorted(wanted)]
    )
    return True


def import_case_records(
    records: list,
    *,
    user=None,
    dry_run=False,
    progress=None,
    default_status: str = Status.PUBLISHED,
    row_numbers: list[int] | None = None,
    row_label: str = "row",
    reader_errors: dict[int, list[str]] | None = None,
    source: str = "",
) -> ImportReport:
    """Validate every record, then write all of them in one transaction, or none if any is bad.

    Raises ImportRejected (nothing written) when a record is bad, listing every bad record. With dry_run
    the writes are rolled back and the report says what would have happened.

    - `user`: who imports. None is the system (load_demo, the command without --user): no permission
      checks. A user's permissions and economies are checked row by row (see the module docstring).
    - `default_status`: the status of a new case whose record gives none.
    - `row_numbers`, `row_label`: how rows are named in the report (CSV line numbers, "line"); by default
      the records' positions from 1, "row".
    - `reader_errors`: problems the file reader already found, by record position (from 0); a record that
      is None there is reported by those problems only.
    - `source`: a name for the revisions' note, such as the file name.
    """
    report = ImportReport(dry_run=dry_run, row_label=row_label)
    numbers = row_numbers or list(range(1, len(records) + 1))
    reader_errors = reader_errors or {}
    problems: dict[int, list[str]] = {}

    def numbered(row):
        return f"{row_label} {row}"

    context = _Context(records, user=user, default_status=default_status)
    prepared_all = []
    seen_slugs = {}
    for position, record in enumerate(records):
        row = numbers[position]
        row_problems = problems.setdefault(row, list(reader_errors.get(position, [])))
        if record is None and row_problems:
            continue
        if not isinstance(record, dict):
            row_problems.append("not an object")
            continue
        if unstorable := unstorable_text_problems(record):
            row_problems.extend(unstorable)
            continue
        slug = record.get("slug")
        if isinstance(slug, str) and slug in seen_slugs:
            row_problems.append(f"slug '{slug}' also used by {numbered(seen_slugs[slug])}")
            continue
        if isinstance(slug, str):
            seen_slugs[slug] = row
        try:
            prepared = _prepare(row, record, context)
        except _Forbidden as error:
            report.forbidden = True
            row_problems.append(str(error))
        except ValueError as error:
            row_problems.append(str(error))
        else:
            if not row_problems:
                prepared_all.append(prepared)
    for row, reason in _conflicts(prepared_all, numbered):
        problems[row].append(reason)
    link_targets = {target for p in prepared_all for _, target, _note in p.links or []}
    # A case the user may not see reads exactly as one that does not exist, unless the row's case already
    # links to it (the user sees that link on the case's form).
    known_targets = set(seen_slugs) | context.visible_slugs(link_targets)
    linked_now = defaultdict(set)
    for from_id, target in CaseLink.objects.filter(
        from_case__in=[p.existing.pk for p in prepared_all if p.existing and p.links]
    ).values_list("from_case_id", "to_case__slug"):
        linked_now[from_id].add(target)
    for prepared in prepared_all:
        own_links = linked_now[prepared.existing.pk] if prepared.existing else set()
        for _relation, target, _note in prepared.links or []:
            if target not in known_targets and target not in own_links:
                problems[prepared.row].append(f"link target '{target}' is not a known case")
    known_targets |= {target for targets in linked_now.values() for target in targets}
    _reject_if_any(report, problems)

    now = timezone.now()
    try:
        with transaction.atomic():
            for count, prepared in enumerate(prepared_all, start=1):
                try:
                    # A savepoint per row: a row the database refuses is reported, and the others checked.
                    with transaction.atomic():
                        prepared.outcome = _apply(prepared, user=user, now=now)
                except ValidationError as error:
                    problems[prepared.row].append(_validation_message(error))
                except IntegrityError as error:
                    problems[prepared.row].append(f"the database refused it: {error}".strip())
                if progress:
                    progress(count, len(prepared_all))
            _reject_if_any(report, problems)
            slugs = {c.slug: c for c in CaseStudy.objects.filter(slug__in=known_targets)}
            for prepared in prepared_all:
                if _apply_links(prepared, slugs):
                    prepared.changed.append("links")
                    if prepared.outcome == "unchanged":
                        prepared.outcome = "updated"
                        CaseStudy.objects.filter(pk=prepared.case.pk).update(updated_at=now, updated_by=user)
            for prepared in prepared_all:
                if prepared.edit_refusal and prepared.outcome != "unchanged":
                    report.forbidden = True
                    problems[prepared.row].append(prepared.edit_refusal)
            _reject_if_any(report, problems)  # rolls every write back
            _record_revisions(prepared_all, user=user, source=source, numbered=numbered)
            for prepared in prepared_all:
                setattr(report, prepared.outcome, getattr(report, prepared.outcome) + 1)
                report.rows.append(
                    RowResult(
                        prepared.row,
                        prepared.case.slug,
                        prepared.case.title,
                        prepared.outcome,
                        prepared.changed if prepared.outcome == "updated" else [],
                    )
                )
            if dry_run:
                raise _DryRunRollback
            # bulk_create (outcomes, resources, links) and update() send no signals.
            after_commit_refresh_catalogue()
    except _DryRunRollback:
        pass
    return report


def import_case_file(parsed, *, user=None, dry_run=False, progress=None, source="") -> ImportReport:
    """Import a file read by cases.interchange.formats.read_cases (`import_cases` and the admin import).

    A new case whose row gives no status is a draft.
    """
    return import_case_records(
        parsed.records,
        user=user,
        dry_run=dry_run,
        progress=progress,
        default_status=Status.DRAFT,
        row_numbers=parsed.row_numbers,
        row_label=parsed.row_label,
        reader_errors=parsed.errors,
        source=source,
    )


def _record_revisions(prepared_all, *, user, source, numbered):
    for prepared in prepared_all:
        if prepared.outcome == "unchanged":
            continue
        where = f" from {source}" if source else ""
        record_revision(
            case=prepared.case,
            user=user,
            action=RevisionAction.IMPORTED,
            message=f"Imported{where} ({numbered(prepared.row)}): {prepared.outcome}",
            previous=prepared.before or {},
        )


def _reject_if_any(report: ImportReport, problems: dict[int, list[str]]) -> None:
    report.errors = sorted((row, "; ".join(reasons)) for row, reasons in problems.items() if reasons)
    if report.errors:
        raise ImportRejected(report)


# What no text column can hold: NUL, which PostgreSQL refuses in text, and a lone UTF-16 surrogate
# (JSON's "\ud800"), which no UTF-8 database or page can encode.
UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")


def unstorable_text_problems(record) -> list[str]:
    """Where `record` (a JSON value) holds text no database column can store, as "title holds ..."; the
    bad text itself is never repeated, since no page or terminal could show it either."""
    problems = []
    pending = [("", record)]
    while pending:  # not recursive: a deeply nested value cannot exhaust the stack
        where, value = pending.pop()
        if isinstance(value, str):
            if UNSTORABLE_TEXT.search(value):
                problems.append(where or "a value")
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and UNSTORABLE_TEXT.search(key):
                    problems.append(f"a field name{' in ' + where if where else ''}")
                    continue
                pending.append((f"{where}.{key}" if where else str(key), item))
        elif isinstance(value, list):
            pending.extend((f"{where}[{n}]", item) for n, item in enumerate(value, start=1))
    return [
        f"{where} holds a character that cannot be stored (a NUL, or an unpaired UTF-16 surrogate such "
        "as \\ud800): remove it"
        for where in sorted(set(problems))
    ]


def close_match(name: str, choices) -> str:
    """ " (did you mean 'sectors'?)" when `name` looks like a misspelt choice, else ""."""
    found = get_close_matches(name, list(choices), n=1)
    return f" (did you mean '{found[0]}'?)" if found else ""


class _DryRunRollback(Exception):
    pass


def _validation_message(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
    return " ".join(error.messages)

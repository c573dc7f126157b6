"""Import case studies from records (dicts in the interchange format): validated, atomic, idempotent.

One function serves `load_demo`, `import_cases` and the admin import: every record is checked first and
every problem reported with its row number (a CSV line or a JSON item); only when all rows are good is
anything written, in one transaction, by the services (cases/services.py, case_import_many), which check,
write and record every case as the admin's edit and the workflow do. A record is matched to an existing
case by `external_id` when it has one, else by `slug`; a case whose data is already the same is left
untouched (so importing twice changes nothing). The record format is described in docs/curation.md ("Bulk
import and export") and written by cases/interchange/formats.py; its fields, vocabularies included, in
cases/records.py, which this module reads them by.

A key absent from a record leaves that field of an existing case as it is (a new case gets the model's
default); a key present sets it, `null` or "" meaning empty.

Imports and the workflow: a file states each case's status, like a restore from a backup, so an import
does not walk the transitions of cases/curation/workflow.py one by one; but it asks for the same
permissions the workflow would (publishing or unpublishing needs `publish_casestudy`, archiving or
restoring `archive_casestudy`: cases/curation/permissions.py, status_change_refusal) and the same economy
scope, when it runs as a user. Without `publish_casestudy` a row changes the status only to draft or in
review (not from submitted: accepting is a reviewer's), and never sets or changes `published_at` (nor so
`published_by`): those are the workflow's. Publishing sets `published_at` once: the file's `published_at`
is used for a case that has none yet, else the time of the import, and a case that already has one keeps
it. A status changed by an import has the workflow's consequences (case_status_saved): a case taken out of
publication is withdrawn for the changes feed, and the submitter of a case it publishes is told. Every
created or updated case gets an "imported" revision.
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

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation

from cases.curation.permissions import (
    can_edit_economy,
    published_at_refusal,
    status_change_refusal,
    visible_cases,
)
from cases.models import (
    CaseLink,
    CaseStudy,
    FormerSlug,
    LinkRelation,
    Outcome,
    Resource,
    ResourceKind,
    Status,
)
from cases.models.facets import FACETS_BY_MODEL
from cases.models.translations import (
    CONTENT_LANGUAGES,
    UNKNOWN_SOURCE,
    CaseTranslation,
    TranslationStatus,
    language_name,
)
from cases.records import (
    ECONOMY,
    REQUIRED_KEYS,
    TRANSLATION_COLUMNS,
    TRANSLATION_RECORD_KEYS,
    VOCABULARY_FIELDS,
    from_record,
    read_flag,
)
from cases.records import read_date as _as_date
from cases.records import read_text as _as_text
from cases.services import CaseImport, CaseImportFailed, case_import_many
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
    """The terms of every vocabulary a record names (cases/records.py, VOCABULARY_FIELDS: the primary economy
    and the many-to-many fields), each findable by every value a record may name it by (the field's
    `value_field` and `matched_by` columns, in any letter case), loaded once per import."""

    def __init__(self):
        terms = {}  # a vocabulary's model -> its terms, read once however many fields name it
        self.tables = {}
        for name, vocabulary in VOCABULARY_FIELDS.items():
            if vocabulary.model not in terms:
                terms[vocabulary.model] = list(vocabulary.model.objects.all())
            table = {}
            for column in (vocabulary.value_field, *vocabulary.matched_by):
                for term in terms[vocabulary.model]:
                    table.setdefault(_term_key(getattr(term, column)), term)
            self.tables[name] = table

    def read(self, name: str, values: list, problems: list[str]) -> list:
        """The terms `values` (a record's values of the field `name`) name, each once; a value that names
        none, or is not a number where a number names a term, is said in `problems`."""
        vocabulary = VOCABULARY_FIELDS[name]
        model = vocabulary.model
        with translation.override(None):  # the importer's messages are in English
            label = str(model._meta.verbose_name)
        numbered = isinstance(model._meta.get_field(vocabulary.value_field), models.IntegerField)
        found, unknown = [], []
        for value in values:
            if numbered:
                # The one strict reading of a number (ASCII digits only): "²" passes isdigit() but not int(),
                # and int() reads Arabic-Indic or fullwidth digits as if they were ASCII.
                readable = isinstance(value, int | str) and not isinstance(value, bool)
                text = str(value).strip() if readable else None
                try:
                    key = shown = parse_whole_number(text)
                except ValueError:
                    problems.append(f"{label} {value!r} is not a number{_value_range(model)}")
                    continue
            else:
                key, shown = _term_key(value) if isinstance(value, str) else None, value
            term = self.tables[name].get(key)
            if term is None:
                unknown.append(shown)
            elif term not in found:
                found.append(term)
        if unknown:
            problems.append(f"unknown {label}: {', '.join(map(str, unknown))}")
        return found


def _term_key(value):
    """How a term is looked up: text in any letter case, spaces around it ignored; a number as it is."""
    return value.strip().lower() if isinstance(value, str) else value


def _value_range(model) -> str:
    """ " from 1 to 17" for a vocabulary whose facet (cases/models/facets.py) gives its values' range."""
    facet = FACETS_BY_MODEL.get(model)
    if facet is None or facet.value_range is None:
        return ""
    return " from {} to {}".format(*facet.value_range)


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
    row: int  # the row's number in the report
    write: CaseImport  # the case as the row states it, for the services to write (cases/services.py)

    @property
    def case(self) -> CaseStudy:
        return self.write.case

    @property
    def existing(self) -> CaseStudy | None:
        return self.write.stored


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
        if refusal := status_change_refusal(user, before=before, after=status):
            problems.append(refusal)
        if refusal := published_at_refusal(
            user, before=existing.published_at if existing else None, after=published_at
        ):
            problems.append(refusal)
        return problems


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

    # The vocabularies, as cases/records.py describes them: the primary economy is one term, set on the case;
    # the many-to-many fields are lists, set only when the record gives them.
    terms = {}
    for name, vocabulary in VOCABULARY_FIELDS.items():
        if name in record:
            given = [record[name]] if vocabulary.kind == ECONOMY else attempt(_as_list, record[name], name)
            terms[name] = vocab.read(name, given or [], problems)
    for name, vocabulary in VOCABULARY_FIELDS.items():
        if vocabulary.besides and name in terms:
            terms[name] = [term for term in terms[name] if term not in terms.get(vocabulary.besides, ())]
    single = {
        name: next(iter(terms.pop(name, ())), None)
        for name, vocabulary in VOCABULARY_FIELDS.items()
        if vocabulary.kind == ECONOMY
    }
    economy = single["economy"]

    values, unreadable = from_record(record)  # the case's own fields (cases/records.py)
    problems.extend(unreadable)
    if not values.get("original_language", "x"):
        del values["original_language"]  # an empty cell keeps the case's (a new case's: English)
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
    original_language = values.get("original_language") or (existing.original_language if existing else "en")
    translations = None
    if "translations" in record:
        given = attempt(_as_list, record["translations"], "translations") or []
        translations = _read_translations(given, original_language, problems)
    elif (
        existing
        and original_language != existing.original_language
        and existing.translations.filter(language=original_language).exists()
    ):
        problems.append(
            f"the case has a translation into {language_name(original_language)} ({original_language}), "
            "the original language this row gives: give the case's translations without it"
        )
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
    for name, value in {**values, **single}.items():
        setattr(case, name, value)
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
    return _Prepared(
        row,
        CaseImport(
            case=case,
            stored=existing,
            terms=terms,
            outcomes=outcomes,
            resources=resources,
            links=links,
            translations=translations,
            sets_published_at=sets_published_at,
        ),
    )


# What a translation's made_from may say: an original's digest (records.original_text_digest), or unknown.
MADE_FROM = re.compile(rf"[0-9a-f]{{64}}|{UNKNOWN_SOURCE}")


def _read_translations(items: list, original_language: str, problems: list[str]) -> list[dict]:
    """A record's translations (records.TRANSLATION_RECORD_KEYS), each checked as the admin checks one
    (none in the case's original language); what is wrong goes to `problems`. A key a translation leaves
    out takes the model's default (a draft, not machine translated, empty text); without made_from, see
    cases.services._import_translations."""
    translations, seen = [], {}
    for number, item in enumerate(items, start=1):
        label = f"translation {number}"
        if not isinstance(item, dict):
            problems.append(f"{label}: must be an object with a language, its text and who translated it")
            continue
        if unknown := [key for key in item if key not in TRANSLATION_RECORD_KEYS]:
            problems.extend(
                f"{label}: unknown field '{key}'{close_match(str(key), TRANSLATION_RECORD_KEYS)}"
                for key in unknown
            )
            continue
        language = item.get("language")
        if not isinstance(language, str) or language not in CONTENT_LANGUAGES:
            problems.append(
                f"{label}: unknown language {json.dumps(language, ensure_ascii=False, default=str)} "
                f"(one of {', '.join(CONTENT_LANGUAGES)})"
            )
            continue
        if language == original_language:
            problems.append(
                f"{label}: {language_name(language)} ({language}) is the case's original language: its text "
                "belongs in the case's own fields"
            )
            continue
        if language in seen:
            problems.append(
                f"{label}: repeats the {language_name(language)} ({language}) of translation {seen[language]}"
            )
            continue
        seen[language] = number
        try:
            values = {
                key: read_flag(item.get(key), f"{label}: {key}")
                if key == "machine_translated"
                else _as_text(item.get(key), f"{label}: {key}")
                for key in TRANSLATION_RECORD_KEYS
            }
        except ValueError as error:
            problems.append(str(error))
            continue
        if values["made_from"] and not MADE_FROM.fullmatch(values["made_from"]):
            problems.append(
                f"{label}: made_from must be the digest an export wrote (64 hexadecimal digits), "
                f"'{UNKNOWN_SOURCE}', or empty"
            )
            continue
        values["status"] = values["status"] or TranslationStatus.DRAFT
        translation = CaseTranslation(**{key: values[key] for key in TRANSLATION_COLUMNS})
        try:
            # The model's own checks: lengths, choices, no control characters (CaseTranslation.clean).
            translation.full_clean(
                exclude=["case", "source_digest", "source_revision"],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as error:
            problems.append(f"{label} ({language}): {_validation_message(error)}")
            continue
        if translation.status == TranslationStatus.PUBLISHED and not translation.reviewed_by.strip():
            problems.append(
                f"{label} ({language}): a published translation names who reviewed it (reviewed_by)"
            )
            continue
        translations.append(values)
    return translations


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
    link_targets = {target for p in prepared_all for _, target, _note in p.write.links or []}
    # A case the user may not see reads exactly as one that does not exist, unless the row's case already
    # links to it (the user sees that link on the case's form).
    known_targets = set(seen_slugs) | context.visible_slugs(link_targets)
    linked_now = defaultdict(set)
    for from_id, target in CaseLink.objects.filter(
        from_case__in=[p.existing.pk for p in prepared_all if p.existing and p.write.links]
    ).values_list("from_case_id", "to_case__slug"):
        linked_now[from_id].add(target)
    for prepared in prepared_all:
        own_links = linked_now[prepared.existing.pk] if prepared.existing else set()
        for _relation, target, _note in prepared.write.links or []:
            if target not in known_targets and target not in own_links:
                problems[prepared.row].append(f"link target '{target}' is not a known case")
    _reject_if_any(report, problems)

    for prepared in prepared_all:
        where = f" from {source}" if source else ""
        prepared.write.note = f"Imported{where} ({numbered(prepared.row)})"
    try:
        with transaction.atomic():
            try:
                # The services write, check and record every case (cases/services.py): all or nothing.
                case_import_many(rows=[p.write for p in prepared_all], user=user, progress=progress)
            except CaseImportFailed:
                for prepared in prepared_all:
                    for error in prepared.write.errors:
                        report.forbidden |= isinstance(error, PermissionDenied)
                        problems[prepared.row].append(_error_message(error))
                _reject_if_any(report, problems)
            for prepared in prepared_all:
                written = prepared.write
                setattr(report, written.outcome, getattr(report, written.outcome) + 1)
                report.rows.append(
                    RowResult(
                        prepared.row,
                        prepared.case.slug,
                        prepared.case.title,
                        written.outcome,
                        written.changed if written.outcome == "updated" else [],
                    )
                )
            if dry_run:
                raise _DryRunRollback
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


def _error_message(error: Exception) -> str:
    """Why the services refused to write a row, in the report's words."""
    if isinstance(error, ValidationError):
        return _validation_message(error)
    if isinstance(error, IntegrityError):
        return f"the database refused it: {error}".strip()
    return str(error)


def _validation_message(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
    return " ".join(error.messages)

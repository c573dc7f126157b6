"""Writes: plain, keyword-only functions that admin, forms, commands and the API call alike.

Each runs in a transaction, checks the acting user's permission where a user acts (the rules of
cases/curation/permissions.py; `user=None` is the system: a command, the demo loader) and records the
case's history (cases/curation/history.py). Status changes are the workflow's transitions
(cases/curation/workflow.py) and imports (`case_import_many`, which states a status outright), both
building on the services here: what follows a change of status (a withdrawal, a publication notice) is
`case_status_saved`'s. E-mails are sent by tasks (cases/tasks.py) enqueued once the transaction commits,
never inside the request's transaction: a rolled-back write sends nothing.

The changes feed's withdrawal records (cases/models/withdrawals.py) are written here and only here: by
`case_withdraw` (through case_status_saved: the workflow's unpublish and archive, an import that takes a
case out of publication) and by `case_delete` / `case_delete_many` (the admin's delete and bulk delete). A
write that goes around the services (`case.delete()` or `CaseStudy.objects.filter(...).delete()` in
`manage.py shell`, a status changed with `QuerySet.update()` or raw SQL) records no withdrawal, and partners
who harvest the changes feed would keep the case: delete or unpublish through the admin, the workflow or an
import, never by hand.
"""

import hashlib
import logging
import re
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.tasks import task
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, override

from cases.curation.history import M2M, SNAPSHOT_FIELDS, record_revision, snapshot
from cases.curation.permissions import (
    can_delete_cases,
    can_edit_economy,
    check_case_edit,
    published_at_refusal,
    status_change_refusal,
    visible_cases,
)
from cases.filters import CaseStudyFilterSet
from cases.models import (
    RESERVED_CASE_SLUGS,
    AlertFrequency,
    AlertSubscription,
    CaseLink,
    CaseMethod,
    CaseOrganisation,
    CaseRevision,
    CaseStudy,
    CaseToolkit,
    CaseWithdrawal,
    Economy,
    EntryRevision,
    EntryStatus,
    FormerSlug,
    LinkState,
    Method,
    MethodRole,
    Organisation,
    OrganisationRole,
    Outcome,
    Resource,
    ResourceKind,
    RevisionAction,
    Status,
    SubmitterContact,
    Toolkit,
    WithdrawalReason,
)
from cases.models.api_keys import DEFAULT_RATE, LAST_USED_RESOLUTION, ApiKey
from cases.models.facets import FACETS_BY_PARAMETER
from cases.models.methods import organisation_name_key
from cases.models.search_document import LANGUAGE_FIELDS, other_languages_search_texts
from cases.models.translations import (
    TRANSLATED_CASE_FIELDS,
    CaseTranslation,
    TranslationStatus,
    text_digest,
)
from cases.records import SCALAR_FIELDS, TRANSLATION_COLUMNS, original_text_digest, translation_records
from cases.tasks import (
    DIGEST_MAX_CASES,
    alert_digest_message,
    alert_new_cases,
    catalogue_written,
    related_written,
    send_alert_confirmation,
    send_publication_notice,
    send_submission_receipt,
)
from cases.web.rate_limits import count_request


def case_change_slug(*, case: CaseStudy, new_slug: str) -> FormerSlug | None:
    """Give `case` the slug `new_slug`, keeping its stored slug as a FormerSlug so the old address 301s.

    The slug the database holds is the one recorded, whatever `case.slug` says in memory (the admin form
    has already put the new value there); only the slug and `updated_at` are saved, so other unsaved edits
    of `case` are left to its caller. Taking back one of this case's own former slugs drops that redirect.
    Another case's former slug is taken, exactly like its current slug: its old address answers 301 to that
    case, and reclaiming it would turn a public address into a 404, so it is refused for everyone, in the
    same words. Raises ValidationError when `new_slug` is not a valid slug or another case uses it now or
    used it once. Returns the FormerSlug recorded, or None if nothing was recorded.
    """
    try:
        new_slug = CaseStudy._meta.get_field("slug").clean(new_slug, case)
    except ValidationError as error:
        raise ValidationError({"slug": error.messages}) from error
    if new_slug in RESERVED_CASE_SLUGS:
        raise ValidationError(
            {
                "slug": _("“%(slug)s” is the address of a list of cases; choose another slug.")
                % {"slug": new_slug}
            }
        )
    with transaction.atomic():
        stored_slug = CaseStudy.objects.select_for_update().values_list("slug", flat=True).get(pk=case.pk)
        if stored_slug == new_slug:
            case.slug = new_slug
            return None
        if (
            CaseStudy.objects.filter(slug=new_slug).exclude(pk=case.pk).exists()
            or FormerSlug.objects.filter(slug=new_slug).exclude(case=case).exists()
        ):
            raise ValidationError({"slug": _("Another case already uses this slug.")})
        case.slug = new_slug
        FormerSlug.objects.filter(slug=new_slug, case=case).delete()
        former, _created = FormerSlug.objects.get_or_create(slug=stored_slug, defaults={"case": case})
        if former.case_id != case.pk:
            # The old address already redirects to another case (this one shared it by mistake): it
            # stays that case's, never moved here.
            former = None
        # Saving (not .update()) bumps updated_at, which the partners' changes feed follows, and sends the
        # signals that invalidate cached pages.
        case.save(update_fields=["slug", "updated_at"])
    return former


# --- Public submissions ---------------------------------------------------------------------------

REFERENCE_PREFIX = "OBS-"
# Letters and digits a reader cannot confuse when copying a reference by hand (no 0/O, 1/I/L).
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 8
REFERENCE_PATTERN = re.compile(rf"{REFERENCE_PREFIX}[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}")


def new_submission_reference() -> str:
    """A fresh, unguessable reference such as "OBS-K7QX2M9P", unused by any submission so far."""
    while True:
        reference = REFERENCE_PREFIX + "".join(
            secrets.choice(REFERENCE_ALPHABET) for _n in range(REFERENCE_LENGTH)
        )
        if not SubmitterContact.objects.filter(reference=reference).exists():
            return reference


def unique_case_slug(title: str) -> str:
    """slugify(title), with "-2", "-3", ... added when a case uses it now or used it once (a former slug)."""
    max_length = CaseStudy._meta.get_field("slug").max_length - 6  # room for a suffix
    base = slugify(title)[:max_length].strip("-") or "case"
    taken = set(CaseStudy.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    taken |= set(FormerSlug.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    taken |= RESERVED_CASE_SLUGS
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def case_submit(*, data: dict, contact: dict, via: str = "") -> SubmitterContact:
    """Save a case proposed through the public form, and its submitter's private contact details.

    `data` holds the case's fields (sectors and themes as iterables of terms); `contact` holds `name`,
    `email` and `organisation`. The case is created in status `submitted` (never published: a curator
    accepts it through the workflow), with a unique slug from its title; a SubmitterContact with a new
    reference number and a "created" revision (its message says which door, `via`) are recorded in the same
    transaction. Once it commits, a task e-mails the submitter a receipt (cases/tasks.py). Raises
    ValidationError when the case or contact is invalid.
    Returns the SubmitterContact (its `reference` is what the submitter is shown).
    """
    data = dict(data)
    sectors = list(data.pop("sectors", []))
    themes = list(data.pop("themes", []))
    with transaction.atomic():
        case = CaseStudy(**data, status=Status.SUBMITTED, slug=unique_case_slug(data.get("title", "")))
        case.full_clean()
        case.save()
        case_lead_organisation_sync(case=case)
        case.sectors.set(sectors)
        case.themes.set(themes)
        submitter = SubmitterContact(case=case, reference=new_submission_reference(), **contact)
        submitter.full_clean()
        submitter.save()
        record_revision(
            case=case,
            user=None,
            action=RevisionAction.CREATED,
            message=str(_("Submitted through %(via)s") % {"via": via or _("the public form")}),
        )
        transaction.on_commit(partial(send_submission_receipt.enqueue, submitter.pk))
    return submitter


# --- Editing a case (the admin's case form) -------------------------------------------------------

# Written only by the workflow (cases/curation/workflow.py) and on creation, never by an edit.
WORKFLOW_FIELDS = ("status", "published_at", "published_by_id", "created_at", "created_by_id")


def case_create(
    *, case: CaseStudy, user, message: str = "", save_related: Callable[[], None] | None = None
) -> CaseStudy:
    """Save the new `case` (its values validated by the caller's form) as `user`, who must be allowed to
    change it (case_edit_refusal); `save_related` then saves what hangs off it (the admin's many-to-many
    fields and inlines), and a "created" revision of the whole case is recorded, all in one transaction."""
    with transaction.atomic():
        check_case_edit(user=user, case=case)
        case.created_by = case.updated_by = user
        case.save()
        if save_related is not None:
            save_related()
        # After the inlines: a lead organisation the curator chose there is kept when the text names it.
        case_lead_organisation_sync(case=case)
        revision = record_revision(case=case, user=user, action=RevisionAction.CREATED, message=message[:500])
        pin_translation_sources(case=case, revision=revision)
    return case


def case_update(
    *,
    case: CaseStudy,
    user,
    changed: Iterable[str] = (),
    new_slug: str | None = None,
    save_related: Callable[[], None] | None = None,
    message: str = "",
) -> CaseStudy:
    """Save the edited `case` (its values validated by the caller's form) as `user`, in one transaction:

    - the stored row is locked and checked against the rule (case_edit_refusal) as it is now, and the case
      as it will be (its economy may change): a reviewer's publish cannot slip in between check and save;
    - the workflow's fields keep what is stored, never the values `case` was loaded with, so an edit never
      puts back a status the workflow has changed since;
    - `new_slug`, when given, goes through case_change_slug (the old slug becomes a FormerSlug and answers
      301);
    - `save_related` then saves what hangs off the case (the admin's many-to-many fields and inlines), and a
      "changed" revision of the whole case says `message` (by default, names the `changed` fields).

    Raises PermissionDenied (nothing is written) or ValidationError (the slug).
    """
    with transaction.atomic():
        stored = CaseStudy.objects.select_for_update().get(pk=case.pk)
        check_case_edit(user=user, case=stored)
        for name in WORKFLOW_FIELDS:
            setattr(case, name, getattr(stored, name))
        check_case_edit(user=user, case=case)
        case.updated_by = user
        if new_slug is not None:
            case_change_slug(case=case, new_slug=new_slug)
        case.save()
        if save_related is not None:
            save_related()
        case_lead_organisation_sync(case=case, stored=stored)
        note = message or ", ".join(changed)
        revision = record_revision(case=case, user=user, action=RevisionAction.CHANGED, message=note[:500])
        pin_translation_sources(case=case, revision=revision)
    return case


def pin_translation_sources(*, case: CaseStudy, revision: CaseRevision) -> int:
    """The translations saved with this write as made from the original as it now is (the admin's inline
    marks them: their digest of the original's text, no revision yet) are pinned to the revision just
    recorded: the revision of the original they were made from. Returns how many."""
    digest = text_digest({name: getattr(case, name) for name in TRANSLATED_CASE_FIELDS})
    unpinned = CaseTranslation.objects.filter(case=case, source_digest=digest, source_revision__isnull=True)
    return unpinned.update(source_revision=revision)


def case_rows_write(
    *,
    user,
    case_ids: Iterable[int],
    write: Callable[[], None],
    message: str,
    records_revisions: bool = True,
) -> list[CaseStudy]:
    """Write rows that belong to cases (outcomes, resources, links, submitter contacts) as `user`.

    `case_ids` are the owning cases as stored before the write and as the write leaves them (a row moved
    from one case to another changes both): they are locked, and each checked against the rule
    (case_edit_refusal) as stored; then `write()` runs, and each case is marked changed (its `updated_at`,
    which partners' harvests, the changes feed and the API's ETag go by) and gets a "changed" revision
    saying `message`, all in one transaction. `records_revisions=False` for private rows that are not part of
    a case's snapshot (submitter contacts): a revision would show no change, and its message would carry
    the contact to whoever reads the history. Raises PermissionDenied (nothing is written).
    """
    with transaction.atomic():
        cases = list(CaseStudy.objects.select_for_update().filter(pk__in=set(case_ids)))
        for case in cases:
            check_case_edit(user=user, case=case)
        write()
        if records_revisions:
            CaseStudy.objects.filter(pk__in=[case.pk for case in cases]).update(
                updated_at=timezone.now(), updated_by=user
            )
            for case in cases:
                record_revision(case=case, user=user, action=RevisionAction.CHANGED, message=message[:500])
    return cases


# --- Leaving the public catalogue: withdrawals and deletions --------------------------------------


def case_withdraw(*, case: CaseStudy, public_slug: str) -> CaseWithdrawal | None:
    """Record that `case`, public until now under `public_slug`, has left the public catalogue (unpublished
    or archived, by its status as just saved), at its `updated_at`: the changes feed tells partners to
    remove it. Call it in the transaction that saved the new status; nothing is recorded for a case that
    is still published."""
    if case.status == Status.PUBLISHED:
        return None
    reason = WithdrawalReason.ARCHIVED if case.status == Status.ARCHIVED else WithdrawalReason.UNPUBLISHED
    return CaseWithdrawal.objects.create(
        case_id=case.pk, slug=public_slug, reason=reason, withdrawn_at=case.updated_at or timezone.now()
    )


def case_status_saved(*, case: CaseStudy, previous: str | None, public_slug: str) -> None:
    """What follows a change of `case`'s status from `previous` to the one just saved, whichever way it came
    (a workflow transition, an import); call it in the transaction that saved it. A case leaving publication
    is withdrawn (case_withdraw, under `public_slug`, the slug it was public under), and a case entering it
    has its submitter told, by a task enqueued once the transaction commits. `previous` is None for a case
    just created: never public, and nobody has proposed it through the public form."""
    if previous is None or previous == case.status:
        return
    if previous == Status.PUBLISHED:
        case_withdraw(case=case, public_slug=public_slug)  # the changes feed tells partners it left
    elif case.status == Status.PUBLISHED and hasattr(case, "submitter"):
        transaction.on_commit(partial(send_publication_notice.enqueue, case.pk))


def case_delete(*, case: CaseStudy, user) -> None:
    """Delete `case` for good as `user` (a curator: can_delete_cases), recording the deletion for the
    changes feed if it was published. Raises PermissionDenied."""
    case_delete_many(cases=CaseStudy.objects.filter(pk=case.pk), user=user)


def case_delete_many(*, cases: QuerySet, user) -> int:
    """Delete the cases of `cases` for good as `user` (a curator: can_delete_cases; None for the system),
    in one transaction.

    Each case published as stored gets a "deleted" withdrawal with its slug, so partners harvesting the
    changes feed remove it; a case already withdrawn has its record, and one never public is nobody's
    business. Returns how many cases were deleted. Raises PermissionDenied (nothing is deleted).
    """
    if user is not None and not can_delete_cases(user):
        raise PermissionDenied(_("Only curators delete cases; archive it instead."))
    with transaction.atomic():
        rows = list(
            CaseStudy.objects.select_for_update()
            .filter(pk__in=cases.values("pk"))
            .order_by("pk")
            .values_list("pk", "slug", "status")
        )
        CaseWithdrawal.objects.bulk_create(
            CaseWithdrawal(case_id=pk, slug=slug, reason=WithdrawalReason.DELETED)
            for pk, slug, status in rows
            if status == Status.PUBLISHED
        )
        CaseStudy.objects.filter(pk__in=[pk for pk, _slug, _status in rows]).delete()
    return len(rows)


# --- Restoring an earlier version ------------------------------------------------------------------


def case_restore_revision(*, revision: CaseRevision, user) -> CaseStudy:
    """Put the case back as it was in `revision` (its status excepted: that only changes by workflow).

    A restore is an edit: the user must be allowed to change the case as it is now and as the restore
    leaves it (cases/curation/permissions.py, check_case_edit), so an economy editor cannot restore a
    published case,
    nor a version from when the case belonged to an economy they do not look after. Its links come back
    only to cases the user may see (visible_cases) or the case links to now; the others are left out, as
    links to cases deleted since are, and the restore's revision message says how many. Raises
    PermissionDenied, or ValidationError when the version cannot be put back (its slug is taken now).
    """
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
        stored = CaseStudy(lead_organisation=case.lead_organisation, economy_id=case.economy_id)
        for name in SNAPSHOT_FIELDS:
            # A field a version from before it existed does not hold keeps its value.
            if name in ("status", "slug") or name not in data:
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
        case_lead_organisation_sync(case=case, stored=stored)
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
        # The translations as they were, each made from the original as restored (a version from before
        # revisions kept translations leaves today's in place).
        if "translations" in data:
            original = text_digest({name: getattr(case, name) for name in TRANSLATED_CASE_FIELDS})
            case.translations.all().delete()
            for values in data["translations"]:
                CaseTranslation.objects.create(case=case, source_digest=original, **values)
            case_language_search_refresh(case_ids=[case.pk])
        record_revision(
            case=case,
            user=user,
            action=RevisionAction.RESTORED,
            message=str(
                _("Restored the version of %(when)s") % {"when": f"{revision.created_at:%Y-%m-%d %H:%M}"}
            )
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


# --- Importing cases: each as a file states it ---------------------------------------------------

# The case's own columns an import writes; published_at and published_by only on a first publication.
IMPORTED_COLUMNS = ("slug", *SCALAR_FIELDS, "economy", "status")


@dataclass
class CaseImport:
    """One case as a row of an import states it, read and checked by cases/interchange/importing.py: its
    values valid, its slug and external id no other case's, its link targets cases the user may see.
    case_import_many fills in the last four fields."""

    case: CaseStudy  # as the row leaves it: a copy of the stored case with the row's values, or a new case
    stored: CaseStudy | None  # the case the row matched; None for a new case
    terms: dict[str, list] = field(default_factory=dict)  # many-to-many field -> terms (the fields given)
    outcomes: list[tuple] | None = None  # (indicator, value, unit, baseline, date, source_url); None: kept
    resources: list[tuple[str, str]] | None = None  # the link resources' (title, url); None: kept
    links: list[tuple[str, str, str]] | None = None  # (relation, target slug, note); None: kept
    # Every translation the case is to have, each {key: value} of records.TRANSLATION_RECORD_KEYS; None: kept
    translations: list[dict] | None = None
    sets_published_at: bool = False  # a first publication: at case.published_at, or now when that is None
    note: str = ""  # the start of the revision's message: "Imported from cases.csv (line 4)"
    outcome: str = ""  # "created", "updated" or "unchanged"
    changed: list[str] = field(default_factory=list)  # what an update changed
    errors: list[Exception] = field(default_factory=list)  # why the row was refused
    before: dict | None = None  # the case's snapshot before the update, for its revision's diff


class CaseImportFailed(Exception):
    """Some rows could not be written (each row's `errors` say why), so nothing was."""


def case_import_many(
    *,
    rows: Sequence[CaseImport],
    user,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write the cases of an import as `user` (None: the system, as `load_demo`), all in one transaction.

    A row states its case whole, status included, as a restore from a backup does, rather than walking the
    workflow's transitions one by one; but it is written as the admin's edit (case_update) and the workflow
    (cases/curation/workflow.py) write:

    - the stored cases are locked, and a row that changes anything is checked against the rules as its case
      is stored now and as the row leaves it: case_edit_refusal, the permission to add cases, and the
      workflow's permissions for the status (status_change_refusal) and the first publication date
      (published_at_refusal);
    - a new slug goes through case_change_slug (the old address answers 301);
    - a case the row takes out of publication is withdrawn, and one it publishes has its submitter told once
      the transaction commits (case_status_saved), exactly as by a transition;
    - only what differs is written: a row as its case already is costs no write and no revision (importing a
      file twice changes nothing, not even `updated_at`); each case created or changed gets one "imported"
      revision of the whole case, saying `note` and how it came out, its diff against the case as it was.

    Links are written once every row's case is, since a row may link to a case a later row creates.
    Raises CaseImportFailed, writing nothing, when a row is refused (PermissionDenied) or the database
    refuses it (ValidationError, IntegrityError): every row is tried first, and its `errors` say why.
    `progress(done, total)` is called after each row.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = {
            case.pk: case
            for case in CaseStudy.objects.select_related("economy")
            .select_for_update(of=("self",))
            .filter(pk__in=[row.stored.pk for row in rows if row.stored is not None])
            .order_by("pk")
        }
        with language_search_refresh_deferred():
            for done, row in enumerate(rows, start=1):
                try:
                    # A savepoint per row: a row refused is reported, and the others still tried.
                    with transaction.atomic():
                        _import_case(row, stored=_stored(row, locked), user=user, now=now)
                except (PermissionDenied, ValidationError, IntegrityError) as error:
                    row.errors.append(error)
                if progress:
                    progress(done, len(rows))
        _fail_if_any(rows)
        targets = {slug for row in rows for _relation, slug, _note in row.links or ()}
        case_ids = dict(CaseStudy.objects.filter(slug__in=targets).values_list("slug", "pk"))
        for row in rows:
            try:
                _import_links(row, stored=_stored(row, locked), case_ids=case_ids, user=user, now=now)
            except (PermissionDenied, ValidationError) as error:
                row.errors.append(error)
        _fail_if_any(rows)
        for row in rows:
            if row.outcome != "unchanged":
                revision = record_revision(
                    case=row.case,
                    user=user,
                    action=RevisionAction.IMPORTED,
                    message=f"{row.note}: {row.outcome}",
                    previous=row.before or {},
                )
                pin_translation_sources(case=row.case, revision=revision)
        catalogue_written()  # bulk_create and update() send no signals


def _stored(row: CaseImport, locked: dict[int, CaseStudy]) -> CaseStudy | None:
    if row.stored is None:
        return None
    if row.stored.pk not in locked:
        raise ValidationError(_("The case this row matches has been deleted meanwhile."))
    return locked[row.stored.pk]


def _fail_if_any(rows: Sequence[CaseImport]) -> None:
    if any(row.errors for row in rows):
        raise CaseImportFailed


def _check_import(row: CaseImport, *, stored: CaseStudy | None, user) -> None:
    """Raise PermissionDenied unless `user` may write `row` (see case_import_many); the system may."""
    if user is None:
        return
    case = row.case
    if stored is None:
        if not user.has_perm("cases.add_casestudy"):
            raise PermissionDenied(_("You do not have permission to add cases."))
        check_case_edit(user=user, case=case)
    else:
        check_case_edit(user=user, case=stored)
        if not can_edit_economy(user, case.economy_id):
            raise PermissionDenied(_("This case belongs to an economy you do not look after."))
    before = (stored.status, stored.published_at) if stored else (None, None)
    refusal = status_change_refusal(user, before=before[0], after=case.status) or published_at_refusal(
        user, before=before[1], after=case.published_at
    )
    if refusal:
        raise PermissionDenied(refusal)


def _column(case: CaseStudy, name: str):
    return getattr(case, CaseStudy._meta.get_field(name).attname)


def _normalised(rows) -> list[tuple]:
    return [
        tuple(value.normalize() if isinstance(value, Decimal) else value for value in row) for row in rows
    ]


def _import_case(row: CaseImport, *, stored: CaseStudy | None, user, now: datetime) -> None:
    """Write the case of `row` and what hangs off it but its links, if anything differs from `stored`.

    What differs is found first (reads only), so that an unchanged case costs no snapshot and no write.
    """
    case = row.case
    created = stored is None
    terms = {
        name: wanted
        for name, wanted in row.terms.items()
        if created or set(getattr(case, name).values_list("pk", flat=True)) != {term.pk for term in wanted}
    }
    outcomes_differ = row.outcomes is not None and (
        created
        or _normalised(
            [(o.indicator, o.value, o.unit, o.baseline, o.date, o.source_url) for o in case.outcomes.all()]
        )
        != _normalised(row.outcomes)
    )
    resources_differ = row.resources is not None and (
        created or [(r.title, r.url) for r in case.resources.filter(kind=ResourceKind.LINK)] != row.resources
    )
    # Read only for a row that gives translations: a file without them costs no query for them.
    stored_translations = {} if created or row.translations is None else _translations_as_records(stored)
    if row.translations is not None:
        row.translations = _with_sources(row.translations, stored_translations, original_text_digest(case))
    translations_differ = row.translations is not None and (
        created or _by_language(row.translations) != stored_translations
    )
    columns = [
        name for name in IMPORTED_COLUMNS if not created and _column(case, name) != _column(stored, name)
    ]
    if row.sets_published_at:
        case.published_at = case.published_at or now
        case.published_by = user
        if not created:
            columns.append("published_at")
    changed = [
        *columns,
        *terms,
        *(["outcomes"] if outcomes_differ else []),
        *(["resources"] if resources_differ else []),
        *(["translations"] if translations_differ else []),
    ]
    if not created and not changed:
        row.outcome = "unchanged"
        return
    _check_import(row, stored=stored, user=user)
    if translations_differ:
        _check_translation_statuses(row.translations, stored_translations, user=user)
    if created:
        case.created_by = user
    else:
        row.before = snapshot(stored)
        if stored.slug != case.slug:
            # Keeps the old slug as a FormerSlug, so the old address answers 301.
            case_change_slug(case=case, new_slug=case.slug)
    if columns or created:
        case.updated_by = user
        case.save()
        case_lead_organisation_sync(case=case, stored=None if created else stored)
        if not created:
            # Under the slug it was public under, before a rename by the same row.
            case_status_saved(case=case, previous=stored.status, public_slug=stored.slug)
    else:
        CaseStudy.objects.filter(pk=case.pk).update(updated_at=now, updated_by=user)
    for name, wanted in terms.items():
        getattr(case, name).set(wanted)
    if outcomes_differ:
        case.outcomes.all().delete()
        Outcome.objects.bulk_create(
            [
                Outcome(case=case, indicator=i, value=v, unit=u, baseline=b, date=d, source_url=s, position=n)
                for n, (i, v, u, b, d, s) in enumerate(row.outcomes)
            ]
        )
    if resources_differ:
        case.resources.filter(kind=ResourceKind.LINK).delete()
        Resource.objects.bulk_create(
            [
                Resource(case=case, kind=ResourceKind.LINK, title=t, url=u, position=n)
                for n, (t, u) in enumerate(row.resources)
            ]
        )
    if translations_differ:
        _import_translations(case, row.translations, stored_translations)
    row.outcome = "created" if created else "updated"
    row.changed = [] if created else changed


def _by_language(translations: Sequence[dict]) -> dict[str, dict]:
    return {translation["language"]: translation for translation in translations}


def _translations_as_records(case: CaseStudy) -> dict[str, dict]:
    """The case's stored translations as an import's row states them (records.TRANSLATION_RECORD_KEYS),
    by language."""
    stored = (
        CaseTranslation.objects.filter(case=case)
        .order_by("language")
        .values("source_digest", *TRANSLATION_COLUMNS)
    )
    return _by_language(translation_records(list(stored)))


def _with_sources(wanted: Sequence[dict], stored: dict[str, dict], current: str) -> list[dict]:
    """Each translation of a row with the original it was made from (`made_from`): the one the row gives
    (an export writes it), else, as the admin's inline decides, the stored one when the row leaves the
    translation's text as stored, else the original as the row leaves it (`current`). So a file imported
    again never confirms a translation that a change of the original has made out of date since."""
    resolved = []
    for values in wanted:
        made_from = values["made_from"]
        if not made_from:
            before = stored.get(values["language"])
            unchanged = before and all(before[name] == values[name] for name in TRANSLATED_CASE_FIELDS)
            made_from = before["made_from"] if unchanged else current
        resolved.append({**values, "made_from": made_from})
    return resolved


def _check_translation_statuses(wanted: Sequence[dict], stored: dict[str, dict], *, user) -> None:
    """Raise PermissionDenied unless `user` may give the translations these statuses: the workflow's rules
    for a case's status (status_change_refusal); removing a published translation is unpublishing it."""
    if user is None:
        return
    moves = [(stored.get(t["language"], {}).get("status"), t["status"]) for t in wanted]
    wanted_languages = {t["language"] for t in wanted}
    moves += [
        (t["status"], TranslationStatus.DRAFT)
        for language, t in stored.items()
        if language not in wanted_languages
    ]
    for before, after in moves:
        if refusal := status_change_refusal(user, before=before, after=after):
            raise PermissionDenied(f"translation: {refusal}")


def _import_translations(case: CaseStudy, wanted: Sequence[dict], stored: dict[str, dict]) -> None:
    """Give `case` the translations `wanted` (each with its made_from: _with_sources): one the row gives as
    stored is not touched; the others are written with the source the row gives them, pinned to the
    import's revision when that is the original as the row leaves it (pin_translation_sources). Saved one
    by one, so the search's text in other languages follows (cases/signals.py)."""
    existing = {t.language: t for t in CaseTranslation.objects.filter(case=case)}
    wanted_languages = {values["language"] for values in wanted}
    for language, translation in existing.items():
        if language not in wanted_languages:
            translation.delete()
    for values in wanted:
        language = values["language"]
        if stored.get(language) == values:
            continue
        translation = existing.get(language) or CaseTranslation(case=case)
        for key in TRANSLATION_COLUMNS:
            setattr(translation, key, values[key])
        if translation.source_digest != values["made_from"]:
            translation.source_digest, translation.source_revision = values["made_from"], None
        translation.save()


def _import_links(
    row: CaseImport, *, stored: CaseStudy | None, case_ids: dict[str, int], user, now: datetime
) -> None:
    """Write the links of `row`'s case, if they differ from its links now."""
    if row.links is None:
        return
    case = row.case
    if unknown := [slug for _relation, slug, _note in row.links if slug not in case_ids]:
        raise ValidationError(_("link target '%(slug)s' is not a known case") % {"slug": unknown[0]})
    current = set(CaseLink.objects.filter(from_case=case).values_list("relation", "to_case_id", "note"))
    wanted = {(relation, case_ids[slug], note) for relation, slug, note in row.links}
    if current == wanted:
        return
    if row.outcome == "unchanged":  # only the links change, and they have not yet
        _check_import(row, stored=stored, user=user)
        row.before = snapshot(stored)
        row.outcome = "updated"
        CaseStudy.objects.filter(pk=case.pk).update(updated_at=now, updated_by=user)
    CaseLink.objects.filter(from_case=case).delete()
    CaseLink.objects.bulk_create(
        [CaseLink(from_case=case, to_case_id=pk, relation=r, note=note) for r, pk, note in sorted(wanted)]
    )
    if row.outcome == "updated":
        row.changed.append("links")


# --- Submitters' contact details ------------------------------------------------------------------

# A contact is kept while its case is being decided, so a curator can still write to the submitter.
DECIDED_STATUSES = (Status.PUBLISHED, Status.ARCHIVED)


def expired_submitter_contacts(*, retention_days: int, now: datetime):
    """Contacts received more than `retention_days` ago whose case is published or archived."""
    return SubmitterContact.objects.filter(
        created_at__lt=now - timedelta(days=retention_days), case__status__in=DECIDED_STATUSES
    )


def submitter_contacts_purge(*, retention_days: int, now: datetime | None = None) -> int:
    """Delete the expired contacts (see `expired_submitter_contacts`); returns how many were deleted.
    Their cases are left as they are (a contact is private: no page, feed or export shows it)."""
    with transaction.atomic():
        deleted, _by_model = expired_submitter_contacts(
            retention_days=retention_days, now=now or timezone.now()
        ).delete()
    return deleted


# --- Partner API keys -----------------------------------------------------------------------------


def api_key_issue(*, key: ApiKey) -> str:
    """Give the new, unsaved `key` a fresh secret, validate and save it; returns its plaintext
    (`<prefix>.<secret>`): show it once, it cannot be read back (only its hash is stored)."""
    plaintext = key.set_new_key()
    key.full_clean()
    with transaction.atomic():
        key.save()
    return plaintext


def api_key_create(
    *,
    owner: str,
    user=None,
    scope_read: bool = True,
    scope_submit: bool = False,
    rate: int = DEFAULT_RATE,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """A new key, saved, and its plaintext (see api_key_issue)."""
    key = ApiKey(
        owner=owner,
        user=user,
        scope_read=scope_read,
        scope_submit=scope_submit,
        rate=rate,
        expires_at=expires_at,
    )
    return key, api_key_issue(key=key)


def api_key_revoke(*, keys: QuerySet) -> int:
    """Revoke the given keys (a queryset) from now on; keys already revoked keep their time. Returns
    how many were revoked."""
    return keys.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_key_touch(*, key: ApiKey, now: datetime | None = None) -> None:
    """Record that `key` was used, at most once a minute (the condition is in the UPDATE, so concurrent
    requests on several workers still write once)."""
    now = now or timezone.now()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiKey.objects.filter(pk=key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    key.last_used_at = now


# --- Translations of cases ------------------------------------------------------------------------


class TranslationsRejected(Exception):
    """Nothing was written: every problem, as (row number from 1, message)."""

    def __init__(self, problems: list[tuple[int, str]]):
        super().__init__(f"{len(problems)} translations refused")
        self.problems = problems


def case_translations_import(*, records: Sequence[dict], defaults: dict | None = None) -> dict[str, int]:
    """Create or update translations of cases from `records` (each: "case" (its slug), "language", the
    translated fields of TRANSLATED_CASE_FIELDS, and optionally translated_by, reviewed_by,
    machine_translated, status), all or nothing, idempotent: a record for a case and language already
    translated replaces that translation's text. `defaults` fills what a record leaves out. Each is taken as
    made from the original as it now is (its digest and latest revision). Raises TranslationsRejected
    (nothing written) with every problem found. Returns {"created": n, "updated": n, "unchanged": n}."""
    defaults = defaults or {}
    slugs = {record.get("case") for record in records}
    cases = {case.slug: case for case in CaseStudy.objects.filter(slug__in=slugs)}
    problems, prepared = [], []
    for number, record in enumerate(records, start=1):
        case = cases.get(record.get("case"))
        if case is None:
            problems.append((number, f"no case has the slug {record.get('case')!r}"))
            continue
        values = {**defaults, **{k: v for k, v in record.items() if k not in ("case",)}}
        if values.get("language") == case.original_language:
            problems.append((number, f"{values['language']!r} is the case's original language"))
            continue
        translation = CaseTranslation.objects.filter(case=case, language=values.get("language")).first()
        translation = translation or CaseTranslation(case=case)
        before = {name: getattr(translation, name) for name in values} if translation.pk else None
        for name, value in values.items():
            setattr(translation, name, value)
        translation.source_digest = text_digest(
            {name: getattr(case, name) for name in TRANSLATED_CASE_FIELDS}
        )
        try:
            translation.full_clean(exclude=["source_revision"], validate_unique=False)
        except ValidationError as error:
            problems.append((number, "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())))
            continue
        prepared.append((translation, before == {name: getattr(translation, name) for name in values}))
    if problems:
        raise TranslationsRejected(problems)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with transaction.atomic(), language_search_refresh_deferred():
        for translation, unchanged in prepared:
            if unchanged:
                counts["unchanged"] += 1
                continue
            counts["created" if translation.pk is None else "updated"] += 1
            translation.source_revision = translation.case.revisions.order_by("-created_at", "-id").first()
            translation.save()
    return counts


# The cases whose text in other languages was written inside language_search_refresh_deferred: None outside.
_deferred_language_cases: ContextVar[set[int] | None] = ContextVar("deferred_language_cases", default=None)
# A deferred refresh reads this many cases at a time (SQLite's limit on a statement's parameters).
LANGUAGE_REFRESH_BATCH = 1000


def language_text_written(*, case_ids) -> None:
    """A translation or a case's original text was written (cases/signals.py): what the search reads of these
    cases' other languages is rewritten now, or at the end of the bulk write under way."""
    deferred = _deferred_language_cases.get()
    if deferred is None:
        case_language_search_refresh(case_ids=case_ids)
    else:
        deferred.update(pk for pk in case_ids if pk is not None)


@contextmanager
def language_search_refresh_deferred():
    """Within it, a write of a translation or an original notes its case, and the cases noted are refreshed
    together as it ends (an import: a few queries for all its cases rather than a few per translation
    saved). Nothing is refreshed when it ends by an exception: the transaction around it is rolled back."""
    if _deferred_language_cases.get() is not None:
        yield  # inside another: that one refreshes
        return
    cases: set[int] = set()
    token = _deferred_language_cases.set(cases)
    try:
        yield
    finally:
        _deferred_language_cases.reset(token)
    ordered = sorted(cases)
    for start in range(0, len(ordered), LANGUAGE_REFRESH_BATCH):
        case_language_search_refresh(case_ids=ordered[start : start + LANGUAGE_REFRESH_BATCH])


def case_language_search_refresh(*, case_ids) -> int:
    """Rewrite what the search reads of these cases' text in other languages (search_document.LANGUAGE_FIELDS,
    other_languages_search_texts): the original's text when it is not English, and the text of each
    published translation, their titles, summaries and organisations, and narratives each in its column, so
    that the search weighs them as the English title, summary and narrative (docs/search.md, "Other
    languages"). Called on every write of a translation or of a case's original text (cases/signals.py,
    through language_text_written). The database's trigger then rebuilds the case's search documents
    (PostgreSQL: a changed row of cases_casesearch, which the postings apply as any write's; SQLite: its
    FTS5 rows). Returns how many cases changed."""
    ids = {pk for pk in case_ids if pk is not None}
    if not ids:
        return 0
    translated = {}
    for values in (
        CaseTranslation.objects.filter(case_id__in=ids, status=TranslationStatus.PUBLISHED)
        .order_by("case_id", "language")
        .values("case_id", *TRANSLATED_CASE_FIELDS)
    ):
        translated.setdefault(values.pop("case_id"), []).append(values)
    changed = 0
    cases = CaseStudy.objects.filter(pk__in=ids).only(
        "pk", "original_language", *LANGUAGE_FIELDS, *TRANSLATED_CASE_FIELDS
    )
    for case in cases:
        original = {name: getattr(case, name) for name in TRANSLATED_CASE_FIELDS}
        texts = other_languages_search_texts(original, case.original_language, translated.get(case.pk, []))
        if any(texts[name] != getattr(case, name) for name in LANGUAGE_FIELDS):
            CaseStudy.objects.filter(pk=case.pk).update(**texts)
            changed += 1
    return changed


# --- E-mail alerts for library selections (issue 19) ----------------------------------------------
# Anyone may follow a selection of the library by e-mail (cases/models/alerts.py): double opt-in, a daily or
# weekly digest of the published cases newly matching it (`send_alert_digests`, on the worker's schedule),
# unsubscribing in one click from every message. The address is kept only while the subscription lives.

# Parameters of the library that choose no cases: left out of a followed selection.
ALERT_IGNORED_PARAMETERS = frozenset({"sort", "page", "page_size", "lang"})
ALERT_QUERY_MAX_LENGTH = 2000
ALERT_CONFIRMATION_WINDOW_SECONDS = 24 * 60 * 60

alert_logger = logging.getLogger("cases.alerts")


def alert_selection(data) -> str:
    """The selection of the library that `data` (a QueryDict of the library's parameters) makes, as the
    normalised query string a subscription stores ("economy=TH&sector=health": parameters and values
    sorted, repeated values once, sort and paging left out). Checked by the library's own FilterSet:
    ValidationError, with its messages, when the library would refuse it (400)."""
    filterset = CaseStudyFilterSet(data, queryset=CaseStudy.objects.published())
    if not filterset.is_valid():
        raise ValidationError(
            [f"{name}: {message}" for name, messages in filterset.errors.items() for message in messages]
        )
    pairs = []
    for name, value in sorted(filterset.form.cleaned_data.items()):
        if name in ALERT_IGNORED_PARAMETERS or value in (None, "", []):
            continue
        if isinstance(value, str):
            values = [value.strip()] if value.strip() else []
        elif hasattr(value, "__iter__"):
            field = FACETS_BY_PARAMETER[name].value_field if name in FACETS_BY_PARAMETER else ""
            values = sorted({str(getattr(item, field, item)) if field else str(item) for item in value})
        else:
            values = [str(value)]
        pairs.extend((name, each) for each in values)
    query = urlencode(pairs)
    if len(query) > ALERT_QUERY_MAX_LENGTH:
        raise ValidationError(_("This selection is too long to follow. Remove some filters or words."))
    return query


def _alert_confirmation_allowed(email: str) -> bool:
    """Count one confirmation e-mail to `email` against its daily allowance (ALERT_CONFIRMATIONS_PER_DAY),
    so the form cannot be used to flood someone's inbox. Keyed by a digest: no address in the cache. When
    the cache cannot be reached nothing is counted (the per-client limit and the cap on subscriptions
    stay)."""
    key = "alert-confirmation:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()
    try:
        allowed, _wait = count_request(
            key, settings.ALERT_CONFIRMATIONS_PER_DAY, ALERT_CONFIRMATION_WINDOW_SECONDS
        )
    except Exception as error:  # a cache outage must not stop the form
        alert_logger.warning("Alert confirmations not counted, cache unavailable: %s", error)
        return True
    return allowed


def alert_subscribe(
    *, email: str, query: str, frequency: str, language: str, title: str = ""
) -> AlertSubscription | None:
    """Ask for `email` to follow the selection `query` (normalised again by alert_selection): a new,
    unconfirmed subscription, or the unconfirmed one already asked for (its frequency and language
    updated), and a confirmation e-mail once the transaction commits. Nothing happens (None) when the
    address already follows the selection (confirmed), follows ALERTS_PER_ADDRESS selections already, or
    was sent ALERT_CONFIRMATIONS_PER_DAY confirmations in the last 24 hours. Callers answer the same way
    whatever happened, so nobody learns whether an address is subscribed."""
    email = email.strip()
    validate_email(email)
    if len(email) > AlertSubscription._meta.get_field("email").max_length:
        raise ValidationError(_("Enter an e-mail address of 254 characters or fewer."))
    query = alert_selection(QueryDict(query))
    if frequency not in AlertFrequency.values:
        raise ValidationError(_("Choose how often to receive the e-mails."))
    with transaction.atomic():
        existing = AlertSubscription.objects.for_address(email).filter(query=query).first()
        if existing is not None and existing.is_confirmed:
            return None
        if existing is None and AlertSubscription.objects.for_address(email).count() >= (
            settings.ALERTS_PER_ADDRESS
        ):
            alert_logger.info("Alert refused: an address already follows the most selections allowed")
            return None
        subscription = existing or AlertSubscription(email=email, query=query)
        subscription.frequency = frequency
        subscription.language = language
        subscription.title = title[: AlertSubscription._meta.get_field("title").max_length]
        subscription.full_clean(validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                subscription.save()
        except IntegrityError:
            return None  # the same request at the same moment: the other one sends the e-mail
        if not _alert_confirmation_allowed(email):
            alert_logger.info("Alert confirmation not sent: the address's daily allowance is used up")
            return subscription
        transaction.on_commit(partial(send_alert_confirmation.enqueue, subscription.pk))
    return subscription


def alert_confirm(*, subscription: AlertSubscription, now: datetime | None = None) -> AlertSubscription:
    """Confirm the address (the link in the confirmation e-mail was followed): digests start, covering the
    cases published from now on. Confirming twice changes nothing."""
    if subscription.is_confirmed:
        return subscription
    now = now or timezone.now()
    subscription.confirmed_at = now
    subscription.covered_until = now
    subscription.save(update_fields=["confirmed_at", "covered_until"])
    return subscription


def alert_set_frequency(*, subscription: AlertSubscription, frequency: str) -> AlertSubscription:
    """Receive the digest daily or weekly from now on."""
    if frequency not in AlertFrequency.values:
        raise ValidationError(_("Choose how often to receive the e-mails."))
    subscription.frequency = frequency
    subscription.save(update_fields=["frequency"])
    return subscription


def alert_unsubscribe(*, subscription: AlertSubscription) -> None:
    """End the subscription: the row, and with it the address, is deleted."""
    AlertSubscription.objects.filter(pk=subscription.pk).delete()


def alerts_purge_unconfirmed(*, now: datetime | None = None) -> int:
    """Delete the subscriptions never confirmed within ALERT_CONFIRMATION_DAYS; returns how many."""
    deleted, _by_model = AlertSubscription.objects.expired_unconfirmed(now=now or timezone.now()).delete()
    return deleted


def alert_digest_send(*, subscription_id: int, now: datetime) -> int | None:
    """Send one subscriber their digest if it is due: the published cases matching their selection
    published since their last digest, in their language. Returns how many cases it listed (0: nothing
    new, so nothing sent), or None when it was not due (already sent, unsubscribed, or being sent by a
    concurrent run, whose row lock it skips). The digest's period is recorded in the same transaction the
    e-mail is sent in: a run that fails before it commits sends again next time, a run after it finds
    nothing due, so running twice sends once."""
    with transaction.atomic():
        subscription = (
            AlertSubscription.objects.due(now=now)
            .filter(pk=subscription_id)
            .select_for_update(skip_locked=True)
            .first()
        )
        if subscription is None:
            return None
        with override(subscription.language):
            cases = alert_new_cases(subscription, since=subscription.covered_until, until=now)
            if cases:
                alert_digest_message(subscription, cases).send()
        subscription.covered_until = now
        fields = ["covered_until"]
        if cases:
            subscription.last_sent_at = now
            fields.append("last_sent_at")
        subscription.save(update_fields=fields)
    return min(len(cases), DIGEST_MAX_CASES) if cases else 0


def alert_digests_send(*, now: datetime | None = None, progress: Callable | None = None) -> dict:
    """Every digest due now (alert_digest_send), after deleting the subscriptions never confirmed.
    `progress(done, total)` is called after each subscriber. Returns the counts: due, sent, nothing_new,
    skipped (sent meanwhile by another run), failed (logged; tried again next run) and purged."""
    now = now or timezone.now()
    counts = {"due": 0, "sent": 0, "nothing_new": 0, "skipped": 0, "failed": 0}
    counts["purged"] = alerts_purge_unconfirmed(now=now)
    due = list(AlertSubscription.objects.due(now=now).values_list("pk", flat=True))
    counts["due"] = len(due)
    for done, pk in enumerate(due, start=1):
        try:
            listed = alert_digest_send(subscription_id=pk, now=now)
        except Exception:  # one unreachable mailbox must not stop the others
            alert_logger.exception("Alert digest %s not sent", pk)
            counts["failed"] += 1
        else:
            outcome = "skipped" if listed is None else "sent" if listed else "nothing_new"
            counts[outcome] += 1
        if progress is not None:
            progress(done, len(due))
    return counts


@task
def send_alert_digests() -> dict:
    """The digests that are due, on the worker's schedule (settings.TASK_SCHEDULE, hourly): each
    subscriber's comes when its day or week is over."""
    return alert_digests_send()


# --- Methods, toolkits and organisations (issue 18) ----------------------------------------------------

# The transitions of a method or a toolkit: a case's workflow without the public's submissions and the
# submitter's round of changes. Sending for review needs the model's change permission; publishing,
# unpublishing, archiving and restoring need its publish permission (Method.Meta.permissions).
ENTRY_TRANSITIONS = {
    "send_for_review": ({EntryStatus.DRAFT}, EntryStatus.IN_REVIEW, "change", _("Sent for review")),
    "return_to_draft": ({EntryStatus.IN_REVIEW}, EntryStatus.DRAFT, "change", _("Returned to draft")),
    "publish": ({EntryStatus.IN_REVIEW}, EntryStatus.PUBLISHED, "publish", _("Published")),
    "unpublish": ({EntryStatus.PUBLISHED}, EntryStatus.DRAFT, "publish", _("Unpublished (back to draft)")),
    "archive": (
        {EntryStatus.DRAFT, EntryStatus.IN_REVIEW, EntryStatus.PUBLISHED},
        EntryStatus.ARCHIVED,
        "publish",
        _("Archived"),
    ),
    "restore": (
        {EntryStatus.ARCHIVED},
        EntryStatus.DRAFT,
        "publish",
        _("Restored from the archive (back to draft)"),
    ),
}
# The fields of an entry's snapshot besides its own columns: its lists of values, and (toolkits) the methods
# it supports, by slug.
ENTRY_LIST_FIELDS = {Method: ("purposes",), Toolkit: ("purposes", "languages", "methods")}


def entry_permission(entry_model, kind: str) -> str:
    """The permission codename a user needs for `kind` ("change" or "publish") of a method or a toolkit."""
    return f"cases.{kind}_{entry_model._meta.model_name}"


def entry_transitions_available(*, user, entry) -> list[str]:
    return [
        name
        for name, (sources, _target, kind, _done) in ENTRY_TRANSITIONS.items()
        if entry.status in sources and user.has_perm(entry_permission(type(entry), kind))
    ]


def entry_snapshot(entry) -> dict:
    """A method or a toolkit as plain JSON: its editable columns, its lists of values and its methods."""
    values = {}
    for column in type(entry)._meta.concrete_fields:
        if column.editable and not column.primary_key and not column.is_relation:
            # None stays None: value_to_string() gives "None" for an empty number (a toolkit's year), which
            # a restore could not read back.
            value = column.value_from_object(entry)
            values[column.name] = None if value is None else column.value_to_string(entry)
    values["status"] = entry.status
    for name in ENTRY_LIST_FIELDS[type(entry)]:
        if name == "methods":
            values["methods"] = sorted(entry.methods.values_list("slug", flat=True))
        else:
            values[name] = sorted(getattr(entry, name))
    return values


def _record_entry_revision(*, entry, user, action: str, message: str = "") -> EntryRevision:
    content_type = ContentType.objects.get_for_model(type(entry))
    current = entry_snapshot(entry)
    last = EntryRevision.objects.filter(content_type=content_type, object_id=entry.pk).first()
    previous = last.snapshot if last else {}
    changes = {
        key: [previous.get(key), current.get(key)]
        for key in sorted(set(previous) | set(current))
        if previous.get(key) != current.get(key) and (key in previous or not previous)
    }
    return EntryRevision.objects.create(
        content_type=content_type,
        object_id=entry.pk,
        user=user if getattr(user, "is_authenticated", False) else None,
        action=action,
        message=str(message)[:500],
        changes=changes,
        snapshot=current,
    )


def _check_entry_permission(user, entry_model, kind: str) -> None:
    if user is not None and not user.has_perm(entry_permission(entry_model, kind)):
        raise PermissionDenied(
            _("You may not do this to %(kind)s.") % {"kind": entry_model._meta.verbose_name_plural}
        )


def _set_rows(entry, relation: str, column: str, values) -> None:
    """Make `entry`'s rows of `relation` (purpose_rows, language_rows) hold exactly `values`."""
    wanted = list(dict.fromkeys(values))
    rows = getattr(entry, relation)
    rows.exclude(**{f"{column}__in": wanted}).delete()
    stored = set(rows.values_list(column, flat=True))
    rows.model.objects.bulk_create(
        [rows.model(**{rows.field.name: entry, column: value}) for value in wanted if value not in stored]
    )


def entry_save(
    *,
    entry,
    user,
    purposes: Sequence[str] | None = None,
    languages: Sequence[str] | None = None,
    methods: Iterable | None = None,
    message: str = "",
    action: str | None = None,
):
    """Create or update a method or a toolkit (with its purposes, and a toolkit's languages and methods),
    validated, and record the revision. A list left as None is left as it is. A published entry stays
    published: its edits are public at once, as a published case's are."""
    model = type(entry)
    _check_entry_permission(user, model, "change" if entry.pk else "add")
    creating = entry.pk is None
    with transaction.atomic():
        if not creating:
            # The workflow's fields keep what is stored (an edit never puts back a status changed since),
            # and a published entry's edit is public at once: it needs the right to publish.
            stored = model.objects.select_for_update().get(pk=entry.pk)
            entry.status, entry.published_at, entry.published_by_id = (
                stored.status,
                stored.published_at,
                stored.published_by_id,
            )
            if stored.status == EntryStatus.PUBLISHED:
                _check_entry_permission(user, model, "publish")
        elif entry.status != EntryStatus.DRAFT and user is not None:
            # A new entry starts as a draft, unless made by the system (the demo loader, an import) or by
            # someone who may publish.
            _check_entry_permission(user, model, "publish")
        if creating:
            entry.created_by = user if getattr(user, "is_authenticated", False) else None
        entry.updated_by = user if getattr(user, "is_authenticated", False) else None
        if entry.status == EntryStatus.PUBLISHED and entry.published_at is None:
            entry.published_at = timezone.now()
            entry.published_by = entry.updated_by
        entry.full_clean()
        entry.save()
        if purposes is not None:
            _set_rows(entry, "purpose_rows", "purpose", purposes)
        if languages is not None and model is Toolkit:
            _set_rows(entry, "language_rows", "language", languages)
        if methods is not None and model is Toolkit:
            entry.methods.set(list(methods))
        _record_entry_revision(
            entry=entry,
            user=user,
            action=action or (RevisionAction.CREATED if creating else RevisionAction.CHANGED),
            message=message,
        )
    return entry


def entry_transition(*, entry, user, name: str, note: str = ""):
    """Apply a workflow transition to a method or a toolkit; raises PermissionDenied or ValidationError."""
    if name not in ENTRY_TRANSITIONS:
        raise ValidationError(_("Unknown action “%(name)s”.") % {"name": name})
    sources, target, kind, done = ENTRY_TRANSITIONS[name]
    model = type(entry)
    _check_entry_permission(user, model, kind)
    with transaction.atomic():
        entry = model.objects.select_for_update().get(pk=entry.pk)
        if entry.status not in sources:
            raise ValidationError(
                _("This %(kind)s is %(status)s: it cannot be %(action)s.")
                % {
                    "kind": model._meta.verbose_name,
                    "status": entry.get_status_display().lower(),
                    "action": str(done).lower(),
                }
            )
        entry.status = target
        entry.updated_by = user if getattr(user, "is_authenticated", False) else None
        if target == EntryStatus.PUBLISHED and entry.published_at is None:
            entry.published_at = timezone.now()
            entry.published_by = entry.updated_by
        if target == EntryStatus.PUBLISHED:
            entry.full_clean()
        entry.save()
        note = note.strip()
        _record_entry_revision(
            entry=entry,
            user=user,
            action=RevisionAction.TRANSITION,
            message=f"{done}: {note}" if note else f"{done}.",
        )
    return entry


def entry_restore_revision(*, revision: EntryRevision, user):
    """Bring a method or a toolkit back to a recorded revision's text and lists (its status is left as it
    is: restoring is an edit, publishing stays the workflow's)."""
    model = revision.content_type.model_class()
    with transaction.atomic():
        entry = model.objects.select_for_update().get(pk=revision.object_id)
        lists = {}
        for name, value in revision.snapshot.items():
            if name in ENTRY_LIST_FIELDS[model]:
                lists[name] = value
            elif name not in ("status", "published_at"):  # the workflow's, as the docstring says
                field = model._meta.get_field(name)
                setattr(entry, name, field.to_python(value) if value != "" or not field.null else None)
        methods = Method.objects.filter(slug__in=lists["methods"]) if "methods" in lists else None
        return entry_save(
            entry=entry,
            user=user,
            purposes=lists.get("purposes"),
            languages=lists.get("languages"),
            methods=methods,
            action=RevisionAction.RESTORED,
            message=_("Restored the version of %(when)s.")
            % {"when": f"{revision.created_at:%Y-%m-%d %H:%M}"},
        )


def case_methods_set(
    *, case: CaseStudy, methods: Sequence[dict], toolkits: Sequence[dict] | None = None
) -> None:
    """Make a case name exactly these methods ({"method": Method, "role": ..., "note": ...}, in order) and,
    when given, these toolkits ({"toolkit": Toolkit, "note": ...})."""
    with transaction.atomic():
        case.method_links.all().delete()
        CaseMethod.objects.bulk_create(
            [
                CaseMethod(
                    case=case,
                    method=row["method"],
                    role=row.get("role") or MethodRole.PRIMARY,
                    note=row.get("note", ""),
                    position=position,
                )
                for position, row in enumerate(methods)
            ]
        )
        if toolkits is not None:
            case.toolkit_links.all().delete()
            CaseToolkit.objects.bulk_create(
                [
                    CaseToolkit(
                        case=case, toolkit=row["toolkit"], note=row.get("note", ""), position=position
                    )
                    for position, row in enumerate(toolkits)
                ]
            )
        # The case changed for partners who harvest by `updated_since`, as an edit of it would.
        CaseStudy.objects.filter(pk=case.pk).update(updated_at=timezone.now())
        # Bulk rows send no signals: the case's own pages and the listings it is in change, and its related
        # cases are scored by shared methods.
        catalogue_written(cases=[case.pk])
        related_written([case.pk])


@dataclass
class OrganisationsLinked:
    linked: int = 0
    created: int = 0
    already: int = 0
    unmatched: list = field(default_factory=list)  # (case slug, why)

    def summary(self) -> str:
        return (
            f"{self.linked} cases linked to their lead organisation ({self.created} organisations created), "
            f"{self.already} already linked, {len(self.unmatched)} could not be matched"
        )


def unique_organisation_slug(name: str, economy_iso2: str | None) -> str:
    base = slugify(name)[:200] or "organisation"
    slug, n = base, 1
    while Organisation.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{(economy_iso2 or '').lower()}-{n}".replace("--", "-")
    return slug


def case_lead_organisation_sync(*, case: CaseStudy, stored: CaseStudy | None = None) -> None:
    """Link `case` to the Organisation its `lead_organisation` text names, within its economy (found by
    the name as its spellings share it, or created with the case's organisation type and level): a new case
    (no `stored`) without one, or a case whose text or economy changed since `stored`. A lead organisation a
    curator chose (the admin's inline) is kept while the text stays as it was. A case naming none is left."""
    links = case.organisation_links
    current = links.filter(role=OrganisationRole.LEAD).select_related("organisation").first()
    text_kept = stored is None or (stored.lead_organisation, stored.economy_id) == (
        case.lead_organisation,
        case.economy_id,
    )
    if text_kept and (current is not None or stored is not None):
        return  # nothing it names changed (a case still without one is `link_organisations`'s to link)
    key = organisation_name_key(case.lead_organisation)[:200]
    if not key:
        return
    organisation = (
        Organisation.objects.filter(economy_id=case.economy_id, name_key=key).order_by("pk").first()
    )
    if organisation is None:
        organisation = Organisation.objects.create(
            name=case.lead_organisation.strip(),
            slug=unique_organisation_slug(
                case.lead_organisation, case.economy.iso2 if case.economy_id else None
            ),
            kind=case.organisation_type,
            economy_id=case.economy_id,
            level=case.level,
        )
    links.filter(organisation=organisation).exclude(role=OrganisationRole.LEAD).delete()
    if current is not None:
        current.organisation = organisation
        current.save(update_fields=["organisation"])
    else:
        CaseOrganisation.objects.create(case=case, organisation=organisation, role=OrganisationRole.LEAD)


def case_organisations_link(
    *, cases: QuerySet | None = None, progress: Callable | None = None
) -> OrganisationsLinked:
    """Give every case without a lead organisation its entity: the organisation of its economy whose name
    is the case's `lead_organisation` in another spelling (organisation_name_key), or a new one with the
    case's organisation type and level. A case with no organisation name is reported, not guessed.
    Running it again links only what is new; the text of the cases is never changed."""
    report = OrganisationsLinked()
    cases = (cases if cases is not None else CaseStudy.objects.all()).select_related("economy").order_by("pk")
    total = cases.count()
    with transaction.atomic():
        for done, case in enumerate(cases.iterator(chunk_size=500), start=1):
            if case.organisation_links.filter(role=OrganisationRole.LEAD).exists():
                report.already += 1
            elif not organisation_name_key(case.lead_organisation):
                report.unmatched.append((case.slug, "no lead organisation named"))
            else:
                before = Organisation.objects.count()
                case_lead_organisation_sync(case=case)
                report.created += Organisation.objects.count() - before
                report.linked += 1
            if progress:
                progress(done, total)
    return report


@dataclass
class LinkCheck:
    checked: int = 0
    broken: list = field(default_factory=list)  # (toolkit slug, why)

    def summary(self) -> str:
        return f"{self.checked} toolkit links checked, {len(self.broken)} broken"


def _fetch_status(url: str, timeout: float) -> str:
    """'' when the address answers with a success (after redirects), else what went wrong, in words."""
    headers = {"User-Agent": "Observatory link check"}
    for method in ("HEAD", "GET"):  # some servers refuse HEAD: a GET settles it
        # The callers pass http and https addresses only (toolkit_links_check).
        request = urllib.request.Request(url, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                if response.status < 400:
                    return ""
        except urllib.error.HTTPError as error:
            if method == "HEAD" and error.code in (403, 405, 501):
                continue
            return f"HTTP {error.code} {error.reason}"[:300]
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            return f"unreachable: {reason}"[:300]
    return "no success answer"


def toolkit_links_check(*, toolkits: QuerySet | None = None, progress: Callable | None = None) -> LinkCheck:
    """Ask every toolkit's address whether it still answers, and record the answer on the toolkit: a broken
    link is flagged for curators in the admin (link_state, link_error). Drafts are checked too: a curator
    wants to know before publishing."""
    report = LinkCheck()
    toolkits = (
        toolkits if toolkits is not None else Toolkit.objects.exclude(status=EntryStatus.ARCHIVED)
    ).order_by("pk")
    rows = list(toolkits.only("pk", "slug", "url", "link_state"))
    changed = False
    timeout = settings.TOOLKIT_LINK_TIMEOUT
    for done, toolkit in enumerate(rows, start=1):
        problem = (
            _fetch_status(toolkit.url, timeout)
            if toolkit.url.startswith(("http://", "https://"))
            else ("not a web address")
        )
        changed |= toolkit.link_state != (LinkState.BROKEN if problem else LinkState.OK)
        # An UPDATE of the three columns only: a curator's edit made meanwhile is not overwritten.
        Toolkit.objects.filter(pk=toolkit.pk).update(
            link_state=LinkState.BROKEN if problem else LinkState.OK,
            link_error=problem,
            link_checked_at=timezone.now(),
        )
        report.checked += 1
        if problem:
            report.broken.append((toolkit.slug, problem))
        if progress:
            progress(done, len(rows))
    if changed:
        # An UPDATE sends no signal: the API's `link_working` and the toolkit pages' note change with it.
        catalogue_written()
    return report


@task()
def check_toolkit_links() -> dict:
    """The periodic link check (TASK_SCHEDULE)."""
    report = toolkit_links_check()
    return {"checked": report.checked, "broken": len(report.broken)}

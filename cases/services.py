"""Writes: plain, keyword-only functions that admin, forms, commands and the API call alike.

Status changes live in cases/curation/workflow.py; revisions in cases/curation/history.py.
"""

import logging
import re
import secrets

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from cases.curation.history import record_revision
from cases.models import RESERVED_CASE_SLUGS, CaseStudy, FormerSlug, RevisionAction, Status, SubmitterContact


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

submission_logger = logging.getLogger("cases.submissions")


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


def case_submit(*, data: dict, contact: dict, via: str = "the public form") -> SubmitterContact:
    """Save a case proposed through the public form, and its submitter's private contact details.

    `data` holds the case's fields (sectors and themes as iterables of terms); `contact` holds `name`,
    `email` and `organisation`. The case is created in status `submitted` (never published: a curator
    accepts it through the workflow), with a unique slug from its title; a SubmitterContact with a new
    reference number and a "created" revision (its message says which door, `via`) are recorded in the same
    transaction. Once it commits, the
    submitter is sent a receipt by e-mail. Raises ValidationError when the case or contact is invalid.
    Returns the SubmitterContact (its `reference` is what the submitter is shown).
    """
    data = dict(data)
    sectors = list(data.pop("sectors", []))
    themes = list(data.pop("themes", []))
    with transaction.atomic():
        case = CaseStudy(**data, status=Status.SUBMITTED, slug=unique_case_slug(data.get("title", "")))
        case.full_clean()
        case.save()
        case.sectors.set(sectors)
        case.themes.set(themes)
        submitter = SubmitterContact(case=case, reference=new_submission_reference(), **contact)
        submitter.full_clean()
        submitter.save()
        record_revision(
            case=case, user=None, action=RevisionAction.CREATED, message=f"Submitted through {via}"
        )
        transaction.on_commit(lambda: send_submission_receipt(submitter=submitter))
    return submitter


def send_submission_receipt(*, submitter: SubmitterContact) -> None:
    """E-mail the submitter their reference number. A mail failure is logged; the submission stands."""
    subject = _("We have received your case study (%(reference)s)") % {"reference": submitter.reference}
    body = _(
        "Dear %(name)s,\n\n"
        "Thank you for proposing “%(title)s” to the Observatory.\n\n"
        "Your reference number is %(reference)s. Please quote it if you write to us about this case.\n\n"
        "A curator will review your submission. We may write to you at this address with questions, and we "
        "will tell you when the case is published. Your contact details are never published.\n\n"
        "The Observatory"
    ) % {"name": submitter.name, "title": submitter.case.title, "reference": submitter.reference}
    try:
        send_mail(str(subject), str(body), None, [submitter.email])
    except Exception:
        submission_logger.exception("Could not send the receipt for submission %s", submitter.reference)

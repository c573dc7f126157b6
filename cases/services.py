"""Writes: plain, keyword-only functions that admin, forms, commands and the API call alike.

Status changes live in cases/workflow.py; revisions in cases/history.py.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .models import CaseStudy, FormerSlug


def case_change_slug(*, case: CaseStudy, new_slug: str) -> FormerSlug | None:
    """Give `case` the slug `new_slug`, keeping its stored slug as a FormerSlug so the old address 301s.

    The slug the database holds is the one recorded, whatever `case.slug` says in memory (the admin form
    has already put the new value there); only the slug and `updated_at` are saved, so other unsaved edits
    of `case` are left to its caller. Taking over an address that was a former slug (of this case or of
    another) drops that redirect: a current slug always wins. Raises ValidationError when `new_slug` is not
    a valid slug or another case uses it now. Returns the FormerSlug recorded, or None if nothing changed.
    """
    try:
        new_slug = CaseStudy._meta.get_field("slug").clean(new_slug, case)
    except ValidationError as error:
        raise ValidationError({"slug": error.messages}) from error
    with transaction.atomic():
        stored_slug = CaseStudy.objects.select_for_update().values_list("slug", flat=True).get(pk=case.pk)
        if stored_slug == new_slug:
            case.slug = new_slug
            return None
        if CaseStudy.objects.filter(slug=new_slug).exclude(pk=case.pk).exists():
            raise ValidationError({"slug": _("Another case already uses this slug.")})
        case.slug = new_slug
        FormerSlug.objects.filter(slug=new_slug).delete()
        former, _created = FormerSlug.objects.update_or_create(slug=stored_slug, defaults={"case": case})
        # Saving (not .update()) bumps updated_at, which the partners' changes feed follows, and sends the
        # signals that invalidate cached pages.
        case.save(update_fields=["slug", "updated_at"])
    return former

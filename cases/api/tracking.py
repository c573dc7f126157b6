"""What the changes feed says about cases that left the public catalogue: one record per departure.

A case leaves when it is unpublished, archived or deleted while published. Each departure is recorded here,
at that moment, with the case's last *public* slug and the time it left; nothing that happens to the case
afterwards (a rename, edits, another economy, a deletion) is ever shown, since it is no longer public. The
changes feed and the API's Last-Modified read these records, never the withdrawn case's own row, so an
unpublished case's renames and edits do not leak (issue 12, item 14).

Installed by cases/models.py, which imports `CaseWithdrawal` from here (migration 0005); importing this
module also connects the receivers below, so every departure leaves a record, whether it comes from a
workflow transition, an admin edit, an import, a queryset's delete() or a command. (A queryset's update()
sends no signals: nothing in the portal changes a status that way.)
"""

from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WithdrawalReason(models.TextChoices):
    UNPUBLISHED = "unpublished", _("Unpublished")
    ARCHIVED = "archived", _("Archived")
    DELETED = "deleted", _("Deleted")


class CaseWithdrawal(models.Model):
    """A case that left the public catalogue: its id, last public slug, why, and when."""

    case_id = models.BigIntegerField(_("case id"), db_index=True)
    slug = models.SlugField(_("slug"), max_length=220)
    reason = models.CharField(_("reason"), max_length=20, choices=WithdrawalReason)
    # The same clock as CaseStudy.updated_at (auto_now), since the changes feed merges the two in order.
    withdrawn_at = models.DateTimeField(_("withdrawn"), default=timezone.now)

    class Meta:
        app_label = "cases"
        ordering = ["withdrawn_at", "case_id"]
        verbose_name = _("case withdrawal")
        indexes = [models.Index(fields=["withdrawn_at", "case_id"], name="casewithdrawal_withdrawn_id")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reason__in=WithdrawalReason.values), name="casewithdrawal_reason_valid"
            ),
        ]

    def __str__(self):
        return f"{self.slug} ({self.get_reason_display()})"


PUBLISHED = "published"  # cases.models.Status.PUBLISHED (cases.models imports this module)


@receiver(pre_save, sender="cases.CaseStudy", dispatch_uid="cases.api.tracking.remember_public_slug")
def remember_public_slug(sender, instance, raw=False, **kwargs):
    """Before a save: the slug the case was public under, if it is published as stored now."""
    instance._public_slug_before_save = None
    if raw or instance._state.adding or instance.pk is None:
        return
    stored = sender.objects.filter(pk=instance.pk).values_list("status", "slug").first()
    if stored is not None and stored[0] == PUBLISHED:
        instance._public_slug_before_save = stored[1]


@receiver(post_save, sender="cases.CaseStudy", dispatch_uid="cases.api.tracking.record_withdrawal")
def record_withdrawal(sender, instance, created, raw=False, **kwargs):
    """A published case saved as anything else has left: record its last public slug and the moment."""
    public_slug = getattr(instance, "_public_slug_before_save", None)
    instance._public_slug_before_save = None
    if raw or created or public_slug is None or instance.status == PUBLISHED:
        return
    reason = (
        WithdrawalReason.ARCHIVED
        if instance.status == WithdrawalReason.ARCHIVED
        else WithdrawalReason.UNPUBLISHED
    )
    CaseWithdrawal.objects.create(
        case_id=instance.pk, slug=public_slug, reason=reason, withdrawn_at=instance.updated_at
    )


@receiver(post_delete, sender="cases.CaseStudy", dispatch_uid="cases.api.tracking.record_deletion")
def record_deletion(sender, instance, **kwargs):
    """Record a published case deleted. One already withdrawn has its record (its last public slug); a draft
    that never was public is nobody's business."""
    if instance.status == PUBLISHED:
        CaseWithdrawal.objects.create(
            case_id=instance.pk, slug=instance.slug, reason=WithdrawalReason.DELETED
        )

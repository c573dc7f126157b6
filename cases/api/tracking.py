"""A record of cases deleted after they were public, so that the changes feed can tell partners to remove
them (an unpublished or archived case is still a row, with its `updated_at`; a deleted one leaves nothing).

Installed by cases/models.py, which imports `CaseWithdrawal` from here (migration 0005); importing this
module also connects `record_deletion`, so every deletion of a once-public case leaves a record, whether
it comes from the admin, a queryset's delete() or a command.
"""

from django.db import models
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WithdrawalReason(models.TextChoices):
    UNPUBLISHED = "unpublished", _("Unpublished")
    ARCHIVED = "archived", _("Archived")
    DELETED = "deleted", _("Deleted")


class CaseWithdrawal(models.Model):
    """A case that left the public catalogue with nothing left to show for it (a deletion)."""

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


@receiver(post_delete, sender="cases.CaseStudy", dispatch_uid="cases.api.tracking.record_deletion")
def record_deletion(sender, instance, **kwargs):
    """Remember a deleted case that had been public (a draft that never was is nobody's business)."""
    if instance.published_at is not None:
        CaseWithdrawal.objects.create(
            case_id=instance.pk, slug=instance.slug, reason=WithdrawalReason.DELETED
        )

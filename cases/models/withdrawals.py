"""What the changes feed says about cases that left the public catalogue: one record per departure.

A case leaves when it is unpublished, archived or deleted while published. Each departure is recorded here,
at that moment, with the case's last *public* slug and the time it left; nothing that happens to the case
afterwards (a rename, edits, another economy, a deletion) is ever shown, since it is no longer public. The
changes feed and the API's Last-Modified read these records, never the withdrawn case's own row, so an
unpublished case's renames and edits do not leak (issue 12, item 14).

The records are written by the services that make a case leave (cases/services.py: case_withdraw, called
through case_status_saved by the workflow's transitions and an import's case_import_many, and case_delete /
case_delete_many, called by the admin),
never by a signal: see cases/services.py for what that means for writes made around them.
"""

from django.db import models
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
        verbose_name_plural = _("case withdrawals")
        indexes = [models.Index(fields=["withdrawn_at", "case_id"], name="casewithdrawal_withdrawn_id")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reason__in=WithdrawalReason.values), name="casewithdrawal_reason_valid"
            ),
        ]

    def __str__(self):
        return f"{self.slug} ({self.get_reason_display()})"

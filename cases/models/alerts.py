"""E-mail alerts (issue 19): anyone may follow a selection of the library (its filters and words) by e-mail,
with no account. A subscription holds only what the alerts need: the address, the selection as a normalised
query string (checked by the library's own FilterSet when it is made: cases.services.alert_selection), how
often to write, the language of the page it was made on, and when it was confirmed and last written to.

The address is kept only while the subscription lives: unsubscribing deletes the row, and a subscription not
confirmed within ALERT_CONFIRMATION_DAYS is deleted by the digest task (the privacy notice says so).

Links in the e-mails carry a token per purpose (confirm, manage) that is an HMAC of the row's id and a random
key under SECRET_KEY (and SECRET_KEY_FALLBACKS, so a rotated key keeps old links working for a while): no
token is stored, neither the database nor the secret alone can make one, and deleting the row voids them.
"""

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Now
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

TOKEN_SALT = "cases.alerts.token"
CONFIRM = "confirm"
MANAGE = "manage"


class AlertFrequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")

    @classmethod
    def interval(cls, frequency: str) -> timedelta:
        """How long a digest of this frequency covers."""
        return timedelta(days=1) if frequency == cls.DAILY else timedelta(days=7)


# A digest is due this much before its interval is over, so a task run hourly keeps each subscriber's hour
# instead of drifting later by the run's own duration every day.
DIGEST_SLACK = timedelta(hours=1)


def new_alert_key() -> str:
    return secrets.token_urlsafe(32)


class AlertSubscriptionQuerySet(models.QuerySet):
    def confirmed(self):
        """Subscriptions whose address was confirmed (double opt-in): the only ones ever sent a digest."""
        return self.filter(confirmed_at__isnull=False)

    def unconfirmed(self):
        return self.filter(confirmed_at__isnull=True)

    def expired_unconfirmed(self, *, now: datetime):
        """Subscriptions never confirmed within ALERT_CONFIRMATION_DAYS of being asked for: to delete."""
        return self.unconfirmed().filter(
            created_at__lt=now - timedelta(days=settings.ALERT_CONFIRMATION_DAYS)
        )

    def for_address(self, email: str):
        """Every subscription of an address, whatever the case of its letters."""
        return self.annotate(address=Lower("email")).filter(address=email.strip().lower())

    def due(self, *, now: datetime):
        """Confirmed subscriptions whose last digest covered up to a full interval ago (or nearly:
        DIGEST_SLACK), by id."""
        conditions = Q()
        for frequency in AlertFrequency.values:
            since = now - AlertFrequency.interval(frequency) + DIGEST_SLACK
            conditions |= Q(frequency=frequency, covered_until__lte=since)
        return self.confirmed().filter(conditions).order_by("id")


class AlertSubscription(models.Model):
    """One address following one selection of the library by e-mail."""

    email = models.EmailField(_("e-mail address"), max_length=254)
    # The library's parameters, normalised (sorted, no sort or page): "economy=th&sector=health".
    query = models.CharField(_("selection"), max_length=2000, blank=True)
    # What the selection is, in words, in `language` ("Health cases in Thailand"), as the page said it.
    title = models.CharField(_("description"), max_length=500, blank=True)
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=AlertFrequency, default=AlertFrequency.WEEKLY
    )
    language = models.CharField(_("language"), max_length=10, default="en")
    # Random, never shown: the tokens of this subscription's links are made from it (see the module).
    key = models.CharField(max_length=64, default=new_alert_key, editable=False)
    created_at = models.DateTimeField(_("asked for"), db_default=Now(), editable=False)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    # Cases published up to this moment have been considered for a digest (set when confirmed).
    covered_until = models.DateTimeField(_("covered until"), null=True, blank=True)
    last_sent_at = models.DateTimeField(_("last digest sent"), null=True, blank=True)

    objects = AlertSubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("e-mail alert")
        verbose_name_plural = _("e-mail alerts")
        constraints = [
            models.UniqueConstraint(
                Lower("email"), "query", name="alertsubscription_address_selection_unique"
            ),
            models.CheckConstraint(
                condition=Q(frequency__in=AlertFrequency.values), name="alertsubscription_frequency_valid"
            ),
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True) | Q(covered_until__isnull=False),
                name="alertsubscription_confirmed_has_watermark",
            ),
        ]
        indexes = [models.Index(fields=["confirmed_at", "covered_until"], name="alertsubscription_due")]

    def __str__(self):
        return f"{self.masked_email} · {self.title or self.query or '*'}"

    def get_absolute_url(self):
        return self.manage_url()

    @property
    def masked_email(self) -> str:
        """The address as the admin shows it: "j***@example.org"."""
        local, _at, domain = self.email.partition("@")
        return f"{local[:1]}***@{domain}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    def confirmation_expired(self, *, now: datetime) -> bool:
        """Whether it was never confirmed and its time to be is over (the task deletes it on its next run)."""
        limit = timedelta(days=settings.ALERT_CONFIRMATION_DAYS)
        return not self.is_confirmed and self.created_at < now - limit

    def token(self, purpose: str) -> str:
        return self._token(purpose, settings.SECRET_KEY)

    def _token(self, purpose: str, secret: str) -> str:
        value = f"{self.pk}:{self.key}:{purpose}"
        return salted_hmac(TOKEN_SALT, value, secret=secret, algorithm="sha256").hexdigest()[:40]

    def check_token(self, purpose: str, token: str) -> bool:
        """Whether `token` is this subscription's for `purpose`, under the secret key or a fallback."""
        return any(
            constant_time_compare(self._token(purpose, secret), token)
            for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
        )

    def confirm_url(self) -> str:
        return reverse("cases:alert_confirm", kwargs={"pk": self.pk, "token": self.token(CONFIRM)})

    def manage_url(self) -> str:
        return reverse("cases:alert_manage", kwargs={"pk": self.pk, "token": self.token(MANAGE)})

    def unsubscribe_url(self) -> str:
        return reverse("cases:alert_unsubscribe", kwargs={"pk": self.pk, "token": self.token(MANAGE)})

    def library_url(self) -> str:
        return reverse("cases:casestudy_list") + (f"?{self.query}" if self.query else "")

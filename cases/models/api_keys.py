"""Partner API keys: who holds one, what it may do (scopes), how fast (its own rate), until when.

A key is shown once, when it is made, as `<prefix>.<secret>`; the database keeps the prefix (to find the
row and to tell keys apart in admin) and the SHA-256 of the whole key, never the key itself. The secret
is 256 random bits, so a fast hash is enough: there is nothing to guess a dictionary from.

Keys are made, revoked and marked used by services (cases/services.py: api_key_create, api_key_revoke,
api_key_touch). Clients send the key in a header (`Authorization: Api-Key <key>`,
cases/api/authentication.py); a key in the URL would end up in logs.
"""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PREFIX_LENGTH = 8
DEFAULT_RATE = 300  # requests a minute
# last_used_at is a hint for curators, not an audit log: one write a minute per key at most.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


class ApiKeyScope(models.TextChoices):
    READ = "read", _("Read the catalogue")
    SUBMIT = "submit", _("Submit cases")


def hash_key(plaintext: str) -> str:
    """The SHA-256 of a whole key (prefix, dot and secret), as stored in `ApiKey.hashed_key`."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def new_plaintext_key() -> str:
    """A fresh key: 8 hex characters of prefix, a dot, and 32 random bytes (URL-safe base64)."""
    return f"{secrets.token_hex(PREFIX_LENGTH // 2)}.{secrets.token_urlsafe(32)}"


class ApiKeyQuerySet(models.QuerySet):
    def usable(self):
        """Keys neither revoked nor expired, now (by the database's clock)."""
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=Now()), revoked_at__isnull=True)


class ApiKey(models.Model):
    """A partner's key to the API: its own rate limit, and the scopes it may use."""

    owner = models.CharField(
        _("owner"), max_length=200, help_text=_("The organisation or person the key was issued to.")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="api_keys",
        help_text=_("Optional: the user account on whose behalf requests made with this key act."),
    )
    prefix = models.CharField(_("prefix"), max_length=PREFIX_LENGTH, editable=False)
    hashed_key = models.CharField(_("hashed key"), max_length=64, editable=False)
    scope_read = models.BooleanField(_("read"), default=True)
    scope_submit = models.BooleanField(_("submit"), default=False)
    rate = models.PositiveIntegerField(
        _("rate"), default=DEFAULT_RATE, help_text=_("Requests a minute allowed with this key.")
    )
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), db_default=Now(), editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        app_label = "cases"
        ordering = ["-created_at", "-id"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            models.UniqueConstraint(fields=["prefix"], name="apikey_prefix_unique"),
            models.CheckConstraint(
                condition=Q(scope_read=True) | Q(scope_submit=True), name="apikey_has_a_scope"
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="apikey_rate_positive"),
        ]

    def __str__(self):
        return f"{self.prefix}… ({self.owner})"

    @property
    def scopes(self) -> list[str]:
        granted = {ApiKeyScope.READ: self.scope_read, ApiKeyScope.SUBMIT: self.scope_submit}
        return [str(scope) for scope, has in granted.items() if has]

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def is_usable(self, now: datetime.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def set_new_key(self) -> str:
        """Give this (unsaved) key a fresh secret; the plaintext is returned, only its hash is kept."""
        plaintext = new_plaintext_key()
        self.prefix = plaintext[:PREFIX_LENGTH]
        self.hashed_key = hash_key(plaintext)
        return plaintext

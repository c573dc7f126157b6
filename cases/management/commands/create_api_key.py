"""Issue a partner API key from the command line (as the admin's "API keys" page does), printing it once.

Only the key's hash is stored: the key printed here cannot be read back later. A lost key is revoked in the
admin and a new one issued.
"""

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cases.models.api_keys import DEFAULT_RATE
from cases.services import api_key_create


def expiry_date(value: str) -> datetime.datetime:
    """An ISO date (YYYY-MM-DD): the key stops working at the start of that day, UTC."""
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--expires takes a date as YYYY-MM-DD, not {value!r}.") from None
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


class Command(BaseCommand):
    help = "Issue a partner API key for OWNER and print it once (only its hash is kept)."

    def add_arguments(self, parser):
        parser.add_argument("owner", help="The organisation or person the key is issued to.")
        parser.add_argument("--submit", action="store_true", help="May submit cases (the submit scope).")
        parser.add_argument(
            "--no-read", action="store_true", help="May not read the catalogue (submit only)."
        )
        parser.add_argument("--rate", type=int, default=DEFAULT_RATE, help="Requests a minute allowed.")
        parser.add_argument("--expires", help="Date the key stops working (YYYY-MM-DD).")
        parser.add_argument("--user", help="Username of the account requests made with the key act as.")

    def handle(self, *args, owner, submit, no_read, rate, expires, user, **options):
        account = None
        if user:
            account = get_user_model().objects.filter(username=user).first()
            if account is None:
                raise CommandError(f"No user called {user!r}.")
        expires_at = expiry_date(expires) if expires else None
        if expires_at is not None and expires_at <= timezone.now():
            raise CommandError("--expires must be a date in the future.")
        try:
            key, plaintext = api_key_create(
                owner=owner,
                user=account,
                scope_read=not no_read,
                scope_submit=submit,
                rate=rate,
                expires_at=expires_at,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stderr.write(f"Key {key.prefix}… for {owner} ({', '.join(key.scopes)}, {key.rate} a minute):")
        self.stdout.write(plaintext)

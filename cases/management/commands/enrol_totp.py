"""Give a staff user a TOTP device (authenticator app) for the admin's second factor, and print the
otpauth:// address to add it to the app. The secret is shown this once; it cannot be read back."""

import base64

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Enrol a TOTP device for USERNAME (needed in admin when STAFF_REQUIRE_TOTP is on) and print the "
        "otpauth:// address to add to an authenticator app. --replace removes the user's other TOTP "
        "devices first (a lost or new phone)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="Authenticator app", help="A label for the device in admin.")
        parser.add_argument(
            "--replace", action="store_true", help="Remove the user's existing TOTP devices first."
        )

    def handle(self, *args, username, name, replace, **options):
        user_model = get_user_model()
        try:
            user = user_model.objects.get(**{user_model.USERNAME_FIELD: username})
        except user_model.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        if not user.is_staff:
            raise CommandError(f"{username!r} is not staff: only staff sign in to admin.")
        with transaction.atomic():
            existing = TOTPDevice.objects.filter(user=user)
            if existing.exists() and not replace:
                raise CommandError(
                    f"{username!r} already has a TOTP device; use --replace to give them a new one "
                    "(the old one stops working)."
                )
            existing.delete()
            device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
        secret = base64.b32encode(device.bin_key).decode()
        self.stdout.write(f"TOTP device {device.name!r} enrolled for {username!r}.")
        self.stdout.write("Add it to an authenticator app with this address (or scan it as a QR code):")
        self.stdout.write(device.config_url)
        self.stdout.write(f"Or type the secret by hand: {secret}")
        self.stdout.write("Shown once: it cannot be read back. Send it to the user over a trusted channel.")

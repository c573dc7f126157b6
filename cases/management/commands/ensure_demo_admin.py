"""Create the local demo superuser if it does not exist, and say how to sign in."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "observatory-demo"


class Command(BaseCommand):
    help = "Create the demo superuser admin / observatory-demo (only with DEBUG on) and print how to sign in."

    def add_arguments(self, parser):
        # `make run` passes the address it serves on (HOST and PORT): the address printed is the one to open.
        parser.add_argument(
            "--address",
            default="127.0.0.1:8000",
            help="host:port the site is served on, for the address printed (default 127.0.0.1:8000).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Refusing to create a demo superuser with DEBUG off; use createsuperuser.")
        user_model = get_user_model()
        if not user_model.objects.filter(username=DEMO_USERNAME).exists():
            user_model.objects.create_superuser(DEMO_USERNAME, "admin@example.org", DEMO_PASSWORD)
        self.stdout.write(
            f"Admin: http://{options['address']}/admin/ (user '{DEMO_USERNAME}', password '{DEMO_PASSWORD}')"
        )

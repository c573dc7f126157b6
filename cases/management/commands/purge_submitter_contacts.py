"""Delete submitters' contact details once they are no longer needed, as the privacy notice promises.

A SubmitterContact (name, e-mail, organisation) is kept while its case is being decided, so a curator can
still write to the submitter. Once the case is published or archived, the contact is deleted when it is
older than SUBMITTER_CONTACT_RETENTION_DAYS (counted from when the form was received). Run it daily
(cron, a scheduled job on the platform); running it twice does nothing more.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cases.services import expired_submitter_contacts, submitter_contacts_purge
from observatory.postgresql.base import long_running


class Command(BaseCommand):
    help = (
        "Delete submitter contact details older than SUBMITTER_CONTACT_RETENTION_DAYS whose case is "
        "published or archived. Run daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Retention in days (default: the SUBMITTER_CONTACT_RETENTION_DAYS setting).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say how many would be deleted, and delete nothing."
        )

    # Bulk work outside a request: statements may take minutes, not a request's few seconds.
    @long_running()
    def handle(self, *args, **options):
        retention_days = options["days"]
        if retention_days is None:
            retention_days = settings.SUBMITTER_CONTACT_RETENTION_DAYS
        if retention_days < 0:
            raise CommandError("The retention must be zero or more days.")
        if options["dry_run"]:
            count = expired_submitter_contacts(retention_days=retention_days, now=timezone.now()).count()
            self.stdout.write(
                f"{count} submitter contact record(s) would be deleted (older than {retention_days} days, "
                "case published or archived)."
            )
            return
        deleted = submitter_contacts_purge(retention_days=retention_days)
        self.stdout.write(
            self.style.SUCCESS(
                f"Deleted {deleted} submitter contact record(s) older than {retention_days} days whose case "
                "is published or archived."
            )
        )

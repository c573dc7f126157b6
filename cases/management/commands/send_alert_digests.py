"""Send the e-mail alerts' digests that are due, and delete the subscriptions never confirmed in time
(docs/library.md, "E-mail alerts"). The worker runs the same as a scheduled task every hour
(settings.TASK_SCHEDULE, cases.services.send_alert_digests); run this from cron instead where there is no
worker. Running it twice sends each digest once."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from cases.models import AlertSubscription
from cases.services import alert_digests_send

PROGRESS_EVERY = 100


class Command(BaseCommand):
    help = (
        "Send the e-mail alerts' digests that are due (daily or weekly) and delete subscriptions not "
        "confirmed within ALERT_CONFIRMATION_DAYS. Run hourly; running it twice sends once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Say how many digests are due, and send and delete nothing.",
        )

    def handle(self, *args, **options):
        now = timezone.now()
        if options["dry_run"]:
            due = AlertSubscription.objects.due(now=now).count()
            expired = AlertSubscription.objects.expired_unconfirmed(now=now).count()
            self.stdout.write(f"{due} digest(s) due; {expired} unconfirmed subscription(s) would be deleted.")
            return

        def progress(done: int, total: int) -> None:
            if done % PROGRESS_EVERY == 0 or done == total:
                self.stdout.write(f"{done}/{total} subscriptions looked at")

        counts = alert_digests_send(now=now, progress=progress if options["verbosity"] >= 1 else None)
        summary = (
            f"{counts['sent']} digest(s) sent, {counts['nothing_new']} with nothing new, "
            f"{counts['skipped']} sent by another run, {counts['failed']} failed (tried again next run); "
            f"{counts['purged']} unconfirmed subscription(s) deleted."
        )
        self.stdout.write(self.style.ERROR(summary) if counts["failed"] else self.style.SUCCESS(summary))

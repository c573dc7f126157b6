"""Write today's open-data dump of the published catalogue (docs/open-data.md), make it the latest, and
prune the old ones by the keeping rule. Run nightly (cron, or the worker's schedule); idempotent: a day's
dump is written once."""

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from cases.interchange.dumps import prune_dumps, write_dump
from cases.interchange.exporting import CHUNK_SIZE
from observatory.postgresql.base import long_running

PROGRESS_EVERY = 5000  # cases


class Command(BaseCommand):
    help = (
        "Write the open-data dump of the published catalogue (cases, vocabularies, link tables, datapackage)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--day", help="the dump's date, YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--force",
            action="store_true",
            help="write that day's dump again, replacing it whole (after taking a case down, for instance)",
        )
        parser.add_argument("--no-prune", action="store_true", help="keep every earlier dump")

    @long_running()
    def handle(self, *args, day=None, force=False, no_prune=False, **options):
        try:
            day = date.fromisoformat(day) if day else None
        except ValueError:
            raise CommandError(f"--day must be a date written YYYY-MM-DD, not {day!r}.") from None
        started = time.monotonic()

        def progress(done, total):
            if done % PROGRESS_EVERY < CHUNK_SIZE or done == total:
                self.stdout.write(f"  {done:,}/{total:,} cases, {time.monotonic() - started:.1f} s")

        dump = write_dump(
            day=day, force=force, progress=progress, say=lambda text: self.stdout.write(f"  {text}")
        )
        removed = [] if no_prune else prune_dumps()
        if dump.skipped:
            self.stdout.write(
                f"The dump of {dump.day} exists already: nothing written (--force to replace it)."
            )
        else:
            size = sum(each.bytes for each in dump.files)
            self.stdout.write(
                f"Wrote the dump of {dump.day}: {dump.cases:,} cases in {len(dump.files)} files, "
                f"{size / 1e6:,.1f} MB, in {time.monotonic() - started:.1f} s"
                + (f"; pruned {len(removed)} older dump(s)." if removed else ".")
            )

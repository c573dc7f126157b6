"""Recompute the related cases each case page shows (cases/search/related.py), stored off the request path.

After a write commits, a task recomputes the list of each case it wrote and marks stale the lists that may
change with them (cases/tasks.py); run this
- with --stale every few minutes (cron, or any scheduler): the lists writes marked stale, the lists of cases
  published or changed without the task (a bulk load, QuerySet.update()), and any published case's missing
  list;
- without it once a day or so, and after migrating to the table (migration 0024) or restoring a database: a
  newly published case reaches only the lists of cases like it that a write marked stale, and every other
  list only through this full refresh.
It shows progress and ends with a one-line summary. Lists are replaced batch by batch, each in one
transaction: pages go on showing the old lists meanwhile, never a half-written one.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from cases.models import CaseStudy
from cases.search.related import BATCH_SIZE, refresh_related, stale_case_ids, tidy_tables
from observatory.postgresql.base import long_running

# A progress line every this many cases or so.
PROGRESS_EVERY = 5000


class Command(BaseCommand):
    help = (
        "Recompute the related cases of every published case (the case pages' 'Related cases'), or with "
        "--stale only the lists that writes made stale and the missing ones."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--stale",
            action="store_true",
            help="Only the lists marked stale, older than their case, or missing (the regular run).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help=f"Cases computed and stored per transaction (default {BATCH_SIZE}).",
        )

    # Bulk work outside a request: statements may take longer than a request's few seconds.
    @long_running()
    def handle(self, *args, stale, batch_size, **options):
        if batch_size < 1:
            raise CommandError(f"--batch-size must be at least 1, not {batch_size}.")
        started = time.perf_counter()
        if stale:
            ids, which = stale_case_ids(), "stale or missing lists"
        else:
            ids, which = list(CaseStudy.objects.published().values_list("pk", flat=True)), "published cases"
        self.stdout.write(f"Refreshing the related cases of {len(ids):,} {which}, {batch_size:,} per batch")
        every = max(1, PROGRESS_EVERY // batch_size)

        def progress(done, total, refreshed):
            if done == total or (done // batch_size) % every == 0:
                self.stdout.write(
                    f"  {done:,}/{total:,} lists, {refreshed.rows:,} related cases, "
                    f"{time.perf_counter() - started:.1f} s"
                )

        refreshed = refresh_related(ids, batch_size=batch_size, progress=progress)
        if not stale:
            tidy_tables()  # every row was replaced: at once, rather than when autovacuum comes round
        elapsed = time.perf_counter() - started
        rate = refreshed.lists / elapsed if elapsed else 0.0
        self.stdout.write(
            self.style.SUCCESS(
                f"Related cases refreshed: {refreshed.lists:,} lists, {refreshed.rows:,} related cases in "
                f"{elapsed:.1f} s ({rate:.0f} lists/s)."
            )
        )

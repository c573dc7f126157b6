"""Make the HTML of every case's narrative, and of its published translations', where it is missing or was
made from another text or by other rules (cases/models/rendered.py).

A write's task keeps it up to date for the cases it wrote (cases/tasks.py); run this once after migrating
to the table (migration 0033) or restoring a database, after a change of the rendering rules
(cases/web/rendering.py RENDERING_VERSION), and after writes that send no signals (QuerySet.update(), a bulk
load). Until then pages render the Markdown live: slower, never wrong. Each batch is one transaction. It
shows progress and ends with a one-line summary.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cases.models import CaseStudy
from cases.models.rendered import BATCH_SIZE, refresh_rendered_narratives
from observatory.postgresql.base import long_running

# A progress line every this many cases or so.
PROGRESS_EVERY = 5000


class Command(BaseCommand):
    help = (
        "Make the HTML of every case's narrative (and its translations') where it is missing or out of date."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help=f"Cases rendered and stored per transaction (default {BATCH_SIZE}).",
        )

    # Bulk work outside a request: statements may take longer than a request's few seconds.
    @long_running()
    def handle(self, *args, batch_size, **options):
        if batch_size < 1:
            raise CommandError(f"--batch-size must be at least 1, not {batch_size}.")
        started = time.perf_counter()
        ids = list(CaseStudy.objects.order_by("pk").values_list("pk", flat=True))
        self.stdout.write(f"Rendering the narratives of {len(ids):,} cases, {batch_size:,} per batch")
        totals = {"texts": 0, "rendered": 0, "dropped": 0}
        every = max(1, PROGRESS_EVERY // batch_size)
        for number, start in enumerate(range(0, len(ids), batch_size), start=1):
            with transaction.atomic():
                done = refresh_rendered_narratives(ids[start : start + batch_size])
            for key in totals:
                totals[key] += done[key]
            finished = min(start + batch_size, len(ids))
            if finished == len(ids) or number % every == 0:
                self.stdout.write(
                    f"  {finished:,}/{len(ids):,} cases, {totals['rendered']:,} texts rendered, "
                    f"{time.perf_counter() - started:.1f} s"
                )
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Narratives rendered: {totals['rendered']:,} of {totals['texts']:,} texts of {len(ids):,} "
                f"cases (the rest already current), {totals['dropped']:,} dropped, in {elapsed:.1f} s."
            )
        )

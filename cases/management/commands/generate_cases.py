"""Fill the catalogue with synthetic published cases for load tests and benchmarks
(cases/interchange/generation.py)."""

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries
from django.utils import timezone

from cases.interchange.generation import CaseGenerator, ReferenceData, case_slug, insert_batch
from cases.tasks import catalogue_committed
from observatory.postgresql.base import long_running

DEFAULT_BATCH_SIZE = 1000


class Command(BaseCommand):
    help = (
        "Create COUNT synthetic, realistic published case studies with bulk inserts (for load tests and "
        "benchmarks). The same --seed always gives the same cases, with slugs gen-<seed>-1 ... "
        "gen-<seed>-<count>. Running it again with a seed already used is safe: cases whose slug already "
        "exists are skipped and counted as skipped, so a rerun with the same --count adds nothing and a "
        "rerun with a larger --count adds only the missing ones."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--count", type=int, required=True, help="How many cases to generate (at least 1)."
        )
        parser.add_argument("--seed", type=int, default=0, help="Random seed, 0 or more (default 0).")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Cases per insert transaction and progress line (default {DEFAULT_BATCH_SIZE}).",
        )
        parser.add_argument(
            "--skip-related",
            action="store_true",
            help="Leave the new cases' related cases to a later `refresh_related --stale` (their pages show "
            "none until then).",
        )

    # Bulk work outside a request: statements may take minutes, not a request's few seconds.
    @long_running()
    def handle(self, *args, count, seed, batch_size, skip_related, **options):
        if count < 1:
            raise CommandError(f"--count must be at least 1, not {count}.")
        if seed < 0:
            raise CommandError(f"--seed must be 0 or more, not {seed}.")
        if batch_size < 1:
            raise CommandError(f"--batch-size must be at least 1, not {batch_size}.")
        reference = ReferenceData.load()
        if missing := reference.missing():
            raise CommandError(f"No {', '.join(missing)} in the database: run `manage.py migrate` first.")

        generator = CaseGenerator(seed, reference, today=timezone.now().date())
        self.stdout.write(
            f"Generating {count:,} cases with seed {seed} "
            f"({case_slug(seed, 1)} to {case_slug(seed, count)}), {batch_size:,} per batch"
        )
        started = time.perf_counter()
        created = skipped = links = outcomes = 0
        for batch_start in range(1, count + 1, batch_size):
            numbers = range(batch_start, min(batch_start + batch_size, count + 1))
            result = insert_batch([generator.case(number) for number in numbers])
            # With DEBUG on, Django keeps every query's SQL; each batch's is megabytes long.
            reset_queries()
            created += result.created
            skipped += result.skipped
            links += result.links
            outcomes += result.outcomes
            elapsed = time.perf_counter() - started
            self.stdout.write(
                f"  {numbers[-1]:,}/{count:,}: {created:,} created, {skipped:,} skipped, {links:,} links, "
                f"{outcomes:,} outcomes, {elapsed:.1f} s"
            )

        # The planner's statistics after a bulk load (both databases know ANALYZE): without them PostgreSQL
        # took a million published cases for a few thousand and chose plans 20 times slower, and the
        # search's postings need them to know which words are common (cases/search/postings.py).
        # On PostgreSQL, VACUUM as well: a page of a list is read from an index alone only where the
        # visibility map says the rows are visible to all, and freshly written rows are not marked until
        # a vacuum has passed (autovacuum's turn may be long in coming). At 100,000 fresh cases the API's
        # pages 2-1000 took 64 / 106 ms (p50 / p95) before a VACUUM and 25 / 36 after. A transaction (a
        # test's) cannot hold a VACUUM: there, statistics only.
        statement = "VACUUM (ANALYZE)" if connection.vendor == "postgresql" else "ANALYZE"
        if connection.in_atomic_block:
            statement = "ANALYZE"
        self.stdout.write(f"  updating the database's statistics ({statement})")
        with connection.cursor() as cursor:
            cursor.execute(statement)
        # bulk_create sends no signals: make cached counts stale and refresh the statistics ourselves.
        catalogue_committed()
        if not skip_related:
            # Nor do the related lists follow bulk_create (cases/tasks.py): compute the missing ones.
            call_command("refresh_related", stale=True, stdout=self.stdout)
        elapsed = time.perf_counter() - started
        rate = created / elapsed if elapsed else 0.0
        summary = f"Generated {created} cases in {elapsed:.1f} s ({rate:.0f} cases/s)"
        if skipped:
            summary += f"; skipped {skipped} that already existed (seed {seed})"
        self.stdout.write(self.style.SUCCESS(summary))

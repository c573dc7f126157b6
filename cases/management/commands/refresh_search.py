"""Rebuild what search keeps beside the cases: the word list "did you mean" draws on, and on PostgreSQL the
statistics of the search documents and the posting lists of common words (cases/search/postings.py).

A task does this after every committed write (cases/tasks.py); run this after a bulk load that bypassed
it, after the cache was emptied (a deployment with a new Redis), or to rebuild every posting from the
index (--rebuild). It shows progress and ends with a one-line summary.
"""

import time

from django.core.management.base import BaseCommand

from cases.search.engine import analyze_search_documents, refresh_postings, refresh_word_list
from observatory.postgresql.base import long_running


class Command(BaseCommand):
    help = "Rebuild the search's word list and, on PostgreSQL, the posting lists of common words."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="Read every posting again from the index, not only the missing.",
        )

    @long_running()
    def handle(self, *args, **options):
        started = time.perf_counter()
        analyze_search_documents()
        words = refresh_word_list()
        self.stdout.write(f"Word list: {words:,} words ({time.perf_counter() - started:.1f} s)")

        def progress(done, total, lexeme):
            if done == total or done % 50 == 0:
                self.stdout.write(f"  postings {done:,}/{total:,} ({time.perf_counter() - started:.1f} s)")

        done = refresh_postings(rebuild=options["rebuild"], progress=progress)
        if done.get("busy"):
            self.stdout.write("Postings: another refresh is running; left to it.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Search refreshed: {words:,} words in the word list, {done['lexemes']:,} common words with "
                f"postings ({done['built']:,} built, {done['updated']:,} updated) in "
                f"{time.perf_counter() - started:.1f} s."
            )
        )

"""Export case studies to CSV or JSON in the format import_cases reads: export then import round-trips."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict

from cases.filters import CaseStudyFilterSet
from cases.interchange.formats import FORMATS, InterchangeError, format_for, write_cases
from cases.models import CaseStudy, Status
from observatory.postgresql.base import long_running


class Command(BaseCommand):
    help = (
        "Export cases to FILE (.csv or .json; '-' for standard output) in the import format. All cases by "
        "default; narrow with --status and --query (the library's query string)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The file to write, or - for standard output.")
        parser.add_argument(
            "--format", choices=FORMATS, help="csv, json or jsonl (default: from the extension)."
        )
        parser.add_argument(
            "--status",
            action="append",
            choices=Status.values,
            help="Only cases with this status (repeatable; default: every status).",
        )
        parser.add_argument(
            "--query",
            default="",
            help='The library\'s filters as a query string, e.g. "sector=health&year_from=2015".',
        )
        parser.add_argument(
            "--progress-every", type=int, default=500, metavar="N", help="Report progress every N cases."
        )

    # Bulk work outside a request: statements may take minutes, not a request's few seconds.
    @long_running()
    def handle(self, *args, **options):
        name = options["file"]
        to_stdout = name == "-"
        try:
            fmt = format_for(name, options["format"] or ("json" if to_stdout else None))
        except InterchangeError as error:
            raise CommandError(str(error)) from None
        cases = self.selection(options["status"], options["query"])
        total = cases.count()
        # With the file on standard output, the progress goes to standard error.
        report = self.stderr if to_stdout else self.stdout
        every = max(options["progress_every"], 1)

        def progress(done):
            if done % every == 0 or done == total:
                report.write(f"  {done}/{total} cases written")

        if to_stdout:
            count = write_cases(cases, sys.stdout, fmt, progress=progress)
        else:
            try:
                with Path(name).open("w", encoding="utf-8", newline="") as out:
                    count = write_cases(cases, out, fmt, progress=progress)
            except OSError as error:
                raise CommandError(f"Cannot write {name}: {error.strerror or error}.") from None
        where = "standard output" if to_stdout else name
        report.write(self.style.SUCCESS(f"Exported {count} cases to {where} ({fmt.upper()})."))

    def selection(self, statuses, query):
        cases = CaseStudy.objects.all()
        if statuses:
            cases = cases.filter(status__in=statuses)
        if query.strip():
            filterset = CaseStudyFilterSet(QueryDict(query.lstrip("?")), queryset=cases)
            if not filterset.is_valid():
                problems = "; ".join(
                    f"{field}: {' '.join(messages)}" for field, messages in filterset.errors.items()
                )
                raise CommandError(f"--query is not valid: {problems}")
            cases = CaseStudy.objects.filter(pk__in=filterset.qs.order_by().values("pk"))
        return cases

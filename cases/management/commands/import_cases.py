"""Import case studies from a CSV or JSON file: all or nothing, idempotent, every bad row reported."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from cases.interchange.formats import FORMATS, InterchangeError, format_for, read_cases
from cases.interchange.importing import ImportRejected, import_case_file
from observatory.postgresql.base import long_running


class Command(BaseCommand):
    help = (
        "Import cases from FILE (.csv or .json, the format of docs/curation.md, 'Bulk import and export'). "
        "Nothing is written unless every row is good; importing the same file twice changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The file to import.")
        parser.add_argument(
            "--format", choices=FORMATS, help="csv, json or jsonl (default: from the extension)."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and report what would change; write nothing.",
        )
        parser.add_argument(
            "--user",
            help="Import as this user (username): their permissions and economies are checked, and the "
            "revisions name them. Without it the import runs as the system, with no checks.",
        )
        parser.add_argument(
            "--progress-every", type=int, default=100, metavar="N", help="Report progress every N rows."
        )

    # Bulk work outside a request: statements may take minutes, not a request's few seconds.
    @long_running()
    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            fmt = format_for(path.name, options["format"])
            data = path.read_bytes()
        except InterchangeError as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}.") from None
        user = self._user(options["user"])
        try:
            parsed = read_cases(data, fmt)
        except InterchangeError as error:
            raise CommandError(f"{path.name}: {error} Nothing was imported.") from None
        self.stdout.write(f"Read {len(parsed.records)} rows from {path.name} ({fmt.upper()}).")
        every = max(options["progress_every"], 1)

        def progress(done, total):
            if done % every == 0 or done == total:
                self.stdout.write(f"  {done}/{total} rows {'checked' if options['dry_run'] else 'written'}")

        try:
            report = import_case_file(
                parsed, user=user, dry_run=options["dry_run"], progress=progress, source=path.name
            )
        except ImportRejected as rejected:
            errors = rejected.report.error_lines()
            self.stderr.write(f"{path.name}: {len(errors)} bad row(s); nothing was imported.")
            for line in errors:
                self.stderr.write(f"  {line}")
            raise CommandError(f"Import rejected: {len(errors)} bad row(s), nothing written.") from None
        self.stdout.write(self.style.SUCCESS(report.headline()))

    def _user(self, username):
        if not username:
            return None
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user called {username!r}.") from None
        if not (user.has_perm("cases.add_casestudy") and user.has_perm("cases.change_casestudy")):
            raise CommandError(f"{username} may not import cases (needs to add and change case studies).")
        return user

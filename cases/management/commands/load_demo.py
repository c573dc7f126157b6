"""Load the demo catalogue from cases/fixtures/demo/: create or update, never duplicate."""

import json
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cases.interchange.importing import ImportRejected, import_case_records, read_records
from cases.interchange.reference_data import load_reference_data
from cases.models import Economy, TranslationStatus
from cases.services import TranslationsRejected, case_translations_import
from observatory.postgresql.base import long_running

DEMO_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
# Who the demo's translations are credited to, and how they were made.
DEMO_TRANSLATION = {
    "translated_by": "The Observatory demo team",
    "reviewed_by": "The Observatory editorial team",
    "machine_translated": True,
    "status": TranslationStatus.PUBLISHED,
}


class Command(BaseCommand):
    help = "Load the demo catalogue (cases/fixtures/demo/cases-*.json). Running it twice changes nothing."

    # Bulk work outside a request: statements may take minutes, not a request's few seconds.
    @long_running()
    def handle(self, *args, **options):
        load_reference_data()
        extra_economies = DEMO_DIR / "economies.json"
        if extra_economies.exists():
            for row in json.loads(extra_economies.read_text(encoding="utf-8")):
                values = dict(row)
                Economy.objects.update_or_create(iso2=values.pop("iso2"), defaults=values)
        records = []
        for path in sorted(DEMO_DIR.glob("cases-*.json")):
            file_records = read_records(path)
            self.stdout.write(f"Reading {path.name}: {len(file_records)} cases")
            records.extend(file_records)

        def progress(done, total):
            if done % 20 == 0 or done == total:
                self.stdout.write(f"  {done}/{total} cases checked and written")

        try:
            with transaction.atomic():
                report = import_case_records(records, progress=progress)
        except ImportRejected as rejected:
            for row, reason in rejected.report.errors:
                self.stderr.write(f"  case {row}: {reason}")
            raise CommandError(
                f"Demo catalogue not loaded: {len(rejected.report.errors)} bad cases."
            ) from None
        self.stdout.write(self.style.SUCCESS(f"Demo catalogue: {report.summary()}."))
        self.load_translations()
        # The task after the import's commit has computed the lists it could; the rest (and, with a queue
        # backend, all of them) now, so that the demo's pages show their related cases at once.
        call_command("refresh_related", stale=True, stdout=self.stdout)

    def load_translations(self):
        """The demo cases' translations (cases/fixtures/demo/translations/<code>.json), published. Drafted
        with machine assistance for the demo, as every page showing one says (docs/translating.md)."""
        records = []
        for path in sorted((DEMO_DIR / "translations").glob("*.json")):
            records += json.loads(path.read_text(encoding="utf-8"))
        try:
            counts = case_translations_import(records=records, defaults=DEMO_TRANSLATION)
        except TranslationsRejected as rejected:
            for row, reason in rejected.problems:
                self.stderr.write(f"  translation {row}: {reason}")
            raise CommandError(
                f"Demo translations not loaded: {len(rejected.problems)} bad records."
            ) from None
        summary = ", ".join(f"{n} {what}" for what, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo translations: {len(records)} read, {summary}."))

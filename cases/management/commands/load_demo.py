"""Load the demo catalogue from cases/fixtures/demo/: create or update, never duplicate.

The cases (cases-*.json) and their translations, then the methods and toolkits of public-sector innovation
(methods.json, toolkits.json), the methods and toolkits each case used (case-methods.json), and each case's
lead organisation as an entity. The methods, toolkits and links are read and checked with the cases' files
before anything is written, so a bad record among them stops the command with nothing changed; they are then
written in one transaction."""

import json
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cases.interchange.entries import DemoEntries, EntryRecord, EntryRecordError, read_demo_entries
from cases.interchange.importing import ImportRejected, import_case_records, read_records
from cases.interchange.reference_data import load_reference_data
from cases.models import CaseStudy, Economy, Method, Toolkit, TranslationStatus
from cases.services import (
    TranslationsRejected,
    case_methods_set,
    case_organisations_link,
    case_translations_import,
    entry_save,
)
from observatory.postgresql.base import long_running

# The places of the counts in Command.save_entries.
CREATED, UPDATED, UNCHANGED = 0, 1, 2
DEMO_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
# Who the demo's translations are credited to, and how they were made.
DEMO_TRANSLATION = {
    "translated_by": "The Observatory demo team",
    "reviewed_by": "The Observatory editorial team",
    "machine_translated": True,
    "status": TranslationStatus.PUBLISHED,
}


class Command(BaseCommand):
    help = (
        "Load the demo catalogue (cases/fixtures/demo/: cases, translations, methods, toolkits and the "
        "methods each case used). Running it twice changes nothing."
    )

    # Bulk work outside a request: statements may take minutes, not a request's few seconds.
    @long_running()
    def handle(self, *args, **options):
        records = []
        for path in sorted(DEMO_DIR.glob("cases-*.json")):
            file_records = read_records(path)
            self.stdout.write(f"Reading {path.name}: {len(file_records)} cases")
            records.extend(file_records)
        # Read and checked before the first write: a bad method, toolkit or link must leave nothing half-done.
        try:
            entries = read_demo_entries(DEMO_DIR, case_slugs={record["slug"] for record in records})
        except EntryRecordError as problem:
            raise CommandError(f"Demo methods and toolkits not loaded: {problem}") from None
        self.stdout.write(
            f"Reading methods.json, toolkits.json and case-methods.json: {len(entries.methods)} methods, "
            f"{len(entries.toolkits)} toolkits, {len(entries.case_methods)} cases' methods"
        )
        load_reference_data()
        extra_economies = DEMO_DIR / "economies.json"
        if extra_economies.exists():
            for row in json.loads(extra_economies.read_text(encoding="utf-8")):
                values = dict(row)
                Economy.objects.update_or_create(iso2=values.pop("iso2"), defaults=values)

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
        self.load_entries(entries)
        organisations = case_organisations_link()
        for slug, reason in organisations.unmatched:
            self.stderr.write(f"  case {slug}: {reason}")
        self.stdout.write(self.style.SUCCESS(f"Demo organisations: {organisations.summary()}."))
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

    def load_entries(self, entries: DemoEntries) -> None:
        """The methods, the toolkits and each case's methods and toolkits, created or updated by slug through
        the services (validated, with history). A method, toolkit or case whose stored content already
        matches its file is not saved again, so a second run records no revision."""
        # Created, updated, unchanged (cases: written, unchanged).
        counts = {"methods": [0, 0, 0], "toolkits": [0, 0, 0], "cases": [0, 0]}
        with transaction.atomic():
            methods = self.save_entries(Method, entries.methods, counts["methods"])
            toolkits = self.save_entries(Toolkit, entries.toolkits, counts["toolkits"], methods=methods)
            cases = CaseStudy.objects.filter(
                slug__in=[row.case for row in entries.case_methods]
            ).prefetch_related("method_links__method", "toolkit_links__toolkit")
            cases = {case.slug: case for case in cases}
            for done, row in enumerate(entries.case_methods, start=1):
                case = cases[row.case]
                stored_methods = [
                    (link.method.slug, link.role, link.note) for link in case.method_links.all()
                ]
                stored_toolkits = [(link.toolkit.slug, link.note) for link in case.toolkit_links.all()]
                wanted_methods = [(link["method"], link["role"], link["note"]) for link in row.methods]
                wanted_toolkits = [(link["toolkit"], link["note"]) for link in row.toolkits]
                if (stored_methods, stored_toolkits) == (wanted_methods, wanted_toolkits):
                    counts["cases"][1] += 1
                else:
                    case_methods_set(
                        case=case,
                        methods=[{**link, "method": methods[link["method"]]} for link in row.methods],
                        toolkits=[{**link, "toolkit": toolkits[link["toolkit"]]} for link in row.toolkits],
                    )
                    counts["cases"][0] += 1
                if done % 20 == 0 or done == len(entries.case_methods):
                    self.stdout.write(
                        f"  {done}/{len(entries.case_methods)} cases' methods checked and written"
                    )
        (m_new, m_changed, m_same), (t_new, t_changed, t_same) = counts["methods"], counts["toolkits"]
        linked, unchanged = counts["cases"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo methods and toolkits: methods created {m_new}, updated {m_changed}, "
                f"unchanged {m_same}; "
                f"toolkits created {t_new}, updated {t_changed}, unchanged {t_same}; "
                f"cases' methods written {linked}, unchanged {unchanged}."
            )
        )

    def save_entries(self, model, records: list[EntryRecord], counts: list[int], methods=None) -> dict:
        """Create or update each record's entry; returns every entry by slug. `methods` (toolkits only):
        the methods by slug, for the ones each toolkit supports."""
        stored = {entry.slug: entry for entry in model.objects.filter(slug__in=[r.slug for r in records])}
        label = model._meta.verbose_name_plural
        saved = {}
        for done, record in enumerate(records, start=1):
            entry = stored.get(record.slug)
            if entry is not None and matches(entry, record):
                saved[record.slug] = entry
                counts[UNCHANGED] += 1
            else:
                outcome = CREATED if entry is None else UPDATED
                if entry is None:
                    entry = model(**record.columns)
                for name, value in record.columns.items():
                    setattr(entry, name, value)
                saved[record.slug] = entry_save(
                    entry=entry,
                    user=None,
                    purposes=record.purposes,
                    languages=record.languages if model is Toolkit else None,
                    methods=[methods[slug] for slug in record.methods] if model is Toolkit else None,
                    message="Demo content (load_demo).",
                )
                counts[outcome] += 1
            if done % 10 == 0 or done == len(records):
                self.stdout.write(f"  {done}/{len(records)} {label} checked and written")
        return saved


def matches(entry, record: EntryRecord) -> bool:
    """Whether a stored method or toolkit already says what its record says."""
    if any(getattr(entry, name) != value for name, value in record.columns.items()):
        return False
    if sorted(entry.purposes) != sorted(record.purposes):
        return False
    if isinstance(entry, Toolkit):
        return sorted(entry.languages) == sorted(record.languages) and sorted(
            entry.methods.values_list("slug", flat=True)
        ) == sorted(record.methods)
    return True

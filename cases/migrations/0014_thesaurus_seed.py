"""The thesaurus's starting list (cases/fixtures/reference/thesaurus.json), the curators' permissions to keep
it, and on PostgreSQL a trigram index on the word list for "did you mean"."""

import json
from pathlib import Path

from django.db import migrations

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "reference" / "thesaurus.json"


def seed_thesaurus(apps, schema_editor):
    entry_model = apps.get_model("cases", "ThesaurusEntry")
    if entry_model.objects.exists():
        return  # curators have started their own: never add to it behind their back
    entries = json.loads(SEED.read_text(encoding="utf-8"))
    entry_model.objects.bulk_create(
        [entry_model(terms="\n".join(entry["terms"]), note=entry.get("note", "")) for entry in entries]
    )


def unseed_thesaurus(apps, schema_editor):
    apps.get_model("cases", "ThesaurusEntry").objects.all().delete()


def install_roles(apps, schema_editor):
    from cases.curation.roles import install_roles

    install_roles(apps)


def add_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS searchword_word_trigram ON cases_searchword USING gin (word gin_trgm_ops)"
        )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS searchword_word_trigram")


class Migration(migrations.Migration):
    dependencies = [("cases", "0013_thesaurus_and_search_words")]

    operations = [
        migrations.RunPython(seed_thesaurus, unseed_thesaurus),
        migrations.RunPython(install_roles, migrations.RunPython.noop),
        migrations.RunPython(add_trigram_index, drop_trigram_index),
    ]

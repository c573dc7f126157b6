"""SQLite-only: the FTS5 full-text index of the cases and the triggers that keep it (cases/search/sqlite.py).

Created and filled from the cases already there; reversed by dropping it. Does nothing on PostgreSQL, whose
search document is the generated column of migration 0001 with the indexes of migration 0002.
"""

from django.db import migrations

from cases.search import sqlite as sqlite_search


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        sqlite_search.create_index(schema_editor.connection)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        sqlite_search.drop_index(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("cases", "0014_thesaurus_seed")]

    operations = [migrations.RunPython(create_index, drop_index)]

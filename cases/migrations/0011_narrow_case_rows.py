"""PostgreSQL-only: keep the case table's rows narrow, with long text in TOAST storage.

A case row carries its narrative sections; under PostgreSQL's default, text up to about 2 kB stays in the
row, so the table itself was 188 MB for 100,000 generated cases. Whatever reads many cases at once (the
search's matching, counts, the statistics' selections) reads those pages. With a 256-byte target, long
values are compressed or moved out of the row: 41 MB for the same cases, and a search for a word in
most cases through the full-text index 0.18 -> 0.15 s (with a sector filter 0.22 -> 0.09 s). Reading
one case's sections costs a few index lookups more.

Rows written before this migration keep their layout until rewritten: `VACUUM FULL cases_casestudy` (which
locks the table while it runs) applies the target to them.
"""

from django.db import migrations


def set_toast_target(value):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            if value is None:
                schema_editor.execute("ALTER TABLE cases_casestudy RESET (toast_tuple_target)")
            else:
                schema_editor.execute(f"ALTER TABLE cases_casestudy SET (toast_tuple_target = {int(value)})")

    return run


class Migration(migrations.Migration):
    dependencies = [("cases", "0010_statistics_covering_index")]

    operations = [migrations.RunPython(set_toast_target(256), set_toast_target(None))]

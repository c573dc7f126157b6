"""Seeds the vocabularies from cases/fixtures/reference/*.json: the 21 APO member economies, the 13 OPSI
sectors with their COFOG divisions, the 4 innovation facets, the 17 SDGs and the first innovation themes.

Re-running it (or running `load_reference_data`) updates rows in place, matched by their stable keys.
"""

from django.db import migrations


def load(apps, schema_editor):
    from cases.interchange.reference_data import load_reference_data

    load_reference_data(apps)


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_postgres_search")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

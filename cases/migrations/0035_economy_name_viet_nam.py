"""Viet Nam is written as the APO and the United Nations write it (issue 19): the economy seeded as "Vietnam"
(cases/fixtures/reference/economies.json until then) is renamed, matched by its ISO code and only while it
still has the old name, so a name a curator chose is kept. Its slug (and so its URLs) stays `vietnam`.

The caches are moved on as a write to a vocabulary moves them (cases.caching.catalogue_changed): the
vocabulary snapshot, the pages of results and the case pages all name the economy.
"""

import time

from django.db import migrations

OLD_NAME = "Vietnam"
NEW_NAME = "Viet Nam"


def rename(apps, schema_editor, *, old: str, new: str) -> None:
    alias = schema_editor.connection.alias
    economies = apps.get_model("cases", "Economy").objects.using(alias)
    renamed = economies.filter(iso2="VN", name=old).update(name=new)
    if renamed:
        # A version from the clock, like every bump: never one a shared cache may still hold.
        clock = time.time_ns() // 1000
        apps.get_model("cases", "CatalogueState").objects.using(alias).update(
            version=clock, vocabulary_version=clock, case_pages_version=clock
        )


def forwards(apps, schema_editor):
    rename(apps, schema_editor, old=OLD_NAME, new=NEW_NAME)


def backwards(apps, schema_editor):
    rename(apps, schema_editor, old=NEW_NAME, new=OLD_NAME)


class Migration(migrations.Migration):
    dependencies = [("cases", "0034_search_other_languages_weighted")]

    operations = [migrations.RunPython(forwards, backwards)]

import time

from django.db import migrations, models


def start_from_the_clock(apps, schema_editor):
    # A version from the clock, like every bump (cases/caching.py): never one a shared cache may still hold.
    apps.get_model("cases", "CatalogueState").objects.using(schema_editor.connection.alias).update(
        listing_version=time.time_ns() // 1000
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0035_economy_name_viet_nam"),
    ]

    operations = [
        migrations.AddField(
            model_name="cataloguestate",
            name="listing_version",
            field=models.BigIntegerField(default=0, verbose_name="listing version"),
        ),
        migrations.RunPython(start_from_the_clock, migrations.RunPython.noop, elidable=True),
    ]

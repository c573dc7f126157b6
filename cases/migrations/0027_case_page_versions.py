import time

from django.db import migrations, models


def start_from_the_clock(apps, schema_editor):
    # A version from the clock, like every bump (cases/caching.py): never one a shared cache may still hold.
    apps.get_model("cases", "CatalogueState").objects.using(schema_editor.connection.alias).update(
        case_pages_version=time.time_ns() // 1000
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0026_newest_first_by_id"),
    ]

    operations = [
        migrations.AddField(
            model_name="casestudy",
            name="public_revision",
            field=models.BigIntegerField(default=0, editable=False, verbose_name="public revision"),
        ),
        migrations.AddField(
            model_name="cataloguestate",
            name="case_pages_version",
            field=models.BigIntegerField(default=0, verbose_name="case pages version"),
        ),
        migrations.RunPython(start_from_the_clock, migrations.RunPython.noop, elidable=True),
    ]

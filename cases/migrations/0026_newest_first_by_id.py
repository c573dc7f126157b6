"""The catalogue's default order, newest first with ties by id, as one index: a page deep in it reads the
index alone (cases/models/__init__.py). Made before the index it replaces is dropped, so no read goes
without one."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0025_title_words_by_case"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="casestudy",
            index=models.Index(fields=["status", "-published_at", "-id"], name="casestudy_status_newest"),
        ),
        migrations.RemoveIndex(
            model_name="casestudy",
            name="casestudy_status_published",
        ),
    ]

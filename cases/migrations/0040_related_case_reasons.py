"""Related cases say why (issue 18): the published methods each related case shares with its case, and the
kinds of reason it has, strongest first. Rows stored before have neither (the page then gives their reasons
in the order of their weights, without methods); `manage.py refresh_related` after migrating computes every
list again, with methods in the scores (docs/caching.md, "Related cases")."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0039_organisations_from_cases"),
    ]

    operations = [
        migrations.AddField(
            model_name="relatedcase",
            name="reason_kinds",
            field=models.JSONField(default=list, verbose_name="reasons, strongest first"),
        ),
        migrations.AddField(
            model_name="relatedcase",
            name="shared_methods",
            field=models.JSONField(default=list, verbose_name="shared methods"),
        ),
    ]

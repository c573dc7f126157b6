"""Related cases computed off the request path (issue 15): each case's list (RelatedCase, a row per related
case with its rank, score and reasons) and when it was computed (RelatedCaseList). Empty at first: run
`manage.py refresh_related` once after migrating (docs/caching.md)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0023_vocabulary_version"),
    ]

    operations = [
        migrations.CreateModel(
            name="RelatedCaseList",
            fields=[
                (
                    "case",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="related_list",
                        serialize=False,
                        to="cases.casestudy",
                        verbose_name="case",
                    ),
                ),
                ("computed_at", models.DateTimeField(verbose_name="computed")),
                ("stale", models.BooleanField(default=False, verbose_name="stale")),
            ],
            options={
                "verbose_name": "list of related cases",
                "verbose_name_plural": "lists of related cases",
                "indexes": [
                    models.Index(
                        condition=models.Q(("stale", True)),
                        fields=["computed_at"],
                        name="relatedcaselist_stale",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="RelatedCase",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "rank",
                    models.PositiveSmallIntegerField(
                        help_text="1 for the most related.", verbose_name="rank"
                    ),
                ),
                ("score", models.FloatField(verbose_name="score")),
                ("shared_themes", models.JSONField(default=list, verbose_name="shared themes")),
                ("shared_sectors", models.JSONField(default=list, verbose_name="shared sectors")),
                ("shared_facets", models.JSONField(default=list, verbose_name="shared innovation facets")),
                ("same_economy", models.BooleanField(default=False, verbose_name="same economy")),
                ("text_score", models.FloatField(default=0.0, verbose_name="text score")),
                (
                    "case",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="related_rows",
                        to="cases.casestudy",
                        verbose_name="case",
                    ),
                ),
                (
                    "related",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="cases.casestudy",
                        verbose_name="related case",
                    ),
                ),
            ],
            options={
                "verbose_name": "related case",
                "verbose_name_plural": "related cases",
                "ordering": ["case", "rank"],
                "constraints": [
                    models.UniqueConstraint(fields=("case", "rank"), name="relatedcase_case_rank_unique"),
                    models.UniqueConstraint(
                        fields=("case", "related"), name="relatedcase_case_related_unique"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("case", models.F("related")), _negated=True),
                        name="relatedcase_not_self",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("rank__gte", 1)), name="relatedcase_rank_positive"
                    ),
                ],
            },
        ),
    ]

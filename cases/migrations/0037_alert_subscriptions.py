"""E-mail alerts for library selections (issue 19): cases/models/alerts.py. Portable (PostgreSQL and SQLite:
the unique constraint on the lower-cased address is an expression index both support)."""

import django.db.models.functions.datetime
import django.db.models.functions.text
from django.db import migrations, models

import cases.models.alerts


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0036_listing_version"),
    ]

    operations = [
        migrations.CreateModel(
            name="AlertSubscription",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("email", models.EmailField(max_length=254, verbose_name="e-mail address")),
                ("query", models.CharField(blank=True, max_length=2000, verbose_name="selection")),
                ("title", models.CharField(blank=True, max_length=500, verbose_name="description")),
                (
                    "frequency",
                    models.CharField(
                        choices=[("daily", "Daily"), ("weekly", "Weekly")],
                        default="weekly",
                        max_length=10,
                        verbose_name="frequency",
                    ),
                ),
                ("language", models.CharField(default="en", max_length=10, verbose_name="language")),
                (
                    "key",
                    models.CharField(
                        default=cases.models.alerts.new_alert_key, editable=False, max_length=64
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        db_default=django.db.models.functions.datetime.Now(),
                        editable=False,
                        verbose_name="asked for",
                    ),
                ),
                ("confirmed_at", models.DateTimeField(blank=True, null=True, verbose_name="confirmed")),
                ("covered_until", models.DateTimeField(blank=True, null=True, verbose_name="covered until")),
                (
                    "last_sent_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="last digest sent"),
                ),
            ],
            options={
                "verbose_name": "e-mail alert",
                "verbose_name_plural": "e-mail alerts",
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["confirmed_at", "covered_until"], name="alertsubscription_due")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        django.db.models.functions.text.Lower("email"),
                        models.F("query"),
                        name="alertsubscription_address_selection_unique",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("frequency__in", ["daily", "weekly"])),
                        name="alertsubscription_frequency_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("confirmed_at__isnull", True), ("covered_until__isnull", False), _connector="OR"
                        ),
                        name="alertsubscription_confirmed_has_watermark",
                    ),
                ],
            },
        ),
    ]

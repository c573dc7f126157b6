"""The table of title words indexed by (case, word) instead of twice by case alone (migration 0022 left the
foreign key's index and its own): type-ahead for several words checks whether a title has a word starting
with each other start through it, reading the index alone (cases/search/postgresql.py)."""

from django.db import migrations, models

from cases.migrations._postgresql import run_on_postgresql

FORWARD = [
    "CREATE INDEX IF NOT EXISTS casetitleword_case_word ON cases_casetitleword (case_id, word text_pattern_ops)",
    "DROP INDEX IF EXISTS casetitleword_case",
]
BACKWARD = [
    "CREATE INDEX IF NOT EXISTS casetitleword_case ON cases_casetitleword (case_id)",
    "DROP INDEX IF EXISTS casetitleword_case_word",
]


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0024_related_case"),
    ]

    operations = [
        migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD)),
        migrations.AlterField(
            model_name="casetitleword",
            name="case",
            field=models.ForeignKey(
                db_column="case_id",
                db_constraint=False,
                db_index=False,
                on_delete=models.DO_NOTHING,
                related_name="+",
                to="cases.casestudy",
            ),
        ),
    ]

"""The words of each published case's title, a row each (`CaseTitleWord`, cases/models/search_document.py
says why), kept by a trigger on the case table (PostgreSQL). Filled from the cases as they are; on SQLite
the table stays empty."""

import django.db.models.deletion
from django.db import migrations, models

from cases.migrations._postgresql import run_on_postgresql

TITLE_WORDS = "tsvector_to_array(to_tsvector('english'::regconfig, observatory_unaccent(COALESCE({row}.title, ''))))"

FORWARD = [
    "ALTER TABLE cases_casetitleword ADD CONSTRAINT casetitleword_case_fk FOREIGN KEY (case_id) "
    "REFERENCES cases_casestudy (id) ON DELETE CASCADE",
    # The start of a word, whatever the database's collation: LIKE 'tack%' reads a range of this index.
    "CREATE INDEX casetitleword_prefix ON cases_casetitleword (word text_pattern_ops, case_id)",
    "CREATE INDEX casetitleword_case ON cases_casetitleword (case_id)",
    "INSERT INTO cases_casetitleword (word, case_id) "
    f"SELECT DISTINCT word, id FROM cases_casestudy, unnest({TITLE_WORDS.format(row='cases_casestudy')}) AS word "
    "WHERE status = 'published'",
    f"""CREATE FUNCTION cases_casetitleword_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.title IS NOT DISTINCT FROM OLD.title
            AND (NEW.status = 'published') = (OLD.status = 'published') THEN
        RETURN NULL;
    END IF;
    DELETE FROM cases_casetitleword WHERE case_id = NEW.id;
    IF NEW.status = 'published' THEN
        INSERT INTO cases_casetitleword (word, case_id)
        SELECT DISTINCT word, NEW.id FROM unnest({TITLE_WORDS.format(row='NEW')}) AS word;
    END IF;
    RETURN NULL;
END
$$""",
    "CREATE TRIGGER cases_casetitleword_sync AFTER INSERT OR UPDATE OF title, status ON cases_casestudy "
    "FOR EACH ROW EXECUTE FUNCTION cases_casetitleword_sync()",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS cases_casetitleword_sync ON cases_casestudy",
    "DROP FUNCTION IF EXISTS cases_casetitleword_sync()",
]


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0021_word_pairs_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseTitleWord",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "word", "case", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("word", models.TextField()),
                (
                    "case",
                    models.ForeignKey(
                        db_column="case_id",
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="cases.casestudy",
                    ),
                ),
            ],
            options={
                "verbose_name": "title word",
                "db_table": "cases_casetitleword",
            },
        ),
        migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD)),
    ]

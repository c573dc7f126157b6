"""The search documents move from a generated column of the wide case table to the narrow table
cases_casesearch, kept by a trigger (cases/models/search_document.py says why). On PostgreSQL the rows are
filled from the column before it goes, so no document is computed twice; on SQLite the table stays empty
(FTS5 does the work there, migration 0015).
"""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

from cases.migrations._postgresql import run_on_postgresql
from cases.models.search_document import (
    NARRATIVE_FIELDS,
    SUMMARY_FIELDS,
    TITLE_FIELDS,
    document_sql,
    ranking_sql,
)

TEXT_COLUMNS = ", ".join(TITLE_FIELDS + SUMMARY_FIELDS + NARRATIVE_FIELDS)

FORWARD = [
    "ALTER TABLE cases_casesearch ADD CONSTRAINT casesearch_case_fk FOREIGN KEY (case_id) "
    "REFERENCES cases_casestudy (id) ON DELETE CASCADE",
    # Filled from the generated column before it goes: only the small ranking vector is computed.
    "INSERT INTO cases_casesearch (case_id, published, published_at, document, ranking) "
    f"SELECT id, status = 'published', published_at, search_vector, {ranking_sql('cases_casestudy')} "
    "FROM cases_casestudy",
    "CREATE INDEX casesearch_document ON cases_casesearch USING gin (document)",
    "CREATE INDEX casesearch_ranking ON cases_casesearch USING gin (ranking)",
    # Which published cases match: the bitmaps read it without touching the case table.
    "CREATE INDEX casesearch_published ON cases_casesearch (published, case_id)",
    f"""CREATE FUNCTION cases_casesearch_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND ({", ".join(f"NEW.{c}" for c in TEXT_COLUMNS.split(", "))})
            IS NOT DISTINCT FROM ({", ".join(f"OLD.{c}" for c in TEXT_COLUMNS.split(", "))}) THEN
        UPDATE cases_casesearch SET published = NEW.status = 'published', published_at = NEW.published_at
            WHERE case_id = NEW.id;
        RETURN NULL;
    END IF;
    INSERT INTO cases_casesearch (case_id, published, published_at, document, ranking)
    VALUES (NEW.id, NEW.status = 'published', NEW.published_at, {document_sql("NEW")}, {ranking_sql("NEW")})
    ON CONFLICT (case_id) DO UPDATE
        SET published = EXCLUDED.published, published_at = EXCLUDED.published_at,
            document = EXCLUDED.document, ranking = EXCLUDED.ranking;
    RETURN NULL;
END
$$""",
    "CREATE TRIGGER cases_casesearch_sync AFTER INSERT OR UPDATE OF status, published_at, "
    f"{TEXT_COLUMNS} ON cases_casestudy FOR EACH ROW EXECUTE FUNCTION cases_casesearch_sync()",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS cases_casesearch_sync ON cases_casestudy",
    "DROP FUNCTION IF EXISTS cases_casesearch_sync()",
    "DELETE FROM cases_casesearch",
    "DROP INDEX IF EXISTS casesearch_published",
    "DROP INDEX IF EXISTS casesearch_ranking",
    "DROP INDEX IF EXISTS casesearch_document",
    "ALTER TABLE cases_casesearch DROP CONSTRAINT IF EXISTS casesearch_case_fk",
]
# After the column is back (reversing RemoveField re-adds it, computed by PostgreSQL): its GIN index.
BACKWARD_INDEX = [
    "CREATE INDEX IF NOT EXISTS casestudy_search_vector ON cases_casestudy USING gin (search_vector)"
]


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0015_sqlite_full_text_search"),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseSearchIndex",
            fields=[
                (
                    "case",
                    models.OneToOneField(
                        db_column="case_id",
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="search_index",
                        serialize=False,
                        to="cases.casestudy",
                    ),
                ),
                ("published", models.BooleanField()),
                ("published_at", models.DateTimeField(null=True)),
                ("document", django.contrib.postgres.search.SearchVectorField()),
                ("ranking", django.contrib.postgres.search.SearchVectorField()),
            ],
            options={
                "verbose_name": "search index entry",
                "db_table": "cases_casesearch",
            },
        ),
        migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD)),
        migrations.RunPython(migrations.RunPython.noop, run_on_postgresql(BACKWARD_INDEX)),
        migrations.RemoveField(
            model_name="casestudy",
            name="search_vector",
        ),
    ]

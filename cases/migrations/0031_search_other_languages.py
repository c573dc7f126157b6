"""The case's text in its other languages, searched with the rest (issue 16): a column the services keep
(cases.services.case_language_search_refresh), read into the search document with the narrative (weight C).

PostgreSQL: the trigger of migrations 0016/0018 is replaced by the same trigger reading the new column too,
and firing on its changes. SQLite: the FTS5 tables take their columns from cases/search/sqlite.py, and are
rebuilt after migrating when they differ (ensure_index).
"""

from django.db import migrations, models

from cases.migrations._postgresql import run_on_postgresql
from cases.models.search_document import (
    NARRATIVE_FIELDS,
    SUMMARY_FIELDS,
    TITLE_FIELDS,
    document_sql,
    ranking_sql,
)

# The one column this migration added, searched as narrative (migration 0034 split it in three).
LANGUAGE_FIELDS = ["search_other_languages"]


def sync_function(*, languages: bool) -> str:
    columns = TITLE_FIELDS + SUMMARY_FIELDS + NARRATIVE_FIELDS + (LANGUAGE_FIELDS if languages else [])
    document = document_sql("NEW", narratives=LANGUAGE_FIELDS if languages else [])
    return f"""CREATE OR REPLACE FUNCTION cases_casesearch_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND ({", ".join(f"NEW.{c}" for c in columns)})
            IS NOT DISTINCT FROM ({", ".join(f"OLD.{c}" for c in columns)}) THEN
        UPDATE cases_casesearch SET published = NEW.status = 'published', published_at = NEW.published_at,
            changed_xid = pg_current_xact_id()
            WHERE case_id = NEW.id;
        RETURN NULL;
    END IF;
    INSERT INTO cases_casesearch (case_id, published, published_at, document, ranking, changed_xid)
    VALUES (NEW.id, NEW.status = 'published', NEW.published_at, {document},
            {ranking_sql("NEW")}, pg_current_xact_id())
    ON CONFLICT (case_id) DO UPDATE
        SET published = EXCLUDED.published, published_at = EXCLUDED.published_at,
            document = EXCLUDED.document, ranking = EXCLUDED.ranking, changed_xid = EXCLUDED.changed_xid;
    RETURN NULL;
END
$$"""


def trigger(*, languages: bool) -> list[str]:
    columns = TITLE_FIELDS + SUMMARY_FIELDS + NARRATIVE_FIELDS + (LANGUAGE_FIELDS if languages else [])
    return [
        "DROP TRIGGER IF EXISTS cases_casesearch_sync ON cases_casestudy",
        "CREATE TRIGGER cases_casesearch_sync AFTER INSERT OR UPDATE OF status, published_at, "
        f"{', '.join(columns)} ON cases_casestudy FOR EACH ROW EXECUTE FUNCTION cases_casesearch_sync()",
    ]


FORWARD = [sync_function(languages=True), *trigger(languages=True)]
BACKWARD = [sync_function(languages=False), *trigger(languages=False)]


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0030_plural_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="casestudy",
            name="search_other_languages",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD)),
    ]

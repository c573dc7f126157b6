"""Each row of cases_casesearch records the transaction that last wrote it (`changed_xid`), so that the
posting lists of common words (cases/search/postings.py) can apply what changed since they were read instead
of reading every case again. The trigger of migration 0016 is replaced by the same trigger setting it.
Existing rows keep NULL: they are older than any posting. PostgreSQL only (SQLite has FTS5, migration 0015).
"""

from django.db import migrations

from cases.migrations._postgresql import run_on_postgresql
from cases.models.search_document import NARRATIVE_FIELDS, SUMMARY_FIELDS, TITLE_FIELDS, document_sql, ranking_sql

TEXT_COLUMNS = TITLE_FIELDS + SUMMARY_FIELDS + NARRATIVE_FIELDS


def sync_function(with_changes: bool) -> str:
    changed = ", changed_xid = pg_current_xact_id()" if with_changes else ""
    columns = ", changed_xid" if with_changes else ""
    values = ", pg_current_xact_id()" if with_changes else ""
    excluded = ", changed_xid = EXCLUDED.changed_xid" if with_changes else ""
    return f"""CREATE OR REPLACE FUNCTION cases_casesearch_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND ({", ".join(f"NEW.{c}" for c in TEXT_COLUMNS)})
            IS NOT DISTINCT FROM ({", ".join(f"OLD.{c}" for c in TEXT_COLUMNS)}) THEN
        UPDATE cases_casesearch SET published = NEW.status = 'published', published_at = NEW.published_at{changed}
            WHERE case_id = NEW.id;
        RETURN NULL;
    END IF;
    INSERT INTO cases_casesearch (case_id, published, published_at, document, ranking{columns})
    VALUES (NEW.id, NEW.status = 'published', NEW.published_at, {document_sql("NEW")}, {ranking_sql("NEW")}{values})
    ON CONFLICT (case_id) DO UPDATE
        SET published = EXCLUDED.published, published_at = EXCLUDED.published_at,
            document = EXCLUDED.document, ranking = EXCLUDED.ranking{excluded};
    RETURN NULL;
END
$$"""


FORWARD = [
    "ALTER TABLE cases_casesearch ADD COLUMN changed_xid xid8",
    "CREATE INDEX casesearch_changed ON cases_casesearch (changed_xid)",
    # Statistics of the new column, so that the planner reads the few changed rows through its index.
    "ANALYZE cases_casesearch",
    sync_function(with_changes=True),
]
BACKWARD = [
    sync_function(with_changes=False),
    "DROP INDEX IF EXISTS casesearch_changed",
    "ALTER TABLE cases_casesearch DROP COLUMN IF EXISTS changed_xid",
]


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0017_full_text_match_cost"),
    ]

    operations = [
        migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD)),
    ]

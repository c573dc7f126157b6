"""PostgreSQL-only: full-text search vector, trigram index, accent folding and the year check.

The search vector is a stored generated column, so the database keeps it right whatever writes the row.
It is not declared on the model because SQLite (the embedded default) has no tsvector; cases/search.py
reads it through an expression. A later migration that changes the type of a column used here must
drop and re-create the generated column.
"""

from django.db import migrations

NARRATIVE = [
    "overview", "what_is_innovative", "collaborations", "users_beneficiaries", "results_impact",
    "challenges_failures", "conditions_for_success", "replication", "lessons_learned",
]


def weighted(columns, weight):
    text = " || ' ' || ".join(f"coalesce({column}, '')" for column in columns)
    return f"setweight(to_tsvector('english'::regconfig, observatory_unaccent({text})), '{weight}')"


FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # unaccent() is only STABLE; an IMMUTABLE wrapper with a fixed dictionary may be used in an index
    # and a generated column (https://www.postgresql.org/docs/current/unaccent.html).
    """CREATE OR REPLACE FUNCTION observatory_unaccent(text) RETURNS text
       LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
       AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$""",
    "ALTER TABLE cases_casestudy ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    + " || ".join([
        weighted(["title"], "A"),
        weighted(["summary", "lead_organisation"], "B"),
        weighted(NARRATIVE, "C"),
    ])
    + ") STORED",
    "CREATE INDEX casestudy_search_vector ON cases_casestudy USING gin (search_vector)",
    "CREATE INDEX casestudy_title_trgm ON cases_casestudy USING gin (observatory_unaccent(lower(title)) gin_trgm_ops)",
    "ALTER TABLE cases_casestudy ADD CONSTRAINT casestudy_year_launched_not_future "
    "CHECK (year_launched IS NULL OR year_launched <= extract(year FROM now())::int + 1)",
]

BACKWARD = [
    "ALTER TABLE cases_casestudy DROP CONSTRAINT IF EXISTS casestudy_year_launched_not_future",
    "DROP INDEX IF EXISTS casestudy_title_trgm",
    "DROP INDEX IF EXISTS casestudy_search_vector",
    "ALTER TABLE cases_casestudy DROP COLUMN IF EXISTS search_vector",
    "DROP FUNCTION IF EXISTS observatory_unaccent(text)",
]


def run_on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD))]

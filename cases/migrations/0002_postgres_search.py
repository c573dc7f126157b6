"""PostgreSQL-only: the GIN indexes for search and typo matching, and the "not after next year" check.

SQLite has no tsvector, trigram or now()-in-CHECK, so these are not declared on the model.
"""

from django.db import migrations

from cases.migrations._postgresql import run_on_postgresql

FORWARD = [
    "CREATE INDEX casestudy_search_vector ON cases_casestudy USING gin (search_vector)",
    "CREATE INDEX casestudy_title_trgm ON cases_casestudy USING gin (observatory_unaccent(lower(title)) gin_trgm_ops)",
    "ALTER TABLE cases_casestudy ADD CONSTRAINT casestudy_year_launched_not_future "
    "CHECK (year_launched IS NULL OR year_launched <= extract(year FROM now())::int + 1)",
]
BACKWARD = [
    "ALTER TABLE cases_casestudy DROP CONSTRAINT IF EXISTS casestudy_year_launched_not_future",
    "DROP INDEX IF EXISTS casestudy_title_trgm",
    "DROP INDEX IF EXISTS casestudy_search_vector",
]


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD))]

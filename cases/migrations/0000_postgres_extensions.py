"""PostgreSQL-only, before any table: the extensions and the accent-folding function search relies on."""

from django.db import migrations

from cases.migrations._postgresql import run_on_postgresql

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # unaccent() is only STABLE; an IMMUTABLE wrapper with a fixed dictionary may be used in an index and
    # a generated column (https://www.postgresql.org/docs/current/unaccent.html).
    """CREATE OR REPLACE FUNCTION observatory_unaccent(text) RETURNS text
       LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
       AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$""",
]
BACKWARD = ["DROP FUNCTION IF EXISTS observatory_unaccent(text)"]


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD))]

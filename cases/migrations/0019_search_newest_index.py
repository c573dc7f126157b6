"""The published cases' search rows newest first (PostgreSQL): a search that names a vocabulary term lists
its tagged cases, which all rank alike, newest first, and reads the first of them through this index
instead of sorting every tagged case (cases/search/postgresql.py, ranked_ids)."""

from django.db import migrations

from cases.migrations._postgresql import run_on_postgresql

FORWARD = [
    "CREATE INDEX IF NOT EXISTS casesearch_newest ON cases_casesearch (published_at DESC, case_id DESC) "
    "WHERE published"
]
BACKWARD = ["DROP INDEX IF EXISTS casesearch_newest"]


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0018_search_changes"),
    ]

    operations = [
        migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD)),
    ]

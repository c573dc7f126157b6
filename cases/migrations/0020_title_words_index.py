"""The words of each case's title, indexed on their own (PostgreSQL): type-ahead looks for the start of a
word in titles. It used the title's part of the ranking vector (weight A), which its index cannot tell from
the summary's: at 1,000,000 cases "help" began a word in 200,000 summaries and in no title, and each of
those rows was read to find that out (250 ms). An expression index, so nothing is stored twice."""

from django.db import migrations

from cases.migrations._postgresql import run_on_postgresql

TITLE_WORDS = "to_tsvector('english'::regconfig, observatory_unaccent(COALESCE(title, '')))"
FORWARD = [f"CREATE INDEX IF NOT EXISTS casestudy_title_words ON cases_casestudy USING gin ({TITLE_WORDS})"]
BACKWARD = ["DROP INDEX IF EXISTS casestudy_title_words"]


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0019_search_newest_index"),
    ]

    operations = [
        migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD)),
    ]

"""PostgreSQL: tell the planner what matching a search document costs.

`tsvector @@ tsquery` is declared as cheap as comparing two numbers, but each call on a stored document
first reads it out of TOAST storage. Believing it cheap, the planner scanned every document for a common
word (0.4-0.9 s at 100,000 cases) instead of reading the GIN index (10-50 ms), and looked for a word that
no case has by scanning everything behind a LIMIT 1 (0.4 s instead of 0.1 ms). Measured and explained in
docs/benchmarks.md ("Search at 100,000 and 1,000,000 cases").

Changing a built-in function's cost needs a superuser. Where the migration runs without one, it says so
and goes on: search stays correct, only slower for common words.
"""

import sys

from django.db import DatabaseError, migrations, transaction

MATCH_COST = 10000


def set_cost(cost):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        try:
            with transaction.atomic(using=schema_editor.connection.alias):
                schema_editor.execute(f"ALTER FUNCTION ts_match_vq(tsvector, tsquery) COST {int(cost)}")
        except DatabaseError as error:
            print(
                f"\n  Could not set the cost of ts_match_vq ({error}); ask a superuser to run: "
                f"ALTER FUNCTION ts_match_vq(tsvector, tsquery) COST {int(cost)}",
                file=sys.stderr,
            )

    return run


class Migration(migrations.Migration):
    dependencies = [("cases", "0016_search_index")]

    operations = [migrations.RunPython(set_cost(MATCH_COST), set_cost(1))]

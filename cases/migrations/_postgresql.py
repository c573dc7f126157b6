"""For the migrations (Django's loader skips modules whose names start with "_"): SQL that only PostgreSQL
runs. On SQLite these steps do nothing: its search is FTS5 (migration 0015)."""


def run_on_postgresql(statements):
    """A RunPython function executing `statements` in order on PostgreSQL, nothing elsewhere."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run

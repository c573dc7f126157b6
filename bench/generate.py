#!/usr/bin/env python
"""How fast `manage.py generate_cases` fills a catalogue: cases/s, total seconds and the rows it wrote.

    .venv/bin/python bench/generate.py --count 100000
    DATABASE_URL=sqlite:////tmp/bench.sqlite3 .venv/bin/python bench/generate.py --count 100000

Without DATABASE_URL it drops and re-creates the PostgreSQL database `observatory_bench` (or --database)
on the server in BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432), so every run starts
from an empty, freshly migrated catalogue. With DATABASE_URL it migrates that database and adds to it.
Results are recorded in docs/benchmarks.md.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE = "observatory_bench"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"


def fresh_postgres_database(server_url: str, name: str) -> str:
    """Drop and create `name` on the server; returns its URL."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
        try:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        except psycopg.errors.ObjectInUse:
            sys.exit(
                f"Database {name} is in use by another session: close it or pass --database another_name."
            )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"{server_url}/{name}"


def row_counts(seed: int) -> dict[str, int]:
    from django.db import connection

    from cases.models import CaseStudy, Outcome

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Counting a million cases' rows takes longer than a reader's statement limit (3 s), and the
            # summary is no reader's: it waits (a million-case run once ended on "statement timeout" here).
            cursor.execute("SET statement_timeout = 0")
    counts = {
        "cases (all)": CaseStudy.objects.count(),
        "cases published": CaseStudy.objects.filter(status="published").count(),
        f"cases of seed {seed}": CaseStudy.objects.filter(slug__startswith=f"gen-{seed}-").count(),
    }
    for name in ["sectors", "themes", "facets", "sdgs", "other_economies"]:
        through = CaseStudy._meta.get_field(name).remote_field.through
        counts[f"case {name} links"] = through.objects.count()
    counts["outcomes"] = Outcome.objects.count()
    return counts


def postgres_sizes() -> dict[str, str]:
    from django.db import connection

    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('cases_casestudy')), "
            "pg_size_pretty(pg_indexes_size('cases_casestudy')), "
            "pg_size_pretty(pg_database_size(current_database()))"
        )
        table, indexes, database = cursor.fetchone()
    return {
        "case table with TOAST and indexes": table,
        "of which indexes": indexes,
        "whole database": database,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=10_000, help="cases to generate (default 10000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--batch-size", type=int, default=1000, help="cases per batch (default 1000)")
    parser.add_argument(
        "--database",
        default=DEFAULT_DATABASE,
        help=f"PostgreSQL database to re-create when DATABASE_URL is unset (default {DEFAULT_DATABASE})",
    )
    parser.add_argument(
        "--skip-related",
        action="store_true",
        help="leave the related lists to a later `manage.py refresh_related --stale` (at 1,000,000 cases "
        "computing them all takes hours; search needs none)",
    )
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL"):
        server = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_SERVER).rstrip("/")
        os.environ["DATABASE_URL"] = fresh_postgres_database(server, args.database)
        print(f"Fresh database: {os.environ['DATABASE_URL']}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "observatory.settings.dev")

    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"Migrated in {time.perf_counter() - started:.1f} s ({connection.vendor})")

    from cases.models import CaseStudy

    before = CaseStudy.objects.count()
    started = time.perf_counter()
    call_command(
        "generate_cases",
        count=args.count,
        seed=args.seed,
        batch_size=args.batch_size,
        skip_related=args.skip_related,
    )
    seconds = time.perf_counter() - started
    counts = row_counts(args.seed)
    created = counts["cases (all)"] - before

    version = ".".join(str(part) for part in connection.get_database_version())
    print()
    print(f"database       {connection.vendor} {version}, {connection.settings_dict['NAME']}")
    print(f"asked for      {args.count} cases (seed {args.seed}, batches of {args.batch_size})")
    print(f"created        {created} cases")
    print(f"total seconds  {seconds:.1f}")
    print(f"cases/s        {created / seconds:.0f}")
    for name, value in counts.items():
        print(f"{name:<28}{value:>12,}")
    for name, value in postgres_sizes().items():
        print(f"{name:<36}{value:>12}")


if __name__ == "__main__":
    main()

"""Measure search relevance on the judged set: one row per query, then the means and the bar.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/observatory .venv/bin/python bench/search_relevance.py
    DATABASE_URL=sqlite:////tmp/observatory.sqlite3 .venv/bin/python bench/search_relevance.py [--failing]

Reads the database of DATABASE_URL (the project's default SQLite file when unset) and writes nothing. The demo
catalogue must be loaded there first: `DATABASE_URL=... .venv/bin/python manage.py migrate` then
`... manage.py load_demo` (`make run` does both for the default SQLite file). Each query of
tests/cases/search/judged_queries.json goes through the case library's search (the one FilterSet over the
published cases, in the library's order), exactly as tests/cases/search/test_relevance.py does; the table
shows where the wanted cases ranked ("-" when not in the top 10; the top1 case is marked *), which `never`
cases were found in the top 10, success@5 and nDCG@10.
"""

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--failing", action="store_true", help="show only the queries that fail success@5")
    parser.add_argument("--kind", help="show only the queries of this kind (plain, acronym, typo, ...)")
    parser.add_argument(
        "--ranked", action="store_true", help="also print the top 10 slugs of each query shown"
    )
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "observatory.settings.dev")
    import django

    django.setup()
    from django.db import connection

    from cases.models import CaseStudy
    from tests.cases.search.relevance import (
        NDCG_AT_10_BAR,
        SUCCESS_AT_5_BAR,
        evaluate,
        library_search,
        load_judged_queries,
        wanted_slugs,
    )

    judgements = load_judged_queries()
    judged = {
        slug
        for judgement in judgements
        for slug in [*wanted_slugs(judgement), *judgement.get("relevant", [])]
    }
    present = set(CaseStudy.objects.published().filter(slug__in=judged).values_list("slug", flat=True))
    if missing := judged - present:
        sys.exit(
            f"{len(missing)} of the {len(judged)} judged cases are not published in this database "
            f"({connection.vendor}, {connection.settings_dict['NAME']}): load the demo catalogue first "
            f"(manage.py load_demo). Missing, e.g.: {', '.join(sorted(missing)[:3])}"
        )

    evaluation = evaluate(library_search, judgements)
    rows = [
        row
        for row in evaluation.rows
        if (not args.failing or not row.success_at_5) and (not args.kind or row.kind == args.kind)
    ]
    print(f"{'query':26} {'kind':10} {'wanted at rank':22} {'never found':24} {'s@5':>4} {'nDCG@10':>8}")
    for row in rows:
        top1 = set(row.judgement.get("top1", []))
        ranks = (
            " ".join(f"{'*' if slug in top1 else ''}{rank or '-'}" for slug, rank in row.ranks.items())
            or "(none wanted)"
        )
        never = ", ".join(row.never_found) or ""
        print(
            f"{row.query[:26]:26} {row.kind:10} {ranks:22} {never[:24]:24} "
            f"{'yes' if row.success_at_5 else 'NO':>4} {row.ndcg_at_10:8.2f}"
        )
        if args.ranked:
            print(f"{'':37}top 10: {', '.join(row.ranked) or '(nothing found)'}")
    print()
    print(f"{'kind':10} {'queries':>7} {'s@5':>6} {'nDCG@10':>8}")
    for kind, (count, success, ndcg) in evaluation.means_by_kind().items():
        print(f"{kind:10} {count:7} {success:6.2f} {ndcg:8.2f}")
    print()
    passed = evaluation.mean_success_at_5 >= SUCCESS_AT_5_BAR and evaluation.mean_ndcg_at_10 >= NDCG_AT_10_BAR
    print(
        f"{connection.vendor}: {evaluation.summary()}: {'meets' if passed else 'BELOW'} the bar. "
        f"Failing: {', '.join(repr(row.query) for row in evaluation.failures) or 'none'}."
    )


if __name__ == "__main__":
    main()

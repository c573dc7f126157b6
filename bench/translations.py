#!/usr/bin/env python
"""Give a share of a generated catalogue published translations, so that the other benchmarks measure the
pages, the API and the search with translations in them (docs/benchmarks.md, "With translations").

    .venv/bin/python bench/translations.py --share 0.2 [--database observatory_bench] [--seed 0]
    .venv/bin/python bench/translations.py --remove

Each chosen published case gets one published translation, into a language drawn from the demo's
(Japanese, Korean, Traditional Chinese, Thai, Indonesian, Vietnamese, Turkish, Mongolian): its text is a
demo translation's in that language, its sentences shuffled and the case's id added to the title, so that
the search's bigram index of Thai, Chinese and Japanese runs has text of the real scripts and lengths.
Translations are written in batches, with what the search reads of each case's other languages
(cases.services.case_language_search_refresh), as a curator's translations would leave them; then the
tables are vacuumed and analysed (bench/computed.py and bench/search.py bring the search's postings up to
date when they start). Earlier benchmark translations (translated_by "bench") are
removed first, so a run replaces the last. Prints progress, then a one-line summary.
"""

import argparse
import json
import os
import random
import sys
import time
from itertools import batched
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
DEMO_TRANSLATIONS = ROOT / "cases" / "fixtures" / "demo" / "translations"
BENCH_TRANSLATOR = "bench"
BATCH = 2000


def demo_texts() -> dict[str, list[dict]]:
    """{language: [the demo's translations into it, each {field: text}]}."""
    texts = {}
    for path in sorted(DEMO_TRANSLATIONS.glob("*.json")):
        texts[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    return texts


def shuffled(text: str, rng: random.Random) -> str:
    """The text's sentences in another order (split after a full stop of any script)."""
    for stop in ("。", ". ", "।", "\n"):
        text = text.replace(stop, stop + "\x1f")
    sentences = [s for s in text.split("\x1f") if s.strip()]
    rng.shuffle(sentences)
    return "".join(sentences).strip()


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database", default="observatory_bench", help="PostgreSQL database (default observatory_bench)"
    )
    parser.add_argument(
        "--share", type=float, default=0.2, help="share of published cases to translate (default 0.2)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--remove", action="store_true", help="only remove the benchmark's translations")
    options = parser.parse_args()

    os.environ.setdefault("DATABASE_URL", f"{DEFAULT_SERVER}/{options.database}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "observatory.settings.dev")
    import django

    django.setup()
    from django.db import connection, transaction
    from django.db.models import Count

    from cases.models import CaseStudy, CaseTranslation, TranslationStatus
    from cases.models.translations import TRANSLATED_CASE_FIELDS, text_digest
    from cases.services import case_language_search_refresh
    from observatory.postgresql.base import long_running

    started = time.perf_counter()
    bench = CaseTranslation.objects.filter(translated_by=BENCH_TRANSLATOR)
    removed_ids = list(bench.values_list("case_id", flat=True).distinct())
    removed, _by_model = bench.delete()
    for chunk in batched(removed_ids, BATCH):
        case_language_search_refresh(case_ids=chunk)
    print(f"removed {removed:,} earlier benchmark translations", flush=True)
    if options.remove:
        print(f"Removed {removed:,} benchmark translations in {time.perf_counter() - started:.1f} s.")
        return

    rng = random.Random(options.seed)
    texts = demo_texts()
    languages = sorted(texts)
    ids = list(CaseStudy.objects.published().filter(original_language="en").values_list("pk", flat=True))
    chosen = sorted(rng.sample(ids, int(len(ids) * options.share)))
    written = 0
    for chunk in batched(chosen, BATCH):
        cases = CaseStudy.objects.filter(pk__in=chunk).only("pk", *TRANSLATED_CASE_FIELDS)
        rows = []
        for case in cases:
            language = rng.choice(languages)
            demo = rng.choice(texts[language])
            values = {name: shuffled(demo.get(name) or "", rng) for name in TRANSLATED_CASE_FIELDS}
            values["title"] = f"{demo['title']} {case.pk}"[:200]
            values["summary"] = values["summary"][:300]
            rows.append(
                CaseTranslation(
                    case=case,
                    language=language,
                    **values,
                    translated_by=BENCH_TRANSLATOR,
                    reviewed_by=BENCH_TRANSLATOR,
                    status=TranslationStatus.PUBLISHED,
                    source_digest=text_digest({name: getattr(case, name) for name in TRANSLATED_CASE_FIELDS}),
                )
            )
        with transaction.atomic():
            CaseTranslation.objects.bulk_create(rows)  # no signals: the search's text is refreshed below
            case_language_search_refresh(case_ids=chunk)
        written += len(rows)
        print(
            f"  {written:,}/{len(chosen):,} translations, {time.perf_counter() - started:.1f} s", flush=True
        )
    with long_running(), connection.cursor() as cursor:  # past the statement timeout of requests
        for table in (CaseTranslation._meta.db_table, CaseStudy._meta.db_table, "cases_casesearch"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    print(f"vacuumed, {time.perf_counter() - started:.1f} s", flush=True)
    counts = dict(
        CaseTranslation.objects.filter(translated_by=BENCH_TRANSLATOR)
        .values_list("language")
        .annotate(n=Count("id"))
    )
    print(
        f"Translated {written:,} of {len(ids):,} published cases ({options.share:.0%}; "
        + ", ".join(f"{code} {n:,}" for code, n in sorted(counts.items()))
        + f") in {time.perf_counter() - started:.1f} s."
    )


if __name__ == "__main__":
    main()

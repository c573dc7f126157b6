"""Benchmark a case's PDF (cases/site/pdf.py): p50/p95 server time of a PDF made (computed) and of one
served from the cache, for a typical demo case and the longest one, in English and in Thai.

    .venv/bin/python bench/pdf.py [--requests 15] [--database-url sqlite:////tmp/observatory_pdf.sqlite3]

Uses the demo catalogue (`manage.py load_demo`, loaded when the database has no published case), requests
each PDF in-process through Django's test client (server time: the whole Django request, without network),
with the PDF rate limit off. "computed": the cache is emptied before each request, so the PDF is made;
"cached": the same PDF again.
"""

import argparse
import io
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# A case far longer than any in the demo: the demo's longest, each section six times over, 30 outcomes.
LONG_SLUG = "bench-long-case"


def make_long_case(model):
    from cases.models import CaseStudy, Outcome
    from cases.models.translations import NARRATIVE_SECTIONS

    sectors = list(model.sectors.all())
    themes = list(model.themes.all())
    case = CaseStudy.objects.get(pk=model.pk)
    case.pk = case.id = None
    case.slug = LONG_SLUG
    case.title = f"{model.title} (long copy for bench/pdf.py)"
    case.external_id = ""
    for name, _label in NARRATIVE_SECTIONS:
        text = getattr(model, name) or model.overview
        setattr(case, name, "\n\n".join([text] * 6))
    case.save()
    case.sectors.set(sectors)
    case.themes.set(themes)
    for number in range(30):
        Outcome.objects.create(
            case=case, indicator=f"Indicator {number}", value=number * 100, unit="people", position=number
        )
    return case


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--database-url", default="sqlite:////tmp/observatory_pdf.sqlite3")
    args = parser.parse_args()

    env = dict(os.environ, DATABASE_URL=args.database_url, DJANGO_SETTINGS_MODULE="observatory.settings.dev")
    os.environ.update(DATABASE_URL=args.database_url, DJANGO_SETTINGS_MODULE="observatory.settings.dev")
    os.environ.setdefault("REDIS_URL", "")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)

    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.test import Client
    from pypdf import PdfReader  # the test extra's

    from cases.caching import forget_catalogue_version
    from cases.models import CaseStudy
    from cases.models.translations import NARRATIVE_SECTIONS

    if not CaseStudy.objects.published().exists():
        print("Loading the demo catalogue", flush=True)
        subprocess.run([sys.executable, "manage.py", "load_demo"], cwd=ROOT, env=env, check=True)

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "pdf": None}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}

    def length(case):
        return sum(len(getattr(case, name) or "") for name, _label in NARRATIVE_SECTIONS)

    cases = sorted(CaseStudy.objects.published(), key=length)
    typical = cases[len(cases) // 2]
    longest = CaseStudy.objects.published().filter(slug=LONG_SLUG).first() or make_long_case(cases[-1])
    client = Client(HTTP_HOST="127.0.0.1")
    print(f"{len(cases)} published cases; {args.requests} requests each", flush=True)
    print(f"{'case':<58} {'':<9} {'p50 ms':>8} {'p95 ms':>8} {'KB':>6} {'pages':>5}")
    for label, case in (("typical", typical), ("long", longest)):
        for language in ("", "th"):
            url = f"{'/' + language if language else ''}/cases/{case.slug}/pdf/"
            name = f"{label}: {case.slug[:40]} ({length(case):,} chars){' th' if language else ''}"
            for mode in ("computed", "cached"):
                timings = []
                for _ in range(args.requests):
                    if mode == "computed":
                        cache.clear()
                        forget_catalogue_version()
                    start = time.perf_counter()
                    response = client.get(url)
                    timings.append((time.perf_counter() - start) * 1000)
                    assert response.status_code == 200, response.status_code
                pages = len(PdfReader(io.BytesIO(response.content)).pages)
                print(
                    f"{name:<58} {mode:<9} {statistics.median(timings):8.1f} {percentile(timings, 0.95):8.1f}"
                    f" {len(response.content) / 1024:6.0f} {pages:5d}",
                    flush=True,
                )


if __name__ == "__main__":
    main()

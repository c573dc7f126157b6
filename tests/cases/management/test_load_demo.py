"""The demo catalogue (cases/fixtures/demo/cases-*.json) loads completely, faithfully and idempotently.

The demo is for people, not for test data; these tests only check that what the files say is what the
database gets, and that the catalogue is rich enough to show off every facet.
"""

import json
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Q

import cases
from cases.models import (
    NARRATIVE_SECTIONS,
    CaseLink,
    CaseStudy,
    CaseTranslation,
    Outcome,
    RelatedCase,
    RelatedCaseList,
    Resource,
    Sector,
    Stage,
    Status,
)

pytestmark = pytest.mark.django_db

DEMO_DIR = Path(cases.__file__).resolve().parent / "fixtures" / "demo"
DEMO_FILES = ["cases-1.json", "cases-2.json", "cases-3.json"]


def read_demo_records() -> list[dict]:
    records = []
    for path in sorted(DEMO_DIR.glob("cases-*.json")):
        records.extend(json.loads(path.read_text(encoding="utf-8")))
    return records


def is_published(record: dict) -> bool:
    return (record.get("status") or Status.PUBLISHED) == Status.PUBLISHED


@pytest.fixture(scope="module")
def published_records():
    return [record for record in read_demo_records() if is_published(record)]


@pytest.fixture(scope="module")
def unpublished_records():
    return [record for record in read_demo_records() if not is_published(record)]


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo_loaded_once(django_db_setup, django_db_blocker):
    """The demo, loaded once for this module inside a transaction rolled back when the module is done.

    Each test still runs in its own savepoint inside it (the `db` fixture), so a test that loads the demo
    again leaves nothing behind for the next one.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        output = load_demo()
        yield output
        transaction.set_rollback(True)


@pytest.fixture
def loaded(demo_loaded_once, db):
    return demo_loaded_once


def snapshot():
    """Everything a second load must leave alone."""
    return {
        "counts": {
            "cases": CaseStudy.objects.count(),
            "published": CaseStudy.objects.published().count(),
            "outcomes": Outcome.objects.count(),
            "links": CaseLink.objects.count(),
            "resources": Resource.objects.count(),
        },
        "updated_at": dict(CaseStudy.objects.values_list("slug", "updated_at")),
        "outcome_ids": sorted(Outcome.objects.values_list("pk", flat=True)),
        "link_ids": sorted(CaseLink.objects.values_list("pk", flat=True)),
        "resource_ids": sorted(Resource.objects.values_list("pk", flat=True)),
    }


# --- The files ------------------------------------------------------------------------------------


def test_demo_files_are_all_there():
    present = {path.name for path in DEMO_DIR.glob("cases-*.json")}

    assert set(DEMO_FILES) <= present


def test_demo_slugs_are_unique_across_files():
    slugs = Counter(record["slug"] for record in read_demo_records())

    assert [slug for slug, count in slugs.items() if count > 1] == []


# --- What gets loaded -----------------------------------------------------------------------------


def test_demo_loads_at_least_60_published_cases(loaded):
    assert CaseStudy.objects.published().count() >= 60


def test_demo_loads_every_case_in_the_files(loaded):
    assert set(CaseStudy.objects.values_list("slug", flat=True)) == {r["slug"] for r in read_demo_records()}


def test_published_demo_cases_span_at_least_15_economies(loaded):
    assert CaseStudy.objects.published().values("economy").distinct().count() >= 15


def test_published_demo_cases_cover_every_sector(loaded):
    empty = Sector.objects.exclude(cases__status=Status.PUBLISHED).values_list("slug", flat=True)

    assert Sector.objects.count() == 13
    assert list(empty) == []


def test_published_demo_cases_cover_every_stage(loaded):
    stages = set(CaseStudy.objects.published().values_list("stage", flat=True))

    assert stages == set(Stage.values)
    assert len(stages) == 6


def test_published_cases_per_economy_match_the_files(loaded, published_records):
    expected = Counter(record["economy"].upper() for record in published_records)

    counted = CaseStudy.objects.published().values("economy__iso2").annotate(n=Count("pk"))

    assert {row["economy__iso2"]: row["n"] for row in counted} == expected


def test_published_cases_per_sector_match_the_files(loaded, published_records):
    expected = Counter(slug for record in published_records for slug in record["sectors"])

    counted = Sector.objects.annotate(n=Count("cases", filter=Q(cases__status=Status.PUBLISHED)))

    assert {sector.slug: sector.n for sector in counted if sector.n} == expected


def test_published_cases_per_stage_match_the_files(loaded, published_records):
    expected = Counter(record["stage"] for record in published_records)

    counted = CaseStudy.objects.published().values("stage").annotate(n=Count("pk"))

    assert {row["stage"]: row["n"] for row in counted} == expected


def test_every_published_demo_case_tells_every_narrative_section(loaded):
    gaps = [
        (case.slug, field)
        for case in CaseStudy.objects.published()
        for field, _label in NARRATIVE_SECTIONS
        if not getattr(case, field).strip()
    ]

    assert gaps == []


def test_demo_has_draft_submitted_and_archived_cases(loaded):
    statuses = set(CaseStudy.objects.exclude(status=Status.PUBLISHED).values_list("status", flat=True))

    assert {Status.DRAFT, Status.SUBMITTED, Status.ARCHIVED} <= statuses


def test_unpublished_demo_cases_keep_their_status_and_stay_unpublished(loaded, unpublished_records):
    expected = {record["slug"]: record["status"] for record in unpublished_records}

    assert dict(CaseStudy.objects.filter(slug__in=expected).values_list("slug", "status")) == expected
    assert not CaseStudy.objects.published().filter(slug__in=expected).exists()


def test_demo_features_the_published_cases_its_files_mark(loaded, published_records):
    # The home page's "Featured" row shows what curators chose; the demo chooses a few (docs/curation.md).
    marked = {record["slug"] for record in published_records if record.get("is_featured")}

    featured = CaseStudy.objects.published().filter(is_featured=True).values_list("slug", flat=True)

    assert len(marked) >= 3
    assert set(featured) == marked


def test_demo_links_resolve_to_published_cases(loaded, published_records):
    expected = {
        (record["slug"], link["relation"], link["target"])
        for record in published_records
        for link in record.get("links") or []
    }

    links = CaseLink.objects.filter(from_case__status=Status.PUBLISHED).select_related("from_case", "to_case")

    assert {(link.from_case.slug, link.relation, link.to_case.slug) for link in links} == expected
    assert all(link.to_case.status == Status.PUBLISHED for link in links)


def test_published_demo_cases_have_outcomes_from_the_files(loaded, published_records):
    expected = {record["slug"]: len(record.get("outcomes") or []) for record in published_records}

    counted = CaseStudy.objects.published().annotate(n=Count("outcomes")).values_list("slug", "n")

    assert dict(counted) == expected


# --- Idempotent -----------------------------------------------------------------------------------


def test_loading_the_demo_twice_changes_nothing(loaded):
    before = snapshot()

    load_demo()

    assert snapshot() == before


def test_second_load_reports_everything_unchanged(loaded):
    output = load_demo()

    assert f"created 0, updated 0, unchanged {len(read_demo_records())}" in output


def test_every_published_demo_case_has_its_related_cases(loaded):
    published = CaseStudy.objects.published()

    assert RelatedCaseList.objects.filter(case__in=published).count() == published.count()
    assert RelatedCase.objects.filter(case__in=published).count() == 8 * published.count()


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_the_demo_with_its_translations_round_trips_through_the_import_format(loaded, tmp_path, fmt):
    """Exported, imported into an empty catalogue and exported again: the same bytes, every translation
    with its state (docs/curation.md, "Bulk import and export")."""
    first, second = tmp_path / f"first.{fmt}", tmp_path / f"second.{fmt}"
    quiet = {"stdout": StringIO(), "stderr": StringIO()}
    translations = sorted(CaseTranslation.objects.values_list("case__slug", "language", "status", "title"))
    assert len(translations) >= 15

    call_command("export_cases", str(first), **quiet)
    CaseStudy.objects.all().delete()
    call_command("import_cases", str(first), **quiet)
    call_command("export_cases", str(second), **quiet)

    assert second.read_bytes() == first.read_bytes()
    assert (
        sorted(CaseTranslation.objects.values_list("case__slug", "language", "status", "title"))
        == translations
    )

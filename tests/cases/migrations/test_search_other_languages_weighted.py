"""Migration 0034: the search's text in other languages split into titles, summaries and narratives, each
weighted as its English counterpart; and back."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from cases.filters import CaseStudyFilterSet
from cases.models import CaseStudy, CaseTranslation, TranslationStatus
from cases.models.search_document import LANGUAGE_FIELDS
from cases.models.translations import TRANSLATED_CASE_FIELDS
from cases.search.engine import search_cases
from cases.services import case_language_search_refresh
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db(transaction=False)

migration = importlib.import_module("cases.migrations.0034_search_other_languages_weighted")


class SchemaEditor:
    """What the migration's functions read of the schema editor Django hands them."""

    connection = connection


def thai_case(*, title: str, overview: str, days_ago: int) -> CaseStudy:
    case = CaseStudyFactory(published_at=timezone.now() - timedelta(days=days_ago))
    CaseTranslation.objects.create(
        case=case,
        language="th",
        title=title,
        summary="สรุปสั้น ๆ",
        overview=overview,
        translated_by="team",
        reviewed_by="reviewer",
        status=TranslationStatus.PUBLISHED,
    )
    return case


def in_library_order(query) -> list[int]:
    ordering = CaseStudyFilterSet.ordering("relevance", has_words=True)
    return list(
        search_cases(CaseStudy.objects.published(), query).order_by(*ordering).values_list("pk", flat=True)
    )


def texts(case) -> dict:
    return CaseStudy.objects.filter(pk=case.pk).values(*LANGUAGE_FIELDS).get()


def test_the_migration_names_its_columns_and_the_fields_a_translation_carries():
    assert migration.TEXT_FIELDS == TRANSLATED_CASE_FIELDS
    assert migration.OTHER_TITLES + migration.OTHER_SUMMARIES + migration.OTHER_NARRATIVES == LANGUAGE_FIELDS


def test_cases_stored_in_one_column_are_split_and_ranked_by_their_translated_titles():
    titled = thai_case(title="ศูนย์บริการดิจิทัล", overview="ระบบแจ้งเตือนน้ำท่วม", days_ago=300)
    narrated = thai_case(title="ระบบแจ้งเตือนน้ำท่วม", overview="บริการดิจิทัลเพื่อประชาชน", days_ago=1)
    as_the_services_write = texts(titled)
    assert as_the_services_write["search_other_titles"]

    migration.join(apps, SchemaEditor())  # as migration 0032 left them: one column, searched as narrative
    assert texts(titled)["search_other_titles"] == texts(titled)["search_other_summaries"] == ""
    if connection.vendor == "postgresql":  # both narrative matches, which rank 0: newest first
        assert in_library_order("ดิจิทัล") == [narrated.pk, titled.pk]

    migration.split(apps, SchemaEditor())
    assert texts(titled) == as_the_services_write
    assert in_library_order("ดิจิทัล") == [titled.pk, narrated.pk]
    assert case_language_search_refresh(case_ids=[titled.pk, narrated.pk]) == 0  # what the services write


def test_english_cases_without_translations_are_left_alone():
    english = CaseStudyFactory()
    migration.split(apps, SchemaEditor())
    assert texts(english) == dict.fromkeys(LANGUAGE_FIELDS, "")

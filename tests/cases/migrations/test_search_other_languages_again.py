"""Migration 0032: the search's text in other languages written again for the cases that have some."""

import importlib

import pytest
from django.apps import apps
from django.db import connection

from cases.models import CaseStudy, CaseTranslation, TranslationStatus
from cases.models.search_document import LONG_DOCUMENT
from cases.models.translations import TRANSLATED_CASE_FIELDS
from cases.search.engine import search_cases
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db(transaction=False)

migration = importlib.import_module("cases.migrations.0032_search_other_languages_again")


class SchemaEditor:
    """What the migration's function reads of the schema editor Django hands it."""

    connection = connection


def test_the_migration_names_the_fields_a_translation_carries():
    assert migration.TEXT_FIELDS == TRANSLATED_CASE_FIELDS


def test_a_long_document_written_before_the_marker_gets_it_and_is_found():
    case = CaseStudyFactory()
    CaseTranslation.objects.create(
        case=case,
        language="ja",
        title="電子申請",
        overview="行政手続のオンライン化を進める。" * 1500 + "電子申請窓口",
        translated_by="team",
        reviewed_by="reviewer",
        status=TranslationStatus.PUBLISHED,
    )
    case.refresh_from_db()
    without_marker = case.search_other_languages.removesuffix(f"\n{LONG_DOCUMENT}")
    assert without_marker != case.search_other_languages
    CaseStudy.objects.filter(pk=case.pk).update(search_other_languages=without_marker)  # as stored before
    if connection.vendor == "postgresql":  # SQLite's FTS5 keeps every position: found there without it
        assert not search_cases(CaseStudy.objects.all(), "請窓口").exists()

    migration.write_again(apps, SchemaEditor())

    case.refresh_from_db()
    assert case.search_other_languages.endswith(LONG_DOCUMENT)
    assert list(search_cases(CaseStudy.objects.all(), "請窓口").values_list("pk", flat=True)) == [case.pk]


def test_cases_without_other_languages_are_left_alone_and_stale_text_is_dropped():
    english = CaseStudyFactory()
    stale = CaseStudyFactory()
    CaseStudy.objects.filter(pk=stale.pk).update(search_other_languages="x0e38182 left from a translation")
    thai = CaseStudyFactory(original_language="th", title="ระบบพร้อมเพย์")

    migration.write_again(apps, SchemaEditor())

    texts = dict(CaseStudy.objects.values_list("pk", "search_other_languages"))
    assert texts[english.pk] == ""
    assert texts[stale.pk] == ""
    assert "x0" in texts[thai.pk]

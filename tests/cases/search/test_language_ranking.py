"""Search in every script (issue 16): a case's titles in its other languages rank as its title, and its
summaries and organisations there as its summary, on PostgreSQL and on SQLite alike: a case whose Thai title
says a word comes before the cases that mention it in a Thai narrative, however new they are. Only what is
published ever makes a case match or rank."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.filters import CaseStudyFilterSet
from cases.models import CaseStudy, CaseTranslation, TranslationStatus
from cases.models.search_document import LANGUAGE_FIELDS, other_languages_search_texts, spaceless_tokens
from cases.search.engine import search_cases
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db(transaction=False)

# language: (the word searched, a title with it, a summary with it, a narrative with it, filler without it)
TEXTS = {
    "th": (
        "ดิจิทัล",
        "ศูนย์บริการดิจิทัลภาครัฐ",
        "ประชาชนใช้บริการดิจิทัลได้ทุกที่",
        "โครงการนี้ใช้เทคโนโลยีดิจิทัลเพื่อประชาชนในชนบท",
        "ระบบแจ้งเตือนน้ำท่วมสำหรับหมู่บ้าน",
    ),
    "ja": (
        "電子申請",
        "電子申請ポータル",
        "市民がいつでも電子申請できる窓口",
        "市役所では職員が電子申請の案内も行っている。",
        "地域の子育て支援の取り組み",
    ),
    "id": (
        "perizinan",
        "Sistem Perizinan Terpadu",
        "Layanan perizinan usaha secara daring",
        "Warga juga dapat mengurus perizinan di kantor kecamatan.",
        "Program kesehatan ibu dan anak di desa",
    ),
}
WORD, TITLE, SUMMARY, NARRATIVE, FILLER = range(5)


def translated(language, *, title, summary, narrative, days_ago, status=TranslationStatus.PUBLISHED):
    """A published case, published `days_ago`, with a translation into `language` of this text."""
    case = CaseStudyFactory(published_at=timezone.now() - timedelta(days=days_ago))
    CaseTranslation.objects.create(
        case=case,
        language=language,
        title=title,
        summary=summary,
        lead_organisation="",
        overview=narrative,
        translated_by="team",
        reviewed_by="reviewer" if status == TranslationStatus.PUBLISHED else "",
        status=status,
    )
    return case


def in_library_order(query) -> list[int]:
    """The published cases `query` finds, in the library's order for a search (rank, then newest)."""
    ordering = CaseStudyFilterSet.ordering("relevance", has_words=True)
    found = search_cases(CaseStudy.objects.published(), query).order_by(*ordering)
    return list(found.values_list("pk", flat=True))


@pytest.mark.parametrize("language", list(TEXTS))
def test_a_word_in_a_translated_title_ranks_above_the_same_word_in_summaries_and_narratives(language):
    word, title, summary, narrative, filler = TEXTS[language]
    # The oldest says it in its title; the newer ones lower down, the newest only in its narrative.
    in_title = translated(language, title=title, summary=filler, narrative=filler, days_ago=300)
    in_summary = translated(language, title=filler, summary=summary, narrative=filler, days_ago=200)
    # Twice in their narratives: as many mentions as the title and summary cases have in all, and more.
    in_narratives = [
        translated(
            language, title=filler, summary=filler, narrative=f"{narrative} {narrative}", days_ago=days
        )
        for days in (20, 10)
    ]
    translated(language, title=filler, summary=filler, narrative=filler, days_ago=1)  # says nothing of it

    assert in_library_order(word) == [in_title.pk, in_summary.pk, *[c.pk for c in reversed(in_narratives)]]


@pytest.mark.parametrize("status", [TranslationStatus.DRAFT, TranslationStatus.IN_REVIEW])
@pytest.mark.parametrize("language", list(TEXTS))
def test_an_unpublished_translations_title_never_makes_a_case_match_or_rank(language, status):
    word, title, _summary, narrative, filler = TEXTS[language]
    other = "ko"  # a second translation of the case, unpublished, whose title says it
    # Found only by its unpublished title: never found.
    unpublished_only = translated(
        language, title=title, summary=filler, narrative=filler, days_ago=5, status=status
    )
    # Found by a published narrative, its unpublished title unread: it ranks as a narrative, by its date.
    ranked_by_narrative = translated(
        language, title=filler, summary=filler, narrative=narrative, days_ago=300
    )
    CaseTranslation.objects.create(
        case=ranked_by_narrative,
        language=other,
        title=title,
        summary="",
        lead_organisation="",
        overview="",
        translated_by="team",
        status=status,
    )
    newer_narrative = translated(language, title=filler, summary=filler, narrative=narrative, days_ago=10)

    assert in_library_order(word) == [newer_narrative.pk, ranked_by_narrative.pk]
    assert unpublished_only.pk not in in_library_order(word)


def test_a_translation_published_then_unpublished_moves_its_case_up_then_out():
    word, title, _summary, narrative, filler = TEXTS["th"]
    narrative_case = translated(
        "th", title=filler, summary=filler, narrative=f"{narrative} {narrative}", days_ago=1
    )
    titled = translated(
        "th", title=title, summary=filler, narrative=filler, days_ago=300, status=TranslationStatus.DRAFT
    )
    assert in_library_order(word) == [narrative_case.pk]

    translation = CaseTranslation.objects.get(case=titled)
    translation.status = TranslationStatus.PUBLISHED
    translation.reviewed_by = "reviewer"
    translation.save()
    assert in_library_order(word) == [titled.pk, narrative_case.pk]

    translation.status = TranslationStatus.DRAFT
    translation.save()
    assert in_library_order(word) == [narrative_case.pk]


def test_a_case_written_in_thai_ranks_by_its_own_thai_title():
    word, title, _summary, narrative, filler = TEXTS["th"]
    own_title = CaseStudyFactory(
        title=title,
        summary=filler,
        overview=filler,
        original_language="th",
        published_at=timezone.now() - timedelta(days=300),
    )
    in_narrative = translated(
        "th", title=filler, summary=filler, narrative=f"{narrative} {narrative}", days_ago=1
    )

    assert in_library_order(word) == [own_title.pk, in_narrative.pk]


def test_the_other_languages_text_is_split_by_what_it_is_in_the_case():
    texts = other_languages_search_texts(
        {"title": "Digital service", "summary": "In English", "overview": "Not read"},
        "en",
        [
            {"title": "Layanan digital", "summary": "Ringkasan", "lead_organisation": "Kementerian"},
            {"title": "口罩地圖", "overview": "藥局"},
        ],
    )
    titles, summaries, narratives = (texts[name] for name in LANGUAGE_FIELDS)
    assert titles.split("\n")[0] == "layanan digital"
    assert titles.split("\n")[1].split() == spaceless_tokens("口罩地圖")
    assert summaries == "ringkasan\nkementerian"
    assert narratives.split() == spaceless_tokens("藥局")
    assert "not read" not in " ".join(texts.values())  # the English original is not repeated

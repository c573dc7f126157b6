"""Search in every script (issue 16): a case is found by the words of its translations and of its original
when not English, on PostgreSQL and on SQLite alike; only what is published is ever found."""

import pytest

from cases.models import CaseStudy, CaseTranslation, Status, TranslationStatus
from cases.models.search_document import LONG_DOCUMENT, language_search_text, spaceless_tokens
from cases.search.engine import as_query, highlight_words, search_cases
from cases.services import case_language_search_refresh
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db(transaction=False)

TEXTS = {
    "th": ("ระบบพร้อมเพย์", "ระบบชำระเงินแบบทันทีด้วยเลขประจำตัวประชาชน", "ธนาคารแห่งประเทศไทย"),
    "ja": ("マイナンバーカード", "オンラインで本人確認ができるカード", "デジタル庁"),
    "zh-hant": ("口罩地圖", "民眾可查詢藥局口罩存量的地圖", "衛生福利部"),
    "ko": ("정부24", "모든 민원을 한 곳에서 처리하는 정부 포털", "행정안전부"),
    "vi": ("Cổng Dịch vụ công quốc gia", "Người dân nộp hồ sơ trực tuyến", "Văn phòng Chính phủ"),
    "id": ("Sistem Perizinan Berusaha Terintegrasi", "Izin usaha secara daring", "Kementerian Investasi"),
    "tr": ("e-Devlet Kap\u0131s\u0131", "Kamu hizmetlerine tek noktadan erişim", "Dijital Dönüşüm Ofisi"),
}


def translated_case(language, status=TranslationStatus.PUBLISHED, case_status=Status.PUBLISHED):
    case = CaseStudyFactory(status=case_status)
    title, summary, organisation = TEXTS[language]
    CaseTranslation.objects.create(
        case=case,
        language=language,
        title=title,
        summary=summary,
        lead_organisation=organisation,
        overview=f"{summary}. {title}.",
        translated_by="team",
        reviewed_by="reviewer" if status == TranslationStatus.PUBLISHED else "",
        status=status,
    )
    return case


def found(query) -> list[str]:
    return list(search_cases(CaseStudy.objects.published(), query).values_list("slug", flat=True))


@pytest.mark.parametrize(
    ("language", "query"),
    [
        ("th", "พร้อมเพย์"),  # a word inside a run of Thai, written without spaces
        ("th", "เลขประจำตัวประชาชน"),
        ("ja", "マイナンバー"),  # inside マイナンバーカード
        ("ja", "本人確認"),  # kanji inside a longer run
        ("zh-hant", "口罩"),
        ("zh-hant", "藥局"),
        ("ko", "정부24"),
        ("ko", "민원"),  # a word with its particle attached in the text (민원을)
        ("vi", "Dịch vụ công"),
        ("vi", "dich vu cong"),  # without tone marks
        ("id", "perizinan berusaha"),
        ("tr", "Kap\u0131s\u0131"),
        ("tr", "kapisi"),  # the dotless i folded
    ],
)
def test_a_query_in_another_language_finds_the_case_translated_into_it(language, query):
    case = translated_case(language)
    CaseStudyFactory(title="An unrelated case")
    assert found(query) == [case.slug]


def test_a_case_written_in_another_language_is_found_by_its_own_words():
    case = CaseStudyFactory(
        title="ระบบแจ้งเตือนน้ำท่วม", summary="แจ้งเตือนประชาชนทางโทรศัพท์", original_language="th"
    )
    assert found("น้ำท่วม") == [case.slug]
    # Once it says it is English, its Thai words are left to the English search (one token per run).
    case.original_language = "en"
    case.save()
    assert found("น้ำท่วม") == []


def test_a_word_in_no_case_finds_nothing():
    translated_case("th")
    translated_case("ja")
    assert found("ดิจิทัล") == []
    assert found("電子政府") == []


def test_a_pair_of_characters_alone_is_not_enough():
    """The pairs of a typed word must follow each other in order (a phrase), not be scattered."""
    translated_case("ja")  # マイナンバーカード: マイ, イナ, ナン, ンバ, バー, ーカ, カー, ード
    assert found("カード") == [CaseStudy.objects.get().slug]
    assert found("ードカ") == []  # the same characters, out of order


@pytest.mark.parametrize("status", [TranslationStatus.DRAFT, TranslationStatus.IN_REVIEW])
def test_an_unpublished_translation_is_never_searched(status):
    translated_case("th", status=status)
    assert found("พร้อมเพย์") == []


@pytest.mark.parametrize("status", [s for s in Status if s != Status.PUBLISHED])
def test_a_translation_of_an_unpublished_case_is_never_searched(status):
    translated_case("ja", case_status=status)
    assert found("マイナンバー") == []


def test_a_translation_unpublished_or_deleted_stops_finding_its_case():
    case = translated_case("ko")
    assert found("정부24") == [case.slug]
    translation = CaseTranslation.objects.get()
    translation.status = TranslationStatus.DRAFT
    translation.save()
    assert found("정부24") == []
    translation.status = TranslationStatus.PUBLISHED
    translation.save()
    assert found("정부24") == [case.slug]
    translation.delete()
    assert found("정부24") == []


def test_the_library_finds_and_marks_a_word_in_the_readers_language(client):
    case = translated_case("th")
    page = client.get("/th/cases/", {"q": "ชำระเงิน"}).content.decode()
    assert f'href="/th/cases/{case.slug}/"' in page
    # The card shows the Thai title and summary, the word marked inside its run.
    assert ">ระบบพร้อมเพย์</a>" in page
    assert "ระบบ<mark>ชำระเงิน</mark>แบบทันที" in page
    # The API finds it whatever language it answers in.
    assert client.get("/api/v1/cases/", {"q": "พร้อมเพย์"}).json()["count"] == 1


def test_a_translated_vocabulary_name_is_searched_as_the_term():
    from cases.models import Sector

    health = Sector.objects.get(slug="health")
    health.translations = {"ja": {"name": "保健医療"}}
    health.save()
    case = CaseStudyFactory(sectors=[health])
    CaseStudyFactory(sectors=[Sector.objects.exclude(pk=health.pk).first()])
    assert found("保健医療") == [case.slug]


# --- How text is read ---------------------------------------------------------------------------------


def test_spaceless_text_is_indexed_as_overlapping_pairs():
    assert spaceless_tokens("ab") == ["x0" + b"ab".hex()]
    assert len(spaceless_tokens("マイナンバー")) == 5
    assert spaceless_tokens("口") == ["x0" + "口".encode().hex()]
    text = language_search_text(["Chính phủ 정부24"])
    assert text.startswith("chính phủ ")
    assert text.split()[-1] == "24"


def test_a_spaceless_query_is_read_as_its_pairs_in_order():
    concept = as_query("พร้อมเพย์").concepts[0]
    assert concept.alternatives[-1].words == tuple(spaceless_tokens("พร้อมเพย์"))


def test_highlighting_marks_a_word_inside_a_run_once():
    words = as_query("マイナンバー").all_words
    assert str(highlight_words("日本のマイナンバーカード", words)) == "日本の<mark>マイナンバー</mark>カード"


def test_a_word_past_the_positions_postgresql_keeps_is_still_found():
    """PostgreSQL gives every word after position 16,383 of a document that position, so that character
    pairs there no longer follow each other; such a document is marked long, and a run's pairs are found
    in it in any order (search_document.LONG_DOCUMENT). SQLite's FTS5 keeps every position: found there
    too."""
    case = translated_case("ja")
    long_overview = "行政手続のオンライン化を進める。" * 1500 + "電子申請窓口"  # 22,500 characters before it
    CaseTranslation.objects.filter(case=case).update(overview=long_overview)
    case_language_search_refresh(case_ids=[case.pk])
    case.refresh_from_db()

    assert case.search_other_languages.endswith(LONG_DOCUMENT)
    assert found("電子申請窓口") == [case.slug]
    assert found("請窓口") == [case.slug]  # two pairs: one pair of pairs, which that index no longer holds
    assert found("ードカ") == []  # a short run's pairs are still in order: not in this document at all


def test_a_short_document_is_not_marked_long():
    case = translated_case("ja")

    assert LONG_DOCUMENT not in case.search_other_languages.split()
    assert language_search_text(["あ" * 10], words_before=16_380).endswith(LONG_DOCUMENT)

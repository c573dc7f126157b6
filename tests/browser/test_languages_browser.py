"""The site in every language of the interface, in a real browser (issue 16): the walk an official takes
(home, library, a filtered search, a case, a comparison) passes axe-core in each language, the language
switcher keeps the page and its filters, the page says which language its parts are in, and Thai, Chinese,
Japanese and Korean text is drawn with real glyphs, not the empty boxes of a missing font."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from cases.interchange.reference_data import load_reference_data
from cases.models import CaseTranslation, Economy, Sector, Theme, TranslationStatus
from tests.factories import CaseStudyFactory, OutcomeFactory

LANGUAGES = [code for code, _name in settings.LANGUAGES]
# Text of each script the interface shows, and its language, for the missing-glyph check.
SCRIPTS = {
    "th": "ระบบชำระเงินพร้อมเพย์",
    "ja": "デジタル庁の事例",
    "zh-hant": "口罩地圖",
    "ko": "정부 민원 포털",
}


@pytest.fixture
def catalogue(transactional_db):
    # Live-server tests flush the database after each test, reference data included: load it again (with
    # the vocabularies' translations).
    load_reference_data()
    digital = Theme.objects.get(slug="digital-government")
    health = Sector.objects.get(slug="health")
    cases = [
        CaseStudyFactory(
            title=f"Telemedicine pilot {n}",
            slug=f"telemedicine-pilot-{n}",
            economy=Economy.objects.get(iso2="TH" if n % 2 else "JP"),
            sectors=[health],
            themes=[digital],
            results_impact="Fewer trips to hospital.",
        )
        for n in range(4)
    ]
    OutcomeFactory(case=cases[0], indicator="Consultations", value=1200, unit="visits")
    CaseTranslation.objects.create(
        case=cases[0],
        language="th",
        title="โครงการนำร่องการแพทย์ทางไกล",
        summary="ผู้ป่วยปรึกษาแพทย์ผ่านวิดีโอโดยไม่ต้องเดินทาง",
        overview="โรงพยาบาลให้คำปรึกษาทางวิดีโอแก่ผู้ป่วยในพื้นที่ห่างไกล",
        translated_by="ทีมแปล",
        reviewed_by="ผู้ตรวจทาน",
        status=TranslationStatus.PUBLISHED,
    )
    return cases


def prefix(language: str) -> str:
    return "" if language == settings.LANGUAGE_CODE else f"/{language}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_officials_walk_passes_axe_in_every_language(page, catalogue, check_accessibility, language):
    home = prefix(language)
    assert page.goto(f"{home}/").status == 200
    expect(page.locator("html")).to_have_attribute("lang", language)
    check_accessibility(page)

    # The library, from the main navigation: the link stays in the language.
    page.locator(".site-nav a").first.click()
    expect(page).to_have_url(f"{page.url.split('/', 3)[0]}//{page.url.split('/', 3)[2]}{home}/cases/")
    check_accessibility(page)

    # A filtered search.
    assert page.goto(f"{home}/cases/?sector=health&q=telemedicine").status == 200
    expect(page.locator(".case-card").first).to_be_visible()
    check_accessibility(page)

    # A case, from its card.
    page.locator(".case-card__title a").first.click()
    expect(page.locator("h1")).to_be_visible()
    assert f"{home}/cases/telemedicine-pilot-" in page.url
    check_accessibility(page)

    # A comparison.
    assert page.goto(f"{home}/compare/?cases=telemedicine-pilot-0,telemedicine-pilot-1").status == 200
    check_accessibility(page)
    assert page.js_errors == []


def test_the_switcher_keeps_the_place_and_the_filters(page, catalogue):
    page.goto("/ja/cases/?sector=health&q=telemedicine&sort=title")
    page.locator(".language-switcher summary").click()
    page.locator('.language-switcher a[lang="th"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "th")
    assert page.url.endswith("/th/cases/?sector=health&q=telemedicine&sort=title")
    # The switcher works from the keyboard alone.
    page.locator(".language-switcher summary").focus()
    page.keyboard.press("Enter")
    page.locator('.language-switcher a[lang="ko"]').focus()
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    assert page.url.endswith("/ko/cases/?sector=health&q=telemedicine&sort=title")


def test_a_translated_case_says_what_it_shows_and_marks_its_language(page, catalogue, check_accessibility):
    page.goto("/th/cases/telemedicine-pilot-0/")
    expect(page.locator("h1")).to_have_text("โครงการนำร่องการแพทย์ทางไกล")
    expect(page.locator(".language-note")).to_be_visible()
    # The original, one click away, marked as English inside the Thai page (WCAG 3.1.2).
    page.locator(".language-note a").click()
    expect(page.locator("h1")).to_have_attribute("lang", "en")
    check_accessibility(page)
    # A case with no Thai translation is shown in its original language, and says so.
    page.goto("/th/cases/telemedicine-pilot-1/")
    expect(page.locator("h1")).to_have_attribute("lang", "en")
    expect(page.locator(".language-note")).to_be_visible()
    check_accessibility(page)


@pytest.mark.parametrize(("language", "sample"), SCRIPTS.items())
def test_each_script_is_drawn_with_real_glyphs(page, catalogue, language, sample):
    """A missing font draws every character as the same empty box: the sample's width would then be that
    of as many boxes as it has characters. With a font, it is not (Thai marks take no width at all)."""
    page.goto(f"{prefix(language)}/")
    widths = page.evaluate(
        """([sample]) => {
            const probe = (text) => {
                const span = document.createElement("span");
                span.textContent = text;
                document.querySelector("main").append(span);
                const width = span.getBoundingClientRect().width;
                span.remove();
                return width;
            };
            // U+FFFF is a noncharacter: no font has it, so it is always drawn as the missing glyph.
            return [probe(sample), probe("\\uffff".repeat([...sample].length))];
        }""",
        [sample],
    )
    drawn, boxes = widths
    assert drawn > 0
    assert abs(drawn - boxes) > 1, f"{language}: drawn as empty boxes ({drawn} px, boxes {boxes} px)"


# Swagger UI's own words (static/js/api-docs-i18n.js), as it shows them on an operation tried out.
SWAGGER_WORDS = {
    "Try it out", "Cancel", "Execute", "Clear", "Parameters", "Responses", "Request URL", "Server response",
    "Response body", "Response headers", "Description", "Details", "Links", "No links", "Name", "Media type",
    "Example Value", "Schema", "Schemas", "Send empty value", "Download", "Code", "Authorize",
}  # fmt: skip
# What is data or the API's own text, not Swagger UI's words.
CONTENT = (
    "pre, code, textarea, input, select, .microlight, .markdown, .renderedMarkdown, .model-box, "
    ".parameter__name, .parameter__type, .opblock-summary-path, .opblock-summary-description, .info"
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_api_documentation_speaks_the_readers_language(page, catalogue, check_accessibility, language):
    """Swagger UI's words in the reader's language, and an operation tried out passes axe in each."""
    page.goto(f"/api/docs/?lang={language}")
    page.wait_for_load_state("networkidle")
    page.locator(".opblock-summary").first.click()
    page.locator(".try-out__btn").first.click()
    page.locator(".btn.execute").first.click()
    page.locator(".live-responses-table .response").first.wait_for()  # the server's answer, drawn
    page.mouse.move(0, 0)

    shown = page.evaluate(
        """(content) => {
            const words = [];
            const docs = document.getElementById("swagger-ui");
            const walker = document.createTreeWalker(docs, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                if (!node.parentElement.closest(content)) words.push(node.nodeValue.trim());
            }
            return words;
        }""",
        CONTENT,
    )
    if language == settings.LANGUAGE_CODE:
        assert {"Execute", "Responses"} <= set(shown)  # the check below would see English words
    else:
        assert not SWAGGER_WORDS & set(shown), sorted(SWAGGER_WORDS & set(shown))
    assert page.locator("html").get_attribute("lang") == language
    check_accessibility(page)

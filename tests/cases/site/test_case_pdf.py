"""A case as a PDF (issue 19, cases/site/pdf.py): what it holds, in the reader's language and script, its
headers, never an unpublished case, its cache and rate limit, and the queries it reads."""

import io
import shutil
import subprocess

import pytest
from django.core.files.base import ContentFile
from PIL import Image
from pypdf import PdfReader

from cases.caching import forget_catalogue_version
from cases.models import CaseTranslation, ResourceKind, Sector, Theme, TranslationStatus
from cases.models.translations import TRANSLATED_CASE_FIELDS, text_digest
from cases.site import pdf as pdf_module
from cases.site.pdf import RefusedAddress, local_files_fetcher
from tests.factories import CaseStudyFactory, OutcomeFactory, ResourceFactory

pytestmark = pytest.mark.django_db

UNPUBLISHED_STATUSES = ["draft", "submitted", "in_review", "changes_requested", "archived"]
THAI_TITLE = "ระบบนัดหมายโรงพยาบาลออนไลน์"
# (No vowel below with a tone mark above, as in ผู้: Garuda draws that pair with one glyph, which the PDF's
# text layer maps back to the tone mark alone; rendered right, extracted as ผ้้. docs/library.md says so.)
THAI_OVERVIEW = "ประชาชนจองคิวตรวจผ่านโทรศัพท์มือถือ ลดเวลารอที่โรงพยาบาลชุมชน"
JAPANESE_TITLE = "行政手続のオンライン化"
JAPANESE_OVERVIEW = "住民はスマートフォンから転入届を提出できるようになった。"


def pdf_url(case, language=""):
    return f"{'/' + language if language else ''}/cases/{case.slug}/pdf/"


def pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf", response.content[:300]
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def normalised(name: str) -> str:
    return "".join(character for character in name.lower() if character.isalnum())


def embedded_fonts(response) -> set[str]:
    """The fonts embedded in the PDF, by name without their subset prefix (ABCDEF+Garuda: garuda)."""
    reader = PdfReader(io.BytesIO(response.content))
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for each in font.get("/DescendantFonts") or [font]:
                descriptor = each.get_object().get("/FontDescriptor")
                if descriptor is not None and any(
                    key in descriptor.get_object() for key in ("/FontFile", "/FontFile2", "/FontFile3")
                ):
                    names.add(normalised(str(font["/BaseFont"]).split("+")[-1]))
    return names


def covering(fonts: set[str], language: str) -> set[str]:
    """Those of `fonts` (embedded_fonts) that fontconfig says cover `language` (a PDF names a font by its
    PostScript name, WenQuanYi-Micro-Hei-Bold, fontconfig by its family, WenQuanYi Micro Hei)."""
    if shutil.which("fc-list") is None:
        pytest.fail("fontconfig's fc-list is missing: WeasyPrint needs fontconfig (make pdf-deps)")
    listed = subprocess.run(
        ["fc-list", f":lang={language}", "family"], capture_output=True, text=True, check=True
    ).stdout
    families = {normalised(family) for line in listed.splitlines() for family in line.split(",")}
    return {font for font in fonts if any(font.startswith(family) for family in families if family)}


def translate(case, language, title, **values):
    fields = {
        "title": title,
        "summary": f"{title} (summary)",
        "overview": f"{title} (overview)",
        "translated_by": "Translation team",
        "reviewed_by": "Reviewer",
        "status": TranslationStatus.PUBLISHED,
        "source_digest": text_digest({name: getattr(case, name) for name in TRANSLATED_CASE_FIELDS}),
    }
    return CaseTranslation.objects.create(case=case, language=language, **(fields | values))


@pytest.fixture
def briefed_case():
    case = CaseStudyFactory(
        title="Clinic queues by text message",
        slug="clinic-queues",
        summary="Patients book a slot by SMS instead of queueing at dawn.",
        overview="Rural clinics had queues from before sunrise.",
        what_is_innovative="Booking by plain SMS, which every phone has.",
        lessons_learned="",
        year_launched=2018,
        year_ended=2021,
        source="Ministry of Health annual report",
        licence="CC BY 4.0",
        website="https://health.example.org/queues",
        themes=[Theme.objects.get(slug="digital-government")],
        sectors=[Sector.objects.get(slug="health")],
    )
    case.last_verified = "2024-03-15"
    case.save()
    OutcomeFactory(
        case=case,
        indicator="Average wait",
        value=35,
        unit="minutes",
        source_url="https://stats.example.org/w",
    )
    ResourceFactory(case=case, title="Evaluation report", url="https://evaluation.example.org/report")
    return case


def test_the_pdf_holds_what_an_official_briefs_from(client, briefed_case):
    text = pdf_text(client.get(pdf_url(briefed_case)))
    for expected in (
        "Clinic queues by text message",
        "Patients book a slot by SMS instead of queueing at dawn.",
        "Singapore",
        "2018",
        "2021",
        "Health",
        "Digital government",
        "What makes it innovative",
        "Booking by plain SMS, which every phone has.",
        "Measured outcomes",
        "Average wait",
        "35 minutes",
        "https://stats.example.org/w",
        "https://evaluation.example.org/report",
        "https://health.example.org/queues",
        "Cite this case",
        "Ministry of Examples. (",  # the APA citation
        "http://testserver/cases/clinic-queues/",  # the permanent address
        "Last verified",
        "March 15, 2024",
        "The Observatory",
        "1 / ",  # page numbers
    ):
        assert expected in text, expected
    assert "Lessons learned" not in text  # an empty section has no heading


def test_the_pdf_answers_as_a_download_named_by_the_slug(client, briefed_case):
    response = client.get(pdf_url(briefed_case))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="clinic-queues.pdf"'
    assert response["Content-Language"] == "en"
    assert response["Link"] == '<http://testserver/cases/clinic-queues/>; rel="canonical"'
    assert response.content.startswith(b"%PDF-")


def test_the_case_page_links_to_its_pdf(client, briefed_case):
    page = client.get(briefed_case.get_absolute_url()).content.decode()
    assert 'href="/cases/clinic-queues/pdf/" type="application/pdf">Download PDF</a>' in page
    thai = client.get("/th/cases/clinic-queues/").content.decode()
    assert 'href="/th/cases/clinic-queues/pdf/"' in thai


def test_the_original_asked_for_on_the_page_is_the_original_in_the_pdf_link(client, briefed_case):
    translate(briefed_case, "th", THAI_TITLE)
    original = client.get("/th/cases/clinic-queues/", {"text": "original"}).content.decode()
    assert 'href="/th/cases/clinic-queues/pdf/?text=original"' in original
    translated = client.get("/th/cases/clinic-queues/").content.decode()
    assert 'href="/th/cases/clinic-queues/pdf/"' in translated


def test_a_thai_case_is_in_thai_script_with_a_thai_font_and_buddhist_era_years(client):
    case = CaseStudyFactory(
        original_language="th", title=THAI_TITLE, overview=THAI_OVERVIEW, year_launched=2018
    )
    response = client.get(pdf_url(case, "th"))
    assert response["Content-Language"] == "th"
    assert response["Content-Disposition"] == f'attachment; filename="{case.slug}-th.pdf"'
    text = pdf_text(response)
    assert THAI_TITLE in text
    assert THAI_OVERVIEW in text
    assert "2561" in text  # 2018 in the Buddhist Era
    assert "ภาพรวม" in text  # the interface in Thai: "Overview"
    assert covering(embedded_fonts(response), "th"), embedded_fonts(response)


def test_a_japanese_case_is_in_japanese_script_with_a_font_covering_it(client):
    case = CaseStudyFactory(original_language="ja", title=JAPANESE_TITLE, overview=JAPANESE_OVERVIEW)
    response = client.get(pdf_url(case, "ja"))
    text = pdf_text(response)
    assert JAPANESE_TITLE in text
    assert JAPANESE_OVERVIEW in text
    assert covering(embedded_fonts(response), "ja"), embedded_fonts(response)


def test_the_readers_published_translation_is_shown_and_the_original_on_request(client):
    case = CaseStudyFactory(title="Hospital booking online")
    translate(case, "th", THAI_TITLE, overview=THAI_OVERVIEW)
    translated = pdf_text(client.get(pdf_url(case, "th")))
    assert THAI_TITLE in translated
    assert THAI_OVERVIEW in translated
    assert "Translation team" in translated
    original = pdf_text(client.get(pdf_url(case, "th"), {"text": "original"}))
    assert "Hospital booking online" in original
    assert THAI_TITLE not in original
    assert "Hospital booking online" in pdf_text(client.get(pdf_url(case)))


def test_a_draft_translation_is_never_in_a_pdf(client):
    case = CaseStudyFactory(title="Hospital booking online")
    translate(case, "th", THAI_TITLE, status=TranslationStatus.DRAFT, reviewed_by="")
    text = pdf_text(client.get(pdf_url(case, "th")))
    assert THAI_TITLE not in text
    assert "Hospital booking online" in text


@pytest.mark.parametrize("language", ["", "th"])
@pytest.mark.parametrize("status", UNPUBLISHED_STATUSES)
def test_an_unpublished_case_has_no_pdf(client, status, language):
    case = CaseStudyFactory(status=status, title=f"Hidden {status}")
    page = client.get(f"{'/' + language if language else ''}{case.get_absolute_url()}")
    response = client.get(pdf_url(case, language))
    assert response.status_code == page.status_code == 404
    assert response["Content-Type"] == page["Content-Type"]
    assert b"Hidden" not in response.content
    assert b"%PDF" not in response.content


def test_staff_get_no_pdf_of_an_unpublished_case(admin_client):
    case = CaseStudyFactory(status="draft")
    assert admin_client.get(case.get_absolute_url()).status_code == 200  # the page's staff preview
    assert admin_client.get(pdf_url(case)).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/cases/no-such-case/pdf/",
        "/th/cases/no-such-case/pdf/",
        "/cases/" + "x" * 300 + "/pdf/",
        "/cases/caf%C3%A9/pdf/",
        "/cases/a.b/pdf/",
        "/cases//pdf/",
        "/cases/changes/pdf/",
    ],
)
def test_a_bad_slug_is_not_found(client, path):
    assert client.get(path).status_code == 404


def test_a_former_slug_redirects_to_the_current_pdf(client):
    from cases.models import FormerSlug

    case = CaseStudyFactory(slug="new-slug")
    FormerSlug.objects.create(slug="old-slug", case=case)
    response = client.get("/th/cases/old-slug/pdf/")
    assert response.status_code == 301
    assert response["Location"] == "/th/cases/new-slug/pdf/"


def test_only_get_and_head_are_answered(client, briefed_case):
    assert client.post(pdf_url(briefed_case)).status_code == 405


@pytest.fixture
def renders(monkeypatch):
    """How many PDFs were made (not served from the cache)."""
    made = []
    render = pdf_module.render_case_pdf

    def counted(*args, **kwargs):
        made.append(args[1].slug)
        return render(*args, **kwargs)

    monkeypatch.setattr(pdf_module, "render_case_pdf", counted)
    return made


def test_a_pdf_is_made_once_and_then_served_from_the_cache(client, briefed_case, renders):
    first = client.get(pdf_url(briefed_case))
    second = client.get(pdf_url(briefed_case))
    assert renders == ["clinic-queues"]
    assert second.content == first.content
    client.get(pdf_url(briefed_case, "th"))
    assert renders == ["clinic-queues", "clinic-queues"]  # each language its own


def test_an_edit_to_the_case_makes_a_new_pdf(client, briefed_case, renders):
    assert "Clinic queues by text message" in pdf_text(client.get(pdf_url(briefed_case)))
    briefed_case.title = "Clinic queues by SMS, revised"
    briefed_case.save()
    forget_catalogue_version()  # as every process does once its version's time to live has passed
    assert "Clinic queues by SMS, revised" in pdf_text(client.get(pdf_url(briefed_case)))
    assert len(renders) == 2


def test_a_new_outcome_makes_a_new_pdf(client, briefed_case):
    client.get(pdf_url(briefed_case))
    OutcomeFactory(case=briefed_case, indicator="Clinics connected", value=12, unit="clinics")
    forget_catalogue_version()
    assert "Clinics connected" in pdf_text(client.get(pdf_url(briefed_case)))


def test_an_edit_to_another_case_leaves_the_pdf_cached(client, briefed_case, renders):
    other = CaseStudyFactory()
    client.get(pdf_url(briefed_case))
    other.title = "Something else"
    other.save()
    forget_catalogue_version()
    client.get(pdf_url(briefed_case))
    assert renders == ["clinic-queues"]


def test_a_pdf_not_modified_since_the_readers_copy_is_a_304(client, briefed_case, renders):
    first = client.get(pdf_url(briefed_case))
    assert first["Cache-Control"] == "no-cache"
    again = client.get(pdf_url(briefed_case), headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    briefed_case.summary = "A new summary."
    briefed_case.save()
    forget_catalogue_version()
    assert client.get(pdf_url(briefed_case), headers={"if-none-match": first["ETag"]}).status_code == 200
    assert len(renders) == 2


def test_pdfs_made_for_one_client_are_limited_with_a_readable_page(client, settings, briefed_case):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "pdf": "1/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    other = CaseStudyFactory()
    assert client.get(pdf_url(briefed_case)).status_code == 200
    refused = client.get(pdf_url(other), headers={"accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert refused.status_code == 429
    assert refused["Content-Type"].startswith("text/html")
    assert int(refused["Retry-After"]) > 0
    page = refused.content.decode()
    assert "Too many downloads" in page
    assert "At most 1 download a minute from one connection." in page
    # A PDF already made is served from the cache: it costs nothing, and is not counted.
    assert client.get(pdf_url(briefed_case)).status_code == 200


def test_the_query_count_does_not_grow_with_sections_and_outcomes(client, django_assert_max_num_queries):
    small = CaseStudyFactory(overview="Short.")
    with django_assert_max_num_queries(10) as few:
        assert client.get(pdf_url(small)).status_code == 200
    large = CaseStudyFactory(
        what_is_innovative="Section two, filled.",
        collaborations="Section three, filled.",
        replication="Section four, filled.",
        themes=list(Theme.objects.all()[:5]),
    )
    for number in range(15):
        OutcomeFactory(case=large, indicator=f"Indicator {number}")
        ResourceFactory(case=large, title=f"Link {number}", url=f"https://example.org/{number}")
    forget_catalogue_version()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(pdf_url(large))
    assert "Indicator 14" in pdf_text(response)


def test_a_cached_pdf_reads_at_most_the_version_and_the_case_stamp(
    client, briefed_case, django_assert_max_num_queries
):
    client.get(pdf_url(briefed_case))
    forget_catalogue_version()
    with django_assert_max_num_queries(2):
        assert client.get(pdf_url(briefed_case)).status_code == 200


def test_the_case_image_is_read_from_storage(client, briefed_case):
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(picture, format="PNG")
    ResourceFactory(
        case=briefed_case,
        kind=ResourceKind.IMAGE,
        url="",
        file=ContentFile(picture.getvalue(), name="clinic.png"),
        title="The clinic",
        alt_text="A clinic's waiting room",
    )
    reader = PdfReader(io.BytesIO(client.get(pdf_url(briefed_case)).content))
    assert len(reader.pages[0].images) == 1


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/tracker.png",
        "http://testserver/media/anything.png",
        "file:///etc/passwd",
        "http://testserver/static/../../../etc/passwd",
        "http://testserver/static/%2e%2e/%2e%2e/etc/passwd",
        "data:text/css,body{}",
        "ftp://example.org/style.css",
    ],
)
def test_the_fetcher_refuses_everything_but_the_projects_static_files(url):
    fetcher = local_files_fetcher(base_url="http://testserver/")
    with pytest.raises(RefusedAddress):
        fetcher.fetch(url)


def test_the_fetcher_serves_the_pdf_stylesheet_from_the_project():
    fetcher = local_files_fetcher(base_url="http://testserver/")
    response = fetcher.fetch("http://testserver/static/css/pdf.css")
    assert b"@page" in response.read()
    assert response.content_type == "text/css"


def test_making_a_pdf_opens_no_network_connection(client, briefed_case, monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("a PDF opened a network connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    briefed_case.overview = (
        "See [the programme](https://example.org/programme) and <img src='https://x.org/a.png'>."
    )
    briefed_case.save()
    forget_catalogue_version()
    text = pdf_text(client.get(pdf_url(briefed_case)))
    assert "https://example.org/programme" in text  # a link is printed, not followed

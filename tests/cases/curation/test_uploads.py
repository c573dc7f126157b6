"""Uploads: size and type limits checked by content, images verified, re-encoded without EXIF and resized,
storage chosen by the environment, and a bad file in admin is a form error, never a 500."""

import io
import json
import os
import subprocess
import sys
import zipfile

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.urls import reverse
from PIL import Image

from cases.curation.uploads import (
    OFFICE_MAIN_CONTENT_TYPES,
    ResourceUploadForm,
    check_document,
    prepare_image,
    rendition_name,
    safe_filename,
)
from cases.models import CaseStudy, Resource
from tests.factories import CaseStudyFactory, ResourceFactory

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825
CAMERA_MAKE = 0x010F
ORIENTATION = 0x0112


@pytest.fixture(autouse=True)
def empty_storage(settings):
    """A new in-memory storage for each test, so that stored names never depend on an earlier test."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


def image_bytes(image_format="PNG", size=(40, 30), *, exif=None, mode="RGB"):
    output = io.BytesIO()
    extra = {"exif": exif} if exif is not None else {}
    Image.new(mode, size, "teal").save(output, image_format, **extra)
    return output.getvalue()


def upload(name, content):
    return SimpleUploadedFile(name, content)


def office_bytes(extension, *, main_type=None, extra_members=()):
    output = io.BytesIO()
    main_type = main_type or OFFICE_MAIN_CONTENT_TYPES[extension]
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Override PartName="/main.xml" ContentType="{main_type}"/></Types>',
        )
        archive.writestr("main.xml", "<document/>")
        for name, data in extra_members:
            archive.writestr(name, data)
    return output.getvalue()


def refusal(check, name, content):
    with pytest.raises(ValidationError) as caught:
        check(upload(name, content))
    return caught.value


# --- Accepted -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "image_format"), [("photo.jpg", "JPEG"), ("chart.png", "PNG"), ("p.webp", "WEBP")]
)
def test_valid_images_are_accepted(name, image_format):
    prepared = prepare_image(upload(name, image_bytes(image_format)))
    assert prepared.format == image_format
    assert prepared.size == (40, 30)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.pdf", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"),
        ("figures.csv", b"year,value\n2020,3\n2021,5\n"),
        ("notes.txt", "Plain words, with an accent: café.\n".encode()),
        ("brief.docx", office_bytes("docx")),
        ("data.xlsx", office_bytes("xlsx")),
        ("slides.pptx", office_bytes("pptx")),
    ],
)
def test_valid_documents_are_accepted(name, content):
    check_document(upload(name, content))


# --- Refused --------------------------------------------------------------------------------------


def test_oversize_image_is_refused_before_it_is_read(settings):
    settings.UPLOAD_MAX_IMAGE_BYTES = 100
    error = refusal(prepare_image, "photo.jpg", image_bytes("JPEG", size=(200, 200)))
    assert error.code == "too_large"
    assert "the limit is 100" in error.messages[0]


def test_oversize_document_is_refused(settings):
    settings.UPLOAD_MAX_FILE_BYTES = 1024
    error = refusal(check_document, "report.pdf", b"%PDF-1.7\n" + b"0" * 2000)
    assert error.code == "too_large"


def test_png_named_pdf_is_refused():
    assert refusal(check_document, "report.pdf", image_bytes("PNG")).code == "not_a_pdf"


def test_program_named_pdf_is_refused():
    assert refusal(check_document, "report.pdf", b"MZ\x90\x00\x03" + b"\x00" * 100).code == "not_a_pdf"


def test_html_named_png_is_refused():
    error = refusal(prepare_image, "photo.png", b"<!DOCTYPE html><html><script>alert(1)</script></html>")
    assert error.code == "not_an_image"


@pytest.mark.parametrize("name", ["notes.txt", "data.csv"])
def test_html_named_text_is_refused(name):
    assert refusal(check_document, name, b"  <html><body onload='x()'></body></html>").code == "markup"


def test_binary_named_text_is_refused():
    assert refusal(check_document, "notes.txt", b"\x00\x01\x02binary").code == "not_text"


def test_svg_is_refused():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    error = refusal(prepare_image, "logo.svg", svg)
    assert error.code == "svg"
    assert "scripts" in error.messages[0]


def test_svg_named_png_is_refused():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    assert refusal(prepare_image, "logo.png", svg).code == "not_an_image"


def test_jpeg_named_png_is_refused_as_a_mismatch():
    error = refusal(prepare_image, "photo.png", image_bytes("JPEG"))
    assert error.code == "image_mismatch"
    assert "JPEG image" in error.messages[0]


def test_truncated_image_is_refused():
    whole = image_bytes("PNG", size=(300, 300), mode="RGB")
    noisy = io.BytesIO()
    Image.effect_noise((300, 300), 64).convert("RGB").save(noisy, "PNG")
    for content in (whole, noisy.getvalue()):
        assert refusal(prepare_image, "cut.png", content[: len(content) // 2]).code == "not_an_image"


def test_image_with_too_many_pixels_is_refused():
    # 64 megapixels of one colour: a few kilobytes on disk, 190 MB once decoded.
    content = image_bytes("PNG", size=(8000, 8000), mode="1")
    assert len(content) < 100_000
    assert refusal(prepare_image, "bomb.png", content).code == "too_many_pixels"


def test_zip_bomb_named_docx_is_refused():
    content = office_bytes("docx", extra_members=[("word/padding.xml", b"0" * (30 * 1024 * 1024))])
    assert len(content) < 100_000
    assert refusal(check_document, "brief.docx", content).code == "zip_bomb"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("brief.docx", b"PK\x03\x04 not really a zip"),
        ("brief.docx", office_bytes("xlsx")),  # a spreadsheet named as a Word document
        (
            "brief.docx",
            office_bytes("docx", main_type="application/vnd.ms-word.document.macroEnabled.main+xml"),
        ),
        ("brief.docx", b"%PDF-1.7\n"),
    ],
)
def test_files_not_matching_their_office_extension_are_refused(name, content):
    assert refusal(check_document, name, content).code == "office_mismatch"


@pytest.mark.parametrize("name", ["setup.exe", "page.html", "archive.zip", "noextension"])
def test_other_extensions_are_refused(name):
    assert refusal(check_document, name, b"anything").code == "file_type"


def test_image_uploaded_as_a_document_is_sent_to_the_image_kind():
    assert refusal(check_document, "photo.jpg", image_bytes("JPEG")).code == "is_image"


# --- Names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../Rapport Évaluation (final).PDF", "rapport-evaluation-final.pdf"),
        ("C:\\Users\\me\\photo.JPG", "photo.jpg"),
        ("<script>.png", "script.png"),
        (".png", "png"),
        ("...", "file"),
        ("a" * 300 + ".pdf", "a" * 80 + ".pdf"),
    ],
)
def test_filenames_are_sanitised(name, safe):
    assert safe_filename(name) == safe


# --- Processing and storage -----------------------------------------------------------------------


def save_image_resource(case, content, name="Field Photo.JPG"):
    form = ResourceUploadForm(
        data={
            "kind": "image",
            "title": "Staff at the call centre",
            "alt_text": "Two people at desks",
            "position": 0,
        },
        files={"file": upload(name, content)},
        instance=Resource(case=case),
    )
    assert form.is_valid(), form.errors
    return form.save()


def stored_image(name):
    with default_storage.open(name) as stored:
        image = Image.open(io.BytesIO(stored.read()))
        image.load()
        return image


def test_renditions_are_stored_beside_the_original_within_their_sizes():
    resource = save_image_resource(CaseStudyFactory(), image_bytes("JPEG", size=(3000, 2000)))
    assert resource.file.name == f"cases/{resource.case_id}/field-photo.jpg"
    assert (resource.width, resource.height) == (3000, 2000)
    display = stored_image(rendition_name(resource.file.name, "display"))
    thumbnail = stored_image(rendition_name(resource.file.name, "thumbnail"))
    assert display.size == (1600, 1067) == resource.display_size
    assert thumbnail.size == (400, 267) == resource.thumbnail_size
    assert resource.display_url.endswith("field-photo.display.jpg")


def test_small_images_are_never_enlarged():
    resource = save_image_resource(CaseStudyFactory(), image_bytes("PNG", size=(300, 200)), name="small.png")
    assert stored_image(rendition_name(resource.file.name, "display")).size == (300, 200)
    assert stored_image(rendition_name(resource.file.name, "thumbnail")).size == (300, 200)


def test_exif_is_stripped_from_the_original_and_the_renditions():
    exif = Image.Exif()
    exif[CAMERA_MAKE] = "Secret Camera Co"
    exif.get_ifd(GPS_IFD)[2] = (1.0, 17.0, 30.0)  # a latitude
    resource = save_image_resource(CaseStudyFactory(), image_bytes("JPEG", size=(2000, 1000), exif=exif))
    with default_storage.open(resource.file.name) as stored:
        raw = stored.read()
    assert b"Secret Camera Co" not in raw
    for name in (resource.file.name, rendition_name(resource.file.name, "display")):
        image = stored_image(name)
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info


def test_exif_orientation_is_applied_before_it_is_dropped():
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # the camera was turned: the picture is to be shown rotated
    resource = save_image_resource(CaseStudyFactory(), image_bytes("JPEG", size=(2000, 1000), exif=exif))
    assert (resource.width, resource.height) == (1000, 2000)
    assert stored_image(rendition_name(resource.file.name, "display")).size == (800, 1600)


def test_image_needs_alternative_text():
    form = ResourceUploadForm(
        data={"kind": "image", "title": "A photo", "alt_text": "  ", "position": 0},
        files={"file": upload("photo.png", image_bytes("PNG"))},
        instance=Resource(case=CaseStudyFactory()),
    )
    assert not form.is_valid()
    assert form.errors["alt_text"] == ["Describe the image for people who cannot see it."]


def test_database_refuses_an_image_without_alternative_text():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Resource.objects.create(case=CaseStudyFactory(), kind="image", title="x", file="cases/1/x.png")


def test_case_image_include_shows_the_renditions_with_their_sizes(django_assert_max_num_queries):
    case = CaseStudyFactory()
    save_image_resource(case, image_bytes("JPEG", size=(3000, 2000)))
    ResourceFactory(case=case, title="Website")
    loaded = CaseStudy.objects.for_detail().get(pk=case.pk)
    with django_assert_max_num_queries(0):
        html = render_to_string("includes/case_image.html", {"case": loaded})
    assert 'alt="Two people at desks"' in html
    assert "field-photo.thumbnail.jpg 400w" in html
    assert "field-photo.display.jpg 1600w" in html
    assert 'width="1600" height="1067"' in html
    assert "<figcaption>Staff at the call centre</figcaption>" in html


def test_case_image_include_is_empty_without_an_image():
    case = CaseStudyFactory()
    ResourceFactory(case=case)
    assert render_to_string("includes/case_image.html", {"case": case}).strip() == ""


# --- Storage settings -----------------------------------------------------------------------------


def settings_in_subprocess(**env):
    """The storage settings base.py builds from `env`, read in a fresh interpreter."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STORAGE_", "UPLOAD_MAX_"))}
    code = (
        "import json; from observatory.settings import base as b; "
        "print(json.dumps([b.STORAGES['default'], b.UPLOAD_MAX_IMAGE_BYTES, b.UPLOAD_MAX_FILE_BYTES]))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_local_file_storage_is_the_default():
    result = settings_in_subprocess()
    storage, image_limit, file_limit = json.loads(result.stdout)
    assert storage == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert (image_limit, file_limit) == (5 * 1024 * 1024, 20 * 1024 * 1024)


def test_s3_storage_is_configured_from_the_environment():
    result = settings_in_subprocess(
        STORAGE_BACKEND="s3",
        AWS_STORAGE_BUCKET_NAME="observatory-uploads",
        AWS_S3_ENDPOINT_URL="https://s3.example.org",
        AWS_S3_REGION_NAME="ap-southeast-1",
        AWS_ACCESS_KEY_ID="AKIAEXAMPLE",
        AWS_SECRET_ACCESS_KEY="example-secret",
        UPLOAD_MAX_IMAGE_BYTES="1000",
    )
    storage, image_limit, _file_limit = json.loads(result.stdout)
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"] == {
        "bucket_name": "observatory-uploads",
        "endpoint_url": "https://s3.example.org",
        "region_name": "ap-southeast-1",
        "access_key": "AKIAEXAMPLE",
        "secret_key": "example-secret",
        "file_overwrite": False,
        "default_acl": None,
        "querystring_auth": True,
    }
    assert image_limit == 1000


def test_s3_storage_without_a_bucket_is_a_clear_configuration_error():
    result = settings_in_subprocess(STORAGE_BACKEND="s3")
    assert result.returncode != 0
    assert "ImproperlyConfigured: STORAGE_BACKEND=s3: set AWS_STORAGE_BUCKET_NAME" in result.stderr


def test_unknown_storage_backend_is_a_clear_configuration_error():
    result = settings_in_subprocess(STORAGE_BACKEND="ftp")
    assert "STORAGE_BACKEND must be 'filesystem' or 's3', not 'ftp'" in result.stderr


# --- Admin ----------------------------------------------------------------------------------------


def case_form_data(case, **resource):
    data = {
        "title": case.title,
        "slug": case.slug,
        "summary": case.summary,
        "overview": case.overview,
        "lead_organisation": case.lead_organisation,
        "organisation_type": "government",
        "economy": case.economy_id,
        "level": "national",
        "sectors": [s.pk for s in case.sectors.all()],
        "stage": "implementation",
        "licence": "CC BY 4.0",
        "outcomes-TOTAL_FORMS": 0,
        "outcomes-INITIAL_FORMS": 0,
        "links_out-TOTAL_FORMS": 0,
        "links_out-INITIAL_FORMS": 0,
        "organisation_links-TOTAL_FORMS": 0,
        "organisation_links-INITIAL_FORMS": 0,
        "method_links-TOTAL_FORMS": 0,
        "method_links-INITIAL_FORMS": 0,
        "toolkit_links-TOTAL_FORMS": 0,
        "toolkit_links-INITIAL_FORMS": 0,
        "translations-TOTAL_FORMS": 0,
        "translations-INITIAL_FORMS": 0,
        "original_language": "en",
        "resources-TOTAL_FORMS": 1,
        "resources-INITIAL_FORMS": 0,
    }
    data.update({f"resources-0-{key}": value for key, value in resource.items()})
    return data


def test_admin_inline_upload_of_a_disguised_file_is_a_form_error(admin_client):
    case = CaseStudyFactory(status="draft")
    data = case_form_data(
        case, kind="file", title="Report", position=0, file=upload("report.pdf", b"<html>not a pdf</html>")
    )
    response = admin_client.post(reverse("admin:cases_casestudy_change", args=[case.pk]), data)
    assert response.status_code == 200
    assert "This file is not a PDF document, whatever its name says." in response.content.decode()
    assert not Resource.objects.exists()


def test_admin_inline_upload_of_an_image_stores_it_with_renditions(admin_client):
    case = CaseStudyFactory(status="draft")
    data = case_form_data(
        case,
        kind="image",
        title="The call centre",
        alt_text="Staff answering calls",
        position=0,
        file=upload("Centre.png", image_bytes("PNG", size=(2400, 1200))),
    )
    response = admin_client.post(reverse("admin:cases_casestudy_change", args=[case.pk]), data)
    assert response.status_code == 302
    resource = Resource.objects.get()
    assert (resource.width, resource.height) == (2400, 1200)
    assert stored_image(rendition_name(resource.file.name, "thumbnail")).size == (400, 200)


def test_resource_admin_refuses_an_svg_with_a_message(admin_client):
    case = CaseStudyFactory()
    response = admin_client.post(
        reverse("admin:cases_resource_add"),
        {
            "case": case.pk,
            "kind": "image",
            "title": "Logo",
            "alt_text": "The logo",
            "position": 0,
            "file": upload("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
        },
    )
    assert response.status_code == 200
    assert "SVG images are not accepted" in response.content.decode()
    assert not Resource.objects.exists()


def test_resource_admin_stores_a_valid_pdf(admin_client):
    case = CaseStudyFactory()
    response = admin_client.post(
        reverse("admin:cases_resource_add"),
        {
            "case": case.pk,
            "kind": "file",
            "title": "Evaluation",
            "position": 0,
            "file": upload("Evaluation 2024.pdf", b"%PDF-1.7\n%%EOF\n"),
        },
    )
    assert response.status_code == 302
    assert Resource.objects.get().file.name == f"cases/{case.pk}/evaluation-2024.pdf"

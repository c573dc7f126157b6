"""Uploads: a case's files and images, checked by what they contain and not only by their name.

- Size: at most UPLOAD_MAX_IMAGE_BYTES for an image, UPLOAD_MAX_FILE_BYTES for a document (settings).
- Type: the extension must be allowed AND the content must be what the extension says. Images (JPEG, PNG,
  WebP) are verified by Pillow, then decoded in full; documents are PDF (starts with `%PDF-`), plain text or
  CSV (UTF-8, not HTML), or Word/Excel/PowerPoint (a zip whose [Content_Types].xml names the right main
  part). SVG is refused: it can carry scripts.
- Names: reduced to safe ASCII (`safe_filename`), whatever the browser sent.
- Images are re-encoded without their metadata (EXIF can hold where a photo was taken) and stored with
  two renditions beside them, `<name>.display.<ext>` and `<name>.thumbnail.<ext>`, through the file
  field's storage (Django's storage API: local files or S3-compatible object storage).

`ResourceUploadForm` applies all of this; the admin's resource forms use it.
"""

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

from cases.models import Resource, ResourceKind
from cases.models.files import RENDITIONS, fitted_size, rendition_name, safe_filename

DEFAULT_MAX_IMAGE_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024

# Extension -> the Pillow format its content must have.
IMAGE_FORMATS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
DOCUMENT_EXTENSIONS = {"pdf", "txt", "csv", "docx", "xlsx", "pptx"}
# The type a document is stored and served with, from what its checks established, never from what the
# browser claimed: on object storage the object keeps the type it was saved with, and a PDF sent as
# text/html would be rendered as a page on the bucket's domain.
DOCUMENT_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "txt": "text/plain; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
# The main part an Office Open XML file of each kind declares (macro-enabled variants declare others).
OFFICE_MAIN_CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
# A larger picture is either a decompression bomb or far more than a web page needs (and would take
# hundreds of megabytes of memory to decode).
MAX_IMAGE_PIXELS = 40_000_000
# Zip bombs: an Office file unpacking to more than this, or packed more tightly than this, is refused.
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_ZIP_MEMBERS = 5000
HTML_STARTS = (b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<svg", b"<?xml", b"<iframe")


def max_image_bytes() -> int:
    return getattr(settings, "UPLOAD_MAX_IMAGE_BYTES", DEFAULT_MAX_IMAGE_BYTES)


def max_file_bytes() -> int:
    return getattr(settings, "UPLOAD_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES)


# --- Names ----------------------------------------------------------------------------------------


def extension_of(name: str) -> str:
    return PurePosixPath(name.replace("\\", "/")).suffix.lower().lstrip(".")


# --- Checks ---------------------------------------------------------------------------------------


def _refuse(message, code: str, **params):
    raise ValidationError(message, code=code, params=params or None)


def check_size(upload, limit: int) -> None:
    if upload.size > limit:
        _refuse(
            _("The file is %(size)s; the limit is %(limit)s. Make it smaller and upload it again."),
            "too_large",
            size=filesizeformat(upload.size),
            limit=filesizeformat(limit),
        )


def _read_all(upload) -> bytes:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data


@dataclass
class PreparedImage:
    """A verified image, re-encoded without metadata, ready to store with its renditions."""

    content: bytes
    format: str
    extension: str
    size: tuple[int, int]
    image: Image.Image

    def as_file(self, original_name: str) -> ContentFile:
        return ContentFile(
            self.content, name=f"{PurePosixPath(safe_filename(original_name)).stem}.{self.extension}"
        )

    def rendition(self, rendition: str) -> bytes:
        return _encode(
            self.image.resize(fitted_size(self.size, rendition), Image.Resampling.LANCZOS), self.format
        )


def _encode(image: Image.Image, image_format: str) -> bytes:
    """The image in `image_format` with no EXIF, XMP or text metadata: only what is passed here is written."""
    output = io.BytesIO()
    profile = {"icc_profile": image.info["icc_profile"]} if image.info.get("icc_profile") else {}
    if image_format == "JPEG":
        image.save(output, "JPEG", quality=88, optimize=True, progressive=True, **profile)
    elif image_format == "PNG":
        image.save(output, "PNG", optimize=True, **profile)
    else:
        image.save(output, "WEBP", quality=85, **profile)
    return output.getvalue()


def prepare_image(upload) -> PreparedImage:
    """Check an uploaded image and return it re-encoded without metadata; ValidationError if it is not a
    JPEG, PNG or WebP image whose content matches its name, within the size limits."""
    extension = extension_of(upload.name)
    if extension == "svg":
        _refuse(_("SVG images are not accepted (they can contain scripts). Upload a PNG or JPEG."), "svg")
    if extension not in IMAGE_FORMATS:
        _refuse(
            _("“.%(extension)s” is not an image type we accept. Upload a JPEG, PNG or WebP image."),
            "image_type",
            extension=extension or "?",
        )
    check_size(upload, max_image_bytes())
    data = _read_all(upload)
    try:
        # formats=: only these decoders ever look at an upload, never Pillow's less used ones.
        with Image.open(io.BytesIO(data), formats=list(set(IMAGE_FORMATS.values()))) as probe:
            image_format = probe.format
            width, height = probe.size
            if width * height > MAX_IMAGE_PIXELS:
                _refuse(
                    _("The image is %(width)d by %(height)d pixels; the limit is %(limit)d megapixels."),
                    "too_many_pixels",
                    width=width,
                    height=height,
                    limit=MAX_IMAGE_PIXELS // 1_000_000,
                )
            probe.verify()  # checks the structure (chunk checksums and the like) without decoding
        # verify() leaves the image unusable: reopen, then decode every pixel, which finds truncation.
        with Image.open(io.BytesIO(data), formats=[image_format]) as reopened:
            image = ImageOps.exif_transpose(reopened)  # keep the orientation EXIF described, then drop it
            image.load()
        if IMAGE_FORMATS[extension] != image_format:
            _refuse(
                _(
                    "The file is a %(actual)s image but its name ends in “.%(extension)s”. "
                    "Rename it and upload it again."
                ),
                "image_mismatch",
                actual=image_format,
                extension=extension,
            )
        if image_format == "JPEG" and image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        elif image_format != "JPEG" and image.mode not in ("RGB", "RGBA", "L", "LA"):
            image = image.convert("RGBA")
        # Only the colour profile is kept: EXIF (camera, place, time), XMP and text chunks are not carried.
        image.info = {key: value for key, value in image.info.items() if key == "icc_profile"}
        content = _encode(image, image_format)
    except ValidationError:
        raise
    except Exception as error:  # Pillow reports a bad file with many exception types
        raise ValidationError(
            _("This file is not a readable JPEG, PNG or WebP image (it may be damaged or of another type)."),
            code="not_an_image",
        ) from error
    stored_extension = "jpg" if image_format == "JPEG" else extension
    return PreparedImage(content, image_format, stored_extension, image.size, image)


def _check_pdf(data: bytes) -> None:
    if not data.startswith(b"%PDF-"):
        _refuse(_("This file is not a PDF document, whatever its name says."), "not_a_pdf")


def _check_text(data: bytes, extension: str) -> None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        _refuse(_("A .%(extension)s file must be plain text in UTF-8."), "not_text", extension=extension)
    if "\x00" in text:
        _refuse(_("A .%(extension)s file must be plain text in UTF-8."), "not_text", extension=extension)
    if text.lstrip()[:20].lower().encode().startswith(HTML_STARTS):
        _refuse(_("This file is a web page or markup, not plain text."), "markup")


def _check_office(upload, extension: str) -> None:
    refused = _("This file is not a %(kind)s document, whatever its name says.")
    kind = {"docx": "Word", "xlsx": "Excel", "pptx": "PowerPoint"}[extension]
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            members = archive.infolist()
            unpacked = sum(member.file_size for member in members)
            packed = sum(member.compress_size for member in members) or 1
            if (
                len(members) > MAX_ZIP_MEMBERS
                or unpacked > MAX_UNZIPPED_BYTES
                or unpacked / packed > MAX_COMPRESSION_RATIO
            ):
                _refuse(_("This document unpacks to far more than its size (a “zip bomb”)."), "zip_bomb")
            content_types = archive.getinfo("[Content_Types].xml")
            if content_types.file_size > 1024 * 1024:
                _refuse(refused, "office_mismatch", kind=kind)
            declared = archive.read(content_types).decode("utf-8", "replace")
    except ValidationError:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, EOFError) as error:
        raise ValidationError(refused, code="office_mismatch", params={"kind": kind}) from error
    finally:
        upload.seek(0)
    if OFFICE_MAIN_CONTENT_TYPES[extension] not in declared:
        _refuse(refused, "office_mismatch", kind=kind)


def check_document(upload) -> None:
    """ValidationError unless `upload` is an accepted document whose content matches its name."""
    extension = extension_of(upload.name)
    if extension in IMAGE_FORMATS or extension == "svg":
        _refuse(
            _("This is an image: choose “Image” as the kind, and describe it in the alternative text."),
            "is_image",
        )
    if extension not in DOCUMENT_EXTENSIONS:
        _refuse(
            _(
                "“.%(extension)s” files are not accepted. Upload a PDF, a Word, Excel or PowerPoint "
                "document, or a text or CSV file."
            ),
            "file_type",
            extension=extension or "?",
        )
    check_size(upload, max_file_bytes())
    if extension in OFFICE_MAIN_CONTENT_TYPES:
        _check_office(upload, extension)
    else:
        data = _read_all(upload)
        if extension == "pdf":
            _check_pdf(data)
        else:
            _check_text(data, extension)
    upload.content_type = DOCUMENT_CONTENT_TYPES[extension]


# --- Storing --------------------------------------------------------------------------------------


def store_renditions(resource: Resource, prepared: PreparedImage) -> dict[str, str]:
    """Write the display and thumbnail renditions beside the resource's stored image; {rendition: name}."""
    storage = resource.file.storage
    names = {}
    for rendition in RENDITIONS:
        name = rendition_name(resource.file.name, rendition)
        if storage.exists(name):  # left by an earlier file of the same name: the name must stay derivable
            storage.delete(name)
        names[rendition] = storage.save(name, ContentFile(prepared.rendition(rendition)))
    return names


class ResourceUploadForm(forms.ModelForm):
    """A case's link, file or image, with every upload checked (cases/curation/uploads.py) and images
    processed."""

    class Meta:
        model = Resource
        fields = ["kind", "title", "url", "file", "alt_text", "position"]

    prepared_image: PreparedImage | None = None

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        upload = cleaned.get("file")
        self.prepared_image = None
        if isinstance(upload, UploadedFile):
            try:
                if kind == ResourceKind.IMAGE:
                    self.prepared_image = prepare_image(upload)
                    cleaned["file"] = self.prepared_image.as_file(upload.name)
                elif kind == ResourceKind.FILE:
                    check_document(upload)
                else:
                    self.add_error("file", _("A link has no file: choose “File” or “Image” as the kind."))
            except ValidationError as error:
                self.add_error("file", error)
        elif kind == ResourceKind.IMAGE and upload and "kind" in self.changed_data:
            self.add_error("file", _("Upload the image again, so that it can be checked as an image."))
        if (
            kind == ResourceKind.IMAGE
            and not (cleaned.get("alt_text") or "").strip()
            and "alt_text" not in self.errors
        ):
            self.add_error("alt_text", _("Describe the image for people who cannot see it."))
        return cleaned

    def save(self, commit=True):
        resource = super().save(commit=False)
        prepared = self.prepared_image
        if prepared is not None:
            resource.width, resource.height = prepared.size
        elif resource.kind != ResourceKind.IMAGE or not resource.file:
            resource.width = resource.height = None
        save_m2m = self.save_m2m

        def save_m2m_and_renditions():
            # Renditions are named after the stored file, so they are written once the file is saved.
            save_m2m()
            if prepared is not None:
                store_renditions(resource, prepared)

        if commit:
            resource.save()
            save_m2m_and_renditions()
        else:
            self.save_m2m = save_m2m_and_renditions
        return resource

"""Names of the files a case holds: where an upload is stored and where its renditions live beside it.

Pure functions of names and sizes, used by the Resource model (its upload path and rendition addresses)
and by the upload checks (cases/curation/uploads.py), which make the renditions.
"""

from pathlib import PurePosixPath

from django.utils.text import slugify

# Longest edge of each rendition, in pixels: the case page's picture and a small preview.
RENDITIONS = {"display": 1600, "thumbnail": 400}
MAX_STEM_LENGTH = 80


def safe_filename(name: str) -> str:
    """`name` as a short, lower-case ASCII file name: no folders, no spaces, no surprises.

    "../../Rapport Évaluation (final).PDF" -> "rapport-evaluation-final.pdf"
    """
    base = PurePosixPath(name.replace("\\", "/")).name
    path = PurePosixPath(base)
    extension = slugify(path.suffix.lstrip("."))[:10] if path.suffix else ""
    stem = slugify(path.stem if path.suffix else base)[:MAX_STEM_LENGTH].strip("-_") or "file"
    return f"{stem}.{extension}" if extension else stem


def rendition_name(name: str, rendition: str) -> str:
    """Where the rendition of the stored file `name` lives: beside it, `photo.jpg` -> `photo.display.jpg`."""
    path = PurePosixPath(name)
    return str(path.with_name(f"{path.stem}.{rendition}{path.suffix}"))


def fitted_size(size: tuple[int, int], rendition: str) -> tuple[int, int]:
    """(width, height) of `size` scaled down, never up, to fit a square of the rendition's edge."""
    width, height = size
    scale = min(1, RENDITIONS[rendition] / width, RENDITIONS[rendition] / height)
    return max(1, round(width * scale)), max(1, round(height * scale))

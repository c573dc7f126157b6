"""Open data for people and harvesters (docs/open-data.md): the dumps' files at /data/<YYYY-MM-DD>/<file> and
/data/latest/<file>, and the page /data/ that describes them (files, licence, codebook, how to cite, and
schema.org Dataset markup for dataset search engines).

The files are the open-data storage's, written by cases/interchange/dumps.py; only names a dump writes are
served, so nothing else in that storage can be reached through the address."""

import json
import re
from datetime import date

from django.conf import settings
from django.core.files.storage import storages
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from cases.interchange import dumps

DUMP_FOLDER = re.compile(r"^(latest|\d{4}-\d{2}-\d{2})$")
MEDIA_TYPES = {".csv.gz": "application/gzip", ".csv": "text/csv; charset=utf-8", ".json": "application/json"}


def _file_names() -> set[str]:
    names = {dumps.DATAPACKAGE, dumps.CHECKSUMS, "cases.csv.gz", "cases.jsonl.gz"}
    return names | {f"{table.name}.csv" for table in dumps.tables()[1:]}


@require_safe
def dump_file(request, folder: str, name: str):
    """One file of a dump. A dated dump never changes: cached for a year; latest/ for an hour."""
    if not DUMP_FOLDER.match(folder) or name not in _file_names():
        raise Http404(_("No such open-data file."))
    storage = storages[dumps.STORAGE]
    path = f"{folder}/{name}"
    if not storage.exists(path) or not storage.exists(f"{folder}/{dumps.DATAPACKAGE}"):
        raise Http404(_("No such open-data file."))
    media_type = next(
        (kind for ending, kind in MEDIA_TYPES.items() if name.endswith(ending)), "text/plain; charset=utf-8"
    )
    if name.endswith(".jsonl.gz"):
        media_type = "application/gzip"
    response = FileResponse(
        storage.open(path, "rb"), content_type=media_type, as_attachment=name.endswith(".gz")
    )
    response["Content-Length"] = storage.size(path)
    if folder == dumps.LATEST:
        response["Cache-Control"] = "public, max-age=3600"
    else:
        response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


class OpenDataPageView(TemplateView):
    template_name = "pages/open_data.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        package = _latest_package()
        base = f"{settings.SITE_URL}/data/latest/"
        context |= {
            "package": package,
            "base": base,
            "tables": dumps.tables(),
            "days": dumps.dump_days()[:30],
            "licence": dumps.LICENCE,
            "title": settings.OPEN_DATA_TITLE,
            "publisher": settings.OPEN_DATA_PUBLISHER,
            "json_ld": _json_ld(package, base) if package else None,
        }
        if package:
            context["version"] = date.fromisoformat(package["version"])
        return context


def _latest_package() -> dict | None:
    storage = storages[dumps.STORAGE]
    path = f"{dumps.LATEST}/{dumps.DATAPACKAGE}"
    if not storage.exists(path):
        return None
    with storage.open(path, "rb") as stream:
        return json.loads(stream.read())


def _json_ld(package: dict, base: str) -> str:
    """schema.org Dataset markup, for dataset search engines."""
    dataset = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": package["title"],
        "description": package["description"],
        "url": f"{settings.SITE_URL}/data/",
        "license": dumps.LICENCE["path"],
        "isAccessibleForFree": True,
        "version": package["version"],
        "dateModified": package["version"],
        "creator": {"@type": "Organization", "name": settings.OPEN_DATA_PUBLISHER},
        "publisher": {"@type": "Organization", "name": settings.OPEN_DATA_PUBLISHER},
        "keywords": package.get("keywords", []),
        "distribution": [
            {
                "@type": "DataDownload",
                "name": resource["title"],
                "contentUrl": base + resource["path"],
                "encodingFormat": resource["mediatype"],
                "contentSize": f"{resource['bytes']} B",
            }
            for resource in package["resources"]
        ],
    }
    # Inside a <script> element: "</" must not end it early.
    return json.dumps(dataset, ensure_ascii=False).replace("</", "<\\/")


open_data_page = cache_control(max_age=600, public=True)(OpenDataPageView.as_view())

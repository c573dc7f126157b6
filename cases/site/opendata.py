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
from django.http import FileResponse, Http404, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from cases.interchange import dumps
from cases.models import Economy

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


# --- The DCAT-AP catalogue -------------------------------------------------------------------------

DCAT_CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "spdx": "http://spdx.org/rdf/terms#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
}
# Countries as DCAT-AP names them: the EU Publications Office's authority table, by ISO 3166-1 alpha-3.
COUNTRY_AUTHORITY = "http://publications.europa.eu/resource/authority/country/"
FREQUENCY_DAILY = "http://publications.europa.eu/resource/authority/frequency/DAILY"
SHA256 = "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"


def _literal(value, datatype: str) -> dict:
    return {"@value": value, "@type": datatype}


def catalogue(package: dict | None, site: str, economies: list[str]) -> dict:
    """The catalogue as DCAT-AP 3 JSON-LD (its context inline: nothing to fetch): the dataset with a
    distribution per file of the latest release, and the API as a data service."""
    dataset_id = f"{site}/data/#dataset"
    licence = {"@id": dumps.LICENCE["path"]}
    publisher = {
        "@id": f"{site}/#publisher",
        "@type": "foaf:Agent",
        "foaf:name": settings.OPEN_DATA_PUBLISHER,
    }
    distributions = []
    for resource in (package or {}).get("resources", []):
        url = f"{site}/data/latest/{resource['path']}"
        distributions.append(
            {
                "@id": url,
                "@type": "dcat:Distribution",
                "dct:title": resource["title"],
                "dcat:accessURL": {"@id": f"{site}/data/"},
                "dcat:downloadURL": {"@id": url},
                "dcat:mediaType": {"@id": f"https://www.iana.org/assignments/media-types/{resource['mediatype']}"},
                "dct:format": resource["format"],
                "dcat:byteSize": _literal(str(resource["bytes"]), "xsd:nonNegativeInteger"),
                "spdx:checksum": {
                    "@type": "spdx:Checksum",
                    "spdx:algorithm": {"@id": SHA256},
                    "spdx:checksumValue": _literal(resource["hash"].removeprefix("sha256:"), "xsd:hexBinary"),
                },
                "dct:license": licence,
                "dct:modified": _literal(package["version"], "xsd:date"),
                **({"dcat:compressFormat": {"@id": "https://www.iana.org/assignments/media-types/application/gzip"}}
                   if resource.get("compression") == "gz" else {}),
            }
        )  # fmt: skip
    dataset = {
        "@id": dataset_id,
        "@type": "dcat:Dataset",
        "dct:title": settings.OPEN_DATA_TITLE,
        "dct:description": settings.OPEN_DATA_DESCRIPTION,
        "dct:publisher": {"@id": publisher["@id"]},
        "dct:license": licence,
        "dcat:landingPage": {"@id": f"{site}/data/"},
        "dct:accrualPeriodicity": {"@id": FREQUENCY_DAILY},
        "dcat:keyword": ["public sector innovation", "case studies", "government"],
        "dct:spatial": [{"@id": f"{COUNTRY_AUTHORITY}{code}"} for code in economies],
        "dcat:distribution": distributions,
    }
    if package:
        dataset["dct:modified"] = _literal(package["version"], "xsd:date")
        dataset["dcat:version"] = package["version"]
    service = {
        "@id": f"{site}/api/v1/",
        "@type": "dcat:DataService",
        "dct:title": "Observatory API",
        "dct:description": "The REST API of the catalogue: filtered lists, details, facet counts, harvest.",
        "dcat:endpointURL": {"@id": f"{site}/api/v1/"},
        "dcat:endpointDescription": {"@id": f"{site}/api/schema/"},
        "dcat:servesDataset": {"@id": dataset_id},
        "dct:license": licence,
        "dct:publisher": {"@id": publisher["@id"]},
    }
    return {
        "@context": DCAT_CONTEXT,
        "@graph": [
            {
                "@id": f"{site}/catalog.jsonld",
                "@type": "dcat:Catalog",
                "dct:title": settings.OPEN_DATA_TITLE,
                "dct:description": settings.OPEN_DATA_DESCRIPTION,
                "dct:publisher": {"@id": publisher["@id"]},
                "foaf:homepage": {"@id": f"{site}/"},
                "dct:license": licence,
                "dcat:dataset": {"@id": dataset_id},
                "dcat:service": {"@id": service["@id"]},
            },
            publisher,
            dataset,
            service,
        ],
    }


@require_safe
@cache_control(max_age=600, public=True)
def catalog_jsonld(request):
    economies = list(
        Economy.objects.filter(is_apo_member=True).order_by("iso3").values_list("iso3", flat=True)
    )
    document = catalogue(_latest_package(), settings.SITE_URL, economies)
    return HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2), content_type="application/ld+json; charset=utf-8"
    )

"""Open data for people and harvesters (docs/open-data.md): the dumps' files at /data/<YYYY-MM-DD>/<file> and
/data/latest/<file>, and the page /data/ that describes them (files, licence, codebook, how to cite, and
schema.org Dataset markup for dataset search engines).

The files are the open-data storage's, written by cases/interchange/dumps.py; only names a dump writes are
served, so nothing else in that storage can be reached through the address."""

import functools
import json
import logging
import re
from datetime import date

import rdflib
from django.conf import settings
from django.core.files.storage import storages
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from cases.interchange import dumps
from cases.models import Economy
from cases.web.errors import service_unavailable_response

logger = logging.getLogger(__name__)

_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}
DUMP_FOLDER = re.compile(r"^(latest|\d{4}-\d{2}-\d{2})$")
# Object storage that cannot be reached (refused, timed out: botocore's own errors, not OSError) is an
# outage like the database's: a calm 503 with Retry-After, not a 500.
try:
    from botocore.exceptions import BotoCoreError

    STORAGE_OUTAGES: tuple[type[BaseException], ...] = (BotoCoreError,)
except ImportError:  # the `s3` extra is not installed: the files are on the local disk
    STORAGE_OUTAGES = ()
STORAGE_RETRY_AFTER = 30


def storage_outage_is_503(view):
    @functools.wraps(view)
    def answering(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except STORAGE_OUTAGES as error:
            logger.error("Open-data storage unavailable, answering 503 to %s: %s", request.path, error)
            return service_unavailable_response(request, STORAGE_RETRY_AFTER)

    return answering


TURTLE_PREFIXES = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "spdx": "http://spdx.org/rdf/terms#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
}
MEDIA_TYPES = {
    ".csv.gz": "application/gzip",
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".parquet": dumps.PARQUET_MEDIA_TYPE,
}


@require_safe
@storage_outage_is_503
def dump_file(request, folder: str, name: str):
    """One file of a dump; `latest` is the newest complete one. Cached for a year when its day is past (a
    dump of a past day never changes), for ten minutes when it is today's or `latest` (a take-down may
    write today's again). Its ETag is its SHA-256, as the dump's package gives it."""
    if not DUMP_FOLDER.match(folder) or name not in dumps.file_names():
        raise Http404(_("No such open-data file."))
    day = dumps.latest_day() if folder == dumps.LATEST else _day(folder)
    package = _package(day) if day else None
    if package is None:
        raise Http404(_("No such open-data file."))
    storage = storages[dumps.STORAGE]
    path = f"{day.isoformat()}/{name}"
    digest = next(
        (each["hash"].removeprefix("sha256:") for each in package["resources"] if each["path"] == name), ""
    )
    etag = f'"{digest}"' if digest else None
    if etag and etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        try:
            stream = storage.open(path, "rb")
            size = storage.size(path)
        except (FileNotFoundError, OSError):
            raise Http404(_("No such open-data file.")) from None
        response = FileResponse(stream, content_type=_media_type(name), as_attachment=name.endswith(".gz"))
        response["Content-Length"] = size
    if etag:
        response["ETag"] = etag
    if folder == dumps.LATEST or day >= timezone.localdate():
        response["Cache-Control"] = "public, max-age=600"
    else:
        response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def _day(folder: str) -> date | None:
    try:
        return date.fromisoformat(folder)
    except ValueError:
        return None


def _media_type(name: str) -> str:
    if name.endswith(".gz"):
        return "application/gzip"
    return next(
        (kind for ending, kind in MEDIA_TYPES.items() if name.endswith(ending)), "text/plain; charset=utf-8"
    )


class OpenDataPageView(TemplateView):
    template_name = "pages/open_data.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        package = _latest_package()
        base = f"{settings.SITE_URL}/data/{package['version']}/" if package else ""
        context |= {
            "package": package,
            "base": base,
            "tables": dumps.tables(),
            "earlier_days": dumps.dump_days()[1:30],
            "site": settings.SITE_URL,
            "licence": dumps.LICENCE,
            "title": settings.OPEN_DATA_TITLE,
            "publisher": settings.OPEN_DATA_PUBLISHER,
            "json_ld": _json_ld(package, base) if package else None,
        }
        if package:
            context["version"] = date.fromisoformat(package["version"])
        return context


def _package(day: date) -> dict | None:
    """The Data Package of the complete dump of `day`, or None."""
    storage = storages[dumps.STORAGE]
    try:
        with storage.open(f"{day.isoformat()}/{dumps.DATAPACKAGE}", "rb") as stream:
            return json.loads(stream.read())
    except (FileNotFoundError, OSError, ValueError):
        return None


def _latest_package() -> dict | None:
    day = dumps.latest_day()
    return _package(day) if day else None


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
                "encodingFormat": "application/gzip"
                if resource.get("compression")
                else resource["mediatype"],
                "contentSize": f"{resource['bytes']} B",
            }
            for resource in package["resources"]
        ],
    }
    # Inside a <script> element: escaped as Django's json_script does, so no text can end it or open one.
    return json.dumps(dataset, ensure_ascii=False).translate(_SCRIPT_ESCAPES)


open_data_page = cache_control(max_age=600, public=True)(storage_outage_is_503(OpenDataPageView.as_view()))


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
# File types as DCAT-AP names them (the EU Publications Office's authority table).
FILE_TYPES = {
    "csv": "http://publications.europa.eu/resource/authority/file-type/CSV",
    "jsonl": "http://publications.europa.eu/resource/authority/file-type/JSON",
    "parquet": "http://publications.europa.eu/resource/authority/file-type/PARQUET",
}
ENGLISH = "http://publications.europa.eu/resource/authority/language/ENG"
FREQUENCY_DAILY = "http://publications.europa.eu/resource/authority/frequency/DAILY"
SHA256 = "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"


def _literal(value, datatype: str) -> dict:
    return {"@value": value, "@type": datatype}


def catalogue(package: dict | None, site: str, economies: list[str], first_day: date | None = None) -> dict:
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
        # The file of that release: its size and checksum hold for it, where latest/ moves on each day.
        url = f"{site}/data/{package['version']}/{resource['path']}"
        distributions.append(
            {
                "@id": url,
                "@type": "dcat:Distribution",
                "dct:title": resource["title"],
                "dcat:accessURL": {"@id": f"{site}/data/"},
                "dcat:downloadURL": {"@id": url},
                "dcat:mediaType": {"@id": f"https://www.iana.org/assignments/media-types/{resource['mediatype']}"},
                "dct:format": {"@id": FILE_TYPES[resource["format"]]},
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
        "dct:language": {"@id": ENGLISH},
        "dcat:contactPoint": {
            "@type": "vcard:Organization",
            "vcard:fn": settings.OPEN_DATA_PUBLISHER,
            "vcard:hasEmail": {"@id": f"mailto:{settings.CONTACT_EMAIL}"},
        },
        "dcat:distribution": distributions,
    }
    if package:
        dataset["dct:issued"] = _literal(first_day.isoformat(), "xsd:date")
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
                "dct:language": {"@id": ENGLISH},
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
@storage_outage_is_503
def catalog_jsonld(request):
    return HttpResponse(
        json.dumps(_dcat_catalogue(), ensure_ascii=False, indent=2),
        content_type="application/ld+json; charset=utf-8",
    )


@require_safe
@cache_control(max_age=600, public=True)
@storage_outage_is_503
def catalog_turtle(request):
    """The same DCAT-AP catalogue as Turtle, for harvesters that read no JSON-LD (rdflib: the JSON-LD's
    context is inline, so nothing is fetched)."""
    graph = rdflib.Graph().parse(data=json.dumps(_dcat_catalogue()), format="json-ld")
    for prefix, namespace in TURTLE_PREFIXES.items():
        graph.bind(prefix, namespace)
    return HttpResponse(graph.serialize(format="turtle"), content_type="text/turtle; charset=utf-8")


def _dcat_catalogue() -> dict:
    economies = list(
        Economy.objects.filter(is_apo_member=True).order_by("iso3").values_list("iso3", flat=True)
    )
    days = dumps.dump_days()
    return catalogue(_latest_package(), settings.SITE_URL, economies, first_day=days[-1] if days else None)

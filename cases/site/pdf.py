"""A published case as a PDF, for officials who brief on paper (issue 19): /cases/<slug>/pdf/ and its
language versions (/th/cases/<slug>/pdf/).

Made on the server by WeasyPrint (HTML and CSS to PDF through Pango and HarfBuzz: no browser) from its
own template (templates/cases/casestudy_pdf.html) and stylesheet (static/css/pdf.css). The text is what
the case page shows its reader: the published translation into the reader's language when there is one
(`?text=original` asks for the original, as on the page), the narrative from the HTML stored for it, dates
and years in the reader's era. Only published cases: any other state answers the case page's 404, for
staff too (a PDF travels further than a preview); a former slug answers 301 to the current PDF.

WeasyPrint fetches nothing over the network: its fetcher (`local_files_fetcher`) serves the project's own
static files (the stylesheet) and the case's image from storage, and refuses every other address (links in
the text are written into the PDF, never fetched). The fonts are the system's (fontconfig): Debian's
fonts-dejavu-core, fonts-tlwg-garuda-ttf (Thai) and fonts-wqy-microhei (Chinese, Japanese, Korean), which
`make pdf-deps` installs (docs/deployment.md).

Making a PDF takes a few hundred milliseconds (bench/pdf.py), so the bytes are cached under the case
page's own scope (cases.caching.case_page_scope: a write to the case, or to what its page shows, gives a
new key), the reader's language, the text asked for and the host, for CACHE_SECONDS at most. Only a PDF
that must be made counts against the client's rate limit (the `pdf` rate, PDF_RATE); one over it gets the
site's readable 429 page (programs: problem details). Answers carry an ETag (from the cache key, so a
revalidation costs no PDF) and `Cache-Control: no-cache`, which also keeps these bytes out of the
anonymous page cache (cases/middleware.py), where they would be stored a second time under a key every
write to any case moves.
"""

import functools
import hashlib
import logging
import mimetypes
import threading
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.exceptions import SuspiciousFileOperation
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, get_conditional_response, patch_cache_control
from django.utils.http import content_disposition_header, quote_etag
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from cases.caching import CACHE_SECONDS, _safe, case_page_scope
from cases.models import CaseStudy, FormerSlug, LinkRelation
from cases.models.files import rendition_name
from cases.models.querysets import published_q
from cases.models.translations import CaseText
from cases.site.citation import citation_formats
from cases.web.clients import client_ip
from cases.web.errors import error_response
from cases.web.rate_limits import configured_rate, count_request, rate_sentence

logger = logging.getLogger(__name__)

TEMPLATE = "cases/casestudy_pdf.html"
STYLESHEET = "css/pdf.css"
# The rate (REST_FRAMEWORK's DEFAULT_THROTTLE_RATES, as every limit the pages state) of PDFs made for one
# client; PDFs served from the cache do not count.
RATE_SCOPE = "pdf"
# Change it when what a PDF is made from changes outside the templates, static files and code the cache's
# key version already covers (settings.release_digest): a new font, another WeasyPrint.
PDF_FORMAT = 1
CONTENT_TYPE = "application/pdf"


class RefusedAddress(ValueError):
    """An address the PDF may not fetch: anything but the project's static files and the case's image."""


def static_name(url: str, static_prefix: str) -> str | None:
    """The static file's name `url` addresses (css/pdf.css) under `static_prefix` (the absolute
    STATIC_URL), or None when it is no static address or climbs out of one."""
    if not url.startswith(static_prefix):
        return None
    name = unquote(urlsplit(url).path[len(urlsplit(static_prefix).path) :])
    if not name or name.startswith("/") or ".." in name.split("/") or "\\" in name:
        return None
    return name


@functools.cache
def fetcher_class():
    """LocalFilesFetcher, made on first use: WeasyPrint takes half a second to import (it parses its own
    stylesheets), which no process should pay before it makes a PDF (tests, commands, workers)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalFilesFetcher(URLFetcher):
        """WeasyPrint's fetcher, serving only the project's own static files (found as `collectstatic`
        finds them) and the files named in `files` ({absolute URL: (storage, name)}: the case's image,
        read through its storage, local or S3). Everything else is refused without being opened: no HTTP,
        no file:, no data:. WeasyPrint leaves out what it could not fetch and logs a warning."""

        def __init__(self, *, base_url: str, files: dict | None = None):
            super().__init__(allowed_protocols=(), allow_redirects=False, fail_on_errors=False)
            self.static_prefix = urljoin(base_url, settings.STATIC_URL)
            self.files = files or {}

        def fetch(self, url, headers=None):
            if url in self.files:
                storage, name = self.files[url]
                with storage.open(name, "rb") as file:
                    return self.response(url, name, file.read())
            name = static_name(url, self.static_prefix)
            try:
                path = finders.find(name) if name is not None else None
            except SuspiciousFileOperation:
                path = None
            if not path or isinstance(path, list):
                raise RefusedAddress(f"Not fetched for a PDF: {url}")
            with open(path, "rb") as file:
                return self.response(url, name, file.read())

        @staticmethod
        def response(url: str, name: str, body: bytes):
            kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body, {"Content-Type": kind})

    return LocalFilesFetcher


def local_files_fetcher(*, base_url: str, files: dict | None = None):
    """A fetcher for one PDF: the project's static files and `files`, nothing else (fetcher_class)."""
    return fetcher_class()(base_url=base_url, files=files)


def pdf_filename(slug: str, language: str) -> str:
    """`<slug>.pdf` in English, `<slug>-<language>.pdf` in another: two languages' copies never collide."""
    return f"{slug}.pdf" if language == settings.LANGUAGE_CODE else f"{slug}-{language}.pdf"


def pdf_cache_key(request, scope: str, language: str, original: bool) -> str:
    """The cached PDF's key: the case page's scope and what else changes the bytes (the language, the text
    asked for, the address the PDF prints, which names the host)."""
    parts = (PDF_FORMAT, scope, language, original, request.scheme, request.get_host())
    return "case-pdf:" + hashlib.sha256(repr(parts).encode()).hexdigest()[:40]


def case_image(case, base_url: str):
    """The case's lead image as {"url", "alt", "title"} and the file the fetcher may read for it:
    (context or None, {url: (storage, name)})."""
    image = case.lead_image
    if image is None:
        return None, {}
    name = rendition_name(image.file.name, "display") if image.has_renditions else image.file.name
    url = urljoin(base_url, image.file.storage.url(name))
    return {"url": url, "alt": image.alt_text, "title": image.title}, {url: (image.file.storage, name)}


# One PDF at a time in each process: WeasyPrint does not promise that two threads may lay out at once (it
# shares Pango's and fontconfig's state), and a server's threads would otherwise share it. PDFs are cached
# and rate-limited, so few wait here.
_rendering = threading.Lock()


def render_case_pdf(request, case, *, original: bool = False) -> bytes:
    """The PDF of `case` (read with for_detail() and with_rendered_narrative()) for this request's reader."""
    base_url = request.build_absolute_uri("/")
    text = CaseText.of(case, original=original)
    links = case.links
    image, files = case_image(case, base_url)
    language = get_language()
    context = {
        "case": case,
        "text": text,
        # Text in another language than the document's is marked with its own (fonts are chosen by it).
        "text_lang": text.language if text.language != language else "",
        "image": image,
        "stylesheet": urljoin(base_url, static(STYLESHEET)),
        "canonical_url": request.build_absolute_uri(case.get_absolute_url()),
        "citation": citation_formats(case, request)["APA"],
        "adapted_from": [link.case for link in links if link.relation == LinkRelation.ADAPTED_FROM],
        "replicated_in": [link.case for link in links if link.relation == LinkRelation.REPLICATED_IN],
        "related_links": [link.case for link in links if link.relation == LinkRelation.RELATED_TO],
    }
    html = render_to_string(TEMPLATE, context, request=request)
    from weasyprint import HTML  # on first use, as the fetcher (fetcher_class)

    fetcher = local_files_fetcher(base_url=base_url, files=files)
    # Tagged (PDF/UA-1): a screen reader reads headings, lists, tables and the language of each part.
    with _rendering:
        return HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf(pdf_variant="pdf/ua-1")


def rate_limited_response(request, wait: float):
    """Over the limit of PDFs made: the site's 429 page for a person (problem details for a program), with
    the limit and when to try again."""
    retry_after = max(int(wait + 0.999), 1)
    rate = configured_rate(RATE_SCOPE)
    again = ngettext(
        "You can download again in %(seconds)s second.",
        "You can download again in %(seconds)s seconds.",
        retry_after,
    ) % {"seconds": retry_after}
    response = error_response(
        request,
        status_code=429,
        code="throttled",
        title=_("Too many downloads"),
        detail=f"{rate_sentence(*rate)} {again}" if rate else again,
        headers={"Retry-After": str(retry_after)},
    )
    add_never_cache_headers(response)
    return response


def may_make_pdf(request) -> tuple[bool, float]:
    """Count one PDF made for this client against the `pdf` rate: (allowed, seconds to wait). No rate, or
    no cache to count in: allowed (the limit returns with the cache)."""
    rate = configured_rate(RATE_SCOPE)
    if rate is None:
        return True, 0.0
    count, seconds = rate
    try:
        return count_request(f"pdf-rate:{client_ip(request)}", count, seconds)
    except Exception as error:
        logger.warning("PDF rate not checked, cache unavailable: %s", error)
        return True, 0.0


def pdf_response(request, body: bytes, *, slug: str, etag: str | None):
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    language = get_language()
    response["Content-Disposition"] = content_disposition_header(True, pdf_filename(slug, language))
    response["Content-Language"] = language
    # The page is the case's canonical address; the PDF is a copy of it (RFC 6596, as an HTTP header).
    canonical = request.build_absolute_uri(reverse("cases:casestudy_detail", kwargs={"slug": slug}))
    response["Link"] = f'<{canonical}>; rel="canonical"'
    if etag:
        # No Last-Modified: a new outcome or translation changes the PDF without moving the case's
        # updated_at, and a client asking If-Modified-Since alone would be told nothing changed.
        response["ETag"] = quote_etag(etag)
    # Kept by browsers and shared caches, asked again each time (an ETag makes that a 304).
    patch_cache_control(response, no_cache=True)
    return response


def published_case(slug: str):
    """The published case `slug` with everything its PDF shows (a fixed number of queries), or None."""
    language = get_language()
    cases = CaseStudy.objects.published().for_detail().with_rendered_narrative(language)
    return cases.filter(slug=slug).first()


@require_safe
def case_pdf(request, slug):
    original = request.GET.get("text") == "original"
    language = get_language()
    scope = case_page_scope(slug)  # None: not published, or nothing may be cached now
    key = etag = None
    body = None
    if scope is not None:
        key = pdf_cache_key(request, scope, language, original)
        etag = f'W/"{key.split(":", 1)[1][:32]}"'
        not_modified = get_conditional_response(request, etag=etag)
        if not_modified is not None:
            not_modified["ETag"] = etag
            patch_cache_control(not_modified, no_cache=True)
            return not_modified
        body = _safe(lambda: cache.get(key))
    if body is None:
        case = published_case(slug)
        if case is None:
            former = FormerSlug.objects.filter(published_q("case"), slug=slug).select_related("case").first()
            if former is not None:
                target = reverse("cases:casestudy_pdf", kwargs={"slug": former.case.slug})
                return HttpResponsePermanentRedirect(target + ("?text=original" if original else ""))
            raise Http404("No published case has this slug.")  # the 404 page says it in words
        allowed, wait = may_make_pdf(request)
        if not allowed:
            return rate_limited_response(request, wait)
        body = render_case_pdf(request, case, original=original)
        if key is not None:
            _safe(lambda: cache.set(key, body, CACHE_SECONDS))
    return pdf_response(request, body, slug=slug, etag=etag)

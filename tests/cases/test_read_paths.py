"""Every public read path, found by walking the URLconf, keeps unpublished cases out (issue 13).

DESIGN.md: only `published` is ever visible outside admin, "in pages, search, suggestions, the API, feeds,
sitemaps, exports, statistics and counts". The leak checks of each face (site/test_views.py,
api/test_api.py, site/test_stats_pages.py) list the addresses they know; this module asks the URLconf
instead, so a route added tomorrow is checked too, or the first test here fails until it is listed.

How: a small published catalogue is made, and every route of READ_PATHS is requested, its parameters filled
from real objects (a published case, the vocabulary it is tagged with, and the addresses the hidden cases
will have) and with each query string it takes (a search for the marker word, the shared vocabulary, the
vocabulary only hidden cases use, ...). Then a case in every other status is added, each carrying the
marker word in its title, summary, narrative, outcome, resource and submitter contact, tagged with the
published case's vocabulary and with terms no published case has, linked to and from the published case,
and with everything that runs after a commit (statistics, search words, postings) run. Every request is
made again, and each answer must

- hold none of the hidden cases' titles, summaries, slugs or ids, nor the marker word (unless the request
  itself named it, as a search or a compare does);
- be the answer given before they existed, status and body (CSRF and form-time tokens aside), so that no
  count, bucket, facet, year, suggestion or page moved, and a hidden case's address answers exactly as an
  address that names nothing.

Every request is made anonymously and again with a partner's key, which opens nothing more. The API's
vocabularies are also checked to count exactly the published cases of each term, and a last test shows
the check failing when a hidden case does leak.

A route that takes no case data is listed in EXEMPT with the reason; CHANGED_BY_DESIGN names the answers
that may change when hidden cases are added (still checked for hidden content).
"""

import gzip
import io
import json
import re
from itertools import product
from urllib.parse import quote, unquote

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, path, reverse
from django.utils import timezone
from pypdf import PdfReader

from cases.caching import forget_catalogue_version
from cases.interchange.dumps import LATEST, file_names, write_dump
from cases.models import (
    SDG,
    CaseMethod,
    CaseOrganisation,
    CaseStudy,
    CaseToolkit,
    CaseTranslation,
    Economy,
    EntryStatus,
    FormerSlug,
    InnovationFacet,
    Method,
    Organisation,
    Sector,
    Status,
    SubmitterContact,
    Theme,
    Toolkit,
    TranslationStatus,
)
from cases.search.related import refresh_related
from cases.services import api_key_create
from observatory.urls import urlpatterns as project_urlpatterns
from tests.factories import CaseLinkFactory, CaseStudyFactory, OutcomeFactory, ResourceFactory

pytestmark = pytest.mark.django_db

MARKER = "quokkafjord"  # one word, in no dictionary, so any answer holding it holds a hidden case
PREFIX = MARKER[:5]  # what a reader has typed when suggestions are asked for
HIDDEN_STATUSES = [status for status in Status if status != Status.PUBLISHED]
HIDDEN_YEAR = 1961  # no published case was launched then
HIDDEN_FIRST_PK = 9_731_000  # ids no published case has, long enough that no other number contains them
HIDDEN_FORMER_SLUG = "hidden-former-address"
HIDDEN_REFERENCE = "OBS-QKFJ2345"  # the submitted case's reference (cases.services.REFERENCE_PATTERN)

# The queries of the case library, which the API, the exports, the feed and the statistics share.
LIBRARY = (
    "",
    "q={marker}",
    "q={prefix}",
    "{shared_terms}",
    "{hidden_terms}",
    "economy={hidden_economy}",
    "year_from={hidden_year}&year_to={hidden_year}",
    "sort=newest&page_size=100",
    # The API's languages: every published translation beside each case, and one language's text.
    "lang=all",
    "lang=ja&q={marker}",
)
ONE = ("",)

# Every public route (namespaced name) and the query strings it is requested with.
# The lists of methods, toolkits and organisations in the API: their own parameters (issue 18).
ENTRY_LISTS = ("", "q={marker}", "sort=newest&page_size=100", "lang=ja")
READ_PATHS = {
    # Pages
    "cases:home": ONE,
    "cases:casestudy_list": LIBRARY,
    "cases:casestudy_detail": ONE,
    "cases:casestudy_pdf": ONE,  # compared and searched as the text the PDF holds (answer)
    "cases:economy_list": ONE,
    "cases:economy_detail": ONE,
    "cases:theme_list": ONE,
    "cases:theme_detail": ONE,
    "cases:sector_list": ONE,
    "cases:sector_detail": ONE,
    "cases:stats": LIBRARY,
    "cases:compare": ("cases={published}", "cases={published},{hidden_slugs}", "cases={hidden_slug}"),
    "cases:feed": LIBRARY,
    # Methods, toolkits and organisations (issue 18): their lists, their pages (which end with the library's
    # list of their cases, so take its parameters) and the feeds of new methods and toolkits.
    "cases:method_list": ("", "q={marker}"),
    "cases:method_detail": LIBRARY,
    "cases:toolkit_list": ("", "q={marker}", "method=design-thinking"),
    "cases:toolkit_detail": LIBRARY,
    "cases:organisation_list": ("", "q={marker}", "economy={hidden_economy}"),
    "cases:organisation_detail": LIBRARY,
    "cases:feed_methods": ONE,
    "cases:feed_toolkits": ONE,
    # ... and the API's: their case counts, the cases' links to them.
    "api:method-list": ENTRY_LISTS,
    "api:method-detail": ONE,
    "api:method-facet-counts": ENTRY_LISTS,
    "api:method-harvest": ENTRY_LISTS,
    "api:method-export-csv": ENTRY_LISTS,
    "api:method-export-jsonl": ENTRY_LISTS,
    "api:toolkit-list": ENTRY_LISTS,
    "api:toolkit-detail": ONE,
    "api:toolkit-facet-counts": ENTRY_LISTS,
    "api:toolkit-harvest": ENTRY_LISTS,
    "api:toolkit-export-csv": ENTRY_LISTS,
    "api:toolkit-export-jsonl": ENTRY_LISTS,
    "api:organisation-list": ENTRY_LISTS,
    "api:organisation-detail": ONE,
    "api:organisation-facet-counts": ENTRY_LISTS,
    "sitemap": ONE,
    "robots_txt": ONE,
    "security_txt": ONE,
    "healthz": ONE,
    "cases:privacy": ONE,
    "cases:accessibility": ONE,
    "cases:about": ONE,
    "favicon_ico": ONE,
    "cases:submit": ONE,
    "cases:submit_thanks": ONE,
    "cases:alert_subscribe": LIBRARY,
    "cases:alert_sent": ONE,
    # Open data: the release is written before the hidden cases exist and again after (write_open_data).
    "cases:open_data": ONE,
    "open_data_file": ONE,
    "dcat_catalog": ONE,
    "dcat_catalog_turtle": ONE,
    # API
    "api:api-root": ONE,
    "api:case-list": LIBRARY,
    "api:case-harvest": LIBRARY,
    "api:case-detail": ONE,
    "api:case-facet-counts": LIBRARY,
    "api:case-changes": tuple("&".join(filter(None, ["since=2000-01-01T00:00:00Z", q])) for q in LIBRARY),
    "api:case-export-csv": LIBRARY,
    "api:case-export-jsonl": LIBRARY,
    "api:suggest": ("q={marker}", "q={prefix}", "q={hidden_title}"),
    "api:stats": LIBRARY,
    "api:economy-list": ONE,
    "api:economy-detail": ONE,
    "api:sector-list": ONE,
    "api:sector-detail": ONE,
    "api:theme-list": ONE,
    "api:theme-detail": ONE,
    "api:innovation-facet-list": ONE,
    "api:innovation-facet-detail": ONE,
    "api:sdg-list": ONE,
    "api:sdg-detail": ONE,
}

# Routes that take no case data, and why. A namespace listed here covers every route in it.
EXEMPT = {
    "admin": "staff only, each role scoped to its economies (tests/cases/admin/, test_permission_matrix.py)",
    "api:submissions": "write only (POST with a partner key): a GET is refused before anything is read",
    "api:schema": "the OpenAPI document describes the endpoints and holds no case data",
    "api:docs": "the readable docs' page only loads api:schema",
    "api/^.*$": "any other address under /api/: a fixed 404 that reads nothing",
    "cases:javascript_catalog": "the interface's words for the JavaScript modules, no catalogue data",
    "cases:alert_confirm": "an e-mail alert's own page, by its secret token: its stored selection, no cases",
    "cases:alert_manage": "an e-mail alert's own page, by its secret token: its stored selection, no cases",
    "cases:alert_unsubscribe": "an e-mail alert's own page, by its secret token: no cases",
}

# Answers that may change once the hidden cases exist, and why. Hidden content is still checked for.
CHANGED_BY_DESIGN = {
    "cases:submit_thanks": "confirms a submission by its reference, which exists once the submitted case "
    "does; it shows the reference alone",
}

# Per-request tokens, not content: the CSRF token and the submission form's signed start time.
TOKENS = re.compile(r'(name="(?:csrfmiddlewaretoken|started)" value=")[^"]*(")')
# An Atom feed with no entry is dated now (Django's syndication falls back to the time of the request).
EMPTY_FEED_UPDATED = re.compile(
    r"(<feed [^>]*>(?:(?!<entry>).)*<updated>)[^<]*(</updated>(?:(?!<entry>).)*</feed>)", re.S
)


# --- The routes --------------------------------------------------------------------------------------


def walk(urlconf=None):
    """(key, namespace, parameter names) of every route: `namespace:name`, or the pattern if it has none."""

    def routes(resolver, prefix, namespace):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from routes(entry, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                pattern = entry.pattern
                names = set(getattr(pattern, "converters", {})) | set(pattern.regex.groupindex)
                key = f"{namespace}{entry.name}" if entry.name else prefix + str(pattern)
                yield key, namespace.split(":")[0], tuple(sorted(names))

    return list(routes(get_resolver(urlconf), "", ""))


def unclassified(urlconf=None) -> list[str]:
    """Routes neither checked here nor exempt."""
    return sorted(
        {
            key
            for key, namespace, _parameters in walk(urlconf)
            if key not in READ_PATHS and key not in EXEMPT and namespace not in EXEMPT
        }
    )


def test_every_route_is_checked_or_exempt():
    missing = unclassified()
    assert missing == [], (
        f"Routes no leak check covers: {missing}. Add each to READ_PATHS in {__name__} with the query "
        "strings it takes, or to EXEMPT with the reason it takes no case data."
    )
    walked = {key for key, _namespace, _parameters in walk()}
    namespaces = {namespace for _key, namespace, _parameters in walk()}
    stale = sorted((set(READ_PATHS) | set(EXEMPT)) - walked - namespaces)
    assert stale == [], f"Listed here but no longer routes: {stale}"
    assert set(READ_PATHS).isdisjoint(EXEMPT)


def _new_route(request):
    raise AssertionError("never requested")


urlpatterns = [*project_urlpatterns, path("new-read-path/", _new_route, name="new_read_path")]


def test_a_new_route_fails_the_check_until_it_is_listed():
    assert unclassified(__name__) == ["new_read_path"]


# --- The catalogue --------------------------------------------------------------------------------


def first(model, **lookup):
    return model.objects.filter(**lookup).order_by("pk").first()


@pytest.fixture
def world():
    """A published catalogue; the hidden cases' addresses and terms, for requests made before they exist."""
    sector = Sector.objects.get(slug="health")
    theme, facet, sdg = first(Theme), first(InnovationFacet), SDG.objects.get(number=3)
    shared = {"economy": Economy.objects.get(iso2="SG"), "sector": sector, "theme": theme, "facet": facet}
    hidden_only = {
        "economy": Economy.objects.get(iso2="MN"),
        "sector": Sector.objects.exclude(pk=sector.pk).order_by("pk").first(),
        "theme": Theme.objects.exclude(pk=theme.pk).order_by("pk").first(),
        "facet": InnovationFacet.objects.exclude(pk=facet.pk).order_by("pk").first(),
        "sdg": SDG.objects.get(number=17),
    }
    published = CaseStudyFactory(
        slug="published-flood-warnings",
        title="Flood warnings by text message",
        economy=shared["economy"],
        sectors=[sector],
        themes=[theme],
        facets=[facet],
        sdgs=[sdg],
    )
    OutcomeFactory(case=published)
    CaseStudyFactory(slug="published-school-meals", title="School meals", economy=first(Economy, iso2="JP"))
    # Issue 18: a published method and toolkit and the published case's organisation; the hidden cases name
    # them too (add_hidden_cases), and must add nothing to their pages, lists or counts.
    entries = published_entries(published)
    # Every related-cases list computed, as the scheduled refresh leaves them: a list first computed after
    # the hidden cases arrive is not something they moved.
    refresh_related(CaseStudy.objects.values_list("pk", flat=True))
    write_dump()  # today's open-data release
    return {
        "published": published,
        "shared": {**shared, "sdg": sdg},
        "hidden_only": hidden_only,
        "hidden_slugs": [f"hidden-{status}" for status in HIDDEN_STATUSES],
        "hidden_pks": [HIDDEN_FIRST_PK + n for n in range(len(HIDDEN_STATUSES))],
        **entries,
    }


def published_entries(published):
    """A published method and toolkit, and an organisation, named by the published case."""
    now = timezone.now()
    method = Method.objects.create(
        name="Design thinking",
        slug="design-thinking",
        summary="A way to understand users.",
        description="Described.",
        discipline="design",
        status=EntryStatus.PUBLISHED,
        published_at=now,
    )
    toolkit = Toolkit.objects.create(
        title="A playbook",
        slug="a-playbook",
        summary="A guide.",
        description="Described.",
        discipline="design",
        kind="guide",
        publisher="Nesta",
        url="https://example.org/playbook",
        status=EntryStatus.PUBLISHED,
        published_at=now,
    )
    toolkit.methods.set([method])
    organisation = Organisation.objects.create(
        name="Ministry of Examples", slug="ministry-of-examples", economy=published.economy
    )
    CaseMethod.objects.create(case=published, method=method)
    CaseToolkit.objects.create(case=published, toolkit=toolkit)
    CaseOrganisation.objects.create(case=published, organisation=organisation, role="lead")
    return {"method": method, "toolkit": toolkit, "organisation": organisation}


def terms_query(terms) -> str:
    return (
        f"economy={terms['economy'].iso2}&sector={terms['sector'].slug}&theme={terms['theme'].slug}"
        f"&facet={terms['facet'].slug}&sdg={terms['sdg'].number}"
    )


def hidden_title(status) -> str:
    return f"The {MARKER} {status} innovation"


def hidden_summary(status) -> str:
    return f"What the {MARKER} case in status {status} did, never to be read in public."


def add_hidden_cases(world, django_capture_on_commit_callbacks):
    """A case in every unpublished status, findable by everything a published one would be found by."""
    published, shared, hidden_only = world["published"], world["shared"], world["hidden_only"]
    # What runs after a commit (statistics, search words, postings) runs here, as it would in production.
    with django_capture_on_commit_callbacks(execute=True):
        for n, (status, slug, pk) in enumerate(
            zip(HIDDEN_STATUSES, world["hidden_slugs"], world["hidden_pks"], strict=True)
        ):
            primary, other = (shared, hidden_only) if n % 2 == 0 else (hidden_only, shared)
            case = CaseStudyFactory(
                pk=pk,
                slug=slug,
                status=status,
                title=hidden_title(status),
                summary=hidden_summary(status),
                overview=f"The {MARKER} overview.",
                lead_organisation=f"Ministry of {MARKER.title()}",
                year_launched=HIDDEN_YEAR,
                economy=primary["economy"],
                other_economies=[other["economy"]],
                sectors=[shared["sector"], hidden_only["sector"]],
                themes=[shared["theme"], hidden_only["theme"]],
                facets=[shared["facet"], hidden_only["facet"]],
                sdgs=[shared["sdg"], hidden_only["sdg"]],
            )
            OutcomeFactory(case=case, indicator=f"{MARKER} outcome")
            CaseMethod.objects.create(case=case, method=world["method"], note=f"{MARKER} note")
            CaseToolkit.objects.create(case=case, toolkit=world["toolkit"])
            CaseOrganisation.objects.create(case=case, organisation=world["organisation"], role="partner")
            ResourceFactory(case=case, title=f"{MARKER} resource", url=f"https://example.org/{slug}")
            CaseLinkFactory(from_case=case, to_case=published, relation="adapted_from")
            CaseLinkFactory(from_case=published, to_case=case, relation="replicated_in")
            if status == Status.SUBMITTED:
                SubmitterContact.objects.create(
                    case=case, reference=HIDDEN_REFERENCE, name=f"Ana {MARKER}", email=f"{MARKER}@example.org"
                )
            # A published translation of the hidden case: the case's status hides it too.
            CaseTranslation.objects.create(
                case=case,
                language="ja",
                title=f"{MARKER} 事例",
                summary=hidden_summary(status),
                overview=f"{MARKER} 概要",
                translated_by=f"{MARKER} team",
                reviewed_by="reviewer",
                status=TranslationStatus.PUBLISHED,
            )
        # Translations of the published case that are not published themselves.
        for language, status in (("ja", TranslationStatus.DRAFT), ("th", TranslationStatus.IN_REVIEW)):
            CaseTranslation.objects.create(
                case=published,
                language=language,
                title=f"{MARKER} {status} translation",
                summary=f"{MARKER} summary",
                overview=f"{MARKER} overview",
                translated_by=f"{MARKER} translator",
                status=status,
            )
        FormerSlug.objects.create(slug=HIDDEN_FORMER_SLUG, case_id=world["hidden_pks"][0])
    write_dump(force=True)  # today's release written again, as a take-down or the next day's would be


def forbidden(world) -> list[str]:
    """What no public answer may hold: the marker, the hidden cases' titles, summaries, slugs and ids."""
    return [
        MARKER,
        *(hidden_title(status) for status in HIDDEN_STATUSES),
        *(hidden_summary(status) for status in HIDDEN_STATUSES),
        *world["hidden_slugs"],
        HIDDEN_FORMER_SLUG,
        *(str(pk) for pk in world["hidden_pks"]),
    ]


# --- The requests ---------------------------------------------------------------------------------


def parameter_values(key: str, parameter: str, world) -> list[str]:
    """Real values for a route's parameter: the published case's and its terms', and the hidden ones'."""
    shared, hidden_only = world["shared"], world["hidden_only"]
    if parameter == "format":
        return ["json"]
    if parameter == "reference":
        return [HIDDEN_REFERENCE]
    if parameter == "folder":
        return [LATEST, timezone.localdate().isoformat()]
    if parameter == "name":
        return file_names()
    if parameter == "iso2":
        return [shared["economy"].iso2, hidden_only["economy"].iso2]
    if parameter == "number":
        return [str(shared["sdg"].number), str(hidden_only["sdg"].number)]
    if parameter == "slug":
        # Before "case": "cases:method_detail" holds that word too.
        for word in ("method", "toolkit", "organisation"):
            if word in key:
                return [world[word].slug]
        for word in ("economy", "theme", "sector", "facet"):
            if word in key:
                return [shared[word].slug, hidden_only[word].slug]
        if "case" in key:
            return [world["published"].slug, *world["hidden_slugs"], HIDDEN_FORMER_SLUG]
    raise AssertionError(f"No value for <{parameter}> of {key}: add one to parameter_values.")


def request_urls(world) -> list[tuple[str, str]]:
    """(route key, address with query string) of every request READ_PATHS asks for."""
    values = {
        "marker": MARKER,
        "prefix": PREFIX,
        "hidden_title": quote(hidden_title(HIDDEN_STATUSES[0])),
        "hidden_year": HIDDEN_YEAR,
        "hidden_economy": world["hidden_only"]["economy"].iso2,
        "shared_terms": terms_query(world["shared"]),
        "hidden_terms": terms_query(world["hidden_only"]),
        "published": world["published"].slug,
        "hidden_slug": world["hidden_slugs"][0],
        "hidden_slugs": ",".join(world["hidden_slugs"][:3]),
    }
    urls = []
    for key, _namespace, parameters in walk():
        if key not in READ_PATHS:
            continue
        choices = [parameter_values(key, parameter, world) for parameter in parameters]
        for chosen in product(*choices):
            address = reverse(key, kwargs=dict(zip(parameters, chosen, strict=True)))
            for query in READ_PATHS[key]:
                query = query.format(**values)
                urls.append((key, f"{address}?{query}" if query else address))
    return list(dict.fromkeys(urls))


def answer(client, url) -> tuple[int, str]:
    # Every answer computed afresh (no page, count or throttle carried over from the request before).
    cache.clear()
    forget_catalogue_version()
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type") == "application/gzip":  # an open-data file: what it holds
        body = gzip.decompress(body)
    elif response.get("Content-Type") == "application/vnd.apache.parquet":  # its values, as text
        rows = pq.read_table(pa.BufferReader(body)).to_pylist()
        body = json.dumps(rows, default=str, ensure_ascii=False).encode()
    elif response.get("Content-Type") == "application/pdf":  # a case's PDF: its text
        body = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages).encode()
    text = EMPTY_FEED_UPDATED.sub(r"\1…\2", TOKENS.sub(r"\1…\2", body.decode()))
    return response.status_code, text


def leaks(url: str, body: str, world) -> list[str]:
    """What of the hidden cases `body` holds, leaving out what the request itself named."""
    text, asked = body.lower(), unquote(url).lower()
    return [word for word in forbidden(world) if word.lower() in text and word.lower() not in asked]


# --- The check ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("partner", [False, True], ids=["anonymous", "partner-key"])
def test_no_read_path_shows_or_counts_an_unpublished_case(world, django_capture_on_commit_callbacks, partner):
    client = Client()
    if partner:  # a partner's key (read and submit) opens nothing more than an anonymous reader sees
        _key, plaintext = api_key_create(owner="Partner", scope_submit=True)
        client = Client(headers={"authorization": f"Api-Key {plaintext}"})
    urls = request_urls(world)
    before = {url: answer(client, url) for _key, url in urls}

    add_hidden_cases(world, django_capture_on_commit_callbacks)
    after = {url: answer(client, url) for _key, url in urls}

    server_errors = [f"{status} {url}" for url, (status, _body) in after.items() if status >= 500]
    assert server_errors == []
    leaked = {url: found for url, (_status, body) in after.items() if (found := leaks(url, body, world))}
    assert leaked == {}, f"Hidden cases shown: {json.dumps(leaked, indent=1)}"
    changed = [
        f"{url}: {before[url][0]} -> {after[url][0]}"
        for key, url in urls
        if key not in CHANGED_BY_DESIGN and before[url] != after[url]
    ]
    assert changed == [], "Answers that moved when unpublished cases were added:\n" + "\n".join(changed)
    # The walk reached the published catalogue: the check is not passing on empty answers.
    library = after[reverse("cases:casestudy_list")]
    assert (library[0], world["published"].slug in library[1]) == (200, True)


@pytest.mark.parametrize(
    ("path", "model", "term", "relation", "key"),
    [
        # An economy counts the cases it is the primary economy of.
        ("/api/v1/economies/", Economy, "economy", "economy", "iso2"),
        ("/api/v1/sectors/", Sector, "sector", "sectors", "slug"),
        ("/api/v1/themes/", Theme, "theme", "themes", "slug"),
        ("/api/v1/innovation-facets/", InnovationFacet, "facet", "facets", "slug"),
        ("/api/v1/sdgs/", SDG, "sdg", "sdgs", "number"),
    ],
)
def test_each_vocabulary_counts_exactly_its_published_cases(
    client, world, django_capture_on_commit_callbacks, path, model, term, relation, key
):
    add_hidden_cases(world, django_capture_on_commit_callbacks)
    published = CaseStudy.objects.published()

    listed = client.get(path).json()

    counted = {item[key]: item["case_count"] for item in listed}
    expected = {
        getattr(each, key): published.filter(**{relation: each}).count()
        for each in model.objects.filter(**{f"{key}__in": counted})
    }
    assert counted == expected
    shared, hidden_only = getattr(world["shared"][term], key), getattr(world["hidden_only"][term], key)
    assert counted[shared] >= 1
    assert counted.get(hidden_only, 0) == 0


def test_the_check_finds_a_case_that_does_leak(world, django_capture_on_commit_callbacks):
    """The check can fail: a hidden case published behind the workflow's back is shown and counted."""
    add_hidden_cases(world, django_capture_on_commit_callbacks)
    client = Client()
    urls = [
        f"/cases/?q={MARKER}",
        "/api/v1/cases/export.csv",
        f"/api/v1/suggest/?q={PREFIX}",
        "/api/v1/stats/",
    ]
    before = {url: answer(client, url) for url in urls}

    case = CaseStudy.objects.get(slug=world["hidden_slugs"][0])
    with django_capture_on_commit_callbacks(execute=True):
        case.status, case.published_at = Status.PUBLISHED, case.updated_at
        case.save()

    after = {url: answer(client, url) for url in urls}
    assert [url for url in urls if leaks(url, after[url][1], world)] == urls[:3]
    assert [url for url in urls if before[url] != after[url]] == urls

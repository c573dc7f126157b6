"""Security headers on every kind of response: pages, the API, errors (404, 500), static files (WhiteNoise)
and admin; strict CSP everywhere but the API docs' one documented exception; cookies; no inline script
or style in any template."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import path

from observatory import urls as site_urls
from tests.factories import CaseStudyFactory, UserFactory

pytestmark = pytest.mark.django_db


def server_error(request):
    raise RuntimeError("A deliberate failure, to see the 500 page's headers.")


# The site's own URLs, plus one view that fails (Django's 500 handler renders templates/500.html).
# (Spread in rather than included: the site's language prefixes, i18n_patterns, must be at the root.)
urlpatterns = [path("boom/", server_error), *site_urls.urlpatterns]

RESPONSES = {
    "page": ("/", 200),
    "case page": ("/cases/a-published-case/", 200),
    "library": ("/cases/?q=telemedicine", 200),
    "API list": ("/api/v1/cases/", 200),
    "API detail": ("/api/v1/cases/a-published-case/", 200),
    "API export": ("/api/v1/cases/export.csv", 200),
    "API 404": ("/api/v1/no-such-endpoint/", 404),
    "page 404": ("/no-such-page/", 404),
    "server error 500": ("/boom/", 500),
    "static file": ("/static/css/observatory.css", 200),
    "admin login": ("/admin/login/", 200),
    "feed": ("/feeds/cases/", 200),
}

EVERY_RESPONSE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
STRICT_CSP_DIRECTIVES = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
]
DENIED_FEATURES = [
    "camera",
    "microphone",
    "geolocation",
    "payment",
    "usb",
    "interest-cohort",
    "browsing-topics",
]


@pytest.fixture
def published_case():
    return CaseStudyFactory(slug="a-published-case", title="Telemedicine for islands")


@pytest.fixture
def get(client, published_case):
    client.raise_request_exception = False

    def fetch(url, **extra):
        response = client.get(url, **extra)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        return response

    return fetch


def csp_directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(("url", "status"), RESPONSES.values(), ids=RESPONSES.keys())
def test_every_kind_of_response_has_every_security_header(get, url, status):
    response = get(url)

    assert response.status_code == status
    for header, value in EVERY_RESPONSE_HEADERS.items():
        assert response.get(header) == value, header
    directives = csp_directives(response)
    for directive in STRICT_CSP_DIRECTIVES:
        assert directives[directive.split()[0]] == directive
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    features = dict(item.strip().split("=", 1) for item in response["Permissions-Policy"].split(","))
    for feature in DENIED_FEATURES:
        assert features[feature] == "()", feature


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(("url", "status"), RESPONSES.values(), ids=RESPONSES.keys())
def test_every_kind_of_response_has_hsts_over_https_in_production(get, settings, url, status):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True

    response = get(url, secure=True)

    assert response.status_code == status
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_pages_may_not_be_framed_even_by_old_browsers(get):
    """frame-ancestors 'none' in the CSP; X-Frame-Options for browsers that predate it."""
    assert get("/")["X-Frame-Options"] == "DENY"
    assert get("/no-such-page/")["X-Frame-Options"] == "DENY"


def test_static_files_are_served_by_whitenoise_with_the_headers(get):
    response = get("/static/img/favicon.svg")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    # An SVG opened on its own is a document: the CSP keeps any script in it from running.
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_api_docs_are_the_one_documented_relaxation_of_the_csp(get):
    """Swagger UI's page (drf-spectacular's template) carries one inline <style>: style-src alone is
    relaxed there; scripts stay 'self' only, and every other header is the same."""
    response = get("/api/docs/")

    directives = csp_directives(response)
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert directives["script-src"] == "script-src 'self'"
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert directives["base-uri"] == "base-uri 'none'"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_a_header_a_view_sets_itself_is_kept(rf, settings):
    from django.http import HttpResponse

    from cases.middleware import SecurityHeadersMiddleware

    def view(request):
        response = HttpResponse("embeddable")
        response["Cross-Origin-Resource-Policy"] = "cross-origin"
        return response

    response = SecurityHeadersMiddleware(view)(rf.get("/"))

    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert response["Permissions-Policy"].startswith("accelerometer=()")


# --- Cookies --------------------------------------------------------------------------------------


@pytest.fixture
def staff_password():
    UserFactory(username="curator", is_staff=True, is_superuser=True)
    return "correct horse battery staple"


def test_session_and_csrf_cookies_are_http_only_and_same_site(client, staff_password):
    client.get("/admin/login/")
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "curator", "password": staff_password, "next": "/admin/"}
    )

    assert response.status_code == 302
    session = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    # Ends with the browser: no Max-Age or Expires (the server still ends it after SESSION_COOKIE_AGE).
    assert not session["max-age"]
    assert not session["expires"]
    csrf = client.cookies[django_settings.CSRF_COOKIE_NAME]
    assert csrf["samesite"] == "Lax"


def test_production_cookies_carry_the_host_prefix_and_its_rules(client, settings, staff_password):
    """With prod.py's cookie settings the browser's `__Host-` rules hold: Secure, Path=/, no Domain."""
    settings.SESSION_COOKIE_NAME = "__Host-sessionid"
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_NAME = "__Host-csrftoken"
    settings.CSRF_COOKIE_SECURE = True
    settings.CSRF_COOKIE_HTTPONLY = True

    client.get("/admin/login/", secure=True)
    response = client.post(
        "/admin/login/",
        {"username": "curator", "password": staff_password, "next": "/admin/"},
        secure=True,
    )

    assert response.status_code == 302
    for name in ["__Host-sessionid", "__Host-csrftoken"]:
        cookie = client.cookies[name]
        assert cookie["secure"] is True, name
        assert cookie["httponly"] is True, name
        assert cookie["path"] == "/", name
        assert not cookie["domain"], name
        assert cookie["samesite"] == "Lax", name


def test_a_staff_session_ends_on_the_server_after_the_session_age(client, staff_password, settings):
    settings.SESSION_COOKIE_AGE = 8 * 60 * 60
    client.post("/admin/login/", {"username": "curator", "password": staff_password, "next": "/admin/"})

    assert 8 * 60 * 60 - 5 <= client.session.get_expiry_age() <= 8 * 60 * 60
    assert client.session.get_expire_at_browser_close() is True


# --- No inline script or style anywhere (so the strict CSP costs nothing and needs no nonces) -------

TEMPLATES_DIR = Path(django_settings.BASE_DIR) / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/ld\+json\")[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=|\son[a-z]+=", re.I)


INLINE_HANDLER = re.compile(r"\son[a-z]+=", re.I)
# E-mails' HTML parts (templates/*/email/): read in mail programs, never served under the site's CSP, and
# styled inline, as mail programs drop <style> blocks and linked stylesheets. Still no script or handler.
EMAIL_TEMPLATES = {str(p.relative_to(TEMPLATES_DIR)) for p in TEMPLATES_DIR.rglob("email/*.html")}


@pytest.mark.parametrize(
    "template",
    sorted(
        str(p.relative_to(TEMPLATES_DIR))
        for p in TEMPLATES_DIR.rglob("*.html")
        if str(p.relative_to(TEMPLATES_DIR)) not in EMAIL_TEMPLATES
    ),
)
def test_templates_have_no_inline_script_style_or_event_handler(template):
    source = (TEMPLATES_DIR / template).read_text()

    assert not INLINE_SCRIPT.search(source), "an inline <script> (JSON-LD data blocks alone are allowed)"
    assert not INLINE_STYLE.search(source), "an inline style or on* event handler"


@pytest.mark.parametrize("template", sorted(EMAIL_TEMPLATES))
def test_e_mail_templates_have_no_script_or_event_handler(template):
    source = (TEMPLATES_DIR / template).read_text()

    assert not re.search(r"<script\b", source, re.I), "a <script> in an e-mail"
    assert not INLINE_HANDLER.search(source), "an on* event handler in an e-mail"

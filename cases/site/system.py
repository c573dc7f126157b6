"""The small things a public site owes: robots.txt, security.txt, /favicon.ico, a health check."""

from django.db import DatabaseError, connection
from django.http import HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET


@require_GET
@cache_control(max_age=3600, public=True)
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /api/",
        "Disallow: /submit/",
        # Facet combinations are endless; every case and profile is in the sitemap.
        "Disallow: /*?",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_GET
@cache_control(max_age=86400, public=True)
def security_txt(request):
    lines = [
        "Contact: mailto:security@observatory.example.org",
        "Expires: 2027-12-31T00:00:00.000Z",
        "Preferred-Languages: en",
        f"Canonical: {request.build_absolute_uri(request.path)}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_GET
@cache_control(max_age=86400, public=True)
def favicon_ico(request):
    """/favicon.ico, where browsers, feed readers and bookmarking tools look when a page names no icon: the
    static file (static/img/favicon.ico, drawn by docs/img/draw_site_images.py), under its versioned name
    and long cache when the manifest storage of production serves it."""
    return HttpResponsePermanentRedirect(static("img/favicon.ico"))


@require_GET
@cache_control(no_store=True)
def healthz(request):
    """Readiness: 200 when the database answers, 503 (with Retry-After) when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        response = JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
        response["Retry-After"] = "10"
        return response
    return JsonResponse({"status": "ok", "database": "ok"})

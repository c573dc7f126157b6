"""Root URLs: the URL contract of DESIGN.md."""

from django.contrib import admin
from django.urls import include, path

from cases.site.urls import site_urlpatterns

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("cases.api.urls")),
    *site_urlpatterns,
    path("", include("cases.site.urls")),
]

# Our own error pages, HTML for people and problem details for the API (cases/web/errors.py).
handler400 = "cases.web.errors.bad_request"
handler403 = "cases.web.errors.permission_denied"
handler404 = "cases.web.errors.page_not_found"
handler500 = "cases.web.errors.server_error"

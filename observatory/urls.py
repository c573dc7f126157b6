"""Root URLs: the URL contract of DESIGN.md."""

from django.contrib import admin
from django.urls import include, path

from cases.urls import site_urlpatterns

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("cases.api.urls")),
    *site_urlpatterns,
    path("", include("cases.urls")),
]

# Our own error pages, HTML for people and problem details for the API (cases/error_views.py).
handler400 = "cases.error_views.bad_request"
handler403 = "cases.error_views.permission_denied"
handler404 = "cases.error_views.page_not_found"
handler500 = "cases.error_views.server_error"

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

"""Root URLs: the URL contract of DESIGN.md."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("cases.api.urls")),
    path("", include("cases.urls")),
]

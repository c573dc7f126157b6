"""Root URLs: the URL contract of DESIGN.md."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from cases.site.urls import site_urlpatterns

# Admin, API, sitemap and machine-read files have one address each. The API picks its language from ?lang=
# or Accept-Language, admin from Accept-Language (cases/middleware.py, AddressLocaleMiddleware).
urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("cases.api.urls")),
    *site_urlpatterns,
]

# Every page in every language of settings.LANGUAGES: English at its address as before (/cases/...), the
# others under their code (/ja/cases/...), so a shared link shows the language it was shared in.
urlpatterns += i18n_patterns(
    path("", include("cases.site.urls")),
    prefix_default_language=False,
)

# Our own error pages, HTML for people and problem details for the API (cases/web/errors.py).
handler400 = "cases.web.errors.bad_request"
handler403 = "cases.web.errors.permission_denied"
handler404 = "cases.web.errors.page_not_found"
handler500 = "cases.web.errors.server_error"

"""Django's admin app, with the Observatory's admin site as `admin.site` (observatory/admin.py)."""

from django.contrib.admin.apps import AdminConfig


class ObservatoryAdminConfig(AdminConfig):
    default_site = "observatory.admin.ObservatoryAdminSite"

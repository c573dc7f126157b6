"""Django's admin app, with the Observatory's admin site as `admin.site` (observatory/admin.py); the task
queue's app, named in the reader's language."""

from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class ObservatoryAdminConfig(AdminConfig):
    default_site = "observatory.admin.ObservatoryAdminSite"


class TasksConfig(TasksAppConfig):
    """django-tasks-db (the task queue in the database), under a name the admin shows in its language."""

    verbose_name = _("Background tasks")

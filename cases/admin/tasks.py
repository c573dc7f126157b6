"""The background tasks' results in the admin (TASKS_BACKEND django_tasks_db.DatabaseBackend, run by
`manage.py run_worker`, observatory/worker.py): django-tasks-db's read-only list, with what a curator or an
operator looks for first, how many attempts a task took and why it last failed, in the admin's language.

django-tasks-db ships no translations. Its model's labels are gettext messages, looked up in every
catalogue of the project: the ones the admin shows are listed here so that ours carries them."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from cases.interchange.dumps import write_open_data

MODEL_LABELS = [
    gettext_noop("Task Result"),
    gettext_noop("Task Results"),
    gettext_noop("status"),
    gettext_noop("enqueued at"),
    gettext_noop("started at"),
    gettext_noop("finished at"),
    gettext_noop("args kwargs"),
    gettext_noop("priority"),
    gettext_noop("task path"),
    gettext_noop("worker id"),
    gettext_noop("queue name"),
    gettext_noop("backend name"),
    gettext_noop("run after"),
    gettext_noop("return value"),
    gettext_noop("exception class path"),
    gettext_noop("traceback"),
]

admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    list_display = (
        "task_name",
        "status",
        "attempts",
        "last_error",
        "enqueued_at",
        "finished_at",
        "queue_name",
    )
    list_display_links = ("task_name",)
    search_fields = ("task_path", "exception_class_path")

    @admin.display(description=_("attempts"))
    def attempts(self, result: DBTaskResult) -> int:
        return len(result.worker_ids)

    @admin.display(description=_("last error"))
    def last_error(self, result: DBTaskResult) -> str:
        return result.exception_class_path.rpartition(".")[2] or "-"

    @admin.display(description=_("traceback"))
    def formatted_traceback(self, result: DBTaskResult) -> str:
        return super().formatted_traceback(result)

    @admin.display(description=_("run after"))
    def display_run_after(self, result: DBTaskResult):
        return super().display_run_after(result)

    def get_urls(self):
        write = self.admin_site.admin_view(require_POST(self.write_open_data_view))
        return [path("write-open-data/", write, name="write_open_data"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_write_open_data": request.user.is_superuser}
        return super().changelist_view(request, extra_context)

    def write_open_data_view(self, request):
        """Today's open-data release written again, as a task (docs/open-data.md): after a case is taken down,
        so that it leaves the files at once rather than at the next day's release."""
        if not request.user.is_superuser:
            raise PermissionDenied
        result = write_open_data.enqueue(force=True)
        if result.is_finished:  # the immediate backend ran it in this request
            messages.success(request, _("Today's open-data release has been written again."))
        else:
            messages.success(
                request, _("Today's open-data release will be written again by the task worker.")
            )
        return redirect(reverse("admin:django_tasks_database_dbtaskresult_changelist"))

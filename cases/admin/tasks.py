"""The background tasks' results in the admin (TASKS_BACKEND django_tasks_db.DatabaseBackend, run by
`manage.py run_worker`, observatory/worker.py): django-tasks-db's read-only list, with what a curator or an
operator looks for first, how many attempts a task took and why it last failed, in the admin's language.

django-tasks-db ships no translations. Its model's labels are gettext messages, looked up in every
catalogue of the project: the ones the admin shows are listed here so that ours carries them."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

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

"""The task worker of a deployment (`manage.py run_worker`): django-tasks-db's worker, which takes the tasks
the catalogue enqueues (cases/tasks.py) from their table, with what that worker leaves out (issue 17):

- **Retries.** A task that fails is tried again after a delay, up to TASK_MAX_ATTEMPTS runs in all
  (settings: TASK_RETRY_DELAYS); after the last it stays failed, with its traceback, in the admin's list of
  task results.
- **A worker that dies loses nothing.** django-tasks-db marks a task running when a worker claims it and
  never looks at it again: a worker killed mid-task would leave it running for ever. Here a worker holds a
  PostgreSQL advisory lock on the task it runs, on a connection of its own, which PostgreSQL releases when
  the process dies, however it dies. Every worker looks now and then (TASK_ORPHAN_CHECK_SECONDS) for tasks
  marked running whose lock nobody holds, and puts them back in the queue as another attempt (or fails
  them after the last). So a task may run twice (a worker killed after the task's work committed but
  before its result was recorded): every task in cases/tasks.py is written to do no harm then.

- **A schedule.** Every worker also enqueues the tasks of settings.TASK_SCHEDULE ({task path: seconds})
  whose last run was enqueued longer ago than their interval and none of which is waiting or running: the
  open-data dump, the stale related lists. One worker at a time does it (an advisory lock).

On PostgreSQL only: advisory locks are PostgreSQL's. The worker refuses to start on another database; the
embedded default (`make run`, SQLite) keeps the immediate backend and needs no worker at all.
"""

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
)
from django.db.models import Q
from django.tasks import TaskResultStatus
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger("observatory.worker")

# The advisory lock the worker that enqueues the scheduled tasks holds while it does (any bigint of ours).
SCHEDULE_LOCK = 0x0B5E_5C4E_D01E
# The longest wait between two looks at a database that is down.
MAX_RECONNECT_SECONDS = 30
# What a task whose worker died is recorded as having raised.
WORKER_LOST = "observatory.worker.WorkerLost"


def lock_key(task_id) -> int:
    """The advisory lock of a task: the top 63 bits of its UUID, a positive bigint."""
    return int(str(task_id).replace("-", ""), 16) >> 65


def retry_delay(attempts: int) -> timedelta:
    """How long to wait before the attempt after `attempts` runs (settings.TASK_RETRY_DELAYS)."""
    delays = settings.TASK_RETRY_DELAYS or [0]
    return timedelta(seconds=delays[min(attempts, len(delays)) - 1])


def requeue_failed(task_id, *, now=None) -> bool:
    """Put a task that has just failed back in the queue for another attempt, when it has any left; its last
    error stays on it. Returns whether it was queued again."""
    now = now or timezone.now()
    task = DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.FAILED).first()
    if task is None or len(task.worker_ids) >= settings.TASK_MAX_ATTEMPTS:
        return False
    return bool(
        DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.FAILED).update(
            status=TaskResultStatus.READY,
            run_after=now + retry_delay(len(task.worker_ids)),
            finished_at=None,
        )
    )


def recover_orphaned_tasks(*, now=None) -> dict[str, int]:
    """Find the tasks marked running whose worker has died (nobody holds their lock) and queue each again
    as another attempt, or fail it after its last. Returns {"requeued": n, "failed": n}."""
    now = now or timezone.now()
    counts = {"requeued": 0, "failed": 0}
    candidates = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING,
        started_at__lt=now - timedelta(seconds=settings.TASK_ORPHAN_GRACE_SECONDS),
    ).values_list("pk", "worker_ids", "started_at")
    connection = connections[DEFAULT_DB_ALIAS]
    for task_id, worker_ids, started_at in candidates:
        key = lock_key(task_id)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            (free,) = cursor.fetchone()
            if not free:
                continue  # its worker is alive and holds it
            try:
                # Still the run seen above: a task queued again and claimed since (its new worker not yet
                # holding the lock) has another start and another worker, and is left alone.
                running = DBTaskResult.objects.filter(
                    pk=task_id, status=TaskResultStatus.RUNNING, started_at=started_at, worker_ids=worker_ids
                )
                if len(worker_ids) < settings.TASK_MAX_ATTEMPTS:
                    changed = running.update(status=TaskResultStatus.READY, run_after=now, finished_at=None)
                    counts["requeued"] += changed
                else:
                    changed = running.update(
                        status=TaskResultStatus.FAILED,
                        finished_at=now,
                        exception_class_path=WORKER_LOST,
                        traceback=(
                            "The worker running this task stopped before the task finished, on its last "
                            f"attempt ({len(worker_ids)} of {settings.TASK_MAX_ATTEMPTS}): not tried again."
                        ),
                    )
                    counts["failed"] += changed
                if changed:
                    logger.warning("Task %s lost its worker after %d attempt(s)", task_id, len(worker_ids))
            finally:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
    return counts


def enqueue_due_tasks(*, now=None) -> list[str]:
    """Enqueue the scheduled tasks that are due (settings.TASK_SCHEDULE); returns their paths. Nothing when
    another worker is doing it at the same moment."""
    now = now or timezone.now()
    due = []
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [SCHEDULE_LOCK])
        (locked,) = cursor.fetchone()
        if not locked:
            return due
        try:
            for path, seconds in settings.TASK_SCHEDULE.items():
                pending = Q(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING])
                recent = Q(enqueued_at__gt=now - timedelta(seconds=seconds))
                if DBTaskResult.objects.filter(pending | recent, task_path=path).exists():
                    continue
                import_string(path).enqueue()
                due.append(path)
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SCHEDULE_LOCK])
    return due


class Worker(db_worker.Worker):
    """django-tasks-db's worker, holding each task's advisory lock while it runs, retrying what fails, and
    recovering the tasks of dead workers in a thread of its own."""

    def __init__(self, **options):
        super().__init__(**options)
        # The lock's own connection: the task's code may close or replace the default one (Django closes a
        # connection it finds broken), which would release the lock while the task still runs.
        self.locks = connections.create_connection(DEFAULT_DB_ALIAS)
        self.stopped = threading.Event()

    def run(self) -> None:
        if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
            raise RuntimeError(
                "The task worker needs PostgreSQL (its advisory locks); see docs/deployment.md."
            )
        if connections[DEFAULT_DB_ALIAS].settings_dict.get("TRANSACTION_POOLING"):
            # A session's advisory lock, taken through a pooler in transaction mode, would stay with a
            # server session other clients are handed, and its unlock might reach another one.
            raise RuntimeError(
                "The task worker needs a connection to PostgreSQL itself, not through PgBouncer: start it "
                "with DATABASE_URL naming the database server and without DATABASE_TRANSACTION_POOLING "
                "(docs/deployment.md)."
            )
        watcher = threading.Thread(target=self.watch_for_orphans, name="orphan-watcher", daemon=True)
        watcher.start()
        delay = 1
        try:
            while self.running:
                try:
                    super().run()
                    return
                except (OperationalError, InterfaceError):
                    # The database is unreachable: wait and look again, rather than exit and leave the
                    # queue to a supervisor's restart limits.
                    logger.exception("The database is unreachable; trying again in %d s", delay)
                    close_old_connections()
                    self.locks.close()
                    self.stopped.wait(delay)
                    delay = min(delay * 2, MAX_RECONNECT_SECONDS)
        finally:
            self.stopped.set()

    def watch_for_orphans(self) -> None:
        while not self.stopped.is_set():
            try:
                recover_orphaned_tasks()
                enqueue_due_tasks()
            except Exception:  # a database that is down now may be up at the next look
                logger.exception("Looking for the tasks of dead workers, or for scheduled ones, failed")
            finally:
                close_old_connections()
            self.stopped.wait(settings.TASK_ORPHAN_CHECK_SECONDS)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        # A SIGTERM while the lock is taken or given back, or the task queued again, waits for it (the
        # library's handler exits at once only while no task runs).
        self.running_task = True
        key = lock_key(db_task_result.pk)
        if self.locks.connection is not None and not self.locks.is_usable():
            self.locks.close()  # the lock's connection was lost (a restart): a new one for this task
        with self.locks.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [key])
        try:
            super().run_task(db_task_result)
        finally:
            try:
                with self.locks.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
            except DatabaseError:
                # Lost with its connection, which released it: the task may have been queued again meanwhile
                # and run twice, which every task allows. This worker goes on.
                logger.warning("Task %s: the lock's connection was lost while it ran", db_task_result.pk)
                self.locks.close()
            self.running_task = True
        try:
            self._after(db_task_result)
        finally:
            self.running_task = False

    def _after(self, db_task_result: DBTaskResult) -> None:
        if db_task_result.status == TaskResultStatus.FAILED and requeue_failed(db_task_result.pk):
            logger.warning(
                "Task %s (%s) failed, attempt %d of %d: tried again later",
                db_task_result.pk,
                db_task_result.task_path,
                len(db_task_result.worker_ids),
                settings.TASK_MAX_ATTEMPTS,
            )

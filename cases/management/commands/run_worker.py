"""Run the background tasks of a deployment whose TASKS backend is the database's (docs/deployment.md):
`python manage.py run_worker`, one process or several, each taking the next task due. Stops after the task it
is running on SIGTERM or Ctrl-C; a worker killed outright loses nothing (observatory/worker.py)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.crypto import get_random_string
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, task_backends

from observatory.worker import Worker


class Command(BaseCommand):
    help = (
        "Run the tasks queued in the database (TASKS backend django_tasks_db.DatabaseBackend) until stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue-name",
            default="*",
            help="the queues to take tasks from, comma-separated; * (default) for all",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="seconds between looks at an empty queue (default 1)",
        )
        parser.add_argument(
            "--batch", action="store_true", help="run every task due, then stop (for cron or a test)"
        )
        parser.add_argument("--max-tasks", type=int, default=None, help="stop after this many tasks")
        parser.add_argument(
            "--worker-id",
            default=None,
            help="this worker's name in the task results (default: random); unique among the workers",
        )

    def handle(self, *, queue_name, interval, batch, max_tasks, worker_id, verbosity, **options):
        backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
        if not isinstance(backend, DatabaseBackend):
            raise CommandError(
                "The tasks run where they are enqueued (TASKS backend "
                f"{type(backend).__module__}.{type(backend).__name__}): there is no queue to work. "
                "Set TASKS_BACKEND=django_tasks_db.DatabaseBackend to queue them in the database "
                "(docs/deployment.md)."
            )
        if interval <= 0:
            raise CommandError("--interval must be above 0 seconds.")
        if max_tasks is not None and max_tasks < 1:
            raise CommandError("--max-tasks must be at least 1.")
        queues = queue_name.split(",")
        worker = Worker(
            queue_names=queues,
            interval=interval,
            batch=batch,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=not batch,
            max_tasks=max_tasks,
            worker_id=worker_id or get_random_string(32),
            excluded_queue_names=[],
        )
        if verbosity:
            self.stdout.write(f"Worker {worker.worker_id} taking tasks from {', '.join(queues)}")
        worker.configure_signals()
        try:
            worker.run()
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        if verbosity:
            self.stdout.write(f"Worker {worker.worker_id} stopped after {worker._run_tasks} task(s).")

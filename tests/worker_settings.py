"""Settings of the task workers the tests start (tests/observatory/test_worker.py): the test settings with
tasks queued in the database, retried at once, and a dead worker's task noticed within a second."""

from observatory.settings.test import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
TASK_RETRY_DELAYS = [0]
TASK_ORPHAN_GRACE_SECONDS = 1
TASK_ORPHAN_CHECK_SECONDS = 0.5
TASK_SCHEDULE = {}  # the schedule is tested on its own (test_worker.py), not run by every worker

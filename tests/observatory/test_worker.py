"""The task worker (observatory/worker.py, `manage.py run_worker`), as real processes on the real database:
tasks queued by this process, run by workers started here, killed here. What a worker did is read from the
task results and from the file each test task notes its runs in (tests/observatory/worker_tasks.py)."""

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cases.interchange.reference_data import load_reference_data
from observatory.worker import WORKER_LOST, lock_key, recover_orphaned_tasks
from tests.factories import CaseStudyFactory
from tests.live_servers import ROOT, database_url, requires_postgresql
from tests.observatory import worker_tasks

QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
WAIT_SECONDS = 30


@pytest.fixture
def queue(settings):
    """Tasks this test enqueues go to the database's queue, as in a deployment with workers."""
    settings.TASKS = QUEUE
    settings.TASK_MAX_ATTEMPTS = 3
    settings.TASK_ORPHAN_GRACE_SECONDS = 1


@pytest.fixture
def runs(tmp_path):
    """The file the test tasks note each of their runs in (one line, the worker's pid, per run)."""
    return tmp_path / "runs"


def noted(runs: Path) -> list[str]:
    return runs.read_text().splitlines() if runs.exists() else []


@contextlib.contextmanager
def worker(name: str, *arguments: str, database: str | None = None):
    """A worker process on the test database (tests/worker_settings.py), stopped however the test ends."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "PYTEST_XDIST_WORKER"}
    }
    environment |= {
        "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
        "DATABASE_URL": database or database_url(),
    }
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--interval=0.1", f"--worker-id={name}", *arguments],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process.log = log
        try:
            yield process
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def output(process) -> str:
    process.log.seek(0)
    return process.log.read()


def wait_until(condition, what: str, process=None):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(
        f"{what} did not happen in {WAIT_SECONDS} s"
        + (f"; the worker said:\n{output(process)}" if process else "")
    )


def result(task_result) -> DBTaskResult:
    return DBTaskResult.objects.get(pk=task_result.id)


pytestmark = pytest.mark.django_db(transaction=True)


@requires_postgresql
def test_a_task_that_fails_is_tried_again_until_it_succeeds(queue, runs):
    queued = worker_tasks.fail_first_runs.enqueue(str(runs), 2)

    with worker("retrying", "--batch") as process:
        assert process.wait(timeout=WAIT_SECONDS) == 0, output(process)

    done = result(queued)
    assert done.status == TaskResultStatus.SUCCESSFUL, done.traceback
    assert done.return_value == 3
    assert done.worker_ids == ["retrying"] * 3
    assert len(noted(runs)) == 3


@requires_postgresql
def test_a_task_that_keeps_failing_stays_failed_with_its_last_error_after_the_last_attempt(queue, runs):
    queued = worker_tasks.fail_first_runs.enqueue(str(runs), 10)

    with worker("giving-up", "--batch") as process:
        assert process.wait(timeout=WAIT_SECONDS) == 0, output(process)

    failed = result(queued)
    assert failed.status == TaskResultStatus.FAILED
    assert "run 3 fails on purpose" in failed.traceback
    assert failed.exception_class_path == "builtins.RuntimeError"
    assert len(noted(runs)) == 3  # TASK_MAX_ATTEMPTS in tests/worker_settings.py's defaults


@requires_postgresql
def test_a_worker_killed_mid_task_loses_nothing_another_worker_runs_it_again(queue, runs):
    queued = worker_tasks.wait_on_first_run.enqueue(str(runs), 60)

    with worker("killed") as first:
        wait_until(lambda: noted(runs), "the first run", first)
        assert result(queued).status == TaskResultStatus.RUNNING
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()

    with worker("second") as second:
        wait_until(lambda: result(queued).status == TaskResultStatus.SUCCESSFUL, "the second run", second)

    done = result(queued)
    assert done.worker_ids == ["killed", "second"]
    assert done.return_value == 2
    assert len(noted(runs)) == 2


@requires_postgresql
def test_a_task_still_running_on_a_live_worker_is_left_to_it(queue, runs):
    queued = worker_tasks.wait_on_first_run.enqueue(str(runs), 4)

    with worker("busy") as busy:
        wait_until(lambda: noted(runs), "the run", busy)
        with worker("watching") as watching:  # its watcher looks every 0.5 s, past the grace of 1 s
            wait_until(
                lambda: result(queued).status == TaskResultStatus.SUCCESSFUL, "the end of the run", busy
            )
            assert "lost its worker" not in output(watching)

    assert result(queued).worker_ids == ["busy"]
    assert len(noted(runs)) == 1


@requires_postgresql
def test_a_task_that_kills_every_worker_fails_after_the_last_attempt(queue, runs):
    queued = worker_tasks.kill_own_worker.enqueue(str(runs))

    for attempt in range(1, 4):
        with worker(f"victim-{attempt}") as process:
            process.wait(timeout=WAIT_SECONDS)
        assert len(noted(runs)) == attempt
        assert result(queued).status == TaskResultStatus.RUNNING
        time.sleep(1.1)  # past the grace in which a claimed task is never taken for an orphan
        recover_orphaned_tasks()

    failed = result(queued)
    assert failed.status == TaskResultStatus.FAILED
    assert failed.exception_class_path == WORKER_LOST
    assert "last attempt (3 of 3): not tried again" in failed.traceback


@pytest.mark.skipif(connections["default"].vendor != "postgresql", reason="advisory locks are PostgreSQL's")
def test_a_running_task_whose_lock_is_held_is_not_an_orphan(queue, runs, settings):
    queued = worker_tasks.wait_on_first_run.enqueue(str(runs), 0)
    DBTaskResult.objects.filter(pk=queued.id).update(
        status=TaskResultStatus.RUNNING, worker_ids=["elsewhere"]
    )
    holder = connections.create_connection("default")
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [lock_key(queued.id)])
        DBTaskResult.objects.filter(pk=queued.id).update(started_at=timezone.now() - timedelta(minutes=1))

        assert recover_orphaned_tasks() == {"requeued": 0, "failed": 0}
        assert result(queued).status == TaskResultStatus.RUNNING
        with holder.cursor() as cursor:  # as a dead worker's session would (closing it frees it only later)
            cursor.execute("SELECT pg_advisory_unlock(%s)", [lock_key(queued.id)])
    finally:
        holder.close()

    assert recover_orphaned_tasks() == {"requeued": 1, "failed": 0}
    assert result(queued).status == TaskResultStatus.READY


def test_the_worker_refuses_to_start_when_tasks_run_where_they_are_enqueued(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

    with pytest.raises(CommandError, match=r"TASKS_BACKEND=django_tasks_db\.DatabaseBackend"):
        call_command("run_worker", "--batch")


@requires_postgresql
def test_the_catalogues_own_tasks_are_queued_by_a_write_and_run_by_the_worker(queue):
    load_reference_data()  # a transactional test starts from empty tables
    CaseStudyFactory(status="published")  # committed: its refresh tasks are queued once it is

    queued = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert {"cases.tasks.refresh_statistics", "cases.tasks.refresh_search_postings"} <= set(
        queued.values_list("task_path", flat=True)
    )
    with worker("catalogue", "--batch") as process:
        assert process.wait(timeout=WAIT_SECONDS) == 0, output(process)

    assert not DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL).exists()


@requires_postgresql
def test_curators_see_failed_tasks_and_their_errors_in_the_admin(queue, runs, admin_client):
    queued = worker_tasks.fail_first_runs.enqueue(str(runs), 10)
    with worker("admin-view", "--batch") as process:
        assert process.wait(timeout=WAIT_SECONDS) == 0, output(process)

    listing = admin_client.get("/admin/django_tasks_database/dbtaskresult/?status__exact=FAILED")
    detail = admin_client.get(f"/admin/django_tasks_database/dbtaskresult/{queued.id}/change/")

    assert listing.status_code == 200
    assert "fail_first_runs" in listing.text
    assert '<td class="field-attempts">3</td>' in listing.text
    assert '<td class="field-last_error">RuntimeError</td>' in listing.text
    assert detail.status_code == 200
    assert "run 3 fails on purpose" in detail.text


@pytest.mark.skipif(connections["default"].vendor == "postgresql", reason="the refusal of other databases")
def test_the_worker_refuses_to_start_on_a_database_without_advisory_locks(queue):
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("run_worker", "--batch")


@pytest.mark.skipif(connections["default"].vendor != "postgresql", reason="advisory locks are PostgreSQL's")
def test_scheduled_tasks_are_enqueued_when_due_and_once(queue, settings):
    from observatory.worker import SCHEDULE_LOCK, enqueue_due_tasks

    settings.TASK_SCHEDULE = {"cases.tasks.refresh_stale_related": 300}
    path = "cases.tasks.refresh_stale_related"

    assert enqueue_due_tasks() == [path]
    assert enqueue_due_tasks() == []  # waiting to run
    DBTaskResult.objects.filter(task_path=path).update(status=TaskResultStatus.SUCCESSFUL)
    assert enqueue_due_tasks() == []  # ran less than 300 s ago
    DBTaskResult.objects.filter(task_path=path).update(enqueued_at=timezone.now() - timedelta(seconds=301))
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [SCHEDULE_LOCK])
        assert enqueue_due_tasks() == []  # another worker is enqueueing them
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SCHEDULE_LOCK])
    finally:
        other.close()
    assert enqueue_due_tasks() == [path]
    assert DBTaskResult.objects.filter(task_path=path, status=TaskResultStatus.READY).count() == 1


@requires_postgresql
def test_a_worker_waits_for_a_database_that_is_down_instead_of_exiting(queue, runs):
    from tests.forwarders import Forwarder

    settings_dict = connections["default"].settings_dict
    forwarder = Forwarder((settings_dict["HOST"] or "127.0.0.1", int(settings_dict["PORT"] or 5432)))
    forwarder.start()
    try:
        url = database_url(host="127.0.0.1", port=forwarder.port)
        forwarder.kill()  # the database is down when the worker starts
        with worker("patient", database=url) as process:
            time.sleep(3)
            assert process.poll() is None, output(process)  # still there, waiting
            forwarder.start()  # and back, at the same address
            queued = worker_tasks.fail_first_runs.enqueue(str(runs), 0)
            wait_until(lambda: result(queued).status == TaskResultStatus.SUCCESSFUL, "the task", process)
    finally:
        forwarder.close()

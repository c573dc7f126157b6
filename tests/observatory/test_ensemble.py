"""The whole deployment on one machine (observatory/ensemble.py): two app processes on one address (each a
gunicorn of its own, SO_REUSEPORT), PgBouncer in front of PostgreSQL, the task worker, Redis shared.

A curator writes from a third process (this one) meanwhile: every answer from either app process shows
the change within two seconds (the promise of docs/security.md), the write's tasks are run by the ensemble's
worker, and killing one app process leaves the address answering, with nothing lost.
"""

import concurrent.futures
import time

import pytest
import redis
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from cases.interchange.reference_data import load_reference_data
from cases.models import CaseStudy
from cases.services import case_update
from observatory.ensemble import Ensemble
from tests.factories import CaseStudyFactory
from tests.live_servers import (
    database_url,
    fetch,
    requires_postgresql,
    server_environment,
    skip_without_redis,
)

REDIS_URL = "redis://127.0.0.1:6379/15"  # its own Redis database (not 9-14: other tests own them), flushed
SEEN_WITHIN_SECONDS = 2
QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

pytestmark = [requires_postgresql, pytest.mark.django_db(transaction=True)]


def flush():
    redis.Redis.from_url(REDIS_URL).flushdb()


@pytest.fixture
def ensemble(transactional_db, settings, django_user_model):
    skip_without_redis(REDIS_URL)
    settings.TASKS = QUEUE  # this process's writes queue their tasks for the ensemble's worker
    load_reference_data()
    flush()
    env = server_environment({"CATALOGUE_VERSION_TTL": "0.5", "TASK_ORPHAN_GRACE_SECONDS": "5"})
    with Ensemble(
        database_url=database_url(), redis_url=REDIS_URL, processes=2, threads=4, pgbouncer=True, env=env
    ) as running:
        yield running
    flush()


def titles(base_url: str, slug: str, count: int) -> list[str]:
    """The case's title as `count` requests, four at a time on new connections, find it."""

    def one(_):
        status, _headers, body, _seconds = fetch(f"{base_url}/api/v1/cases/{slug}/")
        assert status == 200, body[:300]
        return body

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, range(count)))


def test_a_curators_write_is_seen_by_every_app_process_and_its_tasks_run_in_the_worker(
    ensemble, django_user_model
):
    case = CaseStudyFactory(title="Flood warnings by text message", slug="flood-warnings")
    curator = django_user_model.objects.create_user("curator", is_staff=True, is_superuser=True)
    assert all("Flood warnings by text message" in body for body in titles(ensemble.base_url, case.slug, 12))

    case = CaseStudy.objects.get(pk=case.pk)
    case.title = "Flood warnings in every language"
    case_update(case=case, user=curator, changed=["title"], message="Retitled")
    written = time.monotonic()
    while True:
        answers = titles(ensemble.base_url, case.slug, 12)
        if all("Flood warnings in every language" in body for body in answers):
            break
        assert time.monotonic() - written < SEEN_WITHIN_SECONDS + 1, "a process kept the old title"
        time.sleep(0.1)

    # The write's tasks (statistics, search words, related lists) were queued here and run by the worker.
    deadline = time.monotonic() + 30
    while DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL).exists():
        failed = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED)
        assert not failed.exists(), [result.traceback for result in failed]
        assert time.monotonic() < deadline, "the ensemble's worker did not run the write's tasks"
        time.sleep(0.2)
    assert DBTaskResult.objects.filter(task_path="cases.tasks.refresh_statistics").exists()


def test_one_app_process_killed_the_address_keeps_answering(ensemble):
    case = CaseStudyFactory(title="One-stop business licence", slug="one-stop-licence")
    assert all("One-stop business licence" in body for body in titles(ensemble.base_url, case.slug, 8))

    ensemble.kill_app(0)
    answers = [fetch(f"{ensemble.base_url}/cases/{case.slug}/") for _ in range(20)]
    assert [status for status, *_ in answers] == [200] * 20
    assert all("One-stop business licence" in body for _status, _headers, body, _seconds in answers)

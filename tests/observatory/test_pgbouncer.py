"""Through a real PgBouncer in transaction mode (observatory/pgbouncer.py, docs/deployment.md).

gunicorn with the production settings, two workers of four threads, talks to the test database through
PgBouncer lending it two server sessions: eight client connections take turns on two sessions, one
transaction at a time, so anything kept in a session (a prepared statement, a cursor held past its
transaction, a SET) would reach another client or be missing. Pages, the API, search, statistics and both
exports are asked for at once, several times each.
"""

import concurrent.futures
import csv
import io
import json
import os

import psycopg
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction

from cases.interchange.reference_data import load_reference_data
from cases.models import CaseStudy, Status
from cases.search.engine import full_text_index_preferred
from observatory.pgbouncer import PgBouncer, connect_query
from observatory.postgresql.base import TransactionPoolingRefused, long_running
from observatory.settings import base
from tests.factories import CaseStudyFactory
from tests.live_servers import database_url, fetch, gunicorn_server, requires_postgresql

SERVER_SESSIONS = 2
# Session pooling, PgBouncer and the planner's settings are PostgreSQL's: SQLite has no server sessions.
postgresql_only = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="PgBouncer pools PostgreSQL's sessions; SQLite has none",
)
CASES = 40  # case pages enough for each connection to run the same statements more than 5 times


# --- Settings -----------------------------------------------------------------------------------------


def test_the_pooled_connection_keeps_nothing_in_a_session(monkeypatch):
    monkeypatch.setattr(base, "DATABASE_TRANSACTION_POOLING", True)
    config = base.database_from_url("postgres://postgres@127.0.0.1:6432/observatory")

    assert config["OPTIONS"]["prepare_threshold"] is None  # psycopg would PREPARE a statement run 5 times
    assert config["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert "options" not in config["OPTIONS"]  # PgBouncer refuses the startup parameter
    assert config["TRANSACTION_POOLING"] is True


def test_a_pooled_url_with_server_settings_is_refused(monkeypatch):
    monkeypatch.setattr(base, "DATABASE_TRANSACTION_POOLING", True)
    with pytest.raises(ImproperlyConfigured, match="connect_query"):
        base.database_from_url("postgres://postgres@127.0.0.1:6432/observatory?options=-c%20jit%3Don")


def test_pooling_without_the_task_worker_is_refused(monkeypatch):
    import subprocess
    import sys

    from tests.live_servers import ROOT, server_environment

    env = server_environment({"DATABASE_TRANSACTION_POOLING": "1", "TASKS_BACKEND": None})
    env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:6432/observatory"
    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert started.returncode != 0
    assert "DATABASE_TRANSACTION_POOLING needs the task worker" in started.stderr


def test_the_server_settings_become_the_poolers_connect_query():
    query = connect_query("-c jit=off -c statement_timeout=3000 -c idle_in_transaction_session_timeout=60000")
    assert (
        query
        == "SET jit TO off; SET statement_timeout TO 3000; SET idle_in_transaction_session_timeout TO 60000"
    )
    with pytest.raises(ValueError, match="cannot pass on"):
        connect_query("-c search_path='a; DROP TABLE x'")


@postgresql_only
def test_bulk_work_refuses_a_pooled_connection(db, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "TRANSACTION_POOLING", True)
    with pytest.raises(TransactionPoolingRefused, match="not through PgBouncer"), long_running():
        pass


# --- Session state the application no longer leaves behind ------------------------------------------


@postgresql_only
def test_preferring_the_full_text_index_changes_nothing_after_the_block(db):
    def seqscan():
        with connection.cursor() as cursor:
            cursor.execute("SHOW enable_seqscan")
            return cursor.fetchone()[0]

    with full_text_index_preferred():
        assert connection.in_atomic_block  # a transaction of its own: SET LOCAL stays on one session
        assert seqscan() == "off"
    assert seqscan() == "on"
    with transaction.atomic():  # inside a caller's transaction too, the setting is put back
        with full_text_index_preferred():
            assert seqscan() == "off"
        assert seqscan() == "on"
    with pytest.raises(LookupError), full_text_index_preferred():
        raise LookupError("a failure inside the block")
    assert seqscan() == "on"


@postgresql_only
def test_exports_read_in_chunks_without_a_cursor_behind_a_pooler(db, monkeypatch):
    load_reference_data()
    cases = [CaseStudyFactory(title=f"Chunked {n:02}") for n in range(7)]
    ordered = CaseStudy.objects.published().order_by("title")
    expected = [case.pk for case in cases]

    with_cursor = [[case.pk for case in chunk] for chunk in ordered.in_chunks(3)]
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    chunks = ordered.in_chunks(3)
    first = next(chunks)
    # A case unpublished while the export runs is not in the chunks still to come.
    CaseStudy.objects.filter(pk=expected[4]).update(status=Status.DRAFT)
    without_cursor = [[case.pk for case in first], *([case.pk for case in chunk] for chunk in chunks)]

    assert with_cursor == [expected[0:3], expected[3:6], expected[6:7]]
    assert without_cursor == [expected[0:3], [expected[3], expected[5]], expected[6:7]]


# --- A real PgBouncer ---------------------------------------------------------------------------------


def _bouncer_count(bouncer, command: str) -> list[dict]:
    with psycopg.connect(
        f"host=127.0.0.1 port={bouncer.port} dbname=pgbouncer user=postgres", autocommit=True
    ) as admin:
        cursor = admin.execute(command)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture
def bouncer():
    settings = connection.settings_dict
    upstream = (settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432))
    with PgBouncer(
        upstream=upstream, pool_size=SERVER_SESSIONS, session_options=base.database_session_options()
    ) as running:
        yield running


@requires_postgresql
def test_a_client_that_prepares_statements_breaks_behind_the_pooler(transactional_db, bouncer):
    """Why the settings turn psycopg's prepared statements off: two clients sharing one session each
    prepare their `_pg3_0`."""
    name = connection.settings_dict["NAME"]
    url = f"host=127.0.0.1 port={bouncer.port} dbname={name} user=postgres"

    def take_turns(first, second):
        for number in range(2 * SERVER_SESSIONS + 2):
            (first if number % 2 else second).execute("SELECT %s::int", [number]).fetchone()

    with (
        psycopg.connect(url, autocommit=True, prepare_threshold=0) as first,
        psycopg.connect(url, autocommit=True, prepare_threshold=0) as second,
        pytest.raises(psycopg.Error, match="prepared statement"),
    ):
        take_turns(first, second)


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_pages_api_search_and_exports_work_through_pgbouncer(bouncer):
    load_reference_data()
    published = [CaseStudyFactory(title=f"Flood warnings {n:02}", slug=f"flood-{n:02}") for n in range(CASES)]
    draft = CaseStudyFactory(title="Flood warnings draft", slug="flood-draft", status=Status.DRAFT)
    env = {
        "DATABASE_URL": database_url(port=bouncer.port),
        "DATABASE_TRANSACTION_POOLING": "1",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    # Different addresses (the page cache answers a repeated one) with the same statements behind them.
    paths = [
        "/",
        "/cases/",
        "/cases/?q=flood",
        "/stats/?q=flood&sector=health",
        "/api/v1/cases/?q=flood",
        "/api/v1/cases/facet-counts/?q=flood",
        "/api/v1/stats/?q=flood",
        *(f"/cases/{case.slug}/" for case in published),
        *(f"/api/v1/cases/{case.slug}/" for case in published),
    ]
    with gunicorn_server(env=env, workers=2, threads=4) as base_url:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda path: (path, fetch(base_url + path)), paths))
            exports = list(
                pool.map(
                    lambda path: fetch(base_url + path),
                    ["/api/v1/cases/export.csv?sort=title", "/api/v1/cases/export.jsonl?sort=title"] * 2,
                )
            )
        clients = _bouncer_count(bouncer, "SHOW CLIENTS")
        servers = _bouncer_count(bouncer, "SHOW SERVERS")

    failed = [(path, status, body[:300]) for path, (status, _h, body, _s) in answers if status != 200]
    assert failed == []
    slugs = [case.slug for case in published]
    for status, _headers, body, _seconds in exports[0::2]:
        assert status == 200
        rows = list(csv.DictReader(io.StringIO(body)))
        assert [row["slug"] for row in rows] == slugs
    for status, _headers, body, _seconds in exports[1::2]:
        assert status == 200
        assert [json.loads(line)["slug"] for line in body.splitlines()] == slugs
    assert all(draft.slug not in body for _path, (_s, _h, body, _t) in answers)
    # Many clients took turns on at most two server sessions: the pooling was real.
    database = connection.settings_dict["NAME"]
    assert len([each for each in clients if each["database"] == database]) > SERVER_SESSIONS
    assert 0 < len([each for each in servers if each["database"] == database]) <= SERVER_SESSIONS
    # Every session the pooler keeps carries the server settings, and no client's planner setting.
    for _ in range(SERVER_SESSIONS * 2):
        with psycopg.connect(
            f"host=127.0.0.1 port={bouncer.port} dbname={database} user=postgres", prepare_threshold=None
        ) as check:
            assert check.execute("SHOW enable_seqscan").fetchone() == ("on",)
            assert check.execute("SHOW jit").fetchone() == ("off",)
            assert check.execute("SHOW statement_timeout").fetchone() != ("0",)

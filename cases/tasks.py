"""Background work, through Django's task framework (`django.tasks`).

The default backend (ImmediateBackend) runs a task as soon as it is enqueued, in the same process: after
a write, that is at the end of the writer's request, once the transaction has committed, so readers
never wait for it. A deployment can move tasks to a worker by pointing the TASKS setting at a queue
backend; nothing here changes (the worker reads the catalogue version from the database like any process).
"""

from django.db import connection, transaction
from django.tasks import task

from cases.caching import catalogue_changed
from cases.insights.bitmaps import CatalogueBitmaps


@task
def refresh_statistics() -> dict:
    """Build the statistics' bitmaps for the current catalogue version, so its first reader does not."""
    bitmaps = CatalogueBitmaps.current()
    return {"version": bitmaps.version, "published_cases": len(bitmaps.published)}


def refresh_statistics_after_commit() -> None:
    refresh_statistics.enqueue()


def catalogue_written() -> None:
    """Call for every write to the catalogue, inside its transaction (cases/signals.py does for every ORM
    write): bumps the catalogue version in that transaction, and once it commits refreshes the statistics'
    bitmaps for the new version, once per transaction however many rows it writes (at once when there is
    no transaction). Nothing happens after a rollback."""
    catalogue_changed()
    if not any(
        callback is refresh_statistics_after_commit for _ids, callback, _robust in connection.run_on_commit
    ):
        transaction.on_commit(refresh_statistics_after_commit)


# The name cases/interchange/importing.py calls it by (its bulk_create and update() send no signals).
after_commit_refresh_catalogue = catalogue_written


def catalogue_committed() -> None:
    """For writers that bypass signals and commit on their own (bulk generation, benchmarks): after their
    commit, bump the catalogue version and refresh the statistics' bitmaps."""
    catalogue_changed()
    refresh_statistics.enqueue()

"""Background work, through Django's task framework (`django.tasks`).

The default backend (ImmediateBackend) runs a task as soon as it is enqueued, in the same process: after
a write, that is at the end of the writer's request, once the transaction has committed, so readers
never wait for it. A deployment can move tasks to a worker by pointing the TASKS setting at a queue
backend; nothing here changes.
"""

from django.db import connection, transaction
from django.tasks import task

from .bitmaps import CatalogueBitmaps
from .caching import catalogue_changed


@task
def refresh_statistics() -> dict:
    """Build the statistics' bitmaps for the current catalogue version, so its first reader does not."""
    bitmaps = CatalogueBitmaps.current()
    return {"version": bitmaps.version, "published_cases": len(bitmaps.published)}


def catalogue_committed() -> None:
    """After a write to the catalogue has committed: make every cached read stale, then refresh the
    statistics' bitmaps for the new version."""
    catalogue_changed()
    refresh_statistics.enqueue()


def after_commit_refresh_catalogue() -> None:
    """Call `catalogue_committed` once the current transaction commits: once per transaction, however
    many rows it writes (immediately when there is no transaction)."""
    if not any(callback is catalogue_committed for _ids, callback, _robust in connection.run_on_commit):
        transaction.on_commit(catalogue_committed)

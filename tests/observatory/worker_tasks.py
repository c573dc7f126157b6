"""Tasks for the worker's tests (tests/observatory/test_worker.py). Each notes every run of it as a line of
a file the test reads, so that what a worker did is seen outside the database and its process."""

import os
import signal
import time
from pathlib import Path

from django.tasks import task


def _note_run(path: str) -> int:
    with Path(path).open("a") as runs:
        runs.write(f"{os.getpid()}\n")
    return len(Path(path).read_text().splitlines())


@task
def wait_on_first_run(path: str, seconds: float) -> int:
    """Waits `seconds` the first time it runs (a worker can be killed meanwhile); returns its run's number."""
    run = _note_run(path)
    if run == 1:
        time.sleep(seconds)
    return run


@task
def fail_first_runs(path: str, failures: int) -> int:
    """Fails its first `failures` runs, then succeeds; returns its run's number."""
    run = _note_run(path)
    if run <= failures:
        raise RuntimeError(f"run {run} fails on purpose")
    return run


@task
def kill_own_worker(path: str) -> None:
    """Kills the worker running it, every time: a task no worker lives through."""
    _note_run(path)
    os.kill(os.getpid(), signal.SIGKILL)

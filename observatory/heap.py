"""A server process's heap frozen out of Python's garbage collector once the process is warm.

A full collection walks every object the process holds: about 130,000 once Django, the URL patterns, the
templates and the search's vocabulary are loaded, which took 43-71 ms each time (bench/search.py at
100,000 cases). Requests leave enough objects behind (their own reference cycles, the caches they fill)
to set one off about every sixteenth request, so one request in ten to twenty paid 50-70 ms more than its
neighbours. `gc.freeze()` moves what the process holds after its first requests into a generation that
collections never walk: the same collection then took 11 ms. The garbage collector keeps collecting
what later requests leave; what is frozen is freed by reference counting as usual, and only reference
cycles already garbage at the freeze (after one last full collection) would stay, once per process.
"""

import gc
import itertools

from django.core.signals import request_finished

# Enough for the lazily loaded parts (URL resolver, templates, the search's vocabulary and word list) to
# be in memory before the freeze.
WARM_UP_REQUESTS = 3
DISPATCH_UID = "observatory.heap.freeze_after_warm_up"


def freeze_after_warm_up(requests: int = WARM_UP_REQUESTS) -> None:
    """Freeze the heap when the process has finished its first `requests` requests (the entry points call
    this; so does the benchmark's in-process client, to measure what the server does)."""
    finished = itertools.count(1)

    def freeze(**_kwargs):
        if next(finished) != requests:
            return
        request_finished.disconnect(dispatch_uid=DISPATCH_UID)
        gc.collect()
        gc.freeze()

    request_finished.connect(freeze, weak=False, dispatch_uid=DISPATCH_UID)

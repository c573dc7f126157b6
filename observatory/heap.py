"""Garbage collection in a server process: its warm heap frozen, and each request's garbage collected once
the response has been sent.

A full collection walks every object the process holds: about 130,000 once Django, the URL patterns, the
templates and the search's vocabulary are loaded, which took 35-70 ms (bench/search.py at 100,000 cases).
A request leaves about 2,700 objects in reference cycles (querysets, their queries and conditions, model
instances), which only a full collection frees; Python ran one about every sixteenth request, inside
whichever request happened to cross its threshold, so one request in ten to twenty paid 35-190 ms more
than its neighbours: most of the search pages' p95s over the aim at 100,000 cases (docs/benchmarks.md).

- After its first requests, `gc.freeze()` moves what the process holds into a generation that
  collections never walk. What is frozen is still freed by reference counting as usual; only reference
  cycles that were already garbage at the freeze (after one last full collection) would stay, once.
- From then on, each request's garbage is collected when it has finished: Django sends
  `request_finished` when the server closes the response, after its last byte has been written, so the
  reader does not wait for it (about 2 ms: the few thousand objects of one request). Python's own
  collections still run; they seldom find a full collection due, and it is small when they do.
"""

import gc
import itertools

from django.core.signals import request_finished

# Enough for the lazily loaded parts (URL resolver, templates, the search's vocabulary and word list) to
# be in memory before the freeze.
WARM_UP_REQUESTS = 3
DISPATCH_UID = "observatory.heap.collect_between_requests"


def collect_between_requests(warm_up_requests: int = WARM_UP_REQUESTS) -> None:
    """Freeze the heap when the process has finished its first `warm_up_requests` requests, and collect
    the garbage of each request after that at its end (the entry points call this; so does the benchmark's
    in-process client, to measure what the server does)."""
    finished = itertools.count(1)

    def collect(**_kwargs):
        served = next(finished)
        if served >= warm_up_requests:
            gc.collect()
        if served == warm_up_requests:
            gc.freeze()

    # Called again (a test, after the WSGI module was imported), it starts counting afresh: a receiver under
    # the same dispatch_uid would otherwise be kept and this one ignored, freezing at its own count.
    request_finished.disconnect(dispatch_uid=DISPATCH_UID)
    request_finished.connect(collect, weak=False, dispatch_uid=DISPATCH_UID)

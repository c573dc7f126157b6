"""Garbage collection in a server process (observatory/heap.py): the heap frozen once warm, and each
request's reference cycles collected when it has finished."""

import gc
import weakref

import pytest
from django.core.signals import request_finished, request_started

from observatory.heap import DISPATCH_UID, collect_between_requests


class Node:
    """An object in a reference cycle: only the garbage collector frees it."""

    def __init__(self):
        self.itself = self


@pytest.fixture
def unfrozen():
    # A response an earlier test left unclosed sends request_finished when the collector frees it: freed
    # now, before the test counts requests, rather than in the middle of them.
    gc.collect()
    gc.unfreeze()
    yield
    request_finished.disconnect(dispatch_uid=DISPATCH_UID)
    gc.unfreeze()


@pytest.fixture
def cycle_in_each_request():
    """A weak reference to a cycle made while each request runs, as querysets make them."""
    made = []

    def make(**_kwargs):
        made.append(weakref.ref(Node()))

    request_started.connect(make, weak=False, dispatch_uid="test-heap-cycle")
    yield made
    request_started.disconnect(dispatch_uid="test-heap-cycle")


@pytest.mark.django_db
def test_the_heap_is_frozen_after_the_warm_up_requests_and_only_then(unfrozen, client):
    collect_between_requests(warm_up_requests=2)
    client.get("/themes/")
    assert gc.get_freeze_count() == 0
    client.get("/themes/")
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # Django, the URL patterns, the templates: what the process holds once warm
    client.get("/themes/")
    # Once: later requests' objects are collected as usual (what is frozen is still freed as it is let go).
    assert gc.get_freeze_count() <= frozen


@pytest.mark.django_db
def test_each_request_s_cycles_are_collected_when_it_has_finished(unfrozen, client, cycle_in_each_request):
    collect_between_requests(warm_up_requests=1)
    gc.disable()  # no collection of Python's own in between: only the one at the end of the request
    try:
        for _request in range(3):
            client.get("/themes/")
            assert cycle_in_each_request[-1]() is None
    finally:
        gc.enable()


@pytest.mark.django_db
def test_without_it_a_request_s_cycles_outlive_the_request(client, cycle_in_each_request):
    gc.disable()
    try:
        client.get("/themes/")
        assert cycle_in_each_request[-1]() is not None  # what the test above proves is not a given
    finally:
        gc.enable()


@pytest.mark.django_db
def test_setting_it_up_again_counts_the_warm_up_afresh(unfrozen, client):
    # As when the WSGI module, imported earlier in the process, set it up with its own count.
    collect_between_requests(warm_up_requests=2)
    client.get("/themes/")
    collect_between_requests(warm_up_requests=2)
    client.get("/themes/")
    assert gc.get_freeze_count() == 0  # the first request of the new count: not frozen yet
    client.get("/themes/")
    assert gc.get_freeze_count() > 10_000

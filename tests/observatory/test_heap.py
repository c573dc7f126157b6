"""The server process's heap is frozen out of the garbage collector once warm (observatory/heap.py)."""

import gc

import pytest
from django.core.signals import request_finished

from observatory.heap import DISPATCH_UID, freeze_after_warm_up


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    request_finished.disconnect(dispatch_uid=DISPATCH_UID)
    gc.unfreeze()


@pytest.mark.django_db
def test_the_heap_is_frozen_after_the_warm_up_requests_and_only_then(unfrozen, client):
    freeze_after_warm_up(requests=2)
    client.get("/themes/")
    assert gc.get_freeze_count() == 0
    client.get("/themes/")
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # Django, the URL patterns, the templates: what the process holds once warm
    client.get("/themes/")
    # Once: later requests' objects are collected as usual (what is frozen is still freed as it is let go).
    assert gc.get_freeze_count() <= frozen
    assert not request_finished.disconnect(dispatch_uid=DISPATCH_UID)  # it let go of the signal

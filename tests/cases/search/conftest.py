"""The demo catalogue, loaded once per test module in a transaction rolled back at its end."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from cases.search.engine import refresh_word_list


@pytest.fixture(scope="module")
def demo_loaded_once(django_db_setup, django_db_blocker):
    """The demo, loaded once for this module inside a transaction rolled back when the module is done."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", stdout=StringIO())
        # The word list "did you mean" draws on is rebuilt by a task after the load commits; this
        # transaction never commits, so it is rebuilt here.
        refresh_word_list()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_loaded_once, db):
    return demo_loaded_once

"""`manage.py ensure_demo_admin` (run by `make run`): the demo superuser, only with DEBUG on, made once."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from cases.management.commands.ensure_demo_admin import DEMO_PASSWORD, DEMO_USERNAME
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def ensure_demo_admin() -> str:
    out = StringIO()
    call_command("ensure_demo_admin", stdout=out)
    return out.getvalue()


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


def test_with_debug_on_it_creates_the_demo_superuser(debug_on):
    ensure_demo_admin()

    user = get_user_model().objects.get(username=DEMO_USERNAME)
    assert user.check_password(DEMO_PASSWORD)
    assert (user.is_staff, user.is_superuser, user.is_active) == (True, True, True)


def test_it_says_where_to_sign_in_and_with_what(debug_on):
    output = ensure_demo_admin()

    assert "/admin/" in output
    assert f"'{DEMO_USERNAME}'" in output
    assert f"'{DEMO_PASSWORD}'" in output


def test_run_twice_it_makes_one_user(debug_on):
    ensure_demo_admin()
    ensure_demo_admin()

    assert get_user_model().objects.filter(username=DEMO_USERNAME).count() == 1


def test_an_existing_admin_keeps_the_password_it_has(debug_on):
    UserFactory(username=DEMO_USERNAME, password="a password of its own")

    ensure_demo_admin()

    user = get_user_model().objects.get(username=DEMO_USERNAME)
    assert user.check_password("a password of its own")
    assert not user.check_password(DEMO_PASSWORD)


def test_with_debug_off_it_refuses_and_creates_nobody(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG off"):
        ensure_demo_admin()

    assert not get_user_model().objects.filter(username=DEMO_USERNAME).exists()

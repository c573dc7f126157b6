"""Admin login against guessing (django-axes on Django 6.1): 5 failures lock a user name, or an address,
for 15 minutes; the lock opens by itself; the lockout page says when; a forged X-Forwarded-For does not
dodge it. A second factor (TOTP, django-otp) for staff when STAFF_REQUIRE_TOTP is on; its wrong codes
count as failures too (observatory/admin.py; the settings in observatory/settings/base.py). The command that
gives a curator a device, `manage.py enrol_totp`, is tested in tests/cases/management/test_enrol_totp.py."""

import re
from datetime import timedelta

import axes
import django
import django_otp
import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
PASSWORD = "correct horse battery staple"
ADDRESS = "198.51.100.7"


@pytest.fixture
def curator():
    return UserFactory(username="curator", is_staff=True, is_superuser=True)


def log_in(client, username="curator", password=PASSWORD, address=ADDRESS, **extra):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address, **extra
    )


def fail(client, times, username="curator", address=ADDRESS, **extra):
    """`times` wrong passwords; returns the last answer (the fifth failure in a row is answered 429)."""
    for _ in range(times):
        response = log_in(client, username=username, password="wrong guess", address=address, **extra)
    return response


def signed_in(response):
    return response.status_code == 302 and response["Location"] == "/admin/"


def let_time_pass(minutes, seconds=0):
    """Move every recorded failure back in time, as if `minutes` had passed since."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=minutes, seconds=seconds))


def test_axes_and_otp_run_on_this_django():
    assert django.VERSION[:2] == (6, 1)
    assert axes.__version__.startswith("8.")
    assert django_otp.__name__ == "django_otp"


# --- Lockout --------------------------------------------------------------------------------------


def test_four_failures_do_not_lock_and_a_success_clears_them(client, curator):
    assert fail(client, 4).status_code == 200  # the login form again, with its error

    assert signed_in(log_in(client))
    assert not AccessAttempt.objects.exists()


def test_five_failures_lock_the_user_even_with_the_right_password(client, curator):
    assert fail(client, 4).status_code == 200
    assert fail(client, 1).status_code == 429

    response = log_in(client)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_user_name_whatever_the_address(client, curator):
    for n in range(5):
        fail(client, 1, address=f"203.0.113.{n + 1}")

    assert log_in(client, address="192.0.2.99").status_code == 429


def test_the_lockout_is_per_address_whatever_the_user_name(client, curator):
    for n in range(5):
        fail(client, 1, username=f"guess{n}")

    assert log_in(client).status_code == 429  # a real account, from the guessing address
    assert signed_in(log_in(client, address="192.0.2.99"))  # the same account from elsewhere


def test_a_forged_forwarded_for_does_not_dodge_the_lockout_without_a_proxy(client, curator):
    for n in range(5):
        fail(client, 1, username=f"guess{n}", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")

    assert log_in(client, HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429


def test_behind_a_proxy_the_address_is_the_one_the_proxy_appended(client, curator, settings):
    """NUM_PROXIES=1, as every rate limit reads it: the client's own X-Forwarded-For entries are ignored."""
    settings.NUM_PROXIES = 1
    proxy = "10.0.0.1"
    for n in range(5):
        fail(client, 1, username=f"guess{n}", address=proxy, HTTP_X_FORWARDED_FOR=f"6.6.6.{n}, {ADDRESS}")

    locked = log_in(client, address=proxy, HTTP_X_FORWARDED_FOR=f"7.7.7.7, {ADDRESS}")
    other_client = log_in(client, address=proxy, HTTP_X_FORWARDED_FOR="192.0.2.44")

    assert locked.status_code == 429
    assert signed_in(other_client)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ADDRESS}


def test_the_lock_opens_by_itself_after_fifteen_minutes(client, curator):
    fail(client, 5)
    let_time_pass(minutes=14, seconds=50)
    assert log_in(client).status_code == 429

    let_time_pass(minutes=0, seconds=11)

    assert signed_in(log_in(client))


def test_trying_again_while_locked_does_not_make_the_wait_longer(client, curator):
    fail(client, 5)
    let_time_pass(minutes=10)
    for _ in range(3):
        assert log_in(client, password="still guessing").status_code == 429

    let_time_pass(minutes=5, seconds=1)

    assert signed_in(log_in(client))


def test_the_lockout_page_says_when_to_try_again(client, curator):
    fail(client, 5)

    response = log_in(client)

    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    assert 890 <= int(response["Retry-After"]) <= 900
    assert response["Cache-Control"] == "no-store"
    text = response.content.decode()
    assert "<h1>Too many sign-in attempts</h1>" in text
    assert "try again in 15 minutes" in text
    assert re.search(r"at \d\d:\d\d UTC", text)
    assert "reopens by itself" in text
    assert "wrong guess" not in text
    # Like every response, it carries the security headers (tests/cases/test_security_headers.py).
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"]


def test_the_lockout_page_counts_down(client, curator):
    fail(client, 5)
    let_time_pass(minutes=12)

    response = log_in(client)

    assert "try again in 3 minutes" in response.content.decode()
    assert 170 <= int(response["Retry-After"]) <= 180


def test_the_limit_and_duration_come_from_the_settings(client, curator, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)
    fail(client, 2)

    response = log_in(client)

    assert response.status_code == 429
    assert "try again in 30 minutes" in response.content.decode()


# --- Second factor --------------------------------------------------------------------------------


@pytest.fixture
def totp_required(settings):
    settings.STAFF_REQUIRE_TOTP = True


@pytest.fixture
def device(curator):
    return TOTPDevice.objects.create(user=curator, name="phone", confirmed=True)


def current_code(device):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def log_in_with_code(client, code, address=ADDRESS):
    return client.post(
        LOGIN,
        {"username": "curator", "password": PASSWORD, "otp_token": code, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def test_without_the_setting_a_password_is_enough(client, curator, device):
    assert signed_in(log_in(client))
    assert client.get("/admin/").status_code == 200


def test_with_the_setting_the_login_form_asks_for_the_code(client, totp_required):
    text = client.get(LOGIN).content.decode()

    assert 'name="otp_token"' in text
    assert 'autocomplete="one-time-code"' in text


def test_with_the_setting_a_password_alone_does_not_open_admin(client, curator, device, totp_required):
    response = log_in(client)

    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_with_the_setting_the_right_code_opens_admin(client, curator, device, totp_required):
    response = log_in_with_code(client, current_code(device))

    assert signed_in(response)
    assert client.get("/admin/").status_code == 200


def test_with_the_setting_a_wrong_code_does_not_open_admin(client, curator, device, totp_required):
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"

    response = log_in_with_code(client, wrong)

    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_wrong_codes_count_towards_the_lockout(client, curator, device, totp_required):
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    for _ in range(4):
        assert log_in_with_code(client, wrong).status_code == 200
    assert log_in_with_code(client, wrong).status_code == 429

    assert log_in_with_code(client, current_code(device)).status_code == 429


def test_a_session_without_the_second_factor_is_not_staff_when_the_setting_is_on(client, curator, settings):
    client.force_login(curator)
    assert client.get("/admin/").status_code == 200

    settings.STAFF_REQUIRE_TOTP = True

    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_staff_without_a_device_cannot_sign_in_when_the_setting_is_on(client, curator, totp_required):
    response = log_in_with_code(client, "123456")

    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("totp", [False, True], ids=["password", "password-and-code"])
@pytest.mark.parametrize("length", [151, 256, 5000])
def test_a_user_name_longer_than_any_account_is_a_wrong_login_not_a_server_error(
    client, curator, settings, totp, length
):
    settings.STAFF_REQUIRE_TOTP = totp
    client.raise_request_exception = False

    response = log_in(client, username="a" * length)

    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()
    assert not AccessAttempt.objects.filter(username__startswith="aaaa").exists()

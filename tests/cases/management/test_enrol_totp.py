"""`manage.py enrol_totp USER`: gives a staff user a TOTP device for admin's second factor and prints its
otpauth:// address once (the login it opens: tests/observatory/test_login_protection.py)."""

import base64
from io import StringIO
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import CommandError, call_command
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory
from tests.observatory.test_login_protection import log_in_with_code, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator():
    return UserFactory(username="curator", is_staff=True, is_superuser=True)


@pytest.fixture
def totp_required(settings):
    settings.STAFF_REQUIRE_TOTP = True


def enrol(*arguments):
    out = StringIO()
    call_command("enrol_totp", *arguments, stdout=out)
    return out.getvalue()


def test_enrol_totp_prints_an_address_whose_secret_signs_the_curator_in(client, curator, totp_required):
    output = enrol("curator")

    address = next(line for line in output.splitlines() if line.startswith("otpauth://totp/"))
    secret = parse_qs(urlparse(address).query)["secret"][0]
    device = TOTPDevice.objects.get(user=curator)
    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
    code = f"{totp(base64.b32decode(secret + '=' * (-len(secret) % 8))):06d}"
    assert signed_in(log_in_with_code(client, code))


def test_enrol_totp_replaces_a_device_only_when_asked(curator):
    enrol("curator")
    first = TOTPDevice.objects.get(user=curator)

    with pytest.raises(CommandError, match="--replace"):
        enrol("curator")
    enrol("curator", "--replace")

    assert list(
        TOTPDevice.objects.filter(user=curator).exclude(pk=first.pk).values_list("confirmed", flat=True)
    ) == [True]
    assert not TOTPDevice.objects.filter(pk=first.pk).exists()


@pytest.mark.parametrize(
    ("username", "message"),
    [("nobody", "No user named"), ("visitor", "is not staff")],
    ids=["unknown", "not-staff"],
)
def test_enrol_totp_refuses_who_cannot_use_admin(username, message):
    UserFactory(username="visitor", is_staff=False)

    with pytest.raises(CommandError, match=message):
        enrol(username)

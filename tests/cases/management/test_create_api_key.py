"""`manage.py create_api_key OWNER`: issues a partner key through the service (api_key_create) and prints it
once; only its hash is kept."""

import io

import pytest
from django.core.management import CommandError, call_command

from cases.models import ApiKey
from cases.models.api_keys import hash_key

pytestmark = pytest.mark.django_db


def test_the_create_api_key_command_prints_a_working_key_once(client):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_key", "Partner Observatory", "--submit", "--rate", "50", stdout=out, stderr=err)

    plaintext = out.getvalue().strip()
    key = ApiKey.objects.get()
    assert (key.owner, key.scopes, key.rate) == ("Partner Observatory", ["read", "submit"], 50)
    assert key.hashed_key == hash_key(plaintext)
    assert plaintext not in err.getvalue()
    response = client.get("/api/v1/cases/", headers={"authorization": f"Api-Key {plaintext}"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--no-read"], "scope"),
        (["--rate", "0"], "rate"),
        (["--expires", "2000-01-01"], "future"),
        (["--expires", "soon"], "YYYY-MM-DD"),
        (["--user", "nobody"], "No user"),
    ],
)
def test_the_create_api_key_command_refuses_a_bad_key_in_words(arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_api_key", "Partner", *arguments, stdout=io.StringIO(), stderr=io.StringIO())
    assert not ApiKey.objects.exists()

"""Partner API keys: stored as hashes, sent only in the Authorization header, refused (401) when unknown,
revoked or expired, each with its own rate; issued and revoked in admin; declared in the OpenAPI document."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.urls import include, path, reverse
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api.permissions import HasScope
from cases.models import ApiKey
from cases.services import api_key_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"


# --- A tiny API of its own, for what the catalogue's endpoints cannot show -------------------------


class WhoAmI(APIView):
    """Which key authenticated the request (the default permission and throttles apply)."""

    def get(self, request):
        return Response({"key": request.auth.prefix if isinstance(request.auth, ApiKey) else None})


class Submit(APIView):
    """Stands in for the submissions endpoint."""

    permission_classes = [HasScope("submit")]

    def post(self, request):
        return Response({"accepted": True}, status=201)


urlpatterns = [
    path("whoami/", WhoAmI.as_view()),
    path("submit/", Submit.as_view()),
    path("api/", include("cases.api.urls")),
]
on_test_api = pytest.mark.urls(__name__)


def with_key(plaintext):
    return {"authorization": f"Api-Key {plaintext}"}


@pytest.fixture
def key():
    return api_key_create(owner="Partner Agency", rate=100)


@pytest.fixture
def rates(settings):
    def set_rates(anon="100/minute"):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"anon": anon, "export": "10/minute"},
        }

    return set_rates


def assert_unauthorised(response, detail_word):
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == "Api-Key"
    body = response.json()
    assert body["type"] == "urn:observatory:problem:authentication-failed"
    assert detail_word in body["detail"]


# --- Storage --------------------------------------------------------------------------------------


def test_a_new_key_is_stored_only_as_its_hash(key):
    instance, plaintext = key
    row = ApiKey.objects.filter(pk=instance.pk).values().get()
    secret = plaintext.split(".", 1)[1]

    assert re.fullmatch(r"[0-9a-f]{8}\.[A-Za-z0-9_-]{43}", plaintext)
    assert row["prefix"] == plaintext[:8]
    assert row["hashed_key"] == hashlib.sha256(plaintext.encode()).hexdigest()
    assert not any(secret in str(value) for value in row.values())


def test_a_key_without_any_scope_is_refused_by_the_database():
    with pytest.raises(IntegrityError):
        ApiKey.objects.create(owner="Nobody", prefix="abcd1234", hashed_key="0" * 64, scope_read=False)


def test_a_key_with_a_rate_of_zero_is_refused_by_the_database():
    with pytest.raises(IntegrityError):
        ApiKey.objects.create(owner="Nobody", prefix="abcd1234", hashed_key="0" * 64, rate=0)


# --- Authentication -------------------------------------------------------------------------------


@on_test_api
def test_a_valid_key_authenticates_the_request(client, key):
    instance, plaintext = key

    response = client.get("/whoami/", headers=with_key(plaintext))

    assert response.status_code == 200
    assert response.json() == {"key": instance.prefix}


@on_test_api
def test_a_request_without_a_key_is_anonymous(client, key):
    assert client.get("/whoami/").json() == {"key": None}


def test_a_catalogue_endpoint_answers_a_valid_key(client, key):
    assert client.get(f"{API}/sdgs/", headers=with_key(key[1])).status_code == 200


def test_an_unknown_key_is_refused_with_problem_details(client, key):
    response = client.get(f"{API}/sdgs/", headers=with_key("0badc0de.not-a-key-we-ever-made"))

    assert_unauthorised(response, "Unknown")


def test_a_known_prefix_with_the_wrong_secret_is_refused(client, key):
    instance, _plaintext = key

    response = client.get(f"{API}/sdgs/", headers=with_key(f"{instance.prefix}.{'x' * 43}"))

    assert_unauthorised(response, "Unknown")


def test_a_malformed_authorization_header_is_refused(client):
    assert_unauthorised(client.get(f"{API}/sdgs/", headers={"authorization": "Api-Key"}), "Api-Key")


def test_a_revoked_key_is_refused(client, key):
    instance, plaintext = key
    ApiKey.objects.filter(pk=instance.pk).update(revoked_at=timezone.now())

    assert_unauthorised(client.get(f"{API}/sdgs/", headers=with_key(plaintext)), "revoked")


def test_an_expired_key_is_refused(client, key):
    instance, plaintext = key
    ApiKey.objects.filter(pk=instance.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert_unauthorised(client.get(f"{API}/sdgs/", headers=with_key(plaintext)), "expired")


def test_a_key_whose_account_is_inactive_is_refused(client):
    _instance, plaintext = api_key_create(owner="Former partner", user=UserFactory(is_active=False))

    assert_unauthorised(client.get(f"{API}/sdgs/", headers=with_key(plaintext)), "inactive")


@on_test_api
def test_a_key_in_the_url_is_ignored(client, key):
    response = client.get("/whoami/", {"api_key": key[1]})

    assert response.json() == {"key": None}


def test_a_key_in_the_url_counts_against_the_anonymous_rate(client, key, rates):
    rates(anon="1/minute")
    assert client.get(f"{API}/sdgs/", {"api_key": key[1]}).status_code == 200

    assert client.get(f"{API}/sdgs/", {"api_key": key[1]}).status_code == 429


def test_use_is_recorded(client, key):
    instance, plaintext = key

    client.get(f"{API}/sdgs/", headers=with_key(plaintext))

    instance.refresh_from_db()
    assert instance.last_used_at is not None


def test_use_is_recorded_at_most_once_a_minute(client, key):
    instance, plaintext = key
    recently = timezone.now() - timedelta(seconds=30)
    ApiKey.objects.filter(pk=instance.pk).update(last_used_at=recently)

    client.get(f"{API}/sdgs/", headers=with_key(plaintext))

    instance.refresh_from_db()
    assert instance.last_used_at == recently


def test_use_is_recorded_again_after_a_minute(client, key):
    instance, plaintext = key
    earlier = timezone.now() - timedelta(minutes=2)
    ApiKey.objects.filter(pk=instance.pk).update(last_used_at=earlier)

    client.get(f"{API}/sdgs/", headers=with_key(plaintext))

    instance.refresh_from_db()
    assert instance.last_used_at > earlier


# --- Rates ----------------------------------------------------------------------------------------


def test_a_key_over_its_own_rate_gets_429_with_retry_after(client, rates):
    rates(anon="100/minute")
    _instance, plaintext = api_key_create(owner="Slow partner", rate=2)
    for _ in range(2):
        assert client.get(f"{API}/sdgs/", headers=with_key(plaintext)).status_code == 200

    response = client.get(f"{API}/sdgs/", headers=with_key(plaintext))

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["type"] == "urn:observatory:problem:throttled"


def test_a_key_may_go_beyond_the_anonymous_rate(client, rates):
    rates(anon="2/minute")
    _instance, plaintext = api_key_create(owner="Busy partner", rate=5)

    statuses = [client.get(f"{API}/sdgs/", headers=with_key(plaintext)).status_code for _ in range(5)]

    assert statuses == [200] * 5


def test_anonymous_requests_keep_their_rate_when_a_key_is_exhausted(client, rates):
    rates(anon="2/minute")
    _instance, plaintext = api_key_create(owner="Slow partner", rate=1)
    client.get(f"{API}/sdgs/", headers=with_key(plaintext))
    assert client.get(f"{API}/sdgs/", headers=with_key(plaintext)).status_code == 429

    assert [client.get(f"{API}/sdgs/").status_code for _ in range(3)] == [200, 200, 429]


def test_each_key_has_a_bucket_of_its_own(client, rates):
    rates()
    _first, first = api_key_create(owner="First partner", rate=1)
    _second, second = api_key_create(owner="Second partner", rate=1)
    client.get(f"{API}/sdgs/", headers=with_key(first))

    assert client.get(f"{API}/sdgs/", headers=with_key(second)).status_code == 200


# --- Scopes ---------------------------------------------------------------------------------------


@on_test_api
def test_a_scoped_view_wants_a_key(client):
    response = client.post("/submit/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"


@on_test_api
def test_a_scoped_view_refuses_a_key_without_the_scope(client, key):
    response = client.post("/submit/", headers=with_key(key[1]))

    assert response.status_code == 403
    assert "submit" in response.json()["detail"]


@on_test_api
def test_a_scoped_view_accepts_a_key_with_the_scope(client):
    _instance, plaintext = api_key_create(owner="Submitting partner", scope_read=False, scope_submit=True)

    assert client.post("/submit/", headers=with_key(plaintext)).status_code == 201


def test_an_unknown_scope_is_a_programming_error():
    with pytest.raises(ValueError, match="Unknown API key scope"):
        HasScope("delete")


# --- Admin ----------------------------------------------------------------------------------------

ADD = reverse("admin:cases_apikey_add")
CHANGELIST = reverse("admin:cases_apikey_changelist")


def add_key_in_admin(admin_client):
    return admin_client.post(
        ADD,
        {"owner": "Ministry of Examples", "scope_read": "on", "rate": "60", "_save": "Save"},
        follow=True,
    )


def shown_key(response):
    texts = [str(message) for message in response.context["messages"]]
    found = {match for text in texts for match in re.findall(r"[0-9a-f]{8}\.[A-Za-z0-9_-]{43}", text)}
    assert len(found) <= 1
    return next(iter(found), None)


def test_adding_a_key_in_admin_shows_the_key_once_and_stores_its_hash(admin_client, client):
    response = add_key_in_admin(admin_client)
    plaintext = shown_key(response)

    assert plaintext is not None
    assert plaintext in response.content.decode()
    stored = ApiKey.objects.get(owner="Ministry of Examples")
    assert stored.hashed_key == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext not in admin_client.get(CHANGELIST).content.decode()
    change_page = admin_client.get(reverse("admin:cases_apikey_change", args=[stored.pk]))
    assert plaintext not in change_page.content.decode()
    assert client.get(f"{API}/sdgs/", headers=with_key(plaintext)).status_code == 200


def test_changing_a_key_in_admin_keeps_its_secret(admin_client):
    instance, plaintext = api_key_create(owner="Partner Agency")

    response = admin_client.post(
        reverse("admin:cases_apikey_change", args=[instance.pk]),
        {"owner": "Partner Agency (renamed)", "scope_read": "on", "rate": "50", "_save": "Save"},
        follow=True,
    )

    assert response.status_code == 200
    assert shown_key(response) is None
    instance.refresh_from_db()
    assert (instance.owner, instance.rate) == ("Partner Agency (renamed)", 50)
    assert instance.hashed_key == hashlib.sha256(plaintext.encode()).hexdigest()


def test_admin_lists_prefix_owner_scopes_expiry_and_revocation(admin_client):
    instance, _plaintext = api_key_create(owner="Partner Agency", scope_submit=True)

    html = admin_client.get(CHANGELIST).content.decode()

    assert instance.prefix in html
    assert "Partner Agency" in html
    assert "read, submit" in html
    assert "column-expires_at" in html
    assert "column-revoked_at" in html


def test_the_revoke_action_revokes_the_selected_keys(admin_client, client):
    revoked, revoked_plaintext = api_key_create(owner="Leaving partner")
    kept, kept_plaintext = api_key_create(owner="Staying partner")

    admin_client.post(CHANGELIST, {"action": "revoke", "_selected_action": [revoked.pk]})

    revoked.refresh_from_db()
    kept.refresh_from_db()
    assert revoked.revoked_at is not None
    assert kept.revoked_at is None
    assert client.get(f"{API}/sdgs/", headers=with_key(revoked_plaintext)).status_code == 401
    assert client.get(f"{API}/sdgs/", headers=with_key(kept_plaintext)).status_code == 200


# --- The OpenAPI document -------------------------------------------------------------------------


def test_the_schema_declares_the_key_header_as_optional_for_reads(client):
    document = client.get("/api/schema/", headers={"accept": "application/vnd.oai.openapi+json"}).json()

    assert document["components"]["securitySchemes"]["ApiKey"]["in"] == "header"
    assert document["components"]["securitySchemes"]["ApiKey"]["name"] == "Authorization"
    operation = document["paths"]["/api/v1/cases/"]["get"]
    assert operation["security"] == [{"ApiKey": []}, {}]
    assert "401" in operation["responses"]

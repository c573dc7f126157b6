"""One reading of the client's address (cases.web.clients.client_ip) for every rate limit and lockout.

Behind a declared proxy (NUM_PROXIES=1) every visitor arrives from the proxy's own address: each must still
get a bucket of their own, and an address a visitor writes into X-Forwarded-For themselves must not give
them a fresh one, on the submission form and on the API alike. The admin login's lockout is tested the same
way in tests/observatory/test_login_protection.py.
"""

import pytest
from django.conf import settings as django_settings
from django.utils.module_loading import import_string

from cases.site import submission
from cases.web.clients import client_ip, standard_address
from tests.cases.site.test_submission import valid_data

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"  # REMOTE_ADDR of every request that came through the proxy
VISITOR = "198.51.100.1"
OTHER_VISITOR = "198.51.100.2"
SPOOFED = f"203.0.113.99, {VISITOR}"  # the visitor wrote an address of their own in front of the proxy's


@pytest.mark.parametrize(
    ("num_proxies", "forwarded_for", "expected"),
    [
        (0, None, PROXY),
        (0, "203.0.113.5", PROXY),  # no proxy declared: the header is anyone's to write
        (1, None, PROXY),
        (1, VISITOR, VISITOR),
        (1, SPOOFED, VISITOR),
        (1, f" {VISITOR} ", VISITOR),
        (2, f"203.0.113.99, {VISITOR}, 10.0.0.1", VISITOR),
        (2, VISITOR, VISITOR),  # fewer entries than proxies: the first one
    ],
)
def test_the_address_is_the_one_the_outermost_declared_proxy_appended(
    rf, settings, num_proxies, forwarded_for, expected
):
    settings.NUM_PROXIES = num_proxies
    headers = {} if forwarded_for is None else {"HTTP_X_FORWARDED_FOR": forwarded_for}

    assert client_ip(rf.get("/", REMOTE_ADDR=PROXY, **headers)) == expected


def test_the_login_lockout_reads_the_address_with_it():
    assert import_string(django_settings.AXES_CLIENT_IP_CALLABLE) is client_ip


@pytest.mark.parametrize("throttle_path", django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"])
def test_every_api_throttle_reads_the_address_with_it(rf, settings, throttle_path):
    # Only our NUM_PROXIES is declared: DRF's own reading (its REST_FRAMEWORK["NUM_PROXIES"]) would differ.
    settings.NUM_PROXIES = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=SPOOFED)

    assert import_string(throttle_path)().get_ident(request) == VISITOR


def test_the_submission_limit_reads_the_address_with_it(rf, settings):
    settings.NUM_PROXIES = 1
    request = rf.post("/submit/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=SPOOFED)

    assert submission._rate_key(request) == f"submission-rate:{VISITOR}"


def test_behind_a_proxy_each_visitor_has_a_submission_bucket_of_their_own(client, settings):
    settings.NUM_PROXIES = 1

    def submit(forwarded_for, n):
        data = valid_data(title=f"Flood warnings {n}")
        return client.post(
            "/submit/", data, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for
        ).status_code

    limit = submission.SUBMISSIONS_PER_WINDOW
    assert [submit(VISITOR, n) for n in range(limit)] == [302] * limit
    assert submit(OTHER_VISITOR, limit) == 302
    assert submit(VISITOR, limit + 1) == 429
    assert submit(SPOOFED, limit + 2) == 429


def test_behind_a_proxy_each_visitor_has_an_api_bucket_of_their_own(client, settings):
    settings.NUM_PROXIES = 1
    # DRF's own reading of the address is left at "no proxy": every visitor would share the proxy's bucket.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "NUM_PROXIES": 0,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "export": "1/minute"},
    }

    def get(forwarded_for):
        return client.get("/api/v1/sdgs/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for).status_code

    assert [get(VISITOR) for _n in range(3)] == [200] * 3
    assert get(OTHER_VISITOR) == 200
    assert get(VISITOR) == 429
    assert get(SPOOFED) == 429


# What some proxies append for the peer they saw: an address with its port (Azure Application Gateway),
# a bracketed IPv6 address with its port, or "unknown" (Squid with forwarded_for off).
PROXY_WRITTEN = ["198.51.100.1:5678", "[2001:db8::1]:443", "unknown"]


@pytest.mark.parametrize("forwarded_for", PROXY_WRITTEN)
def test_an_entry_that_is_not_a_bare_address_is_no_server_error(client, settings, forwarded_for):
    settings.NUM_PROXIES = 1
    headers = {"HTTP_X_FORWARDED_FOR": f"203.0.113.9, {forwarded_for}", "REMOTE_ADDR": "10.0.0.2"}

    assert client.get("/api/v1/cases/", **headers).status_code == 200
    assert client.post("/submit/", valid_data(), **headers).status_code in (302, 400)
    # django-axes stores client_ip() in a GenericIPAddressField: ValueError, a 500.
    login = client.post("/admin/login/", {"username": "nobody", "password": "wrong"}, **headers)
    assert login.status_code == 200


@pytest.mark.parametrize(
    ("entry", "address"),
    [
        ("198.51.100.1:5678", "198.51.100.1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("[2001:DB8:0::1]", "2001:db8::1"),
        ("2001:DB8:0:0::1", "2001:db8::1"),
        (" 198.51.100.1 ", "198.51.100.1"),
        ("unknown", None),
        ("", None),
        ("198.51.100.1:", None),
        ("999.1.1.1", None),
    ],
)
def test_an_entry_is_read_as_an_address_in_its_standard_form(entry, address):
    assert standard_address(entry) == address


def test_one_visitor_has_one_bucket_however_the_proxy_spells_their_address(rf, settings):
    settings.NUM_PROXIES = 1
    spellings = ["2001:db8::1", "[2001:db8::1]:443", "2001:DB8:0:0::1", "[2001:db8::1]:8443"]
    requests = [
        rf.get("/", HTTP_X_FORWARDED_FOR=f"203.0.113.9, {s}", REMOTE_ADDR="10.0.0.2") for s in spellings
    ]
    assert {client_ip(request) for request in requests} == {"2001:db8::1"}


def test_an_entry_that_is_no_address_counts_by_the_proxys_own_address(rf, settings):
    settings.NUM_PROXIES = 1
    request = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.9, unknown", REMOTE_ADDR="10.0.0.2")
    assert client_ip(request) == "10.0.0.2"

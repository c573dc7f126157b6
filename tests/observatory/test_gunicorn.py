"""Over-long and malformed requests through a real gunicorn (issue 12, item 11): with the project's gunicorn
configuration (observatory/settings/gunicorn.py) an address too long for us gets our own 414 page with every
security header, not gunicorn's bare page; past gunicorn's own maximum the bare page remains, which is why
docs/security.md asks the proxy in front to cap request lines.

The servers run the production settings (tests/live_servers.py) on an SQLite file nobody reads: nothing
here reaches the database. Requests are written byte for byte on a socket, as a client would send them.
"""

import socket

import pytest

from cases.web.validation import MAX_REQUEST_TARGET
from tests.live_servers import gunicorn_server

CONFIG = "--config=python:observatory.settings.gunicorn"
# gunicorn's own bounds: its default request line limit, and the largest value it accepts for it.
GUNICORN_DEFAULT_LINE = 4094
GUNICORN_MAX_LINE = 8190


def raw_get(base_url: str, target: str) -> tuple[int, dict[str, str], str]:
    """GET `target` exactly as given, over HTTP/1.1 on a fresh connection: (status, headers, body)."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _separator, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("iso-8859-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _colon, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body.decode("utf-8", "replace")


def long_target(length: int) -> str:
    prefix = "/cases/?q="
    return prefix + "a" * (length - len(prefix))


def server_env(tmp_path_factory, *, with_config: bool) -> dict[str, str]:
    database = tmp_path_factory.mktemp("gunicorn") / "unused.sqlite3"
    return {"DATABASE_URL": f"sqlite:///{database}", "GUNICORN_CMD_ARGS": CONFIG if with_config else None}


@pytest.fixture(scope="module")
def configured_server(tmp_path_factory):
    """gunicorn as production runs it: with the project's configuration."""
    with gunicorn_server(env=server_env(tmp_path_factory, with_config=True), workers=1) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory):
    """gunicorn with its own defaults, as it ran before the configuration existed."""
    with gunicorn_server(env=server_env(tmp_path_factory, with_config=False), workers=1) as base_url:
        yield base_url


def assert_our_headers(headers):
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert "camera=()" in headers["permissions-policy"]
    assert headers["cross-origin-resource-policy"] == "same-origin"


def test_an_address_gunicorn_refused_by_default_gets_our_414_with_every_header(configured_server):
    status, headers, body = raw_get(configured_server, long_target(GUNICORN_DEFAULT_LINE + 1000))

    assert status == 414
    assert_our_headers(headers)
    assert "That address is too long" in body


def test_without_the_configuration_gunicorn_answers_with_its_bare_page(bare_server):
    """What the configuration changes: the same request, gunicorn's defaults, none of our headers."""
    status, headers, _body = raw_get(bare_server, long_target(GUNICORN_DEFAULT_LINE + 1000))

    assert status == 414
    assert "content-security-policy" not in headers


def test_an_address_just_over_our_limit_gets_our_414(configured_server):
    status, headers, _body = raw_get(configured_server, long_target(MAX_REQUEST_TARGET + 1))

    assert status == 414
    assert_our_headers(headers)


def test_an_address_at_our_limit_is_not_refused_for_its_length(configured_server):
    status, _headers, _body = raw_get(configured_server, "/robots.txt?" + "a" * (MAX_REQUEST_TARGET - 12))

    assert status == 200


def test_a_nul_in_a_parameter_is_our_400_over_real_http(configured_server):
    status, headers, body = raw_get(configured_server, "/compare/?cases=%00")

    assert status == 400
    assert_our_headers(headers)
    assert "Null characters are not allowed." in body


def test_an_encoded_lone_surrogate_in_the_path_is_our_400_over_real_http(configured_server):
    status, headers, _body = raw_get(configured_server, "/cases/%ED%A0%80/")

    assert status == 400
    assert_our_headers(headers)


def test_beyond_gunicorns_maximum_its_own_page_answers_so_the_proxy_must_cap_it(configured_server):
    """The limit docs/security.md asks the proxy to enforce: gunicorn cannot take a longer line at all."""
    status, headers, _body = raw_get(configured_server, long_target(GUNICORN_MAX_LINE + 100))

    assert status == 414
    assert "content-security-policy" not in headers

"""The first five minutes (issue 19): `make run` prints the admin's address with the port it serves, each log
line is printed once, /favicon.ico answers with the icon, and the quick start says which search the embedded
default has."""

import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def make_run_commands(*args: str, env: dict | None = None) -> list[str]:
    """The commands `make run` would run (make -n prints them without running anything), with no HOST or PORT
    in the environment but those of `env`."""
    environment = {name: value for name, value in os.environ.items() if name not in {"HOST", "PORT"}}
    result = subprocess.run(
        ["make", "-n", "run", *args],
        cwd=ROOT,
        env={**environment, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.splitlines()


@pytest.mark.parametrize(
    ("args", "env"), [(["PORT=8100"], None), ([], {"PORT": "8100"})], ids=["argument", "environment"]
)
def test_make_run_serves_and_prints_the_port_it_is_given(args, env):
    commands = make_run_commands(*args, env=env)

    assert any(re.search(r"manage\.py runserver 127\.0\.0\.1:8100$", line) for line in commands)
    assert any("manage.py ensure_demo_admin --address 127.0.0.1:8100" in line for line in commands)


def test_make_run_serves_on_8000_by_default():
    commands = make_run_commands()

    assert any(re.search(r"manage\.py runserver 127\.0\.0\.1:8000$", line) for line in commands)
    assert any("manage.py ensure_demo_admin --address 127.0.0.1:8000" in line for line in commands)


@pytest.mark.django_db
def test_the_demo_admin_address_names_the_port_served(settings):
    settings.DEBUG = True
    out = StringIO()

    call_command("ensure_demo_admin", address="127.0.0.1:8100", stdout=out)

    assert "http://127.0.0.1:8100/admin/" in out.getvalue()


def log_output(code: str) -> str:
    """What the development settings (those of `make run`) print to the console for `code`'s log calls."""
    result = subprocess.run(
        [sys.executable, "-c", f"import django, logging; django.setup(); {code}"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "observatory.settings.dev"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stderr


def test_a_request_warning_is_printed_once_with_debug_on():
    output = log_output("logging.getLogger('django.request').warning('Not Found: /no-such-page/')")

    assert output.count("Not Found: /no-such-page/") == 1


def test_runserver_request_lines_are_printed_once_and_dated():
    output = log_output("""logging.getLogger('django.server').info('"GET / HTTP/1.1" 200 5')""")

    lines = [line for line in output.splitlines() if '"GET / HTTP/1.1" 200 5' in line]
    assert len(lines) == 1
    assert re.match(r"^\[\d{2}/\w{3}/\d{4} \d{2}:\d{2}:\d{2}", lines[0])


@pytest.mark.django_db
def test_favicon_ico_answers_with_the_icon(client):
    response = client.get("/favicon.ico", follow=True)

    assert response.status_code == 200
    assert response["Content-Type"] in {"image/vnd.microsoft.icon", "image/x-icon"}


def quick_start() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]


def test_quick_start_documents_the_port():
    assert "PORT=8100 make run" in quick_start()


def test_quick_start_says_which_search_the_embedded_default_has():
    text = " ".join(quick_start().split())

    assert "SQLite" in text
    assert "full-text search (FTS5, ranked by bm25)" in text

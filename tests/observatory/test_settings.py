"""Settings: production refuses insecure defaults; database connections give up fast."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from observatory.settings import base

GOOD_KEY = "k" * 50
GOOD_HOSTS = ["observatory.example.org"]


# --- refuse_insecure_settings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "secret_key",
    ["", "django-insecure-" + "x" * 40, "short-but-not-insecure"],
    ids=["missing", "django-insecure", "too-short"],
)
def test_insecure_secret_key_is_refused_when_debug_is_off(secret_key):
    with pytest.raises(ImproperlyConfigured, match="set SECRET_KEY") as caught:
        base.refuse_insecure_settings(debug=False, secret_key=secret_key, allowed_hosts=GOOD_HOSTS)
    assert "\n" not in str(caught.value)


def test_empty_allowed_hosts_is_refused_when_debug_is_off():
    with pytest.raises(ImproperlyConfigured, match="set ALLOWED_HOSTS") as caught:
        base.refuse_insecure_settings(debug=False, secret_key=GOOD_KEY, allowed_hosts=[])
    assert "\n" not in str(caught.value)


def test_secret_key_message_says_how_to_make_one():
    with pytest.raises(ImproperlyConfigured, match=r"secrets\.token_urlsafe"):
        base.refuse_insecure_settings(debug=False, secret_key="", allowed_hosts=GOOD_HOSTS)


def test_good_production_config_passes():
    assert base.refuse_insecure_settings(debug=False, secret_key=GOOD_KEY, allowed_hosts=GOOD_HOSTS) is None


def test_debug_on_accepts_development_defaults():
    assert base.refuse_insecure_settings(debug=True, secret_key="", allowed_hosts=[]) is None


def test_test_settings_would_pass_the_production_check():
    base.refuse_insecure_settings(
        debug=settings.DEBUG, secret_key=settings.SECRET_KEY, allowed_hosts=settings.ALLOWED_HOSTS
    )


# --- database_from_url ----------------------------------------------------------------------------

POSTGRES_URL = "postgres://observatory:secret@db.example.org:5432/observatory"


@pytest.fixture
def connect_timeout(monkeypatch):
    monkeypatch.setattr(base, "DATABASE_CONNECT_TIMEOUT", 4)
    monkeypatch.delenv("DATABASE_POOL_MAX", raising=False)
    monkeypatch.delenv("DATABASE_CONN_MAX_AGE", raising=False)
    return 4


def test_postgres_url_gets_a_connect_timeout(connect_timeout, monkeypatch):
    monkeypatch.setattr(base, "DATABASE_POOL", False)

    config = base.database_from_url(POSTGRES_URL)

    assert config["ENGINE"] == "observatory.postgresql"  # Django's backend, every round trip bounded
    assert config["OPTIONS"]["connect_timeout"] == connect_timeout


def test_postgres_url_gets_health_checks_and_persistent_connections(connect_timeout, monkeypatch):
    monkeypatch.setattr(base, "DATABASE_POOL", False)

    config = base.database_from_url(POSTGRES_URL)

    assert config["CONN_HEALTH_CHECKS"] is True
    assert config["CONN_MAX_AGE"] == 60
    assert "pool" not in config["OPTIONS"]


def test_database_pool_gets_a_short_timeout(connect_timeout, monkeypatch):
    monkeypatch.setattr(base, "DATABASE_POOL", True)

    config = base.database_from_url(POSTGRES_URL)

    assert config["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 8, "timeout": connect_timeout}
    assert config["CONN_MAX_AGE"] == 0
    assert config["CONN_HEALTH_CHECKS"] is True


def test_database_pool_size_comes_from_the_environment(connect_timeout, monkeypatch):
    monkeypatch.setattr(base, "DATABASE_POOL", True)
    monkeypatch.setenv("DATABASE_POOL_MAX", "20")

    assert base.database_from_url(POSTGRES_URL)["OPTIONS"]["pool"]["max_size"] == 20


def test_postgres_connections_run_without_jit(connect_timeout, monkeypatch):
    monkeypatch.delenv("DATABASE_PLANNER_OPTIONS", raising=False)
    assert base.database_from_url(POSTGRES_URL)["OPTIONS"]["options"].startswith("-c jit=off ")
    monkeypatch.setenv("DATABASE_PLANNER_OPTIONS", "-c jit=on")
    url_options = base.database_from_url(POSTGRES_URL + "?options=-c%20work_mem%3D8MB")["OPTIONS"]["options"]
    assert url_options.startswith("-c work_mem=8MB -c jit=on ")  # the URL's own options are kept


def test_postgres_connections_carry_statement_lock_and_idle_timeouts(connect_timeout, monkeypatch):
    monkeypatch.setattr(base, "DATABASE_STATEMENT_TIMEOUT", 3)
    monkeypatch.setattr(base, "DATABASE_READ_TIMEOUT", 4)
    options = base.database_from_url(POSTGRES_URL)["OPTIONS"]
    assert "-c statement_timeout=3000 -c lock_timeout=3000" in options["options"]
    assert "-c idle_in_transaction_session_timeout=60000" in options["options"]
    assert options["read_timeout"] == 4  # the client's bound on each round trip (observatory/postgresql)
    assert options["tcp_user_timeout"] == 4000
    assert options["keepalives"] == 1


def test_redis_cache_goes_through_the_circuit_breaker(monkeypatch):
    import importlib

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/9")
    monkeypatch.setenv("CACHE_CIRCUIT_BREAKER_SECONDS", "20")
    try:
        cache = importlib.reload(base).CACHES["default"]
    finally:
        monkeypatch.undo()
        importlib.reload(base)
    assert cache["BACKEND"] == "observatory.cache.CircuitBreakerRedisCache"
    assert cache["OPTIONS"]["circuit_breaker_seconds"] == 20


@pytest.mark.django_db
def test_the_test_database_connection_has_jit_off(on_postgresql):
    from django.db import connection

    if not on_postgresql:
        assert "options" not in connection.settings_dict["OPTIONS"]  # SQLite has no such setting
        return
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_sqlite_url_gets_no_postgres_options(connect_timeout, monkeypatch):
    monkeypatch.setattr(base, "DATABASE_POOL", True)

    config = base.database_from_url("sqlite:///:memory:")

    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert "connect_timeout" not in config.get("OPTIONS", {})
    assert "pool" not in config.get("OPTIONS", {})


def test_non_numeric_timeout_is_refused_with_the_variable_name(monkeypatch):
    monkeypatch.setenv("DATABASE_CONNECT_TIMEOUT", "soon")

    with pytest.raises(ImproperlyConfigured, match="DATABASE_CONNECT_TIMEOUT must be a whole number"):
        base.env_int("DATABASE_CONNECT_TIMEOUT", 3)


# --- prod.py refuses to start -------------------------------------------------------------------


def start_django(**environment):
    """Start Django with settings.prod in a clean environment; returns the finished process."""
    clean_env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "observatory.settings.prod",
        **environment,
    }
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=settings.BASE_DIR,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_prod_settings_refuse_to_start_without_secret_key():
    process = start_django(ALLOWED_HOSTS="observatory.example.org")

    assert process.returncode != 0
    assert "ImproperlyConfigured: DEBUG is off: set SECRET_KEY" in process.stderr


def test_prod_settings_refuse_to_start_without_allowed_hosts():
    process = start_django(SECRET_KEY=GOOD_KEY)

    assert process.returncode != 0
    assert "ImproperlyConfigured: DEBUG is off: set ALLOWED_HOSTS" in process.stderr


def test_prod_settings_start_with_a_good_config():
    process = start_django(SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="observatory.example.org")

    assert process.returncode == 0, process.stderr


@pytest.mark.parametrize("debug", ["1", "true", "on"])
def test_prod_settings_refuse_to_start_with_debug_on(debug):
    process = start_django(DEBUG=debug, SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="observatory.example.org")

    assert process.returncode != 0
    message = process.stderr.strip().splitlines()[-1]
    assert message.startswith("django.core.exceptions.ImproperlyConfigured: DEBUG is on"), process.stderr
    assert message.endswith("unset DEBUG or set DEBUG=0."), process.stderr


def test_prod_settings_start_with_debug_off_explicitly():
    process = start_django(DEBUG="0", SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="observatory.example.org")

    assert process.returncode == 0, process.stderr


# --- headers a client could forge: trusted only from a declared proxy ------------------------------

FORWARDED_REQUEST = (
    "from django.test import RequestFactory; "
    "request = RequestFactory().get('/', HTTP_HOST='observatory.example.org', "
    "HTTP_X_FORWARDED_PROTO='https', HTTP_X_FORWARDED_HOST='evil.example', HTTP_X_FORWARDED_PORT='8443', "
    "HTTP_X_FORWARDED_FOR='203.0.113.66', REMOTE_ADDR='192.0.2.1'); "
    "from cases.web.clients import client_ip; "
    "print(request.is_secure(), request.get_host(), request.get_port(), client_ip(request))"
)


def test_without_a_declared_proxy_no_forwarded_header_is_trusted():
    process = run_manage("shell", "-v", "0", "-c", FORWARDED_REQUEST, NUM_PROXIES="0")

    assert process.stdout.split() == ["False", "observatory.example.org", "80", "192.0.2.1"], process.stderr


def test_behind_a_declared_proxy_its_protocol_and_address_headers_are_trusted():
    process = run_manage("shell", "-v", "0", "-c", FORWARDED_REQUEST, NUM_PROXIES="1")

    # The proxy's X-Forwarded-Proto and X-Forwarded-For count; the forwarded host and port never do.
    assert process.stdout.split() == ["True", "observatory.example.org", "80", "203.0.113.66"], process.stderr


# --- check --deploy -------------------------------------------------------------------------------


def run_manage(*arguments, **environment):
    """`manage.py ...` with settings.prod in a clean environment (what a production start sees)."""
    clean_env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "observatory.settings.prod",
        "SECRET_KEY": "a-production-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "observatory.example.org",
        **environment,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=settings.BASE_DIR,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy_with_no_issues(tmp_path):
    # The API schema check reads the vocabularies, so the database needs its tables: a fresh file.
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'deploy-check.sqlite3'}"}
    migrated = run_manage("migrate", "--no-input", "-v", "0", **database)
    assert migrated.returncode == 0, migrated.stderr

    process = run_manage("check", "--deploy", "--fail-level", "DEBUG", **database)

    assert process.returncode == 0, process.stdout + process.stderr
    assert "System check identified no issues (0 silenced)." in process.stdout
    assert "WARNINGS" not in process.stdout + process.stderr


def test_check_deploy_notices_an_insecure_production_setting(tmp_path):
    """The check above could fail: the same command reports HSTS switched off."""
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'deploy-check.sqlite3'}"}
    run_manage("migrate", "--no-input", "-v", "0", **database)

    process = run_manage("check", "--deploy", SECURE_HSTS_SECONDS="0", **database)

    assert "security.W004" in process.stdout + process.stderr


def test_production_mail_goes_through_smtp():
    process = run_manage("shell", "-v", "0", "-c", "print(settings.MAILERS['default']['BACKEND'])")

    assert process.stdout.strip() == "django.core.mail.backends.smtp.EmailBackend", process.stderr


def test_production_requires_a_second_factor_for_staff_by_default():
    process = run_manage("shell", "-v", "0", "-c", "print(settings.STAFF_REQUIRE_TOTP)")

    assert process.stdout.strip() == "True", process.stderr


def test_production_cookies_are_secure_host_only_and_http_only():
    process = run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        "s = settings; print(s.SESSION_COOKIE_NAME, s.SESSION_COOKIE_SECURE, "
        "s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_NAME, s.CSRF_COOKIE_SECURE, "
        "s.CSRF_COOKIE_HTTPONLY, s.CSRF_COOKIE_SAMESITE, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_HSTS_INCLUDE_SUBDOMAINS)",
    )

    assert process.stdout.split() == [
        "__Host-sessionid",
        "True",
        "True",
        "Lax",
        "__Host-csrftoken",
        "True",
        "True",
        "Lax",
        "31536000",
        "True",
    ], process.stderr


# --- The cache's key version: the release -----------------------------------------------------------


def test_the_cache_keys_change_with_the_release(tmp_path):
    for folder in ("cases", "observatory", "templates", "static"):
        (tmp_path / folder).mkdir()
    page = tmp_path / "templates" / "page.html"
    page.write_text("<h1>{{ title }}</h1>")
    (tmp_path / "cases" / "notes.md").write_text("not part of any answer")
    before = base.release_digest(tmp_path)

    (tmp_path / "cases" / "notes.md").write_text("edited")
    assert base.release_digest(tmp_path) == before  # only what answers are made from counts
    page.write_text("<h1 class='title'>{{ title }}</h1>")
    assert base.release_digest(tmp_path) != before
    assert settings.CACHES["default"]["VERSION"] == base.CACHE_VERSION


def test_a_named_release_is_the_cache_version(monkeypatch):
    import importlib

    monkeypatch.setenv("CACHE_VERSION", "2026.12.07")
    try:
        assert importlib.reload(base).CACHES["default"]["VERSION"] == "2026.12.07"
    finally:
        monkeypatch.delenv("CACHE_VERSION")
        importlib.reload(base)

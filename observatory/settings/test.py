"""Tests: fast hashing, in-memory mail, immediate tasks; the database comes from DATABASE_URL."""

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-secret-key-that-is-long-enough-for-django-checks"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "opendata": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
}

# Serve static files straight from the finders (no collectstatic needed outside production).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Parallel test workers (pytest-xdist) each get their own Redis database: cache.clear() flushes a whole
# database, and throttle buckets must not be shared between tests running at the same time.
if REDIS_URL:  # noqa: F405
    import os
    import re

    _worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    _database = 1 + int(re.sub(r"\D", "", _worker) or 0) % 15
    CACHES["default"]["LOCATION"] = re.sub(r"(/\d+)?$", f"/{_database}", REDIS_URL.rstrip("/"), count=1)  # noqa: F405

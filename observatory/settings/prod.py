"""Production: everything from base.py, tightened; refuses to start with an insecure default.

`manage.py check --deploy` passes with these settings and nothing silenced
(tests/observatory/test_settings.py).
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    ALLOWED_HOSTS,
    DEBUG,
    NUM_PROXIES,
    SECRET_KEY,
    env_bool,
    env_int,
    env_str,
    refuse_insecure_settings,
)

# DEBUG shows settings, source and SQL to anyone who meets an error: never in production, whatever else.
if DEBUG:
    raise ImproperlyConfigured(
        "DEBUG is on with the production settings (observatory.settings.prod): unset DEBUG or set DEBUG=0."
    )
refuse_insecure_settings(debug=DEBUG, secret_key=SECRET_KEY, allowed_hosts=ALLOWED_HOSTS)

# Links in e-mails (cases/tasks.py) are built on SITE_URL; by default the first allowed host, over HTTPS.
if not env_str("SITE_URL"):
    _first_host = ALLOWED_HOSTS[0].lstrip(".")
    if "*" in _first_host:
        raise ImproperlyConfigured("Set SITE_URL to the public site's address (e-mails link to it).")
    SITE_URL = f"https://{_first_host}"

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# A header is trusted only when a proxy we declared (NUM_PROXIES) sets it; without one, any client could write
# X-Forwarded-Proto: https and be taken for a secure connection. The proxy must overwrite the client's own.
# The client's address is read the same way (cases.web.clients.client_ip). X-Forwarded-Host and
# X-Forwarded-Port are never trusted, proxy or not: the proxy passes Host on and ALLOWED_HOSTS checks it.
if NUM_PROXIES > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = False
USE_X_FORWARDED_PORT = False
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# `__Host-`: the browser accepts the cookie only over HTTPS, from this exact host, for the whole site.
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_NAME = "__Host-csrftoken"
CSRF_COOKIE_HTTPONLY = True
# Uploads keep base.py's choice (local, or S3 by STORAGE_BACKEND); static files get hashed, compressed names.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}  # noqa: F405

# Staff need a second factor in admin unless said otherwise (enrol with `manage.py enrol_totp USER`).
STAFF_REQUIRE_TOTP = env_bool("STAFF_REQUIRE_TOTP", True)

# Mail goes out through SMTP: the console backend of base.py would lose it.
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": env_str("EMAIL_HOST", "localhost"),
            "port": env_int("EMAIL_PORT", 587),
            "username": env_str("EMAIL_HOST_USER"),
            "password": env_str("EMAIL_HOST_PASSWORD"),
            "use_tls": env_bool("EMAIL_USE_TLS", True),
            "timeout": env_int("EMAIL_TIMEOUT", 10),
        },
    }
}

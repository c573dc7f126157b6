"""Settings shared by every environment, all read from environment variables (12-factor).

dev.py, test.py and prod.py only change defaults or tighten; nothing is defined twice.
"""

import hashlib
import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

INSECURE_SECRET_KEY_PREFIX = "django-insecure-"


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    try:
        return int(value) if value else default
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from error


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")


def refuse_insecure_settings(*, debug: bool, secret_key: str, allowed_hosts: list[str]) -> None:
    """Stop start-up with a one-line message when DEBUG is off but the settings are not production-safe."""
    if debug:
        return
    if not secret_key or secret_key.startswith(INSECURE_SECRET_KEY_PREFIX) or len(secret_key) < 32:
        raise ImproperlyConfigured(
            "DEBUG is off: set SECRET_KEY to a random string of at least 32 characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    if not allowed_hosts:
        raise ImproperlyConfigured(
            "DEBUG is off: set ALLOWED_HOSTS to the host names this site answers to (comma-separated)."
        )


INSTALLED_APPS = [
    # Django's admin with the Observatory's site (observatory/admin.py): a second factor when required.
    "observatory.apps.ObservatoryAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # The task queue in the database, and its results in the admin (TASKS_BACKEND, observatory/worker.py).
    "observatory.apps.TasksConfig",
    "cases",
]

MIDDLEWARE = [
    # The header middlewares come before WhiteNoise, which answers static files itself: those get every
    # security header too (a stylesheet or SVG with no CSP or nosniff is still something to abuse).
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "cases.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Above everything that may query the database: an outage becomes a calm 503 with Retry-After.
    "cases.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The answer's language: the address's prefix (/ja/...), or negotiated for the admin and the API.
    "cases.middleware.AddressLocaleMiddleware",
    # Over-long, control-character and non-UTF-8 requests: our own 414/400 before anything reads them.
    "cases.middleware.RequestValidationMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Anonymous readers' pages from the cache until the catalogue changes (no database touched).
    "cases.middleware.CataloguePageCacheMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): did this session pass a second factor (observatory/admin.py)?
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns axes' "locked out" mark on a login request into the lockout page (429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "observatory.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

WSGI_APPLICATION = "observatory.wsgi.application"

# --- Database -------------------------------------------------------------------------------------
# DATABASE_URL selects the database; the default is an SQLite file for trying the portal out.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 3)
DATABASE_POOL = env_bool("DATABASE_POOL", False)
# A statement the server works on longer than this is cancelled (0: no limit). The heaviest page at 100,000
# cases (a word found in nearly every case) spends about 2.3 s in SQL over several statements (p95,
# docs/benchmarks.md); each statement of a request must fit in this.
DATABASE_STATEMENT_TIMEOUT = env_int("DATABASE_STATEMENT_TIMEOUT", 3)
# The client's bound on any one round trip (observatory/postgresql/base.py): a server that accepts and
# never answers costs a request this long, then a 503. Longer than the statement timeout, so a slow
# statement is cancelled by the server first and the connection stays usable.
DATABASE_READ_TIMEOUT = env_int(
    "DATABASE_READ_TIMEOUT", DATABASE_STATEMENT_TIMEOUT + 1 if DATABASE_STATEMENT_TIMEOUT else 0
)
# Streamed reads (server-side cursors: exports) and bulk work (migrations, long_running()) get this long.
DATABASE_BULK_TIMEOUT = env_int("DATABASE_BULK_TIMEOUT", 600)
# DATABASE_URL names a pooler in transaction mode (PgBouncer, docs/deployment.md), where consecutive
# transactions of one connection may run on different server sessions: nothing may rely on session state.
# So no server-side prepared statements, no cursor kept past a transaction, and the server-side limits are
# set by the pooler on each server connection (`connect_query`: database_session_options()) instead of as
# connection options, which PgBouncer refuses. Bulk work (management commands, the task worker) connects to
# PostgreSQL itself.
DATABASE_TRANSACTION_POOLING = env_bool("DATABASE_TRANSACTION_POOLING", False)


def database_session_options() -> str:
    """The server-side settings of every connection, as libpq's `options` (`-c name=value ...`)."""
    # JIT compiling costs more than it saves on our queries: it added about 0.2 s to the statistics' SQL
    # over 100,000 cases (1.19 s against 0.98 s), for queries that otherwise take milliseconds.
    planner = env_str("DATABASE_PLANNER_OPTIONS", "-c jit=off")
    # Server-side limits: a slow statement or lock wait ends with a clean error (a 503 in a request); a
    # transaction left open by a stuck client gives its locks back after a minute.
    statement_ms = DATABASE_STATEMENT_TIMEOUT * 1000
    limits = (
        f"-c statement_timeout={statement_ms} -c lock_timeout={statement_ms} "
        "-c idle_in_transaction_session_timeout=60000"
    )
    return f"{planner} {limits}".strip()


def database_from_url(url: str) -> dict:
    """Django's DATABASES entry for a URL, with PostgreSQL tuned to notice a lost server fast."""
    config = dj_database_url.parse(url)
    if config["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend with a bound on every round trip to the server (a hung server is a 503 in
        # seconds, warm connections included): observatory/postgresql/base.py says why and how.
        config["ENGINE"] = "observatory.postgresql"
        options = config.setdefault("OPTIONS", {})
        # psycopg's own default is to wait for ever; a short timeout turns an outage into a quick 503.
        options["connect_timeout"] = DATABASE_CONNECT_TIMEOUT
        options["read_timeout"] = DATABASE_READ_TIMEOUT
        options["bulk_timeout"] = DATABASE_BULK_TIMEOUT
        # A peer that is gone (not merely silent): unacknowledged data for longer than the read timeout,
        # or an idle connection whose keepalive probes go unanswered, closes the socket.
        options.update(keepalives=1, keepalives_idle=10, keepalives_interval=3, keepalives_count=3)
        if DATABASE_READ_TIMEOUT:
            options["tcp_user_timeout"] = DATABASE_READ_TIMEOUT * 1000
        if DATABASE_TRANSACTION_POOLING:
            if options.get("options"):
                raise ImproperlyConfigured(
                    "PgBouncer refuses server settings in DATABASE_URL (options=...): with "
                    "DATABASE_TRANSACTION_POOLING, set them in its connect_query (docs/deployment.md)."
                )
            options["prepare_threshold"] = None  # Django's default, kept whatever the URL says
            config["DISABLE_SERVER_SIDE_CURSORS"] = True  # a WITH HOLD cursor outlives its transaction
            config["TRANSACTION_POOLING"] = True  # read by long_running() and the worker, which refuse it
        else:
            options["options"] = f"{options.get('options', '')} {database_session_options()}".strip()
        if DATABASE_POOL:
            # Django's built-in psycopg_pool support; the pool's wait must be short too (its default is 30 s).
            options["pool"] = {
                "min_size": 1,
                "max_size": env_int("DATABASE_POOL_MAX", 8),
                "timeout": DATABASE_CONNECT_TIMEOUT,
            }
            config["CONN_MAX_AGE"] = 0
        else:
            config["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
        config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Read replicas (observatory/replicas.py, docs/deployment.md "Read replicas"): PostgreSQL streaming replicas
# of DATABASE_URL, comma-separated. Anonymous readers' requests read from one; writes, staff, the worker and
# a reader's requests for DATABASE_REPLICA_STICKY_SECONDS after a write of theirs use the primary, and so
# does every read while a replica lags more than DATABASE_REPLICA_MAX_LAG seconds or cannot be reached
# (tried again after DATABASE_REPLICA_RETRY_SECONDS). Each process measures a replica's lag at most every
# DATABASE_REPLICA_CHECK_SECONDS. None configured: no router, no middleware, nothing changes.
DATABASE_REPLICA_URLS = env_list("DATABASE_REPLICA_URLS")
DATABASE_REPLICA_MAX_LAG = float(env_str("DATABASE_REPLICA_MAX_LAG", "5"))
DATABASE_REPLICA_CHECK_SECONDS = float(env_str("DATABASE_REPLICA_CHECK_SECONDS", "1"))
DATABASE_REPLICA_RETRY_SECONDS = float(env_str("DATABASE_REPLICA_RETRY_SECONDS", "10"))
DATABASE_REPLICA_STICKY_SECONDS = env_int("DATABASE_REPLICA_STICKY_SECONDS", 15)


def replica_databases(urls: list[str], primary: dict) -> dict:
    """DATABASES entries `replica_1`, `replica_2`, ... for the replicas' URLs, tuned as the primary is."""
    replicas = {}
    for number, url in enumerate(urls, start=1):
        config = database_from_url(url)
        if config["ENGINE"] != "observatory.postgresql" or primary["ENGINE"] != "observatory.postgresql":
            raise ImproperlyConfigured(
                "DATABASE_REPLICA_URLS: read replicas are PostgreSQL streaming replicas of a PostgreSQL "
                "DATABASE_URL (postgres://...)."
            )
        # Under tests the alias is the test database itself (a replica is read-only: no test database can
        # be created on it); the tests that need a real replica start one (tests/observatory/replication.py).
        config["TEST"] = {"MIRROR": "default"}
        replicas[f"replica_{number}"] = config
    return replicas


if DATABASE_REPLICA_STICKY_SECONDS <= DATABASE_REPLICA_MAX_LAG:
    # A reader back on a replica after the window must find their write there: the replica then lags less.
    raise ImproperlyConfigured(
        "DATABASE_REPLICA_STICKY_SECONDS must be longer than DATABASE_REPLICA_MAX_LAG."
    )
DATABASES.update(replica_databases(DATABASE_REPLICA_URLS, DATABASES["default"]))
DATABASE_ROUTERS = ["observatory.replicas.ReplicaRouter"] if DATABASE_REPLICA_URLS else []
if DATABASE_REPLICA_URLS:
    # Above the 503 middleware, so that a replica lost while answering is answered again from the primary.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("cases.middleware.DatabaseUnavailableMiddleware"),
        "observatory.replicas.ReplicaRoutingMiddleware",
    )

# --- Cache ----------------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
RELEASE_FILES = (".py", ".html", ".txt", ".mo", ".js", ".css", ".svg", ".xml")


def release_digest(root: Path = BASE_DIR) -> str:
    """A digest of what the answers are made from (code, templates, compiled translations, static files):
    the cache's key version. A new release then never serves what an old one cached (a page of the old
    templates), and while both run during a rolling upgrade each reads only its own entries."""
    digest = hashlib.sha256()
    for folder in ("cases", "observatory", "templates", "static"):
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in RELEASE_FILES and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# CACHE_VERSION names the release instead, where every process of it is known to be the same build.
CACHE_VERSION = env_str("CACHE_VERSION") or release_digest()
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache behind a circuit breaker (observatory/cache.py): after a failure to reach
            # Redis the process skips it for CACHE_CIRCUIT_BREAKER_SECONDS, then tries once again.
            "BACKEND": "observatory.cache.CircuitBreakerRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "observatory"),
            "VERSION": CACHE_VERSION,
            "OPTIONS": {
                "socket_connect_timeout": 1,
                "socket_timeout": 1,
                "circuit_breaker_seconds": env_int("CACHE_CIRCUIT_BREAKER_SECONDS", 15),
            },
        }
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "VERSION": CACHE_VERSION}
    }

# --- Auth -----------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out login is refused before the password is even checked (django-axes).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Trusted proxies in front of the app, each appending the address it saw to X-Forwarded-For (0: none, the
# connection's own address counts). Every rate limit and lockout reads the client's address by it, through
# cases.web.clients.client_ip: the API's throttles, the submission form, the admin login (axes).
NUM_PROXIES = env_int("NUM_PROXIES", 0)

# Guessing admin passwords (django-axes, docs/security.md): after LOGIN_FAILURE_LIMIT failures for one
# user name, or from one address, logins for it are refused (429, templates/registration/lockout.html)
# until LOGIN_LOCKOUT_MINUTES after the failure that locked it; then it opens by itself, no reset needed.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one reaching the limit locks
# Tries while locked out do not push the end of the lockout further: the page can say when it ends.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "cases.web.errors.login_lockout_response"
# The address every rate limit reads (cases/web/clients.py, NUM_PROXIES): a forged X-Forwarded-For
# from the client cannot make each try look like a new address.
AXES_CLIENT_IP_CALLABLE = "cases.web.clients.client_ip"

# A second factor (TOTP, django-otp) for staff in admin: required when true (on by default in prod.py).
# A curator enrols a device with `manage.py enrol_totp USERNAME` (docs/security.md).
STAFF_REQUIRE_TOTP = env_bool("STAFF_REQUIRE_TOTP", False)
OTP_TOTP_ISSUER = env_str("SITE_NAME", "The Observatory")

# --- Internationalisation -------------------------------------------------------------------------
# The interface's languages: English, unprefixed, and the APO's main languages under /<code>/
# (observatory/urls.py). Each has a complete catalogue in cases/locale/ (docs/translating.md);
# tests/test_translations.py fails on a missing or fuzzy message. The switcher names each in its own language.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("ja", _("Japanese")),
    ("zh-hant", _("Traditional Chinese")),
    ("ko", _("Korean")),
    ("id", _("Indonesian")),
    ("th", _("Thai")),
    ("vi", _("Vietnamese")),
]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# One catalogue for the whole project (templates, observatory/ and cases/): `make messages` updates it.
LOCALE_PATHS = [BASE_DIR / "cases" / "locale"]
# Number formats of ours where Django's locale data falls short (observatory/formats).
FORMAT_MODULE_PATH = ["observatory.formats"]

# --- Static and uploaded files --------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # The charts' libraries and map data, installed by npm (package-lock.json) and served from here, never
    # copied into the repository nor loaded from a CDN: only each package's distribution folder is exposed.
    ("vendor/chartjs", BASE_DIR / "node_modules/chart.js/dist"),
    ("vendor/d3-array", BASE_DIR / "node_modules/d3-array/dist"),
    ("vendor/d3-geo", BASE_DIR / "node_modules/d3-geo/dist"),
    ("vendor/topojson-client", BASE_DIR / "node_modules/topojson-client/dist"),
    ("vendor/world-atlas", BASE_DIR / "node_modules/world-atlas"),
]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))


_S3_BACKEND = "storages.backends.s3.S3Storage"  # not a setting


def _s3_options(bucket: str) -> dict:
    """Where a bucket is and with which keys: one set of AWS_* variables for every S3 storage."""
    return {
        "bucket_name": bucket,
        "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
        "region_name": env_str("AWS_S3_REGION_NAME") or None,
        "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
        "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
    }


def default_storage_from_env() -> dict:
    """Uploads on the local disk (MEDIA_ROOT), or on S3-compatible object storage with STORAGE_BACKEND=s3
    (needs the `s3` extra: pip install .[s3]). Keys may be left unset where the platform provides them."""
    backend = env_str("STORAGE_BACKEND", "filesystem").lower()
    if backend in ("filesystem", "local"):
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if backend != "s3":
        raise ImproperlyConfigured(f"STORAGE_BACKEND must be 'filesystem' or 's3', not {backend!r}.")
    bucket = env_str("AWS_STORAGE_BUCKET_NAME")
    if not bucket:
        raise ImproperlyConfigured(
            "STORAGE_BACKEND=s3: set AWS_STORAGE_BUCKET_NAME to the bucket for uploads."
        )
    options = {
        **_s3_options(bucket),
        # django-storages overwrites a file of the same name by default; an upload must never replace another.
        "file_overwrite": False,
        "default_acl": None,  # the bucket's policy decides, not a per-object ACL
        "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", True),
    }
    return {"BACKEND": _S3_BACKEND, "OPTIONS": options}


# The open-data dumps (cases/interchange/dumps.py, docs/open-data.md): a folder on this disk by default.
OPEN_DATA_ROOT = Path(env_str("OPEN_DATA_ROOT", str(BASE_DIR / "var" / "open-data")))


def open_data_storage_from_env() -> dict:
    """The open-data dumps in OPEN_DATA_ROOT, or with OPEN_DATA_STORAGE_BACKEND=s3 under a prefix of a bucket
    (OPEN_DATA_BUCKET, by default the uploads' bucket), reached with the same AWS_* variables as uploads: on
    a platform whose disk is not kept, or is not shared by the web processes and the worker that writes."""
    backend = env_str("OPEN_DATA_STORAGE_BACKEND", "filesystem").lower()
    if backend in ("filesystem", "local"):
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": OPEN_DATA_ROOT},
        }
    if backend != "s3":
        raise ImproperlyConfigured(
            f"OPEN_DATA_STORAGE_BACKEND must be 'filesystem' or 's3', not {backend!r}."
        )
    bucket = env_str("OPEN_DATA_BUCKET") or env_str("AWS_STORAGE_BUCKET_NAME")
    if not bucket:
        raise ImproperlyConfigured(
            "OPEN_DATA_STORAGE_BACKEND=s3: set OPEN_DATA_BUCKET (or AWS_STORAGE_BUCKET_NAME) to the bucket."
        )
    options = {
        **_s3_options(bucket),
        # A prefix of their own: in the uploads' bucket the dumps' day folders never mix with cases/<id>/.
        "location": env_str("OPEN_DATA_LOCATION", "open-data").strip("/"),
        # Never replace in place: a writer deletes a dump's file before storing it again, so a name taken
        # meanwhile is another writer's, which write_dump then reports instead of overwriting.
        "file_overwrite": False,
        "default_acl": None,
        # /data/ reads each file whole through django-storages before sending it: past 8 MiB it waits on
        # disk, not in the web process's memory (a release's cases file is tens of megabytes at scale).
        "max_memory_size": 8 * 1024 * 1024,
    }
    return {"BACKEND": _S3_BACKEND, "OPTIONS": options}


def s3_client_config_from_env():
    """Bounded waits for every S3 storage (django-storages' AWS_S3_CLIENT_CONFIG). botocore's own defaults
    wait 60 s to connect and 60 s for each read, over up to 5 attempts: an endpoint that stops answering
    would hold a page, an upload or the dump task for minutes, past gunicorn's 30 s worker timeout. With
    these, a dead one is an error naming its address (botocore's EndpointConnectionError, ConnectTimeoutError
    or ReadTimeoutError): at once when refused, within about 7 s when unreachable, 21 s when it hangs."""
    try:
        from botocore.config import Config
    except ImportError as error:
        raise ImproperlyConfigured("S3 storage needs the `s3` extra: pip install .[s3]") from error
    addressing = env_str("AWS_S3_ADDRESSING_STYLE", "auto").lower()
    if addressing not in ("auto", "path", "virtual"):
        raise ImproperlyConfigured(
            f"AWS_S3_ADDRESSING_STYLE must be 'auto', 'path' or 'virtual', not {addressing!r}."
        )
    return Config(
        connect_timeout=env_int("AWS_S3_CONNECT_TIMEOUT", 3),
        read_timeout=env_int("AWS_S3_READ_TIMEOUT", 10),
        # Standard mode: attempts counted with the first (botocore's `max_attempts` would count the retries
        # only), a backoff of up to 1 s before the second. Two: a throttled or dropped request is tried again.
        retries={"total_max_attempts": env_int("AWS_S3_MAX_ATTEMPTS", 2), "mode": "standard"},
        # `path` for servers that do not answer at <bucket>.<host> (MinIO and others on a plain host name).
        s3={"addressing_style": addressing},
        # Left unset, botocore signs an upload's address with Signature Version 2 in us-east-1 (and with a
        # custom endpoint), which AWS refuses for buckets made since 2020 and other services do not speak.
        signature_version="s3v4",
    )


STORAGES = {
    "default": default_storage_from_env(),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "opendata": open_data_storage_from_env(),
}
if any(each["BACKEND"] == _S3_BACKEND for each in STORAGES.values()):
    AWS_S3_CLIENT_CONFIG = s3_client_config_from_env()
# Upload limits (cases/curation/uploads.py): an image, then any other file (PDF, Office, text).
UPLOAD_MAX_IMAGE_BYTES = env_int("UPLOAD_MAX_IMAGE_BYTES", 5 * 1024 * 1024)
UPLOAD_MAX_FILE_BYTES = env_int("UPLOAD_MAX_FILE_BYTES", 20 * 1024 * 1024)

# --- Security headers (tightened further in prod.py) ----------------------------------------------
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Not built into Django: cases.middleware.SecurityHeadersMiddleware sends these two on every response.
PERMISSIONS_POLICY = {
    feature: []  # allowed to no one, not even this site
    for feature in [
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "interest-cohort",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    ]
}
# Same-origin everywhere, the API included: CORP only governs no-cors loads (<img>, <script>...), so it
# costs a partner calling the API with fetch() nothing (docs/security.md).
CROSS_ORIGIN_RESOURCE_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Sessions are for staff in admin only: they end when the browser closes and, whatever happens, after
# SESSION_COOKIE_AGE seconds from login (8 hours, a working day); no sliding renewal.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "cases.web.errors.csrf_failure"

# --- REST framework -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Read for everyone; a view that writes (submissions, later) must name a permission of its own.
    "DEFAULT_PERMISSION_CLASSES": ["cases.api.permissions.ReadOnly"],
    # Partner keys only (`Authorization: Api-Key <key>`): no session or password authentication on the API.
    "DEFAULT_AUTHENTICATION_CLASSES": ["cases.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_FILTER_BACKENDS": ["cases.api.filters.ApiFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "cases.api.pagination.PageNumberPagination",
    "DEFAULT_SCHEMA_CLASS": "cases.api.schema.ApiAutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # One parser for every body: JSON only, refusing what cannot be stored (NUL, lone surrogates) and
    # nesting too deep, with a readable 400 (cases/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["cases.api.parsers.StrictJSONParser"],
    "EXCEPTION_HANDLER": "cases.api.errors.problem_exception_handler",
    # Exports have their own addresses (export.csv, export.jsonl); ?format= selects nothing.
    "URL_FORMAT_OVERRIDE": None,
    # Counted in the default cache: Redis (shared by every worker) whenever REDIS_URL is set.
    "DEFAULT_THROTTLE_CLASSES": [
        "cases.api.throttling.AnonymousRateThrottle",
        "cases.api.throttling.EndpointRateThrottle",
        # A request with a partner key: the key's own rate (ApiKey.rate), instead of `anon`.
        "cases.api.throttling.ApiKeyRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_ANON_RATE", "120/minute"),
        "export": env_str("API_EXPORT_RATE", "10/minute"),
        # Not the API's: PDFs of cases made for one client (cases/site/pdf.py; one served from the cache does
        # not count), read here like every limit the pages state (cases.web.rate_limits.configured_rate).
        "pdf": env_str("PDF_RATE", "20/minute"),
    },
    # Read only by DRF's own get_ident, which our throttles replace with cases.web.clients.client_ip; kept
    # equal so that a DRF throttle used without ours still reads the address the same way.
    "NUM_PROXIES": NUM_PROXIES,
}
SPECTACULAR_SETTINGS = {
    # Lazy: drf-spectacular makes the document, and the docs page its title, in the request's language.
    "TITLE": _("Observatory API"),
    "DESCRIPTION": _(
        # Translators: Retry-After, ETag and Last-Modified are HTTP headers' names, application/problem+json a
        # media type and docs/api.md a file: keep them as they are.
        "Public-sector innovation case studies: read, filter and harvest the catalogue. Published cases "
        "only. Anonymous reads are rate-limited (429 with Retry-After). Every read answers conditional "
        "requests (ETag / Last-Modified, 304). Errors are problem details (application/problem+json). "
        "Guide: docs/api.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    # Deep links rewrite the address bar on every click; off, the page stays one address (and keyboard
    # users are not sent back through history). Our own template: templates/drf_spectacular/swagger_ui.html.
    # Syntax colouring off: its palette on the dark code blocks falls short of 4.5:1 (axe, an operation tried
    # out); the code stays light on dark.
    "SWAGGER_UI_SETTINGS": {"deepLinking": False, "syntaxHighlight": {"activated": False}},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "cases.api.schema.add_standard_responses",
        # After the two above: one component per vocabulary and per query parameter (issue 17).
        "cases.api.schema.share_definitions",
    ],
    "ENUM_NAME_OVERRIDES": {
        "LevelEnum": "cases.models.Level",
        "StageEnum": "cases.models.Stage",
        "OrganisationTypeEnum": "cases.models.OrganisationType",
        "LinkRelationEnum": "cases.models.LinkRelation",
        "ResourceKindEnum": "cases.models.ResourceKind",
    },
}

# --- Mail (Django 6.1 MAILERS); the console by default, SMTP when EMAIL_URL-style settings are given ---
MAILERS = {"default": {"BACKEND": env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "The Observatory <noreply@observatory.example.org>")

# --- Logging --------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # runserver's request lines, dated, as Django's default configuration writes them.
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "stream": sys.stderr},
        "django.server": {
            "class": "logging.StreamHandler",
            "stream": sys.stderr,
            "formatter": "django.server",
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's default configuration gives "django" a console handler of its own (with DEBUG on), and the
        # root's printed each of its lines a second time ("Not Found: /x/" twice under `make run`): Django's
        # lines go through the root's handler only (its other handler, mail_admins, had no ADMINS to mail).
        "django": {"handlers": []},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        # django-axes logs every successful login at INFO; failures and lockouts (WARNING) are what matter.
        "axes": {"level": env_str("AXES_LOG_LEVEL", "WARNING")},
        # The task framework logs each task's start and end at INFO; a failed task is logged as an ERROR.
        "django.tasks": {"level": env_str("TASKS_LOG_LEVEL", "WARNING")},
        # WeasyPrint (a case's PDF, cases/site/pdf.py) logs each step of every PDF at INFO; what it could not
        # fetch or lay out is a WARNING.
        "weasyprint.progress": {"level": "WARNING"},
    },
}

# --- Background tasks (cases/tasks.py) --------------------------------------------------------------
# Django's own task framework. The immediate backend runs a task at once, in the process that enqueued
# it: the statistics refresh after a write runs at the end of the writer's request, after the commit.
# A deployment sets TASKS_BACKEND=django_tasks_db.DatabaseBackend: tasks are then queued in the database
# once the write commits, and run by `manage.py run_worker` (observatory/worker.py), out of the request
# entirely, with retries and a record of failures in the admin (docs/deployment.md).
TASKS = {"default": {"BACKEND": env_str("TASKS_BACKEND", "django.tasks.backends.immediate.ImmediateBackend")}}
if DATABASE_TRANSACTION_POOLING and TASKS["default"]["BACKEND"].endswith("ImmediateBackend"):
    # Tasks do bulk work (long_running()), which needs a session of its own: the worker's, connected to
    # PostgreSQL itself, never a request's borrowed one.
    raise ImproperlyConfigured(
        "DATABASE_TRANSACTION_POOLING needs the task worker: set "
        "TASKS_BACKEND=django_tasks_db.DatabaseBackend and run `manage.py run_worker` connected to "
        "PostgreSQL itself (docs/deployment.md)."
    )
# The worker (observatory/worker.py): a task is run at most TASK_MAX_ATTEMPTS times, waiting the delays
# (seconds; the last repeats) between attempts; a task marked running longer than the grace whose worker
# holds no lock on it any more is queued again, looked for every TASK_ORPHAN_CHECK_SECONDS.
TASK_MAX_ATTEMPTS = env_int("TASK_MAX_ATTEMPTS", 3)
TASK_RETRY_DELAYS = [int(delay) for delay in env_list("TASK_RETRY_DELAYS", "30,300")]
TASK_ORPHAN_GRACE_SECONDS = env_int("TASK_ORPHAN_GRACE_SECONDS", 30)
TASK_ORPHAN_CHECK_SECONDS = env_int("TASK_ORPHAN_CHECK_SECONDS", 15)
# What the workers run by the clock: {task path: seconds between runs}. The open-data dump is looked at
# hourly and written once a day (a day's dump exists: nothing to do), so each day's comes in its first hour.
TASK_SCHEDULE = {
    "cases.interchange.dumps.write_open_data": 3600,
    "cases.tasks.refresh_stale_related": 300,
    # Each subscriber's digest when it is due (daily or weekly), and unconfirmed subscriptions purged.
    "cases.services.send_alert_digests": 3600,
    # Toolkits' addresses, checked once a week (broken ones are flagged for curators in the admin).
    "cases.services.check_toolkit_links": 7 * 24 * 3600,
}
AXES_VERBOSE = False

# --- The Observatory's own settings ---------------------------------------------------------------
# Open data (docs/open-data.md): what the Data Package says of the dataset, and which dumps are kept (the
# newest OPEN_DATA_KEEP_DAILY, and the newest of each of the last OPEN_DATA_KEEP_MONTHLY months).
OPEN_DATA_TITLE = env_str("OPEN_DATA_TITLE", "Public-sector innovation case studies of the APO Observatory")
OPEN_DATA_DESCRIPTION = env_str(
    "OPEN_DATA_DESCRIPTION",
    "Case studies of innovation in the public sector of the Asian Productivity Organization's member "
    "economies and beyond, curated by the Observatory: what was done, by whom, where, with what results, "
    "tagged by sector, theme, innovation facet and Sustainable Development Goal.",
)
OPEN_DATA_PUBLISHER = env_str("OPEN_DATA_PUBLISHER", "Asian Productivity Organization")
OPEN_DATA_KEEP_DAILY = env_int("OPEN_DATA_KEEP_DAILY", 7)
OPEN_DATA_KEEP_MONTHLY = env_int("OPEN_DATA_KEEP_MONTHLY", 12)
# Search on PostgreSQL keeps a posting list (a bitmap of cases) for each word in at least this many cases,
# so that counting a common word does not read every case that has it (cases/search/postings.py). Ranking
# the cases of a word without one costs about 8 ms a thousand cases (a word in 4,827 of 100,000: 70 ms of
# SQL for the library page); from 2,500 up the posting's top list answers the first pages instead.
SEARCH_POSTING_MIN_CASES = env_int("SEARCH_POSTING_MIN_CASES", 2500)
OBSERVATORY_SITE_NAME = env_str("SITE_NAME", "The Observatory")
# The public site's address, for absolute links where there is no request to go by (the e-mails sent by
# tasks, cases/tasks.py). prod.py defaults it to https:// and the first of ALLOWED_HOSTS.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Where visitors write about privacy or accessibility problems: shown on /privacy/ and /accessibility/.
CONTACT_EMAIL = env_str("CONTACT_EMAIL", "observatory@observatory.example.org")
# Submitter contact details are deleted this many days after they were received, once their case has
# been decided (published or archived): `manage.py purge_submitter_contacts`, run daily (see /privacy/).
SUBMITTER_CONTACT_RETENTION_DAYS = env_int("SUBMITTER_CONTACT_RETENTION_DAYS", 365)
# E-mail alerts for library selections (docs/library.md, cases/models/alerts.py): who the e-mails come from;
# how long a subscription waits for its address to be confirmed before it is deleted; how many selections
# one address may follow; how many confirmation e-mails one address may be sent a day, and how many
# subscriptions one client address may ask for an hour (the form cannot be used to flood an inbox).
ALERT_FROM_EMAIL = env_str("ALERT_FROM_EMAIL") or DEFAULT_FROM_EMAIL
ALERT_CONFIRMATION_DAYS = env_int("ALERT_CONFIRMATION_DAYS", 7)
# Seconds the weekly link check waits for a toolkit's address to answer (cases.services.toolkit_links_check).
TOOLKIT_LINK_TIMEOUT = env_int("TOOLKIT_LINK_TIMEOUT", 10)
ALERTS_PER_ADDRESS = env_int("ALERTS_PER_ADDRESS", 20)
ALERT_CONFIRMATIONS_PER_DAY = env_int("ALERT_CONFIRMATIONS_PER_DAY", 3)
ALERT_REQUESTS_PER_HOUR = env_int("ALERT_REQUESTS_PER_HOUR", 10)
# How long a process trusts the catalogue version it last read from the database (cases/caching.py):
# a change is seen by every process within about this many seconds, for one primary-key read each.
CATALOGUE_VERSION_TTL = float(env_str("CATALOGUE_VERSION_TTL", "1"))

"""Development: DEBUG on unless said otherwise, a fixed dev key, local hosts allowed."""

from .base import *  # noqa: F403
from .base import INSECURE_SECRET_KEY_PREFIX, env_bool, env_list, env_str, refuse_insecure_settings

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", INSECURE_SECRET_KEY_PREFIX + "dev-only-key-never-use-in-production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")

refuse_insecure_settings(debug=DEBUG, secret_key=SECRET_KEY, allowed_hosts=ALLOWED_HOSTS)

# Serve static files straight from the finders (no collectstatic needed outside production).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# No second factor for the demo admin unless asked for (prod.py requires one by default).
STAFF_REQUIRE_TOTP = env_bool("STAFF_REQUIRE_TOTP", False)

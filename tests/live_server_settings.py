"""Production settings for the real servers the tests start (tests/live_servers.py), static files aside.

Everything is `observatory.settings.prod`, read from the same environment variables, with one difference:
static files are served by WhiteNoise straight from the finders instead of from a collected, hashed copy.
Collecting and compressing them takes about 8 s, too long for a test that starts a server; the static
storage has nothing to do with what these tests look at (database, cache, processes). bench/server.py
runs the real thing, collectstatic included.
"""

from observatory.settings.prod import *  # noqa: F403
from observatory.settings.prod import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True

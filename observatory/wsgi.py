"""WSGI entry point (gunicorn observatory.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from observatory.heap import collect_between_requests

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "observatory.settings.prod")

application = get_wsgi_application()
collect_between_requests()

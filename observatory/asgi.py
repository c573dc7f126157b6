"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

from observatory.heap import collect_between_requests

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "observatory.settings.prod")

application = get_asgi_application()
collect_between_requests()

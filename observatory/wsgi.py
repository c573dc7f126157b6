"""WSGI entry point (gunicorn observatory.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from observatory.heap import freeze_after_warm_up

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "observatory.settings.prod")

application = get_wsgi_application()
freeze_after_warm_up()

"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

from observatory.heap import freeze_after_warm_up

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "observatory.settings.prod")

application = get_asgi_application()
freeze_after_warm_up()

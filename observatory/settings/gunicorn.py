"""gunicorn's configuration for the Observatory:

    gunicorn -c python:observatory.settings.gunicorn observatory.wsgi

Options given on the command line win over these (gunicorn's own rule), so a launcher can still choose the
address, the workers and their threads. What matters here are the request limits.

gunicorn refuses a request line longer than `limit_request_line` itself, before Django runs, with a bare
page of its own: no CSP, no nosniff, none of our headers. Its default (4094 bytes) is about where Django
begins to refuse (cases/web/validation.py MAX_REQUEST_TARGET, 4096 bytes of path and query string),
so every over-long address got gunicorn's page. Raised to gunicorn's maximum, 8190 bytes, the addresses
between the two limits get our own 414 page with every header. Beyond 8190 bytes gunicorn's page cannot be
avoided from here: the proxy in front caps request lines below that and answers its own 414
(docs/security.md, "Over-long requests").
"""

import os

wsgi_app = "observatory.wsgi"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# The longest request line gunicorn accepts: its maximum (0 would mean unlimited, read into memory).
limit_request_line = 8190
# A header may be as long as the longest address (a Referer naming one, with the scheme and host in front).
limit_request_field_size = 16380
limit_request_fields = 100

worker_class = "gthread"
threads = 4

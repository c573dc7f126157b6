"""Who is asking: the one reading of a client's network address, for every rate limit and lockout.

The API's throttles (cases/api/throttling.py), the submission form's limit (cases/site/submission.py) and
the admin login's lockout (django-axes, AXES_CLIENT_IP_CALLABLE) all count by `client_ip(request)`, so a
visitor has one address wherever they are counted, and a deployment sets one number, NUM_PROXIES, for all
of them.

- NUM_PROXIES = 0 (the default, no proxy in front): the connection's own address, REMOTE_ADDR.
  X-Forwarded-For is ignored: any client can write it.
- NUM_PROXIES = N > 0 (N trusted proxies, each appending the address it saw to X-Forwarded-For): the
  entry the outermost trusted proxy appended, N entries from the end; REMOTE_ADDR is the innermost proxy's
  own address, shared by every visitor. Entries in front of that one were written by the client and are
  never taken, so a forged X-Forwarded-For cannot pick a fresh bucket. When the header has fewer than N
  entries the first one is taken, and without the header REMOTE_ADDR.

This is the reading DRF's `BaseThrottle.get_ident` makes with its NUM_PROXIES, now read from our own
setting, so that DRF, axes and the form cannot drift apart.
"""

from django.conf import settings


def client_ip(request) -> str:
    """The address to count this request's client by (see the module's docstring); "" if none is known."""
    remote_addr = request.META.get("REMOTE_ADDR") or ""
    num_proxies = settings.NUM_PROXIES
    forwarded_for = request.META.get("HTTP_X_FORWARDED_FOR")
    if num_proxies <= 0 or not forwarded_for:
        return remote_addr
    addresses = forwarded_for.split(",")
    return addresses[-min(num_proxies, len(addresses))].strip()

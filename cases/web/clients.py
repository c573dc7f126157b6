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
setting, so that DRF, axes and the form cannot drift apart. Unlike DRF's, the entry taken is read as an
address: some proxies write it with its port (`198.51.100.1:5678`, `[2001:db8::1]:443`) or write
`unknown`; the port is dropped, the address given in its standard form (one bucket however it is spelled),
and an entry that is no address at all falls back to REMOTE_ADDR (axes stores the address in an address
column: a raw entry there was a server error).
"""

import ipaddress
import re

from django.conf import settings

# "[v6]:port", "v4:port": what proxies that add the port write. A bare IPv6 address has colons too, so a
# port is only taken off an IPv4 address or a bracketed IPv6 one.
_WITH_PORT = re.compile(r"^\[(?P<bracketed>[^\]]+)\](?::\d+)?$|^(?P<ipv4>\d{1,3}(?:\.\d{1,3}){3}):\d+$")


def standard_address(entry: str) -> str | None:
    """`entry` as an IP address in its standard form, without a port; None when it is not an address."""
    entry = entry.strip()
    match = _WITH_PORT.match(entry)
    if match:
        entry = match.group("bracketed") or match.group("ipv4")
    try:
        return str(ipaddress.ip_address(entry))
    except ValueError:
        return None


def client_ip(request) -> str:
    """The address to count this request's client by (see the module's docstring); "" if none is known."""
    remote_addr = request.META.get("REMOTE_ADDR") or ""
    num_proxies = settings.NUM_PROXIES
    forwarded_for = request.META.get("HTTP_X_FORWARDED_FOR")
    if num_proxies <= 0 or not forwarded_for:
        return remote_addr
    addresses = forwarded_for.split(",")
    return standard_address(addresses[-min(num_proxies, len(addresses))]) or remote_addr

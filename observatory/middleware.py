"""Security headers Django has no setting for, and the pieces of the admin login's lockout (django-axes).

Django itself sends CSP (SECURE_CSP), HSTS, nosniff, Referrer-Policy and Cross-Origin-Opener-Policy;
this module adds Permissions-Policy and Cross-Origin-Resource-Policy, reads the client's address the
way the API's throttles do, and renders the lockout page. docs/security.md says which test proves what.
"""

import math

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone
from rest_framework.throttling import BaseThrottle


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    """`{"camera": [], "fullscreen": ["self"]}` -> `camera=(), fullscreen=(self)`."""
    return ", ".join(f"{feature}=({' '.join(origins)})" for feature, origins in policy.items())


class SecurityHeadersMiddleware:
    """Permissions-Policy and Cross-Origin-Resource-Policy on every response, static files and errors
    included (it sits before WhiteNoise). A header a view has set itself is left alone."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.permissions_policy = permissions_policy_header(settings.PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        if self.permissions_policy:
            response.headers.setdefault("Permissions-Policy", self.permissions_policy)
        if settings.CROSS_ORIGIN_RESOURCE_POLICY:
            response.headers.setdefault("Cross-Origin-Resource-Policy", settings.CROSS_ORIGIN_RESOURCE_POLICY)
        return response


def client_ip_address(request) -> str:
    """The client's address for the login lockout (AXES_CLIENT_IP_CALLABLE), read exactly as DRF's
    throttles read it: REMOTE_ADDR, or with NUM_PROXIES > 0 the address the last trusted proxy appended
    to X-Forwarded-For. What a client writes into X-Forwarded-For itself is never the one taken."""
    return BaseThrottle().get_ident(request)


def login_lockout_response(request, original_response=None, credentials=None):
    """The lockout page (AXES_LOCKOUT_CALLABLE): 429, says when to try again, with Retry-After."""
    from axes.handlers.proxy import AxesProxyHandler

    cool_off = settings.AXES_COOLOFF_TIME
    now = timezone.now()
    # The database handler keeps the time of the latest failure; the lockout ends a cool-off after it.
    handler = AxesProxyHandler.get_implementation()
    attempts_list = (
        handler.get_user_attempts(request, credentials) if hasattr(handler, "get_user_attempts") else []
    )
    last_failure = max(
        (attempt.attempt_time for attempts in attempts_list for attempt in attempts.only("attempt_time")),
        default=now,
    )
    retry_at = max(last_failure + cool_off, now)
    seconds = max(1, math.ceil((retry_at - now).total_seconds()))
    response = render(
        request,
        "registration/lockout.html",
        {
            "retry_at": retry_at,
            "retry_minutes": max(1, math.ceil(seconds / 60)),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "lockout_minutes": int(cool_off.total_seconds() // 60),
        },
        status=429,
    )
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    return response

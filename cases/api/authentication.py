"""Partner keys on the API (REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]).

Only the header counts: `Authorization: Api-Key <key>`. A key in the query string (`?api_key=`) is
ignored, because URLs end up in logs, proxies and browser histories. A request without the header is
anonymous, as before; a request with a key that is unknown, revoked or expired is refused with 401
(problem details, through cases/api/errors.py), never quietly served as anonymous.
"""

import hmac

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from cases.models.api_keys import PREFIX_LENGTH, ApiKey, hash_key
from cases.services import api_key_touch

KEYWORD = "Api-Key"


class ApiKeyAuthentication(BaseAuthentication):
    """`request.auth` is the `ApiKey`; `request.user` its user, or anonymous when it has none."""

    def authenticate(self, request):
        words = get_authorization_header(request).split()
        if not words or words[0].lower() != KEYWORD.lower().encode():
            return None  # no key (or another scheme): anonymous
        if len(words) != 2:
            raise exceptions.AuthenticationFailed(_("Give the key as `Authorization: Api-Key <key>`."))
        try:
            plaintext = words[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Unknown API key.")) from None
        key = self.authenticate_key(plaintext)
        api_key_touch(key=key)
        return (key.user or AnonymousUser(), key)

    def authenticate_key(self, plaintext: str) -> ApiKey:
        prefix, dot, _secret = plaintext.partition(".")
        key = None
        if dot and len(prefix) == PREFIX_LENGTH:
            key = ApiKey.objects.select_related("user").filter(prefix=prefix).first()
        # The prefix is not secret (admin shows it); the hash comparison takes the same time however
        # much of it matches.
        if key is None or not hmac.compare_digest(key.hashed_key, hash_key(plaintext)):
            raise exceptions.AuthenticationFailed(_("Unknown API key."))
        if key.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("This API key has been revoked."))
        if not key.is_usable():
            raise exceptions.AuthenticationFailed(_("This API key has expired."))
        if key.user is not None and not key.user.is_active:
            raise exceptions.AuthenticationFailed(_("This API key's account is inactive."))
        return key

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) when a view needs a key and none was given.
        return KEYWORD

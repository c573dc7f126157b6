"""The API's default permission (REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"]): anyone may read.

Nothing may write unless its view says so with a permission of its own (the submissions endpoint will
require a partner key with the `submit` scope: `permission_classes = [HasScope("submit")]`); DRF's own
default would allow everything.
"""

from django.utils.translation import gettext as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from cases.models import ApiKey, ApiKeyScope


class ReadOnly(BasePermission):
    """GET, HEAD and OPTIONS for everyone; any other method the view implements is refused (403).

    A method the view does not implement at all passes here, so that it is answered 405 (with Allow).
    """

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or not hasattr(view, request.method.lower())


class HasScope(BasePermission):
    """Only a request with a partner key holding `scope` (401 without a key, 403 with a key lacking it).

    Used as `permission_classes = [HasScope("submit")]`: DRF instantiates each entry by calling it, so
    an instance returns itself when called.
    """

    def __init__(self, scope: str):
        if scope not in ApiKeyScope.values:
            raise ValueError(f"Unknown API key scope: {scope!r}")
        self.scope = scope

    @property
    def message(self):  # read by DRF for the 403's detail, in the request's language
        return _("This API key does not have the “%(scope)s” scope.") % {"scope": self.scope}

    def __call__(self):
        return self

    def has_permission(self, request, view):
        return isinstance(request.auth, ApiKey) and request.auth.has_scope(self.scope)

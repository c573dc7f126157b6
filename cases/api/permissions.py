"""The API's default permission (REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"]): anyone may read.

Nothing may write unless its view says so with a permission of its own (the submissions endpoint will
require a partner key with the `submit` scope); DRF's own default would allow everything.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission


class ReadOnly(BasePermission):
    """GET, HEAD and OPTIONS for everyone; any other method the view implements is refused (403).

    A method the view does not implement at all passes here, so that it is answered 405 (with Allow).
    """

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or not hasattr(view, request.method.lower())

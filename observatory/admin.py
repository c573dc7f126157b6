"""The admin site: Django's own, plus a second factor (TOTP, django-otp) for staff when
settings.STAFF_REQUIRE_TOTP is on.

The setting is read on every request, not when the site is built, so turning it on needs no code
change: the login form then asks for the six-digit code of the user's device, and a session that has
not passed it (request.user.is_verified()) is treated as not staff. A wrong code counts as a failed
login for the lockout (django-axes), like a wrong password.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django_otp.admin import OTPAdminAuthenticationForm
from django_otp.plugins.otp_totp.models import TOTPDevice


class TOTPAdminAuthenticationForm(OTPAdminAuthenticationForm):
    """Password, then the code of the user's authenticator app; a wrong code is a failed login."""

    def _chosen_device(self, user):
        # The form shows no device list: a curator has one TOTP device (`enrol_totp --replace` swaps it).
        return super()._chosen_device(user) or (
            TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()
        )

    def clean_otp(self, user):
        try:
            super().clean_otp(user)
        except ValidationError:
            if user is not None:
                user_login_failed.send(
                    sender=__name__,
                    credentials={"username": user.get_username()},
                    request=self.request,
                )
            raise


class ObservatoryAdminSite(admin.AdminSite):
    @property
    def login_form(self):
        return TOTPAdminAuthenticationForm if settings.STAFF_REQUIRE_TOTP else AdminAuthenticationForm

    @property
    def login_template(self):
        return "admin/login_totp.html" if settings.STAFF_REQUIRE_TOTP else None

    def has_permission(self, request):
        allowed = super().has_permission(request)
        if allowed and settings.STAFF_REQUIRE_TOTP:
            return request.user.is_verified()
        return allowed

"""The admin site: Django's own, plus a second factor (TOTP, django-otp) for staff when
settings.STAFF_REQUIRE_TOTP is on.

The setting is read on every request, not when the site is built, so turning it on needs no code
change: the login form then asks for the six-digit code of the user's device, and a session that has
not passed it (request.user.is_verified()) is treated as not staff. A wrong code counts as a failed
login for the lockout (django-axes), like a wrong password.
"""

import contextlib

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.signals import user_login_failed
from django.contrib.contenttypes import views as contenttype_views
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import EmptyResultSet, FullResultSet, ValidationError
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminAuthenticationForm
from django_otp.plugins.otp_totp.models import TOTPDevice


class UsernameLengthMixin:
    """A user name longer than any account's is refused like a wrong password, before anyone looks it up.

    Django's AuthenticationForm sets the field's max_length after the field is built, so no length check
    runs and the name reached the lockout's record of failed attempts (django-axes, 255 characters at
    most): a 500 for a 256-character name."""

    def clean_username(self):
        username = self.cleaned_data.get("username")
        if username and len(username) > self.fields["username"].max_length:
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )
        return username


class ObservatoryAdminAuthenticationForm(UsernameLengthMixin, AdminAuthenticationForm):
    """Django's admin login form, with the user name's length checked."""


class TOTPAdminAuthenticationForm(UsernameLengthMixin, OTPAdminAuthenticationForm):
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


class CheckedLookupsChangeList(ChangeList):
    """Django's change list, with the lookups of the address compiled before the page is rendered.

    Django turns a lookup it cannot apply into a calm "?e=1" redirect, but only errors raised while the
    filter is built; a value that fails only when the SQL is written (`?created_at__year=0`: "year 0 is out
    of range") went on to a 500. Writing the SQL here, once, turns those into the same redirect."""

    def get_queryset(self, request, exclude_parameters=None):
        try:
            # The date hierarchy builds its datetimes here and catches only ValueError: a year of twenty
            # digits is an OverflowError.
            queryset = super().get_queryset(request, exclude_parameters)
            # A filter that matches nothing or everything: nothing wrong with it.
            with contextlib.suppress(EmptyResultSet, FullResultSet):
                queryset.query.get_compiler(queryset.db).as_sql()
        except (ValueError, OverflowError, TypeError, ValidationError) as error:
            raise IncorrectLookupParameters(error) from error
        return queryset


def _named_like(cls) -> dict:
    """A subclass made on the fly keeps the module and name of the class it wraps (checks, tracebacks)."""
    return {"__module__": cls.__module__, "__qualname__": cls.__qualname__}


class CheckedLookupsMixin:
    def get_changelist(self, request, **kwargs):
        changelist = super().get_changelist(request, **kwargs)
        if issubclass(changelist, CheckedLookupsChangeList):
            return changelist
        return type(changelist.__name__, (CheckedLookupsChangeList, changelist), _named_like(changelist))


class ObservatoryAdminSite(admin.AdminSite):
    """The curators' admin, branded as the Observatory (page header, browser tab, index)."""

    site_header = _("The Observatory · Curation")
    site_title = _("The Observatory curation")
    index_title = _("The catalogue and its curation")
    # Django's navigation sidebar takes a quarter of a 1280 px screen from every list and form; the index
    # and the breadcrumbs lead to the same places.
    enable_nav_sidebar = False

    def register(self, model_or_iterable, admin_class=None, **options):
        # Every model admin, ours and the packages' (axes, django-otp), checks its change list's lookups.
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, CheckedLookupsMixin):
            bases = (CheckedLookupsMixin, admin_class)
            admin_class = type(admin_class.__name__, bases, _named_like(admin_class))
        super().register(model_or_iterable, admin_class, **options)

    @property
    def login_form(self):
        if settings.STAFF_REQUIRE_TOTP:
            return TOTPAdminAuthenticationForm
        return ObservatoryAdminAuthenticationForm

    @property
    def login_template(self):
        return "admin/login_totp.html" if settings.STAFF_REQUIRE_TOTP else None

    def has_permission(self, request):
        allowed = super().has_permission(request)
        if allowed and settings.STAFF_REQUIRE_TOTP:
            return request.user.is_verified()
        return allowed

    def get_urls(self):
        # Django's "view on site" route (contenttypes' shortcut) redirects any staff user to the public
        # address of any object by id, whoever may see it: an oracle for other economies' drafts and the
        # public's submissions (their slugs, made from their titles). Ours answers only for an object the
        # user's admin shows them.
        urls = super().get_urls()
        scoped = path(
            "r/<path:content_type_id>/<path:object_id>/",
            self.admin_view(self.view_on_site),
            name="view_on_site",
        )
        return [scoped if getattr(url, "name", None) == "view_on_site" else url for url in urls]

    def view_on_site(self, request, content_type_id, object_id):
        """Redirect to the public address of an object the user may see in this admin; for anything else
        (another economy's case, a model not in the admin, an id that does not exist) the same 404."""
        from cases.curation.workflow import visible_cases
        from cases.models import CaseStudy  # local: the site is built before the apps' models load

        try:
            model = ContentType.objects.get_for_id(int(content_type_id)).model_class()
        except (ContentType.DoesNotExist, ValueError):
            raise Http404 from None
        model_admin = self._registry.get(model)
        if model_admin is None or not model_admin.has_view_or_change_permission(request):
            raise Http404
        obj = model_admin.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if isinstance(obj, CaseStudy) and not visible_cases(request.user).filter(pk=obj.pk).exists():
            raise Http404
        return contenttype_views.shortcut(request, content_type_id, object_id)

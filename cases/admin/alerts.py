"""E-mail alerts in the admin (cases/models/alerts.py): a read-only list for the operator, how many there
are and whether they are confirmed, with the addresses masked. An address can be looked up exactly (to
answer a request to remove it) and its subscriptions deleted; nothing else can be changed here."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cases.admin.catalogue import LIST_PER_PAGE
from cases.models import AlertSubscription


@admin.register(AlertSubscription)
class AlertSubscriptionAdmin(admin.ModelAdmin):
    list_display = (
        "masked_address",
        "title",
        "frequency",
        "language",
        "confirmed",
        "created_at",
        "last_sent_at",
    )
    list_filter = (("confirmed_at", admin.EmptyFieldListFilter), "frequency", "language")
    # An exact address only (case ignored): no browsing of addresses by their parts.
    search_fields = ("=email",)
    search_help_text = _("Enter a whole e-mail address to find its alerts.")
    fields = (
        "masked_address",
        "title",
        "query",
        "frequency",
        "language",
        "created_at",
        "confirmed_at",
        "covered_until",
        "last_sent_at",
    )
    readonly_fields = fields
    date_hierarchy = "created_at"
    list_per_page = LIST_PER_PAGE

    @admin.display(description=_("e-mail address"), ordering="email")
    def masked_address(self, subscription):
        return subscription.masked_email

    @admin.display(description=_("confirmed"), boolean=True, ordering="confirmed_at")
    def confirmed(self, subscription):
        return subscription.is_confirmed

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

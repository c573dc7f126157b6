"""E-mail alerts (issue 19): follow a selection of the library by e-mail, with no account.

- `/alerts/` (GET with the library's parameters, or POST from the library page's form): the form; a POST
  asks for a subscription and always answers the same way (redirect to `/alerts/sent/`), whether or not the
  address is subscribed already, so the form tells nobody who follows what.
- `/alerts/<id>/confirm/<token>/`: the link in the confirmation e-mail; GET shows a button, POST confirms
  (mail scanners that follow links do not confirm anyone).
- `/alerts/<id>/manage/<token>/`: change how often, or stop.
- `/alerts/<id>/unsubscribe/<token>/`: GET shows a button; POST unsubscribes. The address of every message's
  `List-Unsubscribe` header: a one-click POST (RFC 8058) works without cookies and without a CSRF token.

No view here uses a session or a login, so CSRF protection has nothing to protect: the token in the address
is what authorises a change, and the library page that holds the form is cached for every reader (a CSRF
token would make it uncacheable). A cross-site POST of the form is refused by its Origin header all the
same. Spam defences are the submission form's (cases/forms.py): a honeypot, a signed start time, a limit per
client address; and the services limit confirmation e-mails per address and subscriptions per address.
"""

import logging
import uuid
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from cases.filters import CaseStudyFilterSet
from cases.forms import SpamCheckedForm, make_started_token
from cases.models import AlertFrequency, AlertSubscription, CaseStudy
from cases.models.alerts import CONFIRM, MANAGE
from cases.services import (
    alert_confirm,
    alert_selection,
    alert_set_frequency,
    alert_subscribe,
    alert_unsubscribe,
)
from cases.site.titles import selection_title
from cases.web.clients import client_ip
from cases.web.rate_limits import count_request, release_request

RATE_WINDOW_SECONDS = 60 * 60
TOKEN_MAX_LENGTH = 100
MAX_ID = 2**63 - 1

logger = logging.getLogger(__name__)


class AlertForm(SpamCheckedForm, forms.Form):
    """Follow a selection: the address, how often, the selection (a hidden query string) and the
    submission form's spam defences."""

    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        help_text=_("We send a link to this address to confirm it is yours. Nothing is sent until you do."),
        error_messages={
            "required": _("Enter your e-mail address"),
            "invalid": _("Enter an e-mail address in the correct format, like name@example.org"),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    frequency = forms.ChoiceField(
        label=_("How often"),
        choices=AlertFrequency.choices,
        initial=AlertFrequency.WEEKLY,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how often to receive the e-mails")},
    )
    selection = forms.CharField(
        widget=forms.HiddenInput,
        required=False,
        max_length=4000,
        error_messages={"max_length": _("This selection cannot be followed: it is too long.")},
    )
    reference_code = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    started = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)
    refused_message = _("Your request could not be accepted. Please try again.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_spam = False
        self.query = ""
        if not self.is_bound:
            self.initial["started"] = make_started_token()

    def clean_selection(self) -> str:
        raw = self.cleaned_data.get("selection", "").lstrip("?")
        try:
            self.query = alert_selection(QueryDict(raw))
        except ValidationError as error:
            raise ValidationError(
                [gettext("This selection cannot be followed: some filters are not valid."), *error.messages]
            ) from None
        return self.query

    def error_summary(self) -> list[tuple[str, str]]:
        """(anchor, message) for every error, the form's own first, each field's linked to its control."""
        items = [("", str(message)) for message in self.non_field_errors()]
        items += [("", str(message)) for message in self["selection"].errors]
        for name, anchor in (("email", "alert-email"), ("frequency", "alert-frequency-weekly")):
            items += [(anchor, str(message)) for message in self[name].errors]
        return items


def _rate_key(request) -> str:
    return "alert-rate:" + client_ip(request)


def _reserve(request) -> tuple[bool, str | None]:
    """One of this client address's ALERT_REQUESTS_PER_HOUR, taken atomically (as the submission form
    does); allowed, with nothing counted, when the cache cannot be reached."""
    reservation = uuid.uuid4().hex
    try:
        allowed, _wait = count_request(
            _rate_key(request), settings.ALERT_REQUESTS_PER_HOUR, RATE_WINDOW_SECONDS, member=reservation
        )
    except Exception as error:  # a cache outage must not stop the form
        logger.warning("Alert requests not counted, cache unavailable: %s", error)
        return True, None
    return allowed, reservation if allowed else None


def _release(request, reservation: str | None) -> None:
    if not reservation:
        return
    try:
        release_request(_rate_key(request), reservation, RATE_WINDOW_SECONDS)
    except Exception as error:
        logger.warning("Alert request not given back, cache unavailable: %s", error)


def _cross_site(request) -> bool:
    """Whether a browser says this POST comes from a page of another site (its Origin header)."""
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return bool(origin)
    trusted = {f"{request.scheme}://{request.get_host()}", *settings.CSRF_TRUSTED_ORIGINS}
    return origin not in trusted and urlsplit(origin).netloc != request.get_host()


def _describe(query: str) -> str:
    """What the selection is, in words in the active language, as the library's heading says it."""
    filterset = CaseStudyFilterSet(QueryDict(query), queryset=CaseStudy.objects.published())
    return selection_title(filterset) or ""


def _form_page(request, form, *, status=200, rate_limited=False):
    query = form.query if form.is_bound else form.initial.get("selection", "")
    context = {
        "form": form,
        "rate_limited": rate_limited,
        "selection_title": _describe(query) if not form.errors.get("selection") else "",
        "library_url": AlertSubscription(query=query).library_url(),
        "max_per_address": settings.ALERTS_PER_ADDRESS,
    }
    return render(request, "alerts/follow.html", context, status=status)


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def alert_follow_view(request):
    """GET (with the library's parameters): the form for that selection, 400 when the library would refuse
    the selection. POST: ask for the subscription and redirect to "check your e-mail", the same answer
    whatever the address; the form again with its errors (400), or 429 past the limit."""
    if request.method == "GET":
        try:
            query = alert_selection(request.GET)
        except ValidationError as error:
            return render(
                request, "alerts/follow.html", {"selection_errors": error.messages, "form": None}, status=400
            )
        return _form_page(request, AlertForm(initial={"selection": query}))
    if _cross_site(request):
        return render(request, "alerts/follow.html", {"cross_site": True, "form": None}, status=403)
    allowed, reservation = _reserve(request)
    if not allowed:
        return render(request, "alerts/follow.html", {"rate_limited": True, "form": None}, status=429)
    form = AlertForm(request.POST)
    try:
        if form.is_valid():
            alert_subscribe(
                email=form.cleaned_data["email"],
                query=form.query,
                frequency=form.cleaned_data["frequency"],
                language=get_language(),
                title=_describe(form.query),
            )
            return redirect("cases:alert_sent")
    except ValidationError as error:
        _release(request, reservation)
        form.add_error(None, error)
        return _form_page(request, form, status=400)
    except BaseException:
        _release(request, reservation)
        raise
    if not form.is_spam:
        _release(request, reservation)  # an ordinary mistake does not count
    return _form_page(request, form, status=400)


@never_cache
@require_GET
def alert_sent_view(request):
    """Check your e-mail: said the same way whether or not anything was sent."""
    return render(request, "alerts/sent.html", {"days": settings.ALERT_CONFIRMATION_DAYS})


def _subscription(pk: int, token: str, purpose: str) -> AlertSubscription | None:
    if len(token) > TOKEN_MAX_LENGTH or pk > MAX_ID:
        return None  # not one of ours: no need to ask the database (which cannot hold such an id)
    subscription = AlertSubscription.objects.filter(pk=pk).first()
    if subscription is None or not subscription.check_token(purpose, token):
        return None
    return subscription


def _private(response):
    # The address holds a secret: never cached, never sent on as a referrer, never indexed.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


def _invalid_link(request):
    return _private(render(request, "alerts/invalid_link.html", status=404))


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def alert_confirm_view(request, pk: int, token: str):
    """GET: what is being confirmed, and a button. POST: confirm (twice is the same as once)."""
    subscription = _subscription(pk, token, CONFIRM)
    if subscription is None or subscription.confirmation_expired(now=timezone.now()):
        return _invalid_link(request)
    if request.method == "POST":
        alert_confirm(subscription=subscription)
        return redirect(subscription.manage_url() + "?confirmed=1")
    if subscription.is_confirmed:
        return redirect(subscription.manage_url())
    return _private(render(request, "alerts/confirm.html", {"subscription": subscription}))


class FrequencyForm(forms.Form):
    frequency = forms.ChoiceField(
        label=_("How often"),
        choices=AlertFrequency.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how often to receive the e-mails")},
    )


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def alert_manage_view(request, pk: int, token: str):
    """The subscription: what it follows, how often (which can be changed here) and a way to stop."""
    subscription = _subscription(pk, token, MANAGE)
    if subscription is None:
        return _invalid_link(request)
    status = 200
    if request.method == "POST":
        form = FrequencyForm(request.POST)
        if form.is_valid():
            alert_set_frequency(subscription=subscription, frequency=form.cleaned_data["frequency"])
            return redirect(subscription.manage_url() + "?changed=1")
        status = 400
    else:
        form = FrequencyForm(initial={"frequency": subscription.frequency})
    if not subscription.is_confirmed:
        return redirect(subscription.confirm_url())
    context = {
        "subscription": subscription,
        "form": form,
        "confirmed": request.GET.get("confirmed") == "1",
        "changed": request.GET.get("changed") == "1",
    }
    return _private(render(request, "alerts/manage.html", context, status=status))


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def alert_unsubscribe_view(request, pk: int, token: str):
    """GET: a button to stop. POST: stop, from that button or in one click from a mail program
    (RFC 8058: `List-Unsubscribe=One-Click` in the body, no cookies, no CSRF token). The subscription,
    address included, is deleted."""
    subscription = _subscription(pk, token, MANAGE)
    if subscription is None:
        return _invalid_link(request)
    if request.method == "POST":
        library_url = subscription.library_url()
        alert_unsubscribe(subscription=subscription)
        return _private(render(request, "alerts/unsubscribed.html", {"library_url": library_url}))
    return _private(render(request, "alerts/unsubscribe.html", {"subscription": subscription}))

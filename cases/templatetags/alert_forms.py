"""`{% load alert_forms %}` then `{% alert_form_fields selection=... %}`: the fields of the "follow this
selection by e-mail" form (cases/site/alerts.py), for the library page and the alerts' own page alike.

The library page is cached for every reader, so the form carries no CSRF token (the alerts' views need
none) and its start time is the page's: the time check then only refuses posts that never loaded a page.
"""

from django import template
from django.conf import settings

from cases.forms import HONEYPOT_FIELD, make_started_token
from cases.models import AlertFrequency

register = template.Library()


@register.inclusion_tag("alerts/form_fields.html")
def alert_form_fields(selection: str = "", form=None):
    """The form's fields for `selection` (the library's query string), with `form`'s values and errors
    when it is shown again."""
    bound = form is not None and form.is_bound
    started = form["started"].value() if bound else None
    return {
        "form": form,
        "selection": form["selection"].value() if form is not None else selection,
        "started": started or make_started_token(),
        "email": (form["email"].value() or "") if bound else "",
        "frequency": (form["frequency"].value() if bound else None) or AlertFrequency.WEEKLY,
        "frequencies": [AlertFrequency.WEEKLY.value, AlertFrequency.DAILY.value],
        "honeypot": HONEYPOT_FIELD,
    }


@register.simple_tag
def alert_confirmation_days() -> int:
    """How many days a subscription waits for confirmation (ALERT_CONFIRMATION_DAYS): the privacy notice
    says it."""
    return settings.ALERT_CONFIRMATION_DAYS

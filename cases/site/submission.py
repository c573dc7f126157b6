"""The public submission form (/submit/) and its confirmation page. Complete without JavaScript."""

import logging
import uuid

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from cases.forms import CaseSubmissionForm
from cases.models import SubmitterContact
from cases.services import REFERENCE_PATTERN, case_submit
from cases.web.clients import client_ip
from cases.web.rate_limits import count_request, release_request

# At most this many submissions (accepted, or refused as spam) from one client address per window.
SUBMISSIONS_PER_WINDOW = 5
SUBMISSION_WINDOW_SECONDS = 60 * 60
TEMPLATE = "cases/submit.html"

logger = logging.getLogger(__name__)


def _rate_key(request) -> str:
    # The address as every rate limit reads it: behind NUM_PROXIES proxies, the one the last trusted proxy
    # saw, never REMOTE_ADDR (the proxy's own, shared by every visitor) nor what a client wrote itself.
    return "submission-rate:" + client_ip(request)


def reserve_submission(request) -> tuple[bool, str | None]:
    """Take one of this client address's submissions for the window, atomically (concurrent posts cannot
    all squeeze through): (allowed, the reservation to give back with `release_submission`). When the
    cache (Redis) cannot be reached nothing is counted and the form still works (allowed, no
    reservation); the honeypot and timing checks stay."""
    reservation = uuid.uuid4().hex
    try:
        allowed, _wait = count_request(
            _rate_key(request), SUBMISSIONS_PER_WINDOW, SUBMISSION_WINDOW_SECONDS, member=reservation
        )
    except Exception as error:
        logger.warning("Submission rate not checked, cache unavailable: %s", error)
        return True, None
    return allowed, reservation if allowed else None


def release_submission(request, reservation: str | None) -> None:
    """An ordinary mistake does not count: give the reserved submission back."""
    if not reservation:
        return
    try:
        release_request(_rate_key(request), reservation, SUBMISSION_WINDOW_SECONDS)
    except Exception as error:
        logger.warning("Submission slot not given back, cache unavailable: %s", error)


@never_cache
@require_http_methods(["GET", "POST"])
def case_submit_view(request):
    """GET: the empty form. POST: save and redirect to the confirmation, or show the errors (400).

    Ordinary mistakes do not count against the rate limit; accepted submissions and ones refused as spam
    (honeypot filled, sent too fast, start time tampered with) do.
    """
    if request.method == "GET":
        return render(request, TEMPLATE, {"form": CaseSubmissionForm()})
    allowed, reservation = reserve_submission(request)
    if not allowed:
        return render(request, TEMPLATE, {"rate_limited": True}, status=429)
    form = CaseSubmissionForm(request.POST)
    try:
        if form.is_valid():
            submitter = case_submit(data=form.case_data(), contact=form.contact_data())
            return redirect("cases:submit_thanks", reference=submitter.reference)
    except BaseException:
        release_submission(request, reservation)  # nothing was saved: the visitor may try again
        raise
    if not form.is_spam:
        release_submission(request, reservation)
    return render(request, TEMPLATE, {"form": form}, status=400)


@require_GET
def case_submit_thanks_view(request, reference):
    """The confirmation: the reference number and what happens next, nothing about the submitter."""
    if not REFERENCE_PATTERN.fullmatch(reference):
        raise Http404  # not one of ours: no need to ask the database (which refuses a NUL byte outright)
    if not SubmitterContact.objects.filter(reference=reference).exists():
        raise Http404
    return render(request, "cases/submit_thanks.html", {"reference": reference})

"""The public submission form (/submit/) and its confirmation page. Complete without JavaScript."""

import logging

from django.core.cache import cache
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from .forms import CaseSubmissionForm
from .models import SubmitterContact
from .services import REFERENCE_PATTERN, case_submit

# At most this many submissions (accepted, or refused as spam) from one client address per window.
SUBMISSIONS_PER_WINDOW = 5
SUBMISSION_WINDOW_SECONDS = 60 * 60
TEMPLATE = "cases/submit.html"

logger = logging.getLogger(__name__)


def _rate_key(request) -> str:
    # REMOTE_ADDR is the address the server sees; behind a proxy, set it from the proxy's header upstream.
    return "submission-rate:" + request.META.get("REMOTE_ADDR", "unknown")


def submission_limit_reached(request) -> bool:
    """True when this client address has used up its submissions for the current window. With the cache
    (Redis) unreachable nothing is counted and the form still works; the honeypot and timing checks stay."""
    try:
        return (cache.get(_rate_key(request)) or 0) >= SUBMISSIONS_PER_WINDOW
    except Exception as error:
        logger.warning("Submission rate not checked, cache unavailable: %s", error)
        return False


def count_submission(request) -> None:
    """Count one submission against this client address; the window starts with its first."""
    key = _rate_key(request)
    try:
        cache.add(key, 0, timeout=SUBMISSION_WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr(): start a new window
            cache.set(key, 1, timeout=SUBMISSION_WINDOW_SECONDS)
    except Exception as error:  # the cache (Redis) is unreachable: the submission itself stands
        logger.warning("Submission not counted, cache unavailable: %s", error)


@never_cache
@require_http_methods(["GET", "POST"])
def case_submit_view(request):
    """GET: the empty form. POST: save and redirect to the confirmation, or show the errors (400).

    Ordinary mistakes do not count against the rate limit; accepted submissions and ones refused as spam
    (honeypot filled, sent too fast, start time tampered with) do.
    """
    if request.method == "GET":
        return render(request, TEMPLATE, {"form": CaseSubmissionForm()})
    if submission_limit_reached(request):
        return render(request, TEMPLATE, {"rate_limited": True}, status=429)
    form = CaseSubmissionForm(request.POST)
    if form.is_valid():
        submitter = case_submit(data=form.case_data(), contact=form.contact_data())
        count_submission(request)
        return redirect("cases:submit_thanks", reference=submitter.reference)
    if form.is_spam:
        count_submission(request)
    return render(request, TEMPLATE, {"form": form}, status=400)


@require_GET
def case_submit_thanks_view(request, reference):
    """The confirmation: the reference number and what happens next, nothing about the submitter."""
    if not REFERENCE_PATTERN.fullmatch(reference):
        raise Http404  # not one of ours: no need to ask the database (which refuses a NUL byte outright)
    if not SubmitterContact.objects.filter(reference=reference).exists():
        raise Http404
    return render(request, "cases/submit_thanks.html", {"reference": reference})

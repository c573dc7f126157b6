"""The public submission form: what it saves, what it refuses, and what it never shows."""

import concurrent.futures
import re
import threading
import time

import pytest
from django.core import mail
from django.urls import reverse

from cases.curation.workflow import case_transition
from cases.forms import NARRATIVE_MAX_LENGTH, make_started_token
from cases.models import (
    CaseRevision,
    CaseStudy,
    Economy,
    RevisionAction,
    Sector,
    Status,
    SubmitterContact,
    Theme,
)
from cases.site.submission import SUBMISSIONS_PER_WINDOW
from tests.factories import CaseStudyFactory, api_submission_body

pytestmark = pytest.mark.django_db

URL = "/submit/"


def valid_data(**overrides):
    """The API's valid submission (tests/factories.py) as the browser form posts it: vocabularies by
    primary key, every value a string, the consent box ticked, and the form's spam checks passed."""
    data = api_submission_body(
        economy=str(Economy.objects.get(iso2="SG").pk),
        sectors=[str(Sector.objects.get(slug="health").pk)],
        themes=[str(Theme.objects.get(slug="digital-government").pk)],
        year_launched="2021",
        consent="on",
    )
    data.update(
        reference_code="",
        # Shown a minute ago: well over the minimum fill time.
        started=make_started_token(time.time() - 60),
    )
    data.update(overrides)
    return data


@pytest.fixture
def submit(client, django_capture_on_commit_callbacks):
    """POST the form (after-commit work such as the receipt e-mail runs), from one client address."""

    def post(data=None, *, address="203.0.113.7", **overrides):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(URL, data or valid_data(**overrides), REMOTE_ADDR=address)

    return post


@pytest.fixture
def submitted(submit):
    response = submit()
    assert response.status_code == 302
    return SubmitterContact.objects.select_related("case").get()


# --- What a valid submission does -----------------------------------------------------------------


def test_form_page_shows_every_section_in_opsi_order(client):
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    positions = [
        html.index(f'id="id_{name}"')
        for name in [
            "title",
            "overview",
            "what_is_innovative",
            "collaborations",
            "users_beneficiaries",
            "results_impact",
            "challenges_failures",
            "conditions_for_success",
            "replication",
            "lessons_learned",
            "submitter_name",
        ]
    ]
    assert positions == sorted(positions)


def test_valid_submission_redirects_to_confirmation_with_reference(submit):
    response = submit()
    reference = SubmitterContact.objects.get().reference
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:submit_thanks", kwargs={"reference": reference})


def test_valid_submission_creates_a_submitted_case(submitted):
    case = submitted.case
    assert case.status == Status.SUBMITTED
    assert case.published_at is None
    assert case.slug == "flood-warnings-by-text-message"
    assert case.economy.iso2 == "SG"
    assert list(case.sectors.values_list("slug", flat=True)) == ["health"]
    assert list(case.themes.values_list("slug", flat=True)) == ["digital-government"]
    assert case.year_launched == 2021


def test_valid_submission_records_the_private_contact_with_a_reference(submitted):
    assert (submitted.name, submitted.email, submitted.organisation) == (
        "Ana Reyes",
        "ana.reyes@example.org",
        "City of Example",
    )
    assert re.fullmatch(r"OBS-[A-Z0-9]{8}", submitted.reference)


def test_valid_submission_records_a_created_revision(submitted):
    revision = CaseRevision.objects.get(case=submitted.case)
    assert revision.action == RevisionAction.CREATED
    assert revision.user is None
    assert revision.snapshot["status"] == "submitted"


def test_valid_submission_emails_the_submitter_a_receipt(submitted):
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ana.reyes@example.org"]
    assert submitted.reference in message.subject
    assert submitted.reference in message.body


def test_confirmation_page_shows_the_reference_and_nothing_private(client, submitted):
    response = client.get(reverse("cases:submit_thanks", kwargs={"reference": submitted.reference}))
    html = response.content.decode()
    assert response.status_code == 200
    assert submitted.reference in html
    assert "ana.reyes@example.org" not in html
    assert "Ana Reyes" not in html


def test_confirmation_page_of_an_unknown_reference_is_404(client):
    assert client.get("/submit/thanks/OBS-NOTAREAL/").status_code == 404


def test_title_already_used_gets_a_numbered_slug(submit):
    CaseStudyFactory(slug="flood-warnings-by-text-message")
    submit()
    assert SubmitterContact.objects.get().case.slug == "flood-warnings-by-text-message-2"


def test_submitted_case_is_absent_from_the_library(client, submitted):
    CaseStudyFactory(title="A published case")
    response = client.get("/cases/")
    assert "A published case" in response.content.decode()
    assert "Flood warnings by text message" not in response.content.decode()


def test_submitted_case_page_is_404_to_the_public(client, submitted):
    assert client.get(submitted.case.get_absolute_url()).status_code == 404


def test_submitted_case_is_absent_from_the_api(client, submitted):
    CaseStudyFactory(title="A published case")
    slugs = [case["slug"] for case in client.get("/api/v1/cases/").json()["results"]]
    assert len(slugs) == 1
    assert submitted.case.slug not in slugs
    assert client.get(f"/api/v1/cases/{submitted.case.slug}/").status_code == 404


def test_submitted_case_is_absent_from_search(client, submitted):
    response = client.get("/cases/", {"q": "flood warnings"})
    assert "Flood warnings by text message" not in response.content.decode()
    assert response.context["result_count"] == 0


def test_contact_never_appears_on_the_case_page_or_api_after_publication(client, submitted, superuser):
    case = submitted.case
    for step in ["accept", "send_for_review", "publish"]:
        case = case_transition(case=case, user=superuser, name=step)
    page = client.get(case.get_absolute_url())
    api = client.get(f"/api/v1/cases/{case.slug}/")
    assert page.status_code == api.status_code == 200
    for body in [page.content.decode(), api.content.decode()]:
        assert "Flood warnings by text message" in body
        assert "ana.reyes@example.org" not in body
        assert "Ana Reyes" not in body
        assert submitted.reference not in body


# --- Validation -----------------------------------------------------------------------------------

REQUIRED = [
    ("title", "Enter the name of the innovation"),
    ("summary", "Enter a one-sentence summary"),
    ("overview", "Enter an overview of the innovation"),
    ("lead_organisation", "Enter the name of the lead organisation"),
    ("organisation_type", "Select the type of lead organisation"),
    ("economy", "Select the economy where the innovation took place"),
    ("level", "Select the level of government"),
    ("sectors", "Select at least one sector"),
    ("stage", "Select the stage the innovation has reached"),
    ("submitter_name", "Enter your name"),
    ("submitter_email", "Enter your e-mail address"),
    ("consent", "Confirm that we may store your contact details to ask you about this case"),
]


@pytest.mark.parametrize(("field", "message"), REQUIRED)
def test_missing_required_field_is_refused_with_its_message(submit, field, message):
    data = valid_data()
    del data[field]
    response = submit(data)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert not CaseStudy.objects.exists()


@pytest.mark.parametrize(("field", "message"), REQUIRED)
def test_error_summary_links_to_the_field_in_error(submit, field, message):
    data = valid_data()
    del data[field]
    html = submit(data).content.decode()
    anchor = f"id_{field}_0" if field == "sectors" else f"id_{field}"
    summary = html[
        html.index('class="error-summary"') : html.index("</ul>", html.index('class="error-summary"'))
    ]
    assert 'role="alert"' in summary
    assert f'<a href="#{anchor}">{message}</a>' in summary
    assert f'id="{anchor}"' in html


def test_field_in_error_is_described_by_its_inline_message(submit):
    response = submit(title="")
    html = response.content.decode()
    assert re.search(
        r'<input[^>]*aria-describedby="id_title_helptext id_title_error"[^>]*id="id_title"', html
    )
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*id="id_title"', html)
    assert 'id="id_title_error"' in html


def test_empty_optional_fields_are_accepted(submit):
    data = valid_data(
        what_is_innovative="", themes=[], year_launched="", website="", submitter_organisation=""
    )
    del data["themes"]
    assert submit(data).status_code == 302


@pytest.mark.parametrize(
    ("field", "limit", "label"),
    [
        ("title", 200, "Name of the innovation"),
        ("summary", 300, "Summary"),
        ("overview", NARRATIVE_MAX_LENGTH, "Overview"),
        ("lessons_learned", NARRATIVE_MAX_LENGTH, "Lessons learned"),
        ("lead_organisation", 200, "Lead organisation"),
        ("submitter_name", 200, "Your name"),
        ("submitter_organisation", 200, "Your organisation"),
    ],
)
def test_too_long_field_is_refused_with_its_limit(submit, field, limit, label):
    response = submit(**{field: "x" * (limit + 1)})
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [f"{label} must be {limit:,} characters or fewer"]
    assert not CaseStudy.objects.exists()


def test_field_at_its_limit_is_accepted(submit):
    assert submit(title="x" * 200, overview="y" * NARRATIVE_MAX_LENGTH).status_code == 302


def test_too_long_website_is_refused(submit):
    response = submit(website="https://example.org/" + "a" * 500)
    assert response.status_code == 400
    assert "website" in response.context["form"].errors


def test_badly_formed_email_is_refused(submit):
    response = submit(submitter_email="ana at example")
    assert response.context["form"].errors["submitter_email"] == [
        "Enter an e-mail address in the correct format, like name@example.org"
    ]


def test_year_in_the_far_future_is_refused(submit):
    response = submit(year_launched="2999")
    assert response.status_code == 400
    assert "year_launched" in response.context["form"].errors


def test_unknown_economy_is_refused(submit):
    response = submit(economy="999999")
    assert response.status_code == 400
    assert "economy" in response.context["form"].errors


# --- Spam defences --------------------------------------------------------------------------------


def test_filled_honeypot_is_refused_and_nothing_is_written(submit):
    response = submit(reference_code="Buy cheap watches")
    assert response.status_code == 400
    assert "Your submission could not be accepted" in response.content.decode()
    assert not CaseStudy.objects.exists()
    assert not SubmitterContact.objects.exists()
    assert mail.outbox == []


def test_honeypot_is_hidden_from_people_and_the_keyboard(client):
    html = client.get(URL).content.decode()
    assert re.search(
        r'<div class="visually-hidden" aria-hidden="true">\s*<label for="id_reference_code">', html
    )
    field = re.search(r'<input[^>]*name="reference_code"[^>]*>', html).group(0)
    assert 'tabindex="-1"' in field
    assert 'autocomplete="off"' in field


def test_form_sent_too_fast_is_refused(submit):
    response = submit(started=make_started_token())
    assert response.status_code == 400
    assert "sent too quickly" in response.content.decode()
    assert not CaseStudy.objects.exists()


def test_form_sent_too_fast_can_be_sent_again_later(submit):
    response = submit(started=make_started_token())
    fresh = re.search(r'name="started" value="([^"]+)"', response.content.decode()).group(1)
    assert fresh != ""
    # The page carries a new start time, so the reader is not refused for ever.
    assert submit(started=make_started_token(time.time() - 10)).status_code == 302


def test_minimum_fill_time_is_a_setting(submit, settings):
    settings.SUBMISSION_MIN_SECONDS = 0
    assert submit(started=make_started_token()).status_code == 302


def test_tampered_start_time_is_refused(submit):
    token = make_started_token(time.time() - 60)
    response = submit(started=token[:-2] + "xx")
    assert response.status_code == 400
    assert "could not be checked" in response.content.decode()
    assert not CaseStudy.objects.exists()


def test_missing_start_time_is_refused(submit):
    data = valid_data()
    del data["started"]
    assert submit(data).status_code == 400
    assert not CaseStudy.objects.exists()


def test_sixth_submission_in_an_hour_from_one_address_is_429(submit):
    statuses = [submit(title=f"Flood warnings {n}").status_code for n in range(6)]
    assert statuses == [302, 302, 302, 302, 302, 429]
    assert CaseStudy.objects.count() == 5


def test_rate_limit_page_explains_what_to_do(submit):
    for n in range(5):
        submit(title=f"Flood warnings {n}")
    response = submit(title="One too many")
    assert response.status_code == 429
    assert "Too many submissions" in response.content.decode()
    assert "try again in an hour" in response.content.decode()


def test_rate_limit_is_per_address(submit):
    for n in range(5):
        submit(title=f"Flood warnings {n}", address="203.0.113.7")
    assert submit(title="From elsewhere", address="198.51.100.20").status_code == 302


def test_spam_refusals_count_towards_the_rate_limit(submit):
    for _n in range(5):
        submit(reference_code="spam")
    assert submit().status_code == 429


def test_ordinary_mistakes_do_not_count_towards_the_rate_limit(submit):
    for _n in range(5):
        submit(title="")
    assert submit().status_code == 302


def test_behind_a_declared_proxy_each_visitor_has_a_limit_of_their_own(client, settings):
    settings.NUM_PROXIES = 1
    proxy = "10.0.0.2"  # REMOTE_ADDR is the proxy's address for every visitor

    def submit_through_proxy(forwarded_for, n):
        data = valid_data(title=f"Flood warnings {n}")
        return client.post(URL, data, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=forwarded_for)

    assert [submit_through_proxy("198.51.100.1", n).status_code for n in range(5)] == [302] * 5
    assert submit_through_proxy("198.51.100.2", 5).status_code == 302  # another visitor
    assert submit_through_proxy("198.51.100.1", 6).status_code == 429
    # A visitor who writes an address of their own in front of the proxy's gets no fresh allowance.
    assert submit_through_proxy("203.0.113.99, 198.51.100.1", 7).status_code == 429


def test_concurrent_submissions_from_one_address_get_exactly_the_limit_through(transactional_db):
    """The limit is taken atomically before the form is checked: posts arriving together cannot all read
    "under the limit" before any of them is counted. Spam refusals count and write nothing."""
    from django.db import connection
    from django.test import Client

    from cases.interchange.reference_data import load_reference_data

    load_reference_data()  # an earlier transactional test may have emptied the tables the form reads
    barrier = threading.Barrier(12)

    def post(_n):
        client = Client()
        barrier.wait()
        try:
            return client.post(URL, valid_data(reference_code="spam"), REMOTE_ADDR="203.0.113.50").status_code
        finally:
            connection.close()  # this thread's own connection

    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(post, range(12)))

    assert sorted(statuses) == [400] * SUBMISSIONS_PER_WINDOW + [429] * (12 - SUBMISSIONS_PER_WINDOW)

"""E-mail alerts for library selections (issue 19): double opt-in, digests by a task, one-click unsubscribe,
spam defences and rate limits, nothing unpublished ever sent, end to end through the mail outbox."""

import re
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.forms import make_started_token
from cases.models import AlertSubscription, CaseTranslation, Economy, Sector, Status, TranslationStatus
from cases.models.translations import TRANSLATED_CASE_FIELDS, text_digest
from cases.services import (
    alert_confirm,
    alert_digests_send,
    alert_subscribe,
    send_alert_digests,
)
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db

FOLLOW = "/alerts/"
ADDRESS = "official@example.gov"
LINK = re.compile(r"https?://[^\s<>\"]+")


def follow_data(**overrides):
    data = {
        "email": ADDRESS,
        "frequency": "weekly",
        "selection": "sector=health",
        "started": make_started_token(time.time() - 60),
    }
    return data | overrides


@pytest.fixture
def subscribe(client, django_capture_on_commit_callbacks):
    """Post the library page's form (its confirmation e-mail sent: the transaction's callbacks run)."""

    def post(url=FOLLOW, **overrides):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, follow_data(**overrides))

    return post


def links(message, part: str) -> list[str]:
    return [url for url in LINK.findall(message.body) if part in url]


def confirm(client, message) -> AlertSubscription:
    """Follow the confirmation link in `message` and press its button."""
    (url,) = links(message, "/confirm/")
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path).status_code == 200
    assert client.post("/" + path).status_code == 302
    return AlertSubscription.objects.get()


def a_week_passes(subscription=None):
    """Move every confirmed subscription's last digest back eight days: a weekly digest is due."""
    AlertSubscription.objects.confirmed().update(covered_until=F("covered_until") - timedelta(days=8))
    CaseStudyModel = CaseStudyFactory._meta.model
    CaseStudyModel.objects.filter(published_at__isnull=False).update(
        published_at=F("published_at") - timedelta(days=1)
    )


def confirmed_subscription(query="sector=health", frequency="weekly", language="en", email=ADDRESS):
    subscription = AlertSubscription.objects.create(
        email=email, query=query, frequency=frequency, language=language, title="Health cases"
    )
    return alert_confirm(subscription=subscription, now=timezone.now() - timedelta(days=8))


# --- The form on the library page ----------------------------------------------------------------------


def test_the_library_page_has_a_form_to_follow_its_selection(client):
    page = client.get("/cases/?sector=health&sort=title").content.decode()
    assert 'action="/alerts/"' in page
    assert 'name="selection" value="sector=health&amp;sort=title"' in page
    assert '<label for="alert-email">' in page
    assert "csrfmiddlewaretoken" not in page  # the page stays cacheable for every reader


def test_the_library_page_with_invalid_filters_offers_no_form(client):
    response = client.get("/cases/?sector=no-such-sector")
    assert response.status_code == 400
    assert 'action="/alerts/"' not in response.content.decode()


def test_the_follow_page_describes_the_selection(client):
    response = client.get(FOLLOW + "?sector=health&economy=SG")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Health cases in Singapore" in page
    assert 'value="economy=SG&amp;sector=health"' in page


def test_an_invalid_selection_is_a_readable_400_on_the_follow_page(client):
    response = client.get(FOLLOW + "?year_from=soon&sector=no-such-sector")
    assert response.status_code == 400
    page = response.content.decode()
    assert "This selection cannot be followed" in page
    assert "year_from" in page
    assert "sector" in page


# --- Double opt-in, end to end ---------------------------------------------------------------------------


def test_following_a_selection_sends_a_confirmation_and_nothing_more(client, subscribe, mailoutbox):
    response = subscribe(selection="sort=newest&sector=health&page=3")
    assert response.status_code == 302
    assert response["Location"] == "/alerts/sent/"
    assert client.get("/alerts/sent/").status_code == 200
    subscription = AlertSubscription.objects.get()
    assert subscription.query == "sector=health"  # sort and paging choose no cases
    assert subscription.confirmed_at is None
    assert subscription.title == "Health cases"
    (message,) = mailoutbox
    assert message.to == [ADDRESS]
    assert message.subject == "Confirm your e-mail alert: Health cases"
    assert links(message, f"/alerts/{subscription.pk}/confirm/")
    assert message.alternatives[0].mimetype == "text/html"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith(
        f"<http://127.0.0.1:8000/alerts/{subscription.pk}/"
    )


def test_an_unconfirmed_subscription_gets_no_digest(subscribe, mailoutbox):
    subscribe()
    AlertSubscription.objects.update(created_at=timezone.now() - timedelta(days=2))
    CaseStudyFactory()
    mailoutbox.clear()
    counts = alert_digests_send(now=timezone.now() + timedelta(days=8))
    assert counts["due"] == 0
    assert mailoutbox == []


def test_end_to_end_subscribe_confirm_digest_unsubscribe(client, subscribe, mailoutbox):
    subscribe()
    subscription = confirm(client, mailoutbox[0])
    assert subscription.is_confirmed
    health = Sector.objects.get(slug="health")
    education = Sector.objects.get(slug="education")
    new = CaseStudyFactory(title="Tell us once for births", sectors=[health])
    CaseStudyFactory(title="A school meals service", sectors=[education])
    a_week_passes()
    mailoutbox.clear()

    result = send_alert_digests.enqueue()  # the task, as the worker runs it (immediate backend in tests)

    assert result.return_value["sent"] == 1
    (digest,) = mailoutbox
    assert digest.subject == "1 new case study: Health cases"
    assert "Tell us once for births" in digest.body
    assert f"http://127.0.0.1:8000{new.get_absolute_url()}" in digest.body
    assert "A school meals service" not in digest.body
    html = digest.alternatives[0].content
    assert f'href="http://127.0.0.1:8000{new.get_absolute_url()}"' in html
    (unsubscribe,) = links(digest, "/unsubscribe/")
    assert digest.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"

    path = "/" + unsubscribe.split("://", 1)[1].split("/", 1)[1]
    assert client.get(path).status_code == 200  # a page with a button: a link scanner unsubscribes no one
    assert AlertSubscription.objects.exists()
    response = client.post(path)
    assert response.status_code == 200
    assert "You have unsubscribed" in response.content.decode()
    assert not AlertSubscription.objects.exists()  # the address is gone with it


def test_the_confirmation_link_only_shows_a_button_on_get(client, subscribe, mailoutbox):
    subscribe()
    (url,) = links(mailoutbox[0], "/confirm/")
    client.get("/" + url.split("://", 1)[1].split("/", 1)[1])
    assert not AlertSubscription.objects.get().is_confirmed


def test_one_click_unsubscribe_needs_no_cookie_and_no_csrf_token(client):
    from django.test import Client

    subscription = confirmed_subscription()
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        subscription.unsubscribe_url(),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert not AlertSubscription.objects.exists()
    assert "Set-Cookie" not in response.headers


def test_following_again_answers_the_same_and_sends_nothing_when_confirmed(client, subscribe, mailoutbox):
    confirmed_subscription()
    response = subscribe()
    assert response.status_code == 302
    assert response["Location"] == "/alerts/sent/"
    assert mailoutbox == []
    assert AlertSubscription.objects.count() == 1


def test_following_again_before_confirming_sends_the_link_again(subscribe, mailoutbox):
    subscribe()
    subscribe(email=ADDRESS.upper(), frequency="daily")
    assert len(mailoutbox) == 2
    subscription = AlertSubscription.objects.get()
    assert subscription.frequency == "daily"


def test_the_manage_page_changes_the_frequency(client):
    subscription = confirmed_subscription()
    response = client.post(subscription.manage_url(), {"frequency": "daily"})
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.frequency == "daily"
    assert client.post(subscription.manage_url(), {"frequency": "hourly"}).status_code == 400


# --- Links that are wrong or too old --------------------------------------------------------------------


@pytest.mark.parametrize("view", ["confirm", "manage", "unsubscribe"])
def test_a_wrong_token_is_a_404_that_says_why(client, view):
    subscription = confirmed_subscription()
    for path in (
        f"/alerts/{subscription.pk}/{view}/{'0' * 40}/",
        f"/alerts/{subscription.pk}/{view}/{'x' * 500}/",
        f"/alerts/{10**30}/{view}/{subscription.token('manage')}/",
        f"/alerts/{subscription.pk + 1}/{view}/{subscription.token('manage')}/",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "This link is not valid" in response.content.decode()
        assert client.post(path).status_code == 404
    assert AlertSubscription.objects.exists()


def test_a_manage_token_does_not_confirm(client):
    subscription = AlertSubscription.objects.create(email=ADDRESS, query="")
    response = client.post(f"/alerts/{subscription.pk}/confirm/{subscription.token('manage')}/")
    assert response.status_code == 404
    subscription.refresh_from_db()
    assert not subscription.is_confirmed


def test_a_confirmation_link_too_old_no_longer_confirms(client, subscribe, mailoutbox):
    subscribe()
    (url,) = links(mailoutbox[0], "/confirm/")
    AlertSubscription.objects.update(created_at=timezone.now() - timedelta(days=8))
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404
    assert not AlertSubscription.objects.get().is_confirmed


def test_unconfirmed_subscriptions_expire_and_the_task_deletes_them(client, subscribe, mailoutbox):
    subscribe()
    subscription = AlertSubscription.objects.get()
    (url,) = links(mailoutbox[0], "/confirm/")
    AlertSubscription.objects.update(created_at=timezone.now() - timedelta(days=8))
    confirmed_subscription(email="other@example.org")
    counts = alert_digests_send()
    assert counts["purged"] == 1
    assert not AlertSubscription.objects.filter(pk=subscription.pk).exists()
    assert AlertSubscription.objects.count() == 1
    assert client.get("/" + url.split("://", 1)[1].split("/", 1)[1]).status_code == 404


# --- The digest: only published, only new, once ----------------------------------------------------------


@pytest.mark.parametrize(
    "status", [Status.DRAFT, Status.IN_REVIEW, Status.SUBMITTED, Status.CHANGES_REQUESTED, Status.ARCHIVED]
)
def test_an_unpublished_case_never_appears_in_a_digest(status, mailoutbox):
    confirmed_subscription()
    CaseStudyFactory(title="A case nobody may see yet", status=status, published_at=timezone.now())
    CaseStudyFactory(title="A published case")
    counts = alert_digests_send()
    assert counts["sent"] == 1
    (digest,) = mailoutbox
    assert "A case nobody may see yet" not in digest.body + digest.alternatives[0].content
    assert "A published case" in digest.body


def test_a_search_selection_still_sends_only_published_cases(mailoutbox):
    confirmed_subscription(query="q=lantern")
    CaseStudyFactory(title="Lantern project in draft", status=Status.DRAFT)
    CaseStudyFactory(title="Lantern project for villages")
    alert_digests_send()
    (digest,) = mailoutbox
    assert "Lantern project for villages" in digest.body
    assert "in draft" not in digest.body


def test_nothing_is_sent_when_nothing_new_matches(mailoutbox):
    subscription = confirmed_subscription()
    CaseStudyFactory(sectors=[Sector.objects.get(slug="education")])
    now = timezone.now()
    counts = alert_digests_send(now=now)
    assert counts == {"due": 1, "sent": 0, "nothing_new": 1, "skipped": 0, "failed": 0, "purged": 0}
    assert mailoutbox == []
    subscription.refresh_from_db()
    assert subscription.covered_until == now
    assert subscription.last_sent_at is None


def test_cases_published_before_confirmation_or_in_an_earlier_digest_are_not_sent_again(mailoutbox):
    subscription = confirmed_subscription()
    CaseStudyFactory(title="Published before", published_at=subscription.confirmed_at - timedelta(days=1))
    CaseStudyFactory(title="Published since")
    alert_digests_send()
    assert len(mailoutbox) == 1
    assert "Published before" not in mailoutbox[0].body
    counts = alert_digests_send(now=timezone.now() + timedelta(days=7, minutes=1))
    assert counts["nothing_new"] == 1
    assert len(mailoutbox) == 1  # nothing new since the last digest


def test_running_the_task_twice_sends_once(mailoutbox):
    confirmed_subscription()
    CaseStudyFactory()
    now = timezone.now()
    first = alert_digests_send(now=now)
    second = alert_digests_send(now=now + timedelta(minutes=5))
    assert (first["sent"], second["sent"], second["due"]) == (1, 0, 0)
    assert len(mailoutbox) == 1


def test_a_daily_digest_is_due_after_a_day_and_a_weekly_one_after_a_week():
    now = timezone.now()
    daily = confirmed_subscription(frequency="daily", email="daily@example.org")
    weekly = confirmed_subscription(frequency="weekly", email="weekly@example.org")
    AlertSubscription.objects.update(covered_until=now - timedelta(days=1))
    assert list(AlertSubscription.objects.due(now=now)) == [daily]
    AlertSubscription.objects.update(covered_until=now - timedelta(days=7))
    assert set(AlertSubscription.objects.due(now=now)) == {daily, weekly}


def test_a_digest_is_in_the_subscribers_language_with_translated_titles(client, subscribe, mailoutbox):
    response = subscribe(url="/th/alerts/")
    assert response["Location"] == "/th/alerts/sent/"
    subscription = AlertSubscription.objects.get()
    assert subscription.language == "th"
    assert links(mailoutbox[0], f"/th/alerts/{subscription.pk}/confirm/")
    alert_confirm(subscription=subscription, now=timezone.now() - timedelta(days=8))
    case = CaseStudyFactory(title="Tell us once")
    original = text_digest({name: getattr(case, name) for name in TRANSLATED_CASE_FIELDS})
    CaseTranslation.objects.create(
        case=case,
        language="th",
        title="บอกเราครั้งเดียว",
        summary="สรุป",
        overview="ภาพรวม",
        translated_by="team",
        reviewed_by="reviewer",
        status=TranslationStatus.PUBLISHED,
        source_digest=original,
    )
    mailoutbox.clear()
    alert_digests_send()
    (digest,) = mailoutbox
    assert "บอกเราครั้งเดียว" in digest.body
    assert f"/th/cases/{case.slug}/" in digest.body
    assert "/th/alerts/" in digest.extra_headers["List-Unsubscribe"]


@pytest.mark.parametrize("query", ["sector=health", "q=case&economy=SG"])
def test_a_digest_costs_the_same_queries_however_many_cases_match(django_assert_max_num_queries, query):
    economy = Economy.objects.get(iso2="SG")
    confirmed_subscription(query=query, email="few@example.org")
    CaseStudyFactory.create_batch(2, economy=economy)
    with CaptureQueriesContext(connection) as few:
        alert_digests_send()
    AlertSubscription.objects.all().delete()
    confirmed_subscription(query=query, email="many@example.org")
    CaseStudyFactory.create_batch(20, economy=economy)
    assert len(few.captured_queries) <= 12
    with django_assert_max_num_queries(len(few.captured_queries)):
        counts = alert_digests_send()
    assert counts["sent"] == 1


def test_the_command_shows_progress_and_a_one_line_summary(capsys, mailoutbox):
    confirmed_subscription()
    CaseStudyFactory()
    call_command("send_alert_digests", "--dry-run")
    assert "1 digest(s) due" in capsys.readouterr().out
    assert mailoutbox == []
    call_command("send_alert_digests")
    output = capsys.readouterr().out.strip().splitlines()
    assert output[0] == "1/1 subscriptions looked at"
    assert output[-1].startswith("1 digest(s) sent, 0 with nothing new")
    assert len(mailoutbox) == 1


# --- Spam defences, rate limits, bad input ---------------------------------------------------------------


def test_a_bad_address_is_a_400_with_the_error_linked_to_the_field(subscribe, mailoutbox):
    response = subscribe(email="not an address")
    assert response.status_code == 400
    page = response.content.decode()
    assert '<a href="#alert-email">Enter an e-mail address in the correct format' in page
    assert 'aria-describedby="alert-email-hint alert-email-error"' in page
    assert mailoutbox == []
    assert not AlertSubscription.objects.exists()


@pytest.mark.parametrize(
    "selection", ["year_from=soon", "sector=no-such-sector", "economy=ZZ", "q=" + "x" * 5000, "sdg=99"]
)
def test_an_invalid_selection_posted_is_a_400_with_a_message(subscribe, selection):
    response = subscribe(selection=selection)
    assert response.status_code == 400
    assert "This selection cannot be followed" in response.content.decode()
    assert not AlertSubscription.objects.exists()


def test_a_frequency_that_is_not_offered_is_a_400(subscribe):
    assert subscribe(frequency="hourly").status_code == 400


def test_the_honeypot_refuses_the_request(subscribe, mailoutbox):
    response = subscribe(reference_code="http://spam.example")
    assert response.status_code == 400
    assert mailoutbox == []
    assert not AlertSubscription.objects.exists()


def test_a_form_sent_too_fast_or_without_its_start_time_is_refused(subscribe):
    assert subscribe(started=make_started_token()).status_code == 400
    assert subscribe(started="forged").status_code == 400
    assert not AlertSubscription.objects.exists()


def test_a_post_from_another_site_is_refused(client, mailoutbox):
    response = client.post(FOLLOW, follow_data(), headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert not AlertSubscription.objects.exists()


def test_one_client_address_is_limited(subscribe, settings):
    settings.ALERT_REQUESTS_PER_HOUR = 2
    assert subscribe(email="a@example.org").status_code == 302
    assert subscribe(email="b@example.org").status_code == 302
    response = subscribe(email="c@example.org")
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()


def test_ordinary_mistakes_do_not_count_against_the_limit(subscribe, settings):
    settings.ALERT_REQUESTS_PER_HOUR = 1
    assert subscribe(email="wrong").status_code == 400
    assert subscribe().status_code == 302


def test_confirmation_mails_to_one_address_are_limited(subscribe, settings, mailoutbox):
    settings.ALERT_CONFIRMATIONS_PER_DAY = 2
    for sector in ("health", "education", "economic-affairs"):
        assert subscribe(selection=f"sector={sector}").status_code == 302
    assert len(mailoutbox) == 2  # the form cannot flood an inbox


def test_one_address_follows_at_most_the_cap(subscribe, settings, mailoutbox):
    settings.ALERTS_PER_ADDRESS = 2
    for sector in ("health", "education", "economic-affairs"):
        assert subscribe(selection=f"sector={sector}").status_code == 302  # the same answer each time
    assert AlertSubscription.objects.count() == 2
    assert len(mailoutbox) == 2


def test_the_service_refuses_what_the_form_would():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        alert_subscribe(email="nobody", query="", frequency="weekly", language="en")
    with pytest.raises(ValidationError):
        alert_subscribe(email=ADDRESS, query="sdg=0", frequency="weekly", language="en")
    with pytest.raises(ValidationError):
        alert_subscribe(email=ADDRESS, query="", frequency="yearly", language="en")


def test_alert_pages_are_never_cached_and_token_pages_leak_no_referrer(client):
    subscription = confirmed_subscription()
    assert "no-cache" in client.get(FOLLOW)["Cache-Control"]
    response = client.get(subscription.manage_url())
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-cache" in response["Cache-Control"]


def test_the_privacy_notice_covers_alerts(client):
    page = client.get("/privacy/").content.decode()
    assert "E-mail alerts" in page


def test_the_admin_lists_alerts_with_masked_addresses(admin_client):
    confirmed_subscription()
    page = admin_client.get("/admin/cases/alertsubscription/").content.decode()
    assert "o***@example.gov" in page
    assert ADDRESS not in page
    assert admin_client.get("/admin/cases/alertsubscription/add/").status_code == 403

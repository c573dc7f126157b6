"""Harvesting through the API: the keyset harvest, the changes feed, conditional requests, streamed
exports, rate limits."""

import base64
import csv
import datetime
import importlib
import io
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.apps import apps as django_apps
from django.utils import timezone, translation

from cases.api import exports
from cases.api.cursors import CURSOR_PATTERN
from cases.curation.workflow import case_transition
from cases.interchange import exporting
from cases.interchange.formats import case_records
from cases.interchange.importing import import_case_records
from cases.models import CaseStudy, CaseTranslation, CaseWithdrawal, Economy
from cases.services import case_delete, case_update
from tests.factories import CaseStudyFactory, OutcomeFactory, UserFactory

pytestmark = pytest.mark.django_db


def encode_earlier_cursor(moment, pk) -> str:
    """A cursor of the form the API gave before CURSOR_PATTERN: base64 of "<ISO time>|<id>"."""
    raw = f"{moment.astimezone(datetime.UTC).isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


API = "/api/v1"


def body_of(response) -> str:
    return (b"".join(response.streaming_content) if response.streaming else response.content).decode()


def harvest(client, url) -> list[dict]:
    """Every record, following `next` links; fails if a page repeats."""
    records = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        page = response.json()
        records += page["results"]
        url = page["next"]
    return records


def at(minutes: int) -> datetime.datetime:
    return datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(minutes=minutes)


def set_updated(case, moment):
    CaseStudy.objects.filter(pk=case.pk).update(updated_at=moment)


# Cases leave publication, and are deleted, through the services every face calls (the workflow's
# transitions, the admin's delete): they record the withdrawals the changes feed reads.
def curator():
    return UserFactory(username="feed-curator", is_staff=True, is_superuser=True)


def transition(case, name):
    return case_transition(case=case, user=curator(), name=name)


def delete(case):
    case_delete(case=case, user=curator())


def rename(case, slug, **fields):
    case.refresh_from_db()
    for name, value in fields.items():
        setattr(case, name, value)
    return case_update(case=case, user=curator(), changed=["slug", *fields], new_slug=slug)


# --- Keyset harvest -------------------------------------------------------------------------------


def test_harvest_delivers_every_case_once_in_update_order(client):
    cases = [CaseStudyFactory(slug=f"case-{n}") for n in range(7)]
    for n, case in enumerate(reversed(cases)):
        set_updated(case, at(n // 2))  # pairs share a moment: the id breaks the tie
    records = harvest(client, f"{API}/cases/harvest/?page_size=3")
    expected = list(CaseStudy.objects.order_by("updated_at", "id").values_list("slug", flat=True))
    assert [record["slug"] for record in records] == expected


def test_harvest_records_are_full_case_representations(client):
    case = CaseStudyFactory(slug="full")
    OutcomeFactory(case=case)
    record = client.get(f"{API}/cases/harvest/").json()["results"][0]
    assert record == client.get(f"{API}/cases/full/").json()


def test_harvest_takes_the_library_filters(client):
    CaseStudyFactory(slug="in-japan", economy=Economy.objects.get(iso2="JP"))
    CaseStudyFactory(slug="in-singapore")
    assert [record["slug"] for record in harvest(client, f"{API}/cases/harvest/?economy=JP")] == ["in-japan"]


def test_harvest_skips_no_case_edited_during_the_harvest(client):
    cases = [CaseStudyFactory(slug=f"case-{n}") for n in range(6)]
    for n, case in enumerate(cases):
        set_updated(case, at(n))
    first = client.get(f"{API}/cases/harvest/?page_size=2").json()
    # While the partner is between pages, an editor changes a case they already have and one they have not.
    cases[0].summary = "Edited after it was harvested."
    cases[0].save()
    cases[4].summary = "Edited before it was harvested."
    cases[4].save()
    rest = harvest(client, first["next"])
    seen = [record["slug"] for record in first["results"] + rest]
    assert set(seen) == {case.slug for case in cases}
    assert seen[-2:] == ["case-0", "case-4"]  # delivered again, newer, at the end
    assert rest[-1]["summary"] == "Edited before it was harvested."


def test_harvest_page_size_is_limited_to_five_hundred(client):
    CaseStudyFactory()
    assert client.get(f"{API}/cases/harvest/?page_size=500").status_code == 200
    assert client.get(f"{API}/cases/harvest/?page_size=501").json()["errors"] == {
        "page_size": ["Enter a whole number from 1 to 500."]
    }


def test_harvest_refuses_a_cursor_it_did_not_make(client):
    response = client.get(f"{API}/cases/harvest/?cursor=bm90LWEtY3Vyc29y")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["cursor"]


# --- The changes feed -----------------------------------------------------------------------------


def changes(client, since) -> list[dict]:
    return harvest(client, f"{API}/cases/changes/?since={since}&page_size=2")


def test_changes_feed_reports_publish_edit_and_withdrawals_each_once(client):
    published = CaseStudyFactory(slug="published")
    edited = CaseStudyFactory(slug="edited")
    unpublished = CaseStudyFactory(slug="unpublished")
    archived = CaseStudyFactory(slug="archived")
    CaseStudyFactory(slug="never-published", status="draft")
    since = timezone.now().isoformat()
    for case in (published, edited, unpublished, archived):
        set_updated(case, at(-60))  # all four were public before `since`
    published.save()  # (re)published after `since`
    edited.title = "Edited title"
    edited.save()
    transition(unpublished, "unpublish")
    transition(archived, "archive")

    entries = changes(client, since.replace("+00:00", "Z"))
    summary = [(entry["slug"], entry["action"], entry["reason"]) for entry in entries]
    assert summary == [
        ("published", "upsert", None),
        ("edited", "upsert", None),
        ("unpublished", "withdraw", "unpublished"),
        ("archived", "withdraw", "archived"),
    ]
    assert entries[1]["case"]["title"] == "Edited title"
    assert entries[2]["case"] is None
    assert entries[3]["case"] is None
    assert [entry["id"] for entry in entries] == [published.pk, edited.pk, unpublished.pk, archived.pk]


def test_changes_feed_leaves_out_changes_before_since(client):
    old, new = CaseStudyFactory(slug="old"), CaseStudyFactory(slug="new")
    set_updated(old, at(0))
    set_updated(new, at(10))
    assert [entry["slug"] for entry in changes(client, at(5).isoformat().replace("+00:00", "Z"))] == ["new"]


def test_changes_feed_is_ordered_by_change_and_id_across_pages(client):
    cases = [CaseStudyFactory(slug=f"case-{n}") for n in range(5)]
    for n, case in enumerate(cases):
        set_updated(case, at(-n))
    entries = changes(client, "2000-01-01T00:00:00Z")
    assert [entry["slug"] for entry in entries] == ["case-4", "case-3", "case-2", "case-1", "case-0"]
    assert [entry["changed_at"] for entry in entries] == sorted(entry["changed_at"] for entry in entries)


def test_changes_feed_reports_a_deleted_case_once(client):
    case = CaseStudyFactory(slug="to-delete")
    case_id = case.pk
    since = at(-1).isoformat().replace("+00:00", "Z")
    set_updated(case, at(-60))
    delete(case)
    entries = changes(client, since)
    assert [(entry["id"], entry["slug"], entry["action"], entry["reason"]) for entry in entries] == [
        (case_id, "to-delete", "withdraw", "deleted")
    ]
    assert entries[0]["case"] is None


def test_deleting_a_never_published_case_leaves_no_trace_in_the_feed(client):
    delete(CaseStudyFactory(slug="draft-to-delete", status="draft"))
    assert changes(client, "2000-01-01T00:00:00Z") == []


def test_changes_feed_pages_through_edits_and_deletions_in_order(client):
    cases = [CaseStudyFactory(slug=f"case-{n}") for n in range(6)]
    for n, case in enumerate(cases):
        set_updated(case, at(n))
    delete(cases[1])
    delete(cases[3])
    cases[5].title = "Edited last"
    cases[5].save()
    entries = changes(client, "2000-01-01T00:00:00Z")
    assert [(entry["slug"], entry["action"]) for entry in entries] == [
        ("case-0", "upsert"),
        ("case-2", "upsert"),
        ("case-4", "upsert"),
        ("case-1", "withdraw"),
        ("case-3", "withdraw"),
        ("case-5", "upsert"),
    ]
    assert [entry["changed_at"] for entry in entries] == sorted(entry["changed_at"] for entry in entries)


def test_a_withdrawn_case_renamed_later_shows_only_its_last_public_slug_and_withdrawal_time(client):
    case = CaseStudyFactory(slug="public-name", title="Public title")
    transition(case, "unpublish")
    withdrawn_at = CaseWithdrawal.objects.get(case_id=case.pk).withdrawn_at
    set_updated(case, at(-600))  # the withdrawal happened long after its last public edit
    # Edited, renamed while unpublished: newer than the withdrawal.
    rename(case, "secret-new-name", title="Secret new title")

    response = client.get(f"{API}/cases/changes/?since=2000-01-01T00:00:00Z")

    entries = response.json()["results"]
    assert [(entry["id"], entry["slug"], entry["action"], entry["reason"]) for entry in entries] == [
        (case.pk, "public-name", "withdraw", "unpublished")
    ]
    assert entries[0]["changed_at"] == withdrawn_at.isoformat().replace("+00:00", "Z")
    assert "secret" not in response.content.decode().lower()


def test_a_withdrawal_records_the_slug_it_was_public_under_when_renamed_in_the_same_save(client):
    # An import row can rename a case and take it out of publication at once (matched by external id).
    case = CaseStudyFactory(slug="public-name", external_id="ext-public")
    (row,) = case_records(CaseStudy.objects.filter(pk=case.pk))
    import_case_records([{**row, "status": "archived", "slug": "renamed-on-the-way-out"}])
    case.refresh_from_db()
    assert (case.slug, case.status) == ("renamed-on-the-way-out", "archived")

    entries = changes(client, "2000-01-01T00:00:00Z")

    assert [(entry["slug"], entry["reason"]) for entry in entries] == [("public-name", "archived")]


def test_deleting_an_already_withdrawn_case_adds_nothing_newer_to_the_feed(client):
    case = CaseStudyFactory(slug="public-name")
    transition(case, "unpublish")
    rename(case, "secret-new-name")
    delete(case)

    entries = changes(client, "2000-01-01T00:00:00Z")

    assert [(entry["slug"], entry["reason"]) for entry in entries] == [("public-name", "unpublished")]


def test_a_republished_case_is_withdrawn_then_upserted_in_order(client):
    case = CaseStudyFactory(slug="back-again")
    transition(case, "unpublish")
    transition(case, "send_for_review")
    transition(case, "publish")

    entries = changes(client, "2000-01-01T00:00:00Z")

    assert [(entry["slug"], entry["action"]) for entry in entries] == [
        ("back-again", "withdraw"),
        ("back-again", "upsert"),
    ]


def test_cases_withdrawn_before_departures_were_recorded_get_a_record_from_the_migration():
    case = CaseStudyFactory(slug="withdrawn-long-ago")
    CaseStudy.objects.filter(pk=case.pk).update(status="archived", updated_at=at(0))  # no signal: as before
    migration = importlib.import_module("cases.migrations.0012_withdrawal_records_for_withdrawn_cases")

    migration.record_earlier_withdrawals(django_apps, None)
    migration.record_earlier_withdrawals(django_apps, None)  # once per case, however often it runs

    assert list(CaseWithdrawal.objects.values_list("case_id", "slug", "reason", "withdrawn_at")) == [
        (case.pk, "withdrawn-long-ago", "archived", at(0))
    ]


def test_next_links_carry_cursors_of_the_documented_form(client):
    for n in range(3):
        CaseStudyFactory(slug=f"case-{n}")

    for path in ("cases/harvest/", "cases/changes/?since=2000-01-01T00:00:00Z&"):
        separator = "" if path.endswith("&") else "?"
        link = client.get(f"{API}/{path}{separator}page_size=1").json()["next"]
        cursor = parse_qs(urlsplit(link).query)["cursor"][0]
        assert re.fullmatch(CURSOR_PATTERN, cursor), cursor


def test_any_cursor_of_the_documented_form_is_a_position(client):
    cases = [CaseStudyFactory(slug=f"case-{n}") for n in range(3)]
    for n, case in enumerate(cases):
        set_updated(case, at(n))

    def slugs(cursor):
        response = client.get(f"{API}/cases/harvest/?cursor={cursor}")
        assert response.status_code == 200, response.content
        return [record["slug"] for record in response.json()["results"]]

    assert slugs("0-0") == ["case-0", "case-1", "case-2"]
    assert slugs(f"{int(at(1).timestamp() * 1_000_000)}-{cases[1].pk}") == ["case-2"]
    assert slugs("99999999999999999-999999999999999999") == []
    assert slugs("") == ["case-0", "case-1", "case-2"]


def test_a_cursor_of_the_earlier_form_still_works(client):
    cases = [CaseStudyFactory(slug=f"case-{n}") for n in range(2)]
    for n, case in enumerate(cases):
        set_updated(case, at(n))

    earlier = encode_earlier_cursor(at(0), cases[0].pk)
    response = client.get(f"{API}/cases/harvest/?cursor={earlier}")

    assert [record["slug"] for record in response.json()["results"]] == ["case-1"]


@pytest.mark.parametrize("path", ["/cases/harvest/", "/cases/changes/?since=2000-01-01T00:00:00Z"])
def test_an_earlier_form_cursor_with_an_offset_postgresql_cannot_hold_is_read_in_utc(client, path):
    case = CaseStudyFactory(slug="late")
    set_updated(case, datetime.datetime(2025, 1, 2, tzinfo=datetime.UTC))
    raw = "2025-01-01T00:00:00+23:59:59.999999|1"  # Python takes this offset; PostgreSQL refuses it
    cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    separator = "&" if "?" in path else "?"

    response = client.get(f"{API}{path}{separator}cursor={cursor}")

    assert response.status_code == 200
    assert "late" in response.text


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_an_earlier_form_cursor_beyond_the_calendar_in_utc_is_a_400(client, moment):
    cursor = base64.urlsafe_b64encode(f"{moment}|1".encode()).decode().rstrip("=")

    response = client.get(f"{API}/cases/harvest/", {"cursor": cursor})

    assert response.status_code == 400
    assert "cursor" in response.json()["errors"]


@pytest.mark.parametrize("cursor", ["12-", "-12", "1.5-3", "123456789012345678-1", "x" * 7, "١٢-٣"])
def test_a_cursor_of_another_form_is_a_400(client, cursor):
    response = client.get(f"{API}/cases/harvest/", {"cursor": cursor})

    assert response.status_code == 400
    assert "cursor" in response.json()["errors"]


def test_changes_feed_needs_since(client):
    response = client.get(f"{API}/cases/changes/")
    assert response.status_code == 400
    assert response.json()["errors"]["since"] == ["This field is required."]


# --- Conditional requests ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/cases/",
        "/cases/?economy=SG",
        "/cases/etag-case/",
        "/cases/harvest/",
        "/cases/facet-counts/",
        "/stats/",
        "/suggest/?q=etag",
        "/economies/",
        "/economies/SG/",
        "/sdgs/",
        "/cases/export.csv",
        "/cases/changes/?since=2000-01-01T00:00:00Z",
    ],
)
def test_matching_etag_gives_304_without_a_body(client, url):
    CaseStudyFactory(slug="etag-case")
    first = client.get(API + url)
    assert first.status_code == 200
    assert first["ETag"].startswith('W/"')
    assert first["Last-Modified"]
    again = client.get(API + url, headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


def test_if_modified_since_gives_304_until_something_changes(client):
    case = CaseStudyFactory(slug="dated")
    set_updated(case, at(0))
    first = client.get(f"{API}/cases/dated/")
    assert (
        client.get(f"{API}/cases/dated/", headers={"if-modified-since": first["Last-Modified"]}).status_code
        == 304
    )
    case.title = "Changed"
    case.save()
    assert (
        client.get(f"{API}/cases/dated/", headers={"if-modified-since": first["Last-Modified"]}).status_code
        == 200
    )


def test_an_edit_changes_the_etag(client):
    case = CaseStudyFactory(slug="edited")
    first = client.get(f"{API}/cases/")
    case.title = "New title"
    case.save()
    second = client.get(f"{API}/cases/", headers={"if-none-match": first["ETag"]})
    assert second.status_code == 200
    assert second["ETag"] != first["ETag"]


def test_a_withdrawal_changes_the_etag(client):
    case = CaseStudyFactory(slug="to-archive")
    first = client.get(f"{API}/cases/")
    transition(case, "archive")
    assert client.get(f"{API}/cases/", headers={"if-none-match": first["ETag"]}).status_code == 200


def test_a_deletion_changes_the_etag(client):
    CaseStudyFactory()
    case = CaseStudyFactory(slug="to-delete")
    set_updated(case, at(-60))  # not the latest change: only the deletion record can tell
    first = client.get(f"{API}/cases/")
    delete(case)
    assert client.get(f"{API}/cases/", headers={"if-none-match": first["ETag"]}).status_code == 200


def test_editing_a_withdrawn_case_changes_neither_etag_nor_last_modified(client):
    CaseStudyFactory(slug="still-public")
    case = CaseStudyFactory(slug="withdrawn")
    transition(case, "unpublish")
    first = client.get(f"{API}/cases/")

    rename(case, "secret-new-name", title="Secret new title")
    second = client.get(f"{API}/cases/", headers={"if-none-match": first["ETag"]})

    assert second.status_code == 304
    assert second["Last-Modified"] == first["Last-Modified"]


def test_editing_a_draft_changes_neither_etag_nor_last_modified(client):
    CaseStudyFactory(slug="public")
    draft = CaseStudyFactory(slug="draft", status="draft")
    first = client.get(f"{API}/sdgs/")

    draft.title = "Work in progress"
    draft.save()

    assert client.get(f"{API}/sdgs/", headers={"if-none-match": first["ETag"]}).status_code == 304


def test_each_query_string_has_its_own_etag(client):
    CaseStudyFactory()
    assert client.get(f"{API}/cases/")["ETag"] != client.get(f"{API}/cases/?economy=SG")["ETag"]


def test_a_draft_edit_does_not_change_the_etag(client):
    CaseStudyFactory()
    draft = CaseStudyFactory(status="draft")
    first = client.get(f"{API}/cases/")
    draft.title = "Still a draft"
    draft.save()
    assert client.get(f"{API}/cases/", headers={"if-none-match": first["ETag"]}).status_code == 304


# --- Streamed exports -----------------------------------------------------------------------------


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200
    assert response.streaming
    return list(csv.DictReader(io.StringIO(body_of(response))))


def test_csv_export_streams_every_matching_case_not_one_page(client):
    for n in range(25):
        CaseStudyFactory(slug=f"case-{n}")
    CaseStudyFactory(slug="in-japan", economy=Economy.objects.get(iso2="JP"))
    response = client.get(f"{API}/cases/export.csv?economy=SG")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="cases-')
    assert {row["slug"] for row in csv_rows(response)} == {f"case-{n}" for n in range(25)}


def test_csv_export_follows_the_filters_and_order_of_the_list(client):
    for n in range(5):
        CaseStudyFactory(slug=f"case-{n}", title=f"Title {5 - n}")
    exported = [row["slug"] for row in csv_rows(client.get(f"{API}/cases/export.csv?sort=title"))]
    listed = [case["slug"] for case in client.get(f"{API}/cases/?sort=title").json()["results"]]
    assert exported == listed


def test_csv_export_row_has_flat_vocabulary_columns(client):
    CaseStudyFactory(
        slug="row", other_economies=[Economy.objects.get(iso2="MY"), Economy.objects.get(iso2="JP")]
    )
    row = csv_rows(client.get(f"{API}/cases/export.csv"))[0]
    assert list(row) == exporting.CSV_COLUMNS
    assert (row["economy"], row["sectors"], row["level"]) == ("SG", "health", "national")
    assert sorted(row["other_economies"].split(";")) == ["JP", "MY"]
    assert row["url"] == "http://testserver/cases/row/"


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_csv_export_neutralises_cells_that_would_run_as_formulas(client, start):
    CaseStudyFactory(slug="formula", title=f'{start}HYPERLINK("http://evil.example")', summary=f"{start}1+1")
    row = csv_rows(client.get(f"{API}/cases/export.csv"))[0]
    assert row["title"] == f'\'{start}HYPERLINK("http://evil.example")'
    assert row["summary"] == f"'{start}1+1"


def test_jsonl_export_gives_the_api_representation_per_line(client):
    for n in range(3):
        OutcomeFactory(case=CaseStudyFactory(slug=f"case-{n}"))
    response = client.get(f"{API}/cases/export.jsonl")
    assert response["Content-Type"] == "application/jsonl; charset=utf-8"
    lines = body_of(response).splitlines()
    records = [json.loads(line) for line in lines]
    assert [record["slug"] for record in records] == ["case-2", "case-1", "case-0"]
    # The case as the API gives it with every translation (?lang=all): what a harvester keeps.
    assert records[0] == client.get(f"{API}/cases/case-2/", {"lang": "all"}).json()


def test_export_ignores_the_accept_header(client):
    CaseStudyFactory()
    response = client.get(f"{API}/cases/export.csv", headers={"accept": "application/json"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"


@pytest.mark.parametrize("lines", [exporting.csv_lines, exports.jsonl_lines])
def test_export_reads_in_chunks_and_keeps_every_row(lines):
    for n in range(10):
        CaseStudyFactory(slug=f"case-{n}")
    text = "".join(
        lines(CaseStudy.objects.published().order_by("id"), base_url="https://example.org", chunk_size=3)
    )
    assert all(f"case-{n}" in text for n in range(10))
    assert "https://example.org/cases/case-0/" in text


# --- Rate limits ----------------------------------------------------------------------------------


@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "export": "1/minute"},
    }


def test_anonymous_client_over_the_rate_gets_429_with_retry_after(client, low_rates):
    for _ in range(3):
        assert client.get(f"{API}/sdgs/").status_code == 200
    response = client.get(f"{API}/sdgs/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["type"] == "urn:observatory:problem:throttled"


def test_a_forged_forwarded_for_header_does_not_reset_the_limit(client, low_rates):
    for n in range(3):
        client.get(f"{API}/sdgs/", headers={"x-forwarded-for": f"10.0.0.{n}"})
    assert client.get(f"{API}/sdgs/", headers={"x-forwarded-for": "10.9.9.9"}).status_code == 429


def test_exports_have_a_lower_rate_of_their_own(client, low_rates):
    CaseStudyFactory()
    assert client.get(f"{API}/cases/export.csv").status_code == 200
    assert client.get(f"{API}/cases/export.jsonl").status_code == 429
    assert client.get(f"{API}/cases/").status_code == 200


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_browser_over_the_export_limit_gets_a_page_saying_the_limit_and_when_to_retry(client, low_rates):
    CaseStudyFactory()
    url = f"{API}/cases/export.csv?sector=health&lang=en"
    assert client.get(url, headers={"accept": BROWSER_ACCEPT}).status_code == 200
    response = client.get(url, headers={"accept": BROWSER_ACCEPT})
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    assert int(response["Retry-After"]) > 0
    assert "Accept" in response["Vary"]
    text = response.text
    assert '<h1 id="error-heading">Too many downloads</h1>' in text
    assert "At most 1 download a minute from one connection." in text
    assert "You can download again in" in text
    assert 'href="/cases/?sector=health"' in text  # back to the same selection


def test_the_export_limit_page_is_in_the_language_of_the_download_link(client, low_rates):
    client.get(f"{API}/cases/export.csv?lang=ja", headers={"accept": BROWSER_ACCEPT})
    response = client.get(f"{API}/cases/export.csv?lang=ja", headers={"accept": BROWSER_ACCEPT})
    assert response.status_code == 429
    assert '<html lang="ja"' in response.text


@pytest.mark.parametrize("accept", ["application/json", "text/csv", "*/*", ""])
def test_a_program_over_the_export_limit_keeps_the_problem_details(client, low_rates, accept):
    headers = {"accept": accept} if accept else {}
    client.get(f"{API}/cases/export.csv", headers=headers)
    response = client.get(f"{API}/cases/export.csv", headers=headers)
    assert response.status_code == 429
    assert response.json()["type"] == "urn:observatory:problem:throttled"


def test_a_browser_over_another_endpoints_limit_keeps_the_problem_details(client, low_rates):
    for _ in range(3):
        client.get(f"{API}/sdgs/", headers={"accept": BROWSER_ACCEPT})
    response = client.get(f"{API}/sdgs/", headers={"accept": BROWSER_ACCEPT})
    assert response.status_code == 429
    assert response.json()["type"] == "urn:observatory:problem:throttled"


def _translate(case, status="published", title="移動診療所"):
    CaseTranslation.objects.create(
        case=case,
        language="ja",
        title=title,
        summary="病院のない村に診療所が出向きます。",
        overview="診療所として整備したバスが村を回ります。",
        translated_by="Tanaka Yui",
        reviewed_by="Sato Ken" if status == "published" else "",
        status=status,
    )


@pytest.fixture
def translated_cases():
    """A case translated into Japanese (published), one with a Japanese draft, one untranslated."""
    _translate(
        CaseStudyFactory(slug="translated", title="Mobile clinics", economy=Economy.objects.get(iso2="TH"))
    )
    _translate(CaseStudyFactory(slug="draft-translation", title="Draft only"), status="draft", title="下書き")
    CaseStudyFactory(slug="untranslated", title="English only")


@pytest.mark.parametrize(
    ("parameters", "headers"), [({"lang": "ja"}, {}), ({}, {"HTTP_ACCEPT_LANGUAGE": "ja"})]
)
def test_csv_export_gives_the_text_in_the_language_asked_for_and_says_which(
    client, translated_cases, parameters, headers
):
    response = client.get(f"{API}/cases/export.csv", parameters, **headers)

    rows = {row["slug"]: row for row in csv.DictReader(io.StringIO(body_of(response)))}
    assert response["Content-Language"] == "ja"
    assert (rows["translated"]["title"], rows["translated"]["language"]) == ("移動診療所", "ja")
    assert rows["translated"]["original_language"] == "en"
    assert rows["translated"]["overview"] == "診療所として整備したバスが村を回ります。"
    with translation.override("ja"):
        assert rows["translated"]["economy_name"] == Economy.objects.get(iso2="TH").label
    # A draft translation is never exported; the original is, and says its language.
    assert (rows["draft-translation"]["title"], rows["draft-translation"]["language"]) == ("Draft only", "en")
    assert "下書き" not in body_of(client.get(f"{API}/cases/export.csv", parameters, **headers))
    assert (rows["untranslated"]["title"], rows["untranslated"]["language"]) == ("English only", "en")


def test_csv_export_without_a_language_gives_the_originals(client, translated_cases):
    rows = {
        row["slug"]: row
        for row in csv.DictReader(io.StringIO(body_of(client.get(f"{API}/cases/export.csv"))))
    }

    assert (rows["translated"]["title"], rows["translated"]["language"]) == ("Mobile clinics", "en")


def test_jsonl_export_gives_the_text_in_the_language_asked_for(client, translated_cases):
    response = client.get(f"{API}/cases/export.jsonl", {"lang": "ja"})

    records = {record["slug"]: record for record in map(json.loads, body_of(response).splitlines())}
    assert (records["translated"]["title"], records["translated"]["language"]) == ("移動診療所", "ja")
    assert records["draft-translation"]["title"] == "Draft only"
    assert [t["language"] for t in records["translated"]["translations"]] == ["ja"]
    assert records["draft-translation"]["translations"] == []


def test_the_librarys_export_links_ask_for_the_pages_language(client, translated_cases):
    page = client.get("/ja/cases/", {"sector": "health"}).content.decode()

    assert re.search(r'href="/api/v1/cases/export\.csv\?[^"]*lang=ja', page)
    assert re.search(r'href="/api/v1/cases/\?[^"]*lang=ja', page)

"""Every write is a service (cases/services.py): the admin's edit and delete, withdrawals for the changes feed
through every face that takes a case out of the public catalogue, and e-mails sent by tasks after commit."""

import datetime
import io
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import transaction
from django.urls import resolve, reverse
from django.utils import timezone

from cases.curation.moderation import QUEUE_STATUSES
from cases.curation.roles import ECONOMY_EDITOR
from cases.curation.workflow import case_transition
from cases.interchange.formats import case_records
from cases.interchange.importing import import_case_records
from cases.models import (
    CaseRevision,
    CaseStudy,
    CaseWithdrawal,
    EditorProfile,
    FormerSlug,
    RevisionAction,
    Status,
    SubmitterContact,
)
from cases.models.moderation_queue import QUEUED_STATUS_VALUES
from cases.services import (
    CaseImport,
    CaseImportFailed,
    case_delete,
    case_delete_many,
    case_import_many,
    case_submit,
    case_update,
    case_withdraw,
)
from tests.factories import CaseStudyFactory, UserFactory, reference

pytestmark = pytest.mark.django_db

CHANGES = "/api/v1/cases/changes/?since=2000-01-01T00:00:00Z"


def feed(client) -> list[tuple[str, str, str | None]]:
    """(slug, action, reason) of every entry of the changes feed, in order."""
    response = client.get(CHANGES)
    assert response.status_code == 200, response.content
    return [(entry["slug"], entry["action"], entry["reason"]) for entry in response.json()["results"]]


def economy_editor(economy):
    from django.contrib.auth.models import Group

    user = UserFactory(username="th-editor", is_staff=True)
    user.groups.add(Group.objects.get(name=ECONOMY_EDITOR))
    EditorProfile.objects.create(user=user).economies.add(economy)
    return user


# --- case_update: the admin's edit --------------------------------------------------------------


def test_case_update_renames_keeps_the_old_address_and_records_one_revision(superuser):
    case = CaseStudyFactory(slug="old-address", title="Old title")
    case.title = "New title"

    case_update(case=case, user=superuser, changed=["title", "slug"], new_slug="new-address")

    case.refresh_from_db()
    assert (case.slug, case.title, case.updated_by) == ("new-address", "New title", superuser)
    assert list(FormerSlug.objects.filter(case=case).values_list("slug", flat=True)) == ["old-address"]
    revision = CaseRevision.objects.get(case=case)
    assert (revision.action, revision.message, revision.user) == (
        RevisionAction.CHANGED,
        "title, slug",
        superuser,
    )
    assert revision.changes["slug"] == [None, "new-address"]


def test_case_update_keeps_the_status_as_stored_not_as_loaded(superuser):
    case = CaseStudyFactory(status=Status.DRAFT)
    loaded = CaseStudy.objects.get(pk=case.pk)
    CaseStudy.objects.filter(pk=case.pk).update(status=Status.IN_REVIEW)  # the workflow, meanwhile
    loaded.title = "Edited"

    case_update(case=loaded, user=superuser, changed=["title"])

    case.refresh_from_db()
    assert (case.title, case.status) == ("Edited", Status.IN_REVIEW)


def test_case_update_refused_writes_nothing():
    case = CaseStudyFactory(status=Status.PUBLISHED, title="Public title", economy=reference_economy("TH"))
    editor = economy_editor(case.economy)
    case.title = "Edited by an economy editor"

    with pytest.raises(PermissionDenied):
        case_update(case=case, user=editor, changed=["title"], new_slug="renamed")

    case.refresh_from_db()
    assert case.title == "Public title"
    assert not FormerSlug.objects.exists()
    assert not CaseRevision.objects.exists()


def test_case_update_calls_save_related_after_the_case_is_saved_and_before_the_revision(superuser):
    case = CaseStudyFactory()
    seen = []

    def save_related():
        seen.append((CaseStudy.objects.get(pk=case.pk).title, CaseRevision.objects.count()))

    case.title = "Saved first"
    case_update(case=case, user=superuser, changed=["title"], save_related=save_related)

    assert seen == [("Saved first", 0)]
    assert CaseRevision.objects.count() == 1


def reference_economy(iso2):
    from cases.models import Economy

    return reference(Economy, iso2=iso2)


# --- Withdrawals: every face that takes a case out of the public catalogue ----------------------


def test_admin_delete_of_a_published_case_tells_the_changes_feed(admin_client, client):
    case = CaseStudyFactory(slug="deleted-in-admin")

    response = admin_client.post(reverse("admin:cases_casestudy_delete", args=[case.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not CaseStudy.objects.filter(pk=case.pk).exists()
    assert feed(client) == [("deleted-in-admin", "withdraw", "deleted")]


def test_admin_bulk_delete_tells_the_changes_feed_of_the_published_cases_only(admin_client, client):
    published = [CaseStudyFactory(slug=f"bulk-{n}") for n in range(2)]
    draft = CaseStudyFactory(slug="bulk-draft", status=Status.DRAFT)

    response = admin_client.post(
        reverse("admin:cases_casestudy_changelist"),
        {"action": "delete_selected", "_selected_action": [c.pk for c in [*published, draft]], "post": "yes"},
    )

    assert response.status_code == 302
    assert not CaseStudy.objects.exists()
    assert sorted(feed(client)) == [("bulk-0", "withdraw", "deleted"), ("bulk-1", "withdraw", "deleted")]


def test_an_import_that_unpublishes_a_case_tells_the_changes_feed(client):
    case = CaseStudyFactory(slug="imported-away")
    (row,) = case_records(CaseStudy.objects.filter(pk=case.pk))

    import_case_records([{**row, "status": "draft"}])

    assert feed(client) == [("imported-away", "withdraw", "unpublished")]


def test_an_import_that_leaves_a_case_published_records_no_withdrawal(client):
    case = CaseStudyFactory(slug="imported-again")
    (row,) = case_records(CaseStudy.objects.filter(pk=case.pk))

    import_case_records([{**row, "title": "A new title"}])

    assert not CaseWithdrawal.objects.exists()
    assert feed(client) == [("imported-again", "upsert", None)]


def test_the_purge_command_leaves_the_changes_feed_as_it_was(client):
    case = CaseStudyFactory(slug="proposed-long-ago")
    SubmitterContact.objects.create(case=case, name="Ana", email="ana@example.org", reference="OBS-PURGE234")
    SubmitterContact.objects.filter(case=case).update(
        created_at=timezone.now() - datetime.timedelta(days=400)
    )
    before = feed(client)

    call_command("purge_submitter_contacts", days=365, stdout=io.StringIO())

    assert not SubmitterContact.objects.exists()
    assert feed(client) == before == [("proposed-long-ago", "upsert", None)]
    assert not CaseWithdrawal.objects.exists()


def test_the_workflow_records_the_withdrawal_in_its_own_transaction(superuser):
    case = CaseStudyFactory(slug="archived-by-workflow")

    archived = case_transition(case=case, user=superuser, name="archive")

    withdrawal = CaseWithdrawal.objects.get()
    assert (withdrawal.case_id, withdrawal.slug, withdrawal.reason) == (case.pk, case.slug, "archived")
    assert withdrawal.withdrawn_at == archived.updated_at


def test_a_refused_transition_records_no_withdrawal():
    case = CaseStudyFactory(economy=reference_economy("TH"))

    with pytest.raises(PermissionDenied):
        case_transition(case=case, user=economy_editor(case.economy), name="unpublish")

    assert not CaseWithdrawal.objects.exists()


def test_case_withdraw_records_nothing_for_a_case_still_published():
    assert case_withdraw(case=CaseStudyFactory(), public_slug="still-here") is None
    assert not CaseWithdrawal.objects.exists()


def test_only_a_curator_deletes_and_a_refusal_deletes_nothing():
    case = CaseStudyFactory(economy=reference_economy("TH"))

    with pytest.raises(PermissionDenied):
        case_delete(case=case, user=economy_editor(case.economy))

    assert CaseStudy.objects.filter(pk=case.pk).exists()
    assert not CaseWithdrawal.objects.exists()


def test_case_delete_many_counts_what_it_deleted(superuser):
    cases = [CaseStudyFactory(), CaseStudyFactory(status=Status.ARCHIVED)]
    assert case_delete_many(cases=CaseStudy.objects.filter(pk__in=[c.pk for c in cases]), user=superuser) == 2
    assert list(CaseWithdrawal.objects.values_list("case_id", flat=True)) == [cases[0].pk]


# --- E-mails: sent by tasks once the write commits ----------------------------------------------


def submit():
    return case_submit(
        data={
            "title": "Mobile clinics",
            "summary": "Clinics on wheels.",
            "overview": "Buses fitted as clinics.",
            "lead_organisation": "Ministry of Health",
            "economy": reference_economy("TH"),
            "level": "national",
            "stage": "implementation",
            "sectors": [reference_sector()],
        },
        contact={"name": "Ana Reyes", "email": "ana@example.org", "organisation": ""},
    )


def reference_sector():
    from cases.models import Sector

    return Sector.objects.order_by("pk").first()


def test_the_receipt_is_sent_after_the_submission_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submitter = submit()
        assert mail.outbox == []  # not inside the transaction
    assert len(callbacks) >= 1
    assert [message.to for message in mail.outbox] == [["ana@example.org"]]
    assert submitter.reference in mail.outbox[0].body


def test_no_receipt_when_the_submission_rolls_back(django_capture_on_commit_callbacks):
    def submit_then_fail():
        with transaction.atomic():
            submit()
            raise RuntimeError("rolled back")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        submit_then_fail()

    assert mail.outbox == []
    assert not SubmitterContact.objects.exists()


def publish_submitted_case(superuser):
    submitter = submit()
    case = submitter.case
    for name in ("accept", "send_for_review", "publish"):
        case = case_transition(case=case, user=superuser, name=name)
    return case


def test_the_publication_notice_links_to_the_case_with_an_absolute_address(
    superuser, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = publish_submitted_case(superuser)

    notice = mail.outbox[-1]
    assert notice.to == ["ana@example.org"]
    (link,) = [word for word in notice.body.split() if "://" in word]
    assert link == settings.SITE_URL + case.get_absolute_url()
    parts = urlsplit(link)
    assert parts.scheme in ("http", "https")
    assert parts.netloc
    match = resolve(parts.path)
    assert (match.view_name, match.kwargs) == ("cases:casestudy_detail", {"slug": case.slug})


def test_no_publication_notice_when_the_publication_rolls_back(superuser, django_capture_on_commit_callbacks):
    submitter = submit()
    case = submitter.case
    for name in ("accept", "send_for_review"):
        case = case_transition(case=case, user=superuser, name=name)

    def publish_then_fail():
        with transaction.atomic():
            case_transition(case=case, user=superuser, name="publish")
            raise RuntimeError("rolled back")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        publish_then_fail()

    assert mail.outbox == []
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW


def test_request_changes_sends_the_curators_note_to_the_submitter_after_commit(
    superuser, django_capture_on_commit_callbacks
):
    submitter = submit()
    case = case_transition(case=submitter.case, user=superuser, name="accept")
    case = case_transition(case=case, user=superuser, name="send_for_review")
    mail.outbox.clear()
    note = "Please add the number of clinics that took part, and a source for the 40% figure."

    with django_capture_on_commit_callbacks(execute=True):
        case_transition(case=case, user=superuser, name="request_changes", note=note)
        assert mail.outbox == []  # not inside the transaction

    (message,) = mail.outbox
    assert message.to == ["ana@example.org"]
    assert note in message.body
    assert submitter.reference in message.body
    assert case.title in message.subject


def test_no_changes_requested_notice_when_the_request_rolls_back(
    superuser, django_capture_on_commit_callbacks
):
    case = submit().case

    def request_then_fail():
        with transaction.atomic():
            case_transition(case=case, user=superuser, name="request_changes", note="Add a source.")
            raise RuntimeError("rolled back")

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        request_then_fail()

    assert mail.outbox == []


def test_a_case_without_a_submitter_sends_no_changes_requested_notice(
    superuser, django_capture_on_commit_callbacks
):
    from tests.factories import CaseStudyFactory

    case = CaseStudyFactory(status=Status.IN_REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        case_transition(case=case, user=superuser, name="request_changes", note="Add a source.")

    assert mail.outbox == []


def test_a_failing_mail_server_does_not_fail_the_submission(monkeypatch, django_capture_on_commit_callbacks):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr("cases.tasks.send_mail", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        submitter = submit()

    assert SubmitterContact.objects.filter(pk=submitter.pk).exists()
    assert mail.outbox == []


def test_the_test_settings_run_tasks_immediately():
    assert settings.TASKS["default"]["BACKEND"] == "django.tasks.backends.immediate.ImmediateBackend"


# --- Imports: written by the services, with the workflow's consequences -------------------------


def exported(case) -> dict:
    (row,) = case_records(CaseStudy.objects.filter(pk=case.pk))
    return row


def test_an_import_that_unpublishes_a_case_records_its_withdrawal_as_the_workflow_does(superuser):
    by_workflow, by_import = CaseStudyFactory(slug="by-workflow"), CaseStudyFactory(slug="by-import")

    case_transition(case=by_workflow, user=superuser, name="unpublish")
    import_case_records([{**exported(by_import), "status": "draft"}], user=superuser)

    withdrawals = {w.case_id: w for w in CaseWithdrawal.objects.all()}
    for case in (by_workflow, by_import):
        case.refresh_from_db()
        withdrawal = withdrawals[case.pk]
        assert (withdrawal.slug, withdrawal.reason, withdrawal.withdrawn_at) == (
            case.slug,
            "unpublished",
            case.updated_at,
        )
    assert len(withdrawals) == 2


def test_an_import_that_renames_and_archives_a_case_withdraws_it_under_its_public_slug(client):
    case = CaseStudyFactory(slug="public-address", external_id="P-1")

    import_case_records([{**exported(case), "slug": "later-address", "status": "archived"}])

    withdrawal = CaseWithdrawal.objects.get()
    assert (withdrawal.case_id, withdrawal.slug, withdrawal.reason) == (case.pk, "public-address", "archived")
    assert feed(client) == [("public-address", "withdraw", "archived")]


def test_an_import_that_publishes_a_submitted_case_tells_its_submitter_after_commit(
    superuser, django_capture_on_commit_callbacks
):
    case = submit().case
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        report = import_case_records([{**exported(case), "status": "published"}], user=superuser)
        assert mail.outbox == []  # not inside the transaction

    assert report.updated == 1
    (notice,) = mail.outbox
    assert notice.to == ["ana@example.org"]
    assert settings.SITE_URL + CaseStudy.objects.get(pk=case.pk).get_absolute_url() in notice.body


def test_a_dry_run_or_a_second_import_of_a_publication_sends_no_notice(
    superuser, django_capture_on_commit_callbacks
):
    case = submit().case
    row = {**exported(case), "status": "published"}
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        import_case_records([row], user=superuser, dry_run=True)
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        import_case_records([row], user=superuser)
        import_case_records([row], user=superuser)

    assert len(mail.outbox) == 1


def test_the_revision_of_an_import_reads_like_the_revision_of_an_edit(superuser):
    rows = [exported(CaseStudyFactory(slug=slug, title="Before")) for slug in ("edited", "imported")]
    CaseStudy.objects.all().delete()
    import_case_records(rows)  # both created, each with its first revision
    edited, imported = CaseStudy.objects.get(slug="edited"), CaseStudy.objects.get(slug="imported")

    edited.title = "After"
    case_update(case=edited, user=superuser, changed=["title"])
    import_case_records([{**exported(imported), "title": "After"}], user=superuser, source="cases.json")

    by_edit = CaseRevision.objects.filter(case=edited).latest("id")
    by_import = CaseRevision.objects.filter(case=imported).latest("id")
    assert (by_edit.action, by_edit.message) == (RevisionAction.CHANGED, "title")
    assert (by_import.action, by_import.message) == (
        RevisionAction.IMPORTED,
        "Imported from cases.json (row 1): updated",
    )
    assert by_import.user == by_edit.user == superuser
    assert by_import.changes == by_edit.changes == {"title": ["Before", "After"]}
    assert {**by_import.snapshot, "slug": "edited"} == by_edit.snapshot


def test_case_import_many_checks_the_rule_itself_and_writes_nothing_when_refused():
    case = CaseStudyFactory(title="As published", economy=reference_economy("TH"))
    edited = CaseStudy.objects.get(pk=case.pk)
    edited.title = "Changed live"
    row = CaseImport(case=edited, stored=case)

    with pytest.raises(CaseImportFailed):
        case_import_many(rows=[row], user=economy_editor(case.economy))

    (error,) = row.errors
    assert isinstance(error, PermissionDenied)
    assert "economy editors cannot change it" in str(error)
    case.refresh_from_db()
    assert case.title == "As published"
    assert not CaseRevision.objects.exists()


def test_case_import_many_asks_the_workflows_permission_to_publish():
    case = CaseStudyFactory(status=Status.DRAFT, economy=reference_economy("TH"))
    publishing = CaseStudy.objects.get(pk=case.pk)
    publishing.status = Status.PUBLISHED
    row = CaseImport(case=publishing, stored=case, sets_published_at=True)

    with pytest.raises(CaseImportFailed):
        case_import_many(rows=[row], user=economy_editor(case.economy))

    assert [str(error) for error in row.errors] == [
        "changing the status from draft to published needs the permission to publish"
    ]
    case.refresh_from_db()
    assert (case.status, case.published_at) == (Status.DRAFT, None)


def test_case_import_many_leaves_a_case_as_it_already_is_untouched(superuser):
    case = CaseStudyFactory()
    row = CaseImport(case=CaseStudy.objects.get(pk=case.pk), stored=case)

    case_import_many(rows=[row], user=superuser)

    assert (row.outcome, row.changed) == ("unchanged", [])
    assert CaseStudy.objects.get(pk=case.pk).updated_at == case.updated_at
    assert not CaseRevision.objects.exists()


# --- The moderation queue's statuses are defined once -------------------------------------------


def test_the_queue_statuses_are_the_enum_members_of_the_queue_values():
    assert [str(status) for status in QUEUE_STATUSES] == list(QUEUED_STATUS_VALUES)
    assert all(isinstance(status, Status) for status in QUEUE_STATUSES)

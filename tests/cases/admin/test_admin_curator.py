"""The curator's side, tried as a curator would (issue 13, item 5).

"Request changes" asks for a note and keeps it; every revision's note says what happened; the History lists
the revisions with their differences in words; only the steps a user may take are offered; lists are paged;
outcomes read as numbers; the admin is the Observatory's."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from cases.admin.catalogue import LIST_PER_PAGE
from cases.curation.history import record_revision
from cases.curation.roles import CURATOR, ECONOMY_EDITOR, REVIEWER
from cases.curation.workflow import case_transition
from cases.models import CaseRevision, CaseStudy, Economy, EditorProfile, RevisionAction, Sector
from tests.cases.admin.test_admin import form_data
from tests.factories import CaseLinkFactory, CaseStudyFactory, OutcomeFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:cases_casestudy_changelist")
QUEUE = reverse("admin:cases_moderationqueue_changelist")
NOTE = "Please add the evaluation report and the number of families served."


def staff(role, economies=()):
    user = UserFactory(username=role.lower().replace(" ", "-"), is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    if economies:
        EditorProfile.objects.create(user=user).economies.set(Economy.objects.filter(iso2__in=economies))
    return user


@pytest.fixture
def reviewer_client(client):
    client.force_login(staff(REVIEWER))
    return client


@pytest.fixture
def editor_client(client):
    client.force_login(staff(ECONOMY_EDITOR, ["SG"]))
    return client


def sg_case(status="in_review", **fields):
    return CaseStudyFactory(economy=Economy.objects.get(iso2="SG"), status=status, **fields)


def change_url(case):
    return reverse("admin:cases_casestudy_change", args=[case.pk])


def history_url(case):
    return reverse("admin:cases_casestudy_history", args=[case.pk])


def transition_url(case, name):
    return reverse("admin:cases_casestudy_transition", args=[case.pk, name])


def latest_revision(case):
    return CaseRevision.objects.filter(case=case).order_by("-created_at", "-id").first()


# --- "Request changes" asks for a note, requires it, and keeps it ------------------------------------


def test_request_changes_from_the_list_first_asks_for_the_note(reviewer_client):
    case = sg_case()
    response = reviewer_client.post(
        CHANGELIST, {"action": "transition_request_changes", "_selected_action": [case.pk]}
    )
    assert response.status_code == 200
    assert "admin/cases/casestudy/transition.html" in [t.name for t in response.templates]
    text = response.content.decode()
    assert 'name="note"' in text
    assert case.title in text
    case.refresh_from_db()
    assert case.status == "in_review"  # nothing happens before the note is given


def test_request_changes_from_the_list_refuses_an_empty_note(reviewer_client):
    case = sg_case()
    response = reviewer_client.post(
        CHANGELIST,
        {"action": "transition_request_changes", "_selected_action": [case.pk], "note": "  ", "apply": "1"},
    )
    assert response.status_code == 200
    assert "the note is required" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "in_review"
    assert not CaseRevision.objects.filter(case=case, action=RevisionAction.TRANSITION).exists()


def test_request_changes_from_the_list_records_the_note_on_every_selected_case(reviewer_client):
    cases = [sg_case(), sg_case(status="submitted")]
    response = reviewer_client.post(
        CHANGELIST,
        {
            "action": "transition_request_changes",
            "_selected_action": [case.pk for case in cases],
            "note": NOTE,
            "apply": "1",
        },
    )
    assert response.status_code == 302
    for case in cases:
        case.refresh_from_db()
        assert case.status == "changes_requested"
        revision = latest_revision(case)
        assert revision.action == RevisionAction.TRANSITION
        assert revision.message == f"Sent back for changes: {NOTE}"


def test_request_changes_from_the_change_form_asks_for_the_note(reviewer_client):
    case = sg_case()
    response = reviewer_client.get(transition_url(case, "request_changes"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Note to the submitter" in text
    assert '<textarea name="note"' in text
    assert "required" in text


def test_request_changes_from_the_change_form_refuses_an_empty_note(reviewer_client):
    case = sg_case()
    response = reviewer_client.post(transition_url(case, "request_changes"), {"note": "", "apply": "1"})
    assert response.status_code == 200
    assert "the note is required" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "in_review"


def test_request_changes_from_the_change_form_keeps_the_note_and_shows_it_in_the_history(reviewer_client):
    case = sg_case()
    response = reviewer_client.post(transition_url(case, "request_changes"), {"note": NOTE, "apply": "1"})
    assert response.status_code == 302
    assert response["Location"] == change_url(case)
    case.refresh_from_db()
    assert case.status == "changes_requested"
    assert latest_revision(case).message == f"Sent back for changes: {NOTE}"
    history = reviewer_client.get(history_url(case)).content.decode()
    assert f"Sent back for changes: {NOTE}" in history


def test_a_note_too_long_for_the_history_is_refused_not_cut(reviewer_client):
    case = sg_case()
    response = reviewer_client.post(
        transition_url(case, "request_changes"), {"note": "x" * 451, "apply": "1"}
    )
    assert response.status_code == 200
    assert "at most 450 characters" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "in_review"


# --- Revision notes say what happened ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status", "note"),
    [
        ("publish", "in_review", "Published."),
        ("send_for_review", "draft", "Sent for review."),
        ("accept", "submitted", "Accepted as a draft."),
        ("archive", "draft", "Archived."),
        ("unpublish", "published", "Unpublished (back to draft)."),
        ("restore", "archived", "Restored from the archive (back to draft)."),
    ],
)
def test_each_list_action_writes_a_note_saying_what_happened(client, name, status, note):
    client.force_login(staff(CURATOR))
    case = sg_case(status=status)
    client.post(CHANGELIST, {"action": f"transition_{name}", "_selected_action": [case.pk]})
    assert latest_revision(case).message == note
    assert not CaseRevision.objects.filter(message__icontains="Changes requested in admin").exists()


def test_an_optional_note_on_the_change_forms_page_follows_what_happened(reviewer_client):
    case = sg_case()
    reviewer_client.post(
        transition_url(case, "publish"), {"note": "Checked with the ministry.", "apply": "1"}
    )
    case.refresh_from_db()
    assert case.status == "published"
    assert latest_revision(case).message == "Published: Checked with the ministry."


def test_an_edit_in_the_admin_names_the_fields_it_changed(admin_client):
    case = sg_case(status="draft")
    data = form_data(admin_client.get(change_url(case)))
    data.update(title="A clearer title", summary="A clearer summary of what the case did.")
    response = admin_client.post(change_url(case), data)
    assert response.status_code == 302
    assert latest_revision(case).message == "Edited: title, summary"


def test_an_edit_of_an_outcome_row_names_the_rows(admin_client):
    case = sg_case(status="draft")
    OutcomeFactory(case=case, indicator="Families served", value=Decimal("1200"))
    data = form_data(admin_client.get(change_url(case)))
    data["outcomes-0-value"] = "1500"
    response = admin_client.post(change_url(case), data)
    assert response.status_code == 302
    assert latest_revision(case).message == "Edited: outcomes"


# --- The History shows the revisions, their differences in words -------------------------------------


def test_history_lists_the_cases_revisions_not_djangos_empty_log(reviewer_client):
    case = sg_case()
    record_revision(case=case, user=None, action=RevisionAction.CREATED, message="Imported.")
    case_transition(case=case, user=UserFactory(is_superuser=True), name="publish")
    response = reviewer_client.get(history_url(case))
    assert response.status_code == 200
    text = response.content.decode()
    assert "have a change history" not in text  # Django's "This object doesn't have a change history"
    assert "Published." in text
    assert "Imported." in text
    assert "The first recorded version of the case." in text
    assert "2 revisions" in text


def test_history_shows_differences_field_by_field_in_words(reviewer_client):
    health, education = Sector.objects.get(slug="health"), Sector.objects.get(slug="education")
    case = sg_case(title="Telemedicine pilot", sectors=[education])
    OutcomeFactory(case=case, indicator="Families served", value=Decimal("1000"), unit="families")
    record_revision(case=case, user=None, action=RevisionAction.CREATED)
    case.title = "Telemedicine for islands"
    case.is_featured = True
    case.save()
    case.sectors.set([health])
    case.outcomes.update(value=Decimal("1000000000"))
    record_revision(case=case, user=None, action=RevisionAction.CHANGED, message="Edited: title")
    text = reviewer_client.get(history_url(case)).content.decode()
    assert "<strong>Title</strong>: “Telemedicine pilot” → “Telemedicine for islands”" in text
    assert "<strong>Sectors</strong>: added Health; removed Education" in text
    assert "<strong>Featured</strong>: no → yes" in text
    assert "“Families served”: value 1,000 → 1,000,000,000" in text
    assert '["' not in text
    assert "{&quot;" not in text


def test_history_does_not_name_a_linked_case_the_reader_may_not_see(client):
    client.force_login(staff(ECONOMY_EDITOR, ["SG"]))
    case = sg_case(status="draft")
    record_revision(case=case, user=None, action=RevisionAction.CREATED)
    hidden = CaseStudyFactory(title="Another economy's secret draft", economy=Economy.objects.get(iso2="JP"))
    hidden.status = "draft"
    hidden.published_at = None
    hidden.save()
    CaseLinkFactory(from_case=case, to_case=hidden)
    record_revision(case=case, user=None, action=RevisionAction.CHANGED)
    text = client.get(history_url(case)).content.decode()
    assert "secret draft" not in text
    assert "added Adapted from a case you may not see" in text


def test_history_is_paged(reviewer_client):
    case = sg_case()
    for n in range(30):
        record_revision(case=case, user=None, action=RevisionAction.CHANGED, message=f"Edit number {n}.")
    first = reviewer_client.get(history_url(case))
    assert len(first.context["revisions"]) == 25
    assert "Edit number 29." in first.content.decode()  # newest first
    second = reviewer_client.get(history_url(case), {"p": 2})
    assert len(second.context["revisions"]) == 5


def test_a_revisions_own_page_shows_the_differences_in_words(admin_client):
    case = sg_case(title="Old title")
    record_revision(case=case, user=None, action=RevisionAction.CREATED)
    case.title = "New title"
    case.save()
    revision = record_revision(case=case, user=None, action=RevisionAction.CHANGED)
    text = admin_client.get(reverse("admin:cases_caserevision_change", args=[revision.pk])).content.decode()
    assert "<strong>Title</strong>: “Old title” → “New title”" in text


# --- Only what the user may do is offered ------------------------------------------------------------


def offered_actions(response):
    return {name for name, _label in response.context["action_form"].fields["action"].choices if name}


def test_economy_editor_is_offered_no_step_only_reviewers_take(editor_client):
    sg_case(status="draft")
    actions = offered_actions(editor_client.get(CHANGELIST))
    assert "transition_send_for_review" in actions
    for name in ("publish", "unpublish", "request_changes", "accept", "archive", "restore"):
        assert f"transition_{name}" not in actions
    assert "delete_selected" not in actions


def test_reviewer_is_offered_every_step(reviewer_client):
    sg_case()
    actions = offered_actions(reviewer_client.get(CHANGELIST))
    assert {f"transition_{name}" for name in ("publish", "request_changes", "accept", "archive")} <= actions


def test_a_list_filtered_to_one_status_offers_only_steps_from_it(reviewer_client):
    sg_case(status="draft")
    actions = offered_actions(reviewer_client.get(CHANGELIST, {"status__exact": "draft"}))
    assert "transition_send_for_review" in actions
    assert "transition_archive" in actions
    assert "transition_publish" not in actions
    assert "transition_restore" not in actions


def test_the_queue_offers_an_economy_editor_no_step(editor_client):
    case = sg_case(status="submitted")
    response = editor_client.get(QUEUE)
    assert response.status_code == 200
    assert case.title in response.content.decode()
    assert response.context["action_form"] is None or offered_actions(response) == set()


def test_the_queue_filtered_to_submitted_offers_accept_not_publish(reviewer_client):
    sg_case(status="submitted")
    actions = offered_actions(reviewer_client.get(QUEUE, {"status": "submitted"}))
    assert actions == {"transition_accept", "transition_request_changes"}


def test_an_action_not_offered_cannot_be_posted_either(editor_client):
    case = sg_case(status="in_review")
    editor_client.post(CHANGELIST, {"action": "transition_request_changes", "_selected_action": [case.pk]})
    case.refresh_from_db()
    assert case.status == "in_review"


def transition_buttons(response):
    return [transition.name for transition in response.context["transitions"]]


def test_change_form_buttons_are_the_steps_this_user_may_take_now(reviewer_client):
    case = sg_case(status="in_review")
    response = reviewer_client.get(change_url(case))
    assert sorted(transition_buttons(response)) == ["archive", "publish", "request_changes"]
    text = response.content.decode()
    assert f'href="{transition_url(case, "publish")}"' in text
    assert f'href="{transition_url(case, "send_for_review")}"' not in text


def test_economy_editor_sees_only_send_for_review_on_a_draft(editor_client):
    case = sg_case(status="draft")
    response = editor_client.get(change_url(case))
    assert transition_buttons(response) == ["send_for_review"]
    assert transition_url(case, "publish") not in response.content.decode()


def test_economy_editor_sees_no_button_on_a_published_case(editor_client):
    case = sg_case(status="published")
    assert transition_buttons(editor_client.get(change_url(case))) == []


def test_a_step_the_user_may_not_take_is_refused_by_address_too(editor_client):
    case = sg_case(status="in_review")
    assert editor_client.get(transition_url(case, "publish")).status_code == 403
    assert editor_client.post(transition_url(case, "publish"), {"apply": "1"}).status_code == 403
    case.refresh_from_db()
    assert case.status == "in_review"


@pytest.mark.parametrize("name", ["teleport", "publish"])
def test_a_step_for_another_economys_case_or_unknown_answers_404(editor_client, name):
    case = CaseStudyFactory(economy=Economy.objects.get(iso2="JP"), status="in_review")
    assert editor_client.get(transition_url(case, name)).status_code == 404
    own = sg_case()
    assert editor_client.get(transition_url(own, "teleport")).status_code == 404


def test_a_step_the_status_does_not_allow_sends_back_to_the_form_saying_why(reviewer_client):
    case = sg_case(status="draft")
    response = reviewer_client.get(transition_url(case, "publish"), follow=True)
    assert response.redirect_chain == [(change_url(case), 302)]
    assert "not possible for this case now (it is draft)" in response.content.decode()


# --- Lists are paged; the admin is the Observatory's -----------------------------------------------------


def test_the_case_list_shows_a_page_of_rows_not_all(reviewer_client):
    for _n in range(LIST_PER_PAGE + 5):
        sg_case(status="draft")
    first = reviewer_client.get(CHANGELIST)
    assert len(first.context["cl"].result_list) == LIST_PER_PAGE
    assert first.context["cl"].paginator.num_pages == 2
    second = reviewer_client.get(CHANGELIST, {"p": 2})
    assert len(second.context["cl"].result_list) == 5


def test_every_list_of_the_catalogue_is_paged():
    catalogue = [
        model_admin for model, model_admin in admin.site._registry.items() if model._meta.app_label == "cases"
    ]
    assert catalogue
    assert {type(model_admin).__name__: model_admin.list_per_page for model_admin in catalogue} == {
        type(model_admin).__name__: LIST_PER_PAGE for model_admin in catalogue
    }


def test_a_long_title_is_in_the_list_whole_with_a_tooltip(reviewer_client):
    title = "A very long title " * 8
    sg_case(title=title.strip())
    text = reviewer_client.get(CHANGELIST).content.decode()
    assert f'<span class="case-title" title="{title.strip()}">{title.strip()}</span>' in text


@pytest.mark.parametrize("url", [reverse("admin:index"), CHANGELIST, reverse("admin:login")])
def test_the_admin_is_branded_as_the_observatory(reviewer_client, url):
    text = reviewer_client.get(url, follow=True).content.decode()
    assert "The Observatory · Curation" in text
    assert "| The Observatory curation</title>" in text
    assert "Django administration" not in text
    assert "Django site admin" not in text


def test_the_admin_index_says_what_it_holds(reviewer_client):
    text = reviewer_client.get(reverse("admin:index")).content.decode()
    assert "<title>The catalogue and its curation | The Observatory curation</title>" in text


# --- Outcomes read as numbers in the admin -------------------------------------------------------------


def test_outcome_list_shows_values_for_reading(admin_client):
    OutcomeFactory(case=sg_case(), indicator="Transactions", value=Decimal("1000000000.0000"))
    text = admin_client.get(reverse("admin:cases_outcome_changelist")).content.decode()
    assert "1,000,000,000" in text
    assert "1000000000.0000" not in text


def test_outcome_boxes_show_values_without_trailing_zeros(admin_client):
    case = sg_case(status="draft")
    OutcomeFactory(case=case, value=Decimal("1000000000"), baseline=Decimal("12.5"))
    text = admin_client.get(change_url(case)).content.decode()
    assert 'value="1000000000"' in text
    assert 'value="12.5"' in text
    assert ".0000" not in text


def test_outcomes_of_a_case_shown_read_only_read_as_numbers(editor_client):
    case = sg_case(status="published")
    outcome = OutcomeFactory(case=case, value=Decimal("1000000000"), baseline=Decimal("45.5000"))
    form = editor_client.get(change_url(case)).content.decode()
    assert "1,000,000,000" in form
    assert "45.5" in form
    assert "1000000000.0000" not in form
    assert "45.5000" not in form
    page = editor_client.get(reverse("admin:cases_outcome_change", args=[outcome.pk])).content.decode()
    assert "1,000,000,000" in page
    assert "1000000000.0000" not in page


def test_every_case_admin_is_registered_with_the_workflow_urls():
    assert isinstance(admin.site._registry[CaseStudy], admin.ModelAdmin)
    assert reverse("admin:cases_casestudy_transition", args=[1, "publish"]).endswith("/1/transition/publish/")


def test_request_changes_from_the_queue_asks_for_the_note_then_keeps_it(reviewer_client):
    case = sg_case(status="submitted")
    data = {"action": "transition_request_changes", "_selected_action": [case.pk]}
    page = reviewer_client.post(QUEUE, data)
    assert page.status_code == 200
    assert 'name="note"' in page.content.decode()
    response = reviewer_client.post(QUEUE, {**data, "note": NOTE, "apply": "1"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "changes_requested"
    assert latest_revision(case).message == f"Sent back for changes: {NOTE}"

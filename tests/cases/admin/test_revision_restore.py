"""The admin's "Restore the case to this version" (CaseRevisionAdmin.restore_revision, issue 13): offered only
to who may use it on the list shown (a restore is an edit: cases/curation/permissions.py), and one version
at a time, refusing a selection of several in words rather than quietly restoring the first."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from cases.curation.roles import CURATOR, ECONOMY_EDITOR, REVIEWER
from cases.models import CaseRevision
from tests.cases.admin.test_admin_scope import restore, revision_of, singapore, staff, thailand
from tests.factories import CaseStudyFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:cases_caserevision_changelist")
ACTION = "restore_revision"


def offered_actions(client, **query) -> set[str]:
    response = client.get(CHANGELIST, query)
    assert response.status_code == 200
    form = response.context["action_form"]
    return set() if form is None else {name for name, _label in form.fields["action"].choices if name}


def as_user(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def thai_editor(client):
    return as_user(client, staff("thai-editor", ECONOMY_EDITOR, ["TH"]))


@pytest.fixture
def th_draft():
    case = CaseStudyFactory(title="Thai draft", economy=thailand(), status="draft")
    revision_of(case)
    return case


@pytest.fixture
def th_published():
    case = CaseStudyFactory(title="Thai published", economy=thailand())
    revision_of(case)
    return case


def restored(case) -> bool:
    return CaseRevision.objects.filter(case=case, action="restored").exists()


# --- Offered only to who may use it ----------------------------------------------------------------


def test_restore_is_offered_to_an_economy_editor_with_a_case_they_may_change(thai_editor, th_draft):
    assert ACTION in offered_actions(thai_editor)


def test_restore_is_not_offered_to_an_economy_editor_whose_cases_are_all_published(thai_editor, th_published):
    assert ACTION not in offered_actions(thai_editor)


def test_restore_is_not_offered_on_a_published_cases_versions_to_its_economy_editor(
    thai_editor, th_draft, th_published
):
    assert ACTION not in offered_actions(thai_editor, case__id__exact=th_published.pk)
    assert ACTION in offered_actions(thai_editor, case__id__exact=th_draft.pk)


def test_restore_is_not_offered_to_an_economy_editor_for_another_economys_case(thai_editor, th_draft):
    singapore_draft = CaseStudyFactory(economy=singapore(), status="draft")
    revision_of(singapore_draft)

    assert ACTION not in offered_actions(thai_editor, case__id__exact=singapore_draft.pk)


@pytest.mark.parametrize("role", [CURATOR, REVIEWER])
def test_restore_is_offered_to_curators_and_reviewers_on_a_published_case(client, th_published, role):
    as_user(client, staff(f"{role}-user", role, None))

    assert ACTION in offered_actions(client, case__id__exact=th_published.pk)


def test_restore_is_not_offered_to_who_may_only_read_the_history(client, th_draft):
    reader = UserFactory(username="auditor", is_staff=True)
    reader.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_caserevision", "view_casestudy", "edit_all_economies"])
    )
    as_user(client, reader)

    assert client.get(CHANGELIST).status_code == 200
    assert ACTION not in offered_actions(client)


def test_a_restore_posted_when_not_offered_restores_nothing(thai_editor, th_published):
    earlier = revision_of(th_published)
    th_published.title = "Published since"
    th_published.save()

    response = restore(thai_editor, earlier)

    assert response.status_code == 200
    th_published.refresh_from_db()
    assert th_published.title == "Published since"
    assert not restored(th_published)


def test_a_malformed_case_filter_is_no_server_error(thai_editor, th_draft):
    response = thai_editor.get(CHANGELIST, {"case__id__exact": "x1"})

    assert (response.status_code, response["Location"]) == (302, f"{CHANGELIST}?e=1")  # Django's own answer


# --- One version at a time ---------------------------------------------------------------------------


def post_restore(client, revisions, **extra):
    return client.post(
        CHANGELIST,
        {"action": ACTION, "_selected_action": [revision.pk for revision in revisions], "index": 0, **extra},
        follow=True,
    )


def test_restoring_several_versions_at_once_is_refused_in_words_and_restores_nothing(thai_editor, th_draft):
    first, second = revision_of(th_draft), revision_of(th_draft)
    th_draft.title = "Changed since"
    th_draft.save()

    response = post_restore(thai_editor, [first, second])

    text = response.content.decode()
    assert "Nothing was restored" in text
    assert "one version at a time, and 2 versions were selected" in text
    th_draft.refresh_from_db()
    assert th_draft.title == "Changed since"
    assert not restored(th_draft)


def test_selecting_every_version_across_pages_is_refused_too(client, th_draft, th_published):
    as_user(client, staff("curator", CURATOR, None))

    response = post_restore(client, [th_draft.revisions.first()], select_across="1")

    assert "Nothing was restored" in response.content.decode()
    assert not restored(th_draft)
    assert not restored(th_published)


def test_one_selected_version_is_restored(thai_editor, th_draft):
    earlier = revision_of(th_draft)
    th_draft.title = "Changed since"
    th_draft.save()

    response = post_restore(thai_editor, [earlier])

    th_draft.refresh_from_db()
    assert th_draft.title == "Thai draft"
    assert restored(th_draft)
    assert "“Thai draft”: " in response.content.decode()

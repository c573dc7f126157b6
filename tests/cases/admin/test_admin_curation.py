"""Curation in admin: workflow actions, economy scoping on every admin path, revisions on save."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from cases.curation.roles import CURATOR, ECONOMY_EDITOR, REVIEWER
from cases.models import CaseRevision, Economy, EditorProfile
from tests.factories import CaseStudyFactory, OutcomeFactory, UserFactory

pytestmark = pytest.mark.django_db


def staff(role, economies=()):
    user = UserFactory(username=role.lower().replace(" ", "-"), is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    if economies:
        EditorProfile.objects.create(user=user).economies.set(Economy.objects.filter(iso2__in=economies))
    return user


@pytest.fixture
def sg_case():
    return CaseStudyFactory(title="Singapore case", economy=Economy.objects.get(iso2="SG"), status="draft")


@pytest.fixture
def jp_case():
    return CaseStudyFactory(title="Japan case", economy=Economy.objects.get(iso2="JP"), status="draft")


@pytest.fixture
def editor_client(client):
    client.force_login(staff(ECONOMY_EDITOR, ["SG"]))
    return client


def change_url(case):
    return reverse("admin:cases_casestudy_change", args=[case.pk])


def test_editor_changelist_shows_only_own_economy(editor_client, sg_case, jp_case):
    text = editor_client.get(reverse("admin:cases_casestudy_changelist")).content.decode()
    assert "Singapore case" in text
    assert "Japan case" not in text


@pytest.mark.parametrize("view", ["change", "history", "delete"])
def test_editor_cannot_open_another_economys_case_by_url(editor_client, jp_case, view):
    response = editor_client.get(reverse(f"admin:cases_casestudy_{view}", args=[jp_case.pk]))
    assert response.status_code in (302, 403, 404)
    if response.status_code == 302:  # admin redirects a missing object to the index with a message
        assert reverse("admin:cases_casestudy_change", args=[jp_case.pk]) not in response["Location"]


def test_editor_cannot_post_changes_to_another_economys_case(editor_client, jp_case):
    editor_client.post(change_url(jp_case), {"title": "Hijacked"})
    jp_case.refresh_from_db()
    assert jp_case.title == "Japan case"


def test_editor_action_on_another_economys_case_does_nothing(editor_client, jp_case):
    editor_client.post(
        reverse("admin:cases_casestudy_changelist"),
        {"action": "transition_send_for_review", "_selected_action": [jp_case.pk]},
    )
    jp_case.refresh_from_db()
    assert jp_case.status == "draft"


def test_editor_autocomplete_and_child_lists_are_scoped(editor_client, sg_case, jp_case):
    OutcomeFactory(case=jp_case, indicator="Japanese outcome")
    response = editor_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "cases", "model_name": "caselink", "field_name": "to_case", "term": "case"},
    )
    titles = [item["text"] for item in response.json()["results"]]
    assert "Japan case" not in titles
    assert (
        "Japanese outcome"
        not in editor_client.get(reverse("admin:cases_outcome_changelist")).content.decode()
    )


def test_editor_cannot_publish_through_the_action(editor_client, sg_case):
    sg_case.status = "in_review"
    sg_case.save()
    editor_client.post(
        reverse("admin:cases_casestudy_changelist"),
        {"action": "transition_publish", "_selected_action": [sg_case.pk]},
    )
    sg_case.refresh_from_db()
    assert sg_case.status == "in_review"


def test_editor_cannot_delete_for_real(editor_client, sg_case):
    editor_client.post(reverse("admin:cases_casestudy_delete", args=[sg_case.pk]), {"post": "yes"})
    assert type(sg_case).objects.filter(pk=sg_case.pk).exists()


def test_reviewer_publishes_with_the_bulk_action(client, sg_case, jp_case):
    client.force_login(staff(REVIEWER))
    for case in (sg_case, jp_case):
        case.status = "in_review"
        case.save()
    client.post(
        reverse("admin:cases_casestudy_changelist"),
        {"action": "transition_publish", "_selected_action": [sg_case.pk, jp_case.pk]},
    )
    assert set(type(sg_case).objects.filter(status="published").values_list("pk", flat=True)) == {
        sg_case.pk,
        jp_case.pk,
    }


def test_refused_transition_says_why_and_changes_nothing(client, sg_case):
    client.force_login(staff(CURATOR))
    response = client.post(
        reverse("admin:cases_casestudy_changelist"),
        {"action": "transition_publish", "_selected_action": [sg_case.pk]},
        follow=True,
    )
    assert "Cannot publish a case that is draft" in response.content.decode()
    sg_case.refresh_from_db()
    assert sg_case.status == "draft"


def test_admin_save_records_a_revision_with_the_diff(admin_client, sg_case):
    data = {
        "title": "Renamed case",
        "slug": sg_case.slug,
        "summary": sg_case.summary,
        "overview": sg_case.overview,
        "lead_organisation": sg_case.lead_organisation,
        "organisation_type": "government",
        "economy": sg_case.economy_id,
        "level": "national",
        "sectors": [s.pk for s in sg_case.sectors.all()],
        "stage": "implementation",
        "licence": "CC BY 4.0",
        "outcomes-TOTAL_FORMS": 0,
        "outcomes-INITIAL_FORMS": 0,
        "links_out-TOTAL_FORMS": 0,
        "links_out-INITIAL_FORMS": 0,
        "organisation_links-TOTAL_FORMS": 0,
        "organisation_links-INITIAL_FORMS": 0,
        "method_links-TOTAL_FORMS": 0,
        "method_links-INITIAL_FORMS": 0,
        "toolkit_links-TOTAL_FORMS": 0,
        "toolkit_links-INITIAL_FORMS": 0,
        "translations-TOTAL_FORMS": 0,
        "translations-INITIAL_FORMS": 0,
        "original_language": "en",
        "resources-TOTAL_FORMS": 0,
        "resources-INITIAL_FORMS": 0,
    }
    response = admin_client.post(change_url(sg_case), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    revision = CaseRevision.objects.filter(case=sg_case).first()
    assert revision.action == "changed"
    assert revision.snapshot["title"] == "Renamed case"

"""Economy scope on every admin path that writes something belonging to a case (issue 12, items 1-3).

An economy editor looks after Thailand. Outcomes, resources and links are posted to their own admin pages
and to the inlines of the case form, as a browser would: the economy of the case is checked when the form
is saved, not only in the autocomplete, and an allowed change records a revision of the case it belongs to.
"""

import datetime
import json

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from cases.curation.roles import CURATOR, ECONOMY_EDITOR
from cases.models import CaseLink, CaseRevision, Economy, EditorProfile, FormerSlug, Outcome, Resource
from tests.cases.admin.test_admin import form_data
from tests.factories import CaseLinkFactory, CaseStudyFactory, OutcomeFactory, ResourceFactory, UserFactory

pytestmark = pytest.mark.django_db

NOT_YOUR_CASE = "Choose a case you may change"
NOT_A_KNOWN_CASE = "Choose a published case, or a case of an economy you look after."


def staff(username, role, economies=()):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    if economies is not None:
        EditorProfile.objects.create(user=user).economies.set(Economy.objects.filter(iso2__in=economies))
    return user


def thailand():
    return Economy.objects.get(iso2="TH")


def singapore():
    return Economy.objects.get(iso2="SG")


@pytest.fixture
def th_draft():
    return CaseStudyFactory(title="Thai draft", economy=thailand(), status="draft")


@pytest.fixture
def sg_published():
    return CaseStudyFactory(title="Singapore published", economy=singapore())


@pytest.fixture
def sg_draft():
    return CaseStudyFactory(title="Singapore draft", economy=singapore(), status="draft")


@pytest.fixture
def editor(client):
    client.force_login(staff("thai-editor", ECONOMY_EDITOR, ["TH"]))
    return client


@pytest.fixture
def editor_without_economy(client):
    client.force_login(staff("no-economy-editor", ECONOMY_EDITOR, []))
    return client


def add_url(model):
    return reverse(f"admin:cases_{model}_add")


def change_url(obj):
    return reverse(f"admin:cases_{obj._meta.model_name}_change", args=[obj.pk])


def outcome_data(case, **extra):
    return {"case": case.pk, "indicator": "Hijacked", "value": "1", "unit": "", "position": 0, **extra}


def resource_data(case, **extra):
    return {
        "case": case.pk,
        "kind": "link",
        "title": "Somewhere else",
        "url": "https://attacker.example/",
        "alt_text": "",
        "position": 0,
        **extra,
    }


def link_data(from_case, to_case, **extra):
    return {"from_case": from_case.pk, "relation": "adapted_from", "to_case": to_case.pk, "note": "", **extra}


def field_errors(response, field):
    return " ".join(response.context["adminform"].form.errors.get(field, []))


def revisions(case):
    return CaseRevision.objects.filter(case=case)


# --- Item 1: adding a row to a case of another economy ----------------------------------------------


@pytest.mark.parametrize("target", ["sg_published", "sg_draft"])
def test_editor_cannot_add_an_outcome_to_another_economys_case(editor, target, request):
    case = request.getfixturevalue(target)

    response = editor.post(add_url("outcome"), outcome_data(case))

    assert response.status_code == 200
    assert NOT_YOUR_CASE in field_errors(response, "case")
    assert not Outcome.objects.exists()
    assert not revisions(case).exists()


@pytest.mark.parametrize("target", ["sg_published", "sg_draft"])
def test_editor_cannot_add_a_resource_to_another_economys_case(editor, target, request):
    case = request.getfixturevalue(target)

    response = editor.post(add_url("resource"), resource_data(case))

    assert response.status_code == 200
    assert NOT_YOUR_CASE in field_errors(response, "case")
    assert not Resource.objects.exists()


@pytest.mark.parametrize("target", ["sg_published", "sg_draft"])
def test_editor_cannot_add_a_link_from_another_economys_case(editor, th_draft, target, request):
    case = request.getfixturevalue(target)

    response = editor.post(add_url("caselink"), link_data(case, th_draft))

    assert response.status_code == 200
    assert NOT_YOUR_CASE in field_errors(response, "from_case")
    assert not CaseLink.objects.exists()


@pytest.mark.parametrize(
    ("model", "data"),
    [("outcome", outcome_data), ("resource", resource_data)],
)
def test_editor_without_an_economy_cannot_add_rows_to_any_case(editor_without_economy, th_draft, model, data):
    response = editor_without_economy.post(add_url(model), data(th_draft))

    assert NOT_YOUR_CASE in field_errors(response, "case")
    assert not Outcome.objects.exists()
    assert not Resource.objects.exists()


def test_editor_without_an_economy_cannot_add_a_link(editor_without_economy, th_draft, sg_published):
    response = editor_without_economy.post(add_url("caselink"), link_data(th_draft, sg_published))

    assert NOT_YOUR_CASE in field_errors(response, "from_case")
    assert not CaseLink.objects.exists()


def test_another_economys_case_reads_exactly_as_a_missing_one(editor, sg_draft):
    hidden = editor.post(add_url("outcome"), outcome_data(sg_draft))
    missing = editor.post(add_url("outcome"), {**outcome_data(sg_draft), "case": 999_999})

    assert field_errors(hidden, "case") == field_errors(missing, "case")
    assert "Singapore" not in field_errors(hidden, "case")


def test_editor_cannot_move_their_outcome_to_another_economys_case(editor, th_draft, sg_draft):
    outcome = OutcomeFactory(case=th_draft, indicator="Ours")

    response = editor.post(change_url(outcome), outcome_data(sg_draft, indicator="Moved"))

    assert NOT_YOUR_CASE in field_errors(response, "case")
    outcome.refresh_from_db()
    assert (outcome.case, outcome.indicator) == (th_draft, "Ours")


def test_editor_cannot_move_their_resource_to_another_economys_case(editor, th_draft, sg_published):
    resource = ResourceFactory(case=th_draft)

    editor.post(change_url(resource), resource_data(sg_published))

    resource.refresh_from_db()
    assert resource.case == th_draft


def test_editor_cannot_move_their_link_to_another_economys_case(editor, th_draft, sg_draft, sg_published):
    link = CaseLinkFactory(from_case=th_draft, to_case=sg_published)

    response = editor.post(change_url(link), link_data(sg_draft, sg_published))

    assert NOT_YOUR_CASE in field_errors(response, "from_case")
    link.refresh_from_db()
    assert link.from_case == th_draft


def test_editor_cannot_change_an_outcome_of_another_economys_case(editor, sg_draft):
    outcome = OutcomeFactory(case=sg_draft, indicator="Theirs")

    editor.post(change_url(outcome), outcome_data(sg_draft, indicator="Hijacked"))

    outcome.refresh_from_db()
    assert outcome.indicator == "Theirs"


def test_editor_cannot_change_a_resource_of_another_economys_case(editor, sg_draft):
    resource = ResourceFactory(case=sg_draft, title="Theirs")

    editor.post(change_url(resource), resource_data(sg_draft))

    resource.refresh_from_db()
    assert resource.title == "Theirs"


def test_editor_cannot_delete_a_row_of_another_economys_case(editor, sg_draft):
    outcome = OutcomeFactory(case=sg_draft)

    editor.post(reverse("admin:cases_outcome_delete", args=[outcome.pk]), {"post": "yes"})
    editor.post(
        reverse("admin:cases_outcome_changelist"),
        {"action": "delete_selected", "_selected_action": [outcome.pk], "post": "yes"},
    )

    assert Outcome.objects.filter(pk=outcome.pk).exists()


def test_link_target_must_be_published_or_of_the_editors_economy(editor, th_draft, sg_draft):
    response = editor.post(add_url("caselink"), link_data(th_draft, sg_draft))

    assert field_errors(response, "to_case") == NOT_A_KNOWN_CASE
    assert not CaseLink.objects.exists()


def test_link_to_another_economys_published_case_is_allowed(editor, th_draft, sg_published):
    response = editor.post(add_url("caselink"), link_data(th_draft, sg_published))

    assert response.status_code == 302
    assert CaseLink.objects.filter(from_case=th_draft, to_case=sg_published).exists()


# --- Item 1: an allowed change records a revision of the case ----------------------------------------


@pytest.mark.parametrize(
    ("model", "data"),
    [("outcome", outcome_data), ("resource", resource_data)],
)
def test_adding_a_row_records_a_revision_of_the_case(editor, th_draft, model, data):
    response = editor.post(add_url(model), data(th_draft))

    assert response.status_code == 302
    revision = revisions(th_draft).get()
    assert revision.user.username == "thai-editor"
    assert revision.action == "changed"
    key = "outcomes" if model == "outcome" else "resources"
    assert key in revision.changes


def test_adding_a_link_records_a_revision_of_the_case(editor, th_draft, sg_published):
    editor.post(add_url("caselink"), link_data(th_draft, sg_published))

    assert revisions(th_draft).get().snapshot["links"] == [["adapted_from", sg_published.pk]]


def test_changing_a_row_records_a_revision_of_the_case(editor, th_draft):
    outcome = OutcomeFactory(case=th_draft, indicator="Before")

    response = editor.post(change_url(outcome), outcome_data(th_draft, indicator="After"))

    assert response.status_code == 302
    assert revisions(th_draft).get().snapshot["outcomes"][0]["indicator"] == "After"


def test_deleting_a_row_records_a_revision_of_the_case(editor, th_draft):
    outcome = OutcomeFactory(case=th_draft)

    editor.post(reverse("admin:cases_outcome_delete", args=[outcome.pk]), {"post": "yes"})

    assert not Outcome.objects.filter(pk=outcome.pk).exists()
    assert revisions(th_draft).get().snapshot["outcomes"] == []


def test_bulk_delete_records_a_revision_of_each_case(editor, th_draft):
    other = CaseStudyFactory(economy=thailand(), status="draft")
    outcomes = [OutcomeFactory(case=th_draft), OutcomeFactory(case=other)]

    editor.post(
        reverse("admin:cases_outcome_changelist"),
        {"action": "delete_selected", "_selected_action": [o.pk for o in outcomes], "post": "yes"},
    )

    assert not Outcome.objects.exists()
    assert revisions(th_draft).count() == 1
    assert revisions(other).count() == 1


# --- Item 1: the inlines of the case form --------------------------------------------------------------


def case_form(client, case):
    return form_data(client.get(change_url(case)))


def test_inline_link_to_a_hidden_case_is_a_form_error(editor, th_draft, sg_draft):
    data = case_form(editor, th_draft)
    data.update({"links_out-TOTAL_FORMS": "1", "links_out-0-relation": "adapted_from"})
    data["links_out-0-to_case"] = str(sg_draft.pk)

    response = editor.post(change_url(th_draft), data)

    assert response.status_code == 200
    assert NOT_A_KNOWN_CASE in str(response.context["inline_admin_formsets"][1].formset.errors)
    assert not CaseLink.objects.exists()


def test_inline_outcome_on_own_draft_is_saved_with_a_revision(editor, th_draft):
    data = case_form(editor, th_draft)
    data.update(
        {
            "outcomes-TOTAL_FORMS": "1",
            "outcomes-0-indicator": "People served",
            "outcomes-0-value": "10",
            "outcomes-0-position": "0",
        }
    )

    response = editor.post(change_url(th_draft), data)

    assert response.status_code == 302
    assert th_draft.outcomes.get().indicator == "People served"
    assert revisions(th_draft).get().snapshot["outcomes"][0]["indicator"] == "People served"


def test_curator_adds_an_outcome_to_any_economys_published_case(client, sg_published):
    client.force_login(staff("curator", CURATOR, None))

    response = client.post(add_url("outcome"), outcome_data(sg_published))

    assert response.status_code == 302
    assert sg_published.outcomes.exists()
    assert revisions(sg_published).get().user.username == "curator"


@pytest.mark.parametrize(
    ("kind", "data"),
    [("outcome", outcome_data), ("resource", resource_data)],
)
def test_a_row_added_on_its_own_admin_page_changes_the_case_for_partners(client, sg_published, kind, data):
    """The API's ETag/Last-Modified and the changes feed go by the case's `updated_at`: a row added on its
    own page changes the case as an edit on the case's page does, never a 304 for an outdated answer."""
    detail = f"/api/v1/cases/{sg_published.slug}/"
    since = (sg_published.updated_at + datetime.timedelta(microseconds=1)).isoformat()
    etag = client.get(detail)["ETag"]
    client.force_login(staff("curator", CURATOR, None))

    assert client.post(add_url(kind), data(sg_published)).status_code == 302

    client.logout()
    assert client.get(detail, headers={"if-none-match": etag}).status_code == 200
    changes = client.get("/api/v1/cases/changes/", {"since": since}).json()
    assert sg_published.slug in json.dumps(changes)


# --- Item 2: restoring a revision is an edit ------------------------------------------------------------


def restore(client, revision):
    return client.post(
        reverse("admin:cases_caserevision_changelist"),
        {"action": "restore_revision", "_selected_action": [revision.pk], "index": 0},
        follow=True,
    )


def revision_of(case, user=None):
    from cases.curation.history import record_revision

    return record_revision(case=case, user=user, action="changed", message="as it was")


def test_editor_cannot_restore_a_version_from_another_economy(editor, th_draft):
    th_draft.economy = singapore()
    th_draft.title = "When it was Singapore's"
    th_draft.save()
    singapore_version = revision_of(th_draft)
    th_draft.economy = thailand()
    th_draft.title = "Now Thai"
    th_draft.save()
    revision_of(th_draft)

    response = restore(editor, singapore_version)

    assert "an economy you do not look after" in response.content.decode()
    th_draft.refresh_from_db()
    assert (th_draft.economy.iso2, th_draft.title) == ("TH", "Now Thai")
    assert not revisions(th_draft).filter(action="restored").exists()


def test_editor_restores_a_version_of_their_own_draft(editor, th_draft):
    earlier = revision_of(th_draft)
    th_draft.title = "Changed since"
    th_draft.save()

    restore(editor, earlier)

    th_draft.refresh_from_db()
    assert th_draft.title == "Thai draft"
    assert revisions(th_draft).filter(action="restored", user__username="thai-editor").exists()


def test_restoring_a_version_whose_slug_another_case_took_is_refused_not_a_500(client, th_draft):
    client.force_login(staff("curator", CURATOR, None))
    earlier = revision_of(th_draft)
    old_slug = th_draft.slug
    th_draft.slug = "renamed"
    th_draft.save()
    CaseStudyFactory(slug=old_slug)

    response = restore(client, earlier)

    assert response.status_code == 200
    assert "Another case already uses this slug" in response.content.decode()
    th_draft.refresh_from_db()
    assert th_draft.slug == "renamed"


# --- Item 3: an economy editor does not change a published (or archived) case ----------------------------


@pytest.fixture
def th_published():
    return CaseStudyFactory(title="Thai published", economy=thailand())


def test_editor_sees_their_published_case_read_only_with_the_reason(editor, th_published):
    response = editor.get(change_url(th_published))

    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    text = response.content.decode()
    assert "economy editors cannot change it" in text
    assert "ask a curator or reviewer" in text


@pytest.mark.parametrize("status", ["published", "archived"])
def test_editor_cannot_save_their_published_or_archived_case(editor, status):
    case = CaseStudyFactory(title="As published", economy=thailand(), status=status)
    data = {"title": "Changed live", "slug": case.slug, "economy": case.economy_id}

    response = editor.post(change_url(case), data)

    assert response.status_code == 403
    case.refresh_from_db()
    assert case.title == "As published"


def test_inlines_of_a_published_case_are_read_only_for_the_editor(editor, th_published):
    OutcomeFactory(case=th_published)

    response = editor.get(change_url(th_published))

    for inline in response.context["inline_admin_formsets"]:
        assert not inline.has_add_permission
        assert not inline.has_change_permission
        assert not inline.has_delete_permission


def test_editor_cannot_add_an_outcome_to_their_published_case(editor, th_published):
    response = editor.post(add_url("outcome"), outcome_data(th_published))

    assert NOT_YOUR_CASE in field_errors(response, "case")
    assert not th_published.outcomes.exists()


def test_editor_cannot_add_a_link_from_their_published_case(editor, th_published, sg_published):
    editor.post(add_url("caselink"), link_data(th_published, sg_published))

    assert not CaseLink.objects.exists()


def test_editor_cannot_change_a_resource_of_their_published_case(editor, th_published):
    resource = ResourceFactory(case=th_published, title="As published")

    response = editor.post(change_url(resource), resource_data(th_published, title="Changed live"))

    assert response.status_code == 403
    resource.refresh_from_db()
    assert resource.title == "As published"


def test_editor_cannot_delete_an_outcome_of_their_published_case(editor, th_published):
    outcome = OutcomeFactory(case=th_published)

    single = editor.post(reverse("admin:cases_outcome_delete", args=[outcome.pk]), {"post": "yes"})
    editor.post(
        reverse("admin:cases_outcome_changelist"),
        {"action": "delete_selected", "_selected_action": [outcome.pk], "post": "yes"},
    )

    assert single.status_code == 403
    assert Outcome.objects.filter(pk=outcome.pk).exists()


def test_editor_cannot_feature_their_published_case_from_the_list(editor, th_published):
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": str(th_published.pk),
        "form-0-is_featured": "on",
        "_save": "Save",
    }

    editor.post(reverse("admin:cases_casestudy_changelist"), data)

    th_published.refresh_from_db()
    assert not th_published.is_featured


def test_editor_cannot_restore_a_version_of_their_published_case(editor, th_published, th_draft):
    # A version of th_draft, which the editor may restore, so the action is offered on the list; the published
    # case's version is refused (with none, the action is not offered at all: test_revision_restore.py).
    revision_of(th_draft)
    earlier = revision_of(th_published)
    th_published.title = "Published since"
    th_published.save()

    response = restore(editor, earlier)

    assert "economy editors cannot change it" in response.content.decode()
    th_published.refresh_from_db()
    assert th_published.title == "Published since"


def test_outcome_autocomplete_offers_only_cases_the_editor_may_change(editor, th_draft, th_published):
    response = editor.get(
        reverse("admin:autocomplete"),
        {"app_label": "cases", "model_name": "outcome", "field_name": "case", "term": "Thai"},
    )

    assert [item["text"] for item in response.json()["results"]] == ["Thai draft"]


def test_link_autocomplete_offers_other_economies_published_cases(editor, th_draft, sg_published, sg_draft):
    response = editor.get(
        reverse("admin:autocomplete"),
        {"app_label": "cases", "model_name": "caselink", "field_name": "to_case", "term": "Singapore"},
    )

    assert [item["text"] for item in response.json()["results"]] == ["Singapore published"]


def test_curator_edits_a_published_case(client, th_published):
    client.force_login(staff("curator", CURATOR, None))
    data = case_form(client, th_published)
    data["title"] = "Corrected by a curator"

    response = client.post(change_url(th_published), data)

    assert response.status_code == 302
    th_published.refresh_from_db()
    assert th_published.title == "Corrected by a curator"


# --- Another case's former slug is taken: its old address keeps answering 301 ------------------------------


@pytest.fixture
def sg_renamed():
    """A published Singapore case whose earlier address /cases/sg-old/ answers 301 to its current one."""
    case = CaseStudyFactory(title="Singapore renamed", economy=singapore(), slug="sg-new")
    FormerSlug.objects.create(slug="sg-old", case=case)
    return case


def still_redirects(case):
    assert list(FormerSlug.objects.filter(slug="sg-old").values_list("case", flat=True)) == [case.pk]
    response = Client().get("/cases/sg-old/")
    assert (response.status_code, response.url) == (301, "/cases/sg-new/")


def test_another_cases_former_slug_is_refused_in_the_words_of_a_taken_slug(editor, th_draft, sg_renamed):
    CaseStudyFactory(economy=thailand(), status="draft", slug="used-now")
    data = case_form(editor, th_draft)

    data["slug"] = "sg-old"
    former = editor.post(change_url(th_draft), data)
    data["slug"] = "used-now"
    current = editor.post(change_url(th_draft), data)

    assert former.status_code == 200
    assert field_errors(former, "slug") == field_errors(current, "slug") != ""
    th_draft.refresh_from_db()
    assert th_draft.slug != "sg-old"
    still_redirects(sg_renamed)


def test_a_new_case_may_not_take_another_cases_former_slug(editor, sg_renamed):
    from cases.models import CaseStudy

    data = form_data(editor.get(add_url("casestudy")))
    data.update({"title": "Thai new", "slug": "sg-old", "summary": "One sentence.", "overview": "Text."})
    data.update({"economy": str(thailand().pk), "organisation_type": "government", "level": "national"})

    response = editor.post(add_url("casestudy"), data)

    assert response.status_code == 200
    assert field_errors(response, "slug")
    assert not CaseStudy.objects.filter(slug="sg-old").exists()
    still_redirects(sg_renamed)


def test_no_one_takes_over_another_cases_former_slug(sg_renamed):
    from cases.models import CaseStudy
    from cases.services import case_change_slug

    case = CaseStudyFactory(economy=thailand(), slug="th-case")

    with pytest.raises(ValidationError, match="Another case already uses this slug"):
        case_change_slug(case=case, new_slug="sg-old")

    assert CaseStudy.objects.get(pk=case.pk).slug == "th-case"
    still_redirects(sg_renamed)


def test_renaming_a_case_that_shares_another_cases_former_slug_leaves_that_redirect(editor, sg_renamed):
    # Such a pair predates the rule (or came from a direct database write): the redirect stays SG's.
    shared = CaseStudyFactory(title="Thai sharing", economy=thailand(), status="draft", slug="sg-old")
    data = case_form(editor, shared)
    data["slug"] = "th-renamed"

    response = editor.post(change_url(shared), data)

    assert response.status_code == 302
    shared.refresh_from_db()
    assert shared.slug == "th-renamed"
    still_redirects(sg_renamed)


def test_restoring_a_version_whose_slug_is_another_cases_former_slug_is_refused(editor, th_draft, sg_renamed):
    th_draft.slug = "sg-old"  # a version from before the rule
    earlier = revision_of(th_draft)
    th_draft.slug = "th-now"
    th_draft.save()

    response = restore(editor, earlier)

    assert "Another case already uses this slug" in response.content.decode()
    th_draft.refresh_from_db()
    assert th_draft.slug == "th-now"
    still_redirects(sg_renamed)


# --- "View on site" (/admin/r/<content type>/<id>/) answers only for what the user's admin shows ----------


def view_on_site(client, obj):
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
    return client.get(reverse("admin:view_on_site", args=[content_type.pk, obj.pk]))


def view_on_site_of_missing_case(client):
    from django.contrib.contenttypes.models import ContentType

    from cases.models import CaseStudy

    content_type = ContentType.objects.get_for_model(CaseStudy)
    return client.get(reverse("admin:view_on_site", args=[content_type.pk, 999999]))


@pytest.mark.parametrize("target", ["sg_draft", "sg_published"])
def test_view_on_site_of_another_economys_case_reads_as_a_missing_one(editor, target, request):
    case = request.getfixturevalue(target)

    response = view_on_site(editor, case)

    assert response.status_code == view_on_site_of_missing_case(editor).status_code == 404
    assert case.slug not in response.content.decode()


def test_view_on_site_tells_an_editor_without_an_economy_nothing(editor_without_economy):
    submitted = CaseStudyFactory(economy=singapore(), status="submitted", slug="whistleblower-report")

    response = view_on_site(editor_without_economy, submitted)

    assert response.status_code == 404
    assert "whistleblower-report" not in response.content.decode()


def test_view_on_site_takes_the_editor_to_their_own_case(editor, th_draft):
    response = view_on_site(editor, th_draft)

    assert response.status_code == 302
    assert response.url.endswith(th_draft.get_absolute_url())


def test_view_on_site_takes_a_curator_to_any_case(client, sg_draft):
    client.force_login(staff("curator", CURATOR, None))

    response = view_on_site(client, sg_draft)

    assert response.status_code == 302
    assert response.url.endswith(sg_draft.get_absolute_url())


# --- A restore brings links back only to cases the editor may see ------------------------------------------


def test_restore_leaves_out_a_link_to_a_case_the_editor_may_no_longer_see(editor, th_draft):
    from cases.models import CaseStudy

    once_public = CaseStudyFactory(title="Once public, now a Singapore draft", economy=singapore())
    still_public = CaseStudyFactory(title="Still public", economy=singapore())
    CaseLinkFactory(from_case=th_draft, to_case=once_public, relation="adapted_from")
    CaseLinkFactory(from_case=th_draft, to_case=still_public, relation="related_to")
    earlier = revision_of(th_draft)
    CaseLink.objects.filter(from_case=th_draft).delete()
    CaseStudy.objects.filter(pk=once_public.pk).update(status="draft")

    response = restore(editor, earlier)

    assert list(CaseLink.objects.values_list("to_case", flat=True)) == [still_public.pk]
    note = "1 link to a case that no longer exists or that you may not see was left out"
    assert note in response.content.decode()
    assert note in revisions(th_draft).get(action="restored").message
    assert once_public.title not in editor.get(reverse("admin:cases_caselink_changelist")).content.decode()


def test_restore_keeps_a_link_the_case_has_now_to_a_case_the_editor_may_not_see(editor, th_draft, sg_draft):
    CaseLinkFactory(from_case=th_draft, to_case=sg_draft, relation="adapted_from")  # made by a curator
    earlier = revision_of(th_draft)

    restore(editor, earlier)

    assert list(CaseLink.objects.values_list("to_case", flat=True)) == [sg_draft.pk]
    assert "left out" not in revisions(th_draft).get(action="restored").message


def test_a_curator_restores_every_link(client, th_draft, sg_published):
    from cases.models import CaseStudy

    client.force_login(staff("curator", CURATOR, None))
    CaseLinkFactory(from_case=th_draft, to_case=sg_published)
    earlier = revision_of(th_draft)
    CaseLink.objects.all().delete()
    CaseStudy.objects.filter(pk=sg_published.pk).update(status="draft")

    restore(client, earlier)

    assert list(CaseLink.objects.values_list("to_case", flat=True)) == [sg_published.pk]


# --- The case form's save: locked, checked as stored, never writing the workflow's fields ------------------


def publish_behind_the_forms_back(case):
    from django.utils import timezone

    from cases.models import CaseStudy

    reviewer = staff("reviewer", CURATOR, None)
    CaseStudy.objects.filter(pk=case.pk).update(
        status="published", published_at=timezone.now(), published_by=reviewer
    )
    return reviewer


def test_editor_save_of_a_form_opened_before_a_publish_is_refused(editor, th_draft):
    data = case_form(editor, th_draft)
    publish_behind_the_forms_back(th_draft)
    data["title"] = "Edited after the publish"

    response = editor.post(change_url(th_draft), data)

    assert response.status_code == 403
    th_draft.refresh_from_db()
    assert (th_draft.status, th_draft.title) == ("published", "Thai draft")


def test_a_save_from_a_case_loaded_before_a_publish_keeps_it_published(client, rf, th_draft):
    # The admin loads the case at the start of the request; a reviewer publishes before it saves.
    from django.contrib import admin

    from cases.models import CaseStudy

    curator = staff("curator", CURATOR, None)
    client.force_login(curator)
    data = {**case_form(client, th_draft), "title": "Edited by the curator"}
    request = rf.post("/")
    request.user = curator
    model_admin = admin.site._registry[CaseStudy]
    loaded = model_admin.get_object(request, str(th_draft.pk))
    form = model_admin.get_form(request, loaded, change=True)(data, instance=loaded)
    assert form.is_valid(), form.errors
    reviewer = publish_behind_the_forms_back(th_draft)

    # The admin's save, as its change view makes it: save_form, save_model, then save_related (where the
    # case service writes the case, its relations and its revision in one call).
    model_admin.save_form(request, form, change=True)
    model_admin.save_model(request, loaded, form, change=True)
    model_admin.save_related(request, form, [], change=True)

    th_draft.refresh_from_db()
    assert (th_draft.title, th_draft.status, th_draft.published_by) == (
        "Edited by the curator",
        "published",
        reviewer,
    )
    assert th_draft.published_at is not None

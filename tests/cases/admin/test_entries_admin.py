"""Methods, toolkits and organisations in the admin (issue 18, cases/admin/entries.py), and a case's methods,
toolkits and organisations on the case's form (cases/admin/catalogue.py).

Saving goes through entry_save (a revision for every save, purposes and languages from checkboxes), the
workflow through entry_transition (buttons and bulk actions for who may take them), the History restores an
earlier version; bad input answers with form errors; an economy editor's scope and the locked statuses apply
to the case's new inlines as to its others; the lists' query counts do not grow with their rows.
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from cases.admin import entries
from cases.admin.catalogue import LIST_PER_PAGE
from cases.curation.roles import ECONOMY_EDITOR
from cases.models import (
    CaseMethod,
    CaseOrganisation,
    CaseRevision,
    CaseToolkit,
    EntryRevision,
    EntryStatus,
    LinkState,
    Method,
    Organisation,
    Toolkit,
)
from cases.services import ENTRY_TRANSITIONS, entry_save, entry_transition
from tests.cases.admin.test_admin import form_data
from tests.cases.admin.test_admin_scope import singapore, staff, thailand
from tests.cases.test_entry_services import (  # noqa: F401 - fixtures: a real HTTP server on 127.0.0.1
    make_method,
    make_toolkit,
    no_proxy,
    user_with,
    web_server,
)
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db

ENTRY_PERMISSIONS = [
    f"{action}_{model}" for model in ("method", "toolkit") for action in ("add", "change", "view")
]
PUBLISH = ["publish_method", "publish_toolkit"]


def url(model, view, *args):
    return reverse(f"admin:cases_{model._meta.model_name}_{view}", args=args)


def revisions_of(entry):
    content_type = ContentType.objects.get_for_model(type(entry))
    return EntryRevision.objects.filter(content_type=content_type, object_id=entry.pk).order_by(
        "created_at", "id"
    )


def reloaded(entry):
    return type(entry).objects.get(pk=entry.pk)


def as_user(client, *codenames, username=None):
    client.force_login(user_with(*codenames, username=username))
    return client


@pytest.fixture
def editor_client(client):
    """May add and change methods and toolkits, not publish them."""
    return as_user(client, *ENTRY_PERMISSIONS, username="entry-editor")


@pytest.fixture
def publisher_client(client):
    return as_user(client, *ENTRY_PERMISSIONS, *PUBLISH, username="entry-publisher")


@pytest.fixture
def reader_client(client):
    return as_user(client, "view_method", "view_toolkit", username="entry-reader")


def in_review(method):
    return entry_transition(entry=method, user=None, name="send_for_review")


def post_form(client, address, **changes):
    """Post the form at `address` back as a browser would, with `changes`."""
    data = form_data(client.get(address))
    data.update({name: value for name, value in changes.items() if value is not None})
    for name in [name for name, value in changes.items() if value is None]:
        data.pop(name, None)
    return client.post(address, data)


def form_errors(response) -> dict:
    return response.context["adminform"].form.errors


# --- Every page answers --------------------------------------------------------------------------------


@pytest.fixture
def one_of_each():
    method = make_method()
    toolkit = make_toolkit(methods=[method])
    organisation = Organisation.objects.create(name="GovTech Singapore", slug="govtech", economy=singapore())
    case = CaseStudyFactory()
    CaseOrganisation.objects.create(case=case, organisation=organisation)
    return {Method: method, Toolkit: toolkit, Organisation: organisation}


@pytest.mark.parametrize("model", [Method, Toolkit, Organisation], ids=lambda m: m._meta.model_name)
@pytest.mark.parametrize("view", ["changelist", "add", "change", "history"])
def test_entry_pages_answer(admin_client, one_of_each, model, view):
    args = [] if view in ("changelist", "add") else [one_of_each[model].pk]

    response = admin_client.get(url(model, view, *args))

    assert response.status_code == 200


def test_the_case_form_has_its_organisations_methods_and_toolkits(admin_client):
    case = CaseStudyFactory()

    response = admin_client.get(url(type(case), "change", case.pk))

    models = {inline.formset.model for inline in response.context["inline_admin_formsets"]}
    assert {CaseMethod, CaseToolkit, CaseOrganisation} <= models


def test_every_step_of_the_workflow_has_a_button_label():
    assert set(entries.TRANSITION_LABELS) == set(ENTRY_TRANSITIONS)


# --- Adding and changing through the admin writes revisions ------------------------------------------


def test_adding_a_method_saves_its_purposes_and_records_who_created_it(editor_client):
    response = post_form(
        editor_client,
        url(Method, "add"),
        name="Living lab",
        slug="living-lab",
        summary="Real-life test beds.",
        description="Users and researchers co-create in a real setting.",
        discipline="design",
        purposes=["test", "engage-citizens"],
    )

    assert response.status_code == 302
    method = Method.objects.get(slug="living-lab")
    assert sorted(method.purposes) == ["engage-citizens", "test"]
    assert method.status == EntryStatus.DRAFT
    (revision,) = revisions_of(method)
    assert (revision.action, revision.user.username, revision.message) == (
        "created",
        "entry-editor",
        "Created.",
    )


def test_changing_a_method_records_what_changed_in_one_revision(editor_client):
    method = make_method(purposes=["understand"])

    response = post_form(
        editor_client, url(Method, "change", method.pk), summary="Sharper.", purposes=["understand", "test"]
    )

    assert response.status_code == 302
    revision = revisions_of(method).last()
    assert revision.action == "changed"
    assert revision.message == "Edited: summary, good for"
    assert revision.changes == {
        "summary": ["Design thinking in one sentence.", "Sharper."],
        "purposes": [["understand"], ["test", "understand"]],
    }


def test_adding_a_toolkit_saves_its_languages_and_methods(editor_client):
    method = make_method()

    response = post_form(
        editor_client,
        url(Toolkit, "add"),
        title="Design kit",
        slug="design-kit",
        summary="Human-centred design.",
        description="Methods and case studies.",
        kind="toolkit",
        publisher="IDEO.org",
        year="2015",
        discipline="design",
        url="https://www.designkit.org/",
        purposes=["generate-ideas"],
        languages=["en", "ja"],
        methods=[str(method.pk)],
    )

    assert response.status_code == 302
    toolkit = Toolkit.objects.get(slug="design-kit")
    assert toolkit.languages == ["en", "ja"]
    assert list(toolkit.methods.all()) == [method]
    assert revisions_of(toolkit).get().snapshot["methods"] == [method.slug]


def test_the_form_does_not_set_the_status(editor_client):
    method = make_method()

    post_form(editor_client, url(Method, "change", method.pk), status="published", published_at="2020-01-01")

    method = reloaded(method)
    assert (method.status, method.published_at) == (EntryStatus.DRAFT, None)


def test_the_checkboxes_start_from_the_stored_lists(admin_client):
    toolkit = make_toolkit(languages=["th", "en"])

    form = admin_client.get(url(Toolkit, "change", toolkit.pk)).context["adminform"].form

    assert sorted(form["languages"].value()) == ["en", "th"]
    assert form["purposes"].value() == ["generate-ideas"]


# --- Bad input: form errors, never a server error ---------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("purposes", ["everything"]), ("discipline", "astrology"), ("slug", "not a slug!"), ("name", "")],
)
def test_bad_method_input_is_a_form_error(admin_client, field, value):
    method = make_method()

    response = post_form(admin_client, url(Method, "change", method.pk), **{field: value})

    assert response.status_code == 200
    assert field in form_errors(response)
    assert revisions_of(method).count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("year", "1492"),
        ("year", "twenty"),
        ("url", "not an address"),
        ("languages", ["xx"]),
        ("kind", "film"),
    ],
)
def test_bad_toolkit_input_is_a_form_error(admin_client, field, value):
    toolkit = make_toolkit()

    response = post_form(admin_client, url(Toolkit, "change", toolkit.pk), **{field: value})

    assert response.status_code == 200
    assert form_errors(response)


def test_a_slug_another_method_has_is_a_form_error(admin_client):
    make_method("Hackathon")
    method = make_method()

    response = post_form(admin_client, url(Method, "change", method.pk), slug="hackathon")

    assert response.status_code == 200
    assert form_errors(response)
    assert reloaded(method).slug == "design-thinking"


def test_a_note_too_long_for_the_history_is_a_form_error(publisher_client):
    method = make_method()

    response = publisher_client.post(
        url(Method, "transition", method.pk, "send_for_review"), {"note": "x" * 451}
    )

    assert response.status_code == 200
    assert response.context["form"].errors
    assert reloaded(method).status == EntryStatus.DRAFT


def test_an_unknown_step_or_entry_is_not_found(publisher_client):
    method = make_method()

    assert publisher_client.get(url(Method, "transition", method.pk, "promote")).status_code == 404
    assert publisher_client.get(url(Method, "transition", 999999, "publish")).status_code == 404


# --- The workflow: buttons, pages and bulk actions ------------------------------------------------------


def buttons(response) -> list[str]:
    return [name for name, _label in response.context["transitions"]]


def test_an_editor_is_offered_only_the_steps_they_may_take(editor_client):
    method = make_method()

    response = editor_client.get(url(Method, "change", method.pk))

    assert buttons(response) == ["send_for_review"]
    assert url(Method, "transition", method.pk, "send_for_review") in response.content.decode()


def test_a_publisher_is_offered_publishing_once_in_review(publisher_client):
    method = in_review(make_method())

    response = publisher_client.get(url(Method, "change", method.pk))

    assert buttons(response) == ["return_to_draft", "publish", "archive"]


def test_publishing_from_the_change_form_keeps_the_note(publisher_client):
    method = in_review(make_method())
    address = url(Method, "transition", method.pk, "publish")

    assert publisher_client.get(address).status_code == 200
    response = publisher_client.post(address, {"note": "Checked the sources.", "apply": "Publish"})

    assert response.status_code == 302
    method = reloaded(method)
    assert method.status == EntryStatus.PUBLISHED
    assert revisions_of(method).last().message == "Published: Checked the sources."


def test_publishing_without_the_permission_is_forbidden(editor_client):
    method = in_review(make_method())

    response = editor_client.post(url(Method, "transition", method.pk, "publish"), {"note": ""})

    assert response.status_code == 403
    assert reloaded(method).status == EntryStatus.IN_REVIEW


def test_a_step_the_status_does_not_allow_sends_back_to_the_form_saying_so(publisher_client):
    method = make_method()

    response = publisher_client.post(url(Method, "transition", method.pk, "publish"), follow=True)

    assert response.redirect_chain[-1][0] == url(Method, "change", method.pk)
    assert "is not possible for this method now (it is draft)" in response.content.decode()
    assert reloaded(method).status == EntryStatus.DRAFT


def act(client, model, action, entries_):
    return client.post(
        url(model, "changelist"),
        {"action": action, "_selected_action": [entry.pk for entry in entries_], "index": 0},
        follow=True,
    )


def test_bulk_publish_publishes_those_in_review_and_says_why_not_the_others(publisher_client):
    ready = in_review(make_method("Hackathon"))
    draft = make_method("Living lab")

    response = act(publisher_client, Method, "publish_selected", [ready, draft])

    assert reloaded(ready).status == EntryStatus.PUBLISHED
    assert reloaded(draft).status == EntryStatus.DRAFT
    text = [str(message) for message in response.context["messages"]]
    assert "Published: 1 method." in text
    assert any(message.startswith("Living lab: ") and "cannot be published" in message for message in text)


@pytest.mark.parametrize("action", ["unpublish_selected", "archive_selected"])
def test_bulk_unpublish_and_archive(publisher_client, action):
    toolkits = [make_toolkit(f"Toolkit {n}") for n in range(2)]
    for toolkit in toolkits:
        entry_transition(entry=toolkit, user=None, name="send_for_review")
        entry_transition(entry=toolkit, user=None, name="publish")

    act(publisher_client, Toolkit, action, toolkits)

    expected = EntryStatus.DRAFT if action == "unpublish_selected" else EntryStatus.ARCHIVED
    assert {reloaded(toolkit).status for toolkit in toolkits} == {expected}


def test_bulk_workflow_actions_are_not_offered_without_the_permission_to_publish(editor_client):
    make_method()

    response = editor_client.get(url(Method, "changelist"))

    form = response.context["action_form"]  # None: no action at all
    offered = {name for name, _label in form.fields["action"].choices if name} if form else set()
    assert not offered & {"publish_selected", "unpublish_selected", "archive_selected"}


# --- History and restore ------------------------------------------------------------------------------


def edited(method, **fields):
    purposes = fields.pop("purposes", None)
    for name, value in fields.items():
        setattr(method, name, value)
    return entry_save(entry=method, user=None, purposes=purposes)


def test_the_history_lists_each_revision_with_its_differences_in_words(admin_client):
    method = edited(make_method(purposes=["understand"]), summary="Sharper.", purposes=["understand", "test"])
    in_review(method)

    response = admin_client.get(url(Method, "history", method.pk))

    text = response.content.decode()
    assert "The first recorded version." in text
    assert "<strong>Good for</strong>: added Test and prototype" in text
    assert "<strong>Summary</strong>: “Design thinking in one sentence.” → “Sharper.”" in text
    assert "<strong>Status</strong>: Draft → In review" in text
    assert "Sent for review." in text


def test_a_toolkits_history_names_its_methods(admin_client):
    sandbox = make_method("Regulatory sandbox")
    toolkit = make_toolkit()
    entry_save(entry=toolkit, user=None, methods=[sandbox])

    response = admin_client.get(url(Toolkit, "history", toolkit.pk))

    assert "<strong>Methods</strong>: added Regulatory sandbox" in response.content.decode()


def test_restoring_a_version_from_the_history_puts_it_back(editor_client):
    method = make_method(purposes=["understand"])
    first = revisions_of(method).first()
    edited(method, summary="Sharper.", purposes=["scale"])
    history = editor_client.get(url(Method, "history", method.pk))
    assert url(Method, "restore", method.pk, first.pk) in history.content.decode()

    response = editor_client.post(url(Method, "restore", method.pk, first.pk))

    assert response.status_code == 302
    method = reloaded(method)
    assert (method.summary, method.purposes) == ("Design thinking in one sentence.", ["understand"])
    assert revisions_of(method).last().action == "restored"


def test_restore_is_a_post_only(admin_client):
    method = make_method()

    response = admin_client.get(url(Method, "restore", method.pk, revisions_of(method).first().pk))

    assert response.status_code == 405


def test_a_revision_of_another_entry_is_not_found(admin_client):
    method, other = make_method(), make_method("Hackathon")

    response = admin_client.post(url(Method, "restore", method.pk, revisions_of(other).first().pk))

    assert response.status_code == 404


def test_a_reader_is_not_offered_the_restore_and_may_not_use_it(reader_client):
    method = edited(make_method(), summary="Sharper.")
    first = revisions_of(method).first()

    history = reader_client.get(url(Method, "history", method.pk))
    response = reader_client.post(url(Method, "restore", method.pk, first.pk))

    assert history.status_code == 200
    assert "Restore this version" not in history.content.decode()
    assert response.status_code == 403
    assert reloaded(method).summary == "Sharper."


def test_a_restore_that_cannot_be_made_says_why(admin_client):
    method = make_method()
    first = revisions_of(method).first()
    edited(method, slug="design-thinking-renamed")
    make_method("Another", slug="design-thinking")

    response = admin_client.post(url(Method, "restore", method.pk, first.pk), follow=True)

    assert response.status_code == 200
    assert any("Nothing was restored" in str(m) for m in response.context["messages"])
    assert reloaded(method).slug == "design-thinking-renamed"


# --- Toolkits' links ----------------------------------------------------------------------------------


def broken(toolkit, problem="HTTP 404 Not Found"):
    Toolkit.objects.filter(pk=toolkit.pk).update(link_state=LinkState.BROKEN, link_error=problem)
    return reloaded(toolkit)


def test_a_broken_link_shows_in_the_list_with_its_problem(admin_client):
    broken(make_toolkit())

    response = admin_client.get(url(Toolkit, "changelist"))

    assert "HTTP 404 Not Found" in response.content.decode()


def test_the_list_filters_broken_links(admin_client):
    bad = broken(make_toolkit("Bad"))
    make_toolkit("Good")

    response = admin_client.get(url(Toolkit, "changelist"), {"link_state__exact": "broken"})

    assert list(response.context["cl"].result_list) == [bad]


def test_the_link_check_is_read_only_on_the_form(admin_client):
    toolkit = broken(make_toolkit())

    post_form(admin_client, url(Toolkit, "change", toolkit.pk), link_state="ok", link_error="")

    assert reloaded(toolkit).link_state == LinkState.BROKEN


def test_checking_links_now_records_the_answers(admin_client, web_server):  # noqa: F811 - the fixture
    good = broken(make_toolkit("Good", url=f"{web_server}/ok"))
    gone = make_toolkit("Gone", url=f"{web_server}/gone")

    response = act(admin_client, Toolkit, "check_links_now", [good, gone])

    assert reloaded(good).link_state == LinkState.OK
    assert reloaded(gone).link_state == LinkState.BROKEN
    assert "2 links checked, 1 broken." in [str(m) for m in response.context["messages"]]


def test_checking_too_many_links_at_once_is_refused(admin_client, monkeypatch):
    monkeypatch.setattr(entries, "LINKS_CHECKED_AT_ONCE", 1)
    toolkits = [make_toolkit(f"Toolkit {n}", url="http://127.0.0.1:9/") for n in range(2)]

    response = act(admin_client, Toolkit, "check_links_now", toolkits)

    assert any("Nothing was checked" in str(m) for m in response.context["messages"])
    assert {reloaded(t).link_state for t in toolkits} == {LinkState.UNCHECKED}


# --- Organisations ------------------------------------------------------------------------------------


def organisation(name, economy, kind="government"):
    slug = f"{name.lower().replace(' ', '-')}-{economy.iso2.lower()}"
    return Organisation.objects.create(name=name, slug=slug, economy=economy, kind=kind)


def test_organisations_are_found_by_name(admin_client):
    govtech = organisation("GovTech", singapore())
    organisation("Digital Government Development Agency", thailand())

    response = admin_client.get(url(Organisation, "changelist"), {"q": "govtech"})

    assert list(response.context["cl"].result_list) == [govtech]


def test_organisations_filter_by_kind_and_economy(admin_client):
    university = organisation("Chulalongkorn University", thailand(), kind="academia")
    organisation("GovTech", singapore())
    organisation("DGA", thailand())

    response = admin_client.get(
        url(Organisation, "changelist"), {"kind__exact": "academia", "economy__id__exact": thailand().pk}
    )

    assert list(response.context["cl"].result_list) == [university]


def test_an_organisations_page_lists_only_the_cases_the_reader_may_see(client):
    agency = organisation("Digital Government Development Agency", thailand())
    own = CaseStudyFactory(title="Thai draft", economy=thailand(), status="draft")
    hidden = CaseStudyFactory(title="Singapore draft", economy=singapore(), status="draft")
    for case in (own, hidden):
        CaseOrganisation.objects.create(case=case, organisation=agency, role="partner")
    user = staff("thai-org-editor", ECONOMY_EDITOR, ["TH"])
    user.user_permissions.add(Permission.objects.get(codename="view_organisation"))
    client.force_login(user)

    response = client.get(url(Organisation, "change", agency.pk))

    text = response.content.decode()
    assert "Thai draft" in text
    assert "Singapore draft" not in text


# --- A case's methods, toolkits and organisations on its form: the economy editor's scope -------------

# What the roles need for the case's new rows (proposed for cases/curation/roles.py, with a migration that
# installs the roles again): until they hold it, these tests give it to the economy editors' group.
EDITOR_EXTRA = [
    f"{action}_{model}"
    for model in ("casemethod", "casetoolkit", "caseorganisation")
    for action in ("add", "change", "delete", "view")
] + ["view_method", "view_toolkit", "view_organisation"]


@pytest.fixture
def thai_editor(client):
    Group.objects.get(name=ECONOMY_EDITOR).permissions.add(
        *Permission.objects.filter(content_type__app_label="cases", codename__in=EDITOR_EXTRA)
    )
    client.force_login(staff("thai-editor", ECONOMY_EDITOR, ["TH"]))
    return client


def case_url(case):
    return reverse("admin:cases_casestudy_change", args=[case.pk])


def with_method(data, method, role="primary", note=""):
    data.update(
        {
            "method_links-TOTAL_FORMS": "1",
            "method_links-0-method": str(method.pk),
            "method_links-0-role": role,
            "method_links-0-note": note,
            "method_links-0-position": "0",
        }
    )
    return data


def test_an_editor_adds_a_method_to_their_draft_case_with_a_revision_of_the_case(thai_editor):
    case = CaseStudyFactory(economy=thailand(), status="draft")
    method = make_method()
    data = with_method(form_data(thai_editor.get(case_url(case))), method, note="Three rounds of interviews.")

    response = thai_editor.post(case_url(case), data)

    assert response.status_code == 302
    link = CaseMethod.objects.get(case=case)
    assert (link.method, link.note) == (method, "Three rounds of interviews.")
    assert "methods used" in CaseRevision.objects.filter(case=case).latest("created_at", "id").message


def test_the_new_inlines_of_a_published_case_are_read_only_for_the_editor(thai_editor):
    case = CaseStudyFactory(economy=thailand())

    response = thai_editor.get(case_url(case))

    inlines = [
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model in (CaseMethod, CaseToolkit, CaseOrganisation)
    ]
    assert len(inlines) == 3
    for inline in inlines:
        assert not inline.has_add_permission
        assert not inline.has_change_permission
        assert not inline.has_delete_permission


def test_an_editor_cannot_add_a_method_to_their_published_case(thai_editor):
    case = CaseStudyFactory(economy=thailand())
    data = with_method(form_data(thai_editor.get(case_url(case))), make_method())

    thai_editor.post(case_url(case), data)

    assert not CaseMethod.objects.exists()


def test_an_editor_cannot_reach_another_economys_case(thai_editor):
    case = CaseStudyFactory(economy=singapore(), status="draft")
    method = make_method()

    response = thai_editor.post(case_url(case), with_method({}, method))

    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    assert not CaseMethod.objects.exists()


def test_the_method_autocomplete_answers_an_editor(thai_editor):
    make_method("Regulatory sandbox")

    response = thai_editor.get(
        reverse("admin:autocomplete"),
        {"term": "sandbox", "app_label": "cases", "model_name": "casemethod", "field_name": "method"},
    )

    assert response.status_code == 200
    assert [row["text"] for row in response.json()["results"]] == ["Regulatory sandbox"]


def test_two_lead_organisations_are_a_form_error(admin_client):
    case = CaseStudyFactory()
    one, two = organisation("One", singapore()), organisation("Two", singapore())
    data = form_data(admin_client.get(case_url(case)))
    data.update(
        {
            "organisation_links-TOTAL_FORMS": "2",
            "organisation_links-0-organisation": str(one.pk),
            "organisation_links-0-role": "lead",
            "organisation_links-0-position": "0",
            "organisation_links-1-organisation": str(two.pk),
            "organisation_links-1-role": "lead",
            "organisation_links-1-position": "1",
        }
    )

    response = admin_client.post(case_url(case), data)

    assert response.status_code == 200
    assert "one lead organisation" in response.content.decode()
    assert not CaseOrganisation.objects.exists()


def test_a_second_lead_beside_the_stored_one_is_a_form_error(admin_client):
    case = CaseStudyFactory()
    one, two = organisation("One", singapore()), organisation("Two", singapore())
    CaseOrganisation.objects.create(case=case, organisation=one, role="lead")
    data = form_data(admin_client.get(case_url(case)))
    data.update(
        {
            "organisation_links-TOTAL_FORMS": "2",
            "organisation_links-1-organisation": str(two.pk),
            "organisation_links-1-role": "lead",
            "organisation_links-1-position": "1",
        }
    )

    response = admin_client.post(case_url(case), data)

    assert response.status_code == 200
    assert list(CaseOrganisation.objects.values_list("organisation", flat=True)) == [one.pk]


# --- The lists' query counts do not grow with their rows --------------------------------------------


def make_rows(count):
    for n in range(count):
        method = make_method(f"Method {n}", purposes=["understand", "test"])
        toolkit = make_toolkit(f"Toolkit {n}", methods=[method])
        case = CaseStudyFactory()
        CaseMethod.objects.create(case=case, method=method)
        CaseToolkit.objects.create(case=case, toolkit=toolkit)
        CaseOrganisation.objects.create(case=case, organisation=organisation(f"Org {n}", singapore()))


# Session, user, two counts, the page of rows, and a filter's choices (the organisations' economies).
QUERY_BOUND = {Method: 6, Toolkit: 6, Organisation: 7}


@pytest.mark.parametrize("model", [Method, Toolkit, Organisation], ids=lambda m: m._meta.model_name)
@pytest.mark.parametrize("count", [3, 30])
def test_changelist_query_count_does_not_grow_with_rows(
    admin_client, django_assert_max_num_queries, model, count
):
    make_rows(count)

    with django_assert_max_num_queries(QUERY_BOUND[model]):
        response = admin_client.get(url(model, "changelist"))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == min(count, LIST_PER_PAGE)

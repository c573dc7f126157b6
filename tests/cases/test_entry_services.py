"""The services of methods, toolkits and organisations (issue 18, cases/services.py): the workflow and its
refusals, revisions and their differences, restoring a version, a case's methods and toolkits, matching
cases' lead organisations to entities, and the link check against a real HTTP server on 127.0.0.1."""

import http.server
import io
import socket
import threading

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from cases.models import (
    CaseMethod,
    CaseOrganisation,
    CaseToolkit,
    Economy,
    EntryRevision,
    EntryStatus,
    LinkState,
    Method,
    MethodRole,
    Organisation,
    OrganisationRole,
    Toolkit,
)
from cases.models.methods import organisation_name_key
from cases.services import (
    ENTRY_TRANSITIONS,
    case_methods_set,
    case_organisations_link,
    entry_restore_revision,
    entry_save,
    entry_transition,
    entry_transitions_available,
    toolkit_links_check,
)
from tests.factories import CaseStudyFactory, UserFactory

pytestmark = pytest.mark.django_db


# --- Making entries and users -------------------------------------------------------------------------


def make_method(name="Design thinking", *, slug=None, purposes=("understand",), user=None, **fields):
    method = Method(
        name=name,
        slug=slug or name.lower().replace(" ", "-"),
        summary=f"{name} in one sentence.",
        description=f"What {name} is.",
        discipline=fields.pop("discipline", "design"),
        **fields,
    )
    return entry_save(entry=method, user=user, purposes=list(purposes))


def make_toolkit(title="The Policy Lab toolkit", *, slug=None, url="https://example.org/toolkit", **fields):
    languages = fields.pop("languages", ["en"])
    methods = fields.pop("methods", [])
    toolkit = Toolkit(
        title=title,
        slug=slug or title.lower().replace(" ", "-"),
        summary=f"{title} in one sentence.",
        description="A guide.",
        discipline=fields.pop("discipline", "design"),
        kind=fields.pop("kind", "guide"),
        publisher=fields.pop("publisher", "UK Policy Lab"),
        url=url,
        **fields,
    )
    return entry_save(
        entry=toolkit, user=None, purposes=["generate-ideas"], languages=languages, methods=methods
    )


def user_with(*codenames, username=None):
    user = UserFactory(username=username or "-".join(codenames) or "nobody", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="cases", codename__in=codenames)
    )
    # A fresh instance: the permission cache of the first would not see the permissions just given.
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def editor():
    return user_with("add_method", "change_method", "add_toolkit", "change_toolkit", username="editor")


@pytest.fixture
def publisher():
    return user_with(
        "add_method",
        "change_method",
        "publish_method",
        "add_toolkit",
        "change_toolkit",
        "publish_toolkit",
        username="publisher",
    )


def revisions_of(entry):
    content_type = ContentType.objects.get_for_model(type(entry))
    return EntryRevision.objects.filter(content_type=content_type, object_id=entry.pk).order_by(
        "created_at", "id"
    )


def reloaded(entry):
    return type(entry).objects.get(pk=entry.pk)


# --- Saving ---------------------------------------------------------------------------------------------


def test_a_new_method_is_a_draft_with_a_created_revision(editor):
    method = make_method(user=editor)

    assert method.status == EntryStatus.DRAFT
    assert method.created_by == editor
    (revision,) = revisions_of(method)
    assert revision.action == "created"
    assert revision.user == editor
    assert revision.snapshot["purposes"] == ["understand"]


def test_saving_without_the_change_permission_is_refused():
    method = make_method()
    method.summary = "Changed by someone who may not."

    with pytest.raises(PermissionDenied):
        entry_save(entry=method, user=user_with("view_method"))

    assert reloaded(method).summary == "Design thinking in one sentence."
    assert revisions_of(method).count() == 1


def test_an_invalid_entry_is_refused_and_nothing_is_written(editor):
    with pytest.raises(ValidationError):
        make_method(user=editor, discipline="astrology")

    assert not Method.objects.exists()
    assert not EntryRevision.objects.exists()


def test_purposes_are_replaced_not_added_to(editor):
    method = make_method(user=editor, purposes=["understand", "test"])

    entry_save(entry=method, user=editor, purposes=["test", "scale"])

    assert sorted(reloaded(method).purposes) == ["scale", "test"]


def test_a_list_left_as_none_is_left_as_it_is(editor):
    method = make_method(user=editor, purposes=["understand", "test"])
    method.summary = "Only the summary changes."

    entry_save(entry=method, user=editor)

    assert sorted(reloaded(method).purposes) == ["test", "understand"]


# --- Revisions and their differences ----------------------------------------------------------------


def test_an_edit_records_what_changed_and_only_that(editor):
    method = make_method(user=editor, purposes=["understand"])
    method.summary = "A new summary."

    entry_save(entry=method, user=editor, purposes=["understand", "test"], message="Edited: summary")

    revision = revisions_of(method).last()
    assert revision.action == "changed"
    assert revision.message == "Edited: summary"
    assert revision.changes == {
        "summary": ["Design thinking in one sentence.", "A new summary."],
        "purposes": [["understand"], ["test", "understand"]],
    }


def test_a_toolkits_revision_holds_its_languages_and_its_methods_by_slug():
    sandbox = make_method("Regulatory sandbox", discipline="policy-regulation")
    toolkit = make_toolkit(languages=["en", "th"], methods=[sandbox])

    snapshot = revisions_of(toolkit).last().snapshot

    assert snapshot["languages"] == ["en", "th"]
    assert snapshot["methods"] == ["regulatory-sandbox"]


def test_a_toolkit_without_a_year_is_recorded_as_empty_not_as_the_word_none():
    toolkit = make_toolkit(year=None)

    assert revisions_of(toolkit).last().snapshot["year"] is None


def test_a_transition_records_the_status_change_with_its_note(publisher):
    method = make_method(user=publisher)

    entry_transition(entry=method, user=publisher, name="send_for_review", note="  Ready for a look. ")

    revision = revisions_of(method).last()
    assert revision.action == "transition"
    assert revision.message == "Sent for review: Ready for a look."
    assert revision.changes == {"status": ["draft", "in_review"]}


# --- The workflow -------------------------------------------------------------------------------------


def test_publishing_goes_through_review_and_stamps_the_first_publication(publisher):
    method = make_method(user=publisher)

    entry_transition(entry=method, user=publisher, name="send_for_review")
    published = entry_transition(entry=method, user=publisher, name="publish")

    assert published.status == EntryStatus.PUBLISHED
    assert published.published_at is not None
    assert published.published_by == publisher
    assert Method.objects.published().filter(pk=method.pk).exists()


def test_publishing_needs_the_permission_to_publish(editor):
    method = make_method(user=editor)
    entry_transition(entry=method, user=editor, name="send_for_review")

    with pytest.raises(PermissionDenied):
        entry_transition(entry=method, user=editor, name="publish")

    assert reloaded(method).status == EntryStatus.IN_REVIEW
    assert revisions_of(method).count() == 2  # created, sent for review: nothing for the refusal


def test_sending_for_review_needs_the_permission_to_change():
    method = make_method()

    with pytest.raises(PermissionDenied):
        entry_transition(entry=method, user=user_with("view_method"), name="send_for_review")


def test_a_draft_cannot_be_published_without_review(publisher):
    method = make_method(user=publisher)

    with pytest.raises(ValidationError, match="cannot be published"):
        entry_transition(entry=method, user=publisher, name="publish")

    assert reloaded(method).status == EntryStatus.DRAFT


def test_an_unknown_step_is_refused(publisher):
    with pytest.raises(ValidationError):
        entry_transition(entry=make_method(), user=publisher, name="promote")


def test_unpublishing_returns_to_draft_and_keeps_the_first_publication_date(publisher):
    method = make_method(user=publisher)
    entry_transition(entry=method, user=publisher, name="send_for_review")
    first = entry_transition(entry=method, user=publisher, name="publish").published_at

    unpublished = entry_transition(entry=method, user=publisher, name="unpublish")

    assert unpublished.status == EntryStatus.DRAFT
    assert unpublished.published_at == first


def test_an_archived_entry_comes_back_as_a_draft(publisher):
    toolkit = make_toolkit()
    entry_transition(entry=toolkit, user=publisher, name="archive")

    restored = entry_transition(entry=toolkit, user=publisher, name="restore")

    assert restored.status == EntryStatus.DRAFT


def test_the_steps_offered_follow_the_status_and_the_permissions(editor, publisher):
    method = make_method()

    assert entry_transitions_available(user=editor, entry=method) == ["send_for_review"]
    assert entry_transitions_available(user=publisher, entry=method) == ["send_for_review", "archive"]
    entry_transition(entry=method, user=publisher, name="send_for_review")
    assert entry_transitions_available(user=publisher, entry=reloaded(method)) == [
        "return_to_draft",
        "publish",
        "archive",
    ]


def test_every_step_is_a_known_status_change():
    statuses = set(EntryStatus.values)
    for sources, target, kind, _done in ENTRY_TRANSITIONS.values():
        assert set(sources) <= statuses
        assert target in statuses
        assert kind in ("change", "publish")


# --- Restoring a version --------------------------------------------------------------------------------


def test_restore_brings_back_the_text_and_the_lists_but_not_the_status(publisher):
    method = make_method(user=publisher, purposes=["understand"])
    first = revisions_of(method).last()
    method.summary = "Rewritten."
    entry_save(entry=method, user=publisher, purposes=["scale"])
    entry_transition(entry=method, user=publisher, name="send_for_review")

    entry_restore_revision(revision=first, user=publisher)

    method = reloaded(method)
    assert method.summary == "Design thinking in one sentence."
    assert method.purposes == ["understand"]
    assert method.status == EntryStatus.IN_REVIEW
    restore = revisions_of(method).last()
    assert restore.action == "restored"
    assert restore.changes["summary"] == ["Rewritten.", "Design thinking in one sentence."]


def test_restore_brings_back_a_toolkits_languages_and_methods_and_an_empty_year():
    sandbox = make_method("Regulatory sandbox")
    toolkit = make_toolkit(year=None, languages=["en"], methods=[sandbox])
    first = revisions_of(toolkit).last()
    toolkit.year = 2020
    entry_save(entry=toolkit, user=None, languages=["ja"], methods=[])

    entry_restore_revision(revision=first, user=None)

    toolkit = reloaded(toolkit)
    assert toolkit.year is None
    assert toolkit.languages == ["en"]
    assert list(toolkit.methods.all()) == [sandbox]


def test_restoring_a_version_from_before_publication_keeps_the_first_publication_date(publisher):
    method = make_method(user=publisher)
    before_publication = revisions_of(method).last()
    entry_transition(entry=method, user=publisher, name="send_for_review")
    published_at = entry_transition(entry=method, user=publisher, name="publish").published_at

    entry_restore_revision(revision=before_publication, user=publisher)

    method = reloaded(method)
    assert method.status == EntryStatus.PUBLISHED
    assert method.published_at == published_at


def test_restore_needs_the_permission_to_change():
    method = make_method()

    with pytest.raises(PermissionDenied):
        entry_restore_revision(revision=revisions_of(method).last(), user=user_with("view_method"))


def test_restore_to_a_slug_another_method_has_taken_since_is_refused(editor):
    method = make_method(user=editor)
    first = revisions_of(method).last()
    method.slug = "design-thinking-renamed"
    entry_save(entry=method, user=editor)
    make_method("Another", slug="design-thinking")

    with pytest.raises(ValidationError):
        entry_restore_revision(revision=first, user=editor)

    assert reloaded(method).slug == "design-thinking-renamed"


# --- A case's methods and toolkits ------------------------------------------------------------------


def test_a_case_names_its_methods_in_order_with_their_roles():
    case = CaseStudyFactory()
    sandbox, hackathon = make_method("Regulatory sandbox"), make_method("Hackathon")

    case_methods_set(
        case=case,
        methods=[
            {"method": sandbox, "role": "primary", "note": "Six firms tested for a year."},
            {"method": hackathon, "role": "also"},
        ],
    )

    rows = list(CaseMethod.objects.filter(case=case))
    assert [(r.method, r.role, r.note, r.position) for r in rows] == [
        (sandbox, MethodRole.PRIMARY, "Six firms tested for a year.", 0),
        (hackathon, MethodRole.ALSO, "", 1),
    ]


def test_setting_a_cases_methods_again_replaces_them_and_leaves_its_toolkits():
    case = CaseStudyFactory()
    sandbox, hackathon = make_method("Regulatory sandbox"), make_method("Hackathon")
    toolkit = make_toolkit()
    case_methods_set(
        case=case, methods=[{"method": sandbox}], toolkits=[{"toolkit": toolkit, "note": "Used"}]
    )

    case_methods_set(case=case, methods=[{"method": hackathon}])

    assert list(case.methods.all()) == [hackathon]
    assert list(CaseToolkit.objects.filter(case=case).values_list("toolkit", "note")) == [
        (toolkit.pk, "Used")
    ]


def test_an_empty_list_of_toolkits_removes_them():
    case = CaseStudyFactory()
    case_methods_set(case=case, methods=[], toolkits=[{"toolkit": make_toolkit()}])

    case_methods_set(case=case, methods=[], toolkits=[])

    assert not CaseToolkit.objects.filter(case=case).exists()


# --- Organisations from the cases' lead organisations -------------------------------------------------


def economy(iso2):
    return Economy.objects.get(iso2=iso2)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Ministry of Health", "ministry of health"),
        ("The Ministry of Health", "Ministry of Health,"),
        ("Ministère de la Santé", "Ministere de la sante"),
        ("Ministry  of   Health", "Ministry-of-Health"),
    ],
)
def test_two_spellings_of_a_name_are_one_organisation_key(one, other):
    assert organisation_name_key(one) == organisation_name_key(other)


def test_spellings_of_one_name_within_an_economy_become_one_organisation():
    th = economy("TH")
    first = CaseStudyFactory(economy=th, lead_organisation="Ministry of Public Health")
    second = CaseStudyFactory(economy=th, lead_organisation="The ministry of public health ")

    report = case_organisations_link()

    (organisation,) = Organisation.objects.all()
    assert organisation.name == "Ministry of Public Health"
    assert organisation.economy == th
    assert set(organisation.cases.all()) == {first, second}
    assert set(CaseOrganisation.objects.values_list("role", flat=True)) == {OrganisationRole.LEAD}
    assert (report.linked, report.created, report.already, report.unmatched) == (2, 1, 0, [])


def test_one_name_in_two_economies_is_two_organisations_with_distinct_slugs():
    CaseStudyFactory(economy=economy("TH"), lead_organisation="Ministry of Health")
    CaseStudyFactory(economy=economy("SG"), lead_organisation="Ministry of Health")

    report = case_organisations_link()

    assert report.created == 2
    organisations = Organisation.objects.order_by("pk")
    assert {o.economy.iso2 for o in organisations} == {"TH", "SG"}
    assert len({o.slug for o in organisations}) == 2


def test_a_new_organisation_takes_the_cases_type_and_level():
    CaseStudyFactory(
        lead_organisation="Seoul Innovation Bureau", organisation_type="government", level="local"
    )

    case_organisations_link()

    organisation = Organisation.objects.get()
    assert (organisation.kind, organisation.level) == ("government", "local")


def test_an_existing_organisation_of_the_economy_is_matched_not_duplicated():
    existing = Organisation.objects.create(name="GovTech Singapore", slug="govtech", economy=economy("SG"))
    case = CaseStudyFactory(economy=economy("SG"), lead_organisation="Govtech singapore")

    report = case_organisations_link()

    assert report.created == 0
    assert list(case.organisations.all()) == [existing]


def test_linking_again_changes_nothing():
    CaseStudyFactory(lead_organisation="Ministry of Health")
    CaseStudyFactory(lead_organisation="ministry of health")
    case_organisations_link()
    before = list(CaseOrganisation.objects.order_by("pk").values_list("case", "organisation", "role"))

    report = case_organisations_link()

    assert (report.linked, report.created, report.already) == (0, 0, 2)
    assert list(CaseOrganisation.objects.order_by("pk").values_list("case", "organisation", "role")) == before
    assert Organisation.objects.count() == 1


def test_a_case_without_an_organisation_name_is_reported_not_guessed():
    named = CaseStudyFactory(lead_organisation="Ministry of Health")
    unnamed = CaseStudyFactory(lead_organisation="  ")

    report = case_organisations_link()

    assert report.unmatched == [(unnamed.slug, "no lead organisation named")]
    assert not unnamed.organisations.exists()
    assert named.organisations.exists()
    assert "1 could not be matched" in report.summary()


def test_linking_leaves_the_cases_text_as_it_was():
    case = CaseStudyFactory(lead_organisation="the ministry of health, ")

    case_organisations_link()

    case.refresh_from_db()
    assert case.lead_organisation == "the ministry of health, "


def test_progress_is_reported_for_every_case():
    CaseStudyFactory.create_batch(3)
    calls = []

    case_organisations_link(progress=lambda done, total: calls.append((done, total)))

    assert calls == [(1, 3), (2, 3), (3, 3)]


# --- The link check, against a real server on 127.0.0.1 ----------------------------------------------


class Answers(http.server.BaseHTTPRequestHandler):
    """/ok: 200; /gone: 404; /no-head: 405 to HEAD and 200 to GET (a server that refuses HEAD); /moved: 301
    to /ok."""

    def answer(self, head):
        if self.path == "/ok":
            self.send_response(200)
        elif self.path == "/no-head":
            self.send_response(405 if head else 200)
        elif self.path == "/moved":
            self.send_response(301)
            self.send_header("Location", "/ok")
        else:
            self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_HEAD(self):
        self.answer(head=True)

    def do_GET(self):
        self.answer(head=False)

    def log_message(self, format, *args):
        pass  # quiet: the test's output is the assertions'


@pytest.fixture
def no_proxy(monkeypatch):
    # A proxy set in the environment would receive the requests meant for 127.0.0.1.
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def web_server(no_proxy):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def silent_server(no_proxy):
    """An address that accepts connections and never answers: the check must give up after its timeout."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


def test_a_working_address_is_marked_ok(web_server):
    toolkit = make_toolkit(url=f"{web_server}/ok")

    report = toolkit_links_check()

    toolkit = reloaded(toolkit)
    assert (toolkit.link_state, toolkit.link_error) == (LinkState.OK, "")
    assert toolkit.link_checked_at is not None
    assert (report.checked, report.broken) == (1, [])


def test_an_address_answering_404_is_marked_broken_with_the_reason(web_server):
    toolkit = make_toolkit(url=f"{web_server}/gone")

    report = toolkit_links_check()

    toolkit = reloaded(toolkit)
    assert toolkit.link_state == LinkState.BROKEN
    assert toolkit.link_error.startswith("HTTP 404")
    assert report.broken == [(toolkit.slug, toolkit.link_error)]


def test_a_server_refusing_head_is_asked_again_with_get(web_server):
    toolkit = make_toolkit(url=f"{web_server}/no-head")

    toolkit_links_check()

    assert reloaded(toolkit).link_state == LinkState.OK


def test_a_redirect_to_a_working_address_is_ok(web_server):
    toolkit = make_toolkit(url=f"{web_server}/moved")

    toolkit_links_check()

    assert reloaded(toolkit).link_state == LinkState.OK


def test_a_server_that_never_answers_is_broken_after_the_timeout(silent_server, settings):
    settings.TOOLKIT_LINK_TIMEOUT = 1
    toolkit = make_toolkit(url=f"{silent_server}/slow")

    toolkit_links_check()

    toolkit = reloaded(toolkit)
    assert toolkit.link_state == LinkState.BROKEN
    assert "timed out" in toolkit.link_error


def test_a_link_that_works_again_loses_its_flag(web_server):
    toolkit = make_toolkit(url=f"{web_server}/gone")
    toolkit_links_check()
    Toolkit.objects.filter(pk=toolkit.pk).update(url=f"{web_server}/ok")

    toolkit_links_check()

    toolkit = reloaded(toolkit)
    assert (toolkit.link_state, toolkit.link_error) == (LinkState.OK, "")


def test_archived_toolkits_are_not_checked_but_drafts_are(web_server, publisher):
    draft = make_toolkit("Draft", url=f"{web_server}/ok")
    archived = make_toolkit("Archived", url=f"{web_server}/ok")
    entry_transition(entry=archived, user=publisher, name="archive")

    report = toolkit_links_check()

    assert report.checked == 1
    assert reloaded(draft).link_state == LinkState.OK
    assert reloaded(archived).link_state == LinkState.UNCHECKED


def test_the_check_leaves_a_curators_edit_alone(web_server):
    toolkit = make_toolkit(url=f"{web_server}/ok")
    stale = Toolkit.objects.get(pk=toolkit.pk)
    Toolkit.objects.filter(pk=toolkit.pk).update(summary="Edited meanwhile.")

    toolkit_links_check(toolkits=Toolkit.objects.filter(pk=stale.pk))

    assert reloaded(toolkit).summary == "Edited meanwhile."


# --- The commands -------------------------------------------------------------------------------------


def run(command, *args) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def test_check_toolkit_links_lists_the_broken_ones_and_sums_up(web_server):
    make_toolkit("Good", url=f"{web_server}/ok")
    gone = make_toolkit("Gone", url=f"{web_server}/gone")

    lines = run("check_toolkit_links").splitlines()

    assert "  2 of 2" in lines
    assert f"  broken: {gone.slug}: HTTP 404 Not Found" in lines
    assert lines[-1] == "2 toolkit links checked, 1 broken"


def test_check_toolkit_links_checks_only_the_toolkits_named(web_server):
    named = make_toolkit("Named", url=f"{web_server}/ok")
    other = make_toolkit("Other", url=f"{web_server}/ok")

    run("check_toolkit_links", "--slug", named.slug)

    assert (reloaded(named).link_state, reloaded(other).link_state) == (LinkState.OK, LinkState.UNCHECKED)


def test_check_toolkit_links_refuses_an_unknown_slug():
    with pytest.raises(CommandError, match="no-such-toolkit"):
        run("check_toolkit_links", "--slug", "no-such-toolkit")


def test_link_organisations_reports_the_unmatched_cases_and_sums_up():
    CaseStudyFactory(lead_organisation="Ministry of Health")
    unnamed = CaseStudyFactory(lead_organisation="")

    lines = run("link_organisations").splitlines()

    assert "  2 of 2 cases" in lines
    assert f"  {unnamed.slug}: no lead organisation named" in lines
    assert lines[-1] == (
        "1 cases linked to their lead organisation (1 organisations created), 0 already linked, "
        "1 could not be matched"
    )

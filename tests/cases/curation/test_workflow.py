"""The editorial workflow: every transition, allowed and refused, for each role; history and restore."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from cases.curation.roles import CURATOR, ECONOMY_EDITOR, REVIEWER
from cases.curation.workflow import TRANSITIONS, TransitionRefused, available_transitions, case_transition
from cases.models import CaseRevision, Economy, EditorProfile, Sector, Status
from cases.services import case_restore_revision
from tests.factories import CaseStudyFactory, OutcomeFactory, UserFactory

pytestmark = pytest.mark.django_db


def member(role, *, economies=()):
    user = UserFactory(username=f"{role.lower().replace(' ', '-')}-{len(economies)}", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    if economies:
        profile = EditorProfile.objects.create(user=user)
        profile.economies.set(Economy.objects.filter(iso2__in=economies))
    return user


@pytest.fixture
def curator():
    return member(CURATOR)


@pytest.fixture
def reviewer():
    return member(REVIEWER)


@pytest.fixture
def sg_editor():
    return member(ECONOMY_EDITOR, economies=["SG"])


def case_in(status, iso2="SG"):
    return CaseStudyFactory(status=status, economy=Economy.objects.get(iso2=iso2))


ALLOWED = [(name, source) for name, t in TRANSITIONS.items() for source in sorted(t.sources)]


@pytest.mark.parametrize(("name", "source"), ALLOWED)
def test_curator_may_apply_every_transition_from_its_sources(curator, name, source):
    case = case_in(source)
    result = case_transition(case=case, user=curator, name=name, note="Please add figures.")
    assert result.status == TRANSITIONS[name].target
    assert result.updated_by == curator
    revision = result.revisions.first()
    assert revision.action == "transition"
    assert revision.user == curator
    # The note says what happened, in words, and carries the user's note (issue 13, item 5).
    assert revision.message == f"{TRANSITIONS[name].done}: Please add figures."


@pytest.mark.parametrize(
    ("name", "source"),
    [
        (name, source)
        for name, t in TRANSITIONS.items()
        for source in Status.values
        if source not in t.sources
    ],
)
def test_transition_from_any_other_status_is_refused_with_a_message(curator, name, source):
    case = case_in(source)
    with pytest.raises(TransitionRefused) as refused:
        case_transition(case=case, user=curator, name=name, note="n")
    assert "Cannot" in str(refused.value)
    case.refresh_from_db()
    assert case.status == source
    assert not CaseRevision.objects.filter(case=case).exists()


@pytest.mark.parametrize("name", ["publish", "unpublish", "request_changes", "accept"])
def test_economy_editor_cannot_publish_or_review(sg_editor, name):
    source = sorted(TRANSITIONS[name].sources)[0]
    case = case_in(source)
    with pytest.raises(PermissionDenied):
        case_transition(case=case, user=sg_editor, name=name, note="n")


def test_economy_editor_sends_own_economy_case_for_review(sg_editor):
    case = case_in("draft", "SG")
    assert case_transition(case=case, user=sg_editor, name="send_for_review").status == "in_review"


def test_economy_editor_cannot_touch_another_economy(sg_editor):
    case = case_in("draft", "JP")
    with pytest.raises(PermissionDenied):
        case_transition(case=case, user=sg_editor, name="send_for_review")
    assert available_transitions(user=sg_editor, case=case) == []


@pytest.mark.parametrize("name", ["publish", "unpublish", "archive", "restore", "request_changes"])
def test_reviewer_may_publish_and_archive(reviewer, name):
    source = sorted(TRANSITIONS[name].sources)[0]
    case = case_in(source, "JP")
    assert case_transition(case=case, user=reviewer, name=name, note="n").status == TRANSITIONS[name].target


def test_anonymous_and_plain_staff_are_refused():
    case = case_in("in_review")
    plain = UserFactory(username="plain", is_staff=True)
    with pytest.raises(PermissionDenied):
        case_transition(case=case, user=plain, name="publish")


def test_publishing_sets_published_at_once(reviewer):
    case = case_in("in_review")
    case.published_at = None
    case.save()
    first = case_transition(case=case, user=reviewer, name="publish").published_at
    case_transition(case=case, user=reviewer, name="unpublish")
    case_transition(case=case, user=reviewer, name="send_for_review")
    again = case_transition(case=case, user=reviewer, name="publish")
    assert first is not None
    assert again.published_at == first
    assert again.published_by == reviewer


def test_request_changes_needs_a_note(reviewer):
    case = case_in("in_review")
    with pytest.raises(TransitionRefused, match="note is required"):
        case_transition(case=case, user=reviewer, name="request_changes", note="  ")


def test_unknown_transition_is_refused(curator):
    with pytest.raises(TransitionRefused):
        case_transition(case=case_in("draft"), user=curator, name="teleport")


def test_publishing_an_incomplete_case_is_refused_and_writes_nothing(reviewer):
    case = case_in("in_review")
    case.year_launched, case.year_ended = 2020, 2010  # invalid, bypassing validation
    type(case).objects.filter(pk=case.pk).update(year_launched=None, year_ended=None, title="")
    with pytest.raises(Exception):  # noqa: B017, PT011 - ValidationError from full_clean
        case_transition(case=case, user=reviewer, name="publish")
    case.refresh_from_db()
    assert case.status == "in_review"


def test_history_records_field_diff_and_restores_an_earlier_version(curator):
    case = case_in("draft")
    OutcomeFactory(case=case, indicator="Users", value=10, unit="people")
    case_transition(case=case, user=curator, name="send_for_review")
    first = case.revisions.first()
    case.refresh_from_db()
    case.title = "A new title"
    case.save()
    case.sectors.set([Sector.objects.get(slug="education")])
    case.outcomes.all().delete()
    case_transition(case=case, user=curator, name="request_changes", note="Shorter title")
    latest = case.revisions.first()
    assert latest.changes["title"][1] == "A new title"
    assert latest.changes["sectors"] == [["health"], ["education"]]

    restored = case_restore_revision(revision=first, user=curator)
    assert restored.title != "A new title"
    assert list(restored.sectors.values_list("slug", flat=True)) == ["health"]
    assert list(restored.outcomes.values_list("indicator", flat=True)) == ["Users"]
    assert restored.status == "changes_requested"  # status only changes through the workflow
    assert restored.revisions.first().action == "restored"


def test_publishing_a_submitted_case_emails_its_submitter(
    reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    from cases.models import SubmitterContact

    case = case_in("in_review")
    SubmitterContact.objects.create(case=case, name="Ana", email="ana@example.org", reference="OBS-TEST1234")
    with django_capture_on_commit_callbacks(execute=True):
        case_transition(case=case, user=reviewer, name="publish")
    assert [message.to for message in mailoutbox] == [["ana@example.org"]]
    assert "OBS-TEST1234" in mailoutbox[0].body


def test_publishing_a_case_without_submitter_sends_no_mail(
    reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case_transition(case=case_in("in_review"), user=reviewer, name="publish")
    assert mailoutbox == []

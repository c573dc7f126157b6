"""The moderation queue in admin: order, duplicate flags (trigram on PostgreSQL, containment on SQLite),
economy scoping, the acceptance checklist, and a query count that does not grow with rows."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.curation.moderation import (
    acceptance_checklist,
    check_plain_language,
    check_sections_filled,
    check_standalone,
    duplicate_ids,
    moderation_queue,
    possible_duplicates,
    with_possible_duplicates,
)
from cases.curation.roles import ECONOMY_EDITOR, REVIEWER
from cases.models import CaseRevision, CaseStudy, Economy, EditorProfile, RevisionAction
from tests.factories import CaseStudyFactory, UserFactory

pytestmark = pytest.mark.django_db

QUEUE_URL = reverse("admin:cases_moderationqueue_changelist")

GOOD_NARRATIVE = {
    "overview": "The city answers every question on one phone number. Staff use one shared knowledge base.",
    "what_is_innovative": "Each office had its own number. Now callers need not know who does what.",
    "collaborations": "The call centre works with every city department. A union of staff helped design it.",
    "users_beneficiaries": "Residents of all ages call it. Older people use it most.",
    "results_impact": "Nine in ten calls are answered at once. Complaints about being passed around fell.",
    "challenges_failures": "At first the knowledge base was out of date. Departments now update it weekly.",
    "conditions_for_success": "It needed a mayor who backed it and departments that shared their answers.",
    "replication": "Three other cities have copied it. Each adapted the opening hours.",
    "lessons_learned": "Start with the questions people ask most. Measure how many are answered first time.",
}


def staff(role, economies=()):
    user = UserFactory(username=role.lower().replace(" ", "-"), is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    if economies:
        EditorProfile.objects.create(user=user).economies.set(Economy.objects.filter(iso2__in=economies))
    return user


def queued(title, *, status="submitted", iso2="KR", age_days=0, **fields):
    case = CaseStudyFactory(title=title, status=status, economy=Economy.objects.get(iso2=iso2), **fields)
    if age_days:
        CaseStudy.objects.filter(pk=case.pk).update(created_at=timezone.now() - timedelta(days=age_days))
    return case


@pytest.fixture
def reviewer_client(client):
    client.force_login(staff(REVIEWER))
    return client


def queue_titles(client, **params):
    response = client.get(QUEUE_URL, params)
    assert response.status_code == 200
    return [case.title for case in response.context["cl"].result_list]


# --- Order and contents ---------------------------------------------------------------------------


def test_queue_lists_submitted_first_then_the_longest_waiting(reviewer_client):
    queued("Reviewed old", status="in_review", age_days=30)
    queued("Submitted new", age_days=1)
    queued("Submitted old", age_days=10)
    queued("Reviewed new", status="in_review", age_days=2)
    assert queue_titles(reviewer_client) == ["Submitted old", "Submitted new", "Reviewed old", "Reviewed new"]


def test_queue_holds_only_submitted_and_in_review_cases(reviewer_client):
    for status in ["draft", "changes_requested", "published", "archived"]:
        queued(f"A {status} case", status=status)
    queued("Waiting case")
    assert queue_titles(reviewer_client) == ["Waiting case"]


def test_a_case_waits_from_its_last_status_change_not_its_creation(reviewer_client):
    old_case = queued("Written long ago, sent yesterday", status="in_review", age_days=400)
    queued("Written and sent a week ago", status="in_review", age_days=7)
    CaseRevision.objects.create(
        case=old_case,
        action=RevisionAction.TRANSITION,
        message="draft → in_review",
        snapshot={},
        created_at=timezone.now() - timedelta(days=1),
    )
    assert queue_titles(reviewer_client) == [
        "Written and sent a week ago",
        "Written long ago, sent yesterday",
    ]


def test_queue_filters_by_queued_status_and_counts_cases_waiting(reviewer_client):
    queued("Waiting case")
    queued("Reviewed case", status="in_review")
    queued("Another reviewed case", status="in_review")
    assert queue_titles(reviewer_client, status="in_review") == ["Reviewed case", "Another reviewed case"]
    text = reviewer_client.get(QUEUE_URL).content.decode()
    assert "3 cases waiting" in text
    assert "?status=published" not in text  # the filter offers only the statuses of the queue


def test_the_queue_appears_on_the_admin_index_for_a_reviewer(reviewer_client):
    assert "Moderation queue" in reviewer_client.get(reverse("admin:index")).content.decode()


def test_a_queue_row_opens_the_cases_own_change_form(reviewer_client):
    case = queued("Waiting case")
    response = reviewer_client.get(reverse("admin:cases_moderationqueue_change", args=[case.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:cases_casestudy_change", args=[case.pk])


def test_reviewer_accepts_a_submission_from_the_queue(reviewer_client):
    case = queued("Waiting case")
    reviewer_client.post(QUEUE_URL, {"action": "transition_accept", "_selected_action": [case.pk]})
    case.refresh_from_db()
    assert case.status == "draft"


# --- Possible duplicates --------------------------------------------------------------------------

LONG_TITLE = "Seoul 120 Dasan Call Centre: one number for every question to City Hall"


def flagged(case):
    return duplicate_ids(
        with_possible_duplicates(moderation_queue(CaseStudy.objects.filter(pk=case.pk))).get()
    )


def test_reworded_title_is_flagged_by_trigram_similarity_on_postgresql_only(on_postgresql):
    published = queued(LONG_TITLE, status="published")
    submission = queued("Dasan Call Centre 120 in Seoul")
    # PostgreSQL: similarity 0.39, above the threshold. SQLite: neither title contains the other.
    assert flagged(submission) == ([published.pk] if on_postgresql else [])


def test_title_contained_in_another_is_flagged_by_the_fallback_on_sqlite_only(on_postgresql):
    published = queued(LONG_TITLE, status="published")
    submission = queued("dasan call centre")
    # SQLite: contained, ignoring case. PostgreSQL: trigram similarity only 0.25, below the threshold.
    assert flagged(submission) == ([] if on_postgresql else [published.pk])


def test_same_title_in_other_letters_case_is_flagged_on_every_database():
    published = queued("Virtual Singapore digital twin", status="published", iso2="SG")
    waiting = queued("VIRTUAL SINGAPORE DIGITAL TWIN", status="in_review", iso2="SG")
    submission = queued("Virtual Singapore Digital Twin", iso2="SG")
    assert flagged(submission) == [published.pk, waiting.pk]


def test_similar_title_in_another_economy_is_not_flagged():
    queued("Virtual Singapore digital twin", status="published", iso2="SG")
    submission = queued("Virtual Singapore digital twin", iso2="JP")
    assert flagged(submission) == []


@pytest.mark.parametrize("status", ["draft", "changes_requested", "archived"])
def test_cases_neither_published_nor_queued_are_not_duplicates(status):
    queued("Virtual Singapore digital twin", status=status)
    submission = queued("Virtual Singapore digital twin")
    assert flagged(submission) == []


def test_different_cases_of_one_economy_are_not_flagged():
    # The closest pair of different cases in the demo catalogue (trigram similarity 0.29).
    queued("Service Innovation Fund: seed money for public service ideas in Bangladesh", status="published")
    submission = queued("333: Bangladesh's national helpline for government information and services")
    assert flagged(submission) == []


def test_change_form_lists_the_possible_duplicates(reviewer_client):
    published = queued("Virtual Singapore digital twin", status="published")
    submission = queued("virtual singapore digital twin")
    assert list(possible_duplicates(submission)) == [published]
    text = reviewer_client.get(reverse("admin:cases_casestudy_change", args=[submission.pk])).content.decode()
    assert reverse("admin:cases_casestudy_change", args=[published.pk]) in text
    assert "Acceptance checklist" in text


def test_duplicate_column_links_to_the_duplicates(reviewer_client):
    first = queued("Virtual Singapore digital twin", status="published")
    second = queued("Virtual Singapore Digital Twin", status="in_review")
    queued("virtual singapore digital twin")
    text = reviewer_client.get(QUEUE_URL).content.decode()
    assert "2 possible duplicates" in text
    link = reverse("admin:cases_casestudy_changelist") + f"?id__in={first.pk}%2C{second.pk}"
    assert link in text
    listed = reviewer_client.get(
        reverse("admin:cases_casestudy_changelist"), {"id__in": f"{first.pk},{second.pk}"}
    )
    assert {case.pk for case in listed.context["cl"].result_list} == {first.pk, second.pk}


def test_published_case_change_form_has_no_moderation_section(reviewer_client):
    case = queued("Published case", status="published")
    text = reviewer_client.get(reverse("admin:cases_casestudy_change", args=[case.pk])).content.decode()
    assert "Acceptance checklist" not in text


# --- Scoping --------------------------------------------------------------------------------------


def test_economy_editor_sees_only_their_economies_in_the_queue(client):
    client.force_login(staff(ECONOMY_EDITOR, ["SG"]))
    queued("Singapore submission", iso2="SG")
    queued("Japan submission", iso2="JP")
    assert queue_titles(client) == ["Singapore submission"]


def test_economy_editor_cannot_open_another_economys_case_from_the_queue(client):
    client.force_login(staff(ECONOMY_EDITOR, ["SG"]))
    japan = queued("Japan submission", iso2="JP")
    response = client.get(reverse("admin:cases_moderationqueue_change", args=[japan.pk]), follow=True)
    assert "Japan submission" not in response.content.decode()


def test_economy_editor_cannot_accept_another_economys_case_from_the_queue(client):
    client.force_login(staff(ECONOMY_EDITOR, ["SG"]))
    japan = queued("Japan submission", iso2="JP")
    client.post(QUEUE_URL, {"action": "transition_accept", "_selected_action": [japan.pk]})
    japan.refresh_from_db()
    assert japan.status == "submitted"


# --- The acceptance checklist ---------------------------------------------------------------------


def good_case(**fields):
    return CaseStudy(
        title="Seoul's one number",
        summary="One phone number for every question.",
        **{
            **GOOD_NARRATIVE,
            **fields,
        },
    )


def test_a_complete_plain_standalone_case_passes_every_check():
    assert [check.passed for check in acceptance_checklist(good_case())] == [True, True, True]


def test_long_sentences_throughout_fail_plain_language():
    rambling = " ".join(["the programme"] * 15) + "."  # 30 words a sentence; the summary has 6
    check = check_plain_language(good_case(**dict.fromkeys(GOOD_NARRATIVE, rambling)))
    assert not check.passed
    assert check.details[0].startswith("Sentences average 28 words")


def test_a_very_long_sentence_is_flagged_even_when_the_average_is_fine():
    check = check_plain_language(good_case(overview=" ".join(["word"] * 45) + "."))
    assert check.passed
    assert "1 sentence is longer than 40 words." in check.details


def test_jargon_fails_plain_language_and_is_named():
    check = check_plain_language(good_case(replication="We leverage synergies going forward."))
    assert not check.passed
    assert "going forward, leverage, synergies" in " ".join(check.details)


def test_empty_sections_are_named():
    check = check_sections_filled(good_case(replication="", lessons_learned="   "))
    assert not check.passed
    assert check.details == ["Empty: Replication, Lessons learned."]


@pytest.mark.parametrize(
    "text",
    ["See attached report.", "Please click here for the results.", "Details are in the attachment."],
)
def test_pointing_elsewhere_fails_standalone(text):
    check = check_standalone(good_case(results_impact=text))
    assert not check.passed
    assert "Results and impact points elsewhere" in check.details[0]


def test_a_section_that_is_only_a_link_fails_standalone():
    check = check_standalone(good_case(results_impact="https://example.org/report.pdf"))
    assert not check.passed
    assert check.details == ["Results and impact is only a link."]


def test_a_link_inside_a_sentence_is_fine():
    check = check_standalone(good_case(results_impact="The evaluation (https://example.org/r) found gains."))
    assert check.passed


def test_change_form_shows_pass_and_fail_marks(reviewer_client):
    case = queued("Waiting case", **{**GOOD_NARRATIVE, "replication": ""})
    text = reviewer_client.get(reverse("admin:cases_casestudy_change", args=[case.pk])).content.decode()
    assert "Plain language: passes" in text
    assert "Every section filled: needs attention" in text
    assert "Empty: Replication." in text


# --- Queries --------------------------------------------------------------------------------------


def count_queue_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(QUEUE_URL).status_code == 200
    return len(queries)


def test_queue_queries_do_not_grow_with_rows(reviewer_client, django_assert_max_num_queries):
    # One title for all, so that every row has duplicates to show on every database.
    for _number in range(3):
        queued("Virtual Singapore digital twin")
    few = count_queue_queries(reviewer_client)
    for number in range(12):
        queued("Virtual Singapore digital twin", status="in_review", age_days=number)
    with django_assert_max_num_queries(few):
        text = reviewer_client.get(QUEUE_URL).content.decode()
    assert text.count("14 possible duplicates") == 15

"""A revision's differences in words (cases/admin/revision_diff.py), for each kind of value a case holds."""

import pytest

from cases.admin.revision_diff import Names, describe_changes, is_first_version
from cases.models import Economy
from tests.factories import CaseStudyFactory, UserFactory

pytestmark = pytest.mark.django_db


def words(changes, user=None):
    return [str(difference) for difference in describe_changes(changes, Names([changes], user))]


def test_a_short_text_reads_before_and_after():
    assert words({"title": ["Old title", "New title"]}) == ["Title: “Old title” → “New title”"]


def test_an_emptied_field_says_empty():
    assert words({"website": ["https://example.org/", ""]}) == ["Website: “https://example.org/” → (empty)"]


def test_a_choice_reads_as_its_label():
    assert words({"status": ["in_review", "published"]}) == ["Status: In review → Published"]
    assert words({"level": ["national", "local"]}) == ["Level of government: National / federal → Local"]


def test_a_yes_or_no_reads_as_yes_or_no():
    assert words({"is_featured": [False, True]}) == ["Featured: no → yes"]


def test_a_year_is_not_grouped_like_an_amount():
    assert words({"year_launched": [2014, 2016]}) == ["Year launched: 2014 → 2016"]


def test_a_date_reads_as_a_date():
    assert words({"last_verified": [None, "2025-03-01"]}) == ["Last verified: (empty) → March 1, 2025"]


def test_codes_of_a_vocabulary_read_as_names():
    assert words({"sectors": [["education"], ["education", "health"]]}) == ["Sectors: added Health"]
    assert words({"other_economies": [["JP", "SG"], ["JP"]]}) == ["Other economies: removed Singapore"]
    assert words({"sdgs": [[], ["3"]]}) == ["SDGs: added 3. Good health and well-being"]
    assert words({"economy": ["SG", "JP"]}) == ["Primary economy: Singapore → Japan"]


def test_an_outcome_added_removed_and_changed():
    before = [
        {"indicator": "Families served", "value": "1000", "unit": "families", "baseline": None},
        {"indicator": "Days to a permit", "value": "45", "unit": "days", "baseline": None},
    ]
    after = [
        {"indicator": "Families served", "value": "1000000000", "unit": "families", "baseline": None},
        {"indicator": "Complaints", "value": "12.5", "unit": "%", "baseline": "20"},
    ]
    assert words({"outcomes": [before, after]}) == [
        "Outcomes: added “Complaints: 12.5 % (baseline 20)”; removed “Days to a permit: 45 days”; "
        "“Families served”: value 1,000 → 1,000,000,000"
    ]


def test_rows_in_another_order_say_reordered():
    rows = [{"title": "A", "url": "https://a.example/"}, {"title": "B", "url": "https://b.example/"}]
    assert words({"resources": [rows, rows[::-1]]}) == ["Supporting links: reordered"]


def test_a_long_text_shows_the_passage_that_changed_with_context():
    before = (
        "The pilot began in 2019 in three districts. " * 3 + "It served 1,200 families in its first year."
    )
    after = "The pilot began in 2019 in three districts. " * 3 + "It served 1,500 families in its first year."
    assert words({"overview": [before, after]}) == [
        "Overview: “…three districts. It served 1,200 families in its first…” → "
        "“…three districts. It served 1,500 families in its first…”"
    ]


def test_a_rewritten_text_says_so():
    before = "An entirely different account of the case, told from the ministry's side of things. " * 2
    after = "Nothing here is the same: new words, new order, new facts about how residents used it. " * 2
    (text,) = words({"overview": [before, after]})
    assert text.startswith("Overview: rewritten: “An entirely different account")


def test_a_link_names_the_case_only_for_a_reader_who_may_see_it():
    published = CaseStudyFactory(title="Seen by all")
    draft = CaseStudyFactory(title="Japan's draft", economy=Economy.objects.get(iso2="JP"), status="draft")
    changes = {"links": [[], [["adapted_from", published.pk], ["related_to", draft.pk]]]}
    curator = UserFactory(is_superuser=True)
    editor = UserFactory(username="sg-only", is_staff=True)
    assert words(changes, curator) == [
        "Links to other cases: added Adapted from “Seen by all”, Related to “Japan's draft”"
    ]
    assert words(changes, editor) == [
        "Links to other cases: added Adapted from “Seen by all”, Related to a case you may not see"
    ]
    assert words(changes, None) == [
        "Links to other cases: added Adapted from a case you may not see, Related to a case you may not see"
    ]


def test_a_key_this_module_does_not_know_is_still_described():
    assert words({"translation_status": ["draft", "reviewed"]}) == [
        "Translation status: “draft” → “reviewed”"
    ]


def test_the_first_version_is_told_apart():
    assert is_first_version({"title": [None, "A"], "sectors": [None, ["health"]]})
    assert not is_first_version({"title": ["A", "B"]})
    assert not is_first_version({})


def test_names_are_looked_up_once_for_many_revisions(django_assert_num_queries):
    many = [{"sectors": [["education"], ["health"]], "economy": ["SG", "JP"]} for _n in range(20)]
    with django_assert_num_queries(2):  # sectors, economies
        Names(many, None)

"""Titles of a selection (cases/site/titles.py): what the library's heading and the feed's title say."""

import pytest
from django.http import QueryDict
from django.utils import translation

from cases.filters import CaseStudyFilterSet
from cases.models import CaseStudy
from cases.site.titles import selection_title

pytestmark = pytest.mark.django_db


def title_of(query: str) -> str | None:
    return selection_title(CaseStudyFilterSet(QueryDict(query), queryset=CaseStudy.objects.published()))


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("sector=health&region=035&year_from=2015", "Health cases in South-eastern Asia since 2015"),
        ("sector=health&sector=education", "Education or Health cases"),  # in the vocabulary's order
        ("sector=education&sector=health", "Education or Health cases"),
        ("sector=health&theme=digital-government", "Health and Digital government cases"),
        ("economy=SG", "Cases in Singapore"),
        ("year_from=2010&year_to=2020", "Cases launched from 2010 to 2020"),
        ("year_to=2020", "Cases launched until 2020"),
        ("q=telemedicine", "Cases matching “telemedicine”"),
        ("stage=implementation&level=local", "Local and Implementation cases"),
        ("sdg=3", "Good health and well-being cases"),
        ("economy=SG&economy=JP&economy=MY", "Cases in 3 economies"),
    ],
)
def test_a_selection_is_named_from_its_cleaned_values(query, title):
    assert title_of(query) == title


def test_no_selection_has_no_title_of_its_own():
    assert title_of("") is None
    assert title_of("sort=title&page=2") is None


def test_an_invalid_selection_has_no_title():
    assert title_of("economy=ZZ") is None


def test_a_title_is_in_the_readers_language():
    with translation.override("ja"):
        title = title_of("sector=health")
    assert title != "Health cases"
    assert "Health" not in title

"""An economy profile with a handful of cases (issue 19): below EconomyDetailView.year_list_below cases with
a year launched, the cases-per-year chart (bars of one) gives way to a list of the years and their cases,
server-rendered and linked, in the reader's language and era; from the threshold up, the chart and its table
as before. Unpublished cases are never listed, counted, or let tip the profile over the threshold."""

import re
from html import unescape

import pytest

from cases.models import CaseTranslation, Economy, Status, TranslationStatus
from cases.models.translations import TRANSLATED_CASE_FIELDS, text_digest
from cases.site.views import EconomyDetailView
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db

THRESHOLD = EconomyDetailView.year_list_below
UNPUBLISHED = [Status.DRAFT, Status.IN_REVIEW, Status.ARCHIVED, Status.SUBMITTED, Status.CHANGES_REQUESTED]


def mongolian_case(title, year, **fields):
    return CaseStudyFactory(title=title, economy=Economy.objects.get(iso2="MN"), year_launched=year, **fields)


@pytest.fixture
def few_cases():
    """Four published Mongolian cases: two launched in 2016, one in 2019, one in 2021."""
    return [
        mongolian_case("Yurt district e-services", 2016, slug="yurt-e-services"),
        mongolian_case("A herders' weather alert", 2016, slug="herders-weather-alert"),
        mongolian_case("Open budget portal", 2019, slug="open-budget-portal"),
        mongolian_case("Civil registration by mobile van", 2021, slug="registration-van"),
    ]


@pytest.fixture
def hidden_cases():
    """A Mongolian case in every status but published, in a year of its own and in a listed one."""
    return [
        mongolian_case(
            f"Hidden pilot {n}",
            2010 + n if n % 2 else 2016,
            slug=f"hidden-pilot-{n}",
            status=status,
            published_at=None,
        )
        for n, status in enumerate(UNPUBLISHED)
    ]


def profile(client, prefix=""):
    response = client.get(f"{prefix}/economies/mongolia/")
    assert response.status_code == 200
    return response


def year_list(html: str) -> list[tuple[str, list[str]]]:
    """The listed years with the titles under each, in the page's order."""
    section = html.split('<ol class="year-list">', 1)[1].split("</ol>", 1)[0]
    return [
        (year, [unescape(title) for title in re.findall(r"<a [^>]*>([^<]+)</a>", cases)])
        for year, cases in re.findall(
            r'<span class="year-list__label">([^<]+)</span>\s*<ul class="year-list__cases">(.*?)</ul>',
            section,
            re.DOTALL,
        )
    ]


def test_a_profile_with_few_cases_lists_them_by_year_instead_of_a_chart(client, few_cases):
    html = profile(client).content.decode()
    assert year_list(html) == [
        ("2016", ["A herders' weather alert", "Yurt district e-services"]),
        ("2019", ["Open budget portal"]),
        ("2021", ["Civil registration by mobile van"]),
    ]
    # No chart of bars of one: no timeline for the script to draw, and no table of counts.
    assert 'data-chart-kind="timeline"' not in html
    assert 'id="chart-year-caption"' not in html
    assert (
        '<section class="chart chart--year-list" id="chart-year" aria-labelledby="chart-year-title">' in html
    )


def test_each_listed_case_links_to_its_page(client, few_cases):
    html = profile(client).content.decode()
    for case in few_cases:
        assert f'<a href="/cases/{case.slug}/">{case.title}</a>' in unescape(html)


def test_the_list_is_complete_without_javascript(client, few_cases):
    html = profile(client).content.decode()
    section = html.split('id="chart-year"', 1)[1].split("</section>", 1)[0]
    # Nothing hidden until a script runs, nothing for charts.js to take over (it draws section[data-chart]).
    assert " hidden" not in section
    assert "data-chart" not in section
    assert "See these 4 cases in the library" in section


def test_listed_years_are_in_the_readers_era(client, few_cases):
    html = profile(client, "/th").content.decode()
    assert [year for year, _titles in year_list(html)] == ["2559", "2562", "2564"]  # Buddhist Era
    assert 'href="/th/cases/open-budget-portal/"' in html


def test_a_listed_case_shows_its_title_in_the_readers_language_when_translated(client, few_cases):
    case = few_cases[2]
    original = text_digest({name: getattr(case, name) for name in TRANSLATED_CASE_FIELDS})
    CaseTranslation.objects.create(
        case=case,
        language="ja",
        title="公開予算ポータル",
        summary="要約",
        overview="概要",
        translated_by="team",
        reviewed_by="reviewer",
        status=TranslationStatus.PUBLISHED,
        source_digest=original,
    )
    html = profile(client, "/ja").content.decode()
    assert ("2019", ["公開予算ポータル"]) in year_list(html)
    # The untranslated ones keep their original, marked as English for screen readers.
    assert 'lang="en">Civil registration by mobile van</a>' in html


def test_unpublished_cases_are_never_listed_or_counted(client, few_cases, hidden_cases):
    response = profile(client)
    html = response.content.decode()
    assert "Hidden pilot" not in html
    assert [year for year, _titles in year_list(html)] == ["2016", "2019", "2021"]
    assert len(year_list(html)[0][1]) == 2
    assert response.context["case_count"] == 4
    assert "See these 4 cases in the library" in html
    assert "See all 4 case studies in the library" in html


def test_unpublished_cases_do_not_tip_a_profile_over_the_threshold(client, hidden_cases):
    for n in range(THRESHOLD - 1):
        mongolian_case(f"Published case {n}", 2000 + n, slug=f"published-{n}")
    html = profile(client).content.decode()
    assert len(year_list(html)) == THRESHOLD - 1
    assert 'data-chart-kind="timeline"' not in html


def test_from_the_threshold_up_the_profile_charts_its_years_with_their_table(client, hidden_cases):
    for n in range(THRESHOLD):
        mongolian_case(f"Published case {n}", 2000 + n % 4, slug=f"published-{n}")
    response = profile(client)
    html = response.content.decode()
    assert 'data-chart-kind="timeline"' in html
    assert 'id="chart-year-caption"' in html
    assert '<ol class="year-list">' not in html
    assert [(row["value"], row["count"]) for row in response.context["timeline_rows"]] == [
        ("2000", 3),
        ("2001", 3),
        ("2002", 2),
        ("2003", 2),
    ]
    assert "Hidden pilot" not in html


def test_cases_without_a_year_count_toward_neither_the_list_nor_the_threshold(client, few_cases):
    for n in range(THRESHOLD):
        mongolian_case(f"Undated case {n}", None, slug=f"undated-{n}")
    response = profile(client)
    html = response.content.decode()
    # Four dated cases: still a list, which says that the others are not in it.
    assert len(year_list(html)) == 3
    assert f"{THRESHOLD} cases have no year launched and are not in this list." in html
    assert not any("Undated" in title for _year, titles in year_list(html) for title in titles)
    assert response.context["case_count"] == 4 + THRESHOLD


def test_a_profile_of_only_unpublished_cases_has_neither_list_nor_chart_bars(client, hidden_cases):
    html = profile(client).content.decode()
    assert '<ol class="year-list">' not in html
    assert "Hidden pilot" not in html
    assert "No published case studies yet." in html


def test_the_list_reads_one_query_whatever_the_number_of_cases(
    client, few_cases, django_assert_max_num_queries
):
    with django_assert_max_num_queries(30) as before:
        profile(client)
    for n in range(THRESHOLD - 1 - len(few_cases)):
        mongolian_case(f"More {n}", 2000 + n, slug=f"more-{n}")
    with django_assert_max_num_queries(len(before.captured_queries)):
        html = profile(client).content.decode()
    assert sum(len(titles) for _year, titles in year_list(html)) == THRESHOLD - 1

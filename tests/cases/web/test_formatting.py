"""Numbers for reading (cases/web/formatting.py): one function, the `readable_number` filter on the public
pages and the admin's columns, so `1000000000.0000` reads `1,000,000,000` everywhere; dates and years in the
era the reader counts in."""

import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from cases.site.pages import AccessibilityStatementView
from cases.web.formatting import _EraDateFormat, format_date, format_number, format_year
from tests.factories import CaseStudyFactory, OutcomeFactory


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1000000000.0000"), "1,000,000,000"),
        (Decimal("12.5000"), "12.5"),
        (Decimal("-1234.5600"), "-1,234.56"),
        (Decimal("0.0001"), "0.0001"),
        (Decimal("0.0000"), "0"),
        (Decimal("-0.0000"), "0"),
        (Decimal("100.0000"), "100"),
        (Decimal("1E+9"), "1,000,000,000"),
        (Decimal("123456789012345.6789"), "123,456,789,012,345.6789"),
        (1200, "1,200"),
        (0.1, "0.1"),
        ("2500.50", "2,500.5"),
        (None, ""),
        ("", ""),
        ("not a number", "not a number"),
        (Decimal("NaN"), "NaN"),
    ],
)
def test_format_number(value, expected):
    assert format_number(value) == expected


def test_the_template_filter_is_the_same_function():
    template = Template("{% load readable_numbers %}{{ value|readable_number }}")
    assert template.render(Context({"value": Decimal("1000000000.0000")})) == "1,000,000,000"


@pytest.mark.django_db
def test_the_case_page_shows_outcomes_for_reading(client):
    case = CaseStudyFactory(slug="big-numbers")
    OutcomeFactory(case=case, indicator="Transactions", value=Decimal("1000000000"), unit="a year")
    OutcomeFactory(case=case, indicator="Days to a permit", value=Decimal("12.5"), baseline=Decimal("45"))
    text = client.get(case.get_absolute_url()).content.decode()
    assert "<td>1,000,000,000 a year</td>" in text
    assert "<td>12.5 people</td>" in text
    assert "<td>45 people</td>" in text
    for unreadable in ("1000000000.0000", "1E+9", "12.5000", "45.0000"):
        assert unreadable not in text


@pytest.mark.django_db
def test_the_compare_page_shows_outcomes_for_reading(client):
    first = CaseStudyFactory(slug="first")
    CaseStudyFactory(slug="second")
    OutcomeFactory(
        case=first, indicator="Transactions", value=Decimal("1000000000"), baseline=Decimal("2500")
    )
    text = client.get("/compare/", {"cases": "first,second"}).content.decode()
    assert "Transactions: 1,000,000,000 people" in text
    assert "from 2,500 people" in text
    assert "1E+9" not in text


# --- Dates and years in the reader's era ----------------------------------------------------------------

EN_DASH = "\u2013"  # between the years a case ran


@pytest.mark.parametrize(
    ("language", "expected_date", "expected_month", "expected_year"),
    [
        ("en", "Dec. 7, 2026", "December 2026", "2015"),
        ("th", "7 ธันวาคม 2569", "ธันวาคม 2569", "2558"),
        ("ja", "2026年12月7日", "2026年12月", "2015"),
        ("vi", "Ngày 07 tháng 12 năm 2026", "Tháng 12 2026", "2015"),
    ],
)
def test_dates_and_years_are_written_in_the_era_the_reader_counts_in(
    language, expected_date, expected_month, expected_year
):
    with translation.override(language):
        assert format_date(datetime.date(2026, 12, 7)) == expected_date
        assert format_date(datetime.date(2026, 12, 7), "YEAR_MONTH_FORMAT") == expected_month
        assert format_year(2015) == expected_year
        assert format_year("2015") == expected_year


def test_every_format_character_of_a_year_moves_to_the_era_and_nothing_else_does():
    with translation.override("th"):
        assert format_date(datetime.date(2026, 12, 7), "SHORT_DATE_FORMAT") == "7 ธ.ค. 2569"
        # A Thai reader's short year is the Buddhist Era's too (69, not 26); the ISO week's year as well.
        assert _EraDateFormat(datetime.date(2026, 12, 7), 543).format("y o d m") == "69 2569 07 12"
    assert format_year(None) == format_year("") == ""
    assert format_year("not a year") == "not a year"
    assert format_date("not a date") == format_date(None) == ""


@pytest.mark.django_db
def test_the_fixed_pages_date_themselves_in_the_readers_era(client):
    # The accessibility statement's review date (and the open-data page's releases, the same filter).
    with translation.override("th"):
        reviewed = format_date(AccessibilityStatementView.reviewed_on)
    assert reviewed.endswith(str(AccessibilityStatementView.reviewed_on.year + 543))
    assert reviewed in client.get("/th/accessibility/").content.decode()
    assert str(AccessibilityStatementView.reviewed_on.year) in client.get("/accessibility/").content.decode()


def test_the_template_filters_are_the_same_functions():
    template = Template(
        "{% load readable_numbers %}{{ day|readable_date:'DATE_FORMAT' }} / {{ year|readable_year }} / "
        "{{ day|date:'Y-m-d' }}"
    )
    with translation.override("th"):
        rendered = template.render(Context({"day": datetime.date(2026, 12, 7), "year": 2015}))
    # Django's own `date` filter stays Gregorian: what a <time datetime> or an address needs.
    assert rendered == "7 ธันวาคม 2569 / 2558 / 2026-12-07"


@pytest.mark.django_db
def test_a_thai_reader_reads_buddhist_era_years_and_machines_read_gregorian_ones(client):
    case = CaseStudyFactory(
        slug="era", year_launched=2015, year_ended=2020, last_verified=datetime.date(2026, 12, 7)
    )
    OutcomeFactory(case=case, indicator="Permits", value=Decimal("10"), date=datetime.date(2024, 3, 1))
    CaseStudyFactory(slug="other", year_launched=2015)
    page = client.get("/th/cases/era/").content.decode()
    assert f"2558{EN_DASH}2563" in page
    assert '<time datetime="2026-12-07">7 ธันวาคม 2569</time>' in page
    assert '<time datetime="2024-03-01">มีนาคม 2567</time>' in page
    english = client.get("/cases/era/").content.decode()
    assert f"2015{EN_DASH}2020" in english
    assert "2558" not in english
    # The cards (a related case, the library) and the comparison.
    library = client.get("/th/cases/").content.decode()
    assert "ตั้งแต่ปี 2558" in library
    compare = client.get("/th/compare/", {"cases": "era,other"}).content.decode()
    assert f"2558{EN_DASH}2563" in compare
    # The statistics: a year's label in the era, its value (the library's parameter) Gregorian.
    stats = client.get("/api/v1/stats/", {"lang": "th"}).json()
    assert {"value": "2015", "label": "2558", "count": 2} in stats["by_year"]
    assert "year_from=2015" in client.get("/th/stats/").content.decode()


@pytest.mark.django_db
def test_the_library_names_its_years_in_the_readers_era(client):
    CaseStudyFactory(year_launched=2016)
    page = client.get("/th/cases/", {"year_from": "2015", "year_to": "2020"}).content.decode()
    # The selection's title and the chips that remove a filter; the form's fields keep what was typed.
    assert "2558" in page.split("</title>")[0]
    assert "2563" in page.split("</title>")[0]
    assert 'value="2015"' in page
    body = page.split("</title>")[1]
    assert body.count("2558") >= 2  # the heading and the chip removing "from"
    feed = client.get("/th/feeds/cases/", {"year_from": "2015"})
    assert feed.status_code == 200
    assert "2558" in feed.content.decode()

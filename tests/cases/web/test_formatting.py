"""Numbers for reading (cases/web/formatting.py): one function, the `readable_number` filter on the public
pages and the admin's columns, so `1000000000.0000` reads `1,000,000,000` everywhere."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from cases.web.formatting import format_number
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

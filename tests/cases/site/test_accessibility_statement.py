"""The accessibility statement names the page types the browser tests check (issue 19): the About page, the
open data page and the others added since it was written (tests/browser/test_site_accessibility.py)."""

import pytest

pytestmark = pytest.mark.django_db

CHECKED_PAGE_TYPES = [
    "home",
    "about the Observatory",
    "library with and without filters and results",
    "case",
    "the lists of economies, themes and sectors and the page of each",
    "statistics",
    "comparison",
    "submission form with its errors and its confirmation",
    "open data",
    "API documentation",
    "error pages",
    "the privacy notice",
    "pages in a language other than English",
]


@pytest.mark.parametrize("page_type", CHECKED_PAGE_TYPES)
def test_the_statement_names_each_page_type_the_browser_tests_check(client, page_type):
    text = client.get("/accessibility/").content.decode()
    how_we_test = text.split('id="how-we-test"', 1)[1].split('id="limitations"', 1)[0]
    assert page_type in how_we_test

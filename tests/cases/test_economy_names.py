"""One name for each economy everywhere (issue 19): Viet Nam as the APO and the United Nations write it, in
the reference data, the demo catalogue, the sources and every page and API answer that names it.

"Vietnamese" (the language) and proper names that contain the word ("Vietnam News Agency", "Vietnamnet") are
not the economy's name and may stay as written.
"""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from cases.interchange.reference_data import read_reference
from cases.models import CaseStudy, Economy

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# The economy's other English spelling; the news agency is an organisation's own name.
OTHER_SPELLING = re.compile(r"\bVietnam\b(?! News Agency)")
# Where the interface, its data and its documentation are written. Not the Indonesian reference translations,
# where "Vietnam" is the economy's Indonesian name, nor the thesaurus, which maps both spellings on purpose.
SOURCES = [
    "templates",
    "static/js",
    "cases/fixtures/reference/economies.json",
    "cases/fixtures/demo",
    "cases/interchange/data",
    "docs",
]
SOURCE_SUFFIXES = {".html", ".txt", ".js", ".json", ".md", ".py"}


def source_files():
    for source in SOURCES:
        path = ROOT / source
        if path.is_file():
            yield path
        else:
            yield from (found for found in path.rglob("*") if found.suffix in SOURCE_SUFFIXES)


def test_the_reference_data_names_viet_nam_as_the_apo_does():
    (row,) = [row for row in read_reference("economies.json") if row["iso2"] == "VN"]
    assert (row["name"], row["slug"]) == ("Viet Nam", "vietnam")


def test_no_source_writes_the_other_spelling():
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in source_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        # docs/library.md says on purpose that typing the other spelling finds the economy.
        if OTHER_SPELLING.search(line) and "finds" not in line
    ]
    assert found == []


@pytest.fixture(scope="module")
def demo_loaded_once(django_db_setup, django_db_blocker):
    """The demo, loaded once for this module inside a transaction rolled back when the module is done."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", stdout=StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_loaded_once, db):
    return demo_loaded_once


def viet_nam_addresses() -> list[str]:
    economy = Economy.objects.get(iso2="VN")
    slugs = list(CaseStudy.objects.published().filter(economy=economy).values_list("slug", flat=True))
    assert slugs, "the demo has cases of Viet Nam"
    return [
        reverse("cases:home"),
        reverse("cases:casestudy_list"),
        reverse("cases:casestudy_list") + f"?economy={economy.iso2}",
        reverse("cases:economy_list"),
        reverse("cases:economy_detail", args=[economy.slug]),
        *(reverse("cases:casestudy_detail", args=[slug]) for slug in slugs),
        reverse("cases:compare") + "?cases=" + ",".join(slugs),
        reverse("cases:stats"),
        "/api/v1/economies/",
        f"/api/v1/cases/?economy={economy.iso2}",
        "/api/v1/stats/",
    ]


def test_the_demo_catalogue_names_the_economy_viet_nam(demo):
    assert Economy.objects.get(iso2="VN").name == "Viet Nam"
    assert not Economy.objects.filter(name="Vietnam").exists()


def test_every_page_naming_the_economy_writes_viet_nam(demo, client):
    for address in viet_nam_addresses():
        response = client.get(address)
        assert response.status_code == 200, address
        text = response.content.decode()
        assert "Viet Nam" in text, address
        assert not OTHER_SPELLING.search(text), address

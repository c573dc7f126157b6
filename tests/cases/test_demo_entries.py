"""The demo's methods, toolkits and the methods each case used (cases/fixtures/demo/methods.json,
toolkits.json, case-methods.json) load completely and idempotently, and a bad record stops the load with
nothing written (issue 18).

The files are for people; these tests check that the database gets what they say, that every demo case
names how it was done and who led it, and that a second load records no second revision.
"""

import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

import cases
from cases.models import (
    CaseMethod,
    CaseOrganisation,
    CaseStudy,
    CaseToolkit,
    EntryRevision,
    EntryStatus,
    Method,
    MethodPurpose,
    Organisation,
    Toolkit,
    ToolkitLanguage,
    ToolkitPurpose,
)
from cases.models.methods import OrganisationRole
from cases.services import organisation_name_key

pytestmark = pytest.mark.django_db

DEMO_DIR = Path(cases.__file__).resolve().parent / "fixtures" / "demo"


def read(name: str) -> list[dict]:
    return json.loads((DEMO_DIR / name).read_text(encoding="utf-8"))


def demo_case_slugs() -> set[str]:
    return {
        record["slug"] for path in DEMO_DIR.glob("cases-*.json") for record in json.loads(path.read_text())
    }


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture(scope="module")
def demo_loaded_once(django_db_setup, django_db_blocker):
    """The demo, loaded once for this module inside a transaction rolled back when the module is done; each
    test runs in a savepoint inside it, so one that loads the demo again leaves nothing for the next."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield load_demo()
        transaction.set_rollback(True)


@pytest.fixture
def loaded(demo_loaded_once, db):
    return demo_loaded_once


def snapshot() -> dict:
    """Everything a second load must leave alone: counts, revisions, and the rows' identities and times."""
    models = [
        Method,
        MethodPurpose,
        Toolkit,
        ToolkitPurpose,
        ToolkitLanguage,
        CaseMethod,
        CaseToolkit,
        Organisation,
        CaseOrganisation,
        EntryRevision,
    ]
    return {
        "counts": {model.__name__: model.objects.count() for model in models},
        "methods_updated": dict(Method.objects.values_list("slug", "updated_at")),
        "toolkits_updated": dict(Toolkit.objects.values_list("slug", "updated_at")),
        "case_method_ids": sorted(CaseMethod.objects.values_list("pk", flat=True)),
        "case_toolkit_ids": sorted(CaseToolkit.objects.values_list("pk", flat=True)),
        "revision_ids": sorted(EntryRevision.objects.values_list("pk", flat=True)),
    }


# --- A bad record ---------------------------------------------------------------------------------
# First in the module, so that they run before the module's demo is loaded: "nothing written" is then checked
# against an empty catalogue (and against whatever is there, if they run in another order).


def demo_copy(tmp_path: Path, monkeypatch) -> Path:
    """A copy of the demo folder the command reads instead of the real one."""
    folder = tmp_path / "demo"
    shutil.copytree(DEMO_DIR, folder)
    monkeypatch.setattr("cases.management.commands.load_demo.DEMO_DIR", folder)
    return folder


def break_record(folder: Path, name: str, index: int, **changes) -> dict:
    records = json.loads((folder / name).read_text(encoding="utf-8"))
    records[index].update(changes)
    (folder / name).write_text(json.dumps(records), encoding="utf-8")
    return records[index]


@pytest.mark.parametrize(
    ("name", "index", "changes", "field", "says"),
    [
        ("methods.json", 2, {"discipline": "astrology"}, "discipline", "is not a valid choice"),
        ("methods.json", 0, {"purposes": ["understand", "levitate"]}, "purposes", "levitate"),
        ("methods.json", 1, {"summary": "x" * 301}, "summary", "at most 300 characters"),
        ("toolkits.json", 3, {"url": "http://example.org/guide"}, "url", "https://"),
        ("toolkits.json", 4, {"languages": ["en", "xx"]}, "languages", "xx"),
        ("toolkits.json", 5, {"year": None}, "year", "missing"),
        ("toolkits.json", 6, {"methods": ["astrology"]}, "methods", "astrology"),
        ("case-methods.json", 7, {"methods": []}, "methods", "at least one method"),
        (
            "case-methods.json",
            8,
            {"methods": [{"method": "alchemy", "role": "primary"}]},
            "methods",
            "alchemy",
        ),
    ],
)
def test_a_broken_record_is_a_clear_error_and_nothing_is_written(
    db, tmp_path, monkeypatch, name, index, changes, field, says
):
    folder = demo_copy(tmp_path, monkeypatch)
    record = break_record(folder, name, index, **changes)
    slug = record.get("slug") or record["case"]
    before = written()

    with pytest.raises(CommandError) as raised:
        load_demo()

    message = str(raised.value)
    assert name in message, message
    assert f"“{slug}”" in message, message
    assert f"“{field}”" in message, message
    assert says in message, message
    assert written() == before


def test_a_demo_case_without_methods_is_a_clear_error(db, tmp_path, monkeypatch):
    folder = demo_copy(tmp_path, monkeypatch)
    links = json.loads((folder / "case-methods.json").read_text(encoding="utf-8"))
    left_out = links.pop()["case"]
    (folder / "case-methods.json").write_text(json.dumps(links), encoding="utf-8")
    before = written()

    with pytest.raises(CommandError, match=f"case-methods.json, record “{left_out}”, field “case”"):
        load_demo()

    assert written() == before


def written() -> dict:
    """What a load writes: the cases, and every row of methods, toolkits, links and organisations."""
    return {**snapshot(), "cases": dict(CaseStudy.objects.values_list("slug", "updated_at"))}


# --- What gets loaded -----------------------------------------------------------------------------


def test_demo_loads_at_least_15_published_methods_and_20_published_toolkits(loaded):
    assert Method.objects.published().count() >= 15
    assert Toolkit.objects.published().count() >= 20
    assert not Method.objects.exclude(status=EntryStatus.PUBLISHED).exists()
    assert not Toolkit.objects.exclude(status=EntryStatus.PUBLISHED).exists()


def test_methods_and_toolkits_say_what_their_files_say(loaded):
    for record in read("methods.json"):
        method = Method.objects.get(slug=record["slug"])
        assert (method.name, method.discipline, method.complexity) == (
            record["name"],
            record["discipline"],
            record["complexity"],
        )
        assert sorted(method.purposes) == sorted(record["purposes"])
    for record in read("toolkits.json"):
        toolkit = Toolkit.objects.get(slug=record["slug"])
        assert (toolkit.title, toolkit.publisher, toolkit.year, toolkit.url) == (
            record["title"],
            record["publisher"],
            record["year"],
            record["url"],
        )
        assert sorted(toolkit.purposes) == sorted(record["purposes"])
        assert sorted(toolkit.languages) == sorted(record["languages"])
        assert sorted(toolkit.methods.values_list("slug", flat=True)) == sorted(record["methods"])


def test_every_published_method_has_its_steps_strengths_pitfalls_and_sources(loaded):
    gaps = [
        (method.slug, name)
        for method in Method.objects.published()
        for name in ("description", "participants", "steps", "strengths", "pitfalls", "sources")
        if not getattr(method, name).strip()
    ]

    assert gaps == []
    assert all("](https://" in method.sources for method in Method.objects.all())


def test_every_toolkit_has_an_https_address_a_publisher_and_a_year(loaded):
    for toolkit in Toolkit.objects.all():
        assert toolkit.url.startswith("https://"), toolkit.slug
        assert toolkit.publisher.strip(), toolkit.slug
        assert toolkit.year is not None, toolkit.slug
        assert 1990 <= toolkit.year <= 2030, toolkit.slug
        assert toolkit.languages, toolkit.slug


def test_every_demo_case_is_linked_to_at_least_one_method(loaded):
    unlinked = CaseStudy.objects.exclude(method_links__isnull=False).values_list("slug", flat=True)

    assert CaseStudy.objects.count() == len(demo_case_slugs())
    assert list(unlinked) == []


def test_every_case_names_its_methods_as_its_file_says_with_a_note_on_how(loaded):
    for record in read("case-methods.json"):
        links = CaseMethod.objects.filter(case__slug=record["case"]).order_by("position")
        assert [(link.method.slug, link.role, link.note) for link in links] == [
            (link["method"], link["role"], link["note"]) for link in record["methods"]
        ]
        assert links[0].role == "primary"
        assert all(link.note.strip() for link in links)
        toolkits = CaseToolkit.objects.filter(case__slug=record["case"]).order_by("position")
        assert [link.toolkit.slug for link in toolkits] == [link["toolkit"] for link in record["toolkits"]]


def test_every_case_has_its_lead_organisation_entity(loaded):
    for case in CaseStudy.objects.select_related("economy"):
        lead = CaseOrganisation.objects.select_related("organisation").get(
            case=case, role=OrganisationRole.LEAD
        )
        assert organisation_name_key(lead.organisation.name) == organisation_name_key(case.lead_organisation)
        assert lead.organisation.economy_id == case.economy_id


def test_every_method_and_toolkit_has_one_revision_after_the_first_load(loaded):
    entries = [*Method.objects.all(), *Toolkit.objects.all()]

    counts = {(type(entry).__name__, entry.slug): entry_revisions(entry).count() for entry in entries}

    assert set(counts.values()) == {1}


def entry_revisions(entry):
    from django.contrib.contenttypes.models import ContentType

    return EntryRevision.objects.filter(
        content_type=ContentType.objects.get_for_model(type(entry)), object_id=entry.pk
    )


def test_the_load_reports_methods_toolkits_and_organisations(loaded):
    assert "Demo methods and toolkits: methods created " in loaded
    assert "Demo organisations: " in loaded


# --- Idempotent -----------------------------------------------------------------------------------


def test_loading_the_demo_twice_changes_nothing(loaded):
    before = snapshot()

    load_demo()

    assert snapshot() == before


def test_second_load_reports_every_entry_and_link_unchanged(loaded):
    output = load_demo()

    methods, toolkits, links = read("methods.json"), read("toolkits.json"), read("case-methods.json")
    assert (
        f"methods created 0, updated 0, unchanged {len(methods)}; "
        f"toolkits created 0, updated 0, unchanged {len(toolkits)}; "
        f"cases' methods written 0, unchanged {len(links)}." in output
    )
    assert "0 cases linked to their lead organisation (0 organisations created)" in output


def test_an_edited_file_updates_only_what_changed_with_one_more_revision(loaded, tmp_path, monkeypatch):
    folder = demo_copy(tmp_path, monkeypatch)
    methods = json.loads((folder / "methods.json").read_text(encoding="utf-8"))
    methods[0]["summary"] = "A shorter summary, edited by a curator."
    (folder / "methods.json").write_text(json.dumps(methods), encoding="utf-8")
    edited = Method.objects.get(slug=methods[0]["slug"])
    revisions = EntryRevision.objects.count()

    output = load_demo()

    edited.refresh_from_db()
    assert edited.summary == "A shorter summary, edited by a curator."
    assert EntryRevision.objects.count() == revisions + 1
    assert entry_revisions(edited).first().changes["summary"][1] == "A shorter summary, edited by a curator."
    assert f"methods created 0, updated 1, unchanged {len(methods) - 1}" in output

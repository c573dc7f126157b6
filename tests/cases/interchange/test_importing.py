"""Importing case records: validated, all-or-nothing, idempotent."""

import pytest

from cases.interchange.importing import ImportRejected, import_case_records
from cases.models import CaseLink, CaseStudy, Economy, Outcome, Resource, Status, Theme
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db


def record(slug="mobile-clinics", **overrides):
    """A complete, valid record in the demo/export format."""
    values = {
        "slug": slug,
        "title": f"Mobile clinics ({slug})",
        "summary": "Clinics on wheels reach villages without a hospital.",
        "overview": "Buses fitted as clinics visit remote villages on a fixed timetable.",
        "results_impact": "More check-ups in the villages served.",
        "lead_organisation": "Ministry of Health",
        "organisation_type": "government",
        "economy": "TH",
        "other_economies": ["LA"],
        "level": "national",
        "sectors": ["health"],
        "themes": ["service-design"],
        "facets": ["enhancement-oriented"],
        "sdgs": [3],
        "stage": "implementation",
        "year_launched": 2019,
        "year_ended": None,
        "website": "https://example.org/clinics",
        "licence": "CC BY 4.0",
        "source": "Ministry of Health annual report",
        "last_verified": "2025-01-31",
        "outcomes": [
            {
                "indicator": "Check-ups",
                "value": 12500,
                "unit": "visits",
                "baseline": 4000.5,
                "date": "2024-12-31",
                "source_url": "https://example.org/report",
            },
        ],
        "resources": [{"title": "Programme page", "url": "https://example.org/clinics/about"}],
        "links": [],
    }
    values.update(overrides)
    return values


def database_counts():
    return {
        "cases": CaseStudy.objects.count(),
        "outcomes": Outcome.objects.count(),
        "resources": Resource.objects.count(),
        "links": CaseLink.objects.count(),
    }


def row_ids():
    return {
        model.__name__: sorted(model.objects.values_list("pk", flat=True))
        for model in (Outcome, Resource, CaseLink)
    }


def rejected_errors(records, **kwargs):
    """Import `records`, expecting rejection; returns the report's (row, reason) list."""
    with pytest.raises(ImportRejected) as caught:
        import_case_records(records, **kwargs)
    return caught.value.report.errors


# --- A good record --------------------------------------------------------------------------------


def test_good_record_creates_a_case():
    report = import_case_records([record()])

    case = CaseStudy.objects.get(slug="mobile-clinics")
    assert (report.created, report.updated, report.unchanged) == (1, 0, 0)
    assert case.economy.iso2 == "TH"
    assert [economy.iso2 for economy in case.other_economies.all()] == ["LA"]
    assert [sector.slug for sector in case.sectors.all()] == ["health"]
    assert [sdg.number for sdg in case.sdgs.all()] == [3]
    assert case.outcomes.get().indicator == "Check-ups"
    assert case.resources.get().url == "https://example.org/clinics/about"


def test_imported_case_without_status_is_published_with_a_date():
    import_case_records([record()])

    case = CaseStudy.objects.get(slug="mobile-clinics")
    assert case.status == Status.PUBLISHED
    assert case.published_at is not None


def test_imported_draft_is_not_published():
    import_case_records([record(status="draft")])

    assert not CaseStudy.objects.published().filter(slug="mobile-clinics").exists()
    assert CaseStudy.objects.get(slug="mobile-clinics").published_at is None


def test_link_to_case_in_the_same_batch_is_created():
    import_case_records(
        [
            record("original"),
            record("copy", links=[{"relation": "adapted_from", "target": "original"}]),
        ]
    )

    link = CaseLink.objects.get()
    assert (link.from_case.slug, link.relation, link.to_case.slug) == ("copy", "adapted_from", "original")


def test_link_to_case_already_in_the_database_is_created():
    CaseStudyFactory(slug="existing-case")

    import_case_records([record(links=[{"relation": "related_to", "target": "existing-case"}])])

    assert CaseLink.objects.get().to_case.slug == "existing-case"


# --- Idempotent -----------------------------------------------------------------------------------


def test_importing_the_same_records_twice_leaves_everything_unchanged():
    records = [record("original"), record("copy", links=[{"relation": "adapted_from", "target": "original"}])]
    import_case_records(records)
    updated_at = dict(CaseStudy.objects.values_list("slug", "updated_at"))
    ids = row_ids()

    report = import_case_records(records)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert dict(CaseStudy.objects.values_list("slug", "updated_at")) == updated_at
    assert row_ids() == ids


def test_changed_record_is_reported_updated():
    import_case_records([record()])

    report = import_case_records([record(title="Mobile clinics, renamed")])

    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    assert CaseStudy.objects.get(slug="mobile-clinics").title == "Mobile clinics, renamed"


# --- One bad row rejects the batch ------------------------------------------------------------------


BAD_ROWS = {
    "unknown economy": ({"economy": "ZZ"}, "unknown economy: ZZ"),
    "unknown sector": ({"sectors": ["astrology"]}, "unknown sector: astrology"),
    "missing title": ({"title": ""}, "'title' is missing"),
    "year ended before launched": ({"year_launched": 2020, "year_ended": 2019}, "year_ended"),
    "link to unknown slug": (
        {"links": [{"relation": "adapted_from", "target": "no-such-case"}]},
        "link target 'no-such-case' is not a known case",
    ),
}


@pytest.mark.parametrize(("overrides", "reason"), BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_batch_with_a_bad_row_is_rejected_naming_row_and_reason(overrides, reason):
    errors = rejected_errors([record("first"), record("second", **overrides), record("third")])

    assert len(errors) == 1
    row, message = errors[0]
    assert row == 2
    assert reason in message


@pytest.mark.parametrize(("overrides", "reason"), BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_batch_with_a_bad_row_writes_nothing(overrides, reason):
    CaseStudyFactory(slug="first", title="Before the import")
    before = database_counts()

    rejected_errors([record("first"), record("second", **overrides), record("third")])

    assert database_counts() == before
    assert CaseStudy.objects.get(slug="first").title == "Before the import"
    assert not CaseStudy.objects.filter(slug__in=["second", "third"]).exists()


def test_year_ended_before_launched_is_explained_in_words():
    errors = rejected_errors([record(year_launched=2020, year_ended=2019)])

    assert errors == [(1, "year_ended: The year it ended cannot be before the year it was launched.")]


def test_duplicate_slug_in_the_batch_is_rejected_naming_both_rows():
    errors = rejected_errors([record("first"), record("twice"), record("twice")])

    assert errors == [(3, "slug 'twice' also used by row 2")]


def test_duplicate_slug_in_the_batch_writes_nothing():
    before = database_counts()

    rejected_errors([record("first"), record("twice"), record("twice")])

    assert database_counts() == before


def test_every_bad_row_is_reported():
    errors = rejected_errors([record("first", economy="ZZ"), record("second"), record("third", title="")])

    assert [row for row, _reason in errors] == [1, 3]


def test_rejection_message_names_row_and_reason():
    with pytest.raises(ImportRejected) as caught:
        import_case_records([record("first"), record("second", economy="ZZ")])

    assert str(caught.value) == "row 2: unknown economy: ZZ"


# --- Dry run --------------------------------------------------------------------------------------


def test_dry_run_reports_creation_without_writing():
    before = database_counts()

    report = import_case_records([record("first"), record("second")], dry_run=True)

    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    assert report.dry_run
    assert database_counts() == before


def test_dry_run_reports_update_without_writing():
    import_case_records([record()])

    report = import_case_records([record(title="A new title")], dry_run=True)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    assert CaseStudy.objects.get(slug="mobile-clinics").title == "Mobile clinics (mobile-clinics)"


def test_dry_run_summary_says_would():
    report = import_case_records([record()], dry_run=True)

    assert report.summary() == "would create 1, would update 0, unchanged 0, rejected rows 0"


def test_dry_run_of_a_bad_batch_is_rejected_too():
    errors = rejected_errors([record(economy="ZZ")], dry_run=True)

    assert errors == [(1, "unknown economy: ZZ")]


# --- Matching by external id ------------------------------------------------------------------------


def test_external_id_match_updates_the_existing_case():
    import_case_records([record(external_id="partner-42")])
    case = CaseStudy.objects.get(external_id="partner-42")

    report = import_case_records([record(external_id="partner-42", title="Renamed at the partner")])

    assert (report.created, report.updated) == (0, 1)
    assert CaseStudy.objects.get(pk=case.pk).title == "Renamed at the partner"


def test_external_id_match_updates_the_existing_case_even_with_a_changed_slug():
    import_case_records([record("old-slug", external_id="partner-42")])
    case = CaseStudy.objects.get(external_id="partner-42")

    report = import_case_records([record("new-slug", external_id="partner-42")])

    assert (report.created, report.updated) == (0, 1)
    assert CaseStudy.objects.count() == 1
    assert CaseStudy.objects.get(pk=case.pk).slug == "new-slug"


# --- Keys a record leaves out ------------------------------------------------------------------------


def test_absent_key_leaves_an_existing_cases_field_alone():
    import_case_records([record(website="https://example.org/kept", themes=["service-design"])])
    partial = record()
    del partial["website"], partial["themes"]

    report = import_case_records([partial])

    case = CaseStudy.objects.get()
    assert (report.updated, report.unchanged) == (0, 1)
    assert case.website == "https://example.org/kept"
    assert [theme.slug for theme in case.themes.all()] == ["service-design"]


def test_null_clears_a_field():
    import_case_records([record(website="https://example.org/gone")])

    import_case_records([record(website=None)])

    assert CaseStudy.objects.get().website == ""


def test_new_case_without_status_takes_the_default_status_given():
    import_case_records([record()], default_status=Status.DRAFT)

    assert CaseStudy.objects.get().status == Status.DRAFT


def test_existing_case_without_status_in_the_record_keeps_its_status():
    CaseStudyFactory(slug="mobile-clinics", status=Status.ARCHIVED)
    without_status = record()

    import_case_records([without_status], default_status=Status.DRAFT)

    assert CaseStudy.objects.get().status == Status.ARCHIVED


# --- History and permissions --------------------------------------------------------------------------


def test_created_and_updated_cases_get_an_imported_revision_unchanged_ones_none():
    from cases.models import CaseRevision, RevisionAction

    import_case_records([record("first"), record("second")], source="cases.json")
    import_case_records([record("first", title="Renamed"), record("second")], source="cases.json")

    revisions = CaseRevision.objects.order_by("id")
    assert [(r.case.slug, r.action) for r in revisions] == [
        ("first", RevisionAction.IMPORTED),
        ("second", RevisionAction.IMPORTED),
        ("first", RevisionAction.IMPORTED),
    ]
    assert list(revisions.last().changes) == ["title"]
    assert revisions.last().message == "Imported from cases.json (row 1): updated"


def economy_editor(*iso2):
    from django.contrib.auth.models import Group

    from cases.curation.roles import ECONOMY_EDITOR
    from cases.models import Economy, EditorProfile
    from tests.factories import UserFactory

    user = UserFactory(username="editor", is_staff=True)
    user.groups.add(Group.objects.get(name=ECONOMY_EDITOR))
    EditorProfile.objects.create(user=user).economies.set(Economy.objects.filter(iso2__in=iso2))
    return user


def test_economy_editor_may_import_drafts_of_their_economy():
    report = import_case_records([record(status="draft")], user=economy_editor("TH"))

    assert report.created == 1
    assert CaseStudy.objects.get().created_by.username == "editor"


def test_economy_editor_may_not_import_another_economys_case():
    errors = rejected_errors([record(status="draft", economy="JP")], user=economy_editor("TH"))

    assert errors == [
        (
            1,
            "Japan (JP) is not one of your economies: "
            "you may import only cases of the economies you look after",
        )
    ]


def test_economy_editor_may_not_move_another_economys_case_into_theirs():
    CaseStudyFactory(slug="mobile-clinics", economy=Economy.objects.get(iso2="JP"), status=Status.DRAFT)

    errors = rejected_errors([record(status="draft", economy="TH")], user=economy_editor("TH"))

    # Worded as a clash with any other case: the editor learns nothing about the hidden case or economy.
    assert errors == [(1, "slug 'mobile-clinics' belongs to another case already")]
    assert CaseStudy.objects.get().economy.iso2 == "JP"


def test_a_hidden_case_clashes_in_the_same_words_as_a_visible_one():
    thailand, japan = Economy.objects.get(iso2="TH"), Economy.objects.get(iso2="JP")
    CaseStudyFactory(slug="ours", external_id="E1", economy=thailand, status=Status.DRAFT)
    CaseStudyFactory(slug="visible-taken", economy=thailand, status=Status.DRAFT)
    CaseStudyFactory(slug="hidden-taken", economy=japan, status=Status.DRAFT)
    editor = economy_editor("TH")

    visible = rejected_errors([record("visible-taken", external_id="E1", status="draft")], user=editor)
    hidden = rejected_errors([record("hidden-taken", status="draft")], user=editor)

    assert visible == [(1, "slug 'visible-taken' belongs to another case already")]
    assert hidden == [(1, "slug 'hidden-taken' belongs to another case already")]


def test_a_hidden_external_id_clashes_without_naming_its_economy():
    CaseStudyFactory(
        slug="theirs", external_id="JP-7", economy=Economy.objects.get(iso2="JP"), status="draft"
    )

    errors = rejected_errors([record("ours", external_id="JP-7", status="draft")], user=economy_editor("TH"))

    assert errors == [(1, "external_id 'JP-7' belongs to another case already")]


def test_a_hidden_link_target_reads_exactly_as_a_missing_one():
    CaseStudyFactory(slug="japanese-draft", economy=Economy.objects.get(iso2="JP"), status=Status.DRAFT)
    editor = economy_editor("TH")

    def link_error(target):
        links = [{"relation": "adapted_from", "target": target}]
        return rejected_errors([record(status="draft", links=links)], user=editor)

    assert link_error("japanese-draft") == [(1, "link target 'japanese-draft' is not a known case")]
    assert link_error("no-such-case") == [(1, "link target 'no-such-case' is not a known case")]


def test_economy_editor_may_link_to_another_economys_published_case():
    target = CaseStudyFactory(slug="japanese-published", economy=Economy.objects.get(iso2="JP"))
    links = [{"relation": "adapted_from", "target": "japanese-published"}]

    import_case_records([record(status="draft", links=links)], user=economy_editor("TH"))

    assert CaseStudy.objects.get(slug="mobile-clinics").links_out.get().to_case == target


def test_economy_editor_may_not_unpublish_through_an_import():
    CaseStudyFactory(slug="mobile-clinics", economy=Economy.objects.get(iso2="TH"), status=Status.PUBLISHED)

    errors = rejected_errors([record(status="draft")], user=economy_editor("TH"))

    assert "changing the status from published to draft needs the permission to publish" in errors[0][1]


def test_rows_named_by_the_callers_numbers():
    errors = rejected_errors(
        [record("first"), record("second", economy="ZZ")], row_numbers=[2, 7], row_label="line"
    )

    assert errors == [(7, "unknown economy: ZZ")]


def test_economy_editor_may_not_change_their_published_case_through_an_import():
    CaseStudyFactory(slug="mobile-clinics", economy=Economy.objects.get(iso2="TH"), title="As published")

    with pytest.raises(ImportRejected) as caught:
        import_case_records([record(status="published", title="Changed live")], user=economy_editor("TH"))

    assert caught.value.report.forbidden
    assert "economy editors cannot change it" in caught.value.report.errors[0][1]
    assert CaseStudy.objects.get().title == "As published"


def test_economy_editor_may_not_change_only_the_outcomes_of_their_published_case():
    from cases.interchange.formats import case_records

    CaseStudyFactory(slug="mobile-clinics", economy=Economy.objects.get(iso2="TH"))
    exported = next(case_records(CaseStudy.objects.all()))
    exported["outcomes"] = [{"indicator": "Added live", "value": "1"}]

    with pytest.raises(ImportRejected):
        import_case_records([exported], user=economy_editor("TH"))

    assert not CaseStudy.objects.get().outcomes.exists()


def test_economy_editor_may_reimport_their_published_case_unchanged():
    from cases.interchange.formats import case_records

    CaseStudyFactory(slug="mobile-clinics", economy=Economy.objects.get(iso2="TH"))
    exported = list(case_records(CaseStudy.objects.all()))

    report = import_case_records(exported, user=economy_editor("TH"))

    assert report.unchanged == 1


@pytest.mark.parametrize("bad", ["\x00", "\ud800"], ids=["nul", "surrogate"])
def test_text_no_database_can_store_is_refused_before_anything_is_written(bad):
    errors = rejected_errors(
        [record("good"), record(resources=[{"title": f"A{bad}", "url": "https://a.example/"}])]
    )

    assert errors == [
        (
            2,
            "resources[1].title holds a character that cannot be stored (a NUL, or an unpaired UTF-16 "
            "surrogate such as \\ud800): remove it",
        )
    ]
    assert not CaseStudy.objects.exists()


@pytest.mark.parametrize("number", ["²", "①", "٣", "\uff13", "+3", "3_0", " ", 3.0, True])
def test_an_sdg_not_in_ascii_digits_is_a_row_error(number):
    errors = rejected_errors([record(sdgs=[number])])

    assert errors == [(1, f"SDG {number!r} is not a number from 1 to 17")]
    assert not CaseStudy.objects.exists()


def test_an_sdg_given_as_text_in_ascii_digits_is_read():
    import_case_records([record(sdgs=["3", 16])])

    assert sorted(CaseStudy.objects.get().sdgs.values_list("number", flat=True)) == [3, 16]


def test_another_cases_former_slug_clashes_in_the_same_words_as_a_current_one():
    from cases.models import FormerSlug

    renamed = CaseStudyFactory(slug="sg-new", economy=Economy.objects.get(iso2="SG"))
    FormerSlug.objects.create(slug="sg-old", case=renamed)
    CaseStudyFactory(slug="sg-current", economy=Economy.objects.get(iso2="SG"))
    editor = economy_editor("TH")

    former = rejected_errors([record("sg-old", status="draft")], user=editor)
    current = rejected_errors([record("sg-current", status="draft")], user=editor)

    assert former == [(1, "slug 'sg-old' belongs to another case already")]
    assert current == [(1, "slug 'sg-current' belongs to another case already")]
    assert list(FormerSlug.objects.values_list("slug", "case")) == [("sg-old", renamed.pk)]
    assert not CaseStudy.objects.filter(slug="sg-old").exists()


def test_a_case_may_take_back_its_own_former_slug_by_import():
    from cases.models import FormerSlug

    case = CaseStudyFactory(slug="now", external_id="E1", economy=Economy.objects.get(iso2="TH"))
    FormerSlug.objects.create(slug="before", case=case)

    import_case_records([record("before", external_id="E1")])

    case.refresh_from_db()
    assert case.slug == "before"
    assert list(FormerSlug.objects.values_list("slug", "case")) == [("now", case.pk)]


@pytest.mark.parametrize("status", ["submitted", "changes_requested"])
def test_economy_editor_may_not_give_a_reviewers_status_through_an_import(status):
    case = CaseStudyFactory(
        slug="mobile-clinics", economy=Economy.objects.get(iso2="TH"), status=Status.DRAFT
    )

    with pytest.raises(ImportRejected) as caught:
        import_case_records([record(status=status)], user=economy_editor("TH"))

    assert caught.value.report.forbidden
    assert caught.value.report.errors == [
        (
            1,
            f"changing the status from draft to {status} needs the permission to publish "
            "(without it, a row's status may be draft or in_review)",
        )
    ]
    case.refresh_from_db()
    assert case.status == Status.DRAFT


def test_economy_editor_may_not_accept_a_submission_through_an_import():
    CaseStudyFactory(slug="mobile-clinics", economy=Economy.objects.get(iso2="TH"), status=Status.SUBMITTED)

    errors = rejected_errors([record(status="draft")], user=economy_editor("TH"))

    assert "changing the status from submitted to draft needs the permission to publish" in errors[0][1]
    assert CaseStudy.objects.get().status == Status.SUBMITTED


def test_economy_editor_may_send_their_draft_for_review_through_an_import():
    CaseStudyFactory(slug="mobile-clinics", economy=Economy.objects.get(iso2="TH"), status=Status.DRAFT)

    import_case_records([record(status="in_review")], user=economy_editor("TH"))

    assert CaseStudy.objects.get().status == Status.IN_REVIEW


@pytest.mark.parametrize("existing", [False, True], ids=["new", "draft"])
def test_economy_editor_may_not_set_published_at_through_an_import(existing):
    if existing:
        CaseStudyFactory(slug="mobile-clinics", economy=Economy.objects.get(iso2="TH"), status=Status.DRAFT)
    counts = database_counts()

    with pytest.raises(ImportRejected) as caught:
        import_case_records(
            [record(status="draft", published_at="2001-01-01T00:00:00Z")], user=economy_editor("TH")
        )

    assert caught.value.report.forbidden
    assert caught.value.report.errors == [
        (1, "setting or changing published_at needs the permission to publish")
    ]
    assert database_counts() == counts
    assert not CaseStudy.objects.filter(published_at__isnull=False).exists()


def test_economy_editor_may_reimport_a_draft_with_its_unchanged_published_at():
    from cases.interchange.formats import case_records

    case = CaseStudyFactory(slug="mobile-clinics", economy=Economy.objects.get(iso2="TH"))
    CaseStudy.objects.filter(pk=case.pk).update(status=Status.DRAFT)  # unpublished: published_at is kept
    exported = list(case_records(CaseStudy.objects.all()))
    assert exported[0]["published_at"]

    report = import_case_records(exported, user=economy_editor("TH"))

    assert report.unchanged == 1


# --- Vocabularies: read as cases/records.py describes them -------------------------------------------


def unknown_term(name):
    """A value naming no term of the vocabulary `name`, as a record gives it."""
    from cases.records import ECONOMY, VOCABULARY_FIELDS

    value = 99 if name == "sdgs" else "no-such-term"
    return value if VOCABULARY_FIELDS[name].kind == ECONOMY else [value]


@pytest.mark.parametrize("name", ["economy", "other_economies", "sectors", "themes", "facets", "sdgs"])
def test_every_vocabulary_of_the_record_refuses_an_unknown_term_naming_its_vocabulary(name):
    from cases.records import VOCABULARY_FIELDS

    vocabulary = VOCABULARY_FIELDS[name].model._meta.verbose_name
    shown = "99" if name == "sdgs" else "no-such-term"

    errors = rejected_errors([record(**{name: unknown_term(name)})])

    assert errors == [(1, f"unknown {vocabulary}: {shown}")]


def test_the_importer_reads_every_vocabulary_the_record_description_names():
    from cases.records import FIELDS, INTERCHANGE, VOCABULARY_FIELDS

    assert list(VOCABULARY_FIELDS) == [
        "economy",
        "other_economies",
        "sectors",
        "themes",
        "facets",
        "sdgs",
    ]
    assert all(f.name in VOCABULARY_FIELDS for f in FIELDS if f.value_field and INTERCHANGE in f.faces)


def test_a_vocabulary_is_matched_by_the_columns_its_description_names(monkeypatch):
    """The lookups come from cases/records.py: a column added there is matched, with no code here."""
    import dataclasses

    from cases.records import VOCABULARY_FIELDS

    themes = dataclasses.replace(VOCABULARY_FIELDS["themes"], matched_by=("name",))
    monkeypatch.setitem(VOCABULARY_FIELDS, "themes", themes)
    name = Theme.objects.get(slug="service-design").name

    import_case_records([record(themes=[name.upper()])])

    assert [theme.slug for theme in CaseStudy.objects.get().themes.all()] == ["service-design"]


def test_other_economies_leave_out_the_primary_economy_and_repeats():
    import_case_records([record(economy="TH", other_economies=["th", "LA", "LAO", " lao-pdr ", "KH"])])

    case = CaseStudy.objects.get()
    assert sorted(case.other_economies.values_list("iso2", flat=True)) == ["KH", "LA"]


def test_several_unknown_economies_are_named_in_one_message():
    errors = rejected_errors([record(other_economies=["Atlantis", "LA", "Lemuria"])])

    assert errors == [(1, "unknown economy: Atlantis, Lemuria")]

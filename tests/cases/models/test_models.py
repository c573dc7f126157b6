"""The catalogue's models: every database constraint holds even when Python validation is bypassed."""

from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.contrib.postgres.search import SearchQuery
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone

from cases.models import (
    RESERVED_CASE_SLUGS,
    SDG,
    CaseLink,
    CaseSearchIndex,
    CaseStudy,
    Economy,
    FormerSlug,
    InnovationFacet,
    Resource,
    ResourceKind,
    Sector,
    Status,
    Theme,
)
from cases.services import case_change_slug, unique_case_slug
from tests.factories import (
    CaseLinkFactory,
    CaseStudyFactory,
    EconomyFactory,
    OutcomeFactory,
    ResourceFactory,
)

pytestmark = pytest.mark.django_db

NEXT_YEAR = timezone.now().year + 1


@contextmanager
def rejected_by_database(error=IntegrityError):
    """The block must fail in the database; the savepoint keeps the test's transaction usable."""
    with pytest.raises(error), transaction.atomic():
        yield


def singapore():
    return Economy.objects.get(iso2="SG")


# --- Unique slugs ---------------------------------------------------------------------------------


def test_case_slug_is_unique():
    CaseStudyFactory(slug="same-slug")
    with rejected_by_database():
        CaseStudyFactory(slug="same-slug")


def test_economy_slug_is_unique():
    economy = EconomyFactory()
    with rejected_by_database():
        Economy.objects.filter(pk=economy.pk).update(slug=singapore().slug)


def test_sector_slug_is_unique():
    with rejected_by_database():
        Sector.objects.create(name="Another health", slug="health", cofog_division=7)


def test_theme_slug_is_unique():
    existing = Theme.objects.first()
    with rejected_by_database():
        Theme.objects.create(name="Another theme", slug=existing.slug)


def test_facet_slug_is_unique():
    with rejected_by_database():
        InnovationFacet.objects.create(name="Another facet", slug="adaptive")


def test_former_slug_is_unique():
    case = CaseStudyFactory()
    FormerSlug.objects.create(slug="old-address", case=case)
    with rejected_by_database():
        FormerSlug.objects.create(slug="old-address", case=CaseStudyFactory())


def test_sdg_number_is_unique():
    with rejected_by_database():
        SDG.objects.create(number=3, name="Good health, again")


# --- Economies ------------------------------------------------------------------------------------


def test_economy_iso2_is_unique():
    economy = EconomyFactory()
    with rejected_by_database():
        Economy.objects.filter(pk=economy.pk).update(iso2="SG")


def test_economy_iso3_is_unique():
    economy = EconomyFactory()
    with rejected_by_database():
        Economy.objects.filter(pk=economy.pk).update(iso3="SGP")


def test_economy_lowercase_iso2_is_rejected():
    with rejected_by_database():
        Economy.objects.filter(iso2="SG").update(iso2="sg")


def test_economy_one_letter_iso2_is_rejected():
    with rejected_by_database():
        Economy.objects.filter(iso2="SG").update(iso2="S")


def test_economy_three_letter_iso2_is_rejected(on_postgresql):
    # PostgreSQL's varchar(2) refuses the value before the format check is reached; SQLite has no length
    # limit, so there the format check is what refuses it.
    with rejected_by_database(DataError if on_postgresql else IntegrityError):
        Economy.objects.filter(iso2="SG").update(iso2="SGP")


def test_economy_lowercase_iso3_is_rejected():
    with rejected_by_database():
        Economy.objects.filter(iso2="SG").update(iso3="sgp")


def test_economy_two_letter_iso3_is_rejected():
    with rejected_by_database():
        Economy.objects.filter(iso2="SG").update(iso3="SG")


def test_economy_region_code_must_be_three_digits():
    with rejected_by_database():
        Economy.objects.filter(iso2="SG").update(region_code="14")


def test_economy_subregion_code_must_be_digits():
    with rejected_by_database():
        Economy.objects.filter(iso2="SG").update(subregion_code="S35")


def test_apo_member_needs_join_year():
    with rejected_by_database():
        EconomyFactory(is_apo_member=True, apo_joined_year=None)


def test_apo_join_year_cannot_predate_the_apo():
    with rejected_by_database():
        Economy.objects.filter(iso2="SG").update(apo_joined_year=1960)


def test_non_member_needs_no_join_year():
    economy = EconomyFactory(is_apo_member=False, apo_joined_year=None)
    assert Economy.objects.filter(pk=economy.pk, is_apo_member=False).exists()


# --- Vocabularies ---------------------------------------------------------------------------------


@pytest.mark.parametrize("number", [0, 18])
def test_sdg_number_outside_1_to_17_is_rejected(number):
    with rejected_by_database():
        SDG.objects.create(number=number, name="Not a goal")


@pytest.mark.parametrize("division", [0, 11])
def test_sector_cofog_division_outside_1_to_10_is_rejected(division):
    with rejected_by_database():
        Sector.objects.create(name="Nowhere", slug="nowhere", cofog_division=division)


# --- Case studies ---------------------------------------------------------------------------------


@pytest.mark.parametrize("year", [1899, 2101])
def test_case_year_launched_outside_1900_to_2100_is_rejected(year):
    case = CaseStudyFactory()
    with rejected_by_database():
        CaseStudy.objects.filter(pk=case.pk).update(year_launched=year)


def test_case_year_launched_1900_is_accepted():
    case = CaseStudyFactory(year_launched=1900)
    assert CaseStudy.objects.get(pk=case.pk).year_launched == 1900


def test_case_year_ended_before_year_launched_is_rejected():
    case = CaseStudyFactory(year_launched=2018)
    with rejected_by_database():
        CaseStudy.objects.filter(pk=case.pk).update(year_ended=2017)


def test_case_year_ended_without_year_launched_is_rejected():
    with rejected_by_database():
        CaseStudyFactory(year_launched=None, year_ended=2020)


def test_case_year_ended_in_year_launched_is_accepted():
    case = CaseStudyFactory(year_launched=2018, year_ended=2018)
    assert CaseStudy.objects.get(pk=case.pk).year_ended == 2018


def test_case_year_launched_after_next_year_is_refused_by_postgresql_only(on_postgresql):
    case = CaseStudyFactory()
    CaseStudy.objects.filter(pk=case.pk).update(year_launched=NEXT_YEAR)  # next year is allowed everywhere
    if on_postgresql:
        # casestudy_year_launched_not_future, added by migration 0002 on PostgreSQL only.
        with rejected_by_database():
            CaseStudy.objects.filter(pk=case.pk).update(year_launched=NEXT_YEAR + 1)
        assert CaseStudy.objects.get(pk=case.pk).year_launched == NEXT_YEAR
    else:
        # Other databases keep only the portable bound.
        CaseStudy.objects.filter(pk=case.pk).update(year_launched=NEXT_YEAR + 1)
        assert CaseStudy.objects.get(pk=case.pk).year_launched == NEXT_YEAR + 1
        with rejected_by_database():
            CaseStudy.objects.filter(pk=case.pk).update(year_launched=2101)


@pytest.mark.parametrize("field", ["status", "level", "stage", "organisation_type"])
def test_case_choice_field_rejects_unknown_value(field):
    case = CaseStudyFactory()
    with rejected_by_database():
        CaseStudy.objects.filter(pk=case.pk).update(**{field: "bogus"})


def test_published_case_needs_published_at():
    case = CaseStudyFactory(status=Status.PUBLISHED)
    with rejected_by_database():
        CaseStudy.objects.filter(pk=case.pk).update(published_at=None)


def test_draft_case_needs_no_published_at():
    case = CaseStudyFactory(status=Status.DRAFT)
    assert CaseStudy.objects.get(pk=case.pk).published_at is None


def test_case_external_id_is_unique_when_filled():
    CaseStudyFactory(external_id="opsi-123")
    with rejected_by_database():
        CaseStudyFactory(external_id="opsi-123")


def test_several_cases_may_have_no_external_id():
    CaseStudyFactory(external_id="")
    CaseStudyFactory(external_id="")
    assert CaseStudy.objects.filter(external_id="").count() == 2


def test_case_cannot_link_to_itself():
    case = CaseStudyFactory()
    with rejected_by_database():
        CaseLink.objects.create(from_case=case, to_case=case, relation="related_to")


def test_same_case_link_cannot_be_recorded_twice():
    link = CaseLinkFactory(relation="adapted_from")
    with rejected_by_database():
        CaseLink.objects.create(from_case=link.from_case, to_case=link.to_case, relation="adapted_from")


def test_two_cases_may_be_linked_by_different_relations():
    link = CaseLinkFactory(relation="adapted_from")
    CaseLink.objects.create(from_case=link.from_case, to_case=link.to_case, relation="related_to")
    assert CaseLink.objects.filter(from_case=link.from_case).count() == 2


def test_case_link_rejects_unknown_relation():
    link = CaseLinkFactory()
    with rejected_by_database():
        CaseLink.objects.filter(pk=link.pk).update(relation="bogus")


def test_link_resource_needs_a_url():
    with rejected_by_database():
        ResourceFactory(kind=ResourceKind.LINK, url="")


def test_file_resource_needs_a_file():
    with rejected_by_database():
        ResourceFactory(kind=ResourceKind.FILE, url="https://example.org/", file="")


def test_resource_rejects_unknown_kind():
    resource = ResourceFactory()
    with rejected_by_database():
        Resource.objects.filter(pk=resource.pk).update(kind="video")


# --- Python validation says it in words ---------------------------------------------------------


def test_full_clean_rejects_year_launched_after_next_year_with_a_readable_message():
    case = CaseStudyFactory()
    case.year_launched = NEXT_YEAR + 1
    with pytest.raises(ValidationError) as caught:
        case.full_clean()
    assert caught.value.message_dict["year_launched"] == [f"Enter a year between 1900 and {NEXT_YEAR}."]


def test_full_clean_accepts_year_launched_next_year():
    case = CaseStudyFactory()
    case.year_launched = NEXT_YEAR
    case.full_clean()


def test_full_clean_rejects_year_ended_before_year_launched():
    case = CaseStudyFactory(year_launched=2018)
    case.year_ended = 2017
    with pytest.raises(ValidationError) as caught:
        case.full_clean()
    assert caught.value.message_dict["year_ended"] == [
        "The year it ended cannot be before the year it was launched."
    ]


def test_full_clean_rejects_year_ended_without_year_launched():
    case = CaseStudyFactory(year_launched=None)
    case.year_ended = 2020
    with pytest.raises(ValidationError) as caught:
        case.full_clean()
    assert caught.value.message_dict["year_ended"] == [
        "Give the year it was launched as well as the year it ended."
    ]


# --- The search document is kept by the database ----------------------------------------------


def documents(word):
    """The cases whose search document (cases_casesearch, kept by the database's trigger) has `word`."""
    return list(CaseStudy.objects.filter(search_index__document=SearchQuery(word)))


def test_the_search_document_is_kept_by_the_database(on_postgresql):
    if not on_postgresql:
        pytest.skip("cases_casesearch is PostgreSQL's; SQLite's FTS5: test_sqlite_backend.py")
    case = CaseStudyFactory(title="Zebra crossings for everyone", overview="Painted stripes on every road.")
    assert documents("zebra") == [case]
    assert documents("stripe") == [case]
    assert documents("giraffe") == []
    assert CaseSearchIndex.objects.get(case=case).published is True


def test_the_search_document_follows_any_write_even_in_raw_sql(on_postgresql):
    if not on_postgresql:
        pytest.skip("cases_casesearch is PostgreSQL's; SQLite's FTS5: test_sqlite_backend.py")
    case = CaseStudyFactory(title="Zebra crossings for everyone")
    CaseStudy.objects.filter(pk=case.pk).update(title="Pelican crossings for everyone")
    assert documents("pelican") == [case]
    assert documents("zebra") == []
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_casestudy SET status = 'draft' WHERE id = %s", [case.pk])
    assert CaseSearchIndex.objects.get(case=case).published is False
    assert documents("pelican") == [case]  # the document stays; the published flag says who may see it
    CaseStudy.objects.filter(pk=case.pk).delete()  # Django knows nothing of the row: the database deletes it
    assert not CaseSearchIndex.objects.filter(case_id=case.pk).exists()


# --- __str__ and get_absolute_url ---------------------------------------------------------------


def test_economy_str_and_url():
    economy = singapore()
    assert str(economy) == "Singapore"
    assert economy.get_absolute_url() == f"/economies/{economy.slug}/"


def test_sector_str_and_url():
    sector = Sector.objects.get(slug="health")
    assert str(sector) == sector.name
    assert sector.get_absolute_url() == "/sectors/health/"


def test_sector_cofog_code_has_two_digits():
    assert Sector.objects.get(slug="health").cofog_code == "07"


def test_theme_str_and_url():
    theme = Theme.objects.get(slug="digital-government")
    assert str(theme) == theme.name
    assert theme.get_absolute_url() == "/themes/digital-government/"


def test_facet_str_and_url():
    facet = InnovationFacet.objects.get(slug="adaptive")
    assert str(facet) == "Adaptive"
    assert facet.get_absolute_url() == "/cases/?facet=adaptive"


def test_sdg_str_and_url():
    sdg = SDG.objects.get(number=3)
    assert str(sdg) == f"3. {sdg.name}"
    assert sdg.get_absolute_url() == "/cases/?sdg=3"


def test_case_str_and_url():
    case = CaseStudyFactory(title="Zebra crossings", slug="zebra-crossings")
    assert str(case) == "Zebra crossings"
    assert case.get_absolute_url() == "/cases/zebra-crossings/"


def test_former_slug_str():
    assert str(FormerSlug.objects.create(slug="old-address", case=CaseStudyFactory())) == "old-address"


def test_outcome_str_drops_trailing_zeros():
    outcome = OutcomeFactory(indicator="Waiting time cut", value=Decimal("12.5000"), unit="%")
    outcome.refresh_from_db()
    assert str(outcome) == "Waiting time cut: 12.5 %"


def test_outcome_str_keeps_whole_numbers_whole():
    outcome = OutcomeFactory(indicator="People served", value=Decimal("1000"), unit="")
    outcome.refresh_from_db()
    assert str(outcome) == "People served: 1,000"  # whole, and grouped for reading (issue 13, item 5)


def test_case_link_str():
    link = CaseLinkFactory(
        from_case=CaseStudyFactory(title="Copy"),
        to_case=CaseStudyFactory(title="Original"),
        relation="adapted_from",
    )
    assert str(link) == "Copy → Adapted from → Original"


def test_resource_str():
    assert str(ResourceFactory(title="Official website")) == "Official website"


# --- Migrations ---------------------------------------------------------------------------------


def test_models_and_migrations_agree():
    try:
        call_command("makemigrations", "--check", "--dry-run", verbosity=0)
    except SystemExit as exit_:
        pytest.fail(f"makemigrations found model changes without a migration (exit {exit_.code}).")


@pytest.mark.parametrize("slug", sorted(RESERVED_CASE_SLUGS))
def test_a_case_may_not_take_the_slug_of_an_api_list(slug):
    """/api/v1/cases/changes/ is the changes feed: a case slugged "changes" could never be read there."""
    case = CaseStudyFactory.build(slug=slug)

    with pytest.raises(ValidationError) as raised:
        case.full_clean(exclude=["economy"])
    assert "slug" in raised.value.message_dict

    saved = CaseStudyFactory()
    with pytest.raises(ValidationError):
        case_change_slug(case=saved, new_slug=slug)
    assert unique_case_slug(slug) == f"{slug}-2"

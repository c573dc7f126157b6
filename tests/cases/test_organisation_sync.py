"""A case's lead organisation as an entity (issue 18): every write of a case through the services (create,
edit, import, submission, restore) links it to the Organisation its `lead_organisation` text names, within
its economy; a lead organisation a curator chose is kept while that text stays as it was."""

import pytest

from cases.interchange.formats import case_records
from cases.interchange.importing import import_case_records
from cases.models import CaseOrganisation, CaseStudy, Economy, Organisation, OrganisationRole, Sector
from cases.services import case_organisations_link, case_submit, case_update
from tests.factories import CaseStudyFactory, reference

pytestmark = pytest.mark.django_db


def lead_of(case) -> Organisation | None:
    link = CaseOrganisation.objects.filter(case=case, role=OrganisationRole.LEAD).first()
    return link.organisation if link else None


def test_an_edit_that_renames_the_lead_organisation_links_the_case_to_the_organisation_of_that_name(
    superuser,
):
    case = CaseStudyFactory(lead_organisation="Ministry of Health")
    case_organisations_link()
    health = lead_of(case)
    other = CaseStudyFactory(lead_organisation="Digital Office", economy=case.economy)
    case_organisations_link()

    case.lead_organisation = "the digital office"
    case_update(case=case, user=superuser, changed=["lead_organisation"])

    assert lead_of(case) == lead_of(other)
    assert Organisation.objects.filter(pk=health.pk).exists()  # kept: an organisation may have other cases


def test_an_edit_that_leaves_the_text_keeps_the_lead_organisation_a_curator_chose(superuser):
    case = CaseStudyFactory(lead_organisation="Ministry of Health")
    chosen = Organisation.objects.create(name="Health Promotion Board", slug="hpb", economy=case.economy)
    CaseOrganisation.objects.create(case=case, organisation=chosen, role=OrganisationRole.LEAD)

    case.title = "A new title"
    case_update(case=case, user=superuser, changed=["title"])

    assert lead_of(case) == chosen


def test_an_import_links_new_and_renamed_cases(superuser):
    case = CaseStudyFactory(slug="imported", lead_organisation="Smart Nation Office")
    (row,) = case_records(CaseStudy.objects.filter(pk=case.pk))
    case.delete()

    import_case_records([row], user=superuser)
    imported = CaseStudy.objects.get(slug="imported")
    assert lead_of(imported).name == "Smart Nation Office"

    import_case_records([{**row, "lead_organisation": "GovTech"}], user=superuser)
    assert lead_of(imported).name == "GovTech"


def test_a_submission_s_organisation_is_linked_but_not_public():
    contact = {"name": "A. Person", "email": "a@example.org"}
    data = {
        "title": "A proposed case",
        "summary": "One sentence.",
        "overview": "What happened.",
        "lead_organisation": "Provincial Innovation Unit",
        "economy": reference(Economy, iso2="TH"),
        "level": "regional",
        "stage": "implementation",
        "sectors": [reference(Sector, slug="health")],
    }

    submitter = case_submit(data=data, contact=contact)

    assert lead_of(submitter.case).name == "Provincial Innovation Unit"
    assert not Organisation.objects.public().exists()


def test_the_link_command_s_service_reports_what_it_could_not_match_and_links_nothing_twice():
    named = CaseStudyFactory(lead_organisation="Ministry of Finance")
    unnamed = CaseStudyFactory(lead_organisation=" ")

    first = case_organisations_link()
    second = case_organisations_link()

    assert (first.linked, first.created, first.unmatched) == (
        1,
        1,
        [(unnamed.slug, "no lead organisation named")],
    )
    assert (second.linked, second.created, second.already) == (0, 0, 1)
    assert lead_of(named).name == "Ministry of Finance"


def test_setting_a_case_s_methods_moves_its_updated_at_for_harvests_by_updated_since():
    from django.utils import timezone

    from cases.models import Method
    from cases.services import case_methods_set

    case = CaseStudyFactory()
    before = CaseStudy.objects.get(pk=case.pk).updated_at
    method = Method.objects.create(
        name="Hackathon", slug="hackathon", summary="s", description="d", discipline="design",
        status="published", published_at=timezone.now(),
    )  # fmt: skip

    case_methods_set(case=case, methods=[{"method": method}])

    assert CaseStudy.objects.get(pk=case.pk).updated_at > before

"""Migration 0039: the cases' lead organisations, written as free text, become Organisation entities linked
to their cases, matched by name within an economy; and back, without loss (issue 18)."""

import importlib

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from cases.models import CaseOrganisation, CaseStudy, Economy, Organisation
from cases.services import organisation_name_key
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db(transaction=False)

migration = importlib.import_module("cases.migrations.0039_organisations_from_cases")


class SchemaEditor:
    """What the migration's functions read of the schema editor Django hands them."""

    connection = connection


def case_texts():
    return list(CaseStudy.objects.order_by("pk").values_list("pk", "lead_organisation", "organisation_type"))


def test_the_migration_matches_names_as_the_service_does():
    for name in [
        "The Ministry of Health.",
        "  ministry of  HEALTH ",
        "Ministère de la Santé",
        "GovTech (Singapore)",
    ]:
        assert migration.name_key(name) == organisation_name_key(name)


def test_spellings_of_one_name_in_one_economy_are_one_organisation_and_other_economies_others(capsys):
    singapore = Economy.objects.get(iso2="SG")
    japan = Economy.objects.get(iso2="JP")
    first = CaseStudyFactory(lead_organisation="Ministry of Health", economy=singapore, level="national")
    second = CaseStudyFactory(lead_organisation="the ministry of health.", economy=singapore)
    elsewhere = CaseStudyFactory(lead_organisation="Ministry of Health", economy=japan)
    other = CaseStudyFactory(lead_organisation="GovTech", economy=singapore, organisation_type="independent")
    unnamed = CaseStudyFactory(lead_organisation="   ", economy=singapore)
    before = case_texts()

    migration.link(apps, SchemaEditor())

    lead = {link.case_id: link.organisation for link in CaseOrganisation.objects.filter(role="lead")}
    assert lead[first.pk] == lead[second.pk]
    assert lead[first.pk].name == "Ministry of Health"  # the first case's spelling
    assert lead[first.pk].economy == singapore
    assert lead[first.pk].level == "national"
    assert lead[elsewhere.pk] != lead[first.pk]
    assert lead[elsewhere.pk].slug != lead[first.pk].slug
    assert lead[other.pk].kind == "independent"
    assert unnamed.pk not in lead
    assert Organisation.objects.count() == 3
    assert unnamed.slug in capsys.readouterr().out  # reported, not guessed
    assert case_texts() == before


def test_going_back_removes_the_entities_and_keeps_every_case_s_text():
    CaseStudyFactory(lead_organisation="Ministry of Health")
    CaseStudyFactory(lead_organisation="Digital Government Office")
    before = case_texts()
    migration.link(apps, SchemaEditor())
    assert CaseOrganisation.objects.count() == 2

    migration.unlink(apps, SchemaEditor())

    assert not Organisation.objects.exists()
    assert not CaseOrganisation.objects.exists()
    assert case_texts() == before


def test_on_the_demo_catalogue_every_case_gets_its_lead_organisation_and_going_back_restores_it(capsys):
    call_command("load_demo", verbosity=0)
    migration.unlink(apps, SchemaEditor())  # as before the migration: the loader links them itself now
    before = case_texts()

    migration.link(apps, SchemaEditor())

    cases = CaseStudy.objects.count()
    assert cases >= 60
    assert CaseOrganisation.objects.filter(role="lead").count() == cases
    for case in CaseStudy.objects.prefetch_related("organisation_links__organisation"):
        (link,) = case.organisation_links.all()
        assert organisation_name_key(link.organisation.name) == organisation_name_key(case.lead_organisation)
        assert link.organisation.economy_id == case.economy_id
    assert "0 with no lead organisation named" in capsys.readouterr().out
    migration.unlink(apps, SchemaEditor())
    assert case_texts() == before
    assert not Organisation.objects.exists()

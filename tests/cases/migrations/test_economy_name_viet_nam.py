"""Migration 0035: the economy seeded as "Vietnam" is named Viet Nam, as the APO and the UN write it; and
back."""

import importlib

import pytest
from django.apps import apps
from django.db import connection

from cases.models import CatalogueState, Economy

pytestmark = pytest.mark.django_db

migration = importlib.import_module("cases.migrations.0035_economy_name_viet_nam")


class SchemaEditor:
    """What the migration's functions read of the schema editor Django hands them."""

    connection = connection


def viet_nam(*, named: str) -> Economy:
    """The reference economy (seeded by migration 0003 from the reference data) under `named`."""
    Economy.objects.filter(iso2="VN").update(name=named)
    return Economy.objects.get(iso2="VN")


def test_the_migration_renames_the_economy_seeded_as_vietnam():
    economy = viet_nam(named="Vietnam")
    migration.forwards(apps, SchemaEditor)
    economy.refresh_from_db()
    assert economy.name == "Viet Nam"


def test_the_migration_keeps_a_name_a_curator_chose():
    economy = viet_nam(named="Socialist Republic of Viet Nam")
    migration.forwards(apps, SchemaEditor)
    economy.refresh_from_db()
    assert economy.name == "Socialist Republic of Viet Nam"


def test_the_migration_goes_back_to_the_former_name():
    economy = viet_nam(named="Viet Nam")
    migration.backwards(apps, SchemaEditor)
    economy.refresh_from_db()
    assert economy.name == "Vietnam"


def test_the_renaming_moves_the_vocabulary_version():
    viet_nam(named="Vietnam")
    state, _created = CatalogueState.objects.get_or_create(id=CatalogueState.SINGLE_ROW)
    migration.forwards(apps, SchemaEditor)
    assert CatalogueState.objects.get().vocabulary_version > state.vocabulary_version

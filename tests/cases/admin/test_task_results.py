"""The background tasks in the admin (cases/admin/tasks.py): writing today's open-data release on demand."""

import gzip

import pytest
from django.core.files.storage import storages

from cases.curation.roles import ECONOMY_EDITOR
from cases.interchange.dumps import dump_days, latest_day
from cases.models import Status
from tests.cases.admin.test_admin_curator import staff
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db

LIST = "/admin/django_tasks_database/dbtaskresult/"
WRITE = "/admin/django_tasks_database/dbtaskresult/write-open-data/"


def test_a_superuser_writes_todays_release_again_after_a_take_down(admin_client):
    case = CaseStudyFactory(slug="taken-down", status=Status.PUBLISHED)
    assert (
        'action="/admin/django_tasks_database/dbtaskresult/write-open-data/"' in admin_client.get(LIST).text
    )
    admin_client.post(WRITE)
    case.status = Status.ARCHIVED
    case.save()

    response = admin_client.post(WRITE, follow=True)

    assert response.redirect_chain[-1][0] == LIST
    assert "has been written again" in response.text
    assert len(dump_days()) == 1
    with storages["opendata"].open(f"{latest_day().isoformat()}/cases.csv.gz", "rb") as stream:
        assert b"taken-down" not in gzip.decompress(stream.read())


def test_only_a_superuser_may_and_only_by_post(client, admin_client):
    client.force_login(staff(ECONOMY_EDITOR, ["SG"]))

    assert "write-open-data" not in client.get(LIST).text
    assert client.post(WRITE).status_code == 403
    assert admin_client.get(WRITE).status_code == 405
    assert dump_days() == []

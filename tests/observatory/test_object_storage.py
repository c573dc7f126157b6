"""Uploads and open-data dumps on S3-compatible object storage (STORAGE_BACKEND=s3 and
OPEN_DATA_STORAGE_BACKEND=s3; docs/deployment.md, "Object storage (S3)"), against a real S3 server in a
process of its own.

The server is moto's standalone one (`python -m moto.server`, from the `test` extra): an implementation of
the S3 API over HTTP, which boto3 talks to as it would to a production bucket. Nothing is mocked in the test
process: the storages are those observatory/settings/base.py builds from the environment variables, so the
configuration path is the real one too. Neither Debian 12 nor PyPI packages MinIO, Garage or SeaweedFS, and
Debian's radosgw needs a whole Ceph cluster under it. moto checks what the calls carry (keys, prefixes,
signatures' presence), not a bucket policy or a real region: those stay the operator's to try.

Without the server's packages the tests are skipped on a developer's machine and fail in CI (CI set).
"""

import contextlib
import gzip
import hashlib
import importlib.util
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from cases.curation.uploads import ResourceUploadForm
from cases.interchange.dumps import (
    CHECKSUMS,
    DATAPACKAGE,
    dump_days,
    file_names,
    latest_day,
    prune_dumps,
    write_dump,
)
from cases.interchange.reference_data import load_reference_data
from cases.models import Resource, Status
from cases.models.files import rendition_name
from observatory.settings import base
from tests.factories import CaseStudyFactory
from tests.live_servers import database_url, free_port, gunicorn_server, requires_postgresql

pytestmark = pytest.mark.django_db

START_SECONDS = 30
REGION = "us-east-1"
KEYS = {"AWS_ACCESS_KEY_ID": "observatory-test", "AWS_SECRET_ACCESS_KEY": "observatory-test-secret"}
# Every variable the storage settings read: cleared first, so a developer's own AWS_* never leak in.
STORAGE_VARIABLES = (
    "STORAGE_BACKEND",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_S3_ENDPOINT_URL",
    "AWS_S3_REGION_NAME",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_QUERYSTRING_AUTH",
    "AWS_S3_CONNECT_TIMEOUT",
    "AWS_S3_READ_TIMEOUT",
    "AWS_S3_MAX_ATTEMPTS",
    "AWS_S3_ADDRESSING_STYLE",
    "OPEN_DATA_STORAGE_BACKEND",
    "OPEN_DATA_BUCKET",
    "OPEN_DATA_LOCATION",
)


def _require_server_packages() -> None:
    """moto's server (with Flask) and the S3 client side (boto3, django-storages) come with the `test`
    extra; in CI a missing one is a failure, never a quiet skip."""
    missing = [
        name
        for name in ("moto", "flask", "flask_cors", "boto3", "storages")
        if not importlib.util.find_spec(name)
    ]
    if missing:
        message = f"not installed: {', '.join(missing)} (pip install '.[test]')"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


# --- The server ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint():
    """A real S3 server (moto's) on a free port of 127.0.0.1, in its own process, for this module."""
    _require_server_packages()
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_answering(endpoint, process, log)
            yield endpoint
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_until_answering(endpoint: str, process: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            with urllib.request.urlopen(endpoint + "/moto-api/", timeout=2):
                return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            pytest.fail(f"moto's S3 server did not answer on {endpoint}:\n{log.read()[-4000:]}")
        time.sleep(0.2)


@pytest.fixture
def s3(s3_endpoint):
    """A boto3 client of the server: the test's own view of the bucket, beside the storages'."""
    import boto3

    return boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION, **_boto_keys())


def _boto_keys() -> dict:
    return {
        "aws_access_key_id": KEYS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": KEYS["AWS_SECRET_ACCESS_KEY"],
    }


@pytest.fixture
def bucket(s3) -> str:
    """A new, empty bucket for each test."""
    name = f"observatory-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    return name


def _configure(monkeypatch, settings, **env) -> None:
    """Set the environment, then build STORAGES and AWS_S3_CLIENT_CONFIG from it with base.py's own
    functions, as a process starting with that environment would."""
    for name in STORAGE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # The client configuration first: a storage reads it when it is built, on its first use.
    settings.AWS_S3_CLIENT_CONFIG = base.s3_client_config_from_env()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": base.default_storage_from_env(),
        "opendata": base.open_data_storage_from_env(),
    }


def _s3_environment(endpoint: str, bucket: str) -> dict[str, str]:
    return {
        "STORAGE_BACKEND": "s3",
        "OPEN_DATA_STORAGE_BACKEND": "s3",
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": REGION,
        **KEYS,
    }


@pytest.fixture
def on_s3(s3_endpoint, bucket, monkeypatch, settings) -> str:
    """Uploads and open data both on the test's bucket (open data under its default prefix)."""
    _configure(monkeypatch, settings, **_s3_environment(s3_endpoint, bucket))
    return bucket


def keys(s3, bucket: str, prefix: str = "") -> set[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return {each["Key"] for page in pages for each in page.get("Contents", ())}


def stored_bytes(s3, bucket: str, key: str) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


# --- Uploads ------------------------------------------------------------------------------------------


def image_bytes(size=(2000, 1000)) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, "teal").save(output, "JPEG")
    return output.getvalue()


def upload_image(case, content: bytes, name="Field Photo.JPG") -> Resource:
    """Through the form the admin's resource forms use (cases/curation/uploads.py)."""
    form = ResourceUploadForm(
        data={"kind": "image", "title": "The call centre", "alt_text": "Staff at desks", "position": 0},
        files={"file": SimpleUploadedFile(name, content)},
        instance=Resource(case=case),
    )
    assert form.is_valid(), form.errors
    return form.save()


def test_an_uploaded_image_and_its_renditions_are_objects_of_the_bucket(on_s3, s3):
    resource = upload_image(CaseStudyFactory(), image_bytes())

    folder = f"cases/{resource.case_id}/"
    original = f"{folder}field-photo.jpg"
    assert resource.file.name == original
    assert keys(s3, on_s3) == {
        original,
        rendition_name(original, "display"),
        rendition_name(original, "thumbnail"),
    }
    assert stored_bytes(s3, on_s3, original)[:2] == b"\xff\xd8"  # a JPEG, re-encoded
    assert s3.head_object(Bucket=on_s3, Key=original)["ContentType"] == "image/jpeg"
    # Read back through the storage, as the site does.
    with Resource.objects.get().file.open("rb") as stored:
        assert Image.open(stored).size == (2000, 1000)
    with default_storage.open(rendition_name(original, "thumbnail")) as stored:
        assert Image.open(stored).size == (400, 200)


def test_an_uploads_address_is_signed_and_fetches_the_file_from_the_server(on_s3, s3, s3_endpoint):
    resource = upload_image(CaseStudyFactory(), image_bytes())

    for url, key in (
        (resource.file.url, resource.file.name),
        (resource.thumbnail_url, rendition_name(resource.file.name, "thumbnail")),
    ):
        assert url.startswith(f"{s3_endpoint}/{on_s3}/{key}?")
        assert "X-Amz-Signature=" in url
        assert "X-Amz-Expires=3600" in url
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.read() == stored_bytes(s3, on_s3, key)


def test_an_upload_of_a_name_already_taken_never_replaces_the_first(on_s3, s3):
    case = CaseStudyFactory()
    first = upload_image(case, image_bytes((300, 200)))
    second = upload_image(case, image_bytes((500, 400)))

    assert first.file.name != second.file.name
    assert second.file.name.startswith(f"cases/{case.pk}/field-photo_")
    with Resource.objects.get(pk=first.pk).file.open("rb") as stored:
        assert Image.open(stored).size == (300, 200)
    assert rendition_name(second.file.name, "display") in keys(s3, on_s3)


def test_the_admin_stores_a_curators_document_in_the_bucket(on_s3, s3, admin_client):
    case = CaseStudyFactory()
    pdf = b"%PDF-1.7\n%%EOF\n"
    response = admin_client.post(
        reverse("admin:cases_resource_add"),
        {
            "case": case.pk,
            "kind": "file",
            "title": "Evaluation",
            "position": 0,
            "file": SimpleUploadedFile("Evaluation 2024.pdf", pdf, content_type="application/pdf"),
        },
    )

    assert response.status_code == 302
    key = f"cases/{case.pk}/evaluation-2024.pdf"
    assert Resource.objects.get().file.name == key
    assert stored_bytes(s3, on_s3, key) == pdf
    assert s3.head_object(Bucket=on_s3, Key=key)["ContentType"] == "application/pdf"


def test_a_documents_object_has_the_type_its_checks_established_not_the_browsers_claim(on_s3, s3):
    case = CaseStudyFactory()
    form = ResourceUploadForm(
        data={"kind": "file", "title": "Evaluation", "position": 0},
        # A real PDF, which the checks accept, sent with the type of a web page: served from the bucket
        # as text/html, a browser would render it as one there.
        files={"file": SimpleUploadedFile("report.pdf", b"%PDF-1.7\n%%EOF\n", content_type="text/html")},
        instance=Resource(case=case),
    )
    assert form.is_valid(), form.errors
    resource = form.save()

    assert s3.head_object(Bucket=on_s3, Key=resource.file.name)["ContentType"] == "application/pdf"


# --- Open data ----------------------------------------------------------------------------------------


@pytest.fixture
def published():
    CaseStudyFactory(title="Mobile clinics on schedule", slug="mobile-clinics", status=Status.PUBLISHED)
    CaseStudyFactory(title="Secret draft", slug="secret-draft", status=Status.DRAFT)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_no_dump_yet_is_no_release_on_an_empty_bucket(on_s3, client):
    # Object storage has no folders: the open-data root is a prefix that "exists" only once a key has it.
    assert dump_days() == []
    assert latest_day() is None
    assert client.get("/data/latest/datapackage.json").status_code == 404
    assert client.get("/data/").status_code == 200


def test_a_dump_is_written_under_its_prefix_and_served_from_the_bucket(on_s3, s3, client, published):
    dump = write_dump()

    day = dump.day.isoformat()
    assert keys(s3, on_s3) == {f"open-data/{day}/{name}" for name in file_names()}
    assert dump_days() == [dump.day]
    assert latest_day() == dump.day
    written = {each.name: each for each in dump.files}
    for folder in ("latest", day):
        response = client.get(f"/data/{folder}/cases.csv.gz")
        assert response.status_code == 200
        data = body(response)
        # The bytes the dump wrote, as stored: not decompressed on the way (the key's Content-Encoding).
        assert data == stored_bytes(s3, on_s3, f"open-data/{day}/cases.csv.gz")
        assert hashlib.sha256(data).hexdigest() == written["cases.csv.gz"].sha256
        assert response["ETag"] == f'"{written["cases.csv.gz"].sha256}"'
        assert int(response["Content-Length"]) == len(data) == written["cases.csv.gz"].bytes
        text = gzip.decompress(data).decode()
        assert "Mobile clinics on schedule" in text
        assert "Secret draft" not in text

        unchanged = client.get(f"/data/{folder}/cases.csv.gz", headers={"if-none-match": response["ETag"]})
        assert unchanged.status_code == 304
        assert unchanged["ETag"] == response["ETag"]

    package = json.loads(body(client.get(f"/data/{day}/{DATAPACKAGE}")))
    assert package["version"] == day
    sums = body(client.get(f"/data/latest/{CHECKSUMS}")).decode()
    assert f"{written['economies.csv'].sha256}  economies.csv" in sums
    page = client.get("/data/")
    assert f'href="/data/{day}/cases.jsonl.gz"' in page.text


def test_a_day_is_skipped_once_written_and_replaced_whole_when_forced(on_s3, s3, published):
    first = write_dump()
    assert write_dump().skipped

    # Every key is deleted and stored again under its own name: never beside it as `<name>_<random>`.
    again = write_dump(force=True)
    assert not again.skipped
    assert keys(s3, on_s3) == {f"open-data/{first.day.isoformat()}/{name}" for name in file_names()}


def test_a_day_without_its_package_is_not_a_release(on_s3, s3, client, published):
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    write_dump(day=yesterday)
    write_dump(day=today)

    # A writer stopped midway: its files are there, its package (written last) is not.
    s3.delete_object(Bucket=on_s3, Key=f"open-data/{today.isoformat()}/{DATAPACKAGE}")
    assert dump_days() == [yesterday]
    assert json.loads(body(client.get("/data/latest/datapackage.json")))["version"] == yesterday.isoformat()
    assert client.get(f"/data/{today.isoformat()}/cases.csv.gz").status_code == 404


def test_pruning_deletes_whole_days_from_the_bucket(on_s3, s3, settings, published):
    settings.OPEN_DATA_KEEP_DAILY = 1
    settings.OPEN_DATA_KEEP_MONTHLY = 0
    today = timezone.localdate()
    days = [today - timedelta(days=n) for n in (2, 1, 0)]
    for day in days:
        write_dump(day=day)
    assert dump_days() == days[::-1]

    assert sorted(prune_dumps()) == days[:2]
    assert keys(s3, on_s3) == {f"open-data/{today.isoformat()}/{name}" for name in file_names()}
    assert dump_days() == [today]


def test_open_data_can_have_a_bucket_and_prefix_of_its_own(s3_endpoint, s3, bucket, monkeypatch, settings):
    uploads = f"observatory-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=uploads)
    _configure(
        monkeypatch,
        settings,
        **_s3_environment(s3_endpoint, uploads),
        OPEN_DATA_BUCKET=bucket,
        OPEN_DATA_LOCATION="/releases/",
    )
    CaseStudyFactory(status=Status.PUBLISHED)

    dump = write_dump()

    assert keys(s3, bucket) == {f"releases/{dump.day.isoformat()}/{name}" for name in file_names()}
    assert keys(s3, uploads) == set()
    assert latest_day() == dump.day


# --- Settings -----------------------------------------------------------------------------------------


def test_every_s3_storage_waits_a_bounded_time(on_s3):
    """botocore alone would wait 60 s to connect and 60 s per read, over 5 attempts."""
    for alias in ("default", "opendata"):
        config = storages[alias].connection.meta.client.meta.config
        assert (config.connect_timeout, config.read_timeout) == (3, 10)
        assert config.retries == {"total_max_attempts": 2, "mode": "standard"}


def test_the_waits_and_addressing_are_set_by_the_environment(monkeypatch):
    _require_server_packages()
    monkeypatch.setenv("AWS_S3_CONNECT_TIMEOUT", "2")
    monkeypatch.setenv("AWS_S3_READ_TIMEOUT", "7")
    monkeypatch.setenv("AWS_S3_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_S3_ADDRESSING_STYLE", "path")
    config = base.s3_client_config_from_env()
    assert (config.connect_timeout, config.read_timeout, config.retries["total_max_attempts"]) == (2, 7, 1)
    assert config.s3 == {"addressing_style": "path"}

    monkeypatch.setenv("AWS_S3_ADDRESSING_STYLE", "dns")
    with pytest.raises(ImproperlyConfigured, match="AWS_S3_ADDRESSING_STYLE must be"):
        base.s3_client_config_from_env()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OPEN_DATA_STORAGE_BACKEND": "ftp"}, "OPEN_DATA_STORAGE_BACKEND must be 'filesystem' or 's3'"),
        ({"OPEN_DATA_STORAGE_BACKEND": "s3"}, "set OPEN_DATA_BUCKET (or AWS_STORAGE_BUCKET_NAME)"),
    ],
)
def test_an_incomplete_open_data_storage_is_a_clear_configuration_error(monkeypatch, env, message):
    for name in STORAGE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured) as caught:
        base.open_data_storage_from_env()
    assert message in str(caught.value)


def settings_in_subprocess(**env) -> dict:
    """What base.py builds at start-up from `env`, read in a fresh interpreter."""
    _require_server_packages()
    clean = {name: value for name, value in os.environ.items() if name not in STORAGE_VARIABLES}
    code = (
        "import json; from observatory.settings import base as b; "
        "c = getattr(b, 'AWS_S3_CLIENT_CONFIG', None); "
        "print(json.dumps({'opendata': b.STORAGES['opendata'], 'default': b.STORAGES['default'], "
        "'waits': c and [c.connect_timeout, c.read_timeout, c.retries]}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        cwd=base.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_open_data_stays_on_disk_unless_asked_and_then_bounds_its_waits():
    on_disk = settings_in_subprocess()
    assert on_disk["opendata"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert on_disk["waits"] is None  # botocore not even imported

    on_s3 = settings_in_subprocess(OPEN_DATA_STORAGE_BACKEND="s3", AWS_STORAGE_BUCKET_NAME="obs-uploads")
    assert on_s3["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert on_s3["opendata"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert on_s3["opendata"]["OPTIONS"] | {"max_memory_size": None} == {
        "bucket_name": "obs-uploads",
        "endpoint_url": None,
        "region_name": None,
        "access_key": None,
        "secret_key": None,
        "location": "open-data",
        "file_overwrite": False,
        "default_acl": None,
        "max_memory_size": None,
    }
    assert on_s3["waits"] == [3, 10, {"total_max_attempts": 2, "mode": "standard"}]


# --- A server down ------------------------------------------------------------------------------------


@contextlib.contextmanager
def silent_server():
    """A port that takes connections and never answers: a server hung, or a firewall swallowing replies.
    The kernel completes each connection from the listening socket's backlog; nothing ever reads it."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(32)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_a_server_refusing_connections_is_a_prompt_error_naming_it(monkeypatch, settings, published):
    _require_server_packages()
    from botocore.exceptions import EndpointConnectionError

    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    _configure(monkeypatch, settings, **_s3_environment(endpoint, "observatory-gone"))

    started = time.monotonic()
    with pytest.raises(EndpointConnectionError, match=f'Could not connect to the endpoint URL: "{endpoint}/'):
        write_dump()
    with pytest.raises(EndpointConnectionError):
        default_storage.save("cases/1/report.pdf", ContentFile(b"%PDF-1.7\n"))
    # With the defaults: two attempts each, a backoff of at most 1 s between them.
    assert time.monotonic() - started < 10


def test_a_server_that_never_answers_costs_a_bounded_wait(monkeypatch, settings, client):
    _require_server_packages()
    from botocore.exceptions import ReadTimeoutError

    with silent_server() as endpoint:
        _configure(
            monkeypatch,
            settings,
            **_s3_environment(endpoint, "observatory-hung"),
            AWS_S3_READ_TIMEOUT="1",
            AWS_S3_MAX_ATTEMPTS="2",
        )
        started = time.monotonic()
        with pytest.raises(ReadTimeoutError, match=f'Read timeout on endpoint URL: "{endpoint}/'):
            write_dump()
        # Two reads of 1 s and a backoff of at most 1 s between them; botocore's defaults: 5 minutes.
        assert time.monotonic() - started < 10
        # A reader meets a calm 503, as for the database, on every open-data address.
        for address in ("/data/latest/cases.csv.gz", "/data/", "/catalog.jsonld"):
            started = time.monotonic()
            response = client.get(address)
            assert (response.status_code, response["Retry-After"]) == (503, "30"), address
            assert time.monotonic() - started < 10


# --- A production process -----------------------------------------------------------------------------


def fetch_bytes(url: str, **headers) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@requires_postgresql
def test_a_production_process_serves_the_release_from_the_bucket(
    transactional_db, s3_endpoint, s3, bucket, monkeypatch, settings
):
    """gunicorn with the production settings, configured by nothing but the environment variables."""
    environment = _s3_environment(s3_endpoint, bucket)
    _configure(monkeypatch, settings, **environment)
    load_reference_data()  # a transactional test starts from empty tables
    CaseStudyFactory(title="Mobile clinics on schedule", status=Status.PUBLISHED)
    dump = write_dump()
    digest = next(each.sha256 for each in dump.files if each.name == "cases.csv.gz")

    with gunicorn_server(env={"DATABASE_URL": database_url(), **environment}) as base_url:
        status, headers, data = fetch_bytes(f"{base_url}/data/latest/cases.csv.gz")
        assert status == 200
        assert hashlib.sha256(data).hexdigest() == digest
        assert headers["ETag"] == f'"{digest}"'
        assert "Mobile clinics on schedule" in gzip.decompress(data).decode()
        assert (
            fetch_bytes(f"{base_url}/data/latest/cases.csv.gz", **{"If-None-Match": f'"{digest}"'})[0] == 304
        )


@requires_postgresql
def test_a_production_process_answers_an_error_promptly_when_the_bucket_hangs(transactional_db):
    _require_server_packages()
    with silent_server() as endpoint:
        environment = {
            **_s3_environment(endpoint, "observatory-hung"),
            "AWS_S3_READ_TIMEOUT": "1",
            "AWS_S3_MAX_ATTEMPTS": "1",
        }
        # gunicorn's worker timeout (30 s) is the last resort this must never need.
        with gunicorn_server(env={"DATABASE_URL": database_url(), **environment}) as base_url:
            started = time.monotonic()
            status, headers, _data = fetch_bytes(f"{base_url}/data/latest/datapackage.json")
            assert (status, headers["Retry-After"]) == (503, "30")
            assert time.monotonic() - started < 10

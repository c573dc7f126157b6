"""POST /api/v1/submissions/: a partner with a `submit` key proposes a case; it is never published."""

import json
import re

import pytest
from django.core import mail

from cases.forms import NARRATIVE_MAX_LENGTH
from cases.models import CaseRevision, CaseStudy, Status, SubmitterContact
from cases.services import api_key_create
from tests.factories import api_submission_body as body

pytestmark = pytest.mark.django_db

URL = "/api/v1/submissions/"


@pytest.fixture
def submit_key():
    _key, plaintext = api_key_create(owner="Partner Observatory", scope_read=False, scope_submit=True)
    return plaintext


@pytest.fixture
def post(client, submit_key, django_capture_on_commit_callbacks):
    def send(data, *, key=submit_key, content_type="application/json"):
        headers = {"authorization": f"Api-Key {key}"} if key else {}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(URL, data, content_type=content_type, headers=headers)

    return send


def test_a_valid_submission_creates_a_submitted_case_and_a_private_contact(post):
    response = post(body())

    assert response.status_code == 201, response.content
    receipt = response.json()
    assert receipt["status"] == "submitted"
    assert receipt["reference"].startswith("OBS-")
    case = CaseStudy.objects.get(title="Flood warnings by text message")
    assert case.status == Status.SUBMITTED
    assert case.published_at is None
    assert case.economy.iso2 == "SG"
    assert [s.slug for s in case.sectors.all()] == ["health"]
    assert [t.slug for t in case.themes.all()] == ["digital-government"]
    assert case.year_launched == 2021
    contact = SubmitterContact.objects.get(case=case)
    assert (contact.reference, contact.email) == (receipt["reference"], "ana.reyes@example.org")
    revision = CaseRevision.objects.get(case=case)
    assert "partner API" in revision.message
    assert "Partner Observatory" in revision.message
    assert mail.outbox[0].to == ["ana.reyes@example.org"]
    assert receipt["reference"] in mail.outbox[0].body


def test_a_submitted_case_is_not_visible_anywhere_public(post, client):
    post(body(title="Quietly proposed innovation"))
    slug = CaseStudy.objects.get(title="Quietly proposed innovation").slug

    assert client.get(f"/api/v1/cases/{slug}/").status_code == 404
    assert client.get("/api/v1/cases/").json()["count"] == 0
    assert client.get(f"/cases/{slug}/").status_code == 404
    assert "Quietly proposed" not in client.get("/api/v1/suggest/?q=quietly").content.decode()


def test_a_submission_may_not_ask_to_be_published(post):
    response = post(body(status="published"))

    assert response.status_code == 400
    assert response.json()["errors"] == {"status": ["Unknown field."]}
    assert not CaseStudy.objects.exists()


def test_missing_and_invalid_fields_are_named_one_by_one_and_nothing_is_written(post):
    response = post(
        body(
            title=...,
            economy="XX",
            sectors=["no-such-sector"],
            year_launched=1700,
            submitter_email="not an address",
            consent=False,
            overview="x" * (NARRATIVE_MAX_LENGTH + 1),
        )
    )

    assert response.status_code == 400
    assert response["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert errors["title"] == ["Enter the name of the innovation"]
    assert "Unknown economy code" in errors["economy"][0]
    assert "no-such-sector" in errors["sectors"][0]
    assert "1900" in errors["year_launched"][0]
    assert "correct format" in errors["submitter_email"][0]
    assert errors["consent"]
    assert "6,000 characters or fewer" in errors["overview"][0]
    assert not CaseStudy.objects.exists()
    assert not SubmitterContact.objects.exists()


def test_the_same_validation_as_the_public_form(post):
    """A field the form requires (the overview) is required here too, with the form's message."""
    response = post(body(overview=""))

    assert response.status_code == 400
    assert response.json()["errors"]["overview"] == ["Enter an overview of the innovation"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ([1, 2, 3], "non_field_errors"),
        (json.dumps("a string"), "non_field_errors"),
        ({**body(), "title": {"nested": "object"}}, "title"),
        ({**body(), "sectors": [1, 2]}, "sectors"),
        ({**body(), "reference_code": "I am a bot"}, "reference_code"),
    ],
)
def test_bodies_of_the_wrong_shape_are_refused_with_a_message(post, payload, field):
    response = post(payload)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not CaseStudy.objects.exists()


def test_a_body_that_is_not_json_is_refused(post):
    assert post("title=x", content_type="application/x-www-form-urlencoded").status_code == 415
    assert post("{not json", content_type="application/json").status_code == 400
    assert not CaseStudy.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "where"),
    [
        ({"title": "Qwx\ud800"}, "title"),
        ({"title": "low half alone \udc00 here"}, "title"),
        ({"sectors": ["health", "x\ud800"]}, "sectors[1]"),
        ({"Qwx\ud800": "a key"}, "key"),
        ({"title": "nul \x00 inside"}, "title"),
        ({"nul\x00key": "x"}, "key"),
    ],
    ids=["surrogate-in-title", "low-surrogate", "surrogate-in-list", "surrogate-in-key", "nul", "nul-in-key"],
)
def test_text_no_database_can_store_is_refused_with_400_and_nothing_is_written(post, overrides, where):
    payload = json.dumps({**body(), **overrides})  # ensure_ascii: "\\ud800", "\\u0000" in the JSON text

    response = post(payload)

    assert response.status_code == 400, response.content
    assert response["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:observatory:problem:parse-error"
    assert where in problem["detail"]
    assert "surrogate" in problem["detail"] or "NUL" in problem["detail"]
    assert list(problem["errors"].values()) == [[problem["detail"]]]
    assert not CaseStudy.objects.exists()


def test_a_paired_surrogate_is_an_ordinary_character(post):
    response = post(json.dumps(body(title="Flood warnings \U0001f30a by text")))

    assert response.status_code == 201, response.content
    assert CaseStudy.objects.get().title == "Flood warnings \U0001f30a by text"


@pytest.mark.parametrize("opening", ["[", '{"a": '], ids=["arrays", "objects"])
def test_json_nested_three_thousand_deep_is_refused_with_400(post, opening):
    closing = "]" if opening == "[" else "}"
    payload = '{"title": ' + opening * 3000 + "1" + closing * 3000 + "}"

    response = post(payload)

    assert response.status_code == 400, response.content
    assert "nested too deeply" in response.json()["detail"]
    assert not CaseStudy.objects.exists()


def test_brackets_inside_strings_are_not_nesting(post):
    response = post(json.dumps(body(title="[[[[" * 20 + "{{{{" * 20)))

    assert response.status_code == 201, response.content


def test_invalid_json_says_where_the_mistake_is(post):
    response = post('{"title": "Flood",\n  "summary" "no colon"}')

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "The body is not valid JSON: Expecting ':' delimiter at line 2, column 13."
    )


def test_nan_is_not_a_json_number(post):
    response = post('{"year_launched": NaN}')

    assert response.status_code == 400
    assert "NaN" in response.json()["detail"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "a" * 200 + " "}, "title"),  # too long as sent, though not once trimmed
        ({"consent": "yes"}, "consent"),
        ({"year_launched": "2021"}, "year_launched"),
        ({"year_launched": True}, "year_launched"),
        ({"title": 5}, "title"),
        ({"themes": None}, "themes"),
        ({"website": "ftp://example.org/case"}, "website"),
        ({"website": "example.org"}, "website"),
        ({"submitter_email": " ana@example.org"}, "submitter_email"),
    ],
    ids=str,
)
def test_a_value_the_document_does_not_allow_is_refused_though_the_form_might_take_it(post, overrides, field):
    response = post(body(**overrides))

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not CaseStudy.objects.exists()


def test_a_title_of_spaces_is_refused_with_the_forms_message(post):
    response = post(body(title="   "))

    assert response.status_code == 400
    assert response.json()["errors"]["title"] == ["Enter the name of the innovation"]


def test_without_a_key_the_answer_is_401(post):
    response = post(body(), key=None)

    assert response.status_code == 401
    assert not CaseStudy.objects.exists()


def test_a_read_only_key_is_refused_with_403(post):
    _key, read_only = api_key_create(owner="Reader", scope_read=True, scope_submit=False)

    response = post(body(), key=read_only)

    assert response.status_code == 403
    assert "submit" in response.json()["detail"]
    assert not CaseStudy.objects.exists()


def test_reading_endpoints_still_refuse_writes(client, submit_key):
    response = client.post(
        "/api/v1/cases/",
        body(),
        content_type="application/json",
        headers={"authorization": f"Api-Key {submit_key}"},
    )

    assert response.status_code == 405


def test_a_key_over_its_rate_gets_429(post):
    _key, plaintext = api_key_create(owner="Hasty", scope_submit=True, rate=2)

    statuses = [post(body(title=f"Proposal {n}"), key=plaintext).status_code for n in range(3)]

    assert statuses == [201, 201, 429]
    assert CaseStudy.objects.count() == 2


def test_two_submissions_with_one_title_get_distinct_slugs(post):
    post(body())
    post(body())

    assert sorted(CaseStudy.objects.values_list("slug", flat=True)) == [
        "flood-warnings-by-text-message",
        "flood-warnings-by-text-message-2",
    ]


def test_the_schema_documents_the_body_and_answers(client):
    document = client.get("/api/schema/", headers={"accept": "application/vnd.oai.openapi+json"}).json()
    operation = document["paths"]["/api/v1/submissions/"]["post"]

    schema_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    request_schema = document["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert {"title", "summary", "overview", "economy", "sectors", "consent"} <= set(
        request_schema["required"]
    )

    def component(schema):
        ref = schema.get("$ref") or schema["allOf"][0]["$ref"]
        return document["components"]["schemas"][ref.rsplit("/", 1)[1]]

    # Vocabularies as everywhere in the document (issue 17): the economy an ISO code of the fixed enum, the
    # sectors slugs of a curated vocabulary (no enum: a new sector changes nothing in the contract).
    assert "SG" in component(request_schema["properties"]["economy"])["enum"]
    sectors = component(request_schema["properties"]["sectors"]["items"])
    assert "enum" not in sectors
    assert re.search(sectors["pattern"], "health")
    assert "status" not in request_schema["properties"]
    for code in ("201", "400", "401", "403", "415", "429"):
        assert code in operation["responses"], code
    assert operation["security"] == [{"ApiKey": []}]

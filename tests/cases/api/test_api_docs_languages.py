"""The API's documentation in the reader's language: with ?lang=, the OpenAPI document's title, summaries,
descriptions and field help, and the docs page, come in that language (their msgids' translations);
without it, in English, as before.

The expected texts are gettext's own output for each msgid, so these tests hold whatever the catalogues
say; the one check that a catalogue is there at all is that the Japanese title is not the English one.
"""

import html

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db

OPENAPI_JSON = {"accept": "application/vnd.oai.openapi+json"}
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != "en"]

# Representative msgids, one from each place that documents the API (held in variables, so that
# makemessages does not take them from here).
TITLE = "Observatory API"  # SPECTACULAR_SETTINGS (observatory/settings/base.py)
HARVEST_SUMMARY = "Harvest every matching case"  # an operation's summary (cases/api/views.py)
CHANGE_ID_HELP = "The case's id: stable across slug changes; key your copy on it."  # a serializer field's
OUTCOME_DATE_HELP = "When it was measured."  # the case record's (cases/records.py, OUTCOME)
TOO_MANY_REQUESTS = "Too many requests: wait the number of seconds in Retry-After."  # cases/api/schema.py
SUGGEST_Q = "What has been typed, at most {limit} characters. Blank gives no suggestions."  # format_lazy
SUGGEST_Q_LIMIT = 100  # MAX_SUGGEST_LENGTH, put in where the msgid says {limit}
MSGIDS = [TITLE, HARVEST_SUMMARY, CHANGE_ID_HELP, OUTCOME_DATE_HELP, TOO_MANY_REQUESTS, SUGGEST_Q]


def schema(client, language=None):
    query = f"?lang={language}" if language else ""
    response = client.get(reverse("api:schema") + query, headers=OPENAPI_JSON)
    assert response.status_code == 200
    return response.json()


def parameters(document, operation) -> list[dict]:
    """The operation's parameters, each shared one (components/parameters) as defined there."""
    shared = document["components"]["parameters"]
    return [
        shared[parameter["$ref"].rsplit("/", 1)[1]] if "$ref" in parameter else parameter
        for parameter in operation["parameters"]
    ]


def documented(document) -> dict[str, str]:
    """The texts of the representative msgids, as the document gives them."""
    suggest = document["paths"]["/api/v1/suggest/"]["get"]
    return {
        TITLE: document["info"]["title"],
        HARVEST_SUMMARY: document["paths"]["/api/v1/cases/harvest/"]["get"]["summary"],
        CHANGE_ID_HELP: document["components"]["schemas"]["Change"]["properties"]["id"]["description"],
        OUTCOME_DATE_HELP: document["components"]["schemas"]["Outcome"]["properties"]["date"]["description"],
        TOO_MANY_REQUESTS: document["paths"]["/api/v1/cases/"]["get"]["responses"]["429"]["description"],
        SUGGEST_Q: next(p for p in parameters(document, suggest) if p["name"] == "q")["description"],
    }


def expected(language) -> dict[str, str]:
    """Each msgid's translation into `language`, as gettext gives it."""
    with translation.override(language):
        texts = {msgid: translation.gettext(msgid) for msgid in MSGIDS}
    texts[SUGGEST_Q] = texts[SUGGEST_Q].format(limit=SUGGEST_Q_LIMIT)
    return texts


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_document_is_in_the_language_asked_for(client, language):
    assert documented(schema(client, language)) == expected(language)


def test_the_japanese_document_is_translated(client):
    assert documented(schema(client, "ja"))[TITLE] != TITLE


def test_without_lang_the_document_is_in_english_even_after_another_language(client):
    schema(client, "ja")  # nothing made in one request's language may stay for the next
    english = documented(schema(client))
    as_written = {msgid: msgid for msgid in MSGIDS} | {SUGGEST_Q: SUGGEST_Q.format(limit=SUGGEST_Q_LIMIT)}
    assert english == as_written
    assert english == expected("en")


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_docs_page_is_in_the_language_asked_for(client, language):
    response = client.get(reverse("api:docs") + f"?lang={language}")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{language}"' in page
    with translation.override(language):
        assert f"<title>{html.escape(translation.gettext(TITLE))}</title>" in page
    assert f"lang={language}" in page  # the page loads the document in that language too


def test_the_docs_page_without_lang_is_english(client):
    page = client.get(reverse("api:docs")).content.decode()
    assert '<html lang="en"' in page
    assert f"<title>{TITLE}</title>" in page


@pytest.mark.parametrize("language", [None, "ja"])
def test_the_document_is_saved_under_one_plain_name_in_every_language(client, language):
    query = f"?lang={language}" if language else ""
    response = client.get(reverse("api:schema") + query, headers=OPENAPI_JSON)

    assert response["Content-Disposition"] == 'inline; filename="observatory-api.json"'


def test_components_are_described_for_readers_in_their_language(client):
    components = schema(client, "ja")["components"]["schemas"]

    with translation.override("ja"):
        reference = translation.gettext(
            "A reference to a vocabulary term: its code or slug and its name, in the language asked for."
        )
    assert components["SectorRef"]["description"] == reference
    assert "DRF" not in str(schema(client)["components"]["schemas"]["SectorRef"]["description"])


def test_the_document_takes_the_language_as_the_site_reads_its_code(client):
    """zh-TW and zh-Hant are zh-hant, as everywhere else in the API (docs/api.md, "Languages")."""
    assert documented(schema(client, "zh-TW"))[TITLE] == expected("zh-hant")[TITLE]

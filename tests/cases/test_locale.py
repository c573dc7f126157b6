"""The interface's message catalogues (cases/locale/, docs/translating.md): in every shipped language, every
message translated, none fuzzy, and none missing from what the code and templates mark for translation."""

import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation
from django.utils.translation import to_locale

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
ROOT = Path(settings.BASE_DIR)
# The folders whose files hold the interface's strings (templates, Python, the JavaScript modules).
SOURCE_FOLDERS = ["cases", "observatory", "templates", "static"]
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
DOMAINS = ["django", "djangojs"]
# What `make messages` leaves out of the catalogues (the Makefile's MAKEMESSAGES_IGNORE).
IGNORED = [".venv/*", "node_modules/*", "bench/*", "tests/*", "staticfiles/*", "docs/*"]


def catalogue(language: str, domain: str) -> polib.POFile:
    return polib.pofile(str(LOCALE_DIR / to_locale(language) / "LC_MESSAGES" / f"{domain}.po"))


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_and_reviewed(language, domain):
    po = catalogue(language, domain)
    assert po.metadata["Language"] == to_locale(language)
    # A fuzzy header is skipped by msgfmt: the plural rule would be lost with it.
    assert not po.metadata_is_fuzzy
    assert "nplurals=" in po.metadata["Plural-Forms"]
    assert [entry.msgid for entry in po.untranslated_entries()] == []
    assert [entry.msgid for entry in po.fuzzy_entries()] == []
    assert [entry.msgid for entry in po.obsolete_entries()] == []


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_catalogues_hold_every_message_the_code_marks(tmp_path, monkeypatch, domain):
    """What `make messages` would extract now is exactly what every catalogue holds: a string marked for
    translation but missing from the catalogues would show in English on a translated page."""
    # Extracted from a copy of the sources without their locale folder: makemessages writes into any
    # folder named "locale" it walks past, and must not touch the real catalogues.
    sources = tmp_path / "sources"
    for folder in SOURCE_FOLDERS:
        shutil.copytree(
            ROOT / folder, sources / folder, ignore=shutil.ignore_patterns("locale", "__pycache__")
        )
    monkeypatch.chdir(sources)
    with override_settings(LOCALE_PATHS=[tmp_path / "extracted"]):
        call_command("makemessages", locale=["ja"], domain=domain, ignore_patterns=IGNORED, verbosity=0)
    fresh = polib.pofile(str(tmp_path / "extracted" / "ja" / "LC_MESSAGES" / f"{domain}.po"))
    extracted = {(entry.msgctxt, entry.msgid) for entry in fresh}
    assert extracted, "nothing extracted: is GNU gettext installed (make gettext-tools)?"
    for language in TRANSLATED:
        held = {(entry.msgctxt, entry.msgid) for entry in catalogue(language, domain)}
        assert sorted(extracted - held, key=str) == [], f"missing from {language}: run make messages"
        assert sorted(held - extracted, key=str) == [], f"no longer in the code, in {language}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalogues_are_the_ones_django_reads(language):
    """`make translations` compiled them: a page in the language shows its words, not the English."""
    with translation.override(language):
        assert translation.gettext("Case library") != "Case library"
        assert translation.gettext("Skip to main content") != "Skip to main content"

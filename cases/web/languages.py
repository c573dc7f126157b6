"""Which language a request is answered in, and the same page's address in the other languages.

A page's language is in its address: English unprefixed (/cases/), the others under their code
(/ja/cases/), as observatory/urls.py routes them. One address is one language, so a shared link, a cached
page and a search engine all see the same text. Only the admin and the API, which have one address each,
negotiate: the API's `?lang=` first, then `Accept-Language` (and Django's language cookie), then English.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import get_language_info, gettext

# Addresses outside the language prefixes, whose language is negotiated per request.
NEGOTIATED_PREFIXES = ("/admin/", "/api/")
# The API's parameter that chooses the language of content and labels (docs/api.md, "Languages").
LANGUAGE_PARAMETER = "lang"
# ?lang=all: labels as Accept-Language says, and every published translation of each case's text.
EVERY_LANGUAGE = "all"


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def language_from_address(path: str) -> str | None:
    """The language code a path starts with (/ja/cases/ -> "ja"); None for an unprefixed path."""
    first = path.lstrip("/").split("/", 1)[0]
    return first if first != settings.LANGUAGE_CODE and first in language_codes() else None


def address_without_language(path: str) -> str:
    """/ja/cases/x/ -> /cases/x/; an unprefixed path is returned as it is."""
    language = language_from_address(path)
    return path[len(language) + 1 :] if language else path


def address_in_language(path: str, language: str) -> str:
    """The same page in another language: /ja/cases/x/ -> /th/cases/x/, or /cases/x/ for English."""
    neutral = address_without_language(path)
    return neutral if language == settings.LANGUAGE_CODE else f"/{language}{neutral}"


def supported_language(code: str | None) -> str | None:
    """A shipped language for a code as people write it (zh-TW, zh-Hant, JA), or None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code.strip().lower())
    except LookupError:
        return None


def language_parameter_problems(request) -> dict[str, list[str]]:
    """The API's ?lang= naming a language the site does not ship: {"lang": [message]}, for a 400."""
    if not request.path_info.startswith("/api/") or LANGUAGE_PARAMETER not in request.GET:
        return {}
    asked = request.GET.get(LANGUAGE_PARAMETER)
    if supported_language(asked) or wants_every_translation(request):
        return {}
    codes = ", ".join([*language_codes(), EVERY_LANGUAGE])
    return {LANGUAGE_PARAMETER: [gettext("Unknown language: choose one of %(codes)s.") % {"codes": codes}]}


def wants_every_translation(request) -> bool:
    """?lang=all: every published translation of each case's text, beside the record."""
    return (request.GET.get(LANGUAGE_PARAMETER) or "").strip().lower() == EVERY_LANGUAGE


def request_language(request) -> str:
    """The language to answer in: the address's prefix; for the admin and the API, ?lang= (API only),
    then the language cookie and Accept-Language; English for every other unprefixed address."""
    from_address = language_from_address(request.path_info)
    if from_address:
        return from_address
    if request.path_info.startswith(NEGOTIATED_PREFIXES):
        if request.path_info.startswith("/api/"):
            asked = supported_language(request.GET.get(LANGUAGE_PARAMETER))
            if asked:
                return asked
        return translation.get_language_from_request(request, check_path=False)
    return settings.LANGUAGE_CODE


@dataclass(frozen=True)
class LanguageVersion:
    code: str
    name: str  # in its own language: 日本語, ไทย
    url: str  # path and query string of this page in that language
    current: bool


def language_versions(request) -> list[LanguageVersion]:
    """This page in every shipped language, query string kept (filters, search, page), for the switcher
    and the hreflang alternates."""
    query = request.META.get("QUERY_STRING", "")
    current = translation.get_language()
    versions = []
    for code in language_codes():
        url = address_in_language(request.path, code)
        versions.append(
            LanguageVersion(
                code=code,
                name=get_language_info(code)["name_local"],
                url=f"{url}?{query}" if query else url,
                current=code == current,
            )
        )
    return versions

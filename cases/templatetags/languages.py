"""`{% load languages %}`, then `{% language_versions as versions %}`: this page in every shipped language
(cases/web/languages.py), for the language switcher and the `hreflang` alternates of base.html."""

from django import template
from django.utils.html import format_html
from django.utils.translation import get_language

from cases.web.languages import language_versions as versions_of

register = template.Library()


@register.simple_tag(takes_context=True)
def language_versions(context):
    """Only for an address that resolved to a page: an error page answering a malformed or unknown address
    (or a host not allowed) offers no copy of it, which would echo what was sent."""
    request = context.get("request")
    if request is None or getattr(request, "resolver_match", None) is None:
        return []
    return versions_of(request)


@register.filter
def translated(term, field):
    """`{{ theme|translated:"description" }}`: a vocabulary term's field in the active language
    (TranslatedTerm.translated), its English when it has no translation."""
    return term.translated(field) if term is not None else ""


@register.filter
def in_language(text, language):
    """`{{ outcome.unit|in_language:case.original_language }}`: the text, marked with its language
    (`<span lang>`, WCAG 3.1.2) only when that is not the page's."""
    if not text or not language or language == get_language():
        return text
    return format_html('<span lang="{}">{}</span>', language, text)

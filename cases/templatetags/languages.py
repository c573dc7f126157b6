"""`{% load languages %}`, then `{% language_versions as versions %}`: this page in every shipped language
(cases/web/languages.py), for the language switcher and the `hreflang` alternates of base.html."""

from django import template

from cases.web.languages import language_versions as versions_of

register = template.Library()


@register.simple_tag(takes_context=True)
def language_versions(context):
    request = context.get("request")
    return versions_of(request) if request is not None else []


@register.filter
def translated(term, field):
    """`{{ theme|translated:"description" }}`: a vocabulary term's field in the active language
    (TranslatedTerm.translated), its English when it has no translation."""
    return term.translated(field) if term is not None else ""

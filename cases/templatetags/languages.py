"""`{% load languages %}`, then `{% language_versions as versions %}`: this page in every shipped language
(cases/web/languages.py), for the language switcher and the `hreflang` alternates of base.html."""

from django import template

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

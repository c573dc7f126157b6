"""What a selection of cases is, in words: "Health cases in South-eastern Asia since 2015". The library
page's <title> and heading and the Atom feed's title say it (issue 19), from the one FilterSet's cleaned
values and the vocabularies' labels in the reader's language (the vocabulary snapshot: no query).

Each part is a whole phrase to translate, wrapping what comes before it ("%(cases)s in %(places)s"), so a
language can put the place, the years and the words where its grammar wants them. Within a parameter the
values are alternatives ("Health or Education"); across parameters, all apply ("Health and Digital
government"). A parameter with more than two values is named by how many it has ("3 sectors"), so a title
stays a title. Only vocabulary labels, years and the reader's own words appear: nothing from any case.
"""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy, pgettext

from cases.caching import vocabulary_snapshot
from cases.models.facets import CHOICE, FACETS_BY_PARAMETER, RELATED_COLUMN
from cases.web.formatting import format_year  # a Thai reader's years are the Buddhist Era's

# What the cases are about, then where they are, in the order a title names them.
TOPIC_PARAMETERS = ("sector", "theme", "facet", "sdg", "level", "stage")
PLACE_PARAMETERS = ("economy", "region")
# Values of one parameter named one by one; more are counted (MANY_VALUES).
NAMED_VALUES = 2
MANY_VALUES = {
    "economy": ngettext_lazy("%(count)s economy", "%(count)s economies", "count"),
    "region": ngettext_lazy("%(count)s region", "%(count)s regions", "count"),
    "sector": ngettext_lazy("%(count)s sector", "%(count)s sectors", "count"),
    "theme": ngettext_lazy("%(count)s theme", "%(count)s themes", "count"),
    "facet": ngettext_lazy("%(count)s innovation facet", "%(count)s innovation facets", "count"),
    "sdg": ngettext_lazy(
        "%(count)s Sustainable Development Goal", "%(count)s Sustainable Development Goals", "count"
    ),
    "level": ngettext_lazy("%(count)s level of government", "%(count)s levels of government", "count"),
    "stage": ngettext_lazy("%(count)s innovation stage", "%(count)s innovation stages", "count"),
}


def value_labels(parameter: str) -> dict[str, str]:
    """value (as a URL gives it) -> label in the active language, for every value of the facet."""
    facet = FACETS_BY_PARAMETER[parameter]
    if facet.kind == CHOICE:
        return {str(value): str(label) for value, label in facet.choices.choices}
    pairs = vocabulary_snapshot().labels(facet.model, facet.value_field, facet.label_field)
    return {str(value): label for value, label in (set(pairs) if facet.kind == RELATED_COLUMN else pairs)}


def chosen_values(filterset, parameter: str) -> list[str]:
    """The values of `parameter` the FilterSet accepted, as a URL names them, in the vocabulary's order
    (the cleaned value of a vocabulary is its terms; of a choice or a region, the values themselves)."""
    cleaned = filterset.form.cleaned_data.get(parameter) or []
    value_field = FACETS_BY_PARAMETER[parameter].value_field
    return [str(getattr(item, value_field, item)) if value_field else str(item) for item in cleaned]


def either(labels: list[str]) -> str:
    """One label, or two as alternatives ("Health or Education")."""
    if len(labels) == 1:
        return labels[0]
    return _("%(first)s or %(second)s") % {"first": labels[0], "second": labels[1]}


def all_of(phrases: list[str]) -> str:
    """Phrases that all apply ("Health and Digital government")."""
    combined = phrases[0]
    for phrase in phrases[1:]:
        combined = _("%(first)s and %(second)s") % {"first": combined, "second": phrase}
    return combined


def parameter_phrase(filterset, parameter: str) -> str | None:
    """The chosen values of one parameter in words, or None when none is chosen."""
    values = chosen_values(filterset, parameter)
    if not values:
        return None
    if len(values) > NAMED_VALUES:
        return MANY_VALUES[parameter] % {"count": len(values)}
    labels = value_labels(parameter)
    return either([labels.get(value, value) for value in values])


def selection_title(filterset) -> str | None:
    """The selection a valid FilterSet makes, as a title in the active language; None when it chooses
    nothing (every published case), for the caller's own title."""
    if not filterset.is_bound or not filterset.is_valid():
        return None
    data = filterset.form.cleaned_data
    topics = [phrase for p in TOPIC_PARAMETERS if (phrase := parameter_phrase(filterset, p))]
    places = [phrase for p in PLACE_PARAMETERS if (phrase := parameter_phrase(filterset, p))]
    year_from, year_to = data.get("year_from"), data.get("year_to")
    words = filterset.search_words
    if not (topics or places or year_from or year_to or words):
        return None
    # Translators: what the selected cases are about, e.g. "Health cases", "Health and Digital government
    # cases".
    if topics:
        title = _("%(topics)s cases") % {"topics": all_of(topics)}
    else:
        title = pgettext("the title of a selection of cases, when it chooses no topic", "Cases")
    if places:
        # Translators: e.g. "Health cases in South-eastern Asia".
        title = _("%(cases)s in %(places)s") % {"cases": title, "places": all_of(places)}
    if year_from is not None and year_to is not None:
        title = _("%(cases)s launched from %(start)s to %(end)s") % {
            "cases": title,
            "start": format_year(year_from),
            "end": format_year(year_to),
        }
    elif year_from is not None:
        # Translators: e.g. "Health cases in South-eastern Asia since 2015" (the year they were launched).
        title = _("%(cases)s since %(year)s") % {"cases": title, "year": format_year(year_from)}
    elif year_to is not None:
        title = _("%(cases)s launched until %(year)s") % {"cases": title, "year": format_year(year_to)}
    if words:
        title = _("%(cases)s matching “%(words)s”") % {"cases": title, "words": words}
    return title

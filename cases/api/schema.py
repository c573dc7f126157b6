"""The OpenAPI document's house rules (drf-spectacular).

- `ApiAutoSchema` documents the FilterSet's parameters on every view that reads through it (lists,
  exports, facet counts, statistics), not only on DRF's list actions.
- `FilterSetExtension` states each filter parameter's allowed values as the FilterSet knows them: lengths,
  ranges, fixed choices, and for a facet, its vocabulary's one schema component (below).
- The vocabularies, one component each, never read from the database (docs/api.md, "The OpenAPI
  document and generated clients"): a curated vocabulary (sectors, themes, innovation facets: curators add
  terms in the admin) is a slug string (`ThemeSlug`: pattern, example, and where its terms are listed), so
  that a new term changes neither the document nor the clients generated from it; a fixed one is a named
  enum of the values its standard or the code fixes (`EconomyEnum`: ISO 3166-1 alpha-2; `RegionEnum`: UN
  M49 sub-regions; `SdgEnum`; `LevelEnum`; `StageEnum`). Parameters, responses and request bodies all
  refer to them.
- `share_definitions`, a post-processing hook, adds those components, points the request bodies' vocabulary
  properties at them, names every enum a parameter holds, and makes each query parameter one shared
  definition (components/parameters) that every operation taking it refers to: one class per parameter in a
  generated client, not one per operation.
- `add_standard_responses`, a post-processing hook, adds the responses every operation can give: 304 to
  conditional reads, 400 (problem details) where there are query parameters, 401 where a key may be
  sent, 404, 406 and 429 (with Retry-After), and serves every error as application/problem+json.
- `ApiKeySecurityScheme` declares partner keys (`Authorization: Api-Key <key>`): optional on operations
  anyone may use, required where a view asks for a scope (`HasScope`).
"""

import json
import re

import django_filters
import yaml
from django.conf import settings
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_choice_description_list, build_parameter_type
from drf_spectacular.utils import OpenApiParameter
from inflection import camelize

from cases import records
from cases.api.permissions import HasScope
from cases.models import (
    TEXT_CONTROL_CHARACTERS,
    Complexity,
    Discipline,
    Duration,
    InnovationFacet,
    Method,
    MethodRole,
    Organisation,
    OrganisationRole,
    OrganisationType,
    Purpose,
    Sector,
    Theme,
    Toolkit,
    ToolkitKind,
    Vocabulary,
)
from cases.models.facets import CHOICE, FACETS, FACETS_BY_MODEL, FACETS_BY_PARAMETER, TERMS, Facet
from cases.web.errors import PROBLEM_CONTENT_TYPE
from cases.web.languages import EVERY_LANGUAGE, LANGUAGE_PARAMETER
from cases.web.validation import MAX_DIGITS


class ApiAutoSchema(AutoSchema):
    def get_filter_backends(self):
        documented = getattr(self.view, "schema_filters", None)
        if documented is None:
            return super().get_filter_backends()
        return list(getattr(self.view, "filter_backends", [])) if documented else []


class ApiKeySecurityScheme(OpenApiAuthenticationExtension):
    target_class = "cases.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": _(
                # Translators: `Api-Key <key>` is how the header is written, and `read` and `submit` are the
                # scopes' names: keep them as they are.
                "A partner key, as `Api-Key <key>`: the key's own rate limit instead of the anonymous "
                "one, and the scopes it was given (`read`, `submit`). A key in the URL is ignored."
            ),
        }

    def get_security_requirement(self, auto_schema):
        requirement = {self.name: []}
        if any(isinstance(permission, HasScope) for permission in auto_schema.view.get_permissions()):
            return requirement
        return [requirement, {}]  # optional: anyone may read without a key


class FilterSetExtension(DjangoFilterExtension):
    target_class = "cases.api.filters.ApiFilterBackend"
    match_subclasses = True
    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        entry_model = getattr(filter_field, "link_field", None) and filter_field.queryset.model
        named = None if field_name in FACETS_BY_PARAMETER else named_choices_ref(filter_field)
        if (
            named is None
            and field_name not in FACETS_BY_PARAMETER
            and callable(filter_field.extra.get("choices"))
        ):
            # Choices made when asked (the content languages): stated as they are now, never guessed.
            named = {
                "type": "string",
                "enum": sorted(str(value) for value, _label in filter_field.extra["choices"]()),
            }
        if field_name not in FACETS_BY_PARAMETER and (entry_model in ENTRY_SLUGS or named is not None):
            # Methods, toolkits or organisations by slug (LinkedEntriesFilter), or one of the fixed choices of
            # issue 18's entries: one component each, as a vocabulary's.
            ref = {"$ref": REF_PREFIX + ENTRY_SLUGS[entry_model][0]} if named is None else named
            multiple = isinstance(
                filter_field, django_filters.MultipleChoiceFilter | django_filters.ModelMultipleChoiceFilter
            )
            parameter = build_parameter_type(
                name=field_name,
                required=filter_field.extra["required"],
                location=OpenApiParameter.QUERY,
                description=filter_field.extra.get("help_text") or filter_field.label,
                schema={"type": "array", "items": ref} if multiple else ref,
                **({"explode": True, "style": "form"} if multiple else {}),
            )
            if not multiple:
                parameter["allowEmptyValue"] = True
            return [parameter]
        if field_name in FACETS_BY_PARAMETER:
            # A facet: repeatable, each value a term of its vocabulary, as the vocabulary's one component
            # states it (the same in every operation and in the responses).
            return [
                build_parameter_type(
                    name=field_name,
                    required=filter_field.extra["required"],
                    location=OpenApiParameter.QUERY,
                    description=filter_field.extra.get("help_text") or filter_field.label,
                    schema={"type": "array", "items": vocabulary_ref(field_name)},
                    explode=True,
                    style="form",
                )
            ]
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        for parameter in parameters:
            schema = parameter["schema"]
            refine_parameter_schema(
                schema["items"] if schema.get("type") == "array" else schema, filter_field
            )
            if not parameter.get("required") and schema.get("type") != "array":
                # The FilterSet reads `?sort=` (as an HTML form sends it) as no choice at all.
                parameter["allowEmptyValue"] = True
        return parameters


# Free text may hold tabs and line ends, but no other control character (a 400 on every address:
# cases/web/validation.py; the case text itself: cases.models.CONTROL_CHARACTERS). Stated as a pattern
# so that generated clients know; FORBIDDEN_IN_TEXT is the same class for the server's own checks.
# ECMA-262 (the schema's regular expressions) spells a character \uXXXX, where Python's `re` takes \xXX.
_CONTROL = re.sub(r"\\x([0-9a-f]{2})", r"\\u00\1", TEXT_CONTROL_CHARACTERS)
TEXT_PATTERN = f"^[^{_CONTROL}]*$"
# The same, with at least one character that is not a space (a required field: blank is missing).
NOT_BLANK_TEXT_PATTERN = f"^[^{_CONTROL}]*[^\\s{_CONTROL}][^{_CONTROL}]*$"
FORBIDDEN_IN_TEXT = re.compile(f"[{_CONTROL}]")


def refine_parameter_schema(schema: dict, declared) -> None:
    """Allowed values, lengths and ranges of one filter, from its own definition."""
    extra = declared.extra
    if isinstance(declared, django_filters.MultipleChoiceFilter | django_filters.ChoiceFilter):
        choices = extra.get("choices")
        choices = choices() if callable(choices) else choices
        if choices:
            schema["enum"] = sorted({str(value) for value, _label in choices})
    if extra.get("max_length"):
        schema["maxLength"] = extra["max_length"]
    if isinstance(declared, django_filters.CharFilter):
        schema["pattern"] = TEXT_PATTERN
    if extra.get("min_value") is not None:
        schema["minimum"] = extra["min_value"]
    if extra.get("max_value") is not None:
        schema["maximum"] = extra["max_value"]


# --- Methods, toolkits and organisations (issue 18) ----------------------------------------------------

# Their slugs, which the cases' `method`, `toolkit` and `organisation` parameters (and the toolkits'
# `method`) take: slug strings, as a curated vocabulary's (curators add entries in the admin), each linking
# the API's list of them. model -> (component, the list's route, an example).
ENTRY_SLUGS = {
    Method: ("MethodSlug", "api:method-list", "design-thinking"),
    Toolkit: ("ToolkitSlug", "api:toolkit-list", "opsi-toolkit-navigator"),
    Organisation: ("OrganisationSlug", "api:organisation-list", "govtech-singapore"),
}
# Their fixed choices, one named enum each, which parameters and responses share. OrganisationTypeEnum is
# drf-spectacular's already (ENUM_NAME_OVERRIDES); the others are added by share_definitions.
NAMED_CHOICES = {
    "DisciplineEnum": Discipline,
    "PurposeEnum": Purpose,
    "DurationEnum": Duration,
    "ComplexityEnum": Complexity,
    "ToolkitKindEnum": ToolkitKind,
    "MethodRoleEnum": MethodRole,
    "OrganisationRoleEnum": OrganisationRole,
    "OrganisationTypeEnum": OrganisationType,
}
_NAMED_BY_VALUES = {frozenset(choices.values): name for name, choices in NAMED_CHOICES.items()}


def named_choices_ref(filter_field) -> dict | None:
    """The component of the fixed choices a choice filter takes, when they are one of NAMED_CHOICES."""
    if not isinstance(filter_field, django_filters.MultipleChoiceFilter | django_filters.ChoiceFilter):
        return None
    choices = filter_field.extra.get("choices")
    choices = choices() if callable(choices) else choices
    name = _NAMED_BY_VALUES.get(frozenset(str(value) for value, _label in choices or ()))
    return {"$ref": REF_PREFIX + name} if name else None


def choices_ref(choices) -> dict:
    """A reference to the named enum of `choices` (one of NAMED_CHOICES), for a response's field."""
    (name,) = [name for name, named in NAMED_CHOICES.items() if named is choices]
    return {"$ref": REF_PREFIX + name}


def entry_components() -> dict[str, dict]:
    """The components of issue 18's slugs and fixed choices, in the language of the document being made."""
    components = {
        name: {
            "type": "string",
            "pattern": SLUG_PATTERN,
            "maxLength": model._meta.get_field("slug").max_length,
            "example": example,
            "description": format_lazy(
                _(
                    # Translators: {listing} is an address of the API (/api/v1/methods/): it stays as it is.
                    "The slug of a published entry, which curators add: {listing} lists them with their "
                    "names. A slug, not an enum: a new entry needs no new client."
                ),
                listing=reverse(route),
            ),
        }
        for model, (name, route, example) in ENTRY_SLUGS.items()
    }
    for name, choices in NAMED_CHOICES.items():
        components[name] = {
            "enum": list(choices.values),
            "type": "string",
            "description": build_choice_description_list(choices.choices),
        }
    return components


# --- The vocabularies: one component each -----------------------------------------------------------
#
# Nothing here is read from the database: the document is the contract partners generate clients from, and a
# curator's new theme must change neither. Curated vocabularies are slug strings; fixed ones are enums of
# the values their standard (or this code) fixes, which no edit in the admin can extend.

REF_PREFIX = "#/components/schemas/"

# Django's validate_slug, as the vocabularies' own addresses take it (VocabularyViewSet.lookup_value_regex).
SLUG_PATTERN = "^[-a-zA-Z0-9_]+$"

# ISO 3166-1 alpha-2, every officially assigned code (the IANA time zone database's iso3166.tab, 2025b):
# an economy is named by its code, and a curator adding one (DESIGN.md: "any other economy a case needs")
# adds a code of this list.
_ISO_3166_ALPHA_2_CODES = (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS "
    "BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE "
    "EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM "
    "HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC "
    "LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA "
    "NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW "
    "SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO "
    "TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"
)
ISO_3166_ALPHA_2 = _ISO_3166_ALPHA_2_CODES.split()

# The 17 sub-regions of the UN M49 standard (https://unstats.un.org/unsd/methodology/m49/), by code, with
# their names as the standard gives them: the region facet's values.
UN_M49_SUBREGIONS = {
    "015": "Northern Africa",
    "202": "Sub-Saharan Africa",
    "419": "Latin America and the Caribbean",
    "021": "Northern America",
    "143": "Central Asia",
    "030": "Eastern Asia",
    "035": "South-eastern Asia",
    "034": "Southern Asia",
    "145": "Western Asia",
    "151": "Eastern Europe",
    "154": "Northern Europe",
    "039": "Southern Europe",
    "155": "Western Europe",
    "053": "Australia and New Zealand",
    "054": "Melanesia",
    "057": "Micronesia",
    "061": "Polynesia",
}

# Each curated vocabulary's list in the API (the router's basenames, cases/api/urls.py): the description of
# its slugs links it.
CURATED_LISTS = {
    Sector: "api:sector-list",
    Theme: "api:theme-list",
    InnovationFacet: "api:innovation-facet-list",
}
# A slug each curated vocabulary is sure to keep (DESIGN.md: slugs stable; the facet table's help texts
# give the same ones).
CURATED_EXAMPLES = {Sector: "health", Theme: "digital-government", InnovationFacet: "anticipatory"}


def is_curated(facet: Facet) -> bool:
    """Whether curators extend the facet's vocabulary in the admin (cases.models.Vocabulary: sectors,
    themes, innovation facets), so that its values are slugs a client takes as they come."""
    return facet.kind == TERMS and issubclass(facet.model, Vocabulary)


def vocabulary_component_name(facet: Facet) -> str:
    """ThemeSlug for a curated vocabulary; EconomyEnum, RegionEnum, SdgEnum, LevelEnum, StageEnum for the
    fixed ones (LevelEnum and StageEnum: the names ENUM_NAME_OVERRIDES gives their choices elsewhere)."""
    if is_curated(facet):
        return f"{facet.model.__name__}Slug"
    if facet.kind == CHOICE:
        return f"{facet.choices.__name__}Enum"
    return f"{camelize(facet.parameter)}Enum"


def vocabulary_ref(parameter: str) -> dict:
    """A reference to the component of the vocabulary the facet `parameter` takes values of."""
    return {"$ref": f"#/components/schemas/{vocabulary_component_name(FACETS_BY_PARAMETER[parameter])}"}


def vocabulary_component(facet: Facet) -> dict:
    """The schema of one facet's values, in the language of the document being made."""
    if is_curated(facet):
        model = facet.model
        return {
            "type": "string",
            "pattern": SLUG_PATTERN,
            "maxLength": model._meta.get_field(facet.value_field).max_length,
            "example": CURATED_EXAMPLES[model],
            "description": format_lazy(
                _(
                    # Translators: {listing} is an address of the API (/api/v1/themes/): it stays as it is.
                    "The slug of a term of a curated vocabulary, which curators extend: {listing} lists "
                    "the current terms with their names. A slug, not an enum: a new term needs no new "
                    "client."
                ),
                listing=reverse(CURATED_LISTS[model]),
            ),
        }
    if facet.kind == CHOICE:
        choices = facet.choices
        return {
            "enum": list(choices.values),
            "type": "string",
            "description": build_choice_description_list(choices.choices),
        }
    if facet.parameter == "economy":
        return {
            "enum": ISO_3166_ALPHA_2,
            "type": "string",
            "example": "SG",
            # The submission body's words for it (cases/api/submissions.py), already in every language.
            "description": _("The ISO 3166-1 alpha-2 code of an economy in /api/v1/economies/, e.g. SG."),
        }
    if facet.parameter == "region":
        return {
            "enum": list(UN_M49_SUBREGIONS),
            "type": "string",
            "example": "035",
            "description": build_choice_description_list(UN_M49_SUBREGIONS.items()),
        }
    if facet.parameter == "sdg":
        lowest, highest = facet.value_range
        return {
            "enum": list(range(lowest, highest + 1)),
            "type": "integer",
            "description": facet.title,
        }
    raise NotImplementedError(f"The {facet.parameter} facet's values have no schema: add one here.")


PROBLEM_SCHEMA = {
    "type": "object",
    "description": _("An error, as problem details (RFC 9457)."),
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {
            "type": "string",
            # Translators: urn:observatory:problem:invalid-parameters is a value: keep it as it is.
            "description": _("What kind of problem, e.g. urn:observatory:problem:invalid-parameters."),
        },
        "title": {"type": "string", "description": _("A short summary of the kind of problem.")},
        "status": {"type": "integer", "description": _("The HTTP status code.")},
        "detail": {"type": "string", "description": _("What went wrong this time, in words.")},
        "errors": {
            "type": "object",
            "description": _("For invalid parameters: each parameter's name with its messages."),
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}

ERROR_DESCRIPTIONS = {
    "400": _(
        # Translators: `errors` is the name of a member of the answer: keep it as it is.
        "A parameter has a value that is not allowed (`errors` names each one with a message), or the "
        "address holds control characters or bytes that are not UTF-8 text."
    ),
    "414": _("The address (path and query string) is too long."),
    # Translators: Api-Key (a scheme) and Authorization (an HTTP header) stay as they are.
    "401": _(
        "The Api-Key in the Authorization header is unknown, revoked or expired, or none was sent where one "
        "is required."
    ),
    "403": _("The key is valid but lacks the scope this operation needs."),
    "404": _("Nothing here: no such case or term (or a page past the last one)."),
    # Translators: Accept is an HTTP header's name: keep it in English.
    "406": _("The Accept header asks for a format this endpoint does not give."),
    # Translators: Content-Type: application/json is an HTTP header with its value: keep it as it is.
    "415": _("The body is not JSON (send Content-Type: application/json)."),
    # Translators: Retry-After is an HTTP header's name: keep it in English.
    "429": _("Too many requests: wait the number of seconds in Retry-After."),
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


# Every read takes ?lang= (cases/web/languages.py; docs/api.md, "Languages").
LANGUAGE_PARAMETER_SCHEMA = {
    "name": LANGUAGE_PARAMETER,
    "in": "query",
    "required": False,
    "description": _(
        # Translators: Accept-Language (an HTTP header), `all` (a value) and `translations` (a field's name)
        # stay as they are.
        "The language of the vocabularies' names, the messages and the cases' text (a published "
        "translation, else the original). Without it, Accept-Language decides, then English. `all`: also "
        "every published translation of each case, in `translations`."
    ),
    "schema": {"type": "string", "enum": [*(code for code, _name in settings.LANGUAGES), EVERY_LANGUAGE]},
}


def _problem(description, headers=None):
    response = {
        "description": description,
        "content": {PROBLEM_CONTENT_TYPE: {"schema": PROBLEM_REF}},
    }
    if headers:
        response["headers"] = headers
    return response


# What the document says of its components, in the reader's language: drf-spectacular would take each
# serializer's docstring, which is written for this code's maintainers and cannot be translated.
TERM_REFERENCE = _(
    "A reference to a vocabulary term: its code or slug and its name, in the language asked for."
)
COMPONENT_DESCRIPTIONS = {
    "CaseDetail": _(
        "Everything public about a case: the narrative, vocabularies, outcomes, links and resources."
    ),
    "CaseList": _("A case in a list: enough to show a result card and decide whether to fetch the rest."),
    "Change": _("One entry of the changes feed."),
    "SubmissionRequest": _(
        "The body of a submission: the public form's fields, vocabularies by code or slug."
    ),
    "MethodList": _("A method in a list: enough to show its card."),
    "MethodDetail": _(
        "Everything public about a method: its description, steps, strengths, pitfalls and sources "
        "(Markdown), and the published toolkits that support it."
    ),
    "ToolkitList": _("A toolkit in a list, described as OPSI's Toolkit Navigator describes one."),
    "ToolkitDetail": _("Everything public about a toolkit, with the published methods it supports."),
    "Organisation": _("An organisation that led or partnered in published cases."),
    "LinkedMethod": _("A published method, with the addresses of its page and its record."),
    "LinkedToolkit": _("A published toolkit, with the addresses of its page and its record."),
    "CaseMethod": _("A published method the case used, and how."),
    "CaseToolkit": _("A published toolkit the case drew on, and how."),
    "CaseOrganisation": _("An organisation of the case: its lead organisation or a partner."),
}


def add_standard_responses(result, generator, request, public):
    """Post-processing hook: the responses and error format every operation shares."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for name, component in components.items():
        if name in COMPONENT_DESCRIPTIONS:
            component["description"] = COMPONENT_DESCRIPTIONS[name]
        elif name.endswith("Ref") and "description" in component:
            component["description"] = TERM_REFERENCE
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in ("get", "head", "post"):
                continue
            reads = method != "post"
            responses = operation.setdefault("responses", {})
            for code, response in list(responses.items()):
                if code.startswith(("4", "5")):
                    content = response.get("content", {})
                    schema = next(iter(content.values()), {}).get("schema") if content else None
                    response["content"] = {PROBLEM_CONTENT_TYPE: {"schema": schema or PROBLEM_REF}}
            if reads:
                responses.setdefault(
                    "304",
                    {
                        "description": _(
                            # Translators: ETag, If-None-Match and If-Modified-Since are HTTP headers' names:
                            # keep them in English.
                            "Not modified: the ETag (If-None-Match) or date (If-Modified-Since) sent is "
                            "current."
                        )
                    },
                )
            if reads and not any(
                p.get("name") == LANGUAGE_PARAMETER for p in operation.get("parameters", [])
            ):
                operation.setdefault("parameters", []).append(LANGUAGE_PARAMETER_SCHEMA)
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if schema.get("type") == "integer" and "maximum" not in schema:
                    # Every number in an address is read with at most MAX_DIGITS digits (a 400 beyond).
                    schema["maximum"] = 10**MAX_DIGITS - 1
            # Any address may be refused before a view sees it (cases/web/validation.py): a 400 for
            # control characters or bytes that are not UTF-8 in the path or a parameter, a 414 if too long.
            responses.setdefault("400", _problem(ERROR_DESCRIPTIONS["400"]))
            responses.setdefault("414", _problem(ERROR_DESCRIPTIONS["414"]))
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            reference = body.get("schema", {}).get("$ref", "")
            if reference.startswith("#/components/schemas/"):
                # Unknown properties are refused with a 400 naming them.
                result["components"]["schemas"][reference.rsplit("/", 1)[1]]["additionalProperties"] = False
            if operation.get("security"):
                responses.setdefault(
                    "401",
                    _problem(
                        ERROR_DESCRIPTIONS["401"],
                        headers={
                            "WWW-Authenticate": {"schema": {"type": "string"}, "description": "Api-Key"}
                        },
                    ),
                )
                if {} not in operation["security"]:  # a key is required: one without the scope gets 403
                    responses.setdefault("403", _problem(ERROR_DESCRIPTIONS["403"]))
            if reads:
                responses.setdefault("404", _problem(ERROR_DESCRIPTIONS["404"]))
            else:
                responses.setdefault("415", _problem(ERROR_DESCRIPTIONS["415"]))
            responses.setdefault("406", _problem(ERROR_DESCRIPTIONS["406"]))
            responses.setdefault(
                "429",
                _problem(
                    ERROR_DESCRIPTIONS["429"],
                    headers={
                        "Retry-After": {"schema": {"type": "integer"}, "description": _("Seconds to wait.")}
                    },
                ),
            )
    return result


# --- One definition of each vocabulary and each parameter -------------------------------------------

# The case record's fields naming terms (economy, other_economies, sectors, themes, facets, sdgs) -> the
# facet whose vocabulary they name: a request body's property of that name takes that vocabulary's values.
VOCABULARY_PROPERTIES = {
    field.name: FACETS_BY_MODEL[field.model]
    for field in records.FIELDS
    if field.kind in records.VOCABULARY_KINDS
}


def _named_by_ref(schema: dict, ref: dict) -> dict:
    """A property (or a list of them) naming terms, pointed at their vocabulary's component: what it says
    of itself (description, lengths of a list) kept, its own enum and type dropped."""
    kept = {
        key: value for key, value in schema.items() if key not in ("$ref", "allOf", "oneOf", "enum", "type")
    }
    if "description" in kept:
        # drf-spectacular appends the choices it was given (read from the database) to the description.
        kept["description"] = str(kept["description"]).partition("\n\n* `")[0]
    if schema.get("type") == "array":
        return {**kept, "type": "array", "items": dict(ref)}
    return {"allOf": [dict(ref)], **kept} if kept else dict(ref)


def _enum_component(schemas: dict, name: str, schema: dict) -> dict | None:
    """A reference to the component `name` holding the enum `schema`, added if missing; None when a
    component of that name says something else (the enum then stays where it is)."""
    enum = {key: schema[key] for key in ("type", "enum") if key in schema}
    existing = schemas.setdefault(name, enum)
    if {key: existing[key] for key in ("type", "enum") if key in existing} != enum:
        return None
    return {"$ref": REF_PREFIX + name}


# Parameters whose values differ between the cases and the entries of issue 18 (each kind orders its own
# way): their enums are named after the kind (MethodSortEnum), by the operations' prefix.
ENTRY_OPERATION_PREFIXES = {"methods_": "Method", "toolkits_": "Toolkit", "organisations_": "Organisation"}
PER_KIND_PARAMETERS = ("sort", "ordering")


def _enum_name(operation: dict, parameter: dict) -> str:
    name = camelize(parameter["name"])
    if parameter["name"] in PER_KIND_PARAMETERS:
        operation_id = operation.get("operationId", "")
        for prefix, kind in ENTRY_OPERATION_PREFIXES.items():
            if operation_id.startswith(prefix):
                return f"{kind}{name}Enum"
    return f"{name}Enum"


def _name_parameter_enum(schemas: dict, parameter: dict, name: str = "") -> dict:
    """The parameter, its enum (or its items') moved into a component named after it (SortEnum), or `name`:
    a generator makes one class of it for every operation, not one per operation."""
    schema = parameter.get("schema", {})
    holder = schema.get("items", {}) if schema.get("type") == "array" else schema
    if "enum" not in holder:
        return parameter
    ref = _enum_component(schemas, name or f"{camelize(parameter['name'])}Enum", holder)
    if ref is None:
        return parameter
    remaining = {key: value for key, value in holder.items() if key not in ("type", "enum", "title")}
    named = {"allOf": [ref], **remaining} if remaining else ref
    if schema.get("type") == "array":
        return {**parameter, "schema": {**schema, "items": named}}
    return {**parameter, "schema": named}


def share_definitions(result, generator, request, public):
    """Post-processing hook (after add_standard_responses): one definition of each vocabulary and of each
    query parameter, referred to wherever it is used.

    - Each facet's vocabulary component (`vocabulary_component`), which the filter parameters and the
      responses' terms refer to; a request body's property named after a vocabulary field of the case
      record (SubmissionRequest's `economy`, `sectors`, `themes`) refers to it too, in place of the enum its
      form field read from the database.
    - Every enum a parameter holds, named (`SortEnum`, `LangEnum`, ...).
    - Every query parameter in components/parameters, by its name, and a `$ref` to it in each operation: a
      parameter two operations define differently (`q` of the search suggestions, `page_size` of the cursor
      pages) is a second definition, named after the first operation that takes it.
    - Enum components nothing refers to any more (the request body's former ones) are dropped.
    """
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for facet in FACETS:
        schemas[vocabulary_component_name(facet)] = vocabulary_component(facet)
    for name, component in entry_components().items():
        schemas.setdefault(name, component)  # drf-spectacular's OrganisationTypeEnum stays as it is

    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            reference = body.get("schema", {}).get("$ref", "")
            if not reference.startswith(REF_PREFIX):
                continue
            properties = schemas[reference.removeprefix(REF_PREFIX)].get("properties", {})
            for name, facet in VOCABULARY_PROPERTIES.items():
                if name in properties:
                    properties[name] = _named_by_ref(properties[name], vocabulary_ref(facet.parameter))

    shared: dict[str, dict] = {}  # component name -> parameter
    names: dict[tuple[str, str], str] = {}  # (parameter name, its definition as JSON) -> component name
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            parameters = []
            for parameter in operation.get("parameters", []):
                if "$ref" in parameter or parameter.get("in") != "query":
                    parameters.append(parameter)
                    continue
                parameter = _name_parameter_enum(schemas, parameter, _enum_name(operation, parameter))
                key = (parameter["name"], json.dumps(parameter, sort_keys=True, default=str))
                if key not in names:
                    name = parameter["name"]
                    if name in shared:
                        name = f"{name}_{operation.get('operationId', len(shared))}"
                    names[key] = name
                    shared[name] = parameter
                parameters.append({"$ref": f"#/components/parameters/{names[key]}"})
            if parameters:
                operation["parameters"] = parameters
    if shared:
        result["components"]["parameters"] = dict(sorted(shared.items()))

    referred = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(result, default=str)))
    for name in [name for name, schema in schemas.items() if "enum" in schema and name not in referred]:
        del schemas[name]
    result["components"]["schemas"] = dict(sorted(schemas.items()))
    return result


# Scalars a YAML 1.2 reader resolves to something other than a string (its core schema), written plainly.
YAML_NOT_A_STRING = re.compile(
    r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|true|True|TRUE|false|False|FALSE|null|Null|NULL|~)$"
)


class QuotedString(str):
    """A string written in quotes in YAML."""


def _represent_quoted(dumper, text):
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(text), style="'")


# drf-spectacular's renderer writes with the C dumper when PyYAML has it, else the Python one.
for _dumper in {yaml.SafeDumper, getattr(yaml, "CSafeDumper", yaml.SafeDumper)}:
    _dumper.add_representer(QuotedString, _represent_quoted)


def quote_ambiguous(value):
    """`value` (the document) with every string a YAML 1.2 reader would not read as a string marked for
    quoting (cases/api/urls.py, UnambiguousYamlRenderer)."""
    if isinstance(value, dict):
        return {quote_ambiguous(key): quote_ambiguous(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [quote_ambiguous(item) for item in value]
    if isinstance(value, str) and YAML_NOT_A_STRING.match(value):
        return QuotedString(value)
    return value

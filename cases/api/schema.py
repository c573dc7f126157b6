"""The OpenAPI document's house rules (drf-spectacular).

- `ApiAutoSchema` documents the FilterSet's parameters on every view that reads through it (lists,
  exports, facet counts, statistics), not only on DRF's list actions.
- `FilterSetExtension` states each filter parameter's allowed values as the FilterSet knows them: the
  vocabularies' codes and slugs as enums (read from the database when the document is made), lengths
  and ranges.
- `add_standard_responses`, a post-processing hook, adds the responses every operation can give: 304 to
  conditional reads, 400 (problem details) where there are query parameters, 401 where a key may be
  sent, 404, 406 and 429 (with Retry-After), and serves every error as application/problem+json.
- `ApiKeySecurityScheme` declares partner keys (`Authorization: Api-Key <key>`): optional on operations
  anyone may use, required where a view asks for a scope (`HasScope`).
"""

import re

import django_filters
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_parameter_type
from drf_spectacular.utils import OpenApiParameter

from cases.api.permissions import HasScope
from cases.models import TEXT_CONTROL_CHARACTERS
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
        if isinstance(filter_field, django_filters.ModelMultipleChoiceFilter):
            values = vocabulary_values(filter_field)
            item = {"type": "integer" if all(isinstance(value, int) for value in values) else "string"}
            item["enum"] = values
            return [
                build_parameter_type(
                    name=field_name,
                    required=filter_field.extra["required"],
                    location=OpenApiParameter.QUERY,
                    description=self._get_field_description(filter_field, None),
                    schema={"type": "array", "items": item},
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


def vocabulary_values(declared) -> list:
    """The values a vocabulary filter accepts, as they appear in URLs (read from the database)."""
    field = declared.extra.get("to_field_name") or "pk"
    queryset = declared.extra["queryset"]
    queryset = queryset() if callable(queryset) else queryset
    return list(queryset.order_by(field).values_list(field, flat=True).distinct())


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

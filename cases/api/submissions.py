"""POST /api/v1/submissions/: a partner proposes a case with a key that has the `submit` scope.

The public form's own validation decides (CaseSubmissionForm: required sections, lengths, years, e-mail,
web address, consent), so a case is accepted or refused by the same rules whichever door it came through;
and the same write, `case_submit`, saves it in status `submitted`: a curator reviews it like any other,
and nothing here can publish it. Only the browser's spam checks (honeypot, fill time) are left out: a
partner key vouches for the sender, and its rate limit bounds a flood.

Vocabularies are named by code, as everywhere in the API: the economy by ISO alpha-2, sectors and themes
by slug. The request serializer below exists to document the body in the OpenAPI document; it is built
from the form's fields, so the two cannot drift apart.
"""

import re
from dataclasses import dataclass

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response

from cases.api.permissions import HasScope
from cases.api.schema import FORBIDDEN_IN_TEXT, NOT_BLANK_TEXT_PATTERN, TEXT_PATTERN
from cases.forms import HONEYPOT_FIELD, NARRATIVE_MAX_LENGTH, CaseSubmissionForm
from cases.models import NARRATIVE_FIELDS, Economy, Sector, Theme
from cases.services import case_submit

# The form's controls that belong to the browser only.
BROWSER_ONLY_FIELDS = {HONEYPOT_FIELD, "started"}


class ApiCaseSubmissionForm(CaseSubmissionForm):
    """The public form with vocabularies by code, and without the browser's spam checks."""

    economy = forms.ModelChoiceField(
        queryset=Economy.objects.all(),
        to_field_name="iso2",
        label=_("Economy"),
        # Translators: /api/v1/economies/ is an address and SG a code: keep them as they are.
        help_text=gettext_lazy("The ISO 3166-1 alpha-2 code of an economy in /api/v1/economies/, e.g. SG."),
    )
    sectors = forms.ModelMultipleChoiceField(
        queryset=Sector.objects.all(),
        to_field_name="slug",
        label=_("Sectors"),
        help_text=gettext_lazy("One or more sector slugs from /api/v1/sectors/."),
    )
    themes = forms.ModelMultipleChoiceField(
        queryset=Theme.objects.all(),
        to_field_name="slug",
        required=False,
        label=_("Themes"),
        help_text=gettext_lazy("Theme slugs from /api/v1/themes/."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in BROWSER_ONLY_FIELDS:
            del self.fields[name]
        for name, message in {
            "economy": _("Give the economy's ISO alpha-2 code, for example SG"),
            "sectors": _("Give at least one sector slug"),
        }.items():
            self.fields[name].error_messages["required"] = message
        self.fields["economy"].error_messages["invalid_choice"] = _(
            "Unknown economy code: see /api/v1/economies/ for the codes"
        )
        for name, listing in (("sectors", "/api/v1/sectors/"), ("themes", "/api/v1/themes/")):
            self.fields[name].error_messages["invalid_choice"] = _(
                "Unknown slug “%(value)s”: see {listing} for the slugs"
            ).format(listing=listing)

    def clean(self):
        # The honeypot and the fill time are the browser's defences; the key stands in for them here.
        self.is_spam = False
        return forms.ModelForm.clean(self)


# What the document promises about each value, and the server holds to, to the letter: a body the document
# allows is accepted (unless a rule no schema can state refuses it: an unknown code, say), and a body it
# does not allow is refused. Text may hold tabs and line ends but no other control character; required
# text needs a character that is not a space.
WEBSITE_PATTERN = (
    r"^(https?://[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,63}(?:/[!-~]*)?)?$"
)
EMAIL_PATTERN = (
    r"^[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,63}$"
)
PATTERN_MESSAGES = {
    "website": gettext_lazy(
        "Enter a web address starting with https:// or http://, like https://www.example.org"
    ),
    "submitter_email": gettext_lazy("Enter an e-mail address in the correct format, like name@example.org"),
}


@dataclass(frozen=True)
class BodyValue:
    """One property of the body: its JSON type and the constraints the document states."""

    name: str
    kind: str  # "text", "list", "integer" or "boolean"
    required: bool
    nullable: bool = False
    max_length: int | None = None
    pattern: str | None = None

    def type_problem(self, value) -> str | None:
        """Why `value` is not of the JSON type the document allows (None when it is)."""
        if value is None:
            return None if self.nullable else _("This field may not be null.")
        if self.kind == "list":
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                return _("Give a list of slugs (strings).")
            return None
        if self.kind == "boolean":
            return None if isinstance(value, bool) else _("Give true or false.")
        if self.kind == "integer":
            ok = isinstance(value, int) and not isinstance(value, bool)
            return None if ok else _("Give a whole number.")
        if not isinstance(value, str):
            return _("Give a single value (a string), not a number, list or object.")
        return None

    def text_problem(self, value: str) -> str | None:
        """Why the text `value` is too long or not of the documented form (None when it is fine)."""
        if self.max_length is not None and len(value) > self.max_length:
            return _("Ensure this value has at most %(max)s characters.") % {"max": self.max_length}
        # Python's reading of the pattern, as the document's generated clients (schemathesis) read it.
        if self.pattern and not re.search(self.pattern, value):
            if self.name in PATTERN_MESSAGES:
                return str(PATTERN_MESSAGES[self.name])
            if FORBIDDEN_IN_TEXT.search(value):
                return _("Remove the invisible control characters from this text.")
            return _("This field may not be blank.")
        return None


def body_values() -> dict[str, BodyValue]:
    """The body's properties, from the form's fields."""
    values = {}
    for name, field in ApiCaseSubmissionForm().fields.items():  # as set up for use (overview required...)
        if name in BROWSER_ONLY_FIELDS:
            continue
        if isinstance(field, forms.ModelMultipleChoiceField):
            values[name] = BodyValue(name, "list", field.required)
        elif isinstance(field, forms.BooleanField):
            values[name] = BodyValue(name, "boolean", field.required)
        elif isinstance(field, forms.IntegerField):
            values[name] = BodyValue(name, "integer", field.required, nullable=not field.required)
        else:
            if name == "website":
                pattern = WEBSITE_PATTERN
            elif name == "submitter_email":
                pattern = EMAIL_PATTERN
            else:
                pattern = NOT_BLANK_TEXT_PATTERN if field.required else TEXT_PATTERN
            max_length = getattr(field, "max_length", None)
            if name in NARRATIVE_FIELDS:
                max_length = NARRATIVE_MAX_LENGTH
            values[name] = BodyValue(name, "text", field.required, max_length=max_length, pattern=pattern)
    return values


def form_data_from_json(body) -> tuple[dict, dict[str, list[str]], dict[str, list[str]]]:
    """The JSON object `body` as form data (strings, and lists of strings for multiple choices), with
    two kinds of errors: `refused`, values of the wrong JSON type (left out of the data) and fields the form
    does not know; and `outside`, text the document does not allow (too long counted as sent, or not of
    its form) that the form gets to see too, since its own message, when it has one, says it better."""
    if not isinstance(body, dict):
        raise exceptions.ValidationError({"non_field_errors": [_("Send the case as a JSON object.")]})
    known = body_values()
    refused, outside, data = {}, {}, {}
    for name, value in body.items():
        if name not in known:
            refused[name] = [_("Unknown field.")]
        elif problem := known[name].type_problem(value):
            refused[name] = [problem]
        elif value is None:
            continue
        elif isinstance(value, bool):
            data[name] = "true" if value else "false"
        elif isinstance(value, int):
            data[name] = str(value)
        else:
            if isinstance(value, str) and (problem := known[name].text_problem(value)):
                outside[name] = [problem]
            data[name] = value
    return data, refused, outside


class _FormDataDict(dict):
    """A dict that answers getlist(), as the form's multiple-choice widgets expect of request data."""

    def getlist(self, key, default=None):
        value = self.get(key, default)
        return value if isinstance(value, list) else ([] if value is None else [value])


def _codes(form_field) -> list[str]:
    return list(
        form_field.queryset.order_by(form_field.to_field_name).values_list(
            form_field.to_field_name, flat=True
        )
    )


@extend_schema_field({"type": "boolean", "enum": [True]})
class ConsentField(serializers.BooleanField):
    """A box that must be ticked: documented as `true`, the one value the form accepts."""


def _limit(form_field, validator_class):
    return next((v.limit_value for v in form_field.validators if isinstance(v, validator_class)), None)


def _serializer_field(form_field: forms.Field, value: BodyValue) -> serializers.Field:
    """The OpenAPI-documenting twin of one of the form's fields, with the constraints of `value`."""
    options = {"required": form_field.required, "help_text": str(form_field.help_text or form_field.label)}
    if isinstance(form_field, forms.ModelMultipleChoiceField):
        return serializers.ListField(
            child=serializers.ChoiceField(choices=_codes(form_field)),
            allow_empty=not form_field.required,
            min_length=1 if form_field.required else None,  # documented as minItems
            **options,
        )
    if isinstance(form_field, forms.ModelChoiceField):
        return serializers.ChoiceField(choices=_codes(form_field), **options)
    if isinstance(form_field, forms.ChoiceField):
        return serializers.ChoiceField(
            choices=[value for value, _label in form_field.choices if value], **options
        )
    if isinstance(form_field, forms.BooleanField):
        return ConsentField(**options) if form_field.required else serializers.BooleanField(**options)
    if isinstance(form_field, forms.IntegerField):
        # The form bounds the year with validators (the latest year moves with the calendar).
        return serializers.IntegerField(
            min_value=_limit(form_field, MinValueValidator),
            max_value=_limit(form_field, MaxValueValidator),
            allow_null=True,
            **options,
        )
    # URLs and e-mail addresses too: their pattern says exactly what is accepted, with no `format` beside
    # it that a validator elsewhere could read more loosely.
    return serializers.CharField(
        max_length=value.max_length,
        allow_blank=False,  # the pattern says whether it may be empty (drf-spectacular's oneOf would not)
        validators=[RegexValidator(value.pattern)],
        **options,
    )


class SubmissionRequestSerializer(serializers.Serializer):
    """The body of a submission: the public form's fields, vocabularies by code."""

    def get_fields(self):
        form = ApiCaseSubmissionForm()
        values = body_values()
        return {name: _serializer_field(field, values[name]) for name, field in form.fields.items()}


class SubmissionReceiptSerializer(serializers.Serializer):
    reference = serializers.CharField(
        # Translators: OBS-K7QX2M9P is an example of a reference number: keep it as it is.
        help_text=gettext_lazy("The submission's reference number, e.g. OBS-K7QX2M9P.")
    )
    status = serializers.ChoiceField(
        choices=["submitted"],
        # Translators: `submitted` is a value of the field: keep it in English.
        help_text=gettext_lazy("Always `submitted`: a curator decides."),
    )
    title = serializers.CharField()
    received_at = serializers.DateTimeField()


class SubmissionView(generics.GenericAPIView):
    permission_classes = [HasScope("submit")]
    serializer_class = SubmissionRequestSerializer
    schema_filters = False

    @extend_schema(
        operation_id="submissions_create",
        summary=gettext_lazy("Propose a case"),
        description=gettext_lazy(
            # Translators: `submitted` (a status) and `submit` (a key's scope) are values, and /submit/ an
            # address: keep them as they are.
            "Creates a case in status `submitted`, with the same validation as the public form "
            "(/submit/), for a curator to review; it is never published by this call. Needs a key with the "
            "`submit` scope. The submitter's name and e-mail are kept private; they receive a receipt by "
            "e-mail with the reference number."
        ),
        request=SubmissionRequestSerializer,
        responses={
            201: SubmissionReceiptSerializer,
            400: OpenApiResponse(
                description=gettext_lazy(
                    # Translators: `errors` and `detail` are names of members of the answer: keep them as they
                    # are.
                    "The case is incomplete or invalid (`errors` names each field), or the body is not JSON "
                    "the portal can store: invalid, nested too deeply, or holding a NUL character or an "
                    "unpaired UTF-16 surrogate (`detail` says which and where)."
                )
            ),
            415: OpenApiResponse(description=gettext_lazy("The body is not JSON.")),
        },
    )
    def post(self, request):
        data, refused, outside = form_data_from_json(request.data)
        form = ApiCaseSubmissionForm(_FormDataDict(data))
        if refused or outside or not form.is_valid():
            # Every field in error at once: the form's findings, and for a value it never saw, why not.
            form_errors = {
                name: [error["message"] for error in field_errors]
                for name, field_errors in form.errors.get_json_data().items()
            }
            raise exceptions.ValidationError({**outside, **form_errors, **refused})
        submitter = case_submit(
            data=form.case_data(),
            contact=form.contact_data(),
            via=_("the partner API (key %(prefix)s, %(owner)s)")
            % {"prefix": request.auth.prefix, "owner": request.auth.owner},
        )
        receipt = {
            "reference": submitter.reference,
            "status": submitter.case.status,
            "title": submitter.case.title,
            "received_at": submitter.case.created_at,
        }
        return Response(SubmissionReceiptSerializer(receipt).data, status=status.HTTP_201_CREATED)

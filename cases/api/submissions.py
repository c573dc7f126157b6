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

from django import forms
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response

from cases.forms import HONEYPOT_FIELD, CaseSubmissionForm
from cases.models import Economy, Sector, Theme
from cases.services import case_submit

from .permissions import HasScope

# The form's controls that belong to the browser only.
BROWSER_ONLY_FIELDS = {HONEYPOT_FIELD, "started"}


class ApiCaseSubmissionForm(CaseSubmissionForm):
    """The public form with vocabularies by code, and without the browser's spam checks."""

    economy = forms.ModelChoiceField(
        queryset=Economy.objects.all(),
        to_field_name="iso2",
        label=_("Economy"),
        help_text="The ISO 3166-1 alpha-2 code of an economy in /api/v1/economies/, e.g. SG.",
    )
    sectors = forms.ModelMultipleChoiceField(
        queryset=Sector.objects.all(),
        to_field_name="slug",
        label=_("Sectors"),
        help_text="One or more sector slugs from /api/v1/sectors/.",
    )
    themes = forms.ModelMultipleChoiceField(
        queryset=Theme.objects.all(),
        to_field_name="slug",
        required=False,
        label=_("Themes"),
        help_text="Theme slugs from /api/v1/themes/.",
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


def form_data_from_json(body) -> dict:
    """The JSON object `body` as form data (strings, and lists of strings for multiple choices).

    Raises ValidationError naming each field whose value is not a string, number, boolean, list of those
    or null, and each field the form does not know.
    """
    if not isinstance(body, dict):
        raise exceptions.ValidationError({"non_field_errors": [_("Send the case as a JSON object.")]})
    known = set(ApiCaseSubmissionForm.base_fields) - BROWSER_ONLY_FIELDS
    errors, data = {}, {}
    multiple = {"sectors", "themes"}
    for name, value in body.items():
        if name not in known:
            errors[name] = [_("Unknown field.")]
        elif value is None:
            continue
        elif name in multiple:
            values = value if isinstance(value, list) else [value]
            if not all(isinstance(item, str) for item in values):
                errors[name] = [_("Give a list of slugs (strings).")]
            else:
                data[name] = values
        elif isinstance(value, bool):
            data[name] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            data[name] = str(value)
        else:
            errors[name] = [_("Give a single value (a string, number or boolean), not a list or object.")]
    if errors:
        raise exceptions.ValidationError(errors)
    return data


class _FormDataDict(dict):
    """A dict that answers getlist(), as the form's multiple-choice widgets expect of request data."""

    def getlist(self, key, default=None):
        value = self.get(key, default)
        return value if isinstance(value, list) else ([] if value is None else [value])


def _serializer_field(form_field: forms.Field) -> serializers.Field:
    """The OpenAPI-documenting twin of one of the form's fields."""
    options = {"required": form_field.required, "help_text": str(form_field.help_text or form_field.label)}
    if isinstance(form_field, forms.ModelMultipleChoiceField):
        codes = list(
            form_field.queryset.order_by(form_field.to_field_name).values_list(
                form_field.to_field_name, flat=True
            )
        )
        return serializers.ListField(
            child=serializers.ChoiceField(choices=codes), allow_empty=not form_field.required, **options
        )
    if isinstance(form_field, forms.ModelChoiceField):
        codes = list(
            form_field.queryset.order_by(form_field.to_field_name).values_list(
                form_field.to_field_name, flat=True
            )
        )
        return serializers.ChoiceField(choices=codes, **options)
    if isinstance(form_field, forms.ChoiceField):
        return serializers.ChoiceField(
            choices=[value for value, _label in form_field.choices if value], **options
        )
    if isinstance(form_field, forms.BooleanField):
        return serializers.BooleanField(**options)
    if isinstance(form_field, forms.IntegerField):
        return serializers.IntegerField(
            min_value=form_field.min_value, max_value=form_field.max_value, allow_null=True, **options
        )
    if isinstance(form_field, forms.EmailField):
        return serializers.EmailField(max_length=form_field.max_length, **options)
    if isinstance(form_field, forms.URLField):
        return serializers.URLField(max_length=form_field.max_length, allow_blank=True, **options)
    return serializers.CharField(
        max_length=form_field.max_length, allow_blank=not form_field.required, **options
    )


class SubmissionRequestSerializer(serializers.Serializer):
    """The body of a submission: the public form's fields, vocabularies by code."""

    def get_fields(self):
        form = ApiCaseSubmissionForm()
        return {name: _serializer_field(field) for name, field in form.fields.items()}


class SubmissionReceiptSerializer(serializers.Serializer):
    reference = serializers.CharField(help_text="The submission's reference number, e.g. OBS-K7QX2M9P.")
    status = serializers.ChoiceField(
        choices=["submitted"], help_text="Always `submitted`: a curator decides."
    )
    title = serializers.CharField()
    received_at = serializers.DateTimeField()


class SubmissionView(generics.GenericAPIView):
    permission_classes = [HasScope("submit")]
    serializer_class = SubmissionRequestSerializer
    schema_filters = False

    @extend_schema(
        operation_id="submissions_create",
        summary="Propose a case",
        description="Creates a case in status `submitted`, with the same validation as the public form "
        "(/submit/), for a curator to review; it is never published by this call. Needs a key with the "
        "`submit` scope. The submitter's name and e-mail are kept private; they receive a receipt by "
        "e-mail with the reference number.",
        request=SubmissionRequestSerializer,
        responses={
            201: SubmissionReceiptSerializer,
            400: OpenApiResponse(
                description="The case is incomplete or invalid (`errors` names each field), or the body is "
                "not JSON the portal can store: invalid, nested too deeply, or holding a NUL character or an "
                "unpaired UTF-16 surrogate (`detail` says which and where)."
            ),
            415: OpenApiResponse(description="The body is not JSON."),
        },
    )
    def post(self, request):
        form = ApiCaseSubmissionForm(_FormDataDict(form_data_from_json(request.data)))
        if not form.is_valid():
            raise exceptions.ValidationError(
                {
                    name: [error["message"] for error in errors]
                    for name, errors in form.errors.get_json_data().items()
                }
            )
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

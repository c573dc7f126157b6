"""Public representations of methods, toolkits and organisations (issue 18): what their pages show, as data.

Only published methods and toolkits, and public organisations (named by a published case), are ever given
here, and only the published ones among a method's toolkits or a toolkit's methods. Never the editorial
status, who edited what, or a broken link's error: a toolkit says when its address was last checked and
whether it answered then (`link_checked_at`, `link_working`).

The lists a method or a toolkit holds (purposes, languages, the toolkits or methods linked) are read for a
whole page, harvest page or export chunk in one query (`load_entry_lists`), so a list costs the same
number of queries for 2 entries as for 100. Fixed choices are {code, name}, as a case's level and stage
are, with names in the language asked for (?lang=); the entries' own text is English.
"""

from django.db import models
from django.db.models import Count
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.api.serializers import (
    EconomyRefSerializer,
    LevelSerializer,
    OrganisationTypeSerializer,
    api_path,
    choice_serializer,
    text_value,
    union_values,
)
from cases.models import (
    Complexity,
    Discipline,
    Duration,
    EntryStatus,
    LinkState,
    Method,
    MethodPurpose,
    Organisation,
    Purpose,
    Toolkit,
    ToolkitKind,
    ToolkitLanguage,
    ToolkitPurpose,
)
from cases.models.querysets import published_q
from cases.models.translations import content_language_choices
from cases.records import absolute_url

DisciplineSerializer = choice_serializer("Discipline", Discipline, named=True)
PurposeSerializer = choice_serializer("Purpose", Purpose, named=True)
DurationSerializer = choice_serializer("Duration", Duration, named=True)
ComplexitySerializer = choice_serializer("Complexity", Complexity, named=True)
ToolkitKindSerializer = choice_serializer("ToolkitKind", ToolkitKind, named=True)

# Where an entry keeps its lists once read (load_entry_lists).
ENTRY_LISTS = "_api_lists"


# --- Reading ----------------------------------------------------------------------------------------


def method_queryset(queryset=None):
    """Published methods, each with `case_count`, its published cases."""
    methods = Method.objects.published() if queryset is None else queryset
    return methods.annotate(case_count=Count("case_links", filter=published_q("case_links__case")))


def toolkit_queryset(queryset=None):
    """Published toolkits, each with `case_count`, its published cases."""
    toolkits = Toolkit.objects.published() if queryset is None else queryset
    return toolkits.annotate(case_count=Count("case_links", filter=published_q("case_links__case")))


def organisation_queryset(queryset=None):
    """Public organisations, each with `published_cases` and its economy."""
    organisations = Organisation.objects.public() if queryset is None else queryset
    return organisations.with_case_counts().select_related("economy")


def load_entry_lists(entries) -> None:
    """Read the lists of `entries` (methods or toolkits, one kind at a time) not read yet, in ONE query: a
    method's purposes and published toolkits; a toolkit's purposes, languages and published methods."""
    pending = {entry.pk: entry for entry in entries if ENTRY_LISTS not in entry.__dict__}
    if not pending:
        return
    ids = list(pending)
    model = type(next(iter(pending.values())))
    published = EntryStatus.PUBLISHED
    blank = text_value("")
    if model is Method:
        names = ("purposes", "toolkits")
        querysets = [
            MethodPurpose.objects.filter(method_id__in=ids).values_list(
                text_value("purposes"), "method_id", "id", "purpose", blank
            ),
            Toolkit.methods.through.objects.filter(method_id__in=ids, toolkit__status=published).values_list(
                text_value("toolkits"), "method_id", "id", "toolkit__slug", "toolkit__title"
            ),
        ]
    else:
        names = ("purposes", "languages", "methods")
        querysets = [
            ToolkitPurpose.objects.filter(toolkit_id__in=ids).values_list(
                text_value("purposes"), "toolkit_id", "id", "purpose", blank
            ),
            ToolkitLanguage.objects.filter(toolkit_id__in=ids).values_list(
                text_value("languages"), "toolkit_id", "id", "language", blank
            ),
            Toolkit.methods.through.objects.filter(toolkit_id__in=ids, method__status=published).values_list(
                text_value("methods"), "toolkit_id", "id", "method__slug", "method__name"
            ),
        ]
    for entry in pending.values():
        entry.__dict__[ENTRY_LISTS] = {name: [] for name in names}
    for kind, owner, _id, value, label in sorted(union_values(querysets), key=lambda row: row[1:3]):
        pending[owner].__dict__[ENTRY_LISTS][kind].append((value, label))


def entry_lists(entry) -> dict[str, list[tuple[str, str]]]:
    if ENTRY_LISTS not in entry.__dict__:
        load_entry_lists([entry])  # one entry on its own (its detail): one query
    return entry.__dict__[ENTRY_LISTS]


class EntryListSerializer(serializers.ListSerializer):
    """A list of methods or toolkits whose lists are read for all of them in one query."""

    def to_representation(self, data):
        entries = list(data.all() if isinstance(data, models.manager.BaseManager) else data)
        load_entry_lists(entries)
        return super().to_representation(entries)


# --- Shared fields ----------------------------------------------------------------------------------


class LinkedEntrySerializer(serializers.Serializer):
    """A published method or toolkit named by another entry: its slug, its name and its addresses."""

    slug = serializers.CharField()
    url = serializers.SerializerMethodField(help_text=_("Its page."))
    api_url = serializers.SerializerMethodField(help_text=_("Its record in the API."))

    page_route = api_route = ""

    def get_url(self, row) -> str:
        return absolute_url(self.context, reverse(self.page_route, kwargs={"slug": row["slug"]}))

    def get_api_url(self, row) -> str:
        return absolute_url(self.context, api_path(self.api_route, slug=row["slug"]))


class LinkedMethodSerializer(LinkedEntrySerializer):
    name = serializers.CharField()
    page_route, api_route = "cases:method_detail", "method-detail"


class LinkedToolkitSerializer(LinkedEntrySerializer):
    title = serializers.CharField()
    page_route, api_route = "cases:toolkit_detail", "toolkit-detail"


class LanguageSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("Its language code."))
    name = serializers.CharField()


class EntryUrlsMixin(serializers.Serializer):
    """The entry's page, its record in the API and the API's list of its published cases."""

    url = serializers.SerializerMethodField(help_text=_("Its page (its canonical address)."))
    api_url = serializers.SerializerMethodField(help_text=_("This record's address in the API."))
    cases_url = serializers.SerializerMethodField(
        help_text=_("The address of its published cases in the API.")
    )

    api_route = ""
    case_parameter = ""  # the case library's parameter naming it

    def get_url(self, entry) -> str:
        return absolute_url(self.context, entry.get_absolute_url())

    def get_api_url(self, entry) -> str:
        return absolute_url(self.context, api_path(self.api_route, slug=entry.slug))

    def get_cases_url(self, entry) -> str:
        query = urlencode({self.case_parameter: entry.slug})
        return absolute_url(self.context, f"{api_path('case-list')}?{query}")


def choice_or_none(serializer_class, value):
    return serializer_class(value).data if value else None


def _purposes(entry) -> list[str]:
    return [value for value, _label in entry_lists(entry)["purposes"]]


# --- Methods ----------------------------------------------------------------------------------------


class MethodListSerializer(EntryUrlsMixin, serializers.ModelSerializer):
    """A method in a list: enough to show its card."""

    purposes = serializers.SerializerMethodField(help_text=_("What the method is good for."))
    discipline = DisciplineSerializer()
    typical_duration = serializers.SerializerMethodField(
        help_text=_("Typical duration; null when not given.")
    )
    complexity = serializers.SerializerMethodField(help_text=_("Complexity; null when not given."))
    case_count = serializers.IntegerField(read_only=True, help_text=_("The number of its published cases."))

    api_route = "method-detail"
    case_parameter = "method"

    class Meta:
        model = Method
        fields = [
            "id",
            "slug",
            "name",
            "summary",
            "url",
            "api_url",
            "cases_url",
            "purposes",
            "discipline",
            "typical_duration",
            "complexity",
            "participants",
            "case_count",
            "published_at",
            "updated_at",
        ]
        read_only_fields = fields
        list_serializer_class = EntryListSerializer

    @extend_schema_field(PurposeSerializer(many=True))
    def get_purposes(self, method):
        return PurposeSerializer(_purposes(method), many=True).data

    @extend_schema_field(DurationSerializer(allow_null=True))
    def get_typical_duration(self, method):
        return choice_or_none(DurationSerializer, method.typical_duration)

    @extend_schema_field(ComplexitySerializer(allow_null=True))
    def get_complexity(self, method):
        return choice_or_none(ComplexitySerializer, method.complexity)


class MethodDetailSerializer(MethodListSerializer):
    """Everything public about a method: its description, steps, strengths, pitfalls, sources (Markdown)
    and the published toolkits that support it."""

    toolkits = serializers.SerializerMethodField(help_text=_("The published toolkits that support it."))

    class Meta(MethodListSerializer.Meta):
        fields = [
            *MethodListSerializer.Meta.fields,
            "description",
            "steps",
            "strengths",
            "pitfalls",
            "sources",
            "toolkits",
        ]
        read_only_fields = fields

    @extend_schema_field(LinkedToolkitSerializer(many=True))
    def get_toolkits(self, method):
        rows = [{"slug": slug, "title": title} for slug, title in entry_lists(method)["toolkits"]]
        return LinkedToolkitSerializer(rows, many=True, context=self.context).data


# --- Toolkits ---------------------------------------------------------------------------------------


class ToolkitListSerializer(EntryUrlsMixin, serializers.ModelSerializer):
    """A toolkit in a list, described as OPSI's Toolkit Navigator describes one."""

    kind = ToolkitKindSerializer(help_text=_("Type of toolkit."))
    discipline = DisciplineSerializer()
    purposes = serializers.SerializerMethodField(help_text=_("What the toolkit is good for."))
    languages = serializers.SerializerMethodField(help_text=_("The languages it is available in."))
    link = serializers.URLField(
        source="url", read_only=True, help_text=_("Where to find the toolkit itself.")
    )
    link_checked_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text=_("When the link was last checked; null when it has not been checked yet."),
    )
    link_working = serializers.SerializerMethodField(
        help_text=_("Whether the link answered at its last check; null when it has not been checked yet.")
    )
    case_count = serializers.IntegerField(read_only=True, help_text=_("The number of its published cases."))

    api_route = "toolkit-detail"
    case_parameter = "toolkit"

    class Meta:
        model = Toolkit
        fields = [
            "id",
            "slug",
            "title",
            "summary",
            "url",
            "api_url",
            "cases_url",
            "kind",
            "publisher",
            "year",
            "discipline",
            "purposes",
            "languages",
            "licence",
            "reuse_terms",
            "link",
            "link_checked_at",
            "link_working",
            "case_count",
            "published_at",
            "updated_at",
        ]
        read_only_fields = fields
        list_serializer_class = EntryListSerializer

    @extend_schema_field(PurposeSerializer(many=True))
    def get_purposes(self, toolkit):
        return PurposeSerializer(_purposes(toolkit), many=True).data

    @extend_schema_field(LanguageSerializer(many=True))
    def get_languages(self, toolkit):
        names = dict(content_language_choices())
        return [
            {"code": code, "name": str(names.get(code, code))}
            for code, _label in entry_lists(toolkit)["languages"]
        ]

    def get_link_working(self, toolkit) -> bool | None:
        if toolkit.link_state == LinkState.UNCHECKED:
            return None
        return toolkit.link_state == LinkState.OK


class ToolkitDetailSerializer(ToolkitListSerializer):
    """Everything public about a toolkit, with the published methods it supports."""

    methods = serializers.SerializerMethodField(help_text=_("The published methods it supports."))

    class Meta(ToolkitListSerializer.Meta):
        fields = [*ToolkitListSerializer.Meta.fields, "description", "methods"]
        read_only_fields = fields

    @extend_schema_field(LinkedMethodSerializer(many=True))
    def get_methods(self, toolkit):
        rows = [{"slug": slug, "name": name} for slug, name in entry_lists(toolkit)["methods"]]
        return LinkedMethodSerializer(rows, many=True, context=self.context).data


# --- Organisations ----------------------------------------------------------------------------------


class OrganisationSerializer(EntryUrlsMixin, serializers.ModelSerializer):
    """An organisation that led or partnered in published cases."""

    kind = OrganisationTypeSerializer(help_text=_("Organisation type."))
    economy = EconomyRefSerializer(allow_null=True, help_text=_("Its economy; null when not known."))
    level = serializers.SerializerMethodField(help_text=_("Level of government; null when not given."))
    website = serializers.CharField(read_only=True, help_text=_("Its own site; may be empty."))
    case_count = serializers.IntegerField(
        source="published_cases", read_only=True, help_text=_("The number of its published cases.")
    )

    api_route = "organisation-detail"
    case_parameter = "organisation"

    class Meta:
        model = Organisation
        fields = [
            "id",
            "slug",
            "name",
            "url",
            "api_url",
            "cases_url",
            "kind",
            "economy",
            "level",
            "website",
            "case_count",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(LevelSerializer(allow_null=True))
    def get_level(self, organisation):
        return choice_or_none(LevelSerializer, organisation.level)

"""Public representations. Only fields a reader of the case page can see: never the submitter's contact,
reviewer notes, the editorial status or who edited what.

Absolute URLs are built from the request when there is one, otherwise from `base_url` in the context (so
the exports and a management command produce the same records as the API)."""

import json

from django.db import models
from django.db.models import StringAgg
from django.db.models.functions import Cast, JSONObject
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases import records
from cases.api.schema import choices_ref, vocabulary_ref
from cases.models import (
    SDG,
    CaseMethod,
    CaseOrganisation,
    CaseStudy,
    CaseToolkit,
    Economy,
    EntryStatus,
    InnovationFacet,
    Level,
    LinkRelation,
    MethodRole,
    OrganisationRole,
    OrganisationType,
    ResourceKind,
    Sector,
    Stage,
    Theme,
)
from cases.models.facets import FACETS, FACETS_BY_MODEL, FACETS_BY_PARAMETER
from cases.models.translations import TRANSLATED_CASE_FIELDS, CaseText, text_digest
from cases.records import CaseUrls, absolute_url


def api_path(name: str, **kwargs) -> str:
    return reverse(f"api:{name}", kwargs=kwargs or None)


def cases_api_path(parameter: str, value) -> str:
    return api_path("case-list") + "?" + urlencode({parameter: value})


# --- Fixed choices as {code, name} -----------------------------------------------------------------


def named_code_field(name: str, choices) -> serializers.Field:
    """A read-only code of `choices`, documented as their one named enum (cases/api/schema.py,
    NAMED_CHOICES), which the filter parameters taking them refer to as well."""
    class_name = f"{name}CodeField"
    # A class, not an annotated instance: a serializer deep-copies its fields, which keeps only their class.
    field_class = extend_schema_field(choices_ref(choices))(
        type(class_name, (serializers.CharField,), {"__module__": __name__, "__qualname__": class_name})
    )
    return field_class(read_only=True)


def choice_serializer(name: str, choices, *, named: bool = False):
    """A serializer showing a stored choice as {"code": ..., "name": ...}, documented with its codes (`named`:
    as the named enum of cases/api/schema.py's NAMED_CHOICES)."""

    code_field = (
        named_code_field(name, choices)
        if named
        else serializers.ChoiceField(choices=choices.choices, read_only=True)
    )

    class ChoiceSerializer(serializers.Serializer):
        code = code_field
        name = serializers.CharField(read_only=True)

        def to_representation(self, value):
            return {"code": value, "name": str(choices(value).label)}

    ChoiceSerializer.__name__ = ChoiceSerializer.__qualname__ = f"{name}Serializer"
    return ChoiceSerializer


LevelSerializer = choice_serializer("Level", Level)
StageSerializer = choice_serializer("Stage", Stage)
OrganisationTypeSerializer = choice_serializer("OrganisationType", OrganisationType)
LinkRelationSerializer = choice_serializer("LinkRelation", LinkRelation)
ResourceKindSerializer = choice_serializer("ResourceKind", ResourceKind)
MethodRoleSerializer = choice_serializer("MethodRole", MethodRole, named=True)
OrganisationRoleSerializer = choice_serializer("OrganisationRole", OrganisationRole, named=True)


def union_values(querysets) -> list[tuple]:
    """The rows of several values_list() querysets of the same columns, read in one query (UNION ALL): the
    lists of a page of cases or entries cost one round trip, not one per list."""
    first, *others = [queryset.order_by() for queryset in querysets]
    return list(first.union(*others, all=True)) if others else list(first)


def text_value(value: str) -> models.Value:
    return models.Value(value, output_field=models.CharField())


# --- Vocabulary references inside a case ----------------------------------------------------------

# A term inside a case is {<the value it is named by in URLs and records>, <its label>} (the facet table's
# value_field and label_field, cases/models/facets.py), as {"slug": "health", "name": "Health"}. These
# are the published exceptions: an economy is named by both ISO codes and its slug too, and innovation
# facets' references are called FacetRef in the schema. A new vocabulary needs neither.
REF_FIELDS = {Economy: ["iso2", "iso3", "name", "slug"]}
REF_NAMES = {InnovationFacet: "Facet"}


class TermRefListSerializer(serializers.ListSerializer):
    def get_attribute(self, instance):
        # The terms with_vocabularies() or a prefetch left in the case's cache, without making the relation's
        # manager to ask it for them (four managers a case, 80 a page).
        prefetched = getattr(instance, "_prefetched_objects_cache", {})
        if self.source in prefetched:
            return prefetched[self.source]
        return super().get_attribute(instance)


class TermRefSerializer(serializers.ModelSerializer):
    """A reference to a term: its fields as they are (text, and an SDG's number), read-only. Written out
    rather than through each field's DRF machinery: a page of 20 cases holds about 200 references, and
    DRF's field by field representation was a third of the time the API spent serialising the page
    (tests/cases/api/test_serializers.py checks this gives what ModelSerializer gives)."""

    def to_representation(self, term):
        # Names in the request's language (?lang=, Accept-Language: cases/web/languages.py), else English.
        translated = term.TRANSLATED_FIELDS
        return {
            name: term.translated(name) if name in translated else getattr(term, name)
            for name in self.Meta.fields
        }


def term_value_field(parameter: str, **options) -> serializers.Field:
    """A read-only field holding the value a term is named by in URLs and records (its slug or code),
    documented as the one component of the vocabulary the facet `parameter` takes (cases/api/schema.py):
    a slug string for a curated vocabulary, the named enum of a fixed one. What a response gives, the
    parameter takes, in the same type of a generated client."""
    facet = FACETS_BY_PARAMETER[parameter]
    base = serializers.IntegerField if facet.value_range else serializers.CharField
    name = f"{facet.parameter.title()}ValueField"
    # A class, not an annotated instance: a serializer deep-copies its fields, which keeps only their class.
    field_class = extend_schema_field(vocabulary_ref(parameter))(
        type(name, (base,), {"__module__": __name__, "__qualname__": name})
    )
    return field_class(read_only=True, **options)


def ref_serializer(model) -> type[serializers.ModelSerializer]:
    """The serializer of a reference to a term of `model` (a vocabulary, or the economies)."""
    facet = FACETS_BY_MODEL[model]
    name = f"{REF_NAMES.get(model, model.__name__)}RefSerializer"
    meta = type(
        "Meta",
        (),
        {
            "model": model,
            "fields": REF_FIELDS.get(model, [facet.value_field, facet.label_field]),
            "list_serializer_class": TermRefListSerializer,
        },
    )
    return type(
        name,
        (TermRefSerializer,),
        {
            # The value it is named by, documented as its vocabulary's component (to_representation reads
            # the term itself).
            facet.value_field: term_value_field(facet.parameter),
            "Meta": meta,
            "__module__": __name__,
            "__qualname__": name,
        },
    )


# One serializer per vocabulary, shared by every field naming its terms (the economy and other_economies).
REF_SERIALIZERS = {
    field.model: ref_serializer(field.model)
    for field in records.FIELDS
    if field.kind in records.VOCABULARY_KINDS
}
EconomyRefSerializer = REF_SERIALIZERS[Economy]


def vocabulary_fields(face: str) -> type[serializers.Serializer]:
    """A base class declaring each vocabulary field of the case record that `face` shows (cases/records.py)
    as references to its terms: one for the primary economy, a list for a many-to-many vocabulary."""
    declared = {
        field.name: REF_SERIALIZERS[field.model](
            many=field.kind == records.TERMS, **({"help_text": field.help_text} if field.help_text else {})
        )
        for field in records.vocabulary_fields(face)
    }
    name = f"{face.title().replace(' ', '')}VocabularyFields"  # ApiListVocabularyFields
    return type(name, (serializers.Serializer,), declared | {"__module__": __name__})


# --- Cases ----------------------------------------------------------------------------------------


class CaseUrlsMixin(serializers.Serializer):
    url = serializers.SerializerMethodField(help_text=_("The case's page (its canonical address)."))
    api_url = serializers.SerializerMethodField(help_text=_("This record's address in the API."))

    def get_url(self, case) -> str:
        return self._case_urls().page_of(case.slug)

    def get_api_url(self, case) -> str:
        return self._case_urls().api_of(case.slug)

    def _case_urls(self) -> CaseUrls:
        # Reversed once per serialisation (the root serializer's: a list's children share it), not twice a
        # case.
        root = self.root
        urls = getattr(root, "_reversed_case_urls", None)
        if urls is None:
            urls = root._reversed_case_urls = CaseUrls(context=self.context)
        return urls


class TranslationSerializer(serializers.Serializer):
    """A published translation of a case's text (?lang=all)."""

    language = serializers.CharField(help_text=_("Its language code."))
    translated_by = serializers.CharField()
    reviewed_by = serializers.CharField()
    machine_translated = serializers.BooleanField(help_text=_("First drafted by machine translation."))
    outdated = serializers.BooleanField(
        help_text=_("The original changed after the translation was made or last confirmed.")
    )
    text = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        # Translators: title, summary and lead_organisation are field names: keep them as they are.
        help_text=_("title, summary, lead_organisation and each narrative section, in that language."),
    )


class CaseTextMixin(serializers.Serializer):
    """The case's text in the request's language (docs/api.md, "Languages"): its published translation
    when there is one, otherwise the original, and which of the two it is."""

    language = serializers.SerializerMethodField(
        help_text=_("The language of the text fields of this record.")
    )
    original_language = serializers.SerializerMethodField(
        help_text=_("The language the case was written in.")
    )
    available_languages = serializers.SerializerMethodField(
        help_text=_("Every language its text can be read in: the original and each published translation.")
    )

    def get_language(self, case) -> str:
        return self._text(case).language

    def get_original_language(self, case) -> str:
        return case.original_language

    def get_available_languages(self, case) -> list[str]:
        return list(self._text(case).available)

    def _text(self, case) -> CaseText:
        text = case.__dict__.get("_api_text")
        if text is None:
            text = case.__dict__["_api_text"] = CaseText.of(case)
        return text

    def to_representation(self, case):
        data = super().to_representation(case)
        text = self._text(case)
        if text.shown:  # a translation: its text in place of the original's
            for name, value in text.values.items():
                if name in data:
                    data[name] = value
        translations = getattr(case, "published_translations", None)
        if translations is not None:  # ?lang=all: every published translation, for harvesters
            own = {name: getattr(case, name) for name in TRANSLATED_CASE_FIELDS}
            data["translations"] = TranslationSerializer(
                [
                    {
                        "language": translation.language,
                        "translated_by": translation.translated_by,
                        "reviewed_by": translation.reviewed_by,
                        "machine_translated": translation.machine_translated,
                        "outdated": translation.source_digest != text_digest(own),
                        "text": translation.text(),
                    }
                    for translation in translations
                ],
                many=True,
            ).data
        return data


# --- A case's methods, toolkits and organisations (issue 18) -------------------------------------------

CASE_ENTRY_FIELDS = ("methods", "toolkits", "organisations")
# Where a case keeps them once read (load_case_entries): {"methods": [...], "toolkits": [...], ...}.
CASE_ENTRIES = "_api_entries"


# annotation -> (list, link rows, the entry's slug and name, its role, its note): case_entry_annotations().
_ENTRY_COLUMNS = {
    "api_methods": ("methods", CaseMethod, "method", "method__name", "role", "note"),
    "api_toolkits": ("toolkits", CaseToolkit, "toolkit", "toolkit__title", None, "note"),
    "api_organisations": (
        "organisations",
        CaseOrganisation,
        "organisation",
        "organisation__name",
        "role",
        None,
    ),
}


def case_entry_annotations() -> dict:
    """Each case's published methods, published toolkits and organisations as columns of the query that
    reads the cases (a correlated subquery each, aggregating its link rows as JSON objects): a list of
    cases then reads them with no query of its own (the lists' budget, tests/cases/api/test_api.py, has
    no room for one). load_case_entries() reads them from these columns when they are there."""
    annotations = {}
    for annotation, (_name, link_model, entry, title, role, note) in _ENTRY_COLUMNS.items():
        rows = link_model.objects.filter(case_id=models.OuterRef("pk"))
        if link_model is not CaseOrganisation:  # every organisation of a published case is public
            rows = rows.filter(**{f"{entry}__status": EntryStatus.PUBLISHED})
        record = JSONObject(
            slug=models.F(f"{entry}__slug"),
            name=models.F(title),
            role=models.F(role) if role else text_value(""),
            note=models.F(note) if note else text_value(""),
            position=models.F("position"),
            id=models.F("id"),
        )
        aggregated = StringAgg(Cast(record, models.TextField()), text_value(","))
        annotations[annotation] = models.Subquery(
            rows.order_by().values("case_id").annotate(rows=aggregated).values("rows")[:1],
            output_field=models.TextField(),
        )
    return annotations


def _entries_from_columns(case) -> dict | None:
    if not all(annotation in case.__dict__ for annotation in _ENTRY_COLUMNS):
        return None
    entries = {}
    for annotation, (name, *_rest) in _ENTRY_COLUMNS.items():
        text = case.__dict__[annotation]
        rows = sorted(json.loads(f"[{text}]") if text else [], key=lambda row: (row["position"], row["id"]))
        entries[name] = [
            {"slug": row["slug"], "name": row["name"], "role": row["role"], "note": row["note"]}
            for row in rows
        ]
    return entries


def load_case_entries(cases) -> None:
    """Read the published methods, the published toolkits and the organisations of `cases` (those not read
    yet) in ONE query, whatever their number: a UNION ALL of the three link tables, each row with its entry's
    slug and name. A case's detail then reads one query more, and a list, a harvest page or an export chunk
    one for all its cases (the case detail's budget of queries, tests/cases/api/test_api.py, has room for
    one, not three). Only published methods and toolkits: a draft linked to a case never shows. Every
    organisation of a published case is public (Organisation.objects.public())."""
    pending = {}
    for case in cases:
        if CASE_ENTRIES in case.__dict__:
            continue
        from_columns = _entries_from_columns(case)
        if from_columns is not None:  # read with the case (case_entry_annotations)
            case.__dict__[CASE_ENTRIES] = from_columns
        else:
            pending[case.pk] = case
    if not pending:
        return
    ids = list(pending)
    published = EntryStatus.PUBLISHED
    rows = union_values(
        [
            CaseMethod.objects.filter(case_id__in=ids, method__status=published).values_list(
                text_value("methods"),
                "case_id",
                "position",
                "id",
                "method__slug",
                "method__name",
                "role",
                "note",
            ),
            CaseToolkit.objects.filter(case_id__in=ids, toolkit__status=published).values_list(
                text_value("toolkits"),
                "case_id",
                "position",
                "id",
                "toolkit__slug",
                "toolkit__title",
                text_value(""),
                "note",
            ),
            CaseOrganisation.objects.filter(case_id__in=ids).values_list(
                text_value("organisations"),
                "case_id",
                "position",
                "id",
                "organisation__slug",
                "organisation__name",
                "role",
                text_value(""),
            ),
        ]
    )
    for case in pending.values():
        case.__dict__[CASE_ENTRIES] = {name: [] for name in CASE_ENTRY_FIELDS}
    # In each case's own order of its links (position, then id), as the case page lists them.
    for kind, case_id, _position, _id, slug, name, role, note in sorted(rows, key=lambda row: row[1:4]):
        pending[case_id].__dict__[CASE_ENTRIES][kind].append(
            {"slug": slug, "name": name, "role": role, "note": note}
        )


class CaseEntriesListSerializer(serializers.ListSerializer):
    """A list of cases whose methods, toolkits and organisations are read for all of them in one query."""

    def to_representation(self, data):
        cases = list(data.all() if isinstance(data, models.manager.BaseManager) else data)
        load_case_entries(cases)
        return super().to_representation(cases)


class CaseEntrySerializer(serializers.Serializer):
    """A method, toolkit or organisation named by a case, with the addresses of its page and its record."""

    page_route = ""
    api_route = ""

    def get_url(self, row) -> str:
        return absolute_url(self.context, reverse(self.page_route, kwargs={"slug": row["slug"]}))

    def get_api_url(self, row) -> str:
        return absolute_url(self.context, api_path(self.api_route, slug=row["slug"]))


def _page_url():
    return serializers.SerializerMethodField(help_text=_("Its page."))


def _api_url():
    return serializers.SerializerMethodField(help_text=_("Its record in the API."))


class CaseMethodSerializer(CaseEntrySerializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    role = MethodRoleSerializer(help_text=_("The case's main method, or one it also used."))
    note = serializers.CharField(help_text=_("How the case used it; may be empty."))
    url = _page_url()
    api_url = _api_url()

    page_route, api_route = "cases:method_detail", "method-detail"


class CaseToolkitSerializer(CaseEntrySerializer):
    slug = serializers.CharField()
    title = serializers.CharField(source="name")
    note = serializers.CharField(help_text=_("How the case drew on it; may be empty."))
    url = _page_url()
    api_url = _api_url()

    page_route, api_route = "cases:toolkit_detail", "toolkit-detail"


class CaseOrganisationSerializer(CaseEntrySerializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    role = OrganisationRoleSerializer(help_text=_("The case's lead organisation, or a partner."))
    url = _page_url()
    api_url = _api_url()

    page_route, api_route = "cases:organisation_detail", "organisation-detail"


class CaseEntriesMixin(serializers.Serializer):
    """A case's published methods, published toolkits and organisations (load_case_entries)."""

    methods = serializers.SerializerMethodField(
        help_text=_("The published methods the case used, the main ones first.")
    )
    toolkits = serializers.SerializerMethodField(help_text=_("The published toolkits the case drew on."))
    organisations = serializers.SerializerMethodField(
        help_text=_("The case's lead organisation and its partners, as entities with their own pages.")
    )

    def _entries(self, case, name: str) -> list[dict]:
        if CASE_ENTRIES not in case.__dict__:
            load_case_entries([case])  # one case on its own (its detail, a change): one query
        return case.__dict__[CASE_ENTRIES][name]

    @extend_schema_field(CaseMethodSerializer(many=True))
    def get_methods(self, case):
        return CaseMethodSerializer(self._entries(case, "methods"), many=True, context=self.context).data

    @extend_schema_field(CaseToolkitSerializer(many=True))
    def get_toolkits(self, case):
        return CaseToolkitSerializer(self._entries(case, "toolkits"), many=True, context=self.context).data

    @extend_schema_field(CaseOrganisationSerializer(many=True))
    def get_organisations(self, case):
        rows = self._entries(case, "organisations")
        return CaseOrganisationSerializer(rows, many=True, context=self.context).data


def with_case_entries(names: list[str]) -> list[str]:
    """A face's fields with the case's methods, toolkits and organisations at the end, where the case record
    (cases/records.py) does not list them yet."""
    return [*names, *(name for name in CASE_ENTRY_FIELDS if name not in names)]


class CaseListSerializer(
    CaseTextMixin,
    CaseUrlsMixin,
    CaseEntriesMixin,
    vocabulary_fields(records.API_LIST),
    serializers.ModelSerializer,
):
    """A case in a list: enough to show a result card and decide whether to fetch the rest."""

    level = LevelSerializer(help_text=_("Level of government."))
    stage = StageSerializer(help_text=_("Innovation stage."))

    class Meta:
        model = CaseStudy
        # The case record's face in lists (cases/records.py).
        fields = with_case_entries(records.API_LIST_FIELDS)
        read_only_fields = fields
        list_serializer_class = CaseEntriesListSerializer


def outcome_field(value: records.OutcomeValue) -> serializers.Field:
    """The API's field for one of an outcome's values (cases/records.py, OUTCOME)."""
    column = value.model_field
    options = {"help_text": value.help_text} if value.help_text else {}
    if column.null:
        options["allow_null"] = True
    if value.kind == records.DECIMAL:
        return serializers.DecimalField(
            max_digits=column.max_digits,
            decimal_places=column.decimal_places,
            coerce_to_string=False,
            **options,
        )
    if value.kind == records.DATE:
        return serializers.DateField(**options)
    return serializers.CharField(**options)


OutcomeSerializer = type(
    "OutcomeSerializer",
    (serializers.Serializer,),
    {value.name: outcome_field(value) for value in records.OUTCOME} | {"__module__": __name__},
)


class ResourceSerializer(serializers.Serializer):
    kind = ResourceKindSerializer()
    title = serializers.CharField()
    url = serializers.SerializerMethodField(help_text=_("Absolute address of the link or file."))
    alt_text = serializers.CharField(help_text=_("Alternative text of an image; may be empty."))

    def get_url(self, resource) -> str:
        target = resource.url if resource.kind == ResourceKind.LINK else resource.file.url
        return absolute_url(self.context, target)


class LinkedCaseSerializer(CaseUrlsMixin, serializers.ModelSerializer):
    economy = EconomyRefSerializer()

    class Meta:
        model = CaseStudy
        fields = ["id", "slug", "title", "url", "api_url", "economy"]
        read_only_fields = fields


class CaseLinkSerializer(serializers.Serializer):
    relation = LinkRelationSerializer(
        help_text=_("How the linked case relates to this one, seen from this case.")
    )
    note = serializers.CharField()
    case = LinkedCaseSerializer()


class CaseDetailSerializer(vocabulary_fields(records.API), CaseListSerializer):
    """Everything public about a case: the narrative, vocabularies, outcomes, links and resources."""

    organisation_type = OrganisationTypeSerializer()
    website = serializers.CharField(help_text=_("The programme's own site; may be empty."))
    outcomes = OutcomeSerializer(many=True)
    links = serializers.SerializerMethodField(help_text=_("Links to other published cases."))
    resources = ResourceSerializer(many=True)

    class Meta(CaseListSerializer.Meta):
        fields = with_case_entries(records.API_FIELDS)  # the case record's face in detail (cases/records.py)
        read_only_fields = fields

    @extend_schema_field(CaseLinkSerializer(many=True))
    def get_links(self, case):
        """The case's links to published cases in both directions, each seen from this case: read in one
        query for the case, or for a whole list by for_detail()'s prefetch (cases/models/case_links.py)."""
        links = [{"relation": link.relation, "note": link.note, "case": link.case} for link in case.links]
        return CaseLinkSerializer(links, many=True, context=self.context).data


class ChangeSerializer(serializers.Serializer):
    """One entry of the changes feed."""

    id = serializers.IntegerField(
        help_text=_("The case's id: stable across slug changes; key your copy on it.")
    )
    slug = serializers.CharField()
    action = serializers.ChoiceField(
        choices=[("upsert", "upsert"), ("withdraw", "withdraw")],
        # Translators: upsert, withdraw (values), `case` and id (field names) stay as they are.
        help_text=_("upsert: store `case`, replacing any copy with this id; withdraw: remove your copy."),
    )
    reason = serializers.ChoiceField(
        choices=[("unpublished", "unpublished"), ("archived", "archived"), ("deleted", "deleted")],
        allow_null=True,
        # Translators: null (JSON's) and upsert (a value of `action`) stay as they are.
        help_text=_("Why a case was withdrawn; null for an upsert."),
    )
    changed_at = serializers.DateTimeField(
        help_text=_("When it changed; the feed is ordered by it, then by id.")
    )
    case = CaseDetailSerializer(
        allow_null=True,
        # Translators: null is JSON's: keep it as it is.
        help_text=_("The case as now published; null when withdrawn."),
    )


# --- Vocabularies ---------------------------------------------------------------------------------


class VocabularyUrlsMixin(serializers.Serializer):
    url = serializers.SerializerMethodField(help_text=_("The term's page."))
    api_url = serializers.SerializerMethodField(help_text=_("This record's address in the API."))
    cases_url = serializers.SerializerMethodField(
        help_text=_("The address of its published cases in the API.")
    )
    case_count = serializers.IntegerField(
        read_only=True, help_text=_("The number of published cases with this term.")
    )

    detail_route = ""

    @property
    def parameter(self) -> str:
        return FACETS_BY_MODEL[self.Meta.model].parameter

    @property
    def lookup(self) -> str:
        return FACETS_BY_MODEL[self.Meta.model].value_field

    def get_url(self, term) -> str:
        return absolute_url(self.context, term.get_absolute_url())

    def get_api_url(self, term) -> str:
        return absolute_url(
            self.context, api_path(self.detail_route, **{self.lookup: getattr(term, self.lookup)})
        )

    def get_cases_url(self, term) -> str:
        return absolute_url(self.context, cases_api_path(self.parameter, self.filter_value(term)))

    def filter_value(self, term):
        return getattr(term, self.lookup)

    def to_representation(self, term):
        # Names, descriptions and profiles in the request's language, English where a term has no translation.
        data = super().to_representation(term)
        for name in term.TRANSLATED_FIELDS:
            if name in data:
                data[name] = term.translated(name)
        return data


class EconomySerializer(VocabularyUrlsMixin, serializers.ModelSerializer):
    detail_route = "economy-detail"
    iso2 = term_value_field("economy")
    subregion_code = term_value_field("region")

    class Meta:
        model = Economy
        fields = [
            "iso2",
            "iso3",
            "name",
            "slug",
            "region_code",
            "region_name",
            "subregion_code",
            "subregion_name",
            "is_apo_member",
            "apo_joined_year",
            "profile",
            "case_count",
            "url",
            "api_url",
            "cases_url",
        ]
        read_only_fields = fields


class SectorSerializer(VocabularyUrlsMixin, serializers.ModelSerializer):
    detail_route = "sector-detail"
    slug = term_value_field("sector")
    # Translators: COFOG is the UN's Classification of the Functions of Government: keep the name.
    cofog_code = serializers.CharField(read_only=True, help_text=_("COFOG division as two digits, e.g. 07."))

    class Meta:
        model = Sector
        fields = [
            "slug",
            "name",
            "description",
            "cofog_division",
            "cofog_code",
            "case_count",
            "url",
            "api_url",
            "cases_url",
        ]
        read_only_fields = fields


class ThemeSerializer(VocabularyUrlsMixin, serializers.ModelSerializer):
    detail_route = "theme-detail"
    slug = term_value_field("theme")

    class Meta:
        model = Theme
        fields = ["slug", "name", "description", "case_count", "url", "api_url", "cases_url"]
        read_only_fields = fields


class InnovationFacetSerializer(VocabularyUrlsMixin, serializers.ModelSerializer):
    detail_route = "innovation-facet-detail"
    slug = term_value_field("facet")

    class Meta:
        model = InnovationFacet
        fields = ["slug", "name", "description", "case_count", "url", "api_url", "cases_url"]
        read_only_fields = fields


class SDGSerializer(VocabularyUrlsMixin, serializers.ModelSerializer):
    detail_route = "sdg-detail"
    number = term_value_field("sdg")

    class Meta:
        model = SDG
        fields = ["number", "name", "case_count", "url", "api_url", "cases_url"]
        read_only_fields = fields


# --- What the pages use ---------------------------------------------------------------------------


def _counts_field(help_text):
    return serializers.DictField(child=serializers.IntegerField(), help_text=help_text)


# One field per row of the facet table (cases/models/facets.py), in its order.
FacetCountsByParameterSerializer = type(
    "FacetCountsByParameterSerializer",
    (serializers.Serializer,),
    {"__module__": __name__, **{facet.parameter: _counts_field(facet.counts_help) for facet in FACETS}},
)


class FacetCountsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=_("The number of cases matching every current parameter."))
    facets = FacetCountsByParameterSerializer(
        help_text=_(
            "For each parameter and value, the cases matching every *other* parameter and that value; "
            "values without cases are left out."
        )
    )


class SuggestionSerializer(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.CharField(
        help_text=_("The case slug, or the filter value (ISO alpha-2 code, theme slug).")
    )
    url = serializers.CharField(help_text=_("The page to go to."))
    api_url = serializers.CharField()


class SuggestionsSerializer(serializers.Serializer):
    q = serializers.CharField()
    cases = SuggestionSerializer(
        many=True, help_text=_("Published cases whose title has a word starting with what was typed.")
    )
    economies = SuggestionSerializer(
        many=True, help_text=_("Economies with published cases, by name or code.")
    )
    themes = SuggestionSerializer(many=True, help_text=_("Themes with published cases."))


class BucketSerializer(serializers.Serializer):
    value = serializers.CharField(help_text=_("The value as the filter parameter takes it."))
    label = serializers.CharField()
    count = serializers.IntegerField()


class YearSectorBucketSerializer(BucketSerializer):
    year = serializers.CharField(help_text=_("The year launched."))
    # Translators: `sector` is a parameter's name: keep it as it is.
    value = serializers.CharField(help_text=_("The sector's slug, as the `sector` parameter takes it."))


class EconomyMethodBucketSerializer(BucketSerializer):
    # Translators: `economy` and `method` are parameters' names: keep them as they are.
    economy = serializers.CharField(
        help_text=_("The economy's ISO code, as the `economy` parameter takes it.")
    )
    economy_label = serializers.CharField(help_text=_("The economy's name."))
    value = serializers.CharField(help_text=_("The method's slug, as the `method` parameter takes it."))


class _StatsTotalsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=_("The number of cases matching the parameters."))
    with_outcomes = serializers.IntegerField(
        help_text=_("Of those, the number of cases with at least one measured outcome.")
    )
    outcome_share = serializers.FloatField(
        # Translators: with_outcomes and count are field names: keep them as they are.
        help_text=_("with_outcomes / count, from 0 to 1 (0 when count is 0).")
    )


# by_<parameter> for each row of the facet table (cases/models/facets.py), in its order.
_StatsByFacetSerializer = type(
    "_StatsByFacetSerializer",
    (_StatsTotalsSerializer,),
    {"__module__": __name__, **{f"by_{facet.parameter}": BucketSerializer(many=True) for facet in FACETS}},
)


# The totals, the buckets of every facet, then the years. (No docstring: it would show in the API's
# documentation of the response.)
class StatsSerializer(_StatsByFacetSerializer):
    by_year = BucketSerializer(many=True, help_text=_("By year launched; cases without one are left out."))
    by_year_sector = YearSectorBucketSerializer(
        many=True,
        help_text=_(
            # Translators: by_year is a field's name: keep it as it is.
            "Cases launched each year, by sector (the stacked timeline). A case in two sectors counts "
            "in both, so a year can add up to more than its by_year count."
        ),
    )
    by_method = BucketSerializer(
        many=True, help_text=_("By method used (main or also); a case that used two counts in both.")
    )
    by_economy_method = EconomyMethodBucketSerializer(
        many=True, help_text=_("Methods by economy: how many cases of each economy used each method.")
    )

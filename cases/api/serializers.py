"""Public representations. Only fields a reader of the case page can see: never the submitter's contact,
reviewer notes, the editorial status or who edited what.

Absolute URLs are built from the request when there is one, otherwise from `base_url` in the context (so
the exports and a management command produce the same records as the API)."""

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases import records
from cases.api.schema import vocabulary_ref
from cases.models import (
    SDG,
    CaseStudy,
    Economy,
    InnovationFacet,
    Level,
    LinkRelation,
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


def choice_serializer(name: str, choices):
    """A serializer showing a stored choice as {"code": ..., "name": ...}, documented with its codes."""

    class ChoiceSerializer(serializers.Serializer):
        code = serializers.ChoiceField(choices=choices.choices, read_only=True)
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


class CaseListSerializer(
    CaseTextMixin, CaseUrlsMixin, vocabulary_fields(records.API_LIST), serializers.ModelSerializer
):
    """A case in a list: enough to show a result card and decide whether to fetch the rest."""

    level = LevelSerializer(help_text=_("Level of government."))
    stage = StageSerializer(help_text=_("Innovation stage."))

    class Meta:
        model = CaseStudy
        fields = records.API_LIST_FIELDS  # the case record's face in lists (cases/records.py)
        read_only_fields = fields


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
        fields = records.API_FIELDS  # the case record's face in detail (cases/records.py)
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

"""Public representations. Only fields a reader of the case page can see: never the submitter's contact,
reviewer notes, the editorial status or who edited what.

Absolute URLs are built from the request when there is one, otherwise from `base_url` in the context (so
the exports and a management command produce the same records as the API)."""

from django.urls import reverse
from django.utils.http import urlencode
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases import records
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
from cases.models.facets import FACETS, FACETS_BY_MODEL
from cases.records import absolute_url


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


class EconomyRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Economy
        fields = ["iso2", "iso3", "name", "slug"]


class SectorRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Sector
        fields = ["slug", "name"]


class ThemeRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Theme
        fields = ["slug", "name"]


class FacetRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = InnovationFacet
        fields = ["slug", "name"]


class SDGRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = SDG
        fields = ["number", "name"]


# --- Cases ----------------------------------------------------------------------------------------


class CaseUrlsMixin(serializers.Serializer):
    url = serializers.SerializerMethodField(help_text="The case's page (its canonical address).")
    api_url = serializers.SerializerMethodField(help_text="This representation in the API.")

    def get_url(self, case) -> str:
        return absolute_url(self.context, case.get_absolute_url())

    def get_api_url(self, case) -> str:
        return absolute_url(self.context, api_path("case-detail", slug=case.slug))


class CaseListSerializer(CaseUrlsMixin, serializers.ModelSerializer):
    """A case in a list: enough to show a result card and decide whether to fetch the rest."""

    economy = EconomyRefSerializer(help_text="The primary economy.")
    level = LevelSerializer(help_text="Level of government.")
    stage = StageSerializer(help_text="Innovation stage.")
    sectors = SectorRefSerializer(many=True)
    themes = ThemeRefSerializer(many=True)
    facets = FacetRefSerializer(many=True, help_text="Innovation facets.")
    sdgs = SDGRefSerializer(many=True, help_text="Sustainable Development Goals.")

    class Meta:
        model = CaseStudy
        fields = records.API_LIST_FIELDS  # the case record's face in lists (cases/records.py)
        read_only_fields = fields


class OutcomeSerializer(serializers.Serializer):
    indicator = serializers.CharField()
    value = serializers.DecimalField(max_digits=20, decimal_places=4, coerce_to_string=False)
    unit = serializers.CharField()
    baseline = serializers.DecimalField(
        max_digits=20, decimal_places=4, coerce_to_string=False, allow_null=True
    )
    date = serializers.DateField(allow_null=True, help_text="When it was measured.")
    source_url = serializers.CharField(help_text="Where the figure comes from; may be empty.")


class ResourceSerializer(serializers.Serializer):
    kind = ResourceKindSerializer()
    title = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="Absolute address of the link or file.")
    alt_text = serializers.CharField(help_text="Alternative text of an image; may be empty.")

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
        help_text="How the linked case relates to this one, seen from this case."
    )
    note = serializers.CharField()
    case = LinkedCaseSerializer()


# A link recorded on the other case, seen from this one.
INVERSE_RELATION = {
    LinkRelation.ADAPTED_FROM: LinkRelation.REPLICATED_IN,
    LinkRelation.REPLICATED_IN: LinkRelation.ADAPTED_FROM,
    LinkRelation.RELATED_TO: LinkRelation.RELATED_TO,
}


class CaseDetailSerializer(CaseListSerializer):
    """Everything public about a case: the narrative, vocabularies, outcomes, links and resources."""

    organisation_type = OrganisationTypeSerializer()
    website = serializers.CharField(help_text="The programme's own site; may be empty.")
    other_economies = EconomyRefSerializer(many=True)
    outcomes = OutcomeSerializer(many=True)
    links = serializers.SerializerMethodField(help_text="Links to other published cases.")
    resources = ResourceSerializer(many=True)

    class Meta(CaseListSerializer.Meta):
        fields = records.API_FIELDS  # the case record's face in detail (cases/records.py)
        read_only_fields = fields

    @extend_schema_field(CaseLinkSerializer(many=True))
    def get_links(self, case):
        """The case's links in both directions; the for_detail() prefetch keeps only published cases."""
        links, seen = [], set()

        def add(relation, other, note):
            if not other.is_published or (relation, other.pk) in seen:
                return
            seen.add((relation, other.pk))
            links.append({"relation": relation, "note": note, "case": other})

        for link in case.links_out.all():
            add(link.relation, link.to_case, link.note)
        for link in case.links_in.all():
            add(INVERSE_RELATION[link.relation], link.from_case, link.note)
        return CaseLinkSerializer(links, many=True, context=self.context).data


class ChangeSerializer(serializers.Serializer):
    """One entry of the changes feed."""

    id = serializers.IntegerField(help_text="The case's id: stable across slug changes; key your copy on it.")
    slug = serializers.CharField()
    action = serializers.ChoiceField(
        choices=[("upsert", "upsert"), ("withdraw", "withdraw")],
        help_text="upsert: store `case`, replacing any copy with this id; withdraw: remove your copy.",
    )
    reason = serializers.ChoiceField(
        choices=[("unpublished", "unpublished"), ("archived", "archived"), ("deleted", "deleted")],
        allow_null=True,
        help_text="Why a case was withdrawn; null for an upsert.",
    )
    changed_at = serializers.DateTimeField(
        help_text="When it changed; the feed is ordered by it, then by id."
    )
    case = CaseDetailSerializer(allow_null=True, help_text="The case as now published; null when withdrawn.")


# --- Vocabularies ---------------------------------------------------------------------------------


class VocabularyUrlsMixin(serializers.Serializer):
    url = serializers.SerializerMethodField(help_text="The term's page.")
    api_url = serializers.SerializerMethodField(help_text="This representation in the API.")
    cases_url = serializers.SerializerMethodField(help_text="Its published cases in the API.")
    case_count = serializers.IntegerField(read_only=True, help_text="Published cases with this term.")

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


class EconomySerializer(VocabularyUrlsMixin, serializers.ModelSerializer):
    detail_route = "economy-detail"

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
    cofog_code = serializers.CharField(read_only=True, help_text="COFOG division as two digits, e.g. 07.")

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

    class Meta:
        model = Theme
        fields = ["slug", "name", "description", "case_count", "url", "api_url", "cases_url"]
        read_only_fields = fields


class InnovationFacetSerializer(VocabularyUrlsMixin, serializers.ModelSerializer):
    detail_route = "innovation-facet-detail"

    class Meta:
        model = InnovationFacet
        fields = ["slug", "name", "description", "case_count", "url", "api_url", "cases_url"]
        read_only_fields = fields


class SDGSerializer(VocabularyUrlsMixin, serializers.ModelSerializer):
    detail_route = "sdg-detail"

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
    count = serializers.IntegerField(help_text="Cases matching every current parameter.")
    facets = FacetCountsByParameterSerializer(
        help_text="For each parameter and value, the cases matching every *other* parameter and that value; "
        "values without cases are left out."
    )


class SuggestionSerializer(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.CharField(
        help_text="The case slug, or the filter value (ISO alpha-2 code, theme slug)."
    )
    url = serializers.CharField(help_text="The page to go to.")
    api_url = serializers.CharField()


class SuggestionsSerializer(serializers.Serializer):
    q = serializers.CharField()
    cases = SuggestionSerializer(many=True, help_text="Published cases whose title has a word starting so.")
    economies = SuggestionSerializer(many=True, help_text="Economies with published cases, by name or code.")
    themes = SuggestionSerializer(many=True, help_text="Themes with published cases.")


class BucketSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="The value as the filter parameter takes it.")
    label = serializers.CharField()
    count = serializers.IntegerField()


class YearSectorBucketSerializer(BucketSerializer):
    year = serializers.CharField(help_text="The year launched.")
    value = serializers.CharField(help_text="The sector's slug, as the `sector` parameter takes it.")


class _StatsTotalsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Cases matching the parameters.")
    with_outcomes = serializers.IntegerField(help_text="Of those, cases with at least one measured outcome.")
    outcome_share = serializers.FloatField(
        help_text="with_outcomes / count, from 0 to 1 (0 when count is 0)."
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
    by_year = BucketSerializer(many=True, help_text="By year launched; cases without one are left out.")
    by_year_sector = YearSectorBucketSerializer(
        many=True,
        help_text="Cases launched each year, by sector (the stacked timeline). A case in two sectors counts "
        "in both, so a year can add up to more than its by_year count.",
    )

"""The API's representations written out by hand for speed (cases/api/serializers.py, issue 15) give what
DRF's generic machinery gives."""

import pytest
from django.test import RequestFactory
from django.urls import get_script_prefix, reverse, set_script_prefix
from rest_framework import serializers
from rest_framework.request import Request

from cases.api.serializers import REF_SERIALIZERS, CaseDetailSerializer, CaseListSerializer
from cases.models import SDG, CaseStudy, Economy, InnovationFacet, Theme
from tests.factories import CaseLinkFactory, CaseStudyFactory

pytestmark = pytest.mark.django_db


def generic_ref_serializer(model):
    """What the reference serializer of `model` would be as a plain ModelSerializer."""
    meta = type("Meta", (), {"model": model, "fields": REF_SERIALIZERS[model].Meta.fields})
    return type("GenericRef", (serializers.ModelSerializer,), {"Meta": meta})


@pytest.mark.parametrize("model", list(REF_SERIALIZERS), ids=lambda model: model.__name__)
def test_a_term_reference_is_what_a_model_serializer_gives(model):
    terms = list(model.objects.all())
    assert terms
    assert (
        REF_SERIALIZERS[model](terms, many=True).data == generic_ref_serializer(model)(terms, many=True).data
    )


def described_case():
    case = CaseStudyFactory(
        themes=[Theme.objects.get(slug="digital-government")],
        facets=[InnovationFacet.objects.get(slug="adaptive")],
        sdgs=[SDG.objects.get(number=3), SDG.objects.get(number=16)],
        other_economies=[Economy.objects.get(iso2="MY")],
    )
    CaseLinkFactory(from_case=case, to_case=CaseStudyFactory(title="Linked"))
    return case


@pytest.mark.parametrize("serializer", [CaseListSerializer, CaseDetailSerializer])
def test_terms_read_from_the_prefetched_cache_are_those_the_relation_gives(serializer):
    case = described_case()
    request = Request(RequestFactory().get("/api/v1/cases/"))
    loaded = CaseStudy.objects.for_detail().get(pk=case.pk)
    bare = CaseStudy.objects.get(pk=case.pk)  # nothing prefetched: each relation asks the database
    assert not hasattr(bare, "_prefetched_objects_cache")
    with_cache = serializer(loaded, context={"request": request}).data
    without = serializer(bare, context={"request": request}).data
    assert with_cache == without
    assert [sdg["number"] for sdg in with_cache["sdgs"]] == [3, 16]


@pytest.mark.parametrize("prefix", ["/", "/observatory/"])
def test_case_addresses_are_those_reverse_gives_under_any_script_prefix(prefix):
    case = described_case()
    request = Request(RequestFactory().get("/api/v1/cases/", HTTP_HOST="testserver"))
    before = get_script_prefix()
    set_script_prefix(prefix)
    try:
        data = CaseDetailSerializer(
            CaseStudy.objects.for_detail().get(pk=case.pk), context={"request": request}
        ).data
        page = request.build_absolute_uri(case.get_absolute_url())
        api = request.build_absolute_uri(reverse("api:case-detail", kwargs={"slug": case.slug}))
        (link,) = data["links"]
        linked = link["case"]
        linked_page = request.build_absolute_uri(
            reverse("cases:casestudy_detail", kwargs={"slug": linked["slug"]})
        )
    finally:
        set_script_prefix(before)
    assert (data["url"], data["api_url"]) == (page, api)
    assert data["url"].startswith(f"http://testserver{prefix}cases/")
    assert linked["url"] == linked_page != data["url"]


def test_each_case_of_a_list_gets_its_own_addresses():
    cases = [CaseStudyFactory(title=f"Listed {n}") for n in range(3)]
    request = Request(RequestFactory().get("/api/v1/cases/"))
    data = CaseListSerializer(cases, many=True, context={"request": request}).data
    assert [row["url"] for row in data] == [
        request.build_absolute_uri(case.get_absolute_url()) for case in cases
    ]

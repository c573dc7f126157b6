"""Related cases: published cases that share the most vocabulary with a case, and on PostgreSQL also the
most words of its title and summary."""

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import Count, F, FloatField, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce

from .models import CaseStudy
from .search import Unaccent, search_words, uses_full_text_search


def _shared(relation: str, values):
    """How many of `values` a candidate has in the many-to-many `relation`, as a correlated subquery."""
    field = CaseStudy._meta.get_field(relation)
    through = field.remote_field.through
    own, other = field.m2m_field_name(), field.m2m_reverse_field_name()
    counted = (
        through.objects.filter(**{own: OuterRef("pk"), f"{other}__in": values})
        .values(own).annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def related_cases(case: CaseStudy, *, limit: int = 4):
    """Up to `limit` published cases most like `case` (never itself, never unpublished)."""
    theme_ids = [theme.pk for theme in case.themes.all()]
    sector_ids = [sector.pk for sector in case.sectors.all()]
    facet_ids = [facet.pk for facet in case.facets.all()]
    score = (
        _shared("themes", theme_ids) * 3 + _shared("sectors", sector_ids) * 2 + _shared("facets", facet_ids)
        + Cast(Q(economy_id=case.economy_id), IntegerField())
    )
    candidates = CaseStudy.objects.published().exclude(pk=case.pk).annotate(
        vocabulary_score=Cast(score, FloatField())
    )
    words = [word for word in search_words(f"{case.title} {case.summary}") if len(word) > 3][:12]
    if uses_full_text_search() and words:
        query = SearchQuery(Unaccent(Value(" | ".join(words))), search_type="raw", config="english")
        candidates = candidates.annotate(
            relevance=F("vocabulary_score") + SearchRank(F("search_vector"), query) * 10
        )
    else:
        candidates = candidates.annotate(relevance=F("vocabulary_score"))
    return list(
        candidates.filter(relevance__gt=0).for_listing().order_by("-relevance", "-published_at")[:limit]
    )

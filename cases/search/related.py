"""Related cases: published cases that share the most vocabulary with a case, and (where the search backend
can score it) the most words of its title and summary.

Scoring every case in a large catalogue is too slow for a page, so the candidates are first narrowed to
the cases sharing the most themes, sectors and facets (one aggregate over the through tables), and only
those are ranked by text similarity. The answer is cached per catalogue version.
"""

from django.db import connection
from django.db.models import Case, F, FloatField, IntegerField, Value, When

from cases.caching import cached
from cases.models import CaseStudy
from cases.search.engine import text_likeness
from cases.search.query import words_of

CANDIDATES = 200
# How much a shared term counts: themes say most about what a case is like.
WEIGHTS = {"themes": 3, "sectors": 2, "facets": 1}


def _candidate_scores(case: CaseStudy) -> dict[int, int]:
    """{case id: vocabulary score} for the cases sharing the most terms with `case` (itself excluded)."""
    parts, params = [], []
    for relation, weight in WEIGHTS.items():
        field = CaseStudy._meta.get_field(relation)
        through = field.remote_field.through
        own = through._meta.get_field(field.m2m_field_name()).column
        other = through._meta.get_field(field.m2m_reverse_field_name()).column
        ids = list(getattr(case, relation).values_list("pk", flat=True))
        if not ids:
            continue
        placeholders = ", ".join(["%s"] * len(ids))
        parts.append(
            f"SELECT {own} AS case_id, {int(weight)} AS weight FROM {through._meta.db_table} "
            f"WHERE {other} IN ({placeholders})"
        )
        params += ids
    if not parts:
        return {}
    sql = (
        f"SELECT case_id, SUM(weight) AS score FROM ({' UNION ALL '.join(parts)}) AS shared "
        f"WHERE case_id <> %s GROUP BY case_id ORDER BY score DESC, case_id DESC LIMIT {CANDIDATES}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, case.pk])
        return dict(cursor.fetchall())


def related_case_ids(case: CaseStudy, *, limit: int) -> list[int]:
    scores = _candidate_scores(case)
    if not scores:
        return []
    candidates = (
        CaseStudy.objects.published()
        .filter(pk__in=list(scores))
        .annotate(
            vocabulary_score=Case(
                *[When(pk=pk, then=Value(score)) for pk, score in scores.items()],
                default=Value(0),
                output_field=IntegerField(),
            )
            + Case(
                When(economy_id=case.economy_id, then=Value(1)), default=Value(0), output_field=IntegerField()
            )
        )
    )
    words = [word for word in words_of(f"{case.title} {case.summary}") if len(word) > 3 and word.isalpha()][
        :12
    ]
    likeness = text_likeness(words)
    relevance = F("vocabulary_score") if likeness is None else F("vocabulary_score") + likeness * 10
    candidates = candidates.annotate(relevance=relevance * Value(1.0, output_field=FloatField()))
    return list(candidates.order_by("-relevance", "-published_at").values_list("pk", flat=True)[:limit])


def related_cases(case: CaseStudy, *, limit: int = 4):
    """Up to `limit` published cases most like `case` (never itself, never unpublished)."""
    ids = cached("related", (case.pk, limit), lambda: related_case_ids(case, limit=limit))
    by_id = CaseStudy.objects.published().for_listing().in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]

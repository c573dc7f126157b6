"""Search on SQLite (the embedded default). PLACEHOLDER: plain matching until the FTS5 backend lands.

The functions and what they return are described in cases/search/backends.py.
"""

import difflib
import re

from django.db.models import Case, CharField, ExpressionWrapper, F, FloatField, Q, Value, When
from django.db.models.functions import Lower

from cases.models import CaseStudy, SearchWord
from cases.search.markers import HIGHLIGHT_START, HIGHLIGHT_STOP, without_markers
from cases.search.query import tagged_condition, words_of


def _text_condition(concept) -> Q:
    condition = Q()
    for phrase in concept.alternatives:
        condition |= Q(search_vector__contains=" ".join(phrase.words))
    return condition


def match(queryset, query):
    title_hits = Q()
    for concept in query.concepts:
        condition = _text_condition(concept)
        if concept.tags:
            condition |= tagged_condition(concept.tags)
        queryset = queryset.filter(condition)
        title_hits &= Q(title__icontains=concept.typed.text)
    return queryset.annotate(
        search_rank=Case(When(title_hits, then=Value(2.0)), default=Value(1.0), output_field=FloatField())
    )


def highlighted_excerpts(case_ids, query) -> dict:
    words = query.all_words
    pattern = re.compile("|".join(re.escape(word) for word in sorted(words, key=len, reverse=True)), re.I)
    excerpts = {}
    for pk, summary in CaseStudy.objects.filter(pk__in=case_ids).values_list("pk", "summary"):
        text = without_markers(summary)
        excerpts[pk] = pattern.sub(lambda m: f"{HIGHLIGHT_START}{m.group(0)}{HIGHLIGHT_STOP}", text)
    return excerpts


def title_matches(queryset, query):
    for word in query.typed_words:
        queryset = queryset.filter(Q(title__istartswith=word) | Q(title__icontains=" " + word))
    return queryset


def similar_titles(candidates, title):
    queued_title = Lower(ExpressionWrapper(title, output_field=CharField()))
    return candidates.alias(queued_title=queued_title).filter(
        Q(title__icontains=title) | Q(queued_title__contains=Lower(F("title")))
    )


def text_likeness(words):
    return None


def word_counts():
    counts: dict[str, int] = {}
    for text in CaseStudy.objects.published().values_list("search_vector", flat=True).iterator():
        for word in set(words_of(text or "")):
            counts[word] = counts.get(word, 0) + 1
    return counts.items()


def close_words(word: str, limit: int = 3) -> list[str]:
    known = SearchWord.objects.filter(word__startswith=word[:1]).values_list("word", flat=True)
    return difflib.get_close_matches(word, list(known), n=limit, cutoff=0.75)

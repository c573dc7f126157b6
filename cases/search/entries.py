"""Words searched in methods, toolkits and organisations (issue 18): the search module's small sibling.

These lists hold hundreds of rows, not the case library's hundred thousand, so their search reads the
few text columns of the rows a FilterSet has left and matches them here, the same way on every database:
each word must appear (AND), case and accents ignored, anywhere in a word, which finds a word inside a run
of Thai, Chinese or Japanese written without spaces as well as an English prefix. Rows are ranked by where
the words are found: in the name first, then the summary, then the rest. One query, whatever the words.
"""

import unicodedata

from django.db.models import Case, IntegerField, QuerySet, Value, When

MAX_WORDS = 12


def folded(text: str) -> str:
    """The text with case and accents set aside: "Ciudad Autónoma" and "ciudad autonoma" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text or "").casefold()
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_words(text: str) -> list[str]:
    return [folded(word) for word in (text or "").split()][:MAX_WORDS]


def search_entries(queryset: QuerySet, text: str, *, fields: tuple[str, ...]) -> QuerySet:
    """The rows of `queryset` whose `fields` hold every word of `text`, annotated with `search_rank` (3 when
    the first field holds them all, 2 the second, 1 otherwise) for ordering by relevance."""
    words = search_words(text)
    if not words:
        return queryset.annotate(search_rank=Value(0, output_field=IntegerField()))
    ranks = {}
    for pk, *values in queryset.order_by().values_list("pk", *fields):
        texts = [folded(value) for value in values]
        whole = " ".join(texts)
        if all(word in whole for word in words):
            ranks[pk] = next(
                (3 - n for n, part in enumerate(texts[:2]) if all(word in part for word in words)), 1
            )
    return queryset.filter(pk__in=list(ranks)).annotate(
        search_rank=Case(
            *(When(pk=pk, then=Value(rank)) for pk, rank in ranks.items() if rank > 1),
            default=Value(1),
            output_field=IntegerField(),
        )
    )

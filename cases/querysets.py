"""Reads: chainable QuerySet methods. Every public face starts from `CaseStudy.objects.published()`."""

from django.db import models
from django.db.models import Count, Prefetch, Q


class CaseStudyQuerySet(models.QuerySet):
    def published(self):
        """Only cases visible outside admin: status `published`. Every public read path starts here."""
        # The search document is only ever read by the database; never load it into Python.
        return self.filter(status="published").defer("search_vector")

    def for_listing(self):
        """What a result card, a feed entry or a CSV row needs, in a fixed number of queries."""
        return self.select_related("economy").prefetch_related("sectors", "themes")

    def for_detail(self):
        """Everything the case page shows, in a fixed number of queries."""
        from .models import CaseLink, Outcome, Resource  # local: models import this module

        published_links = CaseLink.objects.filter(to_case__status="published").select_related(
            "to_case__economy"
        )
        published_backlinks = CaseLink.objects.filter(from_case__status="published").select_related(
            "from_case__economy"
        )
        return self.select_related("economy").prefetch_related(
            "other_economies",
            "sectors",
            "themes",
            "facets",
            "sdgs",
            Prefetch("outcomes", queryset=Outcome.objects.order_by("position", "id")),
            Prefetch("resources", queryset=Resource.objects.order_by("position", "id")),
            Prefetch("links_out", queryset=published_links),
            Prefetch("links_in", queryset=published_backlinks),
        )

    def search(self, query: str, *, fuzzy: bool | None = None):
        """Cases matching the words of `query`, best first where the database can rank.

        PostgreSQL: weighted full-text search with prefix matching and a trigram fallback for typos;
        other databases: plain case-insensitive matching. Callers never need to know which ran.
        """
        from .search import search_cases

        return search_cases(self, query, fuzzy=fuzzy)


class EconomyQuerySet(models.QuerySet):
    def with_published_counts(self):
        """Each economy with `case_count`: its published cases as primary economy."""
        return self.annotate(case_count=Count("primary_cases", filter=Q(primary_cases__status="published")))

    def apo_members(self):
        return self.filter(is_apo_member=True)

"""/sitemap.xml: every published case and every profile page, in every language of the interface, each
entry with its alternates in the other languages (hreflang, as search engines read them)."""

from collections.abc import Sequence

from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet
from django.urls import reverse

from cases.models import CaseStudy, Economy, Method, Organisation, Sector, Theme, Toolkit


class LanguagePairs(Sequence):
    """(item, language) for every item of a query and every language, cut page by page from the query
    itself. Django's i18n sitemaps build that list in memory, every case of the catalogue for each page of
    the sitemap; this reads only the cases of the page asked for."""

    def __init__(self, items, languages):
        self.items, self.languages = items, list(languages)

    def count(self) -> int:
        total = self.items.count() if isinstance(self.items, QuerySet) else len(self.items)
        return total * len(self.languages)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        n = len(self.languages)
        if isinstance(index, slice):
            start, stop, _step = index.indices(self.count())
            first = start // n
            items = list(self.items[first : -(-stop // n)])
            pairs = [(item, language) for item in items for language in self.languages]
            return pairs[start - first * n : stop - first * n]
        item = self.items[index // n]
        return (item, self.languages[index % n])


class EveryLanguage:
    """A sitemap listing each page in every language, with its alternates and an x-default (English)."""

    i18n = True
    alternates = True
    x_default = True

    def _items(self):
        return LanguagePairs(self.items(), self._languages())


class CaseSitemap(EveryLanguage, Sitemap):
    changefreq = "monthly"
    priority = 0.8
    # Each entry carries its alternates (one link per language): 2,000 entries keep a page near 1 MB.
    limit = 2000

    def items(self):
        return CaseStudy.objects.published().only("slug", "updated_at").order_by("id")

    def lastmod(self, case):
        return case.updated_at


class ProfileSitemap(EveryLanguage, Sitemap):
    changefreq = "weekly"
    priority = 0.5

    def items(self):
        return [*Economy.objects.order_by("name"), *Sector.objects.all(), *Theme.objects.all()]


class StaticPagesSitemap(EveryLanguage, Sitemap):
    priority = 0.6

    def items(self):
        return [
            "cases:home",
            "cases:casestudy_list",
            "cases:economy_list",
            "cases:theme_list",
            "cases:sector_list",
            "cases:method_list",
            "cases:toolkit_list",
            "cases:organisation_list",
            "cases:open_data",
            "cases:about",
        ]

    def location(self, name):
        return reverse(name)


class MethodSitemap(EveryLanguage, Sitemap):
    """Published methods only (issue 18)."""

    changefreq = "monthly"
    priority = 0.6

    def items(self):
        return Method.objects.published().only("slug", "updated_at").order_by("id")

    def lastmod(self, method):
        return method.updated_at


class ToolkitSitemap(MethodSitemap):
    """Published toolkits only."""

    def items(self):
        return Toolkit.objects.published().only("slug", "updated_at").order_by("id")


class OrganisationSitemap(MethodSitemap):
    """Organisations named by a published case: no other has a page."""

    priority = 0.4

    def items(self):
        return Organisation.objects.public().only("slug", "updated_at").order_by("id")


SITEMAPS = {
    "pages": StaticPagesSitemap,
    "cases": CaseSitemap,
    "profiles": ProfileSitemap,
    "methods": MethodSitemap,
    "toolkits": ToolkitSitemap,
    "organisations": OrganisationSitemap,
}

"""/sitemap.xml: every published case and every profile page."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from cases.models import CaseStudy, Economy, Sector, Theme


class CaseSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.8
    limit = 10000

    def items(self):
        return CaseStudy.objects.published().only("slug", "updated_at").order_by("id")

    def lastmod(self, case):
        return case.updated_at


class ProfileSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.5

    def items(self):
        return [*Economy.objects.order_by("name"), *Sector.objects.all(), *Theme.objects.all()]


class StaticPagesSitemap(Sitemap):
    priority = 0.6

    def items(self):
        return [
            "cases:home",
            "cases:casestudy_list",
            "cases:economy_list",
            "cases:theme_list",
            "cases:sector_list",
        ]

    def location(self, name):
        return reverse(name)


SITEMAPS = {"pages": StaticPagesSitemap, "cases": CaseSitemap, "profiles": ProfileSitemap}

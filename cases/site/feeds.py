"""Atom feeds of newly published cases (accepting the library's parameters: "new health cases in Indonesia"),
methods and toolkits (accepting their lists' parameters)."""

import re

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from cases.filters import CaseStudyFilterSet, MethodFilterSet, ToolkitFilterSet
from cases.models import CaseStudy, Method, Toolkit
from cases.site.titles import selection_title

FEED_LENGTH = 50
# Characters XML 1.0 cannot carry at all: one of them in one case would make the whole feed unreadable.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    return NOT_XML.sub("", text)


class NewCasesFeed(Feed):
    feed_type = Atom1Feed
    default_title = _("The Observatory: newly published case studies")
    subtitle = _("Public-sector innovation case studies, newest first.")

    def get_object(self, request):
        filterset = CaseStudyFilterSet(request.GET, queryset=CaseStudy.objects.published())
        if not filterset.is_valid():
            raise Http404("Unknown filter values in the feed address.")
        self.query_string = request.GET.urlencode()
        return filterset

    def title(self, filterset):
        """What the selection is ("The Observatory: Health cases in South-eastern Asia since 2015"), from the
        same FilterSet as the library page's heading; the catalogue's title when the feed selects nothing."""
        selected = selection_title(filterset)
        if not selected:
            return xml_text(str(self.default_title))
        return xml_text(gettext("The Observatory: %(selection)s") % {"selection": selected})

    def link(self, filterset):
        return reverse("cases:casestudy_list") + (f"?{self.query_string}" if self.query_string else "")

    def items(self, filterset):
        # Each case's title and summary in the feed's language when a published translation has them.
        cases = filterset.qs.select_related("economy").with_text_in(get_language())
        return cases.order_by("-published_at", "-id")[:FEED_LENGTH]

    def item_title(self, case):
        return xml_text(case.shown_text["title"])

    def item_description(self, case):
        return xml_text(case.shown_text["summary"])

    def item_pubdate(self, case):
        return case.published_at

    def item_updateddate(self, case):
        return case.updated_at

    def item_author_name(self, case):
        return xml_text(case.lead_organisation)

    def item_categories(self, case):
        return [xml_text(case.economy.label)]


class NewEntriesFeed(Feed):
    """Newly published methods or toolkits (issue 18), newest first; accepts their list's parameters, as the
    cases' feed accepts the library's."""

    feed_type = Atom1Feed
    filterset_class = None
    model = None
    list_url_name = ""

    def get_object(self, request):
        filterset = self.filterset_class(request.GET, queryset=self.model.objects.published())
        if not filterset.is_valid():
            raise Http404("Unknown filter values in the feed address.")
        self.query_string = request.GET.urlencode()
        return filterset

    def link(self, filterset):
        return reverse(self.list_url_name) + (f"?{self.query_string}" if self.query_string else "")

    def items(self, filterset):
        # The filters, without the list's own order: a feed is newest first.
        entries = filterset.filter_queryset_without(filterset.queryset, exclude=())
        return entries.order_by("-published_at", "-id")[:FEED_LENGTH]

    def item_title(self, entry):
        return xml_text(str(entry))

    def item_description(self, entry):
        return xml_text(entry.summary)

    def item_pubdate(self, entry):
        return entry.published_at

    def item_updateddate(self, entry):
        return entry.updated_at


class NewMethodsFeed(NewEntriesFeed):
    title = _("The Observatory: newly published methods")
    subtitle = _("Methods of public-sector innovation, newest first.")
    filterset_class = MethodFilterSet
    model = Method
    list_url_name = "cases:method_list"

    def item_categories(self, method):
        return [xml_text(str(method.get_discipline_display()))]


class NewToolkitsFeed(NewEntriesFeed):
    title = _("The Observatory: newly published toolkits")
    subtitle = _("Guides, handbooks and templates for public-sector innovation, newest first.")
    filterset_class = ToolkitFilterSet
    model = Toolkit
    list_url_name = "cases:toolkit_list"

    def item_author_name(self, toolkit):
        return xml_text(toolkit.publisher)

    def item_categories(self, toolkit):
        return [xml_text(str(toolkit.get_kind_display()))]

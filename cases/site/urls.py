from django.contrib.sitemaps.views import sitemap
from django.urls import path
from django.views.i18n import JavaScriptCatalog

from cases.site import alerts as alert_views
from cases.site import entries as entry_views
from cases.site import opendata, views
from cases.site import pages as page_views
from cases.site import pdf as pdf_views
from cases.site import stats as stats_views
from cases.site import submission as submission_views
from cases.site import system as site_views
from cases.site.feeds import NewCasesFeed, NewMethodsFeed, NewToolkitsFeed
from cases.site.sitemaps import SITEMAPS

app_name = "cases"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("cases/", views.CaseStudyListView.as_view(), name="casestudy_list"),
    path("cases/<slug:slug>/", views.CaseStudyDetailView.as_view(), name="casestudy_detail"),
    # The case as a PDF for briefing on paper (cases/site/pdf.py), in every language like the page.
    path("cases/<slug:slug>/pdf/", pdf_views.case_pdf, name="casestudy_pdf"),
    path("economies/", views.EconomyListView.as_view(), name="economy_list"),
    path("economies/<slug:slug>/", views.EconomyDetailView.as_view(), name="economy_detail"),
    path("themes/", views.ThemeListView.as_view(), name="theme_list"),
    path("themes/<slug:slug>/", views.ThemeDetailView.as_view(), name="theme_detail"),
    path("sectors/", views.SectorListView.as_view(), name="sector_list"),
    path("sectors/<slug:slug>/", views.SectorDetailView.as_view(), name="sector_detail"),
    path("stats/", stats_views.StatsPageView.as_view(), name="stats"),
    path("compare/", stats_views.CompareView.as_view(), name="compare"),
    path("feeds/cases/", NewCasesFeed(), name="feed"),
    path("privacy/", page_views.privacy_notice, name="privacy"),
    path("accessibility/", page_views.accessibility_statement, name="accessibility"),
    path("about/", page_views.about_page, name="about"),
    path("data/", opendata.open_data_page, name="open_data"),
]

# Methods, toolkits and organisations (issue 18, cases/site/entries.py): browsed like the library.
urlpatterns += [
    path("methods/", entry_views.MethodListView.as_view(), name="method_list"),
    path("methods/<slug:slug>/", entry_views.MethodDetailView.as_view(), name="method_detail"),
    path("toolkits/", entry_views.ToolkitListView.as_view(), name="toolkit_list"),
    path("toolkits/<slug:slug>/", entry_views.ToolkitDetailView.as_view(), name="toolkit_detail"),
    path("organisations/", entry_views.OrganisationListView.as_view(), name="organisation_list"),
    path(
        "organisations/<slug:slug>/",
        entry_views.OrganisationDetailView.as_view(),
        name="organisation_detail",
    ),
    path("feeds/methods/", NewMethodsFeed(), name="feed_methods"),
    path("feeds/toolkits/", NewToolkitsFeed(), name="feed_toolkits"),
]

urlpatterns += [
    path("submit/", submission_views.case_submit_view, name="submit"),
    path("submit/thanks/<str:reference>/", submission_views.case_submit_thanks_view, name="submit_thanks"),
]

# E-mail alerts for library selections (cases/site/alerts.py): never cached, no session.
urlpatterns += [
    path("alerts/", alert_views.alert_follow_view, name="alert_subscribe"),
    path("alerts/sent/", alert_views.alert_sent_view, name="alert_sent"),
    path("alerts/<int:pk>/confirm/<str:token>/", alert_views.alert_confirm_view, name="alert_confirm"),
    path("alerts/<int:pk>/manage/<str:token>/", alert_views.alert_manage_view, name="alert_manage"),
    path(
        "alerts/<int:pk>/unsubscribe/<str:token>/",
        alert_views.alert_unsubscribe_view,
        name="alert_unsubscribe",
    ),
]

# The interface's strings for the JavaScript modules (gettext() in static/js), in the page's language.
urlpatterns += [
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript_catalog"),
]

# Addresses that are the same in every language, outside the namespace and any language prefix
# (observatory/urls.py): the sitemap (Django's view reverses it by the name "sitemap"), machine-read files
# and the health check. One sitemap lists every language version of every page (cases/site/sitemaps.py).
# Cached like every anonymous page, under the catalogue version (cases/caching.py): never older than the
# catalogue, where a fixed hour would list withdrawn cases and miss new ones.
site_urlpatterns = [
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", site_views.robots_txt, name="robots_txt"),
    path(".well-known/security.txt", site_views.security_txt, name="security_txt"),
    path("healthz/", site_views.healthz, name="healthz"),
    # Browsers and tools that ask the site's root for its icon (base.html links the SVG and PNG ones).
    path("favicon.ico", site_views.favicon_ico, name="favicon_ico"),
    # The open-data files (cases/site/opendata.py): one address in every language.
    path("data/<str:folder>/<str:name>", opendata.dump_file, name="open_data_file"),
    path("catalog.jsonld", opendata.catalog_jsonld, name="dcat_catalog"),
    path("catalog.ttl", opendata.catalog_turtle, name="dcat_catalog_turtle"),
]

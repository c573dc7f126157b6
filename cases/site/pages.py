"""Pages a public site owes its visitors: what the Observatory is (about), the privacy notice and the
accessibility statement.

Each is fixed text filled in from settings (who publishes the catalogue, how long contact details are kept,
where to write), so they never touch the database and stay readable during an outage.
"""

import datetime

from django.conf import settings
from django.views.decorators.cache import cache_control
from django.views.generic import TemplateView

from cases.interchange.dumps import LICENCE
from cases.site.submission import SUBMISSION_WINDOW_SECONDS


class SettingsPageView(TemplateView):
    """A fixed page; its context is the settings it describes, so the text cannot drift from them."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["contact_email"] = settings.CONTACT_EMAIL
        return context


class PrivacyNoticeView(SettingsPageView):
    template_name = "pages/privacy.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["retention_days"] = settings.SUBMITTER_CONTACT_RETENTION_DAYS
        context["rate_window_minutes"] = SUBMISSION_WINDOW_SECONDS // 60
        context["session_hours"] = settings.SESSION_COOKIE_AGE // 3600
        return context


class AccessibilityStatementView(SettingsPageView):
    template_name = "pages/accessibility.html"
    # When the statement was last reviewed: written in each language's own date format.
    reviewed_on = datetime.date(2026, 11, 29)

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"reviewed_on": self.reviewed_on}


class AboutPageView(SettingsPageView):
    """What the Observatory is, who publishes it and for whom, how cases are chosen and kept current, how
    to cite and reuse it, and where to write. The publisher and the licence are the ones the open data
    names (/data/, docs/open-data.md), so the two pages cannot disagree."""

    template_name = "pages/about.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {
            "publisher": settings.OPEN_DATA_PUBLISHER,
            "site_name": settings.OBSERVATORY_SITE_NAME,
            "licence": LICENCE,
        }


about_page = cache_control(max_age=3600, public=True)(AboutPageView.as_view())
privacy_notice = cache_control(max_age=3600, public=True)(PrivacyNoticeView.as_view())
accessibility_statement = cache_control(max_age=3600, public=True)(AccessibilityStatementView.as_view())

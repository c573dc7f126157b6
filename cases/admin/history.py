"""A case's History in admin: its revisions (cases/curation/history.py), newest first, each with when, who,
what happened and its differences in words (cases/admin/revision_diff.py).

Django's own history page lists the admin's LogEntry rows, which only changes made through the admin's forms
write; a case changes through the workflow, imports, restores and the submission form too, and each of those
records a revision. So the revisions are the history.
"""

from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import PAGE_VAR
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from cases.admin.revision_diff import describe_revisions

REVISIONS_PER_PAGE = 25


class CaseHistoryAdminMixin:
    """For the case's ModelAdmin: `history_view` shows the case's revisions."""

    object_history_template = "admin/cases/casestudy/object_history.html"

    def history_view(self, request, object_id, extra_context=None):
        case = self.get_object(request, unquote(object_id))  # scoped: another economy's case is "missing"
        if case is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, case):
            raise PermissionDenied
        revisions = case.revisions.select_related("user").order_by("-created_at", "-id")
        paginator = self.get_paginator(request, revisions, REVISIONS_PER_PAGE)
        page = paginator.get_page(request.GET.get(PAGE_VAR, 1))
        context = {
            **self.admin_site.each_context(request),
            "title": _("History: %(case)s") % {"case": case},
            "subtitle": None,
            "object": case,
            "opts": self.opts,
            "module_name": str(capfirst(self.opts.verbose_name_plural)),
            "revisions": describe_revisions(page.object_list, request.user),
            "page_obj": page,
            "page_range": paginator.get_elided_page_range(page.number),
            "page_var": PAGE_VAR,
            "pagination_required": paginator.num_pages > 1,
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.object_history_template, context)

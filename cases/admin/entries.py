"""Methods, toolkits and organisations in the admin (issue 18; for curators: docs/methods-and-toolkits.md).

- A method or a toolkit is written through cases.services.entry_save only: the form's own fields, its
  purposes (and a toolkit's languages and methods) and the revision are saved by one call, in one
  transaction, never by the ModelAdmin's plain save. Purposes and languages are rows of their own
  (MethodPurpose, ToolkitLanguage, ...), edited here as one set of checkboxes each.
- The workflow (draft, in review, published, archived) changes only through entry_transition: buttons on the
  change form (only the steps this user may take now), each confirmed on a page with an optional note that
  goes into the history, and the list's bulk actions publish, unpublish and archive.
- The History page lists the entry's revisions (EntryRevision), newest first, with their differences in
  words and a button restoring an earlier version (entry_restore_revision).
- Toolkits show their link check's result (cases.services.toolkit_links_check) in the list: a broken link
  at a glance, filterable, and an action checking the selected links at once.
- An organisation has no workflow: it is edited as itself, and lists the cases naming it, read-only (a case's
  organisations are edited on the case's own form, cases/admin/catalogue.py).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import PAGE_VAR
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from cases.admin.catalogue import CatalogueModelAdmin, case_change_url, short_date
from cases.admin.revision_diff import Difference, _passages, is_first_version, quoted
from cases.curation.workflow import visible_cases
from cases.models import (
    CaseOrganisation,
    EntryRevision,
    EntryStatus,
    LinkState,
    Method,
    Organisation,
    Purpose,
    RevisionAction,
    Toolkit,
)
from cases.models.translations import content_language_choices, language_name
from cases.services import (
    ENTRY_TRANSITIONS,
    entry_permission,
    entry_restore_revision,
    entry_save,
    entry_transition,
    entry_transitions_available,
    toolkit_links_check,
)

REVISIONS_PER_PAGE = 25
# Room for the words the revision puts before the note ("Published: "), within its 500.
NOTE_MAX_LENGTH = 450
# The "check links now" action asks each address in the request: a few dozen at most, or the page would
# wait minutes (TOOLKIT_LINK_TIMEOUT each); the weekly task and `manage.py check_toolkit_links` do them all.
LINKS_CHECKED_AT_ONCE = 25

# The buttons' words, for the steps of cases.services.ENTRY_TRANSITIONS (which holds what was done, in the
# past tense, for the history).
TRANSITION_LABELS = {
    "send_for_review": _("Send for review"),
    "return_to_draft": _("Return to draft"),
    "publish": _("Publish"),
    "unpublish": _("Unpublish"),
    "archive": _("Archive"),
    "restore": _("Restore from the archive"),
}


# --- Forms: purposes and languages as checkboxes ------------------------------------------------------


class EntryForm(forms.ModelForm):
    """A method's or a toolkit's form: its purposes ("good for") as checkboxes. The admin hands the values
    to entry_save, which writes the rows and the revision with the entry."""

    purposes = forms.MultipleChoiceField(
        label=_("good for"),
        choices=Purpose.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What it helps a team do; tick all that apply."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial.setdefault("purposes", self.instance.purposes)

    def entry_lists(self) -> dict:
        """The keyword arguments of entry_save for the lists this form edits."""
        return {"purposes": self.cleaned_data.get("purposes", [])}


class MethodForm(EntryForm):
    class Meta:
        model = Method
        fields = [
            "name",
            "slug",
            "summary",
            "description",
            "discipline",
            "typical_duration",
            "participants",
            "complexity",
            "steps",
            "strengths",
            "pitfalls",
            "sources",
        ]


class ToolkitForm(EntryForm):
    languages = forms.MultipleChoiceField(
        label=_("languages"),
        choices=content_language_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The languages the toolkit is published in."),
    )

    class Meta:
        model = Toolkit
        fields = [
            "title",
            "slug",
            "summary",
            "description",
            "kind",
            "publisher",
            "year",
            "discipline",
            "methods",
            "licence",
            "reuse_terms",
            "url",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial.setdefault("languages", self.instance.languages)

    def entry_lists(self) -> dict:
        return {
            **super().entry_lists(),
            "languages": self.cleaned_data.get("languages", []),
            "methods": self.cleaned_data.get("methods", Method.objects.none()),
        }


class TransitionNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        strip=True,
        help_text=_("Kept in the history with this step."),
        widget=forms.Textarea(attrs={"rows": 5, "cols": 60}),
    )


# --- The differences of a revision, in words ---------------------------------------------------------


def _entry_field(model, key):
    try:
        return model._meta.get_field(key)
    except FieldDoesNotExist:  # a key of an earlier or later snapshot: described generically
        return None


LIST_LABELS = {"purposes": _("good for"), "languages": _("languages"), "methods": _("methods")}
LONG_TEXT = 120


def _label(model, key) -> str:
    if key in LIST_LABELS:
        return capfirst(str(LIST_LABELS[key]))
    field = _entry_field(model, key)
    return capfirst(str(field.verbose_name)) if field is not None else capfirst(key.replace("_", " "))


def _value(model, key, value) -> str:
    if value is None or value == "":
        return gettext("(empty)")
    field = _entry_field(model, key)
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return quoted(value)


def _item(key, value, method_names) -> str:
    if key == "purposes":
        return str(dict(Purpose.choices).get(value, value))
    if key == "languages":
        return language_name(value)
    if key == "methods":
        return method_names.get(value, value)
    return str(value)


def describe_entry_changes(model, changes: dict, method_names: dict) -> list[Difference]:
    """Each changed field of an entry's revision (`{key: [before, after]}`) as a Difference in words:
    choices by their labels, long texts by the passages that changed, lists as what was added and removed."""
    described = []
    for key, pair in changes.items():
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            continue
        before, after = pair
        if isinstance(before, list) or isinstance(after, list):
            before, after = before or [], after or []
            parts = []
            added = [_item(key, v, method_names) for v in after if v not in before]
            removed = [_item(key, v, method_names) for v in before if v not in after]
            if added:
                parts.append(gettext("added %(items)s") % {"items": ", ".join(added)})
            if removed:
                parts.append(gettext("removed %(items)s") % {"items": ", ".join(removed)})
            text = "; ".join(parts) or gettext("reordered")
        elif isinstance(before, str) and isinstance(after, str) and max(len(before), len(after)) > LONG_TEXT:
            text = _passages(before, after)
        else:
            text = f"{_value(model, key, before)} → {_value(model, key, after)}"
        described.append(Difference(_label(model, key), text))
    return described


def describe_entry_revisions(model, revisions) -> list[tuple]:
    """(revision, [Difference], first_version) for each revision; the methods a toolkit's revisions name
    are looked up once for the whole page."""
    revisions = list(revisions)
    slugs = {
        slug
        for revision in revisions
        for side in (revision.changes or {}).get("methods", [])
        for slug in (side or [])
    }
    method_names = dict(Method.objects.filter(slug__in=slugs).values_list("slug", "name")) if slugs else {}
    described = []
    for revision in revisions:
        changes = revision.changes or {}
        first = is_first_version(changes)
        action = revision.action
        revision.action_label = RevisionAction(action).label if action in RevisionAction.values else action
        described.append(
            (revision, [] if first else describe_entry_changes(model, changes, method_names), first)
        )
    return described


# --- What methods and toolkits share --------------------------------------------------------------------


def edit_note(form, change) -> str:
    """The revision's note for a save of the form: "Edited: name, good for"."""
    if not change:
        return str(_("Created."))
    changed = []
    for name in form.changed_data:
        try:
            changed.append(str(form.instance._meta.get_field(name).verbose_name))
        except FieldDoesNotExist:  # a list of the form's own: purposes, languages
            changed.append(str(LIST_LABELS.get(name, name)))
    if not changed:
        return str(_("Saved, unchanged."))
    return (str(_("Edited: %(fields)s")) % {"fields": ", ".join(changed)})[:500]


class EntryStatusFilter(admin.SimpleListFilter):
    """The workflow's statuses, in the workflow's order (the default filter sorts them by value)."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return EntryStatus.choices

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() in EntryStatus.values else queryset


class PurposeFilter(admin.SimpleListFilter):
    title = _("good for")
    parameter_name = "purpose"

    def lookups(self, request, model_admin):
        return Purpose.choices

    def queryset(self, request, queryset):
        if self.value() in Purpose.values:
            return queryset.filter(purpose_rows__purpose=self.value())
        return queryset


class EntryAdmin(CatalogueModelAdmin):
    """The admin of a method or a toolkit: saves through entry_save, the workflow's buttons and bulk
    actions through entry_transition, and the History with restore through entry_restore_revision."""

    change_form_template = "admin/cases/entry_change_form.html"
    object_history_template = "admin/cases/entry_history.html"
    transition_template = "admin/cases/entry_transition.html"
    actions = ["publish_selected", "unpublish_selected", "archive_selected"]
    prepopulated_fields = {"slug": ["name"]}
    # The status, and who published when, change only through the workflow (cases.services.entry_transition).
    workflow_fields = [
        "status",
        "published_at",
        "published_by",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
    ]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *self.workflow_fields]

    # --- Saving: one service call ---

    def save_model(self, request, obj, form, change):
        # Nothing is written here: save_related (called next, in the same transaction) hands the entry and
        # its lists to entry_save, which checks, saves and records them together.
        pass

    def save_related(self, request, form, formsets, change):
        entry_save(
            entry=form.instance, user=request.user, message=edit_note(form, change), **form.entry_lists()
        )

    def view_on_site(self, obj):
        """Only a published entry has a public page to show (once the site's pages exist)."""
        if obj.status != EntryStatus.PUBLISHED:
            return None
        try:
            return obj.get_absolute_url()
        except NoReverseMatch:
            return None

    # --- The workflow ---

    def has_publish_permission(self, request):
        return request.user.has_perm(entry_permission(self.model, "publish"))

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/transition/<str:name>/",
                self.admin_site.admin_view(self.transition_view),
                name="{}_{}_transition".format(*info),
            ),
            path(
                "<path:object_id>/history/<int:revision_id>/restore/",
                self.admin_site.admin_view(require_POST(self.restore_view)),
                name="{}_{}_restore".format(*info),
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        names = entry_transitions_available(user=request.user, entry=obj) if obj is not None else []
        transitions = [(name, TRANSITION_LABELS[name]) for name in names]
        extra_context = {**(extra_context or {}), "transitions": transitions}
        return super().change_view(request, object_id, form_url, extra_context)

    def _change_url(self, obj):
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])

    def _apply(self, request, entries, name, note="") -> int:
        """Apply the step `name` to each of `entries`; say what was done, and what was refused and why."""
        done = 0
        for entry in entries:
            try:
                entry_transition(entry=entry, user=request.user, name=name, note=note)
                done += 1
            except (PermissionDenied, ValidationError) as error:
                reason = " ".join(getattr(error, "messages", [str(error)]))
                self.message_user(request, f"{entry}: {reason}", messages.ERROR)
        if done:
            kind = self.opts.verbose_name if done == 1 else self.opts.verbose_name_plural
            self.message_user(
                request,
                _("%(action)s: %(count)d %(kind)s.")
                % {"action": ENTRY_TRANSITIONS[name][3], "count": done, "kind": kind},
                messages.SUCCESS,
            )
        return done

    def transition_view(self, request, object_id, name):
        """Confirm one step of one entry, with an optional note: 404 for an unknown step or entry, 403 for a
        step the user may not take, back to the form (saying why) when the status does not allow it now."""
        obj = self.get_object(request, unquote(object_id))
        if name not in ENTRY_TRANSITIONS or obj is None:
            raise Http404
        sources, _target, kind, _done = ENTRY_TRANSITIONS[name]
        if not request.user.has_perm(entry_permission(self.model, kind)):
            raise PermissionDenied
        if obj.status not in sources:
            self.message_user(
                request,
                _("“%(action)s” is not possible for this %(name)s now (it is %(status)s).")
                % {
                    "action": TRANSITION_LABELS[name],
                    "name": self.opts.verbose_name,
                    "status": obj.get_status_display().lower(),
                },
                messages.WARNING,
            )
            return HttpResponseRedirect(self._change_url(obj))
        form = TransitionNoteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            self._apply(request, [obj], name, form.cleaned_data["note"])
            return HttpResponseRedirect(self._change_url(obj))
        context = {
            **self.admin_site.each_context(request),
            "title": TRANSITION_LABELS[name],
            "subtitle": None,
            "opts": self.opts,
            "original": obj,
            "action_label": TRANSITION_LABELS[name],
            "form": form,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.transition_template, context)

    @admin.action(description=_("Publish the selected %(verbose_name_plural)s"), permissions=["publish"])
    def publish_selected(self, request, queryset):
        self._apply(request, queryset, "publish")

    @admin.action(description=_("Unpublish the selected %(verbose_name_plural)s"), permissions=["publish"])
    def unpublish_selected(self, request, queryset):
        self._apply(request, queryset, "unpublish")

    @admin.action(description=_("Archive the selected %(verbose_name_plural)s"), permissions=["publish"])
    def archive_selected(self, request, queryset):
        self._apply(request, queryset, "archive")

    # --- The history, and restoring a version ---

    def _revisions(self, obj):
        content_type = ContentType.objects.get_for_model(self.model)
        return EntryRevision.objects.filter(content_type=content_type, object_id=obj.pk)

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        revisions = self._revisions(obj).select_related("user").order_by("-created_at", "-id")
        paginator = self.get_paginator(request, revisions, REVISIONS_PER_PAGE)
        page = paginator.get_page(request.GET.get(PAGE_VAR, 1))
        context = {
            **self.admin_site.each_context(request),
            "title": _("History: %(entry)s") % {"entry": obj},
            "subtitle": None,
            "object": obj,
            "opts": self.opts,
            "module_name": str(capfirst(self.opts.verbose_name_plural)),
            "revisions": describe_entry_revisions(self.model, page.object_list),
            "can_restore": self.has_change_permission(request, obj),
            "page_obj": page,
            "page_range": paginator.get_elided_page_range(page.number),
            "page_var": PAGE_VAR,
            "pagination_required": paginator.num_pages > 1,
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.object_history_template, context)

    def restore_view(self, request, object_id, revision_id):
        """Put the entry back as a revision of its history has it (its status excepted): an edit, which
        records a revision of its own."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        revision = get_object_or_404(self._revisions(obj), pk=revision_id)
        try:
            entry_restore_revision(revision=revision, user=request.user)
        except (PermissionDenied, ValidationError) as error:
            reason = " ".join(getattr(error, "messages", [str(error)]))
            self.message_user(
                request, _("Nothing was restored: %(reason)s") % {"reason": reason}, messages.ERROR
            )
            return HttpResponseRedirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_history", args=[obj.pk])
            )
        self.message_user(
            request,
            _("“%(entry)s” is back as it was on %(when)s; the restore is in its history.")
            % {"entry": obj, "when": f"{revision.created_at:%Y-%m-%d %H:%M}"},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._change_url(obj))

    # --- The list ---

    @admin.display(description=_("updated"), ordering="updated_at", empty_value="—")
    def updated_column(self, obj):
        return short_date(obj.updated_at)

    @admin.display(description=_("cases"), ordering="case_count")
    def case_count(self, obj):
        return obj.case_count

    def get_queryset(self, request):
        queryset = super().get_queryset(request).annotate(case_count=Count("case_links", distinct=True))
        # An aggregate's GROUP BY drops the model's default ordering: stated again, for the autocomplete's
        # pages (the list applies its own).
        return queryset.order_by(*self.model._meta.ordering)


# --- Methods ----------------------------------------------------------------------------------------


@admin.register(Method)
class MethodAdmin(EntryAdmin):
    form = MethodForm
    list_display = [
        "name",
        "discipline",
        "complexity",
        "typical_duration",
        "status",
        "case_count",
        "updated_column",
    ]
    list_filter = [EntryStatusFilter, "discipline", PurposeFilter, "complexity", "typical_duration"]
    search_fields = ["name", "slug", "summary"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "summary", "description"]}),
        (
            _("What it is good for"),
            {"fields": ["discipline", "purposes", "typical_duration", "participants", "complexity"]},
        ),
        (_("How it is done"), {"fields": ["steps", "strengths", "pitfalls", "sources"]}),
        (_("Publication"), {"fields": ["status", "published_at", "published_by"]}),
        (
            _("Record"),
            {"classes": ["collapse"], "fields": [("created_at", "created_by"), ("updated_at", "updated_by")]},
        ),
    ]


# --- Toolkits ---------------------------------------------------------------------------------------


@admin.register(Toolkit)
class ToolkitAdmin(EntryAdmin):
    form = ToolkitForm
    prepopulated_fields = {"slug": ["title"]}
    list_display = [
        "title",
        "publisher",
        "kind",
        "year",
        "status",
        "link_column",
        "checked_column",
        "case_count",
    ]
    list_filter = [EntryStatusFilter, "link_state", "kind", "discipline", PurposeFilter]
    search_fields = ["title", "slug", "publisher", "url"]
    autocomplete_fields = ["methods"]
    actions = [*EntryAdmin.actions, "check_links_now"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "description"]}),
        (
            _("As the Toolkit Navigator describes it"),
            {"fields": ["kind", "publisher", "year", "discipline", "purposes", "languages", "methods"]},
        ),
        (_("Reuse"), {"fields": ["licence", "reuse_terms"]}),
        (_("Address"), {"fields": ["url", "link_state", "link_error", "link_checked_at"]}),
        (_("Publication"), {"fields": ["status", "published_at", "published_by"]}),
        (
            _("Record"),
            {"classes": ["collapse"], "fields": [("created_at", "created_by"), ("updated_at", "updated_by")]},
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        # The link check's last word: written by the check only (cases.services.toolkit_links_check).
        return [*super().get_readonly_fields(request, obj), "link_state", "link_error", "link_checked_at"]

    @admin.display(description=_("link"), ordering="link_state")
    def link_column(self, obj):
        if obj.link_state == LinkState.BROKEN:
            # The problem itself in the cell: a curator sees what to fix without opening the toolkit.
            return format_html(
                '<strong class="link-broken">{}</strong>: {}', LinkState.BROKEN.label, obj.link_error
            )
        return obj.get_link_state_display()

    @admin.display(description=_("link checked"), ordering="link_checked_at", empty_value="—")
    def checked_column(self, obj):
        return short_date(obj.link_checked_at)

    @admin.action(description=_("Check the selected toolkits' links now"), permissions=["change"])
    def check_links_now(self, request, queryset):
        selected = queryset.count()
        if selected > LINKS_CHECKED_AT_ONCE:
            self.message_user(
                request,
                _(
                    "Nothing was checked: select at most %(most)d toolkits (%(count)d were selected). The "
                    "weekly check, or `manage.py check_toolkit_links`, checks them all."
                )
                % {"most": LINKS_CHECKED_AT_ONCE, "count": selected},
                messages.ERROR,
            )
            return
        report = toolkit_links_check(toolkits=queryset.model.objects.filter(pk__in=queryset.values("pk")))
        level = messages.WARNING if report.broken else messages.SUCCESS
        self.message_user(
            request,
            ngettext(
                "%(checked)d link checked, %(broken)d broken.",
                "%(checked)d links checked, %(broken)d broken.",
                report.checked,
            )
            % {"checked": report.checked, "broken": len(report.broken)},
            level,
        )
        for slug, problem in report.broken:
            self.message_user(request, f"{slug}: {problem}", messages.WARNING)


# --- Organisations ----------------------------------------------------------------------------------


class OrganisationCaseInline(admin.TabularInline):
    """The cases naming the organisation, to read: a case's organisations are edited on the case's form,
    where its economy editors' scope applies. Only the cases the user may see are listed."""

    model = CaseOrganisation
    extra = 0
    can_delete = False
    fields = ["case_column", "economy_column", "status_column", "role"]
    readonly_fields = ["case_column", "economy_column", "status_column", "role"]
    verbose_name = _("case")
    verbose_name_plural = _("cases naming it")

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("case", "case__economy")
        return queryset.filter(case__in=visible_cases(request.user))

    # The case's own permissions, not the link's: seeing a case is seeing whom it names.
    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("cases.view_casestudy") or request.user.has_perm(
            "cases.change_casestudy"
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("case"))
    def case_column(self, obj):
        return format_html('<a href="{}">{}</a>', case_change_url(obj.case), obj.case.title)

    @admin.display(description=_("economy"))
    def economy_column(self, obj):
        return obj.case.economy

    @admin.display(description=_("status"))
    def status_column(self, obj):
        return obj.case.get_status_display()


@admin.register(Organisation)
class OrganisationAdmin(CatalogueModelAdmin):
    list_display = ["name", "kind", "economy", "level", "case_count"]
    list_filter = ["kind", "economy", "level"]
    list_select_related = ["economy"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["economy"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "economy", "level", "website"]}),
        (_("Record"), {"classes": ["collapse"], "fields": ["created_at", "updated_at"]}),
    ]
    inlines = [OrganisationCaseInline]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).annotate(case_count=Count("case_links", distinct=True))
        # An aggregate's GROUP BY drops the model's default ordering: stated again, for the autocomplete's
        # pages (the list applies its own).
        return queryset.order_by(*self.model._meta.ordering)

    @admin.display(description=_("cases"), ordering="case_count")
    def case_count(self, obj):
        return obj.case_count

    def view_on_site(self, obj):
        """An organisation's page is public once a published case names it (Organisation.objects.public())."""
        if not Organisation.objects.public().filter(pk=obj.pk).exists():
            return None
        try:
            return obj.get_absolute_url()
        except NoReverseMatch:
            return None

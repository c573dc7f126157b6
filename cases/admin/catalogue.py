"""Curation in the Django admin: every model of the catalogue, the case admin first.

Writes that are more than "save this form" go through plain functions (cases/services.py,
cases/curation/workflow.py): the admin calls them and re-implements none.
"""

from contextvars import ContextVar
from datetime import datetime, timedelta
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models import DecimalField
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cases.admin.history import CaseHistoryAdminMixin
from cases.admin.imports import CaseImportAdminMixin
from cases.admin.revision_diff import describe_revisions, is_first_version
from cases.admin.transitions import TransitionActionsMixin, TransitionAdminMixin, transition_action
from cases.admin.translations import (
    CaseTranslationForm,
    CaseTranslationFormSet,
    translations_fieldset,
    translations_form,
)
from cases.curation.moderation import (
    QUEUE_STATUSES,
    acceptance_checklist,
    duplicate_ids,
    possible_duplicates,
    with_possible_duplicates,
)
from cases.curation.uploads import ResourceUploadForm
from cases.curation.workflow import (
    TRANSITIONS,
    available_transitions,
    can_edit_case,
    case_edit_refusal,
    editable_cases,
    editable_economy_ids,
    visible_cases,
)
from cases.models import (
    NARRATIVE_SECTIONS,
    SDG,
    ApiKey,
    CaseLink,
    CaseMethod,
    CaseOrganisation,
    CaseRevision,
    CaseStudy,
    CaseToolkit,
    CaseTranslation,
    CaseWithdrawal,
    CatalogueState,
    Economy,
    EditorProfile,
    FormerSlug,
    InnovationFacet,
    ModerationQueue,
    OrganisationRole,
    Outcome,
    Resource,
    RevisionAction,
    SearchWord,
    Sector,
    Status,
    SubmitterContact,
    Theme,
    ThesaurusEntry,
)
from cases.models.translations import TRANSLATED_CASE_FIELDS
from cases.services import (
    api_key_issue,
    api_key_revoke,
    case_create,
    case_delete,
    case_delete_many,
    case_restore_revision,
    case_rows_write,
    case_update,
)
from cases.web.formatting import format_number
from cases.web.validation import parse_whole_number

# Rows per page of every list of the catalogue's admin: a page a curator can scan, not every case at once.
LIST_PER_PAGE = 25


class CatalogueModelAdmin(admin.ModelAdmin):
    """The base of every ModelAdmin of the catalogue."""

    list_per_page = LIST_PER_PAGE


# --- Scoping: an economy editor sees and edits only the economies assigned to them ----------------
#
# Who may change a case is decided in one place, cases/curation/workflow.py (case_edit_refusal,
# editable_cases):
# the admin asks it for the case form, every inline, every model hanging off a case, on the form's
# choices, on save and on delete.


class ScopedByCaseEconomyMixin:
    """For models hanging off a case: only rows whose case is in an economy the user looks after.
    `case_field = None` scopes the cases themselves (a proxy of CaseStudy, such as the moderation queue)."""

    case_field = "case"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        economies = editable_economy_ids(request.user)
        if economies is None:
            return queryset
        prefix = f"{self.case_field}__" if self.case_field else ""
        return queryset.filter(**{f"{prefix}economy_id__in": economies})


# The same words for a case outside the user's scope and for one that does not exist: a form error must
# not tell an editor that another economy has a case with that id.
NOT_YOUR_CASE = _(
    "Choose a case you may change: a case of an economy you look after that is not published or "
    "archived (a curator or reviewer changes those)."
)
NOT_A_KNOWN_CASE = _("Choose a published case, or a case of an economy you look after.")


def case_choices(user, field_name):
    """The cases a user may pick for `field_name`: the owning case (`case`, `from_case`) must be one they
    may change; a link's target (`to_case`) one they may see."""
    cases = CaseStudy.objects.select_related("economy")
    if field_name == "to_case":
        return visible_cases(user, cases)
    return editable_cases(user, cases)


CASE_CHOICE_FIELDS = {"case": NOT_YOUR_CASE, "from_case": NOT_YOUR_CASE, "to_case": NOT_A_KNOWN_CASE}


class CaseOwnedAdminMixin(ScopedByCaseEconomyMixin):
    """For a model whose rows belong to a case (outcomes, resources, links, submitter contacts).

    Reads are scoped to the user's economies. Writes follow the rule of case_edit_refusal() for the owning
    case, before and after the change: the form offers (and accepts) only cases the user may change, a row
    of any other case is read-only, and save and delete check again. Every add, change and delete records
    a revision of the owning case, as an edit of the case itself does.
    """

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in CASE_CHOICE_FIELDS:
            kwargs["queryset"] = case_choices(request.user, db_field.name)
            kwargs.setdefault("error_messages", {})["invalid_choice"] = CASE_CHOICE_FIELDS[db_field.name]
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def owning_case(self, obj):
        return getattr(obj, self.case_field)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or can_edit_case(request.user, self.owning_case(obj)))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or can_edit_case(request.user, self.owning_case(obj)))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        refusal = case_edit_refusal(request.user, self.owning_case(obj)) if obj is not None else ""
        extra_context = {**(extra_context or {}), "edit_refusal": refusal}
        return super().change_view(request, object_id, form_url, extra_context)

    def _stored_case_ids(self, obj) -> set:
        """The owning case of `obj` as the database has it now, before the form's change is saved."""
        if obj.pk is None:
            return set()
        return set(
            type(obj)._default_manager.filter(pk=obj.pk).values_list(f"{self.case_field}_id", flat=True)
        )

    # Off where the rows are private and not part of the case's snapshot (submitter contacts): a revision
    # would show no change, and its message would carry the contact to whoever reads the history.
    records_revisions = True

    def save_model(self, request, obj, form, change):
        verb = "changed" if change else "added"
        case_rows_write(
            user=request.user,
            case_ids=self._stored_case_ids(obj) | {getattr(obj, f"{self.case_field}_id")},
            write=lambda: super(CaseOwnedAdminMixin, self).save_model(request, obj, form, change),
            message=f"{capfirst(obj._meta.verbose_name)} {verb}: {obj}",
            records_revisions=self.records_revisions,
        )

    def delete_model(self, request, obj):
        case_rows_write(
            user=request.user,
            case_ids=self._stored_case_ids(obj),
            write=lambda: super(CaseOwnedAdminMixin, self).delete_model(request, obj),
            message=f"{capfirst(obj._meta.verbose_name)} deleted: {obj}",
            records_revisions=self.records_revisions,
        )

    def delete_queryset(self, request, queryset):
        case_rows_write(
            user=request.user,
            case_ids=set(queryset.values_list(f"{self.case_field}_id", flat=True)),
            write=lambda: super(CaseOwnedAdminMixin, self).delete_queryset(request, queryset),
            message=str(_("Deleted: %(rows)s") % {"rows": queryset.model._meta.verbose_name_plural}),
            records_revisions=self.records_revisions,
        )

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        if any(not can_edit_case(request.user, self.owning_case(obj)) for obj in objs):
            # Admin then refuses the deletion (403 on confirming) and names what is missing.
            perms_needed = {*perms_needed, str(_("rows of cases you may not change"))}
        return deleted, model_count, perms_needed, protected


class CaseInlineMixin:
    """An inline of the case form: editable only while the case is (case_edit_refusal); read-only else.
    The case form's own save records the revision, inlines included."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        row_name = self.verbose_name

        class LabelledFormSet(formset):
            """A tabular inline shows its labels once, as column headings: each box of a row is named here
            ("Indicator, outcome 2"), so a screen reader says which box of which row it is in."""

            def add_fields(self, form, index):
                super().add_fields(form, index)  # the delete box and the ordering come with this
                row = f"{row_name} {index + 1}" if index is not None else _("new %(row)s") % {"row": row_name}
                for field in form.fields.values():
                    if not field.widget.is_hidden and field.label:
                        field.widget.attrs.setdefault("aria-label", f"{field.label}, {row}")

        LabelledFormSet.__name__ = formset.__name__
        return LabelledFormSet

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in CASE_CHOICE_FIELDS:
            kwargs["queryset"] = case_choices(request.user, db_field.name)
            kwargs.setdefault("error_messages", {})["invalid_choice"] = CASE_CHOICE_FIELDS[db_field.name]
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and (obj is None or can_edit_case(request.user, obj))

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or can_edit_case(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or can_edit_case(request.user, obj))


# --- Helpers --------------------------------------------------------------------------------------


def short_date(value):
    """A date or time as a day ("5 Dec 2026") in a <time> element, the full local time in its tooltip."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = timezone.localtime(value)
        full = formats.date_format(value, "DATETIME_FORMAT")
        return format_html(
            '<time datetime="{}" title="{}">{}</time>', value.isoformat(), full, date_format(value, "j M Y")
        )
    return format_html('<time datetime="{}">{}</time>', value.isoformat(), date_format(value, "j M Y"))


def case_change_url(case):
    return reverse("admin:cases_casestudy_change", args=[case.pk])


class ReadOnlyAdmin(CatalogueModelAdmin):
    """Records the system keeps (history, redirects, withdrawals): looked at, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Vocabularies ---------------------------------------------------------------------------------


@admin.register(Economy)
class EconomyAdmin(CatalogueModelAdmin):
    list_display = ["name", "iso2", "iso3", "subregion_name", "is_apo_member", "apo_joined_year"]
    list_filter = ["is_apo_member", "region_name", "subregion_name"]
    search_fields = ["name", "iso2", "iso3"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "slug", ("iso2", "iso3")]}),
        (
            _("UN M49 region"),
            {"fields": [("region_code", "region_name"), ("subregion_code", "subregion_name")]},
        ),
        (_("APO"), {"fields": ["is_apo_member", "apo_joined_year", "profile"]}),
        translations_fieldset(Economy),
        (_("Record"), {"classes": ["collapse"], "fields": ["created_at", "updated_at"]}),
    ]
    form = translations_form(Economy)


class VocabularyAdmin(CatalogueModelAdmin):
    """Sectors, themes and facets: a curated list, ordered by position; slugs stay stable."""

    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at", "updated_at"]

    def get_fieldsets(self, request, obj=None):
        english = [name for name in self.form.base_fields if "__" not in name]
        return [
            (None, {"fields": english}),
            translations_fieldset(self.model),
            (_("Record"), {"classes": ["collapse"], "fields": self.readonly_fields}),
        ]


@admin.register(Sector)
class SectorAdmin(VocabularyAdmin):
    list_display = ["name", "slug", "cofog_division", "position"]
    list_filter = ["cofog_division"]
    form = translations_form(Sector)


@admin.register(Theme)
class ThemeAdmin(VocabularyAdmin):
    form = translations_form(Theme)


@admin.register(InnovationFacet)
class InnovationFacetAdmin(VocabularyAdmin):
    form = translations_form(InnovationFacet)


@admin.register(SearchWord)
class SearchWordAdmin(ReadOnlyAdmin):
    """The word list "did you mean" draws on: rebuilt from the published cases after every change."""

    list_display = ["word", "documents"]
    search_fields = ["word"]
    ordering = ["-documents", "word"]


@admin.register(ThesaurusEntry)
class ThesaurusEntryAdmin(CatalogueModelAdmin):
    """The search thesaurus: terms that mean the same for searching (docs/library.md, "The thesaurus")."""

    list_display = ["__str__", "note", "updated_at"]
    search_fields = ["terms", "note"]
    readonly_fields = ["updated_at"]
    fields = ["terms", "note", "updated_at"]


@admin.register(SDG)
class SDGAdmin(CatalogueModelAdmin):
    list_display = ["number", "name"]
    list_display_links = ["number", "name"]
    # `number__exact`: Django skips the integer lookup for words that are not numbers.
    search_fields = ["number__exact", "name"]
    readonly_fields = ["created_at", "updated_at"]
    form = translations_form(SDG)
    fieldsets = [
        (None, {"fields": ["number", "name"]}),
        translations_fieldset(SDG),
        (_("Record"), {"classes": ["collapse"], "fields": ["created_at", "updated_at"]}),
    ]


# --- Case studies ---------------------------------------------------------------------------------


class VerificationFilter(admin.SimpleListFilter):
    """How recently a curator checked that the case still says what is true."""

    title = _("verification")
    parameter_name = "verification"

    STALE = "stale"
    NEVER = "never"
    RECENT = "recent"

    def lookups(self, request, model_admin):
        return [
            (self.STALE, _("Not verified for over a year")),
            (self.NEVER, _("Never verified")),
            (self.RECENT, _("Verified in the last year")),
        ]

    def queryset(self, request, queryset):
        a_year_ago = timezone.localdate() - timedelta(days=365)
        if self.value() == self.STALE:
            return queryset.filter(last_verified__lt=a_year_ago)
        if self.value() == self.NEVER:
            return queryset.filter(last_verified__isnull=True)
        if self.value() == self.RECENT:
            return queryset.filter(last_verified__gte=a_year_ago)
        return queryset


class ReadableDecimalInput(forms.NumberInput):
    """A decimal as one would type it: "12.5" and "1000000000", not "12.5000" and "1000000000.0000"."""

    def format_value(self, value):
        if isinstance(value, Decimal) and value.is_finite():
            value = f"{value.normalize():f}"
        return super().format_value(value)


class ReadableOutcomeNumbersMixin:
    """Outcome values for reading: typed without trailing zeros, and, where the outcome is read-only (a case
    the user may not change), shown as `1,000,000,000` (format_number, as on the public case page)."""

    formfield_overrides = {DecimalField: {"widget": ReadableDecimalInput}}
    READABLE_NUMBERS = {"value": "readable_value", "baseline": "readable_baseline"}

    def _shows_read_only(self, request, obj):
        # For an inline `obj` is the case, for the outcome's own page the outcome.
        return obj is not None and not self.has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if self._shows_read_only(request, obj):
            readonly += [name for name in self.READABLE_NUMBERS.values() if name not in readonly]
        return readonly

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if not self._shows_read_only(request, obj):
            return fields
        readable = [self.READABLE_NUMBERS.get(name, name) for name in fields]
        return list(dict.fromkeys(readable))  # each once, in the order of the form

    @admin.display(description=_("value"), ordering="value")
    def readable_value(self, obj):
        return format_number(obj.value)

    @admin.display(description=_("baseline"), ordering="baseline")
    def readable_baseline(self, obj):
        return format_number(obj.baseline)


class OutcomeInline(ReadableOutcomeNumbersMixin, CaseInlineMixin, admin.TabularInline):
    model = Outcome
    extra = 0
    fields = ["indicator", "value", "unit", "baseline", "date", "source_url", "position"]


class CaseLinkInline(CaseInlineMixin, admin.TabularInline):
    model = CaseLink
    fk_name = "from_case"
    extra = 0
    fields = ["relation", "to_case", "note"]
    autocomplete_fields = ["to_case"]
    verbose_name = _("link to another case")
    verbose_name_plural = _("links to other cases")


class CaseMethodInline(CaseInlineMixin, admin.TabularInline):
    """The methods the case used (issue 18): the main one or those also used, with how."""

    model = CaseMethod
    extra = 0
    fields = ["method", "role", "note", "position"]
    autocomplete_fields = ["method"]


class CaseToolkitInline(CaseInlineMixin, admin.TabularInline):
    model = CaseToolkit
    extra = 0
    fields = ["toolkit", "note", "position"]
    autocomplete_fields = ["toolkit"]


class CaseOrganisationFormSet(forms.BaseInlineFormSet):
    """One lead organisation per case (the database's caseorganisation_one_lead): two leads in one save are
    a form error, not a failed save."""

    def clean(self):
        super().clean()
        leads = [
            form
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("role") == OrganisationRole.LEAD
        ]
        if len(leads) > 1:
            raise ValidationError(_("A case has one lead organisation: make the others partners."))


class CaseOrganisationInline(CaseInlineMixin, admin.TabularInline):
    """The case's organisations as entities (its lead_organisation text stays the name as the case writes
    it): the lead, and its partners."""

    model = CaseOrganisation
    formset = CaseOrganisationFormSet
    extra = 0
    fields = ["organisation", "role", "position"]
    autocomplete_fields = ["organisation"]


class ResourceInline(CaseInlineMixin, admin.TabularInline):
    model = Resource
    form = ResourceUploadForm  # size and type checks on every upload, images verified and resized
    extra = 0
    fields = ["kind", "title", "url", "file", "alt_text", "position"]


class CaseTranslationInline(CaseInlineMixin, admin.StackedInline):
    """The case's text in other languages, beside the original (docs/translating.md, "Translating a case")."""

    model = CaseTranslation
    form = CaseTranslationForm
    formset = CaseTranslationFormSet
    extra = 0
    classes = ["collapse"]
    readonly_fields = ["made_from"]
    fieldsets = [
        (None, {"fields": [("language", "status"), ("translated_by", "reviewed_by"), "machine_translated"]}),
        (None, {"fields": list(TRANSLATED_CASE_FIELDS)}),
        (None, {"fields": ["made_from", "confirm_current"]}),
    ]

    @admin.display(description=_("made from"))
    def made_from(self, translation):
        if not translation.pk:
            return "-"
        if translation.is_outdated():
            return _("The original has changed since: check this translation, then tick the box below.")
        if translation.source_revision_id:
            return _("The original as it is now (revision of %(when)s).") % {
                "when": date_format(
                    timezone.localtime(translation.source_revision.created_at), "DATETIME_FORMAT"
                )
            }
        return _("The original as it is now.")


def edit_note(form, formsets, change) -> str:
    """The revision's note for a save of the case form: "Edited: title, summary, outcomes"."""
    if not change:
        return str(_("Created."))
    changed = []
    for name in form.changed_data:
        try:
            changed.append(str(form.instance._meta.get_field(name).verbose_name))
        except FieldDoesNotExist:  # a field of the form only
            changed.append(name)
    changed += [str(formset.model._meta.verbose_name_plural) for formset in formsets if formset.has_changed()]
    if not changed:
        return str(_("Saved, unchanged."))
    return (str(_("Edited: %(fields)s")) % {"fields": ", ".join(changed)})[:500]


@admin.register(CaseStudy)
class CaseStudyAdmin(CaseHistoryAdminMixin, TransitionAdminMixin, CaseImportAdminMixin, CatalogueModelAdmin):
    list_display = [
        "title_column",
        "economy",
        "status",
        # Stage and year launched are filters, not columns: the list fits a 1280 px screen.
        "verified_column",
        "is_featured",
        "published_column",
        "updated_column",
    ]
    list_display_links = ["title_column"]
    list_editable = ["is_featured"]
    list_filter = [
        "status",
        VerificationFilter,
        "economy",
        "sectors",
        "themes",
        "stage",
        "year_launched",
        "level",
        "is_featured",
    ]
    list_select_related = ["economy"]
    date_hierarchy = "published_at"
    search_fields = ["title", "slug", "summary", "lead_organisation", "external_id", "economy__name"]
    autocomplete_fields = ["economy", "other_economies", "sectors", "themes", "facets", "sdgs"]
    prepopulated_fields = {"slug": ["title"]}
    # The status, and who published when, change only through the workflow (cases/curation/workflow.py).
    readonly_fields = [
        "status",
        "published_at",
        "published_by",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
        "acceptance_checklist",
        "possible_duplicates",
    ]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary"]}),
        (
            _("Who and where"),
            {
                "fields": ["lead_organisation", "organisation_type", "economy", "other_economies", "level"],
            },
        ),
        (_("The case, in the OPSI narrative"), {"fields": [field for field, _label in NARRATIVE_SECTIONS]}),
        (
            _("Classification"),
            {
                "fields": ["sectors", "themes", "facets", "sdgs", "stage", ("year_launched", "year_ended")],
            },
        ),
        (_("Sources"), {"fields": ["website", "source", "licence", "external_id", "last_verified"]}),
        (_("Publication"), {"fields": ["status", "is_featured", "published_at", "published_by"]}),
        (
            _("Record"),
            {
                "classes": ["collapse"],
                "fields": [("created_at", "created_by"), ("updated_at", "updated_by")],
            },
        ),
    ]
    inlines = [
        OutcomeInline,
        CaseLinkInline,
        CaseOrganisationInline,
        CaseMethodInline,
        CaseToolkitInline,
        ResourceInline,
        CaseTranslationInline,
    ]
    actions = [transition_action(name) for name in TRANSITIONS]

    def get_queryset(self, request):
        # The search document is read only by the database; never load it into the admin.
        queryset = super().get_queryset(request)
        economies = editable_economy_ids(request.user)
        # Scoping on the queryset covers the changelist, change, history, delete, actions and export alike.
        return queryset if economies is None else queryset.filter(economy_id__in=economies)

    @admin.display(description=_("title"), ordering="title")
    def title_column(self, obj):
        # The whole title, cut to two lines by the admin's stylesheet (static/css/admin.css) and shown whole
        # on hover (the tooltip) and when the link has the keyboard's focus.
        return format_html('<span class="case-title" title="{}">{}</span>', obj.title, obj.title)

    # Dates of the list as a day ("5 Dec 2026"), the full time on hover: the list fits a 1280 px screen.
    @admin.display(description=_("last verified"), ordering="last_verified", empty_value="—")
    def verified_column(self, obj):
        return short_date(obj.last_verified)

    @admin.display(description=_("first published"), ordering="published_at", empty_value="—")
    def published_column(self, obj):
        return short_date(obj.published_at)

    @admin.display(description=_("updated"), ordering="updated_at", empty_value="—")
    def updated_column(self, obj):
        return short_date(obj.updated_at)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.status in QUEUE_STATUSES:
            # A queued case opens on what the reviewer decides with (cases/curation/moderation.py).
            moderation = (_("Moderation"), {"fields": ["acceptance_checklist", "possible_duplicates"]})
            return [moderation, *fieldsets]
        return fieldsets

    @admin.display(description=_("acceptance checklist"))
    def acceptance_checklist(self, obj):
        checks = acceptance_checklist(obj)
        return render_to_string("admin/cases/acceptance_checklist.html", {"checks": checks})

    @admin.display(description=_("possible duplicates"))
    def possible_duplicates(self, obj):
        duplicates = list(possible_duplicates(obj))
        if not duplicates:
            return _("None found: no published or queued case of this economy has a similar title.")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a> ({})</li>',
                ((case_change_url(case), case.title, case.get_status_display()) for case in duplicates),
            ),
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        economies = editable_economy_ids(request.user)
        if db_field.name == "economy" and economies is not None:
            kwargs["queryset"] = Economy.objects.filter(pk__in=economies)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        # A case the user may not change (another economy's, or a published one for an economy editor)
        # opens read-only, inlines included (CaseInlineMixin), with the reason on the form.
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or can_edit_case(request.user, obj))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        refusal = case_edit_refusal(request.user, obj) if obj is not None else ""
        # The workflow's buttons: only the steps this user may take for this case now.
        transitions = available_transitions(user=request.user, case=obj) if obj is not None else []
        extra_context = {**(extra_context or {}), "edit_refusal": refusal, "transitions": transitions}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_changelist_form(self, request, **kwargs):
        """The list's editable column ("featured") follows the same rule as the change form, row by row."""
        base = super().get_changelist_form(request, **kwargs)
        user = request.user

        class ChangelistForm(base):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                # A checkbox in a row has no label of its own: name the case it features.
                if "is_featured" in self.fields and self.instance.pk:
                    self.fields["is_featured"].widget.attrs["aria-label"] = _("Featured: %(title)s") % {
                        "title": self.instance.title
                    }

            def clean(self):
                cleaned = super().clean()
                # The instance still holds the stored values here (the form's are copied in after clean).
                if self.instance.pk and self.has_changed():
                    refusal = case_edit_refusal(user, self.instance)
                    if refusal:
                        raise ValidationError(refusal)
                return cleaned

        return ChangelistForm

    def get_search_results(self, request, queryset, search_term):
        # An autocomplete for a case field of another model offers what that field accepts (case_choices):
        # a link may point at any published case, an outcome belongs only to a case the user may change.
        match = request.resolver_match
        field_name = request.GET.get("field_name")
        if match is not None and match.url_name == "autocomplete" and field_name in CASE_CHOICE_FIELDS:
            queryset = case_choices(request.user, field_name)
        return super().get_search_results(request, queryset, search_term)

    def has_delete_permission(self, request, obj=None):
        # A real delete is a curator's; everyone else archives (a reversible workflow step).
        return (
            request.user.has_perm("cases.delete_casestudy")
            and request.user.has_perm("cases.edit_all_economies")
            and super().has_delete_permission(request, obj)
        )

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, CaseTranslationInline):
            # A translation's status follows the workflow's rules, which depend on who saves it.
            kwargs["form_kwargs"] = {"user": request.user}
        return kwargs

    def save_model(self, request, obj, form, change):
        # Nothing is written here: save_related (called next, in the same transaction) hands the case, its
        # many-to-many fields and its inlines to one service call, which checks, saves and records them.
        pass

    def save_related(self, request, form, formsets, change):
        def write_related():
            super(CaseStudyAdmin, self).save_related(request, form, formsets, change)

        if not change:
            case_create(
                case=form.instance,
                user=request.user,
                message=edit_note(form, formsets, change),
                save_related=write_related,
            )
            return
        # The row is locked and checked again as stored and as it will be (case_update); the workflow's
        # fields keep what is stored; a new slug keeps the old one as a FormerSlug (its address 301s).
        case_update(
            case=form.instance,
            user=request.user,
            changed=form.changed_data,
            new_slug=form.cleaned_data["slug"] if "slug" in form.changed_data else None,
            save_related=write_related,
            message=edit_note(form, formsets, change),
        )

    def delete_model(self, request, obj):
        case_delete(case=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        case_delete_many(cases=queryset, user=request.user)

    def view_on_site(self, obj):
        """Only a published case has a public page to show."""
        return obj.get_absolute_url() if obj.status == Status.PUBLISHED else None


class QueueStatusFilter(admin.SimpleListFilter):
    """Only the statuses a queued case can have."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [(status.value, status.label) for status in QUEUE_STATUSES]

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


class ModerationQueueAdmin(TransitionActionsMixin, ScopedByCaseEconomyMixin, CatalogueModelAdmin):
    """Submitted cases first, then those in review, longest waiting first: what a reviewer acts on.

    A list of its own (rather than an ordering of the case list) so that its meaning never depends on
    the filters someone left on the case list, and so that the duplicate check, which costs a subquery
    per row, runs only here. Each row opens the case's own change form, with the checklist on it.
    """

    case_field = None  # the rows are the cases themselves
    status_parameter = QueueStatusFilter.parameter_name
    list_display = ["case_title", "economy", "status", "queued_since", "duplicate_flags", "checklist_summary"]
    list_display_links = None
    list_filter = [QueueStatusFilter]
    list_select_related = ["economy"]
    search_fields = ["title", "summary", "lead_organisation", "submitter__reference"]
    actions = [transition_action(name) for name in ("accept", "request_changes", "publish")]

    def get_queryset(self, request):
        # ModerationQueue.objects is moderation_queue(): queued cases only, in the queue's order; the possible
        # duplicates are the search module's (cases/curation/moderation.py).
        return with_possible_duplicates(super().get_queryset(request))

    def get_ordering(self, request):
        # Annotations of moderation_queue(), which the `ordering` attribute's system check cannot see.
        return ["queue_position", "queued_since", "pk"]

    # The queue is a view of case studies: the case permissions govern it, not permissions of its own.
    def has_view_permission(self, request, obj=None):
        user = request.user
        return user.has_perm("cases.view_casestudy") or user.has_perm("cases.change_casestudy")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": _("Moderation queue"), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # One change form for a case, wherever it is opened from; it applies the scoping itself.
        return HttpResponseRedirect(reverse("admin:cases_casestudy_change", args=[object_id]))

    @admin.display(description=_("case"), ordering="title")
    def case_title(self, obj):
        return format_html('<a href="{}">{}</a>', case_change_url(obj), obj.title)

    @admin.display(description=_("waiting since"), ordering="queued_since")
    def queued_since(self, obj):
        return obj.queued_since

    @admin.display(description=_("possible duplicates"))
    def duplicate_flags(self, obj):
        ids = duplicate_ids(obj)
        if not ids:
            return "—"
        label = ngettext("%(count)d possible duplicate", "%(count)d possible duplicates", len(ids)) % {
            "count": len(ids)
        }
        query = urlencode({"id__in": ",".join(map(str, ids))})
        url = f"{reverse('admin:cases_casestudy_changelist')}?{query}"
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description=_("checklist"))
    def checklist_summary(self, obj):
        checks = acceptance_checklist(obj)
        failed = [check.label for check in checks if not check.passed]
        if not failed:
            return _("All %(count)d pass") % {"count": len(checks)}
        return _("To check: %(failed)s") % {"failed": ", ".join(failed)}


admin.site.register(ModerationQueue, ModerationQueueAdmin)


@admin.register(Outcome)
class OutcomeAdmin(ReadableOutcomeNumbersMixin, CaseOwnedAdminMixin, CatalogueModelAdmin):
    list_display = ["indicator", "readable_value", "unit", "date", "case"]
    list_select_related = ["case"]
    search_fields = ["indicator", "case__title"]
    autocomplete_fields = ["case"]


@admin.register(CaseLink)
class CaseLinkAdmin(CaseOwnedAdminMixin, CatalogueModelAdmin):
    case_field = "from_case"

    list_display = ["from_case", "relation", "to_case"]
    list_filter = ["relation"]
    list_select_related = ["from_case", "to_case"]
    search_fields = ["from_case__title", "to_case__title"]
    autocomplete_fields = ["from_case", "to_case"]


@admin.register(Resource)
class ResourceAdmin(CaseOwnedAdminMixin, CatalogueModelAdmin):
    form = ResourceUploadForm
    fields = ["case", "kind", "title", "url", "file", "alt_text", "position"]
    list_display = ["title", "kind", "case"]
    list_filter = ["kind"]
    list_select_related = ["case"]
    search_fields = ["title", "url", "case__title"]
    autocomplete_fields = ["case"]


@admin.register(FormerSlug)
class FormerSlugAdmin(ReadOnlyAdmin):
    """Old addresses of cases; recorded by case_change_slug() when a curator changes a slug."""

    list_display = ["slug", "case", "created_at"]
    list_select_related = ["case"]
    search_fields = ["slug", "case__title", "case__slug"]


# --- Curation -------------------------------------------------------------------------------------


@admin.register(EditorProfile)
class EditorProfileAdmin(CatalogueModelAdmin):
    list_display = ["user"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user", "economies"]


# Who is reading a revision's page, for its differences (CaseRevisionAdmin.differences); None: nobody, so
# no linked case is named.
REVISION_READER = ContextVar("revision_reader", default=None)


@admin.register(CaseRevision)
class CaseRevisionAdmin(ScopedByCaseEconomyMixin, ReadOnlyAdmin):
    actions = ["restore_revision"]
    # The list narrowed to one case's versions (`?case__id__exact=<id>` and its spellings).
    case_parameters = ("case__id__exact", "case__exact", "case__id", "case")

    def has_restore_permission(self, request):
        """Offer the restore only to who could use it on this list: a restore is an edit of the case
        (case_edit_refusal), so at least one listed version must belong to a case the user may change; when
        the list is one case's versions, that case. An economy editor looking at published cases, or a
        role without the permission to change cases, is not offered an action they would be refused."""
        revisions = self.get_queryset(request).filter(case__in=editable_cases(request.user))
        for name in self.case_parameters:
            if name in request.GET:
                try:
                    revisions = revisions.filter(case_id=parse_whole_number(request.GET[name]))
                except ValueError:
                    return False  # no case id: the list itself answers it as a lookup it cannot make
        return revisions.exists()

    @admin.action(description=_("Restore the case to this version"), permissions=["restore"])
    def restore_revision(self, request, queryset):
        # One version of one case: restoring several would leave the case as the last one happened to be.
        selected = queryset.count()
        if selected != 1:
            self.message_user(
                request,
                _(
                    "Nothing was restored: a case is restored to one version at a time, and %(count)d "
                    "versions were selected. Select only the version to restore."
                )
                % {"count": selected},
                messages.ERROR,
            )
            return
        revision = queryset.get()
        try:
            case = case_restore_revision(revision=revision, user=request.user)
        except (PermissionDenied, ValidationError) as error:
            self.message_user(request, " ".join(getattr(error, "messages", [str(error)])), messages.ERROR)
            return
        # The restore's own note: the version restored, and any links left out.
        note = case.revisions.filter(action=RevisionAction.RESTORED).latest("created_at", "id").message
        self.message_user(request, f"“{case}”: {note}.", messages.SUCCESS)

    list_display = ["case", "action", "user", "created_at", "message"]
    list_filter = ["action"]
    list_select_related = ["case", "user"]
    search_fields = ["case__title", "message"]
    date_hierarchy = "created_at"
    # The differences in words (as on the case's History), not the stored JSON; the snapshot, from which a
    # restore works, folded away.
    fieldsets = [
        (None, {"fields": ["case", "action", "user", "created_at", "message", "differences"]}),
        (_("Snapshot"), {"classes": ["collapse"], "fields": ["snapshot"]}),
    ]
    readonly_fields = ["differences"]

    @admin.display(description=_("differences"))
    def differences(self, obj):
        if is_first_version(obj.changes or {}):
            return _("The first recorded version of the case.")
        ((_revision, differences, _first),) = describe_revisions([obj], REVISION_READER.get())
        if not differences:
            return "—"
        items = ((d.label, d.text) for d in differences)
        return format_html(
            '<ul class="revision-changes">{}</ul>',
            format_html_join("", "<li><strong>{}</strong>: {}</li>", items),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The differences name a linked case only if this user may see it (revision_diff.Names); a display
        # method is given the row alone, and the admin instance is shared by every request.
        token = REVISION_READER.set(request.user)
        try:
            response = super().change_view(request, object_id, form_url, extra_context)
            # Rendered here, while the reader is known (a TemplateResponse renders later otherwise).
            return response.render() if hasattr(response, "render") else response
        finally:
            REVISION_READER.reset(token)


@admin.register(SubmitterContact)
class SubmitterContactAdmin(CaseOwnedAdminMixin, CatalogueModelAdmin):
    """Private: who proposed a case. Never leaves admin."""

    records_revisions = False

    list_display = ["reference", "name", "email", "organisation", "case", "created_at"]
    list_select_related = ["case"]
    search_fields = ["reference", "name", "email", "organisation", "case__title"]
    autocomplete_fields = ["case"]
    readonly_fields = ["created_at"]


@admin.register(CaseWithdrawal)
class CaseWithdrawalAdmin(ReadOnlyAdmin):
    """Deleted public cases, which the partners' changes feed tells them to remove."""

    list_display = ["slug", "case_id", "reason", "withdrawn_at"]
    list_filter = ["reason"]
    search_fields = ["slug"]


@admin.register(CatalogueState)
class CatalogueStateAdmin(ReadOnlyAdmin):
    """The catalogue version every cached read is keyed by, and when the catalogue last changed
    (docs/caching.md)."""

    list_display = ["version", "changed_at"]


# --- Partner API keys -----------------------------------------------------------------------------


@admin.register(ApiKey)
class ApiKeyAdmin(CatalogueModelAdmin):
    """Partner keys. A new key is shown once, in the message after saving; only its hash is stored, so a
    lost key is revoked and replaced, never read back."""

    list_display = [
        "prefix",
        "owner",
        "user",
        "scope_list",
        "rate",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["scope_submit", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["prefix", "owner", "user__username"]
    autocomplete_fields = ["user"]
    fields = [
        "owner",
        "user",
        "scope_read",
        "scope_submit",
        "rate",
        "expires_at",
        "prefix",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    @admin.display(description=_("scopes"))
    def scope_list(self, obj):
        return ", ".join(obj.scopes)

    def save_model(self, request, obj, form, change):
        if change:  # owner, scopes, rate or expiry: the key itself never changes
            super().save_model(request, obj, form, change)
            return
        plaintext = api_key_issue(key=obj)
        messages.success(
            request,
            _("The new key for %(owner)s, shown this once (only its hash is kept): %(key)s")
            % {"owner": obj.owner, "key": plaintext},
        )

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset):
        count = api_key_revoke(keys=queryset)
        revoked = ngettext("Revoked %(count)d key.", "Revoked %(count)d keys.", count) % {"count": count}
        self.message_user(request, revoked, messages.SUCCESS)

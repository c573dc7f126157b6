"""The workflow in the admin: list actions and change-form buttons that call cases/curation/workflow.py.

- Only what the user may do is offered: a list action needs the transition's permission, and when the list
  is filtered to one status, a transition from that status; the change form's buttons are the case's
  available_transitions() (permission, economy and status).
- A transition that needs a note ("Request changes": what the submitter must change) asks for it on a page
  of its own, from the list (for the selected cases) and from the change form (for the case), and refuses
  an empty one. The note goes into the case's history with the revision ("Sent back for changes: ...").
  The other transitions take an optional note on the change form's page; from the list they apply at once.
"""

from django import forms
from django.contrib import messages
from django.contrib.admin import ActionLocation, helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cases.curation.workflow import TRANSITIONS, available_transitions, case_transition

# Room for the words the revision puts before the note ("Sent back for changes: "), within its 500.
NOTE_MAX_LENGTH = 450
TEMPLATE = "admin/cases/casestudy/transition.html"


class TransitionNoteForm(forms.Form):
    """The note of a transition: required where the workflow requires one (Transition.note_required)."""

    note = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 60}),
    )

    def __init__(self, *args, transition, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["note"]
        field.required = transition.note_required
        if transition.note_required:
            field.label = _("Note to the submitter")
            field.help_text = _(
                "What needs to change before the case can go on: it is kept in the case's history."
            )
            field.error_messages["required"] = _("Say what needs to change: the note is required.")
        else:
            field.label = _("Note (optional)")
            field.help_text = _("Kept in the case's history with this step.")


def _errors(error) -> str:
    return " ".join(getattr(error, "messages", [str(error)]))


def apply_transition(modeladmin, request, cases, transition, note="") -> int:
    """Apply `transition` to each of `cases`; tell the user what was done and what was refused, and why."""
    done, refused = 0, []
    for case in cases:
        try:
            case_transition(case=case, user=request.user, name=transition.name, note=note)
            done += 1
        except (PermissionDenied, ValidationError) as error:
            refused.append(f"{case}: {_errors(error)}")
    if done:
        modeladmin.message_user(
            request,
            ngettext("%(action)s: %(count)d case.", "%(action)s: %(count)d cases.", done)
            % {"action": transition.label, "count": done},
            messages.SUCCESS,
        )
    for message in refused:
        modeladmin.message_user(request, message, messages.ERROR)
    return done


def transition_page(modeladmin, request, *, transition, cases, form, selected=None):
    """The page that asks for the note: for the cases selected in the list (`selected`, their ids, posted
    back with the action) or for one case (from its change form)."""
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": transition.label,
        "subtitle": None,
        "opts": opts,
        "transition": transition,
        "cases": cases,
        "form": form,
        "selected": selected,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "action_name": f"transition_{transition.name}",
        "changelist_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        "preserved_filters": modeladmin.get_preserved_filters(request),
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, TEMPLATE, context)


def transition_action(name):
    """The list action for the transition `name`; one that needs a note asks for it first."""
    transition = TRANSITIONS[name]

    def action(modeladmin, request, queryset):
        if not transition.note_required:
            apply_transition(modeladmin, request, queryset, transition)
            return None
        # Posted back from the note page with "apply": the note is checked, then the transition applied.
        form = TransitionNoteForm(request.POST if "apply" in request.POST else None, transition=transition)
        if form.is_valid():
            apply_transition(modeladmin, request, queryset, transition, form.cleaned_data["note"])
            return None
        cases = list(queryset)
        return transition_page(
            modeladmin, request, transition=transition, cases=cases, form=form, selected=cases
        )

    action.__name__ = f"transition_{name}"
    action.short_description = transition.label
    action.allowed_permissions = ("transition",)
    return action


class TransitionActionsMixin:
    """For a ModelAdmin listing cases: the workflow's actions offered only to who may take them, and, when
    the list is filtered to one status, only those that apply to it."""

    # The query parameter of the list filter on the status, if the list has one.
    status_parameter = "status__exact"

    def has_transition_permission(self, request):
        return request.user.has_perm("cases.change_casestudy")

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        status = request.GET.get(self.status_parameter)
        for name, transition in TRANSITIONS.items():
            key = f"transition_{name}"
            if key not in actions:
                continue
            may = request.user.has_perm(transition.permission)
            if not may or (status and status not in transition.sources):
                del actions[key]
        return actions


class TransitionAdminMixin(TransitionActionsMixin):
    """The case admin: the filtered actions, and a page per case and transition (`<id>/transition/<name>/`)
    behind the change form's buttons. The admin's change_view puts the buttons' transitions in the context
    as `transitions` (available_transitions: this user, this case, now)."""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/transition/<str:name>/",
                self.admin_site.admin_view(self.transition_view),
                name="{}_{}_transition".format(*info),
            ),
            *super().get_urls(),
        ]

    def transition_view(self, request, object_id, name):
        """Confirm one transition of one case, with its note; 404 for an unknown transition or a case the
        user may not see, 403 for one they may not take, back to the form (saying why) when the case's
        status does not allow it now."""
        transition = TRANSITIONS.get(name)
        case = self.get_object(request, unquote(object_id))
        if transition is None or case is None:
            raise Http404
        if not request.user.has_perm(transition.permission) or not self.has_view_or_change_permission(
            request, case
        ):
            raise PermissionDenied
        change_url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[case.pk])
        if transition not in available_transitions(user=request.user, case=case):
            self.message_user(
                request,
                _("“%(action)s” is not possible for this case now (it is %(status)s).")
                % {"action": transition.label, "status": case.get_status_display().lower()},
                messages.WARNING,
            )
            return HttpResponseRedirect(change_url)
        form = TransitionNoteForm(request.POST or None, transition=transition)
        if request.method == "POST" and form.is_valid():
            apply_transition(self, request, [case], transition, form.cleaned_data["note"])
            return HttpResponseRedirect(change_url)
        return transition_page(self, request, transition=transition, cases=[case], form=form)

"""The public submission form: anyone may propose a case, which a curator then reviews.

Its validation is the one rule for a proposed case whichever door it comes through: the page /submit/
(cases/site/submission.py) and the partners' POST /api/v1/submissions/ (cases/api/submissions.py) both
apply it, so it sits below both faces (the layers in pyproject.toml), where neither imports the other.

Spam is kept out without any third party: a honeypot field people never see, a signed start time (a form
sent back faster than a person could fill it in is refused), a rate limit per address (in the view) and a
size limit on every field.
"""

import time

from django import forms
from django.conf import settings
from django.core import signing
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.models import (
    EARLIEST_YEAR,
    NARRATIVE_FIELDS,
    NARRATIVE_SECTIONS,
    CaseStudy,
    Economy,
    Level,
    Sector,
    Stage,
    Theme,
    refuse_control_characters,
)
from cases.web.validation import WholeNumberField

# The narrative is stored as unbounded text; a submission still has a ceiling, roughly 1,000 words a section.
NARRATIVE_MAX_LENGTH = 6000
STARTED_SALT = "cases.submission.started"
# A form left open longer than this is refused with a fresh start time: the reader simply sends it again.
STARTED_MAX_AGE = 24 * 60 * 60
# Named like something a bot fills in, and like nothing a browser autofills.
HONEYPOT_FIELD = "reference_code"

NARRATIVE_HINTS = {
    "overview": _("What the innovation is and what problem it set out to solve."),
    "what_is_innovative": _("What it does differently from what was done before, here or elsewhere."),
    "collaborations": _("The organisations, partners and communities involved, and their roles."),
    "users_beneficiaries": _("Who uses it or benefits from it, and how they were involved."),
    "results_impact": _("What changed, with figures where you have them."),
    "challenges_failures": _("What did not work, and what you did about it."),
    "conditions_for_success": _("What had to be in place for it to work."),
    "replication": _("Whether it has been, or could be, adopted elsewhere."),
    "lessons_learned": _("What you would tell someone starting something similar."),
}

# Field-specific "required" messages, in the GOV.UK manner: say what to do, not what went wrong.
REQUIRED_MESSAGES = {
    "title": _("Enter the name of the innovation"),
    "summary": _("Enter a one-sentence summary"),
    "overview": _("Enter an overview of the innovation"),
    "lead_organisation": _("Enter the name of the lead organisation"),
    "organisation_type": _("Select the type of lead organisation"),
    "economy": _("Select the economy where the innovation took place"),
    "level": _("Select the level of government"),
    "sectors": _("Select at least one sector"),
    "stage": _("Select the stage the innovation has reached"),
    "submitter_name": _("Enter your name"),
    "submitter_email": _("Enter your e-mail address"),
    "consent": _("Confirm that we may store your contact details to ask you about this case"),
}


def make_started_token(at: float | None = None) -> str:
    """A signed record of when the form was shown (`at`, seconds since the epoch; now by default)."""
    return signing.dumps(time.time() if at is None else at, salt=STARTED_SALT)


def minimum_fill_seconds() -> float:
    """How long a person needs at the least to fill the form in (setting SUBMISSION_MIN_SECONDS)."""
    return float(getattr(settings, "SUBMISSION_MIN_SECONDS", 3))


class TermChoiceField(forms.ModelChoiceField):
    """A vocabulary term or an economy, named in the reader's language (TranslatedTerm.label)."""

    def label_from_instance(self, term):
        return term.label


class TermsChoiceField(forms.ModelMultipleChoiceField):
    """Terms of a vocabulary, each named in the reader's language."""

    def label_from_instance(self, term):
        return term.label


class SpamCheckedForm:
    """The spam defences a public form shares (the submission form, the e-mail alerts' form): a honeypot
    field a person leaves empty, and a signed start time (`started`) that must be neither too recent (a
    robot fills a form at once) nor too old. Sets `is_spam` for a robot's post; adds a readable error either
    way. `refused_message` says why a honeypot post was refused, in the form's own words."""

    refused_message = _("Your submission could not be accepted. Please try again.")

    def clean(self):
        cleaned = super().clean()
        if self.data.get(HONEYPOT_FIELD):
            self.is_spam = True
            self.add_error(None, str(self.refused_message))
        self._check_started()
        return cleaned

    def _check_started(self) -> None:
        try:
            started = signing.loads(self.data.get("started", ""), salt=STARTED_SALT, max_age=STARTED_MAX_AGE)
            elapsed = time.time() - float(started)
        except signing.SignatureExpired:
            self._refresh_started()
            self.add_error(
                None, gettext("This form was open too long and has expired. Please send it again.")
            )
            return
        except (signing.BadSignature, TypeError, ValueError):
            self.is_spam = True
            self._refresh_started()
            self.add_error(None, gettext("This form could not be checked. Please send it again."))
            return
        if elapsed < minimum_fill_seconds():
            self.is_spam = True
            self._refresh_started()
            self.add_error(
                None,
                gettext(
                    "This form was sent too quickly to have been filled in by a person. "
                    "Check your answers and send it again."
                ),
            )

    def _refresh_started(self) -> None:
        # The form shown again carries a new start time, so a person who was refused can still send it.
        self.data = self.data.copy()
        self.data["started"] = make_started_token()


class CaseSubmissionForm(SpamCheckedForm, forms.ModelForm):
    """A proposed case and its submitter's contact details. Validation only: `case_submit` writes."""

    economy = TermChoiceField(
        queryset=Economy.objects.order_by("name"),
        label=_("Economy"),
        empty_label=_("Select an economy"),
        help_text=_("Where the innovation took place. Choose the main one if there were several."),
    )
    level = forms.ChoiceField(
        label=_("Level of government"), choices=[("", _("Select a level")), *Level.choices]
    )
    stage = forms.ChoiceField(
        label=_("Stage reached"),
        choices=[("", _("Select a stage")), *Stage.choices],
        help_text=_("The furthest stage the innovation has reached so far."),
    )
    sectors = TermsChoiceField(
        queryset=Sector.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        label=_("Sectors"),
        help_text=_("Select all that apply."),
    )
    themes = TermsChoiceField(
        queryset=Theme.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=_("Themes"),
        help_text=_("Select all that apply."),
    )
    year_launched = WholeNumberField(
        label=_("Year launched"),
        required=False,
        help_text=_("For example, 2021."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    submitter_name = forms.CharField(
        label=_("Your name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    submitter_email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        help_text=_("We send your reference number here, and write if we have a question."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    submitter_organisation = forms.CharField(
        label=_("Your organisation"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    consent = forms.BooleanField(
        label=_(
            "I agree that the Observatory may keep my name and e-mail address to contact me about this "
            "case. They are never published."
        ),
    )

    # Spam defences. The honeypot is hidden from people (and from assistive technology) but not from bots.
    reference_code = forms.CharField(
        label=_("Leave this field empty"),
        required=False,  # no length limit of its own: anything at all in it refuses the submission
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    started = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)

    class Meta:
        model = CaseStudy
        fields = [
            "title",
            "summary",
            *NARRATIVE_FIELDS,
            "lead_organisation",
            "organisation_type",
            "economy",
            "level",
            "sectors",
            "themes",
            "stage",
            "year_launched",
            "website",
        ]
        labels = {
            "title": _("Name of the innovation"),
            "summary": _("Summary"),
            "lead_organisation": _("Lead organisation"),
            "organisation_type": _("Type of lead organisation"),
            "website": _("Website"),
            **dict(NARRATIVE_SECTIONS),
        }
        help_texts = {
            "title": _("A short, plain name, for example “Tell us once for births and deaths”."),
            "summary": _("One sentence on what it does and for whom."),
            "lead_organisation": _("The organisation that led the innovation."),
            "website": _("A page about the innovation, starting with https://."),
            **NARRATIVE_HINTS,
        }
        widgets = {
            **{name: forms.Textarea(attrs={"rows": 6}) for name in NARRATIVE_FIELDS},
            "summary": forms.Textarea(attrs={"rows": 2}),
            "website": forms.URLInput(attrs={"autocomplete": "url", "spellcheck": "false"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_spam = False
        self.fields["overview"].required = True
        for name in NARRATIVE_FIELDS:
            field = self.fields[name]
            field.max_length = NARRATIVE_MAX_LENGTH
            field.widget.attrs["maxlength"] = str(NARRATIVE_MAX_LENGTH)
            field.validators.append(MaxLengthValidator(NARRATIVE_MAX_LENGTH))
        latest = timezone.now().year + 1
        year = self.fields["year_launched"]
        year.validators += [MinValueValidator(EARLIEST_YEAR), MaxValueValidator(latest)]
        year.widget.attrs.update(min=EARLIEST_YEAR, max=latest)
        for name, field in self.fields.items():
            if isinstance(field, forms.CharField):
                field.validators.append(refuse_control_characters)
            if name in REQUIRED_MESSAGES:
                field.error_messages["required"] = REQUIRED_MESSAGES[name]
            if getattr(field, "max_length", None):
                field.error_messages["max_length"] = gettext(
                    "%(label)s must be %(limit)s characters or fewer"
                ) % {"label": field.label, "limit": f"{field.max_length:,}"}
        self.fields["year_launched"].error_messages.update(
            invalid=gettext("Enter the year as four digits, for example 2021"),
            min_value=gettext("Enter a year from %(first)s onwards") % {"first": EARLIEST_YEAR},
            max_value=gettext("Enter a year no later than %(last)s") % {"last": latest},
        )
        self.fields["submitter_email"].error_messages["invalid"] = gettext(
            "Enter an e-mail address in the correct format, like name@example.org"
        )
        self.fields["website"].error_messages["invalid"] = gettext(
            "Enter a web address in the correct format, like https://www.example.org"
        )
        if not self.is_bound:
            self.initial["started"] = make_started_token()

    def case_data(self) -> dict:
        """The cleaned values that describe the case, for case_submit(data=...)."""
        return {name: self.cleaned_data[name] for name in self._meta.fields}

    def contact_data(self) -> dict:
        """The submitter's details, for case_submit(contact=...): private, never published."""
        return {
            "name": self.cleaned_data["submitter_name"],
            "email": self.cleaned_data["submitter_email"],
            "organisation": self.cleaned_data["submitter_organisation"],
        }

    def error_summary(self) -> list[tuple[str, str]]:
        """(anchor, message) for every error in field order, for the summary at the top of the page.

        The anchor is the id of the control to focus ("" for errors of the form as a whole); for a list of
        checkboxes it is the first box, since the list itself cannot take focus.
        """
        items = [("", str(message)) for message in self.non_field_errors()]
        for bound in self:
            if bound.is_hidden or not bound.errors:
                continue
            anchor = f"{bound.auto_id}_0" if bound.use_fieldset else bound.id_for_label
            items.extend((anchor, str(message)) for message in bound.errors)
        return items

    @property
    def case_fieldsets(self):
        """The form's sections as (legend, [bound fields]) in the order the page shows them."""
        return [
            (_("About the innovation"), [self["title"], self["summary"]]),
            (_("The story, section by section"), [self[name] for name in NARRATIVE_FIELDS]),
            (
                _("Who led it, and where"),
                [self["lead_organisation"], self["organisation_type"], self["economy"], self["level"]],
            ),
            (
                _("How to classify it"),
                [self["sectors"], self["themes"], self["stage"], self["year_launched"], self["website"]],
            ),
        ]

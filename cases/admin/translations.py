"""Translations in the admin.

- A vocabulary term's: a text box per language and field ("Name · 日本語"), beside the English, instead
  of the JSON the model keeps them in (TranslatedTerm.translations).
- A case's: an inline of the case's change form, one translation per language, beside the original, with
  its status (the workflow's rules: publishing needs the permission to publish), who translated and
  reviewed it, and a confirmation that it still matches the original.
"""

from django import forms
from django.conf import settings
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from cases.curation.permissions import status_change_refusal
from cases.models import CaseTranslation, TranslationStatus
from cases.models.translations import TRANSLATED_CASE_FIELDS, text_digest, text_direction


def translated_languages() -> list[str]:
    """The interface's languages other than English, each a column of translations."""
    return [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def translation_field_name(field: str, language: str) -> str:
    return f"{field}__{language.replace('-', '_')}"


def translations_form(model) -> type[forms.ModelForm]:
    """A ModelForm for `model` with a field per language and translated field, declared on the class so
    the admin's fieldsets can name them."""
    declared = {}
    for language in translated_languages():
        for name in model.TRANSLATED_FIELDS:
            model_field = model._meta.get_field(name)
            long_text = isinstance(model_field, models.TextField)
            # The language of what is typed, for screen readers, spell checkers and fonts (WCAG 3.1.2).
            attrs = {"lang": language} | ({"rows": 3} if long_text else {"class": "vTextField"})
            declared[translation_field_name(name, language)] = forms.CharField(
                label=f"{capfirst(model_field.verbose_name)} · {get_language_info(language)['name_local']}",
                required=False,
                max_length=model_field.max_length,
                widget=forms.Textarea(attrs=attrs) if long_text else forms.TextInput(attrs=attrs),
            )

    def __init__(self, *args, **kwargs):
        forms.ModelForm.__init__(self, *args, **kwargs)
        saved = self.instance.translations or {}
        for language in translated_languages():
            for name in model.TRANSLATED_FIELDS:
                self.initial.setdefault(
                    translation_field_name(name, language), (saved.get(language) or {}).get(name, "")
                )

    def clean(self):
        cleaned = forms.ModelForm.clean(self)
        shipped = translated_languages()
        # A language the interface does not ship (added through the API or a file) is kept as it was.
        translations = {
            code: fields for code, fields in (self.instance.translations or {}).items() if code not in shipped
        }
        for language in shipped:
            fields = {}
            for name in model.TRANSLATED_FIELDS:
                text = (cleaned.get(translation_field_name(name, language)) or "").strip()
                if text:
                    fields[name] = text
            if fields:
                translations[language] = fields
        self.instance.translations = translations
        return cleaned

    meta = type("Meta", (), {"model": model, "exclude": ["translations"]})
    return type(
        f"{model.__name__}TranslationsForm",
        (forms.ModelForm,),
        {**declared, "Meta": meta, "__init__": __init__, "clean": clean, "__module__": __name__},
    )


def translations_fieldset(model) -> tuple:
    """The admin fieldset of the translation fields, folded: most edits are to the English."""
    names = [
        translation_field_name(name, language)
        for language in translated_languages()
        for name in model.TRANSLATED_FIELDS
    ]
    return (
        _("Translations"),
        {
            "classes": ["collapse"],
            "fields": names,
            "description": _("Left empty, a language shows the English. Reviewed translations only."),
        },
    )


# --- A case's translations, inline on its change form -------------------------------------------------


class CaseTranslationForm(forms.ModelForm):
    """One translation of the case: its text, who translated and reviewed it, its status, and a box to
    confirm it still matches the original after the original changed."""

    confirm_current = forms.BooleanField(
        label=_("Matches the current original"),
        required=False,
        help_text=_("Tick after checking it against the original's text as it is now."),
    )

    class Meta:
        model = CaseTranslation
        fields = [
            "language",
            "status",
            "translated_by",
            "reviewed_by",
            "machine_translated",
            *TRANSLATED_CASE_FIELDS,
        ]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # Each box is in the translation's language: screen readers, spell checkers and fonts follow it.
        language = self.instance.language if self.instance.pk else None
        if language:
            for name in TRANSLATED_CASE_FIELDS:
                self.fields[name].widget.attrs.update(lang=language, dir=text_direction(language))
        for name in TRANSLATED_CASE_FIELDS:
            if isinstance(self.fields[name].widget, forms.Textarea):
                self.fields[name].widget.attrs["rows"] = 4

    def clean(self):
        cleaned = super().clean()
        before = self.initial.get("status") if self.instance.pk else None
        after = cleaned.get("status")
        if after and after != before and self.user is not None:
            refusal = status_change_refusal(self.user, before=before, after=after)
            if refusal:
                self.add_error("status", _("This status needs the permission to publish cases."))
        if after == TranslationStatus.PUBLISHED and not (cleaned.get("reviewed_by") or "").strip():
            self.add_error(
                "reviewed_by", _("Say who reviewed it: a translation is published only once reviewed.")
            )
        # Not the case's original language, no control characters: the model's clean() (CaseTranslation).
        return cleaned

    def made_from_current_original(self) -> bool:
        """Whether saving records the original as it is now as what this translation was made from: a new
        translation, a changed text, or a curator's confirmation."""
        changed_text = any(name in self.changed_data for name in (*TRANSLATED_CASE_FIELDS, "language"))
        return not self.instance.pk or changed_text or self.cleaned_data.get("confirm_current")


class CaseTranslationFormSet(forms.BaseInlineFormSet):
    """Records, for each translation saved from the original as it now is, the original's text digest (a
    ticked confirmation alone is a change of the form: the row is saved)."""

    def save_new(self, form, commit=True):
        self._mark_source(form)
        return super().save_new(form, commit)

    def save_existing(self, form, obj, commit=True):
        self._mark_source(form)
        return super().save_existing(form, obj, commit)

    def _mark_source(self, form):
        if form.made_from_current_original():
            form.instance.source_digest = text_digest(
                {name: getattr(self.instance, name) for name in TRANSLATED_CASE_FIELDS}
            )
            # Pinned to the revision the case's save records (cases.services.pin_translation_sources).
            form.instance.source_revision = None

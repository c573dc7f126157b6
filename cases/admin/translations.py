"""A vocabulary term's translations in the admin: a text box per language and field ("Name · 日本語"), beside
the English, instead of the JSON the model keeps them in (TranslatedTerm.translations)."""

from django import forms
from django.conf import settings
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _


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

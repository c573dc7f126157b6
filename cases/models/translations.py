"""A case in several languages: its original language, and reviewed translations of its text.

A case's own fields hold its text in its original language (`CaseStudy.original_language`, English unless
said otherwise). A `CaseTranslation` holds the same text in another language: title, summary, lead
organisation and every narrative section, with who translated it and who reviewed it, its own status
(draft, in review, published) and the state of the original it was made from (`source_digest`, and the
case's revision then). When the original's text changes afterwards, the translation says it may be out of
date (`is_outdated`) until a curator confirms it (cases.services.save_case_translation).

Pages and the API show a published translation in the reader's language, otherwise the original, and
always say which (CaseText, cases/site/views.py). A translation made by a machine is never published
without a person's review (a database constraint: a published translation names its reviewer).
"""

import hashlib
import json
from functools import cached_property

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from cases.models.text import control_character_errors
from cases.web.rendering import sections_html

# The languages a case's text may be written in: the APO's and its neighbours', each named in itself (as
# a reader of that language looks for it) and, for curators, in English. Codes are Django's (BCP 47, lower
# case), as the interface's LANGUAGES are.
CONTENT_LANGUAGES = {
    "en": ("English", _("English")),
    "ja": ("日本語", _("Japanese")),
    "zh-hant": ("繁體中文", _("Traditional Chinese")),
    "zh-hans": ("简体中文", _("Simplified Chinese")),
    "ko": ("한국어", _("Korean")),
    "id": ("Bahasa Indonesia", _("Indonesian")),
    "th": ("ไทย", _("Thai")),
    "vi": ("Tiếng Việt", _("Vietnamese")),
    "ms": ("Bahasa Melayu", _("Malay")),
    "fil": ("Filipino", _("Filipino")),
    "km": ("ខ្មែរ", _("Khmer")),
    "lo": ("ລາວ", _("Lao")),
    "mn": ("Монгол", _("Mongolian")),
    "tr": ("Türkçe", _("Turkish")),
    "fa": ("فارسی", _("Persian")),
    "bn": ("বাংলা", _("Bengali")),
    "hi": ("हिन्दी", _("Hindi")),
    "ne": ("नेपाली", _("Nepali")),
    "si": ("සිංහල", _("Sinhala")),
    "ta": ("தமிழ்", _("Tamil")),
    "ur": ("اردو", _("Urdu")),
    "fj": ("Vosa Vakaviti", _("Fijian")),
}
# Written right to left: the page marks their text with dir="rtl".
RIGHT_TO_LEFT = {"fa", "ur"}


def content_language_choices():
    return [(code, f"{native} ({english})") for code, (native, english) in CONTENT_LANGUAGES.items()]


def language_name(code: str) -> str:
    """A content language named in itself: ภาษาไทย for th."""
    return CONTENT_LANGUAGES.get(code, (code, code))[0]


def text_direction(code: str) -> str:
    return "rtl" if code in RIGHT_TO_LEFT else "ltr"


# The OPSI narrative, in the order the case page and the admin show it.
NARRATIVE_SECTIONS = [
    ("overview", _("Overview")),
    ("what_is_innovative", _("What makes it innovative")),
    ("collaborations", _("Collaborations and partners")),
    ("users_beneficiaries", _("Users and beneficiaries")),
    ("results_impact", _("Results and impact")),
    ("challenges_failures", _("Challenges and failures")),
    ("conditions_for_success", _("Conditions for success")),
    ("replication", _("Replication")),
    ("lessons_learned", _("Lessons learned")),
]

# Each narrative section's field label (lower case, as Django shows a field's name) and whether it may be
# empty: the overview is the one every case must tell.
_NARRATIVE_FIELD_LABELS = {
    "overview": _("overview"),
    "what_is_innovative": _("what makes it innovative"),
    "collaborations": _("collaborations and partners"),
    "users_beneficiaries": _("users and beneficiaries"),
    "results_impact": _("results and impact"),
    "challenges_failures": _("challenges and failures"),
    "conditions_for_success": _("conditions for success"),
    "replication": _("replication"),
    "lessons_learned": _("lessons learned"),
}


def narrative_fields() -> tuple[models.TextField, ...]:
    """New fields for the nine narrative sections, in NARRATIVE_SECTIONS' order: declared once for the case
    and for its translations, which unpack them in their class bodies (`overview, ..., lessons_learned =
    narrative_fields()`), so each model gets its own fields, in that place among its own."""
    return tuple(
        models.TextField(_NARRATIVE_FIELD_LABELS[name], blank=name != "overview")
        for name, _label in NARRATIVE_SECTIONS
    )


# The case's text a translation carries, in the order the case page shows it.
TRANSLATED_CASE_FIELDS = (
    "title",
    "summary",
    "lead_organisation",
    *(name for name, _label in NARRATIVE_SECTIONS),
)


def text_digest(values: dict) -> str:
    """A digest of a case's translatable text (TRANSLATED_CASE_FIELDS): what a translation was made from."""
    text = json.dumps([values.get(field) or "" for field in TRANSLATED_CASE_FIELDS], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


# The source_digest of a translation imported as out of date (docs/curation.md, "Translations"): made from
# a version of the original this catalogue never held, so it stays out of date until a curator confirms it.
UNKNOWN_SOURCE = "unknown"


class TranslationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")


class CaseTranslation(models.Model):
    """A case's text in a language other than its original one."""

    case = models.ForeignKey("cases.CaseStudy", on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=10, choices=content_language_choices)
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300)
    lead_organisation = models.CharField(_("lead organisation"), max_length=200, blank=True)
    (
        overview,
        what_is_innovative,
        collaborations,
        users_beneficiaries,
        results_impact,
        challenges_failures,
        conditions_for_success,
        replication,
        lessons_learned,
    ) = narrative_fields()

    translated_by = models.CharField(
        _("translated by"), max_length=200, help_text=_("The person or team credited with the translation.")
    )
    reviewed_by = models.CharField(
        _("reviewed by"),
        max_length=200,
        blank=True,
        help_text=_("Who checked it against the original. A translation is published only once reviewed."),
    )
    machine_translated = models.BooleanField(
        _("machine translated"),
        default=False,
        help_text=_(
            "Drafted by machine translation. Readers are told so, even once a person has reviewed it."
        ),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=TranslationStatus, default=TranslationStatus.DRAFT
    )
    # The original's text when the translation was made or last confirmed (text_digest), and the case's
    # latest revision then: a different digest now means the original changed since.
    source_digest = models.CharField(_("original's text digest"), max_length=64, editable=False)
    source_revision = models.ForeignKey(
        "cases.CaseRevision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("made from revision"),
    )
    created_at = models.DateTimeField(_("created"), db_default=Now(), editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["case", "language"]
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        constraints = [
            models.UniqueConstraint(fields=["case", "language"], name="casetranslation_one_per_language"),
            models.CheckConstraint(
                condition=Q(status__in=TranslationStatus.values), name="casetranslation_status_valid"
            ),
            # Never shown unreviewed: a published translation names who reviewed it.
            models.CheckConstraint(
                condition=~Q(status=TranslationStatus.PUBLISHED) | ~Q(reviewed_by=""),
                name="casetranslation_published_is_reviewed",
            ),
        ]
        indexes = [models.Index(fields=["case", "status", "language"], name="casetranslation_shown")]

    def __str__(self):
        return f"{self.case} · {language_name(self.language)}"

    def clean(self):
        super().clean()
        # The text checks of the case's own (no control characters pasted in), and not its own language.
        errors = control_character_errors(self)
        if self.case_id and self.language and self.language == self.case.original_language:
            errors.setdefault("language", []).append(
                _("This is the case's original language: its text is above.")
            )
        if errors:
            raise ValidationError(errors)

    @property
    def language_name(self) -> str:
        return language_name(self.language)

    def text(self) -> dict:
        return {field: getattr(self, field) for field in TRANSLATED_CASE_FIELDS}

    def is_outdated(self, case=None) -> bool:
        """The original's text changed since this translation was made or confirmed."""
        case = case or self.case
        return self.source_digest != text_digest({f: getattr(case, f) for f in TRANSLATED_CASE_FIELDS})


class CaseText:
    """What a reader is shown of a case's text, and in which language: the published translation into the
    reader's language when there is one (and the original was not asked for), otherwise the original. Built
    from a case read with CaseStudyQuerySet.with_text_in (no further query); the case's own text is read
    only when needed, so that a list of cases with their long sections deferred reads none of them."""

    def __init__(self, case, *, original: bool = False):
        self.case = case
        shown = getattr(case, "shown_translation", None)
        self.has_translation = bool(shown)  # a published translation into the reader's language exists
        self.shown = shown if shown and not original else None
        codes = {code for code in (getattr(case, "translation_languages", "") or "").split(",") if code}
        self.original_language = case.original_language
        self.available = tuple(sorted({case.original_language, *codes}))
        self.language = self.shown["language"] if self.shown else case.original_language
        self.translated_by = self.shown["translated_by"] if self.shown else ""
        self.reviewed_by = self.shown["reviewed_by"] if self.shown else ""
        self.machine_translated = bool(self.shown and self.shown["machine_translated"])

    @classmethod
    def of(cls, case, *, original: bool = False) -> "CaseText":
        return cls(case, original=original)

    @cached_property
    def values(self) -> dict:
        if self.shown:
            return {name: self.shown[name] or "" for name in TRANSLATED_CASE_FIELDS}
        return {name: getattr(self.case, name) for name in TRANSLATED_CASE_FIELDS}

    @cached_property
    def outdated(self) -> bool:
        """The shown translation was made from an original that has changed since."""
        if not self.shown:
            return False
        return self.shown["source_digest"] != text_digest(
            {f: getattr(self.case, f) for f in TRANSLATED_CASE_FIELDS}
        )

    @property
    def is_translation(self) -> bool:
        return self.language != self.original_language

    def field(self, name: str) -> str:
        """One field of the text shown (reads only that field of the original)."""
        return (self.shown[name] or "") if self.shown else getattr(self.case, name)

    @property
    def title(self) -> str:
        return self.field("title")

    @property
    def summary(self) -> str:
        return self.field("summary")

    @property
    def lead_organisation(self) -> str:
        return self.field("lead_organisation")

    @property
    def language_name(self) -> str:
        return language_name(self.language)

    @property
    def original_name(self) -> str:
        """The original's language named in the reader's language (Thai, タイ語), for the page's sentences."""
        return str(CONTENT_LANGUAGES.get(self.original_language, ("", self.original_language))[1])

    @property
    def direction(self) -> str:
        return text_direction(self.language)

    def narrative(self) -> list[tuple[str, str, str]]:
        """The filled narrative sections in OPSI order, as (field, heading, text), as CaseStudy.narrative."""
        return [(name, label, self.values[name]) for name, label in NARRATIVE_SECTIONS if self.values[name]]

    @cached_property
    def narrative_html(self) -> list[tuple[str, str, str]]:
        """The filled narrative sections in OPSI order, as (field, heading, HTML): the HTML stored for this
        text when the case was read with CaseStudyQuerySet.with_rendered_narrative and it was made from this
        very text (cases/models/rendered.py), else rendered now."""
        sections = {name: self.values[name] or "" for name, _label in NARRATIVE_SECTIONS}
        stored = getattr(self.case, "rendered_translation" if self.shown else "rendered_original", None)
        html = sections_html(sections, stored)
        return [(name, label, html[name]) for name, label in NARRATIVE_SECTIONS if name in html]

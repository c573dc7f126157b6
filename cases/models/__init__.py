"""The catalogue: vocabularies, case studies and what hangs off them.

Rules that matter are database constraints (named), not only form validation. The models of the catalogue
that stand on their own are in modules beside this one and re-exported here, so `from cases.models import
X` works for every model: partner API keys (api_keys.py), the changes feed's withdrawal records
(withdrawals.py), the precomputed related cases (related.py), a case's links in both directions
(case_links.py), the search document's expression (search_document.py), the thesaurus and word list
(thesaurus.py), upload names (files.py), the e-mail alerts' subscriptions (alerts.py) and the reads
(querysets.py). Nothing under cases/models imports from the rest of the app: it is the bottom layer
(pyproject.toml, [tool.importlinter]).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# Re-exported (`X as X`): `from cases.models import ApiKey` works for every model of the catalogue.
from cases.models.alerts import AlertFrequency as AlertFrequency
from cases.models.alerts import AlertSubscription as AlertSubscription
from cases.models.api_keys import ApiKey as ApiKey
from cases.models.api_keys import ApiKeyScope as ApiKeyScope
from cases.models.case_links import CaseLinks
from cases.models.case_links import LinkedCase as LinkedCase
from cases.models.choices import Level as Level
from cases.models.choices import OrganisationType as OrganisationType
from cases.models.files import fitted_size, rendition_name, safe_filename
from cases.models.moderation_queue import moderation_queue
from cases.models.querysets import CaseStudyQuerySet, EconomyQuerySet, PublishedCountsQuerySet, published_q
from cases.models.related import RelatedCase as RelatedCase
from cases.models.related import RelatedCaseList as RelatedCaseList
from cases.models.rendered import RenderedNarrative as RenderedNarrative
from cases.models.search_document import CaseSearchIndex as CaseSearchIndex
from cases.models.search_document import CaseTitleWord as CaseTitleWord
from cases.models.text import CONTROL_CHARACTERS as CONTROL_CHARACTERS
from cases.models.text import control_character_errors
from cases.models.text import refuse_control_characters as refuse_control_characters
from cases.models.thesaurus import SearchWord as SearchWord
from cases.models.thesaurus import ThesaurusEntry as ThesaurusEntry
from cases.models.translations import NARRATIVE_SECTIONS as NARRATIVE_SECTIONS
from cases.models.translations import CaseTranslation as CaseTranslation
from cases.models.translations import TranslationStatus as TranslationStatus
from cases.models.translations import content_language_choices, narrative_fields
from cases.models.withdrawals import CaseWithdrawal as CaseWithdrawal
from cases.models.withdrawals import WithdrawalReason as WithdrawalReason
from cases.web.formatting import format_number
from cases.web.validation import TEXT_CONTROL_CHARACTERS as TEXT_CONTROL_CHARACTERS

EARLIEST_YEAR = 1900
# Portable upper bound kept by the database on every engine; a migration adds the tighter
# "no later than next year" check on PostgreSQL, and CaseStudy.clean() says it in words.
LATEST_YEAR_BOUND = 2100


class TimestampedModel(models.Model):
    """Creation and update times, the creation time set by the database itself."""

    created_at = models.DateTimeField(_("created"), db_default=Now(), editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    class Meta:
        abstract = True


# --- Fixed choices --------------------------------------------------------------------------------


class Stage(models.TextChoices):
    IDENTIFYING_PROBLEMS = "identifying_problems", _("Identifying problems")
    GENERATING_IDEAS = "generating_ideas", _("Generating ideas")
    DEVELOPING_PROPOSALS = "developing_proposals", _("Developing proposals")
    IMPLEMENTATION = "implementation", _("Implementation")
    EVALUATION = "evaluation", _("Evaluation")
    DIFFUSING_LESSONS = "diffusing_lessons", _("Diffusing lessons")


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class LinkRelation(models.TextChoices):
    ADAPTED_FROM = "adapted_from", _("Adapted from")
    REPLICATED_IN = "replicated_in", _("Replicated in")
    RELATED_TO = "related_to", _("Related to")


class ResourceKind(models.TextChoices):
    LINK = "link", _("Link")
    FILE = "file", _("File")
    IMAGE = "image", _("Image")


def choices_constraint(field: str, choices: type[models.TextChoices], name: str) -> models.CheckConstraint:
    """A database check that `field` holds one of the enum's values."""
    return models.CheckConstraint(condition=Q(**{f"{field}__in": choices.values}), name=name)


# --- Vocabularies ---------------------------------------------------------------------------------


class TranslatedTerm(models.Model):
    """A vocabulary term's names in the interface's other languages, beside the English of its own fields.

    `translations` holds {language code: {field: text}}, e.g. {"ja": {"name": "保健", "description": ...}},
    seeded from cases/fixtures/reference/translations/ and edited in the admin. Pages, facets, charts and
    the API show `label` (and `translated(field)`), in the active language, falling back to the English.
    """

    # The fields a translation may hold, for the admin's help and the checks of the reference files.
    TRANSLATED_FIELDS = ("name",)

    translations = models.JSONField(
        _("translations"),
        default=dict,
        blank=True,
        help_text=_(
            "The name in the interface's other languages, by language code, for example "
            '{"ja": {"name": "…"}, "th": {"name": "…"}}. A language left out shows the English.'
        ),
    )

    class Meta:
        abstract = True

    def translated(self, field: str, language: str | None = None) -> str:
        """`field` in `language` (the active one by default), or its English when there is no translation."""
        language = language or get_language() or settings.LANGUAGE_CODE
        if language != settings.LANGUAGE_CODE and self.translations:
            text = (self.translations.get(language) or {}).get(field)
            if text:
                return text
        return getattr(self, field)

    @property
    def label(self) -> str:
        """The name to show a reader, in the active language."""
        return self.translated("name")


class Economy(TranslatedTerm, TimestampedModel):
    """A member economy of the APO, or any other economy a case needs."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100)
    iso2 = models.CharField(_("ISO 3166 alpha-2"), max_length=2)
    iso3 = models.CharField(_("ISO 3166 alpha-3"), max_length=3)
    region_code = models.CharField(_("UN M49 region code"), max_length=3)
    region_name = models.CharField(_("UN M49 region"), max_length=60)
    subregion_code = models.CharField(_("UN M49 sub-region code"), max_length=3, db_index=True)
    subregion_name = models.CharField(_("UN M49 sub-region"), max_length=60)
    is_apo_member = models.BooleanField(_("APO member"), default=False, db_index=True)
    apo_joined_year = models.PositiveSmallIntegerField(_("year joined the APO"), null=True, blank=True)
    profile = models.TextField(_("profile"), blank=True)

    TRANSLATED_FIELDS = ("name", "profile", "region_name", "subregion_name")

    objects = EconomyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("economy")
        verbose_name_plural = _("economies")
        constraints = [
            models.UniqueConstraint(fields=["name"], name="economy_name_unique"),
            models.UniqueConstraint(fields=["slug"], name="economy_slug_unique"),
            models.UniqueConstraint(fields=["iso2"], name="economy_iso2_unique"),
            models.UniqueConstraint(fields=["iso3"], name="economy_iso3_unique"),
            models.CheckConstraint(condition=Q(iso2__regex=r"^[A-Z]{2}$"), name="economy_iso2_format"),
            models.CheckConstraint(condition=Q(iso3__regex=r"^[A-Z]{3}$"), name="economy_iso3_format"),
            models.CheckConstraint(
                condition=Q(region_code__regex=r"^[0-9]{3}$") & Q(subregion_code__regex=r"^[0-9]{3}$"),
                name="economy_m49_format",
            ),
            models.CheckConstraint(
                condition=Q(is_apo_member=False)
                | Q(apo_joined_year__isnull=False, apo_joined_year__gte=1961, apo_joined_year__lte=2100),
                name="economy_apo_member_has_join_year",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("cases:economy_detail", kwargs={"slug": self.slug})


class Vocabulary(TranslatedTerm, TimestampedModel):
    """A curated list of terms with stable slugs (sectors, themes, facets)."""

    TRANSLATED_FIELDS = ("name", "description")

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = PublishedCountsQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class Sector(Vocabulary):
    """One of the 13 OPSI primary sectors, mapped to a COFOG division (01-10)."""

    cofog_division = models.PositiveSmallIntegerField(_("COFOG division"))

    class Meta(Vocabulary.Meta):
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="sector_slug_unique"),
            models.UniqueConstraint(fields=["name"], name="sector_name_unique"),
            models.CheckConstraint(
                condition=Q(cofog_division__gte=1, cofog_division__lte=10), name="sector_cofog_division_range"
            ),
        ]

    def get_absolute_url(self):
        return reverse("cases:sector_detail", kwargs={"slug": self.slug})

    @property
    def cofog_code(self) -> str:
        return f"{self.cofog_division:02d}"


class Theme(Vocabulary):
    """An innovation theme (digital government, service design, ...): a curated list, slugs stable."""

    class Meta(Vocabulary.Meta):
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="theme_slug_unique"),
            models.UniqueConstraint(fields=["name"], name="theme_name_unique"),
        ]

    def get_absolute_url(self):
        return reverse("cases:theme_detail", kwargs={"slug": self.slug})


class InnovationFacet(Vocabulary):
    """One of OPSI's four innovation facets."""

    class Meta(Vocabulary.Meta):
        verbose_name = _("innovation facet")
        verbose_name_plural = _("innovation facets")
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="innovationfacet_slug_unique"),
            models.UniqueConstraint(fields=["name"], name="innovationfacet_name_unique"),
        ]

    def get_absolute_url(self):
        return reverse("cases:casestudy_list") + "?" + urlencode({"facet": self.slug})


class SDG(TranslatedTerm, TimestampedModel):
    """One of the 17 Sustainable Development Goals."""

    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=120)

    objects = PublishedCountsQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        verbose_name = _("SDG")
        verbose_name_plural = _("SDGs")
        constraints = [
            models.UniqueConstraint(fields=["number"], name="sdg_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1, number__lte=17), name="sdg_number_range"),
        ]

    def __str__(self):
        return f"{self.number}. {self.label}"

    def get_absolute_url(self):
        return reverse("cases:casestudy_list") + "?" + urlencode({"sdg": self.number})


# --- Case studies ---------------------------------------------------------------------------------

NARRATIVE_FIELDS = [name for name, _label in NARRATIVE_SECTIONS]
# The case's own editable fields: what an import record sets and a revision's snapshot holds (besides the
# slug, the status and the relations, which each handles itself).
EDITABLE_CASE_FIELDS = [
    "title",
    "summary",
    *NARRATIVE_FIELDS,
    "lead_organisation",
    "organisation_type",
    "level",
    "stage",
    "year_launched",
    "year_ended",
    "website",
    "licence",
    "source",
    "last_verified",
    "external_id",
    "is_featured",
    "original_language",
]


# Addresses beside /api/v1/cases/<slug>/ that a case's slug must not take (it would shadow them there).
RESERVED_CASE_SLUGS = frozenset({"changes", "harvest", "facet-counts"})


class CaseStudy(TimestampedModel):
    """One public-sector innovation, told in the OPSI narrative, with its vocabularies and evidence."""

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=220, help_text=_("Part of the case's web address."))
    summary = models.CharField(_("summary"), max_length=300, help_text=_("One sentence."))
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

    lead_organisation = models.CharField(_("lead organisation"), max_length=200)
    organisation_type = models.CharField(
        _("organisation type"), max_length=20, choices=OrganisationType, default=OrganisationType.GOVERNMENT
    )
    economy = models.ForeignKey(
        Economy, on_delete=models.PROTECT, related_name="primary_cases", verbose_name=_("primary economy")
    )
    other_economies = models.ManyToManyField(
        Economy, blank=True, related_name="secondary_cases", verbose_name=_("other economies")
    )
    level = models.CharField(_("level of government"), max_length=20, choices=Level, db_index=True)
    sectors = models.ManyToManyField(Sector, related_name="cases", verbose_name=_("sectors"))
    themes = models.ManyToManyField(Theme, blank=True, related_name="cases", verbose_name=_("themes"))
    facets = models.ManyToManyField(
        InnovationFacet, blank=True, related_name="cases", verbose_name=_("innovation facets")
    )
    sdgs = models.ManyToManyField(SDG, blank=True, related_name="cases", verbose_name=_("SDGs"))
    stage = models.CharField(_("innovation stage"), max_length=30, choices=Stage, db_index=True)
    year_launched = models.PositiveSmallIntegerField(_("year launched"), null=True, blank=True, db_index=True)
    year_ended = models.PositiveSmallIntegerField(_("year ended"), null=True, blank=True)

    website = models.URLField(_("website"), max_length=500, blank=True)
    licence = models.CharField(_("licence"), max_length=100, default="CC BY 4.0")
    source = models.CharField(_("source / attribution"), max_length=500, blank=True)
    # The case's text in its other languages, as the search reads it (search_document.LANGUAGE_FIELDS,
    # other_languages_search_texts): its titles (weighted as the title), its summaries and organisations (as
    # the summary) and its narratives; kept by cases.services.case_language_search_refresh; read only by the
    # database's search index.
    search_other_titles = models.TextField(editable=False, blank=True, default="")
    search_other_summaries = models.TextField(editable=False, blank=True, default="")
    search_other_languages = models.TextField(editable=False, blank=True, default="")  # the narratives
    original_language = models.CharField(
        _("original language"),
        max_length=10,
        choices=content_language_choices,
        default="en",
        help_text=_("The language the text above is written in. Translations into others are added below."),
    )
    last_verified = models.DateField(_("last verified"), null=True, blank=True, db_index=True)
    is_featured = models.BooleanField(_("featured"), default=False)
    external_id = models.CharField(
        _("external id"),
        max_length=100,
        blank=True,
        help_text=_("Identifier in the system it was imported from."),
    )

    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.DRAFT, db_index=True)
    published_at = models.DateTimeField(_("first published"), null=True, blank=True, db_index=True)
    # Moves with every write that can change what this case's public page shows of the case itself (its
    # row, outcomes, resources, links, terms), in the write's own transaction (cases/signals.py): the case
    # page's cache key carries it (cases.caching.case_page_scope). Never reused: a bump takes at least the
    # writer's clock in microseconds, so a save of an object holding an older value cannot bring one back.
    public_revision = models.BigIntegerField(_("public revision"), default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )

    objects = CaseStudyQuerySet.as_manager()

    # Its links to other published cases in both directions, each seen from this case, in one query
    # (cases/models/case_links.py); prefetch_related("links") reads a whole list's in one query.
    links = CaseLinks()

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("case study")
        verbose_name_plural = _("case studies")
        permissions = [
            ("publish_casestudy", _("Can publish and unpublish case studies")),
            ("archive_casestudy", _("Can archive and restore case studies")),
            ("edit_all_economies", _("Can curate cases of every economy")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="casestudy_slug_unique"),
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="casestudy_external_id_unique"
            ),
            models.CheckConstraint(
                condition=Q(year_launched__isnull=True)
                | Q(year_launched__gte=EARLIEST_YEAR, year_launched__lte=LATEST_YEAR_BOUND),
                name="casestudy_year_launched_range",
            ),
            models.CheckConstraint(
                condition=Q(year_ended__isnull=True)
                | (Q(year_launched__isnull=False) & Q(year_ended__gte=F("year_launched"))),
                name="casestudy_year_range",
            ),
            choices_constraint("status", Status, "casestudy_status_valid"),
            choices_constraint("level", Level, "casestudy_level_valid"),
            choices_constraint("stage", Stage, "casestudy_stage_valid"),
            choices_constraint("organisation_type", OrganisationType, "casestudy_organisation_type_valid"),
            models.CheckConstraint(
                condition=~published_q() | Q(published_at__isnull=False),
                name="casestudy_published_has_date",
            ),
        ]
        indexes = [
            # The catalogue's default order, newest first, ties by id: a page deep in it (the library's
            # page 700, the API's) reads the index alone, where (status, published_at) sorted each date's
            # cases by id and read every row before the page from the table (121 ms for page 700 at
            # 100,000 cases, 11,529 buffers read).
            models.Index(fields=["status", "-published_at", "-id"], name="casestudy_status_newest"),
            models.Index(fields=["status", "year_launched"], name="casestudy_status_year"),
            models.Index(fields=["status", "title"], name="casestudy_status_title"),
            models.Index(fields=["updated_at", "id"], name="casestudy_updated_id"),
            # The library's filters by level, stage or economy among published cases.
            models.Index(fields=["status", "level"], name="casestudy_status_level"),
            models.Index(fields=["status", "stage"], name="casestudy_status_stage"),
            models.Index(fields=["status", "economy"], name="casestudy_status_economy"),
            # The statistics' bitmaps (cases/insights/bitmaps.py) read every published case's own values
            # from here.
            # (id as the last key column rather than INCLUDEd: SQLite has no INCLUDE.)
            models.Index(
                fields=["status", "economy", "level", "stage", "year_launched", "id"],
                name="casestudy_status_values",
            ),
        ]
        # The search documents are the database's own (cases/models/search_document.py).

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("cases:casestudy_detail", kwargs={"slug": self.slug})

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED

    @property
    def shown_text(self) -> dict:
        """The title and summary a card shows, and their language: the published translation into the
        reader's language when the case was read with it (for_cards(), with_text_in()), else the original."""
        shown = self.__dict__.get("shown_translation")
        if shown:
            return {"title": shown["title"], "summary": shown["summary"], "language": shown["language"]}
        return {"title": self.title, "summary": self.summary, "language": self.original_language}

    @property
    def lead_image(self):
        """The first image resource, read from the prefetched resources when the page prefetched them."""
        return next((r for r in self.resources.all() if r.kind == ResourceKind.IMAGE and r.file), None)

    def narrative(self) -> list[tuple[str, str, str]]:
        """The filled narrative sections in OPSI order, as (field, heading, text)."""
        return [
            (field, label, getattr(self, field))
            for field, label in NARRATIVE_SECTIONS
            if getattr(self, field)
        ]

    def clean(self):
        super().clean()
        next_year = timezone.now().year + 1
        errors = {}
        if self.year_launched is not None and not (EARLIEST_YEAR <= self.year_launched <= next_year):
            errors["year_launched"] = _("Enter a year between %(first)s and %(last)s.") % {
                "first": EARLIEST_YEAR,
                "last": next_year,
            }
        if self.year_ended is not None:
            if self.year_launched is None:
                errors["year_ended"] = _("Give the year it was launched as well as the year it ended.")
            elif self.year_ended < self.year_launched:
                errors["year_ended"] = _("The year it ended cannot be before the year it was launched.")
        errors |= control_character_errors(self, skip=errors)
        if self.slug in RESERVED_CASE_SLUGS:
            errors["slug"] = _("“%(slug)s” is the address of a list of cases; choose another slug.") % {
                "slug": self.slug
            }
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude=None):
        """The slug is taken too when it is another case's former slug: its old address answers 301 to
        that case, and taking it over would turn a public redirect into a 404. Refused in the very words
        of a slug another case uses now, so the answer tells no more than that some case holds it."""
        errors = {}
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if (
            "slug" not in (exclude or ())
            and "slug" not in errors
            and self.slug
            and FormerSlug.objects.filter(slug=self.slug).exclude(case_id=self.pk).exists()
        ):
            errors["slug"] = [self.unique_error_message(CaseStudy, ["slug"])]
        if errors:
            raise ValidationError(errors)


class ModerationQueueManager(models.Manager):
    def get_queryset(self):
        return moderation_queue(super().get_queryset())


class ModerationQueue(CaseStudy):
    """The cases waiting for a reviewer (submitted or in review), in the order a reviewer takes them, with
    their possible duplicates: the admin's moderation queue (cases/models/moderation_queue.py). A proxy: the
    same rows
    as CaseStudy, another list in admin."""

    objects = ModerationQueueManager()

    class Meta:
        proxy = True
        verbose_name = _("queued case")
        verbose_name_plural = _("moderation queue")


class FormerSlug(models.Model):
    """A slug a case used to have: its old address answers 301 to the current one."""

    slug = models.SlugField(max_length=220)
    case = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="former_slugs")
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        verbose_name = _("former slug")
        verbose_name_plural = _("former slugs")
        constraints = [models.UniqueConstraint(fields=["slug"], name="formerslug_slug_unique")]

    def __str__(self):
        return self.slug


class Outcome(models.Model):
    """A measured result of a case: turns 'results' from prose into something one can filter and chart."""

    case = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="outcomes")
    indicator = models.CharField(_("indicator"), max_length=200)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4)
    unit = models.CharField(_("unit"), max_length=60, blank=True)
    baseline = models.DecimalField(_("baseline"), max_digits=20, decimal_places=4, null=True, blank=True)
    date = models.DateField(_("date measured"), null=True, blank=True)
    source_url = models.URLField(_("source link"), max_length=500, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")

    def __str__(self):
        # Grouped digits, no trailing zeros: "1,000,000,000" in the admin as on the case page.
        return f"{self.indicator}: {format_number(self.value)} {self.unit}".strip()


class CaseLink(models.Model):
    """A typed link between two cases ('adapted from', 'replicated in'): diffusion across economies."""

    from_case = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="links_out")
    to_case = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="links_in")
    relation = models.CharField(_("relation"), max_length=20, choices=LinkRelation)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("link between cases")
        verbose_name_plural = _("links between cases")
        constraints = [
            models.UniqueConstraint(fields=["from_case", "to_case", "relation"], name="caselink_unique"),
            models.CheckConstraint(condition=~Q(from_case=F("to_case")), name="caselink_not_self"),
            choices_constraint("relation", LinkRelation, "caselink_relation_valid"),
        ]

    def __str__(self):
        return f"{self.from_case} → {self.get_relation_display()} → {self.to_case}"


def resource_upload_path(instance, filename):
    """Files of a case sit together under its id, with a name safe on every storage
    (cases/models/files.py)."""
    return f"cases/{instance.case_id}/{safe_filename(filename)}"


class Resource(models.Model):
    """A supporting link, file or image of a case."""

    case = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="resources")
    kind = models.CharField(_("kind"), max_length=10, choices=ResourceKind, default=ResourceKind.LINK)
    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("address"), max_length=500, blank=True)
    file = models.FileField(_("file"), upload_to=resource_upload_path, blank=True, max_length=300)
    alt_text = models.CharField(
        _("alternative text"),
        max_length=300,
        blank=True,
        help_text=_("Required for an image: what it shows, for people who cannot see it."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # Set when an uploaded image is processed (cases/curation/uploads.py): the page reserves the right
    # space, and a
    # set width means the display and thumbnail renditions exist beside the file.
    width = models.PositiveIntegerField(_("width"), null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        constraints = [
            choices_constraint("kind", ResourceKind, "resource_kind_valid"),
            models.CheckConstraint(
                condition=(Q(kind="link") & ~Q(url="")) | (Q(kind__in=["file", "image"]) & ~Q(file="")),
                name="resource_has_target",
            ),
            models.CheckConstraint(
                condition=~Q(kind="image") | ~Q(alt_text=""), name="resource_image_has_alt_text"
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def has_renditions(self) -> bool:
        return self.kind == ResourceKind.IMAGE and bool(self.file) and self.width is not None

    def rendition_url(self, rendition: str) -> str:
        """Address of the `display` or `thumbnail` rendition, or of the file itself if none was made."""
        if not self.has_renditions:
            return self.file.url
        return self.file.storage.url(rendition_name(self.file.name, rendition))

    def rendition_size(self, rendition: str) -> tuple[int, int] | None:
        """(width, height) of a rendition, computed from the original's size: no storage round trip."""
        if not self.has_renditions:
            return None
        return fitted_size((self.width, self.height), rendition)

    @property
    def display_url(self) -> str:
        return self.rendition_url("display")

    @property
    def thumbnail_url(self) -> str:
        return self.rendition_url("thumbnail")

    @property
    def display_size(self):
        return self.rendition_size("display")

    @property
    def thumbnail_size(self):
        return self.rendition_size("thumbnail")


# --- Curation: roles, history, private submitter details ------------------------------------------


class EditorProfile(models.Model):
    """The economies an economy editor looks after; curators and reviewers see every economy."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="editor_profile"
    )
    economies = models.ManyToManyField(
        Economy, blank=True, related_name="editors", verbose_name=_("economies")
    )

    class Meta:
        verbose_name = _("editor profile")
        verbose_name_plural = _("editor profiles")

    def __str__(self):
        return str(self.user)


class RevisionAction(models.TextChoices):
    CREATED = "created", _("Created")
    CHANGED = "changed", _("Changed")
    TRANSITION = "transition", _("Status changed")
    RESTORED = "restored", _("Restored an earlier version")
    IMPORTED = "imported", _("Imported")


class CaseRevision(models.Model):
    """One recorded change to a case: who, when, what changed (field by field) and the whole case after it,
    so any earlier version can be restored."""

    case = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="revisions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("when"), db_default=Now(), editable=False)
    action = models.CharField(_("action"), max_length=20, choices=RevisionAction)
    message = models.CharField(_("note"), max_length=500, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    snapshot = models.JSONField(_("snapshot"), default=dict)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        indexes = [models.Index(fields=["case", "-created_at"], name="caserevision_case_created")]
        constraints = [choices_constraint("action", RevisionAction, "caserevision_action_valid")]

    def __str__(self):
        return f"{self.case} · {self.get_action_display()} · {self.created_at:%Y-%m-%d %H:%M}"


class SubmitterContact(models.Model):
    """Who proposed a case through the public form or a partner: private, never leaves admin."""

    case = models.OneToOneField(CaseStudy, on_delete=models.CASCADE, related_name="submitter")
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    reference = models.CharField(_("reference number"), max_length=20)
    created_at = models.DateTimeField(_("received"), db_default=Now(), editable=False)

    class Meta:
        verbose_name = _("submitter contact")
        verbose_name_plural = _("submitter contacts")
        constraints = [
            models.UniqueConstraint(fields=["reference"], name="submittercontact_reference_unique")
        ]

    def __str__(self):
        return f"{self.name} <{self.email}>"


class CatalogueState(models.Model):
    """The catalogue's version: one row, bumped in the same transaction as every write to the catalogue.

    Every cached read is keyed by this number (cases/caching.py), and every process reads it from here, so
    a change is seen by all of them together, whichever process made it and whatever cache they share.
    """

    SINGLE_ROW = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLE_ROW, editable=False)
    # Never reused: a bump moves it to at least the writer's clock in microseconds, so entries cached under
    # a version that was rolled back, or that a restored database had before, are never read again.
    version = models.BigIntegerField(_("version"), default=0)
    # Moved only by writes to the vocabularies and economies (issue 15), read with `version`: what is cached
    # of the terms alone (cases.caching.vocabulary_snapshot) outlives every write to a case. Never reused,
    # like `version`.
    vocabulary_version = models.BigIntegerField(_("vocabulary version"), default=0)
    # Moved by every write that cannot name the cases whose pages it changes (a vocabulary term or an economy,
    # which case pages name; a bulk write): case pages are cached under it and their case's own stamp, so a
    # write to one case leaves the cached pages of every other case (cases.caching.case_page_scope). Never
    # reused, like `version`.
    case_pages_version = models.BigIntegerField(_("case pages version"), default=0)
    # Moved by every write except one that changes only the narrative sections of cases (or of their
    # translations), which no listing shows: the library's pages without a search, the profiles, the
    # statistics and their counts are cached under it (cases.caching.shared_listing_version), so a curator's
    # edit of a case's lessons leaves them. Every write moves `version` as well. Never reused, like
    # `version`; a data migration that moves `version` by hand moves this one too.
    listing_version = models.BigIntegerField(_("listing version"), default=0)
    changed_at = models.DateTimeField(_("last change"), db_default=Now())

    class Meta:
        verbose_name = _("catalogue state")
        verbose_name_plural = _("catalogue states")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="cataloguestate_single_row")]

    def __str__(self):
        return f"catalogue version {self.version} ({self.changed_at:%Y-%m-%d %H:%M:%S})"


# Methods, toolkits and organisations (issue 18), re-exported like the others.
from cases.models.methods import CaseMethod as CaseMethod  # noqa: E402
from cases.models.methods import CaseOrganisation as CaseOrganisation  # noqa: E402
from cases.models.methods import CaseToolkit as CaseToolkit  # noqa: E402
from cases.models.methods import Complexity as Complexity  # noqa: E402
from cases.models.methods import Discipline as Discipline  # noqa: E402
from cases.models.methods import Duration as Duration  # noqa: E402
from cases.models.methods import EntryRevision as EntryRevision  # noqa: E402
from cases.models.methods import EntryStatus as EntryStatus  # noqa: E402
from cases.models.methods import LinkState as LinkState  # noqa: E402
from cases.models.methods import Method as Method  # noqa: E402
from cases.models.methods import MethodPurpose as MethodPurpose  # noqa: E402
from cases.models.methods import MethodRole as MethodRole  # noqa: E402
from cases.models.methods import Organisation as Organisation  # noqa: E402
from cases.models.methods import OrganisationRole as OrganisationRole  # noqa: E402
from cases.models.methods import Purpose as Purpose  # noqa: E402
from cases.models.methods import Toolkit as Toolkit  # noqa: E402
from cases.models.methods import ToolkitKind as ToolkitKind  # noqa: E402
from cases.models.methods import ToolkitLanguage as ToolkitLanguage  # noqa: E402
from cases.models.methods import ToolkitPurpose as ToolkitPurpose  # noqa: E402

"""How cases were done: methods of public-sector innovation, the toolkits that teach them, and the
organisations that led and partnered in cases (issue 18).

- A **Method** (design thinking, a regulatory sandbox, participatory budgeting, ...) says what it is, what it
  is good for, its discipline, duration, participants and complexity, its steps, strengths, pitfalls and
  sources. It goes through the editorial workflow (draft, in review, published, archived) with its history
  recorded like a case's (EntryRevision).
- A **Toolkit** is a guide, handbook, template or course published by a government or an international
  body, described as OPSI's Toolkit Navigator does (kind, publisher, year, discipline, good for, languages,
  licence and reuse terms, address), and linked to the methods it supports. Its address is checked by a
  periodic task; a broken one is flagged for curators (link_state).
- An **Organisation** leads or partners in cases. It has no workflow of its own: it is public when, and
  only when, at least one published case names it, so no draft reveals an organisation (`public()`).

A case names the methods it used (CaseMethod: the main method or one also used, with a note on how), the
toolkits it drew on (CaseToolkit) and its organisations (CaseOrganisation: lead or partner). The links are
the case's own rows, public only while the case is published. The case keeps its `lead_organisation` text:
the organisation's name as the case writes it, in the case's language (translations carry it too); the
Organisation is the entity its pages link to.

Fixed lists are TextChoices, translated through the interface's catalogues like the case's levels and
stages; a list of values (a method's purposes, a toolkit's languages) is kept in rows of its own, so the
FilterSets can OR within them on every database.
"""

import re
import unicodedata

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cases.models.choices import Level, OrganisationType
from cases.models.querysets import published_q
from cases.models.translations import content_language_choices

# --- Fixed choices --------------------------------------------------------------------------------


class EntryStatus(models.TextChoices):
    """The editorial workflow of methods and toolkits: a case's, without submissions from the public."""

    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Discipline(models.TextChoices):
    DESIGN = "design", _("Design")
    BEHAVIOURAL = "behavioural-science", _("Behavioural science")
    SYSTEMS = "systems-thinking", _("Systems thinking")
    FORESIGHT = "foresight", _("Futures and foresight")
    DATA = "data", _("Data and analytics")
    PARTICIPATION = "participation", _("Participation and engagement")
    POLICY = "policy-regulation", _("Policy and regulation")
    PROCUREMENT = "procurement-finance", _("Procurement and finance")
    MANAGEMENT = "management", _("Management and delivery")
    EVALUATION = "evaluation", _("Evaluation and experimentation")


class Purpose(models.TextChoices):
    """What a method or a toolkit is good for, in the order a project meets them."""

    UNDERSTAND = "understand", _("Understand users and problems")
    ANTICIPATE = "anticipate", _("Anticipate the future")
    GENERATE_IDEAS = "generate-ideas", _("Generate ideas")
    ENGAGE = "engage-citizens", _("Engage citizens")
    TEST = "test", _("Test and prototype")
    IMPLEMENT = "implement", _("Implement and deliver")
    SCALE = "scale", _("Scale and spread")
    EVALUATE = "evaluate", _("Evaluate and learn")


class Duration(models.TextChoices):
    HOURS = "hours", _("Hours")
    DAYS = "days", _("Days")
    WEEKS = "weeks", _("Weeks")
    MONTHS = "months", _("Months")
    YEARS = "years", _("A year or more")


class Complexity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class ToolkitKind(models.TextChoices):
    GUIDE = "guide", _("Guide or handbook")
    TOOLKIT = "toolkit", _("Toolkit of methods")
    TEMPLATES = "templates", _("Templates and canvases")
    CARDS = "cards", _("Card deck")
    COURSE = "course", _("Course or training")
    ONLINE_TOOL = "online-tool", _("Online tool")
    FRAMEWORK = "framework", _("Framework or standard")


class LinkState(models.TextChoices):
    UNCHECKED = "unchecked", _("Not checked yet")
    OK = "ok", _("Working")
    BROKEN = "broken", _("Broken")


class MethodRole(models.TextChoices):
    PRIMARY = "primary", _("Main method")
    ALSO = "also", _("Also used")


class OrganisationRole(models.TextChoices):
    LEAD = "lead", _("Lead organisation")
    PARTNER = "partner", _("Partner")


def _choices_constraint(field: str, choices: type[models.TextChoices], name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(**{f"{field}__in": choices.values}), name=name)


def _blank_or_choice(field: str, choices: type[models.TextChoices], name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{field: ""}) | Q(**{f"{field}__in": choices.values}), name=name
    )


def organisation_name_key(name: str) -> str:
    """The form of an organisation's name two spellings of it share: case, accents, punctuation, spacing
    and a leading "The" set aside ("The Ministry of Health, " and "ministry of health" are one)."""
    text = unicodedata.normalize("NFKD", name or "").casefold()
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^\w]+", " ", text).strip()
    return re.sub(r"^the ", "", text)


# --- Reads ----------------------------------------------------------------------------------------


class EntryQuerySet(models.QuerySet):
    """Reads of methods and toolkits: only published ones are ever shown outside admin."""

    def published(self):
        return self.filter(status=EntryStatus.PUBLISHED)


class OrganisationQuerySet(models.QuerySet):
    def public(self):
        """Organisations named by at least one published case: no other is shown outside admin."""
        return self.filter(
            Exists(CaseOrganisation.objects.filter(published_q("case"), organisation=OuterRef("pk")))
        )

    def with_case_counts(self):
        """Each organisation's number of published cases, as `published_cases`."""
        return self.annotate(published_cases=Count("case_links", filter=published_q("case_links__case")))


# --- The entries ----------------------------------------------------------------------------------


class EditorialEntry(models.Model):
    """What methods and toolkits share: a stable slug, the workflow's status, and who did what when."""

    slug = models.SlugField(_("slug"), max_length=140, help_text=_("Part of the web address."))
    summary = models.CharField(_("summary"), max_length=300, help_text=_("One sentence."))
    description = models.TextField(_("description"), help_text=_("Markdown."))
    discipline = models.CharField(_("discipline"), max_length=30, choices=Discipline, db_index=True)
    status = models.CharField(
        _("status"), max_length=20, choices=EntryStatus, default=EntryStatus.DRAFT, db_index=True
    )
    created_at = models.DateTimeField(_("created"), db_default=Now(), editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    published_at = models.DateTimeField(_("first published"), null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = EntryQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_published(self) -> bool:
        return self.status == EntryStatus.PUBLISHED


class Method(EditorialEntry):
    name = models.CharField(_("name"), max_length=120)
    typical_duration = models.CharField(_("typical duration"), max_length=10, choices=Duration, blank=True)
    participants = models.CharField(
        _("typical participants"),
        max_length=300,
        blank=True,
        help_text=_("Who takes part, and how many: “a team of four to eight, with ten to thirty residents”."),
    )
    complexity = models.CharField(_("complexity"), max_length=10, choices=Complexity, blank=True)
    steps = models.TextField(_("steps"), blank=True, help_text=_("Markdown: a numbered list."))
    strengths = models.TextField(_("strengths"), blank=True, help_text=_("Markdown."))
    pitfalls = models.TextField(_("pitfalls"), blank=True, help_text=_("Markdown."))
    sources = models.TextField(_("sources"), blank=True, help_text=_("Markdown: a list of links."))
    cases = models.ManyToManyField(
        "cases.CaseStudy",
        through="cases.CaseMethod",
        related_name="methods",
        blank=True,
        verbose_name=_("cases"),
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("method")
        verbose_name_plural = _("methods")
        permissions = [("publish_method", _("Can publish, unpublish and archive methods"))]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="method_slug_unique"),
            _choices_constraint("status", EntryStatus, "method_status_valid"),
            _choices_constraint("discipline", Discipline, "method_discipline_valid"),
            _blank_or_choice("typical_duration", Duration, "method_duration_valid"),
            _blank_or_choice("complexity", Complexity, "method_complexity_valid"),
            models.CheckConstraint(
                condition=~Q(status=EntryStatus.PUBLISHED) | Q(published_at__isnull=False),
                name="method_published_has_date",
            ),
        ]
        indexes = [models.Index(fields=["status", "name"], name="method_status_name")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("cases:method_detail", kwargs={"slug": self.slug})

    @property
    def purposes(self) -> list[str]:
        return [row.purpose for row in self.purpose_rows.all()]


class MethodPurpose(models.Model):
    method = models.ForeignKey(Method, on_delete=models.CASCADE, related_name="purpose_rows")
    purpose = models.CharField(_("good for"), max_length=30, choices=Purpose)

    class Meta:
        verbose_name = _("purpose")
        verbose_name_plural = _("good for")
        constraints = [
            models.UniqueConstraint(fields=["method", "purpose"], name="methodpurpose_unique"),
            _choices_constraint("purpose", Purpose, "methodpurpose_purpose_valid"),
        ]
        indexes = [models.Index(fields=["purpose", "method"], name="methodpurpose_purpose")]

    def __str__(self):
        return self.get_purpose_display()


class Toolkit(EditorialEntry):
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=ToolkitKind, db_index=True)
    publisher = models.CharField(_("publisher"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year published"), null=True, blank=True, db_index=True)
    licence = models.CharField(_("licence"), max_length=100, blank=True)
    reuse_terms = models.CharField(
        _("reuse terms"),
        max_length=300,
        blank=True,
        help_text=_("What a government may do with it: “free to adapt with attribution”."),
    )
    url = models.URLField(_("address"), max_length=500)
    methods = models.ManyToManyField(Method, blank=True, related_name="toolkits", verbose_name=_("methods"))
    cases = models.ManyToManyField(
        "cases.CaseStudy",
        through="cases.CaseToolkit",
        related_name="toolkits",
        blank=True,
        verbose_name=_("cases"),
    )
    # The periodic link check's last word (cases.services.toolkit_links_check).
    link_state = models.CharField(
        _("link"),
        max_length=10,
        choices=LinkState,
        default=LinkState.UNCHECKED,
        db_index=True,
        editable=False,
    )
    link_checked_at = models.DateTimeField(_("link checked"), null=True, blank=True, editable=False)
    link_error = models.CharField(_("link problem"), max_length=300, blank=True, editable=False)

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("toolkit")
        verbose_name_plural = _("toolkits")
        permissions = [("publish_toolkit", _("Can publish, unpublish and archive toolkits"))]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="toolkit_slug_unique"),
            _choices_constraint("status", EntryStatus, "toolkit_status_valid"),
            _choices_constraint("discipline", Discipline, "toolkit_discipline_valid"),
            _choices_constraint("kind", ToolkitKind, "toolkit_kind_valid"),
            _choices_constraint("link_state", LinkState, "toolkit_link_state_valid"),
            models.CheckConstraint(
                condition=Q(year__isnull=True) | Q(year__gte=1900, year__lte=2100), name="toolkit_year_range"
            ),
            models.CheckConstraint(
                condition=~Q(status=EntryStatus.PUBLISHED) | Q(published_at__isnull=False),
                name="toolkit_published_has_date",
            ),
        ]
        indexes = [models.Index(fields=["status", "title"], name="toolkit_status_title")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("cases:toolkit_detail", kwargs={"slug": self.slug})

    @property
    def purposes(self) -> list[str]:
        return [row.purpose for row in self.purpose_rows.all()]

    @property
    def languages(self) -> list[str]:
        return [row.language for row in self.language_rows.all()]


class ToolkitPurpose(models.Model):
    toolkit = models.ForeignKey(Toolkit, on_delete=models.CASCADE, related_name="purpose_rows")
    purpose = models.CharField(_("good for"), max_length=30, choices=Purpose)

    class Meta:
        verbose_name = _("purpose")
        verbose_name_plural = _("good for")
        constraints = [
            models.UniqueConstraint(fields=["toolkit", "purpose"], name="toolkitpurpose_unique"),
            _choices_constraint("purpose", Purpose, "toolkitpurpose_purpose_valid"),
        ]
        indexes = [models.Index(fields=["purpose", "toolkit"], name="toolkitpurpose_purpose")]

    def __str__(self):
        return self.get_purpose_display()


class ToolkitLanguage(models.Model):
    toolkit = models.ForeignKey(Toolkit, on_delete=models.CASCADE, related_name="language_rows")
    language = models.CharField(_("language"), max_length=10, choices=content_language_choices)

    class Meta:
        verbose_name = _("language")
        verbose_name_plural = _("languages")
        constraints = [models.UniqueConstraint(fields=["toolkit", "language"], name="toolkitlanguage_unique")]
        indexes = [models.Index(fields=["language", "toolkit"], name="toolkitlanguage_language")]

    def __str__(self):
        return self.language


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=220, help_text=_("Part of the web address."))
    kind = models.CharField(
        _("organisation type"), max_length=20, choices=OrganisationType, default=OrganisationType.GOVERNMENT
    )
    economy = models.ForeignKey(
        "cases.Economy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
        verbose_name=_("economy"),
    )
    level = models.CharField(_("level of government"), max_length=20, choices=Level, blank=True)
    website = models.URLField(_("website"), max_length=500, blank=True)
    # The name as two spellings of it share (organisation_name_key): a case's lead organisation text is
    # matched to the organisation of its economy by it.
    name_key = models.CharField(max_length=200, editable=False, default="")
    cases = models.ManyToManyField(
        "cases.CaseStudy",
        through="cases.CaseOrganisation",
        related_name="organisations",
        blank=True,
        verbose_name=_("cases"),
    )
    created_at = models.DateTimeField(_("created"), db_default=Now(), editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="organisation_slug_unique"),
            _choices_constraint("kind", OrganisationType, "organisation_kind_valid"),
            _blank_or_choice("level", Level, "organisation_level_valid"),
        ]
        indexes = [models.Index(fields=["economy", "name_key"], name="organisation_economy_name")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name_key = organisation_name_key(self.name)[:200]
        if kwargs.get("update_fields") is not None and "name" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_key"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("cases:organisation_detail", kwargs={"slug": self.slug})


# --- A case's links -------------------------------------------------------------------------------


class CaseMethod(models.Model):
    case = models.ForeignKey("cases.CaseStudy", on_delete=models.CASCADE, related_name="method_links")
    method = models.ForeignKey(
        Method, on_delete=models.PROTECT, related_name="case_links", verbose_name=_("method")
    )
    role = models.CharField(_("role"), max_length=10, choices=MethodRole, default=MethodRole.PRIMARY)
    note = models.CharField(_("how it was used"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("method used")
        verbose_name_plural = _("methods used")
        constraints = [
            models.UniqueConstraint(fields=["case", "method"], name="casemethod_unique"),
            _choices_constraint("role", MethodRole, "casemethod_role_valid"),
        ]
        indexes = [models.Index(fields=["method", "case"], name="casemethod_method_case")]

    def __str__(self):
        return f"{self.case_id} uses {self.method_id}"


class CaseToolkit(models.Model):
    case = models.ForeignKey("cases.CaseStudy", on_delete=models.CASCADE, related_name="toolkit_links")
    toolkit = models.ForeignKey(
        Toolkit, on_delete=models.PROTECT, related_name="case_links", verbose_name=_("toolkit")
    )
    note = models.CharField(_("how it was used"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("toolkit drawn on")
        verbose_name_plural = _("toolkits drawn on")
        constraints = [models.UniqueConstraint(fields=["case", "toolkit"], name="casetoolkit_unique")]
        indexes = [models.Index(fields=["toolkit", "case"], name="casetoolkit_toolkit_case")]

    def __str__(self):
        return f"{self.case_id} drew on {self.toolkit_id}"


class CaseOrganisation(models.Model):
    case = models.ForeignKey("cases.CaseStudy", on_delete=models.CASCADE, related_name="organisation_links")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="case_links", verbose_name=_("organisation")
    )
    role = models.CharField(_("role"), max_length=10, choices=OrganisationRole, default=OrganisationRole.LEAD)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(fields=["case", "organisation"], name="caseorganisation_unique"),
            # One lead organisation per case: the one its lead_organisation text names.
            models.UniqueConstraint(
                fields=["case"], condition=Q(role="lead"), name="caseorganisation_one_lead"
            ),
            _choices_constraint("role", OrganisationRole, "caseorganisation_role_valid"),
        ]
        indexes = [models.Index(fields=["organisation", "case"], name="caseorg_organisation_case")]

    def __str__(self):
        return f"{self.organisation_id} in {self.case_id}"


# --- History --------------------------------------------------------------------------------------


class EntryRevision(models.Model):
    """A method's or a toolkit's history, as CaseRevision is a case's: who, when, what changed, and a
    snapshot an earlier version can be restored from."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("when"), db_default=Now(), editable=False)
    action = models.CharField(_("action"), max_length=20)
    message = models.CharField(_("note"), max_length=500, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    snapshot = models.JSONField(_("snapshot"), default=dict)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        indexes = [
            models.Index(fields=["content_type", "object_id", "-created_at"], name="entryrevision_entry")
        ]

    def __str__(self):
        return f"{self.content_type_id}:{self.object_id} {self.action} {self.created_at:%Y-%m-%d %H:%M}"

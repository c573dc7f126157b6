"""The case record: one description of the fields of a case, for every face that writes a case out or
reads one in.

Four faces show a case as plain data, and each used to spell its fields out itself:
- the API's case representations (cases/api/serializers.py: which fields, in which order; the serializer
  says how each nested value looks),
- the CSV export of the API and the pages (cases/interchange/exporting.py),
- the interchange format, exported and imported in bulk (cases/interchange/formats.py, importing.py),
- the revision snapshot a case's history keeps (cases/curation/history.py).

FIELDS below describes each field once: its kind (how it is read from a case, written in a record and
read back from one) and the faces that show it. Adding a field is adding a row to FIELDS: it then appears
in every face it names, after the fields each face already had (LAYOUTS keeps those in the order partners,
spreadsheets and stored revisions know). A vocabulary field (the economy, sectors, ...) names its terms by
the value the facet table gives them (cases/models/facets.py), and the API shows it as references to its
terms; the revision history names its terms from it too (cases/admin/revision_diff.py). OUTCOME describes
an outcome's values once, for records, snapshots, the API and the history. tests/cases/test_records.py
checks every face against FIELDS.

This module sits just above the models: it imports only cases.models and cases.web.
"""

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cached_property

from django.db import router
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cases.models import NARRATIVE_FIELDS, CaseLink, CaseStudy, Outcome, Resource, ResourceKind
from cases.models.facets import FACETS_BY_MODEL
from cases.models.translations import TRANSLATED_CASE_FIELDS, CaseText, CaseTranslation, text_digest
from cases.models.vocabularies import linked_terms

# --- Faces ------------------------------------------------------------------------------------------

API_LIST = "api list"  # a case in the API's lists
API = "api"  # a case in the API's detail, the changes feed and the JSON Lines export
CSV = "csv"  # a row of the CSV export (flat: several values in one cell)
INTERCHANGE = "interchange"  # a record of the bulk import and export format (the demo fixtures' shape)
SNAPSHOT = "snapshot"  # a revision's snapshot, from which a case can be restored

FACES = (API_LIST, API, CSV, INTERCHANGE, SNAPSHOT)

# --- Kinds: how a field is read from a case and written in a record ----------------------------------

ID = "id"  # the case's id
TEXT = "text"  # a text column
CHOICE = "choice"  # a column with fixed choices; its code in a record
YEAR = "year"  # a whole number or nothing
DATE = "date"  # ISO 8601 date or nothing
FLAG = "flag"  # true or false
MOMENT = "moment"  # ISO 8601 date and time (UTC in the interchange format) or nothing
ECONOMY = "economy"  # the primary economy, by its ISO alpha-2 code
ECONOMY_NAME = "economy name"  # the primary economy's name (CSV only, for people reading it)
TERMS = "terms"  # a many-to-many vocabulary, by each term's value (slug, ISO code, number)
PAGE_URL = "page url"  # the case's page, absolute
API_URL = "api url"  # the case in the API, absolute
OUTCOMES = "outcomes"  # the measured outcomes, in order
RESOURCES = "resources"  # the link resources (files are not records), in order
LINKS = "links"  # the typed links to other cases
DECIMAL = "decimal"  # a decimal number, written with every digit (an outcome's value and baseline)
SHOWN_LANGUAGE = (
    "shown language"  # the language of the record's text: a published translation's, or the original's
)
LANGUAGES = "languages"  # the codes of the languages the case's text can be read in
TRANSLATIONS = "translations"  # the case's translations, each with its text, status and who made it
ENTRIES = "entries"  # the case's published methods or toolkits, or its organisations (issue 18)

# The kinds a case holds in a column of its own (read and written with getattr/setattr).
COLUMN_KINDS = (TEXT, CHOICE, YEAR, DATE, FLAG, MOMENT)
# The kinds naming terms of a vocabulary: one (the primary economy) or several.
VOCABULARY_KINDS = (ECONOMY, TERMS)


@dataclass(frozen=True)
class Field:
    """One field of a case record."""

    name: str
    kind: str
    faces: frozenset[str]
    label: str = ""  # what people call it; by default the model field's verbose name
    # The case's own column that an import writes and a restore puts back (slug and status excepted:
    # the importer and the workflow handle those themselves).
    editable: bool = False
    required: bool = False  # an interchange record without it is refused
    # ECONOMY, TERMS: the other columns an import also knows a term by, besides its value_field (below);
    # every one in any letter case
    matched_by: tuple[str, ...] = ()
    # TERMS: the field of the case whose term these never repeat (other economies leave out the primary)
    besides: str = ""
    # TERMS: the order of the terms of one case (CSV cells, records): its vocabulary's own (Meta.ordering),
    # which the vocabulary snapshot gives (tests/cases/test_records.py checks they agree)
    cell_order: tuple[str, ...] = ()
    help_text: str = ""  # what the API's documentation says of it, when its name and shape are not enough

    @property
    def model(self):
        """ECONOMY and TERMS: the vocabulary's model."""
        return CaseStudy._meta.get_field(self.name).related_model

    @property
    def value_field(self) -> str:
        """ECONOMY and TERMS: the term's column a record names it by, the facet table's (a case's sectors
        are "health" in its record as in the library's URL); "" for the other kinds."""
        return FACETS_BY_MODEL[self.model].value_field if self.kind in VOCABULARY_KINDS else ""

    @property
    def verbose_name(self) -> str:
        return self.label or str(CaseStudy._meta.get_field(self.name).verbose_name)


def _field(name, kind, *faces, **options) -> Field:
    return Field(name, kind, frozenset(faces), **options)


_EVERY_FACE = FACES
_FULL = (API, CSV, INTERCHANGE, SNAPSHOT)  # every face but the API's lists
# The narrative sections; of them, only the overview is required.
_NARRATIVE = tuple(
    _field(name, TEXT, *_FULL, editable=True, required=name == "overview") for name in NARRATIVE_FIELDS
)

# An economy is written by its ISO alpha-2 code, and read by that, its alpha-3 code or its slug.
_ECONOMY_CODES = {"matched_by": ("iso3", "slug")}  # and iso2, the facet table's value_field

FIELDS: tuple[Field, ...] = (
    _field("id", ID, API_LIST, API, CSV, label="id"),
    _field("slug", TEXT, *_EVERY_FACE, required=True),
    _field("title", TEXT, *_EVERY_FACE, editable=True, required=True),
    _field("summary", TEXT, *_EVERY_FACE, editable=True, required=True),
    _field("url", PAGE_URL, API_LIST, API, CSV, label="page"),
    _field("api_url", API_URL, API_LIST, API, CSV, label="API address"),
    *_NARRATIVE,
    _field("lead_organisation", TEXT, *_EVERY_FACE, editable=True, required=True),
    _field("organisation_type", CHOICE, *_FULL, editable=True),
    _field(
        "economy", ECONOMY, *_EVERY_FACE, required=True, help_text=_("The primary economy."), **_ECONOMY_CODES
    ),
    _field("economy_name", ECONOMY_NAME, CSV, label="economy name"),
    _field("other_economies", TERMS, *_FULL, **_ECONOMY_CODES, besides="economy", cell_order=("name",)),
    _field("level", CHOICE, *_EVERY_FACE, editable=True, required=True),
    _field("stage", CHOICE, *_EVERY_FACE, editable=True, required=True),
    _field("sectors", TERMS, *_EVERY_FACE, required=True, cell_order=("position", "name")),
    _field("themes", TERMS, *_EVERY_FACE, cell_order=("position", "name")),
    _field("facets", TERMS, *_EVERY_FACE, cell_order=("position", "name"), help_text=_("Innovation facets.")),
    _field(
        "sdgs", TERMS, *_EVERY_FACE, cell_order=("number",), help_text=_("Sustainable Development Goals.")
    ),
    _field("year_launched", YEAR, *_EVERY_FACE, editable=True),
    _field("year_ended", YEAR, *_FULL, editable=True),
    _field("website", TEXT, *_FULL, editable=True),
    _field("licence", TEXT, *_FULL, editable=True),
    _field("source", TEXT, *_FULL, editable=True),
    _field("last_verified", DATE, *_FULL, editable=True),
    _field("external_id", TEXT, API, INTERCHANGE, SNAPSHOT, editable=True),
    _field("is_featured", FLAG, API, INTERCHANGE, SNAPSHOT, editable=True),
    _field("status", CHOICE, INTERCHANGE, SNAPSHOT),
    _field("published_at", MOMENT, API_LIST, API, CSV, INTERCHANGE),
    _field("updated_at", MOMENT, API_LIST, API, CSV),
    _field("created_at", MOMENT, API),
    _field("outcomes", OUTCOMES, API, INTERCHANGE, SNAPSHOT, label="outcomes"),
    _field("resources", RESOURCES, API, INTERCHANGE, SNAPSHOT, label="resources"),
    _field("links", LINKS, API, INTERCHANGE, SNAPSHOT, label="links"),
    # A revision keeps the translations with the case, so that restoring a version restores them too; the
    # interchange format carries them with the case (TRANSLATION_RECORD_KEYS).
    _field("translations", TRANSLATIONS, INTERCHANGE, SNAPSHOT, label="translations"),
    # The languages of the case's text (docs/api.md, "Languages").
    _field(
        "language",
        SHOWN_LANGUAGE,
        API_LIST,
        API,
        CSV,
        label="language",
        help_text=_(
            # Translators: ?lang= (a parameter) and Accept-Language (an HTTP header) stay as they are.
            "The language of this record's text: a published translation into the language asked for "
            "(?lang=, Accept-Language), else the original's."
        ),
    ),
    _field(
        "original_language",
        CHOICE,
        API_LIST,
        API,
        CSV,
        INTERCHANGE,
        SNAPSHOT,
        editable=True,
        help_text=_("The language the case was written in."),
    ),
    _field(
        "available_languages",
        LANGUAGES,
        API_LIST,
        API,
        label="available languages",
        help_text=_("Every language its text can be read in: the original and each published translation."),
    ),
    # How the case was done (issue 18): its published methods and toolkits and its organisations, by slug
    # and name (cases/api/serializers.py reads them for a page of cases in one query).
    _field("methods", ENTRIES, API_LIST, API, label="methods"),
    _field("toolkits", ENTRIES, API_LIST, API, label="toolkits"),
    _field("organisations", ENTRIES, API_LIST, API, label="organisations"),
)

BY_NAME = {field.name: field for field in FIELDS}

# Where each face's fields sit: the order partners, spreadsheets and stored revisions already know. A
# field of a face that its layout does not list comes after these, in the order of FIELDS.
LAYOUTS = {
    API_LIST: (
        "id", "slug", "title", "summary", "url", "api_url", "lead_organisation", "economy", "level", "stage",
        "year_launched", "sectors", "themes", "facets", "sdgs", "published_at", "updated_at",
    ),
    API: (
        "id", "slug", "title", "summary", "url", "api_url", *NARRATIVE_FIELDS, "organisation_type",
        "lead_organisation", "economy", "level", "stage", "year_launched", "sectors", "themes", "facets",
        "sdgs", "published_at", "updated_at", "other_economies", "year_ended", "website", "licence", "source",
        "last_verified", "is_featured", "external_id", "outcomes", "links", "resources", "created_at",
    ),
    CSV: (
        "id", "slug", "title", "summary", "url", "api_url", "lead_organisation", "organisation_type",
        "economy", "economy_name", "other_economies", "level", "stage", "sectors", "themes", "facets", "sdgs",
        "year_launched", "year_ended", "website", "licence", "source", "last_verified", "published_at",
        "updated_at", *NARRATIVE_FIELDS,
    ),
    INTERCHANGE: (
        "slug", "external_id", "status", "published_at", "title", "summary", *NARRATIVE_FIELDS,
        "lead_organisation", "organisation_type", "economy", "other_economies", "level", "sectors", "themes",
        "facets", "sdgs", "stage", "year_launched", "year_ended", "website", "licence", "source",
        "last_verified", "is_featured", "outcomes", "resources", "links", "original_language", "translations",
    ),
    SNAPSHOT: (
        "slug", "title", "summary", *NARRATIVE_FIELDS, "lead_organisation", "organisation_type", "level",
        "stage", "year_launched", "year_ended", "website", "licence", "source", "last_verified",
        "external_id", "is_featured", "status", "economy", "other_economies", "sectors", "themes", "facets",
        "sdgs", "outcomes", "links", "resources",
    ),
}  # fmt: skip


def names(face: str, fields=None, layouts=None) -> list[str]:
    """The names of the fields `face` shows, in its order (see LAYOUTS).

    `fields` and `layouts` default to this module's; a test passes others to see a new field appear.
    """
    fields = FIELDS if fields is None else fields
    layout = (LAYOUTS if layouts is None else layouts)[face]
    shown = [field.name for field in fields if face in field.faces]
    if unknown := [name for name in layout if name not in shown]:
        raise ValueError(f"The {face} layout lists fields that face does not show: {', '.join(unknown)}.")
    return [*layout, *(name for name in shown if name not in layout)]


API_LIST_FIELDS = names(API_LIST)
API_FIELDS = names(API)
CSV_COLUMNS = names(CSV)
RECORD_KEYS = names(INTERCHANGE)  # every key an interchange record may have, in the order exports write
SNAPSHOT_KEYS = names(SNAPSHOT)

# The case's own editable columns: what an import writes and a restore puts back.
SCALAR_FIELDS = [field.name for field in FIELDS if field.editable]
TEXT_FIELDS = [field.name for field in FIELDS if field.editable and field.kind in (TEXT, CHOICE)]
REQUIRED_KEYS = [field.name for field in FIELDS if field.required]
# The vocabularies of a record, by field name.
TERM_FIELDS = {field.name: field for field in FIELDS if field.kind == TERMS and INTERCHANGE in field.faces}
MANY_TO_MANY = list(TERM_FIELDS)
# The fields a record names vocabulary terms in, by field name: the primary economy (one term) and the
# many-to-many vocabularies. The importer looks their terms up by this description alone.
# The snapshot's values read straight from the case's columns.
SNAPSHOT_COLUMNS = [name for name in SNAPSHOT_KEYS if BY_NAME[name].kind in COLUMN_KINDS]


def vocabulary_fields(face: str) -> list[Field]:
    """The vocabulary fields (VOCABULARY_KINDS) `face` shows, in its order."""
    return [BY_NAME[name] for name in names(face) if BY_NAME[name].kind in VOCABULARY_KINDS]


# --- Outcomes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeValue:
    """One value of an outcome, as every face writes it (a column of Outcome)."""

    name: str
    kind: str  # TEXT, DECIMAL or DATE
    help_text: str = ""  # what the API's documentation says of it

    @property
    def model_field(self):
        return Outcome._meta.get_field(self.name)


# An outcome's values, in the order records, snapshots, the API and the history show them.
OUTCOME: tuple[OutcomeValue, ...] = (
    OutcomeValue("indicator", TEXT),
    OutcomeValue("value", DECIMAL),
    OutcomeValue("unit", TEXT),
    OutcomeValue("baseline", DECIMAL),
    OutcomeValue("date", DATE, help_text=_("When it was measured.")),
    OutcomeValue("source_url", TEXT, help_text=_("Where the figure comes from; may be empty.")),
)
OUTCOME_KEYS = [value.name for value in OUTCOME]
OUTCOME_NUMBERS = [value.name for value in OUTCOME if value.kind == DECIMAL]


# --- Addresses --------------------------------------------------------------------------------------


def absolute_url(context, path: str) -> str:
    """`path` (or an already absolute URL) made absolute for whoever reads the representation: from the
    context's request when there is one, otherwise from its `base_url` (exports, commands)."""
    if path.startswith(("http://", "https://")):
        return path
    request = context.get("request")
    if request is not None:
        return request.build_absolute_uri(path)
    return context["base_url"].rstrip("/") + path


class CaseUrls:
    """A case's page and API addresses under `base_url` (or for whoever reads a serializer's `context`:
    absolute_url), reversed once and filled in per case."""

    PLACEHOLDER = "slug-placeholder"

    def __init__(self, base_url: str | None = None, *, context=None):
        context = context if context is not None else {"base_url": base_url}
        self.page = absolute_url(
            context, reverse("cases:casestudy_detail", kwargs={"slug": self.PLACEHOLDER})
        )
        self.api = absolute_url(context, reverse("api:case-detail", kwargs={"slug": self.PLACEHOLDER}))

    def __call__(self, slug: str) -> tuple[str, str]:
        return self.page_of(slug), self.api_of(slug)

    def page_of(self, slug: str) -> str:
        return self.page.replace(self.PLACEHOLDER, slug)

    def api_of(self, slug: str) -> str:
        return self.api.replace(self.PLACEHOLDER, slug)


# --- Translations ------------------------------------------------------------------------------------

# A translation in an interchange record, in this order: who made it, its status, the original it was made
# from (the digest of the original's text then: docs/curation.md, "Translations in the file"), its text.
TRANSLATION_RECORD_KEYS = (
    "language",
    "status",
    "translated_by",
    "reviewed_by",
    "machine_translated",
    "made_from",
    *TRANSLATED_CASE_FIELDS,
)
# The translation's own columns among them ("made_from" is its source_digest).
TRANSLATION_COLUMNS = tuple(key for key in TRANSLATION_RECORD_KEYS if key != "made_from")


def original_text_digest(case) -> str:
    """The digest of the case's original text, which a translation records as what it was made from."""
    return text_digest({name: getattr(case, name) for name in TRANSLATED_CASE_FIELDS})


# --- What hangs off the cases, read a chunk at a time ------------------------------------------------


def decimal_text(value: Decimal | None) -> str | None:
    """A decimal with every digit and no exponent or padding zeros: 12500, 4000.5, 0.0001."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


class Related:
    """The terms, outcomes, link resources and links of a chunk of cases, each read once for the whole
    chunk (a fixed number of queries, whatever its size) and only when a face asks for it."""

    def __init__(self, case_ids):
        self.case_ids = list(case_ids)

    @cached_property
    def terms(self) -> dict[str, dict[int, list]]:
        """{field: {case id: [value, ...]}}, in each field's cell order (its vocabulary's own order): the
        links of every vocabulary in one query, the values from the vocabulary snapshot
        (cases/models/vocabularies.py), no model objects (building prefetched model instances costs more
        than the rest of an export)."""
        using = router.db_for_read(CaseStudy)
        by_relation, snapshot = linked_terms(CaseStudy, self.case_ids, list(TERM_FIELDS), using=using)
        values = {}
        for name, field in TERM_FIELDS.items():
            named = dict(snapshot.values(field.model, field.model._meta.pk.attname, field.value_field))
            by_case = defaultdict(list)
            for case_id, terms in by_relation[name].items():
                by_case[case_id] = [named[pk] for pk in terms]
            values[name] = by_case
        return values

    @cached_property
    def outcomes(self) -> dict[int, list[dict]]:
        outcomes = defaultdict(list)
        for outcome in Outcome.objects.filter(case_id__in=self.case_ids).order_by(
            "case_id", "position", "id"
        ):
            outcomes[outcome.case_id].append(outcome_record(outcome))
        return outcomes

    @cached_property
    def resources(self) -> dict[int, list[dict]]:
        resources = defaultdict(list)
        for resource in Resource.objects.filter(case_id__in=self.case_ids, kind=ResourceKind.LINK).order_by(
            "case_id", "position", "id"
        ):
            resources[resource.case_id].append({"title": resource.title, "url": resource.url})
        return resources

    @cached_property
    def translations(self) -> dict[int, list[dict]]:
        """{case id: [the translation's columns and its source_digest, ...]}, by language."""
        translations = defaultdict(list)
        for values in (
            CaseTranslation.objects.filter(case_id__in=self.case_ids)
            .order_by("case_id", "language")
            .values("case_id", "source_digest", *TRANSLATION_COLUMNS)
        ):
            translations[values.pop("case_id")].append(values)
        return translations

    @cached_property
    def links(self) -> dict[int, list[dict]]:
        links = defaultdict(list)
        for from_id, relation, target, note in (
            CaseLink.objects.filter(from_case_id__in=self.case_ids)
            .order_by("from_case_id", "relation", "to_case__slug")
            .values_list("from_case_id", "relation", "to_case__slug", "note")
        ):
            links[from_id].append({"relation": relation, "target": target, "note": note})
        return links


# --- A case as a record ------------------------------------------------------------------------------


def outcome_record(outcome) -> dict:
    """An outcome as a record writes it (OUTCOME_KEYS): decimals with every digit, dates in ISO 8601."""
    record = {}
    for part in OUTCOME:
        value = getattr(outcome, part.name)
        if part.kind == DECIMAL:
            value = decimal_text(value)
        elif part.kind == DATE:
            value = value.isoformat() if value else None
        record[part.name] = value
    return record


def to_record(case, related: Related | None = None) -> dict:
    """The case as an interchange record: {key: value} in RECORD_KEYS order, plain JSON values.

    Give `related` (for a chunk of cases holding this one, with the economy selected) to read what hangs
    off the case once per chunk; without it, it is read for this case alone.
    """
    related = related or Related([case.pk])
    record = {}
    for name in RECORD_KEYS:
        field = BY_NAME[name]
        kind = field.kind
        if kind == MOMENT:
            value = getattr(case, name)
            record[name] = value.astimezone(dt.UTC).isoformat() if value else None
        elif kind == DATE:
            value = getattr(case, name)
            record[name] = value.isoformat() if value else None
        elif kind == ECONOMY:
            record[name] = getattr(case.economy, field.value_field)
        elif kind == TERMS:
            record[name] = list(related.terms[name].get(case.pk, ()))
        elif kind == OUTCOMES:
            record[name] = related.outcomes[case.pk]
        elif kind == RESOURCES:
            record[name] = related.resources[case.pk]
        elif kind == LINKS:
            record[name] = related.links[case.pk]
        elif kind == TRANSLATIONS:
            record[name] = translation_records(related.translations[case.pk])
        else:
            record[name] = getattr(case, name)
    return record


def translation_records(translations: list[dict]) -> list[dict]:
    """The case's translations (Related.translations) as a record writes them (TRANSLATION_RECORD_KEYS)."""
    return [
        {key: translation["source_digest" if key == "made_from" else key] for key in TRANSLATION_RECORD_KEYS}
        for translation in translations
    ]


CSV_SEPARATOR = ";"  # between the several values of one cell


def to_csv_values(case, related: Related, urls: CaseUrls) -> list:
    """The case's values in CSV_COLUMNS order, before they are written as text (dates as they are).

    Its text, and its primary economy's name, in the reader's language when the case was read with
    CaseStudyQuerySet.with_text_in and has a published translation into it (the `language` column says
    which); otherwise the original's."""
    page_url, api_url = urls(case.slug)
    text = CaseText(case)
    values = []
    for name in CSV_COLUMNS:
        field = BY_NAME[name]
        kind = field.kind
        if name in TRANSLATED_CASE_FIELDS:
            values.append(text.field(name))
        elif kind == SHOWN_LANGUAGE:
            values.append(text.language)
        elif kind == ID:
            values.append(case.pk)
        elif kind == PAGE_URL:
            values.append(page_url)
        elif kind == API_URL:
            values.append(api_url)
        elif kind == ECONOMY:
            values.append(getattr(case.economy, field.value_field))
        elif kind == ECONOMY_NAME:
            values.append(case.economy.label)
        elif kind == TERMS:
            values.append(CSV_SEPARATOR.join(str(value) for value in related.terms[name].get(case.pk, ())))
        else:
            values.append(getattr(case, name))
    return values


def _plain(value):
    if isinstance(value, Decimal):
        return str(value.normalize())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


# What a revision keeps of each translation: enough to put it back as it was.
TRANSLATION_SNAPSHOT_KEYS = (
    "language",
    "status",
    "translated_by",
    "reviewed_by",
    "machine_translated",
    *TRANSLATED_CASE_FIELDS,
)


def to_snapshot(case) -> dict:
    """The whole case as plain JSON, as a revision keeps it (SNAPSHOT_KEYS): fields, vocabularies,
    outcomes, links and link resources. Terms are sorted as text, links name the other case by id."""
    data = {}
    for name in SNAPSHOT_KEYS:
        field = BY_NAME[name]
        kind = field.kind
        if kind in COLUMN_KINDS:
            data[name] = _plain(getattr(case, name))
        elif kind == ECONOMY:
            data[name] = getattr(case.economy, field.value_field)
        elif kind == TERMS:
            values = getattr(case, name).values_list(field.value_field, flat=True)
            data[name] = sorted(str(value) for value in values)
        elif kind == OUTCOMES:
            # Decimals as str(normalize()) ("1.25E+4"), as revisions have always kept them: a record's
            # decimal_text would make every stored revision differ from the next in its outcomes.
            data[name] = [
                {part: _plain(getattr(outcome, part)) for part in OUTCOME_KEYS}
                for outcome in case.outcomes.order_by("position", "id")
            ]
        elif kind == LINKS:
            data[name] = sorted(
                [link.relation, link.to_case_id] for link in CaseLink.objects.filter(from_case=case)
            )
        elif kind == RESOURCES:
            data[name] = [
                {"title": r.title, "url": r.url}
                for r in case.resources.filter(kind=ResourceKind.LINK).order_by("position", "id")
            ]
        elif kind == TRANSLATIONS:
            data[name] = list(case.translations.order_by("language").values(*TRANSLATION_SNAPSHOT_KEYS))
        else:
            raise ValueError(f"A snapshot cannot hold {name} (a {kind}).")
    return data


# --- A record back into a case ------------------------------------------------------------------------


def read_text(value, label):
    """Text from a record's value (a whole number is taken as its digits); None is empty text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"{label} must be text, not {json.dumps(value, default=str)}")


def read_year(value, label):
    """A year from a record's value (a number or its text); None when empty."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{label} {value!r} is not a year")
    try:
        number = Decimal(str(value).strip())
        if number != number.to_integral_value():
            raise ValueError
        return int(number)
    except (InvalidOperation, ValueError) as error:
        raise ValueError(f"{label} {value!r} is not a year") from error


def read_date(value, label):
    """A date from a record's ISO 8601 text; None when empty."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as error:
        raise ValueError(f"{label} {value!r} is not a date like 2024-12-31") from error


def read_flag(value, label):
    """True or false from a record (null is false)."""
    if value in (None, True, False):
        return bool(value)
    raise ValueError(f"{label} must be true or false, not {value!r}")


READERS = {TEXT: read_text, CHOICE: read_text, YEAR: read_year, DATE: read_date, FLAG: read_flag}


def from_record(record: dict) -> tuple[dict, list[str]]:
    """The case's own editable fields that `record` gives, read into Python values, and what could not be
    read ("year_launched 'abc' is not a year"). A key the record leaves out is left out (an import keeps
    the case's value). Read by reader (texts, years, dates, flags), so messages come in a stable order."""
    values, problems = {}, []
    editable = [BY_NAME[name] for name in SCALAR_FIELDS]
    for reader in dict.fromkeys(READERS.values()):  # texts and choices, then years, dates, flags
        for field in editable:
            if READERS[field.kind] is reader and field.name in record:
                try:
                    values[field.name] = reader(record[field.name], field.name)
                except ValueError as error:
                    values[field.name] = None
                    problems.append(str(error))
    return values, problems


# The vocabulary fields an import reads, by name.
VOCABULARY_FIELDS = {field.name: field for field in vocabulary_fields(INTERCHANGE)}

"""Synthetic but realistic published case studies, for load tests and benchmarks (`generate_cases`).

Every value comes from one `random.Random(seed)` drawn in a fixed order, so a seed always yields the same
cases in the same order: case n of seed 7 is the same whether 10 or 100,000 are asked for. Only the dates
move with the day it runs (they are placed relative to today, so the catalogue always looks current).

Writing bypasses `services.py` on purpose: these rows are load, not curated content, so they are inserted
with `bulk_create` (cases, then the M2M through rows, then outcomes) without per-case history; the data
is built to satisfy every database constraint instead of being checked by `full_clean()`.
"""

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate, zip_longest
from pathlib import Path

from django.db import transaction

from cases.models import (
    SDG,
    CaseStudy,
    Economy,
    InnovationFacet,
    Level,
    OrganisationType,
    Outcome,
    Sector,
    Stage,
    Status,
    Theme,
)
from cases.models.rendered import RenderedNarrative, original_rows
from cases.models.search_document import NARRATIVE_FIELDS

FIRST_YEAR = 1995
# Cases are published over the last few years, as a catalogue that has been growing for a while.
PUBLISHED_WITHIN_DAYS = 6 * 365


def case_slug(seed: int, number: int) -> str:
    """The slug of the `number`th generated case of `seed`: never collides with a curated case's slug."""
    return f"gen-{seed}-{number}"


def _cumulative(weights):
    return list(accumulate(weights))


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",:;") + "…"


# --- Vocabularies: what the cases are about -------------------------------------------------------

DOWN, UP, COUNT = "down", "up", "count"  # how an outcome indicator moves when things go well


@dataclass(frozen=True)
class Topic:
    """A field of public service: its sector, words for titles and prose, usual themes, SDGs, indicators."""

    sector: str
    portfolio: str
    services: tuple[str, ...]
    beneficiaries: tuple[str, ...]
    problems: tuple[str, ...]
    pains: tuple[str, ...]
    benefits: tuple[str, ...]
    stems: tuple[str, ...]
    themes: tuple[str, ...]
    sdgs: tuple[int, ...]
    # (indicator, unit, direction, low, high)
    indicators: tuple[tuple[str, str, str, int, int], ...]


# The word lists are data, not code: cases/interchange/data/generation_words.json. A seed draws from them
# by position, so their order is part of what a seed means
# (pinned by tests/cases/interchange/test_generation_digest.py).
WORDS_FILE = Path(__file__).resolve().parent / "data" / "generation_words.json"


def _tuples(value):
    """JSON arrays as tuples, all the way down: the lists are constants."""
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    if isinstance(value, dict):
        return {key: _tuples(item) for key, item in value.items()}
    return value


_WORDS = _tuples(json.loads(WORDS_FILE.read_text(encoding="utf-8")))

TOPICS = tuple(Topic(**topic) for topic in _WORDS["topics"])
# (title adjective, the theme it suggests, how the prose describes the means)
APPROACHES = _WORDS["approaches"]
# Provinces or states, then cities, of each APO economy (by ISO alpha-2).
PLACES = _WORDS["places"]
DEFAULT_PLACES = _WORDS["default_places"]
# Economies named with "the" in running text.
WITH_ARTICLE = _WORDS["with_article"]
# How often each economy is the primary one: larger administrations report more cases.
ECONOMY_WEIGHTS = _WORDS["economy_weights"]
PARTNERS = _WORDS["partners"]
PROGRAMME_SUFFIXES = _WORDS["programme_suffixes"]
PROGRAMME_WORDS = _WORDS["programme_words"]
INITIATIVE_NOUNS = _WORDS["initiative_nouns"]
LEVEL_WORDS = {Level(level): word for level, word in _WORDS["level_words"].items()}
# The narrative is assembled from these sentences, then filled with the case's own words.
TITLE_TEMPLATES = _WORDS["title_templates"]
NAMED_TITLE_TEMPLATES = _WORDS["named_title_templates"]
SUMMARY_TEMPLATES = _WORDS["summary_templates"]
SECTION_SENTENCES = _WORDS["section_sentences"]
GENERIC_SUBJECTS = _WORDS["generic_subjects"]
GENERIC_PREDICATES = _WORDS["generic_predicates"]
GENERIC_QUALIFIERS = _WORDS["generic_qualifiers"]
GENERIC_SENTENCES = tuple(
    f"{subject} {predicate}{qualifier}."
    for subject in GENERIC_SUBJECTS
    for predicate in GENERIC_PREDICATES
    for qualifier in GENERIC_QUALIFIERS
)

# --- Distributions ---------------------------------------------------------------------------------

LEVELS = (Level.NATIONAL, Level.REGIONAL, Level.LOCAL, Level.MULTI_LEVEL, Level.CROSS_BORDER)
LEVEL_CUM = _cumulative((40, 20, 25, 10, 5))
STAGES = (
    Stage.IDENTIFYING_PROBLEMS,
    Stage.GENERATING_IDEAS,
    Stage.DEVELOPING_PROPOSALS,
    Stage.IMPLEMENTATION,
    Stage.EVALUATION,
    Stage.DIFFUSING_LESSONS,
)
STAGE_CUM = _cumulative((6, 8, 11, 40, 20, 15))
ORGANISATION_TYPES = (
    OrganisationType.GOVERNMENT,
    OrganisationType.NGO,
    OrganisationType.INTERNATIONAL,
    OrganisationType.ACADEMIA,
    OrganisationType.PRIVATE,
    OrganisationType.INDEPENDENT,
)
ORGANISATION_TYPE_CUM = _cumulative((70, 8, 6, 6, 5, 5))
PARAGRAPH_COUNT_CUM = _cumulative((22, 26, 22, 14, 10, 6))  # 1..6 paragraphs per narrative section
SECTOR_COUNT_CUM = _cumulative((55, 30, 15))  # 1..3
THEME_COUNT_CUM = _cumulative((10, 25, 30, 20, 15))  # 0..4
FACET_COUNT_CUM = _cumulative((20, 55, 25))  # 0..2
SDG_COUNT_CUM = _cumulative((20, 25, 25, 18, 12))  # 0..4
OUTCOME_COUNT_CUM = _cumulative((35, 30, 20, 15))  # 0..3


# --- Building cases --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceData:
    """The vocabulary rows cases point to, as ids, in a stable order: a seed means the same anywhere."""

    economies: tuple[tuple[int, str, str], ...]  # (id, iso2, name), APO members by iso2
    sectors: dict[str, int]
    themes: dict[str, int]
    facets: tuple[int, ...]
    sdgs: dict[int, int]

    @classmethod
    def load(cls) -> "ReferenceData":
        return cls(
            economies=tuple(Economy.objects.apo_members().order_by("iso2").values_list("id", "iso2", "name")),
            sectors=dict(Sector.objects.order_by("slug").values_list("slug", "id")),
            themes=dict(Theme.objects.order_by("slug").values_list("slug", "id")),
            facets=tuple(InnovationFacet.objects.order_by("slug").values_list("id", flat=True)),
            sdgs=dict(SDG.objects.order_by("number").values_list("number", "id")),
        )

    def missing(self) -> list[str]:
        """The vocabularies that are empty (the reference data migration has not run)."""
        names = {
            "APO economies": self.economies,
            "sectors": self.sectors,
            "themes": self.themes,
            "innovation facets": self.facets,
            "SDGs": self.sdgs,
        }
        return [name for name, rows in names.items() if not rows]


@dataclass
class GeneratedCase:
    """An unsaved case and the ids of what it links to."""

    case: CaseStudy
    sector_ids: list[int]
    theme_ids: list[int] = field(default_factory=list)
    facet_ids: list[int] = field(default_factory=list)
    sdg_ids: list[int] = field(default_factory=list)
    other_economy_ids: list[int] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)


class CaseGenerator:
    """Builds the cases of one seed, one after the other: `generator.case(n)` for n = 1, 2, 3, ..."""

    def __init__(self, seed: int, reference: ReferenceData, *, today: dt.date):
        self.seed = seed
        self.rng = random.Random(seed)
        self.reference = reference
        self.today = today
        self.current_year = today.year
        # Dates are placed relative to the start of today, so one day's runs agree to the second.
        self.anchor = dt.datetime.combine(today, dt.time.min, tzinfo=dt.UTC)
        self.years = tuple(range(FIRST_YEAR, self.current_year + 1))
        # More cases in recent years, as in real catalogues.
        self.year_cum = _cumulative(range(1, len(self.years) + 1))
        self.economy_cum = _cumulative(ECONOMY_WEIGHTS.get(iso2, 2) for _, iso2, _ in reference.economies)
        self.all_sector_ids = list(reference.sectors.values())
        self.all_theme_ids = list(reference.themes.values())
        self.all_sdg_ids = list(reference.sdgs.values())
        self.all_economy_ids = [economy_id for economy_id, _, _ in reference.economies]

    def case(self, number: int) -> GeneratedCase:
        """The next case, numbered `number`: call with 1, 2, 3, ... in turn (the draws are sequential)."""
        rng = self.rng
        topic = rng.choice(TOPICS)
        economy_id, iso2, economy_name = rng.choices(self.reference.economies, cum_weights=self.economy_cum)[
            0
        ]
        level = rng.choices(LEVELS, cum_weights=LEVEL_CUM)[0]
        stage = rng.choices(STAGES, cum_weights=STAGE_CUM)[0]
        organisation_type = rng.choices(ORGANISATION_TYPES, cum_weights=ORGANISATION_TYPE_CUM)[0]
        year_launched = rng.choices(self.years, cum_weights=self.year_cum)[0]
        year_ended = None
        if year_launched < self.current_year and rng.random() < 0.15:
            year_ended = rng.randint(year_launched + 1, self.current_year)
        approach_word, approach_theme, approach = rng.choice(APPROACHES)

        regions, cities = PLACES.get(iso2, DEFAULT_PLACES)
        region, city = rng.choice(regions), rng.choice(cities)
        economy_text = WITH_ARTICLE.get(iso2, economy_name)
        others = []
        if level == Level.CROSS_BORDER or rng.random() < 0.08:
            candidates = [other for other in self.reference.economies if other[0] != economy_id]
            others = rng.sample(candidates, k=min(len(candidates), rng.randint(1, 2)))
        if level == Level.CROSS_BORDER and others:
            place = " and ".join([economy_text, *(WITH_ARTICLE.get(iso, name) for _, iso, name in others)])
        elif level == Level.REGIONAL:
            place = region
        elif level == Level.LOCAL:
            place = city
        elif level == Level.MULTI_LEVEL:
            place = rng.choice((economy_text, region))
        else:
            place = economy_text

        stem = rng.choice(topic.stems)
        coined = rng.random() < 0.55
        name = f"{stem}{rng.choice(PROGRAMME_SUFFIXES)}" if coined else rng.choice(PROGRAMME_WORDS)
        partner, partner2 = rng.sample(PARTNERS, 2)
        beneficiaries = rng.choice(topic.beneficiaries)
        service = rng.choice(topic.services)
        context = {
            "Name": _capitalised(name),
            "name": name,
            "place": place,
            "Place": _capitalised(place),
            "economy": economy_text,
            "year": year_launched,
            "later_year": min(year_launched + rng.randint(1, 4), self.current_year),
            "service": service,
            "Service": _capitalised(service),
            "beneficiaries": beneficiaries,
            "Beneficiaries": _capitalised(beneficiaries),
            "problem": rng.choice(topic.problems),
            "pain": rng.choice(topic.pains),
            "benefit": rng.choice(topic.benefits),
            "approach": approach,
            "Approach": approach_word,
            "approach_word": approach_word if approach_word[1:2].isupper() else approach_word.lower(),
            "partner": partner,
            "Partner": _capitalised(partner),
            "partner2": partner2,
            "Partner2": _capitalised(partner2),
            "initiative": rng.choice(INITIATIVE_NOUNS),
            "level_word": LEVEL_WORDS[level],
            "pct": rng.randint(12, 78),
            "number": f"{rng.randint(3, 900) * 100:,}",
            "months": rng.choice((6, 9, 12, 18, 24, 36)),
        }
        context["org"] = organisation = self._organisation(
            organisation_type, level, topic, economy_name, region, city, stem
        )

        titles = TITLE_TEMPLATES + NAMED_TITLE_TEMPLATES if coined else TITLE_TEMPLATES
        title = _shorten(_capitalised(rng.choice(titles).format_map(context)), 200)
        summary = _shorten(rng.choice(SUMMARY_TEMPLATES).format_map(context), 300)
        narrative = {section: self._section(section, context) for section in NARRATIVE_FIELDS}

        sector_ids = self._sectors(topic)
        theme_ids = self._themes(topic, approach_theme)
        facet_count = rng.choices((0, 1, 2), cum_weights=FACET_COUNT_CUM)[0]
        facet_ids = rng.sample(self.reference.facets, k=min(facet_count, len(self.reference.facets)))
        sdg_ids = self._sdgs(topic)

        published_at = self._published_at(year_launched)
        created_at = published_at - dt.timedelta(seconds=rng.randint(3_600, 180 * 86_400))
        last_verified = None
        if rng.random() < 0.7:
            days_since = (self.today - published_at.date()).days
            last_verified = published_at.date() + dt.timedelta(days=rng.randint(0, max(days_since, 0)))
        slug = case_slug(self.seed, number)
        case = CaseStudy(
            title=title,
            slug=slug,
            summary=summary,
            **narrative,
            lead_organisation=organisation,
            organisation_type=organisation_type,
            economy_id=economy_id,
            level=level,
            stage=stage,
            year_launched=year_launched,
            year_ended=year_ended,
            website=f"https://example.org/cases/{slug}" if rng.random() < 0.6 else "",
            source=f"Synthetic case made by generate_cases (seed {self.seed}).",
            last_verified=last_verified,
            is_featured=rng.random() < 0.01,
            status=Status.PUBLISHED,
            published_at=published_at,
            created_at=created_at,
        )
        return GeneratedCase(
            case=case,
            sector_ids=sector_ids,
            theme_ids=theme_ids,
            facet_ids=facet_ids,
            sdg_ids=sdg_ids,
            other_economy_ids=[other[0] for other in others],
            outcomes=self._outcomes(topic, year_launched),
        )

    def _organisation(self, organisation_type, level, topic, economy_name, region, city, stem) -> str:
        rng = self.rng
        portfolio = topic.portfolio
        region_name = region.removeprefix("the ")
        if organisation_type == OrganisationType.GOVERNMENT:
            if level == Level.REGIONAL:
                options = (
                    f"{region_name} Government",
                    f"{region_name} Department of {portfolio}",
                    f"{region_name} {portfolio} Bureau",
                )
            elif level == Level.LOCAL:
                options = (
                    f"{city} City Council",
                    f"{city} Municipal Corporation",
                    f"{city} Metropolitan Government",
                    f"{city} {portfolio} Office",
                )
            else:
                options = (
                    f"Ministry of {portfolio}",
                    f"National {portfolio} Agency",
                    f"Department of {portfolio}",
                    "Prime Minister's Delivery Unit",
                )
        elif organisation_type == OrganisationType.NGO:
            options = (
                f"{city} Community Development Foundation",
                f"{economy_name} Civic Tech Network",
                f"Centre for {portfolio} Action",
                f"{region_name} Citizens' Alliance",
            )
        elif organisation_type == OrganisationType.INTERNATIONAL:
            options = (
                "Asian Productivity Organization",
                f"UNDP {economy_name}",
                "Asian Development Bank",
                f"World Bank {economy_name} Office",
                f"UNICEF {economy_name}",
            )
        elif organisation_type == OrganisationType.ACADEMIA:
            options = (
                f"University of {city}",
                f"{economy_name} Institute of Public Administration",
                f"{city} Institute of Technology",
                f"Centre for Public Policy, University of {city}",
            )
        elif organisation_type == OrganisationType.PRIVATE:
            options = (f"{stem}Tech {economy_name}", f"{city} Digital Solutions", f"{stem}Works Consulting")
        else:
            options = (
                f"National Productivity Council of {economy_name}",
                f"{economy_name} Productivity Centre",
                f"Office of the Ombudsman of {economy_name}",
                f"{economy_name} National Audit Office",
            )
        return _shorten(rng.choice(options), 200)

    def _section(self, section: str, context: dict) -> str:
        """One to six paragraphs of two to four sentences, about half of them particular to the section."""
        rng = self.rng
        sizes = [
            rng.randint(2, 4) for _ in range(rng.choices(range(1, 7), cum_weights=PARAGRAPH_COUNT_CUM)[0])
        ]
        total = sum(sizes)
        own = SECTION_SENTENCES[section]
        particular = rng.sample(own, k=min(len(own), (total + 1) // 2))
        shared = rng.sample(GENERIC_SENTENCES, k=total - len(particular))
        sentences = [s for pair in zip_longest(particular, shared) for s in pair if s is not None]
        paragraphs, start = [], 0
        for size in sizes:
            paragraphs.append(" ".join(sentences[start : start + size]))
            start += size
        return "\n\n".join(paragraphs).format_map(context)

    def _sectors(self, topic: Topic) -> list[int]:
        rng = self.rng
        primary = self.reference.sectors.get(topic.sector) or rng.choice(self.all_sector_ids)
        count = rng.choices((1, 2, 3), cum_weights=SECTOR_COUNT_CUM)[0]
        others = [sector_id for sector_id in self.all_sector_ids if sector_id != primary]
        return [primary, *rng.sample(others, k=min(count - 1, len(others)))]

    def _themes(self, topic: Topic, approach_theme: str) -> list[int]:
        rng = self.rng
        count = rng.choices(range(5), cum_weights=THEME_COUNT_CUM)[0]
        themes = self.reference.themes
        # The approach's theme, then the topic's usual themes, now and then any theme: realistic but varied.
        preferred = [approach_theme, *rng.sample(topic.themes, k=len(topic.themes))]
        chosen = list(dict.fromkeys(themes[slug] for slug in preferred if slug in themes))[:count]
        if chosen and rng.random() < 0.3:
            wildcard = rng.choice(self.all_theme_ids)
            if wildcard not in chosen:
                chosen[-1] = wildcard
        while len(chosen) < count:
            theme_id = rng.choice(self.all_theme_ids)
            if theme_id not in chosen:
                chosen.append(theme_id)
        return chosen

    def _sdgs(self, topic: Topic) -> list[int]:
        rng = self.rng
        count = rng.choices(range(5), cum_weights=SDG_COUNT_CUM)[0]
        sdgs = self.reference.sdgs
        chosen = [sdgs[number] for number in topic.sdgs[:count] if number in sdgs]
        while len(chosen) < count:
            sdg_id = rng.choice(self.all_sdg_ids)
            if sdg_id not in chosen:
                chosen.append(sdg_id)
        return chosen

    def _published_at(self, year_launched: int) -> dt.datetime:
        """Some moment in the last few years, and not before the year the case was launched."""
        earliest = max(
            self.anchor - dt.timedelta(days=PUBLISHED_WITHIN_DAYS),
            dt.datetime(year_launched, 1, 1, tzinfo=dt.UTC),
        )
        span = max(int((self.anchor - earliest).total_seconds()), 3_600)
        return self.anchor - dt.timedelta(seconds=self.rng.randint(1, span))

    def _outcomes(self, topic: Topic, year_launched: int) -> list[Outcome]:
        rng = self.rng
        count = rng.choices(range(4), cum_weights=OUTCOME_COUNT_CUM)[0]
        outcomes = []
        for position, (indicator, unit, direction, low, high) in enumerate(
            rng.sample(topic.indicators, k=min(count, len(topic.indicators)))
        ):
            baseline = None
            if direction == COUNT:
                value = Decimal(rng.randint(low, high))
            else:
                start = rng.uniform(low, high)
                if direction == DOWN:
                    end = start * rng.uniform(0.2, 0.9)
                else:
                    end = start + rng.uniform(0.1, 1.0) * ((100 if unit == "%" else high * 1.5) - start)
                places = 1 if high <= 250 else 0  # "43.5 days", "12.5 %", but "198469 cases"
                baseline, value = Decimal(f"{start:.{places}f}"), Decimal(f"{end:.{places}f}")
            measured_year = rng.randint(min(year_launched + 1, self.current_year), self.current_year)
            measured = dt.date(measured_year, rng.randint(1, 12), 1)
            outcomes.append(
                Outcome(
                    indicator=indicator,
                    value=value,
                    unit=unit,
                    baseline=baseline,
                    date=measured if measured <= self.today else None,
                    source_url="https://example.org/evaluations/" if rng.random() < 0.4 else "",
                    position=position,
                )
            )
        return outcomes


# --- Writing ----------------------------------------------------------------------------------------


@dataclass
class BatchResult:
    created: int = 0
    skipped: int = 0
    links: int = 0
    outcomes: int = 0


M2M_LINKS = (
    ("sectors", "sector_ids"),
    ("themes", "theme_ids"),
    ("facets", "facet_ids"),
    ("sdgs", "sdg_ids"),
    ("other_economies", "other_economy_ids"),
)


def insert_batch(generated: list[GeneratedCase]) -> BatchResult:
    """Insert one batch in one transaction; cases whose slug already exists are skipped, with their links."""
    result = BatchResult()
    slugs = [item.case.slug for item in generated]
    existing = set(CaseStudy.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    new = [item for item in generated if item.case.slug not in existing]
    result.skipped = len(generated) - len(new)
    if not new:
        return result
    with transaction.atomic():
        CaseStudy.objects.bulk_create([item.case for item in new])
        for field_name, attribute in M2M_LINKS:
            m2m = CaseStudy._meta.get_field(field_name)
            through = m2m.remote_field.through
            source, target = f"{m2m.m2m_field_name()}_id", f"{m2m.m2m_reverse_field_name()}_id"
            rows = [
                through(**{source: item.case.pk, target: target_id})
                for item in new
                for target_id in getattr(item, attribute)
            ]
            through.objects.bulk_create(rows)
            result.links += len(rows)
        outcomes = []
        for item in new:
            for outcome in item.outcomes:
                outcome.case_id = item.case.pk
                outcomes.append(outcome)
        Outcome.objects.bulk_create(outcomes)
        # bulk_create sends no signals, so no task makes their narratives' HTML (cases/models/rendered.py).
        RenderedNarrative.objects.bulk_create(original_rows(item.case for item in new))
    result.created = len(new)
    result.outcomes = len(outcomes)
    return result

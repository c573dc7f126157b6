"""The catalogue in numbers: the aggregates behind /stats/, the economy profiles' charts and the map.

`case_statistics()` gives exactly what GET /api/v1/stats/ gives (the same buckets, the same order), plus
`by_year_sector` for the stacked timeline, so a page's tables, its charts (drawn from the API) and a
partner's pull never disagree. Everything here reads through the one FilterSet's queryset of published
cases; nothing unpublished is ever counted.
"""

import json

from django.utils.translation import gettext_lazy as _
from pyroaring import FrozenBitMap

from cases.caching import cached, vocabulary_snapshot
from cases.insights.bitmaps import METHOD, CatalogueBitmaps, choice_buckets, term_buckets
from cases.models import Economy, Stage
from cases.models.facets import CHOICE, FACETS, RELATED_COLUMN, Facet
from cases.web.formatting import format_year

ECONOMY = "economy"

# ISO 3166-1 alpha-2 -> numeric, as Natural Earth's TopoJSON (the world-atlas package) names countries.
# From Debian's iso-codes (iso_3166-1.json); the Economy model keeps only the letter codes.
_ISO_NUMERIC_TABLE = (
    "AD020 AE784 AF004 AG028 AI660 AL008 AM051 AO024 AQ010 AR032 AS016 AT040 AU036 AW533 AX248 AZ031 "
    "BA070 BB052 BD050 BE056 BF854 BG100 BH048 BI108 BJ204 BL652 BM060 BN096 BO068 BQ535 BR076 BS044 "
    "BT064 BV074 BW072 BY112 BZ084 CA124 CC166 CD180 CF140 CG178 CH756 CI384 CK184 CL152 CM120 CN156 "
    "CO170 CR188 CU192 CV132 CW531 CX162 CY196 CZ203 DE276 DJ262 DK208 DM212 DO214 DZ012 EC218 EE233 "
    "EG818 EH732 ER232 ES724 ET231 FI246 FJ242 FK238 FM583 FO234 FR250 GA266 GB826 GD308 GE268 GF254 "
    "GG831 GH288 GI292 GL304 GM270 GN324 GP312 GQ226 GR300 GS239 GT320 GU316 GW624 GY328 HK344 HM334 "
    "HN340 HR191 HT332 HU348 ID360 IE372 IL376 IM833 IN356 IO086 IQ368 IR364 IS352 IT380 JE832 JM388 "
    "JO400 JP392 KE404 KG417 KH116 KI296 KM174 KN659 KP408 KR410 KW414 KY136 KZ398 LA418 LB422 LC662 "
    "LI438 LK144 LR430 LS426 LT440 LU442 LV428 LY434 MA504 MC492 MD498 ME499 MF663 MG450 MH584 MK807 "
    "ML466 MM104 MN496 MO446 MP580 MQ474 MR478 MS500 MT470 MU480 MV462 MW454 MX484 MY458 MZ508 NA516 "
    "NC540 NE562 NF574 NG566 NI558 NL528 NO578 NP524 NR520 NU570 NZ554 OM512 PA591 PE604 PF258 PG598 "
    "PH608 PK586 PL616 PM666 PN612 PR630 PS275 PT620 PW585 PY600 QA634 RE638 RO642 RS688 RU643 RW646 "
    "SA682 SB090 SC690 SD729 SE752 SG702 SH654 SI705 SJ744 SK703 SL694 SM674 SN686 SO706 SR740 SS728 "
    "ST678 SV222 SX534 SY760 SZ748 TC796 TD148 TF260 TG768 TH764 TJ762 TK772 TL626 TM795 TN788 TO776 "
    "TR792 TT780 TV798 TW158 TZ834 UA804 UG800 UM581 US840 UY858 UZ860 VA336 VC670 VE862 VG092 VI850 "
    "VN704 VU548 WF876 WS882 YE887 YT175 ZA710 ZM894 ZW716 "
)
ISO_NUMERIC = {item[:2]: item[2:] for item in _ISO_NUMERIC_TABLE.split()}


# --- The stats buckets (the same as GET /api/v1/stats/) --------------------------------------------


def selection_statistics(bitmaps: CatalogueBitmaps, selection) -> dict:
    """Every bucket for `selection` (a bitmap of published case ids), counted on the catalogue's bitmaps.

    Orders as the API documents: most cases first, ties by name in the database's collation (which
    Python's string order is not); levels and stages by code on ties; years, SDGs and the timeline in
    their own order. Only values with at least one case appear.
    """
    count = len(selection)
    with_outcomes = selection.intersection_cardinality(bitmaps.with_outcomes)
    year_counts = {year: n for year, n in bitmaps.counts("year", selection).items() if year is not None}
    return {
        "count": count,
        "with_outcomes": with_outcomes,
        "outcome_share": round(with_outcomes / count, 4) if count else 0.0,
        **{f"by_{facet.parameter}": facet_buckets(bitmaps, facet, selection) for facet in FACETS},
        "by_year": year_buckets(year_counts),
        "by_year_sector": year_sector_buckets(bitmaps, selection, sorted(year_counts)),
        "by_method": term_buckets(bitmaps, METHOD, bitmaps.counts(METHOD, selection)),
        "by_economy_method": economy_method_buckets(bitmaps, selection),
    }


def economy_method_buckets(bitmaps: CatalogueBitmaps, selection) -> list[dict]:
    """How many cases of each economy used each method (issue 18): economies by name, then methods by how
    many cases used them. Only pairs with cases appear."""
    economies, methods = bitmaps.terms[ECONOMY], bitmaps.terms[METHOD]
    rows = []
    for economy_pk in sorted(bitmaps.counts(ECONOMY, selection), key=lambda pk: economies[pk].name_rank):
        of_economy = selection & bitmaps.by_value[ECONOMY][economy_pk]
        counts = bitmaps.counts(METHOD, of_economy)
        for method_pk, n in sorted(counts.items(), key=lambda item: (-item[1], methods[item[0]].name_rank)):
            rows.append(
                {
                    "economy": economies[economy_pk].value,
                    "economy_label": economies[economy_pk].label,
                    "value": methods[method_pk].value,
                    "label": methods[method_pk].label,
                    "count": n,
                }
            )
    return rows


def facet_buckets(bitmaps: CatalogueBitmaps, facet: Facet, selection) -> list[dict]:
    """The buckets of one row of the facet table: choices by code on ties, numbered terms (SDGs) by their
    number, other terms and economies by name on ties, regions by their name's rank."""
    if facet.kind == CHOICE:
        return choice_buckets(bitmaps.counts(facet.parameter, selection), facet.choices)
    if facet.kind == RELATED_COLUMN:
        regions = bitmaps.regions
        counts = bitmaps.counts_by_value(facet.parameter, selection)
        return [
            {"value": code, "label": regions[code][1], "count": n}
            for code, n in sorted(counts.items(), key=lambda item: (-item[1], regions[item[0]][0]))
        ]
    counts = bitmaps.counts(facet.parameter, selection)
    return term_buckets(bitmaps, facet.parameter, counts, by_number=facet.value_range is not None)


def year_buckets(year_counts: dict) -> list[dict]:
    return [{"value": str(year), "label": str(year), "count": n} for year, n in sorted(year_counts.items())]


def with_empty_years(buckets: list[dict]) -> list[dict]:
    """`by_year`'s buckets (years with cases, in order) with a bucket of 0 for every year between the first
    and the last that has none, as the pages' timelines show them: a gap is a year, not a missing bar
    (issue 19). The API's `by_year` keeps only the years with cases (docs/api.md); static/js/stats.js fills
    the same gaps when it redraws from it."""
    if not buckets:
        return []
    counts = {int(bucket["value"]): bucket for bucket in buckets}
    return [
        counts.get(year) or {"value": str(year), "label": format_year(year), "count": 0}
        for year in range(min(counts), max(counts) + 1)
    ]


def year_sector_buckets(bitmaps: CatalogueBitmaps, selection, years) -> list[dict]:
    """Cases launched each year, by sector: the stacked timeline's data, years in order, sectors in their
    curated order. A case in two sectors counts once in each, so a year's stack can add up to more than
    the cases launched that year (by_year has those). Cases with no year are left out."""
    sectors = sorted(bitmaps.terms["sector"].values(), key=lambda term: (term.position, term.name_rank))
    rows = []
    for year in years:
        launched = selection & bitmaps.by_value["year"][year]
        for sector in sectors:
            n = launched.intersection_cardinality(bitmaps.by_value["sector"].get(sector.pk, FrozenBitMap()))
            if n:
                rows.append({"year": str(year), "value": sector.value, "label": sector.label, "count": n})
    return rows


def case_statistics(filterset):
    """The statistics of a valid CaseStudyFilterSet's selection of published cases, cached per selection
    and catalogue version (every write bumps the version, so a cached answer is never older than the
    catalogue). Uncached, the cost is the selection's own query; the counting is bitmap intersections."""

    def compute():
        bitmaps = CatalogueBitmaps.current()
        return selection_statistics(bitmaps, bitmaps.select(filterset))

    listing = filterset.selects_by_listing_only()
    return in_active_language(cached("stats", filterset.cache_parts(), compute, listing=listing))


def in_active_language(statistics: dict) -> dict:
    """The statistics with every bucket's label in the active language. The cached figures are shared by
    every language (and a choice's label was translated in whichever language computed them first): only
    the labels differ, so they are put in afresh, from the vocabulary snapshot and the choices."""
    labels = bucket_labels()
    translated = dict(statistics)
    for facet in FACETS:
        key, names = f"by_{facet.parameter}", labels[facet.parameter]
        translated[key] = [
            {**bucket, "label": names.get(str(bucket["value"]), bucket["label"])}
            for bucket in statistics[key]
        ]
    # A year's value stays Gregorian (the library's ?year= takes it); its label counts in the reader's era.
    translated["by_year"] = [
        {**bucket, "label": format_year(bucket["value"])} for bucket in statistics["by_year"]
    ]
    sectors = labels["sector"]
    translated["by_year_sector"] = [
        {**row, "label": sectors.get(str(row["value"]), row["label"])} for row in statistics["by_year_sector"]
    ]
    economies = labels["economy"]
    translated["by_economy_method"] = [
        {**row, "economy_label": economies.get(row["economy"], row["economy_label"])}
        for row in statistics["by_economy_method"]
    ]
    return translated


def bucket_labels() -> dict[str, dict[str, str]]:
    """{parameter: {value as text: label in the active language}} for every row of the facet table."""
    snapshot = vocabulary_snapshot()
    labels = {}
    for facet in FACETS:
        if facet.kind == CHOICE:
            labels[facet.parameter] = {str(code): str(label) for code, label in facet.choices.choices}
        else:
            pairs = snapshot.labels(facet.model, facet.value_field, facet.label_field)
            labels[facet.parameter] = {str(value): label for value, label in pairs}
    return labels


# --- The map ----------------------------------------------------------------------------------------


def economy_map_codes():
    """What the map needs to place economies: {iso2: ISO numeric} and the APO members' numeric codes."""
    codes, members = {}, []
    for iso2, is_member in vocabulary_snapshot().values(Economy, "iso2", "is_apo_member"):
        numeric = ISO_NUMERIC.get(iso2)
        if numeric:
            codes[iso2] = numeric
            if is_member:
                members.append(numeric)
    members.sort()
    # The members' names in the reader's language, for the shapes of those without cases, which the atlas
    # would otherwise name in its own English ("Vietnam" where the APO writes Viet Nam: issue 19).
    labels = dict(vocabulary_snapshot().labels(Economy, "iso2", "name"))
    names = {
        numeric: labels[iso2] for iso2, numeric in codes.items() if numeric in members and iso2 in labels
    }
    # Also as JSON, for the map element's data-* attributes (no inline script under the CSP).
    return {
        "codes": codes,
        "apo_members": members,
        "codes_json": json.dumps(codes, sort_keys=True),
        "apo_members_json": json.dumps(members),
        "names_json": json.dumps(names, sort_keys=True, ensure_ascii=False),
    }


# --- Economy profiles -------------------------------------------------------------------------------


def share(part, whole):
    return round(100 * part / whole, 1) if whole else 0.0


def economy_profile_charts(economy, here):
    """An economy's sectors, themes, stages and years, each beside the APO-wide figure.

    `here` are the economy's published cases, as a bitmap of ids (from the same FilterSet as the library
    link: CatalogueBitmaps.select). APO-wide
    means every published case whose primary economy is an APO member. Shares are "% of cases that
    include it": a case in two sectors counts in both, so a column can add up to more than 100%.
    """
    bitmaps = CatalogueBitmaps.current()
    total = len(here)
    apo = bitmaps.cases_with("economy", bitmaps.apo_economies)
    apo_total = len(apo)
    labels = bucket_labels()  # in the reader's language

    def compare_terms(parameter):
        counts_here = bitmaps.counts(parameter, here)
        counts_apo = bitmaps.counts(parameter, apo)
        everywhere = sorted(
            (term for term in bitmaps.terms[parameter].values() if counts_apo.get(term.pk)),
            key=lambda term: (term.position, term.name_rank),
        )
        rows = [
            {
                "value": term.value,
                "label": labels.get(parameter, {}).get(term.value, term.label),
                "count": counts_here.get(term.pk, 0),
                "share": share(counts_here.get(term.pk, 0), total),
                "apo_count": counts_apo[term.pk],
                "apo_share": share(counts_apo[term.pk], apo_total),
            }
            for term in everywhere
        ]
        return sorted(rows, key=lambda row: (-row["count"], -row["apo_count"], row["label"]))

    stages_here = bitmaps.counts("stage", here)
    stages_apo = bitmaps.counts("stage", apo)
    stages = [
        {
            "value": stage.value,
            "label": str(stage.label),
            "count": stages_here.get(stage.value, 0),
            "share": share(stages_here.get(stage.value, 0), total),
            "apo_count": stages_apo.get(stage.value, 0),
            "apo_share": share(stages_apo.get(stage.value, 0), apo_total),
        }
        for stage in Stage
        if stages_here.get(stage.value) or stages_apo.get(stage.value)
    ]
    years = with_empty_years(
        year_buckets({year: n for year, n in bitmaps.counts("year", here).items() if year is not None})
    )
    library_query = f"economy={economy.iso2}"
    return {
        "apo_total": apo_total,
        "profile_charts": [
            {
                "key": "sector",
                "parameter": "sector",
                "title": _("Sectors, beside all APO economies"),
                "column": _("Sector"),
                "rows": compare_terms("sector"),
                "several": _("A case can be in several sectors, so shares can add up to more than 100%."),
            },
            {
                "key": "theme",
                "parameter": "theme",
                "title": _("Themes, beside all APO economies"),
                "column": _("Theme"),
                "rows": compare_terms("theme"),
                "several": _("A case can have several themes, so shares can add up to more than 100%."),
            },
            {
                "key": "stage",
                "parameter": "stage",
                "title": _("Innovation stages, beside all APO economies"),
                "column": _("Stage"),
                "rows": stages,
            },
            {
                "key": "method",
                "parameter": "method",
                "title": _("Methods used, beside all APO economies"),
                "column": _("Method"),
                "rows": compare_terms(METHOD),
                "several": _("A case can use several methods, so shares can add up to more than 100%."),
            },
        ],
        "timeline_rows": [
            dict(
                year,
                label=format_year(year["value"]),  # in the reader's era (a Thai reader's Buddhist Era)
                # A year with no case gets no link: the library would only say so.
                query=f"{library_query}&year_from={year['value']}&year_to={year['value']}"
                if year["count"]
                else None,
                parts_json="[]",
            )
            for year in years
        ],
        "undated_count": total - sum(year["count"] for year in years),
        "map": economy_map_codes(),
    }

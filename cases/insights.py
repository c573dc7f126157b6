"""The catalogue in numbers: the aggregates behind /stats/, the economy profiles' charts and the map.

`case_statistics()` gives exactly what GET /api/v1/stats/ gives (the same buckets, the same order), plus
`by_year_sector` for the stacked timeline, so a page's tables, its charts (drawn from the API) and a
partner's pull never disagree. Everything here reads through the one FilterSet's queryset of published
cases; nothing unpublished is ever counted.
"""

import json

from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from .caching import cached
from .models import SDG, CaseStudy, Economy, InnovationFacet, Level, Outcome, Sector, Stage, Theme

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


def by_column(cases, value, label):
    rows = cases.values_list(value, label).annotate(n=Count("pk")).order_by("-n", label)
    return [{"value": str(code), "label": name, "count": n} for code, name, n in rows]


def by_term(terms, value, order=None):
    rows = (
        terms.annotate(n=Count("cases")).order_by(*(order or ("-n", "name"))).values_list(value, "name", "n")
    )
    return [{"value": str(code), "label": name, "count": n} for code, name, n in rows]


def by_choice(cases, field, choices):
    rows = cases.values_list(field).annotate(n=Count("pk")).order_by("-n", field)
    return [{"value": code, "label": str(choices(code).label), "count": n} for code, n in rows]


def by_year(cases):
    rows = (
        cases.filter(year_launched__isnull=False)
        .values_list("year_launched")
        .annotate(n=Count("pk"))
        .order_by("year_launched")
    )
    return [{"value": str(year), "label": str(year), "count": n} for year, n in rows]


def year_sector_counts(cases):
    """Cases launched each year, by sector: the stacked timeline's data.

    `cases` is a queryset of the selected cases. A case in two sectors counts once in each, so a year's
    stack can add up to more than the cases launched that year (by_year has those).
    """
    rows = (
        cases.filter(year_launched__isnull=False)
        .values_list("year_launched", "sectors__slug", "sectors__name")
        .annotate(n=Count("pk"))
        .order_by("year_launched", "sectors__position", "sectors__name")
    )
    return [
        {"year": str(year), "value": slug, "label": name, "count": n}
        for year, slug, name, n in rows
        if slug is not None
    ]


def case_level_buckets(cases):
    """count, with_outcomes and the by_economy/region/level/stage/year buckets from ONE grouped query.

    Each of those is a count over the cases' own columns; asked one by one they scan the case table seven
    times (seconds at 100,000 cases). Here one scan groups by every such column at once and Python adds
    the groups up. Ties are ordered as the database orders the names (its collation, which Python's string
    order is not), so the result is exactly what the per-bucket queries gave.
    """
    has_outcome = Exists(Outcome.objects.filter(case=OuterRef("pk")))
    groups = list(
        cases.annotate(has_outcome=has_outcome)
        .values_list("economy_id", "level", "stage", "year_launched", "has_outcome")
        .annotate(n=Count("pk"))
        .order_by()
    )
    totals = {"economy": {}, "level": {}, "stage": {}, "year": {}}
    count = with_outcomes = 0
    for economy_id, level, stage, year, outcome, n in groups:
        count += n
        with_outcomes += n if outcome else 0
        for key, value in (("economy", economy_id), ("level", level), ("stage", stage), ("year", year)):
            totals[key][value] = totals[key].get(value, 0) + n
    economies = {}
    regions = {}
    if count:
        # Names in the database's order: the tie-break of the per-bucket queries' ORDER BY -n, name.
        economies = {
            pk: (position, iso2, name, code)
            for position, (pk, iso2, name, code) in enumerate(
                Economy.objects.order_by("name").values_list("pk", "iso2", "name", "subregion_code")
            )
        }
        regions = {
            code: (position, name)
            for position, (code, name) in enumerate(
                Economy.objects.order_by("subregion_name", "subregion_code")
                .values_list("subregion_code", "subregion_name")
                .distinct()
            )
        }
    by_economy = sorted(totals["economy"].items(), key=lambda item: (-item[1], economies[item[0]][0]))
    region_totals = {}
    for economy_id, n in totals["economy"].items():
        code = economies[economy_id][3]
        region_totals[code] = region_totals.get(code, 0) + n
    by_region = sorted(region_totals.items(), key=lambda item: (-item[1], regions[item[0]][0]))
    return {
        "count": count,
        "with_outcomes": with_outcomes,
        "outcome_share": round(with_outcomes / count, 4) if count else 0.0,
        "by_economy": [
            {"value": economies[pk][1], "label": economies[pk][2], "count": n} for pk, n in by_economy
        ],
        "by_region": [{"value": code, "label": regions[code][1], "count": n} for code, n in by_region],
        "by_level": choice_buckets(totals["level"], Level),
        "by_stage": choice_buckets(totals["stage"], Stage),
        "by_year": [
            {"value": str(year), "label": str(year), "count": n}
            for year, n in sorted(item for item in totals["year"].items() if item[0] is not None)
        ],
    }


def choice_buckets(totals, choices):
    return [
        {"value": code, "label": str(choices(code).label), "count": n}
        for code, n in sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    ]


def compute_case_statistics(selection):
    """Every bucket for the cases of `selection` (any queryset of published cases), uncached."""
    matching = selection.order_by().values("pk")
    # Grouping the selection itself saves joining the case table to itself; a search's selection carries
    # its rank annotation, which must not enter the GROUP BY, so that one is grouped through its keys.
    if selection.query.annotations:
        cases = CaseStudy.objects.filter(pk__in=matching).order_by()
    else:
        cases = selection.order_by()
    buckets = case_level_buckets(cases)
    return {
        "count": buckets["count"],
        "with_outcomes": buckets["with_outcomes"],
        "outcome_share": buckets["outcome_share"],
        "by_economy": buckets["by_economy"],
        "by_region": buckets["by_region"],
        "by_sector": by_term(Sector.objects.filter(cases__in=matching), "slug"),
        "by_theme": by_term(Theme.objects.filter(cases__in=matching), "slug"),
        "by_facet": by_term(InnovationFacet.objects.filter(cases__in=matching), "slug"),
        "by_sdg": by_term(SDG.objects.filter(cases__in=matching), "number", order=("number",)),
        "by_level": buckets["by_level"],
        "by_stage": buckets["by_stage"],
        "by_year": buckets["by_year"],
        "by_year_sector": year_sector_counts(cases),
    }


def case_statistics(filterset):
    """The statistics of a valid CaseStudyFilterSet's selection, cached per selection and catalogue version
    (every write bumps the version, so a cached answer is never older than the catalogue)."""
    return cached("stats", filterset.cache_parts(), lambda: compute_case_statistics(filterset.qs))


# --- The map ----------------------------------------------------------------------------------------


def economy_map_codes():
    """What the map needs to place economies: {iso2: ISO numeric} and the APO members' numeric codes."""
    codes, members = {}, []
    for iso2, is_member in Economy.objects.order_by().values_list("iso2", "is_apo_member"):
        numeric = ISO_NUMERIC.get(iso2)
        if numeric:
            codes[iso2] = numeric
            if is_member:
                members.append(numeric)
    members.sort()
    # Also as JSON, for the map element's data-* attributes (no inline script under the CSP).
    return {
        "codes": codes,
        "apo_members": members,
        "codes_json": json.dumps(codes, sort_keys=True),
        "apo_members_json": json.dumps(members),
    }


# --- Economy profiles -------------------------------------------------------------------------------


def share(part, whole):
    return round(100 * part / whole, 1) if whole else 0.0


def economy_profile_charts(economy, cases):
    """An economy's sectors, themes, stages and years, each beside the APO-wide figure.

    `cases` are the economy's published cases (from the same FilterSet as the library link). APO-wide
    means every published case whose primary economy is an APO member. Shares are "% of cases that
    include it": a case in two sectors counts in both, so a column can add up to more than 100%.
    """
    ids = cases.order_by().values("pk")
    total = cases.order_by().count()
    apo = CaseStudy.objects.published().filter(economy__is_apo_member=True).order_by()
    apo_total = apo.count()
    apo_ids = apo.values("pk")

    def compare_terms(model):
        here = dict(
            model.objects.filter(cases__in=ids).values_list("slug").annotate(n=Count("cases")).order_by()
        )
        everywhere = model.objects.annotate(n=Count("cases", filter=Q(cases__in=apo_ids))).filter(n__gt=0)
        rows = [
            {
                "value": term.slug,
                "label": term.name,
                "count": here.get(term.slug, 0),
                "share": share(here.get(term.slug, 0), total),
                "apo_count": term.n,
                "apo_share": share(term.n, apo_total),
            }
            for term in everywhere.order_by("position", "name")
        ]
        return sorted(rows, key=lambda row: (-row["count"], -row["apo_count"], row["label"]))

    stages_here = dict(cases.order_by().values_list("stage").annotate(n=Count("pk")))
    stages_apo = dict(apo.values_list("stage").annotate(n=Count("pk")))
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
    library_query = f"economy={economy.iso2}"
    years = by_year(CaseStudy.objects.filter(pk__in=ids).order_by())
    return {
        "apo_total": apo_total,
        "profile_charts": [
            {
                "key": "sector",
                "parameter": "sector",
                "title": _("Sectors, beside all APO economies"),
                "column": _("Sector"),
                "rows": compare_terms(Sector),
                "several": True,
            },
            {
                "key": "theme",
                "parameter": "theme",
                "title": _("Themes, beside all APO economies"),
                "column": _("Theme"),
                "rows": compare_terms(Theme),
                "several": True,
            },
            {
                "key": "stage",
                "parameter": "stage",
                "title": _("Innovation stages, beside all APO economies"),
                "column": _("Stage"),
                "rows": stages,
            },
        ],
        "timeline_rows": [
            dict(
                year,
                query=f"{library_query}&year_from={year['value']}&year_to={year['value']}",
                parts_json="[]",
            )
            for year in years
        ],
        "undated_count": total - sum(year["count"] for year in years),
        "map": economy_map_codes(),
    }

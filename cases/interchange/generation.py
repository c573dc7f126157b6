"""Synthetic but realistic published case studies, for load tests and benchmarks (`generate_cases`).

Every value comes from one `random.Random(seed)` drawn in a fixed order, so a seed always yields the same
cases in the same order: case n of seed 7 is the same whether 10 or 100,000 are asked for. Only the dates
move with the day it runs (they are placed relative to today, so the catalogue always looks current).

Writing bypasses `services.py` on purpose: these rows are load, not curated content, so they are inserted
with `bulk_create` (cases, then the M2M through rows, then outcomes) without per-case history; the data
is built to satisfy every database constraint instead of being checked by `full_clean()`.
"""

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate, zip_longest

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

FIRST_YEAR = 1995
# Cases are published over the last few years, as a catalogue that has been growing for a while.
PUBLISHED_WITHIN_DAYS = 6 * 365
NARRATIVE_FIELDS = [
    "overview",
    "what_is_innovative",
    "collaborations",
    "users_beneficiaries",
    "results_impact",
    "challenges_failures",
    "conditions_for_success",
    "replication",
    "lessons_learned",
]


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


# The word lists are tables: kept as compact rows rather than one word per line.
# fmt: off
TOPICS = (
    Topic(
        sector="economic-affairs", portfolio="Trade and Industry",
        services=("business licensing", "company registration", "construction permits",
                  "export certification",
                  "investment facilitation", "SME credit guarantees"),
        beneficiaries=("small businesses", "micro-enterprises", "first-time exporters", "women entrepreneurs",
                       "street vendors", "foreign investors"),
        problems=("slow and fragmented business licensing", "long waits for construction permits",
                  "high compliance costs for small firms", "informality among micro-enterprises"),
        pains=("visit up to nine offices to obtain a trading licence",
               "submit the same documents to several agencies", "wait months for a permit decision"),
        benefits=("register a company in a single afternoon", "track every application online",
                  "obtain all their licences through one application"),
        stems=("Biz", "Trade", "Permit", "Venture"),
        themes=("one-stop-shops", "regulatory-innovation", "digital-government", "financial-inclusion"),
        sdgs=(8, 9, 17),
        indicators=(("Days to obtain a business licence", "days", DOWN, 7, 120),
                    ("Businesses registered online", "businesses", COUNT, 500, 250_000),
                    ("Compliance cost per firm", "USD", DOWN, 150, 4_000)),
    ),
    Topic(
        sector="education", portfolio="Education",
        services=("school enrolment", "teacher professional development", "remote learning",
                  "early-grade reading support", "scholarship applications", "vocational guidance"),
        beneficiaries=("primary school pupils", "rural teachers", "out-of-school youth",
                       "first-generation university students", "parents", "adult learners"),
        problems=("low early-grade reading scores", "teacher shortages in remote schools",
                  "high drop-out rates in lower secondary school", "unequal access to learning materials"),
        pains=("travel for hours to reach the nearest secondary school",
               "fill in paper forms at the district education office", "learn without up-to-date textbooks"),
        benefits=("follow lessons on low-cost devices", "receive coaching tailored to their classroom",
                  "apply for support without leaving their village"),
        stems=("Learn", "Class", "Edu", "Scholar"),
        themes=("digital-government", "inclusion-and-equity", "service-design", "public-sector-skills"),
        sdgs=(4, 5, 10),
        indicators=(("Pupils reading at grade level", "%", UP, 20, 70),
                    ("Drop-out rate", "%", DOWN, 5, 35),
                    ("Teachers trained", "teachers", COUNT, 200, 60_000)),
    ),
    Topic(
        sector="employment-labour", portfolio="Labour and Employment",
        services=("job matching", "unemployment insurance claims", "skills vouchers",
                  "apprenticeship placement",
                  "labour inspection", "migrant worker registration"),
        beneficiaries=("jobseekers", "young graduates", "returning migrant workers",
                       "workers in the informal sector", "older workers", "persons with disabilities"),
        problems=("long-term unemployment among young people", "skills mismatches in the labour market",
                  "unsafe working conditions in small factories",
                  "exploitative recruitment of migrant workers"),
        pains=("queue at the employment office every fortnight", "pay brokers to find work abroad",
               "search for vacancies in scattered newspaper listings"),
        benefits=("receive job offers matched to their skills", "claim benefits online within minutes",
                  "compare training courses by their placement rates"),
        stems=("Job", "Work", "Skill", "Career"),
        themes=("data-and-ai", "digital-government", "inclusion-and-equity", "public-sector-skills"),
        sdgs=(8, 10, 1),
        indicators=(("Jobseekers placed within six months", "%", UP, 15, 60),
                    ("Average time to first job offer", "weeks", DOWN, 4, 40),
                    ("Inspections completed", "inspections", COUNT, 100, 40_000)),
    ),
    Topic(
        sector="environment-climate-agriculture", portfolio="Environment and Agriculture",
        services=("flood early warning", "crop insurance", "waste collection", "air-quality monitoring",
                  "irrigation scheduling", "farm extension advice"),
        beneficiaries=("smallholder farmers", "coastal communities", "fishing households", "urban residents",
                       "farmer cooperatives", "school children"),
        problems=("recurrent flooding in low-lying districts", "crop losses from erratic rainfall",
                  "open burning of household waste", "declining groundwater levels"),
        pains=("learn of rising rivers only when the water arrives", "rely on rumours for market prices",
               "lose a season's harvest without compensation"),
        benefits=("receive flood alerts by SMS hours in advance", "get weather-indexed payouts automatically",
                  "sort and sell recyclable waste"),
        stems=("Agri", "Green", "Farm", "Eco"),
        themes=("climate-resilience", "circular-economy", "data-and-ai", "citizen-participation"),
        sdgs=(13, 2, 15, 12, 6),
        indicators=(("Households reached by early warnings", "households", COUNT, 1_000, 900_000),
                    ("Waste diverted from landfill", "%", UP, 5, 45),
                    ("Crop losses", "USD per hectare", DOWN, 80, 900)),
    ),
    Topic(
        sector="external-relations", portfolio="Foreign Affairs",
        services=("consular services", "visa processing", "development cooperation reporting",
                  "overseas worker protection", "trade facilitation", "diaspora engagement"),
        beneficiaries=("citizens living abroad", "overseas workers", "visiting business travellers",
                       "partner agencies", "diaspora communities", "foreign students"),
        problems=("slow consular assistance in emergencies", "long visa processing times",
                  "poor coordination of development aid", "limited protection for workers abroad"),
        pains=("wait weeks for a passport renewal abroad", "travel to the capital to legalise documents",
               "lose touch with consular staff during emergencies"),
        benefits=("renew passports at any embassy online", "receive emergency alerts wherever they are",
                  "follow aid projects on a public map"),
        stems=("Consul", "Visa", "Global", "Link"),
        themes=("digital-government", "open-government", "crisis-response", "mobile-government"),
        sdgs=(17, 16, 8),
        indicators=(("Average visa processing time", "days", DOWN, 5, 60),
                    ("Consular cases resolved online", "%", UP, 10, 60),
                    ("Citizens registered abroad", "people", COUNT, 2_000, 400_000)),
    ),
    Topic(
        sector="health", portfolio="Health",
        services=("telemedicine", "maternal health check-ups", "vaccination scheduling",
                  "hospital appointment booking", "community health screening", "medicine supply tracking"),
        beneficiaries=("pregnant women", "elderly patients", "rural households", "children under five",
                       "people with chronic diseases", "community health workers"),
        problems=("long waiting times at public hospitals", "low vaccination coverage in remote villages",
                  "stock-outs of essential medicines", "late diagnosis of chronic diseases"),
        pains=("travel a full day to see a specialist", "queue before dawn for an outpatient number",
               "find clinics out of essential medicines"),
        benefits=("consult a doctor by video from the village health post",
                  "book appointments by text message",
                  "receive reminders before each vaccination"),
        stems=("Health", "Care", "Med", "Clinic"),
        themes=("digital-government", "data-and-ai", "service-design", "behavioural-insights",
                "mobile-government"),
        sdgs=(3, 5, 10),
        indicators=(("Average waiting time for an appointment", "days", DOWN, 3, 90),
                    ("Vaccination coverage", "%", UP, 40, 85),
                    ("Teleconsultations delivered", "consultations", COUNT, 1_000, 2_000_000)),
    ),
    Topic(
        sector="housing-community", portfolio="Housing and Local Government",
        services=("social housing allocation", "building inspections", "neighbourhood upgrading",
                  "land titling",
                  "community grants", "homelessness outreach"),
        beneficiaries=("low-income families", "informal settlers", "tenants", "neighbourhood associations",
                       "homeless people", "elderly residents"),
        problems=("overcrowded informal settlements", "opaque allocation of social housing",
                  "insecure land tenure", "neglected public spaces"),
        pains=("wait years on an opaque housing list", "live without a recognised address",
               "have no say in how neighbourhood budgets are spent"),
        benefits=("see their place on the housing list at any time",
                  "obtain a land title in weeks rather than years",
                  "propose and vote on neighbourhood projects"),
        stems=("Home", "Neighbour", "Land", "Habitat"),
        themes=("citizen-participation", "smart-cities", "inclusion-and-equity", "open-government",
                "social-innovation"),
        sdgs=(11, 1, 10, 6),
        indicators=(("Land titles issued", "titles", COUNT, 200, 300_000),
                    ("Time to allocate social housing", "months", DOWN, 6, 60),
                    ("Residents taking part in budget votes", "people", COUNT, 300, 150_000)),
    ),
    Topic(
        sector="information-society-digitalisation", portfolio="Digital Affairs",
        services=("digital identity", "government data exchange", "public Wi-Fi", "e-signatures",
                  "open data publication", "digital literacy training"),
        beneficiaries=("citizens without internet access", "government agencies", "civic technologists",
                       "senior citizens", "software developers", "rural communities"),
        problems=("duplicated data collection across agencies", "a persistent digital divide",
                  "low trust in online services", "siloed legacy systems"),
        pains=("prove their identity again at every agency",
               "give the same information to several ministries",
               "travel to town for basic online services"),
        benefits=("sign documents electronically from home", "reuse verified data across services",
                  "find machine-readable data in one place"),
        stems=("Digi", "Data", "ID", "Net"),
        themes=("digital-identity", "digital-government", "data-and-ai", "open-government",
                "mobile-government"),
        sdgs=(9, 16, 17, 4),
        indicators=(("Services available online", "services", COUNT, 20, 3_000),
                    ("Citizens with a digital identity", "%", UP, 10, 70),
                    ("Data requests answered automatically", "%", UP, 5, 60)),
    ),
    Topic(
        sector="public-administration-reform", portfolio="Public Service",
        services=("civil service recruitment", "performance management", "public procurement",
                  "regulatory impact assessment", "complaint handling", "budget transparency"),
        beneficiaries=("civil servants", "local governments", "suppliers", "taxpayers", "policy teams",
                       "regulators"),
        problems=("slow and paper-heavy procurement", "low public trust in government",
                  "weak evidence behind new regulations", "long delays in handling complaints"),
        pains=("chase complaints through several departments",
               "print and sign hundreds of pages for a tender",
               "wait months for an answer from an agency"),
        benefits=("follow every complaint to its resolution online",
                  "bid for public contracts electronically",
                  "see how public money is spent"),
        stems=("Gov", "Civic", "Reform", "Serve"),
        themes=("innovation-labs", "public-sector-skills", "innovative-procurement",
                "integrity-and-anti-corruption", "open-government", "regulatory-innovation"),
        sdgs=(16, 17),
        indicators=(("Complaints resolved within 30 days", "%", UP, 20, 70),
                    ("Average procurement cycle", "days", DOWN, 30, 240),
                    ("Civil servants trained", "people", COUNT, 100, 80_000)),
    ),
    Topic(
        sector="public-order-safety-justice", portfolio="Justice",
        services=("court case management", "emergency response dispatch", "legal aid",
                  "road safety enforcement",
                  "victim support", "disaster preparedness"),
        beneficiaries=("court users", "survivors of domestic violence", "residents of disaster-prone areas",
                       "young offenders", "police officers", "people without legal representation"),
        problems=("court backlogs", "slow emergency response in rural areas",
                  "underreported domestic violence",
                  "high road fatality rates"),
        pains=("wait years for a hearing", "travel long distances to reach a court",
               "report a crime without any follow-up"),
        benefits=("file cases and follow hearings online", "reach emergency services with one number",
                  "receive free legal advice by phone"),
        stems=("Safe", "Justice", "Guard", "Rescue"),
        themes=("crisis-response", "digital-government", "data-and-ai", "integrity-and-anti-corruption",
                "inclusion-and-equity"),
        sdgs=(16, 5, 11),
        indicators=(("Pending court cases", "cases", DOWN, 2_000, 500_000),
                    ("Emergency response time", "minutes", DOWN, 8, 90),
                    ("People receiving legal aid", "people", COUNT, 300, 200_000)),
    ),
    Topic(
        sector="recreation-culture-religion", portfolio="Culture and Tourism",
        services=("heritage conservation", "public library services", "community sports programmes",
                  "tourism information", "museum digitisation", "cultural grants"),
        beneficiaries=("young people", "local artisans", "visitors", "library users",
                       "indigenous communities",
                       "volunteers"),
        problems=("declining visits to public libraries", "loss of intangible cultural heritage",
                  "overcrowding at heritage sites", "few safe places for young people to play sport"),
        pains=("travel to the capital to see national collections",
               "compete for scarce grants through opaque procedures",
               "find little information in their own language"),
        benefits=("explore digitised collections online", "book community facilities from their phones",
                  "sell crafts directly to visitors"),
        stems=("Heritage", "Culture", "Play", "Story"),
        themes=("social-innovation", "citizen-participation", "digital-government", "inclusion-and-equity"),
        sdgs=(11, 4, 8),
        indicators=(("Library visits", "visits per year", COUNT, 5_000, 3_000_000),
                    ("Items digitised", "items", COUNT, 1_000, 900_000),
                    ("Participants in community sport", "people", COUNT, 200, 120_000)),
    ),
    Topic(
        sector="science-research-innovation", portfolio="Science and Technology",
        services=("research grant management", "technology transfer", "innovation vouchers",
                  "public-sector innovation labs", "challenge prizes", "productivity diagnostics"),
        beneficiaries=("researchers", "start-ups", "manufacturing SMEs", "public servants", "universities",
                       "innovation teams"),
        problems=("low uptake of research by industry", "slow grant decisions",
                  "stagnant productivity in small manufacturers", "risk-averse public organisations"),
        pains=("wait a year for a grant decision", "find no partner for a first prototype",
               "lack the data to benchmark their productivity"),
        benefits=("test ideas with public agencies as first customers",
                  "apply for vouchers in a single online step",
                  "compare their productivity with their peers"),
        stems=("Inno", "Lab", "Spark", "Nova"),
        themes=("innovation-labs", "innovative-procurement", "data-and-ai", "public-sector-skills",
                "regulatory-innovation"),
        sdgs=(9, 8, 17),
        indicators=(("Firms adopting new technology", "firms", COUNT, 20, 20_000),
                    ("Labour productivity gain", "%", UP, 2, 25),
                    ("Grant decision time", "weeks", DOWN, 6, 52)),
    ),
    Topic(
        sector="transport-infrastructure", portfolio="Transport",
        services=("bus network planning", "driving licence renewal", "road maintenance reporting",
                  "ride-pooling for commuters", "port clearance", "public transport ticketing"),
        beneficiaries=("commuters", "truck drivers", "cyclists", "wheelchair users", "freight forwarders",
                       "school children"),
        problems=("chronic traffic congestion", "poorly maintained rural roads",
                  "slow cargo clearance at ports",
                  "unsafe walking routes to school"),
        pains=("spend two hours a day in traffic", "report potholes that are never fixed",
               "wait days for a cargo inspection"),
        benefits=("pay fares with a single card across all modes", "report road defects with a photo",
                  "clear cargo through a single window"),
        stems=("Transit", "Road", "Move", "Port"),
        themes=("smart-cities", "data-and-ai", "mobile-government", "one-stop-shops", "climate-resilience"),
        sdgs=(11, 9, 3, 13),
        indicators=(("Average commute time", "minutes", DOWN, 25, 120),
                    ("Cargo clearance time", "hours", DOWN, 12, 240),
                    ("Potholes repaired within a week", "%", UP, 10, 60)),
    ),
)

# (title adjective, the theme it suggests, how the prose describes the means)
APPROACHES = (
    ("Digital", "digital-government", "a single online platform"),
    ("Mobile", "mobile-government", "a mobile app backed by an SMS service"),
    ("AI-assisted", "data-and-ai", "machine-learning models trained on administrative data"),
    ("Data-driven", "data-and-ai", "a shared dashboard of live administrative data"),
    ("Community-led", "citizen-participation", "community committees and trained local volunteers"),
    ("Participatory", "citizen-participation", "participatory workshops with residents"),
    ("Integrated", "one-stop-shops", "an integrated front office backed by shared case files"),
    ("One-stop", "one-stop-shops", "a one-stop service counter"),
    ("Paperless", "digital-government", "electronic forms and digital signatures"),
    ("Co-designed", "service-design", "service design sprints with the people who use the service"),
    ("Behaviourally informed", "behavioural-insights", "simplified letters and well-timed reminders"),
    ("Open-data", "open-government", "open data published under an open licence"),
    ("Predictive", "data-and-ai", "predictive analytics that flag cases needing attention"),
    ("Outcome-based", "innovative-procurement", "outcome-based contracts with service providers"),
    ("Inclusive", "inclusion-and-equity", "assisted digital channels and outreach in local languages"),
    ("Climate-smart", "climate-resilience", "climate risk data built into everyday decisions"),
    ("Transparent", "integrity-and-anti-corruption", "public tracking of every application and decision"),
    ("Sandbox-tested", "regulatory-innovation", "a regulatory sandbox with time-limited exemptions"),
    ("Lab-incubated", "innovation-labs", "rapid experiments run by a government innovation lab"),
    ("Skills-first", "public-sector-skills", "a training programme for frontline public servants"),
)

# Provinces or states, then cities, of each APO economy (by ISO alpha-2).
PLACES = {
    "BD": (("Dhaka Division", "Chattogram Division", "Khulna Division", "Rajshahi Division",
    "Sylhet Division"),
           ("Dhaka", "Chattogram", "Khulna", "Sylhet", "Rajshahi", "Narayanganj")),
    "KH": (("Siem Reap Province", "Battambang Province", "Kampot Province", "Kandal Province"),
           ("Phnom Penh", "Siem Reap", "Battambang", "Sihanoukville")),
    "TW": (("Taoyuan", "Hualien County", "Yilan County", "Pingtung County"),
           ("Taipei", "Kaohsiung", "Taichung", "Tainan", "Hsinchu")),
    "FJ": (("the Central Division", "the Western Division", "the Northern Division", "the Eastern Division"),
           ("Suva", "Lautoka", "Nadi", "Labasa")),
    "HK": (("Kowloon", "the New Territories", "Hong Kong Island", "the Outlying Islands"),
           ("Sha Tin", "Kwun Tong", "Sham Shui Po", "Tsuen Wan", "Yuen Long")),
    "IN": (("Kerala", "Maharashtra", "Tamil Nadu", "Rajasthan", "Odisha", "Karnataka", "Assam"),
           ("Pune", "Bengaluru", "Surat", "Indore", "Chennai", "Bhubaneswar", "Jaipur")),
    "ID": (("West Java", "Central Java", "East Kalimantan", "Bali", "North Sulawesi", "West Nusa Tenggara"),
           ("Surabaya", "Bandung", "Makassar", "Semarang", "Jakarta", "Banyuwangi")),
    "IR": (("Tehran Province", "Isfahan Province", "Fars Province", "Khorasan Razavi", "Gilan Province"),
           ("Tehran", "Isfahan", "Shiraz", "Mashhad", "Tabriz", "Rasht")),
    "JP": (("Hokkaido", "Osaka Prefecture", "Fukuoka Prefecture", "Nagano Prefecture", "Okinawa Prefecture"),
           ("Yokohama", "Kobe", "Sapporo", "Fukuoka", "Kamaishi", "Aizuwakamatsu")),
    "KR": (("Gyeonggi Province", "Jeju Province", "South Chungcheong Province", "Gangwon Province"),
           ("Seoul", "Busan", "Daegu", "Suwon", "Sejong", "Gwangju")),
    "LA": (("Luang Prabang Province", "Savannakhet Province", "Champasak Province", "Xiangkhouang Province"),
           ("Vientiane", "Luang Prabang", "Pakse", "Savannakhet")),
    "MY": (("Penang", "Selangor", "Sarawak", "Sabah", "Johor"),
           ("Kuala Lumpur", "George Town", "Kuching", "Johor Bahru", "Putrajaya", "Kota Kinabalu")),
    "MN": (("Töv Province", "Darkhan-Uul Province", "Khövsgöl Province", "Dornogovi Province"),
           ("Ulaanbaatar", "Erdenet", "Darkhan", "Choibalsan")),
    "NP": (("Bagmati Province", "Gandaki Province", "Lumbini Province", "Koshi Province", "Karnali Province"),
           ("Kathmandu", "Pokhara", "Lalitpur", "Biratnagar", "Butwal")),
    "PK": (("Punjab", "Sindh", "Khyber Pakhtunkhwa", "Balochistan"),
           ("Lahore", "Karachi", "Peshawar", "Faisalabad", "Islamabad", "Quetta")),
    "PH": (("Central Luzon", "Western Visayas", "the Davao Region", "Calabarzon", "Bicol"),
           ("Quezon City", "Cebu City", "Davao City", "Iloilo City", "Naga City", "Valenzuela")),
    "SG": (("the North-East Region", "the West Region", "the Central Region", "the East Region"),
           ("Jurong", "Punggol", "Tampines", "Woodlands", "Toa Payoh")),
    "LK": (("the Western Province", "the Central Province", "the Southern Province", "the Northern Province"),
           ("Colombo", "Kandy", "Galle", "Jaffna", "Kurunegala")),
    "TH": (("Chiang Mai Province", "Khon Kaen Province", "Phuket Province", "Songkhla Province"),
           ("Bangkok", "Chiang Mai", "Khon Kaen", "Hat Yai", "Udon Thani")),
    "TR": (("Istanbul Province", "Izmir Province", "Gaziantep Province", "Konya Province"),
           ("Istanbul", "Ankara", "Izmir", "Bursa", "Gaziantep", "Eskişehir")),
    "VN": (("Quang Ninh Province", "Lam Dong Province", "the Mekong Delta", "Thua Thien Hue Province"),
           ("Hanoi", "Ho Chi Minh City", "Da Nang", "Hue", "Hai Phong", "Can Tho")),
}
DEFAULT_PLACES = (("the northern provinces", "the southern provinces"), ("the capital", "a secondary city"))
# Economies named with "the" in running text.
WITH_ARTICLE = {"KR": "the Republic of Korea", "TW": "the Republic of China", "PH": "the Philippines"}
# How often each economy is the primary one: larger administrations report more cases.
ECONOMY_WEIGHTS = {"IN": 9, "ID": 8, "JP": 8, "KR": 8, "SG": 7, "MY": 6, "TH": 6, "PH": 6, "TW": 5, "VN": 5,
                   "TR": 5, "BD": 5, "PK": 4, "LK": 4, "IR": 3, "NP": 3, "HK": 3, "MN": 3, "KH": 3, "LA": 2,
                   "FJ": 2}

PARTNERS = (
    "the national statistics office", "a local university", "a civil society network",
    "the Asian Productivity Organization", "a regional development bank", "private technology providers",
    "municipal governments", "the national productivity organisation",
    "the United Nations Development Programme",
    "professional associations", "the ministry of finance", "community-based organisations",
    "a national research institute", "telecommunications operators", "the national audit office",
    "an international foundation",
)
PROGRAMME_SUFFIXES = ("Connect", "Link", "Go", "Hub", "Net", "Point", "Track", "Now", "Plus", "Ready",
                      "Assist",
                      "Gateway", "Care", "Desk")
PROGRAMME_WORDS = ("the initiative", "the programme", "the service", "the pilot", "the reform",
                   "the platform")
INITIATIVE_NOUNS = ("pilot", "programme", "reform", "initiative", "platform", "project", "partnership")

LEVEL_WORDS = {
    Level.NATIONAL: "national", Level.REGIONAL: "regional", Level.LOCAL: "local",
    Level.MULTI_LEVEL: "multi-level", Level.CROSS_BORDER: "cross-border",
}

# --- Sentences: the narrative is assembled from these, then filled with the case's own words ---------

TITLE_TEMPLATES = (
    "{Approach} {service} for {beneficiaries} in {place}",
    "{Approach} {service} in {place}",
    "{Approach} {service} for {beneficiaries}",
    "{Place} {service} {initiative}",
    "Tackling {problem} in {place}",
    "Reducing {problem} through {approach}",
    "{Service} reform for {beneficiaries} in {place}",
    "{Approach} {service}: lessons from {place}",
)
NAMED_TITLE_TEMPLATES = (
    "{Name}: {approach_word} {service} for {beneficiaries}",
    "{Name}: {Service} for {beneficiaries} in {place}",
    "{Name} \u2013 {approach_word} {service} in {place}",
)
SUMMARY_TEMPLATES = (
    "{org} uses {approach} so that {beneficiaries} in {place} can {benefit}.",
    "{Name} tackles {problem} in {place} with {approach}.",
    "A {level_word} initiative that lets {beneficiaries} {benefit} instead of having to {pain}.",
    "{Approach} {service} that helps {beneficiaries} {benefit}.",
    "How {org} cut the burden of {service} for {beneficiaries} through {approach}.",
)

SECTION_SENTENCES = {
    "overview": (
        "{org} launched {name} in {year} to tackle {problem} in {place}.",
        "Before {name}, {beneficiaries} had to {pain}.",
        "{Name} relies on {approach} so that {beneficiaries} can {benefit}.",
        "The initiative grew out of a review of {service}, which found that {beneficiaries} were poorly "
        "served by existing arrangements.",
        "It started as a pilot in a handful of offices and was extended once the early results were in.",
        "Its aim is simple: {beneficiaries} should be able to {benefit}.",
        "{Name} brings together parts of {service} that used to be scattered across several offices.",
        "The service is run by {org} with support from {partner}.",
        "Demand was driven by {problem}, an issue raised repeatedly in parliament, in the media and in "
        "citizen surveys.",
        "By {later_year} it covered most of {place}.",
        "{Name} is now part of the government's wider programme of reform in {service}.",
        "The design was deliberately modest at first, focusing on a few high-volume transactions.",
        "Officials describe {name} as a change in how the state relates to {beneficiaries}, not only a new "
        "tool.",
        "Around {number} {beneficiaries} used it in the first year.",
    ),
    "what_is_innovative": (
        "{Name} was the first initiative in {economy} to use {approach} for {service}.",
        "Instead of asking {beneficiaries} to {pain}, the service now comes to them.",
        "The novelty lies less in the technology than in the way agencies agreed to share responsibility.",
        "The team treated the service as a product that is never finished, releasing improvements every "
        "few weeks.",
        "Rules were rewritten around the needs of {beneficiaries} rather than the structure of government.",
        "It combines {approach} with a clear legal mandate, which earlier attempts lacked.",
        "Decisions that used to take weeks are now made on the basis of data available in real time.",
        "Users were involved from the first sketch to the final rollout.",
        "Unlike earlier reforms, {name} measured its own results from the first day.",
        "The approach turned a compliance-driven process into a service that {beneficiaries} actually want "
        "to use.",
        "Funding was tied to the results achieved rather than to the activities completed.",
        "A small multidisciplinary team was given the authority to change the process from end to end.",
        "Few governments in the region had tried {approach} at this scale.",
    ),
    "collaborations": (
        "{org} worked closely with {partner} and {partner2}.",
        "{Partner} provided technical expertise, while {org} kept ownership of the service.",
        "A formal agreement between {org} and {partner} set out who owns the data and who answers for the "
        "service.",
        "Civil society groups representing {beneficiaries} sat on the advisory board.",
        "Several ministries had to agree on common standards before the service could go live.",
        "The private sector contributed software components, but the government retained the intellectual "
        "property.",
        "Local governments across {place} adapted the service to their own circumstances.",
        "International partners, including {partner2}, shared lessons from similar reforms elsewhere.",
        "Researchers helped design the evaluation and analysed the results independently.",
        "Frontline staff were treated as partners in the design, not only as implementers.",
        "Regular coordination meetings kept the partners aligned on priorities.",
        "{Partner2} financed the first phase and took part in the steering committee.",
        "Associations of {beneficiaries} helped test early versions and spread the word.",
    ),
    "users_beneficiaries": (
        "The main users are {beneficiaries} across {place}.",
        "{Beneficiaries} no longer need to {pain}.",
        "Officials in {org} also benefit from simpler procedures and better information.",
        "Special attention was paid to people with limited literacy or without a smartphone.",
        "Assisted channels remain available for those who cannot use digital services.",
        "Surveys show that {pct}% of users would recommend the service to others.",
        "About {number} {beneficiaries} have used the service so far.",
        "Women and people in remote areas were specifically targeted during outreach.",
        "Intermediaries benefit indirectly from faster and more predictable decisions.",
        "User feedback is collected after every transaction and reviewed each month.",
        "Many {beneficiaries} now {benefit} for the first time.",
        "Demand has grown fastest among younger users and in smaller towns.",
    ),
    "results_impact": (
        "Within {months} months, processing times fell by {pct}%.",
        "The number of {beneficiaries} served rose to around {number}.",
        "An independent evaluation found measurable improvements in satisfaction and speed.",
        "Administrative costs fell as paper processes were retired.",
        "Complaints about {service} dropped sharply after the launch.",
        "{Name} helped reduce {problem}, although the effect varies between districts.",
        "Results are published on an open dashboard that is updated every quarter.",
        "Savings were reinvested in extending the service to neighbouring areas.",
        "The initiative received a national award for public-sector innovation in {later_year}.",
        "Staff report spending less time on routine checks and more on complex cases.",
        "The data collected now informs budget decisions in {org}.",
        "Take-up exceeded the original target by {pct}% in the second year.",
    ),
    "challenges_failures": (
        "Early versions of the service were too complex for many {beneficiaries}.",
        "Resistance from some departments slowed the integration of back-office systems.",
        "Connectivity in parts of {place} remained unreliable, which limited uptake.",
        "The first procurement attempt failed and had to be redesigned.",
        "Legal changes took longer than expected, delaying the rollout by several months.",
        "Keeping skilled staff proved difficult once the private sector began recruiting them.",
        "Some users distrusted the new process and kept using the old channels.",
        "Data quality problems surfaced only after the service went live.",
        "Funding was uncertain after the pilot phase ended.",
        "A change of leadership in {org} briefly put the initiative at risk.",
        "The team underestimated the training that frontline staff would need.",
        "Reaching {beneficiaries} in the most remote areas remained harder than planned.",
    ),
    "conditions_for_success": (
        "Sustained political support from the top of {org} was essential.",
        "A clear legal basis gave agencies the confidence to share data.",
        "Dedicated funding for at least {months} months allowed the team to learn and adjust.",
        "Involving {beneficiaries} from the start built trust in the service.",
        "A small team with the authority to take decisions moved faster than a committee could.",
        "Reliable digital infrastructure and interoperable systems were prerequisites.",
        "Transparent reporting of results kept partners committed.",
        "Training and change management received as much attention as the technology.",
        "Simple, measurable goals helped everyone understand what success looked like.",
        "The partnership with {partner} brought skills the administration did not have.",
        "Strong local champions in {place} kept the momentum going between budget cycles.",
        "Clear rules on data protection reassured {beneficiaries} and staff alike.",
    ),
    "replication": (
        "The model has been adapted by other agencies in {economy}.",
        "Officials from neighbouring economies have visited {place} to study the approach.",
        "The core components are open source, which makes reuse easier.",
        "Replication requires a comparable legal framework and a basic level of digital infrastructure.",
        "A toolkit documenting the process is available to other governments.",
        "Several regions have launched their own versions of {name}.",
        "The approach could be applied to other services with high transaction volumes.",
        "{Partner} is supporting replications in two other economies.",
        "Adaptations should start small and be tested with local users.",
        "The design principles travel well even where the technology differs.",
        "APO workshops have presented {name} to officials from across the region.",
        "Costs of replication are modest once the legal groundwork is in place.",
    ),
    "lessons_learned": (
        "Start with the problems {beneficiaries} actually face, not with the technology.",
        "Measure results early and share them openly, even when they are disappointing.",
        "Invest in the people who will run the service every day.",
        "Small pilots make it easier to secure support for larger reforms.",
        "Cross-agency governance needs to be agreed before the build begins.",
        "Keep non-digital channels open so that nobody is left behind.",
        "Leadership commitment matters most when early results are mixed.",
        "Simplifying the underlying rules often delivers more than digitising them.",
        "Feedback loops with users should be permanent, not a one-off consultation.",
        "Documenting decisions helps the next team, and other governments, learn.",
        "Trust is earned through reliability: a service that works every time wins users over.",
        "Partnerships work best when each partner's role and stake are explicit from the start.",
    ),
}

GENERIC_SUBJECTS = (
    "The project team", "Frontline staff", "Senior officials", "The steering committee", "Local officers",
    "An independent evaluator", "Service designers", "The delivery unit", "Partner agencies",
    "Community representatives", "Data analysts", "The innovation lab",
)
GENERIC_PREDICATES = (
    "reviewed the process every quarter", "mapped each step of the user journey",
    "tested early prototypes with a small group of users",
    "documented the decisions taken and the reasons for them",
    "met weekly to remove bottlenecks", "compared results against the baseline survey",
    "adapted the design after the first round of feedback", "trained colleagues in neighbouring districts",
    "published progress reports on the ministry website",
    "drew on international practice while adapting it to local conditions",
    "worked with procurement officers to simplify contracts",
    "collected feedback through short surveys and interviews",
    "ran workshops to agree on shared standards", "negotiated data-sharing agreements between agencies",
    "kept a public log of changes to the service",
)
GENERIC_QUALIFIERS = (
    "", " during the pilot phase", " with a limited additional budget", " before scaling up",
    " over the following two years", " in close cooperation with {partner}", " across {place}",
    " as the service expanded", " despite staff turnover", " to keep the focus on users",
)
GENERIC_SENTENCES = tuple(
    f"{subject} {predicate}{qualifier}."
    for subject in GENERIC_SUBJECTS for predicate in GENERIC_PREDICATES for qualifier in GENERIC_QUALIFIERS
)
# fmt: on

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
    result.created = len(new)
    result.outcomes = len(outcomes)
    return result

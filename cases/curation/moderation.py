"""The moderation queue: which cases wait for a reviewer, which of them may repeat a case we already have,
and an acceptance checklist (plain language, every section filled, standalone) computed from the case.

Plain functions and QuerySet builders; the admin (cases/admin/catalogue.py, "Moderation queue") only
shows them.
"""

import re
from dataclasses import dataclass, field

from django.db.models import CharField, OuterRef, QuerySet, StringAgg, Subquery, Value
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cases.models import NARRATIVE_SECTIONS, CaseStudy, Status

# The queue's reads are the models' (the queue's proxy model is built on them); re-exported for the admin.
from cases.models.moderation_queue import DUPLICATE_CANDIDATE_STATUS_VALUES, QUEUED_STATUS_VALUES
from cases.models.moderation_queue import moderation_queue as moderation_queue
from cases.search.engine import similar_titles

# What a reviewer acts on: proposals from the public (submitted) and cases sent for review (in_review).
QUEUE_STATUSES = tuple(Status(value) for value in QUEUED_STATUS_VALUES)


# --- The queue (its order is the models': cases/models/moderation_queue.py) ---------------------------


def duplicate_candidates(cases: QuerySet, *, title, pk, economy_id) -> QuerySet:
    """The cases of `cases` (all case studies) that a case with this title, id and economy may repeat:
    published or queued cases of the same economy whose title the search module finds alike."""
    candidates = cases.filter(economy_id=economy_id, status__in=DUPLICATE_CANDIDATE_STATUS_VALUES).exclude(
        pk=pk
    )
    return similar_titles(candidates, title)


def with_possible_duplicates(queryset: QuerySet) -> QuerySet:
    """Annotate each case with `possible_duplicate_ids`: a comma-separated string of the ids of published or
    queued cases of the same economy with a similar title (None when there are none).

    One correlated subquery inside the page's own query: the number of queries does not grow with rows.
    """
    # The plain manager of the concrete model: a queryset of the queue's proxy would add its own annotations.
    all_cases = queryset.model._meta.concrete_model._base_manager.all()
    candidates = duplicate_candidates(
        all_cases, title=OuterRef("title"), pk=OuterRef("pk"), economy_id=OuterRef("economy_id")
    )
    ids = (
        candidates.order_by()
        .values("economy_id")
        .annotate(ids=StringAgg(Cast("pk", CharField()), Value(",")))  # no order_by: SQLite has none
        .values("ids")
    )
    return queryset.annotate(possible_duplicate_ids=Subquery(ids, output_field=CharField()))


def duplicate_ids(case) -> list[int]:
    """The ids annotated by with_possible_duplicates(), as numbers, in order."""
    raw = getattr(case, "possible_duplicate_ids", None) or ""
    return sorted(int(pk) for pk in raw.split(",") if pk)


def possible_duplicates(case: CaseStudy) -> QuerySet:
    """Published or queued cases of the case's economy with a similar title (for its change form)."""
    queryset = CaseStudy.objects.all()
    return (
        duplicate_candidates(
            queryset,
            title=Value(case.title, output_field=CharField()),
            pk=case.pk,
            economy_id=case.economy_id,
        )
        .select_related("economy")
        .order_by("title", "pk")
    )


# --- The acceptance checklist ---------------------------------------------------------------------

# A hint, not a verdict: government plain-language guides aim at 15 to 20 words a sentence on average;
# above 25 most readers have to read a sentence twice.
PLAIN_LANGUAGE_MAX_AVERAGE_WORDS = 25
LONG_SENTENCE_WORDS = 40
# Words that sound like something but say little; a short list, flagged for the reviewer to judge.
JARGON = [
    "leverage",
    "leveraging",
    "synergy",
    "synergies",
    "paradigm",
    "holistic",
    "best-in-class",
    "going forward",
    "utilise",
    "utilize",
    "operationalise",
    "operationalize",
    "value-add",
    "thought leadership",
    "stakeholder ecosystem",
]
JARGON_PATTERN = re.compile(r"\b(" + "|".join(re.escape(term) for term in JARGON) + r")\b", re.IGNORECASE)
# Text that points elsewhere instead of saying it: a case must make sense on its own page.
POINTS_ELSEWHERE = re.compile(
    r"\b(see (the )?attach(ed|ment)|as attached|refer to the attach\w*|click here|"
    r"see (the )?(link|website|document|annex|appendix)( below| above)?|"
    r"(details|more) (are )?in the attach\w*)\b",
    re.IGNORECASE,
)
URL_PATTERN = re.compile(r"(https?://|www\.)\S+", re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
WORD = re.compile(r"[\w'\u2019-]+")  # apostrophes straight and curly


@dataclass(frozen=True)
class Check:
    """One acceptance criterion: passed or not, with what the reviewer should look at."""

    key: str
    label: str
    passed: bool
    details: list[str] = field(default_factory=list)


def _texts(case) -> list[tuple[str, str]]:
    """(heading, text) of the summary and every narrative section, empty ones included."""
    return [(str(_("Summary")), case.summary or "")] + [
        (str(label), getattr(case, name) or "") for name, label in NARRATIVE_SECTIONS
    ]


def sentences(text: str) -> list[list[str]]:
    """The words of each sentence of `text` (links left out: they are not read as words)."""
    text = URL_PATTERN.sub(" ", text)
    return [words for part in SENTENCE_END.split(text) if (words := WORD.findall(part))]


def check_plain_language(case) -> Check:
    """Plain language: average sentence length, very long sentences and a few jargon words."""
    all_sentences = [s for _heading, text in _texts(case) for s in sentences(text)]
    average = sum(map(len, all_sentences)) / len(all_sentences) if all_sentences else 0
    long_ones = sum(1 for s in all_sentences if len(s) > LONG_SENTENCE_WORDS)
    jargon = sorted({match.lower() for _h, text in _texts(case) for match in JARGON_PATTERN.findall(text)})
    details = [
        str(
            _("Sentences average %(average).0f words (aim for %(limit)d or fewer).")
            % {"average": average, "limit": PLAIN_LANGUAGE_MAX_AVERAGE_WORDS}
        )
    ]
    if long_ones:
        details.append(
            ngettext(
                "%(count)d sentence is longer than %(limit)d words.",
                "%(count)d sentences are longer than %(limit)d words.",
                long_ones,
            )
            % {"count": long_ones, "limit": LONG_SENTENCE_WORDS}
        )
    if jargon:
        details.append(
            str(_("Jargon to replace with plain words: %(words)s.") % {"words": ", ".join(jargon)})
        )
    return Check(
        key="plain_language",
        label=str(_("Plain language")),
        passed=average <= PLAIN_LANGUAGE_MAX_AVERAGE_WORDS and not jargon,
        details=details,
    )


def check_sections_filled(case) -> Check:
    """Every OPSI narrative section says something."""
    empty = [str(label) for name, label in NARRATIVE_SECTIONS if not (getattr(case, name) or "").strip()]
    details = (
        [str(_("Empty: %(sections)s.") % {"sections": ", ".join(empty)})]
        if empty
        else [str(_("All %(count)d sections are filled.") % {"count": len(NARRATIVE_SECTIONS)})]
    )
    return Check(
        key="sections_filled", label=str(_("Every section filled")), passed=not empty, details=details
    )


def check_standalone(case) -> Check:
    """The case makes sense on its own: no "see attached" or "click here", no section that is only a link."""
    problems = []
    for heading, text in _texts(case):
        if not text.strip():
            continue
        if POINTS_ELSEWHERE.search(text):
            problems.append(
                str(
                    _("%(section)s points elsewhere (“%(phrase)s”).")
                    % {"section": heading, "phrase": POINTS_ELSEWHERE.search(text).group(0)}
                )
            )
        elif not WORD.findall(URL_PATTERN.sub(" ", text)):
            problems.append(str(_("%(section)s is only a link.") % {"section": heading}))
    return Check(
        key="standalone",
        label=str(_("Standalone")),
        passed=not problems,
        details=problems or [str(_("Nothing points to an attachment or a link instead of saying it."))],
    )


def acceptance_checklist(case) -> list[Check]:
    """The reviewer's acceptance criteria for `case`, each computed from its text (no queries)."""
    return [check_plain_language(case), check_sections_filled(case), check_standalone(case)]

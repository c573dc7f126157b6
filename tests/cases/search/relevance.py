"""The judged relevance set (judged_queries.json) and the measures computed over it (issue #14, item 4).

Each judgement names, for one query an official would type, the demo cases that must be found: `top1` (the
case that must come first), `must` (cases that must all be in the top 5), `relevant` (further cases that are
relevant, graded lower) and `never` (cases that must not be in the top 10: unpublished cases, false friends).
The judgements were written from the content of the demo catalogue (cases/fixtures/demo/), independently of
any search implementation; do not edit them to follow what a search engine returns.

Measures, per query and averaged over the set:
- success@k: every `must` case in the top k, the `top1` case first, and no `never` case in the top 10;
- nDCG@10: graded gains (`top1` and `must` 2, `relevant` 1, everything else 0), the ideal ranking being
  the judged cases in order of their gains.

Used by tests/cases/search/test_relevance.py (against the demo loaded into the test database) and by
bench/search_relevance.py (against any database holding the demo).
"""

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

JUDGED_QUERIES_PATH = Path(__file__).with_name("judged_queries.json")

KINDS = (
    "plain",
    "acronym",
    "typo",
    "accent",
    "phrase",
    "vocabulary",
    "common",
    "rare",
    "hyphenated",
    "synonym",
    "language",  # a query in another language or script, found in a case's translation (issue 16)
)

# The bar the judged set must clear on every database the suite runs on.
SUCCESS_AT_5_BAR = 0.9
NDCG_AT_10_BAR = 0.8

# How deep a ranking is read: nDCG@10, and no `never` case anywhere in the first page of ten.
DEPTH = 10
NEVER_DEPTH = 10

WANTED_GAIN = 2  # top1 and must
RELEVANT_GAIN = 1


def load_judged_queries(path: Path = JUDGED_QUERIES_PATH) -> list[dict]:
    """The judgements, in file order."""
    return json.loads(path.read_text(encoding="utf-8"))


def wanted_slugs(judgement: dict) -> list[str]:
    """The cases that must be found high: the `top1` case (if any), then the `must` cases."""
    wanted = list(judgement.get("top1", []))
    wanted.extend(slug for slug in judgement.get("must", []) if slug not in wanted)
    return wanted


def gains(judgement: dict) -> dict[str, int]:
    """Each judged case's gain: 2 for top1 and must, 1 for relevant."""
    graded = dict.fromkeys(judgement.get("relevant", []), RELEVANT_GAIN)
    graded.update(dict.fromkeys(wanted_slugs(judgement), WANTED_GAIN))
    return graded


def never_found(ranked_slugs: Sequence[str], judgement: dict) -> list[str]:
    """The `never` cases found in the top 10, in rank order."""
    never = set(judgement.get("never", []))
    return [slug for slug in ranked_slugs[:NEVER_DEPTH] if slug in never]


def success_at(ranked_slugs: Sequence[str], judgement: dict, k: int = 5) -> bool:
    """Every `must` case in the top k, the `top1` case first, and no `never` case in the top 10."""
    ranked_slugs = list(ranked_slugs)
    top1 = judgement.get("top1", [])
    if top1 and (not ranked_slugs or ranked_slugs[0] != top1[0]):
        return False
    top_k = set(ranked_slugs[:k])
    if any(slug not in top_k for slug in wanted_slugs(judgement)):
        return False
    return not never_found(ranked_slugs, judgement)


def dcg(graded_gains: Iterable[int]) -> float:
    return sum(gain / math.log2(position + 2) for position, gain in enumerate(graded_gains))


def ndcg_at(ranked_slugs: Sequence[str], judgement: dict, k: int = DEPTH) -> float:
    """nDCG@k with gains 2 (top1, must) and 1 (relevant); the ideal DCG is that of the judged cases in order.

    A judgement with no graded case at all (nothing published is relevant) scores 1.0: there is nothing to
    rank, and what must not be found is checked by success_at.
    """
    graded = gains(judgement)
    ideal = dcg(sorted(graded.values(), reverse=True)[:k])
    if ideal == 0:
        return 1.0
    return dcg(graded.get(slug, 0) for slug in list(ranked_slugs)[:k]) / ideal


@dataclass
class QueryResult:
    """One judged query's outcome: what the search ranked and how it measures up."""

    judgement: dict
    ranked: list[str]
    success_at_5: bool
    ndcg_at_10: float
    ranks: dict[str, int | None] = field(default_factory=dict)  # wanted slug -> 1-based rank in the top 10
    never_found: list[str] = field(default_factory=list)

    @property
    def query(self) -> str:
        return self.judgement["query"]

    @property
    def kind(self) -> str:
        return self.judgement["kind"]

    def describe(self) -> str:
        """One line saying what went wrong, for assertion messages and the bench."""
        wanted = ", ".join(f"{slug} at {rank or '-'}" for slug, rank in self.ranks.items())
        wanted = wanted or "nothing wanted"
        line = f"{self.query!r} ({self.kind}): {wanted}; nDCG@10 {self.ndcg_at_10:.2f}"
        if self.never_found:
            line += f"; never-cases found: {', '.join(self.never_found)}"
        return line


@dataclass
class Evaluation:
    rows: list[QueryResult]

    @property
    def mean_success_at_5(self) -> float:
        return sum(row.success_at_5 for row in self.rows) / len(self.rows)

    @property
    def mean_ndcg_at_10(self) -> float:
        return sum(row.ndcg_at_10 for row in self.rows) / len(self.rows)

    @property
    def failures(self) -> list[QueryResult]:
        return [row for row in self.rows if not row.success_at_5]

    def means_by_kind(self) -> dict[str, tuple[int, float, float]]:
        """kind -> (queries, mean success@5, mean nDCG@10), in KINDS order."""
        means = {}
        for kind in KINDS:
            rows = [row for row in self.rows if row.kind == kind]
            if rows:
                means[kind] = (
                    len(rows),
                    sum(row.success_at_5 for row in rows) / len(rows),
                    sum(row.ndcg_at_10 for row in rows) / len(rows),
                )
        return means

    def summary(self) -> str:
        return (
            f"{len(self.rows)} judged queries: mean success@5 {self.mean_success_at_5:.3f} "
            f"(bar {SUCCESS_AT_5_BAR}), mean nDCG@10 {self.mean_ndcg_at_10:.3f} (bar {NDCG_AT_10_BAR}), "
            f"{len(self.failures)} failing"
        )


def evaluate(search: Callable[[str], Sequence[str]], judgements: list[dict] | None = None) -> Evaluation:
    """Runs every judged query through `search(query) -> slugs in rank order` and measures the rankings."""
    if judgements is None:
        judgements = load_judged_queries()
    rows = []
    for judgement in judgements:
        ranked = list(search(judgement["query"]))[:DEPTH]
        positions = {slug: position for position, slug in enumerate(ranked, start=1)}
        rows.append(
            QueryResult(
                judgement=judgement,
                ranked=ranked,
                success_at_5=success_at(ranked, judgement, 5),
                ndcg_at_10=ndcg_at(ranked, judgement, DEPTH),
                ranks={slug: positions.get(slug) for slug in wanted_slugs(judgement)},
                never_found=never_found(ranked, judgement),
            )
        )
    return Evaluation(rows)


def library_search(query: str, *, limit: int = DEPTH) -> list[str]:
    """The case library's search: the one FilterSet over the published cases, in the library's order."""
    # Imported here so that the judgements and measures can be read without setting Django up.
    from cases.filters import CaseStudyFilterSet
    from cases.models import CaseStudy

    filterset = CaseStudyFilterSet({"q": query}, queryset=CaseStudy.objects.published())
    return list(filterset.qs.values_list("slug", flat=True)[:limit])

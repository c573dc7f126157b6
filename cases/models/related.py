"""Related cases, computed off the request path: each case's list of the published cases most like it, with
why each is there (issue 15).

The case page used to compute its related cases while the reader waited: an aggregate over the vocabulary
through tables (about 47,000 link rows per view at 100,000 cases), then a text-likeness ranking of 200
candidates; 8 of its 18 queries, and cached only until the next write anywhere. Now the lists are computed
by cases/search/related.py (the same scoring) and stored here; the page reads its list in one indexed query
(`RelatedCase.objects.shown_on(case)`), joined to the related cases' own rows so that only cases published
*now* are shown, whatever the list says. When lists are refreshed, and how stale one may be: docs/caching.md.

Each row also says why the case is there (issue 18): the methods, sectors, themes and facets the two share,
and the kinds of reason it has, the strongest first (`reason_kinds`, ordered when the list was computed).
The page turns them into short sentences in the reader's language (`RelatedCase.reasons`) with no query of
its own: terms are named from the vocabulary snapshot, and the methods from a column of the same read,
which names only the methods the two cases share *and* that are published now (a method unpublished since
the list was computed is never named).
"""

import json

from django.db import models
from django.db.models import F, OuterRef, Q, StringAgg, Subquery, TextField, Value
from django.db.models.functions import Cast, JSONObject
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cases.models.prepared import ModelColumns, prepared_rows
from cases.models.querysets import CARD_VOCABULARIES, published_q
from cases.models.search_document import NARRATIVE_FIELDS
from cases.models.vocabularies import (
    attach_vocabularies,
    current_snapshot,
    links_from_texts,
    vocabulary_columns,
)

# The related cases a case page shows.
SHOWN = 4
# The related cases kept for each case: more than shown, so that when some of them leave publication (each
# read skips them at once) the page still shows SHOWN until the list is refreshed.
KEPT = 8
# What a shared innovation facet adds to the score (cases/search/related.py WEIGHTS): titles and summaries
# whose likeness adds at least this much are said to be alike.
TEXT_ALIKE_SCORE = 1.0

# The kinds of reason a row can give (`reason_kinds`, strongest first): shared methods, shared sectors and
# themes (one sentence for both), titles and summaries alike, shared innovation facets, the same economy.
REASON_METHODS = "methods"
REASON_VOCABULARY = "sectors_themes"
REASON_TEXT = "text"
REASON_FACETS = "facets"
REASON_ECONOMY = "economy"
# The order of rows computed before reasons were ordered (migration 0040): the order of their weights.
UNORDERED_REASONS = (REASON_VOCABULARY, REASON_TEXT, REASON_FACETS, REASON_ECONOMY)
# Reasons a card shows: the strongest two say enough, and a card has little room.
REASONS_SHOWN = 2
# Names in one reason at most (the demo's cases share up to five sectors and themes): the strongest ones.
NAMES_PER_REASON = 3
# Between the JSON rows of the shared methods' column (JSON escapes every newline within a row).
ROW_SEPARATOR = "\n"
# The column of shown_on()'s read naming the shared methods published now.
SHARED_METHODS_COLUMN = "shared_method_rows"


def shared_published_methods(case, related):
    """A CaseMethod queryset of the methods both `case` and `related` (ids, or OuterRef()s to a RelatedCase
    row's `case_id` and `related_id`) used, that are published now: the only ones a reason names."""
    # cases.models.methods imports cases.models, which imports this module: imported when first needed.
    from cases.models.methods import CaseMethod, EntryStatus

    return CaseMethod._base_manager.filter(
        case=related, method__status=EntryStatus.PUBLISHED, method__case_links__case=case
    ).order_by()


def _shared_methods_column():
    """The methods shared and published now, as JSON rows ({"id": .., "name": ..}) joined in one text: a
    column of the page's one query, so naming them costs no query of its own."""
    row = Cast(JSONObject(id=F("method_id"), name=F("method__name")), TextField())
    joined = shared_published_methods(OuterRef("case_id"), OuterRef("related_id")).values("case")
    return Subquery(joined.annotate(rows=StringAgg(row, Value(ROW_SEPARATOR))).values("rows")[:1])


def _method_names(text: str | None) -> dict[int, str]:
    rows = [json.loads(line) for line in (text or "").split(ROW_SEPARATOR) if line]
    return {int(row["id"]): row["name"] for row in rows}


class RelatedCaseQuerySet(models.QuerySet):
    def shown_on(self, case, *, limit: int = SHOWN) -> list:
        """The related cases `case`'s page shows, best first, in one query through the (case, rank) index:
        only those published now (a case unpublished a moment ago is skipped by this very query), each with
        its economy, without its narrative (a card shows none of it) and with the vocabularies its card
        shows (their term ids as columns of the same query: cases/models/vocabularies.py) and the names of the
        methods both cases use that are published now (a column too, for `reasons`). A case whose list
        has not been computed yet shows none: the reader never computes one. The query is compiled once per
        thread (cases/models/prepared.py): only the case changes from one page to the next."""
        using = self.db
        case_model = self.model._meta.get_field("related").related_model
        columns = _ShownColumns(self.model, case_model)

        def build(ids, using):
            return (
                self.model._base_manager.using(using)
                .filter(published_q("related"), case__in=ids)
                .annotate(**vocabulary_columns(case_model, CARD_VOCABULARIES, case_ref="related_id"))
                .annotate(**{SHARED_METHODS_COLUMN: _shared_methods_column()})
                .order_by("rank")
                .values_list(
                    *columns.row.names,
                    *columns.related.names,
                    *columns.vocabularies,
                    SHARED_METHODS_COLUMN,
                )[:limit]
            )

        rows, links = [], []
        for values in prepared_rows(f"related:{limit}", build, [case.pk], using):
            row, start = columns.row.instance(values, using)
            related, start = columns.related.instance(values, using, start)
            self.model._meta.get_field("related").set_cached_value(row, related)
            links += links_from_texts(related.pk, CARD_VOCABULARIES, values[start:-1])
            # The reasons name these (RelatedCase.reasons): read here, with the row, not a query per row.
            row.shared_method_names = _method_names(values[-1])
            rows.append(row)
        # Each card's terms, from the ids its row carries, named from the vocabulary snapshot.
        attach_vocabularies([row.related for row in rows], CARD_VOCABULARIES, links=links)
        return rows


class _ShownColumns:
    def __init__(self, related_model, case_model):
        self.row = ModelColumns(related_model)
        self.related = ModelColumns(case_model, "related", leave_out=NARRATIVE_FIELDS, joined=["economy"])
        self.vocabularies = list(vocabulary_columns(case_model, CARD_VOCABULARIES))


class RelatedCase(models.Model):
    """One case on another's list of related cases: its rank and score, and why it is there (the methods,
    themes, sectors and innovation facets the two share, whether they have the same economy, how much their
    titles and summaries are alike, and which of these reasons weighed most)."""

    # No index of its own: the (case, rank) constraint's index leads with it.
    case = models.ForeignKey(
        "cases.CaseStudy",
        on_delete=models.CASCADE,
        related_name="related_rows",
        db_index=False,
        verbose_name=_("case"),
    )
    related = models.ForeignKey(
        "cases.CaseStudy", on_delete=models.CASCADE, related_name="+", verbose_name=_("related case")
    )
    rank = models.PositiveSmallIntegerField(_("rank"), help_text=_("1 for the most related."))
    score = models.FloatField(_("score"))
    # The ids of the terms the two cases share (a handful at most): the page names them from the case's own
    # vocabularies, which it has read already.
    shared_themes = models.JSONField(_("shared themes"), default=list)
    shared_sectors = models.JSONField(_("shared sectors"), default=list)
    shared_facets = models.JSONField(_("shared innovation facets"), default=list)
    same_economy = models.BooleanField(_("same economy"), default=False)
    # What the likeness of the two titles and summaries added to the score (the rest is the vocabulary's).
    text_score = models.FloatField(_("text score"), default=0.0)
    # The ids of the published methods the two used when the list was computed, the strongest first (the
    # main method of both, then of one): the page names those still published (`reasons`).
    shared_methods = models.JSONField(_("shared methods"), default=list)
    # The kinds of reason (REASON_*) the row has, the strongest first (cases/search/related.py, _row).
    reason_kinds = models.JSONField(_("reasons, strongest first"), default=list)

    objects = RelatedCaseQuerySet.as_manager()

    class Meta:
        app_label = "cases"
        ordering = ["case", "rank"]
        verbose_name = _("related case")
        verbose_name_plural = _("related cases")
        constraints = [
            # Also the index of the page's read: a case's rows in rank order.
            models.UniqueConstraint(fields=["case", "rank"], name="relatedcase_case_rank_unique"),
            models.UniqueConstraint(fields=["case", "related"], name="relatedcase_case_related_unique"),
            models.CheckConstraint(condition=~Q(case=F("related")), name="relatedcase_not_self"),
            models.CheckConstraint(condition=Q(rank__gte=1), name="relatedcase_rank_positive"),
        ]
        # `related` has its foreign key's index: the lists a case is on, found when it changes.

    def __str__(self):
        return f"{self.case_id} → {self.rank}. {self.related_id}"

    @property
    def text_alike(self) -> bool:
        """Whether the two cases' titles and summaries are alike: their likeness added at least as much to
        the score as one shared innovation facet does (any shared word adds a little)."""
        return self.text_score >= TEXT_ALIKE_SCORE

    def reasons(self, case=None, *, limit: int = REASONS_SHOWN) -> list[str]:
        """Why the related case is on the list, as at most `limit` short sentences in the active language,
        the strongest first: "Same method: Regulatory sandbox", "Same sector and theme: Health, Digital
        government", "Similar in what it set out to do". Terms are named from the vocabulary snapshot (no
        query); methods from what shown_on() read with the row (only those published now), else, for a row
        read otherwise, from one query (and its related case and economy, if not read with it). `case` (the
        case whose list it is) is not needed: accepted for the callers written before issue 18."""
        sentences = []
        for kind in self.reason_kinds or UNORDERED_REASONS:
            sentence = self._sentence(kind)
            if sentence:
                sentences.append(sentence)
            if len(sentences) == limit:
                break
        return sentences

    def _sentence(self, kind: str) -> str | None:
        if kind == REASON_METHODS:
            published = self._published_method_names()
            names = [published[pk] for pk in self.shared_methods if pk in published][:NAMES_PER_REASON]
            if names:
                return ngettext("Same method: %(names)s", "Same methods: %(names)s", len(names)) % {
                    "names": ", ".join(names)
                }
        elif kind == REASON_VOCABULARY:
            # Themes first (they weigh more, and say more than a sector), sectors in the room left.
            themes = self._term_labels("themes")[:NAMES_PER_REASON]
            sectors = self._term_labels("sectors")[: NAMES_PER_REASON - len(themes)]
            if sectors or themes:
                return _vocabulary_sentence(sectors, themes)
        elif kind == REASON_TEXT:
            if self.text_alike:
                return str(_("Similar in what it set out to do"))
        elif kind == REASON_FACETS:
            facets = self._term_labels("facets")[:NAMES_PER_REASON]
            if facets:
                return ngettext(
                    "Same innovation facet: %(names)s", "Same innovation facets: %(names)s", len(facets)
                ) % {"names": ", ".join(facets)}
        elif kind == REASON_ECONOMY and self.same_economy:
            return _("Same economy: %(economy)s") % {"economy": self._economy_label()}
        return None

    def _published_method_names(self) -> dict[int, str]:
        names = self.__dict__.get("shared_method_names")
        if names is None:
            names = {}
            if self.shared_methods:
                rows = shared_published_methods(self.case_id, self.related_id)
                names = dict(rows.using(self._state.db).values_list("method_id", "method__name"))
            self.shared_method_names = names
        return names

    def _term_labels(self, relation: str) -> list[str]:
        """The names, in the active language and in their vocabulary's order, of the terms of `relation`
        the two share (a term deleted since the list was computed is left out)."""
        ids = {"sectors": self.shared_sectors, "themes": self.shared_themes, "facets": self.shared_facets}
        shared = set(ids[relation])
        if not shared:
            return []
        case_model = self._meta.get_field("case").related_model
        model = case_model._meta.get_field(relation).related_model
        snapshot = current_snapshot(case_model)
        known = [pk for pk in snapshot.rows[model._meta.label] if pk in shared]
        return [snapshot.instance(model, pk).label for pk in known]

    def _economy_label(self) -> str:
        """The related case's economy (the case's own): as shown_on() read it with the row, no query."""
        return self.related.economy.label


def _vocabulary_sentence(sectors: list[str], themes: list[str]) -> str:
    """The sentence for shared sectors and themes ("Same sector and theme: Health, Digital government"), in
    the singular or plural for each."""
    names = {"names": ", ".join(sectors + themes)}
    if not themes:
        return ngettext("Same sector: %(names)s", "Same sectors: %(names)s", len(sectors)) % names
    if not sectors:
        return ngettext("Same theme: %(names)s", "Same themes: %(names)s", len(themes)) % names
    # Each wording whole, for translators: the four combinations of one or more of each.
    wordings = {
        (False, False): _("Same sector and theme: %(names)s"),
        (False, True): _("Same sector and themes: %(names)s"),
        (True, False): _("Same sectors and theme: %(names)s"),
        (True, True): _("Same sectors and themes: %(names)s"),
    }
    return wordings[(len(sectors) > 1, len(themes) > 1)] % names


class RelatedCaseList(models.Model):
    """A case's list of related cases as a whole: when it was computed, and whether a write since may have
    changed it (a case on it, or one like it, was edited or published). Without this row a case's list was
    never computed, which its RelatedCase rows cannot say (a list may be empty)."""

    case = models.OneToOneField(
        "cases.CaseStudy",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="related_list",
        verbose_name=_("case"),
    )
    # When the computation started: a write to the case after it makes the list stale (computed_at < the
    # case's updated_at), even one that committed while the list was being computed.
    computed_at = models.DateTimeField(_("computed"))
    stale = models.BooleanField(_("stale"), default=False)

    class Meta:
        app_label = "cases"
        verbose_name = _("list of related cases")
        verbose_name_plural = _("lists of related cases")
        indexes = [
            # `refresh_related --stale` and the refresh after a write take the stale lists from here.
            models.Index(fields=["computed_at"], condition=Q(stale=True), name="relatedcaselist_stale"),
        ]

    def __str__(self):
        state = "stale" if self.stale else "current"
        return f"related cases of {self.case_id}, {self.computed_at:%Y-%m-%d %H:%M} ({state})"

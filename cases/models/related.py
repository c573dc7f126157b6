"""Related cases, computed off the request path: each case's list of the published cases most like it, with
why each is there (issue 15).

The case page used to compute its related cases while the reader waited: an aggregate over the vocabulary
through tables (about 47,000 link rows per view at 100,000 cases), then a text-likeness ranking of 200
candidates; 8 of its 18 queries, and cached only until the next write anywhere. Now the lists are computed
by cases/search/related.py (the same scoring) and stored here; the page reads its list in one indexed query
(`RelatedCase.objects.shown_on(case)`), joined to the related cases' own rows so that only cases published
*now* are shown, whatever the list says. When lists are refreshed, and how stale one may be: docs/caching.md.
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cases.models.prepared import ModelColumns, prepared_rows
from cases.models.querysets import CARD_VOCABULARIES, published_q
from cases.models.search_document import NARRATIVE_FIELDS
from cases.models.vocabularies import attach_vocabularies, links_from_texts, vocabulary_columns

# The related cases a case page shows.
SHOWN = 4
# The related cases kept for each case: more than shown, so that when some of them leave publication (each
# read skips them at once) the page still shows SHOWN until the list is refreshed.
KEPT = 8
# What a shared innovation facet adds to the score (cases/search/related.py WEIGHTS): titles and summaries
# whose likeness adds at least this much are said to be alike.
TEXT_ALIKE_SCORE = 1.0


class RelatedCaseQuerySet(models.QuerySet):
    def shown_on(self, case, *, limit: int = SHOWN) -> list:
        """The related cases `case`'s page shows, best first, in one query through the (case, rank) index:
        only those published now (a case unpublished a moment ago is skipped by this very query), each with
        its economy, without its narrative (a card shows none of it) and with the vocabularies its card
        shows (their term ids as columns of the same query: cases/models/vocabularies.py). A case whose list
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
                .order_by("rank")
                .values_list(*columns.row.names, *columns.related.names, *columns.vocabularies)[:limit]
            )

        rows, links = [], []
        for values in prepared_rows(f"related:{limit}", build, [case.pk], using):
            row, start = columns.row.instance(values, using)
            related, start = columns.related.instance(values, using, start)
            self.model._meta.get_field("related").set_cached_value(row, related)
            links += links_from_texts(related.pk, CARD_VOCABULARIES, values[start:])
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
    """One case on another's list of related cases: its rank and score, and why it is there (the themes,
    sectors and innovation facets the two share, whether they have the same economy, how much their titles
    and summaries are alike)."""

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

    def reasons(self, case) -> list[str]:
        """Why the related case is on `case`'s list, as short phrases for its page, the shared terms named
        from `case`'s own vocabularies (read by its page already: no query)."""
        reasons = []
        for label, field, ids in (
            (_("Themes"), "themes", self.shared_themes),
            (_("Sectors"), "sectors", self.shared_sectors),
            (_("Innovation facets"), "facets", self.shared_facets),
        ):
            shared = set(ids)
            names = [term.label for term in getattr(case, field).all() if term.pk in shared]
            if names:
                reasons.append(f"{label}: {', '.join(names)}")
        if self.same_economy:
            reasons.append(str(_("Same economy")))
        if self.text_alike:
            reasons.append(str(_("Similar wording")))
        return reasons


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

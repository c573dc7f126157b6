"""Reads: chainable QuerySet methods. Every public face starts from `CaseStudy.objects.published()`.

Searching is not a method here: cases/search/engine.py (`search_cases(queryset, q)`) holds it, above the
models, so that the models import nothing from the rest of the app.

"Published" is defined once, here (`published_q`): the case QuerySet, the vocabularies' and economies'
counts, the links a case page shows, former slugs and the admin's notion of what an editor may see all
build on it (tests/cases/models/test_querysets.py checks nothing else spells it out).
"""

import functools
from itertools import batched, islice

from django.db import connections, models
from django.db.models import Count, Exists, F, OuterRef, Q, StringAgg, Subquery, Value
from django.db.models.functions import Coalesce, JSONObject
from django.db.models.query import ModelIterable
from django.utils.translation import get_language

from cases.models.rendered import ORIGINAL, RenderedNarrative
from cases.models.search_document import LANGUAGE_FIELDS, NARRATIVE_FIELDS
from cases.models.translations import TRANSLATED_CASE_FIELDS, CaseTranslation
from cases.models.unions import attach_children
from cases.models.vocabularies import (
    VOCABULARY_RELATIONS,
    attach_vocabularies,
    links_from_columns,
    vocabulary_columns,
)

# The reverse relations of a case to the rows that belong to it (with_children()).
CHILD_RELATIONS = ("outcomes", "resources")

# The vocabularies a result card shows (templates/includes/case_card.html).
CARD_VOCABULARIES = ("sectors", "themes")

# cases.models.Status.PUBLISHED (the models import this module, so it cannot import them back).
PUBLISHED_STATUS = "published"


def published_q(path: str = "") -> Q:
    """The one rule for which cases anyone outside admin may see, as a filter on cases reached through
    `path` from the model filtered ("cases" from a sector, "case" from a former slug, "" for cases)."""
    return Q(**{f"{path}__status" if path else "status": PUBLISHED_STATUS})


# The annotations of with_text_in() and with_rendered_narrative(), built once per language and process:
# building their subqueries cost 0.35 and 0.12 ms of every case page, list and card page (in-process, at
# 100,000 cases), and they depend on nothing but the language. Safe to share between querysets and threads:
# annotate() resolves a copy of each expression (Subquery.copy() clones its query), never the one given.
@functools.lru_cache(maxsize=32)  # a handful of languages; bounded all the same
def text_annotations(language: str) -> dict:
    published = CaseTranslation.objects.filter(case=OuterRef("pk"), status=PUBLISHED_STATUS).order_by()
    fields = (*TRANSLATED_CASE_FIELDS, "language", "translated_by", "reviewed_by", "machine_translated")
    shown = published.filter(language=language).values(
        data=JSONObject(**{name: F(name) for name in fields}, source_digest=F("source_digest"))
    )
    languages = published.values("case").annotate(codes=StringAgg("language", Value(","))).values("codes")
    return {
        "shown_translation": Subquery(shown[:1], output_field=models.JSONField()),
        "translation_languages": Coalesce(
            Subquery(languages, output_field=models.TextField()),
            Value(""),
            output_field=models.TextField(),
        ),
    }


@functools.lru_cache(maxsize=32)  # a handful of languages; bounded all the same
def rendered_narrative_annotations(language: str) -> dict:
    rendered = RenderedNarrative.objects.filter(case=OuterRef("pk")).order_by().values("html")
    return {
        "rendered_original": Subquery(
            rendered.filter(language=ORIGINAL)[:1], output_field=models.JSONField()
        ),
        "rendered_translation": Subquery(
            rendered.filter(language=language)[:1], output_field=models.JSONField()
        ),
    }


class CaseStudyQuerySet(models.QuerySet):
    # The many-to-many vocabularies with_vocabularies() loads once the cases are fetched.
    _vocabulary_relations: tuple[str, ...] = ()
    # The rows that belong to a case (outcomes, resources) with_children() loads once the cases are fetched.
    _child_relations: tuple[str, ...] = ()

    def with_vocabularies(self, *names: str):
        """Read the cases with their links to the terms of the many-to-many vocabularies `names` (by default
        every one: other_economies, sectors, themes, facets, sdgs): each relation's term ids as a column of
        the same query (a correlated subquery on the link table's index: no query of its own), the terms
        from the vocabulary snapshot (cases/models/vocabularies.py); and fill exactly the caches
        prefetch_related("sectors", ...) fills: `case.sectors.all()` then reads no database, and gives the
        terms in the order a prefetch gives (the vocabulary's Meta.ordering).

        Instead of prefetch_related() for these relations (one query each). Works for every way of
        fetching (iteration, slicing, get(), first(), in_bulk(), iterator(chunk_size=...)) and as the
        queryset of a Prefetch(); values() and values_list() load nothing. A union of querysets, which
        takes no columns, reads the links in one more query (a UNION ALL over the link tables). Chained
        calls add up their relations."""
        return self._adding_relations("_vocabulary_relations", names, VOCABULARY_RELATIONS)

    def with_children(self, *names: str):
        """Once the cases are fetched, load the rows that belong to them through the reverse relations
        `names` (by default both: outcomes and resources), all in ONE query (cases/models/unions.py), and
        fill the caches prefetch_related("outcomes", "resources") fills, each in its model's order. Instead
        of a prefetch per relation; fetched as with_vocabularies() is, in the same chunks."""
        return self._adding_relations("_child_relations", names, CHILD_RELATIONS)

    def _adding_relations(self, attribute: str, names, allowed):
        """A clone loading `names` (all of `allowed` when none) besides what `attribute` holds already, in
        `allowed`'s order."""
        unknown = set(names) - set(allowed)
        if unknown:
            choices = ", ".join(allowed)
            raise ValueError(f"Not a relation this loads ({choices}): {', '.join(sorted(unknown))}")
        clone = self._chain()
        wanted = {*getattr(clone, attribute), *(names or allowed)}
        setattr(clone, attribute, tuple(name for name in allowed if name in wanted))
        return clone

    def _clone(self):
        clone = super()._clone()
        clone._vocabulary_relations = self._vocabulary_relations
        clone._child_relations = self._child_relations
        return clone

    def _loads_relations(self) -> bool:
        return bool(self._vocabulary_relations or self._child_relations) and issubclass(
            self._iterable_class, ModelIterable
        )

    def _with_vocabulary_columns(self):
        """This queryset reading each case's links to its vocabularies with the case, as columns
        (vocabulary_columns); None where it cannot (a union of querysets takes no annotation)."""
        if not self._vocabulary_relations or self.query.combinator:
            return None
        return self.annotate(**vocabulary_columns(self.model, self._vocabulary_relations))

    def _load_relations(self, cases, *, columns: bool) -> None:
        links = links_from_columns(cases, self._vocabulary_relations) if columns else None
        attach_vocabularies(cases, self._vocabulary_relations, links=links)
        attach_children(cases, self._child_relations)

    def _fetch_all(self):
        if self._result_cache is None and self._loads_relations():
            # The rows with their vocabularies' term ids as columns (no query of their own), then the
            # rest as Django does it (prefetches).
            annotated = self._with_vocabulary_columns()
            reader = annotated if annotated is not None else self
            self._result_cache = list(reader._iterable_class(reader))
            self._load_relations(self._result_cache, columns=annotated is not None)
        super()._fetch_all()

    def _iterator(self, use_chunked_fetch, chunk_size):
        if not self._loads_relations():
            yield from super()._iterator(use_chunked_fetch, chunk_size)
            return
        annotated = self._with_vocabulary_columns()
        reader = annotated if annotated is not None else self
        rows = super(CaseStudyQuerySet, reader)._iterator(use_chunked_fetch, chunk_size)
        # The same chunks as Django's prefetches (one chunk_size at a time, 2000 when not given).
        while chunk := list(islice(rows, chunk_size or 2000)):
            self._load_relations(chunk, columns=annotated is not None)
            yield from chunk

    def in_chunks(self, chunk_size: int):
        """The cases in this queryset's order, `chunk_size` at a time (lists), holding one chunk in memory:
        for exports of any size. Through a server-side cursor (`iterator()`) where the database keeps one;
        behind a pooler in transaction mode it cannot (the cursor would outlive the transaction that made
        it, on a server session other clients are handed), so there the ids come first, in order (a few
        bytes a case), then each chunk's cases by their ids, with what this queryset loads with them."""
        if not connections[self.db].settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"):
            yield from batched(self.iterator(chunk_size=chunk_size), chunk_size)
            return
        ids = list(self.values_list("pk", flat=True))
        for chunk_ids in batched(ids, chunk_size):
            # Each chunk is read again through this queryset's filters: a case unpublished meanwhile is
            # left out, never shown.
            found = {case.pk: case for case in self.filter(pk__in=chunk_ids).order_by()}
            yield [found[pk] for pk in chunk_ids if pk in found]

    def published(self):
        """Only cases visible outside admin: status `published`. Every public read path starts here."""
        # The search document is only ever read by the database; never load it into Python.
        return self.filter(published_q())

    def for_listing(self):
        """What a case in the API's lists needs, in a fixed number of queries: the case without its
        narrative (a list shows none of the nine long sections, which are most of a row, read out of TOAST
        storage: see for_cards), its economy and every vocabulary's terms."""
        listing = (
            self.select_related("economy").with_vocabularies().defer(*NARRATIVE_FIELDS, *LANGUAGE_FIELDS)
        )
        return listing.with_text_in(get_language())  # the text in the reader's language, when translated

    def for_cards(self):
        """What a result card needs (includes/case_card.html), without the narrative: a case's nine long
        sections are most of its row (read out of TOAST storage), and a card shows none of them (at
        1,000,000 cases, reading 20 whole rows took 53 ms); of the vocabularies, the two a card shows."""
        cards = self.select_related("economy").with_vocabularies(*CARD_VOCABULARIES)
        # The title and summary in the reader's language when a published translation has them.
        return cards.defer(*NARRATIVE_FIELDS, *LANGUAGE_FIELDS).with_text_in(get_language())

    def for_detail(self):
        """Everything the case page shows, in a fixed number of queries: the case, its economy and its
        vocabularies' terms (the many-to-many fields: other economies, sectors, ...; their ids read as
        columns of the same query); its outcomes and resources (one query); its links to published cases,
        both directions (one query, cases/models/case_links.py)."""
        # Not the text in other languages as the search reads it (tokens, read by the database only).
        detail = self.select_related("economy").with_vocabularies().with_children().prefetch_related("links")
        # And the text in the reader's language, when translated (with_text_in).
        return detail.defer(*LANGUAGE_FIELDS).with_text_in(get_language())

    def with_text_in(self, language: str):
        """Each case with what the reader of `language` is shown of its text, in the same query:
        `shown_translation`, its published translation into `language` as a dict of the translated fields
        and who made it (None when there is none: the original is shown), and `translation_languages`, the
        codes of all its published translations, comma-separated in no set order ("" when none: SQLite
        cannot order an aggregate). CaseText reads both."""
        return self.annotate(**text_annotations(language))

    def with_rendered_narrative(self, language: str):
        """Each case with the HTML stored for its narrative (cases/models/rendered.py), in the same query:
        `rendered_original`, its original's, and `rendered_translation`, its translation into `language`'s
        (None where there is none). CaseText.narrative_html shows them only if they were made from the text
        it shows."""
        return self.annotate(**rendered_narrative_annotations(language))

    def with_published_translations(self):
        """Each case with `published_translations`: its published translations, by language (one query for
        the page of cases)."""
        translations = CaseTranslation.objects.filter(status=PUBLISHED_STATUS).order_by("language")
        return self.prefetch_related(
            models.Prefetch("translations", queryset=translations, to_attr="published_translations")
        )


class PublishedCountsQuerySet(models.QuerySet):
    """Terms cases are described by (sectors, themes, innovation facets, SDGs, economies)."""

    # The relation from a term to its cases.
    cases_relation = "cases"

    def with_published_counts(self):
        """Each term with `case_count`: the published cases it describes."""
        relation = self.cases_relation
        return self.annotate(case_count=Count(relation, filter=published_q(relation)))

    def having_published_cases(self):
        """The terms that describe at least one published case: a test per term that stops at the first
        case, where counting them all would read every case."""
        reverse = self.model._meta.get_field(self.cases_relation)
        cases = reverse.related_model._default_manager.filter(
            published_q(), **{reverse.field.name: OuterRef("pk")}
        )
        return self.filter(Exists(cases))


class EconomyQuerySet(PublishedCountsQuerySet):
    # An economy counts the cases it is the primary economy of.
    cases_relation = "primary_cases"

    def apo_members(self):
        return self.filter(is_apo_member=True)

"""`case.links`: a case's typed links to other published cases, in both directions, in one query.

A link is stored once, on the case that records it (CaseLink: from_case, relation, to_case), and is shown
on both cases' pages, each seeing it from its own side: "A adapted from B" is, seen from B, "replicated in
A". Two prefetches (links_out and links_in) read the two directions in two queries; this reads both in one,
for one case (`case.links`) or a whole list (`prefetch_related("links")`, which for_detail() does).

It is a descriptor that takes part in Django's prefetching: its get_prefetch_querysets() is the hook
prefetch_related_objects() calls on a related-object descriptor (as GenericForeignKey's does). Each link is
given to every case of the list at either end of it, so one query serves them all.
"""

from dataclasses import dataclass
from operator import attrgetter

from django.db import router
from django.db.models import Q

from cases.models.prepared import ModelColumns, prepared_rows
from cases.models.querysets import PUBLISHED_STATUS, published_q
from cases.models.search_document import NARRATIVE_FIELDS

# cases.models.LinkRelation's values (the models import this module, so it cannot import them back).
ADAPTED_FROM, REPLICATED_IN, RELATED_TO = "adapted_from", "replicated_in", "related_to"
# A link recorded on the other case, seen from this one.
INVERSE_RELATION = {ADAPTED_FROM: REPLICATED_IN, REPLICATED_IN: ADAPTED_FROM, RELATED_TO: RELATED_TO}


@dataclass(frozen=True)
class LinkedCase:
    """A published case linked to this one: how it relates to this one (a LinkRelation value, seen from
    this case), the case (with its economy) and the link's note."""

    relation: str
    case: object
    note: str


@dataclass(frozen=True)
class _CaseLinks:
    """The links of the case `case_id`: what the prefetch gives each case."""

    case_id: int
    links: list


class _LinkRows:
    """The links of some cases in both directions, each with both its cases (with their economies, without
    their narrative: the other case's title, slug and economy are shown, never its narrative, which is in
    TOAST storage) as one values_list() query, and its rows made into the instances a select_related() with
    those fields deferred would give."""

    def __init__(self, case_model):
        self.link = ModelColumns(case_model._meta.get_field("links_out").related_model)
        self.ends = {
            end: ModelColumns(case_model, end, leave_out=NARRATIVE_FIELDS, joined=["economy"])
            for end in ("from_case", "to_case")
        }

    def query(self, ids, using):
        return (
            self.link.model._base_manager.using(using)
            .filter(
                (Q(from_case__in=ids) & published_q("to_case"))
                | (Q(to_case__in=ids) & published_q("from_case"))
            )
            .order_by("pk")
            .values_list(*self.link.names, *(name for end in self.ends.values() for name in end.names))
        )

    def instances(self, values, using):
        """The link of one row, its two cases and their economies attached as select_related() attaches."""
        link, start = self.link.instance(values, using)
        for end, columns in self.ends.items():
            case, start = columns.instance(values, using, start)
            self.link.model._meta.get_field(end).set_cached_value(link, case)
        return link


class CaseLinks:
    """The descriptor of `CaseStudy.links`: a list of LinkedCase, in the order the links were made, never
    the same case twice under one relation, only published cases. Read once per case and kept on it."""

    def __set_name__(self, owner, name):
        self.name = name
        self.cache_name = f"_{name}_cache"

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        if not self.is_cached(instance):
            self.__set__(instance, next(iter(self._read([instance])), None))
        return instance.__dict__[self.cache_name]

    def __set__(self, instance, value):
        instance.__dict__[self.cache_name] = value.links if value is not None else []

    def is_cached(self, instance) -> bool:
        return self.cache_name in instance.__dict__

    def get_prefetch_querysets(self, instances, querysets=None):
        """Django's prefetch hook: the links of every case in `instances`, grouped per case, matched on
        the case's id, and set on each case through this descriptor (a "single" value: the list)."""
        if querysets:
            raise ValueError(
                "prefetch_related('links') takes no queryset: it reads links in both directions."
            )
        return self._read(instances), attrgetter("case_id"), attrgetter("pk"), True, self.name, True

    def _read(self, instances) -> list[_CaseLinks]:
        # An unsaved case has no links (and None would not sort among ids).
        ids = sorted({case.pk for case in instances if case.pk is not None})
        if not ids:
            return []
        case_model = type(instances[0])._meta.concrete_model
        using = instances[0]._state.db or router.db_for_read(case_model)
        # Compiled once per number of cases (cases/models/prepared.py): a case page's one case, a list's 20.
        reader = _LinkRows(case_model)
        found = prepared_rows("links", reader.query, ids, using)
        rows = [reader.instances(values, using) for values in found]
        links: dict[int, list[LinkedCase]] = {pk: [] for pk in ids}
        seen = set()
        for link in rows:
            for case_id, relation, other in (
                (link.from_case_id, link.relation, link.to_case),
                (link.to_case_id, INVERSE_RELATION[link.relation], link.from_case),
            ):
                # The query keeps a link when either end may see it; each end sees only a published other.
                # Two links may say one thing (A adapted from B, and B replicated in A): shown once.
                if case_id not in links or other.status != PUBLISHED_STATUS:
                    continue
                if (case_id, relation, other.pk) not in seen:
                    seen.add((case_id, relation, other.pk))
                    links[case_id].append(LinkedCase(relation, other, link.note))
        return [_CaseLinks(case_id, found) for case_id, found in links.items()]

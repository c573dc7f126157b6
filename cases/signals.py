"""Cache invalidation only: any write that can change what anonymous readers see bumps the catalogue version,
and a write to a case or to its themes, sectors or facets has its related cases recomputed after the commit
(cases.tasks.related_written: a table derived from the cases, like a cache, cases/search/related.py).

Everything cached under the version is public (pages for anonymous readers, the library's and the API's
counts and pages, facet counts, statistics, the bitmaps), so a write that only touches cases
nobody outside admin sees (a draft saved, a public submission received, an outcome added to a case in
review) bumps nothing: it neither throws every cached page away (a submission would otherwise empty the
cache for everyone) nor tells a watching reader, by the cache going cold, that someone is at work. A write
to a published case, or to one that *was* published as stored (it is leaving publication), or to a
vocabulary, always bumps; so does any write whose case cannot be told.

Why signals, when every write is a service (cases/services.py, cases/curation/workflow.py)? Because this is
not business logic but cache coherence: *every* ORM write must invalidate, whoever makes it, including the
rows a service writes through Django itself (admin inlines saved by the form, many-to-many changes, proxies
of a watched model: the moderation queue is CaseStudy under another name, and its saves are sent by the
proxy class) and writes made around the services (a shell session, a data migration). A missed bump would
serve stale pages until the next write; a signal cannot be forgotten by a new service. Nothing here decides
anything about the catalogue (withdrawal records, history, e-mails are the services'). The bump is an
UPDATE in the writer's own transaction (cases/caching.py), so it commits or rolls back with the write. A
write to a vocabulary's terms or an economy moves the vocabulary version as well, in the same UPDATE: the
vocabulary snapshot (cases/models/vocabularies.py) is cached under it, and a write to a case leaves it alone.

bulk_create, QuerySet.update() and raw SQL send no signals: their callers bump the version themselves
(cases.tasks.catalogue_written in the same transaction, as the import's service does; or
catalogue_committed after their commit, as generate_cases does).
"""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from cases.models import (
    SDG,
    CaseLink,
    CaseMethod,
    CaseOrganisation,
    CaseStudy,
    CaseToolkit,
    CaseTranslation,
    Economy,
    FormerSlug,
    InnovationFacet,
    Method,
    MethodPurpose,
    Organisation,
    Outcome,
    Resource,
    Sector,
    Status,
    Theme,
    ThesaurusEntry,
    Toolkit,
    ToolkitLanguage,
    ToolkitPurpose,
)
from cases.models.search_document import LANGUAGE_FIELDS, NARRATIVE_FIELDS
from cases.models.vocabularies import vocabulary_models
from cases.services import language_text_written
from cases.tasks import catalogue_written, narrative_written, related_written

RELATIONS = ("other_economies", "sectors", "themes", "facets", "sdgs")
NARRATIVE = frozenset(NARRATIVE_FIELDS)
# The relations related cases are scored by (cases/search/related.py), besides the case's own row.
RELATED_SCORING = frozenset(
    getattr(CaseStudy, relation).through for relation in ("sectors", "themes", "facets")
)
# Everything a public page, the API, an export or a statistic shows. The many-to-many rows are watched
# through m2m_changed: Django sends no save or delete signals for the rows of an auto-created through
# model, so a direct write to one (generation makes them in bulk) bumps the version itself.
WATCHED = frozenset(
    (
        CaseStudy,
        CaseTranslation,
        Outcome,
        CaseLink,
        Resource,
        FormerSlug,
        Economy,
        Sector,
        Theme,
        InnovationFacet,
        SDG,
        ThesaurusEntry,
        # Methods, toolkits and organisations (issue 18): their pages, the case pages that name them, the
        # library's method, toolkit and organisation parameters.
        CaseMethod,
        CaseToolkit,
        CaseOrganisation,
        Method,
        Toolkit,
        MethodPurpose,
        ToolkitPurpose,
        ToolkitLanguage,
        Organisation,
    )
)

# The field that says whose a row is. Its value as stored before the write is read in pre_save/pre_delete
# (never trusted from memory: an object loaded earlier, or with the field deferred, may hold an old one):
# a case leaving publication, or a row moved from a published case to a draft, changes a published case.
# The terms the vocabulary snapshot holds (cases/models/vocabularies.py): writing one moves the vocabulary
# version too; writing anything else leaves the snapshot cached.
VOCABULARY_MODELS = frozenset(vocabulary_models(CaseStudy))
OWNER_FIELD = {CaseStudy: "status", Outcome: "case_id", Resource: "case_id", CaseTranslation: "case_id"}
OWNER_FIELD |= {FormerSlug: "case_id", CaseLink: "from_case_id"}
# A case's methods, toolkits and organisations are its own rows, public while it is published.
OWNER_FIELD |= {CaseMethod: "case_id", CaseToolkit: "case_id", CaseOrganisation: "case_id"}
# Methods and toolkits are public while published, as cases are: a draft's write changes nothing public.
# (Their purposes' and languages' rows bump always: rare writes, not worth telling apart. An organisation
# is public while a published case names it: affects_public asks.)
OWNER_FIELD |= {Method: "status", Toolkit: "status"}
# Rows whose owner field is their own status: the public sees them while it says published.
STATUS_OWNED = frozenset((CaseStudy, Method, Toolkit))
STORED = "_catalogue_owner_as_stored"
# Rows with narrative sections, which no listing shows (cases.caching, the listing version): a save that
# changes those alone (and what every save moves) is a narrative-only write. Their other fields are read as
# stored before the save, to tell.
NARRATIVE_MODELS = frozenset((CaseStudy, CaseTranslation))
BOOKKEEPING = frozenset(("updated_at", "updated_by", "public_revision"))
STORED_ROW = "_catalogue_row_as_stored"


def listed_columns(model) -> list[str]:
    """The attributes of `model`'s fields a listing may show or select by: all but the narrative sections,
    the bookkeeping every save moves, and the primary key."""
    return [
        field.attname
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in NARRATIVE and field.name not in BOOKKEEPING
    ]


def _remember_stored_owner(sender, instance, **kwargs):
    """pre_save/pre_delete: the owner field as the database holds it now (None for a new row)."""
    model = sender._meta.concrete_model
    owner = OWNER_FIELD.get(model)
    if owner is None:
        return
    stored = row = None
    if instance.pk is not None and not instance._state.adding:
        rows = model._base_manager.filter(pk=instance.pk)
        if model in NARRATIVE_MODELS and kwargs["signal"] is pre_save:
            row = rows.values(*{owner, *listed_columns(model)}).first()
            stored = row[owner] if row is not None else None
        else:
            stored = rows.values_list(owner, flat=True).first()
    instance.__dict__[STORED] = stored
    instance.__dict__[STORED_ROW] = row


def _any_published(case_ids) -> bool:
    ids = {pk for pk in case_ids if pk is not None}
    return bool(ids) and CaseStudy.objects.published().filter(pk__in=ids).exists()


def affects_public(instance) -> bool:
    """Whether writing `instance` can change what an anonymous reader, a partner or a statistic sees."""
    model = instance._meta.concrete_model
    if model is Organisation:
        # Public only while a published case names it: one made for a submission or a draft is not.
        return Organisation.objects.public().filter(pk=instance.pk).exists()
    owner = OWNER_FIELD.get(model)
    if owner is None:
        return True  # a vocabulary or an economy: shown on published cases and in every facet
    if STORED not in instance.__dict__ or owner not in instance.__dict__:
        return True  # written without the pre-write signal, or the field deferred: assume the worst
    stored = instance.__dict__[STORED]
    if model in STATUS_OWNED:
        return Status.PUBLISHED in (instance.status, stored)
    return _any_published({instance.__dict__[owner], stored})


def changes_only_narrative(instance, update_fields) -> bool:
    """Whether saving `instance` changed nothing but narrative sections: what it saves (`update_fields`)
    is only those, or every other field holds what was stored before the save. Any doubt (a new row, a
    field deferred, a value of another type) says no, which moves the listing version too."""
    model = instance._meta.concrete_model
    if model not in NARRATIVE_MODELS:
        return False
    if update_fields is not None and set(update_fields) <= NARRATIVE | BOOKKEEPING:
        return True
    stored = instance.__dict__.get(STORED_ROW)
    if stored is None:
        return False
    loaded = instance.__dict__
    return all(name in loaded and loaded[name] == value for name, value in stored.items())


def cases_shown_changed(instance) -> set[int] | None:
    """The cases whose own pages writing `instance` can change (the case; the owner of a row, as stored and
    as written; both ends of a link); None for a vocabulary term or an economy, which every case page may
    name."""
    model = instance._meta.concrete_model
    if model is CaseStudy:
        return {instance.pk}
    owner = OWNER_FIELD.get(model)
    if owner is None or model in STATUS_OWNED:
        return None  # a method or a toolkit is named on the pages of every case that used it
    ids = {instance.__dict__.get(owner), instance.__dict__.get(STORED)}
    if model is CaseLink:
        ids.add(instance.__dict__.get("to_case_id"))
    return {pk for pk in ids if pk is not None}


def _row_written(sender, instance, **kwargs):
    model = sender._meta.concrete_model
    if model in WATCHED and affects_public(instance):
        narrative_only = kwargs["signal"] is post_save and changes_only_narrative(
            instance, kwargs.get("update_fields")
        )
        catalogue_written(
            vocabularies=model in VOCABULARY_MODELS,
            cases=cases_shown_changed(instance),
            narrative_only=narrative_only,
        )
    if model is CaseMethod:
        # A case's methods are scored like its themes (cases/search/related.py): its list, and the lists it
        # is on, follow a write to them. The case as stored and as written: a row moved leaves one, joins one.
        related_written({pk for pk in (instance.case_id, instance.__dict__.get(STORED)) if pk is not None})
    if model is CaseStudy and kwargs["signal"] is post_save:
        related_written([instance.pk])  # a deleted case's rows go with it (on delete cascade)
        update_fields = kwargs.get("update_fields")
        saved = (
            set(update_fields) if update_fields is not None else NARRATIVE - instance.get_deferred_fields()
        )
        if saved & NARRATIVE:
            narrative_written([instance.pk])  # its narrative's HTML, made again if the text changed
    instance.__dict__.pop(STORED, None)  # the next write of this object reads the database again
    instance.__dict__.pop(STORED_ROW, None)


def _relation_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if not action.startswith("post_"):  # pre_add, pre_remove and pre_clear have not changed anything yet
        return
    if pk_set is not None and not pk_set:  # an add or remove of nothing (a form saving what it was)
        return
    # case.sectors.add(...) concerns that case, as stored; sector.cases.add(...) the cases named (a clear
    # names none: assume the worst).
    public = (pk_set is None or _any_published(pk_set)) if reverse else _any_published({instance.pk})
    if public:
        # A reverse clear names no case: every case page is stale.
        catalogue_written(cases=pk_set if reverse else {instance.pk})
    if sender in RELATED_SCORING:
        # A reverse clear (theme.cases.clear()) names no case: left to `refresh_related`.
        related_written((pk_set or ()) if reverse else [instance.pk])


def _language_text_written(sender, instance, **kwargs):
    """A translation written, or a case whose text in other languages the search reads (its original is
    not English, or it has such text to drop): what the search reads of those languages, again."""
    model = sender._meta.concrete_model
    if model is CaseTranslation:
        language_text_written(case_ids=[instance.case_id])
        narrative_written([instance.case_id])  # the translation's narrative as HTML, made or dropped
    elif model is CaseStudy and kwargs["signal"] is post_save:
        loaded = instance.__dict__
        if loaded.get("original_language", "en") != "en" or any(loaded.get(name) for name in LANGUAGE_FIELDS):
            language_text_written(case_ids=[instance.pk])


def _toolkit_methods_changed(sender, action, pk_set, **kwargs):
    """A toolkit's methods: shown on method and toolkit pages, and selected by the toolkits' `method`."""
    if action.startswith("post_") and (pk_set is None or pk_set):
        catalogue_written()


# Every sender (a proxy model sends its own class), filtered by the concrete model above.
pre_save.connect(_remember_stored_owner, dispatch_uid="catalogue-owner-save")
pre_delete.connect(_remember_stored_owner, dispatch_uid="catalogue-owner-delete")
post_save.connect(_row_written, dispatch_uid="catalogue-save")
post_delete.connect(_row_written, dispatch_uid="catalogue-delete")
post_save.connect(_language_text_written, dispatch_uid="language-text-save")
post_delete.connect(_language_text_written, dispatch_uid="language-text-delete")

for relation in RELATIONS:
    m2m_changed.connect(
        _relation_changed,
        sender=getattr(CaseStudy, relation).through,
        dispatch_uid=f"catalogue-{relation}",
    )
m2m_changed.connect(
    _toolkit_methods_changed, sender=Toolkit.methods.through, dispatch_uid="catalogue-toolkit-methods"
)

"""The case's text in other languages weighted as its English text (issue 16, "Search in every script").

Migrations 0031/0032 searched everything a case says in its other languages (its original when not English,
and its published translations) as narrative (weight C), and the ranking vector held the English title and
summary alone: a case whose Thai title says a word ranked 0 for it, newest first among the cases that
mention it once in a Thai narrative. Now that text is three columns of the case, each weighted as its
English counterpart: `search_other_titles` (A, as the title), `search_other_summaries` (summaries and
organisations, B) and `search_other_languages` (the narratives, C).

1. The two new columns (PostgreSQL: an ALTER TABLE that writes no row; SQLite rebuilds the table, as Django
   does to alter one there).
2. PostgreSQL: the trigger of migration 0031 is replaced by the same trigger reading the three columns, the
   titles and summaries in the ranking vector too (which stays the start of the document, lexemes and
   positions alike), and firing on their changes.
3. The three columns written again, through the function the services use
   (search_document.other_languages_search_texts), for each case that has other-language text (its original
   is not English, it has a published translation, or the old column holds something), in batches of
   BATCH; each changed case is one UPDATE, through which the trigger rebuilds its search row and stamps it
   changed (`changed_xid`), so the posting lists apply it as any write (cases/search/postings.py; or
   `manage.py refresh_search` brings them all up to date at once). A case without other-language text
   keeps its row: its document is the same under the new trigger.
4. SQLite: the FTS5 tables get the new columns and weights from cases/search/sqlite.py and are rebuilt
   (ensure_index; also run after every migrate).

Cost: one UPDATE per case with other-language text, its trigger making the case's document, ranking
vector and their indexes (the GIN indexes, the index of word pairs) again: measured 5.6 ms a case on the
development machine (PostgreSQL 15, two shared cores; 2,000 cases, each with a demo translation and a
3,700-character English overview: 11.2 s). At 100,000 cases with 20% translated (bench/translations.py
--share 0.2: 20,000 cases) about 2 minutes, in the migration's one transaction, holding the row locks of the
cases it rewrites (writes to those cases wait; reads do not). A catalogue without translations: seconds.
SQLite rebuilds its FTS5 tables, reading every case once.

Backwards: the text is written again as migration 0032 wrote it (one column, searched as narrative) under
the new trigger with the other two columns empty, which makes exactly the old documents; then the old
trigger is put back and the columns dropped.
"""

from django.db import migrations, models
from django.db.models import Q

from cases.migrations._postgresql import run_on_postgresql
from cases.models.search_document import (
    NARRATIVE_FIELDS,
    SUMMARY_FIELDS,
    TITLE_FIELDS,
    document_sql,
    language_search_text,
    other_languages_search_texts,
    ranking_sql,
    word_count,
)

# The columns as this migration leaves them (search_document.LANGUAGE_FIELDS at this migration), written
# out so that a later change there does not change what this migration did.
OTHER_TITLES = ["search_other_titles"]
OTHER_SUMMARIES = ["search_other_summaries"]
OTHER_NARRATIVES = ["search_other_languages"]
# The case's text a translation carries (cases.models.translations.TRANSLATED_CASE_FIELDS, at this
# migration), as migration 0032 writes it out.
TEXT_FIELDS = (
    "title",
    "summary",
    "lead_organisation",
    "overview",
    "what_is_innovative",
    "collaborations",
    "users_beneficiaries",
    "results_impact",
    "challenges_failures",
    "conditions_for_success",
    "replication",
    "lessons_learned",
)
BATCH = 500


def sync_function(*, weighted: bool) -> str:
    """The trigger's function: with `weighted`, this migration's; without, migration 0031's."""
    if weighted:
        languages = OTHER_TITLES + OTHER_SUMMARIES + OTHER_NARRATIVES
        document = document_sql(
            "NEW", titles=OTHER_TITLES, summaries=OTHER_SUMMARIES, narratives=OTHER_NARRATIVES
        )
        ranking = ranking_sql("NEW", titles=OTHER_TITLES, summaries=OTHER_SUMMARIES)
    else:
        languages = OTHER_NARRATIVES
        document = document_sql("NEW", narratives=OTHER_NARRATIVES)
        ranking = ranking_sql("NEW")
    columns = TITLE_FIELDS + SUMMARY_FIELDS + NARRATIVE_FIELDS + languages
    return f"""CREATE OR REPLACE FUNCTION cases_casesearch_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND ({", ".join(f"NEW.{c}" for c in columns)})
            IS NOT DISTINCT FROM ({", ".join(f"OLD.{c}" for c in columns)}) THEN
        UPDATE cases_casesearch SET published = NEW.status = 'published', published_at = NEW.published_at,
            changed_xid = pg_current_xact_id()
            WHERE case_id = NEW.id;
        RETURN NULL;
    END IF;
    INSERT INTO cases_casesearch (case_id, published, published_at, document, ranking, changed_xid)
    VALUES (NEW.id, NEW.status = 'published', NEW.published_at, {document}, {ranking}, pg_current_xact_id())
    ON CONFLICT (case_id) DO UPDATE
        SET published = EXCLUDED.published, published_at = EXCLUDED.published_at,
            document = EXCLUDED.document, ranking = EXCLUDED.ranking, changed_xid = EXCLUDED.changed_xid;
    RETURN NULL;
END
$$"""


def trigger(*, weighted: bool) -> list[str]:
    languages = OTHER_TITLES + OTHER_SUMMARIES + OTHER_NARRATIVES if weighted else OTHER_NARRATIVES
    columns = TITLE_FIELDS + SUMMARY_FIELDS + NARRATIVE_FIELDS + languages
    return [
        "DROP TRIGGER IF EXISTS cases_casesearch_sync ON cases_casestudy",
        "CREATE TRIGGER cases_casesearch_sync AFTER INSERT OR UPDATE OF status, published_at, "
        f"{', '.join(columns)} ON cases_casestudy FOR EACH ROW EXECUTE FUNCTION cases_casesearch_sync()",
    ]


FORWARD = [sync_function(weighted=True), *trigger(weighted=True)]
BACKWARD = [sync_function(weighted=False), *trigger(weighted=False)]


def _cases_with_other_languages(apps, database):
    """The cases, their published translations' text ({case id: [{field: text}, ...]} per batch) and the
    ids of the cases that have or had other-language text, in order."""
    CaseStudy = apps.get_model("cases", "CaseStudy")
    CaseTranslation = apps.get_model("cases", "CaseTranslation")
    cases = CaseStudy.objects.using(database)
    translations = CaseTranslation.objects.using(database).filter(status="published")
    ids = sorted(
        cases.filter(
            ~Q(original_language="en")
            | ~Q(search_other_languages="")
            | Q(pk__in=translations.values("case_id"))
        ).values_list("pk", flat=True)
    )
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        translated = {}
        for values in (
            translations.filter(case_id__in=batch)
            .order_by("case_id", "language")
            .values("case_id", *TEXT_FIELDS)
        ):
            translated.setdefault(values.pop("case_id"), []).append(values)
        yield cases, cases.filter(pk__in=batch).order_by("pk"), translated


def split(apps, schema_editor):
    """Each case's other-language text in its three columns, as the services now write it."""
    columns = OTHER_TITLES + OTHER_SUMMARIES + OTHER_NARRATIVES
    for cases, batch, translated in _cases_with_other_languages(apps, schema_editor.connection.alias):
        for case in batch.only("pk", "original_language", *columns, *TEXT_FIELDS):
            original = {name: getattr(case, name) for name in TEXT_FIELDS}
            texts = other_languages_search_texts(
                original, case.original_language, translated.get(case.pk, [])
            )
            if any(texts[name] != getattr(case, name) for name in columns):
                cases.filter(pk=case.pk).update(**texts)


def join(apps, schema_editor):
    """Backwards: the text in the one column, as migration 0032 wrote it; the other two emptied."""
    columns = OTHER_TITLES + OTHER_SUMMARIES + OTHER_NARRATIVES
    for cases, batch, translated in _cases_with_other_languages(apps, schema_editor.connection.alias):
        for case in batch.only("pk", "original_language", *columns, *TEXT_FIELDS):
            original = [getattr(case, name) for name in TEXT_FIELDS]
            own = original if case.original_language != "en" else []
            others = [value for values in translated.get(case.pk, []) for value in values.values()]
            text = language_search_text([*own, *others], words_before=word_count(original))
            cases.filter(pk=case.pk).update(
                **dict.fromkeys(OTHER_TITLES + OTHER_SUMMARIES, ""), **{OTHER_NARRATIVES[0]: text}
            )


def rebuild_sqlite_index(apps, schema_editor):
    """SQLite: the FTS5 tables on the new columns and weights, filled again (cases/search/sqlite.py)."""
    if schema_editor.connection.vendor == "sqlite":
        from cases.search import sqlite

        sqlite.ensure_index(schema_editor.connection)


def sqlite_index_without_new_columns(apps, schema_editor):
    """Backwards, SQLite: the FTS5 tables and triggers without the two columns about to be dropped (SQLite
    refuses to drop a column a trigger reads); the index is made again after migrating (ensure_index)."""
    if schema_editor.connection.vendor == "sqlite":
        from cases.search import sqlite

        sqlite.create_index(schema_editor.connection, without=OTHER_TITLES + OTHER_SUMMARIES)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0033_rendered_narrative"),
    ]

    operations = [
        migrations.AddField(
            model_name="casestudy",
            name="search_other_titles",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.AddField(
            model_name="casestudy",
            name="search_other_summaries",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD)),
        migrations.RunPython(split, join),
        migrations.RunPython(rebuild_sqlite_index, sqlite_index_without_new_columns),
    ]

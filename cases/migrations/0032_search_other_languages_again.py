"""The search's text in other languages of every case that has some, written again (issue 16).

Migration 0031 added the column, which the services fill as translations and originals are written
(cases.services.case_language_search_refresh). What they write has changed since: a document whose words
may pass PostgreSQL's last position now ends with a marker (search_document.LONG_DOCUMENT) by which a run
of Thai, Chinese or Japanese late in it is still found. A case written before would lack it until its
next edit; this writes the column again for each case whose original is not English or that has a
published translation, and leaves the others (an English case without translations has nothing there).
"""

from django.db import migrations
from django.db.models import Q

from cases.models.search_document import language_search_text, word_count

# The case's text a translation carries (cases.models.translations.TRANSLATED_CASE_FIELDS, at this
# migration): written out, so that a later change of that list does not change what this migration did.
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


def other_languages_search_text(original: list[str], original_language: str, translated: list[str]) -> str:
    """The one column's text as this migration wrote it (all the other languages' text, searched as
    narrative): kept here since migration 0034 split it into titles, summaries and narratives."""
    own = original if original_language != "en" else []
    return language_search_text([*own, *translated], words_before=word_count(original))


def write_again(apps, schema_editor):
    database = schema_editor.connection.alias
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
            translated.setdefault(values.pop("case_id"), []).extend(values.values())
        for case in cases.filter(pk__in=batch).only(
            "pk", "original_language", "search_other_languages", *TEXT_FIELDS
        ):
            original = [getattr(case, name) for name in TEXT_FIELDS]
            text = other_languages_search_text(original, case.original_language, translated.get(case.pk, []))
            if text != case.search_other_languages:
                cases.filter(pk=case.pk).update(search_other_languages=text)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0031_search_other_languages"),
    ]

    operations = [
        migrations.RunPython(write_again, migrations.RunPython.noop, elidable=True),
    ]

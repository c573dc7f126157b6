"""Each case's narrative, and each of its published translations', as HTML made after the write that changed
it, off the request path (issue 15): a case page computed for the first time then renders no Markdown (2.4
ms of a 25-ms computed case page at 100,000 generated cases, docs/benchmarks.md).

A row holds the HTML of one text of one case (`language` "" for the original) with the digest of the
sections and rendering rules it was made from (cases/web/rendering.py). The page reads it in the case's own
query (CaseStudyQuerySet.with_rendered_narrative) and shows it only when that digest is the one of the text
it is about to show: a text changed by a path that did not render it again, or rules changed since, are
rendered live, so a stale row costs time, never correctness. Rows are made by the task after each write
to a case or a translation (cases/tasks.py), by `generate_cases`, and for a whole catalogue by
`manage.py render_narratives`.
"""

from django.db import models

from cases.models.search_document import NARRATIVE_FIELDS
from cases.models.translations import CaseTranslation, TranslationStatus
from cases.web.rendering import rendered_sections, sections_digest

ORIGINAL = ""  # the `language` of the original text's row


class RenderedNarrative(models.Model):
    case = models.ForeignKey("cases.CaseStudy", on_delete=models.CASCADE, related_name="+")
    # "" for the case's original text, else the language of its published translation.
    language = models.CharField(max_length=10, blank=True)
    digest = models.CharField(max_length=32)
    # rendered_sections(): {"digest": ..., "sections": {field: HTML}}
    html = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "language"], name="renderednarrative_one_per_text"),
        ]

    def __str__(self):
        return f"{self.case_id} {self.language or 'original'}"


def _texts(case_ids) -> dict[tuple[int, str], dict[str, str]]:
    """{(case id, language): sections} of the cases' originals and their published translations."""
    cases = RenderedNarrative._meta.get_field("case").related_model.objects  # CaseStudy's, without the import
    texts = {
        (pk, ORIGINAL): dict(zip(NARRATIVE_FIELDS, sections, strict=True))
        for pk, *sections in cases.filter(pk__in=case_ids).values_list("pk", *NARRATIVE_FIELDS)
    }
    translations = CaseTranslation.objects.filter(case__in=case_ids, status=TranslationStatus.PUBLISHED)
    for pk, language, *sections in translations.values_list("case_id", "language", *NARRATIVE_FIELDS):
        texts[pk, language] = dict(zip(NARRATIVE_FIELDS, (text or "" for text in sections), strict=True))
    return texts


# Cases whose texts are read, rendered and written at a time: an import of many cases in one transaction
# registers them all for one task, which must not hold every narrative in memory at once.
BATCH_SIZE = 500


def refresh_rendered_narratives(case_ids, *, batch_size: int = BATCH_SIZE) -> dict:
    """Make the HTML of these cases' texts whose stored HTML is missing or was made from another text (or by
    other rules), and drop the rows of texts they no longer have (a translation unpublished or deleted),
    `batch_size` cases at a time. Reads the texts when it runs: a case deleted meanwhile is skipped. Returns
    the counts."""
    case_ids = sorted({pk for pk in case_ids if pk is not None})
    done = {"cases": len(case_ids), "texts": 0, "rendered": 0, "dropped": 0}
    for start in range(0, len(case_ids), batch_size):
        for key, count in _refresh_batch(case_ids[start : start + batch_size]).items():
            done[key] += count
    return done


def _refresh_batch(case_ids) -> dict:
    texts = _texts(case_ids)
    stored = {
        (pk, language): (row_id, digest)
        for row_id, pk, language, digest in RenderedNarrative.objects.filter(case__in=case_ids).values_list(
            "pk", "case_id", "language", "digest"
        )
    }
    made = [
        RenderedNarrative(case_id=pk, language=language, digest=html["digest"], html=html)
        for (pk, language), sections in texts.items()
        if stored.get((pk, language), (None, None))[1] != sections_digest(sections)
        for html in [rendered_sections(sections)]
    ]
    if made:
        RenderedNarrative.objects.bulk_create(
            made, update_conflicts=True, unique_fields=["case", "language"], update_fields=["digest", "html"]
        )
    gone = [row_id for key, (row_id, _digest) in stored.items() if key not in texts]
    if gone:
        RenderedNarrative.objects.filter(pk__in=gone).delete()
    return {"texts": len(texts), "rendered": len(made), "dropped": len(gone)}


def original_rows(cases) -> list[RenderedNarrative]:
    """The rows of these new cases' originals, made from the instances (no query): for writers in bulk, which
    send no signals (generate_cases)."""
    return [
        RenderedNarrative(case_id=case.pk, language=ORIGINAL, digest=html["digest"], html=html)
        for case in cases
        for html in [rendered_sections({name: getattr(case, name) or "" for name in NARRATIVE_FIELDS})]
    ]

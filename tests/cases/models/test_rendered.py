"""The narrative's HTML made after a write, off the request path (cases/models/rendered.py): made for every
text a write changes, shown only when made from the very text and rules of the page, dropped with the
translation it was made from."""

import pytest
from django.core.management import CommandError, call_command

from cases.management.commands import render_narratives
from cases.models import NARRATIVE_FIELDS, CaseStudy, CaseTranslation, RenderedNarrative, TranslationStatus
from cases.models.rendered import ORIGINAL, refresh_rendered_narratives
from cases.models.translations import TRANSLATED_CASE_FIELDS, text_digest
from cases.web import rendering
from cases.web.rendering import sections_digest
from tests.conftest import MAX_QUERIES
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db

NARRATIVE = "The pilot **reached** 40 clinics.\n\n<script>alert(1)</script>"


def translate(case, language="th", overview="ภาพรวมของโครงการ", status=TranslationStatus.PUBLISHED):
    return CaseTranslation.objects.create(
        case=case,
        language=language,
        title="โครงการนำร่อง",
        summary="สรุป",
        overview=overview,
        translated_by="team",
        reviewed_by="reviewer" if status == TranslationStatus.PUBLISHED else "",
        status=status,
        source_digest=text_digest({name: getattr(case, name) for name in TRANSLATED_CASE_FIELDS}),
    )


def stored(case, language=ORIGINAL):
    return RenderedNarrative.objects.get(case=case, language=language)


def tamper(case, language=ORIGINAL, overview="<p>from the store</p>"):
    """The stored HTML replaced, its digest kept: a page that shows it read the store, not the text."""
    row = stored(case, language)
    row.html["sections"]["overview"] = overview
    row.save()


def test_a_written_case_has_its_narrative_rendered_once_the_write_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as pending:
        case = CaseStudyFactory(overview=NARRATIVE)
    assert not RenderedNarrative.objects.filter(case=case).exists()  # nothing before the commit
    for callback in pending:
        callback()
    row = stored(case)
    sections = {name: getattr(case, name) for name in NARRATIVE_FIELDS}
    assert row.digest == row.html["digest"] == sections_digest(sections)
    assert "<strong>reached</strong>" in row.html["sections"]["overview"]
    assert "<script>" not in row.html["sections"]["overview"]  # sanitised before it is stored
    assert "&lt;script&gt;" in row.html["sections"]["overview"]


def test_a_write_that_leaves_the_narrative_alone_renders_nothing(django_capture_on_commit_callbacks):
    case = CaseStudyFactory()
    refresh_rendered_narratives([case.pk])
    tamper(case)
    with django_capture_on_commit_callbacks(execute=True):
        case.title = "A new title"
        case.save(update_fields=["title"])
        CaseStudy.objects.get(pk=case.pk).save()  # every field saved, the narrative unchanged
    assert stored(case).html["sections"]["overview"] == "<p>from the store</p>"
    with django_capture_on_commit_callbacks(execute=True):
        case.overview = "A new overview."
        case.save(update_fields=["overview"])
    assert stored(case).html["sections"]["overview"] == "<p>A new overview.</p>"


def test_the_case_page_shows_the_stored_html_made_from_its_text(client, after_a_write):
    case = CaseStudyFactory(overview=NARRATIVE)
    refresh_rendered_narratives([case.pk])
    tamper(case)
    after_a_write()
    page = client.get(case.get_absolute_url()).content.decode()
    assert "<p>from the store</p>" in page
    assert "<strong>reached</strong>" not in page


def test_stored_html_of_another_text_is_never_shown(client, after_a_write):
    case = CaseStudyFactory(overview=NARRATIVE)
    refresh_rendered_narratives([case.pk])
    tamper(case)
    # A write that sends no signal (no task renders it again): the stored HTML no longer matches the text.
    CaseStudy.objects.filter(pk=case.pk).update(overview="Changed *in bulk*.")
    after_a_write()
    page = client.get(case.get_absolute_url()).content.decode()
    assert "from the store" not in page
    assert "<p>Changed <em>in bulk</em>.</p>" in page


def test_html_made_by_other_rendering_rules_is_never_shown(client, after_a_write, monkeypatch):
    case = CaseStudyFactory(overview=NARRATIVE)
    refresh_rendered_narratives([case.pk])
    tamper(case)
    monkeypatch.setattr(rendering, "RENDERING_VERSION", rendering.RENDERING_VERSION + 1)
    after_a_write()
    page = client.get(case.get_absolute_url()).content.decode()
    assert "from the store" not in page
    assert "<strong>reached</strong>" in page
    # And the refresh makes it again by the new rules.
    assert refresh_rendered_narratives([case.pk])["rendered"] == 1
    assert stored(case).digest == sections_digest({name: getattr(case, name) for name in NARRATIVE_FIELDS})


def test_a_published_translation_is_rendered_shown_and_dropped_when_unpublished(client, after_a_write):
    case = CaseStudyFactory()
    translation = translate(case)
    draft = translate(case, "ja", "下書き", status=TranslationStatus.DRAFT)
    assert refresh_rendered_narratives([case.pk]) == {"cases": 1, "texts": 2, "rendered": 2, "dropped": 0}
    assert not RenderedNarrative.objects.filter(case=case, language=draft.language).exists()
    assert stored(case, "th").html["sections"]["overview"] == "<p>ภาพรวมของโครงการ</p>"
    tamper(case, "th", "<p>จากที่เก็บ</p>")
    after_a_write()
    assert "<p>จากที่เก็บ</p>" in client.get(f"/th/cases/{case.slug}/").content.decode()
    # The original, in the same language's pages, is the original's HTML.
    original = client.get(f"/th/cases/{case.slug}/", {"text": "original"}).content.decode()
    assert "จากที่เก็บ" not in original
    CaseTranslation.objects.filter(pk=translation.pk).update(status=TranslationStatus.DRAFT, reviewed_by="")
    assert refresh_rendered_narratives([case.pk])["dropped"] == 1
    assert list(RenderedNarrative.objects.filter(case=case).values_list("language", flat=True)) == [ORIGINAL]


def test_a_translation_written_has_its_html_made_after_the_commit(django_capture_on_commit_callbacks):
    case = CaseStudyFactory()
    with django_capture_on_commit_callbacks(execute=True):
        translation = translate(case, overview="ภาพรวม **ใหม่**")
    assert "<strong>ใหม่</strong>" in stored(case, "th").html["sections"]["overview"]
    with django_capture_on_commit_callbacks(execute=True):
        translation.delete()
    assert not RenderedNarrative.objects.filter(case=case, language="th").exists()


def test_the_stored_html_adds_no_query_to_a_case_page(client, after_a_write, django_assert_max_num_queries):
    case = CaseStudyFactory()
    translate(case)
    refresh_rendered_narratives([case.pk])
    for path in (case.get_absolute_url(), f"/th/cases/{case.slug}/"):
        after_a_write()
        with django_assert_max_num_queries(MAX_QUERIES):
            assert client.get(path).status_code == 200


def test_the_command_renders_what_is_missing_or_stale_with_progress_and_a_summary(monkeypatch):
    from io import StringIO

    cases = [CaseStudyFactory() for _ in range(5)]
    translate(cases[0])
    RenderedNarrative.objects.all().delete()
    monkeypatch.setattr(render_narratives, "PROGRESS_EVERY", 2)  # a line every batch of 2
    out = StringIO()
    call_command("render_narratives", batch_size=2, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Rendering the narratives of 5 cases, 2 per batch"
    assert [line.split(" cases")[0].strip() for line in lines[1:-1]] == ["2/5", "4/5", "5/5"]
    assert lines[-1].startswith("Narratives rendered: 6 of 6 texts of 5 cases (the rest already current), 0 ")
    assert RenderedNarrative.objects.count() == 6
    CaseStudy.objects.filter(pk=cases[1].pk).update(overview="Changed.")
    out = StringIO()
    call_command("render_narratives", stdout=out)
    assert out.getvalue().splitlines()[-1].startswith("Narratives rendered: 1 of 6 texts of 5 cases")


def test_the_command_refuses_a_batch_size_below_one():
    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        call_command("render_narratives", batch_size=0)


def test_many_cases_are_rendered_a_batch_at_a_time_with_the_same_result():
    cases = [CaseStudyFactory(overview=f"Case **{n}**.") for n in range(5)]
    RenderedNarrative.objects.all().delete()
    assert refresh_rendered_narratives([case.pk for case in cases], batch_size=2) == {
        "cases": 5,
        "texts": 5,
        "rendered": 5,
        "dropped": 0,
    }
    for n, case in enumerate(cases):
        assert stored(case).html["sections"]["overview"] == f"<p>Case <strong>{n}</strong>.</p>"

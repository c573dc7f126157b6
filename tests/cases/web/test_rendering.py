"""Narrative Markdown (cases/web/rendering.py): each thread reuses one converter, and nothing of one text
carries over into the next."""

import threading

from cases.web.rendering import render_markdown


def test_a_reference_link_defined_in_one_text_is_not_known_in_the_next():
    first = render_markdown.__wrapped__("See [the guide][guide].\n\n[guide]: https://example.org/guide")
    second = render_markdown.__wrapped__("See [the guide][guide].")
    assert 'href="https://example.org/guide"' in first
    assert "href" not in second
    assert "[the guide][guide]" in second


def test_headings_of_each_text_are_numbered_from_the_start():
    first = render_markdown.__wrapped__("# Results\n\ntext")
    second = render_markdown.__wrapped__("# Results\n\ntext")
    assert first == second
    assert "<h3" in first


def test_threads_render_at_once_without_mixing_their_texts():
    texts = [f"# Section {n}\n\nParagraph **{n}** with a [link](https://example.org/{n})." for n in range(40)]
    expected = [render_markdown.__wrapped__(text) for text in texts]
    found = {}

    def render(offset):
        for n in range(offset, len(texts), 4):
            found[n] = render_markdown.__wrapped__(texts[n])

    threads = [threading.Thread(target=render, args=(offset,)) for offset in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [found[n] for n in range(len(texts))] == expected
    assert all(f"https://example.org/{n}" in expected[n] for n in range(len(texts)))

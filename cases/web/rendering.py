"""Narrative text as HTML: Markdown written by submitters and editors, rendered and then sanitised.

Untrusted text stays text. Python-Markdown is told not to pass raw HTML through (the recipe from its own
docs for the removed `safe_mode`: https://python-markdown.github.io/change_log/release-3.0/), so `<script>`
typed into a case shows as the characters `<script>`; then nh3 (the Rust `ammonia` sanitiser) keeps only a
small allow-list of tags and attributes, and links only to http, https and mailto, as a second fence in
case Markdown itself ever lets something through.
"""

import hashlib
import json
import threading
from functools import lru_cache

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions import Extension

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "a",
    "blockquote",
    "code",
    "pre",
    "h3",
    "h4",
    "h5",
    "h6",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener"
# Narrative sections sit under an <h2> on the case page: a Markdown "# Heading" becomes an <h3>.
FIRST_HEADING_LEVEL = 3
# Distinct narrative texts kept rendered; a case page renders up to nine of them.
RENDER_CACHE_SIZE = 2048
# Part of the digest stored with rendered HTML (sections_digest): change it whenever what render_markdown
# makes of a text changes (an extension, the allow-list, the sanitiser's options), so that HTML made by the
# old rules is never shown again; pages render live until the HTML is made again.
RENDERING_VERSION = 1


class TextOnlyHtml(Extension):
    """Raw HTML in the source and image syntax are shown as the text typed: Markdown makes no tag of them."""

    def extendMarkdown(self, md):
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        # No images from a narrative: "![alt](url)" stays as the characters typed.
        md.inlinePatterns.deregister("image_link")
        md.inlinePatterns.deregister("image_reference")


def sanitise_html(html: str) -> str:
    """`html` reduced to the allow-list: unknown tags dropped (their text kept, except script/style)."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


_converters = threading.local()


def _converter() -> markdown.Markdown:
    """This thread's Markdown converter, reset for a new text. A Markdown instance keeps state between
    conversions and is not thread-safe, so each thread has its own; making one (its extensions, their
    patterns) cost more than converting a section of a case (0.14 of 0.33 ms, nine times a case page)."""
    converter = getattr(_converters, "converter", None)
    if converter is None:
        converter = _converters.converter = markdown.Markdown(
            # nl2br: a single line break stays one, as it did when the sections were plain text.
            extensions=[TextOnlyHtml(), "sane_lists", "nl2br", "toc"],
            extension_configs={"toc": {"baselevel": FIRST_HEADING_LEVEL, "anchorlink": False}},
            output_format="html",
        )
    return converter.reset()


@lru_cache(maxsize=RENDER_CACHE_SIZE)
def render_markdown(text: str) -> SafeString:
    """Markdown `text` as sanitised HTML, safe to place in a page as it is."""
    if not text:
        return mark_safe("")
    return mark_safe(sanitise_html(_converter().convert(text)))  # noqa: S308 - sanitised by nh3 just above


def sections_digest(sections: dict[str, str]) -> str:
    """A digest of narrative `sections` ({field: Markdown}) and of the rules they are rendered by: what HTML
    stored beside a text (cases.models.RenderedNarrative) must have been made from to be shown."""
    text = json.dumps([RENDERING_VERSION, sorted((name, text or "") for name, text in sections.items())])
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def rendered_sections(sections: dict[str, str]) -> dict:
    """What to store beside a text: its filled sections as sanitised HTML, and the digest of what they were
    made from (sections_digest)."""
    return {
        "digest": sections_digest(sections),
        "sections": {name: str(render_markdown(text)) for name, text in sections.items() if text},
    }


def sections_html(sections: dict[str, str], stored: dict | None) -> dict[str, SafeString]:
    """Each filled section of `sections` as HTML: the `stored` HTML (rendered_sections) when it was made from
    exactly this text by these rules, otherwise rendered now. A page shown for the first time after a write
    then renders no Markdown (2.4 ms a case at 100,000 generated cases), and stored HTML that does not
    match the text (written by a path that left it behind, or by older rules) is never shown."""
    if stored and stored.get("digest") == sections_digest(sections):
        html = stored.get("sections") or {}
        if all(name in html for name, text in sections.items() if text):
            # Made by rendered_sections: sanitised by nh3 before it was stored.
            return {name: mark_safe(html[name]) for name, text in sections.items() if text}  # noqa: S308
    return {name: render_markdown(text) for name, text in sections.items() if text}

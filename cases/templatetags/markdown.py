"""`{% load markdown %}` then `{{ case.overview|markdown }}`: narrative Markdown as sanitised HTML."""

from django import template

from cases.web.rendering import render_markdown

register = template.Library()


@register.filter(name="markdown", is_safe=True)
def markdown_filter(value):
    """Render Markdown `value` to HTML with only the allow-listed tags (cases/web/rendering.py)."""
    return render_markdown("" if value is None else str(value))

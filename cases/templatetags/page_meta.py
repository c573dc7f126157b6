"""`{% load page_meta %}`: what base.html says about a page to the platforms it is shared on (Open Graph and
Twitter card tags): absolute addresses built from the request, and a page's title reused in those tags."""

from django import template
from django.template.loader_tags import BLOCK_CONTEXT_KEY
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def absolute_url(context, location):
    """`location` (a path, or an address already absolute, as a storage on a CDN gives) as an absolute
    address on the request's own scheme and host, as the case page's canonical link is: never a host
    written into settings. Empty on a page that answers an address that never resolved (a malformed
    address, a host not allowed), which must not echo what was sent."""
    request = context.get("request")
    if request is None or getattr(request, "resolver_match", None) is None:
        return ""
    return request.build_absolute_uri(location)


@register.simple_tag(takes_context=True)
def block_text(context, name):
    """The block `name` as the page being rendered fills it (the most derived template's), rendered again:
    `<meta property="og:title" content="{% block_text 'title' %}">` says what <title> says, without every
    page repeating its title in a second block. Django's templates render a block once by name; this
    renders it where it is asked for too, on one line (its output is escaped like the block's own)."""
    blocks = context.render_context.get(BLOCK_CONTEXT_KEY)
    block = blocks.get_block(name) if blocks is not None else None
    if block is None:
        return ""
    rendered = block.render(context)
    one_line = " ".join(rendered.split())
    if not isinstance(rendered, SafeString):
        return one_line  # escaped by simple_tag
    return mark_safe(one_line)  # noqa: S308 - the block's own output, escaped by it; only spaces changed

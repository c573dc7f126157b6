"""The marks around a matched word in an excerpt, before it becomes HTML (cases.search.engine.marked_html).

Control characters that case text cannot hold (cases.web.validation refuses them), so a stored one can never
turn into a <mark>; excerpts strip them from the text first all the same.
"""

HIGHLIGHT_START = "\x02"
HIGHLIGHT_STOP = "\x03"


def without_markers(text: str) -> str:
    return text.replace(HIGHLIGHT_START, "").replace(HIGHLIGHT_STOP, "")

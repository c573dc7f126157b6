"""What a search reads once per request though several parts of the request ask for it: the postings of a
query's words (its matches for the total and facet counts, then its page), and on SQLite the known words a
word cut short may stand for (matching, ranking and snippets each build the same expression). Started and
ended with each request (cases/apps.py); outside a request (tasks, commands, shells) nothing is kept, so a
long-running process never reads stale words."""

from contextvars import ContextVar

_kept: ContextVar[dict | None] = ContextVar("search_request_memo", default=None)


def start_request(**_kwargs) -> None:
    _kept.set({})


def end_request(**_kwargs) -> None:
    _kept.set(None)


def once_per_request(key, read):
    """`read()`, called once per request for `key` (a hashable: what it reads, and on which database)."""
    kept = _kept.get()
    if kept is None:
        return read()
    if key not in kept:
        kept[key] = read()
    return kept[key]


def remember(key, value) -> None:
    """Keep `value` for `key` for the rest of the request, read along with something else (nothing outside a
    request)."""
    kept = _kept.get()
    if kept is not None:
        kept[key] = value

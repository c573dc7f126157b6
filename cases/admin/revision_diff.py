"""A revision's differences in words, for the case's History in admin.

A revision stores its changes as `{key: [before, after]}` of the case's snapshot (cases/curation/history.py):
slugs, ISO codes, choice values, lists of dicts. A curator reads them here as sentences:

    Title: “Old title” → “New title”
    Sectors: added Health; removed Education
    Outcomes: added “Consultations: 1,200 visits”; “Waiting days”: value 45 → 12.5
    Overview: “…the pilot served 1,200 families…” → “…the pilot served 1,500 families…”

Codes become names (one query per vocabulary for a whole page of revisions), and a link to another case
names it only when the reader may see that case (cases/curation/workflow.py, visible_cases): a history page
must not tell an economy editor the title of another economy's draft. Keys this module does not know are
still described, generically, so a new field of the snapshot shows up without a change here.
"""

import difflib
import json
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases import records
from cases.curation.workflow import visible_cases
from cases.models import CaseStudy, CaseTranslation, LinkRelation, Outcome
from cases.web.formatting import format_number

# Snapshot keys holding codes of a vocabulary: the model and the code's field (the case record's).
VOCABULARY_KEYS = {
    field.name: (field.model, field.value_field) for field in records.vocabulary_fields(records.SNAPSHOT)
}
# Lists of rows: the key that says "the same row, changed" when it is on both sides.
ROW_KEYS = {"outcomes": "indicator", "resources": "url", "translations": "language"}
# A text longer than this is shown as the passages that changed, not whole.
SHORT_TEXT = 120
CONTEXT_WORDS = 4
MAX_PASSAGES = 3


@dataclass(frozen=True)
class Difference:
    """One field's change: `label` ("Title") and `text` ("“A” → “B”")."""

    label: str
    text: str

    def __str__(self):
        return f"{self.label}: {self.text}"


def quoted(text) -> str:
    return f"“{text}”"


def _field(key):
    try:
        return CaseStudy._meta.get_field(key)
    except FieldDoesNotExist:
        return None


def label_for(key: str) -> str:
    """The words for a snapshot key: the case field's verbose name, or the rows' name."""
    special = {
        "outcomes": Outcome._meta.verbose_name_plural,
        "links": _("links to other cases"),
        "resources": _("supporting links"),
        "translations": CaseTranslation._meta.verbose_name_plural,
    }
    if key in special:
        return capfirst(str(special[key]))
    field = _field(key)
    if field is not None:
        return capfirst(str(field.verbose_name))
    return capfirst(key.replace("_", " "))


class Names:
    """Names for the codes and case ids a set of revisions mentions, looked up once for all of them."""

    def __init__(self, changes_list, user):
        wanted = {}  # model -> (code field, set of codes)
        case_ids = set()
        for changes in changes_list:
            for key, pair in changes.items():
                values = [v for side in pair for v in (side if isinstance(side, list) else [side])]
                if key in VOCABULARY_KEYS:
                    model, code = VOCABULARY_KEYS[key]
                    wanted.setdefault(model, (code, set()))[1].update(
                        v for v in values if v not in (None, "")
                    )
                elif key == "links":
                    case_ids.update(v[1] for v in values if isinstance(v, list) and len(v) == 2)
        self.codes = {}
        for model, (code, values) in wanted.items():
            found = model.objects.filter(**{f"{code}__in": values})
            self.codes[model] = {str(getattr(obj, code)): str(obj) for obj in found}
        cases = CaseStudy.objects.filter(pk__in=[pk for pk in case_ids if isinstance(pk, int)])
        # visible_cases(None) is the system's view (every case): a reader nobody knows is told no title.
        self.case_titles = {}
        if user is not None and case_ids:
            self.case_titles = dict(visible_cases(user, cases).values_list("pk", "title"))

    def code(self, key, value) -> str:
        model, _code = VOCABULARY_KEYS[key]
        return self.codes.get(model, {}).get(str(value), str(value))

    def case(self, pk) -> str:
        title = self.case_titles.get(pk)
        return quoted(title) if title is not None else _("a case you may not see")


def _is_empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _scalar(key, value) -> str:
    """One value of a case field in words."""
    if _is_empty(value):
        return _("(empty)")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    field = _field(key)
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.DateField) and isinstance(value, str):
        try:
            return formats.date_format(date.fromisoformat(value[:10]))
        except ValueError:
            return quoted(value)
    if isinstance(value, int | float):
        return str(value)  # years and counts: never grouped ("2,014" reads wrong)
    return quoted(value)


def _passages(before: str, after: str) -> str:
    """The passages of a long text that changed, each with a few words of context on either side."""
    old, new = before.split(), after.split()
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    if matcher.ratio() < 0.3:  # rewritten: say so, with the start of each version
        return _("rewritten: %(before)s → %(after)s") % {
            "before": quoted(_shorten(before)),
            "after": quoted(_shorten(after)),
        }
    changes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    shown = []
    for _tag, i1, i2, j1, j2 in changes[:MAX_PASSAGES]:
        shown.append(f"{_excerpt(old, i1, i2)} → {_excerpt(new, j1, j2)}")
    text = "; ".join(shown)
    if len(changes) > MAX_PASSAGES:
        more = len(changes) - MAX_PASSAGES
        text += ngettext(" (and %(count)d more change)", " (and %(count)d more changes)", more) % {
            "count": more
        }
    return text


def _excerpt(words, start, end) -> str:
    """`words[start:end]` with CONTEXT_WORDS around it, in quotes, "…" where the text goes on."""
    left, right = max(start - CONTEXT_WORDS, 0), min(end + CONTEXT_WORDS, len(words))
    text = " ".join(words[left:right]) or _("(nothing)")
    return quoted(("…" if left else "") + text + ("…" if right < len(words) else ""))


def _shorten(text: str, length: int = 80) -> str:
    return text if len(text) <= length else text[:length].rsplit(" ", 1)[0] + "…"


def _scalar_change(key, before, after) -> str:
    if isinstance(before, str) and isinstance(after, str) and max(len(before), len(after)) > SHORT_TEXT:
        return _passages(before, after)
    return f"{_scalar(key, before)} → {_scalar(key, after)}"


def _outcome(row) -> str:
    value = f"{format_number(row.get('value'))} {row.get('unit') or ''}".strip()
    text = f"{row.get('indicator', '')}: {value}"
    if not _is_empty(row.get("baseline")):
        text += " " + _("(baseline %(baseline)s)") % {"baseline": format_number(row["baseline"])}
    return quoted(text)


def _row(key, row, names: Names) -> str:
    """One element of a list field in words."""
    if key in VOCABULARY_KEYS:
        return names.code(key, row)
    if key == "links" and isinstance(row, list) and len(row) == 2:
        relation, pk = row
        words = LinkRelation(relation).label if relation in LinkRelation.values else relation
        return f"{words} {names.case(pk)}"
    if key == "outcomes" and isinstance(row, dict):
        return _outcome(row)
    if key == "resources" and isinstance(row, dict):
        return quoted(f"{row.get('title', '')} ({row.get('url', '')})")
    if isinstance(row, dict):
        return quoted(", ".join(f"{k}: {v}" for k, v in row.items()))
    return quoted(row) if isinstance(row, str) else str(row)


def _row_change(key, before: dict, after: dict) -> str:
    """The same row (outcome, supporting link) on both sides, changed: which of its values, how."""
    parts = []
    for name in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if name in records.OUTCOME_NUMBERS:
            old, new = (format_number(v) if not _is_empty(v) else _("(empty)") for v in (old, new))
        else:
            old, new = (quoted(v) if not _is_empty(v) else _("(empty)") for v in (old, new))
        parts.append(f"{name.replace('_', ' ')} {old} → {new}")
    title = before.get("indicator") or before.get("title") or before.get(ROW_KEYS[key], "")
    return f"{quoted(title)}: {', '.join(parts)}"


def _canonical(row) -> str:
    return json.dumps(row, sort_keys=True, default=str)


def _list_change(key, before, after, names: Names) -> str:
    before, after = before or [], after or []
    after_keys = {_canonical(row) for row in after}
    before_keys = {_canonical(row) for row in before}
    removed = [row for row in before if _canonical(row) not in after_keys]
    added = [row for row in after if _canonical(row) not in before_keys]
    changed = []
    row_key = ROW_KEYS.get(key)
    if row_key:
        # An outcome whose indicator is on both sides was changed, not removed and added.
        removed_by_key = {row.get(row_key): row for row in removed if isinstance(row, dict)}
        for row in list(added):
            old = removed_by_key.pop(row.get(row_key), None) if isinstance(row, dict) else None
            if old is not None:
                changed.append(_row_change(key, old, row))
                added.remove(row)
                removed.remove(old)
    parts = []
    if added:
        parts.append(_("added %(rows)s") % {"rows": ", ".join(_row(key, row, names) for row in added)})
    if removed:
        parts.append(_("removed %(rows)s") % {"rows": ", ".join(_row(key, row, names) for row in removed)})
    parts.extend(changed)
    if not parts:  # the same rows in another order
        parts.append(_("reordered"))
    return "; ".join(parts)


def describe_changes(changes: dict, names: Names) -> list[Difference]:
    """Each changed field of a revision (`{key: [before, after]}`) as a Difference in words."""
    described = []
    for key, pair in changes.items():
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            continue
        before, after = pair
        if isinstance(before, list) or isinstance(after, list):
            text = _list_change(key, before, after, names)
        elif key == "economy":
            text = f"{names.code(key, before) if before else _('(empty)')} → {names.code(key, after)}"
        else:
            text = _scalar_change(key, before, after)
        described.append(Difference(label_for(key), text))
    return described


def is_first_version(changes: dict) -> bool:
    """A revision recorded with nothing before it (the case created, imported, or first recorded): its
    "changes" are the whole case, which reads better as one line than as every field."""
    return bool(changes) and all(
        isinstance(pair, list | tuple) and len(pair) == 2 and pair[0] is None for pair in changes.values()
    )


def describe_revisions(revisions, user) -> list[tuple]:
    """(revision, [Difference], first_version) for each revision, with one set of name look-ups for all."""
    revisions = list(revisions)
    names = Names([r.changes or {} for r in revisions if not is_first_version(r.changes or {})], user)
    described = []
    for revision in revisions:
        changes = revision.changes or {}
        first = is_first_version(changes)
        described.append((revision, [] if first else describe_changes(changes, names), first))
    return described

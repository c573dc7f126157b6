"""What search knows about words beyond the cases themselves.

- The thesaurus, kept by curators in admin: each entry is a set of terms that mean the same to a reader
  of public-sector innovation ("AI" and "artificial intelligence", "e-government" and "digital
  government"). A search for any of them finds what any of them finds (cases/search/query.py).
- The word list: every word of the published cases with the number of cases it is in, rebuilt by a task
  after the catalogue changes (cases/search/words.py). "Did you mean" draws its corrections from it.
"""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# Terms are separated by commas, semicolons or new lines; a term may be a phrase ("one-stop shop"). The
# full-width and ideographic commas and semicolons a Chinese, Japanese or Korean keyboard types count too.
TERM_SEPARATOR = re.compile("[,\n;\uff0c\u3001\uff1b]+")
MAX_TERM_LENGTH = 80
# Synonyms, not a word list: every term of an entry is searched whenever one is typed.
MAX_TERMS = 12


def split_terms(text: str) -> list[str]:
    """The terms of an entry as written, blanks and repeats (ignoring case) dropped, in their order."""
    seen, terms = set(), []
    for term in TERM_SEPARATOR.split(text or ""):
        term = " ".join(term.split())
        if term and term.casefold() not in seen:
            seen.add(term.casefold())
            terms.append(term)
    return terms


class ThesaurusEntry(models.Model):
    """Terms that mean the same thing for searching: synonyms, acronyms, spellings, former names."""

    terms = models.TextField(
        _("terms"),
        help_text=_(
            "Two or more words or phrases that mean the same, separated by commas, e.g. “AI, artificial "
            "intelligence”. A search for any of them also finds the cases that use the others."
        ),
    )
    note = models.CharField(
        _("note for curators"),
        max_length=200,
        blank=True,
        help_text=_("Why these terms belong together, or where they come from. Not shown to the public."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("thesaurus entry")
        verbose_name_plural = _("thesaurus")
        ordering = ["terms"]

    def __str__(self):
        return ", ".join(self.term_list)

    @property
    def term_list(self) -> list[str]:
        return split_terms(self.terms)

    def clean(self):
        terms = self.term_list
        if len(terms) < 2:
            raise ValidationError(
                {"terms": _("Give at least two terms that mean the same, separated by commas.")}
            )
        if len(terms) > MAX_TERMS:
            raise ValidationError(
                {
                    "terms": _(
                        "An entry may have at most %(max)d terms: every term is searched whenever one of "
                        "them is typed. Split it into entries of terms that truly mean the same."
                    )
                    % {"max": MAX_TERMS}
                }
            )
        too_long = [term for term in terms if len(term) > MAX_TERM_LENGTH]
        if too_long:
            raise ValidationError(
                {
                    "terms": _("A term may have at most %(max)d characters: “%(term)s” is longer.")
                    % {"max": MAX_TERM_LENGTH, "term": too_long[0][:MAX_TERM_LENGTH] + "…"}
                }
            )
        if not any(any(character.isalnum() for character in term) for term in terms):
            raise ValidationError({"terms": _("The terms must contain letters or digits.")})
        # Stored as one term per line: the form a reader of the admin list recognises.
        self.terms = "\n".join(terms)


class SearchWord(models.Model):
    """A word of the published cases (accents folded, lower case) and how many published cases have it."""

    word = models.CharField(max_length=100, primary_key=True)
    documents = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("search word")
        verbose_name_plural = _("search words")

    def __str__(self):
        return self.word

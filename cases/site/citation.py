"""'Cite this case' in APA, BibTeX and RIS."""

import re

from django.conf import settings
from django.utils import timezone


def _bibtex_escape(text: str) -> str:
    return re.sub(r"([{}\\&%$#_^~])", r"\\\1", text)


def citation_formats(case, request) -> dict[str, str]:
    """Plain-text citations of `case`, keyed by format name."""
    url = request.build_absolute_uri(case.get_absolute_url())
    site = settings.OBSERVATORY_SITE_NAME
    published = case.published_at or case.updated_at or timezone.now()
    year = published.year
    accessed = timezone.now().date()
    author = case.lead_organisation
    apa = f"{author}. ({year}). {case.title}. {site}. {url}"
    key = re.sub(r"[^a-z0-9]+", "", case.slug.lower())[:40] + str(year)
    bibtex = (
        f"@misc{{{key},\n"
        f"  author = {{{{{_bibtex_escape(author)}}}}},\n"
        f"  title = {{{_bibtex_escape(case.title)}}},\n"
        f"  year = {{{year}}},\n"
        f"  howpublished = {{{_bibtex_escape(site)}}},\n"
        f"  url = {{{url}}},\n"
        f"  note = {{Accessed {accessed.isoformat()}}}\n"
        f"}}"
    )
    ris = "\n".join(
        [
            "TY  - ELEC",
            f"AU  - {author}",
            f"TI  - {case.title}",
            f"PY  - {year}",
            f"PB  - {site}",
            f"UR  - {url}",
            f"Y2  - {accessed.isoformat()}",
            f"AB  - {case.summary}",
            "ER  - ",
        ]
    )
    return {"APA": apa, "BibTeX": bibtex, "RIS": ris}

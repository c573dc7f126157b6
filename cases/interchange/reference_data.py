"""The vocabularies' reference data, kept as readable JSON under cases/fixtures/reference/, and their names
and descriptions in the interface's other languages under cases/fixtures/reference/translations/<code>.json
(docs/translating.md)."""

import json
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "reference"

# file name -> (model name, the stable key rows are matched on)
REFERENCE_FILES = {
    "economies.json": ("Economy", "iso2"),
    "sectors.json": ("Sector", "slug"),
    "facets.json": ("InnovationFacet", "slug"),
    "sdgs.json": ("SDG", "number"),
    "themes.json": ("Theme", "slug"),
}


# file name -> the section of a translations file that holds its rows' translations
TRANSLATION_SECTIONS = {
    "economies.json": "economies",
    "sectors.json": "sectors",
    "facets.json": "facets",
    "sdgs.json": "sdgs",
    "themes.json": "themes",
}


def read_reference(file_name: str) -> list[dict]:
    return json.loads((REFERENCE_DIR / file_name).read_text(encoding="utf-8"))


def read_translations() -> dict[str, dict]:
    """language code -> that language's translations file, for every file there is."""
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((REFERENCE_DIR / "translations").glob("*.json"))
    }


def row_translations(file_name: str, row: dict, translations: dict[str, dict]) -> dict[str, dict[str, str]]:
    """{language: {field: text}} for one reference row: its own entry of each language's section (matched by
    slug, or by number for the SDGs), and for an economy the names of its UN M49 region and sub-region."""
    section = TRANSLATION_SECTIONS[file_name]
    key = str(row["number"]) if file_name == "sdgs.json" else row["slug"]
    found = {}
    for language, sections in translations.items():
        fields = {name: text for name, text in sections.get(section, {}).get(key, {}).items() if text}
        if file_name == "economies.json":
            for field, regions in (("region_name", "regions"), ("subregion_name", "subregions")):
                text = sections.get(regions, {}).get(row[field])
                if text:
                    fields[field] = text
        if fields:
            found[language] = fields
    return found


def load_reference_data(apps=None) -> dict[str, int]:
    """Create or update every vocabulary row; returns how many rows each model now has from the files."""
    if apps is None:
        from django.apps import apps
    counts = {}
    translations = read_translations()
    for file_name, (model_name, key) in REFERENCE_FILES.items():
        model = apps.get_model("cases", model_name)
        # Before the migration that adds them (an earlier migration calls this too), no translations field.
        translatable = any(field.name == "translations" for field in model._meta.get_fields())
        rows = read_reference(file_name)
        for row in rows:
            values = dict(row)
            term, _created = model.objects.update_or_create(**{key: values.pop(key)}, defaults=values)
            if translatable:
                # The files' languages replace what a term had in them; a language curators added is kept.
                merged = {**(term.translations or {}), **row_translations(file_name, row, translations)}
                if merged != term.translations:
                    model.objects.filter(pk=term.pk).update(translations=merged)
        counts[model_name] = len(rows)
    return counts

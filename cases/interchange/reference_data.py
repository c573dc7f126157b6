"""The vocabularies' reference data, kept as readable JSON under cases/fixtures/reference/."""

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


def read_reference(file_name: str) -> list[dict]:
    return json.loads((REFERENCE_DIR / file_name).read_text(encoding="utf-8"))


def load_reference_data(apps=None) -> dict[str, int]:
    """Create or update every vocabulary row; returns how many rows each model now has from the files."""
    if apps is None:
        from django.apps import apps
    counts = {}
    for file_name, (model_name, key) in REFERENCE_FILES.items():
        model = apps.get_model("cases", model_name)
        rows = read_reference(file_name)
        for row in rows:
            values = dict(row)
            model.objects.update_or_create(**{key: values.pop(key)}, defaults=values)
        counts[model_name] = len(rows)
    return counts

"""The expression behind `CaseStudy.search_vector`: the search document the database keeps for each case.

A stored generated column, so the database keeps it right whatever writes the row: on PostgreSQL a weighted,
accent-folded tsvector (title A, summary and organisation B, the narrative C) with a GIN index; on SQLite
the lower-cased text, for plain matching. It lives with the models (migration 0001 names it by this path);
cases/search/engine.py queries it.
"""

from django.contrib.postgres.search import SearchVectorField
from django.db.models import F, Func
from django.utils.deconstruct import deconstructible

TITLE_FIELDS = ["title"]
SUMMARY_FIELDS = ["summary", "lead_organisation"]
NARRATIVE_FIELDS = [
    "overview",
    "what_is_innovative",
    "collaborations",
    "users_beneficiaries",
    "results_impact",
    "challenges_failures",
    "conditions_for_success",
    "replication",
    "lessons_learned",
]


@deconstructible(path="cases.models.search_document.CaseSearchDocument")
class CaseSearchDocument(Func):
    """The expression behind `CaseStudy.search_vector`, compiled per database."""

    output_field = SearchVectorField()

    def __init__(self):
        super().__init__(*[F(name) for name in TITLE_FIELDS + SUMMARY_FIELDS + NARRATIVE_FIELDS])

    def _columns(self, compiler, connection):
        return [compiler.compile(expression)[0] for expression in self.get_source_expressions()]

    def as_postgresql(self, compiler, connection, **extra):
        columns = dict(
            zip(
                TITLE_FIELDS + SUMMARY_FIELDS + NARRATIVE_FIELDS,
                self._columns(compiler, connection),
                strict=True,
            )
        )

        def weighted(names, weight):
            text = " || ' ' || ".join(f"coalesce({columns[name]}, '')" for name in names)
            return f"setweight(to_tsvector('english'::regconfig, observatory_unaccent({text})), '{weight}')"

        sql = " || ".join(
            [weighted(TITLE_FIELDS, "A"), weighted(SUMMARY_FIELDS, "B"), weighted(NARRATIVE_FIELDS, "C")]
        )
        return f"({sql})", []

    def as_sql(self, compiler, connection, **extra):
        text = " || ' ' || ".join(f"coalesce({column}, '')" for column in self._columns(compiler, connection))
        return f"lower({text})", []

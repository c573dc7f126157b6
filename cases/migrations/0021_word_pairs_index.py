"""The pairs of adjacent words of each search document, indexed (PostgreSQL): a quoted phrase is looked up
instead of read. GIN keeps no positions, so `document @@ 'digit' <-> 'govern'` found the cases with both
words through the index and then read every one of their documents to check the order: 0.4 s at 100,000
cases for a phrase in 10% of them, 2.9 s at 1,000,000 (docs/benchmarks.md). Each pair of words at
positions p and p + 1 of the stored document becomes one lexeme "first second" (with a space, which no
lexeme of the parser holds), so a phrase of two words is one index lookup, and a longer one has its
candidates narrowed to the cases with all its pairs. Derived from the stored vector itself, so a pair
matches exactly where PostgreSQL's own phrase operator does (same positions, same limits). An expression
index: nothing is stored twice, and the trigger of migration 0016 needs no change."""

from django.db import migrations

from cases.migrations._postgresql import run_on_postgresql

FORWARD = [
    # The lexeme pairs at adjacent positions of a tsvector, as a tsvector of their own.
    """CREATE OR REPLACE FUNCTION observatory_word_pairs(document tsvector) RETURNS tsvector
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT coalesce(array_to_tsvector(array_agg(DISTINCT first.lexeme || ' ' || second.lexeme)), ''::tsvector)
        FROM (SELECT lexeme, unnest(positions) AS position FROM unnest(document)) AS first
        JOIN (SELECT lexeme, unnest(positions) AS position FROM unnest(document)) AS second
          ON second.position = first.position + 1
    $$""",
    # The pairs a phrase needs, joined by AND, as a tsquery; NULL unless its words (as to_tsvector reads the
    # phrase) are at least two, one at each of consecutive positions. A stop word inside a phrase leaves a
    # gap ("head of state" is 'head' <2> 'state'): such a phrase is read as before.
    """CREATE OR REPLACE FUNCTION observatory_phrase_pairs(phrase tsvector) RETURNS tsquery
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT CASE
            WHEN count(*) >= 2 AND count(DISTINCT position) = count(*)
                 AND max(position) - min(position) + 1 = count(*)
            THEN (
                SELECT string_agg(
                    chr(39) || replace(replace(pair, chr(92), chr(92) || chr(92)), chr(39), chr(39) || chr(39))
                    || chr(39),
                    ' & '
                )::tsquery
                FROM unnest(tsvector_to_array(observatory_word_pairs(phrase))) AS pair
            )
        END
        FROM (SELECT unnest(positions) AS position FROM unnest(phrase)) AS words
    $$""",
    # Whether a phrase is exactly two words at consecutive positions: its one pair is then the whole match.
    """CREATE OR REPLACE FUNCTION observatory_phrase_is_pair(phrase tsvector) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT count(*) = 2 AND max(position) - min(position) = 1
        FROM (SELECT unnest(positions) AS position FROM unnest(phrase)) AS words
    $$""",
    "CREATE INDEX IF NOT EXISTS casesearch_word_pairs ON cases_casesearch "
    "USING gin (observatory_word_pairs(document))",
]
BACKWARD = [
    "DROP INDEX IF EXISTS casesearch_word_pairs",
    "DROP FUNCTION IF EXISTS observatory_phrase_is_pair(tsvector)",
    "DROP FUNCTION IF EXISTS observatory_phrase_pairs(tsvector)",
    "DROP FUNCTION IF EXISTS observatory_word_pairs(tsvector)",
]


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0020_title_words_index"),
    ]

    operations = [
        migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD)),
    ]

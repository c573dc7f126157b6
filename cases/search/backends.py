"""The one place that knows which database runs: it picks the search backend.

Each backend is a module with the same functions (cases/search/postgresql.py: full-text search with a
GIN index, trigram similarity; cases/search/sqlite.py: FTS5 with bm25, the embedded default):

- `match(queryset, query, matches=None)`: `queryset` narrowed to the cases matching every concept of
  `query` (a cases.search.query.ParsedQuery: any alternative of a concept in the text, or one of its tags),
  annotated `search_rank` (a float, higher is better: title over summary and organisation over narrative;
  a case matched only by a tag ranks below text matches of the same strength). `matches`, when given, is
  the ids of the published cases that match (the search need not match the words again).
- `matching_ids(query, tagged_cases=None)`: the ids of the published cases matching `query`, as fast as
  the database can give them (the statistics' and facet counts' bitmaps intersect them with the other
  filters, and with the published cases they hold: on PostgreSQL a case deleted outright may linger in a
  word's posting).
  `tagged_cases(tags)`, when given, is the published cases tagged with any of a concept's tags, from the
  catalogue's bitmaps: the database need not be asked.
- `any_match(query)`: whether any published case matches `query` (deciding how a query is understood).
- `ranked_ids(query, offset, limit, tagged_cases=None, matches=None)`: a page of the published cases
  matching `query` in the library's order (rank, newest, id), as ids: what the library and the API show
  for a search and nothing else. `matches`, when given, is the ids of the published cases that match
  (the search need not match the words again).
- `highlighted_excerpts(case_ids, query)`: {case id: an excerpt of its summary and narrative around the
  matches, whole matched words between HIGHLIGHT_START and HIGHLIGHT_STOP (cases/search/markers.py)}.
- `with_excerpts(queryset, query)`: `queryset` whose cases come with `search_excerpt`, the excerpt above,
  read in the same query (PostgreSQL: ts_headline; SQLite: FTS5's snippet() of the case's row of the index).
- `title_matches(queryset, query)`: type-ahead: the cases whose title has every concept (the last word of
  the query as a prefix when `query`'s last concept says so).
- `similar_titles(candidates, title)`: the candidates whose title resembles `title` (a value or an outer
  reference), for the duplicate check of the moderation queue.
- `text_likeness(words)`: an expression scoring how many of `words` a case has (related cases), or None.
- `among(queryset, ids)`: `queryset` narrowed to the cases of `ids` (a few hundred), as cheaply as the
  database takes them (related cases' candidates).
- `word_counts()`: (word, number of published cases with it) for every folded word of the published cases,
  for the word list "did you mean" uses.
- `begins_known_words(start)`: whether a known word of the word list begins with `start` (a word still
  being typed, read as the known words it begins: on PostgreSQL, no query after close_words() of it).
- `close_words(words, limit)`: for each of `words`, in one query, the word itself with its number of
  cases when the word list has it, then up to `limit` other words of the list close to it in spelling,
  closest first, each as (word, number of cases).
- `refresh_postings(rebuild=False, progress=None)`: bring the posting lists of common words up to date
  after a write (PostgreSQL, cases/search/postings.py; nothing on SQLite, whose FTS5 index is its own);
  returns what it did.
- `analyze()`: update the database's statistics of the search documents (which words are common).
"""

from django.db import connection

from cases.search import postgresql, sqlite


def backend():
    return postgresql if connection.vendor == "postgresql" else sqlite


def is_full_text_database() -> bool:
    """Whether the database's own planner settings apply (cases.search.engine.full_text_index_preferred)."""
    return connection.vendor == "postgresql"

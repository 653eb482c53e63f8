"""Any text typed into a table's search box searches instead of failing.

Datasette's table search runs ``match escape_fts(:search)``. Its ``escape_fts`` quotes
each word, but for text with no words (a lone quote, spaces) it returns '', which FTS5
rejects with a syntax error, and a NUL character ends SQLite's reading of the string.
This plugin registers an ``escape_fts`` that reads NULs and line breaks as spaces and
gives '""' (an empty phrase: no rows) where Datasette's would give ''. It runs after
Datasette's own ``prepare_connection`` (``trylast``), so its function is the one used.
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.utils import escape_fts


def escape_typed(query: str | None) -> str:
    text = (query or "").replace("\x00", " ").replace("\r", " ").replace("\n", " ")
    return escape_fts(text) or '""'


@hookimpl(trylast=True)
def prepare_connection(conn) -> None:
    conn.create_function("escape_fts", 1, escape_typed, deterministic=True)

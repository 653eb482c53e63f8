"""Tables of statements (CSV or TSV): one paragraph block per row.

Published campaign-statement data usually comes as a spreadsheet with one statement per
row. The statement column is the one headed text/statement/pledge/content/quote/
promise, else the column with the longest cells; each row becomes a paragraph under
a section named by the row's other short fields (e.g. party and date), so records keep
which row they came from.
"""

from __future__ import annotations

import csv
import io

from pledgeflow.document import Block, Document
from pledgeflow.parse import ParseError
from pledgeflow.text_decode import decode_text

PARSER = "csv"
# 2: one decoder for every text format (text_decode); 3: RFC 4180 quoting, whatever the
# sniffer guesses
PARSER_VERSION = "3"
TEXT_HEADERS = ("text", "statement", "pledge", "promise", "content", "quote", "body",
                "commitment", "description")


def _text_column(header: list[str], rows: list[list[str]]) -> int:
    names = [h.strip().lower() for h in header]
    for wanted in TEXT_HEADERS:
        for i, name in enumerate(names):
            if name == wanted or name.endswith(f" {wanted}") or name.startswith(f"{wanted} "):
                return i
    lengths = [sum(len(r[i]) for r in rows if i < len(r)) for i in range(len(header))]
    return max(range(len(header)), key=lengths.__getitem__)


def _delimiter(text: str) -> str:
    """The delimiter, sniffed from the opening of ``text``; quoting is the spreadsheet
    convention (RFC 4180: double quotes, doubled inside a field) whatever the sniffer
    says of it. On prose it guesses quoting wrong: apostrophes ("last night's") taken for
    the quote character, or doubled quotes taken for two fields' ends, which cut a
    statement at its first comma or joined two."""
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",\t;|").delimiter
    except csv.Error:
        return ","


def parse_csv(data: bytes, *, document_id: str, url: str | None = None,
              charset: str | None = None) -> Document:
    decoded = decode_text(data, charset)
    text = decoded.text
    rows = [r for r in csv.reader(io.StringIO(text), csv.excel, delimiter=_delimiter(text))
            if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise ParseError("the CSV file has no rows under its header")
    header, rows = rows[0], rows[1:]
    column = _text_column(header, rows)
    blocks = []
    for n, row in enumerate(rows, start=2):  # row 1 is the header
        if column >= len(row) or not row[column].strip():
            continue
        label = " | ".join(f"{h.strip()}: {c.strip()}" for i, (h, c) in
                           enumerate(zip(header, row, strict=False))
                           if i != column and c.strip() and len(c) <= 80)
        blocks.append(Block("paragraph", " ".join(row[column].split()),
                            section=[f"row {n}" + (f" ({label})" if label else "")]))
    if not blocks:
        raise ParseError("the CSV file's text column is empty")
    return Document.from_blocks(blocks, id=document_id, media_type="text/csv",
                                parser=PARSER, parser_version=PARSER_VERSION, url=url,
                                encoding=decoded.encoding, encoding_source=decoded.source)

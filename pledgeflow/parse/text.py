"""Plain text and Markdown into blocks.

Plain text: paragraphs are split on blank lines; lines starting with a bullet or a
number become list items. A line with no marker after an item carries it on when it reads
as a wrapped line (indented, in lower case, or after a line of wrap width); otherwise it
is a paragraph of its own, ending the list and leading in to any items after it.
Markdown adds ``#`` headings and ``|`` pipe tables.
"""

from __future__ import annotations

import re

from pledgeflow.document import Block, Document, table_text
from pledgeflow.parse import ParseError
from pledgeflow.parse.common import last_sentence
from pledgeflow.text_decode import decode_text

PARSER = "text"
# 2: one decoder for every text format (text_decode); 3: "1: " numbers a list item too;
# 4: in a chunk of one paragraph a line, a line with no marker ends the list above it
PARSER_VERSION = "4"

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
BULLET = re.compile(r"^(\s*)(?:[-*+\u2022\u25aa\u25cf\u25e6]|\d+[.)]|\d{1,2}:)\s+(.*)$")
# A line this long may have been wrapped at a width; a shorter one ended where its author did
WRAP_WIDTH = 65
EMPHASIS = re.compile(r"(\*\*|__)(.*?)\1")


def _clean(text: str, markdown: bool) -> str:
    text = " ".join(text.split())
    return EMPHASIS.sub(r"\2", text) if markdown else text


def _hard_wrapped(lines: list[str]) -> bool:
    """Lines of a re-flowed paragraph: all but the last fill most of one width."""
    widest = max(len(line) for line in lines)
    if len(lines) == 1 or widest > 120:
        return len(lines) == 1
    full = [line for line in lines[:-1] if len(line) >= 0.6 * widest]
    return len(full) >= 0.8 * (len(lines) - 1)


def _paragraphs(lines: list[str], markdown: bool) -> list[str]:
    """A chunk between blank lines is one paragraph when its lines are wrapped text;
    otherwise (one statement per line, as in exported data) each line is its own."""
    if markdown or _hard_wrapped(lines):
        return [_clean(" ".join(lines), markdown)]
    return [_clean(line, markdown) for line in lines]


def _continues(above: str, item: str, line: str) -> bool:
    """Does a line with no marker carry on the list item above it, as a wrapped line
    does: indented, or going on in lower case, or after a line as long as a wrapped
    one in an item with no full stop yet? (Markdown's lazy lines always do.)"""
    if line[:1].isspace() or line.lstrip()[:1].islower():
        return True
    return len(above) >= WRAP_WIDTH and not item.rstrip().endswith((".", "!", "?", ":"))


def _list_items(blocks: list[Block], items: list[tuple[int, str]], path: list[str],
                lead_in: str | None, markdown: bool) -> None:
    """Add the items of one list, depth from their indents, each with the list's lead-in."""
    indents = sorted({indent for indent, _ in items})
    for indent, item in items:
        blocks.append(Block("list_item", _clean(item, markdown), section=path,
                            depth=indents.index(indent) + 1, lead_in=lead_in))


def _table_rows(lines: list[str]) -> tuple[list[list[str]], int]:
    rows, header_rows = [], 0
    for line in lines:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
            header_rows = len(rows)  # the rows above a |---| rule are the header
            continue
        rows.append(cells)
    return rows, header_rows


def parse_text(
    data: bytes,
    *,
    document_id: str,
    url: str | None = None,
    charset: str | None = None,
    markdown: bool = False,
) -> Document:
    decoded = decode_text(data, charset)
    text = decoded.text
    blocks: list[Block] = []
    section: list[tuple[int, str]] = []
    previous_paragraph: str | None = None
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = [line for line in chunk.split("\n") if line.strip()]
        if not lines:
            continue
        path = [title for _, title in section]
        if markdown and all(line.lstrip().startswith("|") for line in lines):
            rows, header_rows = _table_rows(lines)
            blocks.append(
                Block("table", table_text(rows), rows=rows, header_rows=header_rows, section=path)
            )
            previous_paragraph = None
            continue
        heading = HEADING.match(lines[0]) if markdown else None
        if heading and len(lines) == 1:
            level, title = len(heading.group(1)), _clean(heading.group(2), markdown)
            section = [(lv, t) for lv, t in section if lv < level]
            blocks.append(Block("heading", title, level=level, section=path))
            section.append((level, title))
            previous_paragraph = None
            continue
        if any(BULLET.match(line) for line in lines):
            lead_in = last_sentence(previous_paragraph) if previous_paragraph else None
            items: list[tuple[int, str]] = []
            for before, line in zip([None, *lines], lines, strict=False):
                bullet = BULLET.match(line)
                if bullet:
                    items.append((len(bullet.group(1).expandtabs(4)), bullet.group(2)))
                elif items and (markdown or _continues(before or "", items[-1][1], line)):
                    items[-1] = (items[-1][0], items[-1][1] + " " + line.strip())
                else:
                    # one paragraph a line: a line with no marker after the items ends
                    # their list and leads in to any that follow
                    _list_items(blocks, items, path, lead_in, markdown)
                    items = []
                    paragraph = _clean(line, markdown)
                    blocks.append(Block("paragraph", paragraph, section=path))
                    lead_in = last_sentence(paragraph)
            _list_items(blocks, items, path, lead_in, markdown)
            continue
        for paragraph in _paragraphs(lines, markdown):
            blocks.append(Block("paragraph", paragraph, section=path))
            previous_paragraph = paragraph
    if not blocks:
        raise ParseError("the file holds no text")
    title = next((b.text for b in blocks if b.kind == "heading"), None)
    return Document.from_blocks(
        blocks,
        id=document_id,
        media_type="text/markdown" if markdown else "text/plain",
        title=title,
        parser=PARSER,
        parser_version=PARSER_VERSION,
        url=url,
        encoding=decoded.encoding,
        encoding_source=decoded.source,
    )

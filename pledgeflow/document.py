"""The parsed-document model every stage after parsing works on.

A document is an ordered list of blocks over one text. Each block knows its kind,
its place (page, section path) and its character span in ``Document.text``, so any
record extracted from it can point back to exactly where it came from.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Literal

BlockKind = Literal["heading", "paragraph", "list_item", "table"]

# Blocks are joined with a blank line so offsets stay readable in the saved text.
BLOCK_SEPARATOR = "\n\n"


@dataclass
class Block:
    kind: BlockKind
    text: str
    index: int = 0
    start: int = 0
    end: int = 0
    page: int | None = None  # 1-based page number (PDF only)
    section: list[str] = field(default_factory=list)  # headings above, outermost first
    level: int | None = None  # heading level, 1 = top
    depth: int | None = None  # list nesting depth, 1 = top level
    lead_in: str | None = None  # sentence introducing the list this item belongs to
    rows: list[list[str]] | None = None  # table cells, row by row
    header_rows: int = 0  # how many leading rows of ``rows`` are header rows
    ocr: bool = False  # read by OCR from a picture of the page (a scan), not a text layer

    @property
    def heading(self) -> str | None:
        """The nearest heading above this block."""
        return self.section[-1] if self.section else None


@dataclass
class Document:
    id: str  # sha256 of the raw bytes
    media_type: str
    blocks: list[Block]
    text: str = ""
    title: str | None = None
    pages: int | None = None
    parser: str = ""
    parser_version: str = ""
    source_id: str | None = None
    url: str | None = None
    # what the catalog says of the source (organisation, party, council, kind): extractors
    # use it, e.g. to tell the author's commitments from an opponent's
    meta: dict = field(default_factory=dict)
    # how the bytes became text (text formats): the codec, and what chose it (a BOM, the
    # HTTP charset, a <meta>, the NUL pattern of UTF-16...; see pledgeflow.text_decode)
    encoding: str | None = None
    encoding_source: str | None = None
    ocr_pages: list[int] = field(default_factory=list)  # pages read by OCR (PDF only)
    # scanned pages (pictures, no text layer) left unread, and why, one line per reason
    unread_pages: list[int] = field(default_factory=list)
    # the OCR options the parse ran with (``OcrOptions`` as a dict, PDF only): whether a
    # run with other options may read the unread pages (``ocr.reads_more``)
    ocr_options: dict | None = None
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_blocks(cls, blocks: list[Block], **fields) -> Document:
        """Number the blocks, join their texts and set each block's offsets."""
        parts: list[str] = []
        pos = 0
        for i, block in enumerate(blocks):
            if i:
                parts.append(BLOCK_SEPARATOR)
                pos += len(BLOCK_SEPARATOR)
            block.index = i
            block.start = pos
            block.end = pos + len(block.text)
            parts.append(block.text)
            pos = block.end
        return cls(blocks=blocks, text="".join(parts), **fields)

    def to_dict(self) -> dict:
        # What dataclasses.asdict gives, field by field: its generic recursive copy was a
        # third of the cost of saving a parse.
        data = {name: getattr(self, name) for name in _DOCUMENT_FIELDS}
        data["blocks"] = [_block_dict(b) for b in self.blocks]
        data["meta"] = dict(self.meta)
        for name in ("ocr_pages", "unread_pages", "warnings"):
            data[name] = list(data[name])
        if self.ocr_options is not None:
            data["ocr_options"] = dict(self.ocr_options)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Document:
        data = dict(data)
        data["blocks"] = [Block(**b) for b in data["blocks"]]
        return cls(**data)

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A temporary file of its own: two runs saving the same parse at once must not
        # rename each other's half-written file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(self.to_dict(), ensure_ascii=False, indent=1))
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)  # atomic: a reader never sees half a file
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    @classmethod
    def load(cls, path: Path) -> Document:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))


_DOCUMENT_FIELDS = tuple(f.name for f in fields(Document))
_BLOCK_FIELDS = tuple(f.name for f in fields(Block))


def _block_dict(block: Block) -> dict:
    data = {name: getattr(block, name) for name in _BLOCK_FIELDS}
    data["section"] = list(block.section)
    if block.rows is not None:
        data["rows"] = [list(row) for row in block.rows]
    return data


def table_text(rows: list[list[str]]) -> str:
    """A table's text: one line per row, cells separated by tabs, in-cell newlines as spaces."""
    return "\n".join("\t".join(" ".join(cell.split()) for cell in row) for row in rows)


def cell_span(block: Block, row: int, col: int) -> tuple[int, int]:
    """Document offsets of one table cell, as laid out by ``table_text``."""
    assert block.rows is not None
    pos = block.start
    for r in block.rows[:row]:
        pos += len("\t".join(" ".join(c.split()) for c in r)) + 1
    cells = [" ".join(c.split()) for c in block.rows[row]]
    pos += sum(len(c) + 1 for c in cells[:col])
    return pos, pos + len(cells[col])

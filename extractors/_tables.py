"""Reading tables by their header row: which column is the measure, the owner, ...

Column roles come from header words (``tables.lexicon.json``), never from positions,
so a register with its columns in any order reads the same.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pledgeflow.document import Block, Document

from ._rules import BULLET_LINE, clean_cell, load_json, mentions_any

# "2018/19", "2019-20", "2020", "Year 1", "Yr 2", "Q3", "Quarter 4": a period heading
# names a target column.
PERIOD = re.compile(
    r"\b(?:19|20)\d{2}(?:\s*[/\-\u2013]\s*\d{2,4})?\b|\b(?:year|yr)\.?\s*\d\b"
    r"|\bq(?:uarter)?\s*[1-4]\b", re.I)
# An action reference: "A.8.1.1", "1.2", "A3", "SA-4", "2b" (but not a bare "1.").
REF_FORMS = (r"[A-Z]{1,3}[.\-]?\d{1,3}(?:\.\d{1,3}){0,4}[a-z]?|\d{1,3}(?:\.\d{1,3}){1,4}[a-z]?"
             r"|\d{1,3}[a-j]")
REF = rf"(?P<ref>{REF_FORMS})"
# ...opening a cell that goes on with the action's text: "A.8.1.1 – Continue to ..."
ACTION_REF = re.compile(
    rf"^\s*{REF}(?=[\s:.)\u2013\u2014-])\s*[\u2013\u2014:.)-]?\s*(?P<text>\S.*)$", re.S)
# ...or alone in a reference column, where its letters may stand a space apart ("ADP 1").
BARE_REF = re.compile(rf"^\s*(?P<ref>{REF_FORMS}|[A-Z]{{1,3}} \d{{1,3}}(?:\.\d{{1,3}}){{0,4}})\s*$")


def lexicon() -> dict[str, list[str]]:
    return load_json("tables.lexicon.json")


@dataclass
class Table:
    block: Block
    header: list[str]  # cleaned header cells ("" when the table has no header row)
    rows: list[tuple[int, list[str]]]  # (row index in block.rows, raw cells) of data rows
    # data rows that are one cell spanning the table: a sub-heading ("Priority 1: Homes")
    groups: frozenset[int] = frozenset()

    def columns(self, role: str) -> list[int]:
        words, avoid = lexicon()[role], lexicon().get(f"{role}_not", [])
        return [i for i, cell in enumerate(self.header)
                if cell and mentions_any(cell, words) and not mentions_any(cell, avoid)]

    def column(self, role: str, exclude: tuple[int, ...] = ()) -> int | None:
        """The best column for a role: the header with the most telling word, then the
        one with the longest cells ("Risk description" over "Risk ID")."""
        words = lexicon()[role]
        found = [i for i in self.columns(role) if i not in exclude]
        if not found:
            return None

        def rank(i: int) -> tuple[int, bool, float, int]:
            first_word = min(n for n, w in enumerate(words) if mentions_any(self.header[i], [w]))
            cells = [clean_cell(row[i]) for _, row in self.rows if i < len(row)]
            mean = sum(map(len, cells)) / len(cells) if cells else 0.0
            # "Latest position" over "Value | Period": the column of periods says when
            return first_word, _mostly_periods(cells), -mean, i

        return min(found, key=rank)


def _mostly_periods(cells: list[str]) -> bool:
    filled = [c for c in cells if c]
    return bool(filled) and 2 * sum(1 for c in filled if PERIOD.search(c)
                                    and not PERIOD.sub("", c).strip(" ,/-\u2013")) > len(filled)


def read_table(block: Block) -> Table | None:
    """Split a table block into its header and data rows; repeated header rows are skipped.

    A header may take two or three rows ("Targets" over "2025/26 | 2026/27"): the rows
    below the first that name periods, or that the parser read as header cells, join it,
    and each column's header is its words from top to bottom ("Targets 2025/26")."""
    rows = block.rows or []
    if not rows:
        return None
    # The header is the first of the top rows whose cells name column roles; a caption
    # row above it ("Career advice") is not data. Without one, trust the parser's.
    found = next((k for k in range(min(3, len(rows)))
                  if not _is_group_row(rows[k]) and _looks_like_header(rows[k])), None)
    if found is None:
        n_header = block.header_rows
        header = _merged_header(rows[n_header - 1:n_header]) if n_header else []
    else:
        n_header = found + 1
        while n_header < min(len(rows), found + 3) and not _is_group_row(rows[n_header]) and (
            n_header < block.header_rows or _names_periods(rows[n_header])
        ):
            n_header += 1
        header = _merged_header(rows[found:n_header])
    data, groups = [], set()
    for i, row in enumerate(rows[n_header:], start=n_header):
        cells = [clean_cell(c) for c in row]
        if header and cells == header:
            continue  # a header repeated where the table continues on a new page
        if any(cells):
            if _is_group_row(row):
                groups.add(i)
            data.append((i, row))
    return Table(block=block, header=header, rows=data, groups=frozenset(groups))


def _merged_header(rows: list[list[str]]) -> list[str]:
    """One header cell per column: its words in the header rows, top to bottom, each once."""
    width = max((len(r) for r in rows), default=0)
    header = []
    for j in range(width):
        parts: list[str] = []
        for row in rows:
            text = clean_cell(row[j]) if j < len(row) else ""
            if text and text not in parts:
                parts.append(text)
        header.append(" ".join(parts))
    return header


def _is_group_row(row: list[str]) -> bool:
    """One text across a row of three or more columns (alone, or repeated by a spanning
    cell): a sub-heading inside the table, not data and not a header."""
    texts = {clean_cell(c) for c in row} - {""}
    return len(row) >= 3 and len(texts) == 1


def _names_periods(row: list[str]) -> bool:
    """A header's second row: every cell it fills names a period ("2025/26", "Q1")."""
    cells = [clean_cell(c) for c in row if clean_cell(c)]
    return bool(cells) and all(len(c) <= 30 and PERIOD.search(c) for c in cells)


@functools.lru_cache(maxsize=1)
def _role_words() -> list[str]:
    """Every word naming a column role, in one list."""
    return [w for role, ws in lexicon().items() if not role.endswith("_not")
            for w in ws if len(w) > 2]


def _looks_like_header(row: list[str]) -> bool:
    """Short cells that are not sentences, two of them at least (when there are two)
    naming a column role."""
    cells = [clean_cell(c) for c in row if clean_cell(c)]
    if not cells or ACTION_REF.match(cells[0]) or BARE_REF.match(cells[0]):
        return False
    if any(c.endswith(".") for c in cells):
        return False  # sentences are data
    naming = [c for c in cells if mentions_any(c, _role_words()) or PERIOD.search(c)]
    return all(len(c) <= 120 for c in cells) and len(naming) >= min(2, len(cells))


def tables_of(doc: Document, accept: Callable[[Table], bool]) -> Iterator[Table]:
    """The document's tables that ``accept`` recognises (a KPI table, a risk register...)."""
    for block in doc.blocks:
        if block.kind == "table":
            table = read_table(block)
            if table is not None and accept(table):
                yield table


def cell(row: list[str], index: int | None) -> str | None:
    if index is None or index >= len(row):
        return None
    text = clean_cell(row[index])
    return text or None


def name_and_note(row: list[str], index: int | None) -> tuple[str | None, str | None]:
    """A cell's first line, and what the source set apart under it in smaller type (the
    parser keeps a newline before it: a measure's definition, a data source), each
    cleaned. Bulleted lines under a first line are the cell's own, not a note."""
    raw = row[index] if index is not None and index < len(row) else ""
    first, _, rest = raw.strip().partition("\n")
    if not rest.strip() or not clean_cell(first) or BULLET_LINE.match(rest):
        return cell(row, index), None
    return clean_cell(first), clean_cell(rest)


# A cell a KPI table holds under a baseline or a period: a figure, or a placeholder.
QUANTITY = re.compile(r"\d|^(?:-|\u2013|\u2014|n/?a|tbc|tbd|none|nil|new)?$", re.I)
# A description: two words of letters at least ("Council homes", not "£45" or "Q1").
TEXTUAL_CELL = re.compile(r"[^\W\d_]{2,}\W+[^\W\d_]{2,}")


def measure_column(table: Table) -> int | None:
    """The measure column: the one its header names; else, in a table whose other headers
    name a baseline and periods, the first column of descriptions (its header blank or
    unknown: "What we'll track"), when the cells under those headers are figures."""
    named = table.column("measure")
    if named is not None:
        return named
    baseline, periods = table.columns("baseline"), target_columns(table)
    figures = baseline + periods
    if not baseline or not periods or not _quantities(table, figures):
        return None
    for i in range(min(figures)):
        cells = [clean_cell(row[i]) for _, row in table.rows if i < len(row)]
        if sum(1 for c in cells if TEXTUAL_CELL.search(c)) >= max(1, len(cells) // 2):
            return i
    return None


def _quantities(table: Table, columns: list[int]) -> bool:
    cells = [clean_cell(row[i]) for _, row in table.rows for i in columns if i < len(row)]
    return bool(cells) and sum(1 for c in cells if QUANTITY.search(c)) >= 0.8 * len(cells)


def is_kpi_table(table: Table) -> bool:
    return measure_column(table) is not None and bool(
        table.columns("baseline") or target_columns(table)
    )


def target_columns(table: Table) -> list[int]:
    """Columns of targets: headed by a target word or a period, not by a baseline word,
    nor by a word of money lines ("2025/26 budget", "Charge 2024/25": ``target_not``)."""
    baseline = set(table.columns("baseline"))
    avoid = lexicon().get("target_not", [])
    return [
        i for i, h in enumerate(table.header)
        if i not in baseline and (mentions_any(h, lexicon()["target"]) or PERIOD.search(h))
        and i not in table.columns("measure") and not mentions_any(h, avoid)
    ]


def is_risk_table(table: Table) -> bool:
    return table.column("risk") is not None and (
        table.column("mitigation") is not None or table.column("owner") is not None
    )


def action_rows(table: Table) -> int:
    """How many data rows hold an action reference in the reference column."""
    return _refs_in(table, ref_column(table))


def _refs_in(table: Table, col: int) -> int:
    """Rows whose cell in ``col`` is a reference: alone ("P2.3"), or, in the first
    column, opening the action's text ("A.8.1.1 – Continue to ...")."""
    cells = [clean_cell(row[col]) for _, row in table.rows if col < len(row)]
    return sum(1 for text in cells
               if BARE_REF.match(text) or (col == 0 and ACTION_REF.match(text)))


def ref_column(table: Table) -> int:
    """The column of action references: the first, unless it holds none and one of the
    next two holds them ("Key initiative | Ref | Action", "Key task | Ref | Officer")."""
    width = max((len(row) for _, row in table.rows), default=0)
    half = max(1, len(table.rows) // 2)
    if _refs_in(table, 0) >= half:
        return 0
    return next((j for j in (1, 2) if j < width and _refs_in(table, j) >= half
                 and not _figures_header(table, j)), 0)


def _figures_header(table: Table, col: int) -> bool:
    """Is the column headed by a period or a money word ("2024/25 budget")? Its "14.2"
    cells are figures, not references."""
    header = table.header[col] if col < len(table.header) else ""
    return bool(PERIOD.search(header)) or mentions_any(header, lexicon().get("target_not", []))


# A row number alone ("1", "2.", "3)"): a reference only in a plan with a deadline or lead.
INDEX_REF = re.compile(r"^\s*(?P<ref>\d{1,3})[.)]?\s*$")


def has_delivery_columns(table: Table) -> bool:
    """A deadline or a lead column: what a plan of actions has and a KPI table has not."""
    return table.column("deadline") is not None or table.column("owner") is not None


def numbered_rows(table: Table) -> int:
    """How many data rows open with a bare row number."""
    return sum(1 for _, row in table.rows if row and INDEX_REF.match(clean_cell(row[0])))


PAGE_NUMBER = re.compile(r"^\s*(?:p(?:age|\.)?\s*)?\d{1,3}\s*$", re.I)


def page_numbered_rows(table: Table) -> int:
    """How many data rows end with a page number alone, as a contents table's do."""
    lasts = [next((clean_cell(c) for c in reversed(row) if clean_cell(c)), "")
             for _, row in table.rows if len(row) > 1]
    return sum(1 for text in lasts if PAGE_NUMBER.match(text))


def text_column(table: Table, exclude: tuple[int | None, ...]) -> int | None:
    """The column of the actions' texts: the one headed as actions, else the one with
    the longest cells among those no other role takes."""
    taken = tuple(i for i in exclude if i is not None)
    named = table.column("action", exclude=taken)
    if named is not None:
        return named
    width = max((len(row) for _, row in table.rows), default=0)

    def mean(j: int) -> float:
        cells = [clean_cell(row[j]) for _, row in table.rows if j < len(row)]
        return sum(map(len, cells)) / len(cells) if cells else 0.0

    return max((j for j in range(width) if j not in taken), key=mean, default=None)


def initiative_column(table: Table) -> int | None:
    """A column naming the initiative each action serves ("Key initiative"), if any."""
    found = table.column("initiative")
    return found if found is not None and found != table.column("action") else None


# An action's text reads as a clause: three words at least, two of them lower-case words
# ("Renew the contract"), unlike a date ("11 September 2025") or a name ("Head of Housing").
_LOWER_WORD = re.compile(r"(?<![\w'])[a-z][a-z'-]+\b")


def reads_as_action(text: str | None) -> bool:
    words = (text or "").split()
    return len(words) >= 3 and len(_LOWER_WORD.findall(text or "")) >= 2


def label_pattern(role: str) -> str:
    """The lexicon's words for ``role`` as one regex alternation, longest first."""
    words = sorted(lexicon()[role], key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)


# "Action 3.2: text", "Step WB1 - text", "Task 4) text": a label word, a reference, a
# separator, then the action.
PROSE_ACTION = re.compile(
    rf"^\s*(?:{label_pattern('action_label')})\s+(?P<ref>[A-Z]{{0,3}}[.\-]?\d{{1,3}}(?:\.\d{{1,3}}){{0,4}}[a-z]?)"
    r"\s*[:.)\u2013\u2014-]\s+(?P<text>\S.*?)\s*$",
    re.I | re.S,
)


def is_prose_action(text: str, after: str | None = None) -> bool:
    """Is ``text`` an action set in prose: labelled ("Action 3.2: Open a hub (Lead: ...)"),
    or a reference with its deadline or lead (``referenced_action``; ``after`` is the
    block that follows)? It is an action record, and so not a pledge, as an action
    table's rows are not."""
    found = PROSE_ACTION.match(text)
    if found is not None and reads_as_action(found.group("text")):
        return True
    return referenced_action(text, after) is not None


# Where a line's parts divide: after a full stop or semicolon, or at a middle dot or bar.
PART_BREAK = re.compile(r"(?<=[.;])\s+|\s+[\u00b7|\u2022]\s+")


@functools.cache
def _delivery_labels() -> list[tuple[str, re.Pattern[str]]]:
    # "Owner: ...", "Deadline: ...", and without the colon after "by" ("Led by ...")
    return [(role, re.compile(rf"^(?:{label_pattern(key)})(?:\s*:\s*|(?<=by)\s+)(?P<v>\S.*?)[.;]?$",
                              re.I | re.S))
            for role, key in (("owners", "owner_label"), ("deadline", "deadline_label"))]


def delivery_part(part: str) -> tuple[str, str] | None:
    """("deadline" or "owners", value) of a part that names one by its label."""
    for role, pattern in _delivery_labels():
        if found := pattern.match(part.strip()):
            return role, found.group("v").strip()
    return None


def referenced_action(text: str, after: str | None = None
                      ) -> tuple[str, str, str | None, str | None, bool] | None:
    """(ref, text, deadline, owners, whether ``after`` gave them) of an action that opens
    with its reference and names its deadline or lead by their labels: in its own last
    parts ("CS1 - Move ... online. Deadline: Q2 2025/26. Owner: ..."), or in the line
    after it, which holds nothing else ("HG-1 Agree a partner ..." over "Complete by
    October 2025 \u00b7 Led by Director of Growth"). Without a label, a line opening with
    a code ("A1 road improvements") is not taken for an action."""
    found = ACTION_REF.match(text)
    if found is None:
        return None
    parts = [p for p in PART_BREAK.split(found.group("text").strip()) if p]
    named: dict[str, str] = {}
    while len(parts) > 1 and (part := delivery_part(parts[-1])) is not None:
        named.setdefault(*part)
        parts.pop()
    from_after = False
    if not named and after:
        given = [delivery_part(p) for p in PART_BREAK.split(after.strip()) if p]
        if given and all(given):
            named, from_after = dict(reversed([g for g in given if g])), True
    body = " ".join(parts).rstrip(" .;")
    if not named or not reads_as_action(body):
        return None
    return found.group("ref"), body, named.get("deadline"), named.get("owners"), from_after


def is_action_table(table: Table) -> bool:
    """Most rows hold an action reference (in the first column, or alone in the second or
    third), or, in a table with a deadline or lead column, open with a row number,
    whatever the other headers say; and the actions' cells read as clauses, not dates or
    names (a reporting timetable "Q1 | 11 September 2025" is no plan). A KPI table is a
    plan of actions only with a deadline or an action column: a column of indicator
    codes ("EN01") and one of lead officers do not make one."""
    delivery = has_delivery_columns(table)
    deadline = table.column("deadline")
    if is_kpi_table(table) and (
        not delivery or (deadline is None and table.column("action") is None)
    ):
        return False
    half = max(1, len(table.rows) // 2)
    if not delivery and page_numbered_rows(table) > half:
        return False  # a table of contents: "1.2 Our priorities | 7"
    if not (action_rows(table) >= half or (delivery and numbered_rows(table) >= max(2, half))):
        return False
    ref = ref_column(table)
    firsts = [clean_cell(row[0]) for i, row in table.rows if row and i not in table.groups]
    if ref == 0 and sum(1 for c in firsts if ACTION_REF.match(c) and not BARE_REF.match(c)
                        and reads_as_action(ACTION_REF.match(c).group("text"))) >= half:
        return True  # the text follows the reference in its cell: "A3 Renew the ..."
    owner = table.column("owner", exclude=(deadline,) if deadline is not None else ())
    text = text_column(table, (ref, deadline, owner, initiative_column(table)))
    cells = [cell(row, text) for i, row in table.rows if i not in table.groups]
    return sum(1 for c in cells if reads_as_action(c)) >= max(1, len(cells) // 2)

"""KPI and action tables in styles the rules were not written for (``tests/tables_unseen/``).

Seven council plan, corporate plan, delivery plan and performance framework pages of
imagined councils, written for this test, with gold (``<name>.gold.json``, the format of
``tests/gold/``) annotated before the tool was first run on them. Their tables vary what
real sites vary: header words ("Performance indicator", "Success measure", "What we'll track",
"Where we are now", "Baseline (2023/24)", "Year 1", "Q1".."Q4", "By 2028", "By when",
"Timescale", "Milestone", "Lead officer", "Responsible", "Portfolio holder", "Step", "#",
"No.", "Ref"), column order (references in the second column, a "Key initiative"
column spanning rows), a blank measure header with row headers, two-row headers
("Targets" over the years), sub-heading rows spanning the table, units and "N/A", "TBC",
"-" cells, borderless, zebra-striped and header-bar styles, cells centred in their rows,
numbered actions in prose ("Action 1.1: ... (Lead: ..., by March 2025)"), and tables that
must give nothing (contents, budget, fees, ward, grants, meeting timetables, key dates).
Each page is read three ways: the HTML; printed by headless Chromium to PDF in one
column (``<name>.pdf``); and set in two columns first, wide tables spanning both
(``<name>.columns.pdf``; ``make.py`` prints both).

KPIs and actions are scored per form over the seven documents with the reference
scorer's matching (``tests/gold/score.py``). Measured before any rule was changed
(precision / recall / F1, matched / gold / predicted):

    html  kpis    0.90 / 0.83 / 0.86  (35/42/39)   actions 0.56 / 0.59 / 0.58  (19/32/34)
    pdf   kpis    0.89 / 0.40 / 0.56  (17/42/19)   actions 0.62 / 0.41 / 0.49  (13/32/21)
    pdf2  kpis    0.89 / 0.40 / 0.56  (17/42/19)   actions 0.53 / 0.25 / 0.34  (8/32/15)
    (for information: pledges F1 0.89 / 0.83 / 0.87, targets 0.67 / 0.67 / 0.63)

and after the table rules and the PDF table layout were generalised from what these
pages showed (grid-placed spans, multi-row headers, sub-heading rows, measure and
reference columns found from their cells, prose actions, zebra stripes and header bars,
centred cells, tall cells spanning rows, tables inside one page column, rows a page break
leaves at the top of the next page):

    html  kpis    1.00 / 1.00 / 1.00  (42/42/42)   actions 1.00 / 1.00 / 1.00  (32/32/32)
    pdf   kpis    1.00 / 1.00 / 1.00  (42/42/42)   actions 1.00 / 1.00 / 1.00  (32/32/32)
    pdf2  kpis    1.00 / 1.00 / 1.00  (42/42/42)   actions 0.95 / 0.66 / 0.78  (21/32/22)
    (for information: pledges F1 0.97 / 0.97 / 0.97, targets 0.67 / 0.67 / 0.67)

What the two-column prints still lose are action tables broken by the column break into
pieces of fewer than three rows (a header and one row at the foot of the left column),
which no rule joins yet.

Then a second blind round: three more pages (``round2/``: a scorecard with "Good is" and
"2023/24 actual" columns and codes in the measure cells, actions "1a."/"2b." under
"Action | Lead member | Lead officer | Start | End"; a service business plan with a
single "Target" column, "Latest (Q2 2024/25)", a "Deliverable | Due | Accountable
officer" plan, zebra stripes under a header bar, a staffing table; a delivery plan with
"HS1: ..." commitments, "How we will measure", "New measure", a "Source" column and an
equality table), gold written before they were run, scored once with the rules as they
stood after the first round:

    html  kpis    1.00 / 1.00 / 1.00  (16/16/16)   actions 1.00 / 0.64 / 0.78  (7/11/7)
    pdf   kpis    1.00 / 0.81 / 0.90  (13/16/13)   actions 0.86 / 0.55 / 0.67  (6/11/7)
    pdf2  kpis    1.00 / 0.94 / 0.97  (15/16/15)   actions 1.00 / 0.18 / 0.31  (2/11/2)

(the rules before the first round read them: KPIs F1 1.00 / 0.61 / 0.55, actions 0.78 /
0.53 / 0.42), and after three general fixes they showed ("2b" references; a grid of
background fills alone, a header bar over a striped row, is no ruled table; a tall
centred cell's first lines, alone on their rows, open its table row):

    html  kpis    1.00 / 1.00 / 1.00  (16/16/16)   actions 1.00 / 1.00 / 1.00  (11/11/11)
    pdf   kpis    1.00 / 1.00 / 1.00  (16/16/16)   actions 1.00 / 1.00 / 1.00  (11/11/11)
    pdf2  kpis    1.00 / 0.88 / 0.93  (14/16/14)   actions 1.00 / 0.73 / 0.84  (8/11/8)

Two-column prints lose narrow tables whose cells wrap to a word or two a line and are
centred in their rows, beside the column break.

A third blind round (``round3/``), four pages written by two helpers who never saw the
rules, in styles real council sites use that the first two rounds lacked: GOV.UK-style
tables ruled only between rows, with status badges; several small action tables of two
or three rows; ids "ADP 1", "1.1.1", "HG-1", "CS1" and references inside the activity
cell; a KPI table whose header is bold cells in the body, with "Polarity", "Unit" and
"Direction of travel" columns and definitions in small type under the measures; a
table of ``<div>`` s with ARIA roles; KPI cards; actions in a definition list (the
deadline and lead on the line under each) and in a numbered list ("CS1 - ... Deadline:
... Owner: ..."); a quarterly report table (Q1..Q4 beside "Annual target" and a RAG
status: outturns, not KPIs) with a progress table whose updates open with their status
(action updates), a "Latest position: Value | Period" header over two rows; "Last year
(2024/25)", "2024 result" and "Current (Mar 2025)" baselines; decoy budget, glossary,
partner, status-key and Cabinet tables. Scored once, blind, with the rules of 11a6188:

    html  kpis    0.65 / 0.71 / 0.68  (30/42/46)   actions 0.61 / 0.69 / 0.65  (25/36/41)
    pdf   kpis    0.59 / 0.45 / 0.51  (19/42/32)   actions 0.50 / 0.44 / 0.47  (16/36/32)
    pdf2  kpis    0.57 / 0.31 / 0.40  (13/42/23)   actions 0.41 / 0.31 / 0.35  (11/36/27)
    (for information: pledges F1 0.76 / 0.55 / 0.56, targets 0.72 / 0.58 / 0.62)

and after general fixes (rules drawn between rows let an unruled table's rows stand
further apart; a badge's smaller words leave a row's geometry alone; a bold header over
one row is a table; a table cut by a column break, or by a page break inside a ruled
row, is joined; ARIA tables; references with a space; actions opening with a reference
and naming their deadline or lead by labels; a budget column's "14.2" is no reference;
quarters beside an annual target and a RAG status are results; an update opening with a
status makes a progress table; "last year", "result" baselines; a column of periods is
not the baseline beside its value; contents and related-links lists, a list's lead-in
and a labelled action are not pledges):

    html  kpis    0.87 / 0.79 / 0.82  (33/42/38)   actions 1.00 / 1.00 / 1.00  (36/36/36)
    pdf   kpis    0.85 / 0.79 / 0.81  (33/42/39)   actions 1.00 / 1.00 / 1.00  (36/36/36)
    pdf2  kpis    0.65 / 0.62 / 0.63  (26/42/40)   actions 0.78 / 0.86 / 0.82  (31/36/40)
    (for information: pledges F1 0.90 / 0.88 / 0.79, targets 0.78 / 0.78 / 0.73)

What still fails: measures with a definition in small type under them keep it (the gold
takes the name alone: 5 KPIs in each form); KPI cards (a heading over labelled figures:
4); in two columns, the report page's wide tables sit in a scrolling box that the print
clips (the columns right of Q1 are not in the PDF at all), and the definition list's
last actions break across the column gap. The same fixes moved the first two rounds' two-
column actions from 0.78 and 0.84 to 0.90 and 0.90 (a table cut by the column break).

Then a cell's text set apart in small type under its name (``<small>``, a class naming
small or muted type, a smaller size in the print) was kept apart from it, as the KPI's
``definition`` (the measure is the name alone):

    html  kpis    1.00 / 0.90 / 0.95  (38/42/38)
    pdf   kpis    0.97 / 0.90 / 0.94  (38/42/39)
    pdf2  kpis    0.75 / 0.71 / 0.73  (30/42/40)

and a KPI card on a web page (a heading over labelled figures, one label naming a
baseline and another a target) was read as one indicator, its label and figure kept a
word apart where each sits in an element of its own:

    html  kpis    1.00 / 1.00 / 1.00  (42/42/42)

Then KPI cards in print: Chromium lays the cards two to a row and draws each figure in a
tile, which the PDF layout read as one table of both cards; a row of drawn tiles, each a
label and one figure set large, is now read as a table of labels over figures, the card's
figures under its heading (``pdf_tiles``):

    pdf   kpis    0.98 / 1.00 / 0.99  (42/42/43)
    pdf2  kpis    0.77 / 0.81 / 0.79  (34/42/44)

Then a table that a column break cuts inside a row, whose rest and last row open the next
column too few to be found as a table: rows that fit the table's columns moved by the
gutter join it (``pdf_unruled.across_column_break``):

    pdf2  kpis    0.80 / 0.86 / 0.83  (36/42/45)

Then a table whose only period columns are quarters short of a year ("Baseline | Q1":
what the two-column print leaves of a quarterly report table, whose status column it
clips) was read as a report's results, not a plan's targets (kpis v10):

    pdf2  kpis    0.90 / 0.86 / 0.88  (36/42/40)

The clipped report tables' targets (the columns are not in the PDF) and one definition
whose row a page break cuts in the two-column print (the cut joins the two parts' text,
and with it the name and the definition) still fail.

The floors are those levels minus 0.05, per round. These pages now inform the rules, so they are no
longer a blind test: they guard against regressions. Pledges and targets are not floored
here (their rules are tuned elsewhere); ``test_unseen.py`` and ``test_scores.py`` guard
them.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest

from pledgeflow.nlp import build_nlp
from pledgeflow.parse import parse
from pledgeflow.registry import get_extractors
from scoring import reference_scorer, score_source

HERE = Path(__file__).parent / "tables_unseen"
ROUNDS = {"round1": HERE, "round2": HERE / "round2", "round3": HERE / "round3"}
FORMS = {"html": ".html", "pdf": ".pdf", "pdf2": ".columns.pdf"}
KINDS = ("pledges", "targets", "kpis", "actions")

# (round, form, kind) -> (precision floor, recall floor): measured level minus 0.05
FLOORS = {
    ("round1", "html", "kpis"): (0.95, 0.95),
    ("round1", "html", "actions"): (0.95, 0.95),
    ("round1", "pdf", "kpis"): (0.95, 0.95),
    ("round1", "pdf", "actions"): (0.95, 0.95),
    ("round1", "pdf2", "kpis"): (0.95, 0.95),
    ("round1", "pdf2", "actions"): (0.91, 0.79),
    ("round2", "html", "kpis"): (0.95, 0.95),
    ("round2", "html", "actions"): (0.95, 0.95),
    ("round2", "pdf", "kpis"): (0.95, 0.95),
    ("round2", "pdf", "actions"): (0.95, 0.95),
    ("round2", "pdf2", "kpis"): (0.95, 0.83),
    ("round2", "pdf2", "actions"): (0.95, 0.76),
    ("round3", "html", "kpis"): (0.95, 0.95),
    ("round3", "html", "actions"): (0.95, 0.95),
    ("round3", "pdf", "kpis"): (0.92, 0.95),
    ("round3", "pdf", "actions"): (0.95, 0.95),
    ("round3", "pdf2", "kpis"): (0.85, 0.80),
    ("round3", "pdf2", "actions"): (0.72, 0.81),
}


def _names(folder: Path) -> list[str]:
    return sorted(g.name.removesuffix(".gold.json") for g in folder.glob("*.gold.json"))


@pytest.fixture(scope="module")
def totals() -> dict[tuple[str, str, str], tuple[int, int, int]]:
    """(matched, gold, predicted) per (round, form, kind), summed over its documents."""
    scorer = reference_scorer()
    nlp = build_nlp()
    extractors = get_extractors()
    sums = {(r, form, kind): [0, 0, 0] for r in ROUNDS for form in FORMS for kind in KINDS}
    for name_of_round, folder in ROUNDS.items():
        names = _names(folder)
        assert len(names) == {"round1": 7, "round2": 3, "round3": 4}[name_of_round]
        for name in names:
            gold = json.loads((folder / f"{name}.gold.json").read_text(encoding="utf-8"))
            for form, suffix in FORMS.items():
                counts = score_source(folder / f"{name}{suffix}", gold, KINDS, extractors,
                                      nlp, scorer)
                for kind, found in counts.items():
                    for i, n in enumerate(found):
                        sums[name_of_round, form, kind][i] += n
    return {key: tuple(v) for key, v in sums.items()}


@pytest.mark.parametrize(("round_", "form", "kind"), sorted(FLOORS))
def test_tables_keep_their_measured_quality_on_unseen_styles(totals, round_, form, kind):
    precision, recall, _ = reference_scorer().prf(*totals[round_, form, kind])
    min_precision, min_recall = FLOORS[round_, form, kind]
    matched, gold, predicted = totals[round_, form, kind]
    counts = f"{round_} {form} {kind}: {matched} matched, {gold} gold, {predicted} predicted"
    assert precision >= min_precision, f"precision {precision:.3f} ({counts})"
    assert recall >= min_recall, f"recall {recall:.3f} ({counts})"


def test_gold_quotes_the_pages_and_every_page_has_its_prints():
    """The gold quotes its page (so a miss is the tool's, not the gold's), and both
    printed forms are committed beside each page."""
    fields = {"pledges": "text", "targets": "text", "kpis": "measure", "actions": "text"}
    for folder in ROUNDS.values():
        for name in _names(folder):
            for suffix in FORMS.values():
                assert (folder / f"{name}{suffix}").is_file(), f"{name}{suffix}: run make.py"
            page = (folder / f"{name}.html").read_text(encoding="utf-8")
            text = " ".join(html.unescape(page).replace("<br>", " ").split())
            gold = json.loads((folder / f"{name}.gold.json").read_text(encoding="utf-8"))
            for kind, field in fields.items():
                for record in gold.get(kind, []):
                    assert record[field] in text, f"{name}: {record[field]!r}"


def test_what_stands_well_below_both_columns_is_read_after_them():
    """In a two-column print, a heading that stands far below the right column's end
    (a full-width aside's 'Related content') follows the columns; read before the right
    column, it cut the glossary table in two and gave the partners section its name."""
    source = ROUNDS["round3"] / "caldbeck-annual-delivery-plan.columns.pdf"
    doc = parse(source.read_bytes(), "application/pdf", document_id="caldbeck",
                url=source.resolve().as_uri())
    texts = [b.text for b in doc.blocks]
    related = texts.index("Related content")
    partners = texts.index("Working with partners")
    assert partners < related
    glossary = next(b for b in doc.blocks if b.kind == "table" and b.text.startswith("Term"))
    assert "Service lead" in glossary.text


@pytest.mark.parametrize("suffix", [".pdf", ".columns.pdf"])
def test_a_definition_printed_smaller_under_a_measure_is_kept_apart_from_it(suffix):
    """Chromium prints <small> at 0.83 em: the measure's cell holds the name's lines and
    then smaller ones, which are its definition; a cell in one size is all measure."""
    from pledgeflow.registry import run_extractors

    source = ROUNDS["round3"] / f"ravensholme-council-plan{suffix}"
    doc = parse(source.read_bytes(), "application/pdf", document_id="ravensholme",
                url=source.resolve().as_uri())
    result = run_extractors(doc, get_extractors(), build_nlp())
    definitions = {k.measure: k.definition for k in result.records if k.kind == "kpis"}
    assert definitions["Affordable homes delivered"] == (
        "Social rent, affordable rent and shared ownership homes completed in the year")
    assert definitions["Long-term empty homes brought back into use"] is None


@pytest.mark.parametrize("suffix", [".pdf", ".columns.pdf"])
def test_figure_tiles_of_cards_side_by_side_are_each_cards_figures(suffix):
    """Chromium prints the scorecard's cards two to a row, each figure in a drawn tile:
    read by alignment alone, both cards' labels and figures were one table across the
    gutter. Each row of tiles is its card's figures; where a page break falls between a
    row of card headings and their tiles, each heading still gets its own."""
    from pledgeflow.registry import run_extractors

    source = ROUNDS["round3"] / f"dunmere-performance-scorecard{suffix}"
    doc = parse(source.read_bytes(), "application/pdf", document_id="dunmere",
                url=source.resolve().as_uri())
    tiles = [b.rows for b in doc.blocks if b.kind == "table" and b.rows and len(b.rows) == 2
             and b.rows[0][0].lower().startswith("starting point")]
    assert [rows[1] for rows in tiles] == [
        ["388", "420", "460"], ["72", "110", "130"], ["61%", "65%", "70%"],
        ["2.31m", "2.40m", "2.60m"]]
    result = run_extractors(doc, get_extractors(), build_nlp())
    cards = {k.measure: (k.baseline, [t.raw for t in k.targets])
             for k in result.records if k.kind == "kpis" and k.provenance.rule == "kpi_card"}
    assert cards == {
        "Net additional homes built in the district": ("388", ["420", "460"]),
        "Affordable homes completed": ("72", ["110", "130"]),
        "Homelessness prevented where households approached us early": ("61%", ["65%", "70%"]),
        "Footfall in Dunmere and Saltby town centres": ("2.31m", ["2.40m", "2.60m"]),
    }


def test_a_table_a_column_break_cuts_inside_a_row_goes_on_in_the_next_column():
    """In the two-column print the survey table ends its page column inside a row whose
    first cell wraps: the rest of that cell and the last row (its own first cell wrapping
    over four lines) open the next column, too few lines to be found as a table of their
    own. Read with the table's columns moved by the gutter, they join it."""
    source = ROUNDS["round3"] / "dunmere-performance-scorecard.columns.pdf"
    doc = parse(source.read_bytes(), "application/pdf", document_id="dunmere",
                url=source.resolve().as_uri())
    survey = next(b for b in doc.blocks if b.kind == "table" and b.rows
                  and b.rows[0][0] == "Survey question")
    assert survey.rows[2:] == [
        ["Residents who feel safe outside in their area after dark", "64%", "Maintain", "70%"],
        ["Residents who agree the council keeps them well informed", "49%", "55%", "60%"]]

"""Figure tiles (pledgeflow/parse/pdf_tiles.py) on lines and boxes laid out as a browser
prints a scorecard: the printed pages themselves are read in test_tables_unseen.py."""

from pledgeflow.parse.pdf_layout import Line, Word
from pledgeflow.parse.pdf_tiles import figure_tiles


def _line(text: str, x0: float, top: float, size: float) -> Line:
    words, x = [], x0
    for part in text.split():
        width = 0.5 * size * len(part)
        words.append(Word(part, x, x + width, top, top + size, size, False))
        x += width + 0.25 * size
    return Line(words)


def _tile(label: str, figure: str, x0: float, top: float):
    box = (x0, top, x0 + 70, top + 60)
    return box, [_line(label, x0 + 5, top + 5, 9), _line(figure, x0 + 5, top + 30, 17)]


def test_two_cards_whose_tiles_share_a_row_are_two_tables():
    boxes, lines = [], []
    for x0, figures in ((50, ("120", "150", "200")), (330, ("64%", "70%", "75%"))):
        for k, (label, figure) in enumerate(zip(("Baseline", "Target 2026", "Target 2028"),
                                                figures, strict=True)):
            box, tile_lines = _tile(label, figure, x0 + 80 * k, 600)
            boxes.append(box)
            lines.extend(tile_lines)
    status = _line("On track", 50, 670, 10)
    tables, rest = figure_tiles(1, [*lines, status], boxes)
    assert [t.rows for t in tables] == [
        [["Baseline", "Target 2026", "Target 2028"], ["120", "150", "200"]],
        [["Baseline", "Target 2026", "Target 2028"], ["64%", "70%", "75%"]]]
    assert rest == [status]


def test_boxes_that_are_not_tiles_leave_the_lines_alone():
    """A figure no larger than its label, two figures in one box, or a lone tile: no table."""
    same_size = [(x, [_line("Target", x + 5, 105, 10), _line("40", x + 5, 130, 10)])
                 for x in (50, 130)]
    two_figures = [(x, [_line("12", x + 5, 205, 17), _line("40", x + 5, 230, 17)])
                   for x in (50, 130)]
    lone = [(50, [_line("Target", 55, 305, 9), _line("40", 55, 330, 17)])]
    for group, top in ((same_size, 100), (two_figures, 200), (lone, 300)):
        boxes = [(x, top, x + 70, top + 60) for x, _ in group]
        lines = [ln for _, pair in group for ln in pair]
        assert figure_tiles(1, lines, boxes) == ([], lines)

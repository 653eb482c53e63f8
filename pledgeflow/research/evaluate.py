"""Score a database against gold annotations as the project's annotation guide says
("Matching, for scoring"; the guide is kept outside this repository).

The matching rules are those of the reference scorer (``tests/gold/score.py``), so the
counts here are exactly the ones it gives on the ``pledgeflow export`` of the same
database. On top of the numbers, :func:`evaluate` says *which* gold items were missed and
which predictions were spurious, with the rule, page and section that produced each one.

Gold files are named ``<source id>.json``. A gold file whose source is not in the
database counts as predicting nothing; a source in the database without a gold file is
not scored. Both are reported.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from pledgeflow.records import BUILTIN_KINDS
from pledgeflow.research.export import Kinds, known_kinds, source_records

# Record kind -> the exported fields it is matched on, as each kind declares (match_on):
# one for most, a KPI's row is its measure, baseline and target cells.
KINDS: dict[str, tuple[str, ...]] = {kind: cls.match_keys() for kind, cls in BUILTIN_KINDS.items()}
SIMILARITY = 0.8  # SequenceMatcher ratio at or above which two texts match
CONTAINMENT = 0.6  # a contained text matches when it is at least this share of the longer
TRUNCATE = 120  # characters of a text shown in the report

_PLAIN = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                        "\u2013": "-", "\u2014": "-", "\u00a0": " "})
_TAG = re.compile(r"<[^>]+>")
_LIST_MARKER = re.compile(r"^\s*(?:[\u2022\-\*\u25cf\u25aa]|\d+[.)]|[a-z][.)])\s+")
_SPACE = re.compile(r"\s+")


class GoldError(ValueError):
    """A gold file that cannot be read as gold annotations."""


# -- matching


def normalise(text: str | None) -> str:
    """Text as it is compared: lower case, plain quotes and dashes, no tags or list marker,
    whitespace collapsed, no trailing punctuation."""
    text = (text or "").translate(_PLAIN).lower()
    text = _TAG.sub(" ", text)
    text = _LIST_MARKER.sub("", text)
    text = _SPACE.sub(" ", text).strip()
    return text.rstrip(" .;:,")


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _contained(a: str, b: str) -> bool:
    short, long_ = sorted((a, b), key=len)
    return short in long_ and len(short) >= CONTAINMENT * len(long_)


def same(a: str, b: str) -> bool:
    """Whether two normalised texts match: similar enough, or one mostly contains the other."""
    if not a or not b:
        return False
    return _contained(a, b) or _ratio(a, b) >= SIMILARITY


def match(gold_keys: Sequence[str], pred_keys: Sequence[str],
          gates: tuple[Sequence[str], Sequence[str]] | None = None) -> list[tuple[int, int]]:
    """Pair gold and predicted keys one-to-one, greedily, most similar pairs first; with
    ``gates`` (gold's, predictions'), only items whose gates are equal may pair.

    Returns ``(gold index, prediction index)`` pairs in gold order. Ties are broken as the
    reference scorer breaks them, so the same items end up matched.
    """
    pairs = []
    for i, g in enumerate(gold_keys):
        for j, p in enumerate(pred_keys):
            if not g or not p or (gates is not None and gates[0][i] != gates[1][j]):
                continue
            matcher = difflib.SequenceMatcher(None, g, p, autojunk=False)
            contained = _contained(g, p)
            # quick_ratio() bounds ratio() from above: skip the costly exact ratio when even
            # the bound is too low (a contained pair still needs it, to rank the pairs).
            if not contained and (matcher.real_quick_ratio() < SIMILARITY
                                  or matcher.quick_ratio() < SIMILARITY):
                continue
            ratio = matcher.ratio()
            if contained or ratio >= SIMILARITY:
                pairs.append((ratio, i, j))
    used_gold: set[int] = set()
    used_pred: set[int] = set()
    matched = []
    for _, i, j in sorted(pairs, reverse=True):
        if i not in used_gold and j not in used_pred:
            used_gold.add(i)
            used_pred.add(j)
            matched.append((i, j))
    return sorted(matched)


def _cells(keys: Sequence[str], record: Mapping[str, Any]) -> str:
    """The raw text a record is matched on: its key fields joined by " | ", a field
    holding several cells (a KPI's targets, period -> cell) giving each of them."""
    cells: list[Any] = []
    for key in keys:
        value = record.get(key)
        if isinstance(value, dict):
            cells += list(value.values())
        elif isinstance(value, list):
            cells += value
        else:
            cells.append(value)
    return " | ".join("" if c is None else str(c) for c in cells)


def record_key(kind: str, record: Mapping[str, Any],
               keys: Mapping[str, Sequence[str]] = KINDS) -> str:
    """The normalised key of a gold or predicted record of ``kind``."""
    return normalise(_cells(keys[kind], record))


# -- results


def prf(matched: int, gold: int, predicted: int) -> tuple[float, float, float]:
    """Precision, recall and F1; nothing predicted for nothing is perfect."""
    precision = matched / predicted if predicted else (1.0 if not gold else 0.0)
    recall = matched / gold if gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


@dataclass(frozen=True)
class Score:
    """Counts for one kind (in one document, or in all) and the measures derived from them."""

    matched: int
    gold: int
    predicted: int
    precision: float
    recall: float
    f1: float

    @classmethod
    def of(cls, matched: int, gold: int, predicted: int) -> Score:
        return cls(matched, gold, predicted, *prf(matched, gold, predicted))

    def __add__(self, other: Score) -> Score:
        return Score.of(self.matched + other.matched, self.gold + other.gold,
                        self.predicted + other.predicted)


@dataclass(frozen=True)
class DocumentResult:
    """One gold file's counts per kind; ``in_database`` is False when its source is unknown."""

    source_id: str
    in_database: bool
    scores: dict[str, Score]


@dataclass(frozen=True)
class Missed:
    """A gold item no prediction matched."""

    source_id: str
    kind: str
    text: str


@dataclass(frozen=True)
class Spurious:
    """A prediction that matched no gold item, with where it came from."""

    source_id: str
    kind: str
    text: str
    rule: str | None
    page: int | None
    section: str | None
    extractor: str | None = None


@dataclass
class Evaluation:
    """Everything :func:`evaluate` found; ``to_dict()`` is its JSON form."""

    totals: dict[str, Score]
    documents: list[DocumentResult] = field(default_factory=list)
    missed: list[Missed] = field(default_factory=list)
    spurious: list[Spurious] = field(default_factory=list)
    not_in_database: list[str] = field(default_factory=list)  # gold files of unknown sources
    not_scored: list[str] = field(default_factory=list)  # sources without a gold file
    # the catalog's document kind (manifesto, council_plan, ...) -> record kind -> score
    by_document_kind: dict[str, dict[str, Score]] = field(default_factory=dict)
    # "extractor/rule" -> record kind -> score; gold is not attributed to rules, so only
    # precision (matched predictions over predictions) says anything here
    by_rule: dict[str, dict[str, Score]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- evaluating a database


def load_gold(path: Path, kinds: Sequence[str] = tuple(KINDS)) -> dict[str, list[dict[str, Any]]]:
    """A gold file's records per kind; raises :class:`GoldError` if it is not gold."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GoldError(f"{path}: cannot read gold annotations ({exc})") from None
    if not isinstance(data, dict):
        raise GoldError(f"{path}: expected a JSON object with {', '.join(kinds)}")
    out: dict[str, list[dict[str, Any]]] = {}
    for kind in kinds:
        items = data.get(kind, [])
        if not isinstance(items, list) or not all(isinstance(r, dict) for r in items):
            raise GoldError(f"{path}: {kind!r} must be a list of objects")
        out[kind] = items
    return out


def _source_kinds(db: sqlite_utils.Database) -> dict[str, str]:
    """Source id -> the catalog's kind of document."""
    if not db.table("sources").exists():
        return {}
    return {row["id"]: row["kind"] or "unknown"
            for row in db.query("select id, kind from sources order by id")}


def _add(table: dict[str, dict[str, Score]], key: str, kind: str, score: Score) -> None:
    row = table.setdefault(key, {})
    row[kind] = row.get(kind, Score.of(0, 0, 0)) + score


def evaluate(db: sqlite_utils.Database, gold_dir: Path,
             record_kinds: Kinds | None = None) -> Evaluation:
    """Score the current document of every source that has a ``<source id>.json`` gold file,
    for every record kind (``record_kinds``: default, the built-ins and every installed
    extractor's), each matched on the keys it declares."""
    record_kinds = known_kinds() if record_kinds is None else record_kinds
    keys = {kind: cls.match_keys() for kind, cls in record_kinds.items()}
    gold_paths = sorted(Path(gold_dir).glob("*.json"))
    source_kinds = _source_kinds(db)
    known = set(source_kinds)
    totals = {kind: Score.of(0, 0, 0) for kind in keys}
    evaluation = Evaluation(totals=totals)
    for path in gold_paths:
        source_id = path.stem
        gold = load_gold(path, tuple(keys))
        in_db = source_id in known
        if in_db:
            predicted = source_records(db, source_id, record_kinds)
        else:
            predicted = {kind: [] for kind in keys}
            evaluation.not_in_database.append(source_id)
        scores = {}
        for kind in keys:
            gold_items = gold[kind]
            pred_items = [r for r in predicted.get(kind, []) if isinstance(r, dict)]
            exact = {kind: record_kinds[kind].match_exact}
            gates = None if not exact[kind] else (
                [record_key(kind, r, exact) for r in gold_items],
                [record_key(kind, r, exact) for r in pred_items])
            pairs = match([record_key(kind, r, keys) for r in gold_items],
                          [record_key(kind, r, keys) for r in pred_items], gates)
            scores[kind] = Score.of(len(pairs), len(gold_items), len(pred_items))
            totals[kind] = totals[kind] + scores[kind]
            _add(evaluation.by_document_kind, source_kinds.get(source_id, "unknown"), kind,
                 scores[kind])
            hit_gold = {i for i, _ in pairs}
            hit_pred = {j for _, j in pairs}
            for j, r in enumerate(pred_items):
                prov = r.get("provenance") or {}
                rule = f"{prov.get('extractor') or '?'}/{prov.get('rule') or '?'}"
                _add(evaluation.by_rule, rule, kind, Score.of(int(j in hit_pred), 0, 1))
            evaluation.missed += [Missed(source_id, kind, _cells(keys[kind], r))
                                  for i, r in enumerate(gold_items) if i not in hit_gold]
            for j, r in enumerate(pred_items):
                if j in hit_pred:
                    continue
                prov = r.get("provenance") or {}
                evaluation.spurious.append(Spurious(
                    source_id, kind, _cells(keys[kind], r), prov.get("rule"), prov.get("page"),
                    prov.get("section"), prov.get("extractor")))
        evaluation.documents.append(DocumentResult(source_id, in_db, scores))
    gold_ids = {p.stem for p in gold_paths}
    evaluation.not_scored = sorted(known - gold_ids)
    return evaluation


# -- the report


def _short(text: str, width: int = TRUNCATE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _origin(item: Spurious) -> str:
    rule = item.rule or "?"
    parts = [f"rule {item.extractor}/{rule}" if item.extractor else f"rule {rule}"]
    if item.page is not None:
        parts.append(f"p. {item.page}")
    if item.section:
        parts.append(f"section {_short(item.section, 40)!r}")
    return ", ".join(parts)


def format_report(evaluation: Evaluation, details: bool = True) -> str:
    """Per-document counts, one line per kind (as the reference scorer prints them), then,
    with ``details``, every missed gold item and every spurious prediction."""
    lines = []
    for doc in evaluation.documents:
        cells = "  ".join(f"{kind} {s.matched}/{s.gold} of {s.predicted}"
                          for kind, s in doc.scores.items() if s.gold or s.predicted)
        note = "" if doc.in_database else "  (source not in the database: nothing predicted)"
        lines.append(f"{doc.source_id}: {cells}{note}")
    for kind, s in evaluation.totals.items():
        lines.append(f"{kind:8s} precision {s.precision:.2f} recall {s.recall:.2f} f1 {s.f1:.2f}"
                     f"  ({s.matched} matched, {s.gold} gold, {s.predicted} predicted)")
    if len(evaluation.by_document_kind) > 1 or details:
        lines += ["", "By document kind"]
        for doc_kind, scores in sorted(evaluation.by_document_kind.items()):
            cells = "  ".join(f"{kind} P {s.precision:.2f} R {s.recall:.2f} F1 {s.f1:.2f} "
                              f"({s.matched}/{s.gold}/{s.predicted})"
                              for kind, s in scores.items() if s.gold or s.predicted)
            lines.append(f"  {doc_kind}: {cells or 'nothing to score'}")
    if details and evaluation.by_rule:
        lines += ["", "By rule (precision: predictions that matched gold / predictions)"]
        ranked = sorted(((rule, kind, s) for rule, scores in evaluation.by_rule.items()
                         for kind, s in scores.items()), key=lambda x: (x[2].precision, x[0]))
        lines += [f"  {rule} ({kind}): {s.precision:.2f}  ({s.matched} of {s.predicted})"
                  for rule, kind, s in ranked]
    if evaluation.not_in_database:
        lines.append("Gold files for sources not in the database (counted as predicting "
                     f"nothing): {', '.join(evaluation.not_in_database)}")
    if evaluation.not_scored:
        lines.append(f"Not scored (no gold file): {', '.join(evaluation.not_scored)}")
    if details:
        lines += ["", f"Missed ({len(evaluation.missed)} gold items no prediction matched)"]
        lines += [f"  {m.source_id}  {m.kind}: {_short(m.text)}" for m in evaluation.missed]
        if not evaluation.missed:
            lines.append("  none")
        lines += ["", f"Spurious ({len(evaluation.spurious)} predictions matching no gold item)"]
        lines += [f"  {s.source_id}  {s.kind} [{_origin(s)}]: {_short(s.text)}"
                  for s in evaluation.spurious]
        if not evaluation.spurious:
            lines.append("  none")
    return "\n".join(lines)

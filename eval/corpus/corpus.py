"""The evaluation corpus: real public documents, kept in git as URLs, hashes and gold spans.

No third-party text is committed. ``documents.jsonl`` lists each document (its URL, who
wrote it, its kind, the sha256 of its text and its split); ``gold/<id>.json`` holds the
gold annotations with every quoted string replaced by its ``[start, end]`` offsets into
that text. The texts themselves live in ``texts/<id>.txt`` (git-ignored), rebuilt in a
session from the stored copy of each page (see README.md).

usage:
  python eval/corpus/corpus.py freeze      # annotators' work/ + sources/ -> documents.jsonl, gold/
  python eval/corpus/corpus.py build [--forms text,html,pdf,pdf2,sentences]
                                           # texts/ -> build/: gold with texts, pages, catalogs
  python eval/corpus/corpus.py check       # which texts are present and match their hash
  python eval/corpus/corpus.py catalog     # catalogs/corpus.toml: the sources at their live URLs

``build`` writes, for each split (dev, test) and form, ``build/<form>/catalog-<split>.toml``
and ``build/gold/<split>/<id>.json``; run the pipeline on a catalog and score it with
``pledgeflow eval build/gold/<split> --db ...``. Forms: ``text`` (the capture as it is),
``html`` (a page rebuilt from it: headings, lists, paragraphs, with a site's navigation and
footer around), ``pdf`` and ``pdf2`` (that page printed by headless Chromium, in one
column and in two), ``sentences`` (the campaign statements as statement data: a CSV of one
sentence per row, scored against ``build/sentences/gold-<split>``).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEXTS, WORK, SOURCES, GOLD, BUILD = (HERE / n for n in ("texts", "work", "sources", "gold",
                                                         "build"))
DOCUMENTS = HERE / "documents.jsonl"
KINDS = ("pledges", "targets", "kpis", "actions", "risks")
# Strings of a record that quote the text; everything else (values, units, years) is data.
QUOTED = {"text", "lead_in", "section", "measure", "baseline", "deadline", "owners",
          "initiative", "risk", "mitigation", "owner", "id"}
SPLITS = ("dev", "test")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_documents() -> list[dict]:
    if not DOCUMENTS.exists():
        return []
    return [json.loads(line) for line in DOCUMENTS.read_text().splitlines() if line.strip()]


# -- freeze: annotators' files into committed spans


def _span(text: str, value: str, doc_id: str, where: str) -> list[int]:
    start = text.find(value)
    if start < 0:
        raise SystemExit(f"{doc_id} {where}: {value[:60]!r} is not in the text")
    return [start, start + len(value)]


def _to_spans(record: dict, text: str, doc_id: str, where: str) -> dict:
    out = {}
    for key, value in record.items():
        if key in QUOTED and isinstance(value, str) and value:
            out[key] = _span(text, value, doc_id, f"{where}.{key}")
        elif key == "targets" and isinstance(value, dict):  # a KPI's period -> cell
            out[key] = {period: _span(text, cell, doc_id, f"{where}.targets") if cell else cell
                        for period, cell in value.items()}
        else:
            out[key] = value
    return out


def assign_splits(entries: list[dict]) -> None:
    """Split once, stratified by kind: within a kind, documents ordered by the hash of
    their id alternate test, dev. A document that already has a split keeps it."""
    by_kind: dict[str, list[dict]] = {}
    for entry in entries:
        by_kind.setdefault(entry["kind"], []).append(entry)
    for group in by_kind.values():
        fixed = [e for e in group if e.get("split")]
        counts = {s: sum(e["split"] == s for e in fixed) for s in SPLITS}
        for entry in sorted((e for e in group if not e.get("split")),
                            key=lambda e: hashlib.sha256(e["id"].encode()).hexdigest()):
            entry["split"] = "test" if counts["test"] <= counts["dev"] else "dev"
            counts[entry["split"]] += 1


def freeze() -> None:
    known = {d["id"]: d for d in read_documents()}
    entries = []
    for path in sorted(SOURCES.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            meta = json.loads(line)
            text = (TEXTS / f"{meta['id']}.txt").read_text(encoding="utf-8")
            entry = {k: meta.get(k) for k in ("id", "url", "title", "organisation", "council",
                                               "party", "country", "kind", "period",
                                               "original_form")}
            entry["group"] = path.stem
            entry["sha256"] = sha256(text)
            entry["chars"] = len(text)
            old = known.get(meta["id"])
            if old and old["sha256"] != entry["sha256"]:
                raise SystemExit(f"{meta['id']}: its text changed since it was frozen")
            entry["split"] = old["split"] if old else None
            entries.append(entry)
            gold = json.loads((WORK / f"{meta['id']}.json").read_text(encoding="utf-8"))
            spans = {kind: [_to_spans(r, text, meta["id"], f"{kind}[{i}]")
                            for i, r in enumerate(gold.get(kind, []))] for kind in KINDS}
            GOLD.mkdir(exist_ok=True)
            (GOLD / f"{meta['id']}.json").write_text(json.dumps(spans, indent=1) + "\n")
    # Documents frozen in an earlier round whose working files are gone (sources/ and
    # work/ are not committed) stay as they were: their gold spans are already in gold/.
    fresh = {e["id"] for e in entries}
    entries = [d for d in known.values() if d["id"] not in fresh] + entries
    assign_splits(entries)
    DOCUMENTS.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries))
    for split in SPLITS:
        chosen = [e for e in entries if e["split"] == split]
        kinds = sorted({e["kind"] for e in chosen})
        print(f"{split}: {len(chosen)} documents; " + ", ".join(
            f"{k} {sum(e['kind'] == k for e in chosen)}" for k in kinds))


# -- build: texts back into gold with texts, pages and catalogs


def present_texts() -> dict[str, str]:
    """id -> text, for every document whose text is here and matches its hash."""
    texts = {}
    for entry in read_documents():
        path = TEXTS / f"{entry['id']}.txt"
        if path.exists():
            text = path.read_text(encoding="utf-8")
            if sha256(text) == entry["sha256"]:
                texts[entry["id"]] = text
    return texts


def _from_spans(record: dict, text: str) -> dict:
    out = {}
    for key, value in record.items():
        if key in QUOTED and isinstance(value, list):
            out[key] = text[value[0]:value[1]]
        elif key == "targets" and isinstance(value, dict):
            out[key] = {p: text[c[0]:c[1]] if isinstance(c, list) else c
                        for p, c in value.items()}
        else:
            out[key] = value
    return out


def gold_with_text(doc_id: str, text: str) -> dict:
    spans = json.loads((GOLD / f"{doc_id}.json").read_text())
    return {"document": f"{doc_id}.txt", **{
        kind: [_from_spans(r, text) for r in spans.get(kind, [])] for kind in KINDS}}


_BULLET = re.compile(r"^\s*(?:[\u2022\u25cf\u25aa\u2013\u2014*\-\u25e6\u27a2\u2714\u2713]|"
                     r"\u00b7)\s+")
_NUMBER = re.compile(r"^\s*(?:\d{1,2}|[a-z])[.)]\s+")
_SENTENCE_END = re.compile(r"[.!?:;\"\u201d)]\s*$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def logical_lines(text: str) -> list[str]:
    """The capture's lines with wrapped lines joined back: a line that starts in lower
    case continues the one before; so does a line indented under a list item's text, and
    the body lines right under a numbered item (a title and its text)."""
    out: list[str] = []
    item_indent: int | None = None  # indent of the open list item's marker
    numbered = False
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip():
            out.append("")
            item_indent, numbered = None, False
            continue
        marker = _BULLET.match(line) or _NUMBER.match(line)
        if out and out[-1] and not marker and (
                line.lstrip()[:1].islower()
                or (item_indent is not None and (_indent(line) > item_indent or numbered))):
            out[-1] += " " + line.strip()
            continue
        if marker:
            item_indent, numbered = _indent(line), bool(_NUMBER.match(line))
        else:
            item_indent, numbered = None, False
        out.append(line)
    return out


def render_html(entry: dict, text: str, columns: int = 1) -> str:
    """A web page rebuilt from a captured text: bulleted lines become list items,
    numbered lines an ordered list, short unpunctuated lines between blank lines headings,
    the rest paragraphs; with a navigation bar and a footer around it, as a site has."""
    body: list[str] = []
    lines = logical_lines(text)
    open_list: str | None = None
    first_heading = True

    def close_list() -> None:
        nonlocal open_list
        if open_list:
            body.append(f"</{open_list}>")
            open_list = None

    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            continue
        tag = "ul" if _BULLET.match(raw) else "ol" if _NUMBER.match(raw) else None
        if tag:
            if open_list != tag:
                close_list()
                body.append(f"<{tag}>")
                open_list = tag
            item = (_BULLET if tag == "ul" else _NUMBER).sub("", raw, count=1).strip()
            body.append(f"<li>{html.escape(item)}</li>")
            continue
        close_list()
        before = lines[i - 1].strip() if i else ""
        after = lines[i + 1].strip() if i + 1 < len(lines) else ""
        short = len(line) <= 90 and not _SENTENCE_END.search(line)
        if short and not before and (not after or i == 0):
            level = 1 if first_heading else 2
            first_heading = False
            body.append(f"<h{level}>{html.escape(line)}</h{level}>")
        else:
            body.append(f"<p>{html.escape(line)}</p>")
    close_list()
    site = html.escape(entry.get("organisation") or "")
    style = ("body{font-family:sans-serif;max-width:60em;margin:auto}"
             + ("main{column-count:2;column-gap:2em}" if columns == 2 else ""))
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(entry.get('title') or '')}</title><style>{style}</style>"
            f"</head><body><header><nav><a href=\"/\">{site}</a> <a href=\"/news\">News</a> "
            f"<a href=\"/about\">About us</a> <a href=\"/join\">Join</a> "
            f"<a href=\"/donate\">Donate</a></nav></header>\n<main><article>\n"
            + "\n".join(body)
            + f"\n</article></main>\n<footer><p>Promoted by {site}.</p>"
            "<p><a href=\"/privacy\">Privacy policy</a> <a href=\"/cookies\">Cookies</a></p>"
            "</footer></body></html>\n")


_SENTENCE_SPLIT = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"\u201d\u2019)]))\s+"
                             r"(?=[\"\u201c\u2018(]?[A-Z0-9])")


def sentence_gold(gold: dict) -> dict:
    """The gold as statement data holds it: one sentence a row. A list item of several
    sentences is one pledge in the document ("Build 100,000 homes. This will cost ..."),
    but as statements its commitment is its opening sentence, and a target is the
    sentence that states the figure; the rest of the item is rows of their own."""
    def first(text: str) -> str:
        return _SENTENCE_SPLIT.split(text.strip(), maxsplit=1)[0]

    def with_figure(text: str) -> str:
        parts = _SENTENCE_SPLIT.split(text.strip())
        return next((p for p in parts if re.search(r"\d", p)), parts[0])

    out = dict(gold)
    out["pledges"] = [{**p, "text": first(p["text"])} for p in gold.get("pledges", [])]
    out["targets"] = [{**t, "text": with_figure(t["text"])} for t in gold.get("targets", [])]
    return out


_BARE_NUMBER = re.compile(r"\(?\d{1,2}[.):]?")
_PARAGRAPH_TAG = re.compile(r"</?p>|<br\s*/?>", re.I)


def sentences_csv(entry: dict, text: str) -> str:
    """Statement data: one sentence (or list item) of the capture per row, as published
    collections of campaign statements hold them."""
    rows = []
    # a capture that kept a page's paragraph tags as text ("...</p><p>•I'll ...") has a
    # paragraph, and a row, at each of them
    lines = [part for line in logical_lines(text) for part in _PARAGRAPH_TAG.split(line)]
    for line in lines:
        line = _BULLET.sub("", line, count=1).strip() if _BULLET.match(line) else line.strip()
        # a list number a capture left on a line of its own ("1.") is no statement
        rows += [part.strip() for part in _SENTENCE_SPLIT.split(line)
                 if part.strip() and not _BARE_NUMBER.fullmatch(part.strip())]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["party", "statement"])
    writer.writerows([entry.get("party") or "", row] for row in rows)
    return out.getvalue()


def print_pdf(page: Path, out: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise SystemExit("the pdf forms need Debian's chromium (apt-get install chromium)")
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                    "--no-pdf-header-footer", f"--print-to-pdf={out}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)


def _toml(value) -> str:
    return json.dumps(value if value is not None else "", ensure_ascii=False)


def catalog_entry(entry: dict, url: str) -> str:
    """A document as a catalog's [[sources]] table; with no council, its country stands in,
    and a period the page does not state is "unknown"."""
    return "[[sources]]\n" + "".join(
        f"{key} = {_toml(value)}\n" for key, value in [
            ("id", entry["id"]), ("url", url), ("organisation", entry["organisation"]),
            ("council", entry["council"] or entry["country"]), ("party", entry["party"]),
            ("kind", entry["kind"]), ("title", entry["title"]),
            ("period", entry["period"] or "unknown")] if value is not None)


def build(forms: list[str]) -> None:
    texts = present_texts()
    entries = [e for e in read_documents() if e["id"] in texts]
    missing = len(read_documents()) - len(entries)
    if missing:
        print(f"{missing} documents have no text here (or a changed one): see README.md",
              file=sys.stderr)
    for split in SPLITS:
        gold_dir = BUILD / "gold" / split
        gold_dir.mkdir(parents=True, exist_ok=True)
        for entry in entries:
            if entry["split"] == split:
                (gold_dir / f"{entry['id']}.json").write_text(json.dumps(
                    gold_with_text(entry["id"], texts[entry["id"]]), indent=1,
                    ensure_ascii=False))
    for form in forms:
        folder = BUILD / form
        folder.mkdir(parents=True, exist_ok=True)
        for entry in entries:
            text = texts[entry["id"]]
            if form == "text":
                (folder / f"{entry['id']}.txt").write_text(text, encoding="utf-8")
            elif form == "sentences":
                (folder / f"{entry['id']}.csv").write_text(sentences_csv(entry, text),
                                                           encoding="utf-8")
            elif form == "html":
                (folder / f"{entry['id']}.html").write_text(render_html(entry, text),
                                                              encoding="utf-8")
            else:
                page = folder / f"{entry['id']}.html"
                page.write_text(render_html(entry, text, 2 if form == "pdf2" else 1),
                                encoding="utf-8")
                print_pdf(page, folder / f"{entry['id']}.pdf")
                page.unlink()
        suffix = {"text": "txt", "html": "html", "sentences": "csv"}.get(form, "pdf")
        for split in SPLITS:
            lines = []
            for entry in entries:
                if entry["split"] != split or (form == "sentences"
                                               and entry["kind"] != "campaign_statement"):
                    continue
                lines.append(catalog_entry(entry, f"{entry['id']}.{suffix}"))
            (folder / f"catalog-{split}.toml").write_text("\n".join(lines))
            if form == "sentences":  # scored on the statements alone
                gold = folder / f"gold-{split}"
                gold.mkdir(exist_ok=True)
                for entry in entries:
                    if entry["split"] == split and entry["kind"] == "campaign_statement":
                        source = json.loads((BUILD / "gold" / split / f"{entry['id']}.json")
                                            .read_text(encoding="utf-8"))
                        (gold / f"{entry['id']}.json").write_text(
                            json.dumps(sentence_gold(source), ensure_ascii=False, indent=1),
                            encoding="utf-8")
        print(f"{form}: {len(entries)} documents in {folder}")


CATALOG = HERE.parents[1] / "catalogs" / "corpus.toml"


def write_catalog() -> None:
    """catalogs/corpus.toml: every document at its live URL, for a machine with internet."""
    lines = ["# The evaluation corpus's sources at their live URLs (eval/corpus/documents.jsonl),",
             "# written by `python eval/corpus/corpus.py catalog`. With internet:",
             "#   pledgeflow run --sources catalogs/corpus.toml --db processed/corpus.db",
             "# Pages change and move: the gold in eval/corpus/gold is for the stored",
             "# captures, so score the captures (eval/corpus/README.md), not these fetches.", ""]
    documents = read_documents()
    lines += [catalog_entry(entry, entry["url"]) for entry in documents]
    CATALOG.parent.mkdir(exist_ok=True)
    CATALOG.write_text("\n".join(lines))
    print(f"{CATALOG}: {len(documents)} sources")


def check() -> None:
    documents = read_documents()
    texts = present_texts()
    for entry in documents:
        path = TEXTS / f"{entry['id']}.txt"
        state = "ok" if entry["id"] in texts else "changed" if path.exists() else "missing"
        if state != "ok":
            print(f"{entry['id']}: {state} ({entry['url']})")
    print(f"{len(texts)} of {len(documents)} texts present and matching their hash")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("freeze", help="work/ and sources/ -> documents.jsonl and gold/ spans")
    b = sub.add_parser("build", help="texts/ -> build/ (gold with texts, pages, catalogs)")
    b.add_argument("--forms", default="text,html",
                   help="comma-separated: text, html, pdf, pdf2 [default: text,html]")
    sub.add_parser("check", help="which texts are present and match their hash")
    sub.add_parser("catalog", help="catalogs/corpus.toml: the documents at their live URLs")
    args = parser.parse_args(argv)
    if args.command == "freeze":
        freeze()
    elif args.command == "build":
        build([f.strip() for f in args.forms.split(",") if f.strip()])
    elif args.command == "catalog":
        write_catalog()
    else:
        check()


if __name__ == "__main__":
    main(sys.argv[1:])

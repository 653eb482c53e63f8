"""Benchmark corpus: N council documents rebuilt from the sample corpus, served locally.

Half are HTML pages (party manifesto and campaign pages in the samples' site styles, with
header, navigation, cookie banner, sidebar and footer around the article), half are A4 PDF
plans of 5 to 200 pages (Helvetica, bullet lists, ruled KPI / action / risk tables on about
one page in four, a running title and a "Page N" footer). Every sentence, list item,
heading and table row comes from the samples as pledgeflow's own parsers read them,
reshuffled by a random generator seeded from (seed, document index), so the same seed
gives byte-identical files whatever the number of worker processes.

    .venv/bin/python benchmarks/corpus.py --out benchmarks/corpus --n 1000 --seed 0 [--serve]

benchmarks/ is not a package; another benchmark script imports this one by path:

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import corpus

    corpus.generate(ROOT / "benchmarks" / "corpus")  # reused when already generated
    with corpus.serve(ROOT / "benchmarks" / "corpus") as served:
        pipeline(sources=str(served.catalog), ...)
"""

from __future__ import annotations

import argparse
import hashlib
import html
import io
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import sys
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape as xml_escape

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
MANIFEST = "manifest.json"
CATALOG = "catalog.toml"
# Part of every seed and of the reuse check: bump it whenever the bytes generated for a
# given seed change, so a corpus made by an older generator is not silently reused.
VERSION = 1
SALT = f"pledgeflow-bench-corpus-v{VERSION}"

HTML_TYPE = "text/html"
PDF_TYPE = "application/pdf"
TABLE_SHARE = 0.25  # chance that a PDF page opens a table at its next block boundary

ProgressFn = Callable[[int, int, int], None]  # documents done, documents, PDF pages done


# --------------------------------------------------------------------------------------------
# The material: sample blocks as pledgeflow parses them
# --------------------------------------------------------------------------------------------


@dataclass
class TableShape:
    """Rows of the sample tables that share one header, pooled so they can be recombined."""

    header: list[str] | None
    rows: list[list[str]]
    caption: str | None  # the heading the table sat under in its sample
    refs: bool = False  # rows open with an action reference ("A.8.1.1 - ...")


@dataclass
class Pool:
    sentences: list[str]
    lead_ins: list[str]
    items: list[str]
    headings: list[str]
    titles: list[str]
    tables: list[TableShape]
    digest: str  # of all the above, so changed material invalidates a generated corpus


_ABBREVIATION = re.compile(r"(?:^|\s)(?:\d{1,3}|[A-Za-z]|e\.g|i\.e|etc|Mr|Mrs|Ms|Dr|St|No|vs)\.$")
_NUMBERING = re.compile(r"^\(?\d{1,2}[.)]\s+")
_REF = re.compile(r"^([A-Z]{1,2}\.\d+(?:\.\d+)+)\s*[\u2013\u2014:.-]?\s*(\S.*)$", re.S)
_YEAR_SPAN = re.compile(r"\b20\d\d/\d\d\b")


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph; paragraph numbering ("3. We will...") is dropped because a
    shuffled sentence keeps no place in the numbered sequence."""
    pieces = re.split(r"(?<=[.!?])\s+(?=[\"'(\u2018\u201c]?[A-Z])", " ".join(text.split()))
    sentences: list[str] = []
    for piece in pieces:
        if sentences and _ABBREVIATION.search(sentences[-1]):
            sentences[-1] += " " + piece
        else:
            sentences.append(piece)
    return [_NUMBERING.sub("", s).strip() for s in sentences if s.strip()]


def _clean_cell(text: str) -> str:
    # Bullet lines inside a cell stay lines; four at most keep every row shorter than a page.
    lines = [" ".join(line.split()) for line in text.split("\n") if line.strip()]
    return "\n".join(lines[:4])


def _unique(texts: list[str]) -> list[str]:
    return list(dict.fromkeys(t for t in texts if t))


_POOLS: dict[tuple, Pool] = {}


def load_pool(samples: Path = SAMPLES) -> Pool:
    """Parse every sample with pledgeflow and pool its sentences, items, headings and rows.

    Kept per process while the sample files are unchanged: parsing them takes a second,
    and a script or a test that generates several corpora needs it once."""
    samples = Path(samples).resolve()
    files = sorted([*samples.glob("html/*.html"), *samples.glob("pdf/*.pdf")])
    if not files:
        raise FileNotFoundError(f"no sample HTML or PDF files under {samples}")
    key = (samples, *((f.name, f.stat().st_size, f.stat().st_mtime_ns)
                      for f in [*files, samples / "catalog.toml"]))
    if key not in _POOLS:
        _POOLS[key] = _read_pool(samples, files)
    return _POOLS[key]


def _read_pool(samples: Path, files: list[Path]) -> Pool:
    from pledgeflow.catalog import load_catalog
    from pledgeflow.parse import parse

    sentences, lead_ins, items, headings, tables = [], [], [], [], []
    titles = [s.title for s in load_catalog(samples / "catalog.toml")]
    for path in files:
        data = path.read_bytes()
        media = PDF_TYPE if path.suffix == ".pdf" else HTML_TYPE
        doc = parse(data, media, document_id=hashlib.sha256(data).hexdigest())
        for block in doc.blocks:
            text = " ".join(block.text.split())
            if block.kind == "heading":
                (titles if block.level == 1 else headings).append(text)
            elif block.kind == "paragraph":
                for sentence in split_sentences(text):
                    if sentence.endswith(":"):
                        lead_ins.append(sentence)
                    elif len(sentence.split()) >= 6:
                        sentences.append(sentence)
            elif block.kind == "list_item":
                if len(text.split()) >= 3:
                    items.append(text)
                if block.lead_in and block.lead_in.endswith(":"):
                    lead_ins.append(" ".join(block.lead_in.split()))
            elif block.kind == "table" and block.rows:
                tables.append((block.rows, block.header_rows, block.heading))
    # A heading ending in a full stop reads as a sentence to the PDF parser, not a heading.
    headings = [h for h in _unique(headings) if len(h) <= 120 and not h.endswith(".")]
    pool = Pool(
        sentences=_unique(sentences), lead_ins=_unique(lead_ins), items=_unique(items),
        headings=headings, titles=_unique([*titles, *headings]),
        tables=_table_shapes(tables), digest="",
    )
    # The digest is of what the parsers read, not of the sample files: a change to the
    # samples or to pledgeflow's parsers that alters the material must not reuse a corpus.
    content = json.dumps(asdict(pool), ensure_ascii=False, sort_keys=True)
    pool.digest = hashlib.sha256(content.encode()).hexdigest()
    for name in ("sentences", "lead_ins", "items", "headings", "tables"):
        if not getattr(pool, name):
            raise ValueError(f"the samples under {samples} give no {name.replace('_', '-')}")
    return pool


def _table_shapes(found: list[tuple[list[list[str]], int, str | None]]) -> list[TableShape]:
    """Group table rows by header. A table whose header the parser did not mark (a caption
    row above it) is matched to a header seen in another table."""
    headers = [[_clean_cell(c) for c in rows[0]] for rows, n, _ in found if n]
    shapes: dict[tuple[str, ...], TableShape] = {}
    for raw_rows, n_header, caption in found:
        rows = [[_clean_cell(c) for c in row] for row in raw_rows]
        if n_header:
            header, body = rows[0], rows[n_header:]
        else:
            k = next((i for i, row in enumerate(rows) if row in headers), None)
            header, body = (rows[k], rows[k + 1:]) if k is not None else (None, rows)
        key = tuple(c.lower() for c in header) if header else ("",) * len(rows[0])
        shape = shapes.setdefault(key, TableShape(header, [], caption))
        shape.rows.extend(row for row in body if any(row) and row != header)
    for shape in shapes.values():
        shape.refs = sum(bool(_REF.match(r[0])) for r in shape.rows) * 2 > len(shape.rows)
    return [s for s in shapes.values() if s.rows and len(s.rows[0]) >= 2]


# Standard PDF fonts only have the Windows-1252 repertoire; anything else would be drawn as
# a missing glyph, which is not what a real plan's text layer holds.
_PDF_MAP = str.maketrans({"\u25aa": "\u2022", "\u25cf": "\u2022", "\u00a0": " ",
                          "\u2010": "-", "\u2011": "-", "\u2212": "-", "\u2192": "->"})


def pdf_text(text: str) -> str:
    out = []
    for ch in text.translate(_PDF_MAP):
        try:
            ch.encode("cp1252")
            out.append(ch)
        except UnicodeEncodeError:
            out.append(unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode())
    return "".join(out)


def _pdf_pool(pool: Pool) -> Pool:
    def clean(texts: list[str]) -> list[str]:
        return [pdf_text(t) for t in texts]

    tables = [TableShape(clean(s.header) if s.header else None, [clean(r) for r in s.rows],
                         pdf_text(s.caption) if s.caption else None, s.refs) for s in pool.tables]
    return Pool(clean(pool.sentences), clean(pool.lead_ins), clean(pool.items),
                clean(pool.headings), clean(pool.titles), tables, pool.digest)


# --------------------------------------------------------------------------------------------
# The plan: which documents, by whom, how long
# --------------------------------------------------------------------------------------------

_PLACE_STARTS = ["North", "South", "East", "West", "Ash", "Birch", "Elm", "Fair", "Hazel",
                 "Kings", "Lang", "Marsh", "Oak", "Queens", "Red", "Stan", "Thorn", "Wood",
                 "Broad", "Cold"]
_PLACE_ENDS = ["field", "brook", "moor", "ford", "ley", "wick", "bury", "ton", "dale", "mere"]
PLACES = [a + b for a in _PLACE_STARTS for b in _PLACE_ENDS]  # 200 made-up councils
COUNCIL_TYPES = ["Borough Council", "District Council", "City Council", "County Council",
                 "Metropolitan Borough Council", "Council"]
# (party as the catalog names it, how a local party names itself)
PARTIES = [("Labour", "Labour"), ("Conservative", "Conservatives"),
           ("Liberal Democrats", "Liberal Democrats"), ("Green", "Green Party"),
           ("Independent", "Independents")]
PARTY_COLOURS = {"Labour": "#e4003b", "Conservative": "#0087dc", "Liberal Democrats": "#faa61a",
                 "Green": "#02a95b", "Independent": "#6d3fa0"}


@dataclass(frozen=True)
class DocSpec:
    index: int
    seed: int
    id: str
    media_type: str
    path: str  # relative to the output folder
    pages: int
    organisation: str
    council: str
    party: str | None
    kind: str
    title: str
    period: str
    site: str  # the organisation's made-up web domain


def _sentence_case(text: str) -> str:
    return text[:1] + text[1:].lower() if text.isupper() else text


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def plan(pool: Pool, n: int, seed: int, html_share: float, min_pages: int,
         max_pages: int) -> list[DocSpec]:
    n_html = round(n * html_share)
    html_docs = set(random.Random(f"{SALT}:{seed}:media").sample(range(n), n_html))
    width = max(4, len(str(n - 1)))
    titles = [t for t in pool.titles if len(t) <= 70] or pool.titles
    specs = []
    for i in range(n):
        rng = random.Random(f"{SALT}:{seed}:{i}:meta")
        place, council_type = rng.choice(PLACES), rng.choice(COUNCIL_TYPES)
        start = rng.randint(2014, 2025)
        is_html = i in html_docs
        if is_html:
            kind = "manifesto" if rng.random() < 0.8 else "campaign_page"
        else:
            kind = rng.choices(["outcome_plan", "corporate_plan", "manifesto"], [5, 3, 2])[0]
        party = None
        organisation = f"{place} {council_type}"
        if kind in ("manifesto", "campaign_page"):
            party, local_name = rng.choice(PARTIES)
            organisation = f"{place} {local_name}"
        period = f"{start}-{start + (1 if kind == 'campaign_page' else 4)}"
        topic = _sentence_case(rng.choice(titles))
        if kind == "outcome_plan":
            title = f"Outcome Plan: {topic}"
        elif kind == "corporate_plan":
            title = f"{place} Corporate Plan {period}"
        elif not is_html:
            title = f"Manifesto {period}: {topic}"
        else:
            title = topic
        doc_id = f"bench-{i:0{width}d}"
        ext = "html" if is_html else "pdf"
        specs.append(DocSpec(
            index=i, seed=seed, id=doc_id, media_type=HTML_TYPE if is_html else PDF_TYPE,
            path=f"docs/{ext}/{doc_id}.{ext}",
            pages=1 if is_html else rng.randint(min_pages, max_pages),
            organisation=organisation, council=place, party=party, kind=kind, title=title,
            period=period, site=f"www.{_slug(organisation)}.example",
        ))
    return specs


# --------------------------------------------------------------------------------------------
# Content: the same reshuffled blocks for both formats
# --------------------------------------------------------------------------------------------


def _take(rng: random.Random, texts: list, low: int, high: int) -> list:
    return rng.sample(texts, min(len(texts), rng.randint(low, high)))


def _paragraph(rng: random.Random, pool: Pool) -> str:
    # Some sample "sentences" are unpunctuated PDF lines; a full stop keeps them apart.
    return " ".join(s if s[-1] in ".!?\"'\u201d\u2019)" else s + "."
                    for s in _take(rng, pool.sentences, 2, 5))


def _table(rng: random.Random, pool: Pool, *, start_year: int,
           number: int) -> tuple[str | None, list[str] | None, list[list[str]]]:
    """(caption, header, rows) of one table: rows of one sample shape, yearly target columns
    moved to the document's period and action references renumbered in order."""
    # Shapes come up as often as the samples hold their rows: mostly KPI and action tables.
    shape = rng.choices(pool.tables, weights=[len(t.rows) for t in pool.tables])[0]
    rows = [list(r) for r in _take(rng, shape.rows, 2, 7)]
    header = list(shape.header) if shape.header else None
    if header:
        years = iter(range(start_year, start_year + 50))

        def next_span(_match: re.Match[str]) -> str:
            year = next(years)
            return f"{year}/{(year + 1) % 100:02d}"

        header = [_YEAR_SPAN.sub(next_span, cell) for cell in header]
    if shape.refs:
        header = ["Ref", *header] if header else None
        chapter = 1 + (start_year + number) % 9
        renumbered = []
        for j, row in enumerate(rows, start=1):
            match = _REF.match(row[0])
            renumbered.append([f"A.{chapter}.{number}.{j}",
                               match.group(2) if match else row[0], *row[1:]])
        rows = renumbered
    return shape.caption, header, rows


def _section(rng: random.Random, pool: Pool, *, table_chance: float = 0.0,
             start_year: int = 2020) -> Iterator[tuple]:
    """One h2 section: paragraphs, lead-in sentences with their lists, h3 sub-sections."""
    yield ("h2", rng.choice(pool.headings))
    tables = 0
    for _ in range(rng.randint(2, 5)):
        roll = rng.random()
        if roll < table_chance:
            tables += 1
            yield ("table", *_table(rng, pool, start_year=start_year, number=tables))
        elif roll < 0.4:
            yield ("p", _paragraph(rng, pool))
        elif roll < 0.78:
            yield ("list", rng.choice(pool.lead_ins), _take(rng, pool.items, 3, 8))
        else:
            yield ("h3", rng.choice(pool.headings))
            yield ("p", _paragraph(rng, pool))


# --------------------------------------------------------------------------------------------
# HTML pages
# --------------------------------------------------------------------------------------------

_E = html.escape


def _html_body(blocks: list[tuple], panels: bool) -> str:
    out: list[str] = []
    panel_open = False
    for block in blocks:
        tag = block[0]
        if tag == "h2":
            out.append(f'<h2 id="{_slug(block[1])[:60]}">{_E(block[1])}</h2>')
        elif tag == "h3":
            # the samples box a sub-section in a panel, as CMS blocks do
            panel_open = panels
            out.append(('<div class="wp-block-group is-style-panel">\n' if panels else "")
                       + f"<h3>{_E(block[1])}</h3>")
        elif tag == "p":
            out.append(f"<p>{_E(block[1])}</p>" + ("\n</div>" if panel_open else ""))
            panel_open = False
        elif tag == "list":
            items = "\n".join(f"<li>{_E(item)}</li>" for item in block[2])
            out.append(f"<p>{_E(block[1])}</p>\n<ul>\n{items}\n</ul>")
        elif tag == "table":
            _, caption, header, rows = block
            cells = ["<table>"]
            if caption:
                cells.append(f"<caption>{_E(caption)}</caption>")
            if header:
                cells.append("<thead><tr>" + "".join(f"<th>{_E(c)}</th>" for c in header)
                             + "</tr></thead>")
            cells.append("<tbody>")
            for row in rows:
                cells.append("<tr>" + "".join(
                    "<td>" + "<br>".join(_E(line) for line in c.split("\n")) + "</td>"
                    for c in row) + "</tr>")
            cells.append("</tbody></table>")
            out.append('<figure class="wp-block-table">' + "\n".join(cells) + "</figure>")
    return "\n".join(out)


_ICON_PATHS = {
    "facebook": "M22 12a10 10 0 1 0-11.6 9.9v-7H7.9V12h2.5V9.8c0-2.5 1.5-3.9 3.8-3.9 1.1 0 2.2.2 "
                "2.2.2v2.5h-1.2c-1.2 0-1.6.8-1.6 1.6V12h2.8l-.4 2.9h-2.3v7A10 10 0 0 0 22 12z",
    "instagram": "M12 7a5 5 0 1 0 0 10 5 5 0 0 0 0-10zm0 8.2a3.2 3.2 0 1 1 0-6.4 3.2 3.2 0 0 1 0 "
                 "6.4zM17.3 5.5a1.2 1.2 0 1 0 0 2.4 1.2 1.2 0 0 0 0-2.4z",
    "email": "M20 4H4a2 2 0 0 0-2 2v12a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V6a2 2 0 0 0-2-2zm0 4-8 "
             "5-8-5V6l8 5 8-5z",
    "search": "M15.5 14h-.8l-.3-.3A6.5 6.5 0 1 0 14 15.5l.3.3v.8l5 5 1.5-1.5zm-6 0a4.5 4.5 0 1 "
              "1 0-9 4.5 4.5 0 0 1 0 9z",
}


def _social(base: str) -> str:
    return "\n".join(
        f'<li><a href="{base}/follow/{name}/" class="social-link social-link--{name}">'
        f'<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="{path}"/></svg>'
        f'<span class="screen-reader-text">{name.title()}</span></a></li>'
        for name, path in _ICON_PATHS.items())


def _head(spec: DocSpec, base: str, description: str, css: str) -> str:
    url = f"{base}/{spec.kind.replace('_', '-')}/{_slug(spec.title)[:60]}/"
    ld = json.dumps({"@context": "https://schema.org", "@graph": [
        {"@type": "WebPage", "@id": url + "#webpage", "url": url, "name": spec.title,
         "description": description, "inLanguage": "en-GB",
         "isPartOf": {"@id": f"{base}/#website"}},
        {"@type": "WebSite", "@id": f"{base}/#website", "url": f"{base}/",
         "name": spec.organisation, "inLanguage": "en-GB"},
        {"@type": "BreadcrumbList", "itemListElement": [
            {"@type": "ListItem", "position": 1, "name": "Home", "item": f"{base}/"},
            {"@type": "ListItem", "position": 2, "name": "Manifesto", "item": f"{base}/manifesto/"},
            {"@type": "ListItem", "position": 3, "name": spec.title}]}]})
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_E(spec.title)} &#8211; {_E(spec.organisation)}</title>
<meta name="description" content="{_E(description)}">
<link rel="canonical" href="{url}">
<meta property="og:locale" content="en_GB">
<meta property="og:type" content="article">
<meta property="og:title" content="{_E(spec.title)}">
<meta property="og:description" content="{_E(description)}">
<meta property="og:url" content="{url}">
<meta property="og:site_name" content="{_E(spec.organisation)}">
<meta name="twitter:card" content="summary_large_image">
<script type="application/ld+json">{ld.replace("/", chr(92) + "/")}</script>
<link rel="stylesheet" href="{base}/assets/css/main.min.css?ver=3.{spec.index % 7}.1" media="all">
<style>
{css}
</style>
</head>
"""


_CSS_COMMON = """.screen-reader-text{border:0;clip:rect(1px,1px,1px,1px);clip-path:inset(50%);\
height:1px;margin:-1px;overflow:hidden;padding:0;position:absolute!important;width:1px}
body{margin:0;font-family:"Source Sans Pro",Arial,Helvetica,sans-serif;color:#1e1e1e;\
line-height:1.55}
.container,.wrap{max-width:1140px;margin:0 auto;padding:0 20px}
.breadcrumbs,.crumbs{font-size:.875rem;padding:1rem 0;color:#555}
h1{font-size:2.4rem;line-height:1.15;margin:.5rem 0}h2{font-size:1.5rem;margin-top:2.2rem}
h3{font-size:1.2rem;margin-top:1.6rem}table{border-collapse:collapse;width:100%;margin:1.5rem 0}
th,td{border:1px solid #bbb;padding:.4rem .6rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}caption{font-weight:700;text-align:left;padding:.4rem 0}
.wp-block-group.is-style-panel{background:#f4f4f4;padding:1.25rem 1.5rem;margin:1.5rem 0}
.widget ul,.panel ul{list-style:none;padding:0}.widget li,.panel li{padding:.5rem 0;\
border-bottom:1px solid #ddd}
.site-footer{background:#1e1e1e;color:#fff;padding:2rem 0;font-size:.9rem}.site-footer a{color:#fff}
.social-links{display:flex;gap:1rem;list-style:none;padding:0}.social-links svg{width:24px;\
height:24px;fill:currentColor}
@media (max-width:820px){.site-content,.layout{display:block}.menu-toggle{display:block}}"""


def _nav(base: str, active: str) -> str:
    pages = [("Home", ""), ("News", "news/"), ("Our councillors", "our-councillors/"),
             ("Manifesto", "manifesto/"), ("Get involved", "get-involved/"),
             ("Donate", "donate/")]
    return "\n".join(
        f'<li class="menu-item{" current-menu-ancestor" if name == active else ""}">'
        f'<a href="{base}/{path}">{name}</a></li>' for name, path in pages)


def _news(rng: random.Random, pool: Pool, base: str) -> str:
    return "\n".join(f'<li><a href="{base}/news/{_slug(h)[:50]}/">{_E(_sentence_case(h))}</a></li>'
                     for h in _take(rng, pool.headings, 4, 6))


def _theme_wordpress(spec: DocSpec, rng: random.Random, pool: Pool, body: str, intro: str,
                     colour: str) -> str:
    base = f"https://{spec.site}"
    css = _CSS_COMMON + f"\n.site-header{{background:{colour};color:#fff}}" \
        f"\n.entry-content h2{{color:{colour}}}\n.pledge-form{{background:{colour};color:#fff;" \
        "padding:1.5rem;margin-top:2rem}"
    return _head(spec, base, intro[:150], css) + f"""<body class="page-template-default page \
page-id-{100 + spec.index} wp-embed-responsive">
<div id="cookie-notice" class="cookie-notice" role="dialog" aria-live="polite" \
aria-label="Cookie consent" hidden>
<div class="cookie-notice__inner container">
<p class="cookie-notice__text">We use cookies to make this website work and to understand how \
it is used. You can accept all cookies, or allow only the cookies that are strictly necessary.</p>
<div class="cookie-notice__actions">
<button type="button" class="button cookie-notice__accept" data-consent="all">Accept all \
cookies</button>
<button type="button" class="button button--secondary" data-consent="necessary">Necessary \
cookies only</button>
<a class="cookie-notice__policy" href="{base}/privacy-policy/">Cookie policy</a>
</div>
</div>
</div>
<a class="skip-link screen-reader-text" href="#main">Skip to content</a>
<div id="page" class="site">
<header id="masthead" class="site-header">
<div class="site-header__inner container">
<div class="site-branding"><a href="{base}/" class="custom-logo-link" rel="home"><img \
src="{base}/wp-content/uploads/logo-white.svg" class="custom-logo" alt="{_E(spec.organisation)}" \
width="264" height="60"></a></div>
<button class="menu-toggle" aria-controls="primary-menu" aria-expanded="false"><span \
class="screen-reader-text">Primary menu</span></button>
<nav id="site-navigation" class="main-navigation" aria-label="Primary">
<ul id="primary-menu" class="menu">
{_nav(base, "Manifesto")}
</ul>
</nav>
<form role="search" method="get" class="search-form" action="{base}/">
<label class="screen-reader-text" for="search-field">Search for:</label>
<input type="search" id="search-field" class="search-field" placeholder="Search &hellip;" \
value="" name="s">
<button type="submit" class="search-submit" aria-label="Search">Search</button>
</form>
</div>
</header>
<nav class="breadcrumbs container" aria-label="Breadcrumb">
<span><a href="{base}/">Home</a></span> <span class="sep" aria-hidden="true">&rsaquo;</span> \
<span><a href="{base}/manifesto/">Manifesto</a></span> <span class="sep" \
aria-hidden="true">&rsaquo;</span> <span class="breadcrumb_last" aria-current="page">\
{_E(spec.title)}</span>
</nav>
<div id="content" class="site-content container">
<main id="main" class="site-main">
<article id="post-{100 + spec.index}" class="page type-page status-publish hentry">
<header class="entry-header">
<h1 class="entry-title">{_E(spec.title)}</h1>
</header>
<div class="entry-content">
<p>{_E(intro)}</p>
{body}
<p class="back-to-top"><a href="#top">Back to the top</a></p>
</div>
</article>
<section class="pledge-form" id="vote-pledge" aria-labelledby="vote-pledge-title">
<h2 class="pledge-form__title" id="vote-pledge-title">Let us know you'll vote for us...</h2>
<form class="party-form" action="{base}/forms/submit" method="post">
<input type="hidden" name="form_id" value="vote-pledge-{spec.period}">
<div class="field"><input type="text" name="first_name" placeholder="First name" \
aria-label="First name" required></div>
<div class="field"><input type="email" name="email" placeholder="Email address" \
aria-label="Email address" required></div>
<div class="field"><input type="text" name="postcode" placeholder="Postcode" \
aria-label="Postcode" required></div>
<div class="field field--consent"><input type="checkbox" id="consent" name="consent" value="yes" \
required><label for="consent">Please tick to confirm that you are happy for us to use the \
information you have provided.</label></div>
<input type="submit" class="button" value="I&#8217;ll vote {_E(spec.party or 'for you')}">
</form>
</section>
</main>
<aside id="secondary" class="widget-area" aria-label="Sidebar">
<section class="widget widget_recent_entries">
<h2 class="widget-title">Latest news</h2>
<ul>
{_news(rng, pool, base)}
</ul>
</section>
</aside>
</div>
<footer id="colophon" class="site-footer">
<div class="container">
<nav class="footer-navigation" aria-label="Footer"><ul class="menu"><li><a \
href="{base}/privacy-policy/">Privacy policy</a></li><li><a href="{base}/cookie-policy/">Cookie \
policy</a></li><li><a href="{base}/accessibility/">Accessibility</a></li></ul></nav>
<p class="site-info">Promoted by {_E(spec.organisation)}, {rng.randint(1, 200)} High Street, \
{_E(spec.council)}.</p>
<ul class="social-links">
{_social(base)}
</ul>
</div>
</footer>
</div>
<script>
(function () {{
  var banner = document.getElementById('cookie-notice');
  if (banner && document.cookie.indexOf('consent=') < 0) {{ banner.hidden = false; }}
  Array.prototype.forEach.call(document.querySelectorAll('[data-consent]'), function (b) {{
    b.addEventListener('click', function () {{
      document.cookie = 'consent=' + b.getAttribute('data-consent') + '; path=/; SameSite=Lax';
      banner.hidden = true;
    }});
  }});
}})();
</script>
</body>
</html>
"""


def _theme_masthead(spec: DocSpec, rng: random.Random, pool: Pool, body: str, intro: str,
                    colour: str) -> str:
    base = f"https://{spec.site}"
    css = _CSS_COMMON + f"\n.topbar{{background:{colour};font-size:.8125rem;padding:.35rem 0}}" \
        f"\n.masthead{{border-bottom:4px solid {colour}}}\n.layout{{display:flex;gap:2.5rem}}" \
        "\n.layout__main{flex:1 1 68%;min-width:0}.layout__sidebar{flex:0 0 30%}" \
        "\n.cc-window{position:fixed;left:1rem;right:1rem;bottom:1rem;background:#222;color:#fff}"
    return _head(spec, base, intro[:150], css) + f"""<body class="page page-manifesto \
page-{_slug(spec.title)[:40]}">
<a href="#main-content" class="skiplink">Skip to main content</a>
<div class="topbar"><div class="wrap"><a href="{base}/contact/">Contact your councillor</a>\
<a href="{base}/join/">Join us</a><a href="{base}/donate/">Donate</a></div></div>
<header class="masthead" role="banner">
<div class="wrap">
<div class="masthead__logo"><a href="{base}/" title="{_E(spec.organisation)} &ndash; home"><img \
src="{base}/assets/img/logo.svg" alt="{_E(spec.organisation)}" width="240" height="56"></a></div>
<nav class="navbar" id="main-nav" aria-label="Main menu">
<ul class="navbar__list">
{_nav(base, "Manifesto")}
</ul>
</nav>
</div>
</header>
<div class="wrap">
<nav class="crumbs" aria-label="Breadcrumb">
<ol>
<li><a href="{base}/">Home</a></li>
<li><a href="{base}/manifesto/">Manifesto</a></li>
<li aria-current="page">{_E(spec.title)}</li>
</ol>
</nav>
<div class="layout">
<main id="main-content" class="layout__main" role="main">
<article class="manifesto-section" id="{_slug(spec.title)[:40]}">
<header class="manifesto-section__header">
<p class="manifesto-section__kicker">{_E(spec.period.replace('-', ' to '))}</p>
<h1 class="manifesto-section__title">{_E(spec.title)}</h1>
</header>
<div class="manifesto-section__body">
<p>{_E(intro)}</p>
{body}
</div>
</article>
</main>
<aside class="layout__sidebar" role="complementary">
<div class="panel panel--news">
<h2>Latest news</h2>
<ul>
{_news(rng, pool, base)}
</ul>
<p><a href="{base}/news/">All news &raquo;</a></p>
</div>
<div class="panel panel--donate">
<h2>Help us win in {_E(spec.council)}</h2>
<p>We don&rsquo;t take money from big business. Every pound helps us deliver leaflets and keep \
this website running.</p>
<p><a class="btn" href="{base}/donate/">Donate</a></p>
</div>
</aside>
</div>
</div>
<footer class="site-footer" role="contentinfo">
<div class="wrap">
<ul class="social-links">
{_social(base)}
</ul>
<p>Published and promoted by {_E(spec.organisation)}. Website powered by volunteers &ndash; \
thank you.</p>
<p>&copy; {_E(spec.organisation)} &middot; <a href="{base}/privacy/">Privacy notice</a> &middot; \
<a href="{base}/cookies/">Cookies</a> &middot; <a href="{base}/accessibility/">Accessibility</a></p>
</div>
</footer>
<div class="cc-window cc-invisible" role="dialog" aria-live="polite" aria-label="cookieconsent">
<span class="cc-message">We&rsquo;d like to set analytics cookies to help us improve this \
website. We won&rsquo;t set them unless you say yes. <a class="cc-link" \
href="{base}/cookies/">Learn more</a></span>
<div class="cc-compliance"><button class="cc-btn cc-deny" type="button">Decline</button>\
<button class="cc-btn cc-allow" type="button">Allow cookies</button></div>
</div>
</body>
</html>
"""


def _theme_council(spec: DocSpec, rng: random.Random, pool: Pool, body: str, intro: str,
                   colour: str) -> str:
    base = f"https://{spec.site}"
    css = _CSS_COMMON + "\n.cookie-banner{background:#f3f2f1;padding:1.5rem 0}" \
        f"\n.header{{background:#0b0c0c;border-bottom:10px solid {colour};color:#fff}}" \
        "\n.grid-row{display:flex;gap:30px}.column-two-thirds{flex:0 0 66%}" \
        ".column-one-third{flex:0 0 30%}.related-items{border-top:2px solid #1d70b8}"
    return _head(spec, base, intro[:150], css) + f"""<body class="template-page">
<div class="cookie-banner" role="region" aria-label="Cookies on {_E(spec.site)}">
<div class="wrap">
<h2 class="cookie-banner__heading">Cookies on this site</h2>
<p>We use some essential cookies to make this website work. We&rsquo;d also like to set \
additional cookies to understand how you use the site and improve our services.</p>
<button type="button" class="button" name="cookies" value="accept">Accept additional \
cookies</button> <button type="button" class="button" name="cookies" value="reject">Reject \
additional cookies</button> <a class="link" href="{base}/cookies/">View cookies</a>
</div>
</div>
<header class="header" role="banner">
<div class="wrap header__container">
<a href="{base}/" class="header__link header__link--homepage">{_E(spec.organisation)}</a>
<nav aria-label="Menu" class="header__navigation">
<ul class="header__navigation-list">
{_nav(base, "Manifesto")}
</ul>
</nav>
</div>
</header>
<div class="wrap">
<div class="breadcrumbs"><ol class="breadcrumbs__list">
<li class="breadcrumbs__list-item"><a href="{base}/">Home</a></li>
<li class="breadcrumbs__list-item"><a href="{base}/manifesto/">Our plans</a></li>
</ol></div>
<main class="main-wrapper" id="main-content" role="main">
<div class="grid-row">
<div class="column-two-thirds">
<span class="caption-l">{_E(spec.council)} &middot; {_E(spec.period)}</span>
<h1 class="heading-xl">{_E(spec.title)}</h1>
<p class="lead">{_E(intro)}</p>
{body}
<p class="body-s">Last updated {rng.randint(1, 28)} {rng.choice(['March', 'April', 'May'])} \
{spec.period[:4]}</p>
</div>
<div class="column-one-third">
<aside class="related-items" role="complementary">
<h2 class="heading-s" id="related">Related content</h2>
<nav aria-labelledby="related"><ul class="list">
{_news(rng, pool, base)}
</ul></nav>
</aside>
</div>
</div>
</main>
</div>
<footer class="footer" role="contentinfo">
<div class="wrap">
<h2 class="visually-hidden">Support links</h2>
<ul class="footer__inline-list">
<li><a href="{base}/accessibility/">Accessibility statement</a></li>
<li><a href="{base}/cookies/">Cookies</a></li>
<li><a href="{base}/privacy/">Privacy</a></li>
<li><a href="{base}/contact/">Contact us</a></li>
</ul>
<p>&copy; {_E(spec.organisation)}</p>
</div>
</footer>
</body>
</html>
"""


_THEMES = (_theme_wordpress, _theme_masthead, _theme_council)


def render_html(spec: DocSpec, pool: Pool) -> bytes:
    rng = random.Random(f"{SALT}:{spec.seed}:{spec.index}:content")
    start_year = int(spec.period[:4])
    intro = _paragraph(rng, pool)
    blocks: list[tuple] = []
    for _ in range(rng.randint(2, 5)):
        # about one page in four gets a table, as in the PDFs
        blocks.extend(_section(rng, pool, table_chance=0.025, start_year=start_year))
    theme = rng.choice(_THEMES)
    colour = PARTY_COLOURS.get(spec.party or "", "#1d70b8")
    body = _html_body(blocks, panels=theme is _theme_wordpress)
    return theme(spec, rng, pool, body, intro, colour).encode("utf-8")


# --------------------------------------------------------------------------------------------
# PDF plans
# --------------------------------------------------------------------------------------------

_PAGE_W, _PAGE_H = 595.2756, 841.8898  # A4 in points
_MARGIN_X = 60.0
# The body stays out of the top and bottom 12% where pledgeflow drops repeated running lines:
# in a corpus reshuffled from a small pool, body lines repeat too.
_BODY_TOP, _BODY_BOTTOM = 106.0, 106.0
_HEADING_ROOM = 80.0  # a heading with less room under it moves to the next page


class _Styles:
    def __init__(self) -> None:
        from reportlab.lib.styles import ParagraphStyle

        self.h1 = ParagraphStyle("h1", fontName="Helvetica-Bold", fontSize=20, leading=24,
                                 spaceAfter=10)
        self.h2 = ParagraphStyle("h2", fontName="Helvetica-Bold", fontSize=15, leading=19,
                                 spaceBefore=12, spaceAfter=6)
        # 13pt: pledgeflow takes a size 1.2 times the body's as a heading, whatever its text
        self.h3 = ParagraphStyle("h3", fontName="Helvetica-Bold", fontSize=13, leading=16,
                                 spaceBefore=8, spaceAfter=4)
        # 8pt after a paragraph: a wider gap than 0.7 of the font size starts a new block
        self.body = ParagraphStyle("body", fontName="Helvetica", fontSize=10.5, leading=14,
                                   spaceAfter=8)
        self.item = ParagraphStyle("item", parent=self.body, leftIndent=18, bulletIndent=6,
                                   spaceAfter=3, bulletFontName="Symbol")
        self.last_item = ParagraphStyle("last_item", parent=self.item, spaceAfter=9)
        self.cell = ParagraphStyle("cell", fontName="Helvetica", fontSize=9, leading=11)
        self.head_cell = ParagraphStyle("head_cell", parent=self.cell, fontName="Helvetica-Bold")


# Helvetica's bullet is written as code 127, which pdfminer cannot map back to a character;
# Word and most typesetters draw bullets from the Symbol font, which every reader maps.
_BULLET = '<font name="Symbol">\u2022</font>'


def _markup(text: str) -> str:
    return "<br/>".join(xml_escape(line).replace("\u2022", _BULLET)
                        for line in text.split("\n"))


def _pdf_flowables(tag: str, block: tuple, styles: _Styles) -> list:
    from reportlab.platypus import Paragraph

    if tag in ("h1", "h2", "h3"):
        heading = Paragraph(_markup(block[1]), getattr(styles, tag))
        heading.keep_with_next = True
        return [heading]
    if tag == "p":
        return [Paragraph(_markup(block[1]), styles.body)]
    if tag == "list":
        lead_in, items = block[1], block[2]
        out = [Paragraph(_markup(lead_in), styles.body)]
        for n, item in enumerate(items, start=1):
            style = styles.last_item if n == len(items) else styles.item
            out.append(Paragraph(_markup(item), style, bulletText="\u2022"))
        return out
    if tag == "table":
        return _pdf_table(*block[1:], styles=styles)
    raise ValueError(tag)


def _pdf_table(caption: str | None, header: list[str] | None, rows: list[list[str]], *,
               styles: _Styles) -> list:
    from reportlab.lib import colors
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Paragraph, Table, TableStyle

    grid = [header] if header else []
    grid += rows
    n_cols = max(len(r) for r in grid)
    grid = [r + [""] * (n_cols - len(r)) for r in grid]
    # Every column fits its longest word (a word wider than its cell spills into the next
    # one and reads back broken); the rest of the width goes by text length, so a reference
    # column stays narrow and an action column takes the room.
    need, weights = [], []
    for j in range(n_cols):
        words = [w for r in grid for w in r[j].split()] or [""]
        need.append(max(stringWidth(w, "Helvetica-Bold", 9) for w in words) + 13)
        mean = sum(len(r[j]) for r in grid) / len(grid)
        weights.append(min(max(mean, 6.0), 90.0) ** 0.8)
    width = _PAGE_W - 2 * _MARGIN_X
    spare = width - sum(need)
    if spare > 0:
        col_widths = [n + spare * w / sum(weights) for n, w in zip(need, weights, strict=True)]
    else:
        col_widths = [width * n / sum(need) for n in need]
    cells = [[Paragraph(_markup(c), styles.head_cell if header and i == 0 else styles.cell)
              for c in row] for i, row in enumerate(grid)]
    table = Table(cells, colWidths=col_widths, repeatRows=1 if header else 0)
    commands = [("GRID", (0, 0), (-1, -1), 0.6, colors.HexColor("#555555")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6ee")))
    table.setStyle(TableStyle(commands))
    table.spaceBefore, table.spaceAfter = 4, 12
    out = []
    if caption:
        out.extend(_pdf_flowables("h3", ("h3", caption), styles))
    out.append(table)
    return out


class _Typesetter:
    """Fills pages one at a time from an endless stream of blocks, so a PDF has exactly its
    planned page count; what does not fit is split across the page break as a typesetter
    would (a table repeats its header row), and a table is due on about one page in four."""

    def __init__(self, spec: DocSpec, pool: Pool) -> None:
        self.spec, self.pool = spec, pool
        self.rng = random.Random(f"{SALT}:{spec.seed}:{spec.index}:content")
        self.styles = _Styles()
        self.start_year = int(spec.period[:4])
        self.stream = self._blocks()
        self.queue: deque = deque()
        self.table_due = False
        self.tables = 0

    def _blocks(self) -> Iterator[list]:
        spec, styles = self.spec, self.styles
        yield _pdf_flowables("h1", ("h1", spec.title), styles)
        yield _pdf_flowables("p", ("p", f"{spec.organisation} \u2013 {spec.period}"), styles)
        yield _pdf_flowables("p", ("p", _paragraph(self.rng, self.pool)), styles)
        headings: list = []
        while True:
            for block in _section(self.rng, self.pool):
                # a heading goes out with the block under it: a due table must not come
                # between them
                headings += _pdf_flowables(block[0], block, styles)
                if block[0] not in ("h2", "h3"):
                    yield headings
                    headings = []

    def _take(self):
        if not self.queue:
            if self.table_due:  # at a block boundary, so a table never cuts a list in two
                self.table_due = False
                self.tables += 1
                block = ("table", *_table(self.rng, self.pool, start_year=self.start_year,
                                          number=self.tables))
                self.queue.extend(_pdf_flowables("table", block, self.styles))
            else:
                self.queue.extend(next(self.stream))
        return self.queue.popleft()

    def _fill(self, frame, canvas, last: bool) -> bool:
        """Fill one page's frame; True when (part of) a table went on it."""
        from reportlab.platypus import Table

        has_table = False
        while True:
            flowable = self._take()
            room = frame._y - frame._y1p
            if getattr(flowable, "keep_with_next", False) and not frame._atTop \
                    and room < _HEADING_ROOM:
                self.queue.appendleft(flowable)
                return has_table
            if frame.add(flowable, canvas, trySplit=1):
                has_table = has_table or isinstance(flowable, Table)
                continue
            parts = [] if last else frame.split(flowable, canvas)
            if parts and frame.add(parts[0], canvas, trySplit=1):
                self.queue.extendleft(reversed(parts[1:]))
                return has_table or isinstance(parts[0], Table)
            if frame._atTop:
                continue  # taller than an empty page and unsplittable: dropped, not looped on
            self.queue.appendleft(flowable)
            return has_table

    def render(self) -> tuple[bytes, int]:
        from reportlab import rl_config
        from reportlab.pdfgen.canvas import Canvas
        from reportlab.platypus.frames import Frame

        spec = self.spec
        buf = io.BytesIO()
        canvas = Canvas(buf, pagesize=(_PAGE_W, _PAGE_H), invariant=1, pageCompression=1)
        canvas.setTitle(spec.title)
        canvas.setAuthor(spec.organisation)
        canvas.setSubject(f"{spec.kind.replace('_', ' ')} {spec.period}")
        canvas.setCreator("pledgeflow benchmarks/corpus.py")
        table_pages = 0
        # Binary Flate streams as Word and most producers write them; reportlab's default
        # ASCII85 wrapping costs a quarter more bytes and a tenth more time.
        a85, rl_config.useA85 = rl_config.useA85, 0
        try:
            for page in range(1, spec.pages + 1):
                canvas.setFont("Helvetica", 8.5)
                canvas.setFillGray(0.35)
                canvas.drawString(_MARGIN_X, _PAGE_H - 48, spec.title[:110])
                canvas.drawCentredString(_PAGE_W / 2, 40, f"Page {page}")
                canvas.setFillGray(0)
                frame = Frame(_MARGIN_X, _BODY_BOTTOM, _PAGE_W - 2 * _MARGIN_X,
                              _PAGE_H - _BODY_TOP - _BODY_BOTTOM, leftPadding=0,
                              rightPadding=0, topPadding=0, bottomPadding=0)
                if self.rng.random() < TABLE_SHARE:
                    self.table_due = True
                table_pages += self._fill(frame, canvas, last=page == spec.pages)
                canvas.showPage()
            canvas.save()
        finally:
            rl_config.useA85 = a85
        return buf.getvalue(), table_pages


def render_pdf(spec: DocSpec, pool: Pool) -> tuple[bytes, int]:
    """The PDF's bytes and how many of its pages hold (part of) a ruled table."""
    return _Typesetter(spec, pool).render()


# --------------------------------------------------------------------------------------------
# Generating
# --------------------------------------------------------------------------------------------

_WORKER_POOLS: dict[str, Pool] = {}


def _init_worker(pool: Pool) -> None:
    _WORKER_POOLS["html"] = pool
    _WORKER_POOLS["pdf"] = _pdf_pool(pool)


def _build(task: tuple[DocSpec, str]) -> dict:
    spec, out_dir = task
    if spec.media_type == PDF_TYPE:
        data, table_pages = render_pdf(spec, _WORKER_POOLS["pdf"])
    else:
        data, table_pages = render_html(spec, _WORKER_POOLS["html"]), 0
    path = Path(out_dir) / spec.path
    path.write_bytes(data)
    entry = {k: v for k, v in asdict(spec).items() if k not in ("index", "seed", "site")}
    entry.update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest(),
                 table_pages=table_pages)
    return entry


@dataclass
class Manifest:
    params: dict
    documents: list[dict]
    totals: dict
    seconds: float
    path: Path | None = None
    reused: bool = False

    def to_json(self) -> str:
        data = {"generator": "benchmarks/corpus.py", "params": self.params,
                "totals": self.totals, "seconds": self.seconds, "documents": self.documents}
        return json.dumps(data, indent=1, ensure_ascii=False) + "\n"

    @classmethod
    def load(cls, path: Path) -> Manifest:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(params=data["params"], documents=data["documents"], totals=data["totals"],
                   seconds=data.get("seconds", 0.0), path=Path(path))


def _totals(documents: list[dict]) -> dict:
    pdfs = [d for d in documents if d["media_type"] == PDF_TYPE]
    htmls = [d for d in documents if d["media_type"] == HTML_TYPE]
    return {
        "documents": len(documents), "html_documents": len(htmls),
        "pdf_documents": len(pdfs), "pdf_pages": sum(d["pages"] for d in pdfs),
        "pdf_table_pages": sum(d["table_pages"] for d in pdfs),
        "bytes": sum(d["bytes"] for d in documents),
        "html_bytes": sum(d["bytes"] for d in htmls), "pdf_bytes": sum(d["bytes"] for d in pdfs),
    }


def _reusable(out_dir: Path, params: dict) -> Manifest | None:
    path = out_dir / MANIFEST
    try:
        manifest = Manifest.load(path)
    except (OSError, ValueError, KeyError):
        return None
    if manifest.params != params:
        return None
    for doc in manifest.documents:
        try:
            if (out_dir / doc["path"]).stat().st_size != doc["bytes"]:
                return None
        except OSError:
            return None
    manifest.reused = True
    return manifest


def _default_workers() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def generate(out_dir: Path | str, n: int = 1000, seed: int = 0, html_share: float = 0.5,
             min_pages: int = 5, max_pages: int = 200, workers: int | None = None, *,
             force: bool = False, samples: Path = SAMPLES,
             progress: ProgressFn | None = None) -> Manifest:
    """Write ``n`` documents under ``out_dir/docs`` and ``out_dir/manifest.json``.

    A folder whose manifest has the same parameters (and digest of the sample material as
    pledgeflow parses it) and whose files are all present at their recorded sizes is reused
    as it is, unless ``force``."""
    if n < 1 or not 0 <= html_share <= 1 or not 1 <= min_pages <= max_pages:
        raise ValueError("need n >= 1, 0 <= html_share <= 1 and 1 <= min_pages <= max_pages")
    out_dir = Path(out_dir)
    started = time.perf_counter()
    pool = load_pool(samples)
    params = {"version": VERSION, "n": n, "seed": seed, "html_share": html_share,
              "min_pages": min_pages, "max_pages": max_pages, "material_sha256": pool.digest}
    if not force and (reused := _reusable(out_dir, params)) is not None:
        return reused
    specs = plan(pool, n, seed, html_share, min_pages, max_pages)
    (out_dir / MANIFEST).unlink(missing_ok=True)  # no manifest until every file is written
    shutil.rmtree(out_dir / "docs", ignore_errors=True)
    for folder in ("html", "pdf"):
        (out_dir / "docs" / folder).mkdir(parents=True, exist_ok=True)
    # Longest documents first, so no worker is left with a 200-page PDF at the end.
    tasks = [(s, str(out_dir)) for s in sorted(specs, key=lambda s: (-s.pages, s.index))]
    workers = max(1, min(workers or _default_workers(), len(tasks)))
    entries: dict[str, dict] = {}
    pages_done = 0

    def record(entry: dict) -> None:
        nonlocal pages_done
        entries[entry["id"]] = entry
        pages_done += entry["pages"] if entry["media_type"] == PDF_TYPE else 0
        if progress:
            progress(len(entries), n, pages_done)

    if workers == 1:
        _init_worker(pool)
        for task in tasks:
            record(_build(task))
    else:
        # fork, not spawn: benchmarks/ is not a package, so a spawned child could not import
        # this module by name; fork hands it the module already loaded.
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, initializer=_init_worker, initargs=(pool,)) as procs:
            for entry in procs.imap_unordered(_build, tasks, chunksize=1):
                record(entry)
    documents = [entries[s.id] for s in specs]
    manifest = Manifest(params=params, documents=documents, totals=_totals(documents),
                        seconds=round(time.perf_counter() - started, 2),
                        path=out_dir / MANIFEST)
    tmp = out_dir / (MANIFEST + ".tmp")
    tmp.write_text(manifest.to_json(), encoding="utf-8")
    os.replace(tmp, out_dir / MANIFEST)
    return manifest


# --------------------------------------------------------------------------------------------
# Serving
# --------------------------------------------------------------------------------------------


@dataclass
class Served:
    base_url: str
    catalog: Path
    manifest: Manifest
    server: ThreadingHTTPServer

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, doc: dict) -> str:
        return f"{self.base_url}/{doc['path'].removeprefix('docs/')}"


def _toml_str(value: str) -> str:
    # A JSON string is a valid TOML basic string (same escapes, \uXXXX included).
    return json.dumps(value, ensure_ascii=False)


def write_catalog(path: Path, manifest: Manifest, base_url: str) -> Path:
    lines = [f"# {manifest.totals['documents']} generated benchmark documents served from "
             f"{base_url}; written by benchmarks/corpus.py, valid while it serves.", ""]
    for doc in manifest.documents:
        lines.append("[[sources]]")
        lines.append(f"id = {_toml_str(doc['id'])}")
        lines.append(f"url = {_toml_str(base_url + '/' + doc['path'].removeprefix('docs/'))}")
        for key in ("organisation", "council", "party", "kind", "title", "period"):
            if doc.get(key):
                lines.append(f"{key} = {_toml_str(doc[key])}")
        lines.append("")
    # Written aside and renamed: a reader never sees half a catalog.
    partial = path.with_name(path.name + ".partial")
    partial.write_text("\n".join(lines), encoding="utf-8")
    partial.replace(path)
    return path


def _etag_matches(header: str, etag: str) -> bool:
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


def _handler(files: dict[str, tuple[Path, str, str]]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._respond(body=True)

        def do_HEAD(self) -> None:
            self._respond(body=False)

        def _respond(self, body: bool) -> None:
            found = files.get(unquote(urlsplit(self.path).path))
            if found is None:
                self.send_error(404)
                return
            path, media_type, etag = found
            try:
                stat = path.stat()
            except OSError:
                self.send_error(404)
                return
            modified = formatdate(int(stat.st_mtime), usegmt=True)
            if self._not_modified(etag, int(stat.st_mtime)):
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", modified)
                self.end_headers()
                return
            self.send_response(200)
            for name, value in (("Content-Type", media_type), ("Content-Length", str(stat.st_size)),
                                ("ETag", etag), ("Last-Modified", modified),
                                ("Cache-Control", "no-cache")):
                self.send_header(name, value)
            self.end_headers()
            if body:
                with path.open("rb") as fh:
                    try:
                        shutil.copyfileobj(fh, self.wfile)
                    except (BrokenPipeError, ConnectionResetError):
                        pass  # the client went away; nothing to tell it

        def _not_modified(self, etag: str, mtime: int) -> bool:
            # If-None-Match wins over If-Modified-Since when both are sent (RFC 9110 13.2.2).
            if (inm := self.headers.get("If-None-Match")) is not None:
                return _etag_matches(inm, etag)
            if (ims := self.headers.get("If-Modified-Since")) is not None:
                try:
                    return mtime <= parsedate_to_datetime(ims).timestamp()
                except (TypeError, ValueError):
                    return False
            return False

        def log_message(self, *args) -> None:
            pass

    return Handler


@contextmanager
def serve(out_dir: Path | str, host: str = "127.0.0.1", port: int = 0) -> Iterator[Served]:
    """Serve ``out_dir/docs`` over HTTP with validators and write ``out_dir/catalog.toml``
    for the bound port; stop the server on exit."""
    out_dir = Path(out_dir)
    manifest = Manifest.load(out_dir / MANIFEST)
    files = {}
    for doc in manifest.documents:
        media = "text/html; charset=utf-8" if doc["media_type"] == HTML_TYPE else PDF_TYPE
        files["/" + doc["path"].removeprefix("docs/")] = (
            out_dir / doc["path"], media, f'"{doc["sha256"][:32]}"')
    server = ThreadingHTTPServer((host, port), _handler(files))
    # The catalog is complete before the first request can be answered: a caller that
    # waits for the port to accept may read it at once.
    base_url = f"http://{host}:{server.server_address[1]}"
    catalog = write_catalog(out_dir / CATALOG, manifest, base_url)
    thread = threading.Thread(target=server.serve_forever, name="corpus-server", daemon=True)
    thread.start()
    try:
        yield Served(base_url=base_url, catalog=catalog, manifest=manifest, server=server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def _printer(stream=sys.stdout) -> ProgressFn:
    tty = stream.isatty()
    last = [0.0]

    def show(done: int, total: int, pages: int) -> None:
        now = time.perf_counter()
        if done < total and now - last[0] < (0.5 if tty else 5.0):
            return
        last[0] = now
        line = f"  {done:,}/{total:,} documents, {pages:,} PDF pages"
        print(("\r" + line) if tty else line, end="" if tty and done < total else "\n",
              file=stream, flush=True)

    return show


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Files go to OUT/docs/{html,pdf}/, their list (path, media type, pages, bytes, "
               "sha256) to OUT/manifest.json. Running again with the same parameters reuses "
               "the corpus unless --force. --serve writes OUT/catalog.toml for the bound port "
               "and serves until Ctrl-C.")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "corpus",
                        help="output folder (default: benchmarks/corpus)")
    parser.add_argument("--n", type=int, default=1000, help="documents (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--html-share", type=float, default=0.5,
                        help="share of HTML documents, the rest PDF (default 0.5)")
    parser.add_argument("--min-pages", type=int, default=5, help="PDF pages at least (5)")
    parser.add_argument("--max-pages", type=int, default=200, help="PDF pages at most (200)")
    parser.add_argument("--workers", type=int, help="processes (default: one per core)")
    parser.add_argument("--force", action="store_true", help="regenerate even if reusable")
    parser.add_argument("--serve", action="store_true",
                        help="then serve on 127.0.0.1 and print the catalog path")
    parser.add_argument("--port", type=int, default=0, help="port to serve on (default: any)")
    args = parser.parse_args(argv)
    print(f"corpus: {args.n:,} documents, seed {args.seed} -> {args.out}", flush=True)
    manifest = generate(args.out, n=args.n, seed=args.seed, html_share=args.html_share,
                        min_pages=args.min_pages, max_pages=args.max_pages,
                        workers=args.workers, force=args.force, progress=_printer())
    t = manifest.totals
    how = ("reused (same parameters; --force regenerates)" if manifest.reused
           else "generated")
    print(f"{how}: {t['documents']:,} docs ({t['html_documents']:,} HTML, "
          f"{t['pdf_documents']:,} PDF), {t['pdf_pages']:,} PDF pages "
          f"({t['pdf_table_pages']:,} with tables), {t['bytes']:,} bytes "
          f"({t['bytes'] / 1e6:.1f} MB), generated in {manifest.seconds:.1f} s")
    if args.serve:
        stop = threading.Event()
        # SIGTERM too: a benchmark harness stops a background server that way (a background
        # job started by a non-interactive shell never sees SIGINT).
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with serve(args.out, port=args.port) as served:
            print(f"serving {served.base_url}/ - catalog: {served.catalog}\nCtrl-C to stop",
                  flush=True)
            try:
                while not stop.wait(0.5):
                    pass
            except KeyboardInterrupt:
                pass
        print("stopped", flush=True)


if __name__ == "__main__":
    main()

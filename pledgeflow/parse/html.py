"""Turn an HTML page into document blocks: the page's main content, without site chrome.

Approach, in five steps, each one function below:

1. **Decode** the bytes ourselves (``pledgeflow.text_decode``: BOM, UTF-16/32 NUL pattern,
   HTTP charset, ``<meta>`` and XML declaration, UTF-8, windows-1252) so no library
   guesses, and legacy pages keep their curly quotes.
2. **Parse once** with lxml and delete what a reader never sees or never reads as content:
   scripts and sprites, hidden elements, page landmarks (nav, aside, footer, the page header),
   forms, and elements whose class/id/role names boilerplate (cookie banners, share bars,
   sidebars, breadcrumbs...). Heuristic deletions never touch an element that holds the
   page's ``<main>`` or ``<h1>`` or most of its text, so a wrongly named wrapper cannot take
   the content with it.
3. **Pick the content root**: ``<main>``/``[role=main]`` (narrowed to an ``<article>`` that
   holds most of it), else the largest ``<article>``, else the element whose paragraphs carry
   the most non-link text (a text-density fallback in the style of readability).
4. **Walk** the root iteratively (no recursion, so deep markup cannot blow the stack) and
   emit headings, paragraphs (``<p>`` and runs of inline text in any block), list items with
   their depth, and data tables (a ``<div>`` table with ARIA roles, ``role="table"`` with
   its rows and cells, is read as a ``<table>``).
5. **Tidy** the block list: drop figure captions that repeat a heading, turn bullet-glyph
   paragraphs, and runs of paragraphs numbered 1, 2, 3 in turn, into list items, drop
   consecutive duplicates and trailing orphan headings, then set each block's section path
   and each list item's lead-in.

The rules are general (HTML semantics and common CMS naming conventions); nothing here knows
any particular site.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass

from pledgeflow.document import Block, BlockKind, Document, table_text
from pledgeflow.parse import ParseError
from pledgeflow.parse._tree import Element, Text, parse_tree
from pledgeflow.text_decode import decode_text

PARSER = "html"
# 2: one decoder for every text format (text_decode); 3: table cells laid on the grid (spans);
# 4: paragraphs numbered 1, 2, 3 in turn are a list; 5: tables of <div>s with ARIA roles;
# 6: a cell's text set apart in small type follows a newline
PARSER_VERSION = "6"

# 1. Decoding is ``pledgeflow.text_decode``'s, as for every text format (see parse_html).

# --------------------------------------------------------------------------------------------
# 2. Removing what is not content
# --------------------------------------------------------------------------------------------

# Never content: code, media, embedded documents, form controls, and the landmarks HTML
# defines as navigation (nav), tangential content (aside) and section/page footers (footer,
# which inside an article is the "Posted in ..." entry metadata).
# <title> is read before cleaning and removed so it cannot leak into the text.
_ALWAYS_DROP = frozenset(
    """
    script style noscript template svg math iframe object embed canvas video audio picture map
    input select textarea option label datalist output progress meter dialog nav aside footer
    title
""".split()
)

# ARIA roles for the same landmarks plus overlays (cookie and sign-up pop-ups).
_BOILERPLATE_ROLES = frozenset(
    """
    navigation banner contentinfo complementary search dialog alertdialog menu menubar toolbar
    tooltip
""".split()
)

_DISPLAY_NONE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)

# Class/id names that CMS themes use for chrome. Words are matched at -/_ boundaries, so
# "share-buttons" matches "share" but "shared" does not. "social" alone is too broad
# ("social-care"), so only its chrome compounds are listed.
_BOILERPLATE_NAME = re.compile(
    r"""(?<![a-z0-9])(?:
        cookie\w* | consent\w* | gdpr | cc-(?:window|banner|revoke) | banner |
        share | sharing | sharedaddy | addtoany | socials? |
        social-?(?:links?|icons?|media|share|sharing|nav|buttons?|networks?|follow|bar|list) |
        breadcrumbs? | crumbs | skip-?links? | skip-?to\w* | screen-?reader\w* | sr-only |
        visually-?hidden | element-invisible |
        sidebar\w* | widget-?area | newsletter\w* | subscribe\w* | subscription | sign-?up |
        related\w* | comments? | respond | disqus | donat(?:e|ion)\w* | popup | modal |
        advert\w* | ads? | sponsor\w* | promo | pagination | pager |
        back-?to-?top | to-?top | scroll-?top |
        navbar | nav | navigation | topbar | toolbar | menu |
        site-?header | site-?footer | masthead | colophon | footer |
        search\w* | login | byline | entry-meta | post-meta | meta | tags | feedback
    )(?![a-z0-9])""",
    re.X,
)
_BOILERPLATE_LABEL = re.compile(r"cookie|consent|breadcrumb|share|social|newsletter", re.I)

# Class tokens that describe the content or the layout around it rather than the element
# itself: WordPress taxonomy classes ("category-social-care", "tag-comments") and layout
# modifiers ("has-sidebar" on the wrapper that holds the article).
_DESCRIPTIVE_CLASS = re.compile(
    r"^(?:has|no|with|without|tag|category|cat|topic|term|format|type|status)[-_]"
    r"|^(?:post|page|postid)[-_](?:id[-_])?\d|^page[-_]template",
)

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_LINK = frozenset({"a"})
_SECTIONING = frozenset({"article", "aside", "main", "nav", "section"})
# What _Guard looks for below an element: the page's landmark or its title heading.
_GUARDED = frozenset({"main", "h1"})


def _inside(node: object, names: Container[str], stop: Element | None = None) -> bool:
    """Whether ``node`` has an ancestor named in ``names`` below ``stop`` (if given).

    Bounded by ``stop`` so per-string checks cost the depth of the block, not of the page.
    """
    parent = getattr(node, "parent", None)
    while parent is not None and parent is not stop:
        if parent.name in names:
            return True
        parent = parent.parent
    return False


# Searches by element name, the only kind this module needs (bs4's find/find_all, in short).


def _elements(scope: Element) -> list[Element]:
    """``scope.find_all(True)``: every element below ``scope``, in document order."""
    return [node for node in scope.descendants if isinstance(node, Element)]


def _tags(scope: Element, names: Container[str]) -> list[Element]:
    """``scope.find_all(names)``: the elements below ``scope`` named in ``names``, in order."""
    return [node for node in scope.descendants if isinstance(node, Element) and node.name in names]


def _first(scope: Element, names: Container[str]) -> Element | None:
    """``scope.find(names)``: the first element below ``scope`` named in ``names``."""
    for node in scope.descendants:
        if isinstance(node, Element) and node.name in names:
            return node
    return None


def _child_tags(tag: Element, names: Container[str]) -> list[Element]:
    """``tag.find_all(names, recursive=False)``: the children named in ``names``, in order."""
    return [child for child in tag.children if isinstance(child, Element) and child.name in names]


def _texts(tag: Element) -> list[Text]:
    """The visible text nodes below ``tag``, in order (``find_all(string=True)``, filtered)."""
    return [node for node in tag.descendants if isinstance(node, Text)]


def _text_len(tag: Element) -> int:
    return sum(len(s.strip()) for s in _texts(tag))


def _roles(tag: Element) -> set[str]:
    return set(str(tag.get("role") or "").lower().split())


def _names_boilerplate(tag: Element) -> bool:
    """Whether the element's class, id or aria-label names page chrome."""
    tokens = [*(tag.get("class") or "").split(), tag.get("id") or ""]
    for token in tokens:
        token = token.lower()
        if token and not _DESCRIPTIVE_CLASS.match(token) and _BOILERPLATE_NAME.search(token):
            return True
    label = tag.get("aria-label")
    return bool(label and _BOILERPLATE_LABEL.search(str(label)))


def _looks_hidden(tag: Element) -> bool:
    return (
        tag.has_attr("hidden")
        or str(tag.get("aria-hidden") or "").lower() == "true"
        or bool(_DISPLAY_NONE.search(str(tag.get("style") or "")))
    )


def _is_page_header(tag: Element) -> bool:
    # HTML: a <header> outside any sectioning element is the page banner (logo, menu); one
    # inside an article or section is that entry's header and usually holds its <h1>.
    return tag.name == "header" and not _inside(tag, _SECTIONING)


class _Guard:
    """Decides whether a heuristic deletion would take the page's content with it."""

    def __init__(self, scope: Element) -> None:
        self.total = _text_len(scope)

    def protects(self, tag: Element) -> bool:
        if tag.name in ("html", "head", "body", "main") or "main" in _roles(tag):
            return True
        for node in tag.descendants:
            if isinstance(node, Element) and (node.name in _GUARDED or node.get("role") == "main"):
                return True
        return self.total > 0 and _text_len(tag) > self.total / 2


def _only_headings(tag: Element) -> bool:
    """True if every visible text inside ``tag`` sits in a heading (or there is none)."""
    for s in _texts(tag):
        if s.strip() and not _inside(s, _HEADINGS, tag):
            return False
    return True


# Climbing from a removed form stops at these: they are the page or its content root.
_FORM_CLIMB_STOP = frozenset({"[document]", "html", "head", "body", "main", "article"})


def _remove_form(form: Element, guard: _Guard) -> None:
    """Delete a form and any wrapper left holding nothing but the form's heading."""
    if guard.protects(form):
        return  # ASP.NET-style pages wrap the whole page in one <form>
    parent = form.parent
    form.decompose()
    # "Sign up for updates" + form: once the form is gone the heading introduces nothing.
    for _ in range(3):
        if parent is None or parent.name in _FORM_CLIMB_STOP or guard.protects(parent):
            break
        if not _only_headings(parent):
            break
        grandparent = parent.parent
        parent.decompose()
        parent = grandparent


def _remove_boilerplate(scope: Element) -> None:
    """Delete non-content elements from the tree, in place."""
    for tag in _tags(scope, _ALWAYS_DROP):
        if not tag.gone:
            tag.decompose()
    for br in _tags(scope, {"br"}):
        br.replace_with("\n")  # kept as a line break so bullet lines can be split later
    guard = _Guard(scope)
    for form in _tags(scope, {"form"}):
        if not form.gone:
            _remove_form(form, guard)
    for tag in _elements(scope):
        if tag.gone:
            continue
        if tag.name == "button" and not _inside(tag, _HEADINGS):
            # A button's text is UI ("Accept", "Menu"); inside a heading it is usually an
            # accordion trigger carrying the section title, so those stay.
            tag.decompose()
        elif _is_page_header(tag):
            tag.decompose()
        elif (
            _looks_hidden(tag) or _roles(tag) & _BOILERPLATE_ROLES or _names_boilerplate(tag)
        ) and not guard.protects(tag):
            tag.decompose()


# --------------------------------------------------------------------------------------------
# 3. Choosing the content root
# --------------------------------------------------------------------------------------------

# An <article> inside <main> replaces it only when it holds at least this share of main's text:
# then what main adds (sign-up boxes, "more stories") is chrome; otherwise main is a listing.
_ARTICLE_SHARE = 0.5


def _largest(tags: list[Element]) -> Element | None:
    best, best_len = None, 0
    for tag in tags:
        n = _text_len(tag)
        if n > best_len:
            best, best_len = tag, n
    return best


def _non_link_len(tag: Element) -> int:
    """Text length outside links: link lists (menus, "latest news") score near zero."""
    total = 0
    for s in _texts(tag):
        if not _inside(s, _LINK, tag):
            total += len(s.strip())
    return total


# Text-bearing blocks the density fallback counts; only the innermost of nested ones count.
_DENSITY_BLOCKS = frozenset({"p", "li", "blockquote", "pre", "dd", "td", "th"})
# Wrappers that say nothing about where content lives: credit passes through them to the
# element that holds them (layout tables, lists, inline wrappers such as <font>).
_TRANSPARENT = frozenset({"table", "thead", "tbody", "tfoot", "tr", "td", "th", "ul", "ol"})


def _containers(block: Element, count: int) -> list[Element]:
    """The ``count`` nearest ancestors of ``block`` that can hold a page's content."""
    found: list[Element] = []
    parent = block.parent
    while parent is not None and len(found) < count:
        if parent.name not in _TRANSPARENT and parent.name not in _INLINE:
            found.append(parent)
        parent = parent.parent
    return found


def _densest(scope: Element) -> Element | None:
    """The element whose paragraphs carry the most non-link text (readability-style)."""
    scores: dict[int, float] = {}
    tags: dict[int, Element] = {}
    for block in _tags(scope, _DENSITY_BLOCKS):
        if _first(block, _DENSITY_BLOCKS) is not None:
            continue  # its inner blocks are counted instead, so text counts once
        n = _non_link_len(block)
        if not n:
            continue
        # The container gets full credit, its parent half: text spread over sibling
        # wrappers still pulls the choice up to their common ancestor.
        for weight, container in zip((1.0, 0.5), _containers(block, 2), strict=False):
            scores[id(container)] = scores.get(id(container), 0.0) + weight * n
            tags[id(container)] = container
    if not scores:
        return None
    return tags[max(scores, key=scores.__getitem__)]


def _content_root(scope: Element) -> Element | None:
    # One walk serves <main>, [role=main] and <article>.
    elements = _elements(scope)
    mains = [t for t in elements if t.name == "main"] + [
        t for t in elements if t.name != "main" and "main" in _roles(t)
    ]
    main = _largest(mains)
    if main is not None:
        article = _largest(_tags(main, {"article"}))
        if article is not None and _text_len(article) >= _ARTICLE_SHARE * _text_len(main):
            return article
        return main
    article = _largest([t for t in elements if t.name == "article"])
    if article is not None:
        return article
    return _densest(scope)


# --------------------------------------------------------------------------------------------
# Text of an element
# --------------------------------------------------------------------------------------------

# Elements that flow inside a line. Everything else starts a new block.
_INLINE = frozenset(
    """
    a abbr acronym b bdi bdo big cite code data del dfn em font i img ins kbd mark nobr q rp rt
    ruby s samp small span strike strong sub sup time tt u var wbr
""".split()
)
# Block elements an inline element may wrap by mistake (a card link around a <div>).
_BLOCK_TAGS = frozenset(
    """
    address article blockquote dd div dl dt figcaption figure h1 h2 h3 h4 h5 h6 header hr li
    main ol p pre section table ul
""".split()
)
_LISTS = frozenset({"ul", "ol", "menu"})

# CMSes sometimes escape their own markup, so "<em>Title</em>" shows as literal text.
_LITERAL_TAG = re.compile(
    r"<!--.*?-->|</?(?P<name>a|abbr|b|blockquote|br|center|code|div|em|figcaption|figure|font"
    r"|h[1-6]|hr|i|img|li|ol|p|pre|section|small|span|strong|sub|sup|table|tbody|td|th|thead"
    r"|tr|u|ul)\b[^<>]*>",
    re.I | re.S,
)
_INLINE_LITERAL = frozenset("a abbr b code em font i small span strong sub sup u".split())
# Characters that take no space on screen; NBSP and friends are handled by str.split().
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def _literal_tag_gap(match: re.Match[str]) -> str:
    name = (match.group("name") or "").lower()
    return "" if name in _INLINE_LITERAL else " "


def _clean(text: str) -> str:
    """Leaked literal tags removed, invisible characters dropped, whitespace collapsed."""
    if "<" in text:
        text = _LITERAL_TAG.sub(_literal_tag_gap, text)
    if not text.isascii():  # the invisible characters are all non-ASCII
        # A regex, not str.translate: translate does a dict lookup per character of the text.
        text = _INVISIBLE.sub("", text)
    return " ".join(text.split())


def _raw_text(nodes: list[object], skip: frozenset[str] = frozenset()) -> tuple[str, list[Element]]:
    """Concatenated text of ``nodes`` with spaces at block boundaries, uncleaned.

    Elements named in ``skip`` are not entered; they are returned, in order, so the caller can
    handle them as blocks of their own (nested lists inside a list item). Iterative, so deep
    nesting is safe. Line breaks from <br> stay as "\\n".
    """
    parts: list[str] = []
    skipped: list[Element] = []
    stack: list[object] = list(reversed(nodes))
    while stack:
        node = stack.pop()
        if isinstance(node, Element):
            if node.name in skip:
                skipped.append(node)
                continue
            block = node.name not in _INLINE
            if block:
                parts.append(" ")
                stack.append(" ")
            elif parts and _figure_glued(parts[-1], node):
                parts.append(" ")
            stack.extend(reversed(node.children))
        else:
            parts.append(node)  # a text node, or a block's closing separator pushed above
    return "".join(parts), skipped


def _figure_glued(before: str, tag: Element) -> bool:
    """Would ``tag``'s figure run into the word before it, the two being sibling elements
    with nothing between them? A page sets such pairs apart with its style sheet (a
    card's "2025/26 goal" and "420" in two <span>s), which is not read here; "CO<sub>2",
    "10<sup>th" and a figure in running text ("in 2025") stay as they are."""
    if not before[-1:].isalnum() or tag.name in ("sub", "sup") or tag.parent is None:
        return False
    siblings = tag.parent.children
    at = siblings.index(tag)  # Element compares by identity (_tree.Element._detach)
    if at == 0 or not isinstance(siblings[at - 1], Element):
        return False
    first = next((n for n in _texts(tag) if n.strip()), None)
    return first is not None and first.lstrip()[:1].isdigit()


def _text(tag: Element) -> str:
    return _clean(_raw_text([tag])[0])


# Class-name words of text a page sets smaller or muted under a cell's main text: Bootstrap's
# "small" and "text-muted", GOV.UK's "govuk-hint" and "govuk-body-s", "kpi-description".
_SET_APART_CLASS = re.compile(
    r"(?:^|[-_])(?:s|sm|small|smaller|hint|muted|desc|description|definition|subtext|caption"
    r"|secondary|note)(?:$|[-_])")
_APART = Text("\x00")  # where a cell's set-apart text begins, while the cell is read


def _set_apart(tag: Element) -> bool:
    if tag.name == "small":
        return True
    return any(_SET_APART_CLASS.search(c) for c in str(tag.get("class") or "").lower().split())


def _in_set_apart(node: Text, cell: Element) -> bool:
    parent = node.parent
    while parent is not None and parent is not cell:
        if _set_apart(parent):
            return True
        parent = parent.parent
    return False


def _cell_text(cell: Element) -> str:
    """A table cell's text. Text the page sets apart at the end of a cell, after its first
    words, in ``<small>`` or a class that names small or muted type (a measure's definition,
    a data source, a hint), follows a newline: the cell's first line is what it names, and
    a reader of the cell can tell the two apart (every other whitespace is one space). A
    word set small inside a name is no such text."""
    seen_text = False
    nodes = cell.descendants
    for k, node in enumerate(nodes):
        if isinstance(node, Text):
            seen_text = seen_text or bool(node.strip())
        elif seen_text and _set_apart(node) and _text_len(node) and all(
                not n.strip() or _in_set_apart(n, cell)
                for n in nodes[k + 1:] if isinstance(n, Text)):
            siblings = node.parent.children  # type: ignore[union-attr]
            at = siblings.index(node)
            siblings.insert(at, _APART)
            try:
                raw = _raw_text([cell])[0]
            finally:
                del siblings[at]
            first, _, rest = raw.partition(_APART)
            return "\n".join(t for t in (_clean(first), _clean(rest)) if t)
    return _text(cell)


# --------------------------------------------------------------------------------------------
# 4. Walking the root into raw blocks
# --------------------------------------------------------------------------------------------


@dataclass
class _Raw:
    """A block before section paths and lead-ins are known."""

    kind: BlockKind
    text: str
    level: int | None = None
    depth: int | None = None
    list_key: int | None = None  # items of one list share it
    parent: _Raw | None = None  # the item a nested list hangs from
    rows: list[list[str]] | None = None
    header_rows: int = 0
    caption: bool = False
    lead_in: str | None = None


@dataclass
class _ListCtx:
    depth: int
    parent: _Raw | None


# Whole-text UI phrases: "Back to the top", "Skip to content", "Share this page".
_CHROME_TEXT = re.compile(
    r"^[↑⇧▲^]?\s*(?:"
    r"(?:back|return|go|jump|scroll)\s+(?:up\s+)?to\s+(?:the\s+)?top(?:\s+of\s+(?:the\s+)?page)?"
    r"|top\s+of\s+(?:the\s+)?page"
    r"|skip\s+to\s+(?:the\s+)?(?:main\s+)?(?:content|navigation|menu)"
    r"|(?:share|print)(?:\s+this)?(?:\s+(?:page|article|post|story))?"
    r")\s*[↑⇧▲^.!]?$",
    re.I,
)
_HAS_WORD = re.compile(r"\w")
# Bullets typed into the text. "-" and "*" need a following space: "-5%" is a number.
_BULLET = re.compile(r"^(?:[•▪●◦‣∙·■□▫◆◇➢➤►▸✓✔]\s*|[-–—*]\s+)")
_STRONG_BULLET = re.compile(r"^[•▪●◦‣■➢➤►▸]")


def _keep(text: str) -> bool:
    """Whether a cleaned text is content: not empty, not a spacer, not a UI phrase."""
    return bool(text) and bool(_HAS_WORD.search(text)) and not _CHROME_TEXT.match(text)


def _emit_paragraphs(out: list[_Raw], raw: str, caption: bool = False) -> None:
    """Emit one paragraph, or one per line when <br>-separated lines are typed bullets."""
    lines = [_clean(line) for line in raw.split("\n")]
    lines = [line for line in lines if line]
    if len(lines) > 1 and any(_STRONG_BULLET.match(line) for line in lines):
        pieces = lines
    else:
        pieces = [" ".join(lines)]
    for text in pieces:
        if _keep(text):
            out.append(_Raw("paragraph", text, caption=caption))


def _span(cell: Element, name: str) -> int:
    """A cell's rowspan or colspan: 1 when absent or unreadable, at most 50 (a page's
    "colspan=1000" is a layout trick, not 1000 columns)."""
    try:
        return max(1, min(50, int(str(cell.get(name) or "1").strip())))
    except ValueError:
        return 1


def _table(table: Element) -> tuple[list[list[str]], int] | None:
    """Rows and header-row count of a data table, or None for a layout table.

    Cells are laid on the table's grid, so a column holds one column's cells whatever the
    spans above it: a cell spanning rows leaves "" below it (the text is not repeated,
    so nothing is read twice), and a header cell spanning columns ("Targets" over three
    years) is repeated across them, so each column's header names it; a data cell
    spanning columns, or a row's only cell (a caption or sub-heading across the table),
    leaves "" beside it."""
    if _first(table, {"table"}) is not None:
        return None  # nested tables are page layout, not data
    trs: list[tuple[Element, bool]] = []
    for child in _child_tags(table, {"tr", "thead", "tbody", "tfoot"}):
        if child.name == "tr":
            trs.append((child, False))
        else:
            trs += [(tr, child.name == "thead") for tr in _child_tags(child, {"tr"})]
    rows: list[list[str]] = []
    header_rows, in_header = 0, True
    below: dict[int, int] = {}  # column -> rows still covered by a rowspan from above
    for tr, in_thead in trs:
        cells = _child_tags(tr, {"th", "td"})
        heading = in_header and (in_thead or all(c.name == "th" for c in cells))
        row: list[str] = []
        covered = dict(below)
        below = {col: n - 1 for col, n in below.items() if n > 1}
        for cell in cells:
            while covered.get(len(row)):
                row.append("")
            text, across, down = _cell_text(cell), _span(cell, "colspan"), _span(cell, "rowspan")
            for k in range(across):
                if down > 1:
                    below[len(row)] = down - 1
                row.append(text if k == 0 or (heading and len(cells) > 1) else "")
        while covered.get(len(row)):
            row.append("")
        if not any(row):
            continue
        if heading:
            header_rows += 1
        else:
            in_header = False
        rows.append(row)
    if not rows or max(len(r) for r in rows) < 2:
        return None  # single-column tables are used for layout
    return rows, header_rows


def _segments(tag: Element) -> list[tuple[str, object]]:
    """Split a container's children into runs of inline content and block children."""
    segments: list[tuple[str, object]] = []
    run: list[object] = []
    for child in tag.children:
        if isinstance(child, Element):
            if child.name in _INLINE and _first(child, _BLOCK_TAGS) is None:
                run.append(child)
                continue
            if run:
                segments.append(("run", run))
                run = []
            segments.append(("node", child))
        else:  # a text node: the tree keeps no comments or other nodes
            run.append(child)
    if run:
        segments.append(("run", run))
    return segments


class _Walker:
    """Depth-first walk with an explicit stack, emitting raw blocks in reading order."""

    def __init__(self) -> None:
        self.out: list[_Raw] = []
        self.stack: list[tuple[str, object, _ListCtx | None]] = []

    def run(self, root: Element) -> list[_Raw]:
        self.stack.append(("node", root, None))
        while self.stack:
            what, obj, ctx = self.stack.pop()
            if what == "run":
                _emit_paragraphs(self.out, _raw_text(obj)[0])  # type: ignore[arg-type]
            elif what == "item":
                self._item(obj, ctx)  # type: ignore[arg-type]
            else:
                self._node(obj, ctx)  # type: ignore[arg-type]
        return self.out

    def _push(self, items: list[tuple[str, object, _ListCtx | None]]) -> None:
        self.stack.extend(reversed(items))

    def _node(self, tag: Element, ctx: _ListCtx | None) -> None:
        name = tag.name
        if name in _HEADINGS:
            text = _text(tag)
            if _keep(text):
                self.out.append(_Raw("heading", text, level=int(name[1])))
        elif name in ("p", "pre"):
            _emit_paragraphs(self.out, _raw_text([tag])[0])
        elif name == "figcaption":
            _emit_paragraphs(self.out, _raw_text([tag])[0], caption=True)
        elif name in _LISTS:
            self._list(tag, ctx)
        elif name == "table" and (table := _table(tag)) is not None:
            captions = _child_tags(tag, {"caption"})
            if captions:
                _emit_paragraphs(self.out, _raw_text([captions[0]])[0])
            rows, header_rows = table
            self.out.append(_Raw("table", table_text(rows), rows=rows, header_rows=header_rows))
        elif name not in ("hr", "img", "caption"):
            self._push([(kind, obj, None) for kind, obj in _segments(tag)])

    def _list(self, tag: Element, ctx: _ListCtx | None) -> None:
        # A list's items: <li>s, plus any stray element or text a CMS put there. A list nested
        # directly in a list (a common CMS mistake) belongs to the item before it.
        ctx = ctx or _ListCtx(depth=1, parent=None)
        items: list[list[object]] = []
        for child in tag.children:
            if isinstance(child, Element) and child.name in _LISTS and items:
                items[-1].append(child)
            elif isinstance(child, Element) or child.strip():  # else a text node
                items.append([child])
        key = id(tag)
        self._push([("item", (item, key), ctx) for item in items])

    def _item(self, obj: tuple[list[object], int], ctx: _ListCtx) -> None:
        (node, *stray_lists), key = obj
        raw, nested = _raw_text([node], skip=_LISTS)
        text = _BULLET.sub("", _clean(raw), count=1)
        child_ctx = ctx  # an item with no text of its own adds no nesting level
        if _keep(text):
            item = _Raw("list_item", text, depth=ctx.depth, list_key=key, parent=ctx.parent)
            self.out.append(item)
            child_ctx = _ListCtx(depth=ctx.depth + 1, parent=item)
        self._push([("node", lst, child_ctx) for lst in [*nested, *stray_lists]])


# --------------------------------------------------------------------------------------------
# 5. Tidying and finishing the blocks
# --------------------------------------------------------------------------------------------

_CAPTION_WINDOW = 2  # how many blocks either side a caption's duplicate heading may be
_SENTENCE_BREAK = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"'”’)]))\s+(?=[\"'“‘(]?[A-Z0-9])")


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def _drop_duplicate_captions(raws: list[_Raw]) -> list[_Raw]:
    # Figures are kept (they also wrap tables and pull quotes), but a caption that repeats a
    # nearby heading is a label for the picture, not text.
    kept = []
    for i, raw in enumerate(raws):
        if raw.caption:
            near = raws[max(0, i - _CAPTION_WINDOW) : i + _CAPTION_WINDOW + 1]
            if any(r.kind == "heading" and _key(r.text) == _key(raw.text) for r in near):
                continue
        kept.append(raw)
    return kept


def _bullet_paragraphs_to_items(raws: list[_Raw]) -> list[_Raw]:
    """Paragraphs typed as "• text" are list items the CMS did not mark up as a list."""
    list_key = -1  # negative: real lists are keyed by id(), which is positive
    for i, raw in enumerate(raws):
        if raw.kind == "paragraph" and _STRONG_BULLET.match(raw.text):
            text = _BULLET.sub("", raw.text, count=1)
            if not _keep(text):
                continue
            prev = raws[i - 1] if i else None
            if not (prev and prev.kind == "list_item" and prev.list_key == list_key):
                list_key -= 1
            raw.kind, raw.text, raw.depth, raw.list_key = "list_item", text, 1, list_key
    return raws


# "1. ", "2) ", "3: " typed before a paragraph's text
_NUMBERED = re.compile(r"^\(?(\d{1,2})[.):]\s+(?=\S)")


def _numbered_paragraphs_to_items(raws: list[_Raw]) -> list[_Raw]:
    """A run of paragraphs numbered 1, 2, 3 ... in turn is an ordered list the CMS did not
    mark up ("Our five pledges are:" / "1: ..." / "2: ..."); a lone numbered paragraph, or
    numbers out of sequence (a figure, a date), stay paragraphs."""
    i = 0
    while i < len(raws):
        first = _NUMBERED.match(raws[i].text) if raws[i].kind == "paragraph" else None
        if not first or first.group(1) != "1":
            i += 1
            continue
        run = [i]
        while run[-1] + 1 < len(raws) and raws[run[-1] + 1].kind == "paragraph":
            following = _NUMBERED.match(raws[run[-1] + 1].text)
            if not following or int(following.group(1)) != len(run) + 1:
                break
            run.append(run[-1] + 1)
        if len(run) >= 2:
            # negative, as synthetic lists' keys are, and below any key the typed bullets
            # can take (at most one per block, from -2 down)
            key = -(len(raws) + 2 + i)
            for j in run:
                raw = raws[j]
                raw.kind, raw.depth, raw.list_key = "list_item", 1, key
                raw.text = raw.text[_NUMBERED.match(raw.text).end():]
        i = run[-1] + 1
    return raws


def _dedupe(raws: list[_Raw]) -> list[_Raw]:
    """Drop a block that repeats the one before it; of a pair, a heading wins."""
    kept: list[_Raw] = []
    for raw in raws:
        if kept and _key(kept[-1].text) == _key(raw.text):
            if raw.kind == "heading" and kept[-1].kind != "heading":
                kept[-1] = raw
            continue
        kept.append(raw)
    return kept


def _drop_trailing_headings(raws: list[_Raw]) -> list[_Raw]:
    # A heading with nothing after it introduced content that was removed (a sign-up form).
    end = len(raws)
    while end and raws[end - 1].kind == "heading":
        end -= 1
    return raws[:end]


def _last_sentence(text: str) -> str:
    return _SENTENCE_BREAK.split(text)[-1].strip()


def _top_item(raw: _Raw) -> _Raw:
    while raw.parent is not None:
        raw = raw.parent
    return raw


def _list_lead_in(prev: _Raw | None) -> str | None:
    """The lead-in of a top-level list, from the block just before its first item."""
    if prev is None:
        return None
    if prev.kind == "paragraph":
        return _last_sentence(prev.text)
    if prev.kind == "list_item":
        # A list the CMS split in two keeps the introduction of its first half.
        return _top_item(prev).lead_in
    return None  # right after a heading or a table a list has no lead-in sentence


def _to_blocks(raws: list[_Raw]) -> list[Block]:
    blocks: list[Block] = []
    path: list[tuple[int, str]] = []  # open headings (level, text), outermost first
    list_leads: dict[int, str | None] = {}  # list_key -> lead-in of its top-level items
    prev: _Raw | None = None
    for raw in raws:
        if raw.kind == "heading":
            level = raw.level or 1
            while path and path[-1][0] >= level:
                path.pop()
        section = [text for _, text in path]
        if raw.kind == "list_item":
            if raw.parent is not None:
                raw.lead_in = raw.parent.text  # a nested item is introduced by its parent
            else:
                key = raw.list_key or 0
                if key not in list_leads:
                    list_leads[key] = _list_lead_in(prev)
                raw.lead_in = list_leads[key]
        blocks.append(
            Block(
                kind=raw.kind,
                text=raw.text,
                section=section,
                level=raw.level,
                depth=raw.depth,
                lead_in=raw.lead_in,
                rows=raw.rows,
                header_rows=raw.header_rows,
            )
        )
        if raw.kind == "heading":
            path.append((raw.level or 1, raw.text))
        prev = raw
    return blocks


def _tidy(raws: list[_Raw]) -> list[Block]:
    raws = _drop_duplicate_captions(raws)
    raws = _bullet_paragraphs_to_items(raws)
    raws = _numbered_paragraphs_to_items(raws)
    raws = _dedupe(raws)
    raws = _drop_trailing_headings(raws)
    return _to_blocks(raws)


# --------------------------------------------------------------------------------------------
# Title and entry point
# --------------------------------------------------------------------------------------------

# "Page – Site name": the last separator splits off the site. " | " first, since a page
# title may itself contain a dash.
_TITLE_SEPARATORS = (" | ", " – ", " — ", " :: ", " » ", " · ", " - ")


def _clean_title(title: str) -> str:
    for sep in _TITLE_SEPARATORS:
        if sep in title:
            head = title.rsplit(sep, 1)[0].strip()
            if head:
                return head
    return title


def _page_title(document: Element) -> str | None:
    """The cleaned ``<title>`` of the page (not an SVG's), if any."""
    # A walk that stops at the first match: the title is near the top.
    for node in document.descendants:
        if isinstance(node, Element) and node.name == "title" and not _inside(node, {"svg"}):
            return _clean_title(_text(node)) or None
    return None


def _title(root: Element, page_title: str | None) -> str | None:
    h1 = root if root.name == "h1" else _first(root, {"h1"})
    if h1 is not None and (text := _text(h1)):
        return text
    return page_title


# A table laid out in <div>s and <span>s, its structure given by ARIA roles.
_ARIA_TABLE = {"table": "table", "grid": "table", "rowgroup": "tbody", "row": "tr",
               "columnheader": "th", "rowheader": "th", "cell": "td", "gridcell": "td"}


def _aria_tables(document: Element) -> None:
    """Read an element with role="table" (or "grid") as a <table>: its rows and cells as
    <tr>, <th> and <td>, so a table built of <div>s is read as one."""
    for node in document.descendants:
        if (isinstance(node, Element) and node.name not in ("table", "tr", "td", "th")
                and _roles(node) & {"table", "grid"} and not _inside(node, {"table"})):
            node.name = "table"
            for inner in node.descendants:
                if isinstance(inner, Element) and (role := _roles(inner) & set(_ARIA_TABLE)):
                    inner.name = _ARIA_TABLE[min(role)]


def parse_html(
    data: bytes, *, document_id: str, url: str | None = None, charset: str | None = None
) -> Document:
    """Parse an HTML page's main content into a Document of blocks.

    ``charset`` is the HTTP-declared charset, if any. Raises ParseError when the page has no
    main content.
    """
    decoded = decode_text(data, charset, markup=True)
    document = parse_tree(decoded.text)
    _aria_tables(document)
    page_title = _page_title(document)
    # The whole tree, not its <body>: libxml2 predates HTML5 and leaves a <main> that follows
    # bare head elements (no <body> tag) inside <head>.
    _remove_boilerplate(document)
    root = _content_root(document)
    blocks = _tidy(_Walker().run(root)) if root is not None else []
    if not blocks and root is not None:
        # A landmark that held nothing readable: try the text-density choice instead.
        root = _densest(document)
        blocks = _tidy(_Walker().run(root)) if root is not None else []
    if not blocks or root is None:
        raise ParseError("HTML page has no main content")
    return Document.from_blocks(
        blocks,
        id=document_id,
        media_type="text/html",
        title=_title(root, page_title),
        pages=None,
        parser=PARSER,
        parser_version=PARSER_VERSION,
        url=url,
        encoding=decoded.encoding,
        encoding_source=decoded.source,
    )

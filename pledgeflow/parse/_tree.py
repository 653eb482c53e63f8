"""A small element tree for html.py, built from libxml2's HTML parser events.

html.py used to build its tree with ``BeautifulSoup(text, "lxml")``. bs4 receives the same
lxml parser events as the builder below but runs each one through a general-purpose tree
builder in pure Python, which cost about two thirds of parse time. This module keeps only what
html.py reads: element names, attributes, children, parents, visible text nodes, and the two
edits it makes (``decompose`` and ``replace_with``). Comments, processing instructions and the
doctype are dropped, since nothing reads them; they still end a text node, as in bs4.

Why parser events rather than walking the tree ``lxml.html`` builds: both cost about the same
C time, but pulling ``.text``/``.tail``/``.attrib`` out of lxml's tree from Python is slower than
receiving the events (attributes arrive as a ready dict), and the events are exactly what bs4
consumed, so text-node boundaries and whitespace come out as before (html.py's text lengths and
line splitting depend on them).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from lxml import etree

# bs4 turns a whitespace-only text node into a single "\n" (if it held a line break) or " ",
# except inside these elements, and only for ASCII whitespace. Kept so text is unchanged.
_PRESERVE_WHITESPACE = frozenset({"pre", "textarea"})
_ASCII_SPACES = " \n\t\x0c\r"


class Text(str):
    """A visible text node: the string itself, plus the element that holds it."""

    # str subclasses cannot declare __slots__ fields, so ``parent`` lives in __dict__.
    parent: Element


class Element:
    """An element: the subset of bs4's ``Tag`` API that html.py uses.

    Every element of a tree shares ``order``, a list of all its nodes in document order;
    an element's subtree is the slice ``order[start:end]``. So ``descendants`` is a slice
    rather than a walk (html.py scans subtrees once per candidate element, so this is its
    hottest loop), and removing a subtree blanks its slice to None.
    """

    __slots__ = ("name", "attrs", "parent", "children", "gone", "order", "start", "end")

    def __init__(
        self, name: str, attrs: Mapping[str, str], parent: Element | None, order: list[_Node]
    ) -> None:
        self.name = name
        self.attrs = attrs  # attribute values are strings; "class" is not split into a list
        self.parent = parent
        self.children: list[Element | Text] = []
        self.gone = False  # decomposed, directly or with an ancestor
        self.order = order
        self.start = len(order)
        self.end = self.start + 1  # moved past the subtree when the element is closed
        order.append(self)

    def __repr__(self) -> str:
        return f"<Element {self.name}>"

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.attrs.get(key, default)

    def has_attr(self, key: str) -> bool:
        return key in self.attrs

    @property
    def descendants(self) -> list[Element | Text]:
        """Every node below this element, in document order."""
        return [node for node in self.order[self.start + 1 : self.end] if node is not None]

    def _detach(self) -> int:
        """Remove this element from its parent's children; its former index there."""
        siblings = self.parent.children  # type: ignore[union-attr]
        # Element compares by identity and str never equals an Element, so index() finds us.
        index = siblings.index(self)
        del siblings[index]
        self.parent = None
        return index

    def _blank(self, start: int) -> None:
        """Drop ``order[start:self.end]`` (part of this subtree); its elements are gone."""
        removed = self.order[start : self.end]
        for node in removed:
            if type(node) is Element:
                node.gone = True
        self.order[start : self.end] = [None] * len(removed)

    def decompose(self) -> None:
        """Delete this element and everything below it; all its elements are marked gone."""
        if self.parent is not None:
            self._detach()
        self._blank(self.start)

    def replace_with(self, text: str) -> Text:
        """Put a text node where this element was (as bs4 does, it is not marked gone)."""
        parent = self.parent
        assert parent is not None, "only an element in the tree can be replaced"
        node = Text(text)
        node.parent = parent
        parent.children.insert(self._detach(), node)
        self._blank(self.start + 1)
        self.order[self.start] = node
        return node


_Node = Element | Text | None  # an entry of Element.order; None where a subtree was removed

# lxml passes attribute-less elements a shared read-only mapping whose get() is slow Python.
_NO_ATTRIBUTES: Mapping[str, str] = MappingProxyType({})


class _Builder:
    """lxml parser target building the tree bs4's lxml tree builder would build.

    As in bs4, consecutive ``data`` events form one text node, which any other event ends,
    and an end event closes the most recent open element of that name (with everything opened
    inside it), or nothing if none is open.
    """

    def __init__(self) -> None:
        self.order: list[_Node] = []
        # bs4's name for the document node; html.py's climbing rules know it.
        self.document = Element("[document]", _NO_ATTRIBUTES, None, self.order)
        self.current = self.document
        self.pending: list[str] = []
        self.preserving = 0  # open <pre>/<textarea> elements

    def _flush(self) -> None:
        text = "".join(self.pending)
        self.pending.clear()
        if not self.preserving and not text.strip(_ASCII_SPACES):
            text = "\n" if "\n" in text else " "
        node = Text(text)
        node.parent = self.current
        self.current.children.append(node)
        self.order.append(node)

    def start(self, name: str, attrs: Mapping[str, str]) -> None:
        if self.pending:
            self._flush()
        if type(attrs) is not dict:
            attrs = dict(attrs) if attrs else _NO_ATTRIBUTES
        element = Element(name, attrs, self.current, self.order)
        self.current.children.append(element)
        self.current = element
        if name in _PRESERVE_WHITESPACE:
            self.preserving += 1

    def _close_to(self, closing: Element) -> None:
        """Close the open elements from the current one up to ``closing``, inclusive."""
        node = self.current
        while True:
            node.end = len(self.order)
            if node.name in _PRESERVE_WHITESPACE:
                self.preserving -= 1
            if node is closing:
                break
            node = node.parent  # type: ignore[assignment]
        self.current = closing.parent or closing  # the document itself stays open

    def end(self, name: str) -> None:
        if self.pending:
            self._flush()
        closing = self.current
        while closing.name != name:  # libxml2 nearly always closes the current element
            if closing.parent is None:
                return  # not open: ignored
            closing = closing.parent
        if closing is not self.document:
            self._close_to(closing)

    def data(self, text: str) -> None:
        self.pending.append(text)

    def comment(self, text: str) -> None:
        if self.pending:
            self._flush()

    def pi(self, target: str, data: str | None = None) -> None:
        if self.pending:
            self._flush()

    def doctype(self, name: str | None, pubid: str | None, system: str | None) -> None:
        if self.pending:
            self._flush()

    def close(self) -> Element:
        if self.pending:
            self._flush()
        self._close_to(self.document)
        return self.document


def parse_tree(markup: str) -> Element:
    """Parse decoded HTML with libxml2 (as bs4's "lxml" builder does); the document node."""
    # bs4 drops a leading BOM character before handing text to lxml; so do we.
    if markup[:1] == "\ufeff":
        markup = markup[1:]
    parser = etree.HTMLParser(target=_Builder(), recover=True)
    parser.feed(markup)
    return parser.close()

"""The extractor registry: built-ins register by name, other packages via entry points.

An extractor is any object with ``name``, ``version``, ``kinds`` and an
``extract(doc, nlp)`` method that yields records. Built-ins live in
``pledgeflow.extractors`` (the project's ``extractors/`` folder) and use the
``@register`` decorator; a third-party package declares an entry point in the group
``pledgeflow.extractors`` whose value is an extractor class or instance.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Protocol, runtime_checkable

from spacy.language import Language

from pledgeflow.document import Document
from pledgeflow.records import BUILTIN_KINDS, Record, kind_class

ENTRY_POINT_GROUP = "pledgeflow.extractors"


@runtime_checkable
class Extractor(Protocol):
    name: str  # unique, stable: it is stored with every record it produces
    version: str  # bump when the output changes, so stored records can be refreshed
    kinds: tuple[str, ...]  # the record kinds (tables) it produces

    def extract(self, doc: Document, nlp: Language) -> Iterable[Record]:
        """Yield the records found in one parsed document."""
        ...


_builtins: dict[str, type] = {}


def register(cls: type) -> type:
    """Class decorator for built-in extractors."""
    _builtins[cls.name] = cls
    return cls


def _load_builtins() -> None:
    import pledgeflow.extractors as package

    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{module.name}")


def get_extractors(names: Iterable[str] | None = None) -> dict[str, Extractor]:
    """All registered extractors by name (built-ins first, then entry points)."""
    _load_builtins()
    found: dict[str, Extractor] = {name: cls() for name, cls in _builtins.items()}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        # A broken plugin is reported and skipped: it must not stop the built-ins.
        try:
            obj = ep.load()
            extractor = obj() if isinstance(obj, type) else obj
        except Exception as exc:  # noqa: BLE001 - any import error of a third-party package
            warnings.warn(f"extractor entry point {ep.name!r} ({ep.value}) failed to load: "
                          f"{type(exc).__name__}: {exc}", stacklevel=2)
            continue
        if not isinstance(extractor, Extractor):
            warnings.warn(f"extractor entry point {ep.name!r} ({ep.value}) is not a pledgeflow "
                          "extractor (it needs name, version, kinds and extract)", stacklevel=2)
            continue
        found.setdefault(extractor.name, extractor)
    if names is not None:
        wanted = list(names)
        unknown = sorted(set(wanted) - set(found))
        if unknown:
            raise KeyError(f"unknown extractor(s): {', '.join(unknown)}; known: {', '.join(found)}")
        found = {n: found[n] for n in wanted}
    return found


def record_kinds(installed: bool = True) -> dict[str, type[Record]]:
    """Every record kind an extractor produces, by table name, each with the Record
    subclass that declares it: the built-in kinds, those of the project's extractors and
    (``installed``) those of every extractor installed through the entry point group.
    Loading an extractor imports its record classes, which registers them (records.py)."""
    _load_builtins()
    sources: list[tuple[str, object]] = [(name, cls) for name, cls in _builtins.items()]
    if installed:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            try:
                sources.append((ep.name, ep.load()))
            except Exception:  # noqa: BLE001, S112 - get_extractors reports a broken plugin
                continue
    kinds = dict(BUILTIN_KINDS)
    for name, extractor in sources:
        for kind in getattr(extractor, "kinds", ()):
            cls = kind_class(kind)
            if cls is None:
                warnings.warn(f"extractor {name!r} produces kind {kind!r}, but no Record "
                              "subclass declares it", stacklevel=2)
                continue
            kinds.setdefault(kind, cls)
    return kinds


_local = threading.local()


def extractors_for_thread(names: Iterable[str] | None = None) -> dict[str, Extractor]:
    """``get_extractors(names)``, built once per thread and reused for every document.

    Looking up entry points and compiling every extractor's patterns costs more than
    extracting a small page, so a worker keeps its extractors. Per thread, because
    extractors keep per-document state while they run."""
    key = None if names is None else tuple(names)
    cache = getattr(_local, "extractors", None)
    if cache is None:
        cache = _local.extractors = {}
    if key not in cache:
        cache[key] = get_extractors(key)
    return cache[key]


@dataclass
class Extraction:
    records: list[Record] = field(default_factory=list)
    errors: list[tuple[str, BaseException]] = field(default_factory=list)  # (extractor, error)
    versions: dict[str, str] = field(default_factory=dict)


def _read_by_ocr(doc: Document, block: int) -> bool:
    """Whether the record's block came from OCR: set here, from the block, so every
    extractor's records carry it without each extractor copying it."""
    return 0 <= block < len(doc.blocks) and doc.blocks[block].ocr


def run_extractors(doc: Document, extractors: dict[str, Extractor], nlp: Language) -> Extraction:
    """Run every extractor on one document; one extractor failing does not stop the others."""
    result = Extraction()
    for name, extractor in extractors.items():
        result.versions[name] = extractor.version
        try:
            records = list(extractor.extract(doc, nlp))
        except Exception as exc:  # noqa: BLE001 - recorded as a failure of this extractor
            result.errors.append((name, exc))
            continue
        for record in records:
            record.provenance.extractor = name
            record.provenance.extractor_version = extractor.version
            record.provenance.ocr = _read_by_ocr(doc, record.provenance.block)
        result.records.extend(records)
    return result

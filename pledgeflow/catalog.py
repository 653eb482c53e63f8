"""The catalog: which sources to fetch, read from a TOML file of ``[[sources]]`` tables."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
REQUIRED = ("id", "url", "organisation", "council", "kind", "title", "period")
SOURCE_COLUMNS = (*REQUIRED, "party", "discover")  # what the sources table keeps


class CatalogError(ValueError):
    """The catalog file is missing, unreadable or has an invalid entry."""


@dataclass(frozen=True)
class Source:
    id: str  # short slug, e.g. "cwac-labour-2019"
    url: str  # https://, http://, file:///abs/path, or a path relative to the catalog
    organisation: str  # who wrote it
    council: str  # the local authority it concerns
    kind: str  # manifesto, outcome_plan, ...
    title: str
    period: str  # e.g. "2019-2023"
    party: str | None = None
    # A manifesto spread over pages: ``url`` is an index page whose same-site links
    # (matching ``link_pattern``, at most ``max_pages``, robots.txt honoured) are each
    # ingested as a document of this source, in page order.
    discover: bool = False
    link_pattern: str | None = None
    max_pages: int = 50
    include_index: bool = False
    catalog_dir: str = "."  # the folder relative URLs resolve against

    def row(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in SOURCE_COLUMNS}


def load_catalog(path: Path | str) -> list[Source]:
    """Read and validate a catalog; raise CatalogError naming the entry and field at fault."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"catalog not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{path}: not valid TOML: {exc}") from None
    entries = data.get("sources")
    if not isinstance(entries, list) or not entries:
        raise CatalogError(f"{path}: no [[sources]] tables")
    known = {f.name for f in fields(Source)} - {"catalog_dir"}
    sources: list[Source] = []
    seen: set[str] = set()
    for n, entry in enumerate(entries, 1):
        where = f"{path}: source #{n} ({entry.get('id', 'no id')})"
        missing = [k for k in REQUIRED if not str(entry.get(k, "")).strip()]
        if missing:
            raise CatalogError(f"{where}: missing {', '.join(missing)}")
        unknown = sorted(set(entry) - known)
        if unknown:
            raise CatalogError(f"{where}: unknown field(s) {', '.join(unknown)}")
        if not SLUG.match(entry["id"]):
            raise CatalogError(f"{where}: id must be a lower-case slug (a-z, 0-9, -)")
        if entry["id"] in seen:
            raise CatalogError(f"{where}: duplicate id")
        seen.add(entry["id"])
        sources.append(Source(**_typed(entry, where), catalog_dir=str(path.resolve().parent)))
    return sources


TYPED = {"discover": bool, "include_index": bool, "max_pages": int}


def _typed(entry: dict, where: str) -> dict:
    """Text fields as text; the discovery switches with their own types, checked."""
    out = {}
    for key, value in entry.items():
        expected = TYPED.get(key, str)
        if expected is str:
            out[key] = str(value)
        elif not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            wanted = "true or false" if expected is bool else "a whole number"
            raise CatalogError(f"{where}: {key} must be {wanted}")
        else:
            out[key] = value
    if out.get("max_pages", 1) < 1:
        raise CatalogError(f"{where}: max_pages must be at least 1")
    if not out.get("discover") and any(k in out for k in ("link_pattern", "max_pages",
                                                           "include_index")):
        raise CatalogError(f"{where}: link_pattern, max_pages and include_index need "
                           "discover = true")
    if out.get("link_pattern"):
        try:
            re.compile(out["link_pattern"])
        except re.error as exc:
            raise CatalogError(f"{where}: link_pattern is not a valid regular expression: "
                               f"{exc}") from None
    return out


def select(sources: list[Source], *, only: list[str] | None = None, kind: str | None = None,
           organisation: str | None = None) -> list[Source]:
    """Filter sources by id, kind or organisation (case-insensitive substring)."""
    if only:
        unknown = sorted(set(only) - {s.id for s in sources})
        if unknown:
            raise CatalogError(f"not in the catalog: {', '.join(unknown)}")
        sources = [s for s in sources if s.id in only]
    if kind:
        sources = [s for s in sources if s.kind == kind]
    if organisation:
        sources = [s for s in sources if organisation.lower() in s.organisation.lower()]
    return sources

"""The catalog: which sources to fetch, read from a TOML file of ``[[sources]]`` tables."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
REQUIRED = ("id", "url", "organisation", "council", "kind", "title", "period")


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
    catalog_dir: str = "."  # the folder relative URLs resolve against

    def row(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "catalog_dir"}


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
        sources.append(Source(**{k: str(v) for k, v in entry.items()},
                              catalog_dir=str(path.resolve().parent)))
    return sources


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

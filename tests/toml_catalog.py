"""Catalogs for tests, written as a user writes them: TOML ``[[sources]]`` entries."""

from __future__ import annotations

import json
from pathlib import Path

# What most test sources share: a party's manifesto for one council.
TOWNSFOLK = {"organisation": "Townsfolk Party", "council": "Townsville", "kind": "manifesto",
             "title": "Our manifesto", "period": "2025-2029"}


def entry(**fields: object) -> str:
    """One ``[[sources]]`` table; strings are written as TOML basic strings."""
    lines = ["[[sources]]"]
    for key, value in fields.items():
        if isinstance(value, bool):
            lines.append(f"{key} = {str(value).lower()}")
        elif isinstance(value, int | float):
            lines.append(f"{key} = {value}")
        else:
            lines.append(f"{key} = {json.dumps(str(value), ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def write_catalog(path: Path, *entries: dict[str, object]) -> Path:
    path.write_text("\n".join(entry(**e) for e in entries), encoding="utf-8")
    return path

"""The layers of ARCHITECTURE.md hold: nothing imports upward, only flows/ imports Prefect;
its glossary names what the code has."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# module prefix -> layer, as ARCHITECTURE.md draws them (longest prefix wins)
LAYERS = {
    "pledgeflow.records": 1, "pledgeflow.document": 1, "pledgeflow.catalog": 1,
    "pledgeflow.nlp": 1, "pledgeflow.defaults": 1, "pledgeflow.text_decode": 1,
    "pledgeflow.lifeline": 1, "pledgeflow.stopping": 1, "pledgeflow": 1,
    "pledgeflow.parse": 2, "pledgeflow.registry": 2,
    "pledgeflow.fetch": 3, "pledgeflow.extractors": 3, "pledgeflow.isolate": 3,
    "pledgeflow.options": 3,
    "pledgeflow.stages": 4,
    "pledgeflow.store": 5,
    "pledgeflow.research": 6, "pledgeflow.flows": 6,
    "pledgeflow.cli": 7,
}
FOLDERS = {"pledgeflow": "pledgeflow", "flows": "pledgeflow.flows",
           "extractors": "pledgeflow.extractors"}


def layer(module: str) -> int:
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return LAYERS[best]


def modules() -> list[tuple[str, Path]]:
    found = []
    for folder, package in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found.append((".".join((package, *parts)), path))
    return found


def imports(path: Path, module: str) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                package = module.rsplit(".", node.level)[0] if path.stem != "__init__" \
                    else module.rsplit(".", node.level - 1)[0] if node.level > 1 else module
                base = f"{package}.{node.module}" if node.module else package
            else:
                base = node.module or ""
            names.append(base)
            # "from pledgeflow.store import db": the module imported is pledgeflow.store.db
            names += [f"{base}.{a.name}" for a in node.names
                      if base.startswith("pledgeflow") and a.name.islower()]
    return names


@pytest.mark.parametrize(("module", "path"), modules(), ids=lambda v: str(v))
def test_no_module_imports_a_layer_above_its_own(module: str, path: Path) -> None:
    own = layer(module)
    upward = [name for name in imports(path, module)
              if name.startswith("pledgeflow") and layer(name) > own
              and not (module == "pledgeflow.registry" and name == "pledgeflow.extractors")]
    assert upward == [], f"{module} (layer {own}) imports {upward}"


def test_only_flows_import_prefect() -> None:
    outside = [module for module, path in modules()
               if not module.startswith("pledgeflow.flows")
               and any(name == "prefect" or name.startswith("prefect.")
                       for name in imports(path, module))]
    assert outside == []


def words_section() -> str:
    page = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    return page.split("## Words", 1)[1].split("\n## ", 1)[0]


def test_the_words_section_names_only_what_the_code_has() -> None:
    """Each name the glossary gives in backticks (a module, class, function, table or
    column, dotted or not) is a word of the code or the schema, so a rename that leaves
    the glossary behind fails here."""
    code = " ".join(path.read_text(encoding="utf-8") for folder in ("pledgeflow", "extractors",
                                                                   "flows")
                    for path in (ROOT / folder).rglob("*.py"))
    known = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", code))
    names = re.findall(r"`([^`]+)`", words_section())
    assert len(names) > 30
    missing = [name for name in names
               if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_./]*", name)
               and not all(part in known for part in re.split(r"[./]", name.removesuffix(".py"))
                           if part)]
    assert missing == []
    assert len((ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8").splitlines()) <= 150

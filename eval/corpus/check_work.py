"""Check annotators' working gold: every quoted string must occur verbatim in its text.

usage: python eval/corpus/check_work.py [ID ...]   (default: every work/*.json)
"""
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
FIELDS = {"pledges": ["text", "lead_in", "section"], "targets": ["text", "measure"],
          "kpis": ["measure"], "actions": ["text", "deadline", "owners", "initiative"],
          "risks": ["risk", "mitigation", "owner"]}


def problems(doc_id: str) -> list[str]:
    text = (HERE / "texts" / f"{doc_id}.txt").read_text(encoding="utf-8")
    gold = json.loads((HERE / "work" / f"{doc_id}.json").read_text(encoding="utf-8"))
    found = []
    for kind, fields in FIELDS.items():
        for i, record in enumerate(gold.get(kind, [])):
            for field in fields:
                value = record.get(field)
                if isinstance(value, str) and value and value not in text:
                    near = re.sub(r"\s+", " ", value) in re.sub(r"\s+", " ", text)
                    found.append(f"{doc_id} {kind}[{i}].{field} not verbatim"
                                 f"{' (only after folding whitespace)' if near else ''}: "
                                 f"{value[:70]!r}")
    return found


if __name__ == "__main__":
    ids = sys.argv[1:] or sorted(p.stem for p in (HERE / "work").glob("*.json"))
    bad = [p for i in ids for p in problems(i)]
    print("\n".join(bad) or f"ok: {len(ids)} documents")
    sys.exit(1 if bad else 0)

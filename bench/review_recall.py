"""How far the importer's review list can be trusted: of the fields it got wrong, the
share it names (recall), and of the items it names, the share that were right (false
alarms).

    python bench/review_recall.py GOLD_DIR NOTICE [NOTICE ...] [-v]

-v lists every wrong or flagged item.

Each notice is imported with ``duban import --json``. An item's field (lead, units or
due) is wrong when it differs from the gold reading as ``shared/eval/score.py``
compares them (simplified, NFKC, no spaces). A wrong field is *flagged* when the review
list has a line at the item's source (``第12行：…``). Items the importer did not find
count as wrong and unflagged.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

import yaml
from opencc import OpenCC

ROOT = Path(__file__).resolve().parent.parent


_T2S = OpenCC("t2s")


def norm(text: str) -> str:
    """As score.py normalises: simplified, NFKC, no white space."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", _T2S.convert(str(text))))


def fields(entry: dict) -> dict[str, set[str]]:
    """As score.py's item_exact sees them: the lead, all units (lead and others), dues."""
    lead = {norm(u) for u in entry.get("lead") or []}
    return {"lead": lead, "units": lead | {norm(u) for u in entry.get("units") or []},
            "due": {str(d).strip() for d in entry.get("due") or []}}


def main() -> None:
    args = sys.argv[1:]
    verbose = "-v" in args
    args = [a for a in args if a != "-v"]
    gold_dir, notices = Path(args[0]), [Path(p) for p in args[1:]]
    wrong = flagged = named_items = named_right = 0
    out = Path(tempfile.mkdtemp(prefix="duban-review-"))
    for notice in notices:
        gold = yaml.safe_load((gold_dir / f"{notice.stem}.yaml").read_text(encoding="utf-8"))
        target = out / f"{notice.stem}.json"
        subprocess.run([str(ROOT / ".venv" / "bin" / "duban"), "import", str(notice), "--json",
                        str(target)], capture_output=True, check=False)
        pred = json.loads(target.read_text(encoding="utf-8")) if target.exists() else {}
        tasks = pred.get("tasks") or []
        at = {line.split("：", 1)[0] for line in pred.get("review") or []}
        for item in gold.get("items") or []:
            key = norm(item["key"])
            found = [t for t in tasks if key in norm(t["text"])]
            g = fields(item)
            if not found:
                if verbose:
                    print(f"{notice.stem} {item['key']}: not found")
                wrong += 3
                continue
            task = min(found, key=lambda t: len(t["text"]))
            p = fields(task)
            bad = [f for f in g if g[f] != p[f]]
            named = task["source"] in at or (task.get("sources") or {}).get("units") in at
            wrong += len(bad)
            if verbose and (bad or named):
                print(f"{notice.stem} {task['source']} {item['key']}: "
                      + ("flagged " if named else "")
                      + "; ".join(f"{f} {sorted(p[f])} ≠ {sorted(g[f])}" for f in bad))
            flagged += len(bad) if named else 0
            named_items += named
            named_right += named and not bad
    print(f"wrong fields {wrong}, flagged {flagged}: review_recall="
          f"{flagged / wrong if wrong else 1.0:.3f}; items flagged {named_items}, of them right "
          f"{named_right}: false_alarm={named_right / named_items if named_items else 0.0:.3f}")


if __name__ == "__main__":
    main()

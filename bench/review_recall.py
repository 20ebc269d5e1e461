"""How far the importer's review list can be trusted: of the fields it got wrong, the
share it names (recall), and of its doubts, the share about fields that were right
(false alarms).

    python bench/review_recall.py GOLD_DIR NOTICE [NOTICE ...] [-v]

Each notice is imported with ``duban import --json``. An item's field (lead, units or
due) is wrong when it differs from the gold reading as ``shared/eval/score.py`` compares
them (simplified, NFKC, no spaces). The review list's ``flags`` name the items they
cover and the field they are about (units covers lead and units). A wrong field is
*flagged* when a flag covers its item and field; items the importer did not find count
as three wrong fields, unflagged. A *doubt* (one item's reading the importer guessed)
is a false alarm when every field it is about was right; a *rule* (one reading rule
applied to many items, to spot-check) is counted the same way but apart. A *todo* (what
the notice leaves open: no unit named, a per-case span) flags nothing: recall counts
doubts and rules only, and the wrong fields only a todo lands on are counted apart (a
todo on a misread item tells the coordinator the notice is silent where it is not).
A notice the importer refuses (it stops with a message naming the problem) has no review
list: its items are reported apart, and the recall is given with them counted too.
-v lists every wrong or flagged item.
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
COVERS = {"lead": {"lead"}, "units": {"lead", "units"}, "due": {"due"}}


def norm(text: str) -> str:
    """As score.py normalises: simplified, NFKC, no white space."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", _T2S.convert(str(text))))


def fields(entry: dict) -> dict[str, set[str]]:
    """As score.py's item_exact sees them: the lead, all units (lead and others), dues."""
    lead = {norm(u) for u in entry.get("lead") or []}
    return {
        "lead": lead,
        "units": lead | {norm(u) for u in entry.get("units") or []},
        "due": {str(d).strip() for d in entry.get("due") or []},
    }


def read(notice: Path, out: Path) -> dict:
    """The importer's JSON; {} when it refused the notice. A crash is no refusal: it stops
    the measurement with the importer's traceback."""
    target = out / f"{notice.stem}.json"
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "duban"), "import", str(notice), "--json", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    if "Traceback" in done.stderr:
        sys.exit(f"the importer crashed on {notice}:\n{done.stderr}")
    return json.loads(target.read_text(encoding="utf-8")) if target.exists() else {}


def main() -> None:
    args = sys.argv[1:]
    verbose = "-v" in args
    args = [a for a in args if a != "-v"]
    gold_dir, notices = Path(args[0]), [Path(p) for p in args[1:]]
    wrong = flagged = doubts = false = todos = rules = rules_false = only_todo = 0
    refused: list[str] = []
    refused_fields = 0
    out = Path(tempfile.mkdtemp(prefix="duban-review-"))
    for notice in notices:
        gold = yaml.safe_load((gold_dir / f"{notice.stem}.yaml").read_text(encoding="utf-8"))
        pred = read(notice, out)
        if not pred:  # refused: the import stopped with a message naming what is wrong
            refused.append(notice.stem)
            refused_fields += len(COVERS) * len(gold.get("items") or [])
            continue
        tasks = pred.get("tasks") or []
        flags = [f for f in pred.get("flags") or [] if f.get("items")]
        bad_at: dict[str, set[str]] = {}  # item source → its wrong fields
        for item in gold.get("items") or []:
            key = norm(item["key"])
            found = [t for t in tasks if key in norm(t["text"])]
            g = fields(item)
            if not found:
                if verbose:
                    print(f"{notice.stem} {item['key']}: not found")
                wrong += 3
                continue
            # score.py takes the shortest task holding the key; where two tasks print the
            # same words (one block per department, a gold note says KEY NOT UNIQUE), the
            # key cannot tell them apart: the one that reads as the gold does is taken.
            shortest = min(len(t["text"]) for t in found)
            ties = [t for t in found if len(t["text"]) == shortest]
            task = (
                next((t for t in found if fields(t) == g), ties[0])
                if "KEY NOT UNIQUE" in str(item.get("note"))
                else ties[0]
            )
            p = fields(task)
            bad = {f for f in g if g[f] != p[f]}
            covered = set().union(
                *(
                    COVERS.get(f["about"], set())
                    for f in flags
                    if task["source"] in f["items"] and f["kind"] != "todo"
                )
            )
            todo_at = set().union(
                *(
                    COVERS.get(f["about"], set())
                    for f in flags
                    if task["source"] in f["items"] and f["kind"] == "todo"
                )
            )
            only_todo += len(bad & todo_at - covered)
            bad_at[task["source"]] = bad_at.get(task["source"], set()) | bad
            wrong += len(bad)
            flagged += len(bad & covered)
            if verbose and (bad or covered):
                print(
                    f"{notice.stem} {task['source']} {item['key']}: "
                    + (f"flagged {sorted(covered)} " if covered else "")
                    + "; ".join(f"{f} {sorted(p[f])} ≠ {sorted(g[f])}" for f in sorted(bad))
                )
        for f in flags:
            if f["kind"] == "todo":
                todos += 1
                continue
            right = all(
                not (bad_at.get(w, set()) & COVERS.get(f["about"], set())) for w in f["items"]
            )
            if f["kind"] == "rule":
                rules += 1
                rules_false += right
            else:
                doubts += 1
                false += right
            if verbose and right:
                print(f"{notice.stem} false alarm {f['where']}: {f['what']}")
    print(
        f"wrong fields {wrong}, flagged {flagged}: review_recall="
        f"{flagged / wrong if wrong else 1.0:.3f}; doubts {doubts}, about right fields "
        f"{false}: false_alarm={false / doubts if doubts else 0.0:.3f}; rules {rules}, about "
        f"right fields {rules_false}; todos {todos} (on {only_todo} wrong fields no doubt "
        "or rule names)"
    )
    if refused:
        every = wrong + refused_fields
        print(
            f"refused {len(refused)} ({', '.join(refused)}): the import stopped with a message "
            f"naming the problem, so its {refused_fields} fields are outside the count above; "
            f"counted as wrong and unflagged, review_recall={flagged / every if every else 1.0:.3f}"
        )


if __name__ == "__main__":
    main()

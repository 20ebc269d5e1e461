"""Which lines of a draft's review list are still open once a person has corrected it.

The importer's review list is written once, at import. A draft is then corrected field
by field; each line of the list closes for an entry when that entry's field has been
changed by hand (``核对[units]`` in its note) or confirmed as read, and a line with no
entry left open is gone. Unit names the directory lacks are checked again on the
plan as it now stands, so a corrected name clears its line and a newly typed unknown
name gets one.
"""

from __future__ import annotations

from typing import Any

from plans.compile import DYNAMIC_GROUPS
from plans.directory import Directory
from plans.importer.draft import REVIEWED

ENTRY_FIELDS = ("lead", "units", "due", "text", "kind")
PLAN_FIELDS = ("doc_no", "issuer", "issued", "year", "title", "id")
# A line about the units closes once the units or the lead were looked at: the two are
# one reading of one clause.
CLOSES = {"units": {"units", "lead"}, "lead": {"lead", "units"}}


def reviewed(entry: dict[str, Any], confirmed: set[str]) -> set[str]:
    """The fields of a task or checkpoint a person changed or confirmed."""
    m = REVIEWED.search(entry.get("note") or "")
    marked = set(m.group(1).split(",")) if m else set()
    return marked | {f for f in ENTRY_FIELDS if f"{entry.get('id')}.{f}" in confirmed}


def _entries_at(plan: dict[str, Any], ex: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Source line → the draft's tasks read there, else its checkpoints read there."""
    out: dict[str, list[dict[str, Any]]] = {}
    for kind in ("tasks", "checkpoints"):
        sources = ex.get(kind) or []
        found: dict[str, list[dict[str, Any]]] = {}
        for i, entry in enumerate(plan.get(kind) or []):
            where = (sources[i].get("source") if i < len(sources) else "") or ""
            found.setdefault(where, []).append(entry)
        for where, entries in found.items():
            out.setdefault(where, entries)
    return out


def unknown_units(
    plan: dict[str, Any], ex: dict[str, Any], directory: Directory
) -> list[dict[str, Any]]:
    """One line per unit name the directory cannot place, as the plan stands now."""
    wheres: dict[str, list[str]] = {}
    for kind, fields in (("tasks", ("lead", "units")), ("checkpoints", ("units",))):
        sources = ex.get(kind) or []
        for i, entry in enumerate(plan.get(kind) or []):
            where = (sources[i].get("source") if i < len(sources) else "") or entry.get("id", "")
            for f in fields:
                for name in entry.get(f) or []:
                    wheres.setdefault(str(name), []).append(where)
    out = []
    for name, at in wheres.items():
        if name in DYNAMIC_GROUPS or directory.resolve(name):
            continue
        hint = directory.suggest(name)
        more = f"（共 {len(at)} 处）" if len(at) > 1 else ""
        out.append(
            {
                "where": at[0],
                "about": "units",
                "kind": "doubt",
                "unknown": name,
                "items": list(dict.fromkeys(at)),
                "what": f"单位“{name}”不在单位名录中{more}"
                + (f"，最接近的是“{hint}”" if hint else "")
                + "：在名录中补充该单位或别名，或在计划中改用名录中的名称",
            }
        )
    return out


def still_open(
    plan: dict[str, Any], ex: dict[str, Any], directory: Directory | None, confirmed: set[str]
) -> list[dict[str, Any]]:
    """The review list as it stands: doubts first, then rules, then todos."""
    at = _entries_at(plan, ex)
    out: list[dict[str, Any]] = []
    for flag in ex.get("flags") or []:
        about = flag.get("about", "")
        unknown = flag.get("unknown") or "不在单位名录中" in flag.get("what", "")  # older drafts
        if unknown or (about == "directory" and directory is not None):
            continue  # checked again below, on the plan as it stands
        if about in PLAN_FIELDS:
            if about not in confirmed:
                out.append(flag)
            continue
        items = flag.get("items") or []
        if not items or about not in (*ENTRY_FIELDS, *CLOSES):
            out.append(flag)
            continue
        closes = CLOSES.get(about, {about})
        left = [
            w for w in items if any(not (reviewed(e, confirmed) & closes) for e in at.get(w, [{}]))
        ]
        if left:
            out.append({**flag, "items": left, "where": left[0]})
    if directory is not None:
        out += unknown_units(plan, ex, directory)
    order = {"doubt": 0, "rule": 1, "todo": 2}
    return sorted(out, key=lambda f: order.get(f.get("kind", "doubt"), 0))

"""The draft plan a coordinator reviews: YAML with its review list as comments, and
the diff of a re-issued notice against a plan already reviewed."""

from __future__ import annotations

import difflib
import hashlib
import re
from typing import Any

import yaml

from plans.directory import jurisdiction_of_issuer
from plans.importer.model import CheckpointDraft, Extraction, TaskDraft
from plans.text import norm

# -- output ------------------------------------------------------------------------------


def draft_plan(
    ex: Extraction, directory: str | None = None, jurisdiction: str | None = None
) -> dict[str, Any]:
    """A plan document (the foundation's format) for a coordinator to review. Each
    task and checkpoint notes its source line and what in it awaits review."""
    meta = {k: v.value for k, v in ex.meta.items()}
    year = meta.get("year")  # None when the notice states none: the draft says so
    digest = hashlib.sha1(ex.source.name.encode()).hexdigest()[:6]
    pending: dict[str, list[str]] = {}
    for r in ex.review:
        for where in r.items or [r.where]:
            pending.setdefault(where, []).append(r.what)

    def note(*wheres: str) -> str:
        todo = [w for where in dict.fromkeys(wheres) for w in pending.get(where, [])]
        return f"来源：{wheres[0]}" + (f"；待核对：{'；'.join(todo)}" if todo else "")

    plan: dict[str, Any] = {
        "id": f"plan-{year}-{digest}" if year else f"plan-{digest}",  # no year: none in the id
        "title": meta.get("title") or ex.source.stem,
        "doc_no": meta.get("doc_no"),
        "issuer": meta.get("issuer") or "（待填）",
        "issued": meta["issued"].isoformat() if meta.get("issued") else None,
        "year": year,
        "coordinator": meta.get("issuer") or "（待填）",
        "recipients": ex.recipients,
        # with no directory, the issuing office's place: validating then asks for its
        # directory by name instead of for a jurisdiction the coordinator must guess
        "jurisdiction": jurisdiction
        or (jurisdiction_of_issuer(meta["issuer"]) if meta.get("issuer") else None),
        "directory": directory,
        "checkpoints": [
            {
                "id": f"cp{i:02d}",
                "kind": c.kind,
                "text": c.text,
                "due": [d.rule for d in c.due],
                "units": c.units,
                "note": note(c.where),
            }
            for i, c in enumerate(ex.checkpoints, start=1)
        ],
        "tasks": [
            _task_entry(
                i, t, ex.checkpoints, note(t.where, *([t.unit_source] if t.unit_source else []))
            )
            for i, t in enumerate(ex.tasks, start=1)
        ],
        "targets": [{"unit": g.unit, "count": g.count, "metric": g.metric} for g in ex.targets]
        or None,
    }
    return {k: v for k, v in plan.items() if v is not None}


def _task_entry(
    i: int, t: TaskDraft, checkpoints: list[CheckpointDraft], note: str
) -> dict[str, Any]:
    """A task of the draft. A sentence of its text that is also a plan-wide checkpoint
    (双月份20日前报…, 每月定期检查…) is the checkpoint's alone: its deadline leaves the
    task, so that units are not chased twice for one sentence, and a check the
    coordinator makes itself never becomes a deadline for every unit."""
    owned = [
        (k, c)
        for k, c in enumerate(checkpoints, start=1)
        if c.where == t.where and norm(c.text) in norm(t.text)
    ]
    taken = {d.value for _, c in owned for d in c.due}
    due = [d.rule for d in t.due if d.value not in taken]
    if owned and len(due) < len(t.due):
        ids = "、".join(f"cp{k:02d}" for k, _ in owned)
        note = f"{note}；原文中带期限的句子已作为检查节点 {ids}，期限见该节点"
    return {
        "id": f"t{i:03d}",
        "section": t.section,
        "text": t.text,
        "lead": t.lead,
        "units": t.units,
        "due": due,
        **({"path": t.path} if t.path else {}),
        "note": note,
    }


class _PlainDumper(yaml.SafeDumper):
    """No anchors or aliases: in a draft edited by hand, ``*id001`` would make one
    task's unit list silently the same object as another's."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def draft_yaml(ex: Extraction, plan: dict[str, Any]) -> str:
    """The draft as YAML, headed by the review list as comments."""
    return review_head(ex.source.name, [str(r) for r in ex.review]) + dump_plan(plan)


def review_head(source: str, review: list[str]) -> str:
    """The comment head of a draft: what to do with it, and the review list as it stands
    (the draft page writes it again as fixes are saved)."""
    head = [
        "# 由 duban import 生成的计划草稿：请按下列待核对事项逐项核对、修改后，",
        "# 用 duban plan validate 校验，再 duban plan load 加载。",
        f"# 来源：{source}",
    ]
    head += [f"# 待核对 {len(review)} 处："] + [f"#   - {r}" for r in review]
    return "\n".join(head) + "\n"


def dump_plan(plan: dict[str, Any]) -> str:
    """A plan as YAML, as every draft is written (no anchors, keys in plan order)."""
    return yaml.dump(plan, Dumper=_PlainDumper, allow_unicode=True, sort_keys=False, width=200)


REVIEWED = re.compile(r"核对\[([a-z_,]+)\]")
# An item's own number ("3." "（二）" "①" "第五条") is layout: a hand-written plan may drop it.
ITEM_NUMBER = re.compile(
    r"^\s*(?:第[一二三四五六七八九十百\d]+条|[(（][一二三四五六七八九十\d]+[)）]|"
    r"[一二三四五六七八九十]+[、.．]|\d+[、.．)）]|[①-⑳])\s*"
)


def _body(text: str) -> str:
    """An entry's text for matching: normalised, without its own leading number."""
    return norm(ITEM_NUMBER.sub("", text or "", count=1))


def _pair(
    olds: list[dict[str, Any]], news: list[dict[str, Any]]
) -> tuple[list[tuple[dict[str, Any], dict[str, Any]]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Match entries by section and text, then by close text (a reworded item);
    returns (pairs, added, removed)."""

    def key(t: dict[str, Any]) -> str:
        return (
            norm("".join(ITEM_NUMBER.sub("", h, count=1) for h in t.get("section") or []))
            + "|"
            + _body(t.get("text", ""))
        )

    pool: dict[str, list[dict[str, Any]]] = {}
    for t in olds:
        pool.setdefault(key(t), []).append(t)
    pairs, unmatched = [], []
    for t in news:
        if pool.get(key(t)):
            pairs.append((pool[key(t)].pop(0), t))
        else:
            unmatched.append(t)
    left = [t for ts in pool.values() for t in ts]
    added = []
    for t in unmatched:
        texts = [_body(o.get("text", "")) for o in left]
        close = difflib.get_close_matches(_body(t.get("text", "")), texts, n=1, cutoff=0.8)
        if close:
            pairs.append((left.pop(texts.index(close[0])), t))
        else:
            added.append(t)
    return pairs, added, left


def diff_plans(old: dict[str, Any], new: dict[str, Any]) -> tuple[list[str], int]:
    """What a re-issued notice changes in an existing plan: entries added, removed,
    reworded, or with other units or deadlines. Fields the plan marks as reviewed
    (``核对[units]`` in a note) were changed by hand on purpose and are not listed; their
    count is returned beside the changes."""
    out = []
    for f, cn in (("doc_no", "文号"), ("issued", "印发日期"), ("title", "标题"), ("year", "年度")):
        if str(old.get(f) or "") != str(new.get(f) or ""):
            out.append(f"~ {cn}：{old.get(f) or '无'} → {new.get(f) or '无'}")
    skipped = 0
    for kind, cn in (("checkpoints", "检查节点"), ("tasks", "任务")):
        pairs, added, removed = _pair(old.get(kind) or [], new.get(kind) or [])
        for a, b in sorted(pairs, key=lambda p: str(p[0].get("id", ""))):
            m = REVIEWED.search(a.get("note") or "")
            reviewed = set(m.group(1).split(",")) if m else set()
            label = f"{a.get('id', '')}（{b['text'][:20]}…）"
            if _body(a.get("text", "")) != _body(b.get("text", "")):
                out.append(f"~ {cn} {label} 内容有改动：{b['text'][:60]}")
            for f, fcn in (("lead", "牵头单位"), ("units", "责任单位"), ("due", "期限")):
                if f not in a and f not in b:
                    continue
                x, y = [str(v) for v in a.get(f) or []], [str(v) for v in b.get(f) or []]
                if sorted(x) == sorted(y):
                    continue
                if f in reviewed:
                    skipped += 1
                    continue
                out.append(f"~ {cn} {label} {fcn}：{'、'.join(x) or '无'} → {'、'.join(y) or '无'}")
        out += [f"+ 新增{cn}：{t['text'][:50]}" for t in added]
        out += [f"- 删除{cn}：{t.get('id', '')} {t['text'][:50]}" for t in removed]
    return out, skipped

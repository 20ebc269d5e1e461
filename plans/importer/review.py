"""The review list: what the notice leaves open (todos), what the reading guessed
(doubts) and which rules read many items (rules), item by item."""

from __future__ import annotations

import re

from plans.cn_dates import Due, normalise
from plans.compile import DYNAMIC_GROUPS
from plans.directory import Directory
from plans.importer.model import Extraction, Review, TaskDraft
from plans.importer.self_check import named_orgs
from plans.importer.units import DAMAGED_NAME


def review_fields(ex: Extraction) -> None:
    """The review list, item by item: what the notice leaves open (no unit, a per-case
    span) and every field the importer guessed (a merged cell's lead, a sentence's
    subject, units carried from a heading, a standing clause or the next item, a damaged
    unit name, a garbled date, a date whose year the text does not state when the plan's
    year is itself a guess or the date falls before the notice was issued). The same
    guess on consecutive items is one line."""
    issued = ex.meta["issued"].value if "issued" in ex.meta else None
    year_sure = "year" in ex.meta and ex.meta["year"].confidence >= 1.0
    open_runs: dict[tuple[str, str, str], tuple[Review, int]] = {}
    # One reading rule applied throughout (a merged cell's lead, a sentence's subject, the
    # plan year for dates that state none) is one line naming all the items it read.
    summary: dict[str, list[TaskDraft]] = {}
    for i, t in enumerate(ex.tasks):
        flags: list[tuple[str, str, str]] = []  # (about, kind, what)
        if not t.lead and not t.units and (orgs := named_orgs(t.text)):
            # the text names organisations: a misreading, not a notice that leaves it open
            flags.append(("units", "doubt", f"原文提到“{'、'.join(orgs[:4])}”，但没有读出责任单位"))
        elif not t.lead and not t.units:
            flags.append(("units", "todo", f"条目没有责任单位：“{t.text[:24]}…”"))
        elif t.unit_how in ("merged", "sentence", "shared"):
            summary.setdefault(t.unit_how, []).append(t)
            if t.unit_how == "sentence" and (more := _unread_actors(t)):
                flags.append(
                    (
                        "units",
                        "doubt",
                        f"句中还提到“{'、'.join(more)}”，责任单位按主语读取"
                        f"为“{'、'.join(t.units)}”",
                    )
                )
        elif t.unit_how == "heading":
            flags.append(
                (
                    "units",
                    "doubt",
                    f"{'牵头单位' if t.lead and not t.units else '责任单位'}取自上级标题"
                    f"（{t.unit_source}）的“{'、'.join(t.lead + t.units)}”",
                )
            )
        flags += [(about, "doubt", why) for about, why in t.doubts]
        flags += [(about, "rule", why) for about, why in t.rules]
        damaged = [n for n in (*t.lead, *t.units) if DAMAGED_NAME.search(n)]
        if damaged:
            flags.append(
                (
                    "units",
                    "doubt",
                    f"单位名称“{'、'.join(damaged)}”不完整（原文缺字），请对照原文补全",
                )
            )
        if "year" not in ex.meta and any(_year_implied(d) for d in t.due):
            t.due = [d for d in t.due if not _year_implied(d)]  # no year to read them in
            summary.setdefault("noyear", []).append(t)
        for d in t.due:
            if not d.certain:
                flags.append(("due", "doubt", f"期限“{d.source}”字迹不清，按 {d.value} 读取"))
            elif d.value.endswith("@event") and not d.event:
                flags.append(
                    (
                        "due",
                        "todo",
                        f"期限“{d.source}”从每件事项发生时起算（如收到"
                        "申请之日），不是整个计划的一个期限：可删去这个期限（任务内容中仍"
                        "保留原文要求），或写明从哪件事起算，如“+20wd@event:收到申请”",
                    )
                )
            elif _year_implied(d) and not year_sure:
                summary.setdefault("year", []).append(t)
            elif _year_implied(d) and issued and d.value < issued.isoformat():
                flags.append(
                    ("due", "doubt", f"期限“{d.source}”未写年份，按 {d.value} 读取，早于印发日期")
                )
        for about, kind, what in flags:
            key = (about, kind, what)
            run = open_runs.get(key)
            if run and run[1] == i - 1 and kind != "todo":
                run[0].items.append(t.where)
                open_runs[key] = (run[0], i)
                continue
            r = Review(t.where, what, about, kind, [t.where])
            ex.review.append(r)
            open_runs[key] = (r, i)
    for r in ex.review:
        if r.kind != "todo" and r.items:
            span = f"（至{r.items[-1]}共 {len(r.items)} 项）" if len(r.items) > 1 else ""
            what, ask = r.what, f"请{'核对' if r.kind == 'doubt' else '抽查'}"
            if m := re.search(r"，(请[^，]*)$", what):  # the doubt says what to do itself
                what, ask = what[: m.start()], m.group(1)
            r.what = f"{what}{span}，{ask}"
    if "year" in summary:  # the plan year's own line names the dates it decides
        ex.review = [r for r in ex.review if r.where != "标题"]
    for how, tasks in summary.items():
        items = list(dict.fromkeys(t.where for t in tasks))
        about, what = SUMMARY[how]
        year = ex.meta["year"].value if "year" in ex.meta else ""
        ex.review.append(
            Review(
                items[0],
                what.format(n=len(items), year=year, last=items[-1], basis=ex.year_basis),
                about,
                "todo" if how == "noyear" else "rule",
                items,
            )
        )
    counted = sum(g.count for g in ex.targets)
    if ex.target_total and ex.target_total[0] != counted:
        total, where = ex.target_total
        ex.review.append(
            Review(
                where,
                f"目标任务表合计为 {total}，逐项相加为 {counted}：有单位漏读或数字有误，请核对",
                "units",
            )
        )
    for c in ex.checkpoints:
        if "year" not in ex.meta and any(_year_implied(d) for d in c.due):
            c.due = [d for d in c.due if not _year_implied(d)]
            ex.review.append(
                Review(
                    c.where,
                    "节点期限未写年份，通知中也没有年度，没有读成日期：请补填",
                    "due",
                    "todo",
                    [c.where],
                )
            )
        for d in c.due:
            said = any(r.where == c.where and d.source in r.what for r in ex.review)
            if not d.certain and not said:  # a task's own line said it already
                ex.review.append(
                    Review(
                        c.where,
                        f"节点期限“{d.source}”字迹不清，按 {d.value} 读取，请核对",
                        "due",
                        items=[c.where],
                    )
                )


SUMMARY = {
    "merged": (
        "lead",
        "{n} 项的牵头单位格为空，按上方合并单元格沿用上一行的牵头单位（至{last}），请抽查",
    ),
    "sentence": ("units", "{n} 项未标注责任单位，按句中主语读取（至{last}），请逐项核对"),
    "shared": ("units", "{n} 项条目下没有单位行，按其后同级条目的单位行读取（至{last}），请抽查"),
    "year": (
        "due",
        "{basis}，{n} 项未写年份的期限按 {year} 年读取（至{last}），请核对",
    ),
    "noyear": (
        "due",
        "通知的标题、落款和页面都没有写明年度：{n} 项未写年份的期限（如“年底前”）"
        "没有读成日期（至{last}）。请在草稿中填写 year，再补上这些期限",
    ),
}
# Who else a sentence names as doing something: 同时通知存在问题的单位整改.
_ACTOR = re.compile(
    r"(?:各|有关|相关|存在问题的|实行垂直管理的)?[\u4e00-\u9fa5]{0,12}?"
    r"(?:单位|部门|政府|机关|机构)(?=[要应向,，、整负])"
)


def _unread_actors(t: TaskDraft) -> list[str]:
    named = (*t.lead, *t.units)
    # a title, or a bracket that explains the subject (包括旗区和苏木乡镇人民政府), names
    # no one else who acts
    text = re.sub(r"《[^》]*》|（[^）]{3,}）|\([^)]{3,}\)", "", t.text)
    out = []
    for m in _ACTOR.finditer(text):
        n = re.sub(r"^.*?(?:通知|转发|报|向|和|及|与|对|由)", "", m.group(0))
        clause = re.split(r"[，。；：,;:]", text[: m.end() - len(n)])[-1]
        if _NOT_ACTOR.search(clause):  # 约谈…的单位, 对…的单位, 作为…的责任单位: not doers
            continue
        # 本部门 / 其单位 is the subject's own; "X应为具有…的机构" says what X is
        if _OWN.search(n) or _DESCRIBED.match(text, m.end()) or n.startswith("应"):
            continue
        if len(n) >= 2 and not any(n in x or x in n for x in named) and n not in out:
            out.append(n)
    return out


_OWN = re.compile(r"(?:本|其|该)(?:级|地区)?(?:部门|单位|机关|机构|政府)$")
_DESCRIBED = re.compile(r"应(?:为|是|当为|当是)")
# A unit named as the object of the sentence's action or as what its subject is.
_NOT_ACTOR = re.compile(r"对|向|给|约谈|作为|(?<!特别)(?<!尤其)是|成为")


def _year_implied(d: Due) -> bool:
    """A calendar date whose words give no year (9月底前, 年底前): the plan's year."""
    return bool(re.fullmatch(r"\d{4}-\d\d-\d\d", d.value)) and not re.search(
        r"\d{4}\s*年|次年|明年|今年|本年", normalise(d.source)
    )


def check_units(ex: Extraction, directory: Directory) -> None:
    """Every unit name the draft uses that the directory cannot place, with the closest
    known name: one review item per name, at its first line, with its count."""
    seen: dict[str, list[str]] = {}
    items: dict[str, list[str]] = {}
    for t in ex.tasks:
        for n in (*t.lead, *t.units):
            seen.setdefault(n, []).append(t.unit_source or t.where)
            items.setdefault(n, []).append(t.where)
    for c in ex.checkpoints:
        for n in c.units:
            seen.setdefault(n, []).append(c.where)
    for g in ex.targets:
        seen.setdefault(g.unit, []).append(g.where)
    for name, wheres in seen.items():
        if name in DYNAMIC_GROUPS or directory.resolve(name):
            continue
        hint = directory.suggest(name)
        more = f"（共 {len(wheres)} 处）" if len(wheres) > 1 else ""
        ex.review.append(
            Review(
                wheres[0],
                f"单位“{name}”不在单位名录中{more}"
                + (f"，最接近的是“{hint}”" if hint else "")
                + "：在名录中补充该单位或别名，或在计划中改用名录中的名称",
                "units",
                "doubt",
                list(dict.fromkeys(items.get(name, []))),
                name,
            )
        )

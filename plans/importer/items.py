"""One item's own reading: its closing clause or bracket of units, a standing clause it
states for the items after it, and the labelled field lines (责任单位：…, 完成时限：…)
under it."""

from __future__ import annotations

import re

from plans.cn_dates import Due, read_cell_dues, read_dues
from plans.glued_names import WORK
from plans.importer.model import Extraction, TaskDraft
from plans.importer.tables import _attach_path
from plans.importer.units import (
    CLAUSE,
    CLAUSE_OPEN,
    FIRST_LEADS,
    GOES_ON,
    MID_CLAUSE,
    TRAILING_ROLES,
    drop_due_words,
    inline_roles,
    is_unit,
    leading_units,
    read_clause,
    sentence_roles,
    split_units,
    unit_line,
)
from plans.labels import (
    OTHER_LABELS,
    PERSON_LABELS,
    TIME_LABELS,
    UNIT_LABELS,
    is_unit_label,
    marks_lead,
)
from plans.notice import Line


def add_task(
    ln: Line, text: str, section: list[str], year: int, ex: Extraction, level: int
) -> TaskDraft:
    text, path = _attach_path(text)
    t = TaskDraft(
        text=text,
        section=section,
        where=ln.where,
        due=read_dues(text, year),
        path=path,
        level=level,
    )
    m = CLAUSE.search(text) or _clause_then_more(text) or CLAUSE_OPEN.search(text)
    paren = None if m else TRAILING_ROLES.search(text)
    roles = None if m or paren else (sentence_roles(text, drop_due_words) or inline_roles(text))
    inside = _standing_clause(paren.group(1), ln, ex) if paren else ""
    inside = FIRST_LEADS.sub("", inside)  # "…等负责。列第一位者为牵头单位，下同": a rule
    if m:
        clause = _standing_clause(next(g for g in m.groups() if g), ln, ex)
        t.lead, t.units = read_clause(clause)
        t.unit_source, t.unit_how = ln.where, "clause"
        # （牵头部门：X，完成时限：2022年）: the bracket's time label dates the item
        told = re.search(rf"(?:{TIME_LABELS})\s*[:：]\s*([^；;，,）)]+)", clause)
        if told and (labelled := read_cell_dues(told.group(1), year)):
            t.due = labelled
        _share_backwards(ex, t)
    elif paren and (named := unit_line(drop_due_words(inside))):
        t.lead, t.units = named  # （县发展改革局负责，持续推进）
        t.unit_source, t.unit_how = ln.where, "clause"
        _share_backwards(ex, t)
    elif not (m or paren) and (leading := leading_units(text)):
        t.lead, t.units = leading  # 区民政局（牵头）、区直各部门：公开…
        t.unit_source, t.unit_how = ln.where, "clause"
    elif roles:
        t.lead, t.units = roles
        t.unit_source, t.unit_how = ln.where, "inline"
    elif named_first := _named_first(text):
        t.units = named_first  # （十七）首都综治办、市监察局。负责组织…: its units, by name
        t.unit_source, t.unit_how = ln.where, "clause"
    elif cut := _cut_bracket(text):
        t.units = cut  # …提高10%。（省人力资源社: the crawl cut the item's own bracket
        t.unit_source, t.unit_how = ln.where, "clause"
        t.doubts.append(
            (
                "units",
                f"条目末尾的括号没有闭合（“{'、'.join(cut)}”），单位名称可能被截断，请对照原文补全",
            )
        )
    added = [u for u in ex.standing if u not in t.units and u not in t.lead]
    if added:
        t.units += added
        t.rules.append(("units", ex.standing_note))
    ex.tasks.append(t)
    return t


# an item's closing bracket cut off by the page: …见习补贴可提高10%。（省人力资源社
_CUT_BRACKET = re.compile(r"(?<=[。；;])\s*[(（]([^()（）。；;：:]{2,60})$")


def _cut_bracket(text: str) -> list[str]:
    """The names an item's unclosed last bracket starts to list, as written."""
    m = _CUT_BRACKET.search(text)
    if not m or WORK.match(m.group(1)):
        return []
    names = split_units(m.group(1))
    return names if names and re.match(r"[省市县区镇乡各]", names[0]) else []


def _clause_then_more(text: str) -> re.Match[str] | None:
    """…（责任单位：X、Y）其中，Z要…: the bracket is the measure's own, what follows goes on
    with it (measures() does not part them)."""
    return next((m for m in MID_CLAUSE.finditer(text) if GOES_ON.match(text, m.end())), None)


def _named_first(text: str) -> list[str]:
    """The units an item names as its whole first sentence, its duties after it: a
    division of duties by unit (县环保局。负责…)."""
    m = re.match(
        r"^(?:[(（]?[一二三四五六七八九十\d]{1,3}[)）.．、]\s*)?([^。，,；;：:]{2,80})。(?=.)", text
    )
    if not m:
        return []
    if WORK.match(m.group(1)):
        return []  # 不断优化签约服务团队。: a measure's title, not who does it
    names = split_units(m.group(1))
    office = re.compile(  # an office's own ending, never a meeting's (开好协调会) or a team's
        r"(局|委|办|厅|室|中心|政府|管委会|委员会|大队|中队|支队|所|站|院|处|科|股|街道|镇|乡)$"
    )
    return names if names and all(is_unit(n) and office.search(n) for n in names) else []


STANDING = re.compile(
    r"(?:^|[,，;；。])\s*以下(?:均|都|各项)?(?:(?:需|由|请)?(?P<who>[^,，;；]{2,40}?)"
    r"(?:负责)?(?:配合)?(?:落实|实施|参与)[^,，;；]*|"
    # 以下均含省林业和草原局、机械林场，不再单独列出: who every later item includes
    r"(?:含|包括|包含)(?P<among>[^,，;；]{2,40}?))"
    r"(?:[,，;；]\s*不再(?:一一|单独)?列出)?(?=[,，;；。]|$)"
)


def _standing_clause(body: str, ln: Line, ex: Extraction) -> str:
    """Note a standing clause (以下均需各片区配合落实，不再列出) and return the bracket's
    words without it; its units join this and every later item, and the review list
    says so once."""
    m = STANDING.search(body)
    if not m:
        return body
    names = [n for n in split_units(m.group("who") or m.group("among")) if n]
    if names:
        ex.standing = names
        ex.standing_note = (
            f"责任单位中的“{'、'.join(names)}”来自{ln.where}的常设条款"
            f"“{m.group(0).strip('，,；; ')}”"
        )
    return body[: m.start()] + body[m.end() :]


def _share_backwards(ex: Extraction, t: TaskDraft) -> None:
    """A clause closing a run of siblings governs those before it that have none."""
    for prev in reversed(ex.tasks):
        if prev is t:
            continue
        if (
            (prev.unit_source and prev.unit_how != "shared")
            or prev.section != t.section
            or prev.level != t.level
            or TRAILING_ROLES.search(prev.text)
        ):
            break  # an item closing with its own bracket never takes another's units
        prev.lead, prev.units, prev.unit_source = list(t.lead), list(t.units), t.unit_source
        prev.unit_how = "shared"


ATTRIBUTE_LINE = re.compile(rf"^(?:{PERSON_LABELS}|{OTHER_LABELS})\s*[:：]")
FIELD_LINE = re.compile(rf"^({UNIT_LABELS}|{TIME_LABELS}|公开路径)\s*[:：]")
FIELD = re.compile(
    rf"({UNIT_LABELS}|{TIME_LABELS}|公开路径)\s*[:：]\s*(.*?)\s*[;；]?\s*"
    rf"(?=(?:{UNIT_LABELS}|{TIME_LABELS}|公开路径)\s*[:：]|$)"
)


def field_line(ln: Line, year: int, ex: Extraction) -> None:
    """``责任单位：县财政局`` / ``完成时限：2023年6月底前`` on lines of their own after
    an item: fields of that item (units also of the siblings before it with none)."""
    t = ex.tasks[-1]
    timed: list[Due] = []
    for m in FIELD.finditer(ln.text):
        label, value = m.group(1), m.group(2).strip()
        if not value:
            continue
        if is_unit_label(label):
            roles = (
                unit_line(value)
                if not marks_lead(label) and re.search(r"(牵头|负责|配合)", value)
                else None
            )
            if roles:  # 责任单位：X牵头，Y按职责分工负责 → lead X, units Y
                t.lead.extend(n for n in roles[0] if n not in t.lead)
                t.units.extend(n for n in roles[1] if n not in t.units)
            else:
                names = split_units(value)
                if label == "主抓单位":
                    t.chief = names
                elif label == "责任单位" and t.chief:
                    # 主抓单位 are among the 责任单位: one the list lacks is a variant name,
                    # sure when one holds the other (区自然资源与生态环境处, 自然资源与生态环境处)
                    t.units = [n for n in t.units if n not in t.chief or n in names]
                    stray = [n for n in t.chief if not any(n in m or m in n for m in names)]
                    if stray:
                        t.doubts.append(
                            (
                                "units",
                                f"主抓单位“{'、'.join(stray)}”不在责任单位中，已按责任单位读取",
                            )
                        )
                (t.lead if marks_lead(label) else t.units).extend(
                    n for n in names if n not in t.units
                )
            t.unit_source, t.unit_how = ln.where, "clause"
        elif label == "公开路径":
            t.path = value
        else:
            dues = read_cell_dues(value, year)
            t.due = dues + [d for d in t.due if d.value not in {x.value for x in dues}]
            timed = dues
    if t.unit_source == ln.where:
        _share_backwards(ex, t)
    if timed and t.unit_source and t.unit_how == "clause":
        # 问题整改责任单位：X 整改时限：3天 under a list of problems: the time is theirs too
        for prev in ex.tasks[:-1]:
            if prev.unit_source == t.unit_source and not prev.due:
                prev.due = list(timed)

"""Tables, as .docx rows or text copies: the header names the columns, a short
row's cells are placed where their contents fit."""

from __future__ import annotations

import re

from plans.cn_dates import Due, read_cell_dues, read_dues
from plans.copied_tables import TEXT_COLUMN, column_label
from plans.importer.model import Extraction, Review, Target, TaskDraft
from plans.importer.units import is_unit, split_units, unit_line
from plans.labels import COLUMN_LABELS
from plans.notice import Line


def _attach_path(text: str) -> tuple[str, str | None]:
    m = re.search(r"[(（]公开路径[:：]\s*(.+?)[)）]", text)
    if not m:
        return text, None
    return text, m.group(1)


def _table_row(ln: Line, year: int, ex: Extraction, section: list[str]) -> bool:
    """A table row (.docx or ``|`` text): header rows set the column roles."""
    cells = ln.cells
    while len(cells) > 1 and not cells[-1]:
        cells = cells[:-1]  # "a | b | |": a row padded at its end, as a pipe copy gives it
    joined = "".join(cells)
    # a header's cells are names: short, or a longer name without a number or a clause
    # (进展情况、存在问题及下一步打算)
    if any(HEADER_NAME.fullmatch(re.sub(r"\s+", "", c)) for c in cells) and all(
        len(c) <= 12 or (len(c) <= 24 and not re.search(r"[\d:：，,。；;]", c)) for c in cells
    ):
        # a header cell merged across columns names each of them (工作任务 over two)
        ex.columns = []
        for c in cells:
            ex.columns.append(c or (ex.columns[-1] if ex.columns else ""))
        return True
    cols = ex.columns
    if not cols or len(cells) < 2:
        if re.search(r"(单位|名称)", joined) and re.search(r"(条数|任务数|数量|指标)", joined):
            # a per-unit quota table: 单位 | 目标任务条数 | 单位 | 目标任务条数 …
            metric = next(c for c in cells if re.search(r"(条数|任务数|数量|指标)", c))
            ex.target_metric = re.sub(r"\s+", "", metric)
            ex.in_targets = True
            return True
        pairs = [
            (cells[k], cells[k + 1])
            for k in range(0, len(cells) - 1, 2)
            if cells[k] and re.fullmatch(r"\d+", cells[k + 1])
        ]
        if ex.in_targets and pairs:
            for name, count in pairs:
                if re.fullmatch(r"(合计|小计|总计|共计)", name):
                    ex.target_total = (int(count), ln.where)
                else:
                    ex.targets.append(Target(name, int(count), ex.target_metric, ln.where))
            return True
        ex.in_targets = False
        return False
    texts: list[str] = []
    lead: list[str] = []
    units: list[str] = []
    due: list[Due] = []
    cell_of: dict[str, list[int]] = {"text": [], "units": [], "due": []}  # 1-based columns
    # A browser copy of a table gives a merged cell only in its first row: a shorter row
    # lacks some of its cells. They are placed where their contents fit the columns (a
    # unit list under a unit column, a deadline under the time column), the rightmost
    # placement where several fit as well.
    shift = _best_shift(cells, cols, year) if len(cells) < len(cols) else 0
    for k, c in enumerate(cells):
        name = cols[k + shift] if k + shift < len(cols) else ""
        if not c or re.search(r"(领导|责任人|联系人)", name):
            continue  # a person's column (责任领导 叶林) names no unit
        kind = column_label(name)
        roles = unit_line(c) if re.search(r"(牵头|配合|落实|负责)", c) else None
        if roles and kind in ("牵头单位", "责任单位", "配合单位"):
            lead += roles[0]  # "X牵头，Y按职责分工落实" in one cell
            units += roles[1]
        elif kind == "牵头单位":
            lead += split_units(c)
        elif kind in ("责任单位", "配合单位"):
            units += split_units(c)
        elif kind == "完成时限":
            due += read_cell_dues(c, year)
            cell_of["due"].append(k + 1)
            continue
        elif TEXT_COLUMN.search(name):
            texts.append(c)
            if len(c) >= max(map(len, texts)):
                cell_of["text"] = [k + 1]
            continue
        else:
            continue
        cell_of["units"].append(k + 1)
    if not texts:
        return True
    task_text = max(texts, key=len)
    # a shorter text column beside the requirement (工作任务 | 具体要求) names its group; a
    # row without it sits under the group of the row above (a merged cell)
    groups = [c for c in texts if c != task_text and len(c) <= 40]
    if shift and not groups and ex.tasks and ex.tasks[-1].unit_how == "table":
        groups = ex.tasks[-1].section[len(section) :]
    t = TaskDraft(
        text=task_text,
        section=section + groups,
        where=ln.where,
        lead=lead,
        units=units,
        due=due or read_dues(task_text, year),
        unit_source=ln.where,
        unit_how="table",
    )
    t.text, t.path = _attach_path(task_text)
    t.cells = {f: f"{ln.where}第{'、'.join(map(str, ks))}列" for f, ks in cell_of.items() if ks}
    ex.tasks.append(t)
    return True


# a header row names a unit or time column as a whole cell (配合/责任单位, 指导部门,
# 完成时限); a data cell merely ending so (各行业主管部门) is no header
HEADER_NAME = re.compile(COLUMN_LABELS)


def _column_kind(name: str) -> str:
    label = column_label(name)
    if label:
        return "due" if label == "完成时限" else "unit"
    return "text" if TEXT_COLUMN.search(name) else ""


def _cell_kind(cell: str, year: int) -> str:
    if not cell:
        return ""
    if len(cell) <= 40 and (unit_line(cell) or all(is_unit(n) for n in split_units(cell))):
        return "unit"
    if len(cell) <= 20 and read_dues(cell, year):
        return "due"
    return "text"


_FIT = {
    ("unit", "unit"): 2,
    ("due", "due"): 2,
    ("text", "text"): 1,
    ("unit", "text"): -1,
    ("unit", "due"): -2,
    ("due", "unit"): -1,
    ("due", "text"): -1,
    ("text", "unit"): -2,
    ("text", "due"): -2,
}


def _best_shift(cells: list[str], cols: list[str], year: int) -> int:
    """How many leading columns a short row lacks, judged by what its cells hold."""
    kinds = [_cell_kind(c, year) for c in cells]
    col_kinds = [_column_kind(c) for c in cols]
    best, best_score = 0, None
    for shift in range(len(cols) - len(cells) + 1):
        score = sum(_FIT.get((k, col_kinds[i + shift]), 0) for i, k in enumerate(kinds) if k)
        if best_score is None or score >= best_score:
            best, best_score = shift, score
    return best


def drop_reference_attachment(ex: Extraction, start: int, where: str) -> None:
    """Attachments whose numbered lines name no unit and no deadline, after a body whose
    tasks name their units, are reference material (a 设立指引, a form, a 承诺书), not
    tasks: they are left out, and the review list says so, so a person can add back any
    task among them."""
    body, tail = ex.tasks[:start], ex.tasks[start:]
    if not tail or not any(t.lead or t.units for t in body):
        return
    if any(t.lead or t.units or t.due for t in tail):
        return
    ex.tasks = body
    ex.review.append(
        Review(
            where,
            f"附件中的{len(tail)}条编号内容没有责任单位和完成时限，按附件的说明材料"
            "（指引、表格等）处理，未列为任务；如其中有任务，请手工补入",
            "text",
            "rule",
        )
    )


def drop_restated(ex: Extraction) -> None:
    """A plan whose attached division table restates its numbered items row by row (the
    body's item, then the table's rows with their units): an item the rows cover, that
    names no units of its own, is read from the table only. An item saying more than
    the rows (a second measure, its own bracket of units) stays."""
    rows = [_plain(t.text) for t in ex.tasks if t.unit_how == "table"]
    rows = [r for r in rows if len(r) >= 15]
    if not rows:
        return

    def restated(t: TaskDraft) -> bool:
        if t.unit_how in ("table", "clause"):
            return False
        text = _plain(t.text)
        covered = sum(len(r) for r in rows if r in text)
        return covered >= 0.8 * len(text)

    ex.tasks = [t for t in ex.tasks if not restated(t)]


def _plain(text: str) -> str:
    return re.sub(r"\W", "", text)

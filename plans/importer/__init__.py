"""From a notice to a draft plan and a review list, by general rules.

1. Metadata from the head of the document: 文号, the date under the signature
   and the issuer above it, the plan's title, its work year, 主送.
2. Structure: numbering (一、 / （一） / 1. / （1）) gives headings and items;
   a short numbered line followed by deeper ones is a heading, otherwise an
   item; an unnumbered paragraph under a heading is an item too. Sections such
   as 总体要求/指导思想 state principles, not tasks.
3. Units, by the clause grammar of the notices: a trailing clause
   （牵头单位：…；责任单位：…） on an item (and on the items before it that have
   none) or on the heading above it, labelled lines (责任单位：…) under an item,
   a unit line after a run of items (two lines: lead, then units; or
   "X牵头，Y按职责分工落实"), table cells (工作任务 | 牵头单位 | 责任单位 …);
   where a part of the notice marks none, the subjects of its sentences.
4. Deadlines by ``plans.cn_dates``; plan-wide checkpoints from sentences about
   the plan itself (its task list, checks, a 回头看, a completion report,
   publication, recurring meetings) in the cover letter, in supervision
   sections, or naming the plan.
5. The review list names everything read with low confidence, and, given a unit
   directory, every unit name it cannot place.

Whatever is uncertain goes into the review list, never silently into the plan.
"""

from __future__ import annotations

import re
from pathlib import Path

from plans.cn_dates import forget_dues
from plans.directory import Directory
from plans.importer.body import MAX_ITEMS, TABLE_HEADS, parse_body
from plans.importer.checkpoints import find_checkpoints
from plans.importer.draft import REVIEWED, diff_plans, draft_plan, draft_yaml, dump_plan
from plans.importer.meta import read_meta
from plans.importer.model import CheckpointDraft, Extraction, Review, TaskDraft
from plans.importer.review import check_units, review_fields
from plans.importer.self_check import check as self_check
from plans.importer.subjects import units_from_sentences
from plans.importer.units import first_unit_leads
from plans.notice import read_notice
from plans.notice_limits import NoticeProblem

__all__ = [
    "MAX_ITEMS",
    "REVIEWED",
    "CheckpointDraft",
    "Extraction",
    "NoticeProblem",
    "Review",
    "TaskDraft",
    "diff_plans",
    "draft_plan",
    "draft_yaml",
    "dump_plan",
    "extract",
]


def extract(path: Path, directory: Directory | None = None) -> Extraction:
    """Read a notice; with a unit directory, every unit name is checked against it."""
    forget_dues()  # the readings are remembered within one notice only
    lines = read_notice(path)
    ex = Extraction(path)
    if not lines:
        raise NoticeProblem(f"{path}: 文件是空的")
    body_start = read_meta(lines, ex)
    year = ex.meta["year"].value if "year" in ex.meta else 2000
    cover = lines[:body_start]
    find_checkpoints(cover, year, ex, in_cover=True)
    end = len(lines) if ex.body_end is None else ex.body_end
    body = [lines[i] for i in range(body_start, end) if i not in ex.signature]
    parse_body(body, year, ex)
    units_from_sentences(ex)
    first_unit_leads(ex, [ln.text for ln in lines])
    find_checkpoints(body, year, ex, in_cover=False, sections=ex.sections)
    if not ex.tasks:
        text = "".join(ln.text for ln in lines)
        sent = re.search(r"现将[^。]{0,80}?(《[^》]{2,80}》)[^。]{0,30}印发给你们", text)
        if sent:  # the cover letter alone: its table is an attachment the copy left out
            raise NoticeProblem(
                f"{path}: 这是印发{sent.group(1)}的通知正文，没有附带任务分工"
                f"表。请导入含附件{sent.group(1)}全文（任务条目及牵头、责任单位）的文件"
            )
        cells = {re.sub(r"[|｜\s]", "", ln.text) for ln in lines}
        if heads := [h for h in TABLE_HEADS if h in cells]:
            raise NoticeProblem(  # a table whose rows the copy broke beyond reading
                f"{path}: 读到了分工表的表头（{'、'.join(heads)}），但没能按行读出任务条目："
                "表格在复制或网页转存时变了形（合并单元格、断行）。请改用原件导入"
                "（.docx、.xlsx、.pdf，或网页另存为 .html），或手工编写计划"
            )
        raise NoticeProblem(
            f"{path}: 没有识别出任何任务条目（编号条目、责任单位或分工表）。"
            "这份文件可能不是任务分工方案；请检查文件，或手工编写计划"
        )
    if len(ex.tasks) > MAX_ITEMS:
        raise NoticeProblem(
            f"{path}: 读出 {len(ex.tasks)} 项任务，超过一份通知的上限 {MAX_ITEMS} 项"
            "（真实的分工方案不过数百项）。请确认选对了文件"
        )
    self_check(ex, year)
    review_fields(ex)
    if directory is not None:
        check_units(ex, directory)
    else:
        ex.review.append(
            Review("单位", "未提供单位名录（--units），单位名称未逐一核对", "directory")
        )
    return ex

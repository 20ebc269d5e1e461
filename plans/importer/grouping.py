"""How the body's lines are grouped before they are read: a number opens a heading or an
item (numbering), a task's card puts each value under its label (card_fields), and a
measure's title on a line of its own opens the paragraphs under it (titled_measures)."""

from __future__ import annotations

import re

from plans.copied_tables import header_cell
from plans.importer.items import FIELD_LINE
from plans.importer.subjects import opening_subject
from plans.importer.units import CLAUSE, TRAILING_ROLES, unit_line
from plans.labels import TIME_LABELS, UNIT_LABELS
from plans.notice import Line

CN = "一二三四五六七八九十"
H1 = re.compile(rf"^([{CN}]+)[、.．]\s*(.*)$")
H2 = re.compile(rf"^[(（]([{CN}]+)[)）]\s*(.*)$")
# 1. / 12、 / 1公开…; a long list (a 政府工作报告's 204.) numbers on past 99, with a stop
H3 = re.compile(
    r"^(\d{1,2}|\d{3}(?=[.．、](?!\d)))(?:[.．、]|(?=[^\d.．、年月日%个项万亿余条家:：/\-)）]))\s*(.*)$"
)
H4 = re.compile(r"^[(（]?(\d{1,2})[)）]\s*(.*)$")  # (1) and 1) alike
CIRCLED = re.compile(r"^([①-⑳])\s*(.*)$")


def numbering(text: str) -> tuple[int, str] | None:
    for level, rx in ((1, H1), (2, H2), (3, H3), (4, H4), (5, CIRCLED)):
        m = rx.match(text)
        if m:
            return level, m.group(2)
    return None


# a task's card: each label on a line of its own, its value on the next (具体任务 / … /
# 责任单位 / … / 完成时限 / …), as a portal prints one task a page
TASK_NAME = re.compile(r"具体任务|工作任务|任务内容|重点任务|主要任务|任务名称")
CARD_LABEL = re.compile(
    rf"(?:具体任务|工作任务|任务内容|重点任务|主要任务|任务名称|{UNIT_LABELS}|{TIME_LABELS})"
)
TASK_LABEL = re.compile(r"^(?:具体任务|工作任务|任务内容|重点任务|主要任务|任务名称)[:：]\s*(?=\S)")


def card_fields(lines: list[Line]) -> tuple[list[Line], set[int]]:
    """A task's card, label and value alternating from a task label on (具体任务 / text /
    责任单位 / names …): each label joined with the value below it. A table's header,
    its names one per line, never alternates so."""
    out: list[Line] = []
    tasks: set[int] = set()  # where in ``out`` a card's task is
    k = 0

    def alone(i: int, rx: re.Pattern[str]) -> bool:
        return i < len(lines) and not lines[i].cells and bool(rx.fullmatch(lines[i].text.strip()))

    while k < len(lines):
        if (
            alone(k, TASK_NAME)
            and alone(k + 2, CARD_LABEL)
            and not alone(k + 1, CARD_LABEL)
            and len(lines[k + 1].text) >= 10  # a task, not the next header cell (具体要求)
            and not header_cell(lines[k + 1].text)
        ):
            tasks.add(len(out))
            while alone(k, CARD_LABEL) and k + 1 < len(lines) and not alone(k + 1, CARD_LABEL):
                ln, value = lines[k], lines[k + 1]
                out.append(Line(ln.no, f"{ln.text.strip()}：{value.text}", ln.cells, ln.where))
                k += 2
            continue
        out.append(lines[k])
        k += 1
    return out, tasks


# a measure's title, a sentence of its own on its line: （一）统筹建设监管工作平台。
_TITLE = re.compile(r"[^，,；;：:。]{2,32}。")


def titled_measures(lines: list[Line]) -> list[Line]:
    """A numbered measure whose title stands on a line of its own, its paragraphs under
    it with no number, bracket or label of their own (（一）统筹建设监管工作平台。 / 各省
    （区、市）人民政府要…): the title and its paragraphs are one item, as on the page the
    title opens the paragraph."""
    nums = [numbering(ln.text) for ln in lines]
    out: list[Line] = []
    k = 0
    while k < len(lines):
        ln, num = lines[k], nums[k]
        j = k + 1
        while (
            j < len(lines)
            and nums[j] is None
            and not lines[j].cells
            and len(lines[j].text) >= 20
            and re.search(r"[，,。]", lines[j].text)
            and not (CLAUSE.search(lines[j].text) or TRAILING_ROLES.search(lines[j].text))
            and not FIELD_LINE.match(lines[j].text)
            and unit_line(lines[j].text) is None
        ):
            j += 1
        after = nums[j] if j < len(lines) else None
        if (
            num is not None
            and num[0] == 2  # a caption 1.政府网站。 heads a group of its own (BodyReader._item)
            and not ln.cells
            and _TITLE.fullmatch(num[1])
            and j > k + 1
            and (j == len(lines) or (after is not None and after[0] <= num[0]))
            # 市大数据局负责…/市财政局负责…: paragraphs each of their own unit stay apart
            and sum(bool(opening_subject(x.text)[1]) for x in lines[k + 1 : j]) < 2
        ):
            paragraphs = "".join(x.text for x in lines[k + 1 : j])
            out.append(Line(ln.no, ln.text + paragraphs, ln.cells, ln.where))
            k = j
            continue
        out.append(ln)
        k += 1
    return out

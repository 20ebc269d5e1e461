"""Text an archive, a CMS export or a PDF copy joined onto one line, parted again.

A web archive keeps a page's body on one line (joined by a space or by nothing); a table
flattened with it keeps its header's column names glued and each row's unit cells glued
after its requirement. ``reflow`` cuts such a line where a paragraph must have begun and
turns a flattened table's unit cells into labelled lines (牵头单位：/责任单位：) that the
body reader reads as it reads a notice with its line breaks.
"""

from __future__ import annotations

import itertools
import re

from plans.cn_dates import cn_number
from plans.glued_names import WORK, cells_at
from plans.labels import (
    COLUMN_LABELS,
    OTHER_LABELS,
    PERSON_LABELS,
    STRONG_LABELS,
    TIME_LABELS,
    UNIT_LABELS,
    marks_lead,
)
from plans.numbered_rows import BACK_MATTER, DUE_CELL, glued_rows
from plans.text import COUNTED, UNIT_SUFFIX

# A line this long holds several paragraphs: a web archive, a CMS export or a PDF copy
# joined them (by a space, or by nothing). It is split where a paragraph must have begun:
# at a space between Chinese characters (Chinese prose has none), before the next number
# of a numbering sequence (一、 （一） 1． （1） ①), and before a labelled field
# (牵头单位： …) that does not sit inside brackets.
REFLOW_AT = 200
_CN = "一二三四五六七八九十"
_FAMILIES = (
    ("h1", rf"[{_CN}]{{1,3}}、"),
    ("h2", rf"[（(][{_CN}]{{1,3}}[）)]"),
    ("h3", r"\d{1,2}[．.、﹒](?:(?![\d%％])|(?=(?:19|20)\d\d年))"),  # 1.2017年10月底前…
    ("h4", r"[（(]\d{1,2}[）)]"),
    ("h5", "[①-⑳]"),
    ("card", r"【(?:任务|事项|项目|工作)?\d{1,3}】"),  # 【任务1】: a task's card
    # 1公开… : a number with no stop after it, taken only after a sentence's end
    ("bare", rf"(?<![\d.．])\d{{1,2}}(?=[\u4e00-\u9fff])(?![{COUNTED}])"),
)
MARKS = re.compile("|".join(f"(?P<{name}>{rx})" for name, rx in _FAMILIES))
# a label's start, the whole label taken so that 责任单位 in 牵头责任单位 is not cut again
_LABEL = re.compile(
    rf"(?<=[\u3400-\u9fff。；！？”])(?:{STRONG_LABELS}|{TIME_LABELS}|{PERSON_LABELS}|"
    rf"{OTHER_LABELS})[：:]"
)
# A 职责分工 chapter's paragraphs, each opening with the unit whose duties it lists
# (三、职责分工区经济发展局：负责…。区公安局：负责…。): in a glued line, inside such a chapter
# (from its heading to the next chapter's) and two or more of them, each begins a paragraph,
# and the first is parted from the heading it is glued to.
_DUTIES_HEADING = re.compile(
    r"(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[）)])"
    rf"[\u4e00-\u9fa5]{{0,6}}(?:分工|职责)(?:(?P<unit>[\u4e00-\u9fa5]{{2,20}}?{UNIT_SUFFIX})(?=[：:]))?"
)
_NEXT_CHAPTER = re.compile(r"(?<=[。；;])[一二三四五六七八九十]{1,3}、")
_NO_DUTIES = re.compile(r"(?:成员|联系|报送|参会|主办|承办|协办)(?:单位|部门)$")
_UNIT_LABEL = re.compile(rf"(?<=。)[\u4e00-\u9fa5]{{2,20}}?{UNIT_SUFFIX}(?=[：:][\u4e00-\u9fa5])")
# …职责如下：县环保局。负责…。县交通局、公路局。负责…: a unit's name, a stop, its duties
_UNIT_STOP = re.compile(
    rf"(?<=[。：:；;])(?:[\u4e00-\u9fa5]{{2,20}}?{UNIT_SUFFIX}、)*[\u4e00-\u9fa5]{{2,20}}?"
    rf"{UNIT_SUFFIX}(?=。(?:负责|承担|牵头))"
)
# The cover letter's parts, glued: the addressee after the title (…的通知各乡镇人民政府，
# 市政府各部门：), and the signature (…。宁安市人民政府办公室二〇二二年三月十五日) before
# what follows it (the attachment's title).
_CN_DATE = (
    r"(?:(?:19|20)\d\d|二[〇○零][〇○零一二三四五六七八九]{2})年"
    r"[\d一二三四五六七八九十]{1,3}月[\d一二三四五六七八九十]{1,3}日"
)
_ADDRESSEE = re.compile(r"(?:通知|号)(?P<to>各[^。：:；]{1,80}[：:])")
# The 文号 glued between the title and the addressee (…的通知渝府办发〔2021〕50号各区县…),
# and a portal's stamp (发布时间:2024-08-03 17:51)
_GLUED_NO = re.compile(
    r"(?:通知|意见|方案|要点|分工|办法|决定|安排)"
    r"(?P<cut>(?:(?!通知|的)[\u4e00-\u9fa5]){1,8}[〔\[［]\s*(?:19|20)\d\d\s*[〕\]］]\s*\d{1,4}\s*号)"
)
_STAMP = re.compile(
    r"(?P<cut>(?:发布时间|发布日期)[:：]\s*\d{4}-\d\d-\d\d\s*(?:\d\d?:\d\d(?::\d\d)?)?)"
)
_SIGNED = re.compile(
    r"(?:(?<=[。！？])(?P<org>[\u3400-\u9fff（）()]{2,30}?))?"
    r"(?:办公室|政府|委员会|管委会|局|厅|委|办|中心|小组)"
    rf"(?P<date>{_CN_DATE})"
    r"(?=[\u3400-\u9fff(（]|(?:19|20)\d\d年)(?![前后起至以之内止的第召])"
)
# (此件公开发布) under the signature, before what follows it
_PUBLISHED = re.compile(r"(?P<cut>[(（]此件[^()（）]{2,8}[)）])")
# The 版记 at the notice's end, glued after its last sentence: 抄送：…。 and the imprint
# line (某市人民政府办公室  2021年5月12日印发), each a paragraph of its own.
_IMPRINT = re.compile(rf"(?<=[。！？])(?:{BACK_MATTER.pattern})")
# How a plan's title ends (…工作方案, …工作要点, …任务分工)
_TITLE_END = "方案|要点|分工|计划|安排|清单|意见|办法|细则"
# The date under a cover letter that prints no signature (…请遵照执行。二〇一七年二月二十四日)
_DATED = re.compile(
    rf"(?<=[。！？]){_CN_DATE}(?=[\u3400-\u9fff])(?![前后起至以之内止的])"
    rf"(?=[^。，,；;]{{4,60}}?(?:{_TITLE_END}|通知))"
)
# The signature's date glued to the attachment's title that follows it.
_DATE_THEN_TITLE = re.compile(
    rf"^({_CN_DATE})(?=[\u3400-\u9fff]{{4}})(?![前后起至以之内止的])"
    rf"(?=.*(?:{_TITLE_END})$)"
)
# 附件1 glued between what ends the body (…有关要求) and the attachment's title
_ATTACHMENT = re.compile(
    r"(?:[。；！？”》）)]|要求|任务|方案|清单|分工|目录|办法|制度|细则|安排|计划)"
    r"(附件\s*(?:\d{1,2}|(?=[：:])))(?=[：:\u4e00-\u9fff]|(?:19|20)\d\d年)"
)
# a space between paragraphs an archive glued: after Chinese text or a closing bracket,
# full-width or ASCII (…（牵头单位：X） 平潭县国土资源局 / …(牵头单位:X) 平潭县…)
_SPACE = re.compile(
    r"(?<=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef)])[ \t\u3000]+"
    r"(?=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef\d（(①-⑳])"
    # the imprint line (版记) under 抄送 is one: 某市人民政府办公室  2021年5月12日印发
    r"(?![ \t\u3000]*(?:19|20)\d\d年\d{1,2}月\d{1,2}日\s*印发(?![的了《]))"
)


def _value(name: str, mark: str) -> int:
    if name == "h5":
        return ord(mark) - ord("①") + 1
    digits = re.sub(r"[^\d]", "", mark)
    return int(digits) if digits else cn_number(re.sub(f"[^{_CN}]", "", mark)) or 0


def _numbered_starts(text: str) -> list[int]:
    """Where the next number of a sequence begins: 二、 only after 一、 was seen, （一） may
    restart under a new 一、. A lone 3、 inside a sentence is not a new paragraph."""
    last: dict[str, int] = {}
    heading: dict[str, str] = {}
    starts = []
    h1_at = 0
    for m in MARKS.finditer(text):
        name = m.lastgroup or ""
        if name == "bare":  # 1公开… counts on with 2. and 3.
            if not m.start() or text[m.start() - 1] not in "。；！？）)〕」”":
                continue
            name = "h3"
        value = _value(name, m.group(0))
        if (m.start() and text[m.start() - 1] in "第至和、—-～~（(") or text[
            m.end() : m.end() + 1
        ] in ("。", "，", "、", "；", "：", "）", ")"):
            continue  # 第二、三季度, 附件（一）。: a number inside a sentence
        words = text[m.end() : m.end() + 8]
        again = value == last.get(name) and words == heading.get(name)  # a merged cell, repeated
        # an attachment's own 一、 after the cover letter's 一、二、三、: after its marker, or
        # after the letter's signature (…办公室2022年12月27日（此件公开发布）…)
        anew = (
            name == "h1"
            and value == 1
            and bool(last.get("h1"))
            and ("附件" in text[h1_at : m.start()] or _SIGNED.search(text, h1_at, m.start()))
        )
        if value == last.get(name, 0) + 1 or (value == 1 and name != "h1") or again or anew:
            last[name], heading[name] = value, words
            starts.append(m.start())
            h1_at = m.start() if name == "h1" else h1_at
    return starts


# A table flattened with its text: a header of column names glued together
# (工作任务工作要求牵头单位配合/责任单位), then rows whose cells are glued too.
_HEADER_CELL = (
    r"(?:序号|重点工作任务|工作任务|重点任务|主要任务|工作要求|具体举措|工作措施|具体措施|主要内容|工作内容|目标任务|"
    rf"{COLUMN_LABELS}|具体要求|具体任务|任务内容|备注|"
    r"[\u4e00-\u9fff]{2}(?:举措|事项|范围|措施|内容|任务))"
)
_FLAT_HEADER = re.compile(rf"(?:{_HEADER_CELL}[/／]?){{3,}}")
_UNIT_COLUMN = re.compile(UNIT_LABELS)
_ROW_START = re.compile(rf"^\d{{1,2}}(?:[．.、]|(?![{COUNTED}])(?=[\u4e00-\u9fff]))")


# A row's task cell glued before its requirement: a numbered heading of one short sentence
_TASK_CELL = re.compile(rf"^(?:[{_CN}]{{1,3}}、|[（(][{_CN}]{{1,3}}[）)])[^。，,；;]{{2,24}}。")


def _flattened_rows(parts: list[str]) -> list[str]:
    """After a flattened header with unit columns, the table as a copy with line
    breaks gives it: the header's cells, then each requirement and each of its unit
    cells on a line of its own (several lead cells glued before the units cell are
    one lead cell of several names). A run of cells the archive set apart by a space
    (its own part) had an empty lead cell before it, written 无 as an office would."""
    start = next(
        (
            i
            for i, p in enumerate(parts)
            if (m := _FLAT_HEADER.search(p)) and _UNIT_COLUMN.search(m.group(0))
        ),
        None,
    )
    if start is None:
        return parts
    header = _FLAT_HEADER.search(parts[start])
    assert header is not None
    leads = any(marks_lead(m.group(0)) for m in re.finditer(_HEADER_CELL, header.group(0)))
    out = [*parts[:start], parts[start][: header.start()]]
    names = [m.group(0) for m in re.finditer(_HEADER_CELL, header.group(0))]
    whole = "".join(names) == re.sub(r"[/／]", "", header.group(0))  # every column named
    rest = "".join([parts[start][header.end() :], *parts[start + 1 :]])
    if (
        whole and (rows := glued_rows(names, rest)) is not None
    ):  # a numbered table: its rows parted at their numbers
        for row in rows:
            out += [row] if "|" in row else reflow(row, joined=True)
        return [p for p in out if p.strip()]
    out += names
    spaced = False  # the last part was a run of cells set apart by a space
    for k, part in enumerate([parts[start][header.end() :], *parts[start + 1 :]]):
        cells, end = cells_at(part, 0)
        if k and cells and end == len(part) and not _ROW_START.match(part):
            if spaced and leads and out[-2] == "无":
                out[-2:] = [out[-1]]  # two spaced runs: the lead cell, then the units cell
                out.append("、".join(cells))
            else:
                out += ["无", "、".join(cells)] if leads else ["、".join(cells)]
            spaced = True
            continue
        spaced = False
        if (head := _TASK_CELL.match(part)) and head.end() < len(part):
            out.append(head.group(0))  # (二)做好财政信息公开。: the task cell of the row
            part = part[head.end() :]
        for kind, words in glued_cells(part):
            if kind == "cells" and leads and len(words) > 2:
                words = ["、".join(words[:-1]), words[-1]]
            out += words
    return [p for p in out if p.strip()]


# what follows a unit named as a sentence's subject (市财政局要…), not as a table cell
_SUBJECT_GOES_ON = re.compile(
    r"^(?:要|应|须|将|可|会同|负责|牵头|按|对|在|组织|指导|协调|统筹|是|为|与|和|及(?!时)|的)"
)

# a section's heading glued between a unit cell and the next numbered requirement: a short
# phrase with no stop (…传播。市政府办公室推进基层政务公开标准化规范化32.已经…)
_HEADING_THEN_ITEM = re.compile(
    r"[^。，,；;：:！？]{2,30}?(?=\d{1,2}[.．、](?!\d)|[（(][一二三四五六七八九十]{1,3}[）)]|$)"
)


_GROUP = re.compile(r"^(?:各|有关|相关)|各|等$|牵头|配合|按职责|负责")


def glued_cells(part: str) -> list[tuple[str, list[str]]]:
    """A flattened table's stretch parted: each requirement ("text"), and the unit
    cells glued after it ("cells"), as a copy with line breaks would give them."""
    out: list[tuple[str, list[str]]] = []
    last = 0
    for m in re.finditer(r"[。）)〕]", part):
        j = m.end()
        if j < last or j >= len(part) or part[j] in "。，,；;：:）)、":
            continue
        cells, end = cells_at(part, j)
        if not cells or (
            len(cells) == 1
            and end < len(part)
            and not _HEADING_THEN_ITEM.match(part, end)
            and (
                _SUBJECT_GOES_ON.match(part[end:])
                or (WORK.match(part, end) and not _GROUP.search(cells[0]))
            )
        ):
            continue  # 市财政局要…, 区政府办公室加强…: a sentence's subject, unless a second
            # name is glued on, the next item's number follows, a heading does, or the cell
            # names a group (各区县政府公开本区县…: a units cell, then the next requirement)
        if part.startswith("。", end) and cells_at(part, end + 1)[0]:
            # a cell of two sentences: 市直各部门、各镇街。市发展改革局按照职责分工强化监管。
            stop = part.find("。", end + 1)
            if 0 < stop - end <= 80 and not _numbered_starts(part[end + 1 : stop]):
                cells[-1] += part[end : stop + 1]
                end = stop + 1
        if part.startswith("。", end):
            end += 1  # the cell's own stop (区政府有关部门，各乡镇人民政府。)
        out += [("text", [part[last:j]]), ("cells", cells)]
        last = end
    rest = part[last:]
    return [*out, ("text", [rest])] if rest.strip() else out


# …达到90%。──由市卫生局会同有关部门组织落实。: the dashed line of units under its item
_DASHED_UNITS = re.compile(r"(?<=[。；;])\s*(?:─{2,}|—{2}|-{2,})(?=由)")


# A header cell set out letter by letter (主 要 内 容), three to five letters glued to what
# stands around it: its spaces part no paragraphs.
_LETTER_SPACED = re.compile(r"(?<! )[\u4e00-\u9fff](?: [\u4e00-\u9fff]){2,4}(?! [\u4e00-\u9fff])")


def _duties_paragraphs(text: str) -> list[int]:
    """Where each unit's paragraph of a glued 职责分工 chapter begins."""
    starts = []
    for head in _DUTIES_HEADING.finditer(text):
        end = next((m.start() for m in _NEXT_CHAPTER.finditer(text, head.end())), len(text))
        labels = [
            m.start()
            for m in _UNIT_LABEL.finditer(text, head.end(), end)
            # 责任单位：, 成员单位：, 联系单位： label a list or a contact, no unit's duties
            if not re.fullmatch(UNIT_LABELS, m.group(0)) and not _NO_DUTIES.search(m.group(0))
        ]
        labels += [  # …领导小组下设办公室。负责日常工作: what was set up, no unit's paragraph
            m.start()
            for m in _UNIT_STOP.finditer(text, head.end(), end)
            if not re.search("下设|设立|成立|组建", m.group(0))
        ]
        if len(labels) + bool(head.group("unit")) >= 2:
            starts += labels + ([head.start("unit")] if head.group("unit") else [])
    return starts


def reflow(text: str, *, joined: bool = False) -> list[str]:
    """A line of ``REFLOW_AT`` characters or more (any line, when it is ``joined`` as
    the words before a glued table are) as the paragraphs it joins."""
    if len(text) < REFLOW_AT and not joined:
        return [text]
    text = _LETTER_SPACED.sub(lambda m: m.group(0).replace(" ", ""), text)
    cuts = {m.end() for m in _SPACE.finditer(text)} | {m.start() for m in _LABEL.finditer(text)}
    cuts |= set(_numbered_starts(text))
    cuts |= {
        i
        for m in _SIGNED.finditer(text)
        # the imprint line (某市人民政府办公室2021年5月12日印发) stays whole; a sentence
        # citing a paper (…办公室2021年5月12日印发的《办法》) is not parted at all
        for i in (
            (m.start("org"),)
            if text.startswith("印发", m.end())
            else (m.start("org"), m.start("date"), m.end("date"))
        )
        if i >= 0 and not re.match(r"印发[的了《]", text[m.end() : m.end() + 3])
    }
    cuts |= {i for m in _DATED.finditer(text) for i in (m.start(), m.end())}
    cuts |= {m.start() for m in _DASHED_UNITS.finditer(text)}
    cuts |= set(_duties_paragraphs(text))
    for rx in (_GLUED_NO, _STAMP, _PUBLISHED):
        cuts |= {i for m in rx.finditer(text) for i in m.span("cut")}
    cuts |= {m.start() for m in _IMPRINT.finditer(text)}
    cuts |= {i for m in _ADDRESSEE.finditer(text) for i in (m.start("to"), m.end("to"))}
    cuts |= {  # 附件：title: the colon stays with 附件
        i
        for m in _ATTACHMENT.finditer(text)
        for i in (m.start(1), m.end(1) + (text[m.end(1) : m.end(1) + 1] in "：:"))
    }
    inside = _bracketed(text)  # never inside brackets: （牵头单位：X；责任单位：Y）
    ordered = sorted(c for c in cuts if 0 < c < len(text) and c not in inside)
    parts = [text[a:b] for a, b in zip([0, *ordered], [*ordered, len(text)], strict=True)]
    return _flattened_rows([p.strip() for p in parts if p.strip()])


def _bracketed(text: str) -> set[int]:
    """The positions inside a pair of brackets that close: a bracket a crawl cut off
    (…提高10%。（省人力资源社（二）积极稳妥…) pairs with nothing and parts no later
    paragraphs, as counting depth would make it do."""
    depth = [0] * (len(text) + 2)
    opened: list[int] = []
    for i, ch in enumerate(text):
        if ch in "（(〔":
            opened.append(i)
        elif ch in "）)〕" and opened:
            depth[opened.pop() + 1] += 1
            depth[i + 1] -= 1
    inside, level = set(), 0
    for i in range(len(text)):
        level += depth[i]
        if level > 0:
            inside.add(i)
    return inside


def date_then_title(parts: list[str]) -> list[str]:
    """2023年3月30日某区治理工作方案: the signature's date, then the plan's title; and,
    right after that date only, a title glued to the first sentence under it
    (…工作计划按照镇政府关于…)."""
    out: list[str] = []
    for text in parts:
        m = _DATE_THEN_TITLE.match(text)
        pieces = [m.group(1), text[m.end(1) :]] if m else [text]
        dated = bool(m) or bool(out and re.fullmatch(_CN_DATE, out[-1]))
        if dated and (m := _TITLE_THEN_BODY.match(pieces[-1])) and not MARKS.match(pieces[-1]):
            pieces[-1:] = [m.group(1), pieces[-1][m.end(1) :]]
        out += pieces
    return out


_TITLE_THEN_BODY = re.compile(
    rf"^([^。，,；;：:]{{6,60}}?(?:{_TITLE_END}))"
    r"(?=(?:按照|根据|为了|为贯彻|为进一步|为切实|为全面|经|现将|结合|围绕)[^。]{4,}。)"
)


def glued_table(raw: list[tuple[int, str, list[str]]]) -> list[tuple[int, str, list[str]]]:
    """A table an archive glued onto one line keeps its bars ("序号 | 重点工作 | … | 1 | …"):
    give each cell a line and its bar the next, as a CMS export does, for the cell
    reader. The words before the first bar end with the first header cell."""
    out: list[tuple[int, str, list[str]]] = []
    for no, t, row in raw:
        if row or len(t) < REFLOW_AT or t.count("|") < 8:
            out.append((no, t, row))
            continue
        first, *cells, last = t.split("|")
        before, head = _header_apart(first.strip())
        out += [(no, p, []) for p in reflow(before, joined=True)] if before else []
        cells = [c.strip() for c in [head, *cells]]
        width = next((k for k, c in enumerate(cells) if not _HEADERISH.search(c)), 0)
        body = cells[width:]
        while body and not body[-1]:
            body.pop()
        if width >= 3 and body and not body[0].isdigit() and len(body) % width == 0:
            # pipe rows without a 序号 to start each: the header's width parts them
            for k in range(0, len(cells[:width]) + len(body), width):
                row = (cells[:width] + body)[k : k + width]
                out.append((no, " | ".join(row), row))
        else:
            for cell in cells:
                out += [(no, cell, []), (no, "|", [])]
        if last.strip():
            out.append((no, last.strip(), []))
    return out


def spaced_table(raw: list[tuple[int, str, list[str]]]) -> list[tuple[int, str, list[str]]]:
    """A table given one cell per line that an archive joined onto one line by spaces
    ("…如下。 序号 工作任务 具体措施 牵头单位 … 1 推进… 市政府办公室 …"): from its header
    of column names (序号 first) on, each space ends a cell (a Chinese cell holds none),
    so each cell gets a line and a bar the next, as glued_table gives a barred one."""
    out: list[tuple[int, str, list[str]]] = []
    for no, t, row in raw:
        words = t.strip().split(" ") if not row and len(t) >= REFLOW_AT and "|" not in t else []
        start = next(
            (
                k
                for k in range(len(words) - 2)
                if words[k] == "序号"
                and all(_HEADERISH.search(w) and len(w) <= 10 for w in words[k : k + 3])
                and any(re.fullmatch(UNIT_LABELS, w) for w in words[k : k + 8])
            ),
            None,
        )
        # each row opens with its 序号 as a word of its own (1, 2, 3…): a cell holding
        # paragraphs of its own (1公开… 2.公开…) would be parted at their spaces too
        rows = [] if start is None else [w for w in words[start:] if w.isdigit() and len(w) <= 3]
        if start is None or [int(w) for w in rows[:3]] != [1, 2, 3]:
            out.append((no, t, row))
            continue
        before = " ".join(words[:start])
        out += [(no, p, []) for p in reflow(before, joined=True)] if before else []
        # the table ends where the page goes on past it: its 附件, 抄送 or a signature's date
        end = next((k for k in range(start, len(words)) if _PAST_TABLE.match(words[k])), None)
        cells: list[str] = []
        names = list(itertools.takewhile(_HEADERISH.search, words[start:]))
        one_time_column = sum(bool(re.search(r"时限|时间|期限", w)) for w in names) == 1
        for cell in words[start:end]:
            if (
                cells
                and one_time_column
                and DUE_CELL.fullmatch(cell)
                and DUE_CELL.fullmatch(cells[-1])
            ):
                cells[-1] += "、" + cell  # a deadline cell of two lines (10月15日前 年底前)
            elif cell:
                cells.append(cell)
        for cell in cells:
            out += [(no, cell, []), (no, "|", [])]
        after = " ".join(words[end:]) if end is not None else ""
        out += [(no, p, []) for p in reflow(after, joined=True)] if after else []
    return out


_PAST_TABLE = re.compile(r"附件|抄送|(?:19|20)\d\d年\d{1,2}月\d{1,2}日$")


def _header_apart(first: str) -> tuple[str, str]:
    """The words before a glued table, and its first header cell. A space parts them
    when the archive joined by one; glued by nothing, the cell is the shortest ending
    that names a column (单位, 序号), or the common four-character name it ends
    (工作任务, 责任单位)."""
    before, _, head = first.rpartition(" ")
    if _HEADERISH.search(head) and len(head) <= 10:
        return before, head
    for size in (4, 2, 3):
        cell = first[-size:]
        if _HEADERISH.search(cell) and (size != 4 or cell in _WHOLE_HEADER_CELLS):
            return first[:-size], cell
    return before, head


_WHOLE_HEADER_CELLS = {
    "工作任务", "重点任务", "主要任务", "工作内容", "工作要求", "具体措施", "工作措施",
    "牵头单位", "责任单位", "配合单位", "责任部门", "牵头部门", "完成时限", "完成时间",
    "重点工作", "任务内容", "目标任务", "时间节点",
}  # fmt: skip

# A header cell: a column of what is done, of who does it, or of when
_HEADERISH = re.compile(
    r"^[\u4e00-\u9fa5\s]{0,8}(序号|任务|要求|内容|措施|举措|事项|名称|工作|单位|部门|科室|处室|时限|时间|"
    r"期限|安排|领导|备注|条数|数量|分值)$"
)

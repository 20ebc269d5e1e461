"""A numbered table an archive glued onto one line, parted again at its row numbers.

A web archive that joins a page's lines by nothing glues a table's cells too: the header
(序号工作任务具体措施牵头单位配合单位完成时限), then each row's number, its text, its unit
cells and its deadline, with the next row's number right after the deadline
(…设备。市政府办公室各县区政府次年1月20日前2对照…). The rows are found by their numbers
counting on (1, 2, 3 …), and a row is only parted where what ends it reads as the cells a
row ends with: unit names, an empty cell's "/", a deadline. Each row is given back as a
barred row under the header, for the table reader to place its cells by the header.
"""

from __future__ import annotations

import re

from plans.glued_names import cells_at, name_end
from plans.labels import TIME_LABELS, UNIT_LABELS, marks_lead
from plans.text import COUNTED, PAGE_NUMBER

# A deadline cell: dates, 年底前, 长期坚持, 每季度末 …, several glued (10月15日前年底前).
_WHEN = (
    r"(?:(?:19|20)\d\d年(?:度)?|次年|当年|今年)?"
    r"(?:\d{1,2}月(?:\d{1,2}日|上旬|中旬|下旬|底|末)?|年底|年末|年内|上半年|下半年|全年|"
    r"[一二三四]季度(?:末)?|第[一二三四]季度(?:末)?|(?<=年)(?:底|末|内|度))"
    r"(?:前|以前|之前|内)?(?:完成)?"
    r"|(?:19|20)\d\d年(?:起)?(?![\d一二三四五六七八九十])"  # 2025年, 2023年起
)
DUE_CELL = re.compile(
    rf"(?:(?:{_WHEN}|长期坚持|长期|持续推进|持续开展|持续|常态化(?:推进)?|按需|"
    r"(?:每|按)(?:月|季度|半年|年)(?:\d{1,2}日(?:至\d{1,2}日)?)?(?:前|末|底)?(?:至少\d+次)?)"
    r"[，,、；;和及至]?)+"
)
_EMPTY = re.compile(r"[/／]|[—－-](?![—－-]*\s*\d)|无(?=[/／]|$)")
# what may stand between a row's last cell and the next row's number: a section's heading
# (二、…), a page's number (—2—) and the header printed again at the top of the page
_BETWEEN = re.compile(
    r"\s*(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[）)]|[—\-－–]+\s*\d)"
)
# the back matter after a table at the notice's end: 抄送, an attachment, the imprint line
BACK_MATTER = re.compile(
    r"抄送[:：]|附件\s*\d*[:：]|[\u4e00-\u9fff]{2,30}[ \t\u3000]*(?:19|20)\d\d年\d{1,2}月\d{1,2}日"
    r"\s*印发(?![的了《])"
)


def _kind(name: str) -> str:
    if name == "序号":
        return "number"
    if re.search(rf"{TIME_LABELS}|时限|时间|期限", name):
        return "due"
    if re.fullmatch(UNIT_LABELS, name):
        return "lead" if marks_lead(name) else "units"
    if re.search(r"备注|完成情况|进展情况|推进情况|范围", name):
        return "other"
    return "text"


def _tail(row: str, due: bool, other: bool, last: bool) -> tuple[int, list[str], str, int] | None:
    """Where the row's text ends, the cells glued after it (names, "" for an empty cell, a
    deadline, then a short cell of a column after them such as 推广范围 when there is one)
    and where they end: the first stop after which they all read up to the next row's
    number or a heading between rows (a stop inside a name's bracket, 各区(市)县政府,
    comes after the right one, so the names read whole). The table's last row is
    followed by the notice's text, not by a number: there it is the first stop after
    which names follow."""
    stops = [m.end() for m in re.finditer(r"[。；;）)]", row)]
    for j in stops:
        cells: list[str] = []
        k = j
        while k < len(row):
            if m := _EMPTY.match(row, k):
                cells.append("")
                k = m.end()
                continue
            if due and (m := DUE_CELL.match(row, k)):
                cells.append(m.group(0))
                k = m.end()
                break  # the deadline is the row's last cell
            names, end = cells_at(row, k)
            if not names:  # a last name glued to a deadline or a "/" (各县区政府次年…)
                end = name_end(row, k, listed=True) or k
                after = row[end:]
                goes_on = _EMPTY.match(after) or DUE_CELL.match(after)
                if end == k or not (not after or goes_on or (other and _OTHER_CELL.match(after))):
                    break
                names = [row[k:end]]
            cells += names
            k = end
        extra = ""
        if other and not last and (m := _OTHER_CELL.match(row, k)):
            extra, k = m.group(0), m.end()
        if any(cells) and (last or _ends_row(row, k)):
            return j, cells, extra, k
    return None


# a short cell of a column after the units and the deadline (推广范围: 全国; 完成情况: 已部署)
_OTHER_CELL = re.compile(rf"[^。，,；;：:、/／]{{1,12}}?(?=$|{_BETWEEN.pattern})")


def _ends_row(row: str, k: int) -> bool:
    return k == len(row) or _BETWEEN.match(row, k) is not None


def _next_number(text: str, n: int, start: int) -> list[int]:
    """Where ``n`` may open the next row: not inside a number, not a count or a date (3个,
    10月), not 第3 or 至3."""
    number = re.compile(
        rf"(?<![\d.．第至和、~～\-—])({n})(?![\d{COUNTED}])(?=[\u4e00-\u9fff（(“《])"
    )
    # a row is a few hundred characters: candidates further on would cost time, not rows
    return [m.start() for m in number.finditer(text, start + 1, start + _ROW_SPAN)][:_TRIES]


_ROW_SPAN = 3000
_TRIES = 12


def glued_rows(header: list[str], text: str) -> list[str] | None:
    """The rows of a numbered table whose ``text`` (everything after its ``header``) was
    glued: the header as a barred row, then each row's cells barred and the headings
    between rows on their own; None when its rows cannot be parted this way."""
    kinds = [_kind(h) for h in header]
    if (
        not kinds
        or kinds[0] != "number"
        or "text" not in kinds
        or not {"lead", "units"} & set(kinds)
    ):
        return None
    due = "due" in kinds
    other = kinds[-1] == "other"
    first = re.match(r"(.*?)(?<!\d)1(?![\d{COUNTED}])(?=[\u4e00-\u9fff（(“《])", text)
    if not first or len(first.group(1)) > 60:
        return None
    out = [" | ".join(header)] + ([first.group(1)] if first.group(1) else [])
    at, n = first.end(1), 1
    while True:
        body = at + len(str(n))
        parted = None
        # the next number, or one a little further where the page left rows out (本文有删减)
        for following in range(n + 1, n + 11):
            if following > n + 1 and _next_number(text, n + 1, body):
                break  # n + 1 is there but its row does not read: no skipping past it
            for q in _next_number(text, following, body):
                if (tail := _tail(text[body:q], due, other, last=False)) is not None:
                    parted = q, tail
                    break
            if parted is not None:
                break
        if parted is None:
            tail = _tail(text[body:], due, other, last=True)
            if tail is None or n == 1:
                return None
            q = len(text)
        else:
            q, tail = parted
        end, cells, extra, stop = tail
        out.append(" | ".join(_placed(kinds, str(n), text[body : body + end], cells, extra)))
        rest = PAGE_NUMBER.sub("", text[body + stop : q])
        rest = rest.replace("".join(header), "")  # the header again, atop the next page
        if rest.strip():
            out.append(rest)
        if parted is None:
            return out
        at, n = q, following


def _placed(kinds: list[str], number: str, words: str, cells: list[str], extra: str) -> list[str]:
    """A row's cells under the header: the number, the text in the last text column, the
    unit cells in the unit columns in order (more names than columns: the first columns'
    cells join the first), the deadline under the time column."""
    row = [""] * len(kinds)
    row[0], row[-1] = number, extra if kinds[-1] == "other" else ""
    texts = [k for k, kind in enumerate(kinds) if kind == "text"]
    row[texts[-1]] = words
    when = [k for k, kind in enumerate(kinds) if kind == "due"]
    columns = [k for k, kind in enumerate(kinds) if kind in ("lead", "units")]
    if when and cells and (DUE_CELL.fullmatch(cells[-1]) or len(cells) > len(columns)):
        row[when[0]] = cells.pop()  # the deadline, or the time column's "/"
    if len(cells) > len(columns):
        surplus = len(cells) - len(columns) + 1
        cells = ["、".join(c for c in cells[:surplus] if c), *cells[surplus:]]
    for k, cell in zip(columns, cells, strict=False):
        row[k] = cell
    # an empty cell is written "/", as offices do: left blank, a row's last cells would
    # read as cells it lacks
    return [c or ("" if kind == "text" else "/") for c, kind in zip(row, kinds, strict=True)]


def tabbed_rows(line: str) -> list[tuple[str, list[str]]] | None:
    """A tab table whose rows an archive glued by nothing (…\\t2023年6月底前2\\t\\t公开…):
    its cells still parted by tabs, a row's last cell glued to the next row's number (and
    to a section's heading between them). The prose before the header, the header, each
    heading and each row, as lines with their cells; None when no numbered rows follow
    a header that begins with 序号."""
    cells = line.split("\t")
    h = next((k for k, c in enumerate(cells) if c.strip().endswith("序号")), None)
    if h is None:
        return None
    out: list[tuple[str, list[str]]] = []
    if before := cells[h].strip()[: -len("序号")]:
        out.append((before, []))
    header: list[str] = ["序号"]
    rows: list[str | list[str]] = []  # each a heading or a row's cells
    current = header
    expected = 1
    k = h
    while (k := k + 1) < len(cells):
        cell = cells[k].strip()
        again = k + len(header) - 1
        if (
            current is not header
            and cell.endswith("序号")
            and again < len(cells)
            and [c.strip() for c in cells[k + 1 : again]] == header[1:-1]
            and cells[again].strip().startswith(header[-1])
        ):  # the header again atop a page: what its first and last names are glued to stays
            cell = cell[: -len("序号")] + cells[again].strip()[len(header[-1]) :]
            k = again
        m = re.fullmatch(r"(.*?)(?<![\d.．])(\d{1,3})", cell)
        if (
            m is None
            or not expected <= int(m.group(2)) <= expected + 10  # 本文有删减: 3 → 5
            # 详见附件3: a row's number comes no sooner than its unit cells
            or (current is not header and len(current) <= _first_unit_column(header))
        ):
            current.append(cell)
            continue
        words, heading = m.group(1), ""
        if part := re.search(r"[一二三四五六七八九十]{1,3}、[^\t]*$", words):
            words, heading = words[: part.start()], part.group(0)
        if words:
            current.append(words)
        current = [m.group(2)]
        rows += [heading] if heading else []
        rows.append(current)
        expected = int(m.group(2)) + 1
    names = all(0 < len(c) <= 12 and not re.search(r"[。，,；;：:]", c) for c in header)
    if expected < 3 or not names or not {"lead", "units"} & {_kind(c) for c in header}:
        return None
    out.append((" | ".join(header), header))
    after = ""
    if rows and isinstance(last := rows[-1], list):  # the notice goes on in the last cell
        for k, cell in enumerate(last):
            if m := BACK_MATTER.search(cell):
                last[k:] = [cell[: m.start()]]
                after = cell[m.start() :]
                break
    for row in rows:
        if isinstance(row, str):
            out.append((row, []))
            continue
        # the joiner dropped a row's empty last cells: written "/", they keep their place
        row += ["/"] * (len(header) - len(row))
        out.append((" | ".join(row), row))
    return [*out, (after, [])] if after else out


def _first_unit_column(header: list[str]) -> int:
    kinds = [_kind(c) for c in header]
    return next((k for k, kind in enumerate(kinds) if kind in ("lead", "units")), len(kinds) - 2)

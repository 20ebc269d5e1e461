"""Tables as text copies give them: one cell per line (between blank lines, or each
followed by a lone ``|``), or in fixed-width columns (pdftotext -layout). Each is read
back into rows of cells under its header, so that the table reader places the cells by
the header's columns whatever the layout was.
"""

from __future__ import annotations

import re
import unicodedata

from plans.labels import COLUMN_LABELS, PERSON_LABELS, marks_lead
from plans.reflow import REFLOW_AT
from plans.text import PAGE_NUMBER, UNIT_SUFFIX

Raw = list[tuple[int, str, list[str]]]

CELL_HEADER = re.compile(
    r"((?:重点|主要|具体)?(?:工作|任务)?(?:任务|要求|内容|措施|举措|事项)|重点工作|改革举措|"
    # a 政务公开 table's own columns: where and how the item is published
    r"公开(?:载体|渠道|方式|途径|平台|形式)|"
    rf"序号|{COLUMN_LABELS}|{PERSON_LABELS}|备注|推广范围|适用范围|实施范围|"
    # 攻坚目标任务, 工作任务安排, 第二季度完成情况: a plan's or a report's own columns
    r"[\u4e00-\u9fff\d\-—~～至]{0,8}(?:目标任务|任务安排|工作安排|完成情况|进展情况|推进情况)|"
    r"说明|是否[\u4e00-\u9fff]{1,3}|项目(?:类别|名称))"
)


def header_cell(text: str) -> bool:
    """A column's name, its letters spaced out or not (主 要 内 容)."""
    # a column may name whose units it lists: 市卫健委内牵头处室
    name = re.sub(r"^[\u4e00-\u9fff]{1,8}内(?=[\u4e00-\u9fff]{4})", "", re.sub(r"\s+", "", text))
    return CELL_HEADER.fullmatch(name) is not None


CELL_DUE = re.compile(r"(前|底|末|内|持续|长期|每[年月季]|\d+月|年度|常态|定期)")


def column_label(name: str) -> str | None:
    """The labelled field a table column's cells become (牵头单位：/责任单位：/完成时限：)."""
    if re.search(r"(时限|时间|期限)", name):
        return "完成时限"
    if marks_lead(name):  # 牵头单位, 主要责任单位
        return "牵头单位"
    if re.search(r"(配合|协办)", name):
        return "配合单位"
    if re.search(r"(单位|部门|科室|处室|股室|主体)", name):
        return "责任单位"
    return None


def header_run(raw: list[tuple[int, str, list[str]]], i: int) -> bool:
    """A table's header given one cell per line: at least four header cells in a row
    (blank lines or lone ``|`` between them), among them a unit column."""
    if not header_cell(raw[i][1]):
        return False
    names = []
    for _, text, row in raw[i : i + 16]:
        t = text.strip()
        if row or t in ("", "|"):
            continue
        if not header_cell(t):
            break
        names.append(t)
    labels = [column_label(n) for n in names]
    # a unit column; or, numbered, a task and a time column: a table of one part's tasks
    # whose heading names who does them (一、各区县政府负责落实的工作任务)
    return len(names) >= 4 and (
        any(lb not in (None, "完成时限") for lb in labels)
        or (
            names[0] == "序号"
            and "完成时限" in labels
            and any(TEXT_COLUMN.search(n) for n in names)
        )
    )


# a column of what is to be done: 工作任务, 具体要求, 重点工作, 专项整治行业名称
TEXT_COLUMN = re.compile(r"(任务|要求|内容|措施|事项|类别|领域|项目|举措|工作$|名称$)")
_SECTION_CELL = re.compile(r"^([一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十]+[)）])")
_PLACEHOLDER = re.compile(r"^[/／\\—－\-–无]$|^(暂无|空)$")


def cells_as_rows(cells: list[tuple[int, str]]) -> list[tuple[int, str, list[str]]]:
    """A table given one cell per line, back into rows: the header cells first, then a
    row at each number (序号) holding the cells up to the next number or section
    heading. A row shorter than the header lacks its merged cells; the table reader
    places the cells it has by what they hold. A placeholder ("/", "无") is an empty
    cell; the header repeated at a page break is dropped."""
    head = 0
    while head < len(cells) and header_cell(cells[head][1]):
        head += 1
    header = [c for _, c in cells[:head]]
    bare_header = [re.sub(r"\s+", "", c) for c in header]  # 工   作   要   求 again as 工作要求
    out: list[tuple[int, str, list[str]]] = [(cells[0][0], " | ".join(header), header)]
    row: list[str] = []
    start = 0

    def close() -> None:
        if row:
            out.append((start, " | ".join(row), list(row)))
            row.clear()

    # Columns before the number (a merged 工作任务 printed in its group's first row) come
    # before the number in the stream: held, they open the next row.
    before = next((k for k, c in enumerate(header) if c == "序号"), 0)
    width = len(header) - before
    # 序号 and 工作事项 merged over several 主要内容 rows: a row that runs past the header's
    # width goes on as a row lacking the columns before the last text column
    texts = [k for k, c in enumerate(header) if TEXT_COLUMN.search(c)]
    merged = texts[-1] if texts and header[0] == "序号" else 0  # 序号 first: before is 0
    prefix: list[str] = []
    k = head
    while k < len(cells):
        no, cell = cells[k]
        if [re.sub(r"\s+", "", c) for _, c in cells[k : k + len(header)]] == bare_header:
            close()  # the header again, after a page break
            k += len(header)
            continue
        if re.fullmatch(r"\d{1,3}", cell) and (not row or len(row) >= 2):
            close()
            row, start = [*prefix, cell] if prefix else [cell], no
            if prefix:
                row[:0] = [""] * (before - len(prefix))
            prefix = []
        elif _SECTION_CELL.match(cell) and len(cell) <= 40 and not re.search(r"[。；;]", cell):
            close()
            out.extend((no, c, []) for c in prefix)
            prefix = []
            out.append((no, cell, []))
        elif row and (
            not before or len(row) < width or row[0] == "" or not re.fullmatch(r"\d{1,3}", row[0])
        ):
            if merged and len(row) >= width:
                close()
                row, start = [""] * merged, no
            row.append("" if _PLACEHOLDER.match(cell) else cell)
        elif before:
            close()
            prefix.append(cell)
            if len(prefix) > before:
                out.append((no, prefix.pop(0), []))
        else:
            out.append((no, cell, []))  # text outside the rows
        k += 1
    out.extend((cells[-1][0], c, []) for c in prefix)
    close()
    return out


def _width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _columns_of(line: str) -> list[tuple[int, str]]:
    """(display column, text) of each run of a line set apart by two spaces or more."""
    out: list[tuple[int, str]] = []
    col, run, start, gap = 0, "", 0, 0
    for ch in line.replace("\u3000", "  "):
        if ch == " ":
            gap += 1
        else:
            if run and gap >= 2:
                out.append((start, run))
                run = ""
            if not run:
                start = col
            elif gap:
                run += " "
            run += ch
            gap = 0
        col += _width(ch)
    if run:
        out.append((start, run))
    return out


def _fixed_header(text: str) -> list[tuple[int, str]] | None:
    """The header of a fixed-width table: three or more header words two spaces apart,
    among them a unit column."""
    if "\t" in text or "|" in text:
        return None
    runs = _columns_of(text)
    if (
        len(runs) >= 3
        and all(header_cell(r) for _, r in runs)
        and any(column_label(r) not in (None, "完成时限") for _, r in runs)
    ):
        return runs
    return None


def _glue(kind: str | None, before: str, more: str) -> str:
    """A cell's next line: unit names get a 顿号 between them, deadlines a comma, text
    nothing (a Chinese line wraps mid-sentence)."""
    if not before:
        return more
    if kind and kind != "完成时限" and before[-1] not in "、，,；;" and more[0] not in "、，,":
        return before + "、" + more
    if kind == "完成时限" and before[-1] not in "，,":
        return before + "，" + more
    return before + more


def fixed_width_rows(raw: Raw) -> Raw:
    """A table laid out in fixed-width columns (pdftotext -layout): a row starts at its
    number in the first column, its wrapped lines continue each cell under its header
    word; a line at the margin that is no row (a section heading) stays a line. The
    header repeated on a new page, page numbers and form feeds are dropped."""
    at = next((k for k, (_, t, row) in enumerate(raw) if not row and _fixed_header(t)), None)
    if at is None:
        return raw
    runs = _fixed_header(raw[at][1]) or []
    starts = [c for c, _ in runs]
    names = [n for _, n in runs]
    kinds = [column_label(n) for n in names]
    out: Raw = [*raw[:at], (raw[at][0], " | ".join(names), names)]
    row: list[str] | None = None
    start = 0

    def close() -> None:
        nonlocal row
        if row is not None:
            cells = ["" if _PLACEHOLDER.match(c) else c for c in row]
            out.append((start, " | ".join(cells), cells))
            row = None

    for no, text, cells in raw[at + 1 :]:
        line = text.replace("\f", "").rstrip()
        if cells or not line.strip() or PAGE_NUMBER.fullmatch(line.strip()):
            continue
        if _fixed_header(line):
            continue  # the header again, on a new page
        parts = _columns_of(line)
        first = re.fullmatch(r"\d{1,3}", parts[0][1]) and parts[0][0] < (
            starts[1] if len(starts) > 1 else 8
        )
        if first:
            close()
            row, start = [""] * len(starts), no
        elif parts[0][0] < max(starts[1] - 2, 2) if len(starts) > 1 else True:
            close()  # text at the margin: a section heading, or prose after the table
            out.append((no, line.strip(), []))
            continue
        if row is None:
            out.append((no, line.strip(), []))
            continue
        for col, piece in parts:
            k = max(i for i, s in enumerate(starts) if s <= col + 1) if col + 1 >= starts[0] else 0
            row[k] = _glue(kinds[k], row[k], piece)
    close()
    return out


def _spaced_header(text: str) -> list[str] | None:
    """序号 工 作 任 务 牵头负责部门: column names parted by spaces (a name's own
    letters spaced out too), 序号 first, the requirement next, then only unit and time
    columns."""
    names: list[str] = []
    for token in text.split():
        if len(token) == 1 and names and len(names[-1]) < 6 and not header_cell(names[-1]):
            names[-1] += token  # 工 作 任 务: one name, spaced out
        else:
            names.append(token)
    if len(names) < 3 or names[0] != "序号" or not all(map(header_cell, names)):
        return None
    if column_label(names[1]) or not all(column_label(n) for n in names[2:]):
        return None
    return names


_NAMED = re.compile(rf"^[\u4e00-\u9fa5()（）]{{2,20}}{UNIT_SUFFIX}$")


# a space-parted table's header inside a long line, its first row right after it
_SPACED_HEADER_IN = re.compile(r"序号(?: [^\s\d]+){2,12}? ?(?=1 )")


def spaced_rows_apart(raw: Raw) -> Raw:
    """A space-parted table whose line breaks an archive dropped (…序号 工 作 任 务
    牵头负责部门1 居民消费价格涨幅3%左右 发展改革委2 城镇新增就业…): its header and each
    row on a line of their own, a row starting where the next number in turn does."""
    out: Raw = []
    for no, text, row in raw:
        m = None if row or len(text) < REFLOW_AT else _SPACED_HEADER_IN.search(text)
        if m is None or _spaced_header(m.group(0)) is None:
            out.append((no, text, row))
            continue
        if before := text[: m.start()].strip():
            out.append((no, before, []))
        out.append((no, m.group(0).strip(), []))
        start, n = m.end(), 1
        # the next row's number, never inside one (3.5) nor a number's thousands (2 000)
        while nxt := re.compile(rf"(?<![\d.．]){n + 1} (?!\d)").search(text, start + 2):
            out.append((no, text[start : nxt.start()].strip(), []))
            start, n = nxt.start(), n + 1
        last = text[start:]
        end = _TABLE_ENDS.search(last)  # 抄送：… right after the last row
        out.append((no, last[: end.start() if end else len(last)].strip(), []))
        if end:
            out.append((no, last[end.start() :].strip(), []))
    return out


_TABLE_ENDS = re.compile(
    r"抄送[:：]|[(（]本文有删减[)）]|附件\d*[:：]|[\u4e00-\u9fa5]{2,20}(?:办公厅|办公室)\d{4}年\d{1,2}月\d{1,2}日印发"
)


def spaced_rows(raw: Raw) -> Raw:
    """A table a page gave with its cells parted by single spaces (1 居民消费价格涨幅3%左右
    发展改革委): under such a header, a line that opens with its number is a row; its last
    cells are the unit and time columns, the words between them the requirement."""
    out: Raw = []
    names: list[str] | None = None
    for no, text, row in raw:
        found = None if row else _spaced_header(text.strip())
        if found:
            names = found
            out.append((no, " | ".join(found), found))
            continue
        tokens = text.split()
        tail = len(names) - 2 if names else 0
        if names and not row and len(tokens) >= tail + 2 and re.fullmatch(r"\d{1,3}", tokens[0]):
            middle, rest = tokens[1 : len(tokens) - tail], tokens[len(tokens) - tail :]
            # 县民政局 县财政局 2024年底: the names before the unit cell belong to it
            while (
                len(middle) > 1
                and column_label(names[2]) != "完成时限"
                and _NAMED.search(middle[-1])
            ):
                rest[0] = f"{middle.pop()}、{rest[0]}"
            cells = [tokens[0], " ".join(middle), *rest]
            out.append((no, " | ".join(cells), cells))
            continue
        if text.strip():
            names = names if not row and re.match(r"\d{1,3}\s", text) else None
        out.append((no, text, row))
    return out


def mend_header_cells(raw: Raw) -> Raw:
    """A header given one cell per line whose names broke over two lines (责任 / 领导,
    攻坚目标 / 任务): each name whole again, on the line where it began."""
    out = list(raw)
    texts = [t.strip() for _, t, _ in out]
    i = 0
    while i < len(out):
        if out[i][2] or not header_cell(texts[i]):
            i += 1
            continue
        k = i + 1
        while k < min(len(out), i + 40):
            if out[k][2] or texts[k] in ("", "|"):
                k += 1
                continue
            if header_cell(texts[k]):
                k += 1
                continue
            nxt = next(
                (j for j in range(k + 1, min(len(out), k + 4)) if texts[j] not in ("", "|")), None
            )
            if nxt is None or not header_cell(texts[k] + texts[nxt]):
                break
            out[k] = (out[k][0], texts[k] + texts[nxt], [])
            out[nxt] = (out[nxt][0], "", [])
            texts[k], texts[nxt] = texts[k] + texts[nxt], ""
            k = nxt + 1
        i = k
    return out

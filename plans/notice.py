"""Reading a notice file into numbered source lines: .txt, .html and .docx.

Every line keeps where it came from (line number, or table/row/cell for
.docx) so each extracted field can point back at its source. Traditional
characters are converted to simplified; HTML loses its tags, scripts and
navigation; .docx tables stay tables (one line per row, with its cells).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from plans.copied_tables import (
    CELL_DUE,
    cells_as_rows,
    column_label,
    fixed_width_rows,
    header_cell,
    header_run,
    mend_header_cells,
    spaced_rows,
    spaced_rows_apart,
)
from plans.drawn_tables import drawn_tables
from plans.labels import PAGE_FURNITURE, TIME_LABELS, UNIT_LABELS
from plans.notice_limits import (
    MAX_LINES,
    MAX_TEXT_BYTES,
    NoticeProblem,
    size_mb,
)
from plans.numbered_rows import BACK_MATTER, tabbed_rows
from plans.reflow import MARKS, REFLOW_AT, date_then_title, glued_table, reflow, spaced_table
from plans.text import PAGE_NUMBER, UNIT_SUFFIX, NotChineseText, decode_chinese, norm, reading_form
from plans.web_page import PageText

# A cell that is unit names (市发展改革委, 区直各有关单位，各片区管理局)
UNIT_RUN = re.compile(rf"^[\u4e00-\u9fa5()（）]{{1,30}}?{UNIT_SUFFIX}[^。]{{0,200}}$")


@dataclass
class Line:
    no: int  # 1-based line (or paragraph) number in the source
    text: str
    cells: list[str] = field(default_factory=list)  # a table row's cells
    where: str = ""  # "line 12" or "table 1 row 3"


def _decode(raw: bytes, path: Path) -> str:
    try:
        return decode_chinese(raw)
    except NotChineseText as exc:
        raise NoticeProblem(
            f"{path}: 无法作为中文通知读取：{exc}。请在编辑器中另存为 UTF-8 后再导入"
        ) from exc


# a mirror site's pinyin gloss after a character: 经(jīng)开区(qū)
_PINYIN = re.compile(
    r"(?<=[\u4e00-\u9fff])\((?=[a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ])[a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜ]{1,6}\)"
)


def _clean(text: str) -> str:
    text = _PINYIN.sub("", text)
    text = norm(text.replace("\u3000", " ").replace("\xa0", " "))
    return re.sub(r"\s+", " ", text).strip()


# In a table cell, a space after an organisation's ending parts two names ("安监站 安监所");
# elsewhere a space in Chinese text is a wrapped line ("工作机 制") and goes.
# (a letter-spaced header cell 责 任 科 室 is no two names: an ending needs a name before it)
_NAMES_APART = re.compile(
    r"(?<=[\u4e00-\u9fff]{2}[站所局委办队院心厅处室科])[ \t\u3000\xa0]+(?=[\u4e00-\u9fff])"
)


def _clean_cell(text: str) -> str:
    return _clean(_NAMES_APART.sub("、", text.strip()))


_NAMES = re.compile(r"[\u3400-\u9fff（）()、，,]{2,40}")


def _visual(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


_WRAP_BREAK = re.compile(rf"^(?:{UNIT_LABELS}|{TIME_LABELS}|附件|—)")


_TABLE_LINE = re.compile(r"\t|\||\S {2,}\S")


def _table_starts(texts: list[str]) -> int:
    """Where a table given one cell per line begins (序号 / 工作任务 / 责任单位 …): three
    column names within a few lines. Its rows end without a stop, evenly long."""
    filled = [i for i, t in enumerate(texts) if t.strip()]  # blank lines part the cells
    heads = [n for n, i in enumerate(filled) if header_cell(texts[i])]
    for k in range(len(heads) - 2):
        if heads[k + 2] - heads[k] <= 6:
            return filled[heads[k]]
    return len(texts)


def _margin(widths: list[int]) -> int:
    """The page's right margin: the width most lines run to (a justified line may stop a
    character short of it, one ending in a stop may hang past it)."""
    counts = Counter(w for w in widths if w >= 40)  # by width: linear in the lines

    def near(m: int) -> int:
        return sum(counts[w] for w in range(m - 6, m + 3))

    return max(counts, key=lambda m: (near(m), m), default=0)


# a number set apart by spaces within a PDF's line (安排 110 亿元, 〔2023〕3 号): no break
_SPACED_NUMBER = re.compile(r"(?<=[^\s\d]) (\d+(?:\.\d+)?) (?=[\u4e00-\u9fff%])")


def _spaced_wraps(raw: list[tuple[int, str, list[str]]]) -> list[tuple[int, str, list[str]]]:
    """A PDF's text pasted with each of its line breaks turned into a space: a long line
    whose spaces fall where a page's lines end, most of its pieces of one width (…，落实 /
    好自治区党委…). Its pieces are set out as the page's lines again, for _hard_wrapped to
    join the sentences they break; an archive's body joined at its paragraphs, pieces of
    every length, stays one line."""
    out: list[tuple[int, str, list[str]]] = []
    for no, t, row in raw:
        if row or len(t) < REFLOW_AT or "\t" in t:
            out.append((no, t, row))
            continue
        pieces = [p for p in _SPACED_NUMBER.sub(r"\1", t.strip()).split(" ") if p]
        if len(pieces) < 8:
            out.append((no, t, row))
            continue
        widths = Counter(_visual(p) for p in pieces)
        mode = max(widths, key=lambda w: (sum(widths[v] for v in range(w - 2, w + 3)), w))
        near = sum(widths[v] for v in range(mode - 2, mode + 3))
        if 40 <= mode <= 120 and near * 5 >= len(pieces) * 2:
            out += [(no, p, []) for p in pieces]
        else:
            out.append((no, t, row))
    return out


# how a table's row opens: an empty first cell, its number, a heading, the header again
_ROW_OPENS = re.compile(
    r"\t|\d{1,3}[\t.．、]|[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]|序号"
)


def _tab_rows_apart(raw: list[tuple[int, str, list[str]]]) -> list[tuple[int, str, list[str]]]:
    """A page's text stored on one line, its table rows joined by a space and each row's
    cells still parted by tabs (序号\t重点任务… 1\t规范…\t市司法局 2\t…): a space ends a
    row, unless the row is short of the header's cells and what follows opens no row (a
    cell's own space), and the rows are set out again."""
    out: list[tuple[int, str, list[str]]] = []
    for no, t, row in raw:
        pieces = t.strip().split(" ") if not row and t.count("\t") > 12 else []
        if sum(p.count("\t") >= 2 for p in pieces) < 3:
            glued = tabbed_rows(t) if pieces else None  # rows glued by nothing
            out += [(no, text, cells) for text, cells in glued] if glued else [(no, t, row)]
            continue
        head = next((p.count("\t") for p in pieces if p.count("\t") >= 2), 0)
        rows: list[str] = []
        for p in pieces:
            # a space inside a cell (“证照分离” 改革): the row goes on until it has the
            # header's cells or the next row opens with its number or a heading
            opens = _ROW_OPENS.match(p)
            past = BACK_MATTER.match(p)  # 抄送：, 附件：: the page goes on past the table
            if rows and "\t" in rows[-1] and not opens and not past and rows[-1].count("\t") < head:
                rows[-1] += " " + p
            elif p.strip():
                rows.append(p)
        out += [(no, r, []) for r in rows]
    return out


def _hard_wrapped(raw: list[tuple[int, str, list[str]]]) -> list[tuple[int, str, list[str]]]:
    """Text copied out of a PDF keeps the page's line breaks: most lines run to the same
    right margin and break mid-sentence (…的领导体制机制，优 / 化决策程序…). A line
    that reaches the margin without ending a sentence goes on in the next line, unless
    that one begins a numbered item, a label or an attachment. Tables are left alone:
    rows with cells set apart (tabs, bars, runs of spaces), and everything from a header
    given one cell per line (序号 / 工作任务 / 责任单位 …) on; a line longer than the
    margin came from elsewhere (a cell, a pasted paragraph) and is no wrapped line."""
    texts = [t.rstrip() for _, t, _ in raw]
    prose = _table_starts(texts)
    widths = [0 if _TABLE_LINE.search(t) else _visual(t) for t in texts[:prose]]
    right = _margin(widths)
    full = [k for k, w in enumerate(widths) if right - 6 <= w <= right + 2]
    longer = sum(w > right + 2 for w in widths)
    # a wrapped line stops mid-sentence: lines of one length that end their sentences
    # (items of about one length, a line each) are paragraphs, not a page
    mid = sum(not (texts[k].endswith(_STOPS) or _CLOSING_ASIDE.search(texts[k])) for k in full)
    if not 40 <= right <= 120 or mid < 4 or mid * 2 < len(full) or longer > len(full) // 10 + 1:
        return raw  # no margin: lines as long as their paragraphs

    def at_margin(k: int) -> bool:
        return k < prose and right - 6 <= widths[k] <= right + 2

    def chunk(k: int) -> str:  # the line and those that go on from it, to the first short one
        end = next((j for j in range(k, min(prose, k + 20)) if not at_margin(j)), k)
        return "".join(t.strip() for t in texts[k : end + 1])

    out: list[tuple[int, str, list[str]]] = []
    for k, (no, t, row) in enumerate(raw):
        words = t.strip()
        if (
            k
            and at_margin(k - 1)
            and words
            and k < prose
            and widths[k]
            and continues(out[-1][1], words, partial(chunk, k))
        ):
            pno, prev, prow = out[-1]
            out[-1] = (pno, prev.rstrip() + words, prow)
        else:
            out.append((no, t, row))
    return out


_STOPS = ("。", "；", ";", "：", ":", "！", "？")


def continues(
    paragraph: str, line: str, rest: Callable[[], str] | None = None, *, indents: bool = False
) -> bool:
    """Whether ``line`` goes on with ``paragraph``, whose last line ran to the page's right
    margin (``rest``: the line with those after it that also run to the margin). A
    numbered item begins anew; inside brackets the line goes on (（牵头单位：规划科， /
    配合单位：各国土所）); a label or an attachment begins anew, and after a colon
    (现通知如下：) or a cell's closing bar a paragraph of its own begins; after a
    full stop only the aside closing the sentence (（X牵头，Y负责）) goes on, or the next
    sentence when it ends in such an aside: a sentence that closes a measure whose bracket
    comes after it. Mid-sentence the line goes on. Where the page ``indents`` the first
    line of each paragraph, an unindented line goes on after a full stop too when it
    holds a sentence (it runs to the margin or ends in a stop), not a bare name."""
    paragraph = paragraph.rstrip()
    counted = _COUNT.match(line) and not paragraph.endswith(_STOPS)  # …协议第 / 6版。
    if (MARKS.match(line) and not counted) or header_cell(line):  # 序号: a header begins
        return False
    if paragraph.count("（") + paragraph.count("(") > paragraph.count("）") + paragraph.count(")"):
        return True
    # a cell's bar (…提质增效 |) closes the cell: the next cell is no wrapped line of it
    if (
        _WRAP_BREAK.match(line)
        or (PAGE_FURNITURE.search(line) and _LABELLED.match(line))
        or paragraph.endswith(("：", ":", "！", "？", "|"))
    ):
        return False
    if paragraph.endswith("。") or _CLOSING_ASIDE.search(paragraph):  # a measure closed
        if line[0] in "（(":
            return True
        following = rest() if rest else line
        if indents:  # a sentence goes on; a name (各区县政府) or a date alone is no sentence
            return len(following) > len(line) or not _NAME_OR_DATE.fullmatch(line.strip())
        return bool(_CLOSING_ASIDE.search(following))
    return True


# a line that is page furniture by its label (来源：…, 联系人：…), not a word opening it
_LABELLED = re.compile(r"^[\u4e00-\u9fa5]{1,6}\s*[:：]")
# a line that holds no sentence: names (各区县政府, 县财政局、县税务局) or a date
_NAME_OR_DATE = re.compile(
    rf"[\u4e00-\u9fa5()（）、，,]{{1,40}}{UNIT_SUFFIX}|\d{{4}}年\d{{1,2}}月\d{{1,2}}日"
)
# a number that counts (6版, 30个, 2023年): a wrapped sentence's words, no item's number
_COUNT = re.compile(
    r"\d+(?:\.\d+)?(?:版|年|月|日|个|项|家|次|名|人|%|万|亿|元|批|条|座|户|期|天|倍|号|类|级)"
)


# a measure's closing aside naming who does it: （省市场监管局牵头，省版权局…按职责分工配合）
_CLOSING_ASIDE = re.compile(r"[（(][^（）()]*(?:牵头|负责|配合|参与|单位|部门)[^（）()]*[）)]。?$")


def _join_broken_cells(raw: list[tuple[int, str, list[str]]]) -> list[tuple[int, str, list[str]]]:
    """A browser copy breaks a table cell of two paragraphs (two lead units) into two
    lines: ``3.建立…\t区经济发展局`` then ``区行政审批局\t区直各有关单位``. The second line
    starts with no number and the two together have no more cells than the table's header:
    it continues the first line's last cell."""
    width = 0
    out: list[tuple[int, str, list[str]]] = []
    for no, t, row in raw:
        cells = t.strip(" \r\n\u3000").split("\t")
        if len(cells) >= 3 and not width:
            width = len(cells)  # the header: the first line with three cells or more
        if out and width and "\t" in t and not MARKS.match(cells[0].strip()):
            pno, prev, prow = out[-1]
            before = prev.strip(" \r\n\u3000").split("\t")
            if "\t" in prev and len(before) < width and len(before) + len(cells) - 1 <= width:
                last, first = before[-1].strip(), cells[0].strip()
                glue = "、" if _NAMES.fullmatch(last) and _NAMES.fullmatch(first) else ""
                before[-1] = last + glue + first
                out[-1] = (pno, "\t".join(before + cells[1:]), prow)
                continue
        out.append((no, t, row))
    return out


def _cells_as_lines(cells: list[tuple[int, str]]) -> list[tuple[int, str, list[str]]]:
    """A table given one cell per line: its header names the unit and time columns; each
    row starts at its number (序号), its requirement follows, then its unit and time
    cells, recognised by what they hold rather than by position (a merged section cell
    appears only in its first row). A short cell outside a row is a section heading."""
    head = 0
    while head < len(cells) and header_cell(cells[head][1]):
        head += 1
    labels = [lb for _, name in cells[:head] if (lb := column_label(name))]
    units = [lb for lb in labels if lb != "完成时限"] or ["责任单位"]
    out: list[tuple[int, str, list[str]]] = []
    number: str | None = None
    open_row, k, filled = False, 0, 0
    for no, cell in cells[head:]:
        if re.fullmatch(r"\d{1,3}", cell):
            number, open_row = cell, False
            continue
        short = len(cell) <= 40 and not re.search("[。；;]", cell)
        if number is not None and not open_row:
            out.append((no, f"{number}.{cell}", []))
            number, open_row, k, filled = None, True, 0, 0
        elif open_row and short and UNIT_RUN.match(cell) and not CELL_DUE.search(cell):
            out.append((no, f"{units[min(k, len(units) - 1)]}：{cell}", []))
            k, filled = k + 1, filled + 1
        elif open_row and short and CELL_DUE.search(cell) and len(cell) <= 20:
            out.append((no, f"完成时限：{cell}", []))
            filled += 1
        else:
            out.append((no, cell, []))  # a section heading, or text outside the rows
            open_row = False
        if open_row and labels and filled >= len(labels):
            open_row = False  # every column of the row is read: what follows is not its
    return out


_CELL_BAR = re.compile(r"^(.*?)\s*\|$")
_TWO_CELLS = re.compile(r"\|[^|]*[^|\s][^|]*\|")


def _cells_over_lines(raw: list[tuple[int, str, list[str]]]) -> list[tuple[int, str, list[str]]]:
    """A pipe table whose cells run over several lines (a cell opens after "|" and its
    words sit on the padded lines below, "序" then "号"): from the first bar on, each cell
    on a line of its own and its bar on the next, as a CMS export gives them. Two names
    a cell holds on two lines become a list (市直相关部门、各乡镇(街道)). Only where no line
    holds two cells of its own (a pipe row keeps its form)."""
    barred = [i for i, (_, t, row) in enumerate(raw) if "|" in t and not row]
    if len(barred) < 8 or any(_TWO_CELLS.search(t) for _, t, _ in raw):
        return raw
    spans: list[list[tuple[int, str]]] = [[]]
    for no, t, _ in raw[barred[0] :]:
        for k, piece in enumerate(t.split("|")):
            if k:
                spans.append([])
            if piece.strip():
                spans[-1].append((no, piece.strip()))
    head = barred[0]
    if not spans[0] and head and raw[head - 1][1].strip():
        head -= 1  # a lone bar closes the cell on the line above it
        spans[0] = [(raw[head][0], raw[head][1].strip())]
    out = list(raw[:head])
    for k, span in enumerate(spans):
        no = span[0][0] if span else raw[barred[0]][0]
        text = ""
        for _, words in span:
            glue = "、" if text and _NAMES.fullmatch(text) and _NAMES.fullmatch(words) else ""
            glue = glue if UNIT_RUN.match(words) and UNIT_RUN.match(text or "-") else ""
            text += glue + words
        if k == len(spans) - 1:  # the words after the last bar: no cell
            out += [(no, words, []) for no, words in span]
        elif k or span:
            out += [(no, text, []), (no, "|", [])]
    return out


def _bars_apart(raw: list[tuple[int, str, list[str]]]) -> list[tuple[int, str, list[str]]]:
    """A CMS export that closes each cell on its own line with " |" ("工作任务 |", "|" for
    an empty one) is the lone-bar form with the bar moved up: put it back on its own
    line. Only where most lines of the page are so closed; a pipe row (two bars) stays."""
    closed = [t for _, t, _ in raw if t.count("|") == 1 and re.match(r"^.*[^|\s]\s*\|$", t.strip())]
    if len(closed) < 8 or len(closed) < len(raw) / 3:
        return raw
    out: list[tuple[int, str, list[str]]] = []
    for no, t, row in raw:
        m = _CELL_BAR.match(t.strip())
        if m and t.count("|") == 1 and not row:
            out += [(no, m.group(1), []), (no, "|", [])]
        else:
            out.append((no, t, row))
    return out


def _cell_stream(raw: list[tuple[int, str, list[str]]]) -> list[tuple[int, str, list[str]]]:
    """A table copied one cell per line becomes its rows: cells between blank lines (a
    Word copy) or each followed by a lone ``|`` (a CMS export, where an empty cell is an
    empty line before its ``|``). With a header it is read back into rows; a run of
    ``|`` cells without one is read by what the cells hold."""
    out: list[tuple[int, str, list[str]]] = []
    i = 0
    while i < len(raw):
        if header_run(raw, i):
            piped = i + 1 < len(raw) and raw[i + 1][1].strip() == "|"
            if piped:
                j, cells = i, []
                while j + 1 < len(raw) and raw[j + 1][1].strip() == "|":
                    cells.append((raw[j][0], raw[j][1].strip()))
                    j += 2
            else:
                j = len(raw)
                cells = [(no, t.strip()) for no, t, _ in raw[i:] if t.strip() not in ("", "|")]
            cells = [c for c in cells if not PAGE_NUMBER.fullmatch(c[1])]
            out += cells_as_rows(cells)
            i = j
            continue
        j, cells = i, []
        while (
            j + 1 < len(raw) and raw[j + 1][1].strip() == "|" and raw[j][1].strip() not in ("", "|")
        ):
            cells.append((raw[j][0], raw[j][1].strip()))
            j += 2
        if len(cells) >= 8:
            out += _cells_as_lines(cells)
            i = j
            continue
        out.append(raw[i])
        i += 1
    return out


# Forms read by plans.other_forms: the reader of each.
OTHER_FORMS = {
    ".pdf": "read_pdf",
    ".xlsx": "read_xlsx",
    ".xlsm": "read_xlsx",
    ".xls": "read_xls",
    ".doc": "read_legacy",
    ".wps": "read_legacy",
    ".rtf": "read_legacy",
    ".odt": "read_legacy",
}


def read_notice(path: Path) -> list[Line]:
    if not path.exists():
        raise NoticeProblem(f"{path}: 文件不存在")
    suffix = path.suffix.lower()
    if suffix == ".docx":
        from plans.office_files import read_docx

        return read_docx(path)
    if suffix in OTHER_FORMS:
        from plans import other_forms

        readers: dict[str, Callable[[Path], list[Line]]] = {
            "read_pdf": other_forms.read_pdf,
            "read_xlsx": other_forms.read_xlsx,
            "read_xls": other_forms.read_xls,
            "read_legacy": other_forms.read_legacy,
        }
        return readers[OTHER_FORMS[suffix]](path)
    if suffix in (".ofd", ".et", ".dps", ".ppt", ".pptx"):
        raise NoticeProblem(
            f"{path}: 不能读取 {suffix} 文件。请另存为 .docx、.pdf 或 .xlsx 后再导入"
        )
    size = path.stat().st_size
    if size > MAX_TEXT_BYTES:
        raise NoticeProblem(
            f"{path}: 文件有 {size_mb(size)}，超过通知文件的上限 {size_mb(MAX_TEXT_BYTES)}"
            "（真实的通知一般不到 1 MB）。请确认选对了文件"
        )
    # simplified first: the reflow's and the table readers' words are (牵头, 单位)
    text = reading_form(_decode(path.read_bytes(), path))
    if suffix in (".html", ".htm") or re.search(
        r"<(p|div|span|td|form|address)\b", text[:20000], re.I
    ):
        parser = PageText()
        try:
            parser.feed(text)
        except NoticeProblem as exc:
            raise NoticeProblem(f"{path}: {exc}") from None
        parser.flush()
        raw = parser.lines
    else:
        raw = [(no, t, []) for no, t in enumerate(text.splitlines(), start=1)]
        raw = text_rows(raw)
    if len(raw) > MAX_LINES:
        raise NoticeProblem(
            f"{path}: 有 {len(raw)} 行文字，超过通知的上限 {MAX_LINES} 行。请确认选对了文件"
        )
    return text_lines(raw, lambda no: f"第{no}行")


def _undoubled(raw: list[tuple[int, str, list[str]]]) -> list[tuple[int, str, list[str]]]:
    """A text whose every line is followed by a blank line (a web page copied with a blank
    line after each paragraph, a document typed with Enter pressed twice) had its line
    breaks doubled: read every other line, so that a blank line again ends a paragraph or
    stands for an empty cell. The lines keep their numbers in the file."""
    end = len(raw)
    while end and not raw[end - 1][1].strip():
        end -= 1
    if end < 20 or any(row for _, _, row in raw):
        return raw
    for phase in (0, 1):
        if all(not t.strip() for _, t, _ in raw[1 - phase : end : 2]):
            return raw[phase:end:2]
    return raw


def text_rows(raw: list[tuple[int, str, list[str]]]) -> list[tuple[int, str, list[str]]]:
    """Lines as text gives them (a .txt, or a Word document's paragraphs), with the tables
    the text holds set out as rows: drawn with box characters, copied one cell per line,
    in fixed-width columns, spaced, barred or glued, and prose a page's margin broke
    joined again. A line that already has its cells (a Word table's row) passes as it is."""
    steps = (
        _undoubled,
        drawn_tables,
        _spaced_wraps,
        _tab_rows_apart,
        _hard_wrapped,
        fixed_width_rows,
        spaced_rows_apart,
        spaced_rows,
        _join_broken_cells,
        glued_table,
        spaced_table,
        _cells_over_lines,
    )
    for step in steps:
        raw = step(raw)
    return _cell_stream(mend_header_cells(_bars_apart(raw)))


def text_lines(raw: list[tuple[int, str, list[str]]], label: Callable[[int], str]) -> list[Line]:
    """The notice's lines: a line of a whole archived body parted into its paragraphs, a
    tabbed row into its cells; ``label`` names where line ``no`` stands (第3行, 第3段)."""
    out = []
    # a tab table copied with its line breaks: a line of many tabs is one of its rows
    tab_table = sum(t.count("\t") >= 2 for _, t, row in raw if not row) > 1
    for no, t, row in raw:
        if not row and t.count("\t") > 12 and len(t) >= REFLOW_AT and not tab_table:
            # a tab table whose rows were joined: text to part, an empty cell written 无
            t = re.sub(r"\t(?=\s*\t)", "\t无", t).replace("\t", " ")
        if not row and t.count("\t") >= 2:  # a table pasted as text: cells split by tabs
            row = t.strip(" \r\n\u3000").split("\t")  # empty cells at either end count
            t = " | ".join(row)
        parts = reflow(t) if not row and "|" not in t else [t]
        parts = date_then_title(parts)
        for k, part in enumerate(parts, start=1):
            line = _clean(part)
            if not line:
                continue
            if row:
                cells = [_clean_cell(c) for c in row]
            else:
                cells = (
                    [_clean_cell(c) for c in part.strip().strip("|").split("|")]
                    if line.count("|") >= 2
                    else []
                )
            where = label(no) if len(parts) == 1 else f"{label(no)}第{k}段"
            out.append(Line(no, line, cells, where))
    return out

"""Notices in the other forms an office receives them: PDF (its text layer, tables read
as tables), spreadsheets (.xlsx, .xls: a 任务分解表 attachment) and old Word or WPS files
(.doc, .wps, through LibreOffice when it is installed). Each becomes the same lines and
table rows a .docx gives, within the same bounds.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from plans.copied_tables import header_cell
from plans.notice import (
    Line,
    _clean_cell,
    continues,
    text_lines,
    text_rows,
)
from plans.notice_limits import (
    MAX_COLUMNS,
    MAX_DOCX_BYTES,
    MAX_LINES,
    NoticeProblem,
    size_mb,
)
from plans.office_files import check_zip, read_docx
from plans.reflow import MARKS
from plans.text import reading_form

MAX_PDF_PAGES = 300  # a notice with its attachments runs to tens of pages
MAX_SHEET_ROWS = 20_000
CONVERT_SECONDS = 120


def _too_big(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_DOCX_BYTES:
        raise NoticeProblem(
            f"{path}: 文件有 {size_mb(size)}，超过通知文件的上限 {size_mb(MAX_DOCX_BYTES)}"
        )


def _counted(path: Path, out: list[Line]) -> None:
    if len(out) > MAX_LINES:
        raise NoticeProblem(f"{path}: 超过 {MAX_LINES} 段文字和表格行，不像一份通知")


def _cell(value: Any) -> str:
    """A cell's text, its line breaks kept (a sheet's cell breaks where its writer did;
    a PDF's where the column ended, which its reader drops)."""
    if value is None:
        return ""
    text = str(value).rstrip()  # a leading indent is kept: fixed-width text sets columns by it
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))  # 序号 1.0 in a spreadsheet
    return text.replace("\r", "")


def _row(path: Path, out: list[Line], cells: list[str], where: str) -> None:
    """One table row as a line: a row of one cell is a line of text (a heading)."""
    while cells and not cells[-1].strip():
        cells = cells[:-1]
    if not any(c.strip() for c in cells):
        return
    if len(cells) > MAX_COLUMNS:
        raise NoticeProblem(f"{path}: 表格一行超过 {MAX_COLUMNS} 列（{where}），不像一份通知")
    filled = [c for c in cells if c.strip()]
    if len(filled) == 1:  # text, as a paragraph holds it: a heading, pasted paragraphs
        for text in filled[0].split("\n"):
            if text.strip():
                out.append(Line(len(out) + 1, text, [], where))
    else:
        # a cell's lines are apart as a space parts them; a space after a name's ending
        # parts two names (安监站 安监所 / 县财政局⏎各乡镇人民政府), as in a copied cell
        cells = [_clean_cell(c.replace("\n", " ")) for c in cells]
        out.append(Line(len(out) + 1, " | ".join(cells), cells, where))
    _counted(path, out)


# -- PDF -----------------------------------------------------------------------------------


def read_pdf(path: Path) -> list[Line]:
    """The text layer of a PDF in reading order: paragraphs joined across the page's
    line breaks (a line ending short of the right margin ends its paragraph), tables as
    rows of cells. A scanned PDF has no text layer: it is refused with what to do."""
    import pdfplumber

    _too_big(path)
    out: list[Line] = []
    try:
        with pdfplumber.open(str(path)) as pdf:
            if len(pdf.pages) > MAX_PDF_PAGES:
                raise NoticeProblem(
                    f"{path}: 有 {len(pdf.pages)} 页，超过通知的上限 "
                    f"{MAX_PDF_PAGES} 页。请确认选对了文件"
                )
            flow = _Flow()
            for p, page in enumerate(pdf.pages, start=1):
                _pdf_page(path, page, p, out, flow)
    except NoticeProblem:
        raise
    except Exception as exc:  # pdfminer's errors of a damaged file carry English text
        raise NoticeProblem(
            f"{path}: 不是可以读取的 PDF 文件（{type(exc).__name__}）。请用 "
            "原文件另存为 PDF，或改导入 .docx"
        ) from None
    if not out:
        raise NoticeProblem(
            f"{path}: PDF 中没有文字层（可能是扫描件）。请导入原始的 .docx/.wps "
            "文件，或先做文字识别（OCR）后另存为文本"
        )
    # a table printed as text (a cell a line, bars between cells) or a web page's body
    # printed as one paragraph is read as there
    return _as_text(out)


def _as_text(out: list[Line]) -> list[Line]:
    """Lines of text (a PDF's paragraphs, a sheet's rows of one cell) read as a .txt's
    are; rows with their cells pass as they are."""
    raw = [(ln.no, reading_form(ln.text), [reading_form(c) for c in ln.cells]) for ln in out]
    labels = {ln.no: ln.where for ln in out}
    return text_lines(text_rows(raw), labels.__getitem__)


# how a sentence or an aside ends: a line ending so stops short of the margin by choice
_ENDS = ("。", "）", ")", "；", ";", "：", ":", "！", "？")


@dataclass
class _Flow:
    """What a page hands on to the next: whether its last paragraph ran to the right
    margin (to go on in the next page's first one), its last table row while the page
    ended with one (Word lets a row break across pages), and how many lines so far began
    a paragraph indented (a document that indents them shows where each begins)."""

    open_end: bool = False
    row: list[str] | None = None
    indents: int = 0


def _pdf_page(path: Path, page: Any, p: int, out: list[Line], flow: _Flow) -> None:
    """Read one page into ``out``, going on from the page before it (``flow``)."""
    tables = page.find_tables()
    boxes = [t.bbox for t in tables]

    def outside(obj: dict[str, Any]) -> bool:
        x = (obj.get("x0", 0) + obj.get("x1", 0)) / 2
        y = (obj.get("top", 0) + obj.get("bottom", 0)) / 2
        return not any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)

    blocks: list[tuple[float, str, Any]] = [(t.bbox[1], "table", t) for t in tables]
    lines = (
        page.filter(outside).extract_text_lines(return_chars=False)
        if boxes
        else page.extract_text_lines(return_chars=False)
    )
    lines = _without_page_numbers([ln for ln in lines if ln["text"].strip()], boxes)
    left = min((ln["x0"] for ln in lines), default=0)
    # the text's right edge: its longest line or, on a page of short lines (cells a line
    # each), about as far from the page's edge as the left one is (two characters' leeway)
    right = max([ln["x1"] for ln in lines] + [float(page.width) - left - 30])

    def size(ln: dict[str, Any]) -> float:
        return float(max(ln.get("bottom", 0) - ln.get("top", 0), 8))

    def indented(ln: dict[str, Any]) -> bool:  # a paragraph's first line
        return bool(ln["x0"] > left + size(ln))

    # a page that indents its paragraphs' first lines (a 公文 does) shows where each begins:
    # there an unindented line after one at the margin goes on, after a full stop too
    # a first-line indent is a character or two; a centred title or a right-set signature
    # is no paragraph's first line
    flow.indents += sum(left + size(ln) / 2 < ln["x0"] <= left + 2.5 * size(ln) for ln in lines)
    indenting = flow.indents >= 3

    def at_margin(ln: dict[str, Any]) -> bool:
        # a line wrapped mid-sentence stops near the margin: some characters short where
        # the text is not justified (a line cannot begin with a closing mark or a stop, so
        # the one before it breaks early); one ending a sentence there must fill the line
        # to the last character (to a character of it where the next line's indent tells)
        if ln["text"].strip().endswith(_ENDS):
            short = (2 if indenting else 1) * size(ln)
        else:
            short = (5 if indenting else 4) * size(ln)
        return bool(ln["x1"] >= right - short)

    # the paragraph the page before left open: its bracket may close on this page
    carry = out[-1].text if flow.open_end and out and not out[-1].cells else ""

    def goes_on(para: str, after: str, k: int) -> bool:
        first = not any(kind == "text" for _, kind, _ in blocks)  # the page's first paragraph
        return continues(
            carry + para if first else para, after, partial(rest, k), indents=indenting
        )

    def rest(k: int) -> str:  # line k and those that go on from it, to the first short one
        last = min(len(lines), k + 20) - 1  # every line to the page's end at the margin
        end = next((j for j in range(k, last + 1) if not at_margin(lines[j])), last)
        return "".join(ln["text"].strip() for ln in lines[k : end + 1])

    para, top, ends_open = "", 0.0, False
    for k, ln in enumerate(lines):
        if not para:
            top = ln["top"]
        para += ln["text"].strip()
        after = lines[k + 1] if k + 1 < len(lines) else None
        # a line that stops short of the right margin ends its paragraph; one that runs to
        # it goes on, unless the next line is indented or begins anew as a line of copied
        # text would (plans.notice.continues)
        ends_open = after is None and at_margin(ln)
        if (
            after is None
            or not at_margin(ln)
            or indented(after)
            or not goes_on(para, after["text"].strip(), k + 1)
        ):
            blocks.append((top, "text", para))
            para = ""
    if para:
        blocks.append((top, "text", para))
    t = 0
    ordered = sorted(blocks, key=lambda b: b[0])
    for n, (_, kind, item) in enumerate(ordered):
        if kind == "text":
            text = item.strip()  # cleaned with the text pipeline (spaces part its cells)
            if (
                n == 0
                and flow.open_end
                and out
                and not out[-1].cells
                and not indented(lines[0])
                and continues(out[-1].text, text)
            ):
                out[-1] = Line(out[-1].no, out[-1].text + text, [], out[-1].where)
            else:  # page numbers were dropped line by line above
                out.append(Line(len(out) + 1, text, [], f"第{p}页第{len(out) + 1}段"))
                _counted(path, out)
            continue
        t += 1
        rows = [[_cell(c).replace("\n", "").strip() for c in row] for row in item.extract()]
        for r, cells in enumerate(rows, start=1):
            if n == r - 1 == 0 and flow.row and _row_goes_on(flow.row, cells):
                cells = [a + b for a, b in zip(flow.row, cells, strict=True)]
                where = out.pop().where
                _row(path, out, cells, where)
                rows[0] = cells
                continue
            _row(path, out, cells, f"第{p}页表{t}第{r}行")
        flow.row = rows[-1] if n == len(ordered) - 1 and rows and any(rows[-1]) else None
    if not ordered or ordered[-1][1] == "text":
        flow.row = None
    flow.open_end = ends_open and bool(ordered) and ordered[-1][1] == "text"


def _row_goes_on(last: list[str], first: list[str]) -> bool:
    """A page's first table row goes on with the last page's last row when it has as many
    cells and starts nothing: its first cell is empty or no number, mark or column name
    (扶政策的公开力度… | | (街道办事处) after …行业帮 | | …各乡镇人民政府)."""
    lead = first[0].strip() if first else ""
    return (
        len(first) == len(last)
        and any(first)
        and not (lead and (MARKS.match(lead) or re.fullmatch(r"\d{1,3}", lead)))
        and not header_cell(lead)
    )


def _without_page_numbers(lines: list[dict[str, Any]], boxes: list[Any]) -> list[dict[str, Any]]:
    """The page's lines without its number. A page number stands in the head or the foot,
    above or below all the text and tables: 第 3 页, a number between dashes (— 3 —), or a
    bare number set in the middle or at the outer edge, or apart from the text by more
    than a line's gap. A bare number at the text's left edge in its flow is a cell (a 序号
    printed a cell a line)."""
    spans = [(float(ln["top"]), float(ln["bottom"])) for ln in lines]
    spans += [(float(b[1]), float(b[3])) for b in boxes]
    left = min([float(ln["x0"]) for ln in lines] + [float(b[0]) for b in boxes], default=0.0)

    def number(ln: dict[str, Any], end: int) -> bool:
        text = ln["text"].strip()
        top, bottom = float(ln["top"]), float(ln["bottom"])
        others = [sp for sp in spans if sp != (top, bottom)]
        if others and (
            min(t for t, _ in others) < top if end < 0 else max(b for _, b in others) > bottom
        ):
            return False  # text or a table stands beyond it: it is in the flow
        if re.fullmatch(r"[—\-－–]+\s*\d{1,3}\s*[—\-－–]+|第\s*\d+\s*页.*", text):
            return True
        if not re.fullmatch(r"\d{1,3}", text):
            return False
        height = max(bottom - top, 8.0)
        gap = min((max(top - b, t - bottom) for t, b in others), default=height * 3)
        return float(ln["x0"]) > left + height or gap > 2 * height

    while lines and number(lines[-1], 1):
        spans.remove((float(lines[-1]["top"]), float(lines[-1]["bottom"])))
        lines = lines[:-1]
    while lines and number(lines[0], -1):
        spans.remove((float(lines[0]["top"]), float(lines[0]["bottom"])))
        lines = lines[1:]
    return lines


# -- spreadsheets --------------------------------------------------------------------------


def read_xlsx(path: Path) -> list[Line]:
    """Every sheet's rows; a cell merged down repeats its text in each row it spans (a
    lead over several rows, as a .docx gives it), a cell merged across leaves the
    columns it covers empty."""
    from openpyxl import load_workbook

    _too_big(path)
    check_zip(path, "xl/workbook.xml", "表格")
    try:
        book = load_workbook(str(path), data_only=True)
    except Exception as exc:  # parts openpyxl cannot make sense of
        raise NoticeProblem(
            f"{path}: 不是可以读取的 .xlsx 文件（{type(exc).__name__}）。请在 "
            "Excel/WPS 中重新另存为 .xlsx"
        ) from None
    out: list[Line] = []
    for s, sheet in enumerate(book.worksheets, start=1):
        if sheet.max_row > MAX_SHEET_ROWS or sheet.max_column > MAX_COLUMNS:
            raise NoticeProblem(
                f"{path}: 工作表“{sheet.title}”有 {sheet.max_row} 行、"
                f"{sheet.max_column} 列，超过一份任务分解表的上限"
            )
        grid = [[_cell(c) for c in row] for row in sheet.iter_rows(values_only=True)]
        for merged in sheet.merged_cells.ranges:
            value = grid[merged.min_row - 1][merged.min_col - 1]
            for r in range(merged.min_row, merged.max_row + 1):
                grid[r - 1][merged.min_col - 1] = value
        name = sheet.title if len(book.worksheets) > 1 else ""
        for r, cells in enumerate(grid, start=1):
            _row(path, out, cells, f"{name}表{s}第{r}行" if name else f"第{r}行")
    # a notice pasted into a sheet, a paragraph a row, is text as a .txt gives it
    return _as_text(out)


def read_xls(path: Path) -> list[Line]:
    """An Excel 97–2003 workbook, as ``read_xlsx`` reads a new one."""
    import xlrd

    _too_big(path)
    try:
        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
    except Exception as exc:  # xlrd's own errors carry English text
        raise NoticeProblem(
            f"{path}: 不是可以读取的 .xls 文件（{type(exc).__name__}）。请在 "
            "Excel/WPS 中另存为 .xlsx"
        ) from None
    out: list[Line] = []
    for s in range(book.nsheets):
        sheet = book.sheet_by_index(s)
        if sheet.nrows > MAX_SHEET_ROWS or sheet.ncols > MAX_COLUMNS:
            raise NoticeProblem(
                f"{path}: 工作表“{sheet.name}”有 {sheet.nrows} 行、"
                f"{sheet.ncols} 列，超过一份任务分解表的上限"
            )
        grid = [
            [_cell(sheet.cell_value(r, c)) for c in range(sheet.ncols)] for r in range(sheet.nrows)
        ]
        for r0, r1, c0, _ in sheet.merged_cells:
            for r in range(r0 + 1, r1):
                grid[r][c0] = grid[r0][c0]
        for r, cells in enumerate(grid, start=1):
            _row(path, out, cells, f"表{s + 1}第{r}行")
    return _as_text(out)


# -- old Word and WPS files, through LibreOffice ---------------------------------------------


def office() -> str | None:
    """The LibreOffice program, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def read_legacy(path: Path) -> list[Line]:
    """A .doc or .wps converted to .docx by LibreOffice (headless, in a scratch folder
    with its own profile, within a time bound), then read as a .docx is."""
    _too_big(path)
    program = office()
    if program is None:
        raise NoticeProblem(
            f"{path}: 读取 {path.suffix} 文件需要 LibreOffice，本机没有安装。请在 "
            "Word/WPS 中另存为 .docx 后导入，或请运维人员安装 LibreOffice"
            "（Debian/Ubuntu：apt-get install libreoffice-writer）"
        )
    with tempfile.TemporaryDirectory(prefix="duban-convert-") as scratch:
        work = Path(scratch)
        source = work / f"notice{path.suffix.lower()}"
        shutil.copyfile(path, source)
        try:
            subprocess.run(
                [
                    program,
                    f"-env:UserInstallation=file://{work / 'profile'}",
                    "--headless",
                    "--norestore",
                    "--convert-to",
                    "docx",
                    "--outdir",
                    str(work),
                    str(source),
                ],
                capture_output=True,
                timeout=CONVERT_SECONDS,
                check=False,
                env={**os.environ, "HOME": str(work)},
            )
        except subprocess.TimeoutExpired:
            raise NoticeProblem(
                f"{path}: LibreOffice 在 {CONVERT_SECONDS} 秒内没有转换完，"
                "请在 Word/WPS 中另存为 .docx 后导入"
            ) from None
        converted = work / "notice.docx"
        if not converted.is_file():
            raise NoticeProblem(
                f"{path}: LibreOffice 无法转换这个 {path.suffix} 文件（文件可能"
                "已损坏或加密）。请在 Word/WPS 中打开并另存为 .docx 后导入"
            )
        return read_docx(converted)

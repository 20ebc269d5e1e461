"""A text notice as an office receives it: a Word document whose table rows are a Word
table, the PDF LibreOffice prints from that document, the same document saved as an old
Word file (.doc), and the notice pasted into a spreadsheet (.xlsx: a paragraph a row in
the first column, a table row across the columns).

The text notices under test were copied from web pages; the same notices reach an office
as .docx and .pdf attachments. Rewriting each one into those forms (independently of the
importer: a row is a line whose cells a tab or a bar parts) measures how much the reading
depends on the form it came in.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from openpyxl import Workbook

# a table row as a copy keeps it: cells parted by a tab or a bar
_CELLS = re.compile(r"\t|\s*\|\s*")
_NUMBERED = re.compile(
    r"\s*"
    r"(?:[一二三四五六七八九十\d]+[、.．]|[（(][一二三四五六七八九十\d]+[）)])"
)
_PAGE = re.compile(r"<(p|div|span|td|form|address)\b", re.I)
_INDENT = re.compile(r"^\u3000")
_SIZE = Pt(14)  # 三号 is 16 pt; 14 keeps a page's 28-odd characters a line


def is_page(text: str) -> bool:
    """A saved web page, its tags kept: no office document holds one."""
    return bool(_PAGE.search(text[:20000]))


def _cells(line: str) -> list[str] | None:
    if "\t" not in line and "|" not in line:
        return None
    cells = [c.strip() for c in _CELLS.split(line.strip().strip("|"))]
    # "2 |": a cell of a table copied one cell per line, its bar after it, is no row
    return cells if sum(map(bool, cells)) >= 2 else None


def _whole_rows(rows: list[list[str]]) -> list[list[str]]:
    """A browser copy breaks a cell of two paragraphs over two lines (``3.建立…\t区经济
    发展局`` then ``区行政审批局\t区直各有关单位``): in the document it is one row again,
    the cell holding both paragraphs."""
    out: list[list[str]] = []
    width = len(rows[0])  # the header's
    for cells in rows:
        prev = out[-1] if len(out) > 1 else None
        numbered = _NUMBERED.match(cells[0])
        if prev and not numbered and len(prev) < width and len(prev) + len(cells) - 1 <= width:
            prev[-1] += "\n" + cells[0]
            prev += cells[1:]
        else:
            out.append(list(cells))
    return out


def _blocks(text: str) -> list[str | list[list[str]]]:
    """The notice's paragraphs (str) and tables (rows of cells) in order; blank lines go."""
    lines = text.splitlines()
    out: list[str | list[list[str]]] = []
    k = 0
    while k < len(lines):
        rows: list[list[str]] = []
        while k < len(lines) and (cells := _cells(lines[k])) is not None:
            rows.append(cells)
            k += 1
        if rows:
            out.append(_whole_rows(rows))
            continue
        if lines[k].strip():
            out.append(lines[k])
        k += 1
    return out


def write_docx(text: str, target: Path) -> None:
    """Each line a paragraph (an indented, numbered or long one with a first-line indent
    of two characters, as a 公文's body has), each run of table rows one Word table as
    wide as its widest row."""
    doc = Document()
    style = doc.styles["Normal"]
    style.font.size = _SIZE
    style.font.name = "Noto Serif CJK SC"
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "Noto Serif CJK SC")
    for block in _blocks(text):
        if isinstance(block, list):
            width = max(len(r) for r in block)
            table = doc.add_table(rows=len(block), cols=width)
            table.style = "Table Grid"
            for row, cells in zip(table.rows, block, strict=True):
                for cell, value in zip(row.cells, cells, strict=False):
                    cell.text = value
            continue
        # an indent of ideographic spaces is the paragraph's first-line indent; other
        # spaces stay (columns a fixed-width layout sets out). A web page's copy lost the
        # indent a 公文 gives its body: a numbered or long paragraph gets it back.
        words = block.lstrip("\u3000").rstrip()
        para = doc.add_paragraph(words)
        if _INDENT.match(block) or _NUMBERED.match(words) or len(words) >= 30:
            para.paragraph_format.first_line_indent = Pt(_SIZE.pt * 2)
    doc.save(str(target))


def write_xlsx(text: str, target: Path) -> None:
    """The notice pasted into a spreadsheet: each paragraph a row of one cell, each
    table row across as many columns as it has cells."""
    book = Workbook()
    sheet = book.active
    for block in _blocks(text):
        for row in block if isinstance(block, list) else [[block.rstrip()]]:
            sheet.append(row)
    book.save(str(target))


def convert(docs: list[Path], out: Path, to: str) -> None:
    """LibreOffice turns every document into ``out/<stem>.<to>`` (pdf: printed; doc: saved
    as Word 97–2003) in one run. A .doc is saved from the document opened in Writer
    (by way of .odt): LibreOffice's direct .docx → .doc export glues some python-docx
    tables into one paragraph (a development notice's 6-column table), which a .doc an
    office saved would not do; tests/test_forms.py goes the same way."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SystemExit(f"--office={to} needs LibreOffice (soffice) on the PATH")

    def run(paths: list[Path], fmt: str, target: Path) -> None:
        subprocess.run(
            [soffice, "--headless", "--convert-to", fmt, "--outdir", str(target), *map(str, paths)],
            capture_output=True,
            check=True,
            timeout=1800,
        )

    if to != "doc":
        run(docs, to, out)
        return
    with tempfile.TemporaryDirectory(prefix="office-copy-") as tmp:
        run(docs, "odt", Path(tmp))
        run([Path(tmp) / f"{d.stem}.odt" for d in docs], "doc", out)

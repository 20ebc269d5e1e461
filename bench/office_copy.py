"""A text notice as an office receives it: a Word document whose table rows are a Word
table, and the PDF LibreOffice prints from that document.

The text notices under test were copied from web pages; the same notices reach an office
as .docx and .pdf attachments. Rewriting each one into those forms (independently of the
importer: a row is a line whose cells a tab or a bar parts) measures how much the reading
depends on the form it came in.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

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


def write_docx(text: str, target: Path) -> None:
    """Each line a paragraph (an indented, numbered or long one with a first-line indent
    of two characters, as a 公文's body has), each run of table rows one Word table as
    wide as its widest row."""
    doc = Document()
    style = doc.styles["Normal"]
    style.font.size = _SIZE
    style.font.name = "Noto Serif CJK SC"
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "Noto Serif CJK SC")
    lines = text.splitlines()
    k = 0
    while k < len(lines):
        rows: list[list[str]] = []
        while k < len(lines) and (cells := _cells(lines[k])) is not None:
            rows.append(cells)
            k += 1
        if rows:
            rows = _whole_rows(rows)
            width = max(len(r) for r in rows)
            table = doc.add_table(rows=len(rows), cols=width)
            table.style = "Table Grid"
            for row, cells in zip(table.rows, rows, strict=True):
                for cell, value in zip(row.cells, cells, strict=False):
                    cell.text = value
            continue
        line = lines[k]
        k += 1
        if not line.strip():
            continue
        # an indent of ideographic spaces is the paragraph's first-line indent; other
        # spaces stay (columns a fixed-width layout sets out). A web page's copy lost the
        # indent a 公文 gives its body: a numbered or long paragraph gets it back.
        words = line.lstrip("\u3000").rstrip()
        para = doc.add_paragraph(words)
        if _INDENT.match(line) or _NUMBERED.match(words) or len(words) >= 30:
            para.paragraph_format.first_line_indent = Pt(_SIZE.pt * 2)
    doc.save(str(target))


def print_pdfs(docs: list[Path], out: Path) -> None:
    """LibreOffice prints every document to ``out/<stem>.pdf`` in one run."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SystemExit("--office=pdf needs LibreOffice (soffice) on the PATH")
    subprocess.run(
        [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(out), *map(str, docs)],
        capture_output=True,
        check=True,
        timeout=1800,
    )

"""Word documents in the national 公文 format (GB/T 9704-2012《党政机关公文格式》).

Offices print and file the 催办单, 督办单, 通报 and check reports, so they must
look like every other document in the file: A4; margins of 37 mm (top),
35 mm (bottom), 28 mm (binding side) and 26 mm, which leave the standard
156 mm × 225 mm text block; 3号 (16 pt) 仿宋_GB2312 body, 22 lines of 28
characters; the red 发文机关标志 with the red separator line under the
发文字号; a 2号 小标宋 title; the 主送机关 flush left; the signature centred over
the 成文日期 (written 2021年7月22日, four characters from the right) with room
for the seal pressing on both; page numbers ``— 1 —`` in 4号 宋体, outside
(odd pages right, even pages left, one character in).

Fonts are named as offices have them (仿宋_GB2312, 方正小标宋简体) and each
carries a fallback (``altName``: 仿宋, 宋体) in the font table, for machines
without them. Tables get column widths from their content, a header row
repeated on every page and rows that do not break across pages.

The input is the Markdown twin every document also has, in one convention:
``# 发文机关``, ``**发文字号**``, ``## 标题``, then a line ending in ``：``
(主送机关), paragraphs, ``## 小标题``, ``- 列表``, ``| 表格 |``, and the last two
paragraphs the 署名 and the 成文日期.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document as Docx
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

RED = RGBColor(0xFF, 0x00, 0x00)
GRADE_COLOURS = {
    "blue": RGBColor(0x1F, 0x4E, 0x9E),
    "yellow": RGBColor(0xB8, 0x86, 0x0B),
    "red": RGBColor(0xC0, 0x00, 0x00),
}
BODY, TITLE, HEADING, NUMBERS = "仿宋_GB2312", "方正小标宋简体", "黑体", "宋体"
FALLBACK = {BODY: "仿宋", TITLE: "宋体", HEADING: "SimHei", NUMBERS: "SimSun"}
BODY_PT, TITLE_PT, TABLE_PT, PAGE_NO_PT = 16, 22, 10.5, 14  # 3号, 2号, 五号, 4号
LINE_PT = 28.95  # 225 mm / 22 lines
TEXT_WIDTH_MM = 156
QR_MM, QR_COLUMN_MM, QR_NOTE_PT = 22, 90, 8  # the code, its widest column, the address
MARK_MAX_PT = 36  # 小初; a long office name is set smaller to fit the line
DATE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")
DOC_NO = re.compile(r"^\*\*(.+〔\d{4}〕\d+号)\*\*$")


def cn_date(iso: str) -> str:
    """2021-07-22 as 成文日期 is written: 2021年7月22日."""
    y, m, d = (int(x) for x in iso[:10].split("-"))
    return f"{y}年{m}月{d}日"


def text_width(text: str, size: float) -> float:
    """Points a line of text takes: wide (CJK) characters one em, others half."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size / 2 for ch in text)


TableBlock = tuple[list[list[str]], list[bool]]


@dataclass
class Gongwen:
    """A document read from its Markdown twin."""

    issuer: str = ""
    doc_no: str = ""
    title: str = ""
    addressee: str = ""
    # (kind, content): a table's content is its rows and which columns align right
    blocks: list[tuple[str, str | TableBlock]] = field(default_factory=list)
    signature: str = ""
    date: str = ""
    qr: str = ""  # a link printed as a QR code under the date (a unit's page)

    @classmethod
    def from_markdown(cls, text: str) -> Gongwen:
        doc = cls()
        lines = [ln.rstrip() for ln in text.splitlines()]
        unescape = html.unescape  # the Markdown escapes values; Word shows them as typed
        i = 0
        while i < len(lines):
            line = lines[i]
            i += 1
            if not line:
                continue
            if line.startswith("|"):
                rows = [line]
                while i < len(lines) and lines[i].startswith("|"):
                    rows.append(lines[i])
                    i += 1
                cells = [
                    [unescape(c.strip()) for c in r.strip().strip("|").split("|")] for r in rows
                ]
                aligns = next((c for c in cells if all(re.fullmatch(r":?-+:?", x) for x in c)), [])
                body = [c for c in cells if c is not aligns]
                doc.blocks.append(("table", (body, [a.endswith(":") for a in aligns])))
                continue
            line = unescape(line)
            if line.startswith("# ") and not doc.issuer:
                doc.issuer = line[2:].strip()
            elif (number := DOC_NO.match(line)) and not doc.title:
                doc.doc_no = number.group(1)
            elif line.startswith("## ") and not doc.title:
                doc.title = line[3:].strip()
            elif line.startswith("#"):
                doc.blocks.append(("heading", line.lstrip("# ").strip()))
            elif line.endswith("：") and doc.title and not doc.blocks and not doc.addressee:
                doc.addressee = line
            elif line.startswith("- "):
                doc.blocks.append(("item", line[2:].replace("**", "")))
            else:
                doc.blocks.append(("para", line.replace("**", "")))
        paras = [b for b in doc.blocks if b[0] == "para"]
        if len(paras) >= 2 and DATE.match(str(doc.blocks[-1][1])) and doc.blocks[-2][0] == "para":
            doc.signature, doc.date = str(doc.blocks[-2][1]), str(doc.blocks[-1][1])
            doc.blocks = doc.blocks[:-2]
        return doc

    def save(self, path: Path, *, grade: str | None = None) -> None:
        Writer(grade).write(self, path)


def _fonts(run_or_style: object, name: str) -> None:
    """Name the font for every script (East Asian text is what matters here)."""
    font = run_or_style.font  # type: ignore[attr-defined]
    font.name = name
    rpr = run_or_style.element.get_or_add_rPr()  # type: ignore[attr-defined]
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), name)


def _exact(p: Paragraph, points: float) -> None:
    """A line of its own height, off the 22-line grid (the mark and the title are
    larger than a grid line and would otherwise take two)."""
    fmt = p.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(points)
    fmt.space_before = fmt.space_after = Pt(0)
    _no_snap(p)


def _no_snap(p: Paragraph) -> None:
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    p._p.get_or_add_pPr().append(snap)


class Writer:
    """Lays a ``Gongwen`` out on A4 by the standard's measures."""

    def __init__(self, grade: str | None = None) -> None:
        self.grade = grade
        self.docx = Docx()

    def write(self, doc: Gongwen, path: Path) -> None:
        self._page()
        self._styles()
        if doc.issuer:
            self._masthead(doc.issuer, doc.doc_no)
        if doc.title:
            self._title(doc.title)
        if doc.addressee:
            self._para(doc.addressee, indent=False)
        for kind, content in doc.blocks:
            if isinstance(content, tuple):
                self._table(*content)
            elif kind == "heading":
                self._para(str(content), font=HEADING)
            else:
                self._para(str(content))
        if doc.qr:
            self._signature_beside_qr(doc.signature, doc.date, doc.qr)
        elif doc.signature or doc.date:
            self._signature(doc.signature, doc.date)
        self._page_numbers()
        self._font_table()
        self.docx.save(str(path))

    # ---- page, styles, fonts

    def _page(self) -> None:
        s = self.docx.sections[0]
        s.orientation = WD_ORIENT.PORTRAIT
        s.page_width, s.page_height = Mm(210), Mm(297)
        s.top_margin, s.bottom_margin = Mm(37), Mm(35)
        s.left_margin, s.right_margin = Mm(28), Mm(26)
        s.header_distance, s.footer_distance = Mm(15), Mm(23)  # page number 7 mm under text
        grid = s._sectPr.find(qn("w:docGrid"))
        if grid is None:
            grid = OxmlElement("w:docGrid")
            s._sectPr.append(grid)
        grid.set(qn("w:type"), "lines")
        grid.set(qn("w:linePitch"), str(round(LINE_PT * 20)))  # twips: 22 lines

    def _styles(self) -> None:
        normal = self.docx.styles["Normal"]
        _fonts(normal, BODY)
        normal.font.size = Pt(BODY_PT)
        # 28 characters of 16 pt on a 156 mm line: each 0.2 pt closer than its em.
        spacing = OxmlElement("w:spacing")
        spacing.set(qn("w:val"), str(round((TEXT_WIDTH_MM / 28 / 25.4 * 72 - BODY_PT) * 20)))
        normal.element.get_or_add_rPr().append(spacing)
        fmt = normal.paragraph_format
        fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(LINE_PT)
        fmt.space_before = fmt.space_after = Pt(0)
        fmt.widow_control = True

    def _font_table(self) -> None:
        """Fallbacks for machines without the offices' fonts (Word reads ``altName``)."""
        part = next(
            p for p in self.docx.part.package.iter_parts() if p.partname == "/word/fontTable.xml"
        )
        from lxml import etree

        root = etree.fromstring(part.blob)
        for name, alt in FALLBACK.items():
            font = etree.SubElement(root, qn("w:font"))
            font.set(qn("w:name"), name)
            alt_el = etree.SubElement(font, qn("w:altName"))
            alt_el.set(qn("w:val"), alt)
            charset = etree.SubElement(font, qn("w:charset"))
            charset.set(qn("w:val"), "86")  # GB2312
        part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    # ---- blocks

    def _run(
        self,
        p: Paragraph,
        text: str,
        *,
        font: str = BODY,
        size: float = BODY_PT,
        colour: RGBColor | None = None,
        bold: bool = False,
    ) -> None:
        run = p.add_run(text)
        _fonts(run, font)
        run.font.size = Pt(size)
        run.bold = bold
        if colour is not None:
            run.font.color.rgb = colour

    def _blank(self, lines: int = 1) -> None:
        for _ in range(lines):
            self.docx.add_paragraph()

    def _masthead(self, issuer: str, doc_no: str) -> None:
        """Red 发文机关标志, then the 发文字号 two lines under it, above the red line."""
        size = min(MARK_MAX_PT, TEXT_WIDTH_MM / 25.4 * 72 / max(len(issuer), 1))
        p = self.docx.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _exact(p, size * 1.25)
        self._run(p, issuer, font=TITLE, size=size, colour=RED)
        self._blank(2 if doc_no else 1)
        p = self.docx.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if doc_no:
            self._run(p, doc_no)
        ppr = p._p.get_or_add_pPr()
        border = OxmlElement("w:pBdr")
        bottom = OxmlElement("w:bottom")
        for k, v in (("w:val", "single"), ("w:sz", "12"), ("w:space", "11"), ("w:color", "FF0000")):
            bottom.set(qn(k), v)  # 1.5 pt red, 4 mm (11 pt) under the 发文字号
        border.append(bottom)
        ppr.append(border)
        self._blank(1)

    def _title(self, title: str) -> None:
        p = self.docx.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _exact(p, 36)
        self._run(p, title, font=TITLE, size=TITLE_PT, colour=GRADE_COLOURS.get(self.grade or ""))
        self._blank(1)

    def _para(self, text: str, *, indent: bool = True, font: str = BODY) -> None:
        p = self.docx.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        if indent:
            p.paragraph_format.first_line_indent = Pt(BODY_PT * 2)
        self._run(p, text, font=font)

    def _table(self, rows: list[list[str]], right: list[bool]) -> None:
        ncols = max(len(r) for r in rows)
        table = self.docx.add_table(rows=len(rows), cols=ncols)
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        widths = _column_widths(rows, ncols)
        for r, cells in enumerate(rows):
            row = table.rows[r]
            trpr = row._tr.get_or_add_trPr()
            trpr.append(OxmlElement("w:cantSplit"))
            if r == 0:
                trpr.append(OxmlElement("w:tblHeader"))  # repeated on every page
            for c in range(ncols):
                cell = row.cells[c]
                cell.width = Mm(widths[c])
                p = cell.paragraphs[0]
                p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
                p.paragraph_format.first_line_indent = None
                _no_snap(p)  # table text keeps its own line height
                if r == 0:
                    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                elif c < len(right) and right[c]:
                    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                value = cells[c] if c < len(cells) else ""
                self._run(
                    p, value.replace("**", ""), size=TABLE_PT, font=HEADING if r == 0 else BODY
                )
        _fixed_layout(table, widths)

    def _keep_last_paragraph(self) -> None:
        """The last paragraph of the text goes with the signature, so the sealed page never
        stands without text (the standard forbids 此页无正文); the body before it flows."""
        body = self.docx.paragraphs
        if body:
            body[-1].paragraph_format.keep_with_next = True

    def _signature(self, signature: str, date: str) -> None:
        """署名 centred over the 成文日期, the date four characters from the right, one
        line under the text: the seal presses on both."""
        self._keep_last_paragraph()
        self._blank(1)
        self.docx.paragraphs[-1].paragraph_format.keep_with_next = True
        self._signature_lines(self.docx.add_paragraph, signature, date)

    @staticmethod
    def _signature_indents(signature: str, date: str) -> tuple[float, float]:
        """Right indents (pt) of the 署名 and the 成文日期: the date four characters in, the
        signature centred over it; a signature longer than the date two characters in."""
        sig_w, date_w = text_width(signature, BODY_PT), text_width(date, BODY_PT)
        if sig_w <= date_w:
            return BODY_PT * 4 + (date_w - sig_w) / 2, BODY_PT * 4
        return BODY_PT * 2, BODY_PT * 2 + (sig_w - date_w) / 2

    def _signature_lines(self, add: Callable[[], Paragraph], signature: str, date: str) -> None:
        sig_right, date_right = self._signature_indents(signature, date)
        for text, right in ((signature, sig_right), (date, date_right)):
            if not text:
                continue
            p = add()
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            p.paragraph_format.right_indent = Pt(right)
            p.paragraph_format.keep_with_next = text == signature  # never a date alone
            self._run(p, text)

    def _signature_beside_qr(self, signature: str, date: str, url: str) -> None:
        """The signature block as in ``_signature``, with the unit's link as a 25 mm QR
        code at the left of it and the address under the code for a reader without a
        camera: paper answered from a phone. Side by side (a borderless table the width
        of the text block, no cell margins, so the signature stands where it would
        alone), the code costs no lines of its own and a sheet that fits on one page
        stays on one page; the row never splits."""
        import io

        import segno

        self._keep_last_paragraph()
        table = self.docx.add_table(rows=1, cols=2)
        table.autofit = False
        row = table.rows[0]
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        sig_right, date_right = self._signature_indents(signature, date)
        taken = (
            max(sig_right + text_width(signature, BODY_PT), date_right + text_width(date, BODY_PT))
            / 72
            * 25.4
        )
        # the code's column: all the line left of the signature, less a character's gap
        left_mm = max(QR_MM + 2, min(QR_COLUMN_MM, TEXT_WIDTH_MM - taken - 6))
        qr_cell, sig_cell = row.cells
        qr_cell.width, sig_cell.width = Mm(left_mm), Mm(TEXT_WIDTH_MM - left_mm)
        _fixed_layout(table, [left_mm, TEXT_WIDTH_MM - left_mm])
        _no_borders_or_margins(table)
        png = io.BytesIO()
        segno.make(url, error="m").save(png, kind="png", scale=8, border=2)
        png.seek(0)
        pic = qr_cell.paragraphs[0]
        _plain(pic)
        pic.add_run().add_picture(png, width=Mm(QR_MM))
        note = qr_cell.add_paragraph()
        _plain(note)
        self._run(note, f"扫码在线报送：{url}", size=QR_NOTE_PT)
        # The seal's top is within a line of the text (GB/T 9704 7.3.5.1): half a line
        # between the text and the signature, which the code's note needs anyway.
        gap = sig_cell.paragraphs[0]
        _exact(gap, LINE_PT / 2)
        gap.paragraph_format.keep_with_next = True
        self._signature_lines(sig_cell.add_paragraph, signature, date)

    def _page_numbers(self) -> None:
        """``— 1 —``: odd pages right, even pages left, one character in."""
        self.docx.settings.odd_and_even_pages_header_footer = True
        section = self.docx.sections[0]
        for footer, align in (
            (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
            (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
        ):
            footer.is_linked_to_previous = False
            p = footer.paragraphs[0]
            p.alignment = align
            fmt = p.paragraph_format
            fmt.first_line_indent = None
            fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
            if align == WD_ALIGN_PARAGRAPH.RIGHT:
                fmt.right_indent = Pt(PAGE_NO_PT)
            else:
                fmt.left_indent = Pt(PAGE_NO_PT)
            self._run(p, "— ", font=NUMBERS, size=PAGE_NO_PT)
            _page_field(p)
            self._run(p, " —", font=NUMBERS, size=PAGE_NO_PT)


def _plain(p: Paragraph) -> None:
    """A paragraph of its own height, flush left (a picture or a small note in a cell)."""
    fmt = p.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fmt.first_line_indent = None
    fmt.space_before = fmt.space_after = Pt(0)
    p.alignment = WD_ALIGN_PARAGRAPH.LEFT
    _no_snap(p)


# w:tblPr's children in the order the schema requires (Word refuses another order)
_TBLPR_ORDER = [
    "tblStyle",
    "tblpPr",
    "tblOverlap",
    "bidiVisual",
    "tblStyleRowBandSize",
    "tblStyleColBandSize",
    "tblW",
    "jc",
    "tblCellSpacing",
    "tblInd",
    "tblBorders",
    "shd",
    "tblLayout",
    "tblCellMar",
    "tblLook",
    "tblCaption",
    "tblDescription",
]


def _set_tblpr(table: Table, el: etree._Element) -> None:
    """Put ``el`` in the table's properties at its place, replacing one of its kind."""
    tblpr = table._tbl.tblPr
    tag = el.tag
    for old in tblpr.findall(tag):
        tblpr.remove(old)
    name = tag.split("}")[1]
    later = {qn(f"w:{t}") for t in _TBLPR_ORDER[_TBLPR_ORDER.index(name) + 1 :]}
    after = next((c for c in tblpr if c.tag in later), None)
    if after is None:
        tblpr.append(el)
    else:
        after.addprevious(el)


def _no_borders_or_margins(table: Table) -> None:
    width = OxmlElement("w:tblW")
    width.set(qn("w:w"), str(round(TEXT_WIDTH_MM / 25.4 * 1440)))
    width.set(qn("w:type"), "dxa")
    _set_tblpr(table, width)
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    _set_tblpr(table, borders)
    margins = OxmlElement("w:tblCellMar")
    for edge in ("top", "left", "bottom", "right"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:w"), "0")
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    _set_tblpr(table, margins)


def _page_field(p: Paragraph) -> None:
    run = p.add_run()
    _fonts(run, NUMBERS)
    run.font.size = Pt(PAGE_NO_PT)
    for kind, text in (
        ("begin", None),
        (None, " PAGE "),
        ("separate", None),
        (None, "1"),
        ("end", None),
    ):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == " PAGE ":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        else:
            el = OxmlElement("w:t")
            el.text = text
        run._r.append(el)


def _column_widths(rows: list[list[str]], ncols: int) -> list[float]:
    """Millimetres per column, 156 mm in all. Short columns (dates, counts, names) get
    all they need, so they never wrap; long ones share the rest by what they need."""
    char_mm = TABLE_PT / 72 * 25.4
    pad = 4.5  # the cell's margins
    # A short header is set on one line (逾期工作日 over a column of "5" must not stand
    # on three); a long one may wrap, down to five characters a line.
    need = [min(text_width(h, 1), 5.0) * char_mm * 1.1 + pad for h in rows[0]]
    need += [pad] * (ncols - len(need))
    for r in rows[1:]:
        for c in range(ncols):
            value = r[c] if c < len(r) else ""
            # digits are set a little wider than half an em
            need[c] = max(need[c], text_width(value, 1) * char_mm * 1.1 + pad)
    widths = [0.0] * ncols
    left, open_cols = float(TEXT_WIDTH_MM), sorted(range(ncols), key=lambda c: need[c])
    while open_cols:  # water-filling: satisfy the smallest needs while a fair share allows
        share = left / len(open_cols)
        c = open_cols[0]
        if need[c] > share:
            break
        widths[c] = need[c]
        left -= need[c]
        open_cols.pop(0)
    total = sum(need[c] for c in open_cols) or 1.0
    for c in open_cols:
        widths[c] = left * need[c] / total
    if not open_cols and left > 0:  # everything fits: spread the slack evenly
        widths = [w + left / ncols for w in widths]
    return widths


def _fixed_layout(table: Table, widths: list[float]) -> None:
    """Fixed column widths (Word and LibreOffice honour the grid, not cell hints alone)."""
    tbl = table._tbl
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    _set_tblpr(table, layout)
    grid = tbl.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), widths, strict=False):
        col.set(qn("w:w"), str(round(w / 25.4 * 1440)))

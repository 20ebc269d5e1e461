"""Rendering supervision documents (催办单, 督办单, 通报) to Markdown and .docx.

Each kind has one jinja2 template in ``templates/``; the .docx is built from
the rendered Markdown (headings, bold lines, pipe tables, paragraphs), so a
wording change is made once. Documents are rendered after the transaction
that created them, by whoever runs next (the supervise flow, ``duban sweep``,
``duban circular``); a crash in between leaves rows with no files, which the
next run renders.
"""

from __future__ import annotations

import re
from pathlib import Path

from docx import Document as Docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from docx.text.run import Run
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.models import Document, Plan

TEMPLATES = Path(__file__).with_name("templates")
COLOURS = {"blue": RGBColor(0x1F, 0x4E, 0x9E), "yellow": RGBColor(0xB8, 0x86, 0x0B),
           "red": RGBColor(0xC0, 0x00, 0x00)}
_env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                   keep_trailing_newline=True, trim_blocks=False)


def render_markdown(doc: Document) -> str:
    name = "circular.md.j2" if doc.kind == "circular" else "supervision.md.j2"
    return _env.get_template(name).render(**doc.context)


def _font(run: Run, size: float | None = None, colour: RGBColor | None = None,
          bold: bool = False) -> None:
    run.font.name = "仿宋"
    run._element.rPr.rFonts.set(qn("w:eastAsia"), "仿宋")
    if size:
        run.font.size = Pt(size)
    if colour is not None:
        run.font.color.rgb = colour
    run.bold = bold


def markdown_to_docx(text: str, path: Path, grade: str | None) -> None:
    """Our templates' Markdown subset as a Word document (titles in the grade's colour)."""
    docx = Docx()
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        if not line:
            i += 1
            continue
        if line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                    rows.append(cells)
                i += 1
            table = docx.add_table(rows=len(rows), cols=len(rows[0]))
            table.style = "Table Grid"
            for r, cells in enumerate(rows):
                for c, value in enumerate(cells):
                    cell = table.cell(r, c)
                    cell.text = ""
                    _font(cell.paragraphs[0].add_run(value), 10.5, bold=r == 0)
            continue
        p = docx.add_paragraph()
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _font(p.add_run(line.lstrip("# ")), 22 if level == 1 else 16,
                  COLOURS.get(grade or "") if level == 1 else None, bold=True)
        elif line.startswith("**") and line.endswith("**"):
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _font(p.add_run(line.strip("*")), 14)
        else:
            _font(p.add_run(line), 14)
        i += 1
    docx.save(str(path))


def docx_beside(markdown: Path) -> Path:
    """The Word copy of a Markdown report (checks), next to it."""
    target = markdown.with_suffix(".docx")
    markdown_to_docx(markdown.read_text(encoding="utf-8"), target, None)
    return target


def render_pending(session: Session, folder: Path) -> list[Document]:
    """Write the files of every document not yet rendered."""
    pending = list(session.scalars(select(Document).where(Document.path_md.is_(None))
                                   .order_by(Document.id)))
    plans = {p.id: p.key for p in session.scalars(
        select(Plan).where(Plan.id.in_({d.plan_id for d in pending})))} if pending else {}
    for doc in pending:
        target = folder / plans[doc.plan_id]
        target.mkdir(parents=True, exist_ok=True)
        stem = f"{doc.year}-{doc.kind}-{doc.number:04d}"
        md = target / f"{stem}.md"
        text = render_markdown(doc)
        md.write_text(text, encoding="utf-8")
        docx = target / f"{stem}.docx"
        markdown_to_docx(text, docx, doc.grade)
        doc.path_md, doc.path_docx = str(md), str(docx)
    return pending

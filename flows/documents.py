"""Rendering supervision documents (催办单, 督办单, 通报) to Markdown and .docx.

Each kind has one jinja2 template in ``templates/``; the .docx is built from
the rendered Markdown (headings, bold lines, pipe tables, paragraphs), so a
wording change is made once. Documents are rendered after the transaction
that created them, by whoever runs next (the supervise flow, ``duban sweep``,
``duban circular``); a crash in between leaves rows with no files, which the
next run renders.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.gongwen import Gongwen, cn_date
from ledger import links
from ledger.models import Document, Milestone, Plan, Unit
from plans.text import md_escape

TEMPLATES = Path(__file__).with_name("templates")
# Every value is escaped for Markdown (no live HTML from a title, no stray table column);
# the Word copy reads the entities back.
_env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                   keep_trailing_newline=True, trim_blocks=False,
                   finalize=lambda v: md_escape(v) if isinstance(v, str) else v)


def render_markdown(doc: Document, plan: Plan) -> str:
    """The document's Markdown twin. Dates are written as 公文 write them (2021年7月22日);
    documents recorded before those fields existed take them from the plan."""
    ctx = dict(doc.context)
    ctx.setdefault("issuer", plan.issuer)
    for key in ("issued_on", "due_date", "next_at"):
        if ctx.get(key):
            ctx[f"{key}_cn"] = cn_date(str(ctx[key]))
    name = "circular.md.j2" if doc.kind == "circular" else "supervision.md.j2"
    return _env.get_template(name).render(**ctx)


def markdown_to_docx(text: str, path: Path, grade: str | None, qr: str = "") -> None:
    """The Markdown twin as a Word document in the national 公文 format; ``qr``, a link
    printed as a QR code under the date."""
    doc = Gongwen.from_markdown(text)
    doc.qr = qr
    doc.save(path, grade=grade)


def docx_beside(markdown: Path) -> Path:
    """The Word copy of a Markdown report (checks), next to it."""
    target = markdown.with_suffix(".docx")
    markdown_to_docx(markdown.read_text(encoding="utf-8"), target, None)
    return target


def render_pending(session: Session, folder: Path) -> list[Document]:
    """Write the files of every document not yet rendered."""
    pending = list(session.scalars(select(Document).where(Document.path_md.is_(None))
                                   .order_by(Document.id)))
    plans = {p.id: p for p in session.scalars(
        select(Plan).where(Plan.id.in_({d.plan_id for d in pending})))} if pending else {}
    # A 催办单/督办单 carries the unit's link as a QR code: paper answered from a phone.
    owners = dict(session.execute(select(Milestone.id, Milestone.unit_id).where(
        Milestone.id.in_({d.milestone_id for d in pending if d.kind != "circular"})))
        .tuples().all()) if pending else {}
    units = list(session.scalars(select(Unit).where(Unit.id.in_(set(owners.values())))))
    urls = links.current(session, units, actor="system:documents") if units else {}
    for doc in pending:
        plan = plans[doc.plan_id]
        target = folder / plan.key
        target.mkdir(parents=True, exist_ok=True)
        stem = f"{doc.year}-{doc.kind}-{doc.number:04d}"
        md = target / f"{stem}.md"
        text = render_markdown(doc, plan)
        md.write_text(text, encoding="utf-8")
        docx = target / f"{stem}.docx"
        owner = owners.get(doc.milestone_id or 0)
        markdown_to_docx(text, docx, doc.grade, urls.get(owner or 0, ""))
        doc.path_md, doc.path_docx = str(md), str(docx)
    return pending

"""Rendering supervision documents (催办单, 督办单, 通报) to Markdown and .docx.

Each kind has one jinja2 template in ``templates/``; the .docx is built from
the rendered Markdown (headings, bold lines, pipe tables, paragraphs), so a
wording change is made once. Documents are rendered after the transaction
that created them, by whoever runs next (the supervise flow, ``duban sweep``,
``duban circular``); a crash in between leaves rows with no files, which the
next run renders.

Rendering runs in bounded batches, each read in one short transaction and
recorded in another, with the files written in between: two thousand
documents never hold one transaction (nor its memory) open, and a killed run
leaves whole batches behind it, which the next run picks up and says so.

Files are named as an office files them: number, kind and unit
(``督办〔2021〕7号-市司法局.docx``, ``通报〔2021〕1号.docx``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from documents.gongwen import Gongwen, cn_date
from ledger import config, links
from ledger.db import transaction
from ledger.models import Document, Milestone, Plan, Unit
from plans.text import md_escape
from plans.wording import printed_text, printed_title

TEMPLATES = Path(__file__).with_name("templates")
BATCH = 100  # documents read, rendered and recorded per step
# Every value is escaped for Markdown (no live HTML from a title, no stray table column);
# the Word copy reads the entities back.
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=False,
    finalize=lambda v: md_escape(v) if isinstance(v, str) else v,
)
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\u200b-\u200f\u202a-\u202e\u2066-\u2069]')


def _printed(ctx: dict[str, Any]) -> dict[str, Any]:
    """Task titles and text as a document prints them (plans.wording); the ledger keeps
    the source as written."""
    out = dict(ctx)
    if out.get("item_title"):
        out["item_title"] = printed_title(str(out["item_title"]))
    if out.get("item_text"):
        out["item_text"] = printed_text(str(out["item_text"]))
    if isinstance(out.get("entries"), list):
        out["entries"] = [
            e | {"item_title": printed_title(str(e.get("item_title", "")))} for e in out["entries"]
        ]
    return out


def render_markdown(doc: Document, plan: Plan, coordinator: str = "") -> str:
    """The document's Markdown twin. Dates are written as 公文 write them (2021年7月22日);
    documents recorded before those fields existed take them from the plan."""
    ctx = _printed(doc.context)
    ctx.setdefault("issuer", plan.issuer)
    ctx.setdefault("coordinator", coordinator or plan.issuer)
    for key in ("issued_on", "due_date", "next_at"):
        if ctx.get(key):
            ctx[f"{key}_cn"] = cn_date(str(ctx[key]))
    name = "circular.md.j2" if doc.kind == "circular" else "supervision.md.j2"
    return _env.get_template(name).render(**ctx)


def markdown_to_docx(text: str, path: Path, grade: str | None, qr: str = "") -> None:
    """The Markdown twin as a Word document in the national 公文 format; ``qr``, a link
    printed as a QR code beside the signature."""
    doc = Gongwen.from_markdown(text)
    doc.qr = qr
    doc.save(path, grade=grade)


def docx_beside(markdown: Path) -> Path:
    """The Word copy of a Markdown report (checks), next to it."""
    target = markdown.with_suffix(".docx")
    markdown_to_docx(markdown.read_text(encoding="utf-8"), target, None)
    return target


def file_stem(doc: Document) -> str:
    """``督办〔2021〕7号-市司法局``: how an office looks a document up."""
    number = str(doc.context.get("doc_no_text") or f"{doc.kind}〔{doc.year}〕{doc.number}号")
    unit = str(doc.context.get("unit") or "") if doc.kind != "circular" else ""
    stem = f"{number}-{unit}" if unit else number
    return _UNSAFE.sub("_", stem).strip(" .")[:120]


def is_loopback(url: str) -> bool:
    """A link only this machine can open (127.0.0.1, ::1, localhost)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


@dataclass
class _Job:
    """One document's rendering, read out of the ledger so files are written outside it."""

    id: int
    folder: str
    stem: str
    text: str
    grade: str | None
    qr: str


@dataclass
class Rendered:
    documents: int = 0
    loopback: int = 0  # documents whose printed link only this machine can open
    paths: dict[int, str] | None = None


Progress = Callable[[int, int], None]


def _jobs(session: Session, after: int, limit: int) -> list[_Job]:
    pending = list(
        session.scalars(
            select(Document)
            .where(Document.path_md.is_(None), Document.id > after)
            .order_by(Document.id)
            .limit(limit)
        )
    )
    if not pending:
        return []
    plans = {
        p.id: p
        for p in session.scalars(select(Plan).where(Plan.id.in_({d.plan_id for d in pending})))
    }
    coordinators = dict(
        session.execute(
            select(Plan.id, Unit.name)
            .join(Unit, Unit.id == Plan.coordinator_id)
            .where(Plan.id.in_(plans))
        )
        .tuples()
        .all()
    )
    # A 催办单/督办单 carries the unit's link as a QR code: paper answered from a phone.
    owners = dict(
        session.execute(
            select(Milestone.id, Milestone.unit_id).where(
                Milestone.id.in_({d.milestone_id for d in pending if d.kind != "circular"})
            )
        )
        .tuples()
        .all()
    )
    units = list(session.scalars(select(Unit).where(Unit.id.in_(set(owners.values())))))
    urls = links.current(session, units, actor="system:documents") if units else {}
    return [
        _Job(
            d.id,
            plans[d.plan_id].key,
            file_stem(d),
            render_markdown(d, plans[d.plan_id], coordinators.get(d.plan_id, "")),
            d.grade,
            urls.get(owners.get(d.milestone_id or 0) or 0, ""),
        )
        for d in pending
    ]


def pending_count(session: Session) -> int:
    return session.scalar(select(func.count()).where(Document.path_md.is_(None))) or 0


def render_pending(
    factory: sessionmaker[Session],
    folder: Path,
    *,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> Rendered:
    """Write the files of every document not yet rendered, ``batch`` at a time: each batch
    read in one short transaction, its files written, then its paths recorded in another
    (only where still empty: two renderers at once do not fight over a row)."""
    with transaction(factory) as s:
        total = pending_count(s)
    done, last = Rendered(paths={}), 0
    while total:
        with transaction(factory) as s:
            jobs = _jobs(s, last, batch)
        if not jobs:
            break
        written = {}
        for job in jobs:
            target = folder / job.folder
            target.mkdir(parents=True, exist_ok=True)
            md, docx = target / f"{job.stem}.md", target / f"{job.stem}.docx"
            md.write_text(job.text, encoding="utf-8")
            markdown_to_docx(job.text, docx, job.grade, job.qr)
            written[job.id] = (config.kept(md), config.kept(docx))
            done.loopback += bool(job.qr) and is_loopback(job.qr)
        with transaction(factory) as s:
            for doc_id, (md_path, docx_path) in written.items():
                s.execute(
                    update(Document)
                    .where(Document.id == doc_id, Document.path_md.is_(None))
                    .values(path_md=md_path, path_docx=docx_path)
                )
        assert done.paths is not None
        done.paths.update({k: v[1] for k, v in written.items()})
        last = jobs[-1].id
        done.documents += len(jobs)
        if progress is not None:
            progress(done.documents, max(total, done.documents))
    return done


def loopback_warning() -> str | None:
    """What to say when the links printed and sent open only on this machine."""
    base = links.public_base()
    if not is_loopback(base):
        return None
    return (
        f"单位链接地址是 {base}，只有本机能打开：催办单、督办单上的二维码和通知中的链接"
        "单位都打不开。请把环境变量 DUBAN_PUBLIC_URL 设为单位能访问的地址"
        "（如 https://duban.example.gov.cn）后再发送。"
    )

"""Issuing documents: the 通报 of each plan that reached it, then rendering every
document still without files (催办单, 督办单, 通报) outside the ledger transaction."""

from __future__ import annotations

from dataclasses import dataclass

import pendulum
from sqlalchemy.orm import Session, sessionmaker

from documents.render import Progress, render_pending
from ledger import config
from ledger.circular import issue_circular
from ledger.db import transaction
from ledger.models import Plan
from ledger.reports import get_plan
from plans.workdays import WorkCalendar


def render_documents(factory: sessionmaker[Session], progress: Progress | None = None) -> None:
    """Render every document that has no files yet, into the data directory's documents/."""
    render_pending(factory, config.files() / "documents", progress=progress)


def issue_documents(
    factory: sessionmaker[Session],
    circular_plans: set[int],
    now: pendulum.DateTime,
    cal: WorkCalendar,
    progress: Progress | None = None,
) -> list[str]:
    """After a sweep: a 通报 for each plan that reached it, then render every new document
    in bounded batches (``progress`` hears how far). Returns the new 通报' numbers."""
    issued = []
    with transaction(factory) as s:
        for plan_id in sorted(circular_plans):
            c = issue_circular(s, s.get_one(Plan, plan_id), now.in_timezone("UTC"), cal)
            if c is not None and not c.existing:
                issued.append(c.document.context["doc_no_text"])
    render_documents(factory, progress)
    return issued


@dataclass(frozen=True)
class Circular:
    number: str  # 发文字号, e.g. 通报〔2021〕1号
    path: str  # the Word file
    existing: bool  # the list is the last 通报's: no new number was issued


def circular_now(
    factory: sessionmaker[Session],
    plan: str,
    now: pendulum.DateTime,
    cal: WorkCalendar,
    progress: Progress | None = None,
) -> Circular | None:
    """A 通报 of ``plan`` as of ``now`` (None when nothing is overdue after a 通报 step),
    rendered before it returns. Raises ``ActionError`` for an unknown plan."""
    with transaction(factory) as s:
        c = issue_circular(s, get_plan(s, plan), now.in_timezone("UTC"), cal)
        if c is None:
            return None
        doc = c.document
        made = (doc.id, doc.context["doc_no_text"], doc.path_docx or "", c.existing)
    doc_id, number, path, existing = made
    rendered = render_pending(factory, config.files() / "documents", progress=progress)
    return Circular(number, str(config.stored((rendered.paths or {}).get(doc_id, path))), existing)

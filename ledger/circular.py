"""通报: the coordinator's circular of milestones that went through every step.

A milestone is on the circular list once its ladder reached 通报 and it is still
not reported. The circular says who is late on what, since when (deadline and
working days late), and what was done about it (the 催办单/督办单 issued, the
notices sent). It is numbered like the other supervision documents.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.models import OPEN_STATES, Assignment, Document, Item, Milestone, Notice, Plan, Unit
from ledger.supervise import DOC_NAMES, Numbers
from plans.workdays import WorkCalendar


def circular_entries(session: Session, plan: Plan, today: dt.date,
                     cal: WorkCalendar) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Milestone, Unit.name, Item.key, Item.title)
        .join(Unit, Unit.id == Milestone.unit_id)
        .join(Assignment, Assignment.id == Milestone.assignment_id)
        .join(Item, Item.id == Assignment.item_id)
        .where(Milestone.plan_id == plan.id, Milestone.step == "tongbao",
               Milestone.state.in_(OPEN_STATES))
        .order_by(Milestone.due_date, Unit.name)).all()
    ids = [m.id for m, *_ in rows]
    docs: dict[int, list[str]] = {}
    for d in session.scalars(select(Document).where(Document.milestone_id.in_(ids))
                             .order_by(Document.id)) if ids else []:
        docs.setdefault(d.milestone_id or 0, []).append(d.context.get("doc_no_text", ""))
    sent = dict(session.execute(select(Notice.milestone_id, func.count())
                                .where(Notice.milestone_id.in_(ids))
                                .group_by(Notice.milestone_id)).all()) if ids else {}
    out = []
    for m, unit, key, title in rows:
        assert m.due_date is not None
        out.append({"unit": unit, "item": key, "item_title": title,
                    "due_date": m.due_date.isoformat(),
                    "late_workdays": cal.workdays_between(m.due_date, today),
                    "rectifying": m.state == "rectifying",
                    "documents": docs.get(m.id, []), "notices": sent.get(m.id, 0)})
    return out


def issue_circular(session: Session, plan: Plan, now: dt.datetime,
                   cal: WorkCalendar) -> Document | None:
    """A numbered 通报 of the current list, or None when the list is empty."""
    local = pendulum.instance(now).in_timezone(plan.timezone)
    entries = circular_entries(session, plan, local.date(), cal)
    if not entries:
        return None
    number = Numbers(session).next(plan.id, "circular", local.year)
    units = sorted({e["unit"] for e in entries})
    doc = Document(
        plan_id=plan.id, kind="circular", year=local.year, number=number, grade=None,
        title=f"关于{plan.title}逾期未完成事项的通报"[:300],
        context={"plan": plan.key, "plan_title": plan.title, "doc_no": plan.doc_no,
                 "number": number, "year": local.year, "issued_on": local.to_date_string(),
                 "doc_no_text": f"{DOC_NAMES['circular']}〔{local.year}〕{number}号",
                 "entries": entries, "units": units, "count": len(entries)})
    session.add(doc)
    return doc

"""通报: the coordinator's circular of milestones that went through every step.

A milestone is on the circular list once a 通报 step was really taken on it (not
skipped as stale) and it is still not reported. The circular says who is late
on what, since when (deadline and working days late), and what was done about
it (the 催办单/督办单 issued, the notices sent). It is numbered like the other
supervision documents.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pendulum
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.labels import DOC_NAMES
from ledger.models import (
    OPEN_STATES,
    Assignment,
    Contact,
    Document,
    Item,
    Milestone,
    Notification,
    Plan,
    Unit,
)
from ledger.order import UNIT_ORDER
from ledger.supervise import Numbers
from plans.workdays import WorkCalendar


def circular_entries(
    session: Session, plan: Plan, today: dt.date, cal: WorkCalendar
) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Milestone, Unit.name, Item.key, Item.title)
        .join(Unit, Unit.id == Milestone.unit_id)
        .join(Assignment, Assignment.id == Milestone.assignment_id)
        .join(Item, Item.id == Assignment.item_id)
        .where(
            Milestone.plan_id == plan.id,
            Milestone.escalated == "tongbao",
            Milestone.state.in_(OPEN_STATES),
        )
        .order_by(*UNIT_ORDER, Milestone.due_date, Item.seq, Milestone.id)
    ).all()
    ids = [m.id for m, *_ in rows]
    docs: dict[int, list[str]] = {}
    for d in (
        session.scalars(
            select(Document).where(Document.milestone_id.in_(ids)).order_by(Document.id)
        )
        if ids
        else []
    ):
        docs.setdefault(d.milestone_id or 0, []).append(d.context.get("doc_no_text", ""))
    # What really reached the unit: notices delivered to its own people (not the
    # coordinator's copies, not those still waiting or given up).
    sent = (
        dict(
            session.execute(
                select(Notification.milestone_id, func.count())
                .join(Milestone, Milestone.id == Notification.milestone_id)
                .where(
                    Notification.milestone_id.in_(ids),
                    Notification.unit_id == Milestone.unit_id,
                    Notification.status == "sent",
                )
                .group_by(Notification.milestone_id)
            )
            .tuples()
            .all()
        )
        if ids
        else {}
    )
    reachable = (
        set(
            session.scalars(
                select(Contact.unit_id).where(Contact.unit_id.in_({m.unit_id for m, *_ in rows}))
            )
        )
        if ids
        else set()
    )
    out = []
    for m, unit, key, title in rows:
        assert m.due_date is not None
        out.append(
            {
                "milestone": [m.id, m.cycle],
                "unit": unit,
                "item": key,
                "item_title": title,
                "due_date": m.due_date.isoformat(),
                "late_workdays": cal.workdays_between(m.due_date, today),
                "rectifying": m.state == "rectifying",
                "documents": docs.get(m.id, []),
                "notices": sent.get(m.id, 0),
                "no_contact": m.unit_id not in reachable,
            }
        )
    return out


@dataclass
class Circular:
    document: Document
    existing: bool  # the same list was circulated already: its number, not a new one


def issue_circular(
    session: Session, plan: Plan, now: dt.datetime, cal: WorkCalendar
) -> Circular | None:
    """A numbered 通报 of the current list, or None when the list is empty.

    Numbers run per plan year. When the latest 通报 of the plan lists exactly
    the same milestones (and cycles), it is returned as it is: re-issuing the
    same circular must not burn a number.
    """
    local = pendulum.instance(now).in_timezone(plan.timezone)
    entries = circular_entries(session, plan, local.date(), cal)
    if not entries:
        return None
    members = [e["milestone"] for e in entries]
    last = session.scalars(
        select(Document)
        .where(Document.plan_id == plan.id, Document.kind == "circular")
        .order_by(Document.id.desc())
        .limit(1)
    ).first()
    if last is not None and sorted(last.context.get("members") or []) == sorted(members):
        return Circular(last, existing=True)
    year = plan.year
    number = Numbers(session).next(plan.id, "circular", year)
    units = list(dict.fromkeys(e["unit"] for e in entries))  # the directory's order
    # "经催办、督办" only when every unit was chased by document and really notified.
    escalated = all(
        any(d.startswith(("催办", "督办")) for d in e["documents"]) and e["notices"] > 0
        for e in entries
    )
    doc = Document(
        plan_id=plan.id,
        kind="circular",
        year=year,
        number=number,
        grade=None,
        title=f"关于{plan.title}逾期未完成事项的通报"[:300],
        context={
            "plan": plan.key,
            "plan_title": plan.title,
            "doc_no": plan.doc_no,
            "issuer": plan.issuer,
            "coordinator": plan.coordinator.name,
            "number": number,
            "year": year,
            "issued_on": local.to_date_string(),
            "doc_no_text": f"{DOC_NAMES['circular'][:2]}〔{year}〕{number}号",
            "entries": entries,
            "units": units,
            "count": len(entries),
            "members": members,
            "escalated": escalated,
        },
    )
    session.add(doc)
    session.flush()
    return Circular(doc, existing=False)

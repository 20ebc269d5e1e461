"""Read-only questions coordinators ask of the ledger: who is late, per unit.

Counts are aggregated in the database on the (plan_id, unit_id, state) index;
a status table for a province's ledger is one grouped query, not a scan in
Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from ledger.models import OPEN_STATES, Milestone, Plan, Unit


@dataclass(frozen=True)
class UnitStatus:
    unit: str
    jurisdiction: str
    pending: int  # open, deadline not yet passed
    overdue: int  # open or in 整改, deadline passed
    reported: int  # awaiting review
    done: int  # 销号
    waiting: int  # event not recorded yet

    @property
    def total(self) -> int:
        return self.pending + self.overdue + self.reported + self.done + self.waiting


def unit_status(session: Session, now: dt.datetime, *, plan_key: str | None = None,
                unit_ids: list[int] | None = None) -> list[UnitStatus]:
    """Per-unit milestone counts, most overdue first.

    A deadline is "by the end of D" (23:59:59); as of that moment what is still open
    counts as overdue, exactly as a check at that moment counts it as missing.
    """
    is_open = Milestone.state.in_(OPEN_STATES)
    late = and_(is_open, Milestone.due_at <= now)

    def count(cond: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    q = (
        select(
            Unit.name,
            Unit.jurisdiction,
            count(and_(is_open, Milestone.due_at > now)),
            count(late),
            count(Milestone.state == "reported"),
            count(Milestone.state == "done"),
            count(Milestone.state == "waiting"),
        )
        .join(Unit, Unit.id == Milestone.unit_id)
        .where(Milestone.state != "archived")
        .group_by(Unit.id, Unit.name, Unit.jurisdiction)
    )
    if plan_key is not None:
        q = q.join(Plan, Plan.id == Milestone.plan_id).where(Plan.key == plan_key)
    if unit_ids is not None:
        q = q.where(Milestone.unit_id.in_(unit_ids))
    rows = [UnitStatus(*r) for r in session.execute(q)]
    return sorted(rows, key=lambda s: (-s.overdue, -s.pending, s.unit))

"""Completion over time for the board's chart: how many milestones were due, and how
many closed, by each day of the plan, for the whole plan or the board's filter.

Counted in SQL by day (a plan's days, not its milestones, come back), so a province's
chart holds a few hundred numbers whatever the ledger's size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, TypeVar

import pendulum
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from ledger.models import Assignment, Milestone, Plan


@dataclass(frozen=True)
class Series:
    """Cumulative counts at each day something changed, from ``start`` to ``end``."""

    start: dt.date
    end: dt.date
    due: list[tuple[dt.date, int]]  # (day, milestones due by its end)
    closed: list[tuple[dt.date, int]]  # (day, milestones closed by its end)

    @property
    def due_total(self) -> int:
        return self.due[-1][1] if self.due else 0

    @property
    def closed_total(self) -> int:
        return self.closed[-1][1] if self.closed else 0


_Cols = TypeVar("_Cols", bound=tuple[Any, ...])


def _local_day(session: Session, tz: str) -> ColumnElement[Any]:
    """``closed_at`` as a day in the plan's time zone, in the ledger's own SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(tz, Milestone.closed_at))
    minutes = int(pendulum.now(tz).utcoffset().total_seconds() // 60)  # type: ignore[union-attr]
    return func.date(Milestone.closed_at, f"{minutes:+d} minutes")


def completion_series(
    session: Session,
    plan: Plan,
    now: dt.datetime,
    *,
    unit_ids: list[int] | None = None,
    item_ids: list[int] | None = None,
) -> Series:
    """Due and closed by day, from the plan's start up to today; for a plan whose period,
    deadlines and closures are all behind it, up to the last of those, not today."""
    tz = plan.timezone
    today = pendulum.instance(now).in_timezone(tz).date()
    start = min(dt.date.fromisoformat(str(plan.document.get("start") or plan.issued)), today)

    def scoped(q: Select[_Cols]) -> Select[_Cols]:
        q = q.where(Milestone.plan_id == plan.id)
        if unit_ids is not None:
            q = q.where(Milestone.unit_id.in_(unit_ids))
        if item_ids is not None:
            q = q.join(Assignment, Assignment.id == Milestone.assignment_id).where(
                Assignment.item_id.in_(item_ids)
            )
        return q

    day = _local_day(session, tz)
    closed_days = sorted(
        (_day(d), n)
        for d, n in session.execute(
            scoped(
                select(day, func.count())
                .where(Milestone.state == "done", Milestone.closed_at.is_not(None))
                .group_by(day)
            )
        )
    )
    due_days = sorted(
        (d, n)
        for d, n in session.execute(
            scoped(
                select(Milestone.due_date, func.count())
                .where(Milestone.state != "archived", Milestone.due_date.is_not(None))
                .group_by(Milestone.due_date)
            )
        )
        if d is not None
    )
    period_end = dt.date.fromisoformat(str(plan.document.get("end") or f"{plan.year}-12-31"))
    end = min(today, max([period_end, *(d for d, _ in due_days), *(d for d, _ in closed_days)]))
    return Series(start, end, _cumulative(due_days, end), _cumulative(closed_days, end))


def _day(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _cumulative(days: list[tuple[dt.date, int]], end: dt.date) -> list[tuple[dt.date, int]]:
    """Running totals of the days up to ``end`` (what is later is not drawn)."""
    kept = [(d, n) for d, n in days if d <= end]
    return list(zip([d for d, _ in kept], accumulate(n for _, n in kept), strict=True))

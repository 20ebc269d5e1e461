"""What the coordinators' board shows: every plan's progress, a plan's units × tasks as
lights, completion over time, and the reports waiting for review.

Each is a fixed number of queries on the milestone indexes, whatever the plan's size:
the board of a 174-task plan is one query for its cells.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

import pendulum
from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from ledger.models import OPEN_STATES, Assignment, Item, Milestone, Plan, Report, Unit
from ledger.queries import state_label
from plans.duerules import end_of_day
from plans.workdays import WorkCalendar

# 红黄绿灯, and blue for a report the coordinator has not yet reviewed.
LIGHTS = {"red": "已逾期", "yellow": "临近期限", "blue": "待审核", "green": "已完成",
          "grey": "未到期"}
SOON_WORKDAYS = 5


def light(state: str, due_at: dt.datetime | None, now: dt.datetime,
          soon: dt.datetime) -> str:
    if state == "done":
        return "green"
    if state == "reported":
        return "blue"
    if state in OPEN_STATES and due_at is not None:
        return "red" if due_at <= now else "yellow" if due_at <= soon else "grey"
    return "grey"


def soon_until(plan: Plan, now: dt.datetime, cal: WorkCalendar,
               workdays: int = SOON_WORKDAYS) -> dt.datetime:
    """The end of the Nth working day from today: a deadline before it is "near"."""
    today = pendulum.instance(now).in_timezone(plan.timezone).date()
    return end_of_day(cal.add_workdays(today, workdays), plan.timezone).in_timezone("UTC")


@dataclass(frozen=True)
class PlanProgress:
    plan: Plan
    total: int
    done: int
    reported: int
    late: int

    @property
    def rate(self) -> float:
        return self.done / self.total if self.total else 0.0


def plans_progress(session: Session, now: dt.datetime) -> list[PlanProgress]:
    """Every loaded plan with its milestone counts (one grouped query), newest year first."""
    def count(cond: object) -> object:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)  # type: ignore[arg-type]

    counts = {pid: (t, d, r, late) for pid, t, d, r, late in session.execute(
        select(Milestone.plan_id, func.count(), count(Milestone.state == "done"),
               count(Milestone.state == "reported"),
               count(and_(Milestone.state.in_(OPEN_STATES), Milestone.due_at <= now)))
        .where(Milestone.state != "archived").group_by(Milestone.plan_id))}
    plans = session.scalars(select(Plan).order_by(Plan.year.desc(), Plan.key)).all()
    return [PlanProgress(p, *counts.get(p.id, (0, 0, 0, 0))) for p in plans]


@dataclass(frozen=True)
class Cell:
    milestone_id: int
    item_key: str
    title: str
    due: str
    light: str
    state: str


@dataclass
class UnitRow:
    unit_id: int
    unit: str
    cells: list[Cell] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(1 for c in self.cells if c.light == "green")

    @property
    def rate(self) -> float:
        return self.done / len(self.cells) if self.cells else 0.0

    def count(self, colour: str) -> int:
        return sum(1 for c in self.cells if c.light == colour)


@dataclass
class Board:
    plan: Plan
    rows: list[UnitRow]
    lights: dict[str, int]
    units: list[str]  # every unit on the board, whatever the light filter keeps


def board(session: Session, plan: Plan, now: dt.datetime, cal: WorkCalendar, *,
          unit_ids: list[int] | None = None, only: str | None = None,
          soon_days: int = SOON_WORKDAYS) -> Board:
    """The plan's units (rows, most red first) and their milestones as lights, in plan
    order; ``only`` keeps the cells of one light (and the units that have one)."""
    soon = soon_until(plan, now, cal, soon_days)
    q = (select(Milestone.id, Milestone.state, Milestone.due_at, Milestone.due_date,
                Milestone.unit_id, Unit.name, Item.key, Item.title)
         .join(Assignment, Assignment.id == Milestone.assignment_id)
         .join(Item, Item.id == Assignment.item_id)
         .join(Unit, Unit.id == Milestone.unit_id)
         .where(Milestone.plan_id == plan.id, Milestone.state != "archived")
         .order_by(Item.seq, Milestone.due_at.nulls_last(), Milestone.id))
    if unit_ids is not None:
        q = q.where(Milestone.unit_id.in_(unit_ids))
    rows: dict[int, UnitRow] = {}
    lights = dict.fromkeys(LIGHTS, 0)
    for mid, state, due_at, due_date, uid, uname, key, title in session.execute(q):
        colour = light(state, due_at, now, soon)
        lights[colour] += 1
        row = rows.setdefault(uid, UnitRow(uid, uname))
        if only and colour != only:
            continue
        row.cells.append(Cell(mid, key, title, due_date.isoformat() if due_date else "待事件",
                              colour, state_label(state, due_at, now)))
    kept = [r for r in rows.values() if r.cells or not only]
    kept.sort(key=lambda r: (-r.count("red"), -r.count("yellow"), r.rate, r.unit))
    return Board(plan, kept, lights, sorted(r.unit for r in rows.values()))


def completion_series(session: Session, plan: Plan, now: dt.datetime
                      ) -> list[tuple[dt.date, int, int]]:
    """(week's end, milestones closed by then, milestones due by then), weekly from the
    plan's start to today: the chart of completion over time."""
    tz = plan.timezone
    start = dt.date.fromisoformat(str(plan.document.get("start") or plan.issued))
    today = pendulum.instance(now).in_timezone(tz).date()
    closed = sorted(pendulum.instance(c).in_timezone(tz).date() for c in session.scalars(
        select(Milestone.closed_at).where(Milestone.plan_id == plan.id,
                                          Milestone.state == "done",
                                          Milestone.closed_at.is_not(None))))
    dues = sorted(d for d in session.scalars(
        select(Milestone.due_date).where(Milestone.plan_id == plan.id,
                                         Milestone.state != "archived",
                                         Milestone.due_date.is_not(None))) if d)
    points: list[tuple[dt.date, int, int]] = []
    day = min(start, today)
    while True:
        points.append((day, bisect_right(closed, day), bisect_right(dues, day)))
        if day >= today:
            return points
        day = min(day + dt.timedelta(days=7), today)


@dataclass(frozen=True)
class Pending:
    report: Report
    unit: str
    item_key: str
    item_title: str
    due: str


def _submitted(plan: Plan) -> Select[Any]:
    return (select(Report).join(Assignment, Assignment.id == Report.assignment_id)
            .join(Item, Item.id == Assignment.item_id)
            .where(Report.review_state == "submitted", Item.plan_id == plan.id))


def review_count(session: Session, plan: Plan) -> int:
    """How many of the plan's reports wait for review (the board's link says so)."""
    return session.scalar(select(func.count()).select_from(_submitted(plan).subquery())) or 0


def review_queue(session: Session, plan: Plan) -> list[Pending]:
    """The plan's reports and extension requests not yet reviewed, oldest first."""
    rows = session.execute(
        _submitted(plan).add_columns(Unit.name, Item.key, Item.title, Milestone.due_date)
        .join(Unit, Unit.id == Report.unit_id)
        .join(Milestone, Milestone.id == Report.milestone_id, isouter=True)
        .order_by(Report.submitted_at, Report.id)).all()
    return [Pending(r, u, k, t, d.isoformat() if d else "") for r, u, k, t, d in rows]

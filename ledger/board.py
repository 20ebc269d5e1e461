"""What the coordinators' board shows: every plan's progress, a plan's units × tasks as
lights, completion over time, and the reports waiting for review.

Each is a fixed number of queries on the milestone indexes, whatever the plan's size:
the board of a 174-task plan is one query for its cells.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from ledger.labels import LIGHTS
from ledger.lights import UnitCount, light_sums, unit_counts
from ledger.models import (
    OPEN_STATES,
    Assignment,
    Item,
    ItemCount,
    Milestone,
    Plan,
    Report,
    Unit,
)
from ledger.queries import soon_after, state_label
from plans.workdays import WorkCalendar


def light(state: str, due_at: dt.datetime | None, now: dt.datetime, soon: dt.datetime) -> str:
    if state == "done":
        return "green"
    if state == "reported":
        return "blue"
    if state in OPEN_STATES and due_at is not None:
        return "red" if due_at <= now else "yellow" if due_at <= soon else "grey"
    return "grey"


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


def plans_progress(session: Session, now: dt.datetime, cal: WorkCalendar) -> list[PlanProgress]:
    """Every loaded plan with its milestone counts (the units' stored lights, recounted
    where they changed), newest year first."""
    out = []
    for p in session.scalars(select(Plan).order_by(Plan.year.desc(), Plan.key)):
        counts = unit_counts(session, p.id, now, soon_after(now, cal, p.timezone))
        out.append(
            PlanProgress(
                p,
                sum(c.total for c in counts),
                sum(c.green for c in counts),
                sum(c.blue for c in counts),
                sum(c.red for c in counts),
            )
        )
    return out


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
    page: int = 1
    pages: int = 1
    matched: int = 0  # units that pass the filters (on every page)


PAGE_UNITS = 60  # units per page of the board: a province's plan is read a page at a time
TASK_PAGE_UNITS = 200  # units per page of one task's page


def _unit_counts(
    session: Session,
    plan: Plan,
    now: dt.datetime,
    soon: dt.datetime,
    unit_ids: list[int] | None,
    item_ids: list[int] | None,
) -> list[UnitCount]:
    """Each unit's lights under the board's filter: stored counts for whole units, the
    tasks' own milestones when the filter names tasks (as many as those tasks hold)."""
    if item_ids is None:
        return unit_counts(session, plan.id, now, soon, unit_ids=unit_ids)
    chosen = select(Assignment.id).where(Assignment.item_id.in_(item_ids))  # by item index
    summary = (
        select(Milestone.unit_id, Unit.name, *light_sums(now, soon))
        .join(Unit, Unit.id == Milestone.unit_id)
        .where(Milestone.assignment_id.in_(chosen), Milestone.state != "archived")
        .group_by(Milestone.unit_id, Unit.name)
    )
    if unit_ids is not None:
        summary = summary.where(Milestone.unit_id.in_(unit_ids))
    return [UnitCount(*row) for row in session.execute(summary)]


def milestone_total(
    session: Session,
    plan: Plan,
    now: dt.datetime,
    cal: WorkCalendar,
    *,
    unit_ids: list[int] | None = None,
    item_ids: list[int] | None = None,
) -> int:
    """How many milestones the board shows under a filter (the chart's scale)."""
    return sum(
        c.total
        for c in _unit_counts(
            session, plan, now, soon_after(now, cal, plan.timezone), unit_ids, item_ids
        )
    )


def board(
    session: Session,
    plan: Plan,
    now: dt.datetime,
    cal: WorkCalendar,
    *,
    unit_ids: list[int] | None = None,
    only: str | None = None,
    item_ids: list[int] | None = None,
    page: int = 1,
) -> Board:
    """The plan's units (rows, most red first) and their milestones as lights, in plan
    order, a page of units at a time; ``only`` keeps the cells of one light (and the
    units that have one), ``item_ids`` the cells of some tasks.

    Every unit's lights (the order, the totals, the pages) come from the stored counts
    (``ledger.lights``), recounted only where something changed; cells are read for the
    page's units only, so a page costs what it shows and what changed."""
    soon = soon_after(now, cal, plan.timezone)
    counts = _unit_counts(session, plan, now, soon, unit_ids, item_ids)
    lights = dict.fromkeys(LIGHTS, 0)
    for c in counts:
        for colour in LIGHTS:
            lights[colour] += getattr(c, colour)
    kept = [c for c in counts if not only or getattr(c, only) > 0]
    kept.sort(key=lambda c: (-c.red, -c.yellow, c.green / c.total if c.total else 0, c.name))
    pages = max(1, -(-len(kept) // PAGE_UNITS))
    page = min(max(1, page), pages)
    shown = kept[(page - 1) * PAGE_UNITS : page * PAGE_UNITS]
    rows = {c.unit_id: UnitRow(c.unit_id, c.name) for c in shown}
    if rows:
        q = (
            select(
                Milestone.id,
                Milestone.state,
                Milestone.due_at,
                Milestone.due_date,
                Milestone.unit_id,
                Item.key,
                Item.title,
            )
            .join(Assignment, Assignment.id == Milestone.assignment_id)
            .join(Item, Item.id == Assignment.item_id)
            .where(
                Milestone.plan_id == plan.id,
                Milestone.state != "archived",
                Milestone.unit_id.in_(list(rows)),
            )
            .order_by(Item.seq, Milestone.due_at.nulls_last(), Milestone.id)
        )
        if item_ids is not None:
            q = q.where(Assignment.item_id.in_(item_ids))
        for mid, state, due_at, due_date, uid, key, title in session.execute(q):
            colour = light(state, due_at, now, soon)
            if only and colour != only:
                continue
            rows[uid].cells.append(
                Cell(
                    mid,
                    key,
                    title,
                    due_date.isoformat() if due_date else "待事件",
                    colour,
                    state_label(state, due_at, now, soon),
                )
            )
    return Board(
        plan, list(rows.values()), lights, sorted(c.name for c in counts), page, pages, len(kept)
    )


@dataclass(frozen=True)
class TaskSummary:
    """One item's completion over every unit assigned to it."""

    item_id: int
    key: str
    title: str
    section: str
    standing: bool
    units: int
    red: int
    yellow: int
    blue: int
    green: int
    total: int

    @property
    def rate(self) -> float:
        return self.green / self.total if self.total else 0.0


def task_summaries(
    session: Session, plan: Plan, now: dt.datetime, cal: WorkCalendar, *, section: str = ""
) -> list[TaskSummary]:
    """Per task and checkpoint: its units and their milestones by light, in plan order,
    summed from the item counts the database keeps (``ItemCount``): a few rows a task,
    whatever the number of its units."""
    soon = soon_after(now, cal, plan.timezone)
    is_open = ItemCount.state.in_(OPEN_STATES)

    def total(cond: Any) -> Any:
        return func.coalesce(func.sum(case((cond, ItemCount.n), else_=0)), 0)

    counts = {
        r[0]: r[1:]
        for r in session.execute(
            select(
                ItemCount.item_id,
                total(ItemCount.state == "assigned"),
                total(and_(is_open, ItemCount.due_at <= now)),
                total(and_(is_open, ItemCount.due_at > now, ItemCount.due_at <= soon)),
                total(ItemCount.state == "reported"),
                total(ItemCount.state == "done"),
                total(ItemCount.state != "assigned"),
            )
            .where(ItemCount.plan_id == plan.id)
            .group_by(ItemCount.item_id)
        )
    }
    out = [
        TaskSummary(i.id, i.key, i.title, " / ".join(i.section or []), i.standing, *counts[i.id])
        for i in session.scalars(
            select(Item)
            .where(Item.plan_id == plan.id, Item.archived_at.is_(None))
            .order_by(Item.seq)
        )
        if counts.get(i.id, (0,) * 6)[-1]
    ]
    return [t for t in out if not section or section in t.section]


@dataclass(frozen=True)
class TaskUnit:
    """One unit's part in one task: its role, its rounds or deadlines, its last word."""

    unit: str
    role: str
    cells: list[Cell]
    progress: str
    text: str
    review: str
    submitted_at: dt.datetime | None


def task_units(
    session: Session, plan: Plan, item: Item, now: dt.datetime, cal: WorkCalendar, *, page: int = 1
) -> tuple[list[TaskUnit], int]:
    """Every unit's progress on one task side by side (牵头 first), a page of
    ``TASK_PAGE_UNITS`` at a time, and the number of pages: what its lead unit and the
    coordinator read. Reads the page's rows only."""
    from ledger.labels import PROGRESS_LABELS
    from ledger.selfcheck import review_text
    from plans.compile import ASSIGNMENT_ROLES, ROLE_RANK

    soon = soon_after(now, cal, plan.timezone)
    active = and_(Assignment.item_id == item.id, Assignment.archived_at.is_(None))
    count = session.scalar(select(func.count()).select_from(Assignment).where(active)) or 0
    pages = max(1, -(-count // TASK_PAGE_UNITS))
    page = min(max(1, page), pages)
    rank = case(*((Assignment.role == r, n) for r, n in ROLE_RANK.items()), else_=9)
    assignments = session.execute(
        select(Assignment.id, Assignment.role, Unit.name)
        .join(Unit, Unit.id == Assignment.unit_id)
        .where(active)
        .order_by(rank, Unit.name)
        .offset((page - 1) * TASK_PAGE_UNITS)
        .limit(TASK_PAGE_UNITS)
    ).all()
    ids = [a.id for a in assignments]
    cells: dict[int, list[Cell]] = {}
    for m in session.scalars(
        select(Milestone)
        .where(Milestone.assignment_id.in_(ids), Milestone.state != "archived")
        .order_by(Milestone.due_at.nulls_last())
    ):
        cells.setdefault(m.assignment_id, []).append(
            Cell(
                m.id,
                item.key,
                item.title,
                m.due_date.isoformat() if m.due_date else "待事件",
                light(m.state, m.due_at, now, soon),
                state_label(m.state, m.due_at, now, soon),
            )
        )
    latest: dict[int, Report] = {}
    for report in session.scalars(
        select(Report).where(Report.assignment_id.in_(ids)).order_by(Report.submitted_at, Report.id)
    ):
        latest[report.assignment_id] = report
    out = []
    for a in assignments:
        r = latest.get(a.id)
        out.append(
            TaskUnit(
                a.name,
                ASSIGNMENT_ROLES.get(a.role, a.role),
                cells.get(a.id, []),
                PROGRESS_LABELS.get(r.progress or "", "") if r else "",
                r.text if r else "",
                review_text(r),
                r.submitted_at if r else None,
            )
        )
    return out, pages


@dataclass(frozen=True)
class Pending:
    report: Report
    unit: str
    item_key: str
    item_title: str
    due: str


def _submitted(plan: Plan) -> Select[Any]:
    return (
        select(Report)
        .join(Assignment, Assignment.id == Report.assignment_id)
        .join(Item, Item.id == Assignment.item_id)
        .where(Report.review_state == "submitted", Item.plan_id == plan.id)
    )


def review_count(session: Session, plan: Plan) -> int:
    """How many of the plan's reports wait for review (the board's link says so)."""
    return session.scalar(select(func.count()).select_from(_submitted(plan).subquery())) or 0


def review_queue(session: Session, plan: Plan) -> list[Pending]:
    """The plan's reports and extension requests not yet reviewed, oldest first."""
    rows = session.execute(
        _submitted(plan)
        .add_columns(Unit.name, Item.key, Item.title, Milestone.due_date)
        .join(Unit, Unit.id == Report.unit_id)
        .join(Milestone, Milestone.id == Report.milestone_id, isouter=True)
        .order_by(Report.submitted_at, Report.id)
    ).all()
    return [Pending(r, u, k, t, d.isoformat() if d else "") for r, u, k, t, d in rows]

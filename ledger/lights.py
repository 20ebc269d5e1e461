"""Each unit's lights in a plan, counted once and kept until something changes them.

The board orders a plan's units by their lights; counting them from the milestones
reads the whole plan on every view (10^6 rows for a province). A unit's counts change
only when one of its milestones changes, which the database marks itself (``changes``,
migration 0018's triggers), or when time crosses one of its deadlines, which the stored
``next_red_at`` / ``next_yellow_at`` say. So a view recounts the units that changed or
whose next deadline passed, and reads the rest: its cost follows what changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, case, func, not_, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ledger.db import SQLITE_BUSY_MS
from ledger.models import OPEN_STATES, Milestone, Unit, UnitLights

CHUNK = 500  # units recounted per query (bound parameters stay under SQLite's limit)


@dataclass(frozen=True)
class UnitCount:
    """One unit's milestones in a plan by light (grey is what is left of ``total``)."""

    unit_id: int
    name: str
    red: int
    yellow: int
    blue: int
    green: int
    total: int

    @property
    def grey(self) -> int:
        return self.total - self.red - self.yellow - self.blue - self.green


def light_sums(now: dt.datetime, soon: dt.datetime) -> list[Any]:
    """Per-light counts in SQL, by the same rule as ``ledger.board.light``."""
    is_open = Milestone.state.in_(OPEN_STATES)

    def count(cond: Any) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    red = and_(is_open, Milestone.due_at <= now)
    yellow = and_(is_open, Milestone.due_at > now, Milestone.due_at <= soon)
    return [
        count(red).label("red"),
        count(yellow).label("yellow"),
        count(Milestone.state == "reported").label("blue"),
        count(Milestone.state == "done").label("green"),
        func.count().label("total"),
    ]


def _holds(now: dt.datetime, soon: dt.datetime) -> Any:
    """In SQL: the stored count is today's (nothing changed, no deadline crossed)."""
    t = UnitLights
    return and_(
        t.changes == 0,
        t.counted_at <= now,
        t.soon_at <= soon,
        or_(t.next_red_at.is_(None), t.next_red_at > now),
        or_(t.next_yellow_at.is_(None), t.next_yellow_at > soon),
    )


def unit_counts(
    session: Session,
    plan_id: int,
    now: dt.datetime,
    soon: dt.datetime,
    *,
    unit_ids: list[int] | None = None,
) -> list[UnitCount]:
    """Every unit of the plan with a milestone (or those of ``unit_ids``), by light.

    Stale counts are recounted and stored back when the ledger lets this transaction
    write at once; when it does not (SQLite busy with a sweep), they are recounted again
    by the next view rather than making this one wait. Which counts hold is decided in
    SQL, so the fresh ones come back as plain numbers."""
    t = UnitLights
    holds = _holds(now, soon)

    def rows(*cols: Any, fresh: bool) -> Any:
        q = (
            select(t.unit_id, Unit.name, *cols)
            .join(Unit, Unit.id == t.unit_id)
            .where(t.plan_id == plan_id, holds if fresh else not_(holds))
        )
        return session.execute(q if unit_ids is None else q.where(t.unit_id.in_(unit_ids)))

    out = [UnitCount(*r) for r in rows(t.red, t.yellow, t.blue, t.green, t.total, fresh=True)]
    stale = {uid: (name, changes) for uid, name, changes in rows(t.changes, fresh=False)}
    recounted = list(_recount(session, plan_id, stale, now, soon))
    out.extend(c for c, _ in recounted)
    _store(session, plan_id, recounted, stale, now, soon)
    return [c for c in out if c.total]


def _recount(
    session: Session,
    plan_id: int,
    stale: dict[int, tuple[str, int]],
    now: dt.datetime,
    soon: dt.datetime,
) -> Iterable[tuple[UnitCount, tuple[dt.datetime | None, dt.datetime | None]]]:
    is_open = Milestone.state.in_(OPEN_STATES)
    next_red = func.min(case((and_(is_open, Milestone.due_at > now), Milestone.due_at)))
    next_yellow = func.min(case((and_(is_open, Milestone.due_at > soon), Milestone.due_at)))
    ids = list(stale)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        found = {
            r.unit_id: r
            for r in session.execute(
                select(
                    Milestone.unit_id,
                    *light_sums(now, soon),
                    next_red.label("next_red"),
                    next_yellow.label("next_yellow"),
                )
                .where(
                    Milestone.plan_id == plan_id,
                    Milestone.state != "archived",
                    Milestone.unit_id.in_(chunk),
                )
                .group_by(Milestone.unit_id)
            )
        }
        for uid in chunk:
            r = found.get(uid)
            name = stale[uid][0]
            if r is None:  # every milestone of the unit archived
                yield UnitCount(uid, name, 0, 0, 0, 0, 0), (None, None)
                continue
            yield (
                UnitCount(uid, name, r.red, r.yellow, r.blue, r.green, r.total),
                (_utc(r.next_red), _utc(r.next_yellow)),
            )


def _utc(value: Any) -> dt.datetime | None:
    """A min() over a datetime column comes back as stored: SQLite gives its text."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _store(
    session: Session,
    plan_id: int,
    recounted: list[tuple[UnitCount, tuple[dt.datetime | None, dt.datetime | None]]],
    stale: dict[int, tuple[str, int]],
    now: dt.datetime,
    soon: dt.datetime,
) -> None:
    """Write the recounts back, each only if its unit was not marked again meanwhile."""
    if not recounted:
        return
    t = UnitLights.__table__
    stmt = (
        update(t)
        .where(
            t.c.plan_id == plan_id,
            t.c.unit_id == bindparam("uid"),
            t.c.changes == bindparam("seen"),
        )
        .values(
            red=bindparam("r"),
            yellow=bindparam("y"),
            blue=bindparam("b"),
            green=bindparam("g"),
            total=bindparam("n"),
            counted_at=now,
            soon_at=soon,
            next_red_at=bindparam("nr"),
            next_yellow_at=bindparam("ny"),
            changes=0,
        )
    )
    rows = [
        {
            "uid": c.unit_id,
            "seen": stale[c.unit_id][1],
            "r": c.red,
            "y": c.yellow,
            "b": c.blue,
            "g": c.green,
            "n": c.total,
            "nr": nr,
            "ny": ny,
        }
        for c, (nr, ny) in recounted
    ]
    sqlite = session.get_bind().dialect.name == "sqlite"
    savepoint = session.begin_nested()
    try:
        if sqlite:  # a busy ledger is not waited for: the next view recounts instead
            session.connection().exec_driver_sql("PRAGMA busy_timeout=0")
        try:
            session.execute(stmt, rows)
        finally:
            if sqlite:
                session.connection().exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        savepoint.commit()
    except OperationalError:
        savepoint.rollback()

"""The board's stored light counts (ledger/lights.py, migration 0018) always equal a
count of the milestones themselves, whoever changed them and whenever the board looks,
and a view recounts only the units that changed or whose deadlines passed."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from ledger.board import board, light, plans_progress, task_summaries
from ledger.db import transaction
from ledger.lights import unit_counts
from ledger.models import Assignment, Item, Milestone, Plan, Unit, UnitLights
from ledger.queries import soon_after
from plans.workdays import default_calendar
from tests.conftest import at, cli

CAL = default_calendar()


def truth(s: Session, plan: Plan, now: dt.datetime) -> dict[str, Counter[str]]:
    """Each unit's lights, counted one milestone at a time by the board's own rule."""
    soon = soon_after(now, CAL, plan.timezone)
    out: dict[str, Counter[str]] = {}
    for m, name in s.execute(
        select(Milestone, Unit.name)
        .join(Unit, Unit.id == Milestone.unit_id)
        .where(Milestone.plan_id == plan.id, Milestone.state != "archived")
    ):
        out.setdefault(name, Counter())[light(m.state, m.due_at, now, soon)] += 1
    return out


def task_truth(s: Session, plan: Plan, now: dt.datetime) -> dict[str, tuple[int, ...]]:
    """Each task's units and lights, counted one row at a time."""
    soon = soon_after(now, CAL, plan.timezone)
    units: Counter[str] = Counter(
        s.scalars(
            select(Item.key)
            .join(Assignment, Assignment.item_id == Item.id)
            .where(Item.plan_id == plan.id, Assignment.archived_at.is_(None))
        )
    )
    lights: dict[str, Counter[str]] = {}
    for m, key in s.execute(
        select(Milestone, Item.key)
        .join(Assignment, Assignment.id == Milestone.assignment_id)
        .join(Item, Item.id == Assignment.item_id)
        .where(Milestone.plan_id == plan.id, Milestone.state != "archived")
    ):
        lights.setdefault(key, Counter())[light(m.state, m.due_at, now, soon)] += 1
    return {
        k: (units[k], c["red"], c["yellow"], c["blue"], c["green"], c.total())
        for k, c in lights.items()
    }


def task_stored(s: Session, plan: Plan, now: dt.datetime) -> dict[str, tuple[int, ...]]:
    return {
        t.key: (t.units, t.red, t.yellow, t.blue, t.green, t.total)
        for t in task_summaries(s, plan, now, CAL)
    }


def same(s: Session, plan: Plan, now: dt.datetime) -> bool:
    """The units' stored lights and the tasks' kept counts both equal the milestones."""
    assert task_stored(s, plan, now) == task_truth(s, plan, now)
    return stored(s, plan, now) == truth(s, plan, now)


def stored(s: Session, plan: Plan, now: dt.datetime) -> dict[str, Counter[str]]:
    soon = soon_after(now, CAL, plan.timezone)
    return {
        c.name: Counter(
            {
                k: v
                for k, v in (
                    ("red", c.red),
                    ("yellow", c.yellow),
                    ("blue", c.blue),
                    ("green", c.green),
                    ("grey", c.grey),
                )
                if v
            }
        )
        for c in unit_counts(s, plan.id, now, soon)
    }


def counted_at(s: Session, plan: Plan) -> dict[int, dt.datetime | None]:
    return {
        r.unit_id: r.counted_at
        for r in s.scalars(select(UnitLights).where(UnitLights.plan_id == plan.id))
    }


def test_stored_lights_equal_the_milestones_after_every_kind_of_change(
    ledger: sessionmaker[Session],
) -> None:
    first = at("2021-07-21T10:00")
    with transaction(ledger) as s:
        plan = s.scalars(select(Plan)).one()
        assert min(s.scalars(select(UnitLights.changes))) > 0  # loaded: all to count
        assert stored(s, plan, first) == truth(s, plan, first)
        assert set(s.scalars(select(UnitLights.changes))) == {0}
        before = counted_at(s, plan)
        assert set(before.values()) == {first}
        # Read again a minute later: nothing changed, no deadline crossed, nothing recounted.
        assert stored(s, plan, first + dt.timedelta(minutes=1)) == truth(s, plan, first)
        assert counted_at(s, plan) == before

    # A writer that is not the board's code: one milestone done by hand in SQL.
    with transaction(ledger) as s:
        mid, uid = s.execute(
            select(Milestone.id, Milestone.unit_id)
            .where(Milestone.plan_id == plan.id, Milestone.state == "open")
            .order_by(Milestone.due_at)
        ).first()  # type: ignore[misc]
        s.execute(update(Milestone).where(Milestone.id == mid).values(state="done"))
    later = first + dt.timedelta(minutes=2)
    with transaction(ledger) as s:
        marked = {r.unit_id for r in s.scalars(select(UnitLights).where(UnitLights.changes > 0))}
        assert marked == {uid}
        assert same(s, plan, later)
        now_counted = counted_at(s, plan)
        assert now_counted[uid] == later
        assert {u for u, t in now_counted.items() if t != first} == {uid}

    # A deadline moved to this morning: that unit turns red without a state change.
    with transaction(ledger) as s:
        s.execute(
            update(Milestone)
            .where(Milestone.id == mid + 1)
            .values(due_at=dt.datetime(2021, 7, 21, 1, 30, tzinfo=dt.UTC))
        )
        assert same(s, plan, later)

    # The sweep and a report, through the CLI, then time crossing deadlines both ways:
    # a later day (lights turn yellow and red) and an earlier rehearsal clock.
    cli("sweep", "--at", "2021-07-21T09:00")
    cli(
        "report",
        "zhongshan-2021-zwgk",
        "--unit",
        "市司法局",
        "--text",
        "已报备",
        "--task",
        s_task(ledger, "市司法局"),
    )
    for moment in (
        "2021-07-21T11:00",
        "2021-09-16T09:00",
        "2021-09-21T09:00",
        "2021-12-31T18:00",
        "2021-07-06T09:00",
    ):
        with transaction(ledger) as s:
            now = at(moment)
            assert same(s, plan, now), moment

    # A reload that drops a task archives its milestones: they leave the counts.
    with transaction(ledger) as s:
        s.execute(
            update(Milestone)
            .where(Milestone.plan_id == plan.id, Milestone.unit_id == uid)
            .values(state="archived")
        )
        now = at("2021-12-31T18:00")
        assert same(s, plan, now)
        # An assignment archived: its task has one unit fewer.
        aid = s.scalars(select(Assignment.id).where(Assignment.unit_id == uid)).first()
        s.execute(update(Assignment).where(Assignment.id == aid).values(archived_at=now))
        assert same(s, plan, now)
        assert uid not in {
            c.unit_id for c in unit_counts(s, plan.id, now, soon_after(now, CAL, plan.timezone))
        }


def s_task(ledger: sessionmaker[Session], unit: str) -> str:
    """The key of a task the unit holds with an open milestone."""
    with transaction(ledger) as s:
        return (
            s.scalars(
                select(Item.key)
                .join(Assignment, Assignment.item_id == Item.id)
                .join(Unit, Unit.id == Assignment.unit_id)
                .join(Milestone, Milestone.assignment_id == Assignment.id)
                .where(Unit.name == unit, Milestone.state == "open")
                .order_by(Milestone.due_at)
            ).first()
            or ""
        )


def test_the_board_and_the_plans_page_count_from_the_stored_lights(
    ledger: sessionmaker[Session],
) -> None:
    now = at("2021-09-21T09:00")
    with transaction(ledger) as s:
        plan = s.scalars(select(Plan)).one()
        want = truth(s, plan, now)
        b = board(s, plan, now, CAL)
        totals: Counter[str] = Counter()
        for c in want.values():
            totals.update(c)
        assert {k: v for k, v in b.lights.items() if v} == dict(totals)
        assert b.matched == len(want)
        worst = max(want.values(), key=lambda c: (c["red"], c["yellow"]))
        assert b.rows[0].count("red") == worst["red"]
        [progress] = plans_progress(s, now, CAL)
        assert (progress.total, progress.late) == (sum(totals.values()), totals["red"])

"""Preview and simulation: the real sweep and check code on a simulated clock.

A scratch SQLite ledger gets the directory and the plan; the clock then jumps
from one event to the next (the earliest ``next_action_at``, a simulated
report, a check date) instead of ticking through every minute, so a year of a
large plan runs in seconds. ``preview`` is a simulation in which no unit ever
reports: the timeline of everything the plan would send. No Prefect server is
needed: the flows call the same functions.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pendulum
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ledger.db import open_ledger, transaction
from ledger.directory_sync import ledger_directory, sync_units
from ledger.load import file_hash, load_plan
from ledger.models import (
    OPEN_STATES,
    Assignment,
    Item,
    Milestone,
    Notification,
    PolicySnapshot,
    Unit,
)
from ledger.reports import record_report, review_report
from ledger.supervise import sweep_all
from plans.compile import checkpoint_dates, compile_plan
from plans.directory import Directory
from plans.model import PlanSpec
from plans.policy import Policy, first_action_at
from plans.workdays import WorkCalendar
from usecases.check import check_now

ACTOR = "simulation"


@dataclass(frozen=True)
class Sent:
    """One notice as the timeline shows it."""

    at: pendulum.DateTime  # local time it is due to go out
    unit: str  # the unit whose milestone it concerns
    to: str  # the unit it is addressed to
    step: str
    channel: str
    item: str
    milestone_id: int | None
    recipient: str = ""


@dataclass
class Simulation:
    plan: str
    start: dt.date
    until: dt.date
    report_rate: float
    sent: list[Sent] = field(default_factory=list)
    reports: int = 0
    checks: list[tuple[dt.date, int, int]] = field(default_factory=list)  # date, units, lagging

    def by_step(self, unit: str | None = None) -> Counter[str]:
        return Counter(s.step for s in self.sent if unit is None or s.unit == unit)

    def messages(self, cap: int = 1) -> int:
        """Messages after merging into digests: per recipient, channel and day, at most
        ``cap`` (the policy's digest cap; what does not fit waits for the next day's)."""
        per_day = Counter((s.recipient, s.channel, s.at.date()) for s in self.sent)
        return sum(min(n, cap) for n in per_day.values())

    def by_month(self) -> dict[str, Counter[str]]:
        out: dict[str, Counter[str]] = {}
        for s in self.sent:
            out.setdefault(s.at.format("YYYY-MM"), Counter())[s.step] += 1
        return dict(sorted(out.items()))


def _report_plan(
    session_factory: sessionmaker[Session], rate: float, seed: int, cal: WorkCalendar, tz: str
) -> list[tuple[pendulum.DateTime, int]]:
    """(time, milestone id) of each simulated report: with probability ``rate`` a unit
    reports on a random working day between its first reminder and its deadline."""
    rng = random.Random(seed)
    out: list[tuple[pendulum.DateTime, int]] = []
    with transaction(session_factory) as s:
        rows = s.execute(
            select(Milestone.id, Milestone.due_date, Milestone.policy_id)
            .where(Milestone.state.in_(OPEN_STATES), Milestone.due_date.is_not(None))
            .order_by(Milestone.id)
        ).all()
        policies = {
            i: Policy.model_validate(doc)
            for i, doc in s.execute(select(PolicySnapshot.id, PolicySnapshot.document)).tuples()
        }
    for mid, due, policy_id in rows:
        if rng.random() >= rate:
            continue
        first = first_action_at(due, policies[policy_id], cal, tz)
        start = first.date() if first else due
        days = [start + dt.timedelta(days=i) for i in range((due - start).days + 1)]
        days = [d for d in days if cal.is_workday(d)] or [due]
        day = rng.choice(days)
        out.append((pendulum.datetime(day.year, day.month, day.day, 10, 0, tz=tz), mid))
    return sorted(out)


def simulate(
    spec: PlanSpec,
    directory: Directory,
    cal: WorkCalendar,
    *,
    until: dt.date,
    report_rate: float = 0.0,
    seed: int = 1,
    start: dt.date | None = None,
    workdir: Path | None = None,
) -> Simulation:
    """Run the plan from ``start`` (default: its issue date) to the end of ``until``."""
    tz = spec.timezone
    with tempfile.TemporaryDirectory(prefix="duban-sim-") as tmp:
        folder = workdir or Path(tmp)
        factory = open_ledger(f"sqlite:///{folder / 'simulation.db'}")
        with transaction(factory) as s:
            sync_units(
                s, list(directory.units.values()), jurisdiction=directory.jurisdiction, actor=ACTOR
            )
        with transaction(factory) as s:
            compiled = compile_plan(spec, ledger_directory(s, directory.jurisdiction), cal)
            if compiled.errors:
                raise ValueError("；".join(map(str, compiled.errors)))
            source = folder / "plan.yaml"
            source.write_text(spec.model_dump_json(), encoding="utf-8")
            load_plan(s, compiled, source=source, digest=file_hash(source), cal=cal, actor=ACTOR)
        result = Simulation(spec.id, start or spec.issued, until, report_rate)
        begin = pendulum.datetime(result.start.year, result.start.month, result.start.day, tz=tz)
        end = pendulum.datetime(until.year, until.month, until.day, tz=tz).end_of("day")
        reports = _report_plan(factory, report_rate, seed, cal, tz) if report_rate else []
        checks = [
            pendulum.datetime(d.year, d.month, d.day, 9, 0, tz=tz) for d in checkpoint_dates(spec)
        ]
        checks = [c for c in checks if begin <= c <= end]
        while True:
            with transaction(factory) as s:
                nxt = s.scalar(
                    select(func.min(Milestone.next_action_at)).where(
                        Milestone.state.in_(OPEN_STATES)
                    )
                )
            candidates = [pendulum.instance(nxt).in_timezone(tz)] if nxt else []
            candidates += [t for t, _ in reports[:1]] + checks[:1]
            if not candidates or min(candidates) > end:
                break
            now = max(min(candidates), begin)
            while reports and reports[0][0] <= now:
                _, mid = reports.pop(0)
                _simulate_report(factory, mid, now, cal)
                result.reports += 1
            if checks and checks[0] <= now:
                checks.pop(0)
                report = check_now(
                    factory, spec.id, now, cal, actor=ACTOR, folder=folder / "checks", word=False
                ).report
                result.checks.append((now.date(), len(report.units), len(report.lagging)))
            sweep_all(factory, now.in_timezone("UTC"), cal)
        result.sent = _timeline(factory, tz)
    return result


def _simulate_report(
    factory: sessionmaker[Session], mid: int, now: pendulum.DateTime, cal: WorkCalendar
) -> None:
    """The unit reports, and the coordinator accepts it the same day."""
    with transaction(factory) as s:
        m = s.get(Milestone, mid)
        if m is None or m.state not in OPEN_STATES:
            return
        a = s.get_one(Assignment, m.assignment_id)
        item = s.get_one(Item, a.item_id)
        unit = s.get_one(Unit, m.unit_id)
        plan_key = item.plan.key
        r = record_report(
            s,
            plan_key=plan_key,
            unit_name=unit.name,
            item_key=item.key,
            text="（模拟报送）",
            urls=[],
            files=[],
            evidence_dir=Path("."),
            actor=ACTOR,
            now=now.in_timezone("UTC"),
            occurrence=m.occurrence,
            progress="ongoing" if item.standing else None,
        )
        review_report(
            s,
            r.report.id,
            accept=True,
            comment="",
            new_due=None,
            cal=cal,
            actor=ACTOR,
            now=now.in_timezone("UTC"),
        )


def _timeline(factory: sessionmaker[Session], tz: str) -> list[Sent]:
    with transaction(factory) as s:
        owner = (
            select(Milestone.id, Unit.name.label("unit"))
            .join(Unit, Unit.id == Milestone.unit_id)
            .subquery()
        )
        rows = s.execute(
            select(
                Notification.next_attempt_at,
                owner.c.unit,
                Unit.name,
                Notification.step,
                Notification.channel,
                Notification.context,
                Notification.milestone_id,
                Notification.recipient,
            )
            .join(Unit, Unit.id == Notification.unit_id)
            .outerjoin(owner, owner.c.id == Notification.milestone_id)
            .order_by(Notification.next_attempt_at, Notification.id)
        ).all()
    return [
        Sent(
            pendulum.instance(at).in_timezone(tz),
            unit or to,
            to,
            step,
            channel,
            (ctx or {}).get("item", ""),
            mid,
            recipient,
        )
        for at, unit, to, step, channel, ctx, mid, recipient in rows
    ]

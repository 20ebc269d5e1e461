"""Checks (督查检查): how far each unit has got, as of a date.

A check counts only what was due by then: done on time (reported before the
deadline and accepted), done late, reported and awaiting review, and missing
(still open or in 整改 past the deadline). Units with anything missing are
"lagging" and get a 检查结果通知. The report itself is a document
(``documents.check_report``); the same numbers feed ``duban score``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pendulum
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ledger.audit import audit
from ledger.models import Assignment, Item, Milestone, Plan, Report, Unit
from ledger.outbox import insert_notifications, person_notifications, recipients
from ledger.reports import get_plan
from plans.policy import Policy, Rubric, next_send_at
from plans.wording import printed_title
from plans.workdays import WorkCalendar


@dataclass
class UnitCheck:
    unit: str
    due: int = 0
    on_time: int = 0
    late: int = 0
    reported: int = 0
    missing: int = 0
    early: int = 0  # on time and at least the rubric's early_workdays ahead
    missing_items: list[str] = field(default_factory=list)  # dated work, by title
    missing_progress: int = 0  # rounds of standing tasks with no progress reported
    order: tuple[int, int] = (0, 0)  # the directory's (ledger.order): ties listed by it

    @property
    def missing_text(self) -> str:
        """What the unit has not done, as a report says it: dated work by title, a
        round of standing tasks as a count (34 titles in every row would fill pages)."""
        parts = list(self.missing_items)
        if self.missing_progress:
            parts.append(f"{self.missing_progress} 项持续推进任务未报送进展（明细见台账）")
        return "；".join(parts)

    @property
    def done(self) -> int:
        return self.on_time + self.late

    @property
    def rate(self) -> float:
        return self.done / self.due if self.due else 1.0

    @property
    def on_time_rate(self) -> float:
        return self.on_time / self.due if self.due else 1.0

    def score(self, rubric: Rubric) -> float:
        """Missing and still-unreviewed-after-deadline both count as missing; the result
        stays within the rubric's range (floor 0 unless the rubric says otherwise)."""
        return rubric.clamp(
            rubric.base
            + rubric.late * self.late
            + rubric.missing * self.missing
            + rubric.early_bonus * self.early
        )


@dataclass
class CheckReport:
    plan: str
    title: str
    at: pendulum.DateTime
    units: list[UnitCheck]
    issuer: str = ""
    doc_no: str | None = None

    @property
    def lagging(self) -> list[UnitCheck]:
        return [u for u in self.units if u.missing]


def run_check(
    session: Session,
    plan_key: str,
    at: dt.datetime,
    *,
    units: list[str] | None = None,
    items: list[str] | None = None,
    cal: WorkCalendar | None = None,
    early_workdays: int = 3,
) -> CheckReport:
    """Count each unit's milestones due by ``at``; one query for milestones, one for reports.

    With a calendar, reports accepted at least ``early_workdays`` working days
    before the deadline also count as early (for a rubric's bonus).
    """
    plan = get_plan(session, plan_key)
    q = (
        select(Milestone, Unit.name, Item.key, Item.title, Unit.position, Unit.id, Item.standing)
        .join(Unit, Unit.id == Milestone.unit_id)
        .join(Assignment, Assignment.id == Milestone.assignment_id)
        .join(Item, Item.id == Assignment.item_id)
        .where(
            Milestone.plan_id == plan.id,
            Milestone.due_at <= at,
            Milestone.state.not_in(("archived", "waiting")),
        )
    )
    if units:
        q = q.where(Unit.name.in_(units))
    if items:
        q = q.where(Item.key.in_(items))
    rows = session.execute(q).all()
    first_accepted = (
        dict(
            session.execute(
                select(Report.milestone_id, func.min(Report.submitted_at))
                .where(
                    Report.review_state == "accepted",
                    Report.milestone_id.in_([m.id for m, *_ in rows]),
                )
                .group_by(Report.milestone_id)
            )
            .tuples()
            .all()
        )
        if rows
        else {}
    )
    by_unit: dict[str, UnitCheck] = {}
    for m, unit, _key, title, position, unit_id, standing in rows:
        u = by_unit.setdefault(unit, UnitCheck(unit, order=(position, unit_id)))
        u.due += 1
        if m.state == "done":
            submitted = first_accepted.get(m.id)
            if submitted is not None and m.due_at is not None and submitted <= m.due_at:
                u.on_time += 1
                if cal is not None and m.due_date is not None:
                    local = pendulum.instance(submitted).in_timezone(plan.timezone).date()
                    if cal.workdays_between(local, m.due_date) >= early_workdays:
                        u.early += 1
            else:
                u.late += 1
        elif m.state == "reported":
            u.reported += 1
        else:
            u.missing += 1
            if standing:
                u.missing_progress += 1
            else:
                u.missing_items.append(f"{printed_title(title)}（{m.due_date}）")
    ordered = sorted(by_unit.values(), key=lambda u: (u.rate, -u.missing, u.order))
    tz = plan.timezone
    return CheckReport(
        plan.key,
        plan.title,
        pendulum.instance(at).in_timezone(tz),
        ordered,
        plan.issuer,
        plan.doc_no,
    )


def record_check(
    session: Session,
    report: CheckReport,
    file: str,
    *,
    actor: str,
    cal: WorkCalendar,
    notify: bool = True,
) -> int:
    """Record a check whose report is ``file``: a 检查结果通知 to each lagging unit (once
    per check) and an audit entry. Returns the notices written.

    The notices go out at the plan's send time on the first working day at or
    after the check's moment: a check as of the end of 9月20日 tells units on
    the morning of the 21st, never at midnight.
    """
    stamp = report.at.format("YYYY-MM-DD")
    plan = session.scalars(select(Plan).where(Plan.key == report.plan)).one()
    coordinator = session.get_one(Unit, plan.coordinator_id)
    policy = Policy.model_validate(plan.document.get("policy") or {})
    lagging = report.lagging if notify else []
    units = (
        {
            unit.name: unit
            for unit in session.scalars(
                select(Unit)
                .where(
                    Unit.jurisdiction == plan.jurisdiction, Unit.name.in_([u.unit for u in lagging])
                )
                .options(selectinload(Unit.contacts))
            )
        }
        if lagging
        else {}
    )
    send_at = next_send_at(report.at, policy, cal, plan.timezone).in_timezone("UTC")
    rows = []
    for u in lagging:
        unit = units[u.unit]
        _, person = recipients("contact", unit, coordinator)
        context = {
            "plan": plan.key,
            "plan_title": plan.title,
            "unit": unit.name,
            "check_date": stamp,
            "due": u.due,
            "done": u.done,
            "missing": u.missing,
            "missing_items": u.missing_items,
            "missing_progress": u.missing_progress,
            "missing_text": u.missing_text,
            "rate": round(u.rate, 4),
            "person": person.name if person else "",
        }
        rows += person_notifications(
            f"check/{plan.key}/{stamp}/{unit.id}",
            person,
            policy.channels,
            plan_id=plan.id,
            unit_id=unit.id,
            milestone_id=None,
            kind="check_result",
            step="check",
            at=send_at,
            context=context,
        )
    sent = insert_notifications(session, rows)
    audit(
        session,
        actor,
        "plan.check",
        plan_id=plan.id,
        entity="check",
        key=stamp,
        file=file,
        units=len(report.units),
        lagging=len(report.lagging),
        notices=sent,
    )
    return sent

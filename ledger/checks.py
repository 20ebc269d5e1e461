"""Checks (督查检查): how far each unit has got, as of a date.

A check counts only what was due by then: done on time (reported before the
deadline and accepted), done late, reported and awaiting review, and missing
(still open or in 整改 past the deadline). Units with anything missing are
"lagging" and get a 检查结果通知. The report is written as Markdown under the
data folder; the same numbers feed ``duban score``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pendulum
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ledger.load import audit
from ledger.models import Assignment, Item, Milestone, Plan, Report, Unit
from ledger.reports import get_plan
from ledger.supervise import insert_notices, person_notices, recipients
from plans.policy import Policy, Rubric, next_send_at
from plans.text import md_escape
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


def render_markdown(report: CheckReport) -> str:
    """The report in the 公文 Markdown convention (``flows.gongwen``): issuing office,
    title, body, table, signature and date; never internal ids."""
    e = md_escape  # names and titles come from plan and directory files
    source = f"《{e(report.title)}》" + (f"（{e(report.doc_no)}）" if report.doc_no else "")
    lines = [
        f"# {e(report.issuer)}",
        "",
        f"## 关于{source}落实情况的检查报告",
        "",
        f"根据{source}，截至{report.at.format('YYYY年M月D日 HH:mm')}，"
        "对各单位应完成事项的落实情况检查如下。",
        "",
        "| 单位 | 应完成 | 按时完成 | 逾期完成 | 待审核 | 未完成 | 完成率 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for u in report.units:
        lines.append(
            f"| {e(u.unit)} | {u.due} | {u.on_time} | {u.late} | {u.reported} | "
            f"{u.missing} | {u.rate:.0%} |"
        )
    total_due = sum(u.due for u in report.units)
    total_done = sum(u.done for u in report.units)
    rate = total_done / total_due if total_due else 1.0
    lines += [
        "",
        f"合计：{len(report.units)} 个单位应完成 {total_due} 项，已完成 {total_done} 项，"
        f"完成率 {rate:.0%}；{len(report.lagging)} 个单位有未完成事项。",
        "",
    ]
    if report.lagging:
        lines += ["## 未完成事项", "", "| 单位 | 未完成事项（期限） |", "| --- | --- |"]
        lines += [f"| {e(u.unit)} | {e(u.missing_text)} |" for u in report.lagging]
        lines.append("")
    lines += [e(report.issuer), "", report.at.format("YYYY年M月D日")]
    return "\n".join(lines) + "\n"


def write_check(
    session: Session,
    report: CheckReport,
    folder: Path,
    *,
    actor: str,
    cal: WorkCalendar,
    notify: bool = True,
) -> tuple[Path, int]:
    """Write the Markdown report and a 检查结果通知 to each lagging unit (once per check).

    The notices go out at the plan's send time on the first working day at or
    after the check's moment: a check as of the end of 9月20日 tells units on
    the morning of the 21st, never at midnight.
    """
    folder.mkdir(parents=True, exist_ok=True)
    stamp = report.at.format("YYYY-MM-DD")
    path = folder / f"{report.plan}-检查-{stamp}.md"
    path.write_text(render_markdown(report), encoding="utf-8")
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
        rows += person_notices(
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
    sent = insert_notices(session, rows)
    audit(
        session,
        actor,
        "plan.check",
        plan_id=plan.id,
        entity="check",
        key=stamp,
        file=str(path),
        units=len(report.units),
        lagging=len(report.lagging),
        notices=sent,
    )
    return path, sent

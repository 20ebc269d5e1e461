"""Read-only questions coordinators ask of the ledger: who is late, per unit.

Counts are aggregated in the database on the (plan_id, unit_id, state) index;
a status table for a province's ledger is one grouped query, not a scan in
Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pendulum
from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from ledger.labels import (
    DATED_KIND,
    LATE_STATUSES,
    PROGRESS_LABELS,
    STANDING_KIND,
    STATUS_LABELS,
)
from ledger.models import OPEN_STATES, Assignment, Document, Item, Milestone, Plan, Report, Unit
from ledger.order import UNIT_ORDER
from plans.compile import ASSIGNMENT_ROLES
from plans.duerules import end_of_day
from plans.model import CHECKPOINT_KINDS
from plans.workdays import WorkCalendar


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


def unit_status(
    session: Session,
    now: dt.datetime,
    *,
    plan_key: str | None = None,
    unit_ids: list[int] | None = None,
) -> list[UnitStatus]:
    """Per-unit milestone counts, in the directory's order (``ledger.order``).

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
        .group_by(Unit.id, Unit.name, Unit.jurisdiction, Unit.position)
        .order_by(Unit.jurisdiction, *UNIT_ORDER)
    )
    if plan_key is not None:
        q = q.join(Plan, Plan.id == Milestone.plan_id).where(Plan.key == plan_key)
    if unit_ids is not None:
        q = q.where(Milestone.unit_id.in_(unit_ids))
    return [UnitStatus(*r) for r in session.execute(q)]


LEDGER_HEADER = [
    "序号",
    "类别",
    "栏目",
    "事项",
    "责任单位",
    "分工",
    "期限",
    "状态",
    "逾期工作日",
    "最近报送",
    "进展",
    "报送说明",
    "审核意见",
    "已发文书",
    "签收时间",
]


@dataclass(frozen=True)
class LedgerRow:
    """One row of the 台账: codes for what code decides on (``status``), words for what
    a reader reads; ``cells()`` gives the columns of ``LEDGER_HEADER``."""

    n: int
    category: str
    section: str
    title: str
    unit: str
    role: str
    due: str
    status: str  # a code of ledger.labels.STATUS_LABELS
    late_workdays: int | None  # working days past due, for a late milestone
    submitted: str
    progress: str
    text: str
    comment: str
    documents: str
    signed: str  # each document's 签收: when and by whom, or 未签收
    standing: bool  # a progress round of a standing task (持续推进任务)

    @property
    def late(self) -> bool:
        return self.status in LATE_STATUSES

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    def cells(self) -> list[object]:
        return [
            self.n,
            self.category,
            self.section,
            self.title,
            self.unit,
            self.role,
            self.due,
            self.status_label,
            "" if self.late_workdays is None else self.late_workdays,
            self.submitted,
            self.progress,
            self.text,
            self.comment,
            self.documents,
            self.signed,
        ]


SOON_WORKDAYS = 5  # a deadline within this many working days is 临近期限 (the board's yellow)


def soon_after(at: dt.datetime, cal: WorkCalendar, tz: str = "Asia/Shanghai") -> dt.datetime:
    """The end of the Nth working day from ``at``'s day: a deadline before it is near."""
    today = pendulum.instance(at).in_timezone(tz).date()
    return end_of_day(cal.add_workdays(today, SOON_WORKDAYS), tz).in_timezone("UTC")


def milestone_status(
    state: str, due_at: dt.datetime | None, at: dt.datetime, soon: dt.datetime | None = None
) -> str:
    """A milestone's status code as of ``at`` (``ledger.labels.STATUS_LABELS``): an open
    or rectifying one past its deadline is late; with ``soon`` (``soon_after``), an open
    deadline before it is near, as the board's yellow."""
    late = due_at is not None and due_at <= at
    if state == "rectifying":
        return "rectifying_late" if late else "rectifying"
    if state == "open":
        near = soon is not None and due_at is not None and due_at <= soon
        return "late" if late else "near" if near else "pending"
    return state


def state_label(
    state: str, due_at: dt.datetime | None, at: dt.datetime, soon: dt.datetime | None = None
) -> str:
    """A milestone's status as the 台账 and every page say it, as of ``at``."""
    code = milestone_status(state, due_at, at, soon)
    return STATUS_LABELS.get(code, code)


def latest_reports(session: Session, milestone_ids: list[int]) -> dict[int, Report]:
    """Each milestone's latest report (progress, completion or extension request)."""
    latest: dict[int, Report] = {}
    for r in (
        session.scalars(
            select(Report)
            .where(Report.milestone_id.in_(milestone_ids))
            .order_by(Report.submitted_at)
        )
        if milestone_ids
        else []
    ):
        latest[r.milestone_id or 0] = r  # the last one wins
    return latest


def ledger_rows(
    session: Session,
    plan: Plan,
    at: dt.datetime,
    cal: WorkCalendar,
    *,
    unit_ids: list[int] | None = None,
) -> list[LedgerRow]:
    """The 台账: one row per live milestone of the plan, in plan order, with its latest
    report, the review and the numbered documents issued. Three queries, whatever
    the plan's size."""
    q = (
        select(Milestone, Item, Unit.name, Assignment.role)
        .join(Assignment, Assignment.id == Milestone.assignment_id)
        .join(Item, Item.id == Assignment.item_id)
        .join(Unit, Unit.id == Milestone.unit_id)
        .where(Milestone.plan_id == plan.id, Milestone.state != "archived")
        .order_by(Item.seq, Milestone.due_at.nulls_last(), *UNIT_ORDER, Milestone.id)
    )
    if unit_ids is not None:
        q = q.where(Milestone.unit_id.in_(unit_ids))
    rows = session.execute(q).all()
    latest = latest_reports(session, [m.id for m, *_ in rows])
    docs: dict[int, list[str]] = {}
    signed: dict[int, list[str]] = {}
    for milestone_id, text, acked, by in session.execute(
        select(
            Document.milestone_id,
            Document.context["doc_no_text"].as_string(),
            Document.acknowledged_at,
            Document.acknowledged_by,
        )
        .where(Document.plan_id == plan.id, Document.milestone_id.is_not(None))
        .order_by(Document.id)
    ):
        docs.setdefault(milestone_id, []).append(text or "")
        when = pendulum.instance(acked).in_timezone(plan.timezone) if acked else None
        signed.setdefault(milestone_id, []).append(
            f"{text} {when.format('YYYY-MM-DD HH:mm')} {by}" if when else f"{text} 未签收"
        )
    today = pendulum.instance(at).in_timezone(plan.timezone).date()
    soon = soon_after(at, cal, plan.timezone)
    out: list[LedgerRow] = []
    for n, (m, item, unit, role) in enumerate(rows, start=1):
        status = milestone_status(m.state, m.due_at, at, soon)
        r = latest.get(m.id)
        submitted = pendulum.instance(r.submitted_at).in_timezone(plan.timezone) if r else None
        due = m.due_date.isoformat() if m.due_date else m.rule
        out.append(
            LedgerRow(
                n=n,
                category=category(item),
                section=" / ".join(item.section),
                title=item.title,
                unit=unit,
                role=ASSIGNMENT_ROLES.get(role, role),
                due=f"{due} 报送进展" if item.standing else due,
                status=status,
                late_workdays=cal.workdays_between(m.due_date, today)
                if status in LATE_STATUSES and m.due_date
                else None,
                submitted=submitted.format("YYYY-MM-DD HH:mm") if submitted else "",
                progress=PROGRESS_LABELS.get(r.progress or "", "") if r else "",
                text=(r.text + ("；" + "、".join(r.evidence_urls) if r.evidence_urls else ""))
                if r
                else "",
                comment=(r.review_comment or "") if r else "",
                documents="、".join(docs.get(m.id, [])),
                signed="；".join(signed.get(m.id, [])),
                standing=item.kind == "task" and item.standing,
            )
        )
    return out


def category(item: Item) -> str:
    """The 台账's 类别 of an item: a dated task, a standing one, or a checkpoint's kind."""
    if item.kind != "task":
        return CHECKPOINT_KINDS.get(item.kind, item.kind)
    return STANDING_KIND if item.standing else DATED_KIND


def calendar_gaps(session: Session, cal: WorkCalendar, today: dt.date) -> dict[int, str]:
    """Years the ledger needs that the working-day calendar does not know, each with its
    warning: from the earliest plan year still running (or this year) to the latest
    deadline. One read of the plans (each keeps its latest deadline), so the daily sweep
    and every ``status`` can afford it."""
    years: set[int] = set()
    for year, last in session.execute(select(Plan.year, Plan.last_due)):
        years |= {year, last.year} if last else {year}
    if not years:
        return {}
    first = max(min(years), today.year)
    return {y: msg for y in range(first, max(years) + 1) if (msg := cal.check_year(y))}

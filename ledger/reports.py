"""What units and coordinators do to milestones: report, review, record events.

A report stops a milestone's escalation at once (``next_action_at`` cleared).
Review closes it (销号) or returns it for 整改 with a new deadline, which starts
a new cycle of the ladder and sends a 整改通知 right away. Recording an event
arms the deadlines that were waiting for it. Each writes an audit event in the
same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pendulum
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger import evidence
from ledger.audit import audit
from ledger.directory_sync import jurisdictions, ledger_directory
from ledger.labels import PROGRESS_LABELS, REVIEW_NAMES
from ledger.load import reload_plan
from ledger.models import (
    OPEN_STATES,
    Assignment,
    Contact,
    Item,
    Milestone,
    Plan,
    PlanEvent,
    Report,
    Unit,
    utcnow,
)
from ledger.outbox import insert_notifications, person_notifications, recipients
from ledger.supervise import weekday_cn
from plans.directory import Directory
from plans.duerules import end_of_day
from plans.model import Checkpoint, PlanSpec, Task
from plans.policy import Policy, first_action_at
from plans.workdays import WorkCalendar


class ActionError(ValueError):
    """A request that cannot be carried out; the message says why and what to do."""


def get_plan(session: Session, key: str) -> Plan:
    plan = session.scalar(select(Plan).where(Plan.key == key))
    if plan is None:
        keys = session.scalars(select(Plan.key)).all()
        raise ActionError(f"没有计划 {key!r}。已加载的计划：{'、'.join(keys) or '无'}")
    return plan


def find_units(
    session: Session, name: str, jurisdiction: str | None = None, *, groups: bool = True
) -> list[Unit]:
    """The units a name means: one unit, or (with ``groups``) a group's members.

    Resolved in the given jurisdiction (a plan's); without one, in every
    jurisdiction, and a name that means units in two of them is refused
    rather than guessed.
    """
    if jurisdiction is not None:  # a unit's own name: one indexed row, not the directory
        exact = session.scalar(
            select(Unit).where(Unit.jurisdiction == jurisdiction, Unit.name == name)
        )
        if exact is not None:
            return [exact]
    places = [jurisdiction] if jurisdiction is not None else jurisdictions(session)
    found: list[tuple[str, tuple[str, str], Directory]] = []
    hints = []
    for j in places:
        directory = ledger_directory(session, j)
        hit = directory.resolve(name)
        if hit is not None:
            found.append((j, hit, directory))
        elif hint := directory.suggest(name):
            hints.append(hint)
    if not found:
        raise ActionError(f"单位名录中没有 {name!r}" + (f"，是否指 {hints[0]}？" if hints else ""))
    if len(found) > 1:
        where = "、".join(f"{j}的{hit[1]}" for j, hit, _ in found)
        raise ActionError(f"{name!r} 在多个辖区都有：{where}。请用 --plan 指明计划")
    j, (kind, canonical), directory = found[0]
    if kind == "group" and not groups:
        raise ActionError(
            f"{name!r} 是分组（{len(directory.members(canonical))} 个单位），请给出单位名称"
        )
    names = [canonical] if kind == "unit" else directory.members(canonical)
    return list(
        session.scalars(
            select(Unit).where(Unit.jurisdiction == j, Unit.name.in_(names)).order_by(Unit.id)
        )
    )


def get_unit(session: Session, name: str, jurisdiction: str | None = None) -> Unit:
    """One unit by any accepted spelling (a group is refused)."""
    return find_units(session, name, jurisdiction, groups=False)[0]


@dataclass
class Recorded:
    report: Report
    milestone: Milestone | None
    late: bool
    unit: str = ""  # the unit's name in the directory, however it was typed
    item: str = ""  # the task's or checkpoint's short title


def _target(
    session: Session, plan_key: str, unit_name: str, item_key: str, occurrence: str | None
) -> tuple[Plan, Unit, Item, Assignment, Milestone | None]:
    """The unit's assignment on an item and its earliest open milestone (or ``occurrence``)."""
    plan = get_plan(session, plan_key)
    unit = get_unit(session, unit_name, plan.jurisdiction)
    item = session.scalar(
        select(Item).where(
            Item.plan_id == plan.id, Item.key == item_key, Item.archived_at.is_(None)
        )
    )
    if item is None:
        raise ActionError(f"计划 {plan_key} 中没有条目 {item_key!r}（用 duban plan show 查看编号）")
    assignment = session.scalar(
        select(Assignment).where(
            Assignment.item_id == item.id,
            Assignment.unit_id == unit.id,
            Assignment.archived_at.is_(None),
        )
    )
    if assignment is None:
        raise ActionError(f"{unit.name} 不承担 {item_key}（{item.title}），无需报送")
    q = select(Milestone).where(
        Milestone.assignment_id == assignment.id, Milestone.state.in_((*OPEN_STATES, "waiting"))
    )
    if occurrence:
        q = q.where(Milestone.occurrence == occurrence)
    milestone = session.scalars(q.order_by(Milestone.due_at.nulls_last(), Milestone.id)).first()
    if milestone is None and occurrence:
        raise ActionError(f"{unit.name} 在 {item_key} 下没有未办结的时限节点 {occurrence!r}")
    return plan, unit, item, assignment, milestone


def record_report(
    session: Session,
    *,
    plan_key: str,
    unit_name: str,
    item_key: str,
    text: str,
    urls: list[str],
    files: Sequence[Path | evidence.Upload],
    evidence_dir: Path,
    actor: str,
    now: dt.datetime | None = None,
    occurrence: str | None = None,
    progress: str | None = None,
    max_bytes: int = evidence.MAX_FILE_BYTES,
) -> Recorded:
    """Record a unit's report on a task or checkpoint; stop that milestone's escalation.

    The report answers the unit's earliest open milestone of the item (or the
    given occurrence). On a standing task (持续推进) it is a progress report and must say
    where the task stands (``progress``: done, ongoing or not_started, with a reason).
    """
    now = now or utcnow()
    plan, unit, item, assignment, milestone = _target(
        session, plan_key, unit_name, item_key, occurrence
    )
    if progress is not None and progress not in PROGRESS_LABELS:
        raise ActionError(f"进展 {progress!r} 应为 " + "、".join(PROGRESS_LABELS.values()))
    if item.standing and progress is None:
        raise ActionError(
            f"“{item.title}”是持续推进任务，报送须写明进展："
            + "、".join(PROGRESS_LABELS.values())
            + "（命令行用 --progress）"
        )
    if progress == "not_started" and not text.strip():
        raise ActionError(f"“{item.title}”未开展的，请写明原因")
    try:
        stored = evidence.store(files, evidence_dir, plan.key, max_bytes=max_bytes) if files else []
    except evidence.EvidenceError as exc:
        raise ActionError(str(exc)) from exc
    report = Report(
        assignment_id=assignment.id,
        milestone_id=milestone.id if milestone else None,
        unit_id=unit.id,
        submitted_at=now,
        text=text,
        evidence_urls=urls,
        files=stored,
        progress=progress,
        kind="progress" if item.standing or milestone is None else "completion",
    )
    session.add(report)
    session.flush()
    late = False
    if milestone is not None:
        late = milestone.due_at is not None and now > milestone.due_at
        milestone.state, milestone.next_action_at, milestone.updated_at = "reported", None, now
    audit(
        session,
        actor,
        "report.submit",
        plan_id=plan.id,
        entity="report",
        key=str(report.id),
        unit=unit.name,
        item=item_key,
        milestone=milestone.id if milestone else None,
        late=late,
    )
    return Recorded(report, milestone, late, unit.name, item.title)


def request_extension(
    session: Session,
    *,
    plan_key: str,
    unit_name: str,
    item_key: str,
    new_due: dt.date,
    reason: str,
    actor: str,
    now: dt.datetime | None = None,
    occurrence: str | None = None,
) -> Recorded:
    """A unit asks to move a deadline. Escalation goes on until the coordinator approves."""
    now = now or utcnow()
    plan, unit, item, assignment, m = _target(session, plan_key, unit_name, item_key, occurrence)
    if m is None or m.due_date is None:
        raise ActionError(f"{unit.name} 在 {item_key} 下没有未办结的时限节点，无需申请延期")
    if new_due <= m.due_date:
        raise ActionError(f"申请的期限 {new_due} 不晚于现有期限 {m.due_date}，无需延期")
    if not reason.strip():
        raise ActionError("请用 --text 说明延期理由")
    report = Report(
        assignment_id=assignment.id,
        milestone_id=m.id,
        unit_id=unit.id,
        submitted_at=now,
        text=reason,
        kind="extension",
        requested_due_date=new_due,
    )
    session.add(report)
    session.flush()
    audit(
        session,
        actor,
        "extension.request",
        plan_id=plan.id,
        entity="report",
        key=str(report.id),
        unit=unit.name,
        item=item_key,
        due=m.due_date.isoformat(),
        requested=new_due.isoformat(),
    )
    return Recorded(report, m, False, unit.name, item.title)


def _decide_extension(
    session: Session,
    report: Report,
    m: Milestone,
    *,
    accept: bool,
    comment: str,
    new_due: dt.date | None,
    cal: WorkCalendar,
    now: dt.datetime,
) -> None:
    """延期批复: approve (to the requested date, or the coordinator's) or refuse; tell the unit."""
    plan = session.get_one(Plan, m.plan_id)
    assert m.due_date is not None and report.requested_due_date is not None
    if accept:
        due = new_due or report.requested_due_date
        if due <= pendulum.instance(now).in_timezone(plan.timezone).date():
            raise ActionError(f"延期后的期限 {due} 已过，请给出以后的日期")
        m.due_date, m.due_at = due, end_of_day(due, plan.timezone).in_timezone("UTC")
        plan.reach(due)
        if m.state not in OPEN_STATES:
            m.state = "open"
        _restart(m, due, cal, plan.timezone)
    unit = session.get_one(Unit, m.unit_id)
    item = session.get_one(Item, session.get_one(Assignment, m.assignment_id).item_id)
    _, person = recipients("contact", unit, session.get_one(Unit, plan.coordinator_id))
    context = {
        "plan": plan.key,
        "plan_title": plan.title,
        "doc_no": plan.doc_no,
        "item": item.key,
        "item_title": item.title,
        "unit": unit.name,
        "due_date": m.due_date.isoformat(),
        "due_weekday": weekday_cn(m.due_date),
        "requested_due": report.requested_due_date.isoformat(),
        "approved": accept,
        "comment": comment,
        "rung": "extension",
        "rung_name": "延期批复",
        "person": person.name if person else "",
        "role": "contact",
    }
    insert_notifications(
        session,
        person_notifications(
            f"ext{report.id}/contact",
            person,
            Policy.model_validate(m.policy).channels,
            plan_id=plan.id,
            unit_id=unit.id,
            milestone_id=m.id,
            kind="extension",
            step="extension",
            at=now,
            context=context,
        ),
    )


def review_report(
    session: Session,
    report_id: int,
    *,
    accept: bool,
    comment: str,
    new_due: dt.date | None,
    cal: WorkCalendar,
    actor: str,
    now: dt.datetime | None = None,
) -> Report:
    """销号 (accept) or 退回整改 (return with a new deadline and a 整改通知);
    for an extension request, approve or refuse it (延期批复)."""
    now = now or utcnow()
    report = session.get(Report, report_id)
    if report is None:
        raise ActionError(f"没有编号为 {report_id} 的报送")
    if report.review_state != "submitted":
        state = REVIEW_NAMES.get(report.review_state, report.review_state)
        raise ActionError(f"报送 {report_id} 已审核（{state}），不能重复审核")
    m = report.milestone
    if report.kind == "extension" and m is not None:
        _decide_extension(
            session, report, m, accept=accept, comment=comment, new_due=new_due, cal=cal, now=now
        )
        report.review_state = "accepted" if accept else "returned"
        report.reviewer, report.review_comment, report.reviewed_at = actor, comment, now
        m.updated_at = now
        audit(
            session,
            actor,
            "extension.decide",
            plan_id=m.plan_id,
            entity="report",
            key=str(report.id),
            approved=accept,
            comment=comment,
            due=m.due_date.isoformat() if m.due_date else None,
        )
        return report
    if not accept and m is None:
        raise ActionError("这是无时限任务的进展报送，只能采纳（--accept）")
    if not accept and new_due is None:
        raise ActionError("退回整改须给出新的整改期限（--due YYYY-MM-DD）")
    report.review_state = "accepted" if accept else "returned"
    report.reviewer, report.review_comment, report.reviewed_at = actor, comment, now
    plan = session.get(Plan, m.plan_id) if m else None
    if m is not None and accept:
        accepted = (
            session.scalar(
                select(func.count())
                .select_from(Report)
                .where(Report.milestone_id == m.id, Report.review_state == "accepted")
            )
            or 0
        )
        if accepted >= m.times:  # yearly:N needs N accepted reports
            m.state, m.closed_at = "done", now
            if report.progress == "done":
                _close_later_rounds(session, m, now)
        else:
            m.state = "open"
            _restart(m, m.due_date, cal, plan.timezone if plan else "Asia/Shanghai")
    elif m is not None:
        assert new_due is not None and plan is not None
        if new_due < pendulum.instance(now).in_timezone(plan.timezone).date():
            raise ActionError(f"整改期限 {new_due} 已过，请给出今天或以后的日期")
        report.rectify_due_date = new_due
        m.state = "rectifying"
        m.due_date, m.due_at = new_due, end_of_day(new_due, plan.timezone).in_timezone("UTC")
        plan.reach(new_due)
        _restart(m, new_due, cal, plan.timezone)
        _rectify_notice(session, plan, m, comment, now)
    if m is not None:
        m.updated_at = now
    audit(
        session,
        actor,
        "report.review",
        plan_id=plan.id if plan else None,
        entity="report",
        key=str(report.id),
        accepted=accept,
        comment=comment,
        new_due=new_due.isoformat() if new_due else None,
    )
    return report


def _close_later_rounds(session: Session, m: Milestone, now: dt.datetime) -> None:
    """A standing task reported 已完成 and accepted owes no further progress: its later
    rounds close with it (their reminders stop)."""
    if m.due_at is None:
        return
    later = session.scalars(
        select(Milestone).where(
            Milestone.assignment_id == m.assignment_id,
            Milestone.id != m.id,
            Milestone.state.in_((*OPEN_STATES, "waiting")),
            Milestone.due_at > m.due_at,
        )
    ).all()
    for other in later:
        other.state, other.closed_at, other.next_action_at, other.updated_at = (
            "done",
            now,
            None,
            now,
        )
    if later:
        audit(
            session,
            "duban",
            "progress.close_rounds",
            plan_id=m.plan_id,
            entity="milestone",
            key=str(m.id),
            closed=[o.id for o in later],
        )


def _restart(m: Milestone, due: dt.date | None, cal: WorkCalendar, tz: str) -> None:
    """A new cycle of the ladder for a new (or renewed) deadline."""
    m.cycle, m.step, m.escalated = (m.cycle or 0) + 1, None, None
    first = first_action_at(due, Policy.model_validate(m.policy), cal, tz) if due else None
    m.next_action_at = first.in_timezone("UTC") if first else None


def _rectify_notice(
    session: Session, plan: Plan, m: Milestone, comment: str, now: dt.datetime
) -> None:
    unit = session.get_one(Unit, m.unit_id)
    item = session.get_one(Item, session.get_one(Assignment, m.assignment_id).item_id)
    coordinator = session.get_one(Unit, plan.coordinator_id)
    _, person = recipients("contact", unit, coordinator)
    assert m.due_date is not None
    context = {
        "plan": plan.key,
        "plan_title": plan.title,
        "doc_no": plan.doc_no,
        "item": item.key,
        "item_title": item.title,
        "unit": unit.name,
        "due_date": m.due_date.isoformat(),
        "due_weekday": weekday_cn(m.due_date),
        "comment": comment,
        "rung": "rectify",
        "rung_name": "整改通知",
        "person": person.name if person else "",
        "role": "contact",
    }
    insert_notifications(
        session,
        person_notifications(
            f"m{m.id}/c{m.cycle}/rectify/contact",
            person,
            Policy.model_validate(m.policy).channels,
            plan_id=plan.id,
            unit_id=unit.id,
            milestone_id=m.id,
            kind="rectify",
            step="rectify",
            at=now,
            context=context,
        ),
    )


def record_event(
    session: Session,
    *,
    plan_key: str,
    name: str,
    at: pendulum.DateTime,
    cal: WorkCalendar,
    actor: str,
) -> int:
    """Record (or correct) an event's date and arm the deadlines that wait for it.

    Returns how many milestones changed. The plan is recompiled from the
    document stored at load time, so the file need not be at hand.
    """
    plan = get_plan(session, plan_key)
    spec = PlanSpec.model_validate(plan.document)
    entries: list[Task | Checkpoint] = [*spec.tasks, *spec.checkpoints]
    known = {
        r.split("@event:", 1)[1] if "@event:" in r else "event"
        for entry in entries
        for r in entry.due
        if "@event" in r
    }
    if name not in known:
        raise ActionError(
            f"计划 {plan_key} 中没有期限相对于事件“{name}”。"
            f"可记录的事件：{'、'.join(sorted(known)) or '无'}"
        )
    row = session.scalar(
        select(PlanEvent).where(PlanEvent.plan_id == plan.id, PlanEvent.name == name)
    )
    if row is None:
        session.add(PlanEvent(plan_id=plan.id, name=name, occurred_at=at.in_timezone("UTC")))
    else:
        row.occurred_at = at.in_timezone("UTC")
    session.flush()
    try:
        result = reload_plan(session, plan, cal, actor=actor)
    except ValueError as exc:  # DirectoryError, DirectoryDrift: the directory moved
        raise ActionError(str(exc)) from exc
    audit(
        session, actor, "plan.event", plan_id=plan.id, entity="event", key=name, at=at.isoformat()
    )
    return sum(v for k, v in result.counts.items() if k.startswith("milestones"))


CONTACT_ROLE_CODES = {"经办人": "contact", "分管领导": "leader", "主要负责人": "head"}


def find_contact(session: Session, text: str) -> tuple[Unit, Contact]:
    """``单位[:角色]`` (经办人 by default) or a person's name, as coordinators say it."""
    name, _, role = text.partition(":")
    if role and role not in CONTACT_ROLE_CODES:
        raise ActionError(f"角色 {role!r} 无效，可用：{'、'.join(CONTACT_ROLE_CODES)}")
    people = session.scalars(select(Contact).where(Contact.name == name)).all()
    if not role and len(people) == 1:
        return session.get_one(Unit, people[0].unit_id), people[0]
    if len(people) > 1:
        units = "、".join(session.get_one(Unit, p.unit_id).name for p in people)
        raise ActionError(f"有 {len(people)} 位联系人叫 {name}（{units}），请写 单位:角色")
    unit = get_unit(session, name)
    person = session.scalar(
        select(Contact).where(
            Contact.unit_id == unit.id, Contact.role == CONTACT_ROLE_CODES[role or "经办人"]
        )
    )
    if person is None:
        raise ActionError(f"{unit.name} 没有登记{role or '经办人'}")
    return unit, person

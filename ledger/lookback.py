"""回头看: the unfinished milestones of last year's plan become rectification items.

For a plan whose ``predecessor`` is in the ledger, every milestone of the
predecessor that was never verified done (not 销号) opens one rectification
item in the new plan, assigned to the same unit, with its own deadline, and
is then supervised like any other milestone until 销号. Items carry kind
``rectification`` and keys ``lb-<old milestone id>``: running the look-back
again opens nothing twice, and re-loading the plan file leaves them alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pendulum
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.audit import audit
from ledger.models import Assignment, Item, Milestone, Plan, Report, Unit, utcnow
from ledger.plan_writer import policy_snapshot
from ledger.reports import ActionError, get_plan
from plans.duerules import end_of_day
from plans.model import PlanSpec
from plans.policy import first_action_at
from plans.workdays import WorkCalendar

KIND = "rectification"
DEFAULT_WORKDAYS = 20


@dataclass
class LookBack:
    predecessor: str
    due: dt.date
    opened: list[str] = field(default_factory=list)  # "unit: old item"
    already: int = 0


def look_back(
    session: Session,
    plan_key: str,
    cal: WorkCalendar,
    *,
    actor: str,
    due: dt.date | None = None,
    now: dt.datetime | None = None,
) -> LookBack:
    """Open a rectification item for each unfinished milestone of the predecessor."""
    now = now or utcnow()
    plan = get_plan(session, plan_key)
    if not plan.predecessor_key:
        raise ActionError(f"计划 {plan_key} 没有设置上一年度计划（predecessor），无法回头看")
    previous = session.scalar(select(Plan).where(Plan.key == plan.predecessor_key))
    if previous is None:
        raise ActionError(
            f"上一年度计划 {plan.predecessor_key} 不在台账中：请先 duban plan load 该计划"
        )
    tz = plan.timezone
    today = pendulum.instance(now).in_timezone(tz).date()
    due = due or cal.add_workdays(today, DEFAULT_WORKDAYS)
    result = LookBack(previous.key, due)
    policy = PlanSpec.model_validate(plan.document).policy
    rows = list(
        session.execute(
            select(Milestone, Item, Unit.name)
            .join(Assignment, Assignment.id == Milestone.assignment_id)
            .join(Item, Item.id == Assignment.item_id)
            .join(Unit, Unit.id == Milestone.unit_id)
            .where(
                Milestone.plan_id == previous.id,
                Milestone.state.not_in(("done", "archived")),
                Item.standing.is_(False),
            )
            .order_by(Item.seq, Unit.name, Milestone.id)
        )
        .tuples()
        .all()
    )
    rows += _unfinished_standing(session, previous.id)
    existing = {
        i.key: i
        for i in session.scalars(select(Item).where(Item.plan_id == plan.id, Item.kind == KIND))
    }
    seq = (
        session.scalar(
            select(Item.seq).where(Item.plan_id == plan.id).order_by(Item.seq.desc()).limit(1)
        )
        or 0
    ) + 1
    fresh = [row for row in rows if f"lb-{row[0].id}" not in existing]
    result.already = len(rows) - len(fresh)
    if fresh:  # the policy the new milestones start under; the plan's latest deadline
        policy_id = policy_snapshot(session, policy.model_dump(mode="json"))
        plan.reach(due)
    for old, old_item, unit_name in fresh:
        key = f"lb-{old.id}"
        due_text = old.due_date.isoformat() if old.due_date else "（未定时限）"
        said = (
            f"为持续推进任务，至 {due_text} 最后一轮进展报送仍未确认已完成"
            if old_item.standing
            else f"原定 {due_text} 前完成"
        )
        item = Item(
            plan_id=plan.id,
            key=key,
            kind=KIND,
            seq=seq,
            title=f"回头看：{old_item.title}"[:200],
            section=["回头看"],
            due=[],
            text=f"{previous.title}（{previous.doc_no or previous.key}）"
            f"{old_item.key}“{old_item.title}”{said}，"
            f"回头看核查未完成，限 {due.isoformat()} 前整改到位。\n"
            f"原任务：{old_item.text}",
        )
        seq += 1
        session.add(item)
        a = Assignment(item=item, unit_id=old.unit_id, role="responsible")
        session.add(a)
        m = Milestone(
            assignment=a,
            plan_id=plan.id,
            unit_id=old.unit_id,
            state="open",
            occurrence="lookback",
            rule="lookback",
            due_date=due,
            due_at=end_of_day(due, tz).in_timezone("UTC"),
            policy_id=policy_id,
        )
        first = first_action_at(due, policy, cal, tz)
        m.next_action_at = first.in_timezone("UTC") if first else None
        session.add(m)
        result.opened.append(f"{unit_name}：{old_item.key} {old_item.title}")
    audit(
        session,
        actor,
        "plan.lookback",
        plan_id=plan.id,
        entity="plan",
        key=plan.key,
        predecessor=previous.key,
        opened=len(result.opened),
        already=result.already,
        due=due.isoformat(),
    )
    return result


def _unfinished_standing(session: Session, plan_id: int) -> list[tuple[Milestone, Item, str]]:
    """Each assignment of a standing task whose latest accepted progress is not 已完成,
    as its last round (milestone): one rectification per unit and task, not per round."""
    latest = dict(
        session.execute(
            select(Report.assignment_id, Report.progress)
            .join(Milestone, Milestone.id == Report.milestone_id)
            .where(
                Milestone.plan_id == plan_id,
                Report.kind == "progress",
                Report.review_state == "accepted",
            )
            .order_by(Report.submitted_at, Report.id)
        )
        .tuples()
        .all()
    )  # the last one wins
    done = {aid for aid, progress in latest.items() if progress == "done"}
    last: dict[int, tuple[Milestone, Item, str]] = {}
    for row in (
        session.execute(
            select(Milestone, Item, Unit.name)
            .join(Assignment, Assignment.id == Milestone.assignment_id)
            .join(Item, Item.id == Assignment.item_id)
            .join(Unit, Unit.id == Milestone.unit_id)
            .where(Milestone.plan_id == plan_id, Milestone.state != "archived", Item.standing)
            .order_by(Item.seq, Unit.name, Milestone.due_at, Milestone.id)
        )
        .tuples()
        .all()
    ):
        last[row[0].assignment_id] = row
    return [row for aid, row in last.items() if aid not in done]

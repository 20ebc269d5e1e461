"""The supervise sweep: act on the milestones whose next action has come.

DESIGN decision 2: work is found by the partial index on ``next_action_at``,
so a sweep costs what is due, not the size of the ledger. For each milestone
the ladder of its snapshot policy says which rung is due; when several are (a
plan loaded late, a sweep that did not run for days) only the latest is taken
and the skipped ones are recorded, so a unit is never sent three stale
reminders at once. A rung older than the policy's ``stale_after_workdays`` is
not sent at all: it is recorded as stale and counted for the operator, so a
sweep that wakes up months late does not send months of escalations. Notices
go to the outbox in the same transaction that advances ``next_action_at``;
their idempotency key (milestone, cycle, rung, role, channel, address) is
unique, so a re-run or a retried transaction cannot write a notice twice.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pendulum
from sqlalchemy import Select, func, select, text
from sqlalchemy.orm import Session, selectinload, sessionmaker

from ledger.audit import audit
from ledger.bulk import executemany
from ledger.labels import DOC_NAMES, GRADE_NAMES, RUNG_NAMES
from ledger.models import (
    GRADES,
    OPEN_STATES,
    Assignment,
    Document,
    Item,
    Milestone,
    Plan,
    PolicySnapshot,
    Unit,
)
from ledger.outbox import insert_notifications, role_notifications
from plans.policy import STEP_NAMES, Policy, Rung, ladder
from plans.workdays import WorkCalendar

WEEKDAYS = "一二三四五六日"


def rung_label(key: str) -> str:
    """提前5个工作日提醒, 到期通知, 催办, 督办, 通报, 整改通知."""
    if key.startswith("reminder-"):
        return f"提前{key.split('-', 1)[1]}个工作日提醒"
    return {
        "due": "到期通知",
        "rectify": "整改通知",
        "check": "检查结果通知",
        "check_result": "检查结果通知",
        "extension": "延期批复",
        "alert": "运维告警",
        "channel_test": "渠道测试",
        **STEP_NAMES,
    }.get(key, key)


def weekday_cn(day: dt.date) -> str:
    return f"星期{WEEKDAYS[day.weekday()]}"


@dataclass
class SweepResult:
    milestones: int = 0
    notices: int = 0
    by_rung: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    stale: int = 0  # rungs too old to send (milestones whose every due rung was stale)
    stale_milestones: int = 0
    no_recipient: list[str] = field(default_factory=list)
    documents: int = 0
    circular_plans: set[int] = field(default_factory=set)  # plans with a new 通报


_MOVE = text("""
UPDATE milestones SET step = v.step, escalated = v.escalated,
       next_action_at = v.next_action_at, updated_at = v.updated_at
FROM json_to_recordset(CAST(:rows AS json))
     AS v(id int, step text, escalated text, next_action_at timestamptz, updated_at timestamptz)
WHERE milestones.id = v.id""")


def write_milestones(session: Session, writes: list[dict[str, Any]]) -> None:
    """A batch's new steps and next actions in one statement: on Postgres one UPDATE
    joined to the batch as a JSON record set, elsewhere an executemany by primary key."""
    if not writes:
        return
    if session.get_bind().dialect.name != "postgresql":  # an executemany by primary key
        executemany(
            session.connection(),
            "UPDATE milestones SET step = ?, escalated = ?, "
            "next_action_at = ?, updated_at = ? WHERE id = ?",
            Milestone.__table__,
            ("step", "escalated", "next_action_at", "updated_at", "id"),
            writes,
        )
        return
    stamp = [
        {
            **w,
            "next_action_at": w["next_action_at"] and w["next_action_at"].isoformat(),
            "updated_at": w["updated_at"].isoformat(),
        }
        for w in writes
    ]
    session.execute(_MOVE, {"rows": json.dumps(stamp)})


class Due(NamedTuple):
    """A due milestone as the sweep reads it: plain values, not an ORM object (its
    policy snapshot is read and parsed once per sweep, shared by thousands)."""

    id: int
    assignment_id: int
    item_id: int
    plan_id: int
    unit_id: int
    due_date: dt.date | None
    step: str | None
    cycle: int
    escalated: str | None
    state: str
    policy_id: int


_DUE = (
    Milestone.id,
    Milestone.assignment_id,
    Assignment.item_id,
    Milestone.plan_id,
    Milestone.unit_id,
    Milestone.due_date,
    Milestone.step,
    Milestone.cycle,
    Milestone.escalated,
    Milestone.state,
    Milestone.policy_id,
)


def due_milestones_query(now: dt.datetime, limit: int, plan_id: int | None = None) -> Select[Any]:
    """Due work, found on the partial index on ``next_action_at`` (bench/sweep.py prints
    the plan each backend makes of it)."""
    q = (
        select(*_DUE)
        .join(Assignment, Assignment.id == Milestone.assignment_id)
        .where(Milestone.next_action_at <= now, Milestone.state.in_(OPEN_STATES))
        .order_by(Milestone.next_action_at, Milestone.id)
        .limit(limit)
    )
    return q if plan_id is None else q.where(Milestone.plan_id == plan_id)


def due_milestones(
    session: Session, now: dt.datetime, limit: int, plan_id: int | None = None
) -> list[Due]:
    q = due_milestones_query(now, limit, plan_id)
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(of=Milestone, skip_locked=True)  # several sweeps at once
    return [Due._make(row) for row in session.execute(q)]


@dataclass
class Known:
    """Plans, items and units (with contacts) read by earlier batches of one sweep: the
    same units recur in every batch, so each is read once per sweep, not once a batch.
    (The sessions keep loaded objects usable after commit: ``expire_on_commit=False``.)"""

    plans: dict[int, Plan] = field(default_factory=dict)
    items: dict[int, Item] = field(default_factory=dict)
    units: dict[int, Unit] = field(default_factory=dict)
    policies: dict[int, Policy] = field(default_factory=dict)


class _Context:
    """Plans, items, units and policies of a batch, loaded in a few queries (only those
    no earlier batch of the sweep has read)."""

    def __init__(self, session: Session, batch: list[Due], known: Known) -> None:
        self.plans, self.items, self.units = known.plans, known.items, known.units
        self.policies = known.policies
        if missing := {m.policy_id for m in batch} - self.policies.keys():
            self.policies |= {
                i: Policy.model_validate(doc)
                for i, doc in session.execute(
                    select(PolicySnapshot.id, PolicySnapshot.document).where(
                        PolicySnapshot.id.in_(missing)
                    )
                ).tuples()
            }
        if missing := {m.plan_id for m in batch} - self.plans.keys():
            self.plans |= {
                p.id: p for p in session.scalars(select(Plan).where(Plan.id.in_(missing)))
            }
        if missing := {m.item_id for m in batch} - self.items.keys():
            self.items |= {
                i.id: i for i in session.scalars(select(Item).where(Item.id.in_(missing)))
            }
        unit_ids = {m.unit_id for m in batch} | {p.coordinator_id for p in self.plans.values()}
        if missing := unit_ids - self.units.keys():
            self.units |= {
                u.id: u
                for u in session.scalars(
                    select(Unit).where(Unit.id.in_(missing)).options(selectinload(Unit.contacts))
                )
            }

    def item(self, m: Due) -> Item:
        return self.items[m.item_id]


def notice_context(
    plan: Plan,
    item: Item,
    unit: Unit,
    m: Due,
    rung: Rung,
    following: Rung | None,
    rungs: list[Rung] | None = None,
) -> dict[str, Any]:
    """What templates need to say: plan, task, deadline with weekday, what comes next
    (the next rung, and the first escalation step still ahead)."""
    assert m.due_date is not None
    escalation = next((r for r in rungs or [] if r.escalation and r.at > rung.at), None)
    return {
        "plan": plan.key,
        "plan_title": plan.title,
        "doc_no": plan.doc_no,
        "item": item.key,
        "item_title": item.title,
        "item_kind": item.kind,
        "standing": item.standing,
        "unit": unit.name,
        "cycle": m.cycle,
        **_rung_context(m.due_date, rung, following, escalation),
    }


@functools.lru_cache(maxsize=4096)
def _rung_context(
    due: dt.date, rung: Rung, following: Rung | None, escalation: Rung | None
) -> dict[str, Any]:
    """The part of a notice's context that one ladder position gives every milestone on
    it (thousands of units share a deadline and a rung)."""
    return {
        "due_date": due.isoformat(),
        "due_weekday": weekday_cn(due),
        "rung": rung.key,
        "rung_kind": rung.kind,
        "rung_name": RUNG_NAMES[rung.kind],
        "next_rung": following.kind if following else None,
        "next_rung_name": RUNG_NAMES[following.kind] if following else None,
        "next_at": following.at.to_date_string() if following else None,
        "escalate_name": RUNG_NAMES[escalation.kind] if escalation else None,
        "escalate_at": escalation.at.to_date_string() if escalation else None,
    }


@functools.lru_cache(maxsize=1024)
def _utc(at: pendulum.DateTime) -> pendulum.DateTime:
    """A rung's time in UTC: the same few rungs recur for thousands of notices."""
    return at.in_timezone("UTC")


def notice_rows(
    plan: Plan,
    item: Item,
    unit: Unit,
    coordinator: Unit,
    m: Due,
    rung: Rung,
    following: Rung | None,
    policy: Policy,
    result: SweepResult,
    rungs: list[Rung],
) -> list[dict[str, Any]]:
    rows, missing = role_notifications(
        f"m{m.id}/c{m.cycle}/{rung.key}",
        rung.to,
        unit,
        coordinator,
        policy.channels,
        plan_id=plan.id,
        milestone_id=m.id,
        kind=rung.kind,
        step=rung.key,
        at=_utc(rung.at),
        context=notice_context(plan, item, unit, m, rung, following, rungs),
    )
    result.no_recipient += missing
    return rows


def grade(step: str, rectifying: bool) -> str:
    """催办单 blue, 督办单 yellow; one level higher for a milestone already in 整改."""
    level = {"cuiban": 0, "duban": 1}[step] + (1 if rectifying else 0)
    return GRADES[min(level, 2)]


class Numbers:
    """Next document numbers per (plan, kind, year), read once per batch."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.last: dict[tuple[int, str, int], int] = {}

    def next(self, plan_id: int, kind: str, year: int) -> int:
        key = (plan_id, kind, year)
        if key not in self.last:
            self.last[key] = (
                self.session.scalar(
                    select(func.max(Document.number)).where(
                        Document.plan_id == plan_id, Document.kind == kind, Document.year == year
                    )
                )
                or 0
            )
        self.last[key] += 1
        return self.last[key]


def supervision_document(
    numbers: Numbers, plan: Plan, item: Item, unit: Unit, m: Due, rung: Rung, following: Rung | None
) -> Document:
    """The 催办单/督办单 issued with a 催办 or 督办 step (once per milestone, cycle, step)."""
    assert m.due_date is not None
    year = plan.year  # numbers run per plan year (督办〔2021〕12号 even if sent in January)
    g = grade(rung.kind, m.state == "rectifying")
    number = numbers.next(plan.id, rung.kind, year)
    ctx = notice_context(plan, item, unit, m, rung, following)
    ctx |= {
        "number": number,
        "year": year,
        "grade": g,
        "grade_name": GRADE_NAMES[g],
        "doc_name": DOC_NAMES[rung.kind],
        "issued_on": rung.at.to_date_string(),
        "doc_no_text": f"{DOC_NAMES[rung.kind][:2]}〔{year}〕{number}号",
        "item_text": item.text,
    }
    return Document(
        plan_id=plan.id,
        milestone_id=m.id,
        cycle=m.cycle,
        kind=rung.kind,
        year=year,
        number=number,
        grade=g,
        context=ctx,
        title=f"{GRADE_NAMES[g]}{DOC_NAMES[rung.kind]}：{unit.name} {item.title}"[:300],
    )


def issue_documents(
    session: Session,
    supervised: list[tuple[Due, Plan, Item, Rung, Rung | None]],
    ctx: _Context,
    cal: WorkCalendar,
    now: pendulum.DateTime,
) -> int:
    """The 催办单/督办单 of a batch's 催办 and 督办 steps, in batch order; none twice for one
    milestone, cycle and step (a retried sweep finds the one it wrote). Each carries when
    it is chased if not acknowledged (签收), where the policy says so."""
    if not supervised:
        return 0
    have = set(
        session.execute(
            select(Document.milestone_id, Document.cycle, Document.kind).where(
                Document.milestone_id.in_({m.id for m, *_ in supervised})
            )
        ).tuples()
    )
    numbers = Numbers(session)
    issued = 0
    for m, plan, item, take, following in supervised:
        if (m.id, m.cycle, take.kind) not in have:
            doc = supervision_document(
                numbers, plan, item, ctx.units[m.unit_id], m, take, following
            )
            doc.created_at = now  # issued at the sweep's moment (a replayed day keeps its own)
            if rule := ctx.policies[m.policy_id].acknowledge:
                chase = rule.chase_at(take.kind, max(take.at, now.in_timezone(plan.timezone)), cal)
                doc.ack_due_at = chase.in_timezone("UTC") if chase else None
            session.add(doc)
            have.add((m.id, m.cycle, take.kind))
            issued += 1
    return issued


@dataclass
class Advance:
    """What the ladder says for one milestone now."""

    take: Rung | None  # the rung to act on
    skipped: list[Rung]  # due, superseded by ``take``
    stale: list[Rung]  # due, too old to send at all
    following: Rung | None  # the next rung ahead


def advance(m: Due, rungs: list[Rung], now: pendulum.DateTime, stale_before: dt.date) -> Advance:
    """Which rung to take now; older due rungs are skipped, and rungs dated before
    ``stale_before`` (the policy's ``stale_after_workdays`` back from today) are
    stale: never sent."""
    keys = [r.key for r in rungs]
    start = keys.index(m.step) + 1 if m.step in keys else 0
    due = [r for r in rungs[start:] if r.at <= now]
    later = [r for r in rungs[start:] if r.at > now]
    following = later[0] if later else None
    stale = [r for r in due if r.at.date() < stale_before]
    fresh = [r for r in due if r not in stale]
    if not fresh:
        return Advance(None, [], stale, following)
    return Advance(fresh[-1], fresh[:-1], stale, following)


def sweep(
    session: Session,
    now: dt.datetime,
    cal: WorkCalendar,
    *,
    limit: int = 2000,
    plan_id: int | None = None,
    actor: str = "sweep",
    known: Known | None = None,
) -> SweepResult:
    """One batch: act on up to ``limit`` due milestones. Call until it returns 0.
    The milestones' new step and next action are written in one statement for the
    batch (an executemany by primary key), not one UPDATE per milestone."""
    result = SweepResult()
    batch = due_milestones(session, now, limit, plan_id)
    if not batch:
        return result
    ctx = _Context(session, batch, known or Known())
    writes: list[dict[str, Any]] = []
    at = pendulum.instance(now)
    supervised: list[tuple[Due, Plan, Item, Rung, Rung | None]] = []  # 催办/督办 taken
    rows: list[dict[str, Any]] = []
    ladders: dict[tuple[dt.date, int, str], list[Rung]] = {}
    cutoffs: dict[int, dt.date] = {}
    advances: dict[tuple[Any, ...], Advance] = {}
    for m in batch:
        plan = ctx.plans[m.plan_id]
        policy = ctx.policies[m.policy_id]
        assert m.due_date is not None
        lkey = (m.due_date, m.policy_id, plan.timezone)
        rungs = ladders.get(lkey) or ladders.setdefault(
            lkey, ladder(m.due_date, policy, cal, plan.timezone)
        )
        cutoff = cutoffs.get(policy.stale_after_workdays) or cutoffs.setdefault(
            policy.stale_after_workdays,
            cal.add_workdays(at.in_timezone(plan.timezone).date(), -policy.stale_after_workdays),
        )
        akey = (lkey, m.step, cutoff)  # milestones on one ladder at one step move alike
        adv = advances.get(akey) or advances.setdefault(akey, advance(m, rungs, at, cutoff))
        take, skipped, following = adv.take, adv.skipped, adv.following
        result.milestones += 1
        write = {"id": m.id, "step": m.step, "escalated": m.escalated, "updated_at": now}
        if adv.stale:
            result.stale += len(adv.stale)
            result.stale_milestones += take is None
            audit(
                session,
                actor,
                "milestone.stale",
                plan_id=plan.id,
                entity="milestone",
                key=str(m.id),
                rungs=[r.key for r in adv.stale],
            )
            if take is None:
                write["step"] = adv.stale[-1].key
        if take is not None:
            item = ctx.item(m)
            rows += notice_rows(
                plan,
                item,
                ctx.units[m.unit_id],
                ctx.units[plan.coordinator_id],
                m,
                take,
                following,
                policy,
                result,
                rungs,
            )
            # A 催办单/督办单 answers a missed deadline. A missed round of progress on a
            # standing task is chased by message (to the 经办人, then the 分管领导): one
            # document per task and unit would print dozens for one late 自查表.
            if take.kind in ("cuiban", "duban") and not item.standing:
                supervised.append((m, plan, item, take, following))
            if take.kind == "tongbao":
                result.circular_plans.add(plan.id)
            write["step"] = take.key
            if take.escalation:
                write["escalated"] = take.kind
            result.by_rung[take.key] += 1
            result.skipped += len(skipped)
            if skipped:
                audit(
                    session,
                    actor,
                    "milestone.skipped",
                    plan_id=plan.id,
                    entity="milestone",
                    key=str(m.id),
                    rungs=[r.key for r in skipped],
                    taken=take.key,
                )
        write["next_action_at"] = following.at.in_timezone("UTC") if following else None
        writes.append(write)
    result.documents = issue_documents(session, supervised, ctx, cal, at)
    session.flush()  # the documents and audit rows; the milestones are written apart
    write_milestones(session, writes)
    result.notices = insert_notifications(session, rows)
    if result.no_recipient:
        audit(
            session,
            actor,
            "notice.no_recipient",
            entity="unit",
            missing=sorted(set(result.no_recipient)),
        )
    return result


def sweep_all(
    session_factory: sessionmaker[Session],
    now: dt.datetime,
    cal: WorkCalendar,
    *,
    batch: int = 2000,
    plan_id: int | None = None,
) -> SweepResult:
    """Sweep in batches, one transaction each, until nothing is due."""
    total = SweepResult()
    known = Known()
    while True:
        with session_factory() as s, s.begin():
            r = sweep(s, now, cal, limit=batch, plan_id=plan_id, known=known)
        total.milestones += r.milestones
        total.notices += r.notices
        total.by_rung.update(r.by_rung)
        total.skipped += r.skipped
        total.stale += r.stale
        total.stale_milestones += r.stale_milestones
        total.no_recipient += r.no_recipient
        total.documents += r.documents
        total.circular_plans |= r.circular_plans
        if r.milestones < batch:
            return total

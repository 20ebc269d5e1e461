"""签收: a unit acknowledges the 催办单/督办单 it was sent.

A 督办 OA records that the unit received each document and who acknowledged it, and
chases a unit that has not. Opening the unit's page records 已阅 (read, with the time)
on every document of the unit not yet read; 签收 is a named person's act on that page.
A plan whose policy has ``acknowledge`` stores on each document it issues the moment an
unacknowledged one is chased (``ack_due_at``: N working hours, in office hours, after
issue); the sweep chases the due ones once, with a message to the unit's leader, found
by a partial index on that moment. The web page, the CLI and the sweep all call here.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import pendulum
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from ledger.audit import audit
from ledger.labels import DOC_NAMES, GRADE_NAMES
from ledger.models import (
    OPEN_STATES,
    Document,
    Milestone,
    Plan,
    PolicySnapshot,
    Unit,
    utcnow,
)
from ledger.outbox import insert_notifications, role_notifications
from ledger.reports import ActionError
from plans.policy import Policy

SIGNED_KINDS = ("cuiban", "duban")  # documents a unit acknowledges; a 通报 is public
PERSON_MAX = 50


@dataclass(frozen=True)
class DocumentRow:
    """One 催办单/督办单 as a page or the 台账 shows it."""

    id: int
    number: str  # 督办〔2021〕3号
    name: str  # 黄色督办单
    title: str
    unit: str
    issued: str  # local date and time
    read_at: str
    acknowledged_at: str
    acknowledged_by: str
    chase_at: str  # when it is chased if still not acknowledged


def _number(doc: Document) -> str:
    """The document's 文号 as printed (督办〔2021〕3号)."""
    return str((doc.context or {}).get("doc_no_text") or f"{DOC_NAMES[doc.kind]} {doc.number}")


def _local(at: dt.datetime | None, tz: str = "Asia/Shanghai") -> str:
    return pendulum.instance(at).in_timezone(tz).format("YYYY-MM-DD HH:mm") if at else ""


def _rows(
    session: Session,
    where: list[Any],
    tz: str = "Asia/Shanghai",
    *,
    offset: int = 0,
    limit: int | None = None,
) -> list[DocumentRow]:
    """Newest first: the latest 督办单 are the ones waiting for a 签收."""
    q = (
        select(Document, Unit.name, Milestone.state)
        .join(Milestone, Milestone.id == Document.milestone_id)
        .join(Unit, Unit.id == Milestone.unit_id)
        .where(Document.kind.in_(SIGNED_KINDS), *where)
        .order_by(Document.id.desc())
        .offset(offset)
        .limit(limit)
    )
    out = []
    for d, unit, state in session.execute(q).tuples():
        ctx = d.context or {}
        out.append(
            DocumentRow(
                id=d.id,
                number=_number(d),
                name=GRADE_NAMES.get(d.grade or "", "") + DOC_NAMES[d.kind],
                title=str(ctx.get("item_title") or d.title),
                unit=unit,
                issued=_local(d.created_at, tz),
                read_at=_local(d.read_at, tz),
                acknowledged_at=_local(d.acknowledged_at, tz),
                acknowledged_by=d.acknowledged_by or "",
                chase_at=_local(d.ack_due_at, tz)
                if d.acknowledged_at is None and state in OPEN_STATES
                else "",
            )
        )
    return out


def unit_documents(session: Session, unit_id: int) -> list[DocumentRow]:
    """The 催办单/督办单 sent to one unit (its page lists them)."""
    return _rows(session, [Milestone.unit_id == unit_id])


def _plan_where(plan: Plan, unsigned_only: bool, unit_ids: list[int] | None) -> list[Any]:
    where: list[Any] = [Document.plan_id == plan.id]
    if unsigned_only:
        where.append(Document.acknowledged_at.is_(None))
    if unit_ids is not None:
        where.append(Milestone.unit_id.in_(unit_ids))
    return where


def plan_documents(
    session: Session,
    plan: Plan,
    *,
    unsigned_only: bool = False,
    unit_ids: list[int] | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[DocumentRow]:
    """A plan's 催办单/督办单 with their 签收, newest first (the coordinator's list), of
    some units only when ``unit_ids`` is given, a page of them when ``limit`` is."""
    where = _plan_where(plan, unsigned_only, unit_ids)
    return _rows(session, where, plan.timezone, offset=offset, limit=limit)


def plan_documents_count(
    session: Session, plan: Plan, *, unsigned_only: bool = False, unit_ids: list[int] | None = None
) -> int:
    """How many rows :func:`plan_documents` has in all (for its pages)."""
    q = (
        select(func.count(Document.id))
        .join(Milestone, Milestone.id == Document.milestone_id)
        .where(Document.kind.in_(SIGNED_KINDS), *_plan_where(plan, unsigned_only, unit_ids))
    )
    return int(session.scalar(q) or 0)


def by_number(session: Session, plan: Plan, number: str) -> tuple[int, Unit]:
    """A plan's 催办单/督办单 by its 文号 (督办〔2021〕3号), with the unit it was sent to:
    a coordinator records a 签收 taken by telephone or on a paper receipt."""
    wanted = "".join(number.split())
    for a, b in ("[〔", "]〕", "(〔", ")〕", "（〔", "）〕", "［〔", "］〕"):
        wanted = wanted.replace(a, b)
    for d, unit_id in session.execute(
        select(Document, Milestone.unit_id)
        .join(Milestone, Milestone.id == Document.milestone_id)
        .where(Document.plan_id == plan.id, Document.kind.in_(SIGNED_KINDS))
        .where(Document.context["doc_no_text"].as_string() == wanted)
    ).tuples():
        return d.id, session.get_one(Unit, unit_id)
    raise ActionError(
        f"计划 {plan.key} 没有文号为 {number} 的催办单/督办单（如 督办〔{plan.year}〕3号）；"
        f"用 duban documents {plan.key} 查看全部文号"
    )


def mark_read(session: Session, unit_id: int, now: dt.datetime) -> int:
    """已阅: the unit opened its page; every document of it not yet read is read now.
    The unit's documents are found by its milestones (the documents' unique index leads
    with the milestone); a page opened again changes nothing."""
    mine = select(Milestone.id).where(Milestone.unit_id == unit_id).scalar_subquery()
    unread = (
        Document.milestone_id.in_(mine),
        Document.kind.in_(SIGNED_KINDS),
        Document.read_at.is_(None),
    )
    if session.scalar(select(Document.id).where(*unread).limit(1)) is None:
        return 0  # a page opened again writes nothing (no write lock on SQLite)
    result = session.execute(
        update(Document)
        .where(*unread)
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def acknowledge(
    session: Session,
    unit: Unit,
    document_id: int,
    person: str,
    *,
    actor: str,
    now: dt.datetime | None = None,
) -> DocumentRow:
    """签收 one of ``unit``'s documents by ``person``. Raises ``ActionError`` (in Chinese)
    for a document that is not the unit's, a missing name, or one already acknowledged
    (the message says by whom and when)."""
    now = now or utcnow()
    person = " ".join(
        "".join(ch for ch in person if unicodedata.category(ch) not in ("Cc", "Cf")).split()
    )  # control and bidi characters (U+202E) would make the name show what it is not
    if not person:
        raise ActionError("请填写签收人姓名")
    if len(person) > PERSON_MAX:
        raise ActionError(f"签收人姓名过长（{len(person)} 字），请只填写姓名")
    found = session.execute(
        select(Document, Milestone.unit_id)
        .join(Milestone, Milestone.id == Document.milestone_id)
        .where(Document.id == document_id)
        .with_for_update(of=Document)
    ).first()
    if found is None or found[1] != unit.id or found[0].kind not in SIGNED_KINDS:
        raise ActionError("没有这份文书。请从本单位的页面签收。")
    doc = found[0]
    number = _number(doc)
    if now < doc.created_at:
        raise ActionError(
            f"签收时间 {_local(now)} 早于 {number} 的下发时间 {_local(doc.created_at)}，请核对"
        )
    if doc.acknowledged_at is not None:
        raise ActionError(
            f"{number} 已于 {_local(doc.acknowledged_at)} 由 {doc.acknowledged_by} 签收，"
            "无需重复签收"
        )
    doc.acknowledged_at, doc.acknowledged_by = now, person
    doc.read_at = doc.read_at or now
    doc.ack_due_at = None
    audit(
        session,
        actor,
        "document.acknowledged",
        plan_id=doc.plan_id,
        entity="document",
        key=number,
        by=person,
    )
    session.flush()
    return _rows(session, [Document.id == doc.id])[0]


@dataclass
class Chased:
    """What one chase of unacknowledged documents did."""

    documents: int = 0
    notices: int = 0
    no_recipient: list[str] = field(default_factory=list)  # 单位（角色） without an address


def chase_unacknowledged(
    session: Session, now: dt.datetime, *, plan_id: int | None = None, actor: str = "sweep"
) -> Chased:
    """Chase every document whose ``ack_due_at`` has come and that no one acknowledged:
    one message to each role the policy names (the unit's 分管领导 by default), once. A
    document whose milestone was reported or closed meanwhile is not chased."""
    q = (
        select(Document, Milestone.unit_id, Milestone.state, Milestone.policy_id)
        .join(Milestone, Milestone.id == Document.milestone_id)
        .where(Document.ack_due_at <= now, Document.acknowledged_at.is_(None))
        .order_by(Document.ack_due_at, Document.id)
    )
    if plan_id is not None:
        q = q.where(Document.plan_id == plan_id)
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(of=Document, skip_locked=True)  # sweeps at once chase once
    due = session.execute(q).all()
    done = Chased()
    if not due:
        return done
    plans = {
        p.id: p
        for p in session.scalars(select(Plan).where(Plan.id.in_({d.plan_id for d, *_ in due})))
    }
    unit_ids = {u for _, u, *_ in due} | {p.coordinator_id for p in plans.values()}
    units = {
        u.id: u
        for u in session.scalars(
            select(Unit).where(Unit.id.in_(unit_ids)).options(selectinload(Unit.contacts))
        )
    }
    policies = {  # each snapshot parsed once: thousands of documents share a few
        i: Policy.model_validate(doc)
        for i, doc in session.execute(
            select(PolicySnapshot.id, PolicySnapshot.document).where(
                PolicySnapshot.id.in_({p for *_, p in due})
            )
        ).tuples()
    }
    rows: list[dict[str, Any]] = []
    for doc, unit_id, state, policy_id in due:
        doc.ack_due_at = None  # chased once, or moot
        policy = policies[policy_id]
        rule = policy.acknowledge
        if state not in OPEN_STATES or rule is None:
            continue
        done.documents += 1
        plan, unit = plans[doc.plan_id], units[unit_id]
        ctx = doc.context or {}
        common = {
            "plan": plan.key,
            "plan_title": plan.title,
            "doc_no": plan.doc_no,
            "unit": unit.name,
            "item": ctx.get("item", ""),
            "item_title": ctx.get("item_title", doc.title),
            "due_date": ctx.get("due_date", ""),
            "doc_name": GRADE_NAMES.get(doc.grade or "", "") + DOC_NAMES[doc.kind],
            "doc_no_text": ctx.get("doc_no_text", ""),
            "issued_at": _local(doc.created_at, plan.timezone),
            "hours": rule.within_work_hours,
        }
        mine, missing = role_notifications(
            f"d{doc.id}/sign",
            rule.to,
            unit,
            units[plan.coordinator_id],
            policy.channels,
            plan_id=plan.id,
            milestone_id=doc.milestone_id,
            kind="sign",
            step="sign",
            at=now,
            context=common,
        )
        rows += mine
        audit(
            session,
            actor,
            "document.ack_chased",
            plan_id=plan.id,
            entity="document",
            key=str(common["doc_no_text"]),
            to=list(rule.to),
            **({"no_recipient": missing} if missing else {}),
        )
        done.no_recipient += missing
    session.flush()
    done.notices = insert_notifications(session, rows)
    return done

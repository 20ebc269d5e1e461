"""The outbox as coordinators look at it: what went to whom, and a second try for the
notices the dispatcher gave up on. The CLI's ``duban notices`` and the web's notices
page are both this."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.audit import audit
from ledger.labels import CHANNEL_NAMES, NOTIFICATION_STATES
from ledger.models import Notification, Plan, Unit
from ledger.reports import ActionError


def channel_name(channel: str) -> str:
    """A channel as a coordinator reads it: 短信, not ``sms``; a named channel
    (``wecom_bot:办公室群``) by its kind and name."""
    kind, _, name = channel.partition(":")
    label = CHANNEL_NAMES.get(kind, kind)
    return f"{label}（{name}）" if name else label


def state_code(status: str) -> str:
    """A state as typed (Chinese or code) → its code; ``ActionError`` naming the choices."""
    code = {v: k for k, v in NOTIFICATION_STATES.items()}.get(status, status)
    if code not in NOTIFICATION_STATES:
        raise ActionError(f"状态 {status!r} 无效，可用：{'、'.join(NOTIFICATION_STATES.values())}")
    return code


def recent(
    session: Session,
    *,
    plan: Plan | None = None,
    unit: Unit | None = None,
    status: str | None = None,
    limit: int = 50,
) -> list[tuple[Notification, str]]:
    """The newest notices (and their units' names), filtered; newest first."""
    q = select(Notification, Unit.name).join(Unit, Unit.id == Notification.unit_id, isouter=True)
    if plan is not None:
        q = q.where(Notification.plan_id == plan.id)
    if unit is not None:
        q = q.where(Notification.unit_id == unit.id)
    if status:
        q = q.where(Notification.status == state_code(status))
    return list(session.execute(q.order_by(Notification.id.desc()).limit(limit)).tuples())


def counts(
    session: Session, *, plan: Plan | None = None, unit: Unit | None = None
) -> dict[str, int]:
    """Notices per state (codes), for a cron check and ``--json``."""
    q = select(Notification.status, func.count()).group_by(Notification.status)
    if plan is not None:
        q = q.where(Notification.plan_id == plan.id)
    if unit is not None:
        q = q.where(Notification.unit_id == unit.id)
    return {code: 0 for code in NOTIFICATION_STATES} | dict(session.execute(q).tuples().all())


def requeue_dead(
    session: Session,
    at: dt.datetime,
    *,
    actor: str,
    plan: Plan | None = None,
    unit: Unit | None = None,
    ids: list[int] | None = None,
) -> int:
    """Given-up notices back in the queue from ``at``, each to get a new delivery."""
    q = select(Notification).where(Notification.status == "dead")
    if plan is not None:
        q = q.where(Notification.plan_id == plan.id)
    if unit is not None:
        q = q.where(Notification.unit_id == unit.id)
    if ids is not None:
        q = q.where(Notification.id.in_(ids))
    dead = session.scalars(q).all()
    for n in dead:
        n.status, n.delivery_id, n.next_attempt_at = "pending", None, at
    if dead:
        audit(
            session,
            actor,
            "notice.retry",
            plan_id=plan.id if plan else None,
            entity="notice",
            key=",".join(str(n.id) for n in dead[:50]),
            count=len(dead),
        )
    return len(dead)

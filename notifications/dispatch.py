"""The dispatcher: from outbox rows to delivered messages, at most one digest a day.

1. Claim (one transaction): due ``pending`` notices, grouped per channel and
   recipient. Each group becomes one delivery (a digest when it holds several),
   unless the recipient already had ``cap`` deliveries on that channel today
   (the notices wait for tomorrow's digest) or it is an SMS in quiet hours
   (they wait for the morning). The delivery is ``sending`` with a lease.
2. Send, outside any transaction, and record each attempt with its outcome.
3. Failed and unknown deliveries, and ``sending`` ones whose lease ran out
   (the dispatcher died between sending and recording), are sent again with
   the same key, with exponential backoff and jitter, until ``max_attempts``;
   then they are dead.

Guarantee: a notice is carried by exactly one delivery; a delivery is handed
to its channel again only after a failure, an unknown outcome or a crash, and
always with the same idempotency key, so a channel that de-duplicates on the
key (the local outbox, SMS gateways) delivers it at most once.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pendulum
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ledger.models import (
    OPEN_STATES,
    Assignment,
    Delivery,
    DeliveryAttempt,
    Item,
    Milestone,
    Notice,
    Plan,
    Unit,
)
from notifications.channels import Channel, Outcome, Outgoing, channel_kind
from notifications.render import Message, Templates
from plans.policy import Policy

LEASE = dt.timedelta(minutes=5)


@dataclass
class Settings:
    """Defaults; a notice's plan policy (``digest``, ``quiet_hours``) overrides them."""

    tz: str = "Asia/Shanghai"
    cap: int | None = None  # deliveries per recipient, channel and day (None: the plan's)
    digest_hour: int = 9
    quiet_kinds: tuple[str, ...] = ("sms",)
    max_attempts: int = 5
    backoff: dt.timedelta = dt.timedelta(minutes=1)
    batch: int = 500


@dataclass
class Dispatched:
    deliveries: int = 0
    notices: int = 0
    sent: int = 0
    failed: int = 0
    unknown: int = 0
    dead: int = 0
    deferred: int = 0
    outcomes: list[tuple[int, str]] = field(default_factory=list)


def _quiet(local: pendulum.DateTime, window: tuple[dt.time, dt.time], tz: str
           ) -> pendulum.DateTime | None:
    """The end of the quiet window ``local`` falls in, or None."""
    start, end = window
    t = local.time()
    if start <= t or t < end:
        day = local.date() if t < end else local.add(days=1).date()
        return pendulum.datetime(day.year, day.month, day.day, end.hour, end.minute, tz=tz)
    return None


SOON = dt.timedelta(days=7)


def open_items(session: Session, unit_ids: set[int], today: dt.date,
               exclude: set[int | None]) -> list[dict]:
    """The units' other open milestones that are late or due within a week (for digests)."""
    if not unit_ids:
        return []
    rows = session.execute(
        select(Milestone.id, Milestone.due_date, Item.title, Unit.name)
        .join(Assignment, Assignment.id == Milestone.assignment_id)
        .join(Item, Item.id == Assignment.item_id)
        .join(Unit, Unit.id == Milestone.unit_id)
        .where(Milestone.unit_id.in_(unit_ids), Milestone.state.in_(OPEN_STATES),
               Milestone.due_date <= today + SOON)
        .order_by(Milestone.due_date, Milestone.id).limit(50)).all()
    return [{"item_title": title, "due_date": due.isoformat(), "late": due < today,
             "unit": unit} for mid, due, title, unit in rows if mid not in exclude]


def _name(contexts: list[dict]) -> str:
    first = contexts[0]
    return str(first.get("person") or first.get("to_unit") or first.get("unit") or "")


def claim(session: Session, now: dt.datetime, templates: Templates, s: Settings,
          result: Dispatched) -> list[int]:
    """Step 1: group due notices into deliveries; returns the new deliveries' ids."""
    q = (select(Notice).where(Notice.status == "pending", Notice.next_attempt_at <= now)
         .order_by(Notice.id).limit(s.batch))
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    groups: dict[tuple[str, str], list[Notice]] = {}
    for n in session.scalars(q):
        groups.setdefault((n.channel, n.recipient), []).append(n)
    policies = {pid: Policy.model_validate(doc.get("policy") or {}) for pid, doc in
                session.execute(select(Plan.id, Plan.document).where(Plan.id.in_(
                    {n.plan_id for ns in groups.values() for n in ns}))).all()}
    default = Policy()
    local = pendulum.instance(now).in_timezone(s.tz)
    day = local.date()
    made = []
    for (channel, recipient), notices in groups.items():
        # The strictest policy among the plans the notices come from.
        ps = [policies.get(n.plan_id, default) for n in notices] if policies else [default]
        cap = s.cap or min(p.digest.max_per_channel_per_day for p in ps)
        hour = ps[0].digest.hour if s.cap is None else s.digest_hour
        q_hours = ps[0].quiet_hours
        wait = (_quiet(local, (q_hours.start, q_hours.end), s.tz)
                if channel_kind(channel) in s.quiet_kinds else None)
        already = session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.channel == channel, Delivery.recipient == recipient, Delivery.day == day,
            Delivery.status != "dead")) or 0
        if wait is None and already >= cap:
            tomorrow = local.add(days=1)
            wait = pendulum.datetime(tomorrow.year, tomorrow.month, tomorrow.day, hour, tz=s.tz)
        if wait is not None:
            for n in notices:
                n.next_attempt_at = wait.in_timezone("UTC")
            result.deferred += len(notices)
            continue
        contexts = [n.context for n in notices]
        # A unit's 经办人 hears, with today's notices, of everything else late or near.
        others = open_items(session, {n.unit_id for n in notices
                                      if n.context.get("role") == "contact" and n.unit_id},
                            day, {n.milestone_id for n in notices})
        if len(notices) == 1 and not others:
            message = templates.render(notices[0].kind, contexts[0])
        else:
            message = templates.digest(_name(contexts), day.isoformat(),
                                       [{**c, "kind": n.kind} for c, n in zip(contexts, notices,
                                                                              strict=True)],
                                       others)
        d = Delivery(key=f"{channel}/{recipient}/{day.isoformat()}/{already + 1}",
                     channel=channel, recipient=recipient, day=day,
                     kind="digest" if len(notices) > 1 or others else "single",
                     subject=message.subject,
                     text=message.text, sms=message.sms, status="sending",
                     next_attempt_at=now + LEASE)
        session.add(d)
        session.flush()
        for n in notices:
            n.status, n.delivery_id = "sending", d.id
        made.append(d.id)
        result.deliveries += 1
        result.notices += len(notices)
    return made


def reclaim(session: Session, now: dt.datetime, s: Settings) -> list[int]:
    """Step 3's claim: deliveries due for another try, leased again."""
    q = (select(Delivery).where(Delivery.status.in_(("failed", "unknown", "sending")),
                                Delivery.next_attempt_at <= now)
         .order_by(Delivery.id).limit(s.batch))
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    out = []
    for d in session.scalars(q):
        d.status, d.next_attempt_at = "sending", now + LEASE
        out.append(d.id)
    return out


def record(session: Session, delivery_id: int, outcome: Outcome, took_ms: int,
           now: dt.datetime, s: Settings, result: Dispatched) -> None:
    d = session.get_one(Delivery, delivery_id)
    d.attempts += 1
    session.add(DeliveryAttempt(delivery_id=d.id, at=now, outcome=outcome.status,
                                detail=outcome.detail[:2000], duration_ms=took_ms))
    notices = session.scalars(select(Notice).where(Notice.delivery_id == d.id)).all()
    if outcome.status == "sent":
        d.status, d.sent_at, d.next_attempt_at, d.last_error = "sent", now, None, None
        for n in notices:
            n.status, n.sent_at, n.attempts = "sent", now, d.attempts
        result.sent += 1
    elif d.attempts >= s.max_attempts:
        d.status, d.next_attempt_at, d.last_error = "dead", None, outcome.detail
        for n in notices:
            n.status, n.last_error, n.attempts = "dead", outcome.detail, d.attempts
        result.dead += 1
    else:
        delay = s.backoff * (2 ** (d.attempts - 1)) * (1 + random.random() / 2)  # jitter
        d.status, d.next_attempt_at, d.last_error = outcome.status, now + delay, outcome.detail
        for n in notices:
            n.attempts, n.last_error = d.attempts, outcome.detail
        result.failed += outcome.status == "failed"
        result.unknown += outcome.status == "unknown"
    result.outcomes.append((d.id, outcome.status))


def dispatch(factory: sessionmaker[Session], now: dt.datetime, templates: Templates,
             channel_for: Callable[[str], Channel], s: Settings | None = None) -> Dispatched:
    """One pass: claim and send new deliveries, then retry those that are due."""
    s = s or Settings()
    result = Dispatched()
    with factory() as session, session.begin():
        ids = claim(session, now, templates, s, result)
        ids += reclaim(session, now, s)
    for delivery_id in ids:
        with factory() as session:
            d = session.get_one(Delivery, delivery_id)
            out = Outgoing(d.key, d.channel, d.recipient,
                           Message(d.subject, d.text, d.sms), d.kind == "digest")
        started = time.monotonic()
        try:
            outcome = channel_for(d.channel).send(out)
        except Exception as exc:  # a channel bug must not lose the delivery: retry it
            outcome = Outcome("failed", f"{type(exc).__name__}: {exc}")
        took = int((time.monotonic() - started) * 1000)
        with factory() as session, session.begin():
            record(session, delivery_id, outcome, took, now, s, result)
    return result

"""The dispatcher: from outbox rows to delivered messages, at most one digest a day.

1. Claim (one transaction): due ``pending`` notices, grouped per channel and
   recipient. Each group becomes one delivery (a digest when it holds several),
   unless the recipient already had ``cap`` deliveries on that channel today
   (the notices wait for tomorrow's digest) or it is an SMS in quiet hours
   (they wait for the morning). The delivery is ``sending`` with a lease.
2. Send, outside any transaction, at most ``workers`` messages whose outcome is
   not yet recorded at a time, and record each attempt as its outcome comes.
3. Failed and unknown deliveries, and ``sending`` ones whose lease ran out
   (the dispatcher died between sending and recording), are sent again with
   the same key, backing off (doubling up to 30 minutes, with jitter) for as
   long as the message is useful (``give_up_at``); then they are dead. Retries
   go most urgent first. A channel kind that fails opens an outage: the
   operator hears once when it starts and once when it ends, by another channel.

Guarantee: a notice is carried by exactly one delivery; a delivery is handed
to its channel again only after a failure, an unknown outcome or a crash, and
always with the same idempotency key, so a channel that de-duplicates on the
key (the local outbox, SMS gateways) delivers it at most once.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pendulum
from sqlalchemy import case, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ledger import links
from ledger.models import (
    OPEN_STATES,
    Assignment,
    ChannelOutage,
    Delivery,
    DeliveryAttempt,
    Item,
    Milestone,
    Notice,
    Plan,
    Unit,
)
from ledger.supervise import insert_notices
from notifications.channels import Channel, Outcome, Outgoing, channel_kind
from notifications.render import Message, Templates
from plans.duerules import end_of_day
from plans.policy import Policy

LEASE = dt.timedelta(minutes=5)
# A message is retried while it is useful, within these bounds: a gateway or mail server
# that is down for hours loses nothing still worth sending.
USEFUL_MIN, USEFUL_MAX = dt.timedelta(hours=2), dt.timedelta(days=2)
LimitFor = Callable[[str], int | None]
log = logging.getLogger("duban.dispatch")


@dataclass
class Settings:
    """Defaults; a notice's plan policy (``digest``, ``quiet_hours``) overrides them."""

    tz: str = "Asia/Shanghai"
    cap: int | None = None  # deliveries per recipient, channel and day (None: the plan's)
    digest_hour: int = 9
    quiet_kinds: tuple[str, ...] = ("sms",)
    max_attempts: int | None = None  # a hard cap (tests); normally time decides, see USEFUL
    backoff: dt.timedelta = dt.timedelta(minutes=1)
    backoff_cap: dt.timedelta = dt.timedelta(minutes=30)
    batch: int = 500
    workers: int = 32  # concurrent sends: most of a send is waiting for the far end
    passes: int = 20  # claim again while batches come back full, up to this many times
    # How long one ledger transaction may take before the database counts as stalled
    # (a frozen server or network: server-side timeouts cannot fire): then sending stops.
    db_wait: float = field(default_factory=lambda: float(os.environ.get("DUBAN_DB_WAIT", 120)))


@dataclass
class Dispatched:
    deliveries: int = 0
    notices: int = 0
    sent: int = 0
    failed: int = 0
    unknown: int = 0
    dead: int = 0
    deferred: int = 0
    alerts: int = 0
    outboxed: int = 0  # of ``sent``: written to the local outbox (no channel configured)
    retried: int = 0  # deliveries sent again (after a failure, an unknown outcome, a crash)
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


class Budget:
    """Per-key send limits across dispatchers: deliveries claimed on a channel in
    the last minute, counted in the ledger (under an advisory lock on Postgres)."""

    def __init__(self, session: Session, now: dt.datetime, limit_for: LimitFor) -> None:
        self.session, self.now, self.limit_for = session, now, limit_for
        self.left: dict[str, int | None] = {}

    def take(self, channel: str) -> bool:
        if channel not in self.left:
            limit = self.limit_for(channel)
            if limit is None:
                self.left[channel] = None
            else:
                if self.session.get_bind().dialect.name == "postgresql":
                    self.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                                         {"k": f"duban-rate/{channel}"})
                used = self.session.scalar(select(func.count()).select_from(Delivery).where(
                    Delivery.channel == channel,
                    Delivery.claimed_at > self.now - dt.timedelta(minutes=1))) or 0
                self.left[channel] = limit - used
        left = self.left[channel]
        if left is None:
            return True
        if left <= 0:
            return False
        self.left[channel] = left - 1
        return True


ALONE = ("alert", "extension")  # notice kinds sent as messages of their own


def useful_until(n: Notice, now: dt.datetime, tz: str) -> dt.datetime:
    """Until when a notice is worth sending: a reminder until its deadline, an
    escalation until the next rung takes over, anything else two days; never less
    than two hours from now, never more than two days."""
    ctx = n.context
    until = now + USEFUL_MAX
    try:
        if n.kind in ("reminder", "due") and ctx.get("due_date"):
            until = end_of_day(dt.date.fromisoformat(str(ctx["due_date"])), tz)
        elif n.kind in ("cuiban", "duban", "tongbao") and ctx.get("next_at"):
            day = dt.date.fromisoformat(str(ctx["next_at"]))
            until = pendulum.datetime(day.year, day.month, day.day, 9, tz=tz)
    except ValueError:
        pass
    return min(max(until, now + USEFUL_MIN), now + USEFUL_MAX)


def _unique_keys(session: Session, deliveries: list[Delivery]) -> None:
    """Give a new delivery whose key is already taken (its notice was re-queued after a
    dead delivery the same day) the next free ``-2``, ``-3`` … suffix. One query when
    nothing collides, which is almost always."""
    taken = set(session.scalars(select(Delivery.key).where(
        Delivery.key.in_([d.key for d in deliveries])))) if deliveries else set()
    for d in deliveries:
        if d.key in taken:
            used = set(session.scalars(select(Delivery.key).where(
                Delivery.key.like(f"{d.key}-%"))))
            n = 2
            while f"{d.key}-{n}" in used:
                n += 1
            d.key = f"{d.key}-{n}"


def _link(n: Notice) -> tuple[str, str]:
    """Where the recipient answers: a unit's own page, or the coordinator's board."""
    if n.kind in ("alert", "channel_test") or n.unit_id is None:
        return "", ""
    if n.context.get("role") == "coordinator":
        return f"{links.public_base()}/p/{n.context.get('plan', '')}", "查看"
    return links.marker(n.unit_id), "在线报送"


def claim(session: Session, now: dt.datetime, templates: Templates, s: Settings,
          result: Dispatched, budget: Budget) -> list[int]:
    """Step 1: group due notices into deliveries; returns the new deliveries' ids."""
    q = (select(Notice).where(Notice.status == "pending", Notice.next_attempt_at <= now)
         .order_by(Notice.id).limit(s.batch))
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    groups: dict[tuple[str, str, int], list[Notice]] = {}
    kinds: dict[int, str] = {}
    # An operator's alert is urgent: alone, no cap, no quiet hours. A reply to a unit's
    # own request (延期批复) goes alone too, in its own words, outside the daily cap.
    for n in session.scalars(q):
        alone = n.kind in ALONE
        groups.setdefault((n.channel, n.recipient, n.id if alone else 0), []).append(n)
        kinds[n.id] = n.kind
    policies = {pid: Policy.model_validate(doc.get("policy") or {}) for pid, doc in
                session.execute(select(Plan.id, Plan.document).where(Plan.id.in_(
                    {n.plan_id for ns in groups.values() for n in ns}))).all()}
    default = Policy()
    local = pendulum.instance(now).in_timezone(s.tz)
    day = local.date()
    pending: list[tuple[Delivery, list[Notice]]] = []
    # Deliveries each recipient already had today, per channel: those not dead count
    # against the daily cap; all of them, dead ones too, for the next key's serial (a
    # re-queued dead message must not reuse its dead delivery's key).
    today: dict[tuple[str, str], int] = {}
    numbered: dict[tuple[str, str], int] = {}
    for c, r, live, every in session.execute(
            select(Delivery.channel, Delivery.recipient,
                   func.sum(case((Delivery.status != "dead", 1), else_=0)), func.count())
            .where(Delivery.day == day, Delivery.recipient.in_({r for _, r, _ in groups}))
            .group_by(Delivery.channel, Delivery.recipient)) if groups else []:
        today[(c, r)], numbered[(c, r)] = int(live or 0), every
    with session.no_autoflush:  # keys are checked before anything is written
        for (channel, recipient, single_id), notices in groups.items():
            alert = single_id if single_id and kinds[single_id] == "alert" else 0
            # The strictest policy among the plans the notices come from.
            ps = [policies.get(n.plan_id, default) for n in notices] if policies else [default]
            cap = s.cap or min(p.digest.max_per_channel_per_day for p in ps)
            hour = ps[0].digest.hour if s.cap is None else s.digest_hour
            q_hours = ps[0].quiet_hours
            wait = (_quiet(local, (q_hours.start, q_hours.end), s.tz)
                    if channel_kind(channel) in s.quiet_kinds and not alert else None)
            already = today.get((channel, recipient), 0)
            if wait is None and already >= cap and not single_id:
                tomorrow = local.add(days=1)
                wait = pendulum.datetime(tomorrow.year, tomorrow.month, tomorrow.day, hour, tz=s.tz)
            if wait is None and not budget.take(channel):  # the key's minute is used up
                wait = pendulum.instance(now + dt.timedelta(minutes=1))
            if wait is not None:
                for n in notices:
                    n.next_attempt_at = wait.in_timezone("UTC")
                result.deferred += len(notices)
                continue
            contexts = [n.context for n in notices]
            link, label = _link(notices[0])
            # A unit's 经办人 hears, with today's notices, of everything else late or near.
            others = open_items(session, {n.unit_id for n in notices
                                          if n.context.get("role") == "contact" and n.unit_id},
                                day, {n.milestone_id for n in notices}) if not single_id else []
            if len(notices) == 1 and not others:
                message = templates.render(notices[0].kind, contexts[0], link, label)
            else:
                message = templates.digest(_name(contexts), day.isoformat(),
                                           [{**c, "kind": n.kind} for c, n in zip(contexts, notices,
                                                                                  strict=True)],
                                           others, link, label)
            serial = f"{kinds[single_id]}-{single_id}" if single_id else \
                numbered.get((channel, recipient), 0) + 1
            give_up = max(useful_until(n, now, s.tz) for n in notices)
            d = Delivery(key=f"{channel}/{recipient}/{day.isoformat()}/{serial}",
                         give_up_at=give_up, channel=channel, recipient=recipient, day=day,
                         kind="digest" if len(notices) > 1 or others else "single",
                         subject=message.subject,
                         text=message.text, sms=message.sms, status="sending",
                         next_attempt_at=now + LEASE, claimed_at=now)
            today[(channel, recipient)] = already + (0 if single_id else 1)
            if not single_id:
                numbered[(channel, recipient)] = numbered.get((channel, recipient), 0) + 1
            session.add(d)
            pending.append((d, notices))
        _unique_keys(session, [d for d, _ in pending])
    session.flush()  # one round trip for the whole batch's deliveries
    for d, notices in pending:
        for n in notices:
            n.status, n.delivery_id = "sending", d.id
        result.deliveries += 1
        result.notices += len(notices)
    return [d.id for d, _ in pending]




def reclaim(session: Session, now: dt.datetime, s: Settings, budget: Budget) -> list[int]:
    """Step 3's claim: deliveries due for another try, leased again."""
    q = (select(Delivery).where(Delivery.status.in_(("failed", "unknown", "sending")),
                                Delivery.next_attempt_at <= now)
         .order_by(Delivery.give_up_at.nulls_last(), Delivery.id).limit(s.batch))
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    out = []
    for d in session.scalars(q):
        if not budget.take(d.channel):
            continue
        d.status, d.next_attempt_at, d.claimed_at = "sending", now + LEASE, now
        out.append(d.id)
    return out


def operator_targets(operators: list[str], avoid: str = "") -> list[tuple[str, str]]:
    """``email:it@x`` → (email, it@x); ``wecom_bot:OPS`` → (wecom_bot:OPS, OPS). Targets
    on the ``avoid`` kind (the failing channel) are left out; with none left the alert
    goes to the local outbox's operator folder and the log."""
    out = []
    for op in operators:
        kind, _, rest = op.partition(":")
        if kind == avoid:
            continue
        out.append((op, rest) if kind.endswith("_bot") or kind == "apprise" else (kind, rest))
    return out or [("operator", "值班运维")]


def calendar_alert_rows(gaps: dict[int, str], operators: list[str], now: dt.datetime
                        ) -> list[dict]:
    """Operator alerts for years the working-day calendar does not know: keyed by the
    year, so each is sent once however often the dispatcher runs."""
    return [{"idempotency_key": f"calendar/{year}/{channel}/{to}", "plan_id": None,
             "milestone_id": None, "unit_id": None, "kind": "alert", "step": "alert",
             "channel": channel, "recipient": to, "status": "pending", "next_attempt_at": now,
             "context": {"event": "calendar_gap", "year": year, "message": msg}}
            for year, msg in sorted(gaps.items())
            for channel, to in operator_targets(operators)]


def alert_rows(session: Session, d: Delivery, notices: list[Notice], now: dt.datetime,
               operators: list[str]) -> list[dict]:
    """Operator alerts for a dead delivery, naming unit, channel and the last error."""
    if all(n.kind == "alert" for n in notices):
        return []  # an alert that cannot be delivered is logged, not alerted about again
    units = sorted({str(n.context.get("to_unit") or n.context.get("unit") or "")
                    for n in notices} - {""})
    items = sorted({str(n.context.get("item_title") or "") for n in notices} - {""})
    ctx = {"units": units, "channel": d.channel, "recipient": d.recipient,
           "attempts": d.attempts, "last_error": d.last_error or "", "delivery": d.key,
           "count": len(notices), "items": items[:5],
           "plan_title": str(notices[0].context.get("plan_title", "")) if notices else ""}
    first = notices[0] if notices else None
    return [{"idempotency_key": f"alert/{d.key}/{channel}/{to}",
             "plan_id": first.plan_id if first else None, "milestone_id": None,
             "unit_id": first.unit_id if first else None, "kind": "alert", "step": "alert",
             "channel": channel, "recipient": to, "context": ctx, "status": "pending",
             "next_attempt_at": now}
            for channel, to in operator_targets(operators)]


class Outages:
    """Open outages per channel kind, for one batch of outcomes: the first failure opens
    one (and alerts the operator by another channel), the next success closes it (and
    alerts again, with what was given up meanwhile)."""

    def __init__(self, session: Session, now: dt.datetime, operators: list[str],
                 tz: str) -> None:
        self.session, self.now, self.operators, self.tz = session, now, operators, tz
        self.open = {o.channel: o for o in session.scalars(
            select(ChannelOutage).where(ChannelOutage.ended_at.is_(None)))}
        self.alerts: list[dict] = []

    def _local(self, at: dt.datetime | None) -> str:
        return pendulum.instance(at).in_timezone(self.tz).format("YYYY-MM-DD HH:mm") \
            if at else ""

    def _alert(self, o: ChannelOutage, event: str) -> None:
        ctx = {"event": event, "channel": o.channel, "started_at": self._local(o.started_at),
               "ended_at": self._local(o.ended_at), "failures": o.failures,
               "given_up": o.given_up, "last_error": o.last_error[:500]}
        self.alerts += [{"idempotency_key": f"outage/{o.id}/{event}/{channel}/{to}",
                         "plan_id": None, "milestone_id": None, "unit_id": None,
                         "kind": "alert", "step": "alert", "channel": channel, "recipient": to,
                         "context": ctx, "status": "pending", "next_attempt_at": self.now}
                        for channel, to in operator_targets(self.operators, avoid=o.channel)]

    def failed(self, kind: str, detail: str) -> None:
        o = self.open.get(kind)
        if o is None:
            o = ChannelOutage(channel=kind, started_at=self.now, failures=0, given_up=0,
                              last_error="")
            self.session.add(o)
            self.session.flush()
            self.open[kind] = o
            log.error("渠道 %s 发送失败，开始重试：%s", kind, detail)
        o.failures += 1
        o.last_error = detail[:2000]
        if o.failures == 1:
            self._alert(o, "outage_start")

    def given_up(self, kind: str) -> bool:
        """Count a message given up during an outage; False when none is open."""
        o = self.open.get(kind)
        if o is not None:
            o.given_up += 1
        return o is not None

    def ok(self, kind: str) -> None:
        o = self.open.pop(kind, None)
        if o is not None:
            o.ended_at = self.now
            log.warning("渠道 %s 已恢复（失败 %d 次，放弃 %d 条）", kind, o.failures, o.given_up)
            self._alert(o, "outage_end")


def record_many(session: Session, done: list[tuple[int, Outcome, int]], now: dt.datetime,
                s: Settings, result: Dispatched, operators: list[str]) -> None:
    """Record a batch of outcomes in one transaction (every attempt is kept)."""
    ids = [i for i, _, _ in done]
    deliveries = {d.id: d for d in session.scalars(select(Delivery).where(Delivery.id.in_(ids)))}
    by_delivery: dict[int, list[Notice]] = {}
    for n in session.scalars(select(Notice).where(Notice.delivery_id.in_(ids))):
        by_delivery.setdefault(n.delivery_id or 0, []).append(n)
    alerts: list[dict] = []
    outages = Outages(session, now, operators, s.tz)
    for delivery_id, outcome, took_ms in done:
        d = deliveries[delivery_id]
        notices = by_delivery.get(d.id, [])
        kind = channel_kind(d.channel)
        d.attempts += 1
        session.add(DeliveryAttempt(delivery_id=d.id, at=now, outcome=outcome.status,
                                    detail=outcome.detail[:2000], duration_ms=took_ms))
        if outcome.status == "sent":
            d.status, d.sent_at, d.next_attempt_at, d.last_error = "sent", now, None, None
            for n in notices:
                n.status, n.sent_at, n.attempts = "sent", now, d.attempts
            result.sent += 1
            result.outboxed += outcome.local
            outages.ok(kind)
            result.outcomes.append((d.id, outcome.status))
            continue
        outages.failed(kind, outcome.detail)
        # Back off (doubling, capped, with jitter) for as long as the message is useful.
        wait = min(s.backoff * (2 ** (d.attempts - 1)), s.backoff_cap)
        retry_at = now + wait * (1 + random.random() / 2)
        capped = s.max_attempts is not None and d.attempts >= s.max_attempts
        if capped or (d.give_up_at is not None and retry_at > d.give_up_at):
            d.status, d.next_attempt_at, d.last_error = "dead", None, outcome.detail
            for n in notices:
                n.status, n.last_error, n.attempts = "dead", outcome.detail, d.attempts
            result.dead += 1
            log.error("投递失败已放弃：%s → %s（%s 次）：%s", d.channel, d.recipient, d.attempts,
                      outcome.detail)
            # In an outage the operator hears once, at its end, with the count; a message
            # that alone fails (a wrong address) is reported by itself.
            if not outages.given_up(kind) or capped:
                alerts += alert_rows(session, d, notices, now, operators)
        else:
            d.status, d.next_attempt_at, d.last_error = outcome.status, retry_at, outcome.detail
            for n in notices:
                n.attempts, n.last_error = d.attempts, outcome.detail
            result.failed += outcome.status == "failed"
            result.unknown += outcome.status == "unknown"
        result.outcomes.append((d.id, outcome.status))
    result.alerts += insert_notices(session, alerts + outages.alerts)


def _send(channel: Channel, out: Outgoing) -> tuple[Outcome, int]:
    started = time.monotonic()
    try:
        outcome = channel.send(out)
    except Exception as exc:  # a channel bug must not lose the delivery: retry it
        outcome = Outcome("failed", f"{type(exc).__name__}: {exc}")
    return outcome, int((time.monotonic() - started) * 1000)


class StoreLost(RuntimeError):
    """Outcomes can no longer be recorded: the database is gone. Sending stops."""


T = TypeVar("T")


def _bounded(work: Callable[[], T], seconds: float, what: str) -> T:
    """Run one ledger transaction, but wait for it at most ``seconds``: a database that
    stops answering (not refusing: a frozen host or a stalled network) must not hold
    the dispatcher, and with it the supervision, for as long as the stall lasts."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=run, daemon=True, name="duban-ledger")
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise StoreLost(f"数据库 {seconds:g} 秒无响应，{what}")
    if "error" in box:
        raise box["error"]
    return box["value"]


def _send_all(factory: sessionmaker[Session], ids: list[int], now: dt.datetime,
              channel_for: Callable[[str], Channel], s: Settings, result: Dispatched,
              operators: list[str]) -> None:
    """Step 2: send concurrently, at most ``workers`` messages whose outcome is not yet
    recorded at any moment: a new send starts only when an earlier outcome is written.
    So a dispatcher killed at any instant re-sends, after its lease, at most ``workers``
    messages. Outcomes that arrive together are written in one transaction. When they
    cannot be written (the database went away), nothing more is sent."""
    with factory() as session, session.begin():  # links are filled in (and issued) here
        rows = list(session.scalars(select(Delivery).where(Delivery.id.in_(ids))))
        filled = iter(links.fill(session, [t for d in rows for t in (d.text, d.sms)], now=now))
        outs = [(d.id, Outgoing(d.key, d.channel, d.recipient,
                                Message(d.subject, next(filled), next(filled)),
                                d.kind == "digest"))
                for d in rows]
    queue = iter(outs)
    window = max(1, min(s.workers, len(outs)))
    with ThreadPoolExecutor(max_workers=window) as pool:
        running: dict[Future[tuple[Outcome, int]], int] = {}

        def start(n: int) -> None:
            for delivery_id, out in itertools.islice(queue, n):
                running[pool.submit(_send, channel_for(out.channel), out)] = delivery_id

        start(window)
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            done = [(running.pop(f), *f.result()) for f in finished]
            def record(done: list[tuple[int, Outcome, int]] = done) -> None:
                with factory() as session, session.begin():
                    record_many(session, done, now, s, result, operators)

            try:
                _bounded(record, s.db_wait, "发送结果无法记录，已停止发送")
            except StoreLost:
                for f in running:
                    f.cancel()
                raise
            except DBAPIError as exc:
                for f in running:  # already handed over: let them finish, record nothing
                    f.cancel()
                raise StoreLost(f"数据库不可用，发送结果无法记录，已停止发送"
                                f"（{len(done) + len(running)} 条消息的结果未记录，租约到期后"
                                f"重发）：{exc.orig or exc}") from exc
            start(len(done))


CLAIM_TRIES = 6


def _claim_batch(factory: sessionmaker[Session], now: dt.datetime, templates: Templates,
                 s: Settings, result: Dispatched, limit_for: LimitFor | None) -> list[int]:
    """One claim transaction. Dispatchers claim one at a time (an advisory lock on
    Postgres; SQLite has a single writer), so two never number a recipient's day alike;
    a transaction that still loses a race (a key taken, a lock timeout, a deadlock) is
    rolled back and claimed again, and nothing of it is counted."""
    def take(part: Dispatched) -> tuple[list[int], list[int]]:
        with factory() as session, session.begin():
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SELECT pg_advisory_xact_lock(hashtext('duban-claim'))"))
            else:  # SQLite: take the single write lock before reading, not at first write
                session.execute(text("UPDATE deliveries SET id = id WHERE 0"))
            budget = Budget(session, now, limit_for or (lambda _c: None))
            return claim(session, now, templates, s, part, budget), reclaim(session, now, s,
                                                                             budget)

    for attempt in range(CLAIM_TRIES):
        part = Dispatched()
        try:
            ids, again = _bounded(lambda part=part: take(part), s.db_wait,
                                  "未能领取待发通知，未发送任何消息")
        except (IntegrityError, OperationalError) as exc:
            if attempt == CLAIM_TRIES - 1:
                raise StoreLost(f"领取待发通知失败（已重试 {CLAIM_TRIES} 次）："
                                f"{exc.orig or exc}") from exc
            log.warning("领取待发通知时与另一发送进程冲突，重试：%s", exc.orig or exc)
            time.sleep(random.uniform(0.05, 0.25) * (attempt + 1))
            continue
        except DBAPIError as exc:
            raise StoreLost(f"数据库不可用，未发送任何消息：{exc.orig or exc}") from exc
        result.deliveries += part.deliveries
        result.notices += part.notices
        result.deferred += part.deferred
        result.retried += len(again)
        return ids + again
    return []


def dispatch(factory: sessionmaker[Session], now: dt.datetime, templates: Templates,
             channel_for: Callable[[str], Channel], s: Settings | None = None,
             limit_for: LimitFor | None = None, operators: list[str] | None = None
             ) -> Dispatched:
    """Claim and send new deliveries, then retry those that are due; again while
    batches come back full (so a backlog drains in one run, in bounded batches)."""
    s = s or Settings()
    result = Dispatched()
    for _ in range(s.passes):
        ids = _claim_batch(factory, now, templates, s, result, limit_for)
        if not ids:
            break
        _send_all(factory, ids, now, channel_for, s, result, operators or [])
        if len(ids) < s.batch:
            break
    return result

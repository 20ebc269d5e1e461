"""The dispatcher: from outbox rows to delivered messages, at most one digest a day.

1. Claim (one transaction, :mod:`notifications.claim`): every due ``pending``
   notice of a batch of recipients, grouped per channel and recipient. A notice
   whose moment has passed is recorded as ``stale`` and not sent
   (:mod:`notifications.rules`). Each group becomes one delivery (a digest when it
   holds several), unless the recipient already had ``cap`` deliveries on that
   channel today (the notices wait for the next working day's digest) or it is an
   SMS in quiet hours or on a day off (they wait for the working-day morning).
   The delivery is ``sending`` with a lease.
2. Send, outside any transaction, at most ``workers`` messages whose outcome is
   not yet recorded at a time, and record each attempt as its outcome comes.
3. Failed and unknown deliveries, and ``sending`` ones whose lease ran out
   (the dispatcher died between sending and recording), are sent again with
   the same key, backing off (doubling up to 30 minutes, with jitter) for as
   long as the message is useful (``give_up_at``); then they are dead. Retries
   go most urgent first, and obey quiet hours as new messages do. A refusal the
   platform calls permanent (no such user, app not authorised) is dead at once.
   A channel kind that fails opens an outage: the operator hears once when it
   starts and once when it ends, by another channel; while it is open one retry
   a run probes it, and the first success releases every waiting retry of that
   kind at once.

Claims repeat until nothing is due, so a run drains its backlog.

Guarantee: a notice is carried by exactly one delivery; a delivery is handed
to its channel again only after a failure, an unknown outcome or a crash, and
always with the same idempotency key, so a channel that de-duplicates on the
key (the local outbox, SMS gateways) delivers it at most once.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ledger import links
from ledger.models import Delivery, DeliveryAttempt, Notification
from ledger.outbox import insert_notifications
from notifications.alerts import Outages, alert_rows, calendar_alert_rows, operator_targets
from notifications.channels import Channel, Outcome, Outgoing, channel_kind
from notifications.claim import (
    LEASE,
    Budget,
    Dispatched,
    LimitFor,
    Settings,
    claim,
    reclaim,
    template_params,
)
from notifications.render import Message, Templates

__all__ = [
    "LEASE",
    "Budget",
    "Dispatched",
    "Settings",
    "calendar_alert_rows",
    "claim",
    "dispatch",
    "operator_targets",
    "record_many",
    "unrouted",
]
log = logging.getLogger("duban.dispatch")


def release(session: Session, kind: str, now: dt.datetime) -> int:
    """Every retry of ``kind`` waiting out its backoff, due now: the channel was just
    seen working. Only those not already tried in this run (no ping-pong)."""
    waiting = session.scalars(
        select(Delivery.id).where(
            Delivery.status.in_(("failed", "unknown")),
            Delivery.next_attempt_at > now,
            Delivery.claimed_at < now,
            Delivery.channel.like(f"{kind}%"),
        )
    ).all()
    ids = (
        [
            i
            for i, c in session.execute(
                select(Delivery.id, Delivery.channel).where(Delivery.id.in_(waiting))
            )
            if channel_kind(c) == kind
        ]
        if waiting
        else []
    )
    if ids:
        session.execute(update(Delivery).where(Delivery.id.in_(ids)).values(next_attempt_at=now))
        log.warning("渠道 %s 已恢复：%d 条待重试的消息立即重发", kind, len(ids))
    return len(ids)


def _dead(d: Delivery, notices: list[Notification], detail: str, result: Dispatched) -> None:
    d.status, d.next_attempt_at, d.last_error = "dead", None, detail
    for n in notices:
        n.status, n.last_error, n.attempts = "dead", detail, d.attempts
    result.dead += 1
    log.error("投递失败已放弃：%s → %s（%s 次）：%s", d.channel, d.recipient, d.attempts, detail)


def record_many(
    session: Session,
    done: list[tuple[int, Outcome, int]],
    now: dt.datetime,
    s: Settings,
    result: Dispatched,
    operators: list[str],
) -> None:
    """Record a batch of outcomes in one transaction (every attempt is kept)."""
    ids = [i for i, _, _ in done]
    deliveries = {d.id: d for d in session.scalars(select(Delivery).where(Delivery.id.in_(ids)))}
    by_delivery: dict[int, list[Notification]] = {}
    for n in session.scalars(select(Notification).where(Notification.delivery_id.in_(ids))):
        by_delivery.setdefault(n.delivery_id or 0, []).append(n)
    alerts: list[dict[str, Any]] = []
    outages = Outages(session, now, operators, s.tz)
    recovered: set[str] = set()
    for delivery_id, outcome, took_ms in done:
        d = deliveries[delivery_id]
        notices = by_delivery.get(d.id, [])
        kind = channel_kind(d.channel)
        d.attempts += 1
        session.add(
            DeliveryAttempt(
                delivery_id=d.id,
                at=now,
                outcome=outcome.status,
                detail=outcome.detail[:2000],
                duration_ms=took_ms,
            )
        )
        result.outcomes.append((d.id, outcome.status))
        if outcome.status == "sent":
            d.status, d.sent_at, d.next_attempt_at, d.last_error = "sent", now, None, None
            for n in notices:
                n.status, n.sent_at, n.attempts = "sent", now, d.attempts
            result.sent += 1
            result.outboxed += outcome.local
            if outcome.local and kind != "operator":
                result.outboxed_kinds[kind] = result.outboxed_kinds.get(kind, 0) + 1
            if outages.ok(kind):
                recovered.add(kind)
            continue
        if outcome.permanent:  # retrying cannot help: one alert naming the contact
            _dead(d, notices, outcome.detail, result)
            result.refused += 1
            alerts += alert_rows(session, d, notices, now, operators, refused=True)
            continue
        outages.failed(kind, outcome.detail)
        # Back off (doubling, capped, with jitter) for as long as the message is useful.
        wait = min(s.backoff * (2 ** min(d.attempts - 1, 16)), s.backoff_cap)
        retry_at = now + wait * (1 + random.random() / 2)
        capped = s.max_attempts is not None and d.attempts >= s.max_attempts
        if capped or (d.give_up_at is not None and retry_at > d.give_up_at):
            _dead(d, notices, outcome.detail, result)
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
    session.flush()
    for kind in recovered - set(outages.open):
        result.released += release(session, kind, now)
    result.alerts += insert_notifications(session, alerts + outages.alerts)


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
    value: list[T] = []  # the result, or
    error: list[BaseException] = []  # what the transaction raised

    def run() -> None:
        try:
            value.append(work())
        except BaseException as exc:
            error.append(exc)

    worker = threading.Thread(target=run, daemon=True, name="duban-ledger")
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise StoreLost(f"数据库 {seconds:g} 秒无响应，{what}")
    if error:
        raise error[0]
    return value[0]


def _send_all(
    factory: sessionmaker[Session],
    ids: list[int],
    now: dt.datetime,
    channel_for: Callable[[str], Channel],
    s: Settings,
    result: Dispatched,
    operators: list[str],
) -> None:
    """Step 2: send concurrently, at most ``workers`` messages whose outcome is not yet
    recorded at any moment: a new send starts only when an earlier outcome is written.
    So a dispatcher killed at any instant re-sends, after its lease, at most ``workers``
    messages. Outcomes that arrive together are written in one transaction. When they
    cannot be written (the database went away), nothing more is sent."""
    with factory() as session, session.begin():  # links are filled in (and issued) here
        rows = list(session.scalars(select(Delivery).where(Delivery.id.in_(ids))))
        carried: dict[int, list[Notification]] = {}
        for n in session.scalars(
            select(Notification).where(Notification.delivery_id.in_(ids)).order_by(Notification.id)
        ):
            carried.setdefault(n.delivery_id or 0, []).append(n)
        params = [template_params(d, carried.get(d.id, [])) for d in rows]
        filled = iter(
            links.fill(
                session,
                [t for d, p in zip(rows, params, strict=True) for t in (d.text, d.sms, p["link"])],
                now=now,
            )
        )
        outs = [
            (
                d.id,
                Outgoing(
                    d.key,
                    d.channel,
                    d.recipient,
                    Message(d.subject, next(filled), next(filled)),
                    d.kind == "digest",
                    p | {"link": next(filled)},
                ),
            )
            for d, p in zip(rows, params, strict=True)
        ]
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
                raise StoreLost(
                    f"数据库不可用，发送结果无法记录，已停止发送"
                    f"（{len(done) + len(running)} 条消息的结果未记录，租约到期后"
                    f"重发）：{exc.orig or exc}"
                ) from exc
            start(len(done))


CLAIM_TRIES = 6


def _claim_batch(
    factory: sessionmaker[Session],
    now: dt.datetime,
    templates: Templates,
    s: Settings,
    result: Dispatched,
    limit_for: LimitFor | None,
) -> list[int]:
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
            return claim(session, now, templates, s, part, budget), reclaim(session, now, s, budget)

    for attempt in range(CLAIM_TRIES):
        part = Dispatched()
        try:
            ids, again = _bounded(
                partial(take, part), s.db_wait, "未能领取待发通知，未发送任何消息"
            )
        except (IntegrityError, OperationalError) as exc:
            if attempt == CLAIM_TRIES - 1:
                raise StoreLost(
                    f"领取待发通知失败（已重试 {CLAIM_TRIES} 次）：{exc.orig or exc}"
                ) from exc
            log.warning("领取待发通知时与另一发送进程冲突，重试：%s", exc.orig or exc)
            time.sleep(random.uniform(0.05, 0.25) * (attempt + 1))
            continue
        except DBAPIError as exc:
            raise StoreLost(f"数据库不可用，未发送任何消息：{exc.orig or exc}") from exc
        result.deliveries += part.deliveries
        result.notices += part.notices
        result.deferred += part.deferred
        result.stale += part.stale
        result.retried += len(again)
        return ids + again
    return []


def unrouted(factory: sessionmaker[Session], routed: Callable[[str], bool]) -> dict[str, int]:
    """Waiting notices per channel kind that no transport carries: they would only be
    written to this machine's outbox and marked sent, reaching no one."""
    with factory() as session:
        rows = session.execute(
            select(Notification.channel, func.count())
            .where(Notification.status == "pending")
            .group_by(Notification.channel)
        ).all()
    out: dict[str, int] = {}
    for channel, n in rows:
        kind = channel_kind(channel)
        if kind != "operator" and not routed(channel):
            out[kind] = out.get(kind, 0) + n
    return out


def dispatch(
    factory: sessionmaker[Session],
    now: dt.datetime,
    templates: Templates,
    channel_for: Callable[[str], Channel],
    s: Settings | None = None,
    limit_for: LimitFor | None = None,
    operators: list[str] | None = None,
) -> Dispatched:
    """Claim and send new deliveries, then retry those that are due; again until
    nothing is due (so a backlog drains in one run, in bounded batches)."""
    s = s or Settings()
    result = Dispatched()
    for _ in range(s.passes):
        ids = _claim_batch(factory, now, templates, s, result, limit_for)
        if not ids:
            break
        _send_all(factory, ids, now, channel_for, s, result, operators or [])
    return result

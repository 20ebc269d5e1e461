"""Claiming: from due outbox rows to deliveries, one transaction per batch.

A batch is the oldest due notices widened to every due notice of their recipients
(per channel): a recipient is claimed whole, so a recipient's day makes one digest however
large the backlog (a batch of rows once split it, and the daily cap then pushed
half of it to the next morning). Each notice is first checked for staleness
(:func:`notifications.rules.stale_reason`); each group for quiet hours, the daily
cap and the per-key rate. Retries (``reclaim``) obey the same quiet hours.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pendulum
from sqlalchemy import case, func, select, text
from sqlalchemy.orm import Session

from ledger import links
from ledger.models import (
    OPEN_STATES,
    Assignment,
    ChannelOutage,
    Delivery,
    Item,
    Milestone,
    Notification,
    Plan,
    Unit,
)
from notifications.channels import channel_kind
from notifications.render import OpenItem, Templates
from notifications.rules import quiet_until, stale_reason, useful_until
from plans.policy import Policy
from plans.workdays import WorkCalendar

LEASE = dt.timedelta(minutes=5)
SOON = dt.timedelta(days=7)
ALONE = ("alert", "extension", "sign")  # notice kinds sent as messages of their own
LimitFor = Callable[[str], int | None]


def _calendar() -> WorkCalendar:
    from ledger import config

    return config.calendar()


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
    batch: int = 500  # due notices per claim, widened to all of their recipients' notices
    workers: int = 32  # concurrent sends: most of a send is waiting for the far end
    passes: int = 1000  # claim again until nothing is due, at most this many times
    # How long one ledger transaction may take before the database counts as stalled
    # (a frozen server or network: server-side timeouts cannot fire): then sending stops.
    db_wait: float = field(default_factory=lambda: float(os.environ.get("DUBAN_DB_WAIT", 120)))
    calendar: WorkCalendar = field(default_factory=_calendar)  # working days, for mornings


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
    outboxed_kinds: dict[str, int] = field(default_factory=dict)  # those, per channel kind
    retried: int = 0  # deliveries sent again (after a failure, an unknown outcome, a crash)
    stale: int = 0  # notices whose moment had passed: recorded as stale, not sent
    refused: int = 0  # of ``dead``: refused for good by the platform (no such user …)
    released: int = 0  # retries sent early because their channel was seen working again
    outcomes: list[tuple[int, str]] = field(default_factory=list)

    @property
    def troubled(self) -> int:
        """Messages of this run that did not go: failed, unknown or given up. A run with
        any is not a success (the CLI exits 4, the flow run ends Failed)."""
        return self.failed + self.unknown + self.dead


def open_items(
    session: Session, unit_ids: set[int], today: dt.date, exclude: set[int | None]
) -> list[OpenItem]:
    """The units' other open milestones that are late or due within a week (for digests)."""
    if not unit_ids:
        return []
    rows = session.execute(
        select(Milestone.id, Milestone.due_date, Item.title, Unit.name)
        .join(Assignment, Assignment.id == Milestone.assignment_id)
        .join(Item, Item.id == Assignment.item_id)
        .join(Unit, Unit.id == Milestone.unit_id)
        .where(
            Milestone.unit_id.in_(unit_ids),
            Milestone.state.in_(OPEN_STATES),
            Milestone.due_date <= today + SOON,
        )
        .order_by(Milestone.due_date, Milestone.id)
    ).all()  # the unit's own: all counted
    return [
        OpenItem(item_title=title, due_date=due.isoformat(), late=due < today, unit=unit)
        for mid, due, title, unit in rows
        if mid not in exclude
    ]


def _name(contexts: list[dict[str, Any]]) -> str:
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
                    self.session.execute(
                        text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                        {"k": f"duban-rate/{channel}"},
                    )
                used = (
                    self.session.scalar(
                        select(func.count())
                        .select_from(Delivery)
                        .where(
                            Delivery.channel == channel,
                            Delivery.claimed_at > self.now - dt.timedelta(minutes=1),
                        )
                    )
                    or 0
                )
                self.left[channel] = limit - used
        left = self.left[channel]
        if left is None:
            return True
        if left <= 0:
            return False
        self.left[channel] = left - 1
        return True


class Policies:
    """Each plan's policy, parsed once per claim (the default for notices of no plan)."""

    def __init__(self, session: Session, plan_ids: set[int | None]) -> None:
        ids = {p for p in plan_ids if p is not None}
        self.by_plan = (
            {
                pid: Policy.model_validate(doc.get("policy") or {})
                for pid, doc in session.execute(
                    select(Plan.id, Plan.document).where(Plan.id.in_(ids))
                ).all()
            }
            if ids
            else {}
        )
        self.default = Policy()

    def __call__(self, plan_id: int | None) -> Policy:
        return self.by_plan.get(plan_id, self.default) if plan_id is not None else self.default


def _unique_keys(session: Session, deliveries: list[Delivery]) -> None:
    """Give a new delivery whose key is already taken (its notice was re-queued after a
    dead delivery the same day) the next free ``-2``, ``-3`` … suffix. One query when
    nothing collides, which is almost always."""
    taken = (
        set(
            session.scalars(
                select(Delivery.key).where(Delivery.key.in_([d.key for d in deliveries]))
            )
        )
        if deliveries
        else set()
    )
    for d in deliveries:
        if d.key in taken:
            used = set(session.scalars(select(Delivery.key).where(Delivery.key.like(f"{d.key}-%"))))
            n = 2
            while f"{d.key}-{n}" in used:
                n += 1
            d.key = f"{d.key}-{n}"


def link_of(n: Notification) -> tuple[str, str]:
    """Where the recipient answers: a unit's own page, or the coordinator's board."""
    if n.kind in ("alert", "channel_test") or n.unit_id is None:
        return "", ""
    if n.context.get("role") == "coordinator":
        return f"{links.public_base()}/p/{n.context.get('plan', '')}", "查看"
    return links.marker(n.unit_id), "在线签收" if n.kind == "sign" else "在线报送"


def due_notices(session: Session, now: dt.datetime, s: Settings) -> list[Notification]:
    """The first ``s.batch`` due notices (oldest first, by the status index), widened to
    every due notice of their recipients (by the recipient index): a recipient is
    claimed whole, at a cost that grows with the batch, not with the backlog."""
    head = (
        select(Notification.channel, Notification.recipient)
        .where(Notification.status == "pending", Notification.next_attempt_at <= now)
        .order_by(Notification.id)
        .limit(s.batch)
    )
    pairs = set(session.execute(head).tuples())
    if not pairs:
        return []
    q = (
        select(Notification)
        .where(
            Notification.recipient.in_({r for _, r in pairs}),
            Notification.status == "pending",
            Notification.next_attempt_at <= now,
        )
        .order_by(Notification.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    return [n for n in session.scalars(q) if (n.channel, n.recipient) in pairs]


def _drop_stale(
    notices: list[Notification], day: dt.date, policies: Policies, s: Settings, result: Dispatched
) -> list[Notification]:
    """The notices still worth sending; the others are recorded as stale, with why."""
    fresh = []
    for n in notices:
        why = stale_reason(n, day, policies(n.plan_id), s.calendar)
        if why is None:
            fresh.append(n)
            continue
        n.status, n.next_attempt_at, n.last_error = "stale", None, why
        result.stale += 1
    return fresh


def _morning(local: pendulum.DateTime, hour: int, s: Settings) -> pendulum.DateTime:
    """The digest hour of the next working day after ``local``'s day."""
    day = s.calendar.next_workday(local.date() + dt.timedelta(days=1))
    return pendulum.datetime(day.year, day.month, day.day, hour, tz=s.tz)


def claim(
    session: Session,
    now: dt.datetime,
    templates: Templates,
    s: Settings,
    result: Dispatched,
    budget: Budget,
) -> list[int]:
    """Step 1: group due notices into deliveries; returns the new deliveries' ids."""
    local = pendulum.instance(now).in_timezone(s.tz)
    day = local.date()
    found = due_notices(session, now, s)
    policies = Policies(session, {n.plan_id for n in found})
    groups: dict[tuple[str, str, int], list[Notification]] = {}
    kinds: dict[int, str] = {}
    # An operator's alert is urgent: alone, no cap, no quiet hours. A reply to a unit's
    # own request (延期批复) goes alone too, in its own words, outside the daily cap, and
    # so does a 签收催办 to a leader about one document.
    for n in _drop_stale(found, day, policies, s, result):
        alone = n.kind in ALONE
        groups.setdefault((n.channel, n.recipient, n.id if alone else 0), []).append(n)
        kinds[n.id] = n.kind
    pending: list[tuple[Delivery, list[Notification]]] = []
    # Deliveries each recipient already had today, per channel: those not dead count
    # against the daily cap; all of them, dead ones too, for the next key's serial (a
    # re-queued dead message must not reuse its dead delivery's key).
    today: dict[tuple[str, str], int] = {}
    numbered: dict[tuple[str, str], int] = {}
    for c, r, live, every in (
        session.execute(
            select(
                Delivery.channel,
                Delivery.recipient,
                func.sum(case((Delivery.status != "dead", 1), else_=0)),
                func.count(),
            )
            .where(Delivery.day == day, Delivery.recipient.in_({r for _, r, _ in groups}))
            .group_by(Delivery.channel, Delivery.recipient)
        )
        if groups
        else []
    ):
        today[(c, r)], numbered[(c, r)] = int(live or 0), every
    with session.no_autoflush:  # keys are checked before anything is written
        for (channel, recipient, single_id), notices in groups.items():
            alert = single_id if single_id and kinds[single_id] == "alert" else 0
            # The strictest policy among the plans the notices come from.
            ps = [policies(n.plan_id) for n in notices]
            cap = s.cap or min(p.digest.max_per_channel_per_day for p in ps)
            hour = ps[0].digest.hour if s.cap is None else s.digest_hour
            q_hours = ps[0].quiet_hours
            wait = (
                quiet_until(local, (q_hours.start, q_hours.end), s.calendar)
                if channel_kind(channel) in s.quiet_kinds and not alert
                else None
            )
            already = today.get((channel, recipient), 0)
            if wait is None and already >= cap and not single_id:
                wait = _morning(local, hour, s)
            if wait is None and not budget.take(channel):  # the key's minute is used up
                wait = pendulum.instance(now + dt.timedelta(minutes=1))
            if wait is not None:
                for n in notices:
                    n.next_attempt_at = wait.in_timezone("UTC")
                result.deferred += len(notices)
                continue
            contexts = [n.context for n in notices]
            link, label = link_of(notices[0])
            # A unit's 经办人 hears, with today's notices, of everything else late or near.
            others = (
                open_items(
                    session,
                    {
                        n.unit_id
                        for n in notices
                        if n.context.get("role") == "contact" and n.unit_id
                    },
                    day,
                    {n.milestone_id for n in notices},
                )
                if not single_id
                else []
            )
            if len(notices) == 1 and not others:
                message = templates.render(notices[0].kind, contexts[0], link, label)
            else:
                message = templates.digest(
                    _name(contexts),
                    day.isoformat(),
                    [{**c, "kind": n.kind} for c, n in zip(contexts, notices, strict=True)],
                    others,
                    link,
                    label,
                )
            serial = (
                f"{kinds[single_id]}-{single_id}"
                if single_id
                else numbered.get((channel, recipient), 0) + 1
            )
            give_up = max(useful_until(n, now, s.tz) for n in notices)
            d = Delivery(
                key=f"{channel}/{recipient}/{day.isoformat()}/{serial}",
                give_up_at=give_up,
                channel=channel,
                recipient=recipient,
                day=day,
                kind="digest" if len(notices) > 1 or others else "single",
                subject=message.subject,
                text=message.text,
                sms=message.sms,
                status="sending",
                next_attempt_at=now + LEASE,
                claimed_at=now,
            )
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


def _quiet_retries(
    session: Session, due: list[Delivery], local: pendulum.DateTime, s: Settings
) -> dict[int, pendulum.DateTime]:
    """The retries that must wait out quiet hours (their plans' windows), and until when.
    An operator's alert is never held."""
    quiet = [d.id for d in due if channel_kind(d.channel) in s.quiet_kinds]
    if not quiet:
        return {}
    rows = session.execute(
        select(Notification.delivery_id, Notification.plan_id, Notification.kind).where(
            Notification.delivery_id.in_(quiet)
        )
    ).all()
    policies = Policies(session, {p for _, p, _ in rows})
    plans: dict[int, tuple[int | None, bool]] = {}
    for delivery_id, plan_id, kind in rows:
        _, alert = plans.get(delivery_id or 0, (plan_id, True))
        plans[delivery_id or 0] = (plan_id, alert and kind == "alert")
    out = {}
    for delivery_id in quiet:
        plan_id, alert = plans.get(delivery_id, (None, False))
        if alert:
            continue
        q = policies(plan_id).quiet_hours
        if (until := quiet_until(local, (q.start, q.end), s.calendar)) is not None:
            out[delivery_id] = until
    return out


def _probes(session: Session, now: dt.datetime, taken: set[str]) -> list[Delivery]:
    """For each channel kind in an open outage with no retry due now, the waiting retry
    due soonest, not yet tried in this run: one message that finds out whether the
    channel works again (then the others follow at once, not after their backoff)."""
    out: list[Delivery] = []
    for kind in session.scalars(
        select(ChannelOutage.channel).where(ChannelOutage.ended_at.is_(None))
    ):
        if kind in taken:
            continue
        candidates = session.scalars(
            select(Delivery)
            .where(
                Delivery.status.in_(("failed", "unknown")),
                Delivery.next_attempt_at > now,
                Delivery.claimed_at < now,
                Delivery.channel.like(f"{kind}%"),
            )
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(5)
        )
        probe = next((d for d in candidates if channel_kind(d.channel) == kind), None)
        if probe is not None:
            out.append(probe)
    return out


def reclaim(session: Session, now: dt.datetime, s: Settings, budget: Budget) -> list[int]:
    """Step 3's claim: deliveries due for another try, leased again; those of a quiet
    kind in quiet hours wait for the working-day morning, as new ones do."""
    q = (
        select(Delivery)
        .where(
            Delivery.status.in_(("failed", "unknown", "sending")), Delivery.next_attempt_at <= now
        )
        .order_by(Delivery.give_up_at.nulls_last(), Delivery.id)
        .limit(s.batch)
    )
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    due = list(session.scalars(q))
    due += _probes(session, now, {channel_kind(d.channel) for d in due})
    local = pendulum.instance(now).in_timezone(s.tz)
    waits = _quiet_retries(session, due, local, s)
    out = []
    for d in due:
        if (until := waits.get(d.id)) is not None:
            d.next_attempt_at = until.in_timezone("UTC")
            continue
        if not budget.take(d.channel):
            continue
        d.status, d.next_attempt_at, d.claimed_at = "sending", now + LEASE, now
        out.append(d.id)
    return out


def template_params(d: Delivery, notices: list[Notification]) -> dict[str, Any]:
    """The variables an approved SMS template may use, from the delivery and the notices
    it carries: kind, name, unit, item, due, step, count, day, plan, link (a marker
    until the link is filled in at send time)."""
    ctx = notices[0].context if notices else {}
    link, _ = link_of(notices[0]) if notices else ("", "")
    kind = "digest" if d.kind == "digest" else (notices[0].kind if notices else "alert")
    return {
        "kind": kind,
        "name": _name([ctx]) if ctx else d.recipient,
        "unit": str(ctx.get("to_unit") or ctx.get("unit") or ""),
        "item": str(ctx.get("item_title") or ""),
        "due": str(ctx.get("due_date") or ""),
        "step": str(ctx.get("rung_name") or ""),
        "count": str(len(notices)),
        "day": d.day.isoformat(),
        "plan": str(ctx.get("plan_title") or ""),
        "subject": d.subject,
        "link": link,
    }

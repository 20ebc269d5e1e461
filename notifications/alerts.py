"""Operator alerts: for a message given up, for a channel kind that fails and recovers
(an outage, told once at each end), for a year the working-day calendar does not know.

Each alert is an ordinary outbox row of kind ``alert`` with an idempotency key that
says what it is about, so it is written once however often the dispatcher runs, and
goes over the operators' channels (``channels.yaml`` ``operators``), never over the
channel that is failing.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pendulum
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.models import ChannelOutage, Delivery, Notification
from ledger.outbox import outbox_row

log = logging.getLogger("duban.dispatch")


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


def calendar_alert_rows(
    gaps: dict[int, str], operators: list[str], now: dt.datetime
) -> list[dict[str, Any]]:
    """Operator alerts for years the working-day calendar does not know: keyed by the
    year, so each is sent once however often the dispatcher runs."""
    return [
        outbox_row(
            f"calendar/{year}/{channel}/{to}",
            channel,
            to,
            kind="alert",
            at=now,
            context={"event": "calendar_gap", "year": year, "message": msg},
        )
        for year, msg in sorted(gaps.items())
        for channel, to in operator_targets(operators)
    ]


def alert_rows(
    session: Session,
    d: Delivery,
    notices: list[Notification],
    now: dt.datetime,
    operators: list[str],
    refused: bool = False,
) -> list[dict[str, Any]]:
    """Operator alerts for a dead delivery, naming unit, channel and the last error."""
    if all(n.kind == "alert" for n in notices):
        return []  # an alert that cannot be delivered is logged, not alerted about again
    units = sorted(
        {str(n.context.get("to_unit") or n.context.get("unit") or "") for n in notices} - {""}
    )
    items = sorted({str(n.context.get("item_title") or "") for n in notices} - {""})
    ctx = {
        "units": units,
        "channel": d.channel,
        "recipient": d.recipient,
        "attempts": d.attempts,
        "last_error": d.last_error or "",
        "delivery": d.key,
        "refused": refused,
        "count": len(notices),
        "items": items[:5],
        "plan_title": str(notices[0].context.get("plan_title", "")) if notices else "",
    }
    first = notices[0] if notices else None
    return [
        outbox_row(
            f"alert/{d.key}/{channel}/{to}",
            channel,
            to,
            kind="alert",
            at=now,
            context=ctx,
            plan_id=first.plan_id if first else None,
            unit_id=first.unit_id if first else None,
        )
        for channel, to in operator_targets(operators)
    ]


class Outages:
    """Open outages per channel kind, for one batch of outcomes: the first failure opens
    one (and alerts the operator by another channel), the next success closes it (and
    alerts again, with what was given up meanwhile)."""

    def __init__(self, session: Session, now: dt.datetime, operators: list[str], tz: str) -> None:
        self.session, self.now, self.operators, self.tz = session, now, operators, tz
        self.open = {
            o.channel: o
            for o in session.scalars(select(ChannelOutage).where(ChannelOutage.ended_at.is_(None)))
        }
        self.alerts: list[dict[str, Any]] = []

    def _local(self, at: dt.datetime | None) -> str:
        return pendulum.instance(at).in_timezone(self.tz).format("YYYY-MM-DD HH:mm") if at else ""

    def _alert(self, o: ChannelOutage, event: str) -> None:
        ctx = {
            "event": event,
            "channel": o.channel,
            "started_at": self._local(o.started_at),
            "ended_at": self._local(o.ended_at),
            "failures": o.failures,
            "given_up": o.given_up,
            "last_error": o.last_error[:500],
        }
        self.alerts += [
            outbox_row(
                f"outage/{o.id}/{event}/{channel}/{to}",
                channel,
                to,
                kind="alert",
                at=self.now,
                context=ctx,
            )
            for channel, to in operator_targets(self.operators, avoid=o.channel)
        ]

    def failed(self, kind: str, detail: str) -> None:
        o = self.open.get(kind)
        if o is None:
            o = ChannelOutage(
                channel=kind, started_at=self.now, failures=0, given_up=0, last_error=""
            )
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

    def ok(self, kind: str) -> bool:
        """A success on ``kind``: True when it ends an outage."""
        o = self.open.pop(kind, None)
        if o is None:
            return False
        o.ended_at = self.now
        log.warning("渠道 %s 已恢复（失败 %d 次，放弃 %d 条）", kind, o.failures, o.given_up)
        self._alert(o, "outage_end")
        return True

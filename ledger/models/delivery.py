"""The outbox and what became of it: notices, the messages (deliveries) that carry
them, every attempt, and the stretches in which a channel failed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ledger.models import Base, utcnow


class Notification(Base):
    """The outbox: one row per notice to one recipient on one channel.

    ``idempotency_key`` (milestone, step, recipient, channel) is unique, so a
    decision re-taken by a retried sweep cannot write a second notice.
    """

    __tablename__ = "notices"
    __table_args__ = (
        Index("ix_notices_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_notices_recipient_status", "recipient", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"), index=True)
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestones.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    step: Mapped[str | None] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(60))
    recipient: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliveries.id"), index=True, doc="the message that carried it"
    )


class Delivery(Base):
    """One message to one recipient on one channel: a single notice or a day's digest.

    Status: sending (handed to the channel, outcome not yet recorded), sent,
    failed (will be retried at ``next_attempt_at``), unknown (the channel did
    not answer in time: retried with the same key, which de-duplicating
    gateways honour), dead (gave up; an operator is alerted).
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_recipient_day", "channel", "recipient", "day"),
        Index("ix_deliveries_retry", "status", "next_attempt_at"),
        Index("ix_deliveries_channel_claimed_at", "channel", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(
        String(200), unique=True, doc="idempotency key passed to the channel"
    )
    channel: Mapped[str] = mapped_column(String(60))
    recipient: Mapped[str] = mapped_column(String(300))
    day: Mapped[dt.date] = mapped_column(doc="local day whose digest this is")
    kind: Mapped[str] = mapped_column(String(20))  # single | digest
    subject: Mapped[str] = mapped_column(String(300), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    sms: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="sending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    claimed_at: Mapped[dt.datetime | None] = mapped_column(
        doc="last handed to a sender; per-key rate limits count these"
    )
    give_up_at: Mapped[dt.datetime | None] = mapped_column(
        doc="retried until then, while the message is still useful; then dead"
    )


class ChannelOutage(Base):
    """A stretch in which a channel kind (sms, email, wecom_bot …) fails: opened by the
    first failure, closed by the next success; the operator is told at both ends."""

    __tablename__ = "channel_outages"
    __table_args__ = (Index("ix_channel_outages_channel_ended_at", "channel", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(60))
    started_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]
    failures: Mapped[int] = mapped_column(default=0)
    given_up: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")


class DeliveryAttempt(Base):
    """Every try of a delivery, whatever came of it."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(String(20))  # sent | failed | unknown
    detail: Mapped[str] = mapped_column(Text, default="")
    duration_ms: Mapped[int] = mapped_column(default=0)

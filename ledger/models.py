"""SQLAlchemy 2.0 typed mappings of the ledger.

Tasks and plan-wide checkpoints share one table (``items``) because both are
"work assigned to units with due rules"; ``kind`` tells them apart. Milestones
carry ``plan_id`` and ``unit_id`` copies so the queries coordinators run most
(who is late, per unit, per plan) hit one indexed table, and the supervise
sweep finds due work through the partial index on ``next_action_at``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on every backend (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the ledger; use an aware time")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        dt.datetime: UTCDateTime(),
        dt.date: Date(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
        list[dict[str, Any]]: JSON(),
    }

    if TYPE_CHECKING:
        # Each class here maps one table (no joins or selects), so its ``__table__`` is
        # a Table, not DeclarativeBase's wider FromClause.
        __table__: ClassVar[Table]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Unit(Base):
    """A unit of one jurisdiction's directory: names are unique within a jurisdiction."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("jurisdiction", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(String(100), default="", server_default="")
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    aliases: Mapped[list[str]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # place in the directory as the office wrote it, a group's units together
    # (``ledger.order``); lists of units are read in this order
    position: Mapped[int] = mapped_column(default=0, server_default="0")

    contacts: Mapped[list[Contact]] = relationship(
        back_populates="unit", cascade="all, delete-orphan", order_by="Contact.role"
    )
    groups: Mapped[list[Group]] = relationship(secondary="group_members", back_populates="units")
    parent: Mapped[Unit | None] = relationship(remote_side="Unit.id")


class Group(Base):
    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("jurisdiction", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(String(100), default="", server_default="")
    name: Mapped[str] = mapped_column(String(200))
    units: Mapped[list[Unit]] = relationship(secondary="group_members", back_populates="groups")


class GroupMember(Base):
    __tablename__ = "group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Contact(Base):
    """A person of a unit by role: 经办人 (contact), 分管领导 (leader), 主要负责人 (head)."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("unit_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100), default="")
    mobile: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    wecom_id: Mapped[str | None] = mapped_column(String(100))
    dingtalk_id: Mapped[str | None] = mapped_column(String(100))
    channels: Mapped[list[str]] = mapped_column(default=list)

    unit: Mapped[Unit] = relationship(back_populates="contacts")


class Plan(Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    doc_no: Mapped[str | None] = mapped_column(String(100))
    issuer: Mapped[str] = mapped_column(String(200))
    issued: Mapped[dt.date]
    year: Mapped[int]
    coordinator_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    jurisdiction: Mapped[str] = mapped_column(
        String(100), default="", server_default="", doc="whose unit directory the plan draws on"
    )
    timezone: Mapped[str] = mapped_column(String(64))
    predecessor_key: Mapped[str | None] = mapped_column(String(64))
    source_path: Mapped[str] = mapped_column(Text)
    file_hash: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(doc="the validated plan, as loaded")
    loaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_due: Mapped[dt.date | None] = mapped_column(
        doc="the latest deadline any of its milestones has had: the working-day calendar "
        "must know its year"
    )

    coordinator: Mapped[Unit] = relationship()

    def reach(self, day: dt.date | None) -> None:
        """Note a deadline set on one of the plan's milestones (a load, an extension, a
        整改 or 回头看 deadline). Only ever later: a warning about a year the calendar
        does not know may outlive the deadline that caused it, never miss one."""
        if day is not None and (self.last_due is None or day > self.last_due):
            self.last_due = day

    items: Mapped[list[Item]] = relationship(back_populates="plan", order_by="Item.seq")


class PlanEvent(Base):
    """The recorded date of an event that arms event-relative deadlines."""

    __tablename__ = "plan_events"
    __table_args__ = (UniqueConstraint("plan_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[dt.datetime]
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Item(Base):
    """A task (kind ``task``) or a plan-wide checkpoint (list, check, lookback …)."""

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("plan_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    seq: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    section: Mapped[list[str]] = mapped_column(default=list)
    path: Mapped[str | None] = mapped_column(Text)
    due: Mapped[list[str]] = mapped_column(default=list)
    standing: Mapped[bool] = mapped_column(
        default=False,
        server_default=false(),
        doc="no date of its own (持续推进): its milestones are progress owed at the checks",
    )
    archived_at: Mapped[dt.datetime | None]
    schedule_digest: Mapped[str | None] = mapped_column(
        String(32), doc="the deadlines (and policy) its stored milestones were last loaded from"
    )
    units_digest: Mapped[str | None] = mapped_column(
        String(32), doc="the units and roles its stored assignments were last loaded from"
    )

    plan: Mapped[Plan] = relationship(back_populates="items")
    assignments: Mapped[list[Assignment]] = relationship(back_populates="item")


class Assignment(Base):
    """A unit's part in an item: lead (牵头), responsible (责任) or support (配合)."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("item_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))  # looked up with item_id
    role: Mapped[str] = mapped_column(String(20))
    archived_at: Mapped[dt.datetime | None]

    item: Mapped[Item] = relationship(back_populates="assignments")
    unit: Mapped[Unit] = relationship()
    milestones: Mapped[list[Milestone]] = relationship(back_populates="assignment")


MILESTONE_STATES = ("waiting", "open", "reported", "rectifying", "done", "archived")
OPEN_STATES = ("open", "rectifying")


class PolicySnapshot(Base):
    """An escalation policy as a milestone started under it, stored once per distinct
    policy (``digest`` of its canonical JSON) and shared by every milestone that took
    it. Rows are never changed or deleted: a snapshot is what it was."""

    __tablename__ = "policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    document: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Milestone(Base):
    """One deadline of one unit: an assignment × a due occurrence.

    ``state``: waiting (event not yet recorded), open, reported (awaiting
    review), rectifying (returned for 整改), done (销号), archived (its task or
    occurrence left the plan). Lateness is derived from ``due_at``.
    """

    __tablename__ = "milestones"
    __table_args__ = (
        UniqueConstraint("assignment_id", "occurrence"),
        Index(
            "ix_milestones_next_action_at",
            "next_action_at",
            postgresql_where=text("next_action_at IS NOT NULL"),
            sqlite_where=text("next_action_at IS NOT NULL"),
        ),
        Index("ix_milestones_plan_unit_state", "plan_id", "unit_id", "state"),
        Index("ix_milestones_unit_state", "unit_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    # The assignment's plan and unit, copied so indexes can lead with them; no foreign
    # keys of their own (the assignment's hold them; migration 0011 says why).
    plan_id: Mapped[int]
    unit_id: Mapped[int]
    occurrence: Mapped[str] = mapped_column(String(120))
    rule: Mapped[str] = mapped_column(String(120))
    due_date: Mapped[dt.date | None]
    due_at: Mapped[dt.datetime | None]
    window_start: Mapped[dt.date | None]
    times: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(20))
    cycle: Mapped[int] = mapped_column(
        default=0, server_default="0", doc="restarts: a new deadline or a return for 整改"
    )
    step: Mapped[str | None] = mapped_column(
        String(20), doc="last ladder rung passed: taken, or skipped as superseded or stale"
    )
    escalated: Mapped[str | None] = mapped_column(
        String(20), doc="highest escalation step really taken this cycle (催办/督办/通报)"
    )
    next_action_at: Mapped[dt.datetime | None]
    # The policy snapshot taken at start. No foreign key: snapshots are insert-only, and
    # a key checked on each of a province's 10^6 rows would give back most of what
    # storing the snapshot once saves (README, Benchmarks).
    policy_id: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None]

    assignment: Mapped[Assignment] = relationship(back_populates="milestones")
    unit: Mapped[Unit] = relationship(primaryjoin="foreign(Milestone.unit_id) == Unit.id")
    reports: Mapped[list[Report]] = relationship(back_populates="milestone")
    snapshot: Mapped[PolicySnapshot] = relationship(
        primaryjoin="foreign(Milestone.policy_id) == PolicySnapshot.id"
    )

    @property
    def policy(self) -> dict[str, Any]:
        """The policy this milestone started under, as stored."""
        return self.snapshot.document


class UnitLights(Base):
    """One unit's lights in one plan as last counted, and until when that count holds.

    Written by the board (``ledger/board.py``), marked stale (``changes``) by triggers on
    ``milestones`` (migration 0018) whenever one of the unit's milestones is inserted,
    deleted, or changes state or deadline: the board recounts what changed, not the plan.
    """

    __tablename__ = "unit_lights"

    plan_id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(primary_key=True)
    red: Mapped[int] = mapped_column(default=0, server_default="0")
    yellow: Mapped[int] = mapped_column(default=0, server_default="0")
    blue: Mapped[int] = mapped_column(default=0, server_default="0")
    green: Mapped[int] = mapped_column(default=0, server_default="0")
    total: Mapped[int] = mapped_column(default=0, server_default="0")
    counted_at: Mapped[dt.datetime | None] = mapped_column(doc="the moment counted for")
    soon_at: Mapped[dt.datetime | None] = mapped_column(doc="the near-deadline bound used")
    next_red_at: Mapped[dt.datetime | None] = mapped_column(
        doc="the first open deadline after counted_at: a light turns red then"
    )
    next_yellow_at: Mapped[dt.datetime | None] = mapped_column(
        doc="the first open deadline after soon_at: a light turns yellow as soon passes it"
    )
    changes: Mapped[int] = mapped_column(default=1, server_default="1")


class ItemCount(Base):
    """How many of one item's milestones are in one state with one deadline (a missing
    deadline is the far future), and in state ``assigned`` how many units it has.

    Kept exact by triggers on ``milestones`` and ``assignments`` (migration 0019), never
    written by code: the tasks page sums a handful of rows per task, at any moment."""

    __tablename__ = "item_counts"

    plan_id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(20), primary_key=True)
    due_at: Mapped[dt.datetime] = mapped_column(primary_key=True)
    n: Mapped[int] = mapped_column(default=0, server_default="0")


class Report(Base):
    """A unit's submission: progress or completion, with evidence, and its review."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), index=True)
    milestone_id: Mapped[int | None] = mapped_column(
        ForeignKey("milestones.id"), index=True, doc="None for progress on undated tasks"
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(20), default="completion")
    text: Mapped[str] = mapped_column(Text, default="")
    evidence_urls: Mapped[list[str]] = mapped_column(default=list)
    files: Mapped[list[str]] = mapped_column(default=list)
    review_state: Mapped[str] = mapped_column(String(20), default="submitted", index=True)
    reviewer: Mapped[str | None] = mapped_column(String(100))
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[dt.datetime | None]
    rectify_due_date: Mapped[dt.date | None]
    requested_due_date: Mapped[dt.date | None] = mapped_column(
        doc="an extension request's proposed deadline (kind extension)"
    )
    progress: Mapped[str | None] = mapped_column(
        String(20), doc="where the unit says the task stands: done | ongoing | not_started"
    )

    milestone: Mapped[Milestone | None] = relationship(back_populates="reports")
    assignment: Mapped[Assignment] = relationship()


class Notice(Base):
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


class AuditEvent(Base):
    """Append-only: database triggers refuse UPDATE and DELETE on this table."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"), index=True)
    entity: Mapped[str] = mapped_column(String(40), default="")
    entity_key: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


GRADES = ("blue", "yellow", "red")


class Document(Base):
    """A numbered supervision document: 催办单, 督办单 (graded), or a 通报 circular.

    Numbers run per plan, kind and year. The row is written with the decision
    (in the sweep's transaction); the files are rendered afterwards by the
    flow, so ``path_md`` stays empty until then.
    """

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("plan_id", "kind", "year", "number"),
        UniqueConstraint("milestone_id", "cycle", "kind"),
        Index(
            "ix_documents_unrendered",
            "id",
            postgresql_where=text("path_md IS NULL"),
            sqlite_where=text("path_md IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestones.id"))
    cycle: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(20))  # cuiban | duban | circular
    year: Mapped[int]
    number: Mapped[int]
    grade: Mapped[str | None] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(300))
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    path_md: Mapped[str | None] = mapped_column(Text)
    path_docx: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class UnitLink(Base):
    """A unit's link to its own page: a short random token, stored only as its hash
    (healthchecks' ping URLs are the model). It shows that unit's work and nothing else,
    until it expires or the coordinator revokes it."""

    __tablename__ = "unit_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    created_by: Mapped[str] = mapped_column(String(100), default="")
    nonce: Mapped[str | None] = mapped_column(
        String(32),
        doc="the token is HMAC(link secret, nonce): the dispatcher re-derives "
        "it for every notice, the ledger alone cannot",
    )


class User(Base):
    """A coordinator's or viewer's login for the web board; the password is an argon2 hash."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))  # coordinator | viewer
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[dt.datetime | None]


class LoginFailure(Base):
    """A failed sign-in: the name as typed and the address it came from, read by every
    web worker to refuse a name from that address and an address that keeps guessing."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_address_at", "address", "at"),
        Index("ix_login_failures_name_address", "name", "address"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(index=True)


class WebSession(Base):
    """A signed-in browser: the cookie holds a random token, the ledger its hash."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]


class Heartbeat(Base):
    """The last run of a recurring job (``sweep:<plan>``, ``sweep:*`` for all plans,
    ``dispatch``): the health check and the metrics read it, whichever machine ran it."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime]
    ok: Mapped[bool]
    duration_ms: Mapped[int] = mapped_column(default=0)
    last_ok_at: Mapped[dt.datetime | None]
    detail: Mapped[str] = mapped_column(Text, default="")

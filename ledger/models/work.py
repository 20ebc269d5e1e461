"""Plans and the work they give units.

Tasks and plan-wide checkpoints share one table (``items``) because both are
"work assigned to units with due rules"; ``kind`` tells them apart. Milestones
carry ``plan_id`` and ``unit_id`` copies so the queries coordinators run most
(who is late, per unit, per plan) hit one indexed table, and the supervise
sweep finds due work through the partial index on ``next_action_at``. Each
milestone starts under a stored policy snapshot; units answer with reports; the
board reads per-unit and per-item counters kept beside them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ledger.models import Base, utcnow
from ledger.models.directory import Unit


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

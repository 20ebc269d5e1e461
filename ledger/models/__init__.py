"""SQLAlchemy 2.0 typed mappings of the ledger: the declarative base and column types
here, the tables by subject in the submodules, every name re-exported so that
``from ledger.models import X`` is the one way in and ``Base.metadata`` (read by the
Alembic environment) holds every table.

- ``ledger.models.directory``: units, groups, contacts
- ``ledger.models.work``: plans, items (tasks and checkpoints), assignments,
  milestones, policy snapshots, reports, the board's counters
- ``ledger.models.delivery``: the notice outbox, deliveries, attempts, channel outages
- ``ledger.models.records``: the audit log, supervision documents, heartbeats
- ``ledger.models.access``: unit links, users, web sessions, login failures

``UTCDateTime`` stays in this module: migrations name it ``ledger.models.UTCDateTime``.
"""

# ruff: noqa: E402 - the tables import Base from here, so they are imported after it

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import JSON, Date, DateTime, MetaData, Table, TypeDecorator
from sqlalchemy.orm import DeclarativeBase


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


from ledger.models.access import LoginFailure, UnitLink, User, WebSession
from ledger.models.delivery import ChannelOutage, Delivery, DeliveryAttempt, Notification
from ledger.models.directory import Contact, Group, GroupMember, Unit
from ledger.models.records import GRADES, AuditEvent, Document, Heartbeat
from ledger.models.work import (
    MILESTONE_STATES,
    OPEN_STATES,
    Assignment,
    Item,
    ItemCount,
    Milestone,
    Plan,
    PlanEvent,
    PolicySnapshot,
    Report,
    UnitLights,
)

__all__ = [
    "GRADES",
    "MILESTONE_STATES",
    "NAMING",
    "OPEN_STATES",
    "Assignment",
    "AuditEvent",
    "Base",
    "ChannelOutage",
    "Contact",
    "Delivery",
    "DeliveryAttempt",
    "Document",
    "Group",
    "GroupMember",
    "Heartbeat",
    "Item",
    "ItemCount",
    "LoginFailure",
    "Milestone",
    "Notification",
    "Plan",
    "PlanEvent",
    "PolicySnapshot",
    "Report",
    "UTCDateTime",
    "Unit",
    "UnitLights",
    "UnitLink",
    "User",
    "WebSession",
    "utcnow",
]

"""What the ledger keeps on record: the append-only audit log, numbered supervision
documents (催办单, 督办单, 通报), and the last run of each recurring job.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from ledger.models import Base, utcnow


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
_UNACKNOWLEDGED = "acknowledged_at IS NULL AND ack_due_at IS NOT NULL"


class Document(Base):
    """A numbered supervision document: 催办单, 督办单 (graded), or a 通报 circular.

    Numbers run per plan, kind and year. The row is written with the decision
    (in the sweep's transaction); the files are rendered afterwards
    (``usecases.documents`` → ``documents.render.render_pending``), so
    ``path_md`` stays empty until then.
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
        Index(
            "ix_documents_ack_due",
            "ack_due_at",
            postgresql_where=text(_UNACKNOWLEDGED),
            sqlite_where=text(_UNACKNOWLEDGED),
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
    # 签收: first opened on the unit's page (已阅), acknowledged by a named person, and
    # when an unacknowledged one is chased (the plan's policy; cleared once chased)
    read_at: Mapped[dt.datetime | None]
    acknowledged_at: Mapped[dt.datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(50))
    ack_due_at: Mapped[dt.datetime | None]


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

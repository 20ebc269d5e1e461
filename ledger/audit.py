"""The audit log's writer: one append-only row per action taken on the ledger (the
table refuses UPDATE and DELETE by trigger, so an entry once committed stays)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ledger.models import AuditEvent


def audit(
    session: Session,
    actor: str,
    action: str,
    *,
    plan_id: int | None = None,
    entity: str = "",
    key: str = "",
    **detail: object,
) -> None:
    session.add(
        AuditEvent(
            actor=actor,
            action=action,
            plan_id=plan_id,
            entity=entity,
            entity_key=key,
            detail=detail,
        )
    )

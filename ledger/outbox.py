"""The outbox writer (DESIGN decision 3): the rows a notice to a person becomes, one
per channel and address, and their insertion in the transaction that decided them.

Each row's idempotency key (milestone, cycle, rung, role, channel, address) is unique
and a row whose key exists is ignored, so a re-run or a retried transaction cannot
write a notice twice; the dispatcher (``notifications``) delivers what is written.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ledger.bulk import executemany
from ledger.models import Contact, Notification, Unit, utcnow
from plans.directory import CONTACT_ROLES

ADDRESS_FIELDS = {"sms": "mobile", "email": "email", "wecom": "wecom_id", "dingtalk": "dingtalk_id"}


def contact_channels(contact: Contact, defaults: list[str]) -> list[tuple[str, str]]:
    """(channel, address) pairs for a person: their own channels, else the policy's.

    ``sms``/``email``/``wecom``/``dingtalk`` use the contact's own address; a
    named channel (``wecom_bot:SECRET``) is addressed by its secret's name.
    """
    out = []
    for ch in contact.channels or defaults:
        if ":" in ch:
            out.append((ch, ch.split(":", 1)[1]))
        elif (attr := ADDRESS_FIELDS.get(ch)) and (addr := getattr(contact, attr)):
            out.append((ch, addr))
    return out


def outbox_row(
    key: str,
    channel: str,
    recipient: str,
    *,
    kind: str,
    at: dt.datetime,
    context: dict[str, Any],
    plan_id: int | None = None,
    unit_id: int | None = None,
    milestone_id: int | None = None,
    step: str | None = None,
) -> dict[str, Any]:
    """One outbox row as ``insert_notifications`` takes it: pending, due at ``at``. The
    one constructor of rows, for notices to units and alerts to operators alike."""
    return {
        "idempotency_key": key,
        "plan_id": plan_id,
        "milestone_id": milestone_id,
        "unit_id": unit_id,
        "kind": kind,
        "step": step or kind,
        "channel": channel,
        "recipient": recipient,
        "context": context,
        "status": "pending",
        "next_attempt_at": at,
    }


def person_notifications(
    key: str,
    person: Contact | None,
    channels: list[str],
    *,
    plan_id: int,
    unit_id: int,
    milestone_id: int | None,
    kind: str,
    step: str,
    at: dt.datetime,
    context: dict[str, Any],
) -> list[dict[str, Any]]:
    """One outbox row per channel of ``person``; each idempotency key is ``key/channel/address``."""
    if person is None:
        return []
    return [
        outbox_row(
            f"{key}/{channel}/{address}",
            channel,
            address,
            kind=kind,
            step=step,
            at=at,
            context=context,
            plan_id=plan_id,
            unit_id=unit_id,
            milestone_id=milestone_id,
        )
        for channel, address in contact_channels(person, channels)
    ]


def role_label(role: str) -> str:
    """A recipient role as coordinators say it (经办人, 分管领导 …)."""
    return "协调单位经办人" if role == "coordinator" else CONTACT_ROLES.get(role, role)


def recipients(role: str, unit: Unit, coordinator: Unit) -> tuple[Unit, Contact | None]:
    """Who a role means for a milestone of ``unit``."""
    if role == "coordinator":
        target, wanted = coordinator, "contact"
    else:
        target, wanted = unit, role
    return target, next((c for c in target.contacts if c.role == wanted), None)


def role_notifications(
    key: str,
    roles: Sequence[str],
    unit: Unit,
    coordinator: Unit,
    channels: list[str],
    *,
    plan_id: int,
    milestone_id: int | None,
    kind: str,
    step: str,
    at: dt.datetime,
    context: dict[str, Any],
) -> tuple[list[dict[str, Any]], list[str]]:
    """The outbox rows of one message to each role of ``unit`` (``key/role/channel/address``),
    and the 单位（角色） that have nobody to receive it."""
    rows: list[dict[str, Any]] = []
    missing: list[str] = []
    for role in roles:
        target, person = recipients(role, unit, coordinator)
        mine = person_notifications(
            f"{key}/{role}",
            person,
            channels,
            plan_id=plan_id,
            unit_id=target.id,
            milestone_id=milestone_id,
            kind=kind,
            step=step,
            at=at,
            context=context
            | {"role": role, "person": person.name if person else "", "to_unit": target.name},
        )
        if not mine:
            missing.append(f"{target.name}（{role_label(role)}）")
        rows += mine
    return rows, missing


# Postgres: the whole batch as one JSON parameter read by json_to_recordset, so the
# statement has two parameters however many rows it carries (a multi-row VALUES list, or
# one array per column, costs the driver time for every value).
_RECORDSET = text("""
INSERT INTO notices (idempotency_key, plan_id, milestone_id, unit_id, kind, step, channel,
                     recipient, context, status, next_attempt_at, created_at, subject, body,
                     attempts)
SELECT k, p, m, u, kd, st, ch, r, c, s, n, :created, '', '', 0
FROM json_to_recordset(CAST(:rows AS json))
     AS v(k text, p int, m int, u int, kd text, st text, ch text, r text, c json, s text,
          n timestamptz)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id""")
_RECORD = {
    "k": "idempotency_key",
    "p": "plan_id",
    "m": "milestone_id",
    "u": "unit_id",
    "kd": "kind",
    "st": "step",
    "ch": "channel",
    "r": "recipient",
    "c": "context",
    "s": "status",
    "n": "next_attempt_at",
}


def insert_notifications(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert outbox rows, ignoring any whose idempotency key exists; count the new ones."""
    if not rows:
        return 0
    now = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        records = [{k: r.get(c) for k, c in _RECORD.items()} for r in rows]
        for rec in records:
            rec["n"] = rec["n"].isoformat() if rec["n"] is not None else None
            rec["c"] = rec["c"] or {}
        return len(
            session.execute(
                _RECORDSET, {"rows": json.dumps(records, ensure_ascii=False), "created": now}
            ).all()
        )
    cols = (*_RECORD.values(), "subject", "body", "attempts", "created_at")
    blank = dict.fromkeys(cols) | {
        "subject": "",
        "body": "",
        "attempts": 0,
        "created_at": now,
        "context": {},
    }
    if extra := {k for r in rows for k in r} - set(cols):
        raise ValueError(f"notice rows with unknown fields: {sorted(extra)}")
    marks = ", ".join("?" for _ in cols)
    return executemany(  # rows the conflict clause ignored change nothing, so are not counted
        session.connection(),
        f"INSERT INTO notices ({', '.join(cols)}) VALUES ({marks}) "
        "ON CONFLICT (idempotency_key) DO NOTHING",
        Notification.__table__,
        cols,
        (blank | r for r in rows),
    )

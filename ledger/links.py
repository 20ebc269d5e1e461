"""Unit links: how a unit reaches its own page without an account.

A link is ``$DUBAN_PUBLIC_URL/u/<token>``. The token is 12 random URL-safe
characters (72 bits), short enough for an SMS, and only its SHA-256 is stored,
so a copy of the ledger opens nothing. A link expires (by default 60 days after
the end of the last active plan the unit works in) and can be revoked; issuing
a new one revokes the unit's earlier links.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
from dataclasses import dataclass

import pendulum
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ledger.load import audit
from ledger.models import Milestone, Plan, Unit, UnitLink, utcnow

TOKEN_BYTES = 9  # 12 characters of base64url
AFTER_PLAN = dt.timedelta(days=60)


class LinkError(ValueError):
    """A token that opens nothing: unknown, expired or revoked (the message says which)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def public_url(token: str) -> str:
    base = os.environ.get("DUBAN_PUBLIC_URL", "http://127.0.0.1:8780").rstrip("/")
    return f"{base}/u/{token}"


def default_expiry(session: Session, unit: Unit, now: dt.datetime) -> dt.datetime:
    """60 days after the end of the latest plan the unit has live work in."""
    documents = session.scalars(select(Plan.document).where(Plan.id.in_(
        select(Milestone.plan_id).where(Milestone.unit_id == unit.id).distinct()))).all()
    ends = [dt.date.fromisoformat(str(doc.get("end") or f"{doc['year']}-12-31"))
            for doc in documents]
    if not ends:
        return now + AFTER_PLAN
    last = max(ends)
    return max(pendulum.datetime(last.year, last.month, last.day, 23, 59, 59,
                                 tz="Asia/Shanghai").in_timezone("UTC") + AFTER_PLAN,
               now + dt.timedelta(days=1))


@dataclass
class Issued:
    token: str
    url: str
    expires_at: dt.datetime


def issue(session: Session, unit: Unit, *, actor: str, now: dt.datetime | None = None,
          expires_at: dt.datetime | None = None) -> Issued:
    """A new link for the unit; its earlier links are revoked."""
    now = now or utcnow()
    revoke(session, unit, actor=actor, now=now, quiet=True)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires = expires_at or default_expiry(session, unit, now)
    session.add(UnitLink(unit_id=unit.id, token_hash=token_hash(token), created_at=now,
                         expires_at=expires, created_by=actor))
    audit(session, actor, "link.issue", entity="unit", key=unit.name,
          expires=expires.isoformat())
    return Issued(token, public_url(token), expires)


def revoke(session: Session, unit: Unit, *, actor: str, now: dt.datetime | None = None,
           quiet: bool = False) -> int:
    """Revoke every live link of the unit; how many there were."""
    now = now or utcnow()
    n = session.execute(update(UnitLink).where(UnitLink.unit_id == unit.id,
                                               UnitLink.revoked_at.is_(None))
                        .values(revoked_at=now)).rowcount or 0
    if n and not quiet:
        audit(session, actor, "link.revoke", entity="unit", key=unit.name, links=n)
    return n


def open_link(session: Session, token: str, now: dt.datetime | None = None) -> Unit:
    """The unit a token opens, or ``LinkError`` (404 unknown, 410 expired or revoked)."""
    now = now or utcnow()
    if not 8 <= len(token) <= 64:
        raise LinkError("链接无效。请使用通知中的链接，或向协调单位索取新链接。", 404)
    link = session.scalar(select(UnitLink).where(UnitLink.token_hash == token_hash(token)))
    if link is None:
        raise LinkError("链接无效。请使用通知中的链接，或向协调单位索取新链接。", 404)
    if link.revoked_at is not None:
        raise LinkError("这个链接已被协调单位停用。请使用最近一条通知中的链接。", 410)
    if link.expires_at <= now:
        raise LinkError("这个链接已过期。请向协调单位索取新链接。", 410)
    return session.get_one(Unit, link.unit_id)

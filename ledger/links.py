"""Unit links: how a unit reaches its own page without an account.

A link is ``$DUBAN_PUBLIC_URL/u/<token>``. The token is 12 letters and digits
(71 bits), short enough for an SMS: the HMAC of a random nonce under the link
secret. The ledger keeps the nonce and the token's SHA-256, so the dispatcher,
which holds the secret, puts the unit's current link into every notice, while a
copy of the ledger alone opens nothing. The secret is ``DUBAN_LINK_SECRET``
(several machines must share it) or, on one machine, a key file made on first
use in the data folder. A link expires (by default 60 days after the end of the
last plan the unit works in) and can be revoked; issuing a new one revokes the
unit's earlier links.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pendulum
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from ledger import config
from ledger.audit import audit
from ledger.models import Milestone, Plan, Unit, UnitLink, utcnow

TOKEN_CHARS = 12
AFTER_PLAN = dt.timedelta(days=60)


class LinkError(ValueError):
    """A token that opens nothing: unknown, expired or revoked (the message says which)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def link_secret() -> bytes:
    """``DUBAN_LINK_SECRET``, else the data folder's key file (made, mode 0600, on first use)."""
    given = os.environ.get("DUBAN_LINK_SECRET", "")
    return given.encode("utf-8") if given else _key_file(config.home() / "link.key")


@functools.cache
def _key_file(path: Path) -> bytes:
    """Read once per process and data folder: every unit page and notice needs it."""
    if not path.exists():  # written whole, then linked in: no process reads half a key
        part = path.with_name(f"{path.name}.{os.getpid()}.part")
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
        try:
            os.link(part, path)
        except FileExistsError:  # another process made it first: theirs counts
            pass
        finally:
            part.unlink()
    return bytes.fromhex(path.read_text().strip())


_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def derive(nonce: str, secret: bytes) -> str:
    """12 letters and digits (71 bits): nothing an SMS, a mail or IM markdown would alter."""
    n = int.from_bytes(hmac.new(secret, nonce.encode("ascii"), hashlib.sha256).digest()[:12])
    out = []
    for _ in range(TOKEN_CHARS):
        n, r = divmod(n, 62)
        out.append(_ALPHABET[r])
    return "".join(out)


def public_base() -> str:
    return os.environ.get("DUBAN_PUBLIC_URL", "http://127.0.0.1:8780").rstrip("/")


def public_url(token: str) -> str:
    return f"{public_base()}/u/{token}"


def default_expiry(session: Session, unit: Unit, now: dt.datetime) -> dt.datetime:
    """60 days after the end of the latest plan the unit has live work in."""
    documents = session.scalars(
        select(Plan.document).where(
            Plan.id.in_(select(Milestone.plan_id).where(Milestone.unit_id == unit.id).distinct())
        )
    ).all()
    ends = [
        dt.date.fromisoformat(str(doc.get("end") or f"{doc['year']}-12-31")) for doc in documents
    ]
    if not ends:
        return now + AFTER_PLAN
    last = max(ends)
    return max(
        pendulum.datetime(
            last.year, last.month, last.day, 23, 59, 59, tz="Asia/Shanghai"
        ).in_timezone("UTC")
        + AFTER_PLAN,
        now + dt.timedelta(days=1),
    )


@dataclass
class Issued:
    token: str
    url: str
    expires_at: dt.datetime


def issue(
    session: Session,
    unit: Unit,
    *,
    actor: str,
    now: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
) -> Issued:
    """A new link for the unit; its earlier links are revoked."""
    now = now or utcnow()
    revoke(session, unit, actor=actor, now=now, quiet=True)
    nonce = secrets.token_hex(16)
    token = derive(nonce, link_secret())
    expires = expires_at or default_expiry(session, unit, now)
    session.add(
        UnitLink(
            unit_id=unit.id,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=expires,
            created_by=actor,
            nonce=nonce,
        )
    )
    audit(session, actor, "link.issue", entity="unit", key=unit.name, expires=expires.isoformat())
    return Issued(token, public_url(token), expires)


def revoke(
    session: Session, unit: Unit, *, actor: str, now: dt.datetime | None = None, quiet: bool = False
) -> int:
    """Revoke every live link of the unit; how many there were."""
    now = now or utcnow()
    n = (
        cast(
            CursorResult[Any],
            session.execute(
                update(UnitLink)
                .where(UnitLink.unit_id == unit.id, UnitLink.revoked_at.is_(None))
                .values(revoked_at=now)
            ),
        ).rowcount
        or 0
    )
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


def current(
    session: Session, units: list[Unit], *, actor: str, now: dt.datetime | None = None
) -> dict[int, str]:
    """Each unit's live link (URL), issuing one where there is none, where the secret has
    changed since it was made, or where it expires within a week and a new one would
    last longer (a unit's plans still running)."""
    now = now or utcnow()
    secret = link_secret()
    soon = now + dt.timedelta(days=7)
    live = {
        link.unit_id: link
        for link in session.scalars(
            select(UnitLink)
            .where(
                UnitLink.unit_id.in_([u.id for u in units]),
                UnitLink.revoked_at.is_(None),
                UnitLink.expires_at > now,
            )
            .order_by(UnitLink.id)
        )
    }
    urls: dict[int, str] = {}
    for unit in units:
        link = live.get(unit.id)
        token = derive(link.nonce, secret) if link is not None and link.nonce else ""
        if (
            link is None
            or token_hash(token) != link.token_hash
            or (
                link.expires_at < soon
                and default_expiry(session, unit, now) > link.expires_at + dt.timedelta(days=1)
            )
        ):
            token = issue(session, unit, actor=actor, now=now).token
        urls[unit.id] = public_url(token)
    return urls


# A notice is rendered with a marker of the link's exact length where the unit's link
# goes (so SMS shortening counts it right), and the marker becomes the link only as the
# message is handed to its channel: the ledger's copy of a message never holds a token.
_MARK = re.compile("\u27e6(\\d{10})\u27e7")


def marker(unit_id: int) -> str:
    return public_url(f"\u27e6{unit_id:010d}\u27e7")


def masked(text: str) -> str:
    """A stored message as the notices page shows it: the link named, not given."""
    return _MARK.sub("（本单位链接）", text).replace(f"{public_base()}/u/（", "（")


def fill(session: Session, texts: list[str], *, now: dt.datetime | None = None) -> list[str]:
    """The texts with every link marker replaced by that unit's current link."""
    ids = {int(m) for t in texts for m in _MARK.findall(t)}
    if not ids:
        return texts
    units = list(session.scalars(select(Unit).where(Unit.id.in_(ids))))
    urls = current(session, units, actor="system:dispatch", now=now)
    tokens = {uid: url.rsplit("/", 1)[1] for uid, url in urls.items()}
    return [_MARK.sub(lambda m: tokens.get(int(m.group(1)), "0" * TOKEN_CHARS), t) for t in texts]

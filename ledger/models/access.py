"""Who may see what on the web: units' own links, coordinators' and viewers' logins,
their sessions, and failed sign-ins.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ledger.models import Base, utcnow


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

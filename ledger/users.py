"""Coordinators' and viewers' logins for the web board, and their browser sessions.

Passwords are kept as argon2id hashes (argon2-cffi). Failed sign-ins are rows of
the ledger, so every web worker and machine counts the same ones: an address
that fails ``ADDRESS_ATTEMPTS`` times in ``ADDRESS_WINDOW`` waits (whatever names
it tried), and a name that fails ``MAX_FAILURES`` times from one address is
refused from that address for ``LOCK``. The name is never locked for everybody
(a stranger could otherwise lock the office out), and an unknown name gets the
same answers as a real one. A session is a random token in a cookie; the ledger
keeps its SHA-256 and the session's CSRF token, so a copy of the ledger signs
nobody in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from ledger.audit import audit
from ledger.labels import USER_ROLES
from ledger.models import LoginFailure, User, WebSession, utcnow

MAX_FAILURES = 5
LOCK = dt.timedelta(minutes=15)
ADDRESS_ATTEMPTS = 10
ADDRESS_WINDOW = dt.timedelta(minutes=5)
SESSION_LIFE = dt.timedelta(hours=12)
_hasher = PasswordHasher()


class LoginError(ValueError):
    """A name or password that does not sign in; the message says what to do."""


class TooManyAttempts(LoginError):
    """An address that keeps failing: it waits, whatever name it tries next."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_user(session: Session, name: str, role: str, password: str, *, actor: str) -> User:
    """A new login, or a new password and role for an existing one (which also unlocks it
    and signs out its sessions)."""
    if role not in USER_ROLES:
        raise LoginError(f"角色 {role!r} 无效，可用：{'、'.join(USER_ROLES)}")
    if len(password) < 10:
        raise LoginError("密码至少 10 个字符")
    if not name.strip() or len(name) > 100:
        raise LoginError("用户名不能为空，且不超过 100 个字符")
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        user = User(name=name, role=role, password_hash=_hasher.hash(password))
        session.add(user)
        session.flush()
        audit(session, actor, "user.add", entity="user", key=name, role=role)
    else:
        user.role, user.password_hash = role, _hasher.hash(password)
        user.disabled_at = None
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
        session.execute(delete(LoginFailure).where(LoginFailure.name == name))
        audit(session, actor, "user.reset", entity="user", key=name, role=role)
    return user


def disable_user(session: Session, name: str, *, actor: str) -> None:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise LoginError(f"没有用户 {name!r}")
    user.disabled_at = utcnow()
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    audit(session, actor, "user.disable", entity="user", key=name)


def authenticate(
    session: Session, name: str, password: str, now: dt.datetime, address: str = "?"
) -> User:
    """The user, or ``LoginError``; the failure is recorded (commit it: the caller catches
    the error inside its transaction). Whether the name exists changes no answer."""
    name, address = name[:100], address[:64]
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - LOCK))
    if (
        _failures(session, LoginFailure.address == address, since=now - ADDRESS_WINDOW)
        >= ADDRESS_ATTEMPTS
    ):
        raise TooManyAttempts(f"登录尝试过于频繁，请 {ADDRESS_WINDOW.seconds // 60} 分钟后再试。")
    mine = (LoginFailure.name == name, LoginFailure.address == address)
    if _failures(session, *mine, since=now - LOCK) >= MAX_FAILURES:
        first = session.scalar(select(func.min(LoginFailure.at)).where(*mine))
        minutes = max(1, int(((first or now) + LOCK - now).total_seconds() // 60))
        raise LoginError(
            f"密码连续输错 {MAX_FAILURES} 次，此用户名从您的网络地址暂停登录，"
            f"请 {minutes} 分钟后再试"
        )
    user = session.scalar(select(User).where(User.name == name))
    if user is None or user.disabled_at is not None or not _verify(user, password):
        session.add(LoginFailure(name=name, address=address, at=now))
        if _failures(session, *mine, since=now - LOCK) >= MAX_FAILURES:
            audit(session, f"web:{name}", "user.locked", entity="user", key=name, address=address)
        raise LoginError("用户名或密码不正确")
    session.execute(delete(LoginFailure).where(*mine))
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def _verify(user: User | None, password: str) -> bool:
    """Whether the password is the user's; as slow for nobody as for a real user."""
    if user is None:
        _hasher.hash(password)
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _failures(session: Session, *where: ColumnElement[bool], since: dt.datetime) -> int:
    session.flush()
    return (
        session.scalar(
            select(func.count()).select_from(LoginFailure).where(*where, LoginFailure.at >= since)
        )
        or 0
    )


@dataclass(frozen=True)
class SignedIn:
    user: User
    csrf: str


def open_session(session: Session, user: User, now: dt.datetime) -> tuple[str, str]:
    """A new session: (cookie token, CSRF token)."""
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_digest(token),
            user_id=user.id,
            csrf=csrf,
            created_at=now,
            expires_at=now + SESSION_LIFE,
        )
    )
    audit(session, f"web:{user.name}", "user.login", entity="user", key=user.name)
    return token, csrf


def session_user(session: Session, token: str, now: dt.datetime) -> SignedIn | None:
    if not token or len(token) > 100:
        return None
    ws = session.scalar(select(WebSession).where(WebSession.token_hash == _digest(token)))
    if ws is None or ws.expires_at <= now:
        return None
    user = session.get_one(User, ws.user_id)
    return None if user.disabled_at is not None else SignedIn(user, ws.csrf)


def close_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))

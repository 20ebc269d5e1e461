"""Heartbeats: the recurring jobs say when they ran, in the ledger every machine reads.

A sweep that did not run is silence; nothing in the outbox or the audit log shows it.
So each sweep and each dispatcher run writes one row (``Heartbeat``), and the health
check (``web.health``) compares it with when the job should have run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from ledger.models import Heartbeat, utcnow

DISPATCH = "dispatch"
ALL_PLANS = "sweep:*"


def sweep_name(plan_key: str | None) -> str:
    return f"sweep:{plan_key}" if plan_key else ALL_PLANS


def record(
    session: Session, name: str, started: dt.datetime, *, ok: bool, detail: str = ""
) -> None:
    """Upsert the job's row: two workers finishing together both land, the later wins."""
    now = utcnow()
    values = {
        "name": name,
        "started_at": started,
        "finished_at": now,
        "ok": ok,
        "duration_ms": int((now - started).total_seconds() * 1000),
        "detail": detail[:2000],
        "last_ok_at": now if ok else None,
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(Heartbeat).values(**values)
    update = {k: stmt.excluded[k] for k in values if k not in ("name", "last_ok_at")}
    if ok:
        update["last_ok_at"] = stmt.excluded.last_ok_at
    session.execute(stmt.on_conflict_do_update(index_elements=["name"], set_=update))


@contextmanager
def beating(factory: sessionmaker[Session], name: str) -> Iterator[None]:
    """Record the job's run around the block: ok when it returns, failed (with the
    error) when it raises. A heartbeat that cannot be written never hides the job's
    own error."""
    started, t0 = utcnow(), time.monotonic()
    try:
        yield
    except Exception as exc:
        with contextlib.suppress(Exception), factory() as s, s.begin():
            record(s, name, started, ok=False, detail=f"{type(exc).__name__}: {exc}")
        raise
    with factory() as s, s.begin():
        record(s, name, started, ok=True, detail=f"{time.monotonic() - t0:.1f} s")


def all_beats(session: Session) -> dict[str, Heartbeat]:
    return {h.name: h for h in session.scalars(select(Heartbeat))}

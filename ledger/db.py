"""Engines, sessions and schema migrations.

SQLite gets WAL, foreign keys and a busy timeout on every connection, so the
embedded default behaves under a worker and a CLI at once. Postgres gets server-side
timeouts, TCP keepalives and a client-side watchdog (``ledger.watchdog``), so no
command waits for ever on a database that stopped answering.

The schema is brought up to date by Alembic (``upgrade``), never by ``create_all``,
so the embedded database and a provincial Postgres follow the same migrations. Only
``duban db upgrade`` (and ``duban up`` on its own SQLite ledger) migrates an existing
ledger, one process at a time under an advisory lock; every other process refuses a
schema behind or ahead of its code. An empty database is created by the first
command that opens it: there is nothing in it to rewrite.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from ledger import watchdog

MIGRATIONS = Path(__file__).with_name("migrations")


class DatabaseError(RuntimeError):
    """The database cannot be reached or is not at the expected schema."""


class SchemaMismatch(DatabaseError):
    """The ledger's schema is behind or ahead of this code: only ``db upgrade`` moves it."""


SQLITE_BUSY_MS = 30_000  # how long a SQLite writer waits for another's transaction


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA cache_size=-65536")  # 64 MB: bulk loads keep their indexes in memory
    cur.close()


def make_engine(url: str, *, wait: float | None = None) -> Engine:
    """An engine for ``url``. On Postgres ``wait`` is how long a statement may go without
    an answer before its connection is cut (default ``DUBAN_DB_WAIT``; 0: unwatched)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(
        url,
        pool_pre_ping=True,
        pool_timeout=30,
        connect_args={
            "connect_timeout": 10,
            # A peer that vanished (host down, network cut) is noticed within about a minute.
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
            "tcp_user_timeout": 60_000,
        },
    )
    event.listen(engine, "connect", _postgres_timeouts)
    seconds = watchdog.wait_seconds() if wait is None else wait
    if seconds > 0:
        watchdog.watch(engine, seconds)
    return engine


def _postgres_timeouts(dbapi_connection: Any, _record: object) -> None:
    """No statement waits for ever: a lock held by a crashed or frozen client, a query
    gone wrong, a transaction left open by a stopped process all end in an error that
    duban reports (exit 3), instead of a dispatcher hanging past its lease."""
    with dbapi_connection.cursor() as cur:
        cur.execute("SET statement_timeout = '300s'")
        cur.execute("SET lock_timeout = '30s'")
        cur.execute("SET idle_in_transaction_session_timeout = '600s'")
    dbapi_connection.commit()


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


@dataclass(frozen=True)
class Upgraded:
    """What ``upgrade`` did: ``before`` None is a database it created."""

    before: str | None
    after: str | None

    def describe(self) -> str:
        if self.before == self.after:
            return f"数据库结构已是最新（版本 {self.after}），无需升级。"
        if self.before is None:
            return f"已新建数据库结构（版本 {self.after}）。"
        return f"已将数据库结构从版本 {self.before} 升级到 {self.after}。"


def upgrade(engine: Engine, revision: str = "head") -> Upgraded:
    """Apply migrations up to ``revision``, one process at a time: on Postgres under an
    advisory lock, so two upgrades started together run one after the other and the
    second finds nothing to do."""
    if engine.dialect.name != "postgresql":
        before = current_revision(engine)
        command.upgrade(alembic_config(engine), revision)
        return Upgraded(before, current_revision(engine))
    key = text("SELECT hashtext('duban-migrate:' || current_schema())")
    with engine.connect() as lock:
        lock.execute(text("SET lock_timeout = 0"))  # wait for the other upgrade to finish
        lock.execute(text("SELECT pg_advisory_lock((:k))"), {"k": lock.scalar(key)})
        lock.commit()
        try:
            before = current_revision(engine)
            command.upgrade(alembic_config(engine), revision)
            return Upgraded(before, current_revision(engine))
        finally:
            lock.execute(text("SELECT pg_advisory_unlock_all()"))
            lock.commit()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def _known(revision: str) -> bool:
    """Whether this code has ``revision`` among its migrations (else the ledger is newer)."""
    try:
        return ScriptDirectory(str(MIGRATIONS)).get_revision(revision) is not None
    except Exception:
        return False


def _empty(engine: Engine) -> bool:
    return not inspect(engine).has_table("plans")


def mismatch(have: str | None, want: str | None, *, sqlite: bool = False) -> str:
    """The operator's message for a ledger at ``have`` opened by code at ``want``."""
    if have is not None and not _known(have):
        return (
            f"数据库结构版本 {have} 比本机安装的 duban（结构版本 {want}）新：数据库已由更新的"
            "版本升级。请把本机的 duban 升级到同一版本后再运行。"
        )
    todo = (
        "请先运行一次 duban db upgrade（duban up 启动时也会自动升级本机的数据库）。"
        if sqlite
        else "请运维人员先停止 worker，运行一次 duban db upgrade，再启动各服务"
        "（见 deploy/README.md 的 Upgrading 一节）。"
    )
    return (
        f"数据库结构版本 {have or '（无版本记录）'} 落后于本机安装的 duban"
        f"（结构版本 {want}）。{todo}"
    )


def open_ledger(url: str, *, migrate: bool = False) -> sessionmaker[Session]:
    """A session factory on a schema at this code's version.

    An empty database is created. An existing ledger at another version is an error
    (``SchemaMismatch``) unless ``migrate``: only ``duban db upgrade`` and ``duban up``
    on its own SQLite ledger pass it, so no worker rewrites a province's tables because
    it happened to start first.
    """
    engine = make_engine(url)
    try:
        have, want = current_revision(engine), head_revision()
        if have != want:
            if migrate or (have is None and _empty(engine)):
                upgrade(engine)
            else:
                raise SchemaMismatch(mismatch(have, want, sqlite=engine.dialect.name == "sqlite"))
    except DatabaseError:
        raise
    except Exception as exc:
        raise DatabaseError(f"无法打开数据库 {engine.url.render_as_string()}：{exc}") from exc
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with factory() as session, session.begin():
        yield session

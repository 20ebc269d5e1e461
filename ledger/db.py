"""Engines, sessions and schema migrations.

SQLite gets WAL, foreign keys and a busy timeout on every connection, so the
embedded default behaves under a worker and a CLI at once. The schema is
brought up to date by Alembic (``upgrade``), never by ``create_all``, so the
embedded database and a provincial Postgres follow the same migrations.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")


class DatabaseError(RuntimeError):
    """The database cannot be reached or is not at the expected schema."""


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA cache_size=-65536")  # 64 MB: bulk loads keep their indexes in memory
    cur.close()


def make_engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    event.listen(engine, "connect", _postgres_timeouts)
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


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision``."""
    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def open_ledger(url: str, *, migrate: bool = True) -> sessionmaker[Session]:
    """A session factory on an up-to-date schema.

    ``migrate=False`` is for deployments that run ``duban db upgrade`` as a
    separate step: an out-of-date schema is then an error, not a surprise
    migration by whichever worker starts first.
    """
    engine = make_engine(url)
    try:
        if migrate:
            upgrade(engine)
        elif current_revision(engine) != head_revision():
            have, want = current_revision(engine), head_revision()
            raise DatabaseError(
                f"数据库结构不是最新版本（当前 {have}，应为 {want}），请先运行 duban db upgrade"
            )
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

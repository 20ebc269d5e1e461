"""Shared fixtures: real databases (SQLite file, Postgres schema), the reference files."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pendulum
import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from duban.cli import app
from ledger.db import open_ledger
from plans.directory import Directory, read_directory

ROOT = Path(__file__).resolve().parent.parent
PLAN_001 = ROOT / "plans" / "zhongshan-2021.yaml"
UNITS_ZS = ROOT / "plans" / "units" / "zhongshan.csv"
PG_ENV = "DUBAN_TEST_DATABASE_URL"


def cli(*args: str) -> str:
    """Run a duban command in-process, wide enough that tables are not wrapped; it must succeed."""
    r = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    return r.output


def at(text: str) -> dt.datetime:
    """A Shanghai local time, as the UTC instant the ledger stores."""
    return pendulum.parse(text, tz="Asia/Shanghai").in_timezone("UTC")


@pytest.fixture
def ledger(database_url: str) -> sessionmaker[Session]:
    """The sample directory and the reference plan, loaded through the CLI."""
    cli("units", "import", str(UNITS_ZS))
    cli("plan", "load", str(PLAN_001))
    return open_ledger(database_url)


def zhongshan_directory() -> Directory:
    """The sample directory, which must read without a single problem."""
    df = read_directory(UNITS_ZS)
    assert df.problems == []
    assert df.jurisdiction == "中山市"
    return Directory.build(df.units, df.jurisdiction)


@pytest.fixture(autouse=True)
def duban_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data folder; nothing touches ~/.duban."""
    home = tmp_path / "home"
    monkeypatch.setenv("DUBAN_HOME", str(home))
    monkeypatch.delenv("DUBAN_DATABASE_URL", raising=False)
    monkeypatch.setenv("DUBAN_ACTOR", "pytest")
    return home


def _pg_schema_url(base: str) -> Iterator[str]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


pg_schema = contextmanager(_pg_schema_url)  # a scratch schema's URL, dropped afterwards


@contextmanager
def prefect_database(base: str) -> Iterator[str]:
    """A scratch database of Prefect's own (asyncpg URL), as an operator creates it
    (deploy/README.md); dropped afterwards."""
    name = f"prefect_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        host = base.split("://", 1)[1].rsplit("/", 1)[0]
        yield f"postgresql+asyncpg://{host}/{name}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A fresh, empty ledger database on each backend; also set as DUBAN_DATABASE_URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.db'}"
        monkeypatch.setenv("DUBAN_DATABASE_URL", url)
        yield url
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set: Postgres tests skipped (.ci/run sets it)")
    for url in _pg_schema_url(base):
        monkeypatch.setenv("DUBAN_DATABASE_URL", url)
        yield url

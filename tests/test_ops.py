"""What an operator relies on: only ``duban db upgrade`` moves the schema, a frozen
database stops every command and page within a bounded wait (and the pages recover by
themselves), ``/healthz`` turns red when someone must act, ``/metrics`` counts the
ledger's work, and a FIFO given as evidence is refused at once."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pendulum
import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session, sessionmaker

from flows.server import free_port
from flows.up import start_web
from ledger.db import head_revision, make_engine, open_ledger, transaction, upgrade
from ledger.models import Delivery, Plan
from tests.conftest import PLAN_001, ROOT, UNITS_ZS, cli
from tests.proxy import Proxy
from web import create_app
from web.health import last_sweep_due, sweep_checks


def duban(
    env: dict[str, str], *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The installed program (``duban.cli:main``), as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "duban", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def env_for(url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "DUBAN_DATABASE_URL": url, **extra}


def revision_of(url: str) -> str | None:
    with make_engine(url, wait=0).connect() as conn:
        return conn.scalar(text("SELECT version_num FROM alembic_version"))


# Schema: only db upgrade moves it


def test_only_db_upgrade_moves_an_existing_ledger(database_url: str) -> None:
    env = env_for(database_url)
    upgrade(make_engine(database_url, wait=0), "0011")  # a ledger of an older release
    r = duban(env, "status")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "落后于本机安装的 duban" in r.stderr and "duban db upgrade" in r.stderr
    assert "Traceback" not in r.stderr
    assert revision_of(database_url) == "0011"  # refused, not migrated
    r = duban(env, "db", "upgrade")
    assert r.returncode == 0, r.stderr
    assert f"已将数据库结构从版本 0011 升级到 {head_revision()}" in r.stdout
    assert revision_of(database_url) == head_revision()
    r = duban(env, "db", "upgrade")
    assert "无需升级" in r.stdout
    assert duban(env, "status").returncode == 0


def test_two_upgrades_started_together_run_one_after_the_other(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the advisory lock is Postgres's; SQLite has a single writer")
    upgrade(make_engine(database_url, wait=0), "0011")
    env = env_for(database_url)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "duban", "db", "upgrade"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    said = sorted(out for out, _ in results)
    assert "升级到" in said[0] + said[1] and "无需升级" in said[0] + said[1], said
    assert revision_of(database_url) == head_revision()


def test_a_ledger_newer_than_the_code_is_refused(database_url: str) -> None:
    cli("units", "import", str(UNITS_ZS))  # an empty ledger is created by its first command
    with make_engine(database_url, wait=0).begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    r = duban(env_for(database_url), "sweep", "--at", "2021-07-12T09:00")
    assert r.returncode == 3 and "比本机安装的 duban" in r.stderr, r.stderr
    assert "请把本机的 duban 升级" in r.stderr


def test_db_upgrade_says_it_created_the_ledger(database_url: str) -> None:
    r = duban(env_for(database_url), "db", "upgrade")
    assert r.returncode == 0 and f"已新建数据库结构（版本 {head_revision()}）" in r.stdout


# Hangs: a database that stops answering


class FreezingProxy(Proxy):
    """Forwards until told to freeze (or until the client sends ``freeze_on``), then
    holds every byte: the database neither answers nor refuses, as a frozen host."""

    def __init__(self, target: tuple[str, int], freeze_on: bytes | None = None) -> None:
        self.freeze_on = freeze_on
        self.frozen = threading.Event()
        self.thawed = threading.Event()
        super().__init__(target)

    def freeze(self) -> None:
        self.thawed.clear()
        self.frozen.set()

    def thaw(self) -> None:
        self.frozen.clear()
        self.thawed.set()

    def _pipe(self, src, dst) -> None:  # type: ignore[no-untyped-def,override]
        try:
            while data := src.recv(65536):
                if self.freeze_on and self.freeze_on in data:
                    self.freeze()
                if self.frozen.is_set():
                    self.thawed.wait()
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(2)


@pytest.fixture
def postgres_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("a frozen server is a Postgres case (SQLite has its busy timeout)")
    return database_url


@pytest.fixture
def loaded(postgres_url: str) -> str:
    cli("units", "import", str(UNITS_ZS))
    cli("plan", "load", str(PLAN_001))
    return postgres_url


def through(proxy: Proxy, url: str) -> str:
    return url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")


def test_a_sweep_stops_when_postgres_freezes_mid_run(loaded: str) -> None:
    """The proxy freezes when the sweep asks for its due milestones: no server-side
    timeout can fire. The sweep waits DUBAN_DB_WAIT seconds, says so, exits 3."""
    proxy = FreezingProxy(("127.0.0.1", 5432), freeze_on=b"next_action_at")
    try:
        r = duban(
            env_for(through(proxy, loaded), DUBAN_DB_WAIT="3"),
            "sweep",
            "--at",
            "2021-07-12T09:00",
            timeout=90,
        )
    finally:
        proxy.thaw()
        proxy.close()
    assert proxy.frozen.is_set() or proxy.thawed.is_set()
    assert r.returncode == 3, r.stdout + r.stderr
    assert "数据库 3 秒无响应" in r.stderr and "Traceback" not in r.stderr


def fetch(url: str) -> tuple[int, str, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=120) as r:
            return r.status, r.read().decode(), {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), {k.lower(): v for k, v in e.headers.items()}


@pytest.fixture
def served(loaded: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, FreezingProxy]]:
    monkeypatch.setenv("DUBAN_WEB_DB_WAIT", "2")
    proxy = FreezingProxy(("127.0.0.1", 5432))
    port = free_port()
    stop = start_web(create_app(open_ledger(through(proxy, loaded))), "127.0.0.1", port)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base}/login", timeout=2)
            break
        except OSError:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    try:
        yield base, proxy
    finally:
        proxy.thaw()
        stop()
        proxy.close()


def test_pages_answer_503_in_chinese_on_a_frozen_database_and_recover(
    served: tuple[str, FreezingProxy],
) -> None:
    base, proxy = served
    forged = f"{base}/u/{'x' * 32}"
    assert fetch(forged)[0] == 404  # the link is looked up in the ledger: a pooled connection
    proxy.freeze()
    status, body, headers = fetch(forged)
    assert status == 503, body
    assert "数据库暂时无法访问" in body and "请稍后刷新" in body
    assert headers.get("retry-after") == "30"
    assert "frame-ancestors 'none'" in headers.get("content-security-policy", "")
    status, body, _ = fetch(f"{base}/healthz")
    assert status == 503 and "数据库无法访问" in body
    proxy.thaw()
    assert fetch(forged)[0] == 404  # recovered by itself: no restart


# Health and metrics


@pytest.fixture
def app_url(ledger: sessionmaker[Session]) -> Iterator[str]:
    port = free_port()
    stop = start_web(create_app(ledger), "127.0.0.1", port)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base}/login", timeout=2)
            break
        except OSError:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    yield base
    stop()


def test_healthz_is_red_until_the_dispatcher_runs_and_again_on_a_dead_delivery(
    ledger: sessionmaker[Session], app_url: str
) -> None:
    status, body, _ = fetch(f"{app_url}/healthz")
    assert status == 503 and "发送进程超过 15 分钟没有成功运行" in body
    cli("sweep", "--at", "2021-07-12T09:00")
    cli("dispatch", "--at", "2021-07-12T09:05")
    status, body, _ = fetch(f"{app_url}/healthz")
    assert status == 200, body
    with transaction(ledger) as s:
        s.execute(
            update(Delivery)
            .where(Delivery.id == s.scalar(text("SELECT min(id) FROM deliveries")))
            .values(status="dead")
        )
    status, body, _ = fetch(f"{app_url}/healthz")
    assert status == 503 and "1 条消息已放弃发送" in body and "--retry-dead" in body


def test_metrics_count_the_ledger_and_the_pages(
    ledger: sessionmaker[Session], app_url: str
) -> None:
    cli("sweep", "--at", "2021-07-12T09:00")
    cli("dispatch", "--at", "2021-07-12T09:05")
    fetch(f"{app_url}/login")
    status, body, headers = fetch(f"{app_url}/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    assert 'duban_notices{channel="sms",status="sent"} 55.0' in body
    assert "duban_database_up 1.0" in body
    assert 'duban_job_last_run_ok{job="dispatch"} 1.0' in body
    assert 'duban_job_last_run_ok{job="sweep:*"} 1.0' in body
    assert (
        'duban_web_request_duration_seconds_count{method="GET",route="/login",status="200"}' in body
    )


def test_a_missed_sweep_is_due_from_the_last_working_day() -> None:
    def local(s: str) -> pendulum.DateTime:
        return pendulum.parse(s, tz="Asia/Shanghai")

    # Monday 08:00: the sweep last due was Friday's.
    assert last_sweep_due(local("2026-12-07T08:00")) == local("2026-12-04T09:00")
    # Monday 10:30: this morning's, once its hour of grace has passed.
    assert last_sweep_due(local("2026-12-07T10:30")) == local("2026-12-07T09:00")
    assert last_sweep_due(local("2026-12-07T09:30")) == local("2026-12-04T09:00")
    # National Day: from 10-01 to 10-08 nothing is due after 09-30.
    assert last_sweep_due(local("2026-10-08T08:00")) == local("2026-09-30T09:00")


# Evidence


def test_a_fifo_given_as_evidence_is_refused_at_once(
    ledger: sessionmaker[Session], tmp_path: Path
) -> None:
    fifo = tmp_path / "f.pdf"
    os.mkfifo(fifo)
    r = duban(
        dict(os.environ),
        "report",
        "zhongshan-2021-zwgk",
        "--unit",
        "市司法局",
        "--task",
        "t26",
        "--text",
        "已公开",
        "--file",
        str(fifo),
        timeout=60,
    )
    assert r.returncode == 1 and "不是普通文件" in r.stderr, r.stdout + r.stderr


# Logs


def test_the_web_logs_each_request_as_json_in_beijing_time(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "DUBAN_HOME": str(tmp_path / "home"), "DUBAN_LOG_FORMAT": "json"}
    env.pop("DUBAN_DATABASE_URL", None)
    log = tmp_path / "web.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "duban", "web", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    try:
        deadline = time.monotonic() + 60
        while fetch_quietly(f"http://127.0.0.1:{port}/login") != 200:
            assert time.monotonic() < deadline and proc.poll() is None, log.read_text()
            time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(30)
    lines = [
        json.loads(line)
        for line in log.read_text(encoding="utf-8").splitlines()
        if line.startswith("{")
    ]
    access = [e for e in lines if e["logger"] == "uvicorn.access" and "GET /login" in e["message"]]
    assert access, log.read_text()
    assert access[-1]["time"].endswith("+08:00") and " 200" in access[-1]["message"]


def fetch_quietly(url: str) -> int:
    try:
        return fetch(url)[0]
    except OSError:
        return 0


def test_a_supervised_plan_without_a_sweep_since_the_last_working_morning_is_red(
    ledger: sessionmaker[Session],
) -> None:
    """As of Tuesday 2021-07-13 10:30 the reference plan is supervised: its 09:00 sweep is
    due. Nothing has swept it: red, naming the plan and what to run; after a sweep: green."""
    now = pendulum.parse("2021-07-13T10:30", tz="Asia/Shanghai").in_timezone("UTC")
    with transaction(ledger) as s:
        s.execute(update(Plan).values(loaded_at=now.subtract(days=10)))
        (check,) = sweep_checks(s, now)
    assert not check.ok and "zhongshan-2021-zwgk 的每日巡检没有按时运行" in check.detail
    assert "2021-07-13 09:00" in check.detail and "duban sweep --plan" in check.detail
    cli("sweep", "--plan", "zhongshan-2021-zwgk", "--at", "2021-07-13T09:00")
    with transaction(ledger) as s:
        (check,) = sweep_checks(s, now)
    assert check.ok, check.detail

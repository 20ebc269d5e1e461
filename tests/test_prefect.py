"""Real Prefect: deployments compiled from the reference plan, and ``duban up`` end to end.

A Prefect server costs seconds to start, so the deployment tests share one per
session; the ``duban up`` test starts its own, as a user's would.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prefect import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterName,
    FlowRunFilter,
    FlowRunFilterDeploymentId,
)
from prefect.client.schemas.sorting import DeploymentSort, FlowRunSort
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import func, select

from flows.deploy import reconcile
from flows.server import LocalServer, free_port, start_server
from ledger.db import open_ledger, transaction
from ledger.models import Notification
from plans.compile import read_plan
from plans.model import PlanSpec
from tests.conftest import PLAN_001, UNITS_ZS

UTC = dt.UTC


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    server = start_server(tmp_path_factory.mktemp("prefect"))
    try:
        with temporary_settings(updates={PREFECT_API_URL: server.url}):
            yield server
    finally:
        server.stop()


def spec(text: str | None = None) -> PlanSpec:
    plan, _, problems = read_plan(PLAN_001, text)
    assert plan is not None, problems
    return plan


async def _schedules(name: str) -> tuple[str, list[tuple[str | None, object]]]:
    async with get_client() as client:
        dep = await client.read_deployment_by_name(name)
        return str(dep.id), [
            (s.slug, s.schedule) for s in await client.read_deployment_schedules(dep.id)
        ]


async def _backfill(dep_id: str, url: str, end: str = "2022-01-01") -> list[dt.datetime]:
    """Ask the server to create the runs of 2021 up to ``end`` (a backfill); read their times."""
    async with httpx.AsyncClient(base_url=url) as http:
        for _ in range(5):  # 503: the server's SQLite was locked; Prefect's own client retries
            r = await http.post(
                f"/deployments/{dep_id}/schedule",
                json={
                    "start_time": "2021-01-01T00:00:00Z",
                    "end_time": f"{end}T00:00:00Z",
                    "min_runs": 500,
                    "max_runs": 500,
                },
            )
            if r.status_code != 503:
                break
            await asyncio.sleep(2)
        r.raise_for_status()
    runs: list[dt.datetime] = []
    async with get_client() as client:
        while True:  # the server pages by at most 200
            page = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    deployment_id=FlowRunFilterDeploymentId(any_=[dep_id])
                ),
                sort=FlowRunSort.EXPECTED_START_TIME_ASC,
                limit=200,
                offset=len(runs),
            )
            runs += [fr.expected_start_time.astimezone(UTC) for fr in page]
            if len(page) < 200:  # Prefect's scheduler may have added today's next runs
                until = dt.datetime.fromisoformat(f"{end}T00:00:00+00:00")
                return [r for r in runs if r < until]


def test_deploy_compiles_a_small_constant_set_with_shanghai_times(
    prefect_server: LocalServer,
) -> None:
    r = reconcile([spec()])
    assert sorted(r.applied) == [
        "duban-check/zhongshan-2021-zwgk",
        "duban-dispatch/all",
        "duban-lookback/zhongshan-2021-zwgk",
        "duban-supervise/zhongshan-2021-zwgk",
    ]
    _, lookback = asyncio.run(_schedules("duban-lookback/zhongshan-2021-zwgk"))
    assert lookback == []  # the notice dates no 回头看: it runs by hand
    check_id, schedules = asyncio.run(_schedules("duban-check/zhongshan-2021-zwgk"))
    assert sorted(slug for slug, _ in schedules) == ["check-2021-09-20", "check-2021-12-20"]
    # 9月20日 and 12月20日 at 09:00 in Shanghai are 01:00 UTC.
    assert asyncio.run(_backfill(check_id, prefect_server.url)) == [
        dt.datetime(2021, 9, 20, 1, 0, tzinfo=UTC),
        dt.datetime(2021, 12, 20, 1, 0, tzinfo=UTC),
    ]
    # The 2021 plan ended long ago: no live 09:00 schedule that would sweep it overnight.
    _, schedules = asyncio.run(_schedules("duban-supervise/zhongshan-2021-zwgk"))
    assert schedules == []
    reconcile(
        [
            spec(
                PLAN_001.read_text(encoding="utf-8").replace(
                    "id: zhongshan-2021-zwgk", "id: zhongshan-2021-zwgk\nend: 2099-12-31", 1
                )
            )
        ]
    )
    sweep_id, schedules = asyncio.run(_schedules("duban-supervise/zhongshan-2021-zwgk"))
    ((slug, cron),) = schedules
    assert (slug, cron.cron, cron.timezone) == ("daily-0900", "0 9 * * *", "Asia/Shanghai")
    days = asyncio.run(_backfill(sweep_id, prefect_server.url, end="2021-01-15"))
    # Every day (the flow itself skips days off, so 调休 Saturdays still run) at 01:00 UTC.
    assert days == [dt.datetime(2021, 1, d, 1, 0, tzinfo=UTC) for d in range(1, 15)]


def test_redeploying_an_edited_plan_removes_stale_schedules(prefect_server: LocalServer) -> None:
    reconcile([spec()])
    text = PLAN_001.read_text(encoding="utf-8").replace("'2021-12-20'", "'2021-11-22'")
    r = reconcile([spec(text)])
    assert r.removed_schedules == ["duban-check/zhongshan-2021-zwgk#check-2021-12-20"]
    _, schedules = asyncio.run(_schedules("duban-check/zhongshan-2021-zwgk"))
    assert sorted(slug for slug, _ in schedules) == ["check-2021-09-20", "check-2021-11-22"]
    # Twice as many tasks: still three deployments for the plan (and the shared dispatcher).
    many = PLAN_001.read_text(encoding="utf-8")
    extra = many[many.index("- id: t01") :].replace("- id: t", "- id: x")
    assert len(reconcile([spec(many + extra)]).applied) == 3 + 1


async def _count_deployments(name: str) -> int:
    async with get_client() as client:
        return len(
            await client.read_deployments(
                deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[name])),
                limit=10,
                sort=DeploymentSort.NAME_ASC,
            )
        )


def notices(url: str) -> int:
    with transaction(open_ledger(url)) as s:
        return s.scalar(select(func.count()).select_from(Notification)) or 0


def test_up_serves_the_plan_and_stops_cleanly(duban_home: Path) -> None:
    exe = Path(sys.executable).with_name("duban")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    # The dispatcher runs by hand here: a live 5-minute run on today's clock could take
    # the 2021 notices first (dated today, SMS held in quiet hours), whenever the test runs.
    env |= {
        "DUBAN_HOME": str(duban_home),
        "DUBAN_DISPATCH_CRON": "off",
        "DUBAN_PUBLIC_URL": "https://duban.zs.example.cn",
    }  # no loopback-link alert
    for args in (["units", "import", str(UNITS_ZS)], ["plan", "load", str(PLAN_001)]):
        subprocess.run([exe, *args], env=env, check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen(
        [exe, "up", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api"
    try:
        with temporary_settings(updates={PREFECT_API_URL: url}):
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if asyncio.run(_count_deployments("zhongshan-2021-zwgk")) == 3:
                        break
                except Exception:  # the server is still starting
                    pass
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                time.sleep(1)
            run = run_deployment(
                "duban-supervise/zhongshan-2021-zwgk",
                parameters={"at": "2021-07-12T09:00"},
                timeout=120,
            )
            assert run.state is not None and run.state.is_completed(), run.state
            db = f"sqlite:///{duban_home / 'duban.db'}"
            assert notices(db) == 110  # reminder-5 of the filing, counted in test_supervise
            again = run_deployment(
                "duban-supervise/zhongshan-2021-zwgk",
                parameters={"at": "2021-07-12T09:00"},
                timeout=120,
            )
            assert again.state is not None and again.state.is_completed()
            assert notices(db) == 110
            # The shared dispatcher delivers them to the local outbox.
            sent = run_deployment(
                "duban-dispatch/all", parameters={"at": "2021-07-12T09:05"}, timeout=120
            )
            assert sent.state is not None and sent.state.is_completed(), sent.state
            assert len(list((duban_home / "outbox" / "sms").glob("*.json"))) == 55
            # A Sunday does nothing, even with work due: the sweep runs on working days.
            sunday = run_deployment(
                "duban-supervise/zhongshan-2021-zwgk",
                parameters={"at": "2021-07-18T09:00"},
                timeout=120,
            )
            assert sunday.state is not None and sunday.state.is_completed()
            assert notices(db) == 110
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert "已停止" in out
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/health", timeout=2)

"""The province path for real: Prefect's server on Postgres, a process work pool with two
workers started by hand, duban's deployments in that pool, two sweeps of each plan and
two dispatchers at the same moment, and every SMS counted at a loopback gateway.

Postgres only (``DUBAN_TEST_DATABASE_URL``): the ledger in a scratch schema, Prefect's
server in a scratch database of its own, both dropped afterwards.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from uuid import UUID

import pendulum
import pytest
import yaml
from prefect import get_client
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import func, select

from flows.server import start_server
from ledger.db import open_ledger, transaction
from ledger.models import Delivery, Notification
from tests.conftest import PG_ENV, PLAN_001, UNITS_ZS, pg_schema, prefect_database
from tests.receiver import Receiver

POOL = "duban-test"
BIN = Path(sys.executable).parent
SWEEP_AT = "2021-07-12T09:00"  # reminder-5 of the filing: 110 notices a plan (test_supervise)


def duban(env: dict[str, str], *args: str) -> str:
    r = subprocess.run([BIN / "duban", *args], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


async def _finish(ids: list[UUID], timeout: float = 420) -> dict[UUID, str]:
    """Wait until every flow run is final; their state names."""
    deadline = time.monotonic() + timeout
    async with get_client() as client:
        while True:
            runs = [await client.read_flow_run(i) for i in ids]
            if all(r.state and r.state.is_final() for r in runs) or time.monotonic() > deadline:
                return {r.id: r.state.name if r.state else "?" for r in runs}
            await asyncio.sleep(1)


async def _pools(ids: list[UUID]) -> set[str | None]:
    async with get_client() as client:
        return {(await client.read_flow_run(i)).work_pool_name for i in ids}


async def _workers() -> list[str]:
    async with get_client() as client:
        return sorted(w.name for w in await client.read_workers_for_work_pool(POOL))


def start_together(runs: list[tuple[str, dict[str, str]]]) -> list[UUID]:
    """Flow runs all scheduled for the same instant, a few seconds ahead."""
    when = pendulum.now("UTC").add(seconds=3)
    return [
        run_deployment(name, parameters=params, timeout=0, scheduled_time=when).id
        for name, params in runs
    ]


def test_two_workers_deliver_every_notice_exactly_once(tmp_path: Path) -> None:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set: the workers test needs Postgres (.ci/run sets it)")
    gateway = Receiver()
    url = gateway.start()
    home = tmp_path / "home"
    home.mkdir()
    (home / "channels.yaml").write_text(
        yaml.safe_dump(
            {
                "channels": {
                    "sms": {
                        "transport": "sms_gateway",
                        "url": f"{url}/send",
                        "success_field": "code",
                        "headers": {"Authorization": "Bearer {secret:SMS_TOKEN}"},
                    }
                }
            }
        ),
        encoding="utf-8",
    )
    second = tmp_path / "zhongshan-2021-copy.yaml"
    second.write_text(
        PLAN_001.read_text(encoding="utf-8").replace(
            "id: zhongshan-2021-zwgk", "id: zhongshan-2021-copy", 1
        ),
        encoding="utf-8",
    )
    procs: list[subprocess.Popen[bytes]] = []
    with prefect_database(base) as prefect_db, pg_schema(base) as ledger:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env |= {
            "DUBAN_HOME": str(home),
            "DUBAN_DATABASE_URL": ledger,
            "SMS_TOKEN": "t0ken",
            "DUBAN_DISPATCH_CRON": "off",
            "DUBAN_PUBLIC_URL": "https://duban.zs.example.cn",
        }  # no loopback-link alert
        duban(env, "units", "import", str(UNITS_ZS))
        for plan in (PLAN_001, second):
            duban(env, "plan", "load", str(plan))
        server = start_server(tmp_path, database_url=prefect_db, timeout=240)
        try:
            env |= server.env | {"PREFECT_WORKER_QUERY_SECONDS": "1"}
            subprocess.run(
                [BIN / "prefect", "work-pool", "create", POOL, "--type", "process"],
                env=env,
                check=True,
                capture_output=True,
            )
            for name in ("worker-a", "worker-b"):
                procs.append(
                    subprocess.Popen(
                        [BIN / "prefect", "worker", "start", "--pool", POOL, "--name", name],
                        env=env | {"PREFECT_LOGGING_LEVEL": "INFO"},
                        stdout=(tmp_path / f"{name}.log").open("wb"),
                        stderr=subprocess.STDOUT,
                        cwd=tmp_path,
                    )
                )
            for plan in (PLAN_001, second):
                assert f"工作池 {POOL}" in duban(env, "plan", "deploy", str(plan), "--pool", POOL)
            with temporary_settings(updates={PREFECT_API_URL: server.url}):
                deadline = time.monotonic() + 60
                while asyncio.run(_workers()) != ["worker-a", "worker-b"]:
                    assert time.monotonic() < deadline, "the two workers never reached the pool"
                    time.sleep(1)
                # Two sweeps of each plan and two dispatchers, all at the same moment.
                first = start_together(
                    [
                        (f"duban-supervise/{p}", {"at": SWEEP_AT})
                        for p in ("zhongshan-2021-zwgk", "zhongshan-2021-copy")
                        for _ in range(2)
                    ]
                    + [("duban-dispatch/all", {"at": "2021-07-12T09:05"})] * 2
                )
                states = asyncio.run(_finish(first))
                pools = asyncio.run(_pools(first))
                assert set(states.values()) == {"Completed"}, states
                # Whatever the race left for the next morning's digest goes then.
                drain = start_together([("duban-dispatch/all", {"at": "2021-07-13T09:05"})] * 2)
                assert set(asyncio.run(_finish(drain)).values()) == {"Completed"}
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(30)
            server.stop()
        assert pools == {POOL}
        with transaction(open_ledger(ledger, migrate=False)) as s:
            by_status = dict(
                s.execute(select(Notification.status, func.count()).group_by(Notification.status))
                .tuples()
                .all()
            )
            sms_keys = set(
                s.scalars(
                    select(Delivery.key).join(Notification).where(Notification.channel == "sms")
                )
            )
            sms_notices = s.scalar(
                select(func.count()).select_from(Notification).where(Notification.channel == "sms")
            )
    gateway.stop()
    # Four sweeps wrote each plan's notices once: 2 × 110, and every one was sent.
    assert by_status == {"sent": 220}
    assert sms_notices == 110
    # At the gateway: each delivery's key arrived exactly once, and nothing else did.
    seen = Counter(r.headers.get("idempotency-key") for r in gateway.requests)
    assert seen and set(seen.values()) == {1}
    assert set(seen) == sms_keys
    # One SMS a mobile a day (each key's serial is 1), however the race fell.
    assert all(key.endswith("/1") for key in seen)
    assert len({r.body.get("mobile") for r in gateway.requests}) == 55
    # Every run went through a worker of the pool. Both workers reach for the same runs;
    # the server lets one start each and aborts the other's submission.
    logs = {
        n: (tmp_path / f"{n}.log").read_text(errors="replace") for n in ("worker-a", "worker-b")
    }
    ran = {
        n: log.count("submitting flow run") - log.count("Aborted submission")
        for n, log in logs.items()
    }
    print(f"flow runs started per worker: {ran}")
    assert sum(ran.values()) == len(first) + len(drain) == 8

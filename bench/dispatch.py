"""Dispatch throughput against a loopback gateway that answers after 100 ms (and 0 ms).

Three ways to deliver the same notices to the same receiver (``tests/receiver.py``
in its own process, as a real SMS gateway is):

* duban: ``dispatch_now`` end to end: outbox claim, rendering, concurrent sends,
  recording of every attempt, on a SQLite ledger;
* apprise_sequential: a plain loop of ``apprise.Apprise.notify`` (``json://``);
* bare_client: a thread pool of ``requests`` sessions posting the payloads, the
  ceiling for HTTP from Python on this machine.

    python bench/dispatch.py [--notices 2000] [--workers 64]
    python bench/dispatch.py --postgres URL [--processes 1 2 4] [--notices 6000]

The second form measures scale-out: the same notices on a Postgres ledger (a scratch
schema) drained by 1, 2 and 4 ``duban dispatch`` processes started at once against the
receiver at 100 ms, timed from their start to the last one's exit (process start-up
included), with the ledger's counts of sent notices and of send attempts per delivery.

ends with ``dispatch latency_ms=100 duban=<n>/s apprise_sequential=<m>/s
bare_client=<c>/s ratio=<n/m> sent=<s>/<n> failed=<f> unknown=<u>``: the counts are
reported, not asserted, so a run on a busy machine still says what it measured. The
receiver listens with a backlog of 256 (``tests/receiver.py``) for the 64 senders.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import apprise  # noqa: E402
import pendulum  # noqa: E402
import requests  # noqa: E402
import yaml  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from ledger.db import open_ledger  # noqa: E402
from ledger.models import Notification, Unit  # noqa: E402

NOW = pendulum.datetime(2021, 7, 12, 10, 0, tz="Asia/Shanghai")


def start_receiver(latency: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.receiver", "0", str(latency)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def make_ledger(home: Path, url: str, n: int, database_url: str | None = None) -> list[dict]:
    """A ledger with the reference plan's units and ``n`` due notices, one per mobile."""
    os.environ["DUBAN_HOME"] = str(home)
    os.environ["DUBAN_DATABASE_URL"] = database_url or f"sqlite:///{home / 'ledger.db'}"
    os.environ["SMS_TOKEN"] = "bench-token"
    home.mkdir(parents=True, exist_ok=True)
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
    subprocess.run(
        [sys.executable, "-m", "duban", "units", "import", str(ROOT / "plans/units/zhongshan.csv")],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    factory = open_ledger(os.environ["DUBAN_DATABASE_URL"])
    with factory() as s, s.begin():
        unit_id = s.scalars(select(Unit.id).where(Unit.name == "市司法局")).one()
        ctx = {
            "plan": "zhongshan-2021-zwgk",
            "plan_title": "2021年政务公开工作要点",
            "item_title": "报送具体工作计划、措施备案",
            "unit": "市司法局",
            "to_unit": "市司法局",
            "person": "王晓明",
            "role": "leader",
            "due_date": "2021-07-19",
            "due_weekday": "星期一",
            "rung_name": "到期提醒",
            "next_rung_name": "催办通知",
            "next_at": "2021-07-20",
        }
        rows = [
            {
                "idempotency_key": f"bench/{i}",
                "unit_id": unit_id,
                "kind": "reminder",
                "step": "reminder-5",
                "channel": "sms",
                "recipient": f"139{i:08d}",
                "context": ctx,
                "status": "pending",
                "next_attempt_at": NOW.in_timezone("UTC"),
            }
            for i in range(n)
        ]
        s.execute(insert(Notification), rows)
    return rows


def run_duban(n: int, workers: int, url: str) -> tuple[float, str]:
    from notifications.dispatch import Settings
    from usecases.dispatch import dispatch_now

    with tempfile.TemporaryDirectory() as tmp:
        make_ledger(Path(tmp), url, n)
        started = time.perf_counter()
        r = dispatch_now(NOW, Settings(workers=workers))
        took = time.perf_counter() - started
    return n / took, f"sent={r.sent}/{n} failed={r.failed} unknown={r.unknown}"


def payloads(n: int) -> list[dict]:
    return [
        {
            "mobile": f"138{i:08d}",
            "content": f"【到期提醒】市司法局：“报送工作计划”将于"
            f"2021-07-19（星期一）到期，请按时报送。{i}",
        }
        for i in range(n)
    ]


def run_apprise(n: int, url: str) -> float:
    logging.getLogger("apprise").setLevel(logging.WARNING)  # one INFO line per send
    a = apprise.Apprise()
    a.add(url.replace("http://", "json://") + "/send")
    started = time.perf_counter()
    for p in payloads(n):
        assert a.notify(body=p["content"], title="到期提醒")
    return n / (time.perf_counter() - started)


def run_bare(n: int, workers: int, url: str) -> float:
    local = threading.local()

    def post(p: dict) -> None:
        s = getattr(local, "s", None) or requests.Session()
        local.s = s
        s.post(
            f"{url}/send", json=p, headers={"Idempotency-Key": p["mobile"]}, timeout=(3, 10)
        ).raise_for_status()

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(post, payloads(n)))
    return n / (time.perf_counter() - started)


def run_processes(postgres: str, n: int, processes: int, workers: int, url: str) -> str:
    """``processes`` dispatchers at once on one Postgres outbox; a bench line."""
    from sqlalchemy import func

    from bench.sweep import scratch
    from ledger.models import Delivery, DeliveryAttempt

    with tempfile.TemporaryDirectory() as tmp, scratch(postgres, tmp) as db:
        make_ledger(Path(tmp), url, n, db)
        started = time.perf_counter()
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "duban",
                    "dispatch",
                    "--at",
                    NOW.to_iso8601_string(),
                    "--workers",
                    str(workers),
                ],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )
            for _ in range(processes)
        ]
        codes = [p.wait() for p in procs]
        took = time.perf_counter() - started
        with open_ledger(db, migrate=False)() as s:
            status = dict(
                s.execute(select(Notification.status, func.count()).group_by(Notification.status))
                .tuples()
                .all()
            )
            deliveries = s.scalar(select(func.count()).select_from(Delivery)) or 0
            attempts = s.scalar(select(func.count()).select_from(DeliveryAttempt)) or 0
    others = ",".join(f"{k}={v}" for k, v in status.items() if k != "sent") or "none"
    return (
        f"dispatch processes={processes} notices={n} took={took:.1f}s rate={n / took:.0f}/s "
        f"sent={status.get('sent', 0)}/{n} other={others} deliveries={deliveries} "
        f"attempts={attempts} exit={codes}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--postgres", help="measure 1, 2 and 4 dispatcher processes on Postgres")
    ap.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--notices", type=int, default=2000)
    ap.add_argument(
        "--sequential",
        type=int,
        default=100,
        help="notices for the sequential apprise loop (it is slow)",
    )
    ap.add_argument("--workers", type=int, default=64)
    args = ap.parse_args()
    if args.postgres:
        proc, url = start_receiver(0.1)
        try:
            for p in args.processes:
                print(run_processes(args.postgres, args.notices, p, args.workers, url), flush=True)
        finally:
            proc.terminate()
        return
    results = {}
    for latency_ms in (0, 100):
        proc, url = start_receiver(latency_ms / 1000)
        try:
            duban, counts = run_duban(args.notices, args.workers, url)
            seq = run_apprise(args.sequential if latency_ms else args.notices // 2, url)
            bare = run_bare(args.notices, args.workers, url)
        finally:
            proc.terminate()
        results[latency_ms] = (duban, seq, bare, counts)
        print(
            f"latency_ms={latency_ms} notices={args.notices} workers={args.workers}: "
            f"duban {duban:.0f}/s, apprise sequential {seq:.0f}/s, bare client {bare:.0f}/s, "
            f"duban per notice {1000 / duban:.2f} ms, {counts}",
            flush=True,
        )
    duban, seq, bare, counts = results[100]
    print(
        f"dispatch latency_ms=100 duban={duban:.0f}/s apprise_sequential={seq:.1f}/s "
        f"bare_client={bare:.0f}/s ratio={duban / seq:.1f} {counts}"
    )


if __name__ == "__main__":
    main()

"""How fast the pages render: the board of the Chongqing plan and a unit's page.

    python bench/web.py [--rounds 20] [--postgres URL]

Loads the Chongqing directory and plan (174 tasks) into a scratch ledger (SQLite
in a temporary folder unless --postgres), sweeps it once on 2021-09-20 so the
board has every light, then times GET /p/<plan> (signed in as a coordinator)
and GET /u/<token> of the unit with the most milestones, through the real app
(FastAPI's test client: the HTTP layer without a socket). Prints the median and
the 90th percentile of each.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--postgres", default="")
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="duban-bench-web-")
    os.environ["DUBAN_HOME"] = home
    os.environ["DUBAN_DATABASE_URL"] = args.postgres or f"sqlite:///{home}/duban.db"

    from fastapi.testclient import TestClient
    from sqlalchemy import func, select
    from typer.testing import CliRunner

    from duban.cli import app as cli
    from ledger.db import open_ledger, transaction
    from ledger.links import issue
    from ledger.models import Milestone, Unit
    from ledger.users import add_user
    from tests.conftest import at
    from web import create_app
    from web.pages import offset_clock

    def run(*a: str) -> None:
        r = CliRunner().invoke(cli, list(a))
        assert r.exit_code == 0, r.output

    run("units", "import", str(ROOT / "plans" / "units" / "chongqing.csv"))
    run("plan", "load", str(ROOT / "plans" / "chongqing-2021.yaml"))
    run("sweep", "--at", "2021-09-20T09:00")
    factory = open_ledger(os.environ["DUBAN_DATABASE_URL"])
    with transaction(factory) as s:
        add_user(s, "bench", "coordinator", "benchmark-password", actor="bench")
        plan_key = s.scalar(select(func.min(Milestone.plan_id)))
        from ledger.models import Plan
        key = s.get_one(Plan, plan_key).key
        unit_id, count = s.execute(select(Milestone.unit_id, func.count()).group_by(
            Milestone.unit_id).order_by(func.count().desc())).first()  # type: ignore[misc]
        unit = s.get_one(Unit, unit_id)
        token = issue(s, unit, actor="bench", now=at("2021-09-20T10:00")).token
        milestones = s.scalar(select(func.count()).select_from(Milestone))
    web = TestClient(create_app(factory, clock=offset_clock(at("2021-09-20T10:00"))))
    csrf = re.search(r'name="csrf" value="([^"]+)"', web.get("/login").text).group(1)  # type: ignore[union-attr]
    web.post("/login", data={"name": "bench", "password": "benchmark-password", "csrf": csrf})

    def timed(path: str) -> list[float]:
        assert web.get(path).status_code == 200  # warm
        out = []
        for _ in range(args.rounds):
            t = time.perf_counter()
            r = web.get(path)
            out.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200
        return out

    board, page = timed(f"/p/{key}"), timed(f"/u/{token}")
    print(f"{platform.node()} {platform.processor() or platform.machine()} "
          f"python {platform.python_version()} "
          f"{'postgres' if args.postgres else 'sqlite'}; plan {key}: {milestones} milestones")
    for name, ms in ((f"board /p/{key}", board), (f"unit page ({unit.name}, {count} milestones)",
                                                   page)):
        ms.sort()
        print(f"{name}: median {statistics.median(ms):.0f} ms, "
              f"p90 {ms[int(len(ms) * 0.9) - 1]:.0f} ms over {len(ms)} requests")


if __name__ == "__main__":
    main()

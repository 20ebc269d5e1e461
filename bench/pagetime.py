"""Pages timed through the app in this process (no socket): a signed-in coordinator's
client on a ledger, and the median and p90 of repeated requests."""

from __future__ import annotations

import datetime as dt
import re
import statistics
import sys
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from ledger.db import transaction
from ledger.users import add_user


def signed_client(factory: sessionmaker[Session], now: dt.datetime) -> TestClient:
    """The app on ``factory`` with its clock at ``now``, signed in as a coordinator."""
    root = str(Path(__file__).resolve().parent.parent)  # duban's web, not bench/web.py
    sys.path.insert(0, root)
    from web import create_app
    from web.pages import offset_clock

    with transaction(factory) as s:
        add_user(s, "bench", "coordinator", "benchmark-password", actor="bench")
    client = TestClient(create_app(factory, clock=offset_clock(now)))
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    client.post(
        "/login",
        data={
            "name": "bench",
            "password": "benchmark-password",
            "csrf": csrf.group(1) if csrf else "",
        },
    )
    return client


def timed(client: TestClient, path: str, rounds: int) -> list[float]:
    """Milliseconds of ``rounds`` requests after one warm-up, sorted."""
    first = client.get(path)
    assert first.status_code == 200, (path, first.status_code, first.text[:300])
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        assert client.get(path).status_code == 200
        out.append((time.perf_counter() - t) * 1000)
    return sorted(out)


def line(name: str, ms: list[float]) -> str:
    return (
        f"{name}: median {statistics.median(ms):.0f} ms, "
        f"p90 {ms[max(0, int(len(ms) * 0.9) - 1)]:.0f} ms over {len(ms)} requests"
    )

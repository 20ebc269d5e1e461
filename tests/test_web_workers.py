"""``duban web --workers 2`` as an operator starts it: two processes on one ledger, where a
session opened on one is good on the other, a unit's form posted to either is taken,
and failed logins are counted once for both."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ledger.db import transaction
from ledger.models import Milestone, Report, Unit
from ledger.users import add_user
from tests.conftest import ROOT, cli

PLAN = "zhongshan-2021-zwgk"
PASSWORD = "correct horse 9"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def workers_of(pid: int) -> int:
    """How many worker processes the server runs under its parent (multiprocessing's
    resource tracker is not one)."""
    n = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = stat.read_text().rsplit(")", 1)[1].split()[1]
            command = stat.with_name("cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        n += parent == str(pid) and b"resource_tracker" not in command
    return n


@pytest.fixture
def site(ledger: sessionmaker[Session], database_url: str, duban_home: Path) -> Iterator[str]:
    cli("sweep", "--at", "2021-07-12T09:00")
    with transaction(ledger) as s:
        add_user(s, "王科长", "coordinator", PASSWORD, actor="test")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DUBAN_HOME": str(duban_home),
        "DUBAN_DATABASE_URL": database_url,
        "DUBAN_PUBLIC_URL": base,
    }
    env.pop("DUBAN_TRUSTED_PROXIES", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "duban",
            "web",
            "--port",
            str(port),
            "--workers",
            "2",
            "--at",
            "2021-07-12T10:00",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/login").status_code == 200 and workers_of(proc.pid) >= 2:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.1)
        assert workers_of(proc.pid) == 2
        yield base
    finally:
        proc.terminate()
        proc.wait(30)


def fresh(base: str) -> httpx.Client:
    """A browser that opens a new connection per request, so the requests spread over
    the workers."""
    return httpx.Client(base_url=base, limits=httpx.Limits(max_keepalive_connections=0))


def form_token(text: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', text).group(1)  # type: ignore[union-attr]


def test_two_workers_share_sessions_forms_and_login_limits(
    site: str, ledger: sessionmaker[Session]
) -> None:
    web = fresh(site)
    login = web.get("/login")
    r = web.post(
        "/login", data={"name": "王科长", "password": PASSWORD, "csrf": form_token(login.text)}
    )
    assert r.status_code == 303
    pages = [web.get("/") for _ in range(20)]
    assert all(p.status_code == 200 and "计划" in p.text for p in pages)
    token = re.search(
        r"/u/([A-Za-z0-9]{12})",  # type: ignore[union-attr]
        cli("links", "issue", "司法局", "--plan", PLAN),
    ).group(1)
    with transaction(ledger) as s:
        mid = s.scalars(
            select(Milestone.id)
            .join(Unit, Unit.id == Milestone.unit_id)
            .where(Unit.name == "市司法局", Milestone.state == "open")
            .order_by(Milestone.due_at, Milestone.id)
        ).first()
    unit = fresh(site)
    page = unit.get(f"/u/{token}")
    r = unit.post(
        f"/u/{token}/report",
        data={"csrf": form_token(page.text), "milestone": str(mid), "text": "已报备"},
        files=[("files", ("清单.pdf", b"%PDF-1.4", "application/pdf"))],
    )
    assert r.status_code == 303, r.text
    with transaction(ledger) as s:
        assert len(s.scalars(select(Report)).all()) == 1
    codes = []
    for n in range(11):
        guess = fresh(site)
        codes.append(
            guess.post(
                "/login",
                data={
                    "name": f"nobody{n}",
                    "password": "x" * 12,
                    "csrf": form_token(guess.get("/login").text),
                },
            ).status_code
        )
    assert codes == [401] * 10 + [429]

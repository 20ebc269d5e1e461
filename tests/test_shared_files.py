"""Several machines, one store of files: a 通报 rendered by a worker on one machine and a
unit's evidence uploaded to the pages of another are served by a web process on a
third, each with its own ``$DUBAN_HOME``, the share mounted under a path of its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ledger.db import open_ledger, transaction
from ledger.models import Document, Milestone, Report, Unit
from ledger.users import add_user
from tests.conftest import PLAN_001, UNITS_ZS, at, cli
from tests.test_board import PASSWORD, signed_in
from web import create_app
from web.pages import offset_clock, unit_csrf

PLAN = "zhongshan-2021-zwgk"


def machine(monkeypatch: pytest.MonkeyPatch, root: Path, name: str, share: Path) -> None:
    """Become machine ``name``: its own data folder, the share mounted at ``share``."""
    monkeypatch.setenv("DUBAN_HOME", str(root / name))
    monkeypatch.setenv("DUBAN_FILES", str(share))


def test_documents_and_evidence_are_served_from_the_shared_store(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    share = tmp_path / "nfs-export"
    share.mkdir()
    (tmp_path / "mnt").mkdir()
    elsewhere = tmp_path / "mnt" / "duban-files"  # the same share, mounted at another path
    elsewhere.symlink_to(share, target_is_directory=True)
    monkeypatch.setenv("DUBAN_LINK_SECRET", "shared by every machine of the install")

    machine(monkeypatch, tmp_path, "worker", share)  # the worker renders the documents
    cli("units", "import", str(UNITS_ZS))
    cli("plan", "load", str(PLAN_001))
    cli("sweep", "--at", "2021-07-20T09:00")
    cli("sweep", "--at", "2021-07-22T09:00")
    assert "通报〔2021〕1号" in cli("sweep", "--at", "2021-07-26T09:00")
    ledger = open_ledger(database_url)
    with transaction(ledger) as s:
        paths = s.scalars(select(Document.path_docx)).all()
        milestone = s.scalar(
            select(Milestone.id)
            .join(Unit, Unit.id == Milestone.unit_id)
            .where(Unit.name == "市司法局", Milestone.state == "open")
            .order_by(Milestone.due_at)
        )
        add_user(s, "王科长", "coordinator", PASSWORD, actor="test")
    assert paths and all(p and p.startswith("documents/") for p in paths), paths[:3]
    circular = next(share.glob(f"documents/{PLAN}/通报〔2021〕1号.docx"))
    assert not (tmp_path / "worker" / "documents").exists()  # nothing kept on the worker

    machine(monkeypatch, tmp_path, "web-a", share)  # a unit answers on one web machine
    found = re.search(r"/u/([A-Za-z0-9]{12})", cli("links", "issue", "司法局", "--plan", PLAN))
    assert found
    token = found.group(1)
    unit = TestClient(create_app(ledger, clock=offset_clock(at("2021-07-26T10:00"))))
    r = unit.post(
        f"/u/{token}/report",
        data={"milestone": str(milestone), "text": "已备案", "csrf": unit_csrf(token)},
        files={"files": ("备案表.pdf", b"%PDF-1.4 evidence", "application/pdf")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text

    machine(monkeypatch, tmp_path, "web-b", elsewhere)  # the coordinator reads on another
    office, _ = signed_in(create_app(ledger, clock=offset_clock(at("2021-07-26T11:00"))), "王科长")
    got = office.get(f"/p/{PLAN}/circular.docx")
    assert got.status_code == 200 and got.content == circular.read_bytes()
    with transaction(ledger) as s:
        report_id = s.scalar(select(Report.id))
    evidence = office.get(f"/files/{report_id}/0")
    assert evidence.status_code == 200 and evidence.content == b"%PDF-1.4 evidence"
    assert not (tmp_path / "web-b" / "evidence").exists()

"""The unit's side of the web: a link that opens one unit's work and nothing else, and a
report from it that stops the escalation exactly as `duban report` does."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ledger.db import transaction
from ledger.links import open_link
from ledger.models import AuditEvent, Milestone, Report, Unit
from tests.conftest import at, cli
from web import create_app
from web.pages import unit_csrf

PLAN = "zhongshan-2021-zwgk"


def link(unit: str) -> str:
    out = cli("links", "issue", unit, "--plan", PLAN)
    found = re.search(r"/u/([A-Za-z0-9]{12})", out)
    assert found, out
    return found.group(1)


def test_a_unit_link_shows_that_unit_only_and_takes_its_report(
    ledger: sessionmaker[Session],
) -> None:
    cli("sweep", "--at", "2021-07-12T09:00")
    sifa, shenwan = link("司法局"), link("神湾镇")
    web = TestClient(create_app(ledger))
    page = web.get(f"/u/{sifa}")
    assert page.status_code == 200 and "市司法局" in page.text
    assert "报送具体工作计划、措施备案" in page.text and "现行有效规章集中公开" in page.text
    assert "神湾镇" not in page.text
    with transaction(ledger) as s:
        theirs = s.scalars(
            select(Milestone.id)
            .join(Unit, Unit.id == Milestone.unit_id)
            .where(Unit.name == "神湾镇")
        ).first()
        mine = s.scalars(
            select(Milestone)
            .join(Unit, Unit.id == Milestone.unit_id)
            .where(Unit.name == "市司法局", Milestone.state == "open")
            .order_by(Milestone.due_at)
        ).first()
        assert mine is not None
        mine_id = mine.id
    # Another unit's milestone through this link: not found, nothing recorded.
    r = web.post(
        f"/u/{sifa}/report",
        follow_redirects=False,
        data={"milestone": theirs, "text": "冒名", "csrf": unit_csrf(sifa)},
    )
    assert r.status_code == 404
    # The unit's own report: recorded under its link, escalation stopped, shown escaped.
    r = web.post(
        f"/u/{sifa}/report",
        follow_redirects=False,
        data={
            "milestone": mine_id,
            "text": "<script>alert(1)</script>已报备",
            "url": "https://www.zs.gov.cn/gk/1",
            "csrf": unit_csrf(sifa),
        },
    )
    assert r.status_code == 303
    page = web.get(r.headers["location"])
    assert "已收到报送" in page.text and "已报送，等待审核" in page.text
    assert "<script>alert(1)" not in page.text
    with transaction(ledger) as s:
        m = s.get_one(Milestone, mine_id)
        assert m.state == "reported" and m.next_action_at is None
        report = s.scalars(select(Report)).one()
        assert report.evidence_urls == ["https://www.zs.gov.cn/gk/1"]
        actors = s.scalars(
            select(AuditEvent.actor).where(AuditEvent.action == "report.submit")
        ).all()
        assert actors == ["unit-link:市司法局"]
    assert "神湾镇" in web.get(f"/u/{shenwan}").text


def test_unknown_revoked_and_expired_links_open_nothing(ledger: sessionmaker[Session]) -> None:
    web = TestClient(create_app(ledger))
    assert web.get("/u/forged-token-0000").status_code == 404
    old = link("司法局")
    new = link("司法局")  # issuing again stops the old link
    gone = web.get(f"/u/{old}")
    assert gone.status_code == 410 and "停用" in gone.text and "市司法局" not in gone.text
    assert web.get(f"/u/{new}").status_code == 200
    assert "已停用 市司法局 的 1 个链接" in cli("links", "revoke", "司法局", "--plan", PLAN)
    assert web.get(f"/u/{new}").status_code == 410
    short = re.search(
        r"/u/([A-Za-z0-9]{12})", cli("links", "issue", "神湾镇", "--plan", PLAN, "--days", "1")
    ).group(1)
    assert web.get(f"/u/{short}").status_code == 200
    with transaction(ledger) as s:  # a day and a bit later
        from ledger.links import LinkError

        try:
            open_link(s, short, at("2099-01-01T00:00"))
            raise AssertionError("an expired link opened")
        except LinkError as exc:
            assert exc.status == 410 and "过期" in str(exc)


def test_a_link_is_short_and_only_its_hash_is_kept(ledger: sessionmaker[Session]) -> None:
    from ledger.models import UnitLink

    token = link("司法局")
    assert len(token) == 12  # fits an SMS
    with transaction(ledger) as s:
        stored = s.scalars(select(UnitLink.token_hash)).all()
    assert token not in "".join(stored) and len(stored[0]) == 64

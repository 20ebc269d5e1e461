"""The draft page: checkpoints and the plan's own fields can be corrected there, and the
review list is the one that stands after each saved fix."""

from __future__ import annotations

import re

import yaml
from sqlalchemy.orm import Session, sessionmaker

from ledger import config
from tests.test_board import signed_in, users
from web import create_app

NOTICE = """中山市人民政府办公室
中山市政务公开工作要点
2021年3月2日
一、深化政务公开
（一）推进决策公开。市司法局要严格落实重大行政决策目录管理制度，年底前公开目录。（牵头单位：市司法局；责任单位：各镇街）
（二）办好政府公报。提高公报质量，丰富传播渠道。（责任单位：市公报编辑部）
二、保障措施
（一）加强督促检查。市政府办公室每季度对各单位落实情况开展督查，督查结果在全市通报。
（二）按时报送进展。县(区)政府于6月30日前将上半年工作进展情况报送市政府办公室。
"""


def _review(text: str) -> list[str]:
    """The review list as the page shows it."""
    m = re.search(r"<summary>待核对 (\d+) 处.*?</summary><ul>(.*?)</ul>", text, re.S)
    if not m:
        return []
    lines = re.findall(r"<li>(.*?)</li>", m.group(2), re.S)
    assert int(m.group(1)) == len(lines)  # the count is today's
    return [re.sub(r"<[^>]+>", "", line) for line in lines]


def test_checkpoints_and_the_plan_id_are_fixed_on_the_page_and_the_review_list_follows(
    ledger: sessionmaker[Session],
) -> None:
    users(ledger)
    web, csrf = signed_in(create_app(ledger), "王科长")
    made = web.post(
        "/import",
        follow_redirects=False,
        data={"csrf": csrf, "jurisdiction": "中山市", "text": NOTICE},
    )
    draft = made.headers["location"]
    page = web.get(draft).text
    # the plan's id and year, and every checkpoint with its units, kind and deadline
    assert re.search(r'name="id" value="plan-2021-[0-9a-f]{6}"', page)
    assert 'name="year" value="2021"' in page
    assert 'name="cp02.units" value="县(区)政府"' in page and 'name="cp02.due"' in page
    assert 'name="cp01.units" value=""' in page  # the coordinator's own check: no one to chase
    before = _review(page)
    assert any("“县(区)政府”不在单位名录中" in line for line in before)
    assert any("“市公报编辑部”不在单位名录中" in line for line in before)
    # fixes saved: the checkpoint's unit, the task it was read with, another task's unit,
    # and the plan gets a name
    saved = web.post(
        draft,
        data={
            "csrf": csrf,
            "id": "zs-2021-yd",
            "action": "save",
            "cp02.units": "各镇街",
            "t004.units": "各镇街",
            "t002.units": "市政府办公室",
        },
    ).text
    after = _review(saved)
    assert not any("不在单位名录中" in line for line in after), after
    assert len(after) == len(before) - 2
    assert after == _review(web.get(draft).text)  # the list stays as it now stands
    folder = config.home() / "drafts" / draft.rsplit("/", 1)[1]
    text = (folder / "plan.yaml").read_text(encoding="utf-8")
    assert f"# 待核对 {len(after)} 处：" in text and "不在单位名录中" not in text
    plan = yaml.safe_load(text)
    assert plan["id"] == "zs-2021-yd"
    cp02 = plan["checkpoints"][1]
    assert cp02["units"] == ["各镇街"] and "核对[units]" in cp02["note"]
    # deadlines are shown and typed in a notice's words, kept as rules in the plan
    assert 'name="t001.due" value="2021-12-31"' in page
    assert 'name="cp01.due" value="每季度末"' in page and "quarterly:end" not in page
    web.post(
        draft,
        data={
            "csrf": csrf,
            "action": "save",
            "cp01.due": "每季度末",
            "t002.due": "持续推进、次年1月20日前",
        },
    )
    plan = yaml.safe_load((folder / "plan.yaml").read_text(encoding="utf-8"))
    assert plan["checkpoints"][0]["due"] == ["quarterly:end"]  # shown words, unchanged
    assert plan["tasks"][1]["due"] == ["ongoing", "2022-01-20"]
    assert "核对[due" in plan["tasks"][1]["note"] or "核对[units,due]" in plan["tasks"][1]["note"]
    # a doubted field read right is confirmed without a change: its line goes too
    left = len(after)
    confirmed = web.post(draft, data={"csrf": csrf, "action": "save", "ok.plan": "1"}).text
    assert len(_review(confirmed)) <= left
    assert "王科长" in web.get("/import").text and "web:王科长" not in web.get("/import").text

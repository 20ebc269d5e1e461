"""The notice importer on the five seeds (scored by shared/eval/score.py) and on
notices in other layouts written here: a 序号|工作任务|牵头单位|配合单位|完成时限
table (text and .docx), inline "X牵头，Y配合", and （牵头单位：…；责任单位：…） clauses."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import docx
import pytest
import yaml
from typer.testing import CliRunner

from duban.cli import app
from plans.cn_dates import read_dues
from plans.directory import Directory, read_directory
from plans.importer import REVIEWED, NoticeProblem, diff_plans, draft_plan, extract
from tests.conftest import PLAN_001, ROOT, cli

SHARED = ROOT.parent / "shared"
SEEDS = sorted((SHARED / "seeds").glob("*.txt"))

OWN = """宁安市人民政府办公室文件
宁政办发〔2022〕7号
宁安市人民政府办公室
关于印发宁安市2022年政务公开重点任务分工的通知
各乡镇人民政府，市政府各部门：
现将《宁安市2022年政务公开重点任务分工》印发给你们。各单位要结合实际制定任务清单，在本通知印发后十个工作日内报市政府办公室备案，并在30个工作日内于政府网站公开。市政府办公室将于9月20日、12月20日对落实情况进行检查。
宁安市人民政府办公室
二〇二二年三月十五日
宁安市2022年政务公开重点任务分工
一、深化重点领域信息公开
（一）公开财政预决算信息，二〇二二年六月底前完成部门预算公开。（牵头单位：市财政局；责任单位：市政府各部门）
（二）做好义务教育招生信息公开，由市教育局牵头，各乡镇人民政府配合，每年至少开展1次专项检查。
二、提升政策解读质量
（三）重要政策文件出台后３个工作日内发布解读材料，持续推进图解、视频解读。（责任单位：市政府办公室、市司法局）
"""

TABLE = [
    ["序号", "工作任务", "牵头单位", "配合单位", "完成时限"],
    [
        "1",
        "编制并公开本级政务公开事项标准目录",
        "市政府办公室",
        "各乡镇人民政府、市政府各部门",
        "2022年9月30日前",
    ],
    ["2", "开展政府网站和政务新媒体季度检查", "市政府办公室", "市委网信办", "每季度末"],
    ["3", "集中公开现行有效的规范性文件", "市司法局", "市政府各部门", "年底前"],
]


FIELDS = """江口县人民政府办公室
江府办发〔2023〕9号
江口县人民政府办公室关于印发江口县2023年政务公开重点工作任务分工的通知
各乡镇人民政府、街道办事处，县政府各部门：
现将《江口县2023年政务公开重点工作任务分工》印发给你们，请认真贯彻落实。各单位于2023年12月15日前将全年工作完成情况书面报县政府办公室。
江口县人民政府办公室
2023年4月3日
江口县2023年政务公开重点工作任务分工
一、重点领域信息公开
1.推进财政预决算公开，细化公开到功能分类项级科目。
责任单位：县财政局
完成时限：2023年6月底前
2.做好义务教育招生入学政策公开。
牵头单位：县教育局 配合单位：各乡镇人民政府
完成时限：2023年8月31日前
3.公开重大建设项目批准和实施信息（县发展改革局负责，持续推进）。
二、政策解读
4.县政府常务会议审议通过的政策文件，在印发后3个工作日内发布解读材料（县政府各部门负责）。
"""


def _scores(pred: Path) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            str(SHARED / "eval" / "score.py"),
            str(SHARED / "eval" / "gold"),
            str(pred),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout[: out.stdout.rindex("}") + 1])["TOTAL"]


@pytest.mark.skipif(not SEEDS, reason="../shared/seeds is not next to this checkout")
def test_the_seeds_score_above_the_bars(tmp_path: Path) -> None:
    for seed in SEEDS:
        cli("import", str(seed), "--json", str(tmp_path / f"{seed.stem}.json"))
    total = _scores(tmp_path)
    assert total["item_recall"] >= 0.97
    assert total["unit_f1"] >= 0.93
    assert total["due_acc"] >= 0.90
    assert total["task_precision"] >= 0.95
    assert total["meta_acc"] >= 0.95
    assert total["checkpoint_recall"] >= 0.85


def test_own_layout_clauses_and_inline_roles(tmp_path: Path) -> None:
    notice = tmp_path / "ningan.txt"
    notice.write_text(OWN, encoding="utf-8")
    ex = extract(notice)
    meta = {k: v.value for k, v in ex.meta.items()}
    assert meta["doc_no"] == "宁政办发〔2022〕7号"
    assert meta["issuer"] == "宁安市人民政府办公室"
    assert str(meta["issued"]) == "2022-03-15" and meta["year"] == 2022
    t1, t2, t3 = ex.tasks
    assert (t1.lead, t1.units, [d.value for d in t1.due]) == (
        ["市财政局"],
        ["市政府各部门"],
        ["2022-06-30"],
    )
    assert (t2.lead, t2.units, [d.value for d in t2.due]) == (
        ["市教育局"],
        ["各乡镇人民政府"],
        ["yearly:1"],
    )
    assert t3.units == ["市政府办公室", "市司法局"]
    assert [d.value for d in t3.due] == ["+3wd@event", "ongoing"]
    assert t1.section == ["一、深化重点领域信息公开"]
    cps = {(c.kind, tuple(d.value for d in c.due)) for c in ex.checkpoints}
    assert ("list", ("+10wd@issued",)) in cps
    assert ("publish", ("+30wd@issued",)) in cps  # the second clause, from the same anchor
    assert ("check", ("2022-09-20", "2022-12-20")) in cps


def test_a_docx_table_is_read_by_its_columns(tmp_path: Path) -> None:
    d = docx.Document()
    for text in (
        "宁政办发〔2022〕8号",
        "宁安市人民政府办公室",
        "2022年4月1日",
        "宁安市2022年政务公开工作任务分工方案",
    ):
        d.add_paragraph(text)
    table = d.add_table(rows=len(TABLE), cols=5)
    for r, row in enumerate(TABLE):
        for c, cell in enumerate(row):
            table.cell(r, c).text = cell
    path = tmp_path / "ningan.docx"
    d.save(str(path))
    ex = extract(path)
    assert [(t.text, t.lead, t.units, [x.value for x in t.due]) for t in ex.tasks] == [
        (
            "编制并公开本级政务公开事项标准目录",
            ["市政府办公室"],
            ["各乡镇人民政府", "市政府各部门"],
            ["2022-09-30"],
        ),
        ("开展政府网站和政务新媒体季度检查", ["市政府办公室"], ["市委网信办"], ["quarterly:end"]),
        ("集中公开现行有效的规范性文件", ["市司法局"], ["市政府各部门"], ["2022-12-31"]),
    ]
    assert ex.tasks[0].where == "表1第2行"
    sources = ex.as_format()["tasks"][0]["sources"]
    assert sources == {"text": "表1第2行第2列", "units": "表1第2行第3、4列", "due": "表1第2行第5列"}


def test_a_document_without_tasks_fails_clearly(tmp_path: Path) -> None:
    letter = tmp_path / "letter.txt"
    letter.write_text(
        "关于召开座谈会的通知\n请于明天上午参加会议。\n市政府办公室\n2022年3月1日\n",
        encoding="utf-8",
    )
    r = CliRunner().invoke(app, ["import", str(letter)])
    assert r.exit_code == 1 and "没有识别出任何任务条目" in r.output
    assert not (Path.cwd() / "letter.plan.yaml").exists()


@pytest.mark.parametrize(
    ("words", "due"),
    [
        ("2021年5月31日前完成", ["2021-05-31"]),
        ("２０２１年６月３０日前", ["2021-06-30"]),
        ("二〇二一年十二月二十日前", ["2021-12-20"]),
        ("9月底前建成", ["2021-09-30"]),
        ("次年1月底前报送", ["2022-01-31"]),
        ("上半年完成", ["2021-06-30"]),
        ("在本方案公布后10个工作日内报备案", ["+10wd@issued"]),
        ("自收到申请之日起20个工作日内答复", ["+20wd@event"]),
        ("最迟要在5小时内发布权威信息", ["+5h@event"]),
        ("每月20日—23日开展检查", ["monthly:20-23"]),
        ("双月份20日前报送", ["bimonthly:20"]),
        ("每季度末月底召开", ["quarterly:end"]),
        ("主要负责同志每年至少听取一次汇报", ["yearly:1"]),
        ("每年通过新闻发布形式开展政策解读不少于4次", ["yearly:4"]),
        ("每年开展规范性文件清理", ["yearly:1"]),
        ("受理单位答复申请人当日录入", ["+0d@event"]),
        (
            "在本方案公布后10个工作日内报备案，并在30个工作日内于政府网站公开",
            ["+10wd@issued", "+30wd@issued"],
        ),
        (
            "在本方案公布后10个工作日内报市政府办公室(政务公开科)备案，并在30个工作日内于政府网站公开",
            ["+10wd@issued", "+30wd@issued"],
        ),  # the anchor lies beyond 30 characters back
        (
            "本方案印发后10个工作日内报备，自收到申请之日起20个工作日内答复",
            ["+10wd@issued", "+20wd@event"],
        ),
        ("到2025年底前，完成首轮调查", ["2025-12-31"]),  # one 年 for the year and 年底
        ("2023年年底前完成", ["2023-12-31"]),
        ("力争到2022年，基本建成", ["2022-12-31"]),  # a target year past the plan year
        ("到2022年6月底前完成", ["2022-06-30"]),
        ("今年内完成清理", ["2021-12-31"]),
        ("年内完成", ["2021-12-31"]),
        ("全年内各季度均要报送", []),
    ],
)
def test_deadline_wordings(words: str, due: list[str]) -> None:
    assert [d.value for d in read_dues(words, 2021)] == due


def test_a_garbled_date_is_read_and_flagged_when_it_reads_two_ways() -> None:
    (d,) = read_dues("2021531日前完成", 2021)  # only 5-31 is a date: read, not flagged
    assert (d.value, d.certain) == ("2021-05-31", True)
    (d,) = read_dues("在20216月底前更新", 2021)  # 年 lost before a month end
    assert (d.value, d.certain) == ("2021-06-30", True)
    (d,) = read_dues("2022115日前报送", 2021)  # 01-15 or 11-05
    assert (d.value, d.certain) == ("2022-01-15", False)


POINTS = """临川县政务公开领导小组办公室
临川县2023年政务公开工作要点
2023年3月2日
一、深化政务公开
（一）推进决策公开。县政府各部门要严格落实重大行政决策目录管理制度，年底前公开目录。各乡镇人民政府要完善公众参与机制。
（二）做好政策解读。紧紧围绕县委中心工作，加强解读。县融媒体中心负责做好政策宣传。
（三）办好政府公报。提高公报质量，丰富传播渠道。
二、保障措施
（一）加强督促检查。县政府办公室每季度对各单位落实情况开展督查，督查结果在全县通报。
（二）按时报送进展。各单位于6月30日前将上半年工作进展情况报送县政府办公室，于12月10日前报送全年工作总结。
（三）加强统筹协调。建立政务公开联席会议制度，每半年召开一次联席会议，由县政府办公室牵头，县委网信办、县数据局参加。
"""


def test_actors_named_in_sentences_and_checkpoints_in_safeguards(tmp_path: Path) -> None:
    """A 工作要点 without unit clauses: units are the sentences' subjects (flagged for
    review); the 保障措施 section holds the plan's checks, reports and meetings."""
    notice = tmp_path / "linchuan.txt"
    notice.write_text(POINTS, encoding="utf-8")
    ex = extract(notice)
    t1, t2, t3 = ex.tasks[:3]
    assert t1.units == ["县政府各部门", "各乡镇人民政府"] and t1.lead == []
    assert t2.units == ["县融媒体中心"]
    assert t3.units == []  # no actor named: left for the review, never guessed
    assert any("句中主语" in r.what for r in ex.review)
    assert any("条目没有责任单位" in r.what for r in ex.review)
    cps = [(c.kind, [d.value for d in c.due]) for c in ex.checkpoints]
    assert ("check", ["quarterly:end"]) in cps
    assert ("report", ["2023-06-30"]) in cps
    assert ("report", ["2023-12-10"]) in cps
    assert ("meeting", ["semiannual:end"]) in cps
    assert not any(c.kind == "publish" and "公报" in c.text for c in ex.checkpoints)


def test_a_sentence_is_a_task_deadline_or_a_checkpoint_never_both(tmp_path: Path) -> None:
    """A sentence read as a plan-wide checkpoint keeps its deadline there only: units are
    not chased twice for it, and the coordinator's own quarterly check is no deadline
    for anyone (its checkpoint names no unit)."""
    notice = tmp_path / "linchuan.txt"
    notice.write_text(POINTS, encoding="utf-8")
    plan = draft_plan(extract(notice))
    check, report, summary, _ = plan["checkpoints"]
    assert (check["due"], check["units"]) == (["quarterly:end"], [])
    assert report["units"] == summary["units"] == ["各单位"]
    tasks = {t["text"][:10]: t for t in plan["tasks"]}
    assert tasks["(一)推进决策公开。"]["due"] == ["2023-12-31"]  # a task's own deadline
    for title, cps in (
        ("(一)加强督促检查。", "cp01"),
        ("(二)按时报送进展。", "cp02、cp03"),
        ("(三)加强统筹协调。", "cp04"),
    ):
        assert tasks[title]["due"] == [], title
        assert f"检查节点 {cps}，期限见该节点" in tasks[title]["note"]
    due = {(t["id"], d) for t in plan["tasks"] for d in t["due"]}
    assert not {d for _, d in due} & {"quarterly:end", "2023-06-30", "semiannual:end"}


NOTICES = Path(__file__).parent / "notices"
CQ_PLAN = ROOT / "plans" / "chongqing-2021.yaml"
CQ_NOTICE = ROOT / "plans" / "notices" / "chongqing-2021.txt"
CQ_UNITS = ROOT / "plans" / "units" / "chongqing.csv"


def test_an_html_page_with_a_rowspan_table(tmp_path: Path) -> None:
    """A web page in traditional characters, with navigation, a script, spam and a
    5-column table whose 工作任务 and 牵头单位 cells span rows."""
    ex = extract(NOTICES / "qingxi-2023.html")
    meta = {k: v.value for k, v in ex.meta.items()}
    assert (meta["doc_no"], meta["issuer"], str(meta["issued"]), meta["year"]) == (
        "青府办函〔2023〕12号",
        "青溪市人民政府办公室",
        "2023-03-08",
        2023,
    )
    assert [(t.section, t.lead, t.units, [d.value for d in t.due]) for t in ex.tasks] == [
        (["推进决策公开"], ["市司法局"], ["市政府各部门"], ["2023-06-30"]),
        (["推进决策公开"], ["市司法局"], ["市政府各部门"], ["ongoing"]),  # spanned lead
        (["加强政策解读"], ["市政府办公室"], ["市政府各部门", "各镇人民政府"], ["ongoing"]),
    ]
    assert not any("var nav" in t.text or "版权" in t.text for t in ex.tasks)
    cps = {(c.kind, tuple(d.value for d in c.due)) for c in ex.checkpoints}
    assert cps == {("list", ("+10wd@issued",)), ("check", ("2023-06-30", "2023-11-30"))}


def _directory(path: Path) -> Directory:
    df = read_directory(path)
    assert not df.errors
    return Directory.build(df.units, df.jurisdiction or "")


OWNED = re.compile(r"已作为检查节点 ([cp\d、]+)")


def test_reimporting_chongqing_differs_only_in_reviewed_fields() -> None:
    """The committed plan is the importer's draft of the 2021 Chongqing notice after a
    person worked through its review list: every field a note marks 核对[…] was changed
    by hand, every other extracted field is exactly what a fresh import reads."""
    ex = extract(CQ_NOTICE, _directory(CQ_UNITS))
    fresh = draft_plan(ex, "units/chongqing.csv")
    plan = yaml.safe_load(CQ_PLAN.read_text(encoding="utf-8"))
    for f in ("title", "doc_no", "issuer", "issued", "year", "recipients", "directory"):
        assert str(plan[f]) == str(fresh[f]), f
    changed = 0
    for kind in ("checkpoints", "tasks"):
        assert [x["id"] for x in plan[kind]] == [x["id"] for x in fresh[kind]]
        for mine, new in zip(plan[kind], fresh[kind], strict=True):
            m = REVIEWED.search(mine.get("note") or "")
            reviewed = set(m.group(1).split(",")) if m else set()
            for f in ("text", "section", "lead", "units", "due", "path", "kind"):
                if f in reviewed:
                    assert mine.get(f) != new.get(f), (mine["id"], f, "marked but unchanged")
                    changed += 1
                elif f == "due" and (owned := OWNED.search(new.get("note") or "")):
                    # the plan predates the rule that a sentence read as a checkpoint
                    # gives its deadline to the checkpoint alone
                    moved = {
                        d
                        for c in fresh["checkpoints"]
                        if c["id"] in owned.group(1)
                        for d in c["due"]
                    }
                    assert [d for d in mine[f] if d not in moved] == new[f], (mine["id"], f)
                else:
                    assert mine.get(f) == new.get(f), (mine["id"], f)
    assert changed >= 30  # the review was real work: 7 unit names, 2 per-case spans …
    # every unit name the importer could not place is gone from the reviewed plan
    unknown = {
        re.search(r"单位“(.+?)”不在单位名录中", r.what).group(1)  # type: ignore[union-attr]
        for r in ex.review
        if "不在单位名录中" in r.what
    }
    assert len(unknown) == 7
    used = {u for x in plan["tasks"] + plan["checkpoints"] for u in x.get("lead", []) + x["units"]}
    assert not unknown & used
    out = cli(
        "plan", "validate", str(CQ_PLAN), "--units", str(CQ_PLAN.parent / "units" / "chongqing.csv")
    )
    assert "校验通过" in out and "174 项任务" in out


def test_the_draft_validates_once_its_review_items_are_resolved(tmp_path: Path) -> None:
    """``duban import --units`` names each unknown unit with the closest known name;
    ``duban plan validate`` fails on exactly those names, and passes once a coordinator
    has replaced them."""
    notice = tmp_path / "ningan.txt"
    notice.write_text(OWN, encoding="utf-8")
    units = tmp_path / "units.csv"
    units.write_text(
        "单位名称,别名,类型,所属分组\n"
        "市政府办公室,宁安市人民政府办公室,部门,市政府各部门\n"
        "市财政局,,部门,市政府各部门\n"
        "市教育局,,部门,市政府各部门\n"
        "宁安市司法局,,部门,市政府各部门\n"
        "东城镇人民政府,,镇街,各乡镇人民政府\n",
        encoding="utf-8",
    )
    draft = tmp_path / "ningan.yaml"
    out = cli("import", str(notice), "--units", str(units), "--out", str(draft))
    assert "单位“市司法局”不在单位名录中，最接近的是“宁安市司法局”" in out
    text = draft.read_text(encoding="utf-8")
    assert text.startswith("# 由 duban import 生成的计划草稿")
    assert "#   - 第" in text and "directory: units.csv" in text
    r = CliRunner().invoke(
        app, ["plan", "validate", str(draft), "--units", str(units)], env={"COLUMNS": "200"}
    )
    assert r.exit_code != 0
    errors = [ln for ln in r.output.splitlines() if "错误:" in ln]
    assert errors and all("市司法局" in ln for ln in errors)
    draft.write_text(text.replace("- 市司法局", "- 宁安市司法局"), encoding="utf-8")
    assert "校验通过" in cli("plan", "validate", str(draft), "--units", str(units))


def test_diff_shows_what_a_reissued_notice_changes(tmp_path: Path) -> None:
    """``duban import --diff PLAN NOTICE``: a changed date, a reworded item and a new
    item are listed; the hand-reviewed fields of the plan are kept, and counted."""
    same = cli("import", str(CQ_NOTICE), "--units", str(CQ_UNITS), "--diff", str(CQ_PLAN))
    # the committed plan predates the rule that a sentence read as a checkpoint gives its
    # deadline to the checkpoint alone: the three deadlines that move are all it lists
    assert [line for line in same.splitlines() if line.startswith("~")] == [
        "~ 任务 t163（3.依法规范开展政府信息公开工作考核评估…） 期限：yearly:1 → 无",
        "~ 任务 t170（3.对照《任务分工》,进一步细化工作任务…） 期限：2021-05-31 → 无",
        "~ 任务 t173（6.《任务分工》完成情况于2022115…） 期限：2022-01-15 → 无",
    ]
    assert "人工核对过的字段" in same
    text = CQ_NOTICE.read_text(encoding="utf-8")
    changed = tmp_path / "chongqing-2021-revised.txt"
    changed.write_text(
        text.replace("2022115日前报市政府办公厅", "2022年1月20日前报市政府办公厅").replace(
            "\n公开本区县法定国土空间规划", "\n公开本区县法定国土空间详细规划"
        )
        + "\n8.建立政务公开联络员制度,于2021年6月15日前报送联络员名单。\n",
        encoding="utf-8",
    )
    out = cli("import", str(changed), "--units", str(CQ_UNITS), "--diff", str(CQ_PLAN))
    assert "~ 检查节点 cp09" in out and "期限：2022-01-15 → 2022-01-20" in out
    assert "~ 任务 t008" in out and "内容有改动" in out
    assert "+ 新增任务：8.建立政务公开联络员制度" in out
    assert "- 删除" not in out


def test_targets_table_is_read_and_its_total_checked(tmp_path: Path) -> None:
    notice = tmp_path / "targets.txt"
    notice.write_text(
        OWN + "附件\n2022年政府信息公开目标任务\n"
        "单位 | 目标任务条数 | 单位 | 目标任务条数 |\n"
        "市财政局 | 120 | 东城镇 | 80 |\n市教育局 | 100 | 工业园区 | 60 |\n"
        "合计 | 370 | | |\n",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert [(g.unit, g.count, g.metric) for g in ex.targets] == [
        ("市财政局", 120, "目标任务条数"),
        ("东城镇", 80, "目标任务条数"),
        ("市教育局", 100, "目标任务条数"),
        ("工业园区", 60, "目标任务条数"),
    ]
    assert any("合计为 370，逐项相加为 360" in r.what for r in ex.review)
    assert draft_plan(ex)["targets"][0] == {
        "unit": "市财政局",
        "count": 120,
        "metric": "目标任务条数",
    }


def test_json_export_carries_sources_and_confidence(tmp_path: Path) -> None:
    notice = tmp_path / "linchuan.txt"
    notice.write_text(POINTS, encoding="utf-8")
    cli("import", str(notice), "--json", str(tmp_path / "out.json"))
    data = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    first = data["tasks"][0]
    assert first["sources"] == {"text": "第5行", "units": "第5行", "due": "第5行"}
    assert first["confidence"]["units"] < 0.7  # read from a sentence: on the review list
    assert data["meta_sources"]["issuer"]["where"] == "第1行"
    assert data["meta_sources"]["issuer"]["confidence"] < 1.0


def _merge_down(table: Any, col: int, first: int, last: int) -> None:
    if last > first:
        text = table.cell(first, col).text
        table.cell(first, col).merge(table.cell(last, col)).text = text


def test_docx_in_the_layout_of_003(tmp_path: Path) -> None:
    """The Chongqing tasks as a Word table laid out like 003: 工作任务 over two
    columns, headings in rows merged across the table and repeated after every page
    of 20 rows, the lead cell merged down over a run of items with one lead."""
    plan = yaml.safe_load(CQ_PLAN.read_text(encoding="utf-8"))
    tasks = plan["tasks"][:60]
    d = docx.Document()
    for text in (
        "渝府办发〔2021〕50号",
        "重庆市人民政府办公厅",
        "2021年5月16日",
        "贯彻落实国务院办公厅2021年政务公开工作要点任务分工",
    ):
        d.add_paragraph(text)
    table = d.add_table(rows=1, cols=4)
    head = table.rows[0].cells
    head[0].merge(head[1]).text = "工作任务"
    head[2].text, head[3].text = "牵头单位", "责任单位"
    shown: list[str] = []
    run: list[int] = []  # rows of the current run of items under one lead
    run_lead = None

    def heading(text: str) -> None:
        cells = table.add_row().cells
        cells[0].merge(cells[3]).text = text

    for k, t in enumerate(tasks):
        new = [h for h in t["section"] if h not in shown]
        if (k and k % 20 == 0) or new or t["lead"] != run_lead:
            if run:
                _merge_down(table, 2, run[0], run[-1])
            run, run_lead = [], t["lead"]
        if k and k % 20 == 0:  # a page break repeats the headings above
            for h in shown:
                heading(h)
        if new:
            shown = list(t["section"])
            for h in new:
                heading(h)
        cells = table.add_row().cells
        cells[0].merge(cells[1]).text = t["text"]
        cells[2].text, cells[3].text = "、".join(t["lead"]), "、".join(t["units"])
        run.append(len(table.rows) - 1)
    _merge_down(table, 2, run[0], run[-1])
    path = tmp_path / "chongqing.docx"
    d.save(str(path))
    ex = extract(path)
    got = [(x.text, x.section, x.lead, x.units) for x in ex.tasks]
    assert got == [(t["text"], t["section"], t["lead"], t["units"]) for t in tasks]
    assert all(x.where.startswith("表1第") for x in ex.tasks)


def test_docx_in_the_layout_of_001(tmp_path: Path) -> None:
    """The Zhongshan tasks as a Word table laid out like 001: 工作任务 | 具体要求 |
    落实单位, the 工作任务 cell merged down over its requirements, the units cell
    worded "X牵头，Y按职责分工落实"."""
    plan = yaml.safe_load(PLAN_001.read_text(encoding="utf-8"))
    tasks = [t for t in plan["tasks"] if t.get("lead") and t.get("units")]
    d = docx.Document()
    for text in (
        "中府办函〔2021〕91号",
        "中山市人民政府办公室",
        "2021年7月5日",
        "中山市2021年政务公开工作要点分工方案",
    ):
        d.add_paragraph(text)
    table = d.add_table(rows=1, cols=3)
    for cell, text in zip(table.rows[0].cells, ("工作任务", "具体要求", "落实单位"), strict=True):
        cell.text = text
    start = 1
    for k, t in enumerate(tasks):
        cells = table.add_row().cells
        cells[0].text = t["section"][-1]
        cells[1].text = t["text"]
        cells[2].text = f"{'、'.join(t['lead'])}牵头，{'、'.join(t['units'])}按职责分工落实"
        r = len(table.rows) - 1
        if k + 1 == len(tasks) or tasks[k + 1]["section"] != t["section"]:
            _merge_down(table, 0, start, r)
            start = r + 1
    path = tmp_path / "zhongshan.docx"
    d.save(str(path))
    ex = extract(path)
    got = [(x.text, x.section, x.lead, x.units) for x in ex.tasks]
    assert got == [(t["text"], t["section"][-1:], t["lead"], t["units"]) for t in tasks]


def test_labelled_field_lines_and_trailing_roles(tmp_path: Path) -> None:
    """Another layout: 责任单位：/牵头单位：…配合单位：/完成时限： on lines of their own under
    each item, and roles in closing brackets （县发展改革局负责，持续推进）."""
    notice = tmp_path / "jiangkou.txt"
    notice.write_text(FIELDS, encoding="utf-8")
    ex = extract(notice)
    assert [(t.lead, t.units, [d.value for d in t.due]) for t in ex.tasks] == [
        ([], ["县财政局"], ["2023-06-30"]),
        (["县教育局"], ["各乡镇人民政府"], ["2023-08-31"]),
        ([], ["县发展改革局"], ["ongoing"]),
        ([], ["县政府各部门"], ["+3wd@event"]),
    ]
    assert not any("没有责任单位" in r.what for r in ex.review)
    (cp,) = ex.checkpoints
    assert (cp.kind, [d.value for d in cp.due], cp.units) == ("report", ["2023-12-15"], ["各单位"])


def test_an_unbracketed_clause_closing_the_item(tmp_path: Path) -> None:
    notice = tmp_path / "mou.txt"
    notice.write_text(
        "某县人民政府办公室\n2023年4月3日\n某县2023年政务公开工作要点\n一、决策公开\n"
        "1.推进重大行政决策事项目录公开。牵头单位：县司法局；配合单位：县政府各部门。\n"
        "2.做好政策解读，年底前完成。责任单位：县政府办公室、县融媒体中心\n",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert [(t.lead, t.units, [d.value for d in t.due]) for t in ex.tasks] == [
        (["县司法局"], ["县政府各部门"], []),
        ([], ["县政府办公室", "县融媒体中心"], ["2023-12-31"]),
    ]


def test_a_heading_clause_governs_its_items(tmp_path: Path) -> None:
    notice = tmp_path / "heading.txt"
    notice.write_text(
        "某市人民政府办公室\n2023年4月3日\n某市2023年政务公开工作要点\n一、决策公开\n"
        "（一）推进决策公开（牵头单位：市司法局；责任单位：市政府各部门）\n"
        "1.编制并公开重大行政决策事项目录，6月底前完成。\n"
        "2.重大决策草案公开征求意见。\n"
        "（二）做好政策解读。（责任单位：市政府办公室）\n"
        "3.政策文件与解读材料同步发布。\n",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert [(t.section[-1], t.lead, t.units) for t in ex.tasks] == [
        ("(一)推进决策公开", ["市司法局"], ["市政府各部门"]),
        ("(一)推进决策公开", ["市司法局"], ["市政府各部门"]),
        ("(二)做好政策解读。", [], ["市政府办公室"]),
    ]


def test_a_table_pasted_as_tab_separated_text(tmp_path: Path) -> None:
    notice = tmp_path / "tabs.txt"
    notice.write_text(
        "某市人民政府办公室\n某府办发〔2022〕3号\n2022年4月3日\n某市2022年政务公开重点任务分工表\n"
        + "\n".join("\t".join(row) for row in TABLE)
        + "\n",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert [(t.lead, t.units, [d.value for d in t.due]) for t in ex.tasks] == [
        (["市政府办公室"], ["各乡镇人民政府", "市政府各部门"], ["2022-09-30"]),
        (["市政府办公室"], ["市委网信办"], ["quarterly:end"]),
        (["市司法局"], ["市政府各部门"], ["2022-12-31"]),
    ]


def test_a_draft_has_no_yaml_aliases(tmp_path: Path) -> None:
    """Editing one task's units in a draft must never change another's: no &id/*id."""
    draft = tmp_path / "cq.yaml"
    cli("import", str(CQ_NOTICE), "--units", str(CQ_UNITS), "--out", str(draft))
    text = draft.read_text(encoding="utf-8")
    assert not re.search(r"[&*]id\d+", text)
    assert "jurisdiction: 重庆市" in text  # from the directory's first line
    plan = yaml.safe_load(text)
    lists = [id(t["units"]) for t in plan["tasks"]]
    assert len(set(lists)) == len(lists)


def test_diff_ignores_the_items_own_numbering() -> None:
    """A hand-written plan drops the notice's "3." or "（二）": that is no change."""
    hand = {
        "tasks": [
            {
                "id": "t03",
                "section": ["重点领域信息公开"],
                "text": "推进财政预决算公开。",
                "units": ["市财政局"],
                "due": ["2021-12-31"],
            },
            {
                "id": "t04",
                "section": ["重点领域信息公开"],
                "text": "公开规章。",
                "units": ["市司法局"],
                "due": ["2021-12-31"],
            },
        ]
    }
    section = ["一、重点领域信息公开"]
    draft = {
        "tasks": [
            {
                "id": "t001",
                "section": section,
                "text": "3.推进财政预决算公开。",
                "units": ["市财政局"],
                "due": ["2021-12-31"],
            },
            {
                "id": "t002",
                "section": section,
                "text": "（二）公开规章。",
                "units": ["市司法局"],
                "due": ["2021-12-31"],
            },
        ]
    }
    assert diff_plans(hand, draft) == ([], 0)


LABELS = """某片区管理局
2019年11月29日
某片区农村人居环境整治工作任务细化分工方案
一、开展村庄清洁行动
（一）开展村庄清洁行动。聚焦农民群众最关心最现实的村庄环境卫生难题，通过“三清一改”着力解决村庄环境脏乱差问题。
牵头单位：农业农村处
主抓单位：农业农村处、交通与建设处
责任单位：农业农村处、交通与建设处、党政办公室、各行政村
（二）推行证照分离。对工商登记前后涉及的各种涉企证照事项，能整合的尽量整合、能简化的尽量简化，2019年12月底前完成。
责任单位：区行政审批局牵头，区直相关部门、各乡镇人民政府按职责分工负责
"""


def test_every_labelled_line_is_a_field_of_its_item(tmp_path: Path) -> None:
    """主抓单位：… is a field like 牵头单位：…, never an item of its own; and
    "责任单位：X牵头，Y按职责分工负责" names the lead and the units."""
    notice = tmp_path / "labels.txt"
    notice.write_text(LABELS, encoding="utf-8")
    ex = extract(notice)
    assert [(t.lead, t.units, [d.value for d in t.due]) for t in ex.tasks] == [
        (["农业农村处"], ["农业农村处", "交通与建设处", "党政办公室", "各行政村"], []),
        (["区行政审批局"], ["区直相关部门", "各乡镇人民政府"], ["2019-12-31"]),
    ]


STANDING = """某区管委会办公室
2023年3月30日
某区新污染物治理工作方案
一、重点任务
1.落实环境信息调查。2023年底前完成首轮重点化学物质生产使用的品种、数量、用途等基本信息调查。（区资源生态局牵头负责；各片区负责配合落实，以下均需各片区配合落实，不再列出）
2.实施风险筛查评估。动态发布重点管控新污染物清单及管控方案，到2025年底前完成一轮评估。（区资源生态局牵头，区经发局、区市场监管局，某区海关等按职责分工负责）
3.规范药物使用管理。落实抗菌药全链条监督管理，严格兽用抗菌药使用。（区农业农村局、区农业农村中心（区供销社）等按职责分工负责）
"""


def test_a_standing_clause_and_mixed_brackets(tmp_path: Path) -> None:
    """ "以下均需各片区配合落实，不再列出" adds 各片区 to this and every later item (and
    says so on the review list); 牵头负责 is a lead; 、 and ，mixed, a trailing 等 and a
    bracket inside the bracket are read."""
    notice = tmp_path / "standing.txt"
    notice.write_text(STANDING, encoding="utf-8")
    ex = extract(notice)
    assert [(t.lead, t.units, [d.value for d in t.due]) for t in ex.tasks] == [
        (["区资源生态局"], ["各片区"], ["2023-12-31"]),
        (["区资源生态局"], ["区经发局", "区市场监管局", "某区海关", "各片区"], ["2025-12-31"]),
        ([], ["区农业农村局", "区农业农村中心(区供销社)", "各片区"], []),
    ]
    # one line naming every later item (the first names 各片区 in its own words)
    (flag,) = [r for r in ex.review if "常设条款" in r.what]
    assert (flag.about, flag.items) == ("units", [t.where for t in ex.tasks[1:]])
    assert "“各片区”" in flag.what and "共 2 项" in flag.what


def test_an_item_with_its_own_bracket_never_takes_the_next_items_units(tmp_path: Path) -> None:
    notice = tmp_path / "unread.txt"
    notice.write_text(
        STANDING.replace(
            "（区资源生态局牵头，区经发局、区市场监管局，某区海关等按职责分工负责）",
            "（由有关方面按职责分工负责）",
        ),
        encoding="utf-8",
    )
    ex = extract(notice)
    second = ex.tasks[1]
    assert "区农业农村局" not in second.units  # not the next item's
    assert any(r.where == second.where for r in ex.review)  # and it is on the review list


def test_a_browser_copied_table_row_without_its_merged_cells(tmp_path: Path) -> None:
    """A browser copy gives a merged (rowspan) cell only in its first row: the rows below
    lack their leftmost cells, and an empty 牵头 cell stays empty: the responsible units
    never shift into the lead's column."""
    notice = tmp_path / "copied.txt"
    rows = [
        "工作任务\t工作要求\t牵头单位\t配合/责任单位",
        "一、加强市场主体信息公开\t1.增强政策制定实施的透明度和可预期性，提振市场主体信心。"
        "\t\t区直各有关单位，各片区管理局",
        "2.加大行业帮扶政策的公开力度，促进稳就业和消费恢复。\t\t区直各有关单位",
        "3.依法依规做好扩大有效投资相关规划信息公开。\t区经济发展局\t区直各有关单位",
    ]
    notice.write_text(
        "某区管委会办公室\n2022年6月1日\n某区2022年政务公开工作任务分工\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert [(t.lead, t.units) for t in ex.tasks] == [
        ([], ["区直各有关单位", "各片区管理局"]),
        ([], ["区直各有关单位"]),
        (["区经济发展局"], ["区直各有关单位"]),
    ]


def test_page_furniture_is_not_work(tmp_path: Path) -> None:
    """A portal page's time (15:53), its 来源 line and the attached file's name are the
    page around the notice: no heading, no task."""
    notice = tmp_path / "page.txt"
    notice.write_text(
        "某区管委会办公室关于印发某区治理工作方案的通知\n时间：2023-03-30\n15:53\n各相关单位：\n"
        "《某区治理工作方案》已经区管委会同意，现印发给你们，请认真组织实施。\n某区管委会办公室\n"
        "2023年3月30日\n某区治理工作方案\n一、重点任务\n"
        "1.落实环境信息调查。2023年底前完成首轮重点化学物质调查。（区资源生态局牵头负责）\n"
        "来源：某区自然资源与生态环境局\n某区治理工作方案.pdf\n",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert [(t.section, t.lead) for t in ex.tasks] == [(["一、重点任务"], ["区资源生态局"])]


def test_a_cell_of_two_paragraphs_broken_by_a_browser_copy(tmp_path: Path) -> None:
    """A 牵头 cell holding two units on two paragraphs comes out of a browser copy as two
    lines; the second (no number, cells to fill the row) continues the first's last cell."""
    notice = tmp_path / "copied.txt"
    rows = [
        "工作任务\t工作要求\t牵头单位\t配合/责任单位",
        "一、加强市场主体信息公开\t1.增强政策制定实施的透明度。\t\t区直各有关单位",
        "2.建立市场主体反映审批问题的办理和反馈机制。\t区经济发展局",
        "区行政审批局\t区直各有关单位，各片区管理局",
        "3.依法依规做好扩大有效投资相关规划信息公开。\t区发展改革局\t区直各有关单位",
    ]
    notice.write_text(
        "某区管委会办公室\n2022年6月1日\n某区2022年政务公开工作任务分工\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert [(t.text[:2], t.lead, t.units) for t in ex.tasks] == [
        ("1.", [], ["区直各有关单位"]),
        ("2.", ["区经济发展局", "区行政审批局"], ["区直各有关单位", "各片区管理局"]),
        ("3.", ["区发展改革局"], ["区直各有关单位"]),
    ]


def test_work_requirements_after_the_tasks_are_checkpoints_not_tasks(tmp_path: Path) -> None:
    """一、任务分工 … 二、工作要求: the requirements bind the whole plan. Their cadence
    (每月一检查、一季一评估、半年一通报) is a recurring check; a unit named with the part
    of the work it does (…处负责法制审查工作) is a unit of the item."""
    notice = tmp_path / "req.txt"
    notice.write_text(
        "某区管委会关于印发某区2017年推进简政放权放管结合优化服务改革工作要点的通知\n"
        "某区管委会\n2017年9月1日\n一、任务分工\n"
        "1.持续开展证照分离改革试点，分别予以取消或改为备案。\n"
        "责任单位：区行政审批局、市场监督管理局牵头，区直相关部门按职责分工负责,"
        "区管委会办公室政策法规处负责法制审查工作\n"
        "2.规范权责清单管理，营造环境持续改善的氛围。2017年11月底前完成融合工作。\n"
        "责任单位：区行政审批局牵头，区直相关部门按职责分工负责\n"
        "二、工作要求\n"
        "（一）强化督查问责。各相关部门要建立“每月一检查、一季一评估、半年一通报”的推进机制。\n",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert [(t.lead, t.units, [d.value for d in t.due]) for t in ex.tasks] == [
        (
            ["区行政审批局", "市场监督管理局"],
            ["区直相关部门", "区管委会办公室政策法规处"],
            ["ongoing"],
        ),
        (["区行政审批局"], ["区直相关部门"], ["2017-11-30"]),
    ]
    check = next(c for c in ex.checkpoints if "每月一检查" in c.text)
    assert (check.kind, [d.value for d in check.due]) == (
        "check",
        ["monthly:end", "quarterly:end", "semiannual:end"],
    )


def test_the_review_list_names_each_guessed_field_with_its_items(tmp_path: Path) -> None:
    """A plan year taken from the signature decides every date that states no year: one
    line names all of them. An item read from its sentence's subject while the sentence
    names another actor is a doubt of its own; an item naming no one is a todo. The JSON
    export carries each line's field and items, as the browser marks them."""
    notice = tmp_path / "guess.txt"
    notice.write_text(
        "某县人民政府办公室关于印发政务公开重点工作的通知\n某县人民政府办公室\n2023年3月1日\n"
        "政务公开重点工作\n"
        "一、深化公开\n"
        "（一）公开预算。县财政局要在6月底前公开预算，同时通知存在问题的单位整改。\n"
        "（二）做好解读。县融媒体中心要在年底前做好政策宣传。\n"
        "（三）办好公报。提高公报质量，丰富传播渠道。\n",
        encoding="utf-8",
    )
    out = tmp_path / "guess.json"
    cli("import", str(notice), "--json", str(out))
    flags = json.loads(out.read_text(encoding="utf-8"))["flags"]
    year = next(f for f in flags if "未写年份" in f["what"])
    assert (year["about"], year["kind"], year["items"]) == ("due", "rule", ["第6行", "第7行"])
    assert year["what"].endswith("请核对")
    assert "2023 年" in year["what"]
    (more,) = [f for f in flags if "句中还提到" in f["what"]]
    assert (more["items"], more["about"]) == (["第6行"], "units")
    assert "存在问题的单位" in more["what"]
    (none,) = [f for f in flags if "没有责任单位" in f["what"]]
    assert (none["items"], none["kind"]) == (["第8行"], "todo")


def test_a_doubt_names_a_likely_mistake_and_a_sure_reading_is_not_doubted(tmp_path: Path) -> None:
    """Doubts are kept for readings that may be wrong, so a coordinator keeps reading
    them: a unit the sentence acts on (约谈…的单位, 对…的单位), a bracket that explains
    the subject, or a 主抓单位 listed with its jurisdiction's prefix is no doubt; an item
    that takes the unit lines printed under a later item is one."""

    def read(name: str, text: str) -> Any:
        """The notice's extraction; none of its items may carry a doubt."""
        (tmp_path / name).write_text(text, encoding="utf-8")
        ex = extract(tmp_path / name)
        assert [str(r) for r in ex.review if r.kind == "doubt" and r.items] == []
        return ex

    ex = read(
        "doubts.txt",
        "某市人民政府办公室关于印发2023年政务公开重点工作的通知\n某市人民政府办公室\n"
        "2023年3月1日\n一、深化公开\n"
        "（一）开好协调会。由市政府办牵头召开协调会，约谈工作进展缓慢、问题突出的单位。\n"
        "（二）严格考核。对未按期完成整改的单位，由市政府办扣减绩效分。\n"
        "（三）编制目录。基层政府（包括县区人民政府和乡镇人民政府、街道办事处）要在"
        "10月底前完成目录编制。\n",
    )
    assert [(t.lead, t.units) for t in ex.tasks] == [
        (["市政府办"], ["市政府办"]),
        ([], []),
        ([], ["基层政府"]),
    ]
    ex = read(
        "labelled.txt",
        "某区管理局关于印发2019年人居环境整治工作要点的通知\n某区管理局\n2019年3月1日\n"
        "一、重点任务\n（一）清理文件。全面清理规范性文件。\n牵头单位：司法处\n"
        "主抓单位：区司法处\n责任单位：司法处、各行政村\n"
        "（二）整治村容。开展村庄清洁行动。\n（三）改善农房。推进农房整治。\n"
        "牵头单位：农业农村处\n责任单位：农业农村处、各行政村\n",
    )
    assert [(t.lead, t.units) for t in ex.tasks] == [
        (["司法处"], ["司法处", "各行政村"]),
        (["农业农村处"], ["农业农村处", "各行政村"]),
        (["农业农村处"], ["农业农村处", "各行政村"]),
    ]
    (shared,) = [r for r in ex.review if r.kind == "rule"]  # taken from a later item
    assert (shared.about, shared.items) == ("units", [ex.tasks[1].where])


def test_a_merged_lead_cell_carries_over_a_sub_heading_and_an_empty_one_is_doubted() -> None:
    """In the Chongqing table a page break printed row 1.政府网站 1) without its lead
    cell: the merged cell above (市政府办公厅) carries over the row's sub-heading, as one
    spot-check line with the other merged cells."""
    ex = extract(CQ_NOTICE)
    t = next(t for t in ex.tasks if "切实履行政府网站的主管" in t.text)
    assert (t.lead, t.units) == (["市政府办公厅"], ["市政府各部门", "各区县政府"])
    merged = next(r for r in ex.review if "合并单元格" in r.what)
    assert merged.kind == "rule" and t.where in merged.items
    assert not [r for r in ex.review if "牵头单位格为空，可能" in r.what]


def test_a_wrapped_title_and_a_date_glued_to_the_next_title(tmp_path: Path) -> None:
    """The plan's title printed over three short lines is one title; a signature date
    glued to the attachment's title (a page copy) is still the date of issue; 管委会 signs."""
    notice = tmp_path / "meta.txt"
    notice.write_text(
        "某区管委会关于印发某区改革重点任务分工方案的通知\n区直各单位：\n现将方案印发给你们。\n"
        "某区管委会\n2017年10月9日\n某区深化简政放权放管结合\n优化服务改革电视电话会议\n"
        "重点任务分工方案\n一、任务分工\n1.推进审批改革，年底前完成。\n责任单位：区行政审批局\n",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert (ex.meta["title"].value, ex.meta["issuer"].value, ex.meta["issued"].value) == (
        "某区深化简政放权放管结合优化服务改革电视电话会议重点任务分工方案",
        "某区管委会",
        date(2017, 10, 9),
    )
    glued = tmp_path / "glued.txt"
    glued.write_text(
        "某区管委会办公室关于印发某区治理工作方案的通知\n各相关单位：\n现印发给你们。\n"
        "某区管委会办公室\n2023年3月30日某区新污染物治理工作方案\n一、重点任务\n"
        "1.落实环境信息调查。年底前完成调查。（区资源生态局牵头负责）\n",
        encoding="utf-8",
    )
    ex = extract(glued)
    assert (ex.meta["issued"].value, ex.meta["year"].value, ex.tasks[0].due[0].value) == (
        date(2023, 3, 30),
        2023,
        "2023-12-31",
    )


COLLECTED = ROOT / "tests" / "notices" / "collected"


@pytest.mark.parametrize("notice", sorted(COLLECTED.glob("*.txt")), ids=lambda p: p.stem)
def test_collected_real_notices_read_as_their_gold(notice: Path) -> None:
    """Real notices we collected (tests/notices/collected/README.md says where from): a
    table copied one cell per line, a pipe table whose rows lost their merged cell. Every
    gold item is found, with its lead, units and deadlines, as score.py compares them."""
    gold = yaml.safe_load((COLLECTED / "gold" / f"{notice.stem}.yaml").read_text(encoding="utf-8"))
    tasks = extract(notice).as_format()["tasks"]
    for item in gold["items"]:
        found = [t for t in tasks if item["key"] in t["text"]]
        assert found, item["key"]
        task = min(found, key=lambda t: len(t["text"]))
        assert (task["lead"], sorted(task["lead"] + task["units"]), task["due"]) == (
            item["lead"],
            sorted(item["lead"] + item["units"]),
            [str(d) for d in item["due"]],
        ), item["key"]


def test_a_cover_letter_without_its_table_says_to_import_the_attachment() -> None:
    """A real cover letter (盘锦, collected/cover/) sends a task table that its page left
    out: the refusal names the attachment to import instead of "no task found"."""
    with pytest.raises(NoticeProblem) as e:
        extract(COLLECTED / "cover" / "c05_panjin_cover2021.txt")
    assert "通知正文，没有附带任务分工表" in str(e.value)
    assert "《2021年市〈政府工作报告〉任务分解和责任分工方案》全文" in str(e.value)

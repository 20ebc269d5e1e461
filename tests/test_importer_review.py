"""What a coordinator works through after an import: the review list (each doubt, rule
and todo naming its items), the draft plan (valid once its review is done, free of YAML
aliases), the JSON export, and the diff against a plan already reviewed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from duban.cli import app
from plans.directory import Directory, read_directory
from plans.importer import REVIEWED, diff_plans, draft_plan, extract
from plans.importer.self_check import named_orgs
from tests.conftest import cli
from tests.importer_samples import CQ_NOTICE, CQ_PLAN, CQ_UNITS, OWN, POINTS
from tests.test_importer import SEEDS


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
    assert changed >= 30  # the review was real work: 6 unit names, 2 per-case spans …
    # every unit name the importer could not place is gone from the reviewed plan
    unknown = {
        re.search(r"单位“(.+?)”不在单位名录中", r.what).group(1)  # type: ignore[union-attr]
        for r in ex.review
        if "不在单位名录中" in r.what
    }
    # six names the directory lacks (a damaged cell is restored to one of them, line 738)
    assert len(unknown) == 6
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
    # importing again onto the reviewed draft refuses and keeps the coordinator's work
    again = CliRunner().invoke(
        app, ["import", str(notice), "--out", str(draft)], env={"COLUMNS": "200"}
    )
    assert again.exit_code != 0 and "已存在" in again.output and "--force" in again.output
    assert "- 宁安市司法局" in draft.read_text(encoding="utf-8")
    cli("import", str(notice), "--units", str(units), "--out", str(draft), "--force")
    assert "- 宁安市司法局" not in draft.read_text(encoding="utf-8")


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


def test_the_self_check_knows_groups_by_their_kind_and_development_zones() -> None:
    """Schools, kindergartens and hospitals are named as groups (各中小学, 各幼儿园), and
    a 经开区 or 示范区 is an organisation: a unit cell holding one is not doubted, and an
    item's text naming one the reading did not take is."""
    from plans.importer.self_check import looks_like_org, named_orgs

    for name in ("各中小学", "学校", "各医疗机构", "市经开区", "国家级示范区管委会"):
        assert looks_like_org(name), name
    for name in ("2021年底前", "按季度", "要加强"):
        assert not looks_like_org(name), name
    text = "各中小学要落实课后服务，市教育部门负责督导；各幼儿园参照执行。"
    assert named_orgs(text) == ["各中小学", "市教育部门", "各幼儿园"]


@pytest.mark.skipif(not SEEDS, reason="../shared/seeds is not next to this checkout")
def test_a_draft_without_a_directory_names_the_issuers_jurisdiction(tmp_path: Path) -> None:
    """Imported before any directory exists, the draft takes its jurisdiction from the
    issuing office, so validating asks for that jurisdiction's directory by name and says
    how to start one; with none at all, it says what to do rather than what is missing."""
    draft = tmp_path / "draft.yaml"
    cli("import", str(next(s for s in SEEDS if s.name.startswith("002_"))), "--out", str(draft))
    text = draft.read_text(encoding="utf-8")
    assert "\njurisdiction: 鄂尔多斯市\n" in text
    r = CliRunner().invoke(app, ["plan", "validate", str(draft)], env={"COLUMNS": "200"})
    assert r.exit_code != 0 and "台账中还没有鄂尔多斯市的单位名录" in r.output
    assert "duban units template --jurisdiction 鄂尔多斯市" in r.output
    draft.write_text(text.replace("jurisdiction: 鄂尔多斯市\n", ""), encoding="utf-8")
    r = CliRunner().invoke(app, ["plan", "validate", str(draft)], env={"COLUMNS": "200"})
    assert r.exit_code != 0 and "台账中还没有任何单位名录：先导入本辖区的名录" in r.output


def test_a_misread_item_whose_aside_or_cell_names_bodies_is_a_doubt_not_a_todo() -> None:
    """The names a work-assigning aside lists (a national body needs no 市 before it) and
    a table cell read as text that is a name show the notice does name units: an item
    read without them is a likely misreading, never "the notice names no unit"."""
    assert named_orgs("优化审批。（国家发展改革委牵头，财政部、农业农村部等按职责分工负责）") == [
        "国家发展改革委",
        "财政部",
        "农业农村部",
    ]
    assert named_orgs("3|新改扩建公办中小学校1所|教体局|室内装修|顺利推进") == ["教体局"]
    assert named_orgs("完成项目建设（2023年底前），提高覆盖率") == []

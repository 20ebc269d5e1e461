"""Deadlines and checkpoints: how a deadline is worded (and garbled), and the plan-wide
checks, reports and meetings a notice sets (保障措施, 工作要求), whose deadlines are
never also a task's."""

from __future__ import annotations

from pathlib import Path

import pytest

from plans.cn_dates import read_dues
from plans.importer import draft_plan, extract
from tests.importer_samples import POINTS


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
        ("生活费补贴政策每人每年只享受一次", []),  # how often a person may draw it
        ("今年创建不少于两个示范村", ["2021-12-31"]),
        ("联合派出所每月开展不少于一次联合整治", ["monthly:end"]),
        ("各村每月逢8组织开展交通安全劝导", ["monthly:end"]),
        ("持续深入开展联合执法", ["ongoing"]),
        ("2020年起，每年2月底前各省份完成考核工作", ["2020-02-29"]),  # the first of them
        ("对2019年开始实施的改造项目开展评估，6月底前形成评估报告", ["2021-06-30"]),
        ("每年对享受补贴人员开展2次核查", ["yearly:2"]),
        # a duty done every year, whatever its verb; not a rate, a sum or a person's due
        ("每年评选若干示范学校", ["yearly:1"]),
        ("每年服务企业600家以上", ["yearly:1"]),
        ("每年为65周岁及以上老年人免费提供健康管理服务", ["yearly:1"]),
        ("0—6岁儿童每年眼保健和视力检查覆盖率达90%以上", []),
        ("对奶农大会主办方每年补贴20万元", []),
        ("生活费补贴政策每人每年只享受一次", []),
        ("单位能耗每年下降0.5个百分点", []),
        ("每年安排专项资金2000万元", []),
        ("每年最高给予100万元奖励", []),
        ("粮食产量每年稳定在100万吨以上", []),
        ("每年年底前完成评估", ["2021-12-31"]),  # one date of the year, as it was read
        ("每季度最后一个月召开调度会", ["quarterly:end"]),
        ("每月15日、30日前报送进展情况", ["monthly:15", "monthly:30"]),
        ("从2021年第一季度开始，每季度末报送", ["quarterly:end"]),  # a cadence starts
        # a month-only date after one in the next year stays in that year
        ("于2022年1月10日前报送总结，2月20日前报送情况", ["2022-01-10", "2022-02-20"]),
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


def test_the_covers_request_and_a_closing_section_give_one_checkpoint_a_clause(
    tmp_path: Path,
) -> None:
    """What the cover asks after sending the plan (现印发给你们，请…制定实施方案，于…前报),
    each dated clause of a requirement, a dated 考核 and the closing request to report
    how the plan is carried out are the plan's checkpoints; the title is none."""
    notice = tmp_path / "yingshang.txt"
    notice.write_text(
        "某县人民政府办公室关于印发某县2021年优化营商环境重点任务分工方案的通知\n"
        "各乡镇人民政府，县直各单位：\n"
        "《某县2021年优化营商环境重点任务分工方案》已经县政府同意，现印发给你们，"
        "请结合实际制定实施方案，于2021年3月31日前报县政府办公室。\n"
        "某县人民政府办公室\n2021年3月1日\n一、重点任务\n"
        "1.压缩企业开办时间。牵头单位：县市场监管局；责任单位：县税务局\n"
        "2.推进工程建设项目审批改革。牵头单位：县住建局\n二、工作要求\n"
        "（一）按时报送。各责任单位每月15日、30日前报送工作进展情况，"
        "2021年12月底前完成第一次绩效考核。\n"
        "（二）总结评估。各单位于2022年1月10日前报送年度工作总结，"
        "2月20日前报送贯彻落实本方案的情况。\n"
        "请各单位将贯彻落实中遇到的问题和执行情况及时报县政府办公室。\n",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert len(ex.tasks) == 2
    assert [(c.kind, [d.value for d in c.due]) for c in ex.checkpoints] == [
        ("list", ["2021-03-31"]),
        ("report", ["monthly:15", "monthly:30"]),
        ("check", ["2021-12-31"]),
        ("report", ["2022-01-10"]),
        ("report", ["2022-02-20"]),
        ("report", []),
    ]
    assert not any("关于印发" in c.text for c in ex.checkpoints)

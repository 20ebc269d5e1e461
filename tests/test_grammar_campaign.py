"""Campaigns, stages and signatures: rules of official writing the importer reads, each
on a small notice written for it (places, units and dates invented)."""

from __future__ import annotations

from pathlib import Path

from plans.importer import extract
from tests.test_grammar import read


def test_a_campaign_period_dates_every_item_without_a_date_of_its_own(tmp_path: Path) -> None:
    """四、整治时间 states the campaign's one period: every item is due at its end, an item
    with its own date keeps that; 整治对象 and 整治目标 state what, not who does it."""
    body = """一、整治对象
全县三家商品砼企业。
二、整治目标
商品砼价格趋于合理。
三、整治时间
专项整治工作在3个月内完成，自2023年3月25日至6月20日。
四、责任分工
（一）县市场监管局负责调查商品砼企业涉嫌垄断的线索。
（二）县交通局负责摸底商品砼销售价格，5月底前形成报告。
"""
    assert read(tmp_path, body) == [
        ("(一)县市场", [], ["县市场监管局"], ["2023-06-20"]),
        ("(二)县交通", [], ["县交通局"], ["2023-05-31"]),
    ]


def test_a_heading_s_period_dates_the_items_under_it(tmp_path: Path) -> None:
    """A heading ending in its window (（7月下旬至8月中旬）) dates its numbered items; 中旬
    ends on the 20th. A heading's 持续 names its manner and dates nothing."""
    body = """（一）开展风险摸排各级协调劳动关系三方机制全面梳理排查欠薪风险隐患。（7月中旬前）
1.依托劳动用工备案系统开展排查。（责任单位：县人社局）
（二）开展协商要约各级工会引导企业开展集体协商。（7月下旬至8月中旬）
1.基层工会主动开展要约行动。（责任单位：县总工会）
（三）持续加强政策解读。
1.解读县级重大政策。（责任单位：县司法局）
"""
    assert read(tmp_path, body) == [
        ("1.依托劳动", [], ["县人社局"], ["2023-07-20"]),
        ("1.基层工会", [], ["县总工会"], ["2023-08-20"]),
        ("1.解读县级", [], ["县司法局"], []),
    ]


def test_a_signature_glued_to_its_date_and_a_self_signed_plan_of_arabic_numbers(
    tmp_path: Path,
) -> None:
    """An archive's one-line page glues the issuer to the date under it; a plan that signs
    itself at its end and numbers its tasks 1、2、 is read whole; a half-width comma ends
    the lead list; 参加单位 names units."""
    notice = tmp_path / "notice.txt"
    notice.write_text(
        "各股室、各中队：\n"
        "为贯彻全县纠风工作部署，制订本方案。牵头单位于10月10日前将有关情况报送局办公室。\n"
        "1、加强耕地保护执法检查。(牵头单位:执法中队,配合单位:各中队)\n"
        "2、规范征地拆迁工作。(牵头单位:征地股,参加单位:法规股)\n"
        "3、完善征地补偿机制。(牵头单位:法规股)\n"
        "青石县自然资源局2012年6月26日\n",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert ex.meta["issuer"].value == "青石县自然资源局"
    assert str(ex.meta["issued"].value) == "2012-06-26"
    assert [(t.text[:4], t.lead, t.units) for t in ex.tasks] == [
        ("1、加强", ["执法中队"], ["各中队"]),
        ("2、规范", ["征地股"], ["法规股"]),
        ("3、完善", ["法规股"], []),
    ]
    assert [(c.kind, [d.value for d in c.due]) for c in ex.checkpoints] == [
        ("report", ["2012-10-10"])
    ]


def test_the_subject_before_a_comma_and_a_verb_inside_a_name(tmp_path: Path) -> None:
    """ "区执法应急局，负责调查…": the 应 inside the name is no modal verb, the comma before
    负责 keeps the subject; the actors of a lead's part join it."""
    body = """五、责任分工
（一）县市场监管局牵头价格调查工作。县市场监管局负责调查垄断线索。县城投集团、交通集团，负责统计采购价格。
（二）县执法应急局，负责调查砂石来源是否合法。
"""
    assert read(tmp_path, body) == [
        ("(一)县市场", ["县市场监管局"], ["县市场监管局", "县城投集团", "交通集团"], []),
        ("(二)县执法", [], ["县执法应急局"], []),
    ]


def test_a_clause_line_closes_the_sub_items_above_it(tmp_path: Path) -> None:
    """ "（责任单位：X、Y）" alone on a line after (1)(2) gives them all its units."""
    body = """（一）完善应急预案体系
1.加强应急预案管理，规范应急预案编制、审批、发布和备案工作。
2.推进应急预案精编化，及时修订完善现有应急预案。
（责任单位：县应急局、各乡镇人民政府）
"""
    assert read(tmp_path, body) == [
        ("1.加强应急", [], ["县应急局", "各乡镇人民政府"], []),
        ("2.推进应急", [], ["县应急局", "各乡镇人民政府"], []),
    ]


def test_a_deadline_inside_the_bracket_and_a_mirror_s_pinyin(tmp_path: Path) -> None:
    """A mirror's pinyin glosses (经(jīng)开区) go; a deadline sharing the unit bracket
    (…，6月底完成) is the item's date, not a unit; 现印发给你们 sends the plan and asks
    nothing."""
    notice = tmp_path / "notice.txt"
    notice.write_text(
        "青石县人民政府办公室\n2023年3月6日\n青石县2023年优化营商环境工作计划\n"
        "《工作计划》已经县人民政府同意，现印发给你们，请认真贯彻执行。\n"
        "1.加大简政放权力度。承接好下放行政许可事项。"
        "(牵头单位:县政务服务中心;责任单位:县经(jīng)开区(qū)管委会、县司法局,6月底完成)\n",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert [(t.lead, t.units, [d.value for d in t.due]) for t in ex.tasks] == [
        (["县政务服务中心"], ["县经开区管委会", "县司法局"], ["2023-06-30"])
    ]
    assert ex.checkpoints == []


def test_a_year_opening_a_clause_and_labels_parted_by_a_full_stop(tmp_path: Path) -> None:
    """ "2019年启动…", "2019-2022年，指导…": a clause opening with the year its work is
    done in is due that year's end (a past year, 2017年以来, is none); "（牵头单位：X。责任
    单位：Y）" parts its labels by 。; 每年举办 is once a year."""
    body = """一、扩大培养规模
1.2023年，鼓励有关高校扩大学前教育专业招生计划。（牵头单位：县教育局。责任单位：县发展改革局）
2.2024-2026年，指导高等学校根据实际需求整合资源。（牵头单位：县教育局）
3.2017年以来已建成的培训基地今后每年举办招聘会。（牵头单位：县人社局）
"""
    assert read(tmp_path, body) == [
        ("1.2023", ["县教育局"], ["县发展改革局"], ["2023-12-31"]),
        ("2.2024", ["县教育局"], [], ["2026-12-31"]),
        ("3.2017", ["县人社局"], [], ["yearly:1"]),
    ]


def test_a_schedule_s_one_period_and_a_group_named_with_an_aside(tmp_path: Path) -> None:
    """二、时间安排 with one period dates the actions; "各市(含定州、辛集市)政府" and
    "各市<含定州、辛集市>人社局" keep the aside inside the name, "以下简称“各市县政府”" is no
    unit."""
    body = """一、主要任务
（一）开展关怀慰问。深入基层开展走访慰问农民工活动。（责任单位：各市<含定州、辛集市>人力资源社会保障局、总工会）
（二）做好出行保障。及时发布交通和天气信息。（责任单位：各市(含定州、辛集市)政府、各县(市)政府,以下简称“各市县政府”）
二、时间安排
2023年3月至5月底。
"""
    assert read(tmp_path, body) == [
        ("(一)开展关", [], ["各市<含定州、辛集市>人力资源社会保障局", "总工会"], ["2023-05-31"]),
        ("(二)做好出", [], ["各市(含定州、辛集市)政府", "各县(市)政府"], ["2023-05-31"]),
    ]


def test_duties_divided_by_unit_and_a_remedy_under_its_problem(tmp_path: Path) -> None:
    """ "（十七）县综治办、县监察局。负责…": a first sentence of names only gives the item's
    units (a measure's title, 不断优化服务团队。, gives none); "整改要求：由包片单位县气象局
    负责…" under a problem gives that problem its unit; 各包村干部 are persons."""
    body = """三、职责分工
（十六）县综治办、县监察局。负责组织对整治行动进行专项督查和效能检查考核。
（十七）不断优化服务团队。组建家庭医生团队提供签约服务，提高服务质量。
四、存在问题
1、平利花园对面迎宾大道南围墙上有牛皮癣和野广告。
整改要求：由包片单位县气象局负责清除。
2、各包村干部，负责组织协调处理村内乱堆乱放问题。
"""
    assert read(tmp_path, body) == [
        ("(十六)县综", [], ["县综治办", "县监察局"], []),
        ("(十七)不断", [], [], []),
        ("1、平利花园", [], ["县气象局"], []),
        ("2、各包村干", [], [], []),
    ]


def test_a_task_card_with_each_value_under_its_label(tmp_path: Path) -> None:
    """A portal's page of one task: 具体任务 / 责任单位 / 配合单位 / 完成时限, each on a line
    of its own with its value on the next."""
    body = """具体任务
全面完成老年人群疫苗接种，中医院门诊楼建成投运，改扩建社区卫生服务中心。
责任单位
县卫健局、县文旅局
配合单位
各乡镇
完成时限
门诊楼1月底前完成；其它事项12月底前取得明显成效
"""
    assert read(tmp_path, body) == [
        ("全面完成老年", [], ["县卫健局", "县文旅局", "各乡镇"], ["2023-01-31", "2023-12-31"]),
    ]


def test_a_period_whose_end_names_only_its_day(tmp_path: Path) -> None:
    """二、活动时间 2023年4月20日至26日: the end's month is the start's, and every activity
    is due on the 26th."""
    body = """一、活动时间
2023年4月20日至26日
二、活动内容
（一）在商品交易市场开展知识产权宣传。（负责单位：县市场监管局）
（二）在县城主要街道悬挂宣传横幅。（负责单位：县财政局）
"""
    assert read(tmp_path, body) == [
        ("(一)在商品", [], ["县市场监管局"], ["2023-04-26"]),
        ("(二)在县城", [], ["县财政局"], ["2023-04-26"]),
    ]

"""Labels, part headings, problem lists and wrapped text: rules of official writing the
importer reads, each on a small notice written for it (places, units and dates invented)."""

from __future__ import annotations

from pathlib import Path

from plans.importer import extract
from tests.test_grammar import HEAD, read


def test_a_label_built_of_two_role_words_and_a_person_left_out(tmp_path: Path) -> None:
    """牵头责任单位 marks the lead, 协同责任单位 the units, 牵头负责领导 names a person
    (no unit); a trailing 等 goes."""
    body = """一、确保完成全年主要预期目标
1.全县生产总值增长6%以上，在实际工作中力争更好结果。
牵头负责领导：张明。
牵头责任单位：县发展改革委。
协同责任单位：县政府各部门、各直属机构。
2.社会消费品零售总额增长7%左右。
牵头负责领导：李华。
牵头责任单位：县商务局。
协同责任单位：县财政局、县市场监管局等。
"""
    assert read(tmp_path, body) == [
        ("1.全县生产", ["县发展改革委"], ["县政府各部门", "各直属机构"], []),
        ("2.社会消费", ["县商务局"], ["县财政局", "县市场监管局"], []),
    ]


def test_a_problem_list_takes_the_unit_and_time_limit_below_it(tmp_path: Path) -> None:
    """An inspection's problems (1)(2)(3), one short line each ending in ；, then one
    line "问题整改责任单位：X 整改时限：3天": every problem above is X's to fix within 3
    days of the notice; a short problem is an item, not a caption."""
    body = """具体问题如下：
1. 县科技馆
(1)院内电动车未按指定区域停放；
(2)灭火器过期未更换；
(3)意见簿投诉记录和回复处理记录不规范。
问题整改责任单位：县科技馆 整改时限：3天
2. 县人民医院
(1)院内禁烟标识数量不达标；
(2)门诊大厅服务窗口未见诚信服务公益宣传。
问题整改责任单位：县卫生健康局 整改时限：5个工作日
"""
    assert read(tmp_path, body) == [
        ("(1)院内电", [], ["县科技馆"], ["+3d@issued"]),
        ("(2)灭火器", [], ["县科技馆"], ["+3d@issued"]),
        ("(3)意见簿", [], ["县科技馆"], ["+3d@issued"]),
        ("(1)院内禁", [], ["县卫生健康局"], ["+5wd@issued"]),
        ("(2)门诊大", [], ["县卫生健康局"], ["+5wd@issued"]),
    ]


def test_a_part_named_for_the_unit_that_leads_it(tmp_path: Path) -> None:
    """ "一、县经开区管委会牵头工作（3项）" heads the items its unit leads; a short
    numbered line that begins with work (2.打造食用菌生产基地。) is one of them, not a
    caption."""
    body = """一、县经开区管委会牵头工作（3项）
1.投资3000万元建设工厂化循环水养殖基地。
2.打造食用菌生产基地。
3.建设3个劳动密集型产业园，推动电子生产线投产。
二、县农业农村局牵头工作（1项）
4.新建高标准农田2万亩。
"""
    assert read(tmp_path, body) == [
        ("1.投资30", ["县经开区管委会"], [], []),
        ("2.打造食用", ["县经开区管委会"], [], []),
        ("3.建设3个", ["县经开区管委会"], [], []),
        ("4.新建高标", ["县农业农村局"], [], []),
    ]


def test_units_that_each_lead_their_own_part(tmp_path: Path) -> None:
    """ "X、Y、Z分别牵头落实" under a requirement: each of them leads."""
    body = """主要内容
责任单位
1.加强金融政策信息公开，加大货币和金融业改革发展政策解读力度。
县金融办、人民银行青石支行、青石银保监组分别牵头落实
2.做好财政预决算公开。
县财政局牵头落实
"""
    assert read(tmp_path, body) == [
        ("1.加强金融", ["县金融办", "人民银行青石支行", "青石银保监组"], [], []),
        ("2.做好财政", ["县财政局"], [], []),
    ]


def test_a_paragraph_of_measures_each_closed_by_its_bracket(tmp_path: Path) -> None:
    """A State Council paragraph holds several measures, each closed by its own bracket
    of units (X、Y指导 / X负责): each is an item with its bracket's units."""
    body = """一、主要任务
（一）实施工业绿色生产。
开展绿色设计和绿色供应链建设，促进固体废物减量和循环利用。（工业和信息化部、商务部指导）以铅酸蓄电池、动力电池为重点，落实生产者责任延伸制度。（国家发展改革委、生态环境部负责）
健全标准体系，完善综合利用标准体系。（市场监管总局、工业和信息化部负责）
"""
    assert read(tmp_path, body) == [
        ("开展绿色设计", [], ["工业和信息化部", "商务部"], []),
        ("以铅酸蓄电池", [], ["国家发展改革委", "生态环境部"], []),
        ("健全标准体系", [], ["市场监管总局", "工业和信息化部"], []),
    ]


def test_a_table_one_cell_per_line_with_a_spaced_header_and_a_guiding_column(
    tmp_path: Path,
) -> None:
    """序号 / 改革举措 / 主 要 内 容 / 指导部门 / 推广范围, one cell per line: the
    spaced-out column name is a column, 指导部门 are the units, 推广范围 (where the
    measure spreads) is no unit, and the measure's name and content are one item."""
    cells = [
        "序号", "改革举措", "主 要 内 容", "指导部门", "推广范围",
        "一、知识产权保护方面（共2项）",
        "1", "知识产权案件“三合一”审判",
        "整合分散的审判资源，实行知识产权案件审判“三合一”，提高审判效率。",
        "县人民法院、县市场监管局", "全县",
        "2", "专利保险机制",
        "围绕专利应用和维权，开发专利执行险等保险产品，降低创新主体的侵权损失。",
        "县市场监管局、青石银保监组", "各乡镇",
    ]  # fmt: skip
    tasks = read(tmp_path, "附件\n推广清单\n" + "\n".join(cells) + "\n")
    assert [(t[0], t[2]) for t in tasks] == [
        ("整合分散的审", ["县人民法院", "县市场监管局"]),
        ("围绕专利应用", ["县市场监管局", "青石银保监组"]),
    ]


def test_text_copied_from_a_pdf_keeps_the_pages_line_breaks(tmp_path: Path) -> None:
    """Lines that run to the page's right margin without ending a sentence go on in the
    next line (一个单位名称也会被折断：园区党工 / 委), unless it begins a numbered item or
    a label."""
    body = """一、提高城市基层党建工作水平，加强党对基层治理的全面
领导
1.完善街道党工委对地区治理重大工作的领导体制机制，优
化决策程序，涉及基层治理的重大事项、重点工作、重要问题由
街道党工委讨论决定，全面提升街道抓党建、抓治理、抓服务的
领导能力，把党的主张转化为各类组织和群众的自觉行动。
牵头单位：区委组织部
协办单位：区委编办、区民政局、园区党工委、各街道党工
委
2.推动街道职能转变，把街道工作重心转移到党的建设、公共服
务、公共管理、公共安全上来，取消街道招商引资职能和任务。
牵头单位：区委编办
"""
    tasks = read(tmp_path, body)
    assert tasks == [
        ("1.完善街道", ["区委组织部"], ["区委编办", "区民政局", "园区党工委", "各街道党工委"], []),
        ("2.推动街道", ["区委编办"], [], []),
    ]


def test_a_cover_letters_review_cadence_and_its_attachment_list(tmp_path: Path) -> None:
    """ "实行‘月度盘点+季度研判’" is a monthly and a quarterly check; the cover's list
    of attachments (附件：1.…任务清单) names no checkpoint."""
    notice = tmp_path / "notice.txt"
    notice.write_text(
        """青石县人民政府办公室关于印发2023年县政府工作报告任务清单的通知
各乡镇人民政府，县直各有关单位：
现将《2023年县政府工作报告任务清单》印发给你们，请认真贯彻落实。
一、节点管控。各单位要紧盯目标任务，实行“月度盘点+季度研判”动态监管，县政府定期召开专题会议。
附件：1.2023年县政府工作报告任务清单
青石县人民政府办公室
2023年3月6日
附件1
2023年县政府工作报告任务清单
一、县发展改革委牵头工作（1项）
1.新开工重点项目50个以上。
""",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert [("月度盘点" in c.text, [d.value for d in c.due]) for c in ex.checkpoints] == [
        (True, ["monthly:end", "quarterly:end"]),
    ]
    assert [(t.text[:6], t.lead) for t in ex.tasks] == [("1.新开工重", ["县发展改革委"])]


def test_a_division_table_restating_the_plans_items_row_by_row(tmp_path: Path) -> None:
    """The plan's numbered items, then an attached table one cell per line whose 序号 and
    工作事项 are merged over several 主要内容 rows, with a lead and a helping column for the
    bureau's own offices (市卫健委内牵头处室): each row is an item with its units, and the
    body's item that the table restates is not read twice."""
    body = """一、重点任务
1.扩大家庭医生来源。推动人才资源向基层医疗卫生机构倾斜，优先保障基层用人需求。引导二级以上医疗机构的医师到基层参与签约服务。
附件
任务分工表
序号
工作事项
主要内容
牵头单位
配合单位
市卫健委内牵头处室
市卫健委内配合处室
1
扩大家庭医生来源。
推动人才资源向基层医疗卫生机构倾斜，优先保障基层用人需求。
各区政府
市人社局
人事处
基层处
引导二级以上医疗机构的医师到基层参与签约服务。
各区政府
/
基层处
医政处
"""
    assert read(tmp_path, body) == [
        ("推动人才资源", ["各区政府", "人事处"], ["市人社局", "基层处"], []),
        ("引导二级以上", ["各区政府", "基层处"], ["医政处"], []),
    ]


def test_spans_and_cadences_in_a_plans_own_words(tmp_path: Path) -> None:
    """本文印发后3个月内 counts from the notice; 每季度至少主动联系1次 is quarterly."""
    body = """一、重点任务
1.各区要于本文印发后3个月内出台辖区实施方案。
2.家庭医生应每季度至少主动联系1次签约居民，提供健康指导。
"""
    assert [t[3] for t in read(tmp_path, body)] == [["+3mo@issued"], ["quarterly:end"]]


def test_labels_and_an_attachment_glued_onto_one_line(tmp_path: Path) -> None:
    """The same notice as a web archive keeps it (joined by nothing): 牵头责任单位： is one
    label (not 牵头 + 责任单位：), a time field cut onto its own line still governs the
    problems above, 1﹒ numbers, and 附件12025年… then the attachment's own 一、 after the
    cover letter's 一、二、 begin anew."""
    one_line = (
        "一、压实责任。各单位要逐项细化职责。二、强化调度。每月调度一次进展。附件：1.任务清单"
        "青石县人民政府办公室2023年3月6日（此件公开发布）附件12023年县政府工作报告任务清单"
        "一、确保完成全年主要预期目标1﹒全县生产总值增长6%以上，在实际工作中力争更好结果。"
        "牵头负责领导：张明。牵头责任单位：县发展改革委。协同责任单位：县政府各部门、各直属机构。"
        "2﹒社会消费品零售总额增长7%左右。牵头负责领导：李华。牵头责任单位：县商务局。"
        "协同责任单位：县财政局、县市场监管局等。二、问题整改1.县科技馆（1）院内电动车未按指定区域停放；"
        "（2）灭火器过期未更换。问题整改责任单位：县科技馆整改时限：3天"
    )
    notice = tmp_path / "glued.txt"
    notice.write_text(
        "青石县人民政府办公室关于印发2023年县政府工作报告任务清单的通知\n" + one_line + "\n",
        encoding="utf-8",
    )
    got = [(t.text[:6], t.lead, t.units, [d.value for d in t.due]) for t in extract(notice).tasks]
    assert got == [
        ("1.全县生产", ["县发展改革委"], ["县政府各部门", "各直属机构"], []),
        ("2.社会消费", ["县商务局"], ["县财政局", "县市场监管局"], []),
        ("(1)院内电", [], ["县科技馆"], ["+3d@issued"]),
        ("(2)灭火器", [], ["县科技馆"], ["+3d@issued"]),
    ]


def test_the_actors_a_paragraph_opens_its_sentences_with(tmp_path: Path) -> None:
    """Where no item of a part marks its units, a sentence that opens with an
    organisation and what it does names an actor, after a leading deadline too
    (2019年3月底前，国家卫生健康委推行…; 各省份于11月底前完成…); a time phrase that ends in
    a body's name (重大节假日和各级党委政府开展…期间) is no actor."""
    body = """二、工作任务
（一）统一编码。2019年3月底前，国家卫生健康委推行全国统一的疾病分类编码。国家中医药局印发全国统一的中医病证分类与代码。
（二）省级年度考核。各省份于2019年11月底前完成对辖区内三级公立医院绩效考核工作。
（三）加强安全监测。重大节假日和各级党委政府开展重大活动期间，由区公安分局对政府网站开展安全监测。
"""
    assert [t[2] for t in read(tmp_path, body)] == [
        ["国家卫生健康委", "国家中医药局"],
        ["各省份"],
        ["区公安分局"],
    ]


def test_an_item_that_opens_by_naming_who_leads_its_part(tmp_path: Path) -> None:
    """ "(一)区市场监管局牵头涉嫌垄断调查整治工作。区税务局负责…" in a part that marks no
    units: the first unit leads, the actors of the other sentences join it; a lead's own
    和 (县文化和旅游局) stays in its name."""
    body = """五、责任分工
（一）县市场监管局牵头涉嫌垄断调查整治工作。县税务局负责调查企业涉税违法线索。
（二）县交通运输局牵头销售产能调查整治工作。县发展改革局负责摸底商品砼销售价格情况。
（三）县文化和旅游局牵头景区安全整治工作。县应急管理局负责督导景区消防安全检查。
"""
    assert [(t[1], t[2]) for t in read(tmp_path, body)] == [
        (["县市场监管局"], ["县市场监管局", "县税务局"]),
        (["县交通运输局"], ["县交通运输局", "县发展改革局"]),
        (["县文化和旅游局"], ["县文化和旅游局", "县应急管理局"]),
    ]


def test_time_words_the_reading_did_not_use_are_doubted(tmp_path: Path) -> None:
    """A count of times (学法活动2次), continuity (持续优化) or a year after the plan's
    (2024年培训计划) in an item's text that no deadline read accounts for is a doubt about
    its deadline; a year the reading took (在2024年) is none."""
    notice = tmp_path / "notice.txt"
    notice.write_text(
        HEAD
        + """一、重点任务
1.每个乡镇在2024年建成1个示范点（牵头单位：县农业农村局）。
2.开展党组中心组学法活动2次（牵头单位：县司法局）。
3.持续优化营商环境评价（牵头单位：县发展改革局）。
4.完善政务公开制度（牵头单位：县政府办公室）。
5.落实基层医生2024年培训计划，培养基层医生500名（牵头单位：县卫生健康局）。
""",
        encoding="utf-8",
    )
    doubts = [[w for f, w in t.doubts if f == "due"] for t in extract(notice).tasks]
    assert doubts[0] == doubts[3] == []
    assert ["2次" in " ".join(d) for d in doubts] == [False, True, False, False, False]
    assert ["持续优化" in " ".join(d) for d in doubts] == [False, False, True, False, False]
    assert ["2024年" in " ".join(d) for d in doubts] == [False, False, False, False, True]


def test_a_measures_bracket_that_adds_a_standing_clause(tmp_path: Path) -> None:
    """ "（X指导，Y负责落实。以下均需Y落实，不再列出）" closes its measure and adds Y to every
    later one, also when the next measure follows in the same paragraph."""
    body = """一、主要任务
优化固体废物管理体制机制，建立部门责任清单。（生态环境部指导，试点城市政府负责落实。以下均需试点城市政府落实，不再列出）加强制度政策集成创新，增强试点方案系统性。（国家发展改革委指导）
"""
    assert [t[2] for t in read(tmp_path, body)] == [
        ["生态环境部", "试点城市政府"],
        ["国家发展改革委", "试点城市政府"],
    ]


def test_a_lead_inside_the_responsible_label_with_the_deadline_in_the_bracket(
    tmp_path: Path,
) -> None:
    """（责任单位：X牵头，Y、Z，6月底完成）: X leads though the bracket closes with its
    deadline, which is no unit."""
    body = """一、重点任务
1.加大简政放权力度。承接好省下放行政许可事项。(责任单位:县行政审批局牵头,县司法局、县委编办,各乡镇人民政府,6月底完成)
2.推动政务服务导则落实。完善村级便民服务大厅功能。(责任单位:县行政审批局牵头,各乡镇人民政府)
"""
    assert read(tmp_path, body) == [
        (
            "1.加大简政",
            ["县行政审批局"],
            ["县司法局", "县委编办", "各乡镇人民政府"],
            ["2023-06-30"],
        ),
        ("2.推动政务", ["县行政审批局"], ["各乡镇人民政府"], []),
    ]


def test_a_dashed_line_of_units_under_each_target(tmp_path: Path) -> None:
    """──由X会同有关部门和各县市区组织落实。 under each target: X leads, the rest join; a
    short target (森林覆盖率达到45%。) over such a line is an item, not a caption."""
    body = """二、任务分解
（一）约束性指标
1、单位生产总值能耗比“十五”末下降20%。
──由县发改委会同有关部门和各乡镇组织落实。
2、森林覆盖率达到45%。
──由县林业局会同有关部门和各县市区组织落实。
3、人口自然增长率控制在6‰以内。
──由县卫健委和各乡镇组织落实。
"""
    assert read(tmp_path, body) == [
        ("1、单位生产", ["县发改委"], ["有关部门", "各乡镇"], []),
        ("2、森林覆盖", ["县林业局"], ["有关部门", "各县市区"], []),
        ("3、人口自然", [], ["县卫健委", "各乡镇"], []),
    ]


def test_a_lead_that_brings_others_in(tmp_path: Path) -> None:
    """由X、Y牵头，会同有关部门，对…: X and Y lead, the departments they bring in join."""
    body = """一、主要措施
（一）规范涉企收费。由县物价局、县编办牵头，会同县有关部门，对涉企收费项目进行清理规范。
（二）规范协会收费。由县民政局牵头，会同有关部门，进一步规范行业协会商会收费行为。
"""
    assert read(tmp_path, body) == [
        ("(一)规范涉", ["县物价局", "县编办"], ["县有关部门"], []),
        ("(二)规范协", ["县民政局"], ["有关部门"], []),
    ]


def test_a_misspelt_name_in_a_unit_line_stays_with_its_siblings(tmp_path: Path) -> None:
    """各区属事业单位，各区属国有企企 under an item: the second name is a typo the lexicon
    does not know, but it opens as its named sibling does, so the line is still the item's
    units (not an item of its own with none); the typo is a doubt about the units, and a
    line whose odd name opens unlike any sibling stays no unit line."""
    body = """一、推进公共企事业单位信息公开
1.严格执行已出台的公共企事业单位信息公开制度，提升服务水平。
各区属事业单位，各区属国有企企
2.结合实际情况有序推进行政规范性文件集中公开。
区司法局，各片区管理局
3.动态公开技能培训政策规定及经办流程。
区社会事业局，培训经办流程
"""
    notice = tmp_path / "notice.txt"
    notice.write_text(HEAD + body, encoding="utf-8")
    ex = extract(notice)
    read_ = [(t.text[:6], t.units) for t in ex.tasks]
    assert read_[:2] == [
        ("1.严格执行", ["各区属事业单位", "各区属国有企企"]),
        ("2.结合实际", ["区司法局", "各片区管理局"]),
    ]
    assert ("3.动态公开", []) in read_  # 培训经办流程 is no sibling of 区社会事业局
    doubts = [r.what for r in ex.review if r.kind == "doubt" and r.about == "units"]
    assert any("“各区属国有企企”不像单位名称" in d for d in doubts)


def test_a_long_list_numbered_past_99_and_a_group_of_levels_sharing_a_bureau(
    tmp_path: Path,
) -> None:
    """A 政府工作报告's 分解 numbers its tasks on past 99 (204.…); "各市、县人力资源社会保障局"
    is each level's bureau of one kind, a group kept whole, while "各区、市政府办公室" and
    "各区、市住房城乡建设局" name the districts and the city's own office or bureau."""
    body = """——推进教育高质量发展
204.推进学前教育优质普惠发展，新改扩建公办幼儿园45所。（牵头单位：市教育局；责任单位：各区人民政府）
205.推进普通高中优质多样化发展。（责任单位：市教育局）
206.实施高校毕业生就业促进行动。（责任单位：市就业中心，各市、县人力资源社会保障局）
207.规范政府网站信息发布。（责任单位：各区、市政府办公室）
208.推进城镇老旧小区改造。（责任单位：各区、市住房城乡建设局，各县、区财政局）
"""
    assert read(tmp_path, body) == [
        ("204.推进", ["市教育局"], ["各区人民政府"], []),
        ("205.推进", [], ["市教育局"], []),
        ("206.实施", [], ["市就业中心", "各市、县人力资源社会保障局"], []),
        ("207.规范", [], ["各区", "市政府办公室"], []),
        # a bureau is shared by levels going down or alike, never by the issuer's own level
        ("208.推进", [], ["各区", "市住房城乡建设局", "各县、区财政局"], []),
    ]

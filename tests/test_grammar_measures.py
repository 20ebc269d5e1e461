"""How national and provincial development notices (实施意见, 实施方案) tie their measures to
units and dates: a bracket closing each sentence-measure inside a paragraph, one bracket
for a whole section after its last measure, a measure's title on a line of its own, a
subject that leads (发挥牵头作用, 会同), a deadline the opening sets for every task, and a
list table an archive glued onto one line. Each rule on a small notice written for it
(places, units and dates invented)."""

from __future__ import annotations

from pathlib import Path

from plans.importer import extract
from tests.test_grammar import read

IDEOGRAPHIC = "\u3000\u3000"


def test_each_sentence_measure_closed_by_its_own_bracket_is_an_item(tmp_path: Path) -> None:
    """（一）…。…（责任单位：X、Y）…（责任单位：Z） in one paragraph: two measures, each with
    the units of its own bracket, not the last bracket's for both."""
    body = """一、推进综合治理
（一）强化重点领域整治。定期组织开展集中整治，依法取缔无证照“黑作坊”。（责任单位：省农业厅、省商务厅）公安机关要深度参与专项整治，摧毁犯罪网络。（责任单位：省公安厅）
（二）加强执法协作。建立检验检测结果互认制度。（责任单位：省市场监管局）
"""
    assert read(tmp_path, body) == [
        ("(一)强化重", [], ["省农业厅", "省商务厅"], []),
        ("公安机关要深", [], ["省公安厅"], []),
        ("(二)加强执", [], ["省市场监管局"], []),
    ]


def test_a_sections_bracket_after_its_last_measure_gives_all_its_measures(
    tmp_path: Path,
) -> None:
    """（X、Y牵头，Z等部门配合） as a paragraph of its own after 1. 2. 3.: the lead and units
    of every measure of that section, not an item."""
    body = """二、重点任务
（一）实施青少年科学素质行动。
1.扩大基础教育阶段的科学素质教育。发挥学校主渠道作用，推进教育内容改革。
2.实施大学生创新创业训练计划。举办全省性大学生创新创业大赛。
（省教育厅、团省委牵头，省科技厅、省妇联等部门配合）
（二）实施农民科学素质行动。
1.大力开展现代农业技术培训。引导专业技术人员下乡开展技术服务。
（省农业厅牵头，省人力资源社会保障厅配合）
"""
    assert read(tmp_path, body) == [
        ("1.扩大基础", ["省教育厅", "团省委"], ["省科技厅", "省妇联"], []),
        ("2.实施大学", ["省教育厅", "团省委"], ["省科技厅", "省妇联"], []),
        ("1.大力开展", ["省农业厅"], ["省人力资源社会保障厅"], []),
    ]


def test_a_measures_title_ending_like_a_name_names_no_unit(tmp_path: Path) -> None:
    """3.合理规划布局培训基地和场所。 ends like a name (所) but is a measure's title: the
    section's bracket below gives its units; a first sentence of names followed by the
    duty (县综治办。负责…) still names them."""
    body = """二、重点任务
（一）实施科学教育与培训基础工程。
1.推进科学教育规范化建设。制定科学教育与培训工作规范。
2.合理规划布局科学教育培训基地和场所。调动社会资源积极参与科学教育设施建设。
（省教育厅牵头，省科协配合）
三、职责分工
（一）县综治办。负责组织对整治行动进行专项督查。
"""
    assert read(tmp_path, body) == [
        ("1.推进科学", ["省教育厅"], ["省科协"], []),
        ("2.合理规划", ["省教育厅"], ["省科协"], []),
        ("(一)县综治", [], ["县综治办"], []),
    ]


def test_a_measures_title_on_its_own_line_opens_its_paragraphs(tmp_path: Path) -> None:
    """（一）统筹建设监管平台。 alone on its line, then paragraphs with no number: one item,
    its actors read from the sentences; X要会同Y… makes X the lead and Y a unit; a
    modal opening a sentence (要根据…部门职责…) names nobody; 县级以上地方人民政府结合…
    acts."""
    body = """三、重点任务
（一）统筹建设监管工作平台。
各省（区、市）人民政府要以全国信用信息共享平台为依托，建设本辖区统一的监管工作平台。
（二）实行抽查事项清单管理。
各有关部门要建立本部门随机抽查事项清单。市场监管总局要会同有关部门制定联合抽查事项清单。
（三）建立健全随机抽查“两库”。
各省（区、市）人民政府要统筹建立检查对象名录库。要根据法律法规和部门职责分工，分类标注检查人员。
（四）统筹制定抽查计划。
县级以上地方人民政府结合本地实际，统筹制定本辖区年度抽查工作计划。
"""
    tasks = read(tmp_path, body)
    assert [t[0] for t in tasks] == ["(一)统筹建", "(二)实行抽", "(三)建立健", "(四)统筹制"]
    assert tasks[0][1:3] == ([], ["各省(区、市)人民政府"])
    assert tasks[1][1] == ["市场监管总局"]
    assert set(tasks[1][2]) == {"各有关部门", "市场监管总局", "有关部门"}
    assert tasks[2][1:3] == ([], ["各省(区、市)人民政府"])
    assert tasks[3][1:3] == ([], ["县级以上地方人民政府"])


def test_a_subject_that_plays_the_leading_role_leads(tmp_path: Path) -> None:
    """省发展改革委要充分发挥牵头抓总作用，…各市县、省有关部门要…: the first leads."""
    body = """一、主要任务
（一）建设口袋公园。新建口袋公园150个。（责任单位：省住房和城乡建设厅）
二、保障措施
（一）加强组织领导。省发展改革委要充分发挥牵头抓总作用，各市县、省有关部门要细化实施方案。
"""
    tasks = read(tmp_path, body)
    assert tasks[1][:2] == ("(一)加强组", ["省发展改革委"])


def test_a_deadline_the_opening_sets_for_all_tasks(tmp_path: Path) -> None:
    """总体要求: 2023年任务目标力争10月底前基本完成，12月底前高质量完成。 Every task without
    a date of its own is due on both dates (the review list says where they come from); a
    task with its own date keeps it; the safeguards chapter is no task to date."""
    body = """一、总体要求
坚持以人民为中心的发展思想，集中力量做好基础性民生建设。2023年任务目标力争10月底前基本完成，12月底前高标准、高质量完成。
二、主要任务
（一）棚户区改造工程。建成棚改安置房7万套。（责任单位：省住房和城乡建设厅）
（二）灾后农房重建工程。6月底前完成2万户农房重建任务。（责任单位：省住房和城乡建设厅）
三、保障措施
（一）强化督导。各地各部门要定期深入基层调查研究，推动工作落实。
"""
    notice = tmp_path / "notice.txt"
    from tests.test_grammar import HEAD

    notice.write_text(HEAD + body, encoding="utf-8")
    ex = extract(notice)
    assert [(t.text[:6], [d.value for d in t.due]) for t in ex.tasks] == [
        ("(一)棚户区", ["2023-10-31", "2023-12-31"]),
        ("(二)灾后农", ["2023-06-30"]),
        ("(一)强化督", []),
    ]
    assert any("总体要求" in note or "全部任务" in note for _, note in ex.tasks[0].rules)


def test_a_list_table_glued_onto_one_line_with_a_letter_spaced_header(tmp_path: Path) -> None:
    """序号改革举措主 要 内 容指导部门推广范围 then rows glued with nothing between: the header
    is read (主 要 内 容 is one cell, 指导部门 a unit column), each row's names are its
    units, the last name in a list ends where the next cell (全国) begins, and the rows
    part at their numbers: neither the 推广范围 cell nor a heading is part of a row's text."""
    rows = [
        "1知识产权案件“三合一”审判整合分散的审判资源，提高审判效率。"
        "最高人民法院、最高人民检察院、国家知识产权局全国",
        "2专利保险机制开发专利执行险等保险产品，降低侵权损失。国家知识产权局、中国银保监会全国",
        "3科技成果转化服务模式以技术交易市场为依托，集成技术、人才、资金。科技部8个改革试验区域",
    ]
    body = (
        "附件第二批改革举措推广清单序号改革举措主 要 内 容指导部门推广范围"
        "一、知识产权保护方面（共2项）" + rows[0] + rows[1] + "二、成果转化方面（共1项）" + rows[2]
    )
    assert [(t[0], t[2]) for t in read(tmp_path, body + "\n")] == [
        ("知识产权案件", ["最高人民法院", "最高人民检察院", "国家知识产权局"]),
        ("专利保险机制", ["国家知识产权局", "中国银保监会"]),
        ("科技成果转化", ["科技部"]),
    ]


def test_a_chapters_introduction_names_who_does_its_items(tmp_path: Path) -> None:
    """试点地区要认真组织实施，…重点做好以下工作： right under the chapter's heading: no task,
    and its subject does the items below it (named by what it is, not by an office)."""
    body = """三、试点内容
试点地区要认真组织实施，按照统一标准的要求，推进数据融通，重点做好以下工作：
（一）建设集约化平台。平台建设可采用省级统建模式。
（二）形成标准规范。编制集约化平台建设标准。
四、保障措施
（一）加强组织领导。各有关部门要精心组织实施。
"""
    assert read(tmp_path, body) == [
        ("(一)建设集", [], ["试点地区"], []),
        ("(二)形成标", [], ["试点地区"], []),
        ("(一)加强组", [], ["各有关部门"], []),
    ]


def test_a_request_to_one_unit_together_with_others(tmp_path: Path) -> None:
    """请人力资源社会保障部会同有关部门按照…，制定…办法: the first leads, those it brings in
    join; a verb (鼓励金融机构…) opens no name."""
    body = """三、重点任务
（一）明确成果转化收益办法。请人力资源社会保障部会同有关部门按照有关通知精神，制定出台具体操作办法，推动各单位落实到位。
（二）加大资金统筹力度。试点城市政府要加大各级财政资金统筹整合力度，明确试点资金范围和规模。鼓励金融机构在风险可控前提下，加大金融支持力度。
"""
    tasks = read(tmp_path, body)
    assert tasks[0][1] == ["人力资源社会保障部"]
    assert "有关部门" in tasks[0][2] and "人力资源社会保障部会同有关部门" not in tasks[0][2]
    assert tasks[1][2] == ["试点城市政府"]


def test_and_after_a_names_closing_bracket_parts_two_names(tmp_path: Path) -> None:
    """各级政府(减轻企业负担领导小组)和有关部门要…: two actors, the bracket inside the first."""
    body = """三、保障措施
（一）高度重视，加强领导。各级政府(减轻企业负担领导小组)和有关部门要把降费工作摆上重要日程。
"""
    assert read(tmp_path, body)[0][2] == ["各级政府(减轻企业负担领导小组)", "有关部门"]


def test_a_space_parted_table_whose_line_breaks_were_dropped(tmp_path: Path) -> None:
    """…量化指标任务分工序号 工 作 任 务 牵头负责部门1 居民消费价格涨幅3%左右 发展改革委2 …:
    each row starts where the next number in turn does (1000万人 is no row), its last
    cell its unit."""
    cover = (
        "国务院有关部门：现将《2016年量化指标任务分工》印发给你们，请认真贯彻落实。"
        "各有关部门要按照分工抓紧研究制定工作方案，健全工作机制，层层落实责任。"
        "国务院办公厅2016年4月6日2016年量化指标任务分工"
    )
    rows = (
        "序号 工 作 任 务 牵头负责部门1 居民消费价格涨幅3%左右 发展改革委"
        "2 城镇新增就业1000万人以上 人力资源社会保障部3 安排地方专项债券4000亿元 财政部"
        "4 推进5万个行政村通光纤 工业和信息化部"
    )
    notice = tmp_path / "notice.txt"
    notice.write_text(
        "国务院办公厅关于印发2016年量化指标任务分工的通知\n" + cover + rows + "\n",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert [(t.text[:8], t.lead + t.units) for t in ex.tasks] == [
        ("居民消费价格涨幅", ["发展改革委"]),
        ("城镇新增就业10", ["人力资源社会保障部"]),
        ("安排地方专项债券", ["财政部"]),
        ("推进5万个行政村", ["工业和信息化部"]),
    ]


def test_a_dashed_line_of_units_on_the_same_line_as_its_item(tmp_path: Path) -> None:
    """1、…达到90%。──由X会同有关部门和各县市区组织落实。2、… stored on one line: each dashed
    clause is its item's line of units (X leads)."""
    body = (
        "二、任务分解（一）约束性指标1、城镇养老、失业、医疗保险覆盖率达到90%。"
        "──由市劳动和社会保障局会同有关部门和各县市区组织落实。2、新型农村合作医疗覆盖率"
        "达到100%。──由市卫生局会同有关部门和各县市区组织落实。3、森林覆盖率达到45%。"
        "──由市林业局会同有关部门和各县市区组织落实。4、全市耕地保有量稳定在585万亩左右。"
        "──由市国土资源局会同有关部门和各县市区组织落实。5、单位生产总值能耗比“十五”末下降20%。"
        "──由市发改委会同有关部门和各县市区组织落实。\n"
    )
    assert [t for t in read(tmp_path, body) if t[0].startswith(("1、", "2、", "3、"))] == [
        ("1、城镇养老", ["市劳动和社会保障局"], ["有关部门", "各县市区"], []),
        ("2、新型农村", ["市卫生局"], ["有关部门", "各县市区"], []),
        ("3、森林覆盖", ["市林业局"], ["有关部门", "各县市区"], []),
    ]


def test_a_chapter_of_targets_holds_no_tasks(tmp_path: Path) -> None:
    """一、行动目标 with 到2025年… paragraphs states targets, not tasks."""
    body = """一、行动目标
到2025年，质量强省建设稳步提升。制造业产品质量合格率达到94%。
到2027年，质量强省建设取得新跃升。农产品质量监测合格率达到99%以上。
二、重点任务
（一）加强先进标准制定。鼓励企业主导国际标准制修订。（责任单位：省市场监管局）
"""
    assert [t[0] for t in read(tmp_path, body)] == ["(一)加强先"]


def test_organs_and_levels_sharing_one_name_as_the_actors_of_a_measure(tmp_path: Path) -> None:
    """公安机关, 监察机关 are organisations (机关 ends a name); 各市、县级人民政府 and
    市、县两级环境保护部门 are each one group, levels sharing one head noun (市 alone names
    no one), as are 各省、市、县级人民政府; 各级党委和政府 shares 各级 (政府 alone names no
    body); 高校 ends a name as 院所 does; 和 parts two organs (公安机关和检察机关) but not
    机关 alone from the body it is paired with (机关和事业单位)."""
    body = """二、重点任务
（一）实施联动执法。各级环境保护部门和公安机关要建立联动执法联席会议制度。
（二）划分监管网格。各市、县级人民政府要将本行政区域划分为若干环境监管网格，市、县两级环境保护部门要明确网格监管责任人。
（三）严肃追责问责。监察机关要依法依纪追究有关单位和人员的责任。
（四）落实属地责任。各省、市、县级人民政府要对本行政区域环境监管执法工作负领导责任。
（五）加强组织领导。各级党委和政府要把生态环境保护摆在重要位置。
（六）推进产学研结合。各高校、科研院所要完善科技成果转化制度。
（七）强化行刑衔接。公安机关和检察机关要加强协作配合。
（八）落实节能措施。各部门、机关和事业单位要带头节约能源资源。
"""
    assert [(t[0], t[2]) for t in read(tmp_path, body)] == [
        ("(一)实施联", ["各级环境保护部门", "公安机关"]),
        ("(二)划分监", ["各市、县级人民政府", "市、县两级环境保护部门"]),
        ("(三)严肃追", ["监察机关"]),
        ("(四)落实属", ["各省、市、县级人民政府"]),
        ("(五)加强组", ["各级党委和政府"]),
        ("(六)推进产", ["各高校", "科研院所"]),
        ("(七)强化行", ["公安机关", "检察机关"]),
        ("(八)落实节", ["各部门", "机关和事业单位"]),
    ]


def test_a_bracket_naming_one_body_and_others_of_its_kind(tmp_path: Path) -> None:
    """（X、Y等部门和单位按职责分工负责）: 等部门和单位 names no body beyond X and Y, as 等部门
    does; X等有关部门和单位 stays whole, as the shared golds keep X等有关单位."""
    body = (
        "（一）完善商业秘密保护规则。明确保护范围和法律责任。"
        "（省法院、省市场监管局等部门和单位按职责分工负责）\n"
        "（二）加强知识产权保护中心建设。优化保护中心布局。"
        "（省知识产权局、省财政厅等有关部门和单位负责）\n"
    )
    assert read(tmp_path, body) == [
        ("(一)完善商", [], ["省法院", "省市场监管局"], []),
        ("(二)加强知", [], ["省知识产权局", "省财政厅等有关部门和单位"], []),
    ]


def test_subjects_counted_off_by_yi_shi_er_shi(tmp_path: Path) -> None:
    """一是X要…；二是Y要…: the actors are X and Y, not "二是Y"."""
    body = (
        "（一）健全联防联控机制。一是县经济发展局要建立信息共享机制；"
        "二是县公安局要加大打击力度；三是各乡镇人民政府要加强日常巡查。\n"
    )
    assert read(tmp_path, body) == [
        ("(一)健全联", [], ["县经济发展局", "县公安局", "各乡镇人民政府"], []),
    ]

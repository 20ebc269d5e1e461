"""Rules of Chinese official writing the importer reads, each on a small notice written
for it (places, units and dates invented)."""

from __future__ import annotations

from pathlib import Path

from plans.importer import extract

HEAD = """青石县人民政府办公室
青石县人民政府办公室
2023年3月6日
青石县2023年政务公开重点任务分工方案
"""


def read(
    tmp_path: Path, body: str, name: str = "notice.txt"
) -> list[tuple[str, list[str], list[str], list[str]]]:
    """(text start, lead, units, due) of every task read from HEAD + body."""
    notice = tmp_path / name
    notice.write_text(HEAD + body, encoding="utf-8")
    ex = extract(notice)
    return [(t.text[:6], t.lead, t.units, [d.value for d in t.due]) for t in ex.tasks]


def test_the_footer_of_a_gongwen_is_not_a_task(tmp_path: Path) -> None:
    body = (
        "一、重点任务\n（一）公开财政预决算信息，6月底前完成。（责任单位：县财政局）\n"
        "抄送：县委办公室，县人大常委会办公室。\n青石县人民政府办公室 2023年3月6日印发\n"
    )
    assert [t[0] for t in read(tmp_path, body)] == ["(一)公开财"]


def test_a_portals_footer_and_the_principles_are_no_tasks(tmp_path: Path) -> None:
    """A notice copied from a government portal ends with the site's footer; 工作原则
    is the plan's preamble like 基本原则."""
    body = (
        "一、工作原则\n（一）坚持公开为常态、不公开为例外。\n"
        "二、重点任务\n（一）公开财政预决算信息，6月底前完成。（责任单位：县财政局）\n"
        "主办单位：青石县人民政府办公室\n网站标识码：3301000001\n"
        "浙ICP备05000000号-1\n浙公网安备 33010002000001号\n"
        "网站地图 | 联系我们 | 返回顶部\n"
    )
    assert [t[0] for t in read(tmp_path, body)] == ["(一)公开财"]


def test_a_line_that_only_points_to_a_reference_belongs_to_the_item_above(
    tmp_path: Path,
) -> None:
    body = (
        "一、重点任务\n（一）公开财政预决算信息，6月底前完成。（责任单位：县财政局）\n"
        "各领域标准指引相关内容，可参考省政府门户网站政务公开专题。\n"
        "（二）公开重大建设项目信息。（责任单位：县发展改革局）\n"
    )
    assert [t[0] for t in read(tmp_path, body)] == ["(一)公开财", "(二)公开重"]


def test_a_date_that_qualifies_someone_elses_thing_is_no_deadline(tmp_path: Path) -> None:
    from plans.cn_dates import read_dues

    assert read_dues("做好与省级年底出台的追溯平台的对接。", 2018) == []
    assert [d.value for d in read_dues("9月底前建成的平台要在年底前完成对接。", 2018)] == [
        "2018-12-31"
    ]


def test_a_regulators_inspection_under_a_task_chapter_is_no_checkpoint(tmp_path: Path) -> None:
    """ "5.加强监督抽查" inside 二、重点任务 heads a regulator's own work on its trade; its
    监测 are tasks, not the plan's checks (a 五、监督检查 chapter's are)."""
    from plans.importer import extract

    body = (
        "一、重点任务\n（一）水产养殖环节\n1.加强监督抽查和风险监测\n"
        "（1）风险监测。一是开展贝类卫生风险监测。（责任单位：县农业农村局）\n"
        "二、监督检查\n（一）县政府办公室每季度对各单位落实情况开展督查。\n"
    )
    notice = tmp_path / "notice.txt"
    notice.write_text(HEAD + body, encoding="utf-8")
    ex = extract(notice)
    assert [c.kind for c in ex.checkpoints] == ["check"]
    assert "落实情况" in ex.checkpoints[0].text
    assert any("贝类" in t.text for t in ex.tasks)


def test_deadline_words_of_tables_and_quarters(tmp_path: Path) -> None:
    """次年 with a day, a quarter's end, 按季度, a target year after 确保, and the words a
    deadline cell uses alone (长期, 每季度, 全年)."""
    from plans.cn_dates import read_cell_dues, read_dues

    assert [d.value for d in read_dues("次年1月20日前报送", 2023)] == ["2024-01-20"]
    assert [d.value for d in read_dues("三季度末前完成改版", 2023)] == ["2023-09-30"]
    assert [d.value for d in read_dues("2024年第一季度完成", 2023)] == ["2024-03-31"]
    assert [d.value for d in read_dues("按季度公开财政收支执行情况", 2023)] == ["quarterly:end"]
    assert [d.value for d in read_dues("确保2020年全面完成", 2019)] == ["2020-12-31"]
    assert not read_dues("每季度新闻发布会计划", 2023)  # a noun, not a cadence
    for cell, due in (
        ("长期", "ongoing"),
        ("常态化", "ongoing"),
        ("每季度", "quarterly:end"),
        ("全年", "2023-12-31"),
        ("11月", "2023-11-30"),
        ("每月", "monthly:end"),
    ):
        assert [d.value for d in read_cell_dues(cell, 2023)] == [due], cell


def test_units_named_before_a_colon_lead_the_item(tmp_path: Path) -> None:
    body = (
        "一、重点任务\n"
        "1．县民政局：公开养老服务机构名录和收费标准，9月30日前完成。\n"
        "2．县民政局（牵头）、县财政局（牵头）、县直各部门：公开救助政策的认定条件。\n"
        "3．县人社局牵头，各乡镇人民政府配合：公开就业补贴申领流程。\n"
    )
    assert [t[1:3] for t in read(tmp_path, body)] == [
        ([], ["县民政局"]),
        (["县民政局", "县财政局"], ["县直各部门"]),
        (["县人社局"], ["各乡镇人民政府"]),
    ]


def test_a_heading_closing_with_who_is_responsible_governs_its_items(tmp_path: Path) -> None:
    body = (
        "一、重点任务\n（一）做好就业社保信息公开（各乡镇人民政府、县直各部门负责）\n"
        "1．及时公开稳岗返还政策的申领条件和办理流程，并持续推进。\n"
        "2．集中发布重点群体招聘信息，9月底前完成。\n"
        "（二）加强统计信息公开\n3．区直各部门：公开审计结果和整改情况。\n"
    )
    tasks = read(tmp_path, body)
    assert [t[2] for t in tasks[:2]] == [["各乡镇人民政府", "县直各部门"]] * 2
    assert tasks[2][2] == ["区直各部门"]  # the next heading governs nothing of it


def test_a_sentence_that_says_who_does_the_item(tmp_path: Path) -> None:
    """The item's requirement first, then a sentence of roles: X牵头，Y配合 / 由X牵头，Y按职责
    分工抓好落实 / X负责落实，DATE前完成 / 由X和Y负责，持续开展. A 负责人 is no role."""
    body = (
        "一、重点任务\n"
        "1.公开国土空间总体规划批复文件。县自然资源局负责落实，2023年8月15日前完成。\n"
        "2.做好历史规划的归集整理。由县发展改革委牵头，各县(市、区)政府、县直有关部门按职责分工抓好落实。\n"
        "3.公开交易规则和投诉处理结果。县财政局、县公共资源交易中心牵头抓总，县直各部门配合，12月底前完成。\n"
        "4.公开国有产权转让信息。由县财政局和县公共资源交易中心负责，持续开展。\n"
        "5.公开重点排污单位名录，9月底前完成。责任单位为县生态环境局。\n"
    )
    tasks = read(tmp_path, body)
    assert [t[1:] for t in tasks] == [
        ([], ["县自然资源局"], ["2023-08-15"]),
        (["县发展改革委"], ["各县(市、区)政府", "县直有关部门"], []),
        (["县财政局", "县公共资源交易中心"], ["县直各部门"], ["2023-12-31"]),
        ([], ["县财政局", "县公共资源交易中心"], ["ongoing"]),
        ([], ["县生态环境局"], ["2023-09-30"]),
    ]
    from plans.importer.units import sentence_roles

    assert (
        sentence_roles(
            "1.整改情况报送。整改情况于2日内,经单位主要负责人审签后书面报区政府办", lambda s: s
        )
        is None
    )


def test_the_self_check_doubts_what_the_reading_may_have_missed() -> None:
    """Independent of the reading rules: an item whose text names organisations but
    was read with none is a doubt about its units (not a todo); a unit that is no
    organisation's name is a doubt; a cadence with no deadline read, and a date in the
    text beside a deadline cell, are doubts about the deadline. An item that names no
    one is a todo, and the coordinator acting itself names no one."""
    from plans.cn_dates import Due
    from plans.importer.model import Extraction, TaskDraft
    from plans.importer.review import review_fields
    from plans.importer.self_check import check, looks_like_org

    ex = Extraction(Path("x.txt"))
    ex.tasks = [
        TaskDraft("（一）办好政府公报。提高公报质量，丰富传播渠道。", [], "第1行"),
        TaskDraft("（二）规范答复。受理单位应在答复申请人当日录入答复情况。", [], "第2行"),
        TaskDraft("（三）严格考核。对未按期整改的单位，由县政府办扣减绩效分。", [], "第3行"),
        TaskDraft("（四）公开预算。", [], "第4行", units=["2022年12月底前", "县财政局"]),
        TaskDraft("（五）公开采购意向，每季度开展检查。", [], "第5行", units=["县财政局"]),
        TaskDraft(
            "（六）8月15日前完成改版，年底前全覆盖。",
            [],
            "第6行",
            units=["县住建局"],
            due=[Due("2023-08-15")],
            cells={"due": "表1第6行第5列"},
        ),
        TaskDraft(
            "（七）公开审计结果。县审计局牵头，县财政局配合。",
            [],
            "第7行",
            units=["县财政局"],
            unit_how="table",
        ),
    ]
    check(ex, 2023)
    review_fields(ex)
    lines = {(r.kind, r.about, r.items[0] if r.items else ""): r.what for r in ex.review}
    assert ("todo", "units", "第1行") in lines and ("todo", "units", "第3行") in lines
    assert "原文提到“受理单位”，但没有读出责任单位" in lines[("doubt", "units", "第2行")]
    assert "“2022年12月底前”不像单位名称" in lines[("doubt", "units", "第4行")]
    assert "原文有时间要求“每季度开展”，但没有读出期限" in lines[("doubt", "due", "第5行")]
    assert "正文中还写有期限“年底前”" in lines[("doubt", "due", "第6行")]
    assert "原文句中还写有“县审计局”的分工" in lines[("doubt", "units", "第7行")]  # two readings
    from plans.importer.self_check import named_orgs

    assert named_orgs("1.拟新开设政务新媒体(包括微信公众号、微博等)的单位,应报区政府办备案") == [
        "拟新开设政务新媒体的单位"
    ]
    assert "区司法局" in named_orgs("2.受理单位的答复意见,需经区司法局审核把关")
    assert looks_like_org("各县(市、区)人民政府") and looks_like_org("人行平潭支行")
    assert not looks_like_org("按职责分工落实")


def test_the_first_unit_leads_when_the_notice_says_so_and_x_hui_tong_y(tmp_path: Path) -> None:
    """ "排在第一位的为牵头单位" said once applies to every later list that marks no
    lead (a rule to spot-check); "X会同Y负责" makes X the lead."""
    body = (
        "各项任务的责任单位中，排在第一位的为牵头单位，其他单位按职责分工配合。\n"
        "一、重点任务\n（一）公开财政预决算信息。（责任单位：县财政局、县审计局）\n"
        "（二）公开招生入学政策。由县教育局会同各乡镇人民政府负责。\n"
    )
    notice = tmp_path / "first.txt"
    notice.write_text(HEAD + body, encoding="utf-8")
    ex = extract(notice)
    assert [(t.lead, t.units) for t in ex.tasks] == [
        (["县财政局"], ["县财政局", "县审计局"]),
        (["县教育局"], ["各乡镇人民政府"]),
    ]
    assert any(r.kind == "rule" and "排在第一位的为牵头单位" in r.what for r in ex.review)


def test_two_dates_in_one_checkpoint_sentence_are_both_read() -> None:
    from plans.cn_dates import read_dues

    assert [d.value for d in read_dues("分别于8月15日和9月15日前后开展集中检查", 2023)] == [
        "2023-08-15",
        "2023-09-15",
    ]
    assert [d.value for d in read_dues("8月15日和9月15日前后开展集中检查", 2023)] == [
        "2023-08-15",
        "2023-09-15",
    ]


def test_a_line_saying_what_the_item_delivers_is_no_item(tmp_path: Path) -> None:
    body = (
        "一、重点任务\n【任务1】公开财政预决算信息。\n牵头单位：县财政局\n完成时限：6月底前\n"
        "成果形式：网页链接清单、工作台账\n【任务2】公开采购意向。\n牵头单位：县财政局\n"
    )
    assert [t[0] for t in read(tmp_path, body)] == ["【任务1】公", "【任务2】公"]


def test_an_introduction_over_its_items_is_a_heading_not_a_task(tmp_path: Path) -> None:
    body = (
        "一、重点任务\n1.围绕重大项目建设，实施如下重点公开：\n"
        "(1)公开项目批准结果。（责任单位：县发展改革局）\n"
        "(2)公开项目施工信息。（责任单位：县住建局）\n"
    )
    notice = tmp_path / "intro.txt"
    notice.write_text(HEAD + body, encoding="utf-8")
    ex = extract(notice)
    assert [t.text[:7] for t in ex.tasks] == ["(1)公开项目", "(2)公开项目"]
    assert ex.tasks[0].section[-1].startswith("1.围绕重大项目建设")


def test_where_no_unit_is_marked_the_subjects_of_the_sentences_act(tmp_path: Path) -> None:
    """A part of a notice that marks no units names its actors as subjects: an office
    named by its role (受理单位), a group named by what it does (开设有…的单位), a subject
    after a time phrase and a comma (…底前，X、Y，要…), the subject of a later clause (…，
    主办单位应…); "X应为…机构" says what X is, and 本部门 is the subject's own."""
    body = (
        "一、有关要求\n"
        "1.受理单位答复申请人当日，应在系统中录入答复情况。\n"
        "2.开设有政务新媒体的单位，应将运维人员名单报县政府办备案。\n"
        "3.委托第三方代运维的，代运维机构应为具有新闻资质的新闻机构。运维合同到期后，主办单位应按要求重新委托。\n"
        "4.推进平台建设。2023年底前，县直各部门、各乡镇人民政府，要依托本部门网站建成公开平台。\n"
    )
    notice = tmp_path / "notice.txt"
    notice.write_text(HEAD + body, encoding="utf-8")
    ex = extract(notice)
    assert [t.units for t in ex.tasks] == [
        ["受理单位"],
        ["开设有政务新媒体的单位"],
        ["主办单位"],
        ["县直各部门", "各乡镇人民政府"],
    ]
    # each such reading is one doubt for the coordinator, none about 本部门 or what X is
    said = "\n".join(r.what for r in ex.review)
    assert "按句中主语读取" in said
    assert "本部门" not in said and "应为具有" not in said


def test_a_standing_duty_is_not_the_continuation_of_a_dated_step() -> None:
    """ "最迟在5小时内发布，并…持续发布" continues the dated step; "持续提升…；9月30日前
    建成…" and "…3个工作日内发布，持续推进…" state a standing duty beside a date."""
    from plans.cn_dates import read_dues

    step = "对重大突发事件，最迟要在5小时内发布权威信息，并根据工作进展情况，持续发布权威信息。"
    assert [d.value for d in read_dues(step, 2023)] == ["+5h@event"]
    both = "持续提升政府网站基本功能；9月30日前，建成统一规范的政府信息公开专栏。"
    assert [d.value for d in read_dues(both, 2023)] == ["ongoing", "2023-09-30"]
    after = "重要政策文件出台后3个工作日内发布解读材料，持续推进图解、视频解读。"
    assert [d.value for d in read_dues(after, 2023)] == ["+3wd@event", "ongoing"]


def test_a_deadline_read_as_a_unit_is_doubted_as_a_deadline(tmp_path: Path) -> None:
    """A row shifted by one cell puts its deadline in the units: the review list names
    the deadline too, not only the odd unit."""
    from plans.importer.model import Extraction, TaskDraft
    from plans.importer.self_check import check

    ex = Extraction(tmp_path / "notice.txt")
    text = "完善考核办法，合理设置考核指标。"
    ex.tasks.append(TaskDraft(text, [], "line 9", [], ["2023年12月底前", "县直有关单位"]))
    check(ex, 2023)
    assert {field for field, _ in ex.tasks[0].doubts} == {"units", "due"}


def test_a_second_label_after_a_comma_inside_one_bracket(tmp_path: Path) -> None:
    """ "（牵头单位：X，配合单位：Y）": the comma ends the first label's names; and a
    federation (工商联, 妇联) is an organisation."""
    body = (
        "一、重点任务\n"
        "1.推进一网通办，网上可办率达到95%以上。（牵头单位：县政务服务中心，配合单位：县直各部门）\n"
        "2.定期召开企业家座谈会。（县工商联牵头，县妇联、县直有关部门配合）\n"
    )
    assert [t[1:3] for t in read(tmp_path, body)] == [
        (["县政务服务中心"], ["县直各部门"]),
        (["县工商联"], ["县妇联", "县直有关部门"]),
    ]


def test_an_items_own_recurring_inspection_is_no_checkpoint_of_the_plan(tmp_path: Path) -> None:
    """按季度开展收费专项检查 is the item's work; 每季度对本方案落实情况进行检查 checks the plan."""
    body = (
        "一、重点任务\n"
        "1.规范涉企收费，按季度开展专项检查。（县市场监管局负责）\n"
        "2.县政府办公室每季度对本方案落实情况进行检查，通报进展。（县政府办公室负责）\n"
    )
    notice = tmp_path / "notice.txt"
    notice.write_text(HEAD + body, encoding="utf-8")
    checks = [c.text for c in extract(notice).checkpoints if c.kind == "check"]
    assert len(checks) == 1 and "落实情况" in checks[0]


def test_a_plan_over_several_years_works_from_the_year_it_is_issued(tmp_path: Path) -> None:
    """A title's span (2023—2025年) is no work year: dates without a year are read in the
    year of issue, and the review list says so as a rule."""
    notice = tmp_path / "notice.txt"
    notice.write_text(
        HEAD.replace(
            "青石县2023年政务公开重点任务分工方案", "青石县全民健身实施计划（2023—2025年）任务分工"
        )
        + "一、重点任务\n1.推进体育社会组织改革，三季度末前完成脱钩。（县民政局负责）\n",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert ex.meta["year"].value == 2023
    assert [d.value for d in ex.tasks[0].due] == ["2023-09-30"]
    assert any("2023—2025" in r.what and r.kind == "rule" for r in ex.review)


def test_a_document_signed_at_its_end_is_read_above_its_signature(tmp_path: Path) -> None:
    """An 意见 issued as it is: title on two lines, 文号, 主送, numbered body, then the
    issuer and the date. Its measures close with "（X、Y等负责）", the first says that the
    first unit leads; "X、Y等和各省级人民政府负责" names the group after 等和."""
    notice = tmp_path / "opinion.txt"
    notice.write_text(
        "国务院关于加快推进\n青石产业转型升级的指导意见\n国发〔2024〕9号\n"
        "各省、自治区、直辖市人民政府，国务院各部委、各直属机构：\n"
        "为加快推进产业转型升级，现提出以下意见。\n"
        "一、总体要求\n（一）指导思想。以新发展理念为指导，推动高质量发展。\n"
        "二、重点任务\n"
        "（二）完善创新体系。支持企业建设研发中心。（工业和信息化部、科技部等负责。列第一位者为牵头单位，下同）\n"
        "（三）优化产业布局。引导产业向园区集聚。（发展改革委、商务部等和各省级人民政府负责）\n"
        "（四）强化人才支撑。实施职业农民培育工程。（农业农村部负责）\n"
        "国务院\n2024年3月1日\n（此件公开发布）\n",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert ex.meta["title"].value == "国务院关于加快推进青石产业转型升级的指导意见"
    assert ex.meta["issuer"].value == "国务院"
    assert [(t.lead, t.units) for t in ex.tasks] == [
        (["工业和信息化部"], ["工业和信息化部", "科技部"]),
        (["发展改革委"], ["发展改革委", "商务部", "各省级人民政府"]),
        (["农业农村部"], ["农业农村部"]),
    ]


def test_a_unit_named_as_a_sub_heading_governs_the_items_below_it(tmp_path: Path) -> None:
    """ "（一）县财政局" over 1. 2.: those items are its part; the next item of the heading's
    level ("（二）县市场监管局严格…") says who does it itself; a group named by its kind
    ("（三）学校") governs too. Items in 目标任务 are tasks when they name who does them."""
    body = (
        "一、目标任务\n"
        "1.全面推进标准化建设，创建示范点2个。（责任单位：县农业农村局）\n"
        "二、职责分工\n（一）县财政局\n1.做好经费保障，将所需经费列入年度部门预算。\n"
        "2.加强资金监管，定期通报资金使用情况。\n"
        "（二）县市场监管局严格监管验光配镜行业，不断加强眼视光产品监管和计量监管，"
        "整顿配镜行业秩序，加大执法检查力度。\n"
        "（三）学校\n1.减轻学生学业负担，严格依据课程标准组织安排教学活动。\n"
    )
    assert [t[1:3] for t in read(tmp_path, body)] == [
        ([], ["县农业农村局"]),
        ([], ["县财政局"]),
        ([], ["县财政局"]),
        ([], ["县市场监管局"]),
        ([], ["学校"]),
    ]


def test_a_short_numbered_target_over_its_unit_line_is_an_item(tmp_path: Path) -> None:
    """ "（一）地区生产总值增长7%以上" is short like a heading, but the 责任单位 line under it
    makes it an item; a page's metadata line gives the 文号 after 文号."""
    notice = tmp_path / "targets.txt"
    notice.write_text(
        "青石县人民政府办公室关于印发2023年主要目标任务责任分解方案的通知\n"
        "发布机构 县人民政府办公室 文    号 青政办〔2023〕1号\n"
        "各乡镇人民政府，县直各部门：\n现将方案印发给你们，请认真贯彻落实。\n"
        "青石县人民政府办公室\n2023年1月3日\n"
        "2023年主要目标任务责任分解方案\n一、主要预期目标\n"
        "（一）地区生产总值增长7%以上\n责任单位：县发展和改革局\n"
        "（二）固定资产投资增长10%以上\n责任单位：县发展和改革局\n",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert ex.meta["doc_no"].value == "青政办〔2023〕1号"
    assert [(t.text[:8], t.units) for t in ex.tasks] == [
        ("(一)地区生产总", ["县发展和改革局"]),
        ("(二)固定资产投", ["县发展和改革局"]),
    ]


def test_year_targets_are_due_at_the_end_of_their_year() -> None:
    from plans.cn_dates import read_dues

    for text, due in (
        ("建立监管台账，2018年创建2家示范作坊。", ["2018-12-31"]),
        ("争取2019年建成餐厨垃圾处理厂。", ["2019-12-31"]),
        ("全年新增三品一标获证产品1个以上。", ["2018-12-31"]),
        ("对获证企业进行一年两次的全覆盖抽查。", ["yearly:2"]),
    ):
        assert [d.value for d in read_dues(text, 2018)] == due, text


def test_who_leads_a_chapter_is_said_once_under_its_heading(tmp_path: Path) -> None:
    """ "由X牵头，突出…" right under a heading introduces the chapter: no task, its units go
    to the chapter's items; "（一）题。X负责，Y配合。" over items is a heading with roles."""
    body = (
        "一、围绕优化营商环境加强公开\n由县发展改革委牵头，突出政策兑现和惠企服务。\n"
        "1.公开惠企政策清单，实现政策“一站式”查询。\n"
        "2.推行政策免申即享，二季度末前上线兑现平台。\n"
        "二、围绕保障民生加强公开\n（一）做好社会救助信息公开。县民政局负责，各乡镇人民政府配合。\n"
        "1.按季度公开低保、特困人员救助供养信息。\n2.公开临时救助政策和办理流程。\n"
    )
    assert [t[:3] for t in read(tmp_path, body)] == [
        ("1.公开惠企", ["县发展改革委"], []),
        ("2.推行政策", ["县发展改革委"], []),
        ("1.按季度公", ["县民政局"], ["各乡镇人民政府"]),  # X负责，Y配合: X leads
        ("2.公开临时", ["县民政局"], ["各乡镇人民政府"]),
    ]


def test_checkpoints_said_with_a_month_or_about_progress() -> None:
    """ "将于9月对落实情况开展检查" is due by the month's end; "报送落实情况" is a report;
    a heading about 保障民生 is no supervision section."""
    from plans.cn_dates import read_dues

    assert [d.value for d in read_dues("区政府办公室将于9月对落实情况开展检查。", 2024)] == [
        "2024-09-30"
    ]
    assert not read_dues("于9月中旬召开推进会", 2024)
    from plans.importer.checkpoints import KINDS, SUPERVISION_HEADING

    said = "各单位于8月15日和12月15日前分别报送落实情况。"
    assert next(k for k, rx in KINDS if rx.search(said)) == "report"
    assert not SUPERVISION_HEADING.search("二、围绕保障民生加强公开")
    assert SUPERVISION_HEADING.search("五、保障措施")


def test_a_target_followed_by_its_leader_and_its_division_of_work(tmp_path: Path) -> None:
    """A provincial plan: each numbered target, then "分管省领导：NAME" (a person: no
    unit, no item) and "部门分工：X牵头，各地、各部门配合。" (X leads, 各地 and 各部门 join)."""
    body = (
        "一、主要预期目标\n"
        "1.地区生产总值增长6%以上。\n分管省领导：林某\n部门分工：省发展改革委牵头，各地、各部门配合。\n"
        "2.地方一般公共预算收入增长5%左右。\n分管省领导：王某\n部门分工：省财政厅牵头，各地、各部门配合。\n"
    )
    assert read(tmp_path, body) == [
        ("1.地区生产", ["省发展改革委"], ["各地", "各部门"], []),
        ("2.地方一般", ["省财政厅"], ["各地", "各部门"], []),
    ]


def test_a_level_named_once_for_the_names_after_it(tmp_path: Path) -> None:
    """各县、区人民政府 is one group (the counties' and the districts' governments): 各县
    shares the name after it; a bracket that says what the group includes is no name."""
    body = (
        "一、加强权力配置信息公开\n"
        "1.全面梳理本单位依法行使的行政权力，编制权责清单。"
        "（责任单位：市直各单位，各县、区人民政府（包括甲开发区，下同））\n"
        "2.集中公开所辖政府部门的权责清单。（责任单位：市政府办公室，各县、区人民政府）\n"
    )
    assert read(tmp_path, body) == [
        ("1.全面梳理", [], ["市直各单位", "各县、区人民政府"], []),
        ("2.集中公开", [], ["市政府办公室", "各县、区人民政府"], []),
    ]


def test_a_state_council_opinion_signed_at_its_end(tmp_path: Path) -> None:
    """An 意见 issued as it is: its title and 文号 on top, measures closed by "（负责部门：
    X、Y；适用范围：…）" (适用范围 names places, not units; "X等部门" is X), signed at
    its end above an attachment that is no task list."""
    measures = "\n".join(
        f"（{n}）{what}。（负责部门：{who}；适用范围：所有自贸试验区）"
        for n, what, who in [
            ("一", "放宽外商投资建设工程设计企业外籍技术人员的比例要求", "住房城乡建设部、商务部"),
            ("二", "支持自贸试验区开展大宗商品进口贸易结算", "人民银行等部门"),
            ("三", "将建筑施工企业安全生产许可等审批权限下放至自贸试验区", "住房城乡建设部"),
        ]
    )
    text = (
        "国务院关于支持自由贸易试验区\n深化改革创新若干措施的通知\n国发〔2018〕38号\n"
        "各省、自治区、直辖市人民政府，国务院各部委、各直属机构：\n"
        "为进一步深化改革，现提出以下措施。\n一、营造优良投资环境\n" + measures + "\n"
        "二、加强组织实施\n各地区、各部门要高度重视，抓好落实。\n"
        "三、做好宣传\n各地区要做好政策宣传解读。\n"
        "国务院\n2018年11月7日\n（此件公开发布）\n附件\n自贸试验区名单\n1.上海\n2.广东\n"
    )
    notice = tmp_path / "opinion.txt"
    notice.write_text(text, encoding="utf-8")
    ex = extract(notice)
    assert [(t.text[:6], t.units) for t in ex.tasks[:3]] == [
        ("(一)放宽外", ["住房城乡建设部", "商务部"]),
        ("(二)支持自", ["人民银行"]),
        ("(三)将建筑", ["住房城乡建设部"]),
    ]
    assert not [t for t in ex.tasks if "国务院" in t.units]  # the signature is nobody's unit
    assert not [t for t in ex.tasks if "上海" in t.text]  # nor is the attachment's list
    meta = {k: str(f.value) for k, f in ex.meta.items()}
    assert meta["title"] == "国务院关于支持自由贸易试验区深化改革创新若干措施的通知"
    assert (meta["issuer"], meta["issued"]) == ("国务院", "2018-11-07")


def test_the_unit_in_charge_leads_those_that_assist(tmp_path: Path) -> None:
    """ "X负责，Y配合" names X in charge and Y assisting: X leads, as with 牵头. A unit
    that is only 负责 (no one assists) is a responsible unit, and so are units that
    共同负责."""
    body = (
        "一、加强源头治理\n"
        "1.开展农产品产地环境监测，做好土壤污染防治。（区农业农村局负责，区生态环境局配合）\n"
        "2.加强农业投入品监管，严厉打击违法经营。（区市场监管局负责）\n"
        "3.开展校园食品安全专项整治。责任单位：区教育局负责，区市场监管局配合。\n"
        "4.开展餐饮服务专项检查。（区市场监管局、区卫健局共同负责，各镇配合）\n"
    )
    assert read(tmp_path, body) == [
        ("1.开展农产", ["区农业农村局"], ["区生态环境局"], []),
        ("2.加强农业", [], ["区市场监管局"], []),
        ("3.开展校园", ["区教育局"], ["区市场监管局"], []),
        ("4.开展餐饮", [], ["区市场监管局", "区卫健局", "各镇"], []),
    ]


def test_a_cover_letter_signed_above_its_attachment_is_no_plan(tmp_path: Path) -> None:
    """A 通知 whose letter has numbered paragraphs (一、二、三、) and sends the plan as its
    attachment: the plan is the attachment, with its own title; the letter sets no task."""
    text = (
        "某县人民政府办公室关于印发某县2023年安全生产工作要点的通知\n"
        "各乡镇人民政府，县直各单位：\n现将《某县2023年安全生产工作要点》印发给你们，请认真贯彻落实。\n"
        "一、提高认识。各单位要高度重视安全生产工作。\n二、加强领导。各单位要明确分管领导。\n"
        "三、按时报送。各单位于12月10日前将落实情况报县安委办。\n"
        "某县人民政府办公室\n2023年2月1日\n附件\n某县2023年安全生产工作要点\n"
        "1.开展危险化学品安全专项整治。（责任单位：县应急管理局）\n"
        "2.开展道路交通安全隐患排查。（责任单位：县公安局）\n"
    )
    notice = tmp_path / "letter.txt"
    notice.write_text(text, encoding="utf-8")
    ex = extract(notice)
    assert [(t.text[:6], t.units) for t in ex.tasks] == [
        ("1.开展危险", ["县应急管理局"]),
        ("2.开展道路", ["县公安局"]),
    ]
    assert ex.meta["title"].value == "某县2023年安全生产工作要点"

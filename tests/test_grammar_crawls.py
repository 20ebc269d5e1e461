"""Notices as crawls, policy databases and document-sharing sites store them: fields of
the crawl around the text, paragraphs parted by full-width spaces on one line, tables whose
header or cells run together. Each rule on a small notice written for it (places, units
and dates invented)."""

from __future__ import annotations

from pathlib import Path

from plans.importer import extract
from tests.test_grammar import read

IDEOGRAPHIC = "\u3000\u3000"


def test_a_crawled_opinion_on_one_line_with_the_crawls_fields_around_it(
    tmp_path: Path,
) -> None:
    """标题:/时间: above, 一级类别:/访问地址: below: the crawl's fields are no tasks and
    do not hide the signature; paragraphs parted by two full-width spaces are paragraphs;
    the 文号's number (〔2015〕41号) is no item number; a bracket's 完成时限：2022年 dates
    the item; 及 parts two bodies."""
    body = IDEOGRAPHIC.join(
        [
            "",
            "青石省人民政府",
            "关于促进科技金融深度融合的意见",
            "青政字〔2015〕41号各设区市人民政府，省政府有关部门：",
            "为构建科技金融创新体系，结合我省实际，提出如下意见：",
            "一、加大科技企业融资力度",
            "（一）建立科技信贷专营机构。推动银行业金融机构新设科技支行。"
            "（牵头部门：省金融办、省科技厅，完成时限：2016年）",
            "（二）创新信贷产品和服务。扩大质押贷款规模。（牵头部门：省委宣传部及各有关部门）",
            "二、保障措施",
            "（一）加强督导检查",
            "各设区市每半年要将科技金融融合发展情况报省政府。",
            "青石省人民政府",
            "2015年8月10日",
        ]
    )
    notice = tmp_path / "crawl.txt"
    notice.write_text(
        "标题: 青石省人民政府关于促进科技金融深度融合的意见\n时间: 2018-03-14\n\n"
        f"{body}\n\n一级类别: 省政府政策文件\n"
        "来源网站: https://kjt.example.gov.cn/www/xxgk/184.html\n"
        "访问地址: https://kjt.example.gov.cn/www/xxgk/229.html\n附件链接: \n",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert [(t.text[:6], t.lead, [d.value for d in t.due]) for t in ex.tasks][:2] == [
        ("(一)建立科", ["省金融办", "省科技厅"], ["2016-12-31"]),
        ("(二)创新信", ["省委宣传部", "各有关部门"], []),
    ]
    meta = {k: f.value for k, f in ex.meta.items()}
    assert meta["doc_no"] == "青政字〔2015〕41号"
    assert meta["title"] == "青石省人民政府关于促进科技金融深度融合的意见"
    assert (meta["issuer"], str(meta["issued"])) == ("青石省人民政府", "2015-08-10")
    assert [(c.kind, [d.value for d in c.due]) for c in ex.checkpoints] == [
        ("report", ["semiannual:end"])
    ]


def test_a_cover_sent_by_a_leading_group_with_the_attachments_title_glued(
    tmp_path: Path,
) -> None:
    """…现印发你们，请认真贯彻落实。附件：…工作方案某省…领导小组2015年4月8日: the
    signer is the group, not the title before it."""
    notice = tmp_path / "group.txt"
    notice.write_text(
        "标题: 青石省小微企业降费工作方案\n时间: 2015-06-12\n\n"
        "青减负〔2015〕1号各设区市人民政府，省有关部门：为深入贯彻落实国务院关于进一步加强"
        "涉企收费管理减轻企业负担的一系列决策部署，切实减轻小微企业负担，根据省长办公会议决定，"
        "省减轻企业负担领导小组制定了《青石省小微企业降费工作方案》，经省政府同意，"
        "现印发你们，请认真贯彻落实。附件：青石省小微企业降费工作方案青石省减轻企业负担领导小组"
        "2015年4月8日附件：青石省小微企业降费工作方案一、主要措施（一）清理收费项目。"
        "由省财政厅、省物价局牵头，全面清理涉企收费项目，对清单之外的乱收费项目进行通报。"
        "（二）加强督导。由省发展改革委牵头，开展小微企业降费评估工作，及时总结推广经验。\n\n"
        "一级类别: 省政府政策文件\n"
        "访问地址: https://gxt.example.gov.cn/www/xxgk/25.html\n附件链接: \n",
        encoding="utf-8",
    )
    ex = extract(notice)
    meta = {k: f.value for k, f in ex.meta.items()}
    assert (meta["doc_no"], meta["issuer"]) == ("青减负〔2015〕1号", "青石省减轻企业负担领导小组")
    assert [t.text[:6] for t in ex.tasks] == ["(一)清理收", "(二)加强督"]


def test_a_progress_table_with_a_long_column_name(tmp_path: Path) -> None:
    """序号 | 工作任务 | 责任单位 | 一季度目标 | 进展情况、存在问题及下一步打算: a header
    whose names run long is still the header, its 责任单位 the unit column."""
    body = """一、进展情况
序号 | 工作任务 | 责任单位 | 一季度目标 | 进展情况、存在问题及下一步打算 | 目标完成情况 |
1 | 新改扩建公办中小学校1所 | 教体局 | 室内装修 | 进展情况:室内装修完成80%。 | 顺利推进 |
2 | 结对帮扶学校2所 | 教体局 | 互派人员到位 | 进展情况:3月10日已互派人员。 | 顺利推进 |
"""
    assert read(tmp_path, body) == [
        ("新改扩建公办", [], ["教体局"], []),
        ("结对帮扶学校", [], ["教体局"], []),
    ]


def test_a_table_glued_into_one_run_with_a_group_named_by_its_levels(
    tmp_path: Path,
) -> None:
    """序号工作内容目标任务责任单位备注 glued, then each row glued too: the header's
    names part the columns, the rows part at their numbers (the number is no part of the
    text); 各区(市)县政府(管委会) is one group; …等部门, goes on with the next name of the
    cell."""
    body = (
        "贯彻落实生活垃圾分类制度重点任务责任分工表序号工作内容目标任务责任单位备注"
        "1将生活垃圾分类投放作为精神文明建设的重要内容，加强生活垃圾分类宣传发动；广泛开展"
        "生活垃圾分类宣传引导志愿活动、家庭主题活动等，引导市民参与生活垃圾分类。2023年2月底前，"
        "制定宣传方案。市委宣传部（市文明办）、市城管委、市文广旅局等部门，"
        "各区（市）县政府（管委会）2完善生活垃圾回收利用体系，优化社区回收设施布局，"
        "负责再生资源回收行业的指导和监督，推进循环经济发展。"
        "2023年2月底前，出台实施意见。市商务局、市住建局，各区（市）县政府（管委会）\n"
    )
    assert read(tmp_path, body) == [
        (
            "将生活垃圾分",
            [],
            ["市委宣传部(市文明办)", "市城管委", "市文广旅局", "各区(市)县政府(管委会)"],
            ["2023-02-28"],
        ),
        ("完善生活垃圾", [], ["市商务局", "市住建局", "各区(市)县政府(管委会)"], ["2023-02-28"]),
    ]


def test_the_first_unit_leads_said_in_a_bracket_after_it(tmp_path: Path) -> None:
    """责任单位：县发改局（首位单位为牵头单位，下同）、县财政局: the bracket is a rule for
    every list, not part of a name."""
    body = """一、经济发展
1.全县生产总值增长7.5%左右。
责任单位：县发改局（首位单位为牵头单位，下同）、县财政局、县税务局
2.落实党政机关过紧日子的要求。
责任单位：县财政局、县审计局
"""
    assert read(tmp_path, body) == [
        ("1.全县生产", ["县发改局"], ["县发改局", "县财政局", "县税务局"], []),
        ("2.落实党政", ["县财政局"], ["县财政局", "县审计局"], []),
    ]


def test_a_table_whose_cells_a_page_parted_by_spaces(tmp_path: Path) -> None:
    """序号 工 作 任 务 牵头负责部门, then 1 居民消费价格涨幅3%左右 发展改革委: the
    number, the requirement, the unit last; a note (本文有删减) is no part of the title."""
    notice = tmp_path / "spaced.txt"
    notice.write_text(
        "国务院办公厅关于印发2016年量化指标任务分工的通知\n国办函[2016]38号\n"
        "国务院有关部门：\n现将《2016年量化指标任务分工》印发给你们，请认真贯彻落实。\n"
        "国务院办公厅\n2016年4月6日\n(本文有删减)\n2016年量化指标任务分工\n"
        "序号 工 作 任 务 牵头负责部门\n1 居民消费价格涨幅3%左右 发展改革委\n"
        "2 城镇新增就业1000万人以上 人力资源社会保障部\n"
        "3 安排财政赤字2.18万亿元,赤字率提高到3% 财政部\n",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert [(t.text, t.lead) for t in ex.tasks] == [
        ("居民消费价格涨幅3%左右", ["发展改革委"]),
        ("城镇新增就业1000万人以上", ["人力资源社会保障部"]),
        ("安排财政赤字2.18万亿元,赤字率提高到3%", ["财政部"]),
    ]
    assert ex.meta["title"].value == "2016年量化指标任务分工"


def test_a_label_right_after_the_items_name(tmp_path: Path) -> None:
    """1、农村道路畅通工程，牵头部门：市交通局。…: the label names the item's unit; the
    sentence after it (who lags) names none."""
    body = """二、项目进度
1、农村道路畅通工程，牵头部门：市交通局。建设进度相对较慢的县区为舒城县。
2、农村饮水安全巩固提升工程，牵头部门：市水利局。未完成建设任务的县区为霍山县。
"""
    assert read(tmp_path, body) == [
        ("1、农村道路", ["市交通局"], [], []),
        ("2、农村饮水", ["市水利局"], [], []),
    ]


def test_a_number_glued_after_the_title(tmp_path: Path) -> None:
    """…的实施意见国办发〔2020〕24号: the 文号 is the office's code and number only."""
    notice = tmp_path / "glued_no.txt"
    notice.write_text(
        "国务院办公厅关于进一步优化营商环境更好服务市场主体的实施意见国办发〔2020〕24号\n"
        "各省、自治区、直辖市人民政府，国务院各部委、各直属机构：\n"
        "一、提升投资建设便利度\n"
        "（一）优化再造投资项目前期审批流程。（国家发展改革委牵头，国务院相关部门按职责分工负责）\n"
        "二、进一步简化企业生产经营审批和条件\n"
        "（二）降低市场准入门槛。（市场监管总局牵头，国务院相关部门按职责分工负责）\n"
        "三、优化外贸外资企业经营环境\n"
        "（三）进一步提高进出口通关效率。（海关总署牵头，国务院相关部门按职责分工负责）\n"
        "国务院办公厅\n2020年7月15日\n",
        encoding="utf-8",
    )
    assert extract(notice).meta["doc_no"].value == "国办发〔2020〕24号"


def test_a_table_one_cell_per_line_whose_header_names_broke(tmp_path: Path) -> None:
    """序号 / 重点工作 / 责任 / 领导 / 责任 / 科室 / 攻坚目标 / 任务 / …: the names are
    whole again (责任领导 a person, 责任科室 the unit, 攻坚目标任务 the requirement)."""
    cells = [
        "序号", "重点工作", "责任", "领导", "责任", "科室", "攻坚目标", "任务", "工作任务安排",
        "第二季度", "完成情况",
        "1", "白仙山水库工程", "欧乾震", "水库工程领导小组",
        "完成项目政策处理工作，推进大坝、溢洪道、引水隧洞及配套设施建设。",
        "推进坟墓迁移工作。", "坟墓迁移进度达60%。",
        "2", "现代化美丽城镇", "吴宇凡", "乡村振兴办", "成功创建首批省级美丽城镇。",
        "按照时间节点开展项目建设。", "完成投资3000万元。",
    ]  # fmt: skip
    notice = tmp_path / "cells.txt"
    notice.write_text(
        "青石镇2024年度重点工作计划二季度执行情况\n\n" + "\n\n".join(cells) + "\n",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert [(t.text, t.units) for t in ex.tasks] == [
        ("完成项目政策处理工作,推进大坝、溢洪道、引水隧洞及配套设施建设。", ["水库工程领导小组"]),
        ("成功创建首批省级美丽城镇。", ["乡村振兴办"]),
    ]


def test_a_progress_table_one_cell_per_line_closed_by_bars(tmp_path: Path) -> None:
    """Each cell closed by " |"; the header names a person (分管 领导), 责任主体与协同单位
    and the months' progress; every row lacks its 全年目标任务 cell, so its cells sit one
    column left of the header: they are placed by what they hold. A development zone
    (崇川经济开发区) is a unit."""
    header = [
        "序号", "主要任务", "全年目标任务", "分管 领导", "牵头 单位", "责任主体与协同单位",
        "1-10月推进情况", "1-11月推进情况", "是否达序", "说明",
    ]  # fmt: skip
    rows = [
        ["24", "优化提升50条背街后巷交通组织。", "徐国江", "城管局", "市政局、相关街道",
         "已进场施工,完成30%。", "已进场施工,完成60%。", "是", ""],
        ["25", "新增四分类达标小区210个。", "徐国江", "城管局",
         "市政局、环卫处、崇川经济开发区、各街道", "已进场施工。", "建成38个厢房。", "否", ""],
    ]  # fmt: skip
    lines = [f"{c} |" for c in header] + [f"{c} |" for row in rows for c in row]
    notice = tmp_path / "bars.txt"
    notice.write_text(
        "2023年区政府重点民生实事项目推进情况(1-11月)\n" + "\n".join(lines) + "\n",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert [(t.text, t.lead, t.units) for t in ex.tasks] == [
        ("优化提升50条背街后巷交通组织。", ["城管局"], ["市政局", "相关街道"]),
        (
            "新增四分类达标小区210个。",
            ["城管局"],
            ["市政局", "环卫处", "崇川经济开发区", "各街道"],
        ),
    ]


def test_a_table_an_archive_stored_on_one_line_reads_as_its_rows(tmp_path: Path) -> None:
    """A page's text stored on one line, its table rows joined by spaces: with each row's
    cells still parted by tabs, or with the cells given a line each (序号 first) and
    joined by spaces too. A merged 重点任务 cell is absent from the rows below it, an
    empty cell is an empty tab, "/" stands for no unit. Both read as the table does."""
    head = (
        "青石县2023年政务公开重点任务分工 为深入贯彻落实国务院办公厅和省政府办公厅关于做好"
        "政务公开工作的部署要求，进一步提升政务公开质量和实效，以公开促落实、促规范、促服务，"
        "结合我县实际，现将2023年政务公开重点任务分工明确如下，请各单位认真抓好落实。"
    )
    rows = [
        ["序号", "重点任务", "具体举措", "牵头单位", "责任单位", "完成时限"],
        ["一、深化重点领域公开"],
        ["1", "规范执法公示", "编制并公布执法事项清单。", "县市场监管局", "县司法局", "9月底前"],
        ["2", "公开典型执法案例，发挥警示作用。", "/", "县市场监管局", "每季度"],
        ["3", "推进财政公开", "公开本级预决算，细化到项级科目。", "县财政局", "县直各部门", "长期"],
    ]
    tabbed = head + " " + " ".join("\t".join(r) if len(r) > 1 else r[0] for r in rows)
    tabbed = tabbed.replace("公开典型执法案例", "\t公开典型执法案例")  # the merged cell: empty
    # what the page goes on with past the table: a closing paragraph, the attachment's
    # title, the signature and its date are no cells
    tail = (
        " 各单位要于每季度末报送进展情况。 附件：青石县政务公开考核细则"
        " 青石县人民政府办公室 2023年3月6日"
    )
    spaced = head + " " + " ".join(" ".join(r) for r in rows) + tail
    expected = [
        ("编制并公布执", ["县市场监管局"], ["县司法局"], ["2023-09-30"]),
        ("公开典型执法", [], ["县市场监管局"], ["quarterly:end"]),
        ("公开本级预决", ["县财政局"], ["县直各部门"], ["ongoing"]),
    ]
    assert read(tmp_path, tabbed + "\n", "tabbed.txt") == expected
    assert read(tmp_path, spaced + "\n", "spaced.txt")[:3] == expected
    assert not [t for t in read(tmp_path, spaced + "\n", "spaced.txt") if "附件" in t[0]]


def test_task_cards_glued_by_nothing_after_a_cover_letters_own_numbers(tmp_path: Path) -> None:
    """An archive joined every line by nothing: the cover letter's 一、二、 end at its
    signature's date, so the attachment's 一、 opens its tasks anew; each 【任务N】 card
    and each of its labels (工作内容：, 牵头单位：, 成果形式：) begins a line again. And a
    line of nothing but spaces is no line to part."""
    body = (
        "各乡镇人民政府，县直各部门：现将任务台账印发给你们，请认真贯彻落实。"
        "一、压实工作责任。各牵头单位要履行牵头抓总职责。二、加强督促检查。各牵头单位于每月3日前"
        "汇总上月工作进展。青石县人民政府办公室2023年3月6日（此件公开发布）"
        "青石县2023年政务公开重点任务台账为抓好各项工作部署的落实，制定本台账。一、夯实制度基础"
        "【任务1】规范依申请公开办理工作内容：开展依申请公开办理情况自查，形成自查清单。"
        "牵头单位：县司法局配合单位：县直各单位完成时限：按季度成果形式：工作台账"
        "【任务2】加强公共服务信息公开工作内容：完成公共企事业单位名录梳理。"
        "牵头单位：县交通运输局配合单位：县直各单位完成时限：7月底前成果形式：工作方案"
    )
    tasks = read(tmp_path, body + "\n" + " " * 240 + "\n")
    assert [(lead, units, due) for text, lead, units, due in tasks if text[0] == "【"] == [
        (["县司法局"], ["县直各单位"], ["quarterly:end"]),
        (["县交通运输局"], ["县直各单位"], ["2023-07-31"]),
    ]


def test_a_numbered_table_an_archive_glued_by_nothing_reads_as_its_rows(tmp_path: Path) -> None:
    """Every line joined by nothing: the header's names glued, then each row's number, text,
    unit cells and deadline glued to the next row's number. Rows part where their numbers
    count on after what ends a row (names, "/", a deadline); a section's heading, the page's
    number and the header printed again between rows are no cells; a number the page left
    out (3 → 5) is skipped, a number inside a cell (详见附件3) is no row's; 抄送 and the
    imprint line after the table are no units. With the cells still parted by tabs (rows
    glued by nothing), the table reads the same."""
    head = (
        "青石县2023年政务公开重点任务分工为进一步提升政务公开质量和实效，"
        "结合我县实际，现将2023年政务公开重点任务分工明确如下。"
    )
    rows = [
        ["序号", "工作任务", "具体措施", "牵头单位", "配合单位", "完成时限"],
        ["一、深化重点领域公开"],
        [
            "1",
            "推进财政公开",
            "公开本级预决算，细化到项级科目。",
            "县财政局",
            "各乡镇人民政府",
            "次年1月20日前",
        ],
        [
            "2",
            "规范执法公示",
            "编制并公布执法事项清单，详见附件3。",
            "县市场监管局",
            "县司法局、县直各部门",
            "2023年底前",
        ],
        ["— 2 —"],
        ["序号", "工作任务", "具体措施", "牵头单位", "配合单位", "完成时限"],
        ["二、优化政务服务"],
        ["3", "做好教育公开", "公开招生入学政策和学区划分。", "/", "县教育局", "每月20日至25日"],
        [
            "5",
            "推进办事指南公开",
            "编制通俗易懂的办事指南，在村级公开栏张贴。",
            "县行政审批局",
            "县直各部门",
            "长期坚持",
        ],
    ]
    tail = "抄送：县委办公室，县人大常委会办公室。青石县人民政府办公室　　2023年3月6日印发"
    expected = [
        ("推进财政公开", ["县财政局"], ["各乡镇人民政府"], ["2024-01-20"]),
        ("规范执法公示", ["县市场监管局"], ["县司法局", "县直各部门"], ["2023-12-31"]),
        ("做好教育公开", [], ["县教育局"], ["monthly:20-25"]),
        ("推进办事指南", ["县行政审批局"], ["县直各部门"], ["ongoing"]),
    ]
    glued = head + "".join("".join(r) for r in rows) + tail
    assert read(tmp_path, glued + "\n", "glued.txt") == expected
    tabbed = head + "".join("\t".join(r) for r in rows if r[0] != "— 2 —") + tail
    measures = [(r[2][:6], *expected[k][1:]) for k, r in enumerate(rows[2:4] + rows[7:])]
    assert read(tmp_path, tabbed + "\n", "tabbed.txt") == measures


def test_the_imprint_line_of_a_notice_on_one_line_names_no_unit(tmp_path: Path) -> None:
    """The 版记 under the last item (抄送：…, then 某办公室  日期印发) joined onto the body's
    line, by a space or by nothing: the issuing office in it is no unit of the last item.
    A sentence citing a paper by its imprint (…办公室2021年5月12日印发的《办法》) is no
    imprint line."""
    items = (
        "现将《青石县2023年政务公开重点任务分工》印发给你们，请结合实际认真抓好贯彻落实，"
        "各牵头单位要履行牵头抓总职责，加强与配合单位的沟通协调，确保各项任务按期完成。"
        " 一、加强组织保障 1.完善政务公开考核办法，合理设置考核指标，12月底前完成。"
        " 2.建立政务公开工作联络员制度，县政府办公室2021年5月12日印发的《联络员管理办法》"
        "继续执行，10月底前完成。"
        "（责任单位：县政府办公室） 3.规范第三方评估活动，6月底前完成。"
    )
    tail = " 抄送：县委办公室，县人大常委会办公室。 青石县人民政府办公室　　2023年3月6日印发"
    for glue in (" ", ""):
        body = (items + tail).replace(" ", glue)
        tasks = read(tmp_path, "各乡镇人民政府，县直各部门：" + body + "\n", f"imprint{glue!r}.txt")
        assert [t[:3] for t in tasks][-2:] == [
            ("2.建立政务", [], ["县政府办公室"]),  # the paper it cites parts nothing
            ("3.规范第三", [], []),
        ], glue


def test_a_bracket_the_crawl_cut_off_parts_no_later_paragraph(tmp_path: Path) -> None:
    """On one line, an item's bracket cut off by the crawl (（县人力资源社 then the next
    item) does not hold the rest of the text inside it: each later item keeps its own
    bracket."""
    body = (
        "青石县人民政府关于做好就业创业工作的实施意见各乡镇人民政府，县政府各部门："
        "一、促进重点群体就业（一）促进高校毕业生就业。扩大就业见习规模。（县人力资源社"
        "（二）安置去产能企业职工。落实转岗培训补贴。（县人社局、县工信局等负责）"
        "（三）促进农村劳动力就业。支持返乡创业园建设。（县农业农村局、县财政局等负责）"
        "二、强化职业培训（一）提高职业培训质量。建设县级综合实训基地。（县人社局、县教育局等负责）"
        "青石县人民政府2017年9月27日"
    )
    notice = tmp_path / "crawl.txt"
    notice.write_text(body + "\n", encoding="utf-8")
    ex = extract(notice)
    read = {t.text[3:8]: t.units for t in ex.tasks}
    assert read["促进高校毕"] == ["县人力资源社"]  # as written, and doubted
    assert any("括号没有闭合" in why for _, why in ex.tasks[0].doubts)
    assert read["安置去产能"] == ["县人社局", "县工信局"]
    assert read["促进农村劳"] == ["县农业农村局", "县财政局"]
    assert read["提高职业培"] == ["县人社局", "县教育局"]


def test_duties_by_unit_on_one_line_named_before_a_stop(tmp_path: Path) -> None:
    """A glued 职责分工 chapter whose units are named, then a full stop, then their duties
    (县环保局。负责…。县交通局、县公路局。负责…): each unit's paragraph is an item of its own."""
    body = (
        "青石县秸秆禁烧工作实施方案为做好我县秸秆禁烧工作，制订本方案。一、目标任务5月底到9月底全县秸秆禁烧。"
        "二、组织领导及职责分工县政府成立秸秆禁烧工作领导小组，各组成单位及其职责如下："
        "县环保局。负责对全县秸秆禁烧工作实施统一监督，承担日常工作。"
        "县交通局、县公路局。负责对国道、省道两侧燃烧秸秆情况的巡查。"
        "县农机局。负责对收割机操作人员进行宣传教育。"
        "三、工作要求各单位要加强协作，落实工作责任，确保禁烧期间不发生大面积焚烧秸秆现象，"
        "对工作不力的单位予以通报。"
    )
    notice = tmp_path / "crawl.txt"
    notice.write_text(body + "\n", encoding="utf-8")
    read = {t.text[:6]: t.units for t in extract(notice).tasks}
    assert read["县环保局。负"] == ["县环保局"]
    assert read["县交通局、县"] == ["县交通局", "县公路局"]
    assert read["县农机局。负"] == ["县农机局"]

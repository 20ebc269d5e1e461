"""Text copied out of a PDF keeps the page's line breaks: a notice is read once with a
line per paragraph and once broken at a page margin the way a PDF viewer's copy or
pdftotext gives it, and both readings must agree (places, units and dates invented)."""

from __future__ import annotations

from pathlib import Path

from plans.importer import extract

# The notice as a PDF copy gives it, 28 characters a line (the 公文 page): a paragraph is
# a group of lines, the last one short. In the first task line 2 ends a sentence at the
# margin and the paragraph goes on, line 3 ends at a semicolon, line 4 inside a bracket;
# the third task's second line ends at a label's colon inside a bracket; the
# attachment's table has its cells set apart by bars.
PARAGRAPHS = [
    ["青石县人民政府办公室关于印发青石县2023年政务公开重点任务", "分工方案的通知"],
    ["各乡镇人民政府，县直各有关单位："],
    [
        "现将《青石县2023年政务公开重点任务分工方案》印发给你们，",
        "请认真贯彻落实。县政府办公室将于9月20日、12月20日前后对",
        "任务落实情况进行检查。",
    ],
    ["青石县人民政府办公室"],
    ["2023年3月6日"],
    ["附件1"],
    ["青石县2023年政务公开重点任务分工方案"],
    [
        "（一）做好政策文件公开。全面梳理县政府及部门制发的规范性",
        "文件，按要求在政府网站集中公开，做好公开属性审核工作。",
        "县司法局要对已公开的政策文件开展定期清理，标注失效文件；",
        "各乡镇要同步做好本级文件公开。（牵头单位：县政府办公室、",
        "县司法局；责任单位：县直各有关单位、各乡镇人民政府）",
    ],
    [
        "（二）加强政策解读。围绕县政府重大决策部署，通过新闻发布",
        "会、图文解读等方式做好解读。（县政府办公室牵头，县融媒体",
        "中心配合）",
    ],
    [
        "（三）公开财政预决算信息。督促各部门在批复后20日内公开部",
        "门预决算，并于2023年6月底前完成专项检查。（牵头单位：",
        "县财政局；责任单位：县直各有关单位）",
    ],
    ["附件2"],
    ["青石县2023年政务公开重点项目清单"],
    ["序号|重点项目|责任单位|完成时限"],
    ["1|建设县政务服务中心网上办事大厅|县行政审批局|2023年12月底前"],
    ["2|建设县政务数据共享交换平台|县数据资源局|2023年10月底前"],
]


def reading(
    tmp_path: Path, text: str, name: str
) -> list[tuple[str, list[str], list[str], list[str]]]:
    notice = tmp_path / name
    notice.write_text(text, encoding="utf-8")
    ex = extract(notice)
    return [(t.text, t.lead, t.units, [d.value for d in t.due]) for t in ex.tasks]


def checks(tmp_path: Path, text: str, name: str) -> list[tuple[str, list[str]]]:
    notice = tmp_path / name
    notice.write_text(text, encoding="utf-8")
    return [(c.kind, [d.value for d in c.due]) for c in extract(notice).checkpoints]


def test_a_notice_broken_at_a_pdfs_margin_reads_as_with_a_line_per_paragraph(
    tmp_path: Path,
) -> None:
    """The same notice with a line per paragraph and as a PDF copy broken at the page's
    margin: the same five tasks (text, lead, units, dates) and the same checks. A sentence
    ending at the margin does not end its paragraph, a bracket broken after its label's
    colon goes on, the signature and the date stay apart, the barred table stays rows."""
    by_paragraph = "\n".join("".join(p) for p in PARAGRAPHS) + "\n"
    as_copied = "\n".join(line for p in PARAGRAPHS for line in p) + "\n"
    expected = reading(tmp_path, by_paragraph, "lines.txt")
    assert [(lead, units, due) for _, lead, units, due in expected] == [
        (["县政府办公室", "县司法局"], ["县直各有关单位", "各乡镇人民政府"], []),
        (["县政府办公室"], ["县融媒体中心"], []),
        (["县财政局"], ["县直各有关单位"], ["+20d@event", "2023-06-30"]),
        ([], ["县行政审批局"], ["2023-12-31"]),
        ([], ["县数据资源局"], ["2023-10-31"]),
    ]
    assert reading(tmp_path, as_copied, "copied.txt") == expected
    assert checks(tmp_path, as_copied, "copied.txt") == checks(tmp_path, by_paragraph, "lines.txt")


def test_lines_of_one_length_by_chance_are_no_page_margin(tmp_path: Path) -> None:
    """A line per paragraph whose lengths differ (a title, an item, the unit under it):
    a few items of one length by chance make no page margin, so the unit line under each
    stays a line of its own and names the item's unit."""
    body = (
        "青石县人民政府办公室关于印发2023年重点工作任务清单的通知\n"
        "各乡镇人民政府，县直各有关单位：\n"
        "现将2023年重点工作任务清单印发给你们，请认真贯彻落实。\n"
        "青石县人民政府办公室\n"
        "2023年3月6日\n"
        "2023年重点工作任务清单\n"
        "1.推进义务教育优质均衡发展，新建改扩建中小学校3所\n"
        "县教育局\n"
        "2.推进紧密型县域医共体建设，提升基层医疗服务能力\n"
        "县卫生健康局\n"
        "3.完善养老服务体系，新增社区养老服务设施10处以上\n"
        "县民政局\n"
        "4.实施农村公路提质改造工程，完成改造里程80公里\n"
        "县交通运输局\n"
        "5.加快老旧小区改造，全年完成改造小区20个以上并通过验收，惠及居民3000户以上\n"
        "县住建局\n"
        "6.丰富群众文化生活，组织开展送戏下乡演出活动100场以上，打造群众文化品牌活动5个\n"
        "县文化和旅游局\n"
    )
    tasks = reading(tmp_path, body, "paragraphs.txt")
    assert [(text[:6], units) for text, _, units, _ in tasks] == [
        ("1.推进义务", ["县教育局"]),
        ("2.推进紧密", ["县卫生健康局"]),
        ("3.完善养老", ["县民政局"]),
        ("4.实施农村", ["县交通运输局"]),
        ("5.加快老旧", ["县住建局"]),
        ("6.丰富群众", ["县文化和旅游局"]),
    ]


def test_a_table_given_a_cell_a_line_right_after_a_line_at_the_margin(tmp_path: Path) -> None:
    """The copied prose runs to the margin up to the table's header: the table is no
    paragraph to go on with, and its rows read as rows."""
    prose = [line for p in PARAGRAPHS[:5] for line in p]
    prose.append("附件")
    prose.append("现将青石县2023年政务公开重点项目清单列示如下，请各单位认真")  # at the margin
    cells = ["序号", "工作任务", "责任单位", "完成时限"]
    cells += ["1", "建设县政务服务中心网上办事大厅", "县行政审批局", "2023年12月底前"]
    cells += ["2", "建设县政务数据共享交换平台", "县数据资源局", "2023年10月底前"]
    tasks = reading(tmp_path, "\n".join(prose + cells) + "\n", "cells.txt")
    assert [(units, due) for _, _, units, due in tasks] == [
        (["县行政审批局"], ["2023-12-31"]),
        (["县数据资源局"], ["2023-10-31"]),
    ]


def test_a_count_at_a_lines_start_goes_on_and_a_number_begins_anew() -> None:
    """…支持互联网协议第 / 6版。: a number that counts (6版, 30个) carries the sentence on
    into the next line; 6.公开… after a finished one, or a bare 序号 cell, begins anew."""
    from plans.notice import continues

    assert continues("30.2021年底前县级以上政府门户网站全部支持互联网协议第", "6版。")
    assert continues("年内新建便民服务点", "30个,覆盖全部行政村。")
    assert not continues("做好政务公开工作。", "6.公开财政预决算信息。")
    assert not continues("做好政务公开工作", "6.公开财政预决算信息。")
    assert not continues("县财政局", "序号")


def test_what_a_page_prints_around_the_notice_begins_anew() -> None:
    """A unit line that fills the margin (…农业农村处、各行政村) is followed by what the page
    prints about itself (来源：…, 责任编辑：…) or by the 版记 (…2023年4月7日印发): none of it
    is the last unit's name."""
    from plans.notice import continues

    line = "责任单位：党群工作处、经济发展处、社会事业处、农业农村处、各行政村"
    assert not continues(line, "来源：平潭综合实验区苏平片区管理局")
    assert not continues(line, "责任编辑：王明")
    assert not continues(line, "抄送：县委办公室，县人大常委会办公室。")
    assert continues(line, "办公室、县财政局")  # a name the margin broke goes on


def test_rows_closed_by_their_lead_are_no_page_and_words_are_no_furniture(
    tmp_path: Path,
) -> None:
    """Measures a line each, of about one length, each closed by （X牵头） and no stop: a
    list, not a page's wrapped lines. And a wrapped line opening with 审核把关 or 来源渠道
    goes on: only a labelled line (来源：…) is the page's."""
    from plans.notice import continues

    rows = [
        "推进政务服务事项网上可办，网办率达到90%以上（区行政审批局牵头）",
        "推行企业开办一日办结，压缩开办时间至半个工作日（区市场监管局牵头）",
        "推进工程建设项目审批制度改革，压缩审批时间（区住建局牵头）",
        "开展涉企违规收费专项整治，切实减轻企业负担（区发改局牵头）",
        "清理妨碍统一市场和公平竞争的政策规定文件（区市场监管局牵头）",
        "建立领导干部联系重点企业制度，及时解决诉求（区工信局牵头）",
    ]
    tasks = reading(tmp_path, "一、优化营商环境\n" + "\n".join(rows) + "\n", "rows.txt")
    assert [lead for _, lead, _, _ in tasks] == [
        ["区行政审批局"],
        ["区市场监管局"],
        ["区住建局"],
        ["区发改局"],
        ["区市场监管局"],
        ["区工信局"],
    ]
    assert continues("切实落实项目主管单位", "审核把关责任，确保资金安全。")
    assert continues("拓宽收入", "来源渠道，严禁收取过头费。")
    assert not continues("拓宽收入来源渠道，严禁收取过头费。", "来源：北塘县财政局")


def test_a_pdf_copy_whose_line_breaks_became_spaces_reads_as_with_them(tmp_path: Path) -> None:
    """A PDF's text pasted with each line break turned into a space (a document-sharing
    site's copy: the whole notice on one line, 安排 110 亿元 with its number set apart):
    the spaces fall where the page's lines end, so the notice reads as its copy with the
    line breaks does."""
    body = [line for p in PARAGRAPHS[:10] for line in p]
    body[body.index("门预决算，并于2023年6月底前完成专项检查。（牵头单位：")] = (
        "门预决算，并于 2023 年 6 月底前完成专项检查。（牵头单位："
    )
    with_breaks = reading(tmp_path, "\n".join(body) + "\n", "lines.txt")
    assert [(lead, due) for _, lead, _, due in with_breaks] == [
        (["县政府办公室", "县司法局"], []),
        (["县政府办公室"], []),
        (["县财政局"], ["+20d@event", "2023-06-30"]),
    ]
    assert reading(tmp_path, " ".join(body) + "\n", "spaced.txt") == with_breaks

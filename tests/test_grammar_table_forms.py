"""Task tables in the forms offices copy them: one cell per line, a CMS export with a bar
after each cell, fixed-width columns from pdftotext, a spreadsheet copy with merged cells,
a table glued onto one line, pipe rows whose cells run over several lines. Each on a small
notice written for it (places, units and dates invented)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from plans.importer import extract
from tests.test_grammar import HEAD, read

Read = Callable[[Path, str], list[tuple[str, list[str], list[str], list[str]]]]


def read_doubled(tmp_path: Path, body: str) -> list[tuple[str, list[str], list[str], list[str]]]:
    """The notice as a web page copies it with a blank line after every line."""
    notice = tmp_path / "notice.txt"
    notice.write_text((HEAD + body).replace("\n", "\n\n"), encoding="utf-8")
    return [(t.text[:6], t.lead, t.units, [d.value for d in t.due]) for t in extract(notice).tasks]


AS_TYPED_AND_DOUBLED = pytest.mark.parametrize(
    "read", [read, read_doubled], ids=["as-typed", "doubled"]
)


@AS_TYPED_AND_DOUBLED
def test_a_table_copied_one_cell_per_line_between_blank_lines(tmp_path: Path, read: Read) -> None:
    """A Word table pasted as one cell per line: the header gives the columns, a number
    starts each row, a merged 工作任务 cell appears only in its first row, "/" is an
    empty cell, the header repeats after a page number. Doubled, every line break twice
    (a web copy), it reads the same."""
    cells = [
        "序号",
        "工作任务",
        "具体措施",
        "牵头单位",
        "配合单位",
        "完成时限",
        "一、深化重点领域公开",
        "1",
        "推进财政公开",
        "公开本级预决算，细化到项级科目。",
        "县财政局",
        "县直各部门",
        "2023年6月底前",
        "2",
        "公开政府采购意向和采购结果。",
        "县财政局",
        "/",
        "次年1月20日前",
        "— 2 —",
        "序号",
        "工作任务",
        "具体措施",
        "牵头单位",
        "配合单位",
        "完成时限",
        "3",
        "做好教育信息公开",
        "公开招生入学政策和学区划分。",
        "县教育局",
        "各乡镇人民政府",
        "长期",
    ]
    tasks = read(tmp_path, "\n \n".join(cells) + "\n")
    assert tasks == [
        ("公开本级预决", ["县财政局"], ["县直各部门"], ["2023-06-30"]),
        ("公开政府采购", ["县财政局"], [], ["2024-01-20"]),
        ("公开招生入学", ["县教育局"], ["各乡镇人民政府"], ["ongoing"]),
    ]


def test_a_spreadsheet_copy_with_a_measures_column_and_merged_cells(tmp_path: Path) -> None:
    """Tab-separated rows under 重点任务 / 具体举措: the measure is the task's text, a
    merged 重点任务 is an empty cell, a 完成情况 column is not read."""
    rows = [
        "序号\t重点任务\t具体举措\t牵头单位\t责任单位\t完成时限\t完成情况",
        "1\t规范执法公示\t编制并公布行政执法事项清单。\t县市场监管局\t县司法局\t9月底前\t未启动",
        "2\t\t公开典型执法案例，发挥警示作用。\t\t县市场监管局\t每季度\t推进中",
    ]
    tasks = read(tmp_path, "\n".join(rows) + "\n")
    assert tasks[0] == ("编制并公布行", ["县市场监管局"], ["县司法局"], ["2023-09-30"])
    assert tasks[1][2:] == (["县市场监管局"], ["quarterly:end"])


def test_a_table_in_fixed_width_columns_as_pdftotext_gives_it(tmp_path: Path) -> None:
    """Cells wrap onto continuation lines under their header word; a unit cell over two
    lines is two names; the header repeats after a form feed; X（牵头）、Y in a cell."""
    body = (
        "序号    重点任务                                  责任单位                完成时限\n"
        "一、深化重点领域公开\n"
        "1       公开国有产权转让和国有资产出租信息，防止  县交易中心（牵头）      三季度末前\n"
        "        国有资产流失。                            县财政局（牵头）、\n"
        "                                                  县直有关部门\n"
        "\f\n"
        "序号    重点任务                                  责任单位                完成时限\n"
        "2       公开政府投资项目年度计划。                县发改局、县住建局      长期\n"
        "3       公开老旧小区改造项目清单，接受居民监督。  县财政局                —\n"
    )
    assert read(tmp_path, body) == [
        ("公开国有产权", ["县交易中心", "县财政局"], ["县直有关部门"], ["2023-09-30"]),
        ("公开政府投资", [], ["县发改局", "县住建局"], ["ongoing"]),
        ("公开老旧小区", [], ["县财政局"], []),
    ]


@AS_TYPED_AND_DOUBLED
def test_a_cms_export_of_one_cell_per_line_each_followed_by_a_bar(
    tmp_path: Path, read: Read
) -> None:
    """Each cell, empty ones included, is followed by a lone "|"; the merged 工作任务 comes
    before its group's first number; "—" and "无" are no unit. With every line break
    doubled an empty cell is still told from the blank line after each cell."""
    cells = [
        "工作任务",
        "序号",
        "具体要求",
        "牵头单位",
        "配合单位",
        "时限要求",
        "一、深化重点领域公开",
        "推进财政公开",
        "1",
        "公开本级预决算，细化到项级科目。",
        "县财政局",
        "—",
        "11月底前",
        "2",
        "公开政府采购意向。",
        "",
        "县财政局",
        "年内",
        "做好教育信息公开",
        "3",
        "公开招生入学政策。",
        "县教育局",
        "无",
        "持续开展",
    ]
    tasks = read(tmp_path, "".join(f"{c}\n|\n" for c in cells))
    assert [t[1:] for t in tasks] == [
        (["县财政局"], [], ["2023-11-30"]),
        ([], ["县财政局"], ["2023-12-31"]),
        (["县教育局"], [], ["ongoing"]),
    ]


def test_tables_as_content_systems_and_small_offices_print_them(tmp_path: Path) -> None:
    """Each cell closed by " |" on a line of its own ("|" alone an empty cell), a person's
    column (责任领导) that names no unit, header words by their parts (重点工作, 时间安排,
    专项整治行业名称), names in one cell parted by a space, and a month as a deadline."""
    closed = "\n".join(
        f"{c} |"
        for c in (
            "序号",
            "重点工作",
            "责任领导",
            "责任单位",
            "完成时限",
            "1",
            "推进重点项目落地见效，优化项目服务机制。",
            "张三",
            "招商局、安商局",
            "全年",
            "2",
            "盘活存量土地，力争全年盘活僵尸企业10家。",
            "李四",
            "改革办",
            "9月底前",
        )
    )
    assert [t[2:] for t in read(tmp_path, closed + "\n")] == [
        (["招商局", "安商局"], ["2023-12-31"]),
        (["改革办"], ["2023-09-30"]),
    ]
    piped = (
        "一、专项整治安排表\n"
        "专项整治行业名称 | 时间安排 | 责任单位 |\n"
        "烟花爆竹 | 1月份 | 安监站 安监所 |\n"
        "电力设施 | 3月份 | 电管所 |\n"
    )
    assert [t[2:] for t in read(tmp_path, piped)] == [
        (["安监站", "安监所"], ["2023-01-31"]),
        (["电管所"], ["2023-03-31"]),
    ]


def test_a_table_glued_onto_one_line_keeps_its_rows(tmp_path: Path) -> None:
    """An archive keeps the page on one line: the cover letter, then the table's cells
    between bars. A header with a 序号 column parts rows at the numbers; one without
    parts them by the header's width."""
    numbered = (
        "各乡镇人民政府，县直各部门： 现将《青石县2023年重点工作责任清单》印发给你们，"
        "请结合实际认真抓好贯彻落实，确保各项工作按时完成。 青石县人民政府办公室 2023年3月6日 "
        "青石县2023年重点工作责任清单 序号 | 重点工作 | 责任领导 | 责任单位 | 完成时限 | 1 | "
        "推进重点项目落地见效，优化项目服务机制。 | 张三 | 招商局、安商局 | 全年 | 2 | "
        "盘活存量土地，力争全年盘活僵尸企业10家。 | 李四 | 改革办 | 9月底前 |"
    )
    assert [t[2:] for t in read(tmp_path, numbered + "\n")] == [
        (["招商局", "安商局"], ["2023-12-31"]),
        (["改革办"], ["2023-09-30"]),
    ]
    widths = (
        "按照县政府关于2023年安全生产工作的总体要求，遵照“一个月开展一个行业安全生产专项"
        "整治”的工作部署，根据我县实际，特制定本工作计划。 一、专项整治安排表 "
        "专项整治行业名称 | 时间安排 | 责任单位 | 烟花爆竹 | 1月份 | 安监站 安监所 |"
        " 电力设施 | 3月份 | 电管所 | 养老机构 | 4月份 | 民政所 |"
        " 建筑施工及市政建设 | 5月份 | 城建办 |"
        " 二、工作要求 各有关责任单位要按时报送。"
    )
    assert [t[2:] for t in read(tmp_path, widths + "\n")] == [
        (["安监站", "安监所"], ["2023-01-31"]),
        (["电管所"], ["2023-03-31"]),
        (["民政所"], ["2023-04-30"]),
        (["城建办"], ["2023-05-31"]),
    ]


def test_a_unit_cell_that_lost_its_start_is_completed_from_the_notice(tmp_path: Path) -> None:
    """ "、区县政府门户网站承办单位" lost "市" at a line break; the notice prints the same
    cell whole elsewhere, so the reading takes that name and says so as a doubt."""
    body = (
        "一、重点任务\n1.及时更新政府信息公开专栏，调整栏目设置。\n"
        "市、区县政府门户网站承办单位\n"
        "2.及时增设相关政府信息公开栏目，归集展示本级政府部门发布的重要信息。\n"
        "、区县政府门户网站承办单位\n"
    )
    notice = tmp_path / "notice.txt"
    notice.write_text(HEAD + body, encoding="utf-8")
    ex = extract(notice)
    assert [t.units for t in ex.tasks] == [["市、区县政府门户网站承办单位"]] * 2
    assert any("开头缺字" in why for _, why in ex.tasks[1].doubts)


def test_a_pipe_table_whose_cells_run_over_several_lines(tmp_path: Path) -> None:
    """An attachment alone, as a portal stores a Word table: "|" opens each cell and its
    words sit on padded lines below ("序" then "号"); a cell holding two names on two
    lines lists them; an empty cell stays empty. With no title year and no signature,
    the plan's year is its dates' year, said in the review list."""
    rows = [
        ["附件2", "关于推进数据共享的重点任务责任分工"],
        [],
        ["序", "号"],
        ["工作任务"],
        ["牵头单位"],
        ["责任单位"],
        ["完成时限"],
    ]
    table = "".join("| \n" + "".join(f"     {w} \n" for w in cell) for cell in rows) + "| \n"
    data = [
        ["1", "成立数据共享协调推进机制。", "市行政审批局", "市直相关部门", "2021年9月底"],
        ["2", "指定专门处室负责政务数据共享工作。", "市直相关部门", "", "2021年9月底"],
        ["3", "建设政务数据共享应用平台。", "市大数据中心"],
    ]
    data[2] += ["市直相关部门\n各乡镇(街道)", "2021年12月底"]  # two names on two lines
    for row in data:
        table += "".join(f"| \n     {cell} \n" for cell in row) + "| \n \n"
    notice = tmp_path / "attachment.txt"
    notice.write_text(table, encoding="utf-8")
    ex = extract(notice)
    assert [(t.text[:6], t.lead, t.units, [d.value for d in t.due]) for t in ex.tasks] == [
        ("成立数据共享", ["市行政审批局"], ["市直相关部门"], ["2021-09-30"]),
        ("指定专门处室", ["市直相关部门"], [], ["2021-09-30"]),
        ("建设政务数据", ["市大数据中心"], ["市直相关部门", "各乡镇(街道)"], ["2021-12-31"]),
    ]
    assert ex.meta["title"].value == "关于推进数据共享的重点任务责任分工"
    assert ex.meta["year"].value == 2021
    assert any("正文中最常见的年份 2021" in r.what for r in ex.review)


def test_an_attached_table_of_indicators_is_no_task_list(tmp_path: Path) -> None:
    """An 意见's attachment that lists 考核指标 (一级指标 / 二级指标 / 指标说明, numbered
    indicators and their notes) measures the work; it sets no task."""
    body = (
        "一、重点任务\n"
        "1.提高病案首页质量。（责任单位：县卫生健康局）\n"
        "2.建立考核信息系统。（责任单位：县卫生健康局、县医保局）\n"
        "附件\n绩效考核指标\n一级指标\n二级指标\n三级指标\n指标说明\n"
        "一、医疗质量\n(一)功能定位\n1.门诊人次数与出院人次数比\n定量\n"
        "计算方法:门诊患者人次数/同期出院患者人次数。\n"
        "注:1.三级公立综合医院考核应采用上述全部考核指标。\n2.标记的指标为国家监测指标。\n"
    )
    assert read(tmp_path, body) == [
        ("1.提高病案", [], ["县卫生健康局"], []),
        ("2.建立考核", [], ["县卫生健康局", "县医保局"], []),
    ]


def test_a_part_heading_names_whose_rows_its_table_holds(tmp_path: Path) -> None:
    """一、X、Y负责落实的工作任务 over a table one cell per line with no unit column (序号 /
    任务事项 / 工作要求 / 公开载体 / 完成时限): every row is X's and Y's; the next part's
    heading names its own."""
    cells = [
        "一、各乡镇、县直各部门负责落实的工作任务",
        "序号",
        "任务事项",
        "工   作   要   求",
        "公开载体",
        "完成时限",
        "1",
        "公开预期引导信息",
        "对出台的财政、就业等政策进行深入解读，及时澄清不实信息。",
        "县政府门户网站、新闻媒体",
        "长期推进",
        "2",
        "公开随机抽查事项清单",
        "随机抽查事项清单应说明抽查依据、主体、内容和方式。",
        "县政府门户网站",
        "2023年9月底前",
        "二、县政府办公室牵头的工作任务",
        "序号",
        "任务事项",
        "工作要求",
        "公开载体",
        "完成时限",
        "3",
        "编制政务公开年度报告",
        "按规定格式编制并发布本县政府信息公开工作年度报告。",
        "县政府门户网站",
        "次年1月31日前",
    ]
    tasks = read(tmp_path, "\n\n".join(cells) + "\n")
    assert [t[1:] for t in tasks] == [
        ([], ["各乡镇", "县直各部门"], ["ongoing"]),
        ([], ["各乡镇", "县直各部门"], ["2023-09-30"]),
        (["县政府办公室"], [], ["2024-01-31"]),
    ]


def test_an_attached_guideline_is_no_task_list(tmp_path: Path) -> None:
    """附件1 a 设立指引 whose numbered lines name no unit and no deadline, after a body
    whose measures name theirs: not tasks, and the review list says how many were left
    out and where, so a person can add one back."""
    body = (
        "一、职责分工\n"
        "（一）加强报备管理，督促企业建立管理台账。（责任单位：县经济发展局）\n"
        "（二）依法查处非法经营行为。（责任单位：县公安局、县市场监管局）\n"
        "附件：1.企业内设加油点设立指引\n"
        "附件1\n企业内设加油点设立指引\n"
        "一、基本要求\n"
        "（一）企业内设加油点应设置在本企业注册地址内，并取得营业执照。\n"
        "（二）企业内设加油点不得对外开展加油活动，严禁对外销售油品。\n"
        "二、规范设施建设\n"
        "（一）设立场地应实行封闭式管理，配备相适应的设施设备。\n"
    )
    notice = tmp_path / "notice.txt"
    notice.write_text(HEAD + body, encoding="utf-8")
    ex = extract(notice)
    assert [(t.text[:6], t.units) for t in ex.tasks] == [
        ("(一)加强报", ["县经济发展局"]),
        ("(二)依法查", ["县公安局", "县市场监管局"]),
    ]
    left = [r for r in ex.review if "附件中的3条" in r.what]
    assert len(left) == 1 and left[0].kind == "rule"


def test_a_header_given_one_cell_per_line_with_its_names_broken(tmp_path: Path) -> None:
    """The header's names broke over two lines (项目 / 类别, 牵头 / 部门, 完成 / 时间) and
    one is qualified (相关责任部门); the rows give no 项目类别 cell (merged on an earlier
    page), yet each cell lands in its column."""
    cells = ["序号", "项目", "类别", "具 体 内 容", "牵头", "部门", "相关责任部门", "完成", "时间"]
    cells += ["108", "继续全面推进素质教育", "县教育局", "各街道、镇", "2010年"]
    cells += ["109", "深化推进二期课程教材改革", "县教育局", "相关部门", "2008年"]
    tasks = read(tmp_path, "\n\n".join(cells) + "\n")
    assert tasks == [
        ("继续全面推进", ["县教育局"], ["各街道", "镇"], ["2010-12-31"]),
        ("深化推进二期", ["县教育局"], ["相关部门"], ["2008-12-31"]),
    ]


def test_a_table_row_under_the_safeguards_is_a_task_not_a_checkpoint(tmp_path: Path) -> None:
    """A division table whose last part is 四、强化工作保障: its rows (每年至少开展1次培训)
    are tasks with their units, not the plan's own checkpoints."""
    rows = [
        "序号\t工作任务\t具体措施\t牵头单位\t配合单位\t完成时限",
        "一、深化重点领域公开",
        "1\t推进财政公开\t公开本级预决算，细化到项级科目。\t县财政局\t县直各部门\t6月底前",
        "四、强化工作保障",
        "2\t加强组织领导\t每年至少开展1次政务公开业务培训，实现全覆盖。\t县政府办公室\t县直各部门\t每年至少1次",
    ]
    notice = tmp_path / "notice.txt"
    notice.write_text(HEAD + "\n".join(rows) + "\n", encoding="utf-8")
    ex = extract(notice)
    assert [(t.text[:6], t.lead, [d.value for d in t.due]) for t in ex.tasks] == [
        ("公开本级预决", ["县财政局"], ["2023-06-30"]),
        ("每年至少开展", ["县政府办公室"], ["yearly:1"]),
    ]
    assert not [c.text for c in ex.checkpoints if "培训" in c.text]

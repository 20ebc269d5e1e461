"""Notices whose body lost its line breaks (a web archive, a CMS export, some PDF copies)
read as the same notice with them: the long line is split where a paragraph began."""

from __future__ import annotations

from pathlib import Path

import pytest

from plans.importer import Extraction, extract
from plans.importer.units import split_units
from plans.reflow import REFLOW_AT, date_then_title, reflow
from tests.importer_samples import FIELDS, OWN, POINTS


def reading(ex: Extraction) -> list[tuple[object, ...]]:
    return [(t.text, t.lead, t.units, [d.value for d in t.due]) for t in ex.tasks] + [
        (c.kind, c.units, [d.value for d in c.due]) for c in ex.checkpoints
    ]


def as_copied_and_glued(tmp_path: Path, table: str, joiner: str) -> tuple[Path, Path]:
    """The table as a copy gives it, and as an archive keeps it: its two header lines
    (issuer, date), then every other line joined onto one by ``joiner``."""
    lines = table.splitlines()
    broken, one = tmp_path / "table.txt", tmp_path / "table-one-line.txt"
    broken.write_text(table, encoding="utf-8")
    one.write_text("\n".join([*lines[:2], joiner.join(lines[2:])]) + "\n", encoding="utf-8")
    return broken, one


@pytest.mark.parametrize("joiner", ["", " "], ids=["joined by nothing", "joined by a space"])
@pytest.mark.parametrize("name,text", [("own", OWN), ("fields", FIELDS), ("points", POINTS)])
def test_a_notice_on_one_line_reads_as_with_its_line_breaks(
    tmp_path: Path, name: str, text: str, joiner: str
) -> None:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    head, body = lines[:3], lines[3:]  # a web archive keeps a few header lines
    broken, one = tmp_path / f"{name}.txt", tmp_path / f"{name}-one-line.txt"
    broken.write_text(text, encoding="utf-8")
    one.write_text("\n".join([*head, joiner.join(body)]), encoding="utf-8")
    assert len(joiner.join(body)) >= REFLOW_AT  # long enough to be read as joined paragraphs
    assert reading(extract(one)) == reading(extract(broken))


def test_numbers_inside_sentences_do_not_split_them() -> None:
    prose = (
        "一、总体要求。"
        + "做好政务公开工作，" * 30
        + "全年增长2.5%，第二、三季度各报送1次，每年1、4、7、10月公开，见附件（一）。"
        "二、重点任务。（一）推进决策公开。1．公开目录。牵头单位：县司法局责任单位：各乡镇"
    )
    parts = reflow(prose)
    assert any("全年增长2.5%，第二、三季度各报送1次，每年1、4、7、10月公开" in p for p in parts)
    assert [p[:6] for p in parts[1:]] == [
        "二、重点任务",
        "（一）推进决",
        "1．公开目录",
        "牵头单位：县",
        "责任单位：各",
    ]
    short = "一、总体要求。二、重点任务。"
    assert reflow(short) == [short]  # an ordinary line is left as it is


def test_a_table_flattened_into_the_line(tmp_path: Path) -> None:
    """The header's column names glued together, then each row's cells glued: the
    requirement, then the lead (absent, or a space where its cell was empty) and the
    units. Each row reads as the requirement with its lead and units."""
    rows = (
        "附件某区2022年政务公开工作任务分解表工作任务工作要求牵头单位配合/责任单位"
        "一、加强市场主体信息公开1.增强政策制定实施的透明度和可预期性，提振市场主体信心。"
        " 区直各有关单位，各片区管理局"
        "2.建立市场主体反映审批问题的办理和反馈机制，推动优化投资和建设环境。"
        "区经济发展局区行政审批局区直各有关单位，各片区管理局"
        "二、加强减税降费信息公开3.系统集成、智能推送已出台各项减税降费政策，帮助纳税人了解政策。"
        "区财政金融局区直各有关单位、各乡镇人民政府"
    )
    notice = tmp_path / "flat.txt"
    notice.write_text(
        "某区管委会办公室\n2022年6月7日\n某区2022年政务公开工作要点\n" + rows + "\n",
        encoding="utf-8",
    )
    assert len(rows) >= REFLOW_AT
    ex = extract(notice)
    assert [(t.text[:6], t.lead, t.units) for t in ex.tasks] == [
        ("1.增强政策", [], ["区直各有关单位", "各片区管理局"]),
        ("2.建立市场", ["区经济发展局", "区行政审批局"], ["区直各有关单位", "各片区管理局"]),
        ("3.系统集成", ["区财政金融局"], ["区直各有关单位", "各乡镇人民政府"]),
    ]


def test_a_merged_section_cell_repeated_in_a_flattened_table(tmp_path: Path) -> None:
    """A section cell spanning two rows is repeated before each row when the table is
    flattened; the repeat is a heading again, never part of the row before's units."""
    rows = (
        "附件某区2022年政务公开工作任务分解表工作任务工作要求牵头单位配合/责任单位"
        "一、加强市场主体信息公开1.增强政策制定实施的透明度和可预期性，提振市场主体信心。"
        "区经济发展局区直各有关单位，各片区管理局"
        "二、强化稳就业保就业信息公开2.加强政策宣讲和推送工作，将就业支持政策及时传达至相关群体。"
        "区社会事业局区直各有关单位，各片区管理局"
        "二、强化稳就业保就业信息公开3.加大减负稳岗政策的宣传解读力度，扩大政策知晓面。"
        "区社会事业局区直各有关单位、各乡镇人民政府"
    )
    notice = tmp_path / "flat.txt"
    notice.write_text(
        "某区管委会办公室\n2022年6月7日\n某区2022年政务公开工作要点\n" + rows + "\n",
        encoding="utf-8",
    )
    ex = extract(notice)
    assert [(t.text[:2], t.section, t.units) for t in ex.tasks] == [
        ("1.", ["一、加强市场主体信息公开"], ["区直各有关单位", "各片区管理局"]),
        ("2.", ["二、强化稳就业保就业信息公开"], ["区直各有关单位", "各片区管理局"]),
        ("3.", ["二、强化稳就业保就业信息公开"], ["区直各有关单位", "各乡镇人民政府"]),
    ]


# A Word table copied one cell per line: a task cell over several requirements, lead and
# units cells merged over rows, a requirement numbered without a stop (1公开), ASCII
# brackets, a lead cell of two names, a unit cell naming a government's 各部门.
WORD_TABLE = """某市人民政府办公厅
2021年5月16日
某市2021年政务公开工作要点任务分工
工作任务
牵头单位
责任单位
一、紧扣开好局起好步深化政务公开
(一)做好各类规划主动公开。
1公开本市国民经济和社会发展第十四个五年规划纲要,做好历史规划的归集整理工作。
2.公开区域规划(公开路径:政府网站>规划信息>区域规划)。
3以适当方式归集整理市政府有关部门公开的市级重点专项规划,进行集中展示。
市发展改革委
市发展改革委
公开本行业领域市级重点专项规划,做好历史规划的归集整理和主动公开工作。
市政府有关部门
1.公开本区县国民经济和社会发展第十四个五年规划纲要。
2.公开本区县重点专项规划(公开路径:政府网站>规划信息>专项规划)。
各区县政府
(二)做好财政信息公开。
公开市级地方政府债务限额、余额、发行、品种、期限、利率等信息。
市财政局
市财政局、市政府各部门
及时公开本部门财政预决算信息,细化公开部门预决算。
市财政局、市政府办公厅
市政府各部门、各区县政府
"""


@pytest.mark.parametrize("joiner", ["", " "], ids=["joined by nothing", "joined by a space"])
def test_a_word_table_on_one_line_reads_as_with_its_line_breaks(
    tmp_path: Path, joiner: str
) -> None:
    """The table's cells glued after one another (by nothing, as an archive keeps a Word
    table, or by a space): each unit cell is found where a name ends and the next name,
    requirement or heading begins (市发展改革委市发展改革委公开本行业…), so the lead
    merged over rows, the units and the requirements read as with the line breaks."""
    broken, one = as_copied_and_glued(tmp_path, WORD_TABLE, joiner)
    with_breaks = extract(broken)
    assert [(t.text[:6], t.lead, t.units) for t in with_breaks.tasks] == [
        ("1公开本市国", ["市发展改革委"], ["市发展改革委"]),
        ("2.公开区域", ["市发展改革委"], ["市发展改革委"]),
        ("3以适当方式", ["市发展改革委"], ["市发展改革委"]),
        ("公开本行业领", ["市发展改革委"], ["市政府有关部门"]),
        ("1.公开本区", ["市发展改革委"], ["各区县政府"]),
        ("2.公开本区", ["市发展改革委"], ["各区县政府"]),
        ("公开市级地方", ["市财政局"], ["市财政局", "市政府各部门"]),
        ("及时公开本部", ["市财政局", "市政府办公厅"], ["市政府各部门", "各区县政府"]),
    ]
    assert reading(extract(one)) == reading(with_breaks)


def test_an_item_with_its_own_clause_keeps_it_when_a_unit_cell_follows(tmp_path: Path) -> None:
    """Paragraphs glued to their headings, each closing with its own （责任单位：…）, then
    an attachment glued on (…有关要求附件1关于…) whose table starts with a unit name:
    the items keep their own units, and the attachment is no part of the body."""
    body = (
        "一、加强制度建设不断健全政府信息审查发布等工作制度,推动政务公开工作规范开展。"
        "(责任单位:区政府办、区网信办,各镇人民政府、街道办事处)"
        "二、推进营商环境信息公开及时全面公开优化营商环境新任务、新举措、配套政策及执行情况。"
        "(责任单位:区发改局、区营商办)"
        "附件:1.关于政务新媒体管理工作的有关要求附件1关于政务新媒体管理工作的有关要求"
        "单位 | 目标任务条数 | 单位 | 目标任务条数 |政府办 | 260 | 交运局 | 220 |"
        "经科局 | 240 | 水利局 | 220 |"
    )
    notice = tmp_path / "clauses.txt"
    notice.write_text(f"某区人民政府办公室\n某区2020年政务公开工作任务分工方案\n{body}\n", "utf-8")
    ex = extract(notice)
    assert [(t.text[:6], t.units) for t in ex.tasks] == [
        ("一、加强制度", ["区政府办", "区网信办", "各镇人民政府", "街道办事处"]),
        ("二、推进营商", ["区发改局", "区营商办"]),
    ]


def test_numbers_an_archive_glued_to_what_they_number() -> None:
    """1.2017年10月底前… is item 1 (a date follows its stop), and 2 follows it; 1公开…
    after a sentence's end is item 1 as well; 3个 or 20日 are counts, not items."""
    text = (
        "（一）纵深推进减权放权1.2017年10月底前实现“多证合一”，对涉企证照事项进一步整合。"
        "责任单位：区市场监督管理局牵头，区直相关部门按职责分工负责"
        "2.在更大范围推进“证照分离”改革试点，把能分离的许可类的“证”都分离出去。"
        "责任单位：区行政审批局（二）做好规划公开。1公开本区发展规划，每年公开3个专项规划，"
        "每月20日前更新。2公开区域规划。" + "做好政务公开工作，" * 10
    )
    parts = reflow(text)
    assert [p[:6] for p in parts] == [
        "（一）纵深推",
        "1.2017",
        "责任单位：区",
        "2.在更大范",
        "责任单位：区",
        "（二）做好规",
        "1公开本区发",
        "2公开区域规",
    ]


def test_an_unsigned_date_and_a_title_glued_to_the_first_sentence(tmp_path: Path) -> None:
    """A cover letter dated without a signature (…请遵照执行。二〇一七年二月二十四日), then
    the plan's title glued to its first sentence (…工作计划按照镇政府…): the date is the
    issue date, the title the plan's, and its year dates the month deadlines."""
    body = (
        "各行政村、各有关单位:经镇政府研究决定,现将《某镇2017年度安全生产专项整治工作计划》"
        "印发给你们,请遵照执行。二〇一七年二月二十四日某镇2017年度安全生产专项整治工作计划"
        "按照镇政府关于2017年安全生产工作的总体要求,根据我镇实际,特制定本工作计划。"
        "一、开展烟花爆竹专项整治,3月底前完成全面排查。(责任单位:安监站、派出所)"
        "二、开展建筑施工专项整治,6月底前完成隐患整改。(责任单位:城建办)"
        "三、开展养老机构专项整治,9月底前完成消防设施检查。(责任单位:民政所)"
    )
    assert len(body) >= REFLOW_AT
    notice = tmp_path / "dated.txt"
    notice.write_text(body + "\n", encoding="utf-8")
    ex = extract(notice)
    assert ex.meta["title"].value == "某镇2017年度安全生产专项整治工作计划"
    assert str(ex.meta["issued"].value) == "2017-02-24"
    assert [(t.units, [d.value for d in t.due]) for t in ex.tasks] == [
        (["安监站", "派出所"], ["2017-03-31"]),
        (["城建办"], ["2017-06-30"]),
        (["民政所"], ["2017-09-30"]),
    ]


def test_a_tab_table_whose_rows_were_joined(tmp_path: Path) -> None:
    """A browser copy of a table (cells split by tabs, an empty cell between two tabs)
    whose line breaks a tool then dropped: read as the archive's text, the empty lead
    cell is empty and a lead cell of two names glued together holds both."""
    units = "区直各有关单位，各片区管理局"
    rows = [
        ["工作任务", "工作要求", "牵头单位", "配合/责任单位"],
        ["一、加强市场主体信息公开", "1.增强政策制定实施的透明度，提振市场主体信心。", "", units],
        ["", "2.建立市场主体反映审批问题的反馈机制。", "区经济发展局区行政审批局", units],
        ["二、加强减税降费信息公开", "3.系统集成、智能推送减税降费政策。", "区财政金融局", units],
        ["", "4.持续推进反垄断和反不正当竞争执法信息公开工作。", "", units],
        ["三、加强就业信息公开", "5.加强就业政策宣讲和推送工作。", "区社会事业局", units],
    ]
    joined = "".join("\t".join(row) for row in rows)
    notice = tmp_path / "tabs.txt"
    notice.write_text(f"某区管委会办公室\n2022年6月7日\n{joined}\n", encoding="utf-8")
    ex = extract(notice)
    assert [(t.text[:6], t.lead, t.units) for t in ex.tasks] == [
        ("1.增强政策", [], ["区直各有关单位", "各片区管理局"]),
        ("2.建立市场", ["区经济发展局", "区行政审批局"], ["区直各有关单位", "各片区管理局"]),
        ("3.系统集成", ["区财政金融局"], ["区直各有关单位", "各片区管理局"]),
        ("4.持续推进", [], ["区直各有关单位", "各片区管理局"]),
        ("5.加强就业", ["区社会事业局"], ["区直各有关单位", "各片区管理局"]),
    ]


@pytest.mark.parametrize(
    "name",
    [
        "市政府相关部门",
        "各社区居委会",
        "区政府国资办",
        "县委县政府督查室",
        "市委国家安全委员会办公室",
        "中国人民银行县支行",
        "某某镇中心卫生院",
        "各县、区人民政府",
    ],
)
def test_one_name_is_never_parted_as_two_glued_cells(name: str) -> None:
    """Names that end a part of themselves early (政府, 委, 社, 镇) stay whole; only names of
    one level glued in a cell (区经济发展局区行政审批局) are two."""
    assert split_units(name) == [name]
    assert split_units("区经济发展局区行政审批局") == ["区经济发展局", "区行政审批局"]
    assert split_units("各镇、区直各部门") == ["各镇", "区直各部门"]


def test_what_a_joined_table_rule_must_not_touch_in_prose() -> None:
    """Prose an archive joined: a unit named as a sentence's subject is no table cell, 附件
    in a sentence starts no attachment, a dated sentence and a 方案 a sentence asks for are
    not cut from what follows them."""
    text = (
        "一、总体要求。" + "做好政务公开工作，" * 20 + "各单位要高度重视。"
        "区政府办公室加强统筹调度，定期通报工作进展。"
        "（二）加强要素保障。附件所列重点项目要优先保障用地，9月底前完成供地。"
        "全面完成20个小区改造。2023年6月30日完成全部验收工作。"
        "各镇要结合实际制定具体实施方案经镇党委研究后于3月底前报区政府备案。"
        "工作任务牵头单位责任单位"
    )
    parts = date_then_title(reflow(text))
    assert "区政府办公室加强统筹调度，定期通报工作进展。" in "".join(parts)
    cut = ("区政府办公室", "附件", "2023年6月30日", "经镇党委")
    assert not any(p.startswith(cut) for p in parts)


ONE_UNIT_COLUMN = """某市人民政府办公室
2021年7月5日
某市2021年政务公开工作要点分工方案
工作任务
具体要求
落实单位
推进政府公报工作
1.加快推进市政府公报电子化工作，通过政府网站加强政府公报内容传播。
市政府办公室
推进基层政务公开标准化规范化
2.公开全市核酸检测机构、发热门诊、疫苗接种点等防疫服务信息〔公开路径：1.政府网站>疫情防控，2.其他渠道〕。
市卫生健康委
3.基层政府要持续做好本级基层政务公开标准目录的落实。
各镇街
落实《政府信息公开条例》
4.正确适用《政府信息公开信息处理费管理办法》，按照规定计收信息处理费。
市直各部门、各镇街。市发展改革局、财政局按照职责分工强化监管。
5.对接省行政复议机构，统一案件审理标准。
市司法局
"""


@pytest.mark.parametrize("joiner", ["", " "])
def test_a_one_column_table_glued_reads_as_with_its_line_breaks(
    tmp_path: Path, joiner: str
) -> None:
    """A 落实单位 cell glued before a section heading (市政府办公室推进基层…2.), a role
    word that begins the heading (各镇街落实《…》), a cell of two sentences, a requirement
    whose number is followed by a name-like phrase (2.公开全市核酸检测机构、…) and the
    numbers inside a 〔公开路径：1.…，2.…〕 bracket: the glued table reads as the same
    table with its line breaks."""
    broken, one = as_copied_and_glued(tmp_path, ONE_UNIT_COLUMN, joiner)
    with_breaks = extract(broken)
    assert [(t.text[:6], t.units) for t in with_breaks.tasks] == [
        ("1.加快推进", ["市政府办公室"]),
        ("2.公开全市", ["市卫生健康委"]),
        ("3.基层政府", ["各镇街"]),
        ("4.正确适用", ["市直各部门", "各镇街", "市发展改革局", "财政局"]),
        ("5.对接省行", ["市司法局"]),
    ]
    assert reading(extract(one)) == reading(with_breaks)


def test_a_flattened_header_of_main_and_helping_units(tmp_path: Path) -> None:
    """序号重点工作任务主要责任单位协同配合单位 glued: 主要责任单位 is the lead column, and a
    unit cell's own stop (…街道办事处。) ends the cell, not the next requirement."""
    rows = (
        "谯城区教育局2025年政府工作报告重点工作任务分解表序号重点工作任务主要责任单位协同配合单位"
        "一、全力以赴惠民生、增福祉68持续推进学前教育普及普惠，加快建设黎明小学扩建教学楼项目。"
        "区教育局区政府有关部门，各乡镇人民政府、街道办事处。"
        "69深化与海亮集团合作，积极引进优质教育资源，办好人民满意的教育。区教育局区投资促进中心。"
        "73大力推进“安心托幼”，全区托位数提高至560个，新增普惠性托育机构2家。区卫健委区教育局。"
    )
    notice = tmp_path / "flat.txt"
    notice.write_text("谯城区教育局\n2025年6月13日\n" + rows + "\n", encoding="utf-8")
    assert len(rows) >= REFLOW_AT
    ex = extract(notice)
    # the section's heading stays glued to the row after it: 68 is no next number of 一、
    assert [
        (key in t.text, t.lead, t.units)
        for key, t in zip(("68持续推进", "69深化与海", "73大力推进"), ex.tasks, strict=True)
    ] == [
        (True, ["区教育局"], ["区政府有关部门", "各乡镇人民政府", "街道办事处"]),
        (True, ["区教育局"], ["区投资促进中心"]),
        (True, ["区卫健委"], ["区教育局"]),
    ]


def test_an_archived_body_with_ascii_brackets_parts_after_them() -> None:
    """A portal that prints half-width punctuation: the space after a closing ``)`` parts
    paragraphs as it does after ``）``, so the signature is no unit of the last item."""
    body = (
        "三、坚决纠正行业乱收费问题 坚决纠正农民建房等方面乱收费行为，严禁向农民转嫁摊派资金、"
        "搭车收费等违规行为。(牵头单位:用地科,参与单位:各国土所) 平潭县国土资源局 "
        "二〇一二年九月六日 来源:中国平潭"
    ) * 3  # as long as a body an archive keeps on one line
    parts = reflow(body)
    assert any(p.endswith("(牵头单位:用地科,参与单位:各国土所)") for p in parts)
    assert "平潭县国土资源局" in parts


DUTIES = """澜江区经济发展局
2023年3月22日
企业内设加油站点报备工作方案
一、工作目标
建立企业内设加油站点报告制度，推动成品油市场健康发展。
二、职责分工
区经济发展局：负责牵头企业内设加油站点的监管，督促企业建立成品油购、用管理台账；负责对未经备案的内设加油站点进行取缔。
各片区管理局：配合区直有关部门做好辖区内已备案内设加油站点日常监管，协助开展摸排工作。
区公安局：负责打击内设加油站点涉嫌非法经营等刑事犯罪行为。
区市场监管局：负责内设加油站点涉及的供油企业成品油质量监管。
三、工作要求
各单位要加强协作，形成监管合力。
"""


@pytest.mark.parametrize("joiner", ["", " "])
def test_a_duties_chapter_glued_reads_as_with_its_line_breaks(tmp_path: Path, joiner: str) -> None:
    """A 职责分工 chapter of paragraphs each opening with its unit (区公安局：负责…), glued
    onto one line with its heading (二、职责分工区经济发展局：…): each paragraph is the
    item of its unit, as with the line breaks."""
    broken, one = as_copied_and_glued(tmp_path, DUTIES, joiner)
    with_breaks = extract(broken)
    assert [(t.text[:6], t.units) for t in with_breaks.tasks] == [
        ("区经济发展局", ["区经济发展局"]),
        ("各片区管理局", ["各片区管理局"]),
        ("区公安局:负", ["区公安局"]),
        ("区市场监管局", ["区市场监管局"]),
    ]
    assert reading(extract(one)) == reading(with_breaks)

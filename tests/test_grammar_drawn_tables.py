"""Task tables drawn with box characters (┌─┬─┐ │ ├─┼─┤, or ASCII +--+ and |), as law
databases and older text exports give a notice's 分工表. Each on a small notice written for
it (places, units and dates invented)."""

from __future__ import annotations

from pathlib import Path

from tests.test_grammar import read


def test_a_drawn_table_with_a_lead_cell_merged_over_two_rows(tmp_path: Path) -> None:
    """Cells wrap over several lines; a heading row spans the table; the 牵头单位 cell
    of rows 1 and 2 has no border between them, so both rows take it, while each row
    keeps its own 责任单位 and deadline."""
    body = (
        "┌──┬────────────┬──────┬──────┬─────┐\n"
        "│序号│工作任务                │牵头单位    │责任单位    │完成时限  │\n"
        "├──┴────────────┴──────┴──────┴─────┤\n"
        "│一、深化重点领域信息公开                                          │\n"
        "├──┬────────────┬──────┬──────┬─────┤\n"
        "│1 │公开本级预算和决算，细化│县财政局    │县直各部门  │2023年6月 │\n"
        "│  │到项级科目              │            │            │底前      │\n"
        "├──┼────────────┤            ├──────┼─────┤\n"
        "│2 │公开政府采购意向和采购结│            │县公共资源交│2023年9月 │\n"
        "│  │果                      │            │易中心      │30日前    │\n"
        "├──┼────────────┼──────┼──────┼─────┤\n"
        "│3 │推进重大建设项目批准和实│县发展改革局│各乡镇人民政│持续推进  │\n"
        "│  │施信息公开              │            │府          │          │\n"
        "└──┴────────────┴──────┴──────┴─────┘\n"
    )
    assert read(tmp_path, body) == [
        ("公开本级预算", ["县财政局"], ["县直各部门"], ["2023-06-30"]),
        ("公开政府采购", ["县财政局"], ["县公共资源交易中心"], ["2023-09-30"]),
        ("推进重大建设", ["县发展改革局"], ["各乡镇人民政府"], ["ongoing"]),
    ]


def test_bulleted_tasks_in_one_drawn_cell_take_the_unit_cell_beside_them(
    tmp_path: Path,
) -> None:
    """A cell listing several tasks, each opening with △, under an unmarked group heading;
    the unit cell's border falls between two of the tasks, so the first task takes the
    first cell and the others the second, which runs on over the next group. The group
    headings are no tasks."""
    body = (
        "┌────────────────┬──────────┬────┐\n"
        "│ 工 作 任 务                    │牵头单位            │完成时限│\n"
        "├────────────────┼──────────┼────┤\n"
        "│稳定就业，加强社会保障          │县人社局、县财政局  │年底前  │\n"
        "├────────────────┤                    │        │\n"
        "│△落实援企稳岗政策，扩大失业保险│                    │        │\n"
        "│基金稳岗返还范围                ├──────────┤        │\n"
        "│△开展职业技能提升行动          │县人社局、县教育局  │        │\n"
        "│△建设零工市场                  │                    │        │\n"
        "├────────────────┤                    │        │\n"
        "│办好人民满意教育                │                    │        │\n"
        "├────────────────┤                    │        │\n"
        "│△新建改扩建中小学校3所         │                    │        │\n"
        "└────────────────┴──────────┴────┘\n"
    )
    assert read(tmp_path, body) == [
        ("落实援企稳岗", ["县人社局", "县财政局"], [], ["2023-12-31"]),
        ("开展职业技能", ["县人社局", "县教育局"], [], ["2023-12-31"]),
        ("建设零工市场", ["县人社局", "县教育局"], [], ["2023-12-31"]),
        ("新建改扩建中", ["县人社局", "县教育局"], [], ["2023-12-31"]),
    ]


def test_an_ascii_drawn_table(tmp_path: Path) -> None:
    """The same drawing in ASCII: + at the corners, - and = for rules, | between cells."""
    body = (
        "+----+----------------------+------------+----------+\n"
        "|序号| 工作任务             | 责任单位   | 完成时限 |\n"
        "+====+======================+============+==========+\n"
        "| 1  | 公开行政许可和行政处 | 县市场监管 | 2023年7月|\n"
        "|    | 罚信息               | 局         | 底前     |\n"
        "+----+----------------------+------------+----------+\n"
        "| 2  | 公开义务教育招生政策 | 县教育局   | 2023年5月|\n"
        "|    |                      |            | 31日前   |\n"
        "+----+----------------------+------------+----------+\n"
    )
    assert read(tmp_path, body) == [
        ("公开行政许可", [], ["县市场监管局"], ["2023-07-31"]),
        ("公开义务教育", [], ["县教育局"], ["2023-05-31"]),
    ]


def test_a_blank_drawn_cell_stays_blank_and_a_cell_saying_none_is_no_rule(
    tmp_path: Path,
) -> None:
    """A cell its rules close with nothing in it is empty, not the text of the cell above
    (a merged cell has no rule between); in ASCII a cell's "--" says none and draws no
    rule, while a rule line's gap is a lead cell merged over two rows."""
    boxed = (
        "┌──┬────────────┬──────┬──────┬─────┐\n"
        "│序号│重点任务                │牵头单位    │配合单位    │完成时限  │\n"
        "├──┼────────────┼──────┼──────┼─────┤\n"
        "│1 │推行企业开办全程网上办理│市市场监管局│市税务局    │6月底前   │\n"
        "├──┼────────────┤            ├──────┼─────┤\n"
        "│2 │压减企业注销办理时间    │            │            │9月底前   │\n"
        "└──┴────────────┴──────┴──────┴─────┘\n"
    )
    assert read(tmp_path, boxed, "boxed.txt") == [
        ("推行企业开办", ["市市场监管局"], ["市税务局"], ["2023-06-30"]),
        ("压减企业注销", ["市市场监管局"], [], ["2023-09-30"]),
    ]
    ascii_drawn = (
        "+----+--------------------------+------------+----------+----------+\n"
        "|序号|工作任务                  |牵头单位    |配合单位  |完成时限  |\n"
        "+----+--------------------------+------------+----------+----------+\n"
        "|1   |建设一体化政务服务平台    |市大数据局  |--        |6月底前   |\n"
        "+----+--------------------------+            +----------+----------+\n"
        "|2   |推进电子证照共享应用      |            |市公安局  |9月底前   |\n"
        "+----+--------------------------+------------+----------+----------+\n"
    )
    assert read(tmp_path, ascii_drawn, "ascii.txt") == [
        ("建设一体化政", ["市大数据局"], [], ["2023-06-30"]),
        ("推进电子证照", ["市大数据局"], ["市公安局"], ["2023-09-30"]),
    ]


def test_points_bulleted_in_one_cell_make_no_headings_of_the_other_rows(tmp_path: Path) -> None:
    """One task lists its points with ●: the table is no list of bulleted tasks, so the
    rows without bullets stay tasks and the listing task keeps its points."""
    body = (
        "┌──┬──────────────────┬──────┬─────┐\n"
        "│序号│重点任务                      │牵头单位    │完成时限  │\n"
        "├──┼──────────────────┼──────┼─────┤\n"
        "│1 │开展燃气安全专项整治，重点排查│市城管局    │6月底前   │\n"
        "│  │●餐饮场所燃气管道老化        │            │          │\n"
        "│  │●瓶装液化气非法充装          │            │          │\n"
        "├──┼──────────────────┼──────┼─────┤\n"
        "│2 │加强危险化学品运输车辆监管    │市交通运输局│9月底前   │\n"
        "├──┼──────────────────┼──────┼─────┤\n"
        "│3 │开展消防安全隐患排查整治      │市消防救援支│年底前    │\n"
        "│  │                              │队          │          │\n"
        "└──┴──────────────────┴──────┴─────┘\n"
    )
    tasks = read(tmp_path, body)
    assert [(text, lead) for text, lead, _, _ in tasks] == [
        ("开展燃气安全", ["市城管局"]),
        ("加强危险化学", ["市交通运输局"]),
        ("开展消防安全", ["市消防救援支队"]),
    ]

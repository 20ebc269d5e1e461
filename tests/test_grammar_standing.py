"""Who an item names when the notice says it once for many, or says it in a form a copy
bent: standing clauses, 由X会同Y, a label typed with the wrong stop. Each rule on a small
notice written for it (places, units and dates invented)."""

from __future__ import annotations

from pathlib import Path

from tests.test_grammar import read


def test_a_standing_clause_inside_a_labelled_bracket(tmp_path: Path) -> None:
    """（责任单位：X，以下均含Y、Z，不再单独列出）: Y and Z join this and every later item,
    also one whose actors its sentences name; 建设…中心。 opening an item is its title,
    not a unit."""
    body = """一、重点任务
（一）实施精神铸魂工程。
1.加强精神研究阐释。组织专家开展研究。（责任单位：县委宣传部，以下均含县林业局、国营林场，不再单独列出）
2.提升种苗供给能力。建设种质资源库。（牵头单位：县林业局；配合单位：县财政局，二级以下国有林场参与）
（二）建设智慧林场。
1.建设生态要素感知系统和智慧决策中心。统筹规划林场资源监测系统。
二、保障措施
（一）多元筹措资金。县有关部门结合职能支持林场改革发展工作。
"""
    assert read(tmp_path, body) == [
        ("1.加强精神", [], ["县委宣传部", "县林业局", "国营林场"], []),
        ("2.提升种苗", ["县林业局"], ["县财政局", "二级以下国有林场", "国营林场"], []),
        ("1.建设生态", [], ["县林业局", "国营林场"], []),
        ("(一)多元筹", [], ["县有关部门", "县林业局", "国营林场"], []),
    ]


def test_by_one_unit_together_with_others(tmp_path: Path) -> None:
    """由X会同A、B等部门负责落实 / 研究提出落实意见: A and B are units with X."""
    body = """一、工作分工
（一）关于“确保口粮绝对安全”的问题，由县发展改革局会同县农业农村局、县财政局等部门研究提出落实意见。
（二）关于“严守耕地保护红线，划定永久基本农田”的问题，由县自然资源局会同县农业农村局等部门负责落实。
（三）关于“加强基层人才队伍建设”的问题，由县人社局会同县委组织部、县财政局等部门负责落实。
（四）关于“基层党建”的问题，由县委组织部会同县委政策研究室、县民政局等部门研究提出落实意见。
"""
    assert read(tmp_path, body) == [
        ("(一)关于“", [], ["县发展改革局", "县农业农村局", "县财政局"], []),
        ("(二)关于“", [], ["县自然资源局", "县农业农村局"], []),
        ("(三)关于“", [], ["县人社局", "县委组织部", "县财政局"], []),
        ("(四)关于“", [], ["县委组织部", "县委政策研究室", "县民政局"], []),
    ]


def test_a_unit_label_typed_with_a_semicolon(tmp_path: Path) -> None:
    """(责任单位;住建局、畜牧局): the semicolon stands for the label's colon."""
    body = """一、重点工作
1.实施改厨、改厕、改圈等工程，提升村屯人居环境质量。(责任单位;县住建局、县畜牧局、各乡镇)
2.推进村村通工程，加快村路巷道改造进程。(责任单位:县交通局、各乡镇)
3.加大农村危房改造力度。(牵头单位;县住建局;配合单位;各乡镇)
"""
    assert read(tmp_path, body) == [
        ("1.实施改厨", [], ["县住建局", "县畜牧局", "各乡镇"], []),
        ("2.推进村村", [], ["县交通局", "各乡镇"], []),
        ("3.加大农村", ["县住建局"], ["各乡镇"], []),  # as with colons
    ]


def test_the_title_then_who_acts(tmp_path: Path) -> None:
    """（一）开展…行动。各中小学、幼儿园严格落实…: after a measure's short title, the next
    sentence opens with who acts (各中小学 is a group, as 学校 is); a phrase joined by 和
    (重大节假日和各级党委政府…) names no one."""
    body = """一、工作措施
（一）开展视力监测筛查行动。各中小学、幼儿园严格落实每学期不少于2次的视力监测制度。
（二）开展健康副校长行动。县卫健局统筹选派医务人员到学校兼任健康副校长。
（三）做好节日宣传。重大节假日和各级党委政府重要会议期间加强网上巡查。
"""
    assert read(tmp_path, body) == [
        ("(一)开展视", [], ["各中小学", "幼儿园"], []),
        ("(二)开展健", [], ["县卫健局"], []),
        ("(三)做好节", [], [], []),
    ]

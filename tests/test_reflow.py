"""Notices whose body lost its line breaks (a web archive, a CMS export, some PDF copies)
read as the same notice with them: the long line is split where a paragraph began."""

from __future__ import annotations

from pathlib import Path

import pytest

from plans.importer import Extraction, extract
from plans.notice import REFLOW_AT, reflow
from tests.importer_samples import FIELDS, OWN, POINTS


def reading(ex: Extraction) -> list[tuple[object, ...]]:
    return [(t.text, t.lead, t.units, [d.value for d in t.due]) for t in ex.tasks] + [
        (c.kind, c.units, [d.value for d in c.due]) for c in ex.checkpoints
    ]


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
    units. Each row reads as the requirement with 牵头单位：/责任单位： fields."""
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

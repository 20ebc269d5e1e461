"""What the rules of tests/test_grammar_labels.py must leave alone: small notices a
review wrote against them (tests/notices/guards/), each read as the importer read it
before those rules, or better."""

from __future__ import annotations

from pathlib import Path

import pytest

from plans.importer import extract

GUARDS = Path(__file__).parent / "notices" / "guards"


def reading(name: str) -> list[tuple[str, list[str], list[str], list[str]]]:
    ex = extract(GUARDS / name)
    return [(t.text[:8], t.lead, t.units, [d.value for d in t.due]) for t in ex.tasks]


@pytest.mark.parametrize("name", ["tab.txt", "cell.txt", "fixed.txt"])
def test_a_table_is_not_taken_for_text_wrapped_at_a_pdfs_margin(name: str) -> None:
    """Rows of even length that end without a stop (tab-separated, one cell per line
    under a header, fixed-width columns) are rows: six tasks, each with its unit."""
    got = reading(name)
    assert [units for _, _, units, _ in got] == [
        ["县财政局"], ["县财政局"], ["县发改局"], ["县住建局"], ["县发改局"], ["县教育局"]
    ] if name == "fixed.txt" else [
        ["县政府办公室"], ["县数据资源局"], ["县委网信办"], ["县司法局"], ["县政府办公室"],
        ["县发展改革局"],
    ]  # fmt: skip
    assert all(due == ["2023-12-31"] for *_, due in got)


def test_a_data_cell_ending_like_a_label_is_no_header() -> None:
    """各行业主管部门 in a row's unit cell is a unit, not a header naming a column."""
    assert [units for _, _, units, _ in reading("pipe2.txt")] == [
        ["县应急管理局"],
        ["各行业主管部门"],
        ["县应急管理局"],
    ]


def test_a_column_of_offices_named_otherwise_is_a_unit_column() -> None:
    """责任股室 names a unit column as 责任单位 does."""
    assert [units for _, _, units, _ in reading("gushi.txt")] == [["县应急管理局"], ["县住建局"]]


def test_an_item_saying_more_than_the_table_row_stays() -> None:
    """A body item with its own bracket of units and a second measure is not the
    attached table's row restated: it stays, with its lead, units and both deadlines."""
    first = reading("drop.txt")[0]
    assert first[:3] == ("1.全面推行企业", ["县市场监管局"], ["县数据资源局"])
    assert "2023-12-31" in first[3]


def test_no_actor_from_a_preposition_or_a_deadline() -> None:
    """依托县融媒体中心…, 向社会公布… name no actor; 年底前各乡镇完成… names 各乡镇."""
    assert [units for _, _, units, _ in reading("act.txt")] == [[], [], ["各乡镇"]]


def test_no_lead_from_a_unit_helping_another() -> None:
    """配合市公安局牵头开展的…工作 and 各乡镇在县委组织部牵头下… give no lead of their own."""
    got = reading("part.txt")
    assert got and all(lead == [] for _, lead, _, _ in got)


def test_a_bracket_inside_a_sentence_does_not_part_it() -> None:
    """（县发展改革局牵头，县直有关部门参与）before the sentence goes on closes no measure."""
    assert [text for text, *_ in reading("meas.txt")] == ["1.建立营商环境", "2.开展政务服务"]

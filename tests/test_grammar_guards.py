"""What the rules of tests/test_grammar_labels.py must leave alone: small notices a
review wrote against them (tests/notices/guards/), each read as the importer read it
before those rules, or better."""

from __future__ import annotations

from pathlib import Path

import pytest

from plans.importer import NoticeProblem, extract

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


# What the rules of tests/test_grammar_campaign.py must leave alone: a second review's
# notices (tests/notices/guards/n*.txt).


def test_a_timetable_and_phases_are_no_campaign_period() -> None:
    """时间安排 listing an exam's dates (报名5月8日至12日；考试5月20日) or three phases, one
    a range: no item takes a date from them; the phases keep their own."""
    assert all(
        due == []
        for text, _, _, due in reading("n01_exam_schedule.txt")
        if "（" in text or "(" in text
    )
    phases = {text: due for text, _, _, due in reading("n02_phases.txt")}
    assert [due for text, due in phases.items() if text.startswith("(")] == [[], [], [], []]
    assert ["2023-04-30"] in phases.values() and ["2023-11-30"] in phases.values()


def test_a_past_period_in_a_heading_dates_nothing() -> None:
    """（一）巩固2022年10月至12月…攻坚行动成果 in a plan of 2023-03-02 recalls a past
    campaign: no item is due before the plan was issued."""
    dues = [d for *_, due in reading("n03_heading_past_period.txt") for d in due]
    assert dues == ["2023-06-30"]


def test_a_year_before_a_quarter_a_feast_or_a_fact_is_no_year_end() -> None:
    """2023年一季度 is 03-31; 2024年春节前, 2023年汛期前, 2023年秋季开学前, "2023年，我县共
    谋划…" and "2023年出台的政策" give no year-end date."""
    assert [due for *_, due in reading("n04_year_clauses.txt")] == [
        [],
        [],
        ["2023-03-31"],
        [],
        [],
        [],
    ]


def test_a_subject_that_acts_inside_its_name_is_no_unit() -> None:
    """各经营户要配合市场服务中心…, 个体工商户要积极配合市场监管所…, 成立…领导小组，负责…,
    广大群众要自觉配合环卫所…: no unit is made of a modal and a verb."""
    got = reading("n07_subject_names.txt")
    assert [units for _, _, units, _ in got] == [[], [], [], []]


def test_a_cover_letter_alone_or_above_its_plan_is_not_the_plan() -> None:
    """A cover that 现予印发 a plan the page left out is refused; one titled only 通知 above
    its attached plan gives the plan's title and tasks, not its own requirements."""
    with pytest.raises(NoticeProblem):
        extract(GUARDS / "n09_cover_only.txt")
    ex = extract(GUARDS / "n09b_cover_attach.txt")
    assert ex.meta["title"].value == "平江县2023年秸秆禁烧工作方案"
    assert len(ex.tasks) == 3


def test_a_portal_byline_is_not_the_signature() -> None:
    """ "梅州市梅江区应急管理局 2023年03月01日" on the first line is the portal's byline; the
    signature at the end gives the issuer and the date."""
    ex = extract(GUARDS / "n10_portal_byline.txt")
    assert ex.meta["issuer"].value == "梅江区安全生产委员会办公室"
    assert str(ex.meta["issued"].value) == "2023-02-27"


def checkpoints(name: str) -> list[tuple[str, list[str]]]:
    return [(c.kind, [d.value for d in c.due]) for c in extract(GUARDS / name).checkpoints]


def test_session_18s_checkpoint_rules_leave_tasks_and_citations_alone() -> None:
    """A review of the checkpoint rules (tests/notices/guards/r18_*): a 工作措施 chapter
    holds tasks, not the plan's checks; a cited 《…关于印发…的通知》 does not void the
    report it qualifies; a plan's entry into force is no milestone; a task's own duty to
    report (…情况报市统计局) is no checkpoint of the plan."""
    assert checkpoints("r18_j.txt") == [("check", ["quarterly:end"])]
    assert checkpoints("r18_sd.txt") == [("report", ["monthly:5"]), ("report", ["2024-12-10"])]
    assert checkpoints("r18_c.txt") == [("list", ["2024-05-31"])]
    assert checkpoints("r18_pr.txt") == []


def test_session_18s_date_table_and_signature_rules_leave_ordinary_text_alone() -> None:
    """其中10月31日前 and 年内…9月30日前 stay in the plan's year after a date in the next;
    青知发 is an issuer's code (知 is not 通知's); two names before a spaced row's time
    cell share its unit cell; a group's name and a date mid-sentence are no signature."""
    assert [due for *_, due in reading("r18_e2.txt")] == [
        ["2025-06-30", "2024-10-31"],
        ["2025-03-31", "2024-12-31", "2024-09-30"],
    ]
    assert extract(GUARDS / "r18_k.txt").meta["doc_no"].value == "青知发〔2024〕7号"
    assert reading("r18_s.txt")[0][1] == ["县民政局", "县财政局"]
    meta = extract(GUARDS / "r18_sg.txt").meta
    assert str(meta["issued"].value) == "2024-03-20"
    assert meta["issuer"].value == "青石县全面推行河湖长制工作领导小组办公室"


# A review of the rules in tests/test_grammar_measures.py (session 19) wrote these.


def test_a_deadline_for_one_project_or_for_reports_dates_no_other_task() -> None:
    """其中，老旧小区改造年度任务目标…前完成 is one project's; …于12月10日前报送全年任务完成
    情况 is a report's date: neither dates the plan's other tasks."""
    sub = reading("r19_subtarget.txt")
    assert [
        due for text, _, _, due in sub if text.startswith(("(二)建设口袋", "(四)编制城市"))
    ] == [
        [],
        [],
    ]
    assert "2024-12-10" not in [d for *_, due in reading("r19_reportdue_body.txt") for d in due]


def test_a_mid_bracket_followed_by_what_goes_on_with_its_measure() -> None:
    """…（牵头单位：X；配合单位：Y）以上工作于2024年6月底前完成。 and …（责任单位：X）其中，…:
    no empty task, no task of 以上/其中 alone; the measure keeps its bracket and date."""
    got = reading("r19_midbracket.txt")
    assert [text for text, *_ in got] == ["(一)建立联席会", "(二)开展燃气安", "(三)整治道路交"]
    assert got[1][1:] == (["市住建局"], ["市市场监管局", "市消防救援支队"], ["2024-06-30"])
    assert got[2][2] == ["市交通运输局", "市公安局"]


def test_a_division_of_duties_by_unit_whatever_verb_follows() -> None:
    """（一）县市场监管局。依法查处… / （五）各乡镇人民政府。落实…: each item's unit."""
    assert [units for _, _, units, _ in reading("r19_namedfirst.txt")][1:] == [
        ["县市场监管局"], ["县教育局"], ["县公安局"], ["县农业农村局"], ["各乡镇人民政府"]
    ]  # fmt: skip


@pytest.mark.parametrize("name", ["r19_titled.txt", "r19_titled_subitems.txt"])
def test_a_titled_measure_over_sub_items_or_paragraphs_of_their_own_units(name: str) -> None:
    """A title ending in 。 over 1. 2. heads them; paragraphs each naming its unit
    (市大数据局负责…, 市财政局负责…) stay three items, each with its unit."""
    got = reading(name)
    own = ("市大数据局", "市财政局", "各区县政府")
    assert [units for text, _, units, _ in got if text.startswith(own)] == [
        ["市大数据局"], ["市财政局"], ["各区县政府"]
    ]  # fmt: skip
    assert [text for text, *_ in got if text.startswith("1.推进数据")] == ["1.推进数据资源"]


def test_an_introductions_actor_yields_to_an_items_own() -> None:
    """今年全市要…做好以下工作： names nobody; 各区县要督促…做好以下工作： gives its items
    their unit, except an item naming its own (村(社区)便民服务站要…)."""
    got = {text: units for text, _, units, _ in reading("r19_intro.txt")}
    assert "今年全市" not in [u for units in got.values() for u in units]
    assert got["(一)推进基层政"] == ["各区县"]
    assert got["(二)规范便民服"] == ["村(社区)便民服务站"]


def test_glued_and_spaced_tables_keep_whole_names_and_rows() -> None:
    """农业农村部全国: the name is whole; 新增2 000个建制村 is no row; 抄送：… after the last
    row is not in its unit cell; a dashed clause of sentences is its own item's."""
    assert [units for *_, units, _ in reading("r19_glued_list.txt")] == [
        ["自然资源部", "农业农村部"],
        ["中国人民银行", "住房城乡建设部"],
        ["中国银保监会", "农业农村部"],
    ]
    for name in ("r19_spaced_gluedtail.txt", "r19_spaced_inner_number.txt"):
        got = reading(name)
        assert len(got) == 4 and not [u for _, lead, *_ in got for u in lead if "抄送" in u]
    dashed = {text: units for text, _, units, _ in reading("r19_dashed.txt")}
    assert dashed["2、推进综治中心"] == ["各区县"]


def test_a_heading_ending_in_a_layout_is_no_unit_and_a_bracketed_deadline_dates() -> None:
    """（一）优化学校布局。 over 1. 2. names no unit (布局 ends like 局); （2024年12月底前完成）
    alone under an item is its deadline, not a line dropped."""
    got = {text: (units, due) for text, _, units, due in reading("r19_wrapped.txt")}
    assert got["1.科学编制学校"] == ([], [])
    assert got["1.推进薄弱学校"] == ([], ["2024-12-31"])


def test_items_of_one_length_ending_their_sentences_are_no_page_margin() -> None:
    """Numbered items of about one length, each ending in 。, each with its unit line
    under it (review r20): lines as long as their paragraphs, so each unit line stays
    its item's units and is not taken for the item's wrapped tail."""
    assert [units for _, _, units, _ in reading("r20_unit_lines.txt")] == [
        ["县住建局", "县城管局", "各乡镇人民政府"],
        ["县农业农村局", "各乡镇人民政府"],
        ["县农业农村局", "县卫健局", "县财政局"],
        ["市生态环境局青溪分局", "县水利局"],
        ["县财政局", "各乡镇人民政府"],
    ]


def test_a_closing_paragraph_after_a_measure_ending_at_the_margin_stays_apart() -> None:
    """A PDF copy at 28 characters a line whose measure (三) ends in 。 exactly at the
    margin, then the closing request 各牵头单位要…于每季度末…: the request is no part of
    the measure and does not give it its quarterly date."""
    got = reading("r20_closing_paragraph.txt")
    assert [text for text, *_ in got] == [
        "(一)深化商事制",
        "(二)提升不动产",
        "(三)强化要素资",
        "各牵头单位要建立",
    ]
    assert got[2][3] == [] and got[3][3] == ["quarterly:end"]


def test_a_bracket_left_open_by_a_typo_does_not_swallow_the_next_item() -> None:
    """（县城管局牵头，县市场监管局、城关镇配合。 never closed, at the margin: the next
    numbered item begins anew and keeps its own bracket's units."""
    got = reading("r20_unclosed_bracket.txt")
    assert [(text, lead, units) for text, lead, units, _ in got[1:]] == [
        ("(二)整治农贸市", ["县市场监管局"], ["县商务局"]),
        ("(三)整治城乡结", ["城关镇"], ["县住建局"]),
    ]
    assert len(got) == 3


def test_labels_of_members_and_contacts_part_no_paragraph() -> None:
    """成员单位：… and 联系单位：… after a full stop in a long paragraph (review r23) are a
    list of members and a contact, not units opening paragraphs of their duties."""
    got = reading("r23_contact_labels.txt")
    assert [text for text, *_ in got] == ["(一)推进农村厕", "(二)治理农村生", "(一)加强组织领"]
    assert not any(u.endswith(("成员单位", "联系单位")) for _, _, units, _ in got for u in units)


def test_an_items_inline_duties_of_several_units_stay_in_the_item() -> None:
    """区商务局：负责…；区财政局：负责… inside one item outside a 职责分工 chapter (review
    r23): the item is not parted into fragments at each unit's colon."""
    got = reading("r23_item_duties_inline.txt")
    assert [text for text, *_ in got] == ["(一)开展促消费", "(二)培育消费新", "(一)加强组织领"]


@pytest.mark.parametrize(
    ("name", "body_tasks"),
    [("r23_attached_task_list.txt", 4), ("r23_attached_after_requirements.txt", 3)],
)
def test_an_attached_task_list_without_units_per_item_is_kept(name: str, body_tasks: int) -> None:
    """附件：镇（街道）燃气安全排查工作任务清单, its numbered items naming no unit (review
    r23): a task list for the addressees, not reference material; its items stay, also
    when it comes after the body's 二、工作要求 (not skipped as more of that chapter)."""
    got = reading(name)
    assert [text for text, *_ in got][body_tasks:] == [
        "1.建立辖区燃气",
        "2.组织网格员开",
        "3.对老旧小区燃",
        "4.开展燃气安全",
    ]

"""A check of the reading that does not share its rules: it knows when it is unsure.

The reading rules decide who leads and when; this check only asks whether the result
looks like what Chinese official writing can mean. Every unit must look like an
organisation (a lexicon of the endings of organisation names and of groups); an item
read with no unit whose own text names organisations was misread, not left open by
the notice; a date the text states that the deadline does not hold, or a cadence (每年
至少两次, 每月发布 …) with no deadline read, may have been missed. Each finding is a
doubt that names its field, for the review list.
"""

from __future__ import annotations

import re

from plans.cn_dates import read_dues
from plans.importer.checkpoints import COORDINATOR, RECURRING
from plans.importer.model import Extraction, TaskDraft
from plans.importer.units import drop_due_words, sentence_roles

# How an organisation's name ends, and how a group is named (各部门, 有关单位 …).
ORG_END = (
    r"(局|委员会|委|办公室|办|厅|部|署|政府|中心|院|所|处|室|站|队|镇|街道|街|乡|"
    r"公司|集团|银行|馆|台|社|组|管委会|办事处|分局|支队|海关|片区|单位|部门|机关|"
    r"机构|学校|医院|协会|联合会|商会|村|社区|区县|旗区|镇街|企业|支行|分行|银行|科|开发区|高新区|"
    r"园区|新区|经开区|示范区|试验区|实验区|保税区|专班|指挥部|领导小组|工商联|妇联|残联|文联|侨联|社科联|科协|团中央|监会|工会|红十字会)"
)
ORG_NAME = re.compile(
    rf"^(各|有关|相关|全[市区县])?[\u4e00-\u9fa5A-Za-z()（）、]{{1,40}}?{ORG_END}"
    r"([(（][^()（）]{1,20}[)）])?(等)?$"
    r"|^(各|有关|相关)?(学校|中小学|中小学校|幼儿园|医院|医疗机构)$"  # a group by its kind
)
NOT_ORG = re.compile(r"\d{4}年|\d+月|\d+日|[前内底末]$|[。；;，,：:]|^(按|在|对|将|把|要|应)")
# Organisations as a sentence names them: 区财政局, 各乡镇人民政府, 市直有关部门.
ORG_IN_TEXT = re.compile(
    r"(?:^|(?<=[，,。；;、：:由请和及与同经]))(?:(?:各|有关|相关)?[市区县州省镇乡旗]"
    r"[\u4e00-\u9fa5]{0,10}?(?:局|委|办公室|政府办|厅|政府|中心|管委会|办事处|部门|单位|部)"
    r"|各(?:中小学|学校|幼儿园|医院|医疗机构|医疗卫生机构|街道|乡镇|村|社区))"
    r"(?![\u4e00-\u9fa5]{0,2}(?:网站|平台|栏|专栏|系统|名录))"
)
TIME_WORDS = re.compile(
    r"(?<![\d.])(?P<year>20\d\d)年(?![\d一二三四五六七八九十]+月|以来|起|开始)|"
    r"(?P<times>\d+)(?:次|场)(?!数)|持续(?:优化|完善|改进|规范)"
)
CADENCE = re.compile(
    r"每(年|季度|月|半年)[^，。；]{0,8}?(\d+|[一二两三四五])(次|场)|[年月]底前|\d+日前|"
    r"年内完成|每(月|季度|半年)(定期)?(开展|召开|举办|发布|公开|报送|更新|组织|通报|"
    r"检查|对)"
)


def looks_like_org(name: str) -> bool:
    """A unit name as offices write one: an organisation's or a group's name."""
    return bool(ORG_NAME.match(name)) and not NOT_ORG.search(name)


# A sentence whose subject is an organisation named by what it does: 受理单位应…,
# 开设有政务新媒体的单位，应…, 主办单位应按要求….
ORG_SUBJECT = re.compile(
    r"(?:^|(?<=[。；;，,]))\s*(?:\d{1,2}[.．、])?([\u4e00-\u9fa5()（）]{0,24}?"
    r"(?:单位|部门|机构|机关))(?=[，,]?(?:应|要|须|必须|在|答复|负责|对|将))"
)


# an aside that assigns the work: （国家发展改革委牵头，财政部等按职责分工负责）
ROLE_ASIDE = re.compile(r"[(（]([^()（）]*(?:牵头|负责|配合|参与|落实|单位|部门)[^()（）]*)[)）]")
_ROLE_WORDS = re.compile(r"(牵头|负责|配合|参与|落实|按职责分工|按职责|等|单位|部门)*$")


def named_orgs(text: str) -> list[str]:
    """Organisations an item's text names, outside titles (《…》) and asides, and the
    names an aside that assigns the work lists (a national body needs no 市/县 before it)."""
    found = [
        name
        for m in ROLE_ASIDE.finditer(text)
        for part in re.split(r"[、，,；;：:和及]", m.group(1))
        if (name := _ROLE_WORDS.sub("", part.strip())) and looks_like_org(name)
    ]
    if text.count("|") >= 2:  # a table row read as text: a cell that is a name
        found += [c.strip() for c in text.split("|") if looks_like_org(c.strip())]
    plain = re.sub(r"《[^》]*》|“[^”]*”|[(（][^()（）]*[)）]", "", text)  # titles, asides
    found += [m.group(0) for m in ORG_IN_TEXT.finditer(plain)]
    found += [m.group(1) for m in ORG_SUBJECT.finditer(plain)]
    # the coordinator acting itself (由市政府办扣减绩效分) is no unit to chase
    return [n for n in dict.fromkeys(found) if not COORDINATOR.match(n)]


def check(ex: Extraction, year: int) -> None:
    """Add the doubts this check finds to each task, field by field."""
    for t in ex.tasks:
        _units(t, year)
        _second_reading(t)
        _dues(t, year)


def _units(t: TaskDraft, year: int) -> None:
    odd = [n for n in (*t.lead, *t.units) if not looks_like_org(n)]
    if odd:
        t.doubts.append(
            (
                "units",
                f"“{'、'.join(dict.fromkeys(odd))}”不像单位名称，可能读错了列或把要求读成了单位",
            )
        )
    # a deadline read as a unit (a row shifted by one cell) is missing from the deadlines
    dated = [n for n in dict.fromkeys(odd) if read_dues(n, year)]
    if dated:
        t.doubts.append(("due", f"“{'、'.join(dated)}”像是期限，却读成了单位，期限可能漏读"))


def _second_reading(t: TaskDraft) -> None:
    """Two readings that disagree: the units a role sentence of the text names ("X牵头，
    Y配合。") against those read from a clause, a cell or a line."""
    if t.unit_how in ("", "inline", "sentence"):
        return
    said = sentence_roles(t.text, drop_due_words)
    if not said:
        return
    named = {*t.lead, *t.units}
    other = [n for n in (*said[0], *said[1]) if n not in named]
    if other:
        t.doubts.append(("units", f"原文句中还写有“{'、'.join(other)}”的分工，与读出的单位不同"))


def _dues(t: TaskDraft, year: int) -> None:
    said = [d for d in read_dues(t.text, year) if d.value not in {x.value for x in t.due}]
    if said and "due" in t.cells:  # the deadline came from a cell; the text says more
        t.doubts.append(
            ("due", "正文中还写有期限“" + "”“".join(d.source for d in said) + "”，未计入期限")
        )
    elif not t.due and (m := CADENCE.search(t.text)):
        t.doubts.append(("due", f"原文有时间要求“{m.group(0)}”，但没有读出期限"))
    elif unread := _unread_time(t, year):
        t.doubts.append(("due", f"原文还写有“{unread}”，读出的期限里没有它"))


def _unread_time(t: TaskDraft, year: int) -> str:
    """Time words of the item's text that no deadline read accounts for: a year from the
    plan's on (2023年培训计划), a count of times (学法活动2次), continuity (持续优化)."""
    values = [d.value for d in t.due]
    for m in TIME_WORDS.finditer(t.text):
        if m.group("year"):  # 到2024年, 2023年培训计划: a year no deadline was read in
            if int(m.group("year")) > year and not any(
                v.startswith(m.group("year")) for v in values
            ):
                return m.group(0)
        elif m.group("times"):
            if not any(v.split(":")[0] in RECURRING for v in values):
                return m.group(0)
        elif not values:  # 持续优化 with no deadline read: ongoing, or not
            return m.group(0)
    return ""

"""The body's structure: numbering gives headings and items, unit lines and
labelled field lines attach to the items before them."""

from __future__ import annotations

import re

from plans.cn_dates import Due, read_cell_dues, read_dues
from plans.glued_names import WORK
from plans.importer.grouping import TASK_LABEL, card_fields, numbering, titled_measures
from plans.importer.items import ATTRIBUTE_LINE, FIELD_LINE, add_task, field_line
from plans.importer.model import Extraction, TaskDraft
from plans.importer.periods import dated, heading_dues, sole_period
from plans.importer.subjects import OWNED_PART, opening_subject, sentence_actors
from plans.importer.tables import _attach_path, _table_row, drop_reference_attachment, drop_restated
from plans.importer.units import (
    CLAUSE,
    DAMAGED_NAME,
    PLACEHOLDER,
    TRAILING_ROLES,
    drop_due_words,
    is_unit,
    measures,
    read_clause,
    sentence_roles,
    split_units,
    unit_line,
)
from plans.labels import PAGE_FURNITURE
from plans.notice import Line

MAX_ITEMS = 2000  # a real division plan has tens to a few hundred items
# cells that head a division table: seen alone on a line, the notice holds a table
TABLE_HEADS = ("责任单位", "牵头单位", "配合单位", "完成时限", "完成时间", "具体要求", "工作任务")
# 二、工作要求 after the tasks: requirements on the whole plan (organise, supervise,
# report), read for checkpoints but not tasks of their own.
REQUIREMENTS = re.compile(
    r"^(工作要求|有关要求|相关要求|其他要求|具体要求|有关事项|其他事项)[。.]?$"
)
# a line that only points elsewhere (可参考…专题, 详见附件) and asks nothing of anyone
REFERENCE = re.compile(r"可参考|请参考|参见|详见|见附件")
# a problem's remedy on the line under it: 整改要求：由县环卫站负责清除… (its actors are
# the problem's units)
REMEDY = re.compile(r"^(整改要求|整改措施|整改意见|处理意见|整改建议)\s*[:：]")
DUTY = re.compile(r"要|应当|必须|须|负责|牵头|落实|完成|报送|开展")
PRINCIPLES = re.compile(
    r"^(总体要求|指导思想|基本原则|工作原则|工作目标|主要目标|目标任务|总体目标|总体思路|"
    r"(?:行动|发展|预期|奋斗|建设)目标|"
    # what a campaign targets and aims at: 一、整治对象 …, 三、整治目标 …
    r"(?:整治|治理|检查|排查|督查|实施|适用|工作)(?:对象|范围|目标))"
)
# 四、整治时间 自…至…, 二、时间安排 2022年12月至2023年2月底: the campaign's period, when
# its items are due. Its numbered phases are items of their own.
PERIOD = re.compile(
    r"^(?:专项)?(?:整治|治理|活动|实施|工作|开展|行动|检查|督查|排查|集中整治)?(?:时间|期限|时限)"
    r"(?!节点|进度|表|要求)"
)

# -- structure ---------------------------------------------------------------------------


_DASHES = re.compile(r"^[─—━－–-]{1,4}\s*")


# a line that is one bracket: （X、Y牵头，Z等部门配合）
_WRAPPED = re.compile(r"[（(]([^()（）]+)[）)][。；;]?")


def _is_heading(text: str, level: int, nxt: tuple[int, str] | None) -> bool:
    short = len(text) <= 32 and text.count("。") <= 1 and (text.endswith("。") or "。" not in text)
    listed = text.rstrip().endswith(("；", ";"))  # one of a list: (2)灭火器过期未更换；
    return short and not listed and (nxt is None or nxt[0] > level or level <= 2)


# The words of a table's header row, each printed on a line of its own by a copy.
HEADER_WORDS = (
    "工作任务",
    "具体要求",
    "落实单位",
    "牵头单位",
    "责任单位",
    "配合单位",
    "完成时限",
    "序号",
    "任务",
    "主要内容",
)


def parse_body(lines: list[Line], year: int, ex: Extraction) -> None:
    """Read the body's headings, items and their units and fields into ``ex``."""
    reader = BodyReader(*card_fields(titled_measures(lines)), year, ex)
    reader.read()
    if reader.attachment_at is not None:
        drop_reference_attachment(ex, *reader.attachment_at)
    drop_restated(ex)
    if reader.campaign_end is not None:
        end, where = reader.campaign_end
        for t in ex.tasks:
            if not t.due:  # an item with a date of its own keeps it
                t.due = [end]
                t.rules.append(("due", f"完成时限取自{where}的整治时间（{end.source}）"))
    if reader.plan_due is not None:
        dues, where, said = reader.plan_due
        for t in ex.tasks:
            if not t.due and not any(map(is_safeguards, t.section[:1])):
                t.due = list(dues)
                t.rules.append(("due", f"完成时限取自{where}对全部任务的要求“{said}”"))


# what may open the clause of a deadline for all: nothing, or the year it is for
ALL_TASKS_OPEN = re.compile(r"\s*(?:(?:\d{4}|今|全|本)年(?:度)?(?:的)?)?\s*")
REPORTING = re.compile(r"报送|上报|报告|报市|报省|报县|报区|情况")
# what dates every task of the plan: 2024年任务目标力争10月底前基本完成，12月底前…完成;
# 各项任务于2024年底前全部完成 (a target 到2025年… is no deadline: it names no 任务)
PLAN_DUE = re.compile(
    r"(?:任务目标|目标任务|各项任务|全部任务|各项工作任务|年度任务)[^。；;]{0,12}?"
    r"(?:力争|确保|要|须|于|在)?[^。；;]{0,16}?前[^。；;]{0,30}?完成"
)


# a chapter's introduction to the items below it: …重点做好以下工作：
INTRODUCES_WORK = re.compile(
    r"(?:做好|抓好|推进|开展|落实|完成)(?:以下|如下)[^，,。；;]{0,4}(?:工作|任务)[：:]$"
)
# its subject, named by what it is rather than by an office's name: 试点地区要…
INTRO_SUBJECT = re.compile(
    r"^(?!今年|全年|本年|明年|当年)"
    r"((?:各|有关|相关)?[\u4e00-\u9fa5]{2,8}(?:地区|单位|部门|城市))(?:要|应|须)"
)


# a chapter of the safeguards that carry the plan out (三、保障措施), no task of its own
SAFEGUARDS_CHAPTER = re.compile(r"(保障措施|工作要求|组织实施|组织保障|工作保障|保障机制|实施保障)")


def is_safeguards(heading: str) -> bool:
    """Whether a heading (三、保障措施) names the safeguards chapter."""
    return bool(SAFEGUARDS_CHAPTER.fullmatch((numbering(heading) or (0, heading))[1]))


# The header of an attachment that lists indicators (考核指标), not tasks
INDICATOR_HEADER = re.compile(
    r"[一二三]级指标|指标(?:名称|性质|说明|解释|分值|权重)|计算方法|评分标准"
)


class BodyReader:
    """One pass over the body's lines. What a line means depends on what came before
    it (the headings above, a run of items still waiting for a unit line, a table's
    columns), so that state lives here, between the lines, and each kind of line has
    a method of its own."""

    def __init__(self, lines: list[Line], cards: set[int], year: int, ex: Extraction) -> None:
        self.lines = lines
        self.cards = cards  # the lines that are a task card's 具体任务：…
        self.year = year
        self.ex = ex
        self.nums = [numbering(ln.text) for ln in lines]
        self.at = 0  # the index of the line being read
        self.headings: dict[int, str] = {}
        self.skipping = False
        self.in_attachment = False
        self.attachment_at: tuple[int, str] | None = None  # tasks read before it, its line
        # tasks since the last unit assignment (for a following unit line)
        self.pending: list[int] = []
        self.second: list[int] = []  # tasks whose lead column was read; their units column is next
        self.columns = 1  # 2 once a lead line and a units line have followed a run of items
        self.seen: set[str] = set()
        self.table_mode = False
        self.measures = False  # in an attachment that is a table of indicators
        self.in_period = False  # under 整治时间: its lines give the campaign's end
        self.period_lines: list[tuple[str, str]] = []
        # the end of the campaign's one period (整治时间 自…至6月20日) and where it is stated
        self.campaign_end: tuple[Due, str] | None = None
        # 任务目标力争10月底前基本完成，12月底前…完成: a deadline the opening sets for all
        self.plan_due: tuple[list[Due], str, str] | None = None
        self.empty_lead = False  # the row's lead cell was 无 / — / /
        # the last numbered heading's level and the number of tasks read before it
        self.heading_at: tuple[int, int] | None = None
        # level → a heading's clause
        self.head_units: dict[int, tuple[list[str], list[str], str]] = {}
        self.intro_at: set[str] = set()  # where a chapter's introduction named its actors
        # level → the deadline a heading states for its items: （7月下旬至8月中旬）
        self.head_dues: dict[int, tuple[list[Due], str]] = {}

    def section(self) -> list[str]:
        """The headings above the current line, outermost first: an item's section."""
        return [self.headings[k] for k in sorted(self.headings)]

    def read(self) -> None:
        """Every line in order: each reading may change what the next line means."""
        for i, ln in enumerate(self.lines):
            self._line(i, ln)
        if self.period_lines:  # one period in all the section says: the campaign's end
            end = sole_period("。".join(text for text, _ in self.period_lines), self.year)
            if end is not None and not self._before_issue(end):
                self.campaign_end = (end, self.period_lines[0][1])

    def _before_issue(self, due: Due) -> bool:
        """A date before the notice was issued (巩固2022年10月至12月…攻坚成果) is a past
        campaign the text recalls, no deadline."""
        issued = self.ex.meta["issued"].value if "issued" in self.ex.meta else None
        return bool(issued and dated(due) and due.value < str(issued))

    def _line(self, i: int, ln: Line) -> None:
        """Hand the line to the first reading that claims it; an item is the last."""
        text = ln.text
        ex = self.ex
        self.at = i
        ex.sections[ln.where] = self.section()
        if self._attachment_marker(text):
            return
        num = self.nums[i]
        if not ex.tasks and self.plan_due is None:
            self._plan_due(ln)
        if ln.cells and _table_row(ln, self.year, ex, self.section()):
            self.table_mode = True
            t = ex.tasks[-1] if ex.tasks else None
            if t and t.where == ln.where and not (t.lead or t.units) and self.head_units:
                self._heading_units(t)  # a row under a part heading naming whose rows they are
            return
        if self._header_words(text):
            return
        if PLACEHOLDER.fullmatch(text) and self.table_mode and self.pending:
            self.empty_lead = True  # the lead cell says 无: the unit line below has no lead
            return
        if ATTRIBUTE_LINE.match(text) and ex.tasks and not self.table_mode:
            return  # 成果形式：工作台账 — what the item above delivers, not an item
        if FIELD_LINE.match(text) and ex.tasks and not self.table_mode:
            field_line(ln, self.year, ex)
            self.pending = []
            return
        # a numbered line is never the unit cell of the items above ("（五）区社会事业局"
        # heads the items below it)
        # ──由X会同Y组织落实。: a dash sets the line of units apart under its item
        ul = unit_line(_DASHES.sub("", text)) if num is None else None
        if num is None and (whole := CLAUSE.match(text)) and whole.end() == len(text):
            ul = read_clause(whole.group(1))  # （责任单位：X、Y） alone under the items it closes
        elif num is None and ul is None and (inner := _WRAPPED.fullmatch(text)):
            ul = unit_line(inner.group(1))  # （X、Y牵头，Z等部门配合） alone after its items
            dues = read_cell_dues(inner.group(1), self.year) if ul is None else []
            if dues and self.pending and not drop_due_words(inner.group(1)).strip():
                for k in self.pending:  # （2024年12月底前完成） alone: the items' deadline
                    if not ex.tasks[k].due:
                        ex.tasks[k].due = list(dues)
                return
        if ul is not None and (self.pending or self.second):
            self._unit_line(i, ln, ul)
            return
        if ul is None and num is None and _DASHES.match(text) and ex.tasks and self.pending:
            # ──由各区县结合实际组织实施，市委政法委加强指导。: the item's own clause of who
            # does it, in sentences: read them for that item alone
            prev = ex.tasks[self.pending[-1]]
            prev.text += text
            lead, units = sentence_actors(text)
            if lead or units:
                prev.lead, prev.units, prev.unit_source = lead, lead + units, ln.where
                prev.unit_how = "sentence"
            self.pending = []
            return
        self.second = []
        if self.in_period and num is None:
            self.period_lines.append((ln.text, ln.where))
            if sole_period(ln.text, self.year) and not re.match(r"^[^，,。]{2,8}[:：]", ln.text):
                return  # 专项整治工作在3个月内完成，自…至6月20日。: no task (集中整治：… is a phase)
        if num is not None:
            if self._numbered_heading(i, ln, num):
                return
        elif not re.search(r"[，。；,;：:]", text):
            nxt = self.nums[i + 1] if i + 1 < len(self.nums) else None
            if len(text) <= 40 and nxt is not None:
                # an unnumbered heading over numbered items (a table column)
                self.headings[9] = text
                self.pending = []
                return
            if len(text) < 20:
                return  # captions, footers, navigation
        parts = measures(text)
        for part in parts:  # several measures, each with its bracket
            self._item(ln if len(parts) == 1 else Line(ln.no, part, ln.cells, ln.where), num)
            num = None

    def _plan_due(self, ln: Line) -> None:
        """A sentence before the first item that dates all the plan's tasks at once."""
        for sentence in ln.text.split("。"):
            said = PLAN_DUE.search(sentence)
            if not said or REPORTING.search(sentence):
                continue
            opening = re.split(r"[，,；;]", sentence[: said.start()])[-1]
            if not ALL_TASKS_OPEN.fullmatch(opening):
                continue  # 其中，老旧小区改造年度任务目标…: one project's, not the plan's
            found = {d.value: d for d in read_dues(sentence, self.year) if dated(d)}
            dues = sorted(found.values(), key=lambda d: d.value)
            if dues and not any(self._before_issue(d) for d in dues):
                self.plan_due = (dues, ln.where, sentence[said.start() :][:40])
                return

    def _heads_lines_below(self, ln: Line) -> bool:
        """Whether lines follow a numbered line that are not its siblings or elders: an
        unnumbered line, or a deeper number (1.政府网站。 over what it lists)."""
        i = self.at
        if self.lines[i] is not ln or i + 1 >= len(self.lines):
            return False
        here, nxt = self.nums[i], self.nums[i + 1]
        below = self.lines[i + 1].text
        if FIELD_LINE.match(below) or (nxt is None and unit_line(_DASHES.sub("", below))):
            return False  # 责任单位：… below closes the items above: this one is among them
        return nxt is None or here is None or nxt[0] > here[0]

    def _attachment_marker(self, text: str) -> bool:
        """附件 / 附件2：… starts an attachment: the body's headings and the run of
        items waiting for units end there."""
        if re.match(r"^附件\s*\d*\s*$", text) or re.match(r"^附件\s*\d*[:：]", text):
            if not self.in_attachment:
                # its title: on the marker's line (附件：…任务清单) or the line under it
                below = self.lines[self.at + 1].text if self.at + 1 < len(self.lines) else ""
                title = re.sub(r"^附件\s*\d*[:：]?", "", text) or below
                if not re.search(r"(任务|清单|分工|台账|责任|工作要点|计划|方案)", title):
                    self.attachment_at = (len(self.ex.tasks), self.lines[self.at].where)
            self.in_attachment = True
            self.measures = False
            self.skipping = False  # the body's 工作要求 ends where an attachment begins
            self.headings.clear()
            self.head_units.clear()
            self.pending.clear()
            return True
        if self.in_attachment and INDICATOR_HEADER.fullmatch(text):
            self.measures = True  # 一级指标 / 指标说明: a table of what is measured, no tasks
        return self.measures

    def _header_words(self, text: str) -> bool:
        """A table's header word on a line of its own: the lines below are its rows,
        which changes how unit lines and empty lead cells are read."""
        if text in HEADER_WORDS:
            self.table_mode = True
            return True
        return False

    def _unit_line(self, i: int, ln: Line, ul: tuple[list[str], list[str]]) -> None:
        """A unit line after a run of items gives that run its units; in a table the
        lead and the units columns may come as two lines, one after the other."""
        ex, text = self.ex, ln.text
        lead, units = ul
        if DAMAGED_NAME.search(text):  # 、区县政府门户网站承办单位: the line lost its start
            whole = self._whole_name(text)
            if whole:  # the same cell printed whole elsewhere: 市、区县政府门户网站承办单位
                lead, units = [whole] if lead else [], [] if lead else [whole]
            said = f"已按原文他处补为“{whole}”" if whole else "请对照原文补全"
            for k in self.pending or self.second:
                ex.tasks[k].doubts.append(("units", f"单位格“{text}”开头缺字，{said}"))
        if self.pending:
            run, self.pending = self.pending, []
            below = (
                unit_line(self.lines[i + 1].text)
                if self.table_mode and i + 1 < len(self.lines)
                else None
            )
            two = below is not None and not below[0]
            if two and not lead:  # the lead column; the units column follows
                for k in run:
                    ex.tasks[k].lead, ex.tasks[k].unit_source = units, ln.where
                    ex.tasks[k].unit_how = "line"
                self.second = run
                return
            inherited: list[str] = []
            empty, self.empty_lead = self.empty_lead, False
            if self.table_mode and self.columns == 2 and not lead and run[0] > 0 and not empty:
                before = ex.tasks[run[0] - 1]  # a merged lead cell spans several rows,
                here = ex.tasks[run[0]].section  # also over a sub-heading in the row
                if here == before.section or (
                    before.section and here[: len(before.section)] == before.section
                ):
                    inherited = list(before.lead)
            for k in run:
                t = ex.tasks[k]
                t.lead, t.units, t.unit_source = lead or inherited, units, ln.where
                t.unit_how = "merged" if inherited and not lead else "line"
                if self.table_mode and self.columns == 2 and not t.lead:
                    t.doubts.append(
                        ("lead", "牵头单位格为空，可能是跨页或合并的单元格，已只按责任单位读取")
                    )
        else:
            for k in self.second:
                ex.tasks[k].units = units or lead
            self.second, self.columns = [], 2

    def _whole_name(self, damaged: str) -> str:
        """A unit cell that lost its start ("、区县…单位"), as another line prints it whole."""
        tail = damaged.strip()
        if not tail.startswith("、") or "、" in tail[1:] or "，" in tail:
            return ""
        for other in self.lines:
            t = other.text.strip()
            if t.endswith(tail) and len(t) > len(tail) and len(t) - len(tail) <= 6:
                return t
        return ""

    def _numbered_heading(self, i: int, ln: Line, num: tuple[int, str]) -> bool:
        """A numbered line that heads the lines below rather than being an item; it may
        name units for its items, or open a part that holds no tasks (总体要求,
        工作要求). True when the line is spent."""
        text, nums, headings = ln.text, self.nums, self.headings
        level, rest = num
        nxt = next((n for n in nums[i + 1 : i + 2] if n is not None), None)
        # （一）推进决策公开（牵头单位：…） / （二）做好社保公开（X、Y负责）governs its items
        cm, roles = heading_roles(rest)
        bare = rest[: cm.start()].strip() if cm else rest
        deeper = nxt is not None and nxt[0] > level  # a clause makes a heading only over items
        below = self.lines[i + 1].text if i + 1 < len(self.lines) else ""
        if not deeper and FIELD_LINE.match(below):
            return False  # "（一）地区生产总值增长7%以上" over "责任单位：…": an item
        if not roles and deeper and (named := unit_line(bare.rstrip("。.：:"))):
            roles = named  # "（五）区社会事业局" over 1. 2. 3.: that unit's part of the plan
        over_table = bool(self.lines[i + 1].cells) if i + 1 < len(self.lines) else False
        if not roles and (deeper or over_table) and (owner := OWNED_PART.fullmatch(bare)):
            # "一、县示范区管委会牵头工作（8项）": the part that unit leads; "一、各区县政府
            # 负责落实的工作任务" over a table without a unit column: whose rows they are
            owners = [n for n in split_units(owner.group(1)) if is_unit(n)]
            roles = (owners, []) if owner.group(2) == "牵头" else ([], owners)
            roles = roles if owners else None
            deeper = deeper or roles is not None  # a part's table counts as its items
        title, dot, said = rest.partition("。")
        if (
            not roles
            and deeper
            and dot
            and len(title) <= 32
            and (named := sentence_roles(rest, drop_due_words))
            and len(said.strip("。 ")) <= 60
        ):
            # "（一）做好救助信息公开。区民政局负责，各街道办事处配合。" over its items
            roles, bare = named, title + dot
        # "1.实施如下重点项目：" over (1)(2)…: an introduction heads its items
        introduces = deeper and bare.rstrip().endswith(("：", ":")) and len(bare) <= 80
        # one long sentence over numbered items of its own is their heading: the items are
        # the smallest requirements (（一）开展风险摸排…隐患。（7月中旬前） over 1. 2.). A
        # paragraph of several sentences states requirements of its own and stays an item.
        one_sentence = re.sub(r"[(（][^()（）]*[)）]$", "", bare).rstrip("。；; ")
        over_items = deeper and level <= 2 and not re.search(r"[。；;]", one_sentence)
        # a sentence that names who does what (（二）县交通局负责摸底销售价格。) over no
        # numbered items of its own, or that stands right above its sibling (or the body's
        # end), is an item, not a heading over nothing
        under = self.nums[i + 1] if i + 1 < len(nums) else (0, "")
        acts = (
            level >= 2
            and bare.endswith("。")
            and (
                (not deeper and bool(opening_subject(bare)[1]))
                or (under is not None and under[0] <= level)
            )
        )
        if (
            (level <= 2 and _is_heading(bare, level, nxt) and not acts) or introduces or over_items
        ) and (deeper or not cm):
            for k in [k for k in headings if k >= level]:
                del headings[k]
            headings[level] = text[: len(text) - len(rest)] + bare
            self.heading_at = (level, len(self.ex.tasks))
            self.head_units = {k: v for k, v in self.head_units.items() if k < level}
            if roles:
                self.head_units[level] = (*roles, ln.where)
            self.head_dues = {k: v for k, v in self.head_dues.items() if k < level}
            dues = [d for d in heading_dues(text, self.year) if not self._before_issue(d)]
            if deeper and dues:
                self.head_dues[level] = (dues, ln.where)
            if level == 1:
                self.skipping = bool(
                    PRINCIPLES.match(rest) or (self.ex.tasks and REQUIREMENTS.match(bare))
                )
                self.in_period = bool(PERIOD.match(bare))
                if self.in_period:  # 二、时间安排2022年12月至2023年2月底
                    self.period_lines.append((bare, ln.where))
            if text not in self.seen:  # a heading repeated at a page break keeps the run
                self.pending = []
            self.seen.add(text)
            return True
        if level == 1 and PRINCIPLES.match(rest):
            self.skipping = True
            return True
        if level == 1 and (period := PERIOD.match(rest)):
            self.in_period, self.skipping = True, False  # 四、整治时间专项整治工作…至6月20日。
            self.period_lines.append((rest[period.end() :], ln.where))
            return True
        if level == 1:
            self.skipping = self.in_period = False
        return False

    def _chapter_roles(self, ln: Line) -> bool:
        """ "由区发展改革委牵头，突出政策兑现。" right under a heading, before its first
        item: who leads the chapter, not a task. Its items take those units."""
        if self.heading_at is None or self.heading_at[1] != len(self.ex.tasks):
            return False
        lead: list[str] = []
        units: list[str] = []
        for clause in re.split(r"[，,。；;]", ln.text):
            named = unit_line(clause) if re.search(r"(牵头|负责|配合)$", clause) else None
            if not named:
                break
            lead += named[0]
            units += named[1]
        if not (lead or units) and INTRODUCES_WORK.search(ln.text):
            # 试点地区要认真组织实施，…重点做好以下工作：: who does the items below, unless
            # an item names its own actor
            lead, units = sentence_actors(ln.text)
            if not (lead or units) and (m := INTRO_SUBJECT.match(ln.text)):
                units = [m.group(1)]
            self.intro_at.add(ln.where)
        if not (lead or units):
            return False
        self.head_units[self.heading_at[0]] = (lead, units, ln.where)
        return True

    def _heading_units(self, t: TaskDraft) -> str:
        """Give an item without units of its own those its nearest heading names; the
        heading's line."""
        lead, units, where = self.head_units[max(self.head_units)]
        t.lead, t.units, t.unit_source, t.unit_how = list(lead), list(units), where, "heading"
        return where

    def _item(self, ln: Line, num: tuple[int, str] | None) -> None:
        """The line is an item unless it is page noise, an attachment's title or a
        caption; an item without units of its own takes its heading's."""
        text, ex = ln.text, self.ex
        if re.match(r"^[(（]公开路径[:：]", text) and ex.tasks:
            prev = ex.tasks[-1]  # a cell's path wrapped onto its own line
            prev.text, prev.path = _attach_path(prev.text + text)
            return
        if self.in_attachment and num is not None and not re.search(r"[，。；,;]", text):
            return  # the list of attachment titles
        if (
            num is not None
            and num[0] >= 3
            and len(num[1]) <= 12
            and "，" not in num[1]
            and "," not in num[1]
            and not num[1].rstrip().endswith(("；", ";"))  # (2)灭火器过期未更换；one of a list
            and not WORK.match(num[1])  # 2.打造食用菌酵素生产基地。: work, not a caption
            and self._heads_lines_below(ln)
        ):
            # a short numbered caption (1.政府网站。) heads a group
            self.headings[num[0] + 5] = text
            return
        if re.search(r"(.{2,8})\1\1", text):
            return  # injected spam and navigation repeat themselves (微信微信微信)
        if PAGE_FURNITURE.search(text):
            return  # 来源：…, 责任编辑：…, an attached file's name: the page, not the notice
        if self.skipping and not (CLAUSE.search(text) or TRAILING_ROLES.search(text)):
            return  # 目标任务 states aims, unless an item in it says who does it
        if self.at in self.cards and (task := TASK_LABEL.match(text)):  # a card's 具体任务：…
            text = text[task.end() :]
        elif not self.headings and not ex.tasks and num is None:
            return
        if self.in_attachment and num is None:
            return
        if num is None and self._chapter_roles(ln):
            return
        if (
            num is None
            and ex.tasks
            and (
                (REFERENCE.search(text) and not DUTY.search(text))  # …可参考…专题。
                or (REMEDY.match(text) and not ex.tasks[-1].unit_source)  # 整改要求：由X负责…
            )
        ):
            prev = ex.tasks[-1]  # where to read more, or how to fix it: part of the item above
            prev.text = f"{prev.text}{text}"
            return
        if num is not None:  # an item at a heading's level ends what that heading governs
            self.head_units = {k: v for k, v in self.head_units.items() if k < num[0]}
            self.head_dues = {k: v for k, v in self.head_dues.items() if k < num[0]}
        t = add_task(ln, text, self.section(), self.year, ex, num[0] if num else 0)
        if not t.due and self.head_dues:
            dues, where = self.head_dues[max(self.head_dues)]
            t.due = list(dues)
            t.rules.append(("due", f"完成时限取自{where}的上级标题"))
        if not t.unit_source and self.head_units:
            where = self._heading_units(t)
            if where in self.intro_at:  # an introduction's actor yields to the item's own
                own_lead, own_units = (
                    [n for n in names if len(n) > 2] for names in sentence_actors(t.text)
                )
                if own_lead or own_units:
                    t.lead, t.units, t.unit_source = own_lead, own_lead + own_units, t.where
                    t.unit_how = "sentence"
        if t.unit_how == "clause":
            self.pending = []  # its own closing clause: no unit line below is its
        else:
            self.pending.append(len(ex.tasks) - 1)


def heading_roles(rest: str) -> tuple[re.Match[str] | None, tuple[list[str], list[str]] | None]:
    """The clause closing a heading and the (lead, units) it names, if any."""
    cm = CLAUSE.search(rest)
    if cm:
        return cm, read_clause(cm.group(1))
    tm = TRAILING_ROLES.search(rest)
    named = unit_line(drop_due_words(tm.group(1))) if tm else None
    return (tm, named) if tm and named else (None, None)

"""Plan-wide checkpoints: sentences about the plan itself (its task list, checks,
a 回头看, a completion report, publication, recurring meetings)."""

from __future__ import annotations

import re

from plans.cn_dates import Due, read_dues
from plans.importer.body import is_safeguards
from plans.importer.model import CheckpointDraft, Extraction
from plans.importer.subjects import sentence_actors
from plans.importer.units import CLAUSE, is_unit
from plans.notice import Line

# -- checkpoints -------------------------------------------------------------------------
# A plan-wide checkpoint is a sentence about the plan itself: its task list, checks on
# its progress, a look-back, a completion report, publication, or the recurring
# meetings and inspections that supervise it. Such sentences sit in the cover letter, in
# sections about safeguards and supervision, or name the plan (本方案, 《任务分工》).

PLAN_SELF = re.compile(
    r"(本方案|本通知|本要点|本意见|本计划|本文件|分工方案|任务分工|工作要点|实施方案)"
)
PROGRESS = r"(落实情况|贯彻落实[^，。；]{0,6}情况|执行情况|完成情况|主要情况|进展情况|推进情况|开展情况|有关情况|工作情况|工作总结|总结报告)"
SUPERVISION_HEADING = re.compile(
    r"(保障措施|(?:组织|工作|措施|制度|机制|经费)保障|强化保障|督查|督促|督办|督导|考核|考评|监督|检查|评估|组织实施|工作要求|"
    r"协调|任务落实|抓好落实|狠抓落实|落实机制)"
)
TASK_CHAPTER = re.compile(
    r"^[一二三四五六七八九十]+、\s*(目标任务|重点任务|主要任务|工作任务|具体任务)"
)
TO_COORDINATOR = re.compile(r"报(送)?[^，。；]{0,6}(政府办|办公室|办公厅)")
# 将科技金融融合发展情况报省政府: whatever 情况 a unit sends up is a report
SENDS_UP = (
    r"将[^，。；]{2,30}情况(?:及时)?(?:报送|上报|报)(?:省|市|县|区|州)?(?:人民)?政府"
    r"(?:办公室|办公厅|办)?(?![\u4e00-\u9fa5]{0,3}(?:局|委|厅))"
)
CUE = re.compile(
    rf"(回头看|清单|台账|工作计划|实施方案|工作方案|实施办法|实施细则|备案|报送|检查|巡查|督查|监测|评估|听取|汇报|协调会|"
    rf"会议|年度报告|公开|公布|{PROGRESS}|{TO_COORDINATOR.pattern}|{SENDS_UP})"
)
CHECK_ACT = re.compile(
    r"(开展|进行|组织|实施|集中|完成)[^，,。；;]{0,30}(检查|巡查|督查|监测|抽查|评估|考核)|"
    r"(每月|季|半年)一(检查|评估|督查)|"
    rf"{PROGRESS}[^。；;]{{0,30}}(检查|督查|评估|巡查)|跟踪检查|检查巡查"
)
KINDS: list[tuple[str, re.Pattern[str]]] = [
    ("lookback", re.compile(r"回头看")),
    (
        "meeting",
        re.compile(r"(听取[^，。；]{0,20}汇报|召开[^，。；]{0,30}(会|会议)|协调会|联席会议|例会)"),
    ),
    ("check", CHECK_ACT),
    (
        "report",
        re.compile(
            rf"{PROGRESS}[^。；;]{{0,40}}(报送|报告|报|纳入)|纳入[^，。；]{{0,20}}年度报告|"
            rf"(报送|上报)[^，。；]{{0,20}}(总结|进展|{PROGRESS})|{SENDS_UP}"
        ),
    ),
    (
        "list",
        re.compile(
            r"(任务清单|责任清单|工作清单|任务台账|工作台账|工作计划|实施方案|具体措施|"
            r"工作方案)"
        ),
    ),
    ("publish", re.compile(r"(公开|公布|发布)")),
]
RECURRING = ("monthly", "bimonthly", "quarterly", "semiannual", "yearly")
OWN_DOMAIN = re.compile(r"本(系统|行业|领域|区县|地区)[^，。；]{0,6}(各级|政务公开工作(培训|检查))")
DUTY = re.compile(r"(承担|履行|负责)[^。；]{0,40}(职责|职能)[。；;]?$")  # who does what, not when
SENDING = re.compile(
    r"现将[^。]{0,80}印发给你们|现(?:予)?印发给你们|现予印发|"
    r"^[^，,。；;]{0,40}关于(?:印发|转发)[^，,。；;]{0,80}的通知$"
)  # the cover (or its title, a line of its own) sends the plan: no obligation
COORDINATOR = re.compile(r"^(市|区|县|州|盟|旗)?(人民)?政府(办公室|办公厅|办)")


def find_checkpoints(
    lines: list[Line],
    year: int,
    ex: Extraction,
    *,
    in_cover: bool,
    sections: dict[str, list[str]] | None = None,
) -> None:
    tasks = {t.where: t for t in ex.tasks}
    actor: list[str] = []  # the last subject named in the paragraph, for sentences without one
    for ln in lines:
        section = (sections or {}).get(ln.where, [])
        # The innermost heading decides: "五、抓保障促落实" holds "（一）加强工作指导" (tasks)
        # beside "（三）狠抓任务落实" (the plan's own checkpoints).
        # Under a chapter of the tasks themselves (二、目标任务), a heading such as
        # "5.加强监督抽查" is a regulator's own work on its trade, not the plan's checks.
        # A chapter named for the safeguards alone (三、保障措施) holds them all, its
        # sub-headings (（四）营造转型环境) included.
        supervised = in_cover or bool(
            section
            and (SUPERVISION_HEADING.search(section[-1]) or any(map(is_safeguards, section)))
            and not any(TASK_CHAPTER.search(h) for h in section[:-1])
        )
        actor = []
        if ln.cells:
            continue  # a table's row is a task (or its header), not the plan's own check
        if ln.text.startswith("附件") or (
            len(ln.text) <= 40
            and not re.search(r"[，,。；;：:]", ln.text)
            and not read_dues(ln.text, year)
        ):
            continue  # an attachment's title or a heading (…任务清单) states no obligation
        for s, dues in _clauses(ln.text, year):
            lead, others = sentence_actors(s)
            named = lead + others
            actor = named or actor
            if (
                dues is None
                or len(re.sub(r"^[(（]?[一二三四五六七八九十\d]+[)）.．、]?", "", s)) < 10
            ):
                continue  # an item's own title ("（二）按时报送进展。") states no obligation
            recurring = any(d.value.split(":")[0] in RECURRING for d in dues)
            kind = next((k for k, rx in KINDS if rx.search(s)), "other")
            about_plan = bool(PLAN_SELF.search(s)) and bool(
                re.search(rf"({PROGRESS}|(公布|印发|下发)(之日起|后)|报送|备案|检查)", s)
            )
            to_coordinator = TO_COORDINATOR.search(s)
            if not (
                kind == "lookback"
                or about_plan
                or (supervised and (kind != "publish" or dues or re.search("(年度报告|清单)", s)))
                or (recurring and (kind == "meeting" or to_coordinator))
                # a task's own cadence (按季度开展收费专项检查) is its work; a check of how
                # the plan is carried out is about progress or the plan itself
                or (
                    recurring
                    and kind == "check"
                    and (in_item_of_plan(s) or not tasks.get(ln.where))
                )
                or (dues and kind in ("report", "list"))
                # the closing request "请各相关单位…整改落实情况及时报县双创办"
                or (kind == "report" and s.startswith("请"))
            ):
                continue
            if (
                OWN_DOMAIN.search(s)
                or DUTY.search(s)
                or SENDING.search(s)
                or (kind == "other" and not (dues or to_coordinator))
            ):
                continue
            if any(c.text == s for c in ex.checkpoints):
                continue
            task = tasks.get(ln.where)
            units = named or actor or (task.lead + task.units if task else [])
            # The coordinator's own part is the check itself; units are those who owe.
            units = [u for u in dict.fromkeys(units) if is_unit(u) and not COORDINATOR.match(u)]
            ex.checkpoints.append(CheckpointDraft(kind, s, dues, units, ln.where))


def in_item_of_plan(s: str) -> bool:
    """A check inside an item that supervises the units: of how the plan is carried out
    (落实情况, 本方案) or of their work (考核评估, 督查); an inspection of a trade
    (收费专项检查) is the item's own work."""
    return bool(re.search(PROGRESS, s) or PLAN_SELF.search(s) or SUPERVISING.search(s))


SUPERVISING = re.compile(r"考核|评估|督查|督导|督办")


def _clauses(text: str, year: int) -> list[tuple[str, list[Due] | None]]:
    """Sentences with their deadlines; a "，并…" clause with a deadline of its own is a
    checkpoint of its own, its span read with the sentence (it may count from the same
    anchor: "本方案公布后10个工作日内报…，并在30个工作日内公开")."""
    out: list[tuple[str, list[Due] | None]] = []
    for sentence in re.split(r"(?<=[。；;])", text):
        s = CLAUSE.sub("", sentence).strip()
        # "…，现印发给你们，请根据承办要求，制定实施方案": what follows the sending is asked
        if (sent := SENDING.search(s)) and len(s) - sent.end() > 8:
            s = s[sent.end() :].lstrip("，,")
        if not s:
            continue
        cued = bool(CUE.search(s)) and not IN_FORCE.search(s)
        dues = (
            [d for d in read_dues(s, year) if d.value != "ongoing"] if cued or "考核" in s else []
        )
        # a dated 考核 (2019年12月底前完成第一次绩效考核) is a check; an undated one is
        # usually how results are used, not a milestone
        if not (cued or (dues and "考核" in s)):
            out.append((s, None))  # no checkpoint here; read for its actor only
            continue
        # Cut at each "，并…/，于…/，每年…" where the part before has a deadline of its own
        # and the rest still has one: "…10个工作日内报备，并在30个工作日内公开".
        start = taken = 0
        for m in CLAUSE_CUT.finditer(s):
            n = len([d for d in read_dues(s[: m.start()], year) if d.value != "ongoing"])
            if taken < n < len(dues):
                out.append((s[start : m.start()], dues[taken:n]))
                start, taken = m.end(), n
        out.append((s[start:], dues[taken:]))
    return out


# 本实施方案自印发之日起施行，有效期至…: when the plan is in force, no milestone
IN_FORCE = re.compile(r"(起施行|起实施|有效期|负责解释|同时废止)")
# …1月28日前报送进展情况，2月20日前报送活动总结: a clause that opens with its own date
CLAUSE_CUT = re.compile(
    r"[,，](?=(并|同时|于|在|每年|每月|每季度|每半年|双月|(?:(?:19|20)\d\d年)?\d{1,2}月))"
)

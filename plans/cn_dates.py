"""Deadlines as Chinese notices word them, read into the canonical due strings.

One grammar for every layout: absolute dates (2021年5月31日前, 9月底前, 年底前,
次年1月底前, 上半年), Chinese numerals and full-width digits, relative spans
(本方案印发后10个工作日内 → ``+10wd@issued``; 收到申请之日起20个工作日内 →
``+20wd@event``; 5小时内; 当日), recurring ones (每月20日—23日, 双月份20日前,
每季度末, 每半年, 每年至少1次) and explicit continuity (持续推进, 长期坚持).
Each reading says whether it is certain: a garbled date ("2021531日前") is
read but flagged for review.
"""

from __future__ import annotations

import calendar
import functools
import re
import unicodedata
from dataclasses import dataclass

CN_DIGITS = {
    "〇": 0,
    "零": 0,
    "○": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


def cn_number(text: str) -> int | None:
    """一 … 九十九 and digit strings; None when ``text`` is not a number."""
    if text.isdigit():
        return int(text)
    if not text or any(c not in CN_DIGITS and c != "十" for c in text):
        return None
    if "十" not in text:
        return int("".join(str(CN_DIGITS[c]) for c in text))  # 二〇二一
    tens, _, ones = text.partition("十")
    return (CN_DIGITS[tens] if tens else 1) * 10 + (CN_DIGITS[ones] if ones else 0)


_CN_NUM = "[〇零○一二两三四五六七八九十]+"


def normalise(text: str) -> str:
    """Full-width to half-width, and Chinese-numeral dates to digits."""
    text = unicodedata.normalize("NFKC", text)

    def year(m: re.Match[str]) -> str:
        n = cn_number(m.group(1))
        return f"{n}年" if n else m.group(0)

    text = re.sub(f"({_CN_NUM})年", lambda m: year(m) if len(m.group(1)) == 4 else m.group(0), text)

    def md(m: re.Match[str]) -> str:
        n = cn_number(m.group(1))
        return f"{n}{m.group(2)}" if n is not None else m.group(0)

    return re.sub(f"({_CN_NUM})(月|日|个工作日|个月|日内|天|小时|次|场|期|轮|批)", md, text)


@dataclass(frozen=True)
class Due:
    value: str
    certain: bool = True
    source: str = ""  # the words it was read from
    event: str = ""  # for @event: the event as the notice names it (教育部出台…规定)

    @property
    def rule(self) -> str:
        """The plan's due rule: a named event where the notice names one."""
        return f"{self.value}:{self.event}" if self.event else self.value


def _since(t: str, m: re.Match[str], year: int) -> int:
    """The year a sentence's dates fall in: "2020年起，每年2月底前…" says 2020 for the
    first of them; "2022年1月10日前报送…，2月20日前报送…" keeps the later year it has
    moved into; else the plan's year."""
    start = max(t.rfind(end, 0, m.start()) for end in "。;；")
    since = re.search(
        r"((?:19|20)\d\d)年(?:起|开始)[，,]?\s*(?:[^，,。]{0,12})?每年", t[start + 1 : m.end()]
    )
    if since:
        return int(since.group(1))
    before = t[max(start + 1, m.start() - 120) : m.start()]
    later = list(re.finditer(r"((?:19|20)\d\d)年\d{1,2}月", before))
    if not later or int(later[-1].group(1)) <= year:
        return year
    # …其中10月31日前完成60个 / 年内完成选址，9月30日前…: back in the plan's year
    if re.search(r"其中|今年|年内|本年|当年", before[later[-1].end() :]):
        return year
    return int(later[-1].group(1))


def _last_day(y: int, m: int) -> int:
    return calendar.monthrange(y, m)[1]


def _ok(y: int, m: int, d: int) -> bool:
    return 1 <= m <= 12 and 1 <= d <= _last_day(y, m)


ISSUED_WORDS = re.compile(
    r"(本方案|本通知|本意见|本要点|本文件|本文|本计划|分工方案|工作方案)[^，。；]{0,6}"
    r"(印发|公布|下发|发布|出台)(之日起|以后|后|起)?"
)
# 持续 + a verb of doing (持续推进, 持续开展, 持续发布 …) is explicit continuity; 持续性 and
# 持续健康发展 describe, they do not schedule.
# 持续改善/持续优化 usually name an outcome (营商环境持续改善), so they are not in the list.
ONGOING = re.compile(
    r"持续(?:深入)?(?:推进|深化|开展|实施|打造|发布|提升|加强|做好|强化|抓好|推动|落实|加大|"
    r"巩固|跟踪|跟进|监测|整治|督促)|长期(?:坚持|推进)"
)
DUE_HINT = re.compile(r"[\d年月日每季次]|持续|长期|当天")  # no deadline without one of these
OWN_EVENT = re.compile(r"(之日起|收到|受理|作出|出台|发生|结束|后)")  # a span's own starting point
# "在教育部出台公共企事业单位信息公开规定后3个月内": a one-time event that can be recorded.
# Per-case spans (收到申请之日起, 不能当场答复的…) name no such event and stay unnamed.
EVENT_NAME = re.compile(
    r"(?:在|自|待|于)([^，。；,;在自]{1,30}?(?:出台|印发|发布|公布|施行|实施|批复|下发)"
    r"[^，。；,;]{0,24}?)(?:之日起|以后|后|起)?$"
)
RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"每月(\d{1,2})日?\s*[—–\-~至到]+\s*(\d{1,2})日"), "monthly:{0}-{1}"),
    (re.compile(r"双月份?(\d{1,2})日(前|之前|以前)"), "bimonthly:{0}"),
    (re.compile(r"每月(\d{1,2})日(前|之前|以前)"), "monthly:{0}"),
    (re.compile(r"每季度(末|最后[一1]个月|末月)"), "quarterly:end"),
    # 每季度对…督查 / 每季度召开: once a quarter (not 每季度新闻发布会计划, a noun)
    (
        re.compile(
            r"每(个)?季度(至少)?(主动)?(对|开展|召开|报送|组织|进行|通报|检查|督查|调度|更新|一次|"
            r"联系|走访|随访|研究)"
        ),
        "quarterly:end",
    ),
    (re.compile(r"按季度(对|开展|公开|发布|报送|更新|通报|检查|督查|调度|梳理)"), "quarterly:end"),
    (re.compile(r"按月(对|开展|公开|发布|报送|更新|通报|检查|督查|调度|梳理)"), "monthly:end"),
    (re.compile(r"每半年"), "semiannual:end"),
    # 每月一检查、一季一评估、半年一通报: a cadence of reviews, one per period
    (re.compile(r"每月一(检查|调度|通报|报告|评估|督查)"), "monthly:end"),
    (re.compile(r"(每|一)季(度)?一(检查|调度|通报|报告|评估|督查)"), "quarterly:end"),
    (re.compile(r"半年一(检查|调度|通报|报告|评估|督查)"), "semiannual:end"),
    # 月度盘点+季度研判, 季度调度: a review named for its period
    (re.compile(r"(?<![年每\d])月度(盘点|调度|通报|研判|分析|督查|讲评)"), "monthly:end"),
    (re.compile(r"(?<![每一二三四第\d])季度(盘点|调度|通报|研判|分析|督查|讲评)"), "quarterly:end"),
]


ATTRIBUTIVE = re.compile(
    r"(?:(?:19|20)\d\d年)?(?:年底|年末|年内|\d{1,2}月(?:底|末|\d{1,2}日)?)(?:前|以前)?"
    r"(?:出台|建成|发布|印发|上线|开通|投用)的"
)


def read_dues(text: str, year: int, *, issued_anchor: bool = True) -> list[Due]:
    """Every deadline stated in ``text``, in order, without duplicates."""
    return list(_read_dues(text, year, issued_anchor))


def forget_dues() -> None:
    _read_dues.cache_clear()


# The importer reads an item whole and again sentence by sentence: remember readings.
@functools.lru_cache(maxsize=4096)
def _read_dues(text: str, year: int, issued_anchor: bool) -> tuple[Due, ...]:
    t = normalise(text)
    if not DUE_HINT.search(t):
        return ()
    found: list[tuple[int, Due]] = []
    # "与省级年底出台的平台对接": a date that tells when someone else's thing appears (a
    # date, a verb, 的) qualifies a noun; it is no deadline of the item
    taken: list[tuple[int, int]] = [m.span() for m in ATTRIBUTIVE.finditer(t)]

    def add(m: re.Match[str], value: str, certain: bool = True, event: str = "") -> None:
        if any(a < m.end() and m.start() < b for a, b in taken):
            return
        taken.append((m.start(), m.end()))
        found.append((m.start(), Due(value, certain, m.group(0), event)))

    # 每月15日、30日前: one report in each half of the month
    for m in re.finditer(r"每月((?:\d{1,2}日?[、和及])+\d{1,2})日(前|之前|以前)", t):
        for day in re.findall(r"\d{1,2}", m.group(1)):
            found.append((m.start(), Due(f"monthly:{int(day)}", True, m.group(0))))
        taken.append(m.span())
    for rx, fmt in RULES:
        for m in rx.finditer(t):
            add(m, fmt.format(*m.groups()))
    # Garbled year-month-day runs (年 and 月 lost): 2021531日前 can only be 2021-05-31;
    # 2022115日前 may be 01-15 or 11-05, read as the first and flagged.
    for m in re.finditer(r"(20\d\d)(\d{1,2})(\d{2})日(前|之前|以前)?", t):
        y, rest = int(m.group(1)), m.group(2) + m.group(3)
        readings = [
            (int(rest[:cut]), int(rest[cut:]))
            for cut in (1, 2)
            if len(rest) > cut and _ok(y, int(rest[:cut]), int(rest[cut:]))
        ]
        if readings:
            mm, dd = readings[0]
            add(m, f"{y:04d}-{mm:02d}-{dd:02d}", certain=len(readings) == 1)
    # The same loss of 年 before a month end: 20216月底前 → 2021-06-30 (one reading).
    for m in re.finditer(r"(20\d\d)(\d{1,2})月(底|末)(前|之前|以前)?", t):
        y, mm = int(m.group(1)), int(m.group(2))
        if 1 <= mm <= 12:
            add(m, f"{y:04d}-{mm:02d}-{_last_day(y, mm):02d}")
    for m in re.finditer(
        r"(?:(\d{4})年|(次年|明年))?(\d{1,2})月(\d{1,2})日(?:前|之前|以前|前后|截止|为止)", t
    ):
        y = int(m.group(1)) if m.group(1) else year + 1 if m.group(2) else _since(t, m, year)
        mm, dd = int(m.group(3)), int(m.group(4))
        if _ok(y, mm, dd):
            add(m, f"{y:04d}-{mm:02d}-{dd:02d}")
    # "将于9月20日、12月20日(前后)对…检查": a list of dates after 于/在.
    # … or a list that closes with 前/前后: "8月15日和9月15日前后".
    for m in re.finditer(
        r"(?:(?:于|在|定于)((?:(?:\d{4}年)?\d{1,2}月\d{1,2}日[、和及,，]?)+)|"
        r"((?:(?:\d{4}年)?\d{1,2}月\d{1,2}日[、和及])+(?:\d{4}年)?\d{1,2}月\d{1,2}日)"
        r"(?=前|前后|之前|以前))",
        t,
    ):
        for day in re.finditer(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日", m.group(1) or m.group(2)):
            y = int(day.group(1)) if day.group(1) else year
            if _ok(y, int(day.group(2)), int(day.group(3))):
                found.append(
                    (
                        m.start() + day.start(),
                        Due(
                            f"{y:04d}-{int(day.group(2)):02d}-{int(day.group(3)):02d}",
                            True,
                            day.group(0),
                        ),
                    )
                )
        taken.append((m.start(), m.end()))
    for m in re.finditer(r"(次年|明年|(\d{4})年)?(\d{1,2})月(底|末)(前|之前|以前)?", t):
        y = year + 1 if m.group(1) in ("次年", "明年") else int(m.group(2) or _since(t, m, year))
        mm = int(m.group(3))
        if 1 <= mm <= 12 and (m.group(5) or m.group(4) == "底"):
            add(m, f"{y:04d}-{mm:02d}-{_last_day(y, mm):02d}")
    # 7月中旬前: a third of a month ends on the 10th, the 20th, the month's last day
    for m in re.finditer(r"(次年|明年|(\d{4})年)?(\d{1,2})月(上|中|下)旬(前|之前|以前|完成)?", t):
        y = year + 1 if m.group(1) in ("次年", "明年") else int(m.group(2) or _since(t, m, year))
        mm = int(m.group(3))
        if 1 <= mm <= 12 and m.group(5):
            dd = {"上": 10, "中": 20, "下": _last_day(y, mm)}[m.group(4)]
            add(m, f"{y:04d}-{mm:02d}-{dd:02d}")
    # 2025年底前 writes the year's 年 once; 2025年年底 twice.
    for m in re.finditer(r"(?:((?:19|20)\d\d)年?)?(年底|年末)(前|之前|以前)?", t):
        y = int(m.group(1) or year)
        add(m, f"{y:04d}-12-31")
    for m in re.finditer(r"(今年内|年内)(完成|实现|建成|出台|制定|印发|公开|发布|推进)?", t):
        if m.group(1) == "今年内" or m.group(2):
            add(m, f"{year:04d}-12-31")
    # A target year: 到2022年, 力争到2025年 (not 到2022年6月, which the rules above read).
    for m in re.finditer(
        r"(?:到|至|确保|力争|争取|于)((?:19|20)\d\d)年(?![底末\d上下一二三四五六七八九十第次])", t
    ):
        add(m, f"{int(m.group(1)):04d}-12-31")
    # 2018年召开…会议；2019年启动…; 2019-2022年，指导…: a clause that opens with the year
    # (or the span of years) its work is done in, from the plan's year on
    for m in re.finditer(
        r"(?:^|[，,；;。:：]|^[(（]?\d{1,2}[)）.．、])\s*(?:((?:19|20)\d\d)\s*[-—~～至到]\s*)?"
        r"((?:19|20)\d\d)年(?:[，,]|(?=[\u4e00-\u9fa5]))(?!底|末|内|前|后|起|以来|至|到|上半|下半|第|年)",
        t,
    ):
        # the work it opens, not a title (2023年县政府工作报告任务清单), a fact (2023年，我县
        # 共谋划…), a season or feast (2024年春节前) or a quarter the rules above read
        rest = t[m.end() :]
        sentence = re.split(r"[。；;]", rest, maxsplit=1)[0]
        acts = (
            _YEAR_ACTS.search(sentence)
            if m.group(0).endswith((",", "，"))
            else _YEAR_ACTS.match(rest)
        )
        if (
            int(m.group(2)) >= year
            and acts
            and not _YEAR_TIME.match(rest)
            and not re.match(
                r"的", rest[acts.end() :] if not m.group(0).endswith((",", "，")) else ""
            )
        ):
            add(m, f"{int(m.group(2)):04d}-12-31")
    # 2018年创建2家…, 2019年建成…: a target set for that year
    for m in re.finditer(r"今年(?:内)?(?:要)?(?:创建|建成|完成|实现|新增|培育)", t):
        add(m, f"{year:04d}-12-31")  # 今年创建不少于两个示范村: a target for the plan's year
    for m in re.finditer(r"((?:19|20)\d\d)年(?:内)?(?:创建|建成|完成|实现|新增|培育)", t):
        add(m, f"{int(m.group(1)):04d}-12-31")
    # 全年新增…1个以上, 全年快检样品100批次, 完成全年…任务: a count for the plan's year
    for m in re.finditer(r"全年[^，。；,;]{0,16}?\d+|完成全年[^，。；,;]{0,12}任务", t):
        add(m, f"{year:04d}-12-31")
    # 三季度末前 / 第二季度内 / 2024年一季度: the end of that quarter of the plan year
    for m in re.finditer(
        r"(?<![每按])(?:(\d{4})年|(次年|明年))?第?([一二三四1-4])季度(末|底|前|内|完成)?", t
    ):
        if t.startswith(("开始", "起"), m.end()) and not m.group(4):
            continue  # 从2023年第一季度开始，每季度…: when a cadence starts, no deadline
        if m.group(4) or m.group(1) or m.group(2):
            y = int(m.group(1)) if m.group(1) else year + 1 if m.group(2) else year
            q = "一二三四".find(m.group(3)) + 1 or int(m.group(3))
            add(m, f"{y:04d}-{3 * q:02d}-{_last_day(y, 3 * q):02d}")
    # "将于9月对落实情况开展检查": a month named as when, without a day: by its end
    for m in re.finditer(r"(?:于|在)(?:(\d{4})年)?(\d{1,2})月份?(?![\d日底末中上下初])", t):
        y, mm = int(m.group(1) or year), int(m.group(2))
        if 1 <= mm <= 12:
            add(m, f"{y:04d}-{mm:02d}-{_last_day(y, mm):02d}")
    for m in re.finditer(r"(?:(\d{4})年)?上半年", t):
        add(m, f"{int(m.group(1) or year):04d}-06-30")
    issued_at: int | None = None
    for m in re.finditer(r"(\d+)个?(工作日|日|天|个月|月|小时)(内|以内|之内)", t):
        n, unit = m.group(1), m.group(2)
        code = {"工作日": "wd", "日": "d", "天": "d", "个月": "mo", "月": "mo", "小时": "h"}[unit]
        before = t[max(0, m.start() - 30) : m.start()]
        said = list(ISSUED_WORDS.finditer(before))
        # The words since the anchor: after "本方案公布后", or after an earlier span that
        # counted from it ("在本方案公布后10个工作日内报…，并在30个工作日内公开"), unless
        # they name a starting point of their own (收到…之日起, …后).
        since = (
            before[said[-1].end() :]
            if said
            else t[issued_at : m.start()]
            if issued_at is not None
            else None
        )
        anchor = "event"
        if (
            issued_anchor
            and code != "h"
            and since is not None
            and "。" not in since
            and not OWN_EVENT.search(since)
        ):
            anchor = "issued"
        if anchor == "issued":
            issued_at = m.end()
        named = (
            EVENT_NAME.search(t[max(0, m.start() - 50) : m.start()]) if anchor == "event" else None
        )
        add(m, f"+{n}{code}@{anchor}", event=named.group(1) if named else "")
    for m in re.finditer(
        r"(受理|收到|发生|答复|作出|结案|[\u4e00-\u9fa5]{2}之)[^，。；]{0,12}?(当日|当天)", t
    ):
        add(m, "+0d@event")
    for m in re.finditer(r"(?:每年|一年)(至少|不少于)?[^，。；]{0,24}?(\d+)(次|场|期|轮|批)", t):
        if re.search(r"每[人户家名位]$", t[max(0, m.start() - 2) : m.start()]):
            continue  # 每人每年只享受1次: how often a person may draw a benefit
        add(m, f"yearly:{int(m.group(2))}")
    # 每年开展规范性文件清理 / 按年度制定培训计划: once a year, no count stated.
    for m in re.finditer(
        r"(每年(度)?(都|要|均)?(对|开展|组织|进行|编制|发布|更新|清理|召开|听取|举办)|"
        r"按年度[^，。；]{0,4}(制定|开展|编制))",
        t,
    ):
        if not re.match(r"[^，。；]{0,24}?\d+次", t[m.end() :]):
            add(m, "yearly:1")
    # 每年评选若干示范学校 / 每年服务企业600家以上 / 每年为老年人提供…: a duty done every
    # year, whatever its verb; not a rate (每年覆盖率达90%), a sum granted per year (每年补贴
    # 20万元) or what a person may draw (每人每年只享受一次).
    for m in re.finditer(r"每年度?(?![\d一二三四五六七八九十]{1,3}月)(?=[^，。；]{2})", t):
        clause = re.match(r"[^，。；]*", t[m.end() :])
        rest = clause.group(0) if clause else ""
        if re.search(r"每[人户家名位生]$", t[max(0, m.start() - 2) : m.start()]):
            continue
        if re.search(
            r"率|%|％|百分点|增长|递增|提高|下降|增加|减少|节约|稳定在|保持|缴纳|达到|"
            r"\d+次|元|补贴|奖励|补助|资助|享受|最多|最高",
            rest,
        ) or re.match(r"[^，。；]{0,4}?(只|可)|年底|年末|[上下]半年|[一二三四]季度", rest):
            continue  # a rate, a level held, a sum, an allowance, or one date of the year
        add(m, "yearly:1")
    for m in re.finditer(
        r"每月(定期|按时)?(?:逢\d{1,2}日?)?(报送|更新|检查|通报|监测|开展|对|公开|发布|公布|"
        r"配合|组织|宣传|调度|召开)",
        t,
    ):
        add(m, "monthly:end")
    for m in ONGOING.finditer(t):
        # "最迟在5小时内发布…，并根据工作进展情况，持续发布…": a 持续 joined by 并 to a
        # deadline of its own sentence continues that step; it sets no standing duty
        # ("…后3个工作日内发布解读，持续推进图解" states one).
        start = max(t.rfind(end, 0, m.start()) for end in "。;；")
        if not any(start < at < m.start() and "并" in t[at : m.start()] for at, _ in found):
            add(m, "ongoing")
    found.sort(key=lambda x: x[0])
    out: list[Due] = []
    for _, d in found:
        if d.value not in {o.value for o in out}:
            out.append(d)
    return tuple(out)


# A deadline cell of a table says in a word what a sentence says in a clause.
CELL_WORDS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"^(长期|长期坚持|持续|持续推进|常态化|常态化推进|长效|经常性)(开展|推进|落实)?$"
        ),
        "ongoing",
    ),
    (re.compile(r"^(每|按)季度?$|^每季$|^(每|按)季度(末|底)?$"), "quarterly:end"),
    (re.compile(r"^(每|按)月$"), "monthly:end"),
    (re.compile(r"^每半年$"), "semiannual:end"),
    (re.compile(r"^(每|按)年(度)?$"), "yearly:1"),
    (re.compile(r"^(全年|年内|本年度|年度内)$"), "{year}-12-31"),
]


def read_cell_dues(cell: str, year: int) -> list[Due]:
    """The deadlines in a table's time cell: as in a sentence, else the words a cell
    uses alone (长期, 每季度, 全年), else a bare date read as "by" that date."""
    bare = normalise(cell).strip().rstrip("。.")
    if m := re.fullmatch(r"(\d+)个?(工作日|日|天|个月|小时)(?:内|以内|之内)?", bare):
        # a time limit alone in its cell (整改时限：3天) counts from the notice
        code = {"工作日": "wd", "日": "d", "天": "d", "个月": "mo", "小时": "h"}[m.group(2)]
        return [Due(f"+{m.group(1)}{code}@issued", True, cell)]
    found = read_dues(cell, year)
    if found:
        return found
    for rx, fmt in CELL_WORDS:
        if rx.match(bare):
            return [Due(fmt.format(year=f"{year:04d}"), True, cell)]
    if m := re.fullmatch(r"(?:到|至)?((?:19|20)\d\d)年(?:底|末|内|年底)?", bare):
        return [Due(f"{m.group(1)}-12-31", True, cell)]  # 完成时限：2022年, within that year
    if m := re.fullmatch(r"(?:(\d{4})年)?(\d{1,2})月份?", bare):  # 11月: within November
        y, mm = int(m.group(1) or year), int(m.group(2))
        if 1 <= mm <= 12:
            return [Due(f"{y:04d}-{mm:02d}-{_last_day(y, mm):02d}", True, cell)]
    return [Due(d.value, d.certain, cell, d.event) for d in read_dues(cell + "前", year)]


# -- a due rule in the words of a notice, and back ---------------------------------------

_UNIT_WORDS = {"wd": "个工作日", "d": "日", "mo": "个月", "h": "小时"}


def due_in_words(rule: str) -> str:
    """A canonical due string as a coordinator reads it: ``quarterly:end`` → 每季度末,
    ``+20wd@event:收到申请`` → 收到申请后20个工作日内; a date stays a date."""
    if re.fullmatch(r"\d{4}-\d\d-\d\d", rule):
        return rule
    fixed = {
        "ongoing": "持续推进",
        "quarterly:end": "每季度末",
        "semiannual:end": "每半年",
        "monthly:end": "每月底前",
        "monthly:lastwd": "每月最后一个工作日前",
    }
    if rule in fixed:
        return fixed[rule]
    if m := re.fullmatch(r"yearly:(\d+)", rule):
        return f"每年{m.group(1)}次"
    if m := re.fullmatch(r"(bi)?monthly:(\d{1,2})(?:-(\d{1,2}))?", rule):
        span = f"{m.group(2)}日至{m.group(3)}日" if m.group(3) else f"{m.group(2)}日前"
        return ("双月" if m.group(1) else "每月") + span
    if m := re.fullmatch(r"\+(\d+)(wd|d|mo|h)@(issued|event)(?::(.+))?", rule):
        start = (
            "印发后"
            if m.group(3) == "issued"
            else f"{m.group(4)}后"
            if m.group(4)
            else "每件事项发生后"
        )
        return f"{start}{m.group(1)}{_UNIT_WORDS[m.group(2)]}内"
    return rule


def due_from_words(text: str, year: int) -> list[str]:
    """What a coordinator typed for a deadline, as canonical strings: a canonical
    string stays one, words are read as a deadline cell is (长期, 每季度末, 11月底前 …),
    and what reads as nothing is kept as typed, for the plan's check to name."""
    from plans.duerules import DueRuleError, parse_rule

    try:
        return [parse_rule(text).text]
    except DueRuleError:
        pass
    back = {
        due_in_words(r): r
        for r in ("ongoing", "quarterly:end", "semiannual:end", "monthly:end", "monthly:lastwd")
    }
    if text in back:
        return [back[text]]
    if m := re.fullmatch(r"(.+?)后(\d+)(个工作日|日|个月|小时)内", text):
        code = {v: k for k, v in _UNIT_WORDS.items()}[m.group(3)]
        anchor = {"印发": "issued", "每件事项发生": "event"}.get(m.group(1), f"event:{m.group(1)}")
        return [f"+{m.group(2)}{code}@{anchor}"]
    read = read_cell_dues(text, year)
    return [d.rule for d in read] or [text]


# what a year's work does, soon after the year opens its clause
_YEAR_ACTS = re.compile(
    r"[^，,。；;]{0,24}?(召开|启动|开展|完成|实现|建成|举办|组织|推进|达到|出台|制定|印发|建立|"
    r"试点|覆盖|力争|确保|争取|新增|培育|创建|鼓励|引导|指导|支持)"
)
# a time inside the year that the year's end would overwrite: 一季度, 春节前, 汛期前, 秋季
_YEAR_TIME = re.compile(
    r"(?:全[省市县区]?)?([一二三四1-4]季度|[上下]半年|[春夏秋冬]季|春节|元旦|国庆|汛期|汛前|开学|"
    r"\d{1,2}月|底|末|前)"
)


# -- a campaign's period -----------------------------------------------------------------

_PERIOD = re.compile(
    r"(?:(?:(?P<y1>\d{4})年)?(?P<m1>\d{1,2})月(?:(?P<d1>\d{1,2})日|[上中下]旬|初|底)?(?:起)?|(?:即日|[^，,。]{0,8}之日)起)"
    r"\s*(?:至|到|—+|－|-|~|～)\s*"
    r"(?:(?:(?P<y2>\d{4})年)?(?P<m2>\d{1,2})月(?:(?P<d2>\d{1,2})日|(?:底|末)|(?P<xun>[上中下])旬)?|"
    r"(?P<same>\d{1,2})日)"  # 4月20日至26日: the month runs on
)


def period_end(text: str, year: int) -> Due | None:
    """The last day of the one period a campaign's 整治时间 states (自2021年3月25日至6月20日,
    2023年4月至10月): the date every item of the campaign is due by. None when the text
    states no period, or several (phases are read as their own items' dates)."""
    found = list(_PERIOD.finditer(normalise(text)))
    if len(found) != 1:
        return None
    m = found[0]
    y = int(m.group("y2") or m.group("y1") or year)
    if m.group("same") and (not m.group("d1") or int(m.group("same")) < int(m.group("d1"))):
        return None  # 4月至26日, 12月20日至5日: no month named for its end
    mm = int(m.group("m2") or m.group("m1"))
    if not 1 <= mm <= 12:
        return None
    last = _last_day(y, mm)
    d = int(m.group("d2") or m.group("same") or 0) or {"上": 10, "中": 20}.get(
        m.group("xun") or "", last
    )
    if not _ok(y, mm, d):
        return None
    return Due(f"{y:04d}-{mm:02d}-{d:02d}", True, m.group(0))

"""Due rules: the canonical strings of the extraction format, parsed and expanded.

A rule is written as a short string (``2021-12-31``, ``+10wd@issued``,
``monthly:20-23``, ``ongoing`` …; see ``RULE_FORMS``) so that plan files stay
readable and the importer can emit them directly. ``expand`` turns a rule into
the concrete occurrences of the plan's period. Event-relative rules stay
*unarmed* (no due date) until the event's date is recorded.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
import re
from dataclasses import dataclass

import pendulum

from plans.workdays import WorkCalendar

RULE_FORMS = (
    "2021-12-31（截止日期）、+10wd@issued（印发后N个工作日）、+30d@issued（N个自然日）、"
    "+3mo@event（事件后N个月，可写 @event:事件名）、+5h@event、+0d@event、"
    "monthly:20、monthly:20-23、monthly:end、monthly:lastwd、bimonthly:20、quarterly:end、"
    "semiannual:end、yearly:1、ongoing"
)

_RELATIVE = re.compile(r"^\+(\d+)(wd|d|mo|h)@(issued|event(?::(.+))?)$")
_MONTHLY = re.compile(r"^monthly:(?:(\d{1,2})(?:-(\d{1,2}))?|end|lastwd)$")


class DueRuleError(ValueError):
    """A due rule string is not one of the accepted forms."""


@dataclass(frozen=True)
class DueRule:
    """A parsed rule; ``text`` is its canonical string."""

    text: str
    kind: str  # date | relative | monthly | bimonthly | quarterly | semiannual | yearly | ongoing
    date: dt.date | None = None
    amount: int = 0
    unit: str = ""  # wd | d | mo | h
    anchor: str = ""  # "issued" or an event name ("event" when unnamed)
    day: int | None = None  # day of month; None = month end
    window_start: int | None = None
    last_workday: bool = False

    @property
    def is_event(self) -> bool:
        return self.kind == "relative" and self.anchor != "issued"

    @property
    def recurring(self) -> bool:
        return self.kind in {"monthly", "bimonthly", "quarterly", "semiannual"}


def parse_rule(text: str) -> DueRule:
    """Parse one canonical string; the error says what forms are accepted."""
    s = str(text).strip()
    if s == "ongoing":
        return DueRule(s, "ongoing")
    try:
        return DueRule(s, "date", date=dt.date.fromisoformat(s))
    except ValueError:
        pass
    if m := _RELATIVE.match(s):
        amount, unit, anchor, name = int(m[1]), m[2], m[3], m[4]
        event = "issued" if anchor == "issued" else (name.strip() if name else "event")
        if unit == "h" and event == "issued":
            raise DueRuleError(f"无法识别的期限规则 {s!r}：小时数只能相对事件（+5h@event）")
        return DueRule(s, "relative", amount=amount, unit=unit, anchor=event)
    if m := _MONTHLY.match(s):
        if s.endswith(":end"):
            return DueRule(s, "monthly")
        if s.endswith(":lastwd"):
            return DueRule(s, "monthly", last_workday=True)
        day = int(m[1])
        start = None
        if m[2]:
            start, day = day, int(m[2])
            if start > day:
                raise DueRuleError(f"无法识别的期限规则 {s!r}：时间窗口起始日晚于截止日")
        if not 1 <= day <= 31:
            raise DueRuleError(f"无法识别的期限规则 {s!r}：日期应在 1–31 之间")
        return DueRule(s, "monthly", day=day, window_start=start)
    if m := re.fullmatch(r"bimonthly:(\d{1,2}|end)", s):
        return DueRule(s, "bimonthly", day=None if m[1] == "end" else int(m[1]))
    if m := re.fullmatch(r"quarterly:(\d{1,2}|end)", s):
        return DueRule(s, "quarterly", day=None if m[1] == "end" else int(m[1]))
    if s == "semiannual:end":
        return DueRule(s, "semiannual")
    if m := re.fullmatch(r"yearly:(\d+)", s):
        if int(m[1]) < 1:
            raise DueRuleError(f"无法识别的期限规则 {s!r}：次数至少为 1")
        return DueRule(s, "yearly", amount=int(m[1]))
    raise DueRuleError(f"无法识别的期限规则 {s!r}。可用写法：{RULE_FORMS}")


@dataclass(frozen=True)
class Occurrence:
    """One concrete deadline produced by a rule.

    ``key`` identifies the occurrence across plan edits (the rule, plus the
    period for recurrences). ``due_at`` is an aware local time (end of the due
    day, or an exact time for hour rules); None while an event is unrecorded.
    """

    key: str
    rule: str
    due_date: dt.date | None
    due_at: pendulum.DateTime | None
    window_start: dt.date | None = None
    times: int = 1  # reports required by the due date (yearly:N)

    @property
    def armed(self) -> bool:
        return self.due_at is not None


@dataclass(frozen=True)
class Period:
    """The span occurrences are generated in, and the anchors they refer to."""

    start: dt.date
    end: dt.date
    issued: dt.date
    timezone: str = "Asia/Shanghai"


def end_of_day(day: dt.date, tz: str) -> pendulum.DateTime:
    """ "By date D" means the end of D, local time."""
    return pendulum.datetime(day.year, day.month, day.day, 23, 59, 59, tz=tz)


_BARE_DATE = re.compile(r"\s*\d{4}-\d{1,2}-\d{1,2}\s*")


def parse_moment(text: str, tz: str) -> pendulum.DateTime:
    """A moment as coordinators type it. A bare date (2021-09-20) is the end of that
    day, like a deadline: "as of 9月20日" includes what was due on 9月20日. A time
    (2021-09-20T09:00) is that moment. Raises ValueError when it is neither."""
    try:
        parsed = pendulum.parse(text.strip(), tz=tz)
    except pendulum.parsing.exceptions.ParserError as exc:
        raise ValueError(str(exc)) from exc
    if not isinstance(parsed, pendulum.DateTime):
        raise ValueError(f"{text!r} is not a date or a moment")
    if _BARE_DATE.fullmatch(text):
        return end_of_day(dt.date(parsed.year, parsed.month, parsed.day), tz)
    return parsed


def _month_day(year: int, month: int, day: int | None) -> dt.date:
    last = _cal.monthrange(year, month)[1]
    return dt.date(year, month, last if day is None else min(day, last))


def _months(period: Period) -> list[tuple[int, int]]:
    out, (y, m) = [], (period.start.year, period.start.month)
    while (y, m) <= (period.end.year, period.end.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _add_months(day: dt.date, n: int) -> dt.date:
    month0 = day.month - 1 + n
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return _month_day(year, month, day.day)


def expand(
    rule: DueRule,
    period: Period,
    events: dict[str, pendulum.DateTime],
    cal: WorkCalendar,
) -> list[Occurrence]:
    """Concrete occurrences of ``rule`` within ``period``.

    Recurrences yield the occurrences whose due date falls in the period (a
    plan issued in July owes nothing for June). A relative rule anchored on an
    event yields one unarmed occurrence until ``events`` holds that event.
    """
    tz = period.timezone
    if rule.kind == "ongoing":
        return []
    if rule.kind == "date":
        assert rule.date is not None
        return [Occurrence(rule.text, rule.text, rule.date, end_of_day(rule.date, tz))]
    if rule.kind == "yearly":
        due = period.end
        return [Occurrence(rule.text, rule.text, due, end_of_day(due, tz), times=rule.amount)]
    if rule.kind == "relative":
        if rule.anchor == "issued":
            base = pendulum.datetime(
                period.issued.year, period.issued.month, period.issued.day, tz=tz
            )
        elif rule.anchor in events:
            base = events[rule.anchor].in_timezone(tz)
        else:
            return [Occurrence(rule.text, rule.text, None, None)]
        if rule.unit == "h":
            at = base.add(hours=rule.amount)
            return [Occurrence(rule.text, rule.text, at.date(), at)]
        start = base.date()
        if rule.unit == "wd":
            due = cal.add_workdays(start, rule.amount)
        elif rule.unit == "d":
            due = start + dt.timedelta(days=rule.amount)
        else:
            due = _add_months(start, rule.amount)
        return [Occurrence(rule.text, rule.text, due, end_of_day(due, tz))]

    months = _months(period)
    if rule.kind == "bimonthly":
        months = [(y, m) for y, m in months if m % 2 == 0]
    elif rule.kind == "quarterly":
        months = [(y, m) for y, m in months if m % 3 == 0]
    elif rule.kind == "semiannual":
        months = [(y, m) for y, m in months if m in (6, 12)]
    out: list[Occurrence] = []
    for y, m in months:
        due = cal.last_workday_of_month(y, m) if rule.last_workday else _month_day(y, m, rule.day)
        if not period.start <= due <= period.end:
            continue
        window = _month_day(y, m, rule.window_start) if rule.window_start else None
        out.append(
            Occurrence(f"{rule.text}#{y:04d}-{m:02d}", rule.text, due, end_of_day(due, tz), window)
        )
    return out

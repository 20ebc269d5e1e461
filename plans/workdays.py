"""Chinese working days: weekends and public holidays off, 调休 weekend days on.

Years the ``chinese_calendar`` library knows come from it; later years come from
an operator-edited holiday file (the State Council publishes each year's
arrangement in November or December, before libraries catch up). A date in a
year neither source knows is never silently guessed: it is counted as a plain
weekday/weekend day *and* recorded as a gap that callers must surface.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import chinese_calendar
import pendulum
import yaml

from plans.source import Loader


class CalendarGapWarning(UserWarning):
    """A working-day question was asked about a year no source knows."""


class HolidayFileError(ValueError):
    """The operator's holiday file cannot be read."""


@dataclass(frozen=True)
class YearOverride:
    """One year's arrangement from the holiday file."""

    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()


def _library_years() -> tuple[int, int]:
    known = sorted(d.year for d in chinese_calendar.holidays)
    return known[0], known[-1]


def _parse_days(value: object, where: str) -> set[dt.date]:
    """Accept a list of dates and ``A..B`` ranges (YAML may give date objects)."""
    out: set[dt.date] = set()
    if value is None:
        return out
    if not isinstance(value, list):
        raise HolidayFileError(f"{where}: 应为日期列表（如 [2027-01-01, 2027-02-05..2027-02-11]）")
    for item in value:
        if isinstance(item, dt.date):
            out.add(item)
            continue
        text = str(item).strip()
        try:
            if ".." in text:
                a, b = (dt.date.fromisoformat(p.strip()) for p in text.split("..", 1))
                if b < a:
                    raise ValueError("range ends before it starts")
                out.update(a + dt.timedelta(days=i) for i in range((b - a).days + 1))
            else:
                out.add(dt.date.fromisoformat(text))
        except ValueError as exc:
            raise HolidayFileError(f"{where}: 无法识别的日期 {text!r}（{exc}）") from exc
    return out


def read_holiday_file(path: Path) -> dict[int, YearOverride]:
    """Read ``{year: {holidays: [...], workdays: [...]}}``; errors name the file and year."""
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=Loader) or {}
    except yaml.YAMLError as exc:
        raise HolidayFileError(f"{path}: YAML 语法错误：{exc}") from exc
    if not isinstance(raw, dict):
        raise HolidayFileError(f"{path}: 顶层应为以年份为键的映射")
    years: dict[int, YearOverride] = {}
    for key, body in raw.items():
        try:
            year = int(key)
        except (TypeError, ValueError) as exc:
            raise HolidayFileError(f"{path}: 年份键 {key!r} 不是整数") from exc
        body = body or {}
        if not isinstance(body, dict):
            raise HolidayFileError(f"{path}: {year} 应包含 holidays 和 workdays")
        holidays = _parse_days(body.get("holidays"), f"{path}: {year}.holidays")
        workdays = _parse_days(body.get("workdays"), f"{path}: {year}.workdays")
        stray = {d for d in holidays | workdays if d.year != year}
        if stray:
            raise HolidayFileError(f"{path}: {year} 下出现其他年份的日期 {sorted(stray)[0]}")
        both = holidays & workdays
        if both:
            raise HolidayFileError(f"{path}: {sorted(both)[0]} 同时列为假日和调休工作日")
        years[year] = YearOverride(frozenset(holidays), frozenset(workdays))
    return years


@dataclass
class WorkCalendar:
    """Answers working-day questions; records every year it had to guess."""

    overrides: dict[int, YearOverride] = field(default_factory=dict)
    gaps: set[int] = field(default_factory=set)
    _memo: dict[dt.date, bool] = field(default_factory=dict, repr=False)

    @classmethod
    def from_files(cls, paths: Iterable[Path]) -> WorkCalendar:
        overrides: dict[int, YearOverride] = {}
        for path in paths:
            if path.exists():
                overrides.update(read_holiday_file(path))
        return cls(overrides)

    def knows(self, year: int) -> bool:
        lo, hi = _library_years()
        return year in self.overrides or lo <= year <= hi

    def check_year(self, year: int) -> str | None:
        """A Chinese warning for an unknown year, or None."""
        if self.knows(year):
            return None
        lo, hi = _library_years()
        return (
            f"{year} 年的法定节假日和调休安排未知（日历库只含 {lo}–{hi} 年）："
            f"工作日暂按周一至周五计算，提醒和催办的日子可能有误。请按国务院办公厅"
            f"《关于{year}年部分节假日安排的通知》在节假日文件 $DUBAN_HOME/holidays.yaml 中"
            f"补充 {year} 年的放假日期和调休上班日（见 README“节假日文件”）。"
        )

    def is_workday(self, day: dt.date) -> bool:
        """Memoised: the library's own check costs tens of microseconds a call."""
        known = self._memo.get(day)
        if known is None:
            known = self._memo[day] = self._is_workday(day)
        return known

    def _is_workday(self, day: dt.date) -> bool:
        override = self.overrides.get(day.year)
        if override is not None:
            if day in override.workdays:
                return True
            if day in override.holidays:
                return False
            return day.weekday() < 5
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if day.year not in self.gaps:
                self.gaps.add(day.year)
                warnings.warn(self.check_year(day.year) or "", CalendarGapWarning, stacklevel=2)
            return day.weekday() < 5

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """The Nth working day after ``start`` (``start`` itself not counted).

        "在本方案公布后10个工作日内" from a Monday 2021-07-05 ends 2021-07-19.
        A negative ``n`` counts backwards: the Nth working day before ``start``.
        ``n == 0`` gives ``start`` if it is a working day, else the next one.
        """
        step = 1 if n >= 0 else -1
        day = start
        if n == 0:
            while not self.is_workday(day):
                day += dt.timedelta(days=1)
            return day
        remaining = abs(n)
        while remaining:
            day += dt.timedelta(days=step)
            if self.is_workday(day):
                remaining -= 1
        return day

    def next_workday(self, day: dt.date) -> dt.date:
        """``day`` if it is a working day, else the first working day after it."""
        return self.add_workdays(day, 0)

    def add_work_hours(
        self, start: pendulum.DateTime, hours: float, opens: dt.time, closes: dt.time
    ) -> pendulum.DateTime:
        """The moment ``hours`` working hours after ``start`` (local time), counting only
        the office hours ``opens``–``closes`` of working days: 8 hours from a Friday
        16:30 under 08:30–17:30 end on Monday 15:30, or later after a holiday."""
        left = dt.timedelta(hours=hours)
        at = start
        while True:
            if self.is_workday(at.date()):
                begin = max(
                    at, at.set(hour=opens.hour, minute=opens.minute, second=0, microsecond=0)
                )
                close = at.set(hour=closes.hour, minute=closes.minute, second=0, microsecond=0)
                if begin + left <= close:
                    return begin + left
                left -= max(close - begin, dt.timedelta(0))
            at = at.add(days=1).start_of("day")

    def last_workday_of_month(self, year: int, month: int) -> dt.date:
        first_next = dt.date(year + month // 12, month % 12 + 1, 1)
        day = first_next - dt.timedelta(days=1)
        while not self.is_workday(day):
            day -= dt.timedelta(days=1)
        return day

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in ``(start, end]``; negative if ``end`` precedes ``start``."""
        if end < start:
            return -self.workdays_between(end, start)
        return sum(
            1
            for i in range(1, (end - start).days + 1)
            if self.is_workday(start + dt.timedelta(days=i))
        )


def default_calendar(extra_files: Iterable[Path] = ()) -> WorkCalendar:
    """The shipped holiday file, then the operator's files (later ones win)."""
    shipped = Path(__file__).with_name("holidays.yaml")
    return WorkCalendar.from_files([shipped, *extra_files])

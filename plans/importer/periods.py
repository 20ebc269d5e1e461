"""The deadlines a heading or a campaign's section states for the items under it."""

from __future__ import annotations

import re

from plans.cn_dates import Due, normalise, period_end, read_dues


def dated(due: Due) -> bool:
    return re.fullmatch(r"\d{4}-\d\d-\d\d", due.value) is not None


def sole_period(text: str, year: int) -> Due | None:
    """The end of the one period the text states, when it states no other date (not a
    timetable: 报名5月8日至12日；考试5月20日)."""
    end = period_end(text, year)
    if end is None:
        return None
    dates = {d.value for d in read_dues(text, year) if dated(d)}
    rest = normalise(text).replace(end.source, "", 1)
    other = re.search(r"\d{1,2}月(\d{1,2}日|底|末|[上中下]旬)?", rest)
    return end if dates <= {end.value} and not other else None


def heading_dues(text: str, year: int) -> list[Due]:
    """The deadline a heading sets for the items under it: a date, or the end of the
    period it states (（一）开展协商要约…（7月下旬至8月中旬）). A heading's 持续 or 每年
    names its theme's manner (持续加强重大政策发布解读), not its items' cadence."""
    if end := period_end(text, year):
        return [end]
    return [d for d in read_dues(text, year) if dated(d)]

"""Properties of the working-day calendar and the due-rule expansion, over generated dates
(hypothesis): what every coordinator relies on without checking."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from plans.duerules import Period, expand, parse_rule
from plans.workdays import default_calendar

CAL = default_calendar()
# Years the calendar knows (the library's, the shipped holiday file's): no weekday guess.
days = st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2025, 12, 31))
counts = st.integers(min_value=1, max_value=60)


@settings(max_examples=300, deadline=None)
@given(days, counts)
def test_n_working_days_after_a_date_is_a_working_day_n_working_days_on(
    day: dt.date, n: int
) -> None:
    later = CAL.add_workdays(day, n)
    assert CAL.is_workday(later)
    assert CAL.workdays_between(day, later) == n
    earlier = CAL.add_workdays(day, -n)  # the Nth working day before it
    assert CAL.is_workday(earlier) and earlier < day
    assert CAL.workdays_between(earlier, day) == n - 1 + CAL.is_workday(day)


@settings(max_examples=300, deadline=None)
@given(days)
def test_next_workday_is_never_a_day_off_and_never_before(day: dt.date) -> None:
    nxt = CAL.next_workday(day)
    assert CAL.is_workday(nxt) and nxt >= day
    assert nxt == day or not CAL.is_workday(day)


RULES = [
    "+10wd@issued",
    "+20wd@issued",
    "+30d@issued",
    "+2mo@issued",
    "monthly:20",
    "monthly:lastwd",
    "monthly:end",
    "bimonthly:20",
    "quarterly:end",
    "semiannual:end",
    "yearly:1",
    "monthly:20-23",
]


@settings(max_examples=200, deadline=None)
@given(days, st.sampled_from(RULES))
def test_expansion_is_deterministic_and_inside_the_period(issued: dt.date, text: str) -> None:
    period = Period(issued, dt.date(issued.year, 12, 31), issued)
    rule = parse_rule(text)
    first = expand(rule, period, {}, CAL)
    assert first == expand(parse_rule(text), period, {}, CAL)  # same inputs, same milestones
    assert len({o.key for o in first}) == len(first)  # keys identify occurrences
    for o in first:
        assert o.due_date is not None and o.due_at is not None
        assert o.due_at.date() == o.due_date  # "by date D" is the end of D, local time
        if text.endswith("wd@issued") or text == "monthly:lastwd":
            assert CAL.is_workday(o.due_date)  # a working-day deadline is a working day
        if text.endswith("wd@issued"):
            assert CAL.workdays_between(issued, o.due_date) == int(text[1:3])

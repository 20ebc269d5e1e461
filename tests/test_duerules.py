"""Every canonical due form of the extraction format, expanded for a plan year."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest

from plans.duerules import DueRuleError, Period, expand, parse_rule
from plans.workdays import default_calendar

D = dt.date
CAL = default_calendar()
# A plan issued Monday 2021-07-05 for the 2021 work year.
PERIOD = Period(D(2021, 7, 5), D(2021, 12, 31), D(2021, 7, 5))


def dues(rule: str, events: dict | None = None) -> list[D | None]:
    return [o.due_date for o in expand(parse_rule(rule), PERIOD, events or {}, CAL)]


def test_dates_and_issue_relative_rules() -> None:
    assert dues("2021-09-30") == [D(2021, 9, 30)]
    assert dues("+10wd@issued") == [D(2021, 7, 19)]
    assert dues("+30d@issued") == [D(2021, 8, 4)]
    assert dues("+2mo@issued") == [D(2021, 9, 5)]


def test_by_date_means_end_of_day_in_shanghai() -> None:
    (occ,) = expand(parse_rule("2021-09-30"), PERIOD, {}, CAL)
    assert occ.due_at == pendulum.datetime(2021, 9, 30, 23, 59, 59, tz="Asia/Shanghai")
    assert occ.due_at.in_timezone("UTC").hour == 15


def test_event_rules_stay_unarmed_until_the_event_is_recorded() -> None:
    (occ,) = expand(parse_rule("+3mo@event:教育部出台规定"), PERIOD, {}, CAL)
    assert not occ.armed and occ.due_date is None
    at = pendulum.datetime(2021, 8, 31, 10, tz="Asia/Shanghai")
    assert dues("+3mo@event:教育部出台规定", {"教育部出台规定": at}) == [D(2021, 11, 30)]
    # 20 working days from 8-31: 9-18 (Sat) and 9-26 (Sun) worked, 9-20/21 off (中秋).
    assert dues("+20wd@event", {"event": at}) == [D(2021, 9, 28)]
    (hours,) = expand(parse_rule("+5h@event"), PERIOD, {"event": at}, CAL)
    assert hours.due_at == at.add(hours=5)
    assert dues("+0d@event", {"event": at}) == [D(2021, 8, 31)]


def test_recurrences_within_the_plan_period() -> None:
    # A July plan owes nothing for the months before it was issued.
    assert dues("monthly:20") == [D(2021, m, 20) for m in range(7, 13)]
    window = expand(parse_rule("monthly:20-23"), PERIOD, {}, CAL)
    assert (window[0].window_start, window[0].due_date) == (D(2021, 7, 20), D(2021, 7, 23))
    assert dues("monthly:end")[:2] == [D(2021, 7, 31), D(2021, 8, 31)]
    assert dues("monthly:lastwd")[3] == D(2021, 10, 29)
    assert dues("bimonthly:20") == [D(2021, 8, 20), D(2021, 10, 20), D(2021, 12, 20)]
    assert dues("quarterly:end") == [D(2021, 9, 30), D(2021, 12, 31)]
    assert dues("semiannual:end") == [D(2021, 12, 31)]
    full_year = Period(D(2021, 1, 1), D(2021, 12, 31), D(2021, 1, 1))
    semi = [o.due_date for o in expand(parse_rule("semiannual:end"), full_year, {}, CAL)]
    assert semi == [D(2021, 6, 30), D(2021, 12, 31)]
    (yearly,) = expand(parse_rule("yearly:2"), PERIOD, {}, CAL)
    assert (yearly.due_date, yearly.times) == (D(2021, 12, 31), 2)
    assert dues("ongoing") == []


def test_recurrence_keys_are_stable_per_period() -> None:
    keys = [o.key for o in expand(parse_rule("quarterly:end"), PERIOD, {}, CAL)]
    assert keys == ["quarterly:end#2021-09", "quarterly:end#2021-12"]


@pytest.mark.parametrize(
    "bad",
    [
        "9月底前",
        "+10x@issued",
        "monthly:32",
        "monthly:23-20",
        "yearly:0",
        "+5h@issued",
        "2021-02-30",
        "",
    ],
)
def test_unknown_forms_are_refused_with_the_accepted_list(bad: str) -> None:
    with pytest.raises(DueRuleError, match=r"可用写法|窗口|日期应在|至少|小时"):
        parse_rule(bad)

"""Working days against the real 2021 arrangement (国办发明电〔2020〕27号)."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import pytest

from plans.workdays import CalendarGapWarning, HolidayFileError, WorkCalendar, default_calendar

D = dt.date


@pytest.fixture
def cal() -> WorkCalendar:
    return default_calendar()


def test_adjusted_saturdays_are_working_days(cal: WorkCalendar) -> None:
    # 2021 National Day: 9-18 (Sat) and 10-9 (Sat) worked, 10-1..10-7 off.
    assert cal.is_workday(D(2021, 9, 18))
    assert cal.is_workday(D(2021, 10, 9))
    assert not any(cal.is_workday(D(2021, 10, d)) for d in range(1, 8))
    assert not cal.is_workday(D(2021, 9, 19))  # Mid-Autumn break, a Sunday off


def test_counting_working_days_across_national_day(cal: WorkCalendar) -> None:
    # 9-30 (Thu) + 1 working day skips the week off and lands on Friday 10-8.
    assert cal.add_workdays(D(2021, 9, 30), 1) == D(2021, 10, 8)
    # 10-8 (Fri) + 1 is the adjusted Saturday 10-9.
    assert cal.add_workdays(D(2021, 10, 8), 1) == D(2021, 10, 9)
    # 9-17 (Fri) + 1 is the adjusted Saturday 9-18.
    assert cal.add_workdays(D(2021, 9, 17), 1) == D(2021, 9, 18)
    assert cal.workdays_between(D(2021, 9, 30), D(2021, 10, 11)) == 3  # 10-8, 10-9, 10-11


def test_ten_working_days_after_the_zhongshan_plan(cal: WorkCalendar) -> None:
    # 中府办函〔2021〕91号, published Monday 2021-07-05: "10个工作日内" ends 07-19,
    # "30个工作日内" ends 08-16 (no holidays in July/August 2021).
    assert cal.add_workdays(D(2021, 7, 5), 10) == D(2021, 7, 19)
    assert cal.add_workdays(D(2021, 7, 5), 30) == D(2021, 8, 16)


def test_counting_backwards_for_reminders(cal: WorkCalendar) -> None:
    # 5 working days before 2021-10-11 (Mon): 10-9 (Sat, worked), 10-8, 9-30, 9-29, 9-28.
    assert cal.add_workdays(D(2021, 10, 11), -5) == D(2021, 9, 28)


def test_last_working_day_of_month(cal: WorkCalendar) -> None:
    assert cal.last_workday_of_month(2021, 10) == D(2021, 10, 29)  # 30, 31 weekend
    assert cal.last_workday_of_month(2021, 9) == D(2021, 9, 30)
    assert cal.last_workday_of_month(2021, 12) == D(2021, 12, 31)
    assert cal.last_workday_of_month(2022, 1) == D(2022, 1, 30)  # Sun 1-30 worked before 春节


def test_unknown_year_warns_loudly_never_silently(cal: WorkCalendar) -> None:
    with pytest.warns(CalendarGapWarning, match="2099"):
        assert cal.is_workday(D(2099, 3, 2))  # a Monday, guessed as working
    assert 2099 in cal.gaps
    msg = cal.check_year(2099)
    assert msg and "2099" in msg and "节假日文件" in msg
    assert cal.check_year(2021) is None


def test_operator_holiday_file_covers_a_new_year(tmp_path: Path) -> None:
    # A fictional arrangement for 2099, only to exercise the file format.
    f = tmp_path / "holidays.yaml"
    f.write_text(
        "2099:\n  holidays: [2099-01-01, 2099-01-26..2099-01-30]\n  workdays: [2099-01-24]\n",
        encoding="utf-8",
    )
    cal = default_calendar([f])
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalendarGapWarning)
        assert not cal.is_workday(D(2099, 1, 1))
        assert not cal.is_workday(D(2099, 1, 28))
        assert cal.is_workday(D(2099, 1, 24))  # a Saturday worked
        assert cal.add_workdays(D(2099, 1, 23), 1) == D(2099, 1, 24)
        assert cal.add_workdays(D(2099, 1, 24), 1) == D(2099, 2, 2)
    assert cal.check_year(2099) is None


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("2099:\n  holidays: [2099-13-01]\n", "2099.holidays"),
        ("2099:\n  holidays: [2098-12-31]\n", "其他年份"),
        ("2099:\n  holidays: [2099-01-02]\n  workdays: [2099-01-02]\n", "同时列为"),
        ("year: {}\n", "不是整数"),
        ("2099: [\n", "YAML"),
    ],
)
def test_bad_holiday_file_names_file_and_year(tmp_path: Path, content: str, needle: str) -> None:
    f = tmp_path / "holidays.yaml"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(HolidayFileError) as exc:
        default_calendar([f])
    assert str(f) in str(exc.value) and needle in str(exc.value)


def test_a_year_the_calendar_does_not_know_is_said_loudly_and_alerted_once(
    database_url: str, tmp_path: Path
) -> None:
    """A plan running into a year chinese-calendar does not know: ``status`` and the
    sweep say so in red, the dispatcher alerts the operator once however often it runs,
    and the holiday file's entry for that year silences all of them."""
    from sqlalchemy import select

    from ledger import config
    from ledger.db import open_ledger, transaction
    from ledger.models import Notification
    from tests.conftest import PLAN_001, UNITS_ZS, cli

    later = tmp_path / "later.yaml"  # the reference plan moved to a year no calendar knows
    later.write_text(PLAN_001.read_text(encoding="utf-8").replace("2021", "2099"), encoding="utf-8")
    cli("units", "import", str(UNITS_ZS))
    cli("plan", "load", str(later))
    status = cli("status", "--at", "2099-03-01")
    assert "【注意】2099 年的法定节假日和调休安排未知" in status
    assert "$DUBAN_HOME/holidays.yaml" in status
    assert "2099 年" in cli("sweep", "--at", "2099-03-02T09:00")
    for minute in ("09:05", "09:10"):
        cli("dispatch", "--at", f"2099-03-02T{minute}")
    with transaction(open_ledger(database_url)) as s:
        alerts = s.scalars(select(Notification).where(Notification.kind == "alert")).all()
        assert [(n.idempotency_key, n.status) for n in alerts] == [
            ("calendar/2099/operator/值班运维", "sent")
        ]
    (mail,) = (config.home() / "outbox" / "operator").glob("*")
    assert "2099 年节假日安排未录入" in mail.read_text(encoding="utf-8")
    (config.home() / "holidays.yaml").write_text(
        "2099:\n  holidays: [2099-01-01]\n  workdays: []\n", encoding="utf-8"
    )
    assert "【注意】" not in cli("status", "--at", "2099-03-01")

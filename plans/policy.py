"""The escalation policy: reminders before a deadline, then 催办 → 督办 → 通报.

Escalation is data (DESIGN decision 6): each plan carries its own policy, with
defaults that match common practice in 政务公开 offices. The engine snapshots
the policy into every milestone it starts, so a later edit neither replays nor
skips steps already taken.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import pendulum
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from plans.workdays import WorkCalendar

ROLE_ALIASES = {
    "经办人": "contact",
    "联络员": "contact",
    "分管领导": "leader",
    "主要负责人": "head",
    "主要领导": "head",
    "协调单位": "coordinator",
    "牵头协调单位": "coordinator",
    "全部单位": "all_units",
}
STEP_ALIASES = {"催办": "cuiban", "督办": "duban", "通报": "tongbao"}
STEP_NAMES = {"cuiban": "催办", "duban": "督办", "tongbao": "通报"}


def _alias(table: dict[str, str]):
    def fix(value: object) -> object:
        return table.get(value, value) if isinstance(value, str) else value

    return BeforeValidator(fix)


Role = Annotated[
    Literal["contact", "leader", "head", "coordinator", "all_units"], _alias(ROLE_ALIASES)
]
StepName = Annotated[Literal["cuiban", "duban", "tongbao"], _alias(STEP_ALIASES)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Step(_Strict):
    """One escalation step, taken ``after_workdays`` working days past the deadline."""

    name: StepName
    after_workdays: int = Field(ge=0, le=60)
    to: list[Role] = Field(min_length=1)


class QuietHours(_Strict):
    """No notice goes out in this window (local time) unless a step is marked urgent."""

    start: dt.time = dt.time(18, 0)
    end: dt.time = dt.time(8, 30)


class Digest(_Strict):
    """Reminder-fatigue guard: one digest per unit and channel per day."""

    hour: int = Field(9, ge=0, le=23)
    max_per_channel_per_day: int = Field(1, ge=1, le=10)


class Rubric(_Strict):
    """Points for 年度考核: per milestone deductions and bonus."""

    late: float = -2.0
    missing: float = -10.0
    early_bonus: float = 0.0
    early_workdays: int = Field(3, ge=1, description="how early counts as early")


def _default_steps() -> list[Step]:
    return [
        Step(name="cuiban", after_workdays=1, to=["contact"]),
        Step(name="duban", after_workdays=3, to=["leader"]),
        Step(name="tongbao", after_workdays=5, to=["coordinator", "head"]),
    ]


class Policy(_Strict):
    """When and to whom notices go for one milestone."""

    reminders: list[int] = Field(
        default_factory=lambda: [5, 2, 1],
        description="working days before the deadline at which a reminder goes out",
    )
    due_day_notice: bool = True
    send_time: dt.time = dt.time(9, 0)
    steps: list[Step] = Field(default_factory=_default_steps)
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    digest: Digest = Field(default_factory=Digest)
    rubric: Rubric | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Policy:
        if any(r < 1 for r in self.reminders):
            raise ValueError("reminders 应为正整数（截止日前的工作日数）")
        self.reminders = sorted(set(self.reminders), reverse=True)
        waits = [s.after_workdays for s in self.steps]
        if waits != sorted(waits):
            raise ValueError("steps 应按 after_workdays 从小到大排列（催办→督办→通报）")
        return self


def first_action_at(
    due_date: dt.date, policy: Policy, cal: WorkCalendar, tz: str
) -> pendulum.DateTime:
    """When a new milestone first needs attention: its earliest reminder.

    Reminders go out at ``send_time`` on working days, so "5 working days
    before" a deadline is counted on the calendar, not in calendar days.
    """
    if policy.reminders:
        day = cal.add_workdays(due_date, -policy.reminders[0])
    elif policy.due_day_notice:
        day = due_date
    elif policy.steps:
        day = cal.add_workdays(due_date, policy.steps[0].after_workdays)
    else:
        day = due_date
    t = policy.send_time
    return pendulum.datetime(day.year, day.month, day.day, t.hour, t.minute, tz=tz)

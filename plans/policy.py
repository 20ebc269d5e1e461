"""The escalation policy: reminders before a deadline, then 催办 → 督办 → 通报.

Escalation is data (DESIGN decision 6): each plan carries its own policy, with
defaults that match common practice in 政务公开 offices. The engine snapshots
the policy into every milestone it starts, so a later edit neither replays nor
skips steps already taken.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
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
}
STEP_ALIASES = {"催办": "cuiban", "督办": "duban", "通报": "tongbao"}
STEP_NAMES = {"cuiban": "催办", "duban": "督办", "tongbao": "通报"}


def _alias(table: dict[str, str]) -> BeforeValidator:
    def fix(value: object) -> object:
        return table.get(value, value) if isinstance(value, str) else value

    return BeforeValidator(fix)


Role = Annotated[Literal["contact", "leader", "head", "coordinator"], _alias(ROLE_ALIASES)]
StepName = Annotated[Literal["cuiban", "duban", "tongbao"], _alias(STEP_ALIASES)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Step(_Strict):
    """One escalation step, taken ``after_workdays`` working days past the deadline."""

    name: StepName
    after_workdays: int = Field(ge=1, le=60)
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
    """Points for 年度考核: a base, per-milestone deductions and a bonus."""

    base: float = 100.0
    late: float = -2.0
    missing: float = -10.0
    early_bonus: float = 0.0
    early_workdays: int = Field(3, ge=1, description="how early counts as early")
    floor: float | None = Field(
        0.0, description="the lowest score a unit gets (default 0); null for no floor"
    )
    ceiling: float | None = Field(
        None, description="the highest score a unit gets (default none: base plus bonuses)"
    )

    def clamp(self, points: float) -> float:
        """A score within the rubric's range: deductions never take a unit below the floor."""
        if self.floor is not None:
            points = max(self.floor, points)
        if self.ceiling is not None:
            points = min(self.ceiling, points)
        return points


DOC_ALIASES = {"催办单": "cuiban", "督办单": "duban"}
DocName = Annotated[Literal["cuiban", "duban"], _alias(DOC_ALIASES)]
_DUBAN: DocName = "duban"
_LEADER: Role = "leader"


class OfficeHours(_Strict):
    """The hours of a working day that count as working hours (工作时间)."""

    start: dt.time = dt.time(8, 30)
    end: dt.time = dt.time(17, 30)

    @model_validator(mode="after")
    def _ordered(self) -> OfficeHours:
        if self.end <= self.start:
            raise ValueError("office_hours: end 应晚于 start（如 08:30 至 17:30）")
        return self


class Acknowledge(_Strict):
    """签收: a unit acknowledges each 督办单 (and, if listed, 催办单) on its page. One not
    acknowledged within ``within_work_hours`` working hours of its issue is chased once,
    by a message to ``to`` (by default the unit's 分管领导)."""

    within_work_hours: int = Field(8, ge=1, le=80)
    documents: list[DocName] = Field(default_factory=lambda: [_DUBAN], min_length=1)
    to: list[Role] = Field(default_factory=lambda: [_LEADER], min_length=1)
    office_hours: OfficeHours = Field(default_factory=OfficeHours)

    def chase_at(
        self, kind: str, issued: pendulum.DateTime, cal: WorkCalendar
    ) -> pendulum.DateTime | None:
        """When a document of ``kind`` issued at ``issued`` (local time) is chased if
        still not acknowledged; None for a kind this policy does not chase."""
        if kind not in self.documents:
            return None
        h = self.office_hours
        return cal.add_work_hours(issued, self.within_work_hours, h.start, h.end)


def _default_steps() -> list[Step]:
    return [
        Step(name="cuiban", after_workdays=1, to=["contact"]),
        Step(name="duban", after_workdays=3, to=["leader"]),
        Step(name="tongbao", after_workdays=5, to=["coordinator", "head"]),
    ]


def _progress_steps() -> list[Step]:
    return [
        Step(name="cuiban", after_workdays=1, to=["contact"]),
        Step(name="duban", after_workdays=3, to=["leader"]),
    ]


class ProgressLadder(_Strict):
    """The ladder of a progress report owed on a standing task (持续推进) at a check.

    Lighter than a deadline's: one reminder, the due-day notice, 催办 the next working
    day, 督办 after three; no 通报 unless the plan adds one, since a round of progress
    reports is routine and a missed one is first a matter for the unit's leader.
    """

    reminders: list[int] = Field(
        default_factory=lambda: [3],
        description="working days before the check at which a reminder goes out",
    )
    due_day_notice: bool = True
    steps: list[Step] = Field(default_factory=_progress_steps)

    @model_validator(mode="after")
    def _ordered(self) -> ProgressLadder:
        self.reminders = _ladder_order(self.reminders, self.steps, "progress.")
        return self


def _ladder_order(reminders: list[int], steps: list[Step], where: str = "") -> list[int]:
    """Reminders latest-first without repeats; steps must climb (催办→督办→通报)."""
    if any(r < 1 for r in reminders):
        raise ValueError(f"{where}reminders 应为正整数（截止日前的工作日数）")
    waits = [s.after_workdays for s in steps]
    if waits != sorted(waits):
        raise ValueError(f"{where}steps 应按 after_workdays 从小到大排列（催办→督办→通报）")
    return sorted(set(reminders), reverse=True)


class Policy(_Strict):
    """When and to whom notices go for one milestone."""

    reminders: list[int] = Field(
        default_factory=lambda: [5, 2, 1],
        description="working days before the deadline at which a reminder goes out",
    )
    due_day_notice: bool = True
    send_time: dt.time = dt.time(9, 0)
    channels: list[str] = Field(
        default_factory=lambda: ["sms", "email"],
        description="channel kinds used for a contact who names none of their own",
    )
    steps: list[Step] = Field(default_factory=_default_steps)
    stale_after_workdays: int = Field(
        3,
        ge=1,
        description="a rung more than this many working days old when the sweep "
        "reaches it is recorded as skipped, not sent: a sweep that wakes up late (a server "
        "down for a week, an old plan loaded) does not send months of escalations at once",
    )
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    digest: Digest = Field(default_factory=Digest)
    rubric: Rubric | None = None
    progress: ProgressLadder = Field(
        default_factory=ProgressLadder,
        description="the ladder of progress reports on standing tasks at the plan's checks",
    )
    acknowledge: Acknowledge | None = Field(
        None,
        description="chase a 督办单 the unit has not acknowledged (签收) in time; "
        "none: 签收 is recorded but not chased",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Policy:
        self.reminders = _ladder_order(self.reminders, self.steps)
        return self


def progress_policy(policy: Policy) -> Policy:
    """The policy a progress milestone starts under: the plan's, with the progress
    ladder's reminders and steps (quiet hours, channels and the rest are shared)."""
    ladder = policy.progress
    return policy.model_copy(
        update={
            "reminders": list(ladder.reminders),
            "due_day_notice": ladder.due_day_notice,
            "steps": list(ladder.steps),
        }
    )


@dataclass(frozen=True)
class Rung:
    """One action on a milestone's ladder, at a local time on a working day."""

    key: str  # reminder-5 | due | cuiban | duban | tongbao
    kind: str  # reminder | due | cuiban | duban | tongbao
    at: pendulum.DateTime
    to: tuple[str, ...]

    @property
    def escalation(self) -> bool:
        return self.kind in STEP_NAMES


def ladder(due_date: dt.date, policy: Policy, cal: WorkCalendar, tz: str) -> list[Rung]:
    """Every action the policy takes on one deadline, in time order.

    Reminders count working days back from the deadline; a deadline on a day
    off gets its due-day notice on the last working day before it. Escalation
    steps count working days after the deadline. Two actions falling on the
    same day keep only the later (more pressing) one, so a unit never gets a
    reminder and a due notice on one morning.
    """
    t = policy.send_time

    def at(day: dt.date) -> pendulum.DateTime:
        return pendulum.datetime(day.year, day.month, day.day, t.hour, t.minute, tz=tz)

    last_before = due_date if cal.is_workday(due_date) else cal.add_workdays(due_date, -1)
    rungs: list[Rung] = [
        Rung(f"reminder-{n}", "reminder", at(cal.add_workdays(due_date, -n)), ("contact",))
        for n in policy.reminders
    ]
    if policy.due_day_notice:
        rungs.append(Rung("due", "due", at(last_before), ("contact",)))
    rungs += [
        Rung(s.name, s.name, at(cal.add_workdays(due_date, s.after_workdays)), tuple(s.to))
        for s in policy.steps
    ]
    by_day: dict[dt.date, Rung] = {}
    for r in rungs:  # later rungs win their day
        by_day[r.at.date()] = r
    return sorted(by_day.values(), key=lambda r: r.at)


def next_send_at(
    at: pendulum.DateTime, policy: Policy, cal: WorkCalendar, tz: str
) -> pendulum.DateTime:
    """The first send time (09:00 by default) on a working day at or after ``at``:
    a check "as of 9月20日" (the end of that day) tells units the next morning."""
    local = at.in_timezone(tz)
    day: dt.date = local.date()
    t = policy.send_time
    if not (cal.is_workday(day) and local.time() <= t):
        day = cal.add_workdays(day, 1)
    return pendulum.datetime(day.year, day.month, day.day, t.hour, t.minute, tz=tz)


def first_action_at(
    due_date: dt.date, policy: Policy, cal: WorkCalendar, tz: str
) -> pendulum.DateTime | None:
    """When a new milestone first needs attention: the first rung of its ladder."""
    rungs = ladder(due_date, policy, cal, tz)
    return rungs[0].at if rungs else None

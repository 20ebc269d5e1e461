"""When a message may go, and when it is no longer worth sending.

Three rules every send obeys, new claims and retries alike:

* **quiet hours**: an SMS (or any ``quiet`` kind) found in the plan's quiet window,
  or on a day off, waits for the next working day's morning (the end of the window),
  never a Saturday: the plan's working-day calendar decides;
* **stale**: a notice whose moment has passed is recorded as stale, never sent: a
  到期提醒 after its deadline, a rung already superseded by the next one, an
  escalation older than the plan's ``stale_after_workdays`` (a rehearsal swept with
  ``--at`` years ago, notices re-queued days after they died);
* **useful**: a failing message is retried for as long as it is useful.
"""

from __future__ import annotations

import datetime as dt

import pendulum

from ledger.models import Notification
from plans.duerules import end_of_day
from plans.policy import Policy
from plans.workdays import WorkCalendar

# A message is retried while it is useful, within these bounds: a gateway or mail server
# that is down for hours loses nothing still worth sending.
USEFUL_MIN, USEFUL_MAX = dt.timedelta(hours=2), dt.timedelta(days=2)
ESCALATIONS = ("cuiban", "duban", "tongbao")
DEADLINED = ("reminder", "due")


def quiet_until(
    local: pendulum.DateTime, window: tuple[dt.time, dt.time], cal: WorkCalendar
) -> pendulum.DateTime | None:
    """The morning a quiet message may go, or None when it may go now: outside the
    window on a working day. Inside the window, or on a day off, it is the end of
    the window (08:30) on the next working day."""
    start, end = window
    t, day = local.time(), local.date()
    inside = (t >= start or t < end) if start > end else start <= t < end
    if cal.is_workday(day) and not inside:
        return None
    morning: dt.date = day if t < end else day + dt.timedelta(days=1)
    morning = cal.next_workday(morning)
    return pendulum.datetime(
        morning.year,
        morning.month,
        morning.day,
        end.hour,
        end.minute,
        tz=local.timezone_name or "Asia/Shanghai",
    )


def _date(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def stale_reason(n: Notification, today: dt.date, policy: Policy, cal: WorkCalendar) -> str | None:
    """Why this pending notice must not go out any more (in Chinese), or None."""
    ctx = n.context or {}
    due = _date(ctx.get("due_date"))
    if n.kind in DEADLINED and due is not None and due < today:
        return f"期限 {due.isoformat()} 已过，提醒不再发送"
    if n.kind not in (*DEADLINED, *ESCALATIONS):
        return None
    following = _date(ctx.get("next_at"))
    if following is not None and following <= today:
        return f"已被 {following.isoformat()} 的下一步（{ctx.get('next_rung_name') or ''}）取代"
    if n.kind in ESCALATIONS and due is not None:
        step = next((s for s in policy.steps if s.name == ctx.get("rung", n.kind)), None)
        if step is not None:
            moment = cal.add_workdays(due, step.after_workdays)
            cutoff = cal.add_workdays(today, -policy.stale_after_workdays)
            if moment < cutoff:
                return (
                    f"{moment.isoformat()} 的{ctx.get('rung_name') or n.kind}已超过 "
                    f"{policy.stale_after_workdays} 个工作日，不再发送"
                )
    return None


def useful_until(n: Notification, now: dt.datetime, tz: str) -> dt.datetime:
    """Until when a notice is worth sending: a reminder until its deadline, an
    escalation until the next rung takes over, anything else two days; never less
    than two hours from now, never more than two days."""
    ctx = n.context
    until = now + USEFUL_MAX
    if n.kind in DEADLINED and (due := _date(ctx.get("due_date"))):
        until = end_of_day(due, tz)
    elif n.kind in ESCALATIONS and (day := _date(ctx.get("next_at"))):
        until = pendulum.datetime(day.year, day.month, day.day, 9, tz=tz)
    return min(max(until, now + USEFUL_MIN), now + USEFUL_MAX)

"""A year of the reference plan on a simulated clock, against a hand calculation.

With no unit ever reporting, every milestone climbs its whole ladder. For one
milestone of a unit whose 经办人, 分管领导 and 主要负责人 each have SMS and email,
with the coordinator's 经办人 on SMS and a WeCom bot:

    reminder-5, reminder-2, reminder-1, due, 催办: 2 notices each (经办人)
    督办: 2 (分管领导);  通报: 2 (coordinator) + 2 (主要负责人) = 4

No two rungs of 001's deadlines fall on the same day (07-19, 08-16 and 12-31 are
Monday, Monday and Friday; 12-31's 催办/督办/通报 are 2022-01-04/06/10 after the
New Year holiday). 市司法局 owes 4 milestones (filing, publication, item 26 and
item 41); 神湾镇 owes 3 (filing, publication, item 41). Both are late at both
checks (9-20 and 12-20), so each gets two 检查结果通知 on its 2 channels.

Standing tasks (持续推进) owe progress at each check: 市司法局 holds 34, 神湾镇 16, so
68 and 32 progress milestones. Their lighter ladder: reminder-3, due, 催办 to the
经办人 (2 notices each), 督办 to the 分管领导 (2), no 通报. 9-20 is a holiday (中秋):
its due-day notice goes on the 调休 Saturday 9-18, its 催办 on 9-22.
"""

from __future__ import annotations

import datetime as dt

from plans.compile import read_plan
from plans.directory import Directory, read_directory
from plans.workdays import default_calendar
from tests.conftest import PLAN_001, UNITS_ZS
from usecases.simulate import Simulation, simulate


def run(rate: float, seed: int = 1) -> Simulation:
    plan, _, _ = read_plan(PLAN_001)
    df = read_directory(UNITS_ZS)
    assert plan is not None
    directory = Directory.build(df.units, df.jurisdiction or "")
    return simulate(
        plan, directory, default_calendar(), until=dt.date(2022, 1, 31), report_rate=rate, seed=seed
    )


def ladder(milestones: int, progress: int) -> dict[str, int]:
    per = {
        "reminder-5": 2,
        "reminder-2": 2,
        "reminder-1": 2,
        "due": 2,
        "cuiban": 2,
        "duban": 2,
        "tongbao": 4,
    }
    rounds = {"reminder-3": 2, "due": 2, "cuiban": 2, "duban": 2}
    out = {k: v * milestones for k, v in per.items()} | {"check": 4}
    for k, v in rounds.items():
        out[k] = out.get(k, 0) + v * progress
    return out


def test_full_year_without_reports_matches_the_hand_count() -> None:
    sim = run(0.0)
    assert dict(sim.by_step("市司法局")) == ladder(4, 68)
    assert dict(sim.by_step("神湾镇")) == ladder(3, 32)
    # The simulated checks run at 09:00: the 12-20 check also counts the 9-20 round's
    # progress, owed by 市政府办公室 too (it leads item 2).
    assert [(d.isoformat(), n, late) for d, n, late in sim.checks] == [
        ("2021-09-20", 55, 55),
        ("2021-12-20", 56, 56),
    ]
    # Digests: 市司法局's 经办人 (13800000022) gets 5 contact rungs (reminders, due,
    # 催办) for each of 4 milestones by SMS, plus the two 检查结果通知 (9-20, 12-20):
    # 22 notices. Items 26 and 41 share their deadline (12-31) and so every rung
    # day; the check days are rung days of nothing. Merged per day: 15 + 2 messages.
    # Progress: 3 contact rungs for each of 68 milestones, on 6 days of which two
    # (9-22's 催办, 12-20's due) share a day with a 检查结果通知: 4 more messages.
    mine = [s for s in sim.sent if s.recipient == "13800000022" and s.channel == "sms"]
    assert len(mine) == 20 + 2 + 3 * 68
    everything = sim.sent
    sim.sent = mine
    assert sim.messages() == 17 + 4
    sim.sent = everything
    first = sim.sent[0]
    assert (first.at.isoformat(), first.step) == ("2021-07-12T09:00:00+08:00", "reminder-5")


def test_reports_cut_escalation_and_the_seed_makes_it_repeatable() -> None:
    none, some, again = run(0.0), run(0.8), run(0.8)
    assert some.reports > 0
    assert len(some.sent) < len(none.sent)
    assert [(s.at, s.unit, s.step) for s in some.sent] == [
        (s.at, s.unit, s.step) for s in again.sent
    ]
    # A unit that reported before its deadline is never escalated for that milestone.
    escalated = {s.milestone_id for s in some.sent if s.step in ("cuiban", "duban", "tongbao")}
    reminded = {s.milestone_id for s in some.sent if s.step in ("reminder-5", "reminder-3")}
    assert escalated < reminded
    assert some.checks[0][2] < 55

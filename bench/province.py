"""A synthetic province: 20 cities × 10 counties × 80 units, one plan of 60 tasks, ~10^6
milestones; load, unchanged re-load and the morning sweep, on SQLite or Postgres.

    python bench/province.py [--postgres URL] [--cities 20]

The plan, issued 2021-07-05, groups its units as a real one does (全省县区单位, each
city's 各县区单位) and mixes one-off deadlines with recurrences:

- 30 tasks for every unit (16,000), one deadline each between 07-19 and 12-31;
- 20 standing tasks (no date of their own) for every unit: a progress milestone each at
  the plan's two checks (09-20, 12-20), as a real plan's 持续推进 tasks are supervised;
- 6 tasks quarterly (quarterly:end) for the units of 10 cities (8,000 × 2 quarters);
- 4 tasks monthly (monthly:end) for the units of 5 cities (4,000 × 6 months).

On the swept morning (Mon 2021-07-12, 09:00) the first task is 5 working days from
its deadline: its 16,000 reminders (1.4 % of the ledger) are the morning's work.
Ends with ``province units=… milestones=… load=…s reload=…s sweep=…s due=… peak=…MB``,
then times the coordinator's pages on that ledger through the app in this process (no
socket): the board's first and last page, the tasks page, one task's page and a unit's
page, median and p90 (``--rounds``), and the board's peak memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import tempfile
import time
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker
from sweep import peak_mb, scratch, sweep_morning  # bench/ is on the path as a script

from ledger.board import PAGE_UNITS
from ledger.db import open_ledger, transaction
from ledger.directory_sync import ledger_directory, sync_units
from ledger.load import file_hash, load_plan
from plans.compile import compile_plan
from plans.directory import ContactEntry, UnitEntry
from plans.model import PlanSpec
from plans.workdays import default_calendar

COUNTIES, PER_COUNTY = 10, 80
ALL = "全省县区单位"


def city(c: int) -> str:
    return f"第{c:02d}市"


def directory(cities: int) -> list[UnitEntry]:
    roles = ("contact", "leader", "head")
    units = [UnitEntry(name="省政府办公厅", kind="department")]
    n = 0
    for c in range(cities):
        for k in range(COUNTIES):
            for i in range(PER_COUNTY):
                n += 1
                units.append(
                    UnitEntry(
                        name=f"{city(c)}第{k:02d}县第{i:02d}单位",
                        kind="town",
                        groups=[ALL, f"{city(c)}各县区单位"],
                        contacts=[
                            ContactEntry(
                                role=r,
                                name=f"联系人{n}",
                                mobile=f"139{n:08d}",
                                email=f"u{n}@example.cn",
                            )
                            for r in roles
                        ],
                    )
                )
    return units


def plan(cities: int) -> PlanSpec:
    days = [dt.date(2021, 7, 19) + dt.timedelta(days=5 * i + (14 if i else 0)) for i in range(30)]
    tasks = [
        {
            "id": f"t{i:02d}",
            "text": f"全省任务{i}",
            "lead": ["省政府办公厅"],
            "units": [ALL],
            "due": [days[i].isoformat()],
        }
        for i in range(30)
    ]
    tasks += [
        {
            "id": f"s{i:02d}",
            "text": f"持续推进任务{i}",
            "lead": ["省政府办公厅"],
            "units": [ALL],
            "due": ["ongoing"],
        }
        for i in range(20)
    ]
    tasks += [
        {
            "id": f"q{i}",
            "text": f"季度任务{i}",
            "lead": ["省政府办公厅"],
            "units": [f"{city(c)}各县区单位" for c in range(min(10, cities))],
            "due": ["quarterly:end"],
        }
        for i in range(6)
    ]
    tasks += [
        {
            "id": f"m{i}",
            "text": f"月度任务{i}",
            "lead": ["省政府办公厅"],
            "units": [f"{city(c)}各县区单位" for c in range(min(5, cities))],
            "due": ["monthly:end"],
        }
        for i in range(4)
    ]
    return PlanSpec.model_validate(
        {
            "id": "province-2021",
            "title": "全省2021年政务公开工作要点分工方案",
            "issuer": "省政府办公厅",
            "issued": "2021-07-05",
            "year": 2021,
            "coordinator": "省政府办公厅",
            "tasks": tasks,
            "checkpoints": [
                {
                    "id": "cp-check",
                    "kind": "check",
                    "title": "分工方案落实情况检查",
                    "text": "省政府办公厅将于9月20日、12月20日前后对落实情况进行检查",
                    "due": ["2021-09-20", "2021-12-20"],
                    "units": [],
                }
            ],
        }
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cities", type=int, default=20)
    ap.add_argument("--postgres", help="a Postgres URL (a scratch schema is made and dropped)")
    ap.add_argument("--rounds", type=int, default=10, help="requests per page timed")
    args = ap.parse_args()
    print(
        f"# {platform.node()} {platform.processor() or platform.machine()} "
        f"python {platform.python_version()} {dt.date.today()}"
    )
    cal = default_calendar()
    spec = plan(args.cities)
    with tempfile.TemporaryDirectory() as tmp, scratch(args.postgres, tmp) as url:
        factory = open_ledger(url)
        units = directory(args.cities)
        t0 = time.perf_counter()
        with transaction(factory) as s:
            sync_units(s, units, jurisdiction="", actor="bench")
        print(
            f"directory units={len(units)} import={time.perf_counter() - t0:.1f}s "
            f"peak={peak_mb():.0f}MB",
            flush=True,
        )
        path = Path(tmp) / "province.json"
        path.write_text(spec.model_dump_json(), encoding="utf-8")
        times = {}
        for step in ("load", "reload"):
            t0 = time.perf_counter()
            with transaction(factory) as s:
                compiled = compile_plan(spec, ledger_directory(s, ""), cal)
                r = load_plan(
                    s, compiled, source=path, digest=file_hash(path), cal=cal, actor="bench"
                )
            times[step] = time.perf_counter() - t0
            print(
                f"{step} {times[step]:.1f}s {r.counts or 'unchanged'} peak={peak_mb():.0f}MB",
                flush=True,
            )
        assert r.unchanged
        swept, sweep = sweep_morning(factory, cal)
        print(
            f"province units={len(units) - 1} milestones={compiled.milestone_count} "
            f"load={times['load']:.1f}s reload={times['reload']:.1f}s sweep={sweep:.1f}s "
            f"due={swept.milestones} notices={swept.notices} peak={peak_mb():.0f}MB",
            flush=True,
        )
        pages(factory, spec.id, len(units) - 1, args.rounds)


def pages(factory: sessionmaker[Session], key: str, units: int, rounds: int) -> None:
    """The coordinator's pages and one unit's page of the swept province, timed."""
    from pagetime import line, signed_client, timed
    from sqlalchemy import select

    from ledger.links import issue
    from ledger.models import Unit as UnitRow

    now = dt.datetime(2021, 7, 12, 2, tzinfo=dt.UTC)
    with transaction(factory) as s:
        unit = s.scalars(select(UnitRow).where(UnitRow.name == f"{city(0)}第00县第00单位")).one()
        token = issue(s, unit, actor="bench", now=now).token
    client = signed_client(factory, now)
    last = -(-units // PAGE_UNITS)
    for name, path in (
        ("board, page 1", f"/p/{key}"),
        (f"board, page {last}", f"/p/{key}?page={last}"),
        ("board, one task", f"/p/{key}?task=t00"),
        ("board, red only", f"/p/{key}?light=red"),
        ("tasks page", f"/p/{key}/tasks"),
        ("task page t00", f"/p/{key}/t/t00"),
        (f"unit page ({unit.name})", f"/u/{token}"),
    ):
        print(f"{line(name, timed(client, path, rounds))}, peak={peak_mb():.0f}MB", flush=True)


if __name__ == "__main__":
    main()

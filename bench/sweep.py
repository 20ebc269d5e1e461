"""Sweep cost against ledger size: the same amount of due work in a small and a large ledger.

    python bench/sweep.py [--units 2000] [--sizes 5 500] [--due-tasks 5] [--postgres URL]
    python bench/sweep.py --quick          # 400 units × 10 and 100 tasks, for development

(with --postgres, each ledger size gets a scratch schema, dropped afterwards)

A synthetic directory of N units and plans of T tasks, each task assigned to
every unit with its own deadline: T × N milestones. Only ``--due-tasks`` of the
tasks have a reminder on the swept morning, so the sweep's work is the same
for every T. The defaults make ledgers of 10^4 and 10^6 milestones (``--sizes 5 50 500``
adds 10^5). Prints plan-load, unchanged re-load and sweep times and the process's peak
memory so far per ledger size, and ends with
``sweep due=<d> small=<t1>s large=<t2>s ratio=<t2/t1>`` (first and last size).
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import resource
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pendulum
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from ledger.db import make_engine, open_ledger, transaction
from ledger.directory_sync import ledger_directory, sync_units
from ledger.load import file_hash, load_plan
from ledger.supervise import SweepResult, due_milestones_query, sweep_all
from plans.compile import compile_plan
from plans.directory import ContactEntry, UnitEntry
from plans.model import PlanSpec
from plans.workdays import WorkCalendar, default_calendar


def directory(n: int) -> list[UnitEntry]:
    roles = ("contact", "leader", "head")
    return [
        UnitEntry(
            name=f"单位{i:05d}",
            kind="town",
            groups=["各单位"],
            contacts=[
                ContactEntry(
                    role=r, name=f"联系人{i}", mobile=f"139{i:08d}", email=f"u{i}@example.cn"
                )
                for r in roles
            ],
        )
        for i in range(n)
    ] + [UnitEntry(name="协调办", kind="department")]


def plan(tasks: int, due_tasks: int) -> PlanSpec:
    """Tasks 0..due_tasks-1 are due 2021-07-19; the rest spread over later months."""
    later = [dt.date(2021, 8 + (i % 5), 10 + (i % 15)) for i in range(tasks)]
    return PlanSpec.model_validate(
        {
            "id": f"bench-{tasks}",
            "title": "基准计划",
            "issuer": "协调办",
            "issued": "2021-07-01",
            "year": 2021,
            "coordinator": "协调办",
            "tasks": [
                {
                    "id": f"t{i:04d}",
                    "text": f"任务{i}",
                    "units": ["各单位"],
                    "due": ["2021-07-19" if i < due_tasks else later[i].isoformat()],
                }
                for i in range(tasks)
            ],
        }
    )


def explain(factory: sessionmaker[Session], now: dt.datetime) -> list[str]:
    """The due query's plan, as the database will run it (it must use the partial index
    on next_action_at, not read the ledger)."""
    with factory() as s:
        q = due_milestones_query(now, 2000)
        sql = q.compile(s.get_bind(), compile_kwargs={"literal_binds": True})
        word = "EXPLAIN" if s.get_bind().dialect.name == "postgresql" else "EXPLAIN QUERY PLAN"
        return [" | ".join(str(c) for c in row) for row in s.execute(text(f"{word} {sql}"))]


def peak_mb() -> float:
    """This process's peak resident memory so far (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(url: str, units: int, tasks: int, due_tasks: int) -> tuple[int, float, float, float, int]:
    cal = default_calendar()
    factory = open_ledger(url)
    with transaction(factory) as s:
        sync_units(s, directory(units), jurisdiction="", actor="bench")
    spec = plan(tasks, due_tasks)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(spec.model_dump_json())
    t0 = time.perf_counter()
    with transaction(factory) as s:
        compiled = compile_plan(spec, ledger_directory(s, ""), cal)
        load_plan(
            s, compiled, source=Path(f.name), digest=file_hash(Path(f.name)), cal=cal, actor="bench"
        )
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    with transaction(factory) as s:  # the same plan again: must change nothing
        again = load_plan(
            s,
            compile_plan(spec, ledger_directory(s, ""), cal),
            source=Path(f.name),
            digest=file_hash(Path(f.name)),
            cal=cal,
            actor="bench",
        )
    reload = time.perf_counter() - t0
    assert again.unchanged, again.counts
    r, sweep = sweep_morning(factory, cal)
    return compiled.milestone_count, load, reload, sweep, r.milestones


def sweep_morning(factory: sessionmaker[Session], cal: WorkCalendar) -> tuple[SweepResult, float]:
    """The timed sweep of Monday 2021-07-12 09:00 Shanghai; prints the due query's plan."""
    now = pendulum.datetime(2021, 7, 12, 9, tz="Asia/Shanghai").in_timezone("UTC")
    t0 = time.perf_counter()
    r = sweep_all(factory, now, cal)
    took = time.perf_counter() - t0
    for line in explain(factory, now):
        print(f"  plan: {line}")
    return r, took


@contextmanager
def scratch(postgres: str | None, tmp: str) -> Iterator[str]:
    """A scratch SQLite file, or a scratch schema in the given Postgres database."""
    if not postgres:
        yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(postgres)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        sep = "&" if "?" in postgres else "?"
        yield f"{postgres}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=2000)
    ap.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[5, 500],
        metavar="TASKS",
        help="tasks per ledger, two or more (milestones = units × tasks)",
    )
    ap.add_argument("--due-tasks", type=int, default=5)
    ap.add_argument("--postgres", help="a Postgres URL to use instead of a scratch SQLite file")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="400 units × 10 and 100 tasks (4,000 and 40,000 milestones)",
    )
    args = ap.parse_args()
    if args.quick:
        args.units, args.sizes = 400, [10, 100]
    if len(args.sizes) < 2:
        ap.error("--sizes needs at least two ledger sizes")
    print(
        f"# {platform.node()} {platform.processor() or platform.machine()} "
        f"python {platform.python_version()} {dt.date.today()}"
    )
    times = []
    for tasks in args.sizes:
        with tempfile.TemporaryDirectory() as tmp, scratch(args.postgres, tmp) as url:
            total, load, reload, sweep, due = run(url, args.units, tasks, args.due_tasks)
        print(
            f"ledger milestones={total} load={load:.2f}s reload={reload:.2f}s due={due} "
            f"sweep={sweep:.2f}s ({due / sweep:.0f} milestones/s) peak={peak_mb():.0f}MB",
            flush=True,
        )
        times.append((due, sweep))
    (d, small), (_, large) = times[0], times[-1]
    print(f"sweep due={d} small={small:.2f}s large={large:.2f}s ratio={large / small:.2f}")


if __name__ == "__main__":
    main()

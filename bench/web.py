"""Pages under load: a deadline morning's burst of units opening the links in their notices.

    python bench/web.py [--postgres URL] [--units 16000] [--tasks 10] [--duration 600]
                        [--report 0.1] [--workers 2] [--connections 64] [--fixed 3000]

Builds a scratch ledger (SQLite in a temporary folder unless --postgres): the synthetic
province's directory (16,000 units, ``bench/province.py``), a plan of ``--tasks`` dated
tasks for every unit, and a link for each. Starts ``duban web --workers N`` on it, as an
operator would (the same stack with one more route, ``/fixed``: a constant page of a unit
page's size, to show what the stack itself costs), then with an asynchronous client
(httpx):

1. the fixed page, ``--fixed`` requests over ``--connections`` connections, as fast as
   they go: the stack's ceiling on this machine;
2. the burst: every unit opens its link once at a random moment within ``--duration``
   seconds (a Poisson arrival, 16,000 in 10 minutes is 27 a second), and ``--report`` of
   them (10 %) then fill in their form and send it with a small file, following the
   redirect to their page as a browser does. Latency counts from the planned moment,
   so a server that falls behind shows it (no coordinated omission);
3. the same units' pages again as fast as ``--connections`` connections go: the pages'
   own throughput.

Prints, for each, requests, errors, throughput and p50/p95/p99.

    python bench/web.py --chongqing [--rounds 20] [--postgres URL]

times instead the board and the busiest unit's page of the Chongqing plan (174 tasks),
swept on 2021-09-20, through the app in this process (no socket): median and p90.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from province import ALL, directory  # noqa: E402  (bench/ is on the path as a script)
from sweep import scratch  # noqa: E402

AT = "2021-07-12T10:00"  # the server's clock: a Monday morning with the first deadlines near
FIXED_APP = '''
import os
from fastapi.responses import HTMLResponse
from web import worker_app

def app():
    """duban web's worker, plus a constant page of a unit page's size."""
    a = worker_app()
    body = "<!doctype html><title>固定页</title>" + "办" * int(os.environ["BENCH_FIXED_CHARS"])

    @a.get("/fixed", response_class=HTMLResponse)
    def fixed() -> str:
        return body

    return a
'''


def build(url: str, units: int, tasks: int) -> list[str]:
    """The ledger, and every unit's link token."""
    from sqlalchemy import select

    from ledger.db import open_ledger, transaction
    from ledger.directory_sync import ledger_directory, sync_units
    from ledger.links import issue
    from ledger.load import file_hash, load_plan
    from ledger.models import Unit
    from plans.compile import compile_plan
    from plans.model import PlanSpec
    from plans.workdays import default_calendar

    cities = max(1, -(-units // 800))
    days = [dt.date(2021, 7, 16) + dt.timedelta(days=7 * i) for i in range(tasks)]
    spec = PlanSpec.model_validate(
        {
            "id": "burst-2021",
            "title": "全省2021年政务公开工作要点分工方案",
            "issuer": "省政府办公厅",
            "issued": "2021-07-05",
            "year": 2021,
            "coordinator": "省政府办公厅",
            "tasks": [
                {
                    "id": f"t{i:02d}",
                    "text": f"全省任务{i}：按要求完成并报送佐证材料",
                    "lead": ["省政府办公厅"],
                    "units": [ALL],
                    "due": [d.isoformat()],
                }
                for i, d in enumerate(days)
            ],
        }
    )
    factory = open_ledger(url)
    cal = default_calendar()
    with transaction(factory) as s:
        sync_units(s, directory(cities)[: units + 1], jurisdiction="", actor="bench")
    path = Path(os.environ["DUBAN_HOME"]) / "burst.json"  # removed with the scratch folder
    path.write_text(spec.model_dump_json(), encoding="utf-8")
    with transaction(factory) as s:
        load_plan(
            s,
            compile_plan(spec, ledger_directory(s, ""), cal),
            source=path,
            digest=file_hash(path),
            cal=cal,
            actor="bench",
        )
    now = dt.datetime(2021, 7, 12, 1, tzinfo=dt.UTC)
    with transaction(factory) as s:
        found = s.scalars(select(Unit).where(Unit.name != "省政府办公厅").order_by(Unit.id)).all()
        tokens = [
            issue(s, u, actor="bench", now=now, expires_at=now + dt.timedelta(days=365)).token
            for u in found
        ]
    factory.kw["bind"].dispose()
    return tokens


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(
    url: str, home: str, workers: int, fixed_chars: int
) -> tuple[subprocess.Popen[bytes], str]:
    """``duban web --workers N``'s stack on a free port (one more route: /fixed)."""
    Path(home, "bench_fixed.py").write_text(FIXED_APP, encoding="utf-8")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DUBAN_HOME": home,
        "DUBAN_DATABASE_URL": url,
        "DUBAN_PUBLIC_URL": base,
        "DUBAN_WEB_AT": f"{AT}:00+08:00",
        "BENCH_FIXED_CHARS": str(fixed_chars),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench_fixed:app",
            "--factory",
            "--app-dir",
            home,
            "--workers",
            str(workers),
            "--port",
            str(port),
            "--no-proxy-headers",
            "--timeout-worker-healthcheck",
            "60",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    for _ in range(600):
        try:
            if httpx.get(f"{base}/fixed").status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("the server did not start")


class UnitForm(HTMLParser):
    """The first form a unit page posts to its link, filled as a hurried clerk would:
    hidden fields kept, the first choice of each list, every text box written."""

    def __init__(self) -> None:
        super().__init__()
        self.action, self.fields, self.inside, self.done = "", {}, False, False
        self.select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "")
        if self.done:
            return
        if tag == "form" and "/u/" in a.get("action", "") and a.get("method", "") == "post":
            self.inside, self.action = True, a["action"]
        elif not self.inside or not (name or tag == "option"):
            return
        elif tag == "input" and a.get("type", "text") == "hidden":
            self.fields[name] = a.get("value", "")
        elif tag == "input" and a.get("type", "text") in ("text", "radio"):
            self.fields.setdefault(name, a.get("value") or "按期完成")
        elif tag in ("button",):
            self.fields.setdefault(name, a.get("value", ""))
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select:
            self.fields.setdefault(self.select, a.get("value", ""))
        elif tag == "textarea":
            self.fields[name] = "已按要求完成，佐证材料见附件（压测）。"

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        elif tag == "form" and self.inside:
            self.inside, self.done = False, True


Sample = tuple[str, float, int]  # what, ms, status (0: no answer)


async def timed(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    kind: str,
    since: float,
    out: list[Sample],
    **kw: object,
) -> httpx.Response | None:
    try:
        r = await client.request(method, url, **kw)  # type: ignore[arg-type]
    except httpx.HTTPError:
        out.append((kind, (time.perf_counter() - since) * 1000, 0))
        return None
    out.append((kind, (time.perf_counter() - since) * 1000, r.status_code))
    return r


async def unit_visit(
    client: httpx.AsyncClient,
    gate: asyncio.Semaphore,
    token: str,
    report: bool,
    start: float,
    out: list[Sample],
) -> None:
    """One unit: its page, and for a reporting unit its form and the page it is sent
    back to. At most ``gate`` units are in flight (httpx's pool slows down with thousands
    of queued requests); waiting for the gate counts in the latency."""
    await asyncio.sleep(max(0.0, start - time.perf_counter()))
    async with gate:
        page = await timed(client, "GET", f"/u/{token}", "page", start, out)
        if not report or page is None or page.status_code != 200:
            return
        form = UnitForm()
        form.feed(page.text)
        t = time.perf_counter()
        sent = await timed(
            client,
            "POST",
            form.action,
            "report",
            t,
            out,
            data=form.fields,
            files=[("files", ("进展佐证.pdf", b"%PDF-1.4 bench", "application/pdf"))],
        )
        if sent is not None and sent.status_code == 303:
            await timed(client, "GET", sent.headers["location"], "page", time.perf_counter(), out)


async def closed_loop(base: str, paths: list[str], connections: int) -> tuple[list[Sample], float]:
    out: list[Sample] = []
    queue = iter(paths)
    async with httpx.AsyncClient(
        base_url=base, timeout=60, limits=httpx.Limits(max_connections=connections)
    ) as client:

        async def worker() -> None:
            for path in queue:
                await timed(client, "GET", path, "page", time.perf_counter(), out)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
    return out, time.perf_counter() - t0


async def burst(
    base: str, tokens: list[str], duration: float, share: float, connections: int
) -> tuple[list[Sample], float]:
    rnd = random.Random(20210712)
    reporters = set(rnd.sample(range(len(tokens)), int(len(tokens) * share)))
    out: list[Sample] = []
    gate = asyncio.Semaphore(connections)
    async with httpx.AsyncClient(
        base_url=base, timeout=120, limits=httpx.Limits(max_connections=connections)
    ) as client:
        t0 = time.perf_counter()
        await asyncio.gather(
            *(
                unit_visit(client, gate, tok, i in reporters, t0 + rnd.uniform(0, duration), out)
                for i, tok in enumerate(tokens)
            )
        )
    return out, time.perf_counter() - t0


def summary(name: str, samples: list[Sample], wall: float, kind: str = "page") -> str:
    ms = sorted(m for k, m, _ in samples if k == kind)
    if not ms:
        return f"{name}: none"
    bad = Counter(st for k, _, st in samples if k == kind and st not in (200, 303))
    errors = f"{sum(bad.values())} errors" + (f" {dict(bad)}" if bad else "")
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return (
        f"{name}: {len(ms)} requests, {errors}, {len(ms) / wall:.1f}/s, "
        f"p50 {q[49]:.0f} ms, p95 {q[94]:.0f} ms, p99 {q[98]:.0f} ms, max {ms[-1]:.0f} ms"
    )


def chongqing(rounds: int, postgres: str) -> None:
    """The board of the Chongqing plan and its busiest unit's page, in this process."""
    from pagetime import line, signed_client, timed
    from sqlalchemy import func, select
    from typer.testing import CliRunner

    from duban.cli import app as cli
    from ledger.db import open_ledger, transaction
    from ledger.links import issue
    from ledger.models import Milestone, Plan, Unit

    home = tempfile.mkdtemp(prefix="duban-bench-web-")
    os.environ["DUBAN_HOME"] = home
    os.environ["DUBAN_DATABASE_URL"] = postgres or f"sqlite:///{home}/duban.db"
    for args in (
        ("units", "import", str(ROOT / "plans" / "units" / "chongqing.csv")),
        ("plan", "load", str(ROOT / "plans" / "chongqing-2021.yaml")),
        ("sweep", "--at", "2021-09-20T09:00"),
    ):
        r = CliRunner().invoke(cli, list(args))
        assert r.exit_code == 0, r.output
    factory = open_ledger(os.environ["DUBAN_DATABASE_URL"])
    now = dt.datetime(2021, 9, 20, 2, tzinfo=dt.UTC)
    with transaction(factory) as s:
        key = s.get_one(Plan, s.scalar(select(func.min(Milestone.plan_id)))).key
        unit_id, count = s.execute(
            select(Milestone.unit_id, func.count())
            .group_by(Milestone.unit_id)
            .order_by(func.count().desc())
        ).first()  # type: ignore[misc]
        unit = s.get_one(Unit, unit_id)
        token = issue(s, unit, actor="bench", now=now).token
        milestones = s.scalar(select(func.count()).select_from(Milestone))
    client = signed_client(factory, now)
    print(f"plan {key}: {milestones} milestones")
    for name, path in (
        (f"board /p/{key}", f"/p/{key}"),
        (f"unit page ({unit.name}, {count} milestones)", f"/u/{token}"),
    ):
        print(line(name, timed(client, path, rounds)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chongqing", action="store_true")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--postgres", default="")
    ap.add_argument("--units", type=int, default=16000)
    ap.add_argument("--tasks", type=int, default=10)
    ap.add_argument("--duration", type=float, default=600.0)
    ap.add_argument("--report", type=float, default=0.1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--fixed", type=int, default=3000)
    args = ap.parse_args()
    # Stopped by hand: still stop the server and drop the scratch ledger.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(
        f"# {platform.node()} {platform.processor() or platform.machine()} "
        f"{os.cpu_count()} cores python {platform.python_version()} {dt.date.today()} "
        f"{'postgres' if args.postgres else 'sqlite'} workers={args.workers}",
        flush=True,
    )
    if args.chongqing:
        return chongqing(args.rounds, args.postgres)
    with (
        tempfile.TemporaryDirectory(prefix="duban-bench-web-") as home,
        scratch(args.postgres or None, home) as url,
    ):
        os.environ["DUBAN_HOME"] = home
        t0 = time.perf_counter()
        tokens = build(url, args.units, args.tasks)
        print(
            f"ledger: {len(tokens)} units × {args.tasks} tasks, links issued, "
            f"{time.perf_counter() - t0:.0f} s",
            flush=True,
        )
        proc, base = None, ""
        try:
            # A unit page's size, for the fixed page.
            proc, base = serve(url, home, args.workers, 1)
            size = len(httpx.get(f"{base}/u/{tokens[0]}").text)
            proc.terminate()
            proc.wait(30)
            proc, base = serve(url, home, args.workers, size)
            out, wall = asyncio.run(closed_loop(base, ["/fixed"] * args.fixed, args.connections))
            print(
                summary(
                    f"fixed page ({size} characters, {args.connections} connections)", out, wall
                ),
                flush=True,
            )
            out, wall = asyncio.run(
                burst(base, tokens, args.duration, args.report, args.connections)
            )
            print(
                f"burst: {len(tokens)} units within {args.duration:.0f} s, "
                f"{args.report:.0%} reporting, took {wall:.0f} s",
                flush=True,
            )
            print("  " + summary("unit pages", out, wall), flush=True)
            print("  " + summary("reports", out, wall, "report"), flush=True)
            pages = [
                f"/u/{t}" for t in random.Random(1).sample(tokens, min(len(tokens), args.fixed))
            ]
            out, wall = asyncio.run(closed_loop(base, pages, args.connections))
            print(
                summary(f"unit pages, closed loop ({args.connections} connections)", out, wall),
                flush=True,
            )
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(30)


if __name__ == "__main__":
    main()

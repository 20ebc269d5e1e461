"""The README's first command: the demo on the embedded default, as a user runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def test_demo_runs_on_embedded_sqlite_in_the_data_folder(duban_home: Path) -> None:
    exe = Path(sys.executable).with_name("duban")
    env = {**os.environ, "DUBAN_HOME": str(duban_home)}
    env.pop("DUBAN_DATABASE_URL", None)
    first = subprocess.run([exe, "demo"], capture_output=True, text=True, env=env, check=False)
    assert first.returncode == 0, first.stderr
    assert (duban_home / "duban.db").exists()
    assert "已新建计划 zhongshan-2021-zwgk" in first.stdout
    # On the 9月20日 check: filing and publication are overdue for all 55 units.
    assert "56 个单位，其中 55 个有逾期节点" in first.stdout
    second = subprocess.run([exe, "demo"], capture_output=True, text=True, env=env, check=False)
    assert second.returncode == 0 and "无变化" in second.stdout


def test_readme_main_job_fills_the_local_outbox_through_prefect(duban_home: Path) -> None:
    """`duban up --demo`: the reference plan, a real Prefect server and runs, the outbox."""
    exe = Path(sys.executable).with_name("duban")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"DUBAN_HOME": str(duban_home)}
    env.pop("DUBAN_DATABASE_URL", None)
    proc = subprocess.Popen([exe, "up", "--demo"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    outbox = duban_home / "outbox"
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            if len([f for f in outbox.rglob("*") if f.is_file()]) >= 110:
                break
            time.sleep(2)
        files = sorted(f for f in outbox.rglob("*") if f.is_file())
        # The filing's reminder-5 (counted in test_supervise): 55 SMS, 53 mails, 2 bots.
        assert len(files) == 110, proc.stdout.read() if proc.poll() is not None else files[:3]
        assert len(list((outbox / "sms").glob("*.json"))) == 55
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert "已排队演示运行" in out and "已停止" in out

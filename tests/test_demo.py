"""The README's first command: the demo on the embedded default, as a user runs it."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx


def test_demo_runs_on_embedded_sqlite_in_the_data_folder(duban_home: Path) -> None:
    exe = Path(sys.executable).with_name("duban")
    env = {**os.environ, "DUBAN_HOME": str(duban_home)}
    env.pop("DUBAN_DATABASE_URL", None)
    first = subprocess.run([exe, "demo"], capture_output=True, text=True, env=env, check=False)
    assert first.returncode == 0, first.stderr
    assert (duban_home / "duban.db").exists()
    assert "已新建计划 zhongshan-2021-zwgk" in first.stdout
    # On the 9月20日 check: filing and publication are overdue for all 55 units, and
    # nobody has reported progress on the standing tasks, the coordinator's own included.
    assert "56 个单位，其中 56 个有逾期节点" in first.stdout
    second = subprocess.run([exe, "demo"], capture_output=True, text=True, env=env, check=False)
    assert second.returncode == 0 and "无变化" in second.stdout


def test_readme_main_job_fills_the_local_outbox_through_prefect(duban_home: Path) -> None:
    """`duban up --demo`: the reference plan, a real Prefect server and runs, the outbox."""
    exe = Path(sys.executable).with_name("duban")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"DUBAN_HOME": str(duban_home)}
    env.pop("DUBAN_DATABASE_URL", None)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    site = f"http://127.0.0.1:{port}"
    env["DUBAN_PUBLIC_URL"] = site
    proc = subprocess.Popen(
        [exe, "up", "--demo", "--web-port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()
    outbox = duban_home / "outbox"
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            if len([f for f in outbox.rglob("*") if f.is_file()]) >= 111:
                break
            time.sleep(2)
        everything = sorted(f for f in outbox.rglob("*") if f.is_file())
        # The demo's links open on this machine only, and the operator is told so once.
        alerts = [f for f in everything if "只有本机能打开" in f.read_text(errors="replace")]
        assert len(alerts) == 1
        files = [f for f in everything if f not in alerts]
        # The filing's reminder-5 (counted in test_supervise): 55 SMS, 53 mails, 2 bots.
        assert len(files) == 110, proc.stdout.read() if proc.poll() is not None else files[:3]
        assert len(list((outbox / "sms").glob("*.json"))) == 55
        # The web pages run beside Prefect: the door in Chinese, a forged link refused,
        # the link in an SMS and the printed demo login both work.
        web = httpx.Client(base_url=site, timeout=10, follow_redirects=True)
        assert web.get("/").status_code == 200 and "督办系统登录" in web.get("/").text
        assert web.get("/u/forged-token-0000").status_code in (403, 404)
        sms = json.loads(next((outbox / "sms").glob("*13800000022*")).read_text())
        link = re.search(r"http://\S+/u/[A-Za-z0-9]{12}", sms["body"]).group(0)  # type: ignore[union-attr]
        assert web.get(link).status_code == 200 and "市司法局" in web.get(link).text
        printed = "".join(lines)
        password = re.search(r"用户名 demo，密码 (\S+?)（", printed).group(1)  # type: ignore[union-attr]
        login = web.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', login.text).group(1)  # type: ignore[union-attr]
        r = web.post("/login", data={"name": "demo", "password": password, "csrf": csrf})
        assert r.status_code == 200 and "中山市2021年政务公开工作要点分工方案" in r.text
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        reader.join(10)
    out = "".join(lines)
    assert proc.returncode == 0, out
    assert f"网页服务：{site}/" in out and "演示单位链接（市司法局）：" in out
    assert "已排队演示运行" in out and "已停止" in out

"""The embedded Prefect server: a ``prefect server start`` subprocess in duban's data folder.

Prefect's ephemeral mode runs no scheduler, so scheduled runs would never
happen there; a real server (SQLite, in ``$DUBAN_HOME/prefect``) does. Its
analytics are off (on SQLite they log 'database is locked'), the task-run
recorder reads larger batches so it keeps up on SQLite, and flow runs older than
30 days are deleted so the dispatcher's runs do not grow its database for ever.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(home: Path, port: int, database_url: str | None = None) -> dict[str, str]:
    """Settings for the server and for every client and runner that talks to it.
    ``database_url``: the server's own Postgres database (``postgresql+asyncpg://…``)
    instead of SQLite in ``$DUBAN_HOME/prefect``."""
    prefect_home = home / "prefect"
    prefect_home.mkdir(parents=True, exist_ok=True)
    db = {"PREFECT_API_DATABASE_CONNECTION_URL": database_url} if database_url else {}
    return db | {
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",  # the client side too (Prefect's English first-run notice)
        "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "100",
        # 288 dispatcher runs a day: flow runs older than 30 days are deleted.
        "PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED": "events,flow_runs",
        "PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD": "2592000",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }


class ServerError(RuntimeError):
    pass


@dataclass
class LocalServer:
    proc: subprocess.Popen[bytes]
    url: str
    env: dict[str, str]
    log: Path

    def stop(self, timeout: float = 20) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def start_server(
    home: Path, port: int | None = None, timeout: float = 90, database_url: str | None = None
) -> LocalServer:
    """Start the server and wait until its health endpoint answers."""
    port = port or free_port()
    env = server_env(home, port, database_url)
    log = home / "prefect" / "server.log"
    out = log.open("ab")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env={**os.environ, **env},
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = LocalServer(proc, env["PREFECT_API_URL"], env, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerError(
                f"Prefect 服务启动失败（退出码 {proc.returncode}），日志：{log}\n"
                + log.read_text(encoding="utf-8", errors="replace")[-2000:]
            )
        try:
            with urllib.request.urlopen(f"{server.url}/health", timeout=2) as r:
                if r.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    server.stop()
    raise ServerError(f"Prefect 服务 {timeout:.0f} 秒内未就绪，日志：{log}")

"""deploy/: the files an operator follows, checked as far as this machine can run them.

Docker is not available here, so compose.yaml is read (and its commands are the
systemd units' commands, which run); every command of the systemd units is started
against this machine's Postgres, with only the install path and ports put to this
checkout's; and deploy/prefect.yaml is what ``duban plan deploy --write`` makes and
what ``prefect deploy --all`` accepts.
"""

from __future__ import annotations

import asyncio
import configparser
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import jsonschema
import prefect
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from prefect import get_client
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.server import free_port
from tests.conftest import PG_ENV, PLAN_001, UNITS_ZS, pg_schema, prefect_database

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def unit(name: str) -> configparser.ConfigParser:
    cp = configparser.ConfigParser(strict=False, interpolation=None)
    cp.optionxform = str  # type: ignore[assignment,method-assign]
    cp.read(DEPLOY / "systemd" / name, encoding="utf-8")
    return cp


def exec_lines(name: str) -> list[list[str]]:
    """ExecStartPre… then ExecStart of a unit, as argument lists for this checkout."""
    lines = []
    for line in (DEPLOY / "systemd" / name).read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if key in ("ExecStartPre", "ExecStart"):
            argv = shlex.split(value.replace("/opt/duban/.venv/bin/", f"{BIN}/"))
            lines.append([a.replace("%H", "test").replace("%i", "1") for a in argv])
    return lines


def constraints() -> dict[str, str]:
    pins = {}
    for line in (DEPLOY / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version
    return pins


def test_compose_follows_the_compose_specification() -> None:
    """The compose file is valid against the compose specification's JSON schema
    (vendored from compose-spec/compose-spec, Apache-2.0: tests/schemas/)."""
    schema = json.loads((ROOT / "tests" / "schemas" / "compose-spec.json").read_text())
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(compose()), key=str)
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    broken = compose()
    broken["services"]["web"]["restart_policy"] = "always"  # a key compose does not know
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))


def test_compose_names_pinned_images_and_the_units_commands() -> None:
    c = compose()
    services = c["services"]
    assert set(services) == {"postgres", "prefect-server", "duban-init", "worker", "web"}
    # Every image is pinned to a release; the server's Prefect is the one the duban image
    # installs (deploy/constraints.txt) and this checkout runs.
    assert re.fullmatch(r"postgres:15\.\d+-bookworm", services["postgres"]["image"])
    assert (
        services["prefect-server"]["image"] == f"prefecthq/prefect:{prefect.__version__}-python3.11"
    )
    assert constraints()["prefect"] == prefect.__version__
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11\.\d+-slim-bookworm$", dockerfile, re.M)
    assert "-c /opt/duban/deploy/constraints.txt" in dockerfile
    for name in ("postgres", "prefect-server", "web", "worker"):
        assert services[name]["healthcheck"]["test"][0] == "CMD", name
    assert "--with-healthcheck" in services["worker"]["command"]
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])  # touches the ledger
    # Services come back after a reboot, except the one-shot init step.
    for name, service in services.items():
        restart = service.get("restart", c["x-duban"]["restart"])
        assert restart == ("no" if name == "duban-init" else "unless-stopped"), name
    # Each duban service runs a command the systemd units run too (and the test below
    # starts those); the init step is the duban-deploy unit's three commands in order.
    units = {n.name: exec_lines(n.name) for n in UNITS}
    flat = [
        [Path(a).name if a.startswith(str(BIN)) else a for a in argv]
        for argvs in units.values()
        for argv in argvs
    ]
    assert services["prefect-server"]["command"][:3] == ["prefect", "server", "start"]
    assert services["worker"]["command"][:4] == ["prefect", "worker", "start", "--pool"]
    assert any(argv[:3] == services["web"]["command"][:3] for argv in flat)
    init = services["duban-init"]["command"][2]
    deploy_unit = [
        " ".join(a.replace(f"{BIN}/", "") for a in argv) for argv in units["duban-deploy.service"]
    ]
    assert deploy_unit[0] == "duban db upgrade" and init.startswith(deploy_unit[0] + " && ")
    assert "prefect work-pool inspect duban >/dev/null || " in deploy_unit[1]
    assert "prefect work-pool inspect duban >/dev/null || " in init and "--overwrite" not in init
    assert init.endswith(" && " + deploy_unit[2])
    # Secrets come from the env file, which is neither committed nor in the image; only
    # the workers (channel secrets) read it whole, the others get what they need.
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    assert "PASSWORD=" not in text and "CHANGE-ME" not in text
    assert {s for s in services if "env_file" in services[s]} == {"worker"}
    assert "DUBAN_LINK_SECRET" not in str(services["postgres"]) + str(services["prefect-server"])
    assert "deploy/duban.env" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {"deploy/duban.env", ".git", ".venv"} <= set(ignored)
    assert "FORWARDED_ALLOW_IPS" in services["web"]["environment"]
    example = (DEPLOY / "duban.env.example").read_text(encoding="utf-8")
    for key in (
        "DUBAN_DATABASE_URL",
        "PREFECT_API_DATABASE_CONNECTION_URL",
        "PREFECT_API_URL",
        "DUBAN_PUBLIC_URL",
        "DUBAN_WORK_POOL",
        "DUBAN_DB_PASSWORD",
        "PREFECT_DB_PASSWORD",
        "PREFECT_API_AUTH_STRING",
        "PREFECT_HOME",
    ):
        assert f"\n{key}=" in example, key
    assert set(c["volumes"]) == {"pgdata", "duban-home"}
    assert "duban-home:/var/lib/duban" in c["x-duban"]["volumes"]


def test_constraints_pin_what_pyproject_allows() -> None:
    """deploy/constraints.txt pins every package duban needs, within pyproject's ranges
    (CI installs with it: .ci/run)."""
    pins = constraints()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for spec in project["dependencies"] + project["optional-dependencies"]["test"]:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in pins, f"{name} is not pinned in deploy/constraints.txt"
        assert req.specifier.contains(pins[name], prereleases=True), (name, pins[name])


def test_every_unit_restarts_on_failure_as_duban_with_the_env_file() -> None:
    assert {u.name for u in UNITS} == {
        "duban-prefect-server.service",
        "duban-deploy.service",
        "duban-worker@.service",
        "duban-web.service",
        "duban-up.service",
    }
    for path in UNITS:
        service = unit(path.name)["Service"]
        assert service["Restart"] == "on-failure", path.name
        assert service["User"] == "duban", path.name
        assert service["EnvironmentFile"].lstrip("-") == "/etc/duban/duban.env", path.name
        for argv in exec_lines(path.name):  # every program is one this install has
            assert Path(argv[0]).exists(), (path.name, argv[0])


def test_every_unit_is_hardened_and_writes_only_its_data_folder() -> None:
    for path in UNITS:
        service = unit(path.name)["Service"]
        for key, value in {
            "NoNewPrivileges": "yes",
            "ProtectSystem": "strict",
            "ReadWritePaths": "/var/lib/duban",
            "ProtectHome": "yes",
            "PrivateTmp": "yes",
            "UMask": "0027",
            "WorkingDirectory": "/var/lib/duban",
            "PREFECT_HOME": "/var/lib/duban/prefect",
        }.items():
            got = service.get(key) or dict(e.split("=", 1) for e in environment(path.name)).get(key)
            assert got == value, (path.name, key, got)
    # The server builds its UI where it may write; the worker pulls in no deploy step
    # and no server (a worker-only machine), so restarting duban-deploy spares its runs.
    assert "PREFECT_UI_STATIC_DIRECTORY=/var/lib/duban/prefect/ui" in environment(
        "duban-prefect-server.service"
    )
    worker = unit("duban-worker@.service")["Unit"]
    assert "Requires" not in worker and "duban-deploy" not in worker.get("Wants", "")
    assert "duban-deploy.service" in worker["After"]
    assert "Requires" not in unit("duban-web.service")["Unit"]


def environment(name: str) -> list[str]:
    return [
        line.partition("=")[2]
        for line in (DEPLOY / "systemd" / name).read_text(encoding="utf-8").splitlines()
        if line.startswith("Environment=")
    ]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is missing")
@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_systemd_rates_every_unit_safe(path: Path) -> None:
    r = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--no-pager", str(path)],
        capture_output=True,
        text=True,
    )
    level = re.search(r"Overall exposure level for \S+: ([\d.]+)", r.stdout + r.stderr)
    assert level, r.stdout + r.stderr
    assert float(level.group(1)) < 5, r.stdout


def test_prefect_yaml_is_what_duban_writes(tmp_path: Path) -> None:
    out = tmp_path / "prefect.yaml"
    subprocess.run(
        [BIN / "duban", "plan", "deploy", str(PLAN_001), "--pool", "duban", "--write", str(out)],
        check=True,
        capture_output=True,
    )
    assert out.read_text(encoding="utf-8") == (DEPLOY / "prefect.yaml").read_text(
        encoding="utf-8"
    ), "deploy/prefect.yaml is stale: rerun the command in deploy/README.md"


@contextmanager
def started(argv: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        argv, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def wait_for(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            with urllib.request.urlopen(url, timeout=3) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise AssertionError(f"{url} did not answer: {log.read_text(errors='replace')[-3000:]}")


async def _pool_state() -> tuple[list[str], list[str]]:
    async with get_client() as client:
        workers = [w.name for w in await client.read_workers_for_work_pool("duban")]
        deps = await client.read_deployments(limit=50)
        return workers, sorted(f"{d.name}@{d.work_pool_name}" for d in deps)


def test_the_units_commands_run_against_postgres(tmp_path: Path) -> None:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set: the service commands need Postgres (.ci/run sets it)")
    api_port, web_port = free_port(), free_port()

    def argv_of(name: str) -> list[list[str]]:
        return [
            [a.replace("4200", str(api_port)).replace("8780", str(web_port)) for a in argv]
            for argv in exec_lines(name)
        ]

    home = tmp_path / "home"
    home.mkdir()
    with prefect_database(base) as prefect_db, pg_schema(base) as ledger:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | {
            "DUBAN_HOME": str(home),
            "DUBAN_DATABASE_URL": ledger,
            "PREFECT_HOME": str(tmp_path / "prefect"),
            "PREFECT_API_DATABASE_CONNECTION_URL": prefect_db,
            "PREFECT_API_URL": f"http://127.0.0.1:{api_port}/api",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DUBAN_WORK_POOL": "duban",
            "DUBAN_PUBLIC_URL": f"http://127.0.0.1:{web_port}",
        }
        (server,) = argv_of("duban-prefect-server.service")
        with started(server, env, tmp_path / "server.log") as proc:
            wait_for(f"http://127.0.0.1:{api_port}/api/health", proc, tmp_path / "server.log")
            deploy = argv_of("duban-deploy.service")
            subprocess.run(deploy[0], env=env, check=True, capture_output=True)  # db upgrade
            for args in (["units", "import", str(UNITS_ZS)], ["plan", "load", str(PLAN_001)]):
                subprocess.run([BIN / "duban", *args], env=env, check=True, capture_output=True)
            for argv in deploy[1:]:  # the work pool, then every loaded plan into it
                r = subprocess.run(argv, env=env, capture_output=True, text=True)
                assert r.returncode == 0, r.stdout + r.stderr
            assert "工作池 duban" in r.stdout
            (worker,) = argv_of("duban-worker@.service")
            (web,) = argv_of("duban-web.service")
            health_port = free_port()
            worker_env = env | {"PREFECT_WORKER_WEBSERVER_PORT": str(health_port)}
            with (
                started(worker, worker_env, tmp_path / "worker.log") as worker_proc,
                started(web, env, tmp_path / "web.log") as web_proc,
            ):
                wait_for(f"http://127.0.0.1:{web_port}/login", web_proc, tmp_path / "web.log")
                # The worker's own health check (--with-healthcheck) answers.
                wait_for(
                    f"http://127.0.0.1:{health_port}/health", worker_proc, tmp_path / "worker.log"
                )
                with temporary_settings(updates={PREFECT_API_URL: env["PREFECT_API_URL"]}):
                    deadline = time.monotonic() + 60
                    while True:
                        workers, deployments = asyncio.run(_pool_state())
                        if workers or time.monotonic() > deadline:
                            break
                        time.sleep(1)
                assert workers == ["test-1"]
                assert deployments == ["all@duban"] + ["zhongshan-2021-zwgk@duban"] * 3
            # prefect.yaml deploys the same set with Prefect's own CLI.
            r = subprocess.run(
                [
                    BIN / "prefect",
                    "--no-prompt",
                    "deploy",
                    "--all",
                    "--prefect-file",
                    str(DEPLOY / "prefect.yaml"),
                ],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            assert r.returncode == 0, r.stdout + r.stderr
            with temporary_settings(updates={PREFECT_API_URL: env["PREFECT_API_URL"]}):
                assert asyncio.run(_pool_state())[1] == deployments


def test_the_one_machine_unit_starts_and_stops(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DUBAN_"))}
    env |= {"DUBAN_HOME": str(tmp_path / "home"), "DUBAN_DISPATCH_CRON": "off"}
    api_port, web_port = free_port(), free_port()
    upgrade, up = [
        [a.replace("4200", str(api_port)).replace("8780", str(web_port)) for a in argv]
        for argv in exec_lines("duban-up.service")
    ]
    subprocess.run(upgrade, env=env, check=True, capture_output=True)
    for args in (["units", "import", str(UNITS_ZS)], ["plan", "load", str(PLAN_001)]):
        subprocess.run([BIN / "duban", *args], env=env, check=True, capture_output=True)
    log = tmp_path / "up.log"
    with started(up, env, log) as proc:
        wait_for(f"http://127.0.0.1:{web_port}/login", proc, log)
        deadline = time.monotonic() + 120
        while "已部署" not in log.read_text(errors="replace"):
            assert time.monotonic() < deadline and proc.poll() is None, log.read_text()
            time.sleep(1)
        os.killpg(proc.pid, signal.SIGTERM)  # what systemctl stop sends
        proc.wait(60)
    assert proc.returncode == 0, log.read_text()
    assert "已停止" in log.read_text()

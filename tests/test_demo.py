"""The README's first command: the demo on the embedded default, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
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

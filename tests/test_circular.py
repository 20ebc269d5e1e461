"""The 通报 says what really happened to each unit: the documents issued and the
notices that reached its own people, or that it could not be reached at all."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import PLAN_001, UNITS_ZS, cli


def test_the_circular_says_who_was_really_notified(
    database_url: str, duban_home: Path, tmp_path: Path
) -> None:
    lines = UNITS_ZS.read_text(encoding="utf-8-sig").splitlines()
    # 三乡镇 without any contact: nobody there can be told anything.
    lines = [
        ",".join(line.split(",")[:5] + [""] * 18) if line.startswith("三乡镇,") else line
        for line in lines
    ]
    units = tmp_path / "units.csv"
    units.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cli("units", "import", str(units))
    cli("plan", "load", str(PLAN_001))
    cli("sweep", "--at", "2021-07-20T09:00")  # 催办 of the filing due 07-19
    cli("dispatch", "--at", "2021-07-20T09:05")  # reaches the outbox: delivered
    cli("sweep", "--at", "2021-07-22T09:00")  # 督办: written, never dispatched
    cli("sweep", "--at", "2021-07-26T09:00")  # 通报, with the circular
    md = next((duban_home / "documents").rglob("通报*.md")).read_text(encoding="utf-8")
    row = {
        line.split("|")[1].strip(): line
        for line in md.splitlines()
        if line.startswith("| ") and "2021-07-19" in line
    }
    assert len(row) == 55
    # 神湾镇's 经办人 got the 催办 by SMS and mail; the 督办 to its leader is still queued.
    assert row["神湾镇"].rstrip(" |").endswith("，通知2条")
    assert row["三乡镇"].rstrip(" |").endswith("，无联系人")
    # Not every unit was really reached, so the circular does not say 经催办、督办 of all.
    assert "经催办、督办" not in md.split("|")[0]

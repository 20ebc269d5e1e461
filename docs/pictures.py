"""Render the README's pictures of a 督办单 and a 通报 (needs LibreOffice and poppler).

    python docs/pictures.py

Builds the documents as a coordinator would (the Zhongshan demo plan, sweeps on
07-20, 07-22 and 07-26 of 2021) in a scratch data folder, converts them to PDF
with LibreOffice and the first pages to PNG with pdftoppm, next to this file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DUBAN = str(Path(sys.executable).with_name("duban"))


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="duban-pictures-") as tmp:
        env = {**os.environ, "DUBAN_HOME": tmp, "DUBAN_DATABASE_URL": f"sqlite:///{tmp}/d.db"}

        def duban(*args: str) -> None:
            subprocess.run([DUBAN, *args], env=env, check=True, capture_output=True)

        duban("units", "import", str(ROOT / "plans" / "units" / "zhongshan.csv"))
        duban("plan", "load", str(ROOT / "plans" / "zhongshan-2021.yaml"))
        for day in ("2021-07-20", "2021-07-22", "2021-07-26"):
            duban("sweep", "--at", f"{day}T09:00")
        folder = Path(tmp) / "documents" / "zhongshan-2021-zwgk"
        sheet = next(folder.glob("督办〔2021〕1号-*.docx")).stem
        for name, stem in (("duban-sheet", sheet), ("circular", "通报〔2021〕1号")):
            subprocess.run(
                [
                    "soffice",
                    "--headless",
                    f"-env:UserInstallation=file://{tmp}/lo",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    tmp,
                    str(folder / f"{stem}.docx"),
                ],
                check=True,
                capture_output=True,
            )
            subprocess.run(
                [
                    "pdftoppm",
                    "-png",
                    "-r",
                    "60",
                    "-f",
                    "1",
                    "-l",
                    "1",
                    "-singlefile",
                    f"{tmp}/{stem}.pdf",
                    str(HERE / name),
                ],
                check=True,
            )
            print(HERE / f"{name}.png")


if __name__ == "__main__":
    main()

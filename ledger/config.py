"""Where duban keeps its data: the data folder, the database URL, holiday files.

One environment variable each, so that the embedded default needs nothing and a
provincial deployment sets two: ``DUBAN_HOME`` (default ``~/.duban``) and
``DUBAN_DATABASE_URL`` (default SQLite in the data folder).
"""

from __future__ import annotations

import os
from pathlib import Path

from plans.workdays import WorkCalendar, default_calendar


def home() -> Path:
    path = Path(os.environ.get("DUBAN_HOME") or Path.home() / ".duban").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def files() -> Path:
    """Where the files every machine must read live: the 催办单/督办单/通报 (``documents/``),
    the units' evidence (``evidence/``) and the check reports (``checks/``).
    ``DUBAN_FILES`` names a folder all machines mount (NFS, SMB) when several run duban;
    by default the data folder. The ledger keeps paths relative to it, so each machine
    may mount it where it likes."""
    given = os.environ.get("DUBAN_FILES")
    path = Path(given).expanduser() if given else home()
    path.mkdir(parents=True, exist_ok=True)
    return path


def stored(path: str) -> Path:
    """A file the ledger recorded: relative to :func:`files` (an absolute path is an older
    ledger's, or a folder given on purpose, and stays as it is)."""
    p = Path(path)
    return p if p.is_absolute() else files() / p


def kept(path: Path) -> str:
    """The path the ledger records for a file written under :func:`files`: relative to it,
    so another machine with the same store finds it."""
    try:
        return str(path.resolve().relative_to(files().resolve()))
    except ValueError:
        return str(path)


def database_url() -> str:
    return os.environ.get("DUBAN_DATABASE_URL") or f"sqlite:///{home() / 'duban.db'}"


def calendar() -> WorkCalendar:
    """Shipped holiday file, then the operator's ``$DUBAN_HOME/holidays.yaml``."""
    return default_calendar([home() / "holidays.yaml"])


def upload_mb() -> float:
    """The largest file a unit may upload from its page, in MB (``DUBAN_UPLOAD_MB``, 20)."""
    return float(os.environ.get("DUBAN_UPLOAD_MB") or 20)

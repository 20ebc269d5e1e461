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


def database_url() -> str:
    return os.environ.get("DUBAN_DATABASE_URL") or f"sqlite:///{home() / 'duban.db'}"


def calendar() -> WorkCalendar:
    """Shipped holiday file, then the operator's ``$DUBAN_HOME/holidays.yaml``."""
    return default_calendar([home() / "holidays.yaml"])


def upload_mb() -> float:
    """The largest file a unit may upload from its page, in MB (``DUBAN_UPLOAD_MB``, 20)."""
    return float(os.environ.get("DUBAN_UPLOAD_MB") or 20)

"""How the web process logs: one line per request (uvicorn's access log) and every
warning, with Beijing times like the rest of duban; JSON lines when
``DUBAN_LOG_FORMAT=json`` (for a log shipper). Logs go to standard error, which
systemd's journal (or Docker's log driver) keeps and rotates."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from typing import Any
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


class BeijingFormatter(logging.Formatter):
    """Times as 2026-12-04T09:00:01.123+08:00, whatever the machine's zone."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return dt.datetime.fromtimestamp(record.created, TZ).isoformat(timespec="milliseconds")


class JsonFormatter(BeijingFormatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def uvicorn_log_config(*, quiet: bool = False) -> dict[str, Any]:
    """uvicorn's ``log_config``: its error and access loggers through one formatter.
    ``quiet`` (``duban up`` in a coordinator's terminal): warnings and errors only, no
    English start-up lines and no line per request."""
    formatter = (
        {"()": JsonFormatter}
        if os.environ.get("DUBAN_LOG_FORMAT") == "json"
        else {"()": BeijingFormatter, "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"duban": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "duban",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "WARNING" if quiet else "INFO"},
            "uvicorn.access": {
                "handlers": ["stderr"],
                "level": "WARNING" if quiet else "INFO",
                "propagate": False,
            },
        },
    }

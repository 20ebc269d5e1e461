"""Access tokens of the IM platforms' apps, cached until they expire and shared by every
dispatcher process on this machine.

WeCom, DingTalk and Feishu hand an app a token valid for about two hours and limit how
often one may be fetched; a token fetched per message would hit that limit at the first
busy morning. Each app's token lives in ``$DUBAN_HOME/tokens/<app>.json`` (mode 600,
outside the ledger, the outbox and the logs); a process that finds it missing or
expired takes the file's lock, so of several processes only the first fetches and the
others read what it wrote. A token the platform calls expired before its time is
dropped (:meth:`TokenCache.drop`) and fetched again once. On another machine a second
fetch returns the same token while it is valid (all three platforms say so), so nothing
is lost by keeping the cache per machine.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from notifications import secrets

MARGIN = 300  # seconds: a token this close to its end is fetched anew


class TokenError(RuntimeError):
    """The token could not be fetched; ``outcome`` says whether retrying can help."""

    def __init__(self, detail: str, permanent: bool) -> None:
        super().__init__(detail)
        self.detail, self.permanent = detail, permanent


Fetch = Callable[[], tuple[str, int]]  # -> (token, seconds valid)


class TokenCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._memory: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def _file(self, app: str) -> Path:
        return self.folder / f"{hashlib.sha256(app.encode()).hexdigest()[:24]}.json"

    @contextmanager
    def _locked(self, app: str) -> Iterator[Path]:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self._file(app)
        with open(path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield path
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self, path: Path) -> tuple[str, float] | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return str(data["token"]), float(data["expires_at"])
        except (OSError, ValueError, KeyError):
            return None

    def get(self, app: str, fetch: Fetch) -> str:
        """The app's valid token: from memory, else the shared file, else fetched."""
        now = time.time()
        with self._lock:
            held = self._memory.get(app)
            if held and held[1] - MARGIN > now:
                return held[0]
            with self._locked(app) as path:
                stored = self._read(path)
                if stored is None or stored[1] - MARGIN <= now:
                    token, seconds = fetch()
                    stored = (token, now + seconds)
                    fd = os.open(
                        path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600
                    )
                    with os.fdopen(fd, "w", encoding="utf-8") as f:
                        json.dump({"token": stored[0], "expires_at": stored[1]}, f)
                    os.replace(path.with_suffix(".tmp"), path)
                self._memory[app] = stored
        secrets.remember(stored[0])  # never in an error text, a log line or the ledger
        return stored[0]

    def drop(self, app: str, token: str) -> None:
        """The platform said ``token`` is invalid or expired: forget it (if it is still
        the one cached), so the next :meth:`get` fetches a new one."""
        with self._lock:
            self._memory.pop(app, None)
            with self._locked(app) as path:
                stored = self._read(path)
                if stored is not None and stored[0] == token:
                    path.unlink(missing_ok=True)


_shared: dict[Path, TokenCache] = {}


def cache() -> TokenCache:
    """The cache under the current ``$DUBAN_HOME`` (one object per folder)."""
    from ledger import config

    folder = config.home() / "tokens"
    return _shared.setdefault(folder, TokenCache(folder))

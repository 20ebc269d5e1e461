"""No process waits for ever on a database that stops answering.

Postgres's own timeouts (statement, lock, idle) end work the server is doing; they
cannot end a wait for an answer that never comes: a frozen host, a stalled network,
a proxy that accepts and forwards nothing. TCP keepalives catch a dead peer, not a
stopped one whose kernel still acknowledges. So every statement, and the pool's
ping before a pooled connection is handed out, is watched: when the database has
not answered within ``seconds``, the connection's socket is shut down underneath
the driver, which then fails the statement at once (``OperationalError``), the pool
drops that connection, and the caller reports (the CLI exits 3, a page answers 503).
The next statement opens a fresh connection, so a process recovers by itself.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import weakref
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError

DEFAULT_WAIT = 120.0


def wait_seconds() -> float:
    """``DUBAN_DB_WAIT``: how long any command waits for one answer of the database."""
    return float(os.environ.get("DUBAN_DB_WAIT", DEFAULT_WAIT))


class _Watcher:
    """One thread for the whole process, and a table of the statements in flight."""

    def __init__(self) -> None:
        self.flight: dict[int, tuple[float, int, Watchdog]] = {}
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None

    def arm(self, key: int, deadline: float, fd: int, dog: Watchdog) -> None:
        with self.lock:
            self.flight[key] = (deadline, fd, dog)
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self._watch, name="duban-db-watchdog", daemon=True
                )
                self.thread.start()
        self.wake.set()

    def disarm(self, key: int) -> None:
        with self.lock:
            self.flight.pop(key, None)

    def _watch(self) -> None:
        while True:
            with self.lock:
                due = min((d for d, _, _ in self.flight.values()), default=None)
            self.wake.wait(None if due is None else max(0.05, due - time.monotonic()))
            self.wake.clear()
            now = time.monotonic()
            with self.lock:
                late = [(key, fd, dog) for key, (d, fd, dog) in self.flight.items() if d <= now]
                for key, _, dog in late:
                    del self.flight[key]
                    dog.fired.add(key)
            for _, fd, _ in late:
                _cut(fd)


_WATCHER = _Watcher()


class Watchdog:
    """An engine's wait, and the connections cut because of it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired: set[int] = set()

    def arm(self, dbapi_connection: Any) -> None:
        fd = _socket_of(dbapi_connection)
        if fd is not None:
            _WATCHER.arm(id(dbapi_connection), time.monotonic() + self.seconds, fd, self)

    def disarm(self, dbapi_connection: Any) -> None:
        _WATCHER.disarm(id(dbapi_connection))


def _socket_of(dbapi_connection: Any) -> int | None:
    fileno = getattr(dbapi_connection, "fileno", None)
    try:
        return int(fileno()) if fileno else None
    except Exception:  # a connection already closed has no socket to watch
        return None


def _cut(fd: int) -> None:
    """Shut the socket down (not close: the driver still owns the descriptor)."""
    with contextlib.suppress(OSError):
        sock = socket.socket(fileno=os.dup(fd))
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.close()


_DOGS: weakref.WeakKeyDictionary[Engine, Watchdog] = weakref.WeakKeyDictionary()


def watch(engine: Engine, seconds: float) -> Watchdog:
    """Watch every statement and every pre-ping of ``engine`` (Postgres only)."""
    dog = Watchdog(seconds)
    _DOGS[engine] = dog

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, *_args: Any) -> None:
        dog.arm(conn.connection.dbapi_connection)

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, *_args: Any) -> None:
        dog.disarm(conn.connection.dbapi_connection)

    @event.listens_for(engine, "handle_error")
    def _error(ctx: Any) -> None:
        raw = ctx.connection.connection.dbapi_connection if ctx.connection is not None else None
        if raw is not None:
            dog.disarm(raw)
            if id(raw) in dog.fired:
                dog.fired.discard(id(raw))
                ctx.is_disconnect = True  # the pool drops it; the next checkout reconnects
                raise Stalled(
                    ctx.statement, ctx.parameters, ctx.original_exception, seconds=dog.seconds
                )

    ping = engine.dialect.do_ping

    def watched_ping(dbapi_connection: Any) -> bool:
        dog.arm(dbapi_connection)
        try:
            return ping(dbapi_connection)
        finally:
            dog.disarm(dbapi_connection)
            dog.fired.discard(id(dbapi_connection))

    engine.dialect.do_ping = watched_ping  # type: ignore[method-assign]
    return dog


def limit(engine: Engine, seconds: float) -> None:
    """Change how long ``engine`` waits (the web pages wait less than a batch job)."""
    if (dog := _DOGS.get(engine)) is not None:
        dog.seconds = seconds


class Stalled(OperationalError):
    """The database did not answer within the wait; the connection was cut."""

    def __init__(
        self, statement: str | None, params: Any, orig: BaseException, *, seconds: float = 0.0
    ) -> None:
        super().__init__(statement, params, orig)
        self.seconds = seconds

    def __reduce__(self) -> Any:  # a failed flow run's state pickles its exception
        return self.__class__, (self.statement, self.params, self.orig), {"seconds": self.seconds}

    def __str__(self) -> str:
        return f"数据库 {self.seconds:g} 秒无响应，连接已断开"

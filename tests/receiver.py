"""A loopback HTTP server standing in for an SMS gateway and the IM bot platforms.

It answers like the real platforms (``errcode``/``code`` JSON), de-duplicates on
the ``Idempotency-Key`` header as SMS gateways do, checks DingTalk and Feishu
signatures, and injects faults on request: HTTP 500, a dropped connection, an
answer slower than the client's read timeout, HTTP 200 with an error code.
Tests and ``bench/dispatch.py`` use it; ``python -m tests.receiver PORT LATENCY``
runs it in its own process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class _Server(ThreadingHTTPServer):
    """A listen backlog for 64 concurrent senders (Python's default of 5 resets
    connections under load, which tests would read as the channel failing)."""

    request_queue_size = 256
    daemon_threads = True


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    at: float


# fault(request, times this key was seen before) -> "ok" | "500" | "drop" | "slow" | "errcode"
Fault = Callable[[Seen, int], str]


@dataclass
class Receiver:
    latency: float = 0.0
    fault: Fault | None = None
    slow: float = 1.0
    sign_secret: str | None = None
    requests: list[Seen] = field(default_factory=list)
    accepted: Counter[str] = field(default_factory=Counter)  # per idempotency key / content
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, port: int = 0) -> str:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                receiver.handle(self)

        self.server = _Server(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def key(self, seen: Seen) -> str:
        return seen.headers.get("idempotency-key") or json.dumps(seen.body, sort_keys=True,
                                                                 ensure_ascii=False)

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        raw = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        parts = urlsplit(h.path)
        ctype = h.headers.get("Content-Type", "")
        body: Any = (json.loads(raw) if "json" in ctype else
                     {k: v[0] for k, v in parse_qs(raw.decode()).items()})
        seen = Seen(parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()},
                    {k.lower(): v for k, v in h.headers.items()}, body, time.time())
        key = self.key(seen)
        with self.lock:
            before = sum(1 for s in self.requests if self.key(s) == key) if self.fault else 0
            self.requests.append(seen)
        action = self.fault(seen, before) if self.fault else "ok"
        if self.latency:
            time.sleep(self.latency)
        if action == "drop":
            h.close_connection = True
            h.connection.close()  # the request arrived; no answer goes back
            return
        if action == "500":
            return self.answer(h, 500, {"error": "internal"})
        if action == "errcode":
            return self.answer(h, 200, {"errcode": 93000, "errmsg": "invalid webhook url",
                                        "code": 19001, "msg": "param invalid"})
        problem = self.check_signature(seen)
        if problem:
            return self.answer(h, 200, {"errcode": 310000, "errmsg": problem,
                                        "code": 19021, "msg": problem})
        with self.lock:
            self.accepted[key] += 1 if self.accepted[key] == 0 else 0  # a gateway de-duplicates
        if action == "slow":
            time.sleep(self.slow)  # taken, but the answer comes after the client gave up
        self.answer(h, 200, {"errcode": 0, "errmsg": "ok", "code": 0, "msg": "success"})

    def check_signature(self, seen: Seen) -> str | None:
        if not self.sign_secret:
            return None
        if seen.path == "/robot/send":  # DingTalk: sign in the query, URL-decoded once
            ts, sign = seen.query.get("timestamp", ""), seen.query.get("sign", "")
            want = base64.b64encode(hmac.new(self.sign_secret.encode(),
                                             f"{ts}\n{self.sign_secret}".encode(),
                                             hashlib.sha256).digest()).decode()
            return None if sign == want else "sign not match"
        if seen.path.startswith("/open-apis/bot/v2/hook/"):
            ts, sign = str(seen.body.get("timestamp", "")), seen.body.get("sign", "")
            want = base64.b64encode(hmac.new(f"{ts}\n{self.sign_secret}".encode(), b"",
                                             hashlib.sha256).digest()).decode()
            return None if sign == want else "sign match fail"
        return None

    def answer(self, h: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except OSError:
            pass  # the client gave up (read timeout) before the answer


if __name__ == "__main__":
    r = Receiver(latency=float(sys.argv[2]) if len(sys.argv) > 2 else 0.0)
    print(r.start(int(sys.argv[1])), flush=True)
    threading.Event().wait()

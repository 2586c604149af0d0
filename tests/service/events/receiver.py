"""A real HTTP server in a thread that records what EventBridge delivers and answers as told."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """Answers each request with the next queued status (then `default_status`)."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.statuses: list[int] = []
        self.default_status = 200
        self.token_requests: list[Received] = []
        self._lock = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                parts = urlsplit(self.path)
                seen = Received(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                if parts.path == "/oauth/token":
                    with receiver._lock:
                        receiver.token_requests.append(seen)
                    body = json.dumps({"access_token": "token-123", "expires_in": 3600}).encode()
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                with receiver._lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else receiver.default_status
                    receiver.requests.append(seen)
                    receiver._lock.notify_all()
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            do_POST = do_PUT = do_GET = do_DELETE = do_PATCH = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} deliveries, got {len(self.requests)}")
                self._lock.wait(left)
            return list(self.requests)

    def about(self, needle: str, count: int, timeout: float = 15.0) -> list[Any]:
        """The delivered JSON bodies that mention `needle`, once there are `count` (waits for them)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [r.json() for r in list(self.requests) if needle.encode() in r.body]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} events about {needle}, got {found}")
            time.sleep(0.1)

    def quiet_for(self, seconds: float) -> int:
        """How many requests arrive in the next `seconds` (used to show nothing does)."""
        before = len(self.requests)
        time.sleep(seconds)
        return len(self.requests) - before


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver._thread.start()
    try:
        yield receiver
    finally:
        receiver._server.shutdown()
        receiver._server.server_close()

"""The coalescing HTTP protocol: one write per response, and nothing held across an await."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from strongroom.http_protocol import CoalescingHttpToolsProtocol, CoalescingTransport


class RecordingTransport(asyncio.Transport):
    """The socket end: what the protocol writes, write by write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


def test_writes_of_one_loop_iteration_leave_together() -> None:
    async def scenario() -> RecordingTransport:
        real = RecordingTransport()
        transport = CoalescingTransport(real, asyncio.get_running_loop())
        transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n")
        transport.write(bytearray(b"body"))
        assert real.writes == []  # held until the loop gets control
        await asyncio.sleep(0)
        assert real.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nbody"]
        transport.write(b"next")
        await asyncio.sleep(0)
        return real

    real = asyncio.run(scenario())
    assert real.writes[-1] == b"next"


def test_close_sends_what_was_written_first() -> None:
    async def scenario() -> RecordingTransport:
        real = RecordingTransport()
        transport = CoalescingTransport(real, asyncio.get_running_loop())
        transport.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        transport.close()
        await asyncio.sleep(0)  # the scheduled flush finds nothing left to send
        return real

    real = asyncio.run(scenario())
    assert real.writes == [b"HTTP/1.1 400 Bad Request\r\n\r\n"]
    assert real.closed


def test_nothing_is_written_after_the_transport_closed_underneath() -> None:
    async def scenario() -> RecordingTransport:
        real = RecordingTransport()
        transport = CoalescingTransport(real, asyncio.get_running_loop())
        transport.write(b"late")
        real.closed = True  # the peer went away
        await asyncio.sleep(0)
        return real

    assert asyncio.run(scenario()).writes == []


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    if scope["path"] == "/slow":
        # Head first, body after a pause: the head must not wait for the body.
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"4")]})
        await asyncio.sleep(0.3)
        await send({"type": "http.response.body", "body": b"late"})
        return
    answer = b"echo:" + body
    headers = [(b"content-length", str(len(answer)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": answer})


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = int(probe.getsockname()[1])
    config = uvicorn.Config(
        _app, host="127.0.0.1", port=free, http=CoalescingHttpToolsProtocol, lifespan="off", log_level="error"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        threading.Event().wait(0.02)
    yield free
    server.should_exit = True
    thread.join(timeout=10)


def _exchange(port: int, request: bytes, *, expect: int = 1) -> list[bytes]:
    """Send a raw request and read until `expect` responses (by Content-Length) came back."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(request)
        data = b""
        responses: list[bytes] = []
        while len(responses) < expect:
            chunk = conn.recv(65536)
            assert chunk, "connection closed early"
            data += chunk
            while b"\r\n\r\n" in data:
                head, rest = data.split(b"\r\n\r\n", 1)
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                if len(rest) < length:
                    break
                responses.append(head + b"\r\n\r\n" + rest[:length])
                data = rest[length:]
        return responses


def test_a_response_over_the_protocol(port: int) -> None:
    [response] = _exchange(port, b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc")
    assert response.startswith(b"HTTP/1.1 200 OK\r\n")
    assert response.endswith(b"\r\n\r\necho:abc")


def test_pipelined_requests_answer_in_order(port: int) -> None:
    one = b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\n1"
    two = b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\n2"
    first, second = _exchange(port, one + two, expect=2)
    assert first.endswith(b"echo:1") and second.endswith(b"echo:2")


def test_expect_100_continue_is_not_held_back(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        assert conn.recv(1024).startswith(b"HTTP/1.1 100 Continue")
        conn.sendall(b"ok")
        answer = b""
        while not answer.endswith(b"echo:ok"):
            chunk = conn.recv(1024)
            assert chunk
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 OK")


def test_the_head_leaves_before_a_late_body(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
        conn.settimeout(0.2)
        head = conn.recv(1024)  # within 0.2 s, while the body is 0.3 s away
        assert head.startswith(b"HTTP/1.1 200 OK") and not head.endswith(b"late")
        conn.settimeout(5)
        assert conn.recv(1024) == b"late"

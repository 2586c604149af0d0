"""uvicorn's httptools HTTP/1.1 protocol, with each response leaving in as few writes as it can.

An ASGI app answers with two messages, the head and then the body, and uvicorn writes each to
the socket as it comes: two `send` system calls, two TCP segments and two wake-ups of the
client per response. Here the connection's writes are gathered until the event loop next gets
control and then written at once, so a response made without waiting (every answer of the
gateway) leaves in one write. Nothing waits longer than that iteration: a `100 Continue`, a
streamed chunk or anything written before an `await` still goes out before the loop polls again.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescingTransport:
    """A transport whose writes are joined and handed to the real one once per loop iteration.

    Closing (or aborting after a flush) keeps the order of what was written; everything else is
    the wrapped transport's.
    """

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        pending = self._pending
        if not pending:
            return
        self._pending = []
        if self._transport.is_closing():
            return
        self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):  # type: ignore[misc]  # httptools is untyped
    """HttpToolsProtocol writing through a CoalescingTransport (see the module docstring)."""

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)
        # Flow control keeps the real transport (reading pauses act at once); writes coalesce.
        self.transport = CoalescingTransport(transport, self.loop)

"""Plain HTTP request and response values passed between the gateway and the protocol modules."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl


class Headers:
    """Case-insensitive, multi-valued HTTP headers that keep the client's spelling and order."""

    __slots__ = ("_index", "_items")

    def __init__(self, items: list[tuple[str, str]] | None = None) -> None:
        self._items: list[tuple[str, str]] = list(items or [])
        self._index: dict[str, list[str]] | None = None

    def _lookup(self) -> dict[str, list[str]]:
        if self._index is None:
            index: dict[str, list[str]] = {}
            for k, v in self._items:
                index.setdefault(k.lower(), []).append(v)
            self._index = index
        return self._index

    def by_name(self) -> Mapping[str, Sequence[str]]:
        """Every value by lower-cased name, in the order received (shared: read, never modify)."""
        return self._index if self._index is not None else self._lookup()

    def get(self, name: str, default: str | None = None) -> str | None:
        index = self._index if self._index is not None else self._lookup()
        values = index.get(name)  # callers mostly ask in lower case already
        if values is None:
            values = index.get(name.lower())
        if not values:
            return default
        return values[0] if len(values) == 1 else ",".join(values)

    def get_all(self, name: str) -> list[str]:
        return list(self._lookup().get(name.lower(), ()))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._lookup()

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __setitem__(self, name: str, value: str) -> None:
        lname = name.lower()
        self._items = [(k, v) for k, v in self._items if k.lower() != lname]
        self._items.append((name, value))
        self._index = None

    def add(self, name: str, value: str) -> None:
        self._items.append((name, value))
        self._index = None

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def keys(self) -> list[str]:
        return [k for k, _ in self._items]

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


# `HttpRequest.derived` key: the hex SHA-256 of the body as received, when the server computed it
# while the body arrived (see `body_sha256`).
BODY_SHA256 = "body_sha256"


@dataclass
class HttpRequest:
    """One HTTP request as the client sent it.

    `raw_path` is the undecoded path (ASGI `raw_path`), `query_string` the undecoded query.
    """

    method: str
    raw_path: str
    query_string: str = ""
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    secure_transport: bool = False
    # Values derived from the request once and reused by later stages (e.g. parsed form params).
    derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def host(self) -> str:
        return self.headers.get("host", "") or ""

    def body_sha256(self) -> str:
        """The hex SHA-256 of the body as received (computed once)."""
        known: str | None = self.derived.get(BODY_SHA256)
        if known is None:
            known = self.derived[BODY_SHA256] = hashlib.sha256(self.body).hexdigest()
        return known

    def query_params(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query_string, keep_blank_values=True)


@dataclass
class HttpResponse:
    """One HTTP response: its headers and `body` sent in a single write, or, when `stream` is set,
    its headers and then each chunk `stream` yields, as it is produced.

    A stream (an S3 GetObject of a large object) carries `stream_length` bytes in all, the
    Content-Length announced before the first chunk; the server pulls each chunk on a worker
    thread and closes the stream (`close_stream`) once sent, on a failure, or when the client
    goes. A stream that fails after its headers were sent can only abort the connection.
    """

    status: int = 200
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    stream: Iterator[bytes] | None = None
    stream_length: int = 0

    def close_stream(self) -> None:
        """Release what the stream holds (open files, keys); safe to call more than once."""
        close = getattr(self.stream, "close", None)
        if callable(close):
            close()

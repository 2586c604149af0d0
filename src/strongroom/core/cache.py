"""Per-process read caches that every worker on a node drops the moment the data changes.

A hot read path (resolving an access key, a KMS key and its material) must not cost a database
round trip per request, yet a change — a disabled key, a deleted access key — must take effect
at once. Each named cache has a slot on the node's signal board (`core/board.py`, shared memory);
a writer signals it after its transaction commits (`changed()`), and every reader compares the
slot (a memory read) before trusting an entry. The slot is read *before* loading from the
database, so a value loaded concurrently with a change is stored under the old value and never
served. Other nodes (several servers over one PostgreSQL database) do not see the board: entries
live at most `ttl` seconds, so a change reaches them within that time — AWS's IAM and KMS are
eventually consistent too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Generic, TypeVar

from strongroom.core.board import SLOTS, SignalBoard

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


_UNSIGNALLED: tuple[int, ...] = (0,) * SLOTS  # the stamps of a cache without a board


class StampedCache(Generic[K, V]):
    """A bounded cache whose entries are valid while the board slot is unchanged and for `ttl` s."""

    def __init__(
        self, board: SignalBoard | None, name: str = "", *, ttl: float = 2.0, max_entries: int = 10_000
    ) -> None:
        self._board = board
        self._slot = SignalBoard.slot(name)
        self._stamps: Sequence[int] = _UNSIGNALLED if board is None else board.stamps
        self._ttl = ttl
        self._max_entries = max_entries
        # key -> (expires at on the monotonic clock, stamp when loaded, value)
        self._entries: dict[K, tuple[float, int, V]] = {}

    def get(self, key: K, load: Callable[[], V]) -> V:
        stamp = self._stamps[self._slot]  # read before loading: see the module docstring
        entry = self._entries.get(key)
        now = time.monotonic()
        if entry is not None and entry[1] == stamp and now < entry[0]:
            return entry[2]
        value = load()
        if len(self._entries) >= self._max_entries:
            self._entries.clear()
        self._entries[key] = (now + self._ttl, stamp, value)
        return value

    def changed(self) -> None:
        """The data behind this cache changed (call after the transaction commits)."""
        self._entries.clear()
        if self._board is not None:
            self._board.signal(self._slot)

    def stamp(self) -> int:
        return self._stamps[self._slot]


class Caches:
    """The named caches of one process, signalled through the node's board in `data_dir`."""

    def __init__(self, data_dir: Path | None, *, ttl: float = 2.0) -> None:
        self.board = SignalBoard.of(data_dir)
        self._ttl = ttl
        self._caches: dict[str, StampedCache[object, object]] = {}
        self._lock = threading.Lock()

    def named(self, name: str, *, max_entries: int = 10_000) -> StampedCache[object, object]:
        """The cache `name` (created on first use with at most `max_entries` entries: a service
        whose entries are large, such as secret values, asks for fewer)."""
        cache = self._caches.get(name)
        if cache is None:
            with self._lock:
                cache = self._caches.get(name)
                if cache is None:
                    cache = StampedCache(self.board, name, ttl=self._ttl, max_entries=max_entries)
                    self._caches[name] = cache
        return cache

    def changed(self, name: str) -> None:
        cache = self._caches.get(name)
        if cache is not None:
            cache.changed()
        else:  # nothing cached here yet: only the other workers need to hear of it
            self.board.signal(SignalBoard.slot(name))

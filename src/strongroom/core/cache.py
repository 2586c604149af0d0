"""Per-process read caches that every worker on a node drops the moment the data changes.

A hot read path (resolving an access key, a KMS key and its material) must not cost a database
round trip per request, yet a change — a disabled key, a deleted access key — must take effect
at once. Each named cache has a stamp file in the data dir; a writer replaces it after its
transaction commits (`changed()`), and every reader compares the stamp (one `os.stat`) before
trusting an entry. The stamp is read *before* loading from the database, so a value loaded
concurrently with a change is stored under the old stamp and never served. Other nodes (several
servers over one PostgreSQL database) do not see the stamp: entries live at most `ttl` seconds,
so a change reaches them within that time — AWS's IAM and KMS are eventually consistent too.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

Stamp = tuple[int, int]


class StampedCache(Generic[K, V]):
    """A bounded cache whose entries are valid while the stamp is unchanged and for `ttl` seconds."""

    def __init__(self, stamp_file: Path | None, *, ttl: float = 2.0, max_entries: int = 10_000) -> None:
        self._stamp_file = stamp_file
        self._ttl = ttl
        self._max_entries = max_entries
        self._entries: dict[K, tuple[float, Stamp, V]] = {}

    def get(self, key: K, load: Callable[[], V]) -> V:
        stamp = self.stamp()
        entry = self._entries.get(key)
        now = time.monotonic()
        if entry is not None and entry[1] == stamp and now - entry[0] < self._ttl:
            return entry[2]
        value = load()
        if len(self._entries) >= self._max_entries:
            self._entries.clear()
        self._entries[key] = (now, stamp, value)
        return value

    def changed(self) -> None:
        """The data behind this cache changed (call after the transaction commits)."""
        self._entries.clear()
        if self._stamp_file is not None:
            tmp = self._stamp_file.with_name(f"{self._stamp_file.name}.{os.getpid()}.{threading.get_ident()}")
            tmp.write_bytes(str(time.time_ns()).encode())
            os.replace(tmp, self._stamp_file)

    def stamp(self) -> Stamp:
        if self._stamp_file is None:
            return (0, 0)
        try:
            st = os.stat(self._stamp_file)
        except FileNotFoundError:
            return (0, 0)
        # A replaced file has a new inode even when two writes share a timestamp.
        return (st.st_ino, st.st_mtime_ns)


class Caches:
    """The named caches of one process, each with its stamp file under `data_dir/stamps/`."""

    def __init__(self, data_dir: Path | None, *, ttl: float = 2.0) -> None:
        self._dir = data_dir / "stamps" if data_dir is not None else None
        if self._dir is not None:
            self._dir.mkdir(parents=True, exist_ok=True)
        self._ttl = ttl
        self._caches: dict[str, StampedCache[object, object]] = {}
        self._lock = threading.Lock()

    def named(self, name: str) -> StampedCache[object, object]:
        cache = self._caches.get(name)
        if cache is None:
            with self._lock:
                cache = self._caches.get(name)
                if cache is None:
                    stamp = self._dir / name if self._dir is not None else None
                    cache = self._caches[name] = StampedCache(stamp, ttl=self._ttl)
        return cache

    def changed(self, name: str) -> None:
        self.named(name).changed()

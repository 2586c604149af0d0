"""A signal board shared by every worker process on a node: change counters in shared memory.

A worker that changes data a cache holds (or moves the dev clock) writes a fresh random value to
that name's slot; every worker compares the slot with the value it saw when it filled its cache.
The board is a small file in the data dir mapped into each process (`mmap`), so a check is a
memory read — no system call on the request path, where a `stat` per cache lookup cost more than
the lookup. Names hash to slots: two names that share a slot only cause a needless reload.

A torn read of a slot being written yields a value that differs from the cached one — a needless
reload again, never a stale hit. Values are random, not incremented, so two processes writing the
same slot at once can never leave the value a reader saw before both writes.
"""

from __future__ import annotations

import mmap
import os
import random
import zlib
from pathlib import Path

BOARD_FILE = "signals"  # in the data dir
SLOTS = 512
_SIZE = SLOTS * 8  # one unsigned 64-bit word per slot


class SignalBoard:
    """Shared change counters, one per name (hashed to a slot)."""

    @classmethod
    def of(cls, data_dir: Path | None) -> SignalBoard:
        """The board of the node whose data dir this is (private memory without one)."""
        return cls(data_dir / BOARD_FILE if data_dir is not None else None)

    def __init__(self, path: Path | None) -> None:
        self._map: mmap.mmap | bytearray
        if path is None:  # a single process (unit tests): plain memory
            self._map = bytearray(_SIZE)
        else:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                if os.fstat(fd).st_size < _SIZE:
                    os.ftruncate(fd, _SIZE)  # zero-filled; every process may do this, with one result
                self._map = mmap.mmap(fd, _SIZE)
            finally:
                os.close(fd)
        # The slots as machine words: indexing a memoryview is the cheapest read Python has (a
        # struct unpack cost several times more, on a path taken several times per request).
        # Native byte order: only processes on this machine share the file.
        self.stamps = memoryview(self._map).cast("Q")

    @staticmethod
    def slot(name: str) -> int:
        """The index of `name`'s slot in `stamps`."""
        return zlib.crc32(name.encode()) % SLOTS

    def read(self, slot: int) -> int:
        return self.stamps[slot]

    def signal(self, slot: int) -> None:
        self.stamps[slot] = random.getrandbits(64) | 1  # never 0, the value of a slot nobody wrote

    def close(self) -> None:
        self.stamps.release()
        if isinstance(self._map, mmap.mmap):
            self._map.close()

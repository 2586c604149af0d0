"""Random bytes from the OS CSPRNG, fetched in blocks.

Nonces, salts and data keys are drawn on every cryptographic request; one `getrandom` system call
each cost more than the AES-GCM operation beside it on our machines. Reading the OS generator a
block at a time and handing out consecutive, never reused slices keeps the same source (the
kernel's CSPRNG) at a fraction of the cost. A forked child starts with an empty block, so parent
and child never hand out the same bytes.
"""

from __future__ import annotations

import os
import threading

_BLOCK = 4096


class _Pool:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._block = b""
        self._used = 0

    def take(self, size: int) -> bytes:
        if size > _BLOCK // 4:
            return os.urandom(size)
        with self._lock:
            if self._used + size > len(self._block):
                self._block = os.urandom(_BLOCK)
                self._used = 0
            start = self._used
            self._used = start + size
            return self._block[start : start + size]

    def reset(self) -> None:
        self._lock = threading.Lock()
        self._block = b""
        self._used = 0


_pool = _Pool()
os.register_at_fork(after_in_child=_pool.reset)


def random_bytes(size: int) -> bytes:
    """`size` bytes of OS CSPRNG output never handed out before (nonces, salts, data keys)."""
    if size < 0:
        raise ValueError("size must be >= 0")
    return _pool.take(size)

"""Random bytes from the OS CSPRNG, fetched in blocks.

Nonces, salts and data keys are drawn on every cryptographic request; one `getrandom` system call
each cost more than the AES-GCM operation beside it on our machines. Reading the OS generator a
block at a time and handing out consecutive, never reused slices keeps the same source (the
kernel's CSPRNG) at a fraction of the cost. Each thread has its own block; a forked child starts
with none, so parent and child never hand out the same bytes.
"""

from __future__ import annotations

import os
import threading

_BLOCK = 4096


class _Pool(threading.local):
    """One block per thread: handing out slices needs no lock (a lock cost more than the slice)."""

    block = b""
    used = 0


_pool = _Pool()


def _forget_in_child() -> None:
    # The child inherits the forking thread's block: it must never hand out those bytes again.
    global _pool
    _pool = _Pool()


os.register_at_fork(after_in_child=_forget_in_child)


def random_bytes(size: int) -> bytes:
    """`size` bytes of OS CSPRNG output never handed out before (nonces, salts, data keys)."""
    if size < 0:
        raise ValueError("size must be >= 0")
    if size > _BLOCK // 4:
        return os.urandom(size)
    pool = _pool
    start = pool.used
    end = start + size
    block = pool.block
    if end > len(block):
        block = pool.block = os.urandom(_BLOCK)
        start, end = 0, size
    pool.used = end
    return block[start:end]

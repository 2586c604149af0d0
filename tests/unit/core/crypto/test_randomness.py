"""The block-buffered CSPRNG: sizes, no repeats across calls, threads and forks."""

from __future__ import annotations

import os
import threading

import pytest

from strongroom.core.crypto.randomness import random_bytes


def test_sizes_and_refusals() -> None:
    assert random_bytes(0) == b""
    assert [len(random_bytes(n)) for n in (1, 12, 16, 32, 1024, 1025, 5000)] == [
        1, 12, 16, 32, 1024, 1025, 5000,
    ]  # fmt: skip
    with pytest.raises(ValueError):
        random_bytes(-1)


def test_no_slice_is_handed_out_twice_even_across_blocks() -> None:
    drawn = [random_bytes(28) for _ in range(2000)]  # ~14 blocks of 4 KiB
    assert len(set(drawn)) == len(drawn)


def test_threads_never_share_bytes() -> None:
    results: dict[int, list[bytes]] = {}

    def draw(index: int) -> None:
        results[index] = [random_bytes(16) for _ in range(500)]

    threads = [threading.Thread(target=draw, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [value for values in results.values() for value in values]
    assert len(set(everything)) == len(everything) == 2000


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_never_repeats_its_parent() -> None:
    random_bytes(16)  # the parent holds a partly used block
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            os.write(write_end, b"".join(random_bytes(16) for _ in range(8)))
        finally:
            os._exit(0)
    os.close(write_end)
    child = b""
    while len(child) < 128:
        chunk = os.read(read_end, 128)
        if not chunk:
            break
        child += chunk
    os.close(read_end)
    os.waitpid(pid, 0)
    parent = b"".join(random_bytes(16) for _ in range(8))
    assert len(child) == 128
    assert {child[i : i + 16] for i in range(0, 128, 16)}.isdisjoint(
        {parent[i : i + 16] for i in range(0, 128, 16)}
    )

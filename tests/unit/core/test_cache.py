"""Stamped caches: served while unchanged, dropped at once on a change from any process.

Two `SignalBoard`s opened on one file are two mappings of the same shared memory, exactly as
two worker processes have them.
"""

from __future__ import annotations

import time
from pathlib import Path

from strongroom.core.board import SignalBoard
from strongroom.core.cache import Caches, StampedCache
from strongroom.core.clock import Clock


def test_a_change_in_another_instance_drops_the_entry(tmp_path: Path) -> None:
    reader = StampedCache[str, int](SignalBoard.of(tmp_path), "s", ttl=60)
    writer = StampedCache[str, int](SignalBoard.of(tmp_path), "s", ttl=60)
    loads: list[int] = []

    def load() -> int:
        loads.append(1)
        return len(loads)

    assert reader.get("k", load) == 1
    assert reader.get("k", load) == 1
    writer.changed()
    assert reader.get("k", load) == 2
    assert len(loads) == 2


def test_entries_expire_after_ttl(tmp_path: Path) -> None:
    cache = StampedCache[str, float](SignalBoard.of(tmp_path), "s", ttl=0.05)
    first = cache.get("k", time.monotonic)
    assert cache.get("k", time.monotonic) == first
    time.sleep(0.06)
    assert cache.get("k", time.monotonic) != first


def test_a_value_loaded_during_a_change_is_not_served_after_it(tmp_path: Path) -> None:
    reader = StampedCache[str, str](SignalBoard.of(tmp_path), "s", ttl=60)
    writer = StampedCache[str, str](SignalBoard.of(tmp_path), "s", ttl=60)

    def load_racing_a_write() -> str:
        writer.changed()  # the write commits while this (stale) value is being loaded
        return "stale"

    assert reader.get("k", load_racing_a_write) == "stale"
    assert reader.get("k", lambda: "fresh") == "fresh"


def test_named_caches_share_one_stamp_per_name(tmp_path: Path) -> None:
    caches, others = Caches(tmp_path), Caches(tmp_path)
    assert caches.named("kms").get("a", lambda: 1) == 1
    others.changed("iam")
    assert caches.named("kms").get("a", lambda: 2) == 1
    others.changed("kms")
    assert caches.named("kms").get("a", lambda: 3) == 3


def test_a_signal_is_seen_by_another_process(tmp_path: Path) -> None:
    import multiprocessing

    board = SignalBoard.of(tmp_path)
    slot = SignalBoard.slot("kms")
    before = board.read(slot)
    child = multiprocessing.get_context("spawn").Process(target=_signal_kms, args=(tmp_path,))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    assert board.read(slot) != before


def _signal_kms(data_dir: Path) -> None:
    SignalBoard.of(data_dir).signal(SignalBoard.slot("kms"))


def test_every_clock_on_a_data_dir_sees_a_move_at_once(tmp_path: Path) -> None:
    mover, watcher = Clock(tmp_path / "dev-clock"), Clock(tmp_path / "dev-clock")
    assert watcher.offset() == 0.0
    mover.advance(3600)
    assert watcher.offset() == 3600.0
    mover.advance(60)
    assert watcher.offset() == 3660.0

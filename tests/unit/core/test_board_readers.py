"""The cheap readers of the signal board: the clock's now() and a cache without a board."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from strongroom.core.board import SignalBoard
from strongroom.core.cache import StampedCache
from strongroom.core.clock import Clock


def test_a_clock_without_an_offset_is_the_wall_clock_and_a_move_shows_in_now(tmp_path: Path) -> None:
    mover, watcher = Clock(tmp_path / "dev-clock"), Clock(tmp_path / "dev-clock")
    before = datetime.now(UTC)
    assert before <= watcher.now() <= datetime.now(UTC)
    mover.advance(86400)
    moved = watcher.now()
    assert before + timedelta(seconds=86400) <= moved <= datetime.now(UTC) + timedelta(seconds=86400)
    assert moved.tzinfo is UTC


def test_a_cache_without_a_board_keeps_entries_for_its_ttl() -> None:
    cache = StampedCache[str, int](None, "s", ttl=60)
    assert cache.get("k", lambda: 1) == 1
    assert cache.get("k", lambda: 2) == 1
    cache.changed()
    assert cache.get("k", lambda: 3) == 3
    uncached = StampedCache[str, int](None, ttl=0.0)
    assert uncached.get("k", lambda: 1) == 1
    assert uncached.get("k", lambda: 2) == 2


def test_a_signal_changes_the_slot_of_its_name_only(tmp_path: Path) -> None:
    board, other = SignalBoard.of(tmp_path), SignalBoard.of(tmp_path)
    kms, iam = SignalBoard.slot("kms"), SignalBoard.slot("iam")
    assert kms != iam
    before = board.read(iam)
    other.signal(kms)
    first = board.read(kms)
    assert first != 0 and board.read(iam) == before
    other.signal(kms)
    assert board.read(kms) != first
    board.close()
    other.close()
